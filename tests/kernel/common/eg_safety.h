/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the safety-invariant regression tests (tests/kernel/safety_*):
 * officer commands over generic netlink, the commanded door lines as the
 * simulated lane sees them, and the interlock check over the event log.
 */
#ifndef EG_SAFETY_H
#define EG_SAFETY_H

#include <stdint.h>

/*
 * Load egate and egate_sim (@sim: its parameters), write @timings (pairs
 * of timing name and value, NULL-terminated) and take control of the lane
 * in service.  Return: the controlling file, or -errno.
 */
int eg_lane_up(const char *sim, const char *const *timings);
/* Close *@fd if open and unload the modules. */
void eg_lane_down(int *fd);

/* An officer's action (EGATE_NL_ACTION_*) on egate0: 0 or -errno. */
int eg_officer(uint32_t action);

/*
 * Keep reading events from @fd into the log for @ms, and check on every
 * sample of the simulated lane's drive lines that @drive_entry/@drive_exit
 * (1 open, 0 closed, -1 either) hold.  Return: the number of samples where
 * they did not.
 */
int eg_hold_drives(int fd, int drive_entry, int drive_exit, int ms);

/*
 * Events at or after @mark in which a mantrap door was commanded open
 * while the other door was commanded open or did not read closed.
 */
int eg_interlock_breaches(int mark);

/* Drain events from @fd into the log for @ms. */
void eg_log_for(int fd, int ms);

#endif /* EG_SAFETY_H */
