/* SPDX-License-Identifier: GPL-2.0 */
/*
 * egate - what the state machine (egate_sm.c) shares with its command
 * handlers (egate_cmd.c).  Every function here is called with the lane
 * lock held and the lane alive.
 */
#ifndef EGATE_SM_H
#define EGATE_SM_H

#include "egate_priv.h"

void egate_dl_set(struct egate_lane *lane, int which, u32 ms);
void egate_dl_clear(struct egate_lane *lane, int which);
bool egate_dl_armed(struct egate_lane *lane, int which);
/* End the current authorisation, if any, reporting @outcome once. */
void egate_auth_end(struct egate_lane *lane, u32 outcome);
/* The emergency input is active or its latch is not reset. */
bool egate_emergency(struct egate_lane *lane);
/* IDLE or OUT_OF_SERVICE: where a lane rests when nothing goes on. */
u32 egate_rest_phase(struct egate_lane *lane);
/* Drive the outputs for the phase and report the visible state. */
void egate_settle(struct egate_lane *lane);

#endif /* EGATE_SM_H */
