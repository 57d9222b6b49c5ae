/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the egate kernel tests: load/unload the modules, drive the
 * simulated lane, read sysfs, send commands and wait for events.
 *
 * Every event read through these helpers is appended to one log, so a test
 * can wait for several events in any order: take eg_mark() first, then
 * eg_expect(fd, mark, ...) finds the event at or after the mark, reading
 * more as needed.
 */
#ifndef EGATE_TEST_H
#define EGATE_TEST_H

#include <stdint.h>
#include <sys/types.h>

#include "uapi/linux/egate.h"

#define EG_LANE		"/sys/class/egate/egate0"
#define EG_DEV		"/dev/egate0"
#define EG_SIM_DIR	"/sys/kernel/debug/egate_sim"

#define EG_ANY		(-1LL)

/* Modules: egate with @egate_params, then egate_sim with @sim_params. */
int eg_load(const char *egate_params, const char *sim_params);
int eg_load_egate(const char *egate_params);
void eg_unload(void);
int eg_unload_module(const char *name);

/* Write @val to the file at @path: 0 or -errno. */
int eg_write_file(const char *path, const char *val);

/* The simulated lane. */
int eg_sim(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
long eg_sim_status(const char *key);
int eg_sim_wait(const char *key, long val, int timeout_ms);

/* sysfs of egate0 (attr relative to EG_LANE). */
int eg_sysfs_read(const char *attr, char *buf, size_t len);
long long eg_sysfs_num(const char *attr);
int eg_sysfs_write(const char *attr, const char *val);
int eg_sysfs_wait(const char *attr, const char *val, int timeout_ms);

/* The device. */
int eg_open(int flags);
/* Take control (heartbeat timeout 60 s unless the test set one). */
int eg_open_ctl(void);
/* Wait until the lane has seen every beam clear. */
int eg_wait_clear(int timeout_ms);
int eg_cmd(int fd, uint32_t op, uint32_t arg, uint32_t timeout_ms,
	   uint64_t tag);
int eg_status(int fd, struct egate_status *st);
int eg_read_event(int fd, struct egate_event *ev, int timeout_ms);

/* The event log. */
int eg_mark(void);
/* The @i-th logged event, or NULL past the end. */
const struct egate_event *eg_log_get(int i);
const struct egate_event *eg_expect(int fd, int since, uint32_t type,
				    long long arg, int timeout_ms);
int eg_expect_state(int fd, int since, uint32_t state, int timeout_ms);
int eg_count(int since, uint32_t type, long long arg);
void eg_dump(int since);
void eg_drain(int fd);

/* Run @fn in a child as uid/gid 65534; returns its exit status. */
int eg_as_nobody(int (*fn)(void *), void *arg);

long long eg_now_ms(void);
void eg_sleep_ms(int ms);

#endif /* EGATE_TEST_H */
