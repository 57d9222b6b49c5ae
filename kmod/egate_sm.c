// SPDX-License-Identifier: GPL-2.0
/*
 * egate - the lane state machine and its safety rules.
 *
 * Every entry point (inputs, timers, commands, controller claim/release)
 * takes the lane lock, updates the logical phase, then egate_settle()
 * drives the doors, the lamps and the buzzer, and reports the visible
 * state.  Nothing here trusts userspace.  The lane's contract
 * (Documentation/egate-lane.md, "Safety invariants") is kept in few places:
 *
 * 1. Emergency: egate_desire() wants every door open while the input is
 *    active or its latch is set, before looking at anything else, and
 *    egate_sm_inputs() enters the emergency phase whenever the input is
 *    active, not only on its edge.  Faults during it only latch.
 * 2. Interlock: egate_door_apply() never drives a mantrap door open unless
 *    the other one reads closed (emergency and an officer's hold-open
 *    excepted); egate_let_out() chooses the way out of an occupied lane.
 * 3. Swing zone: egate_door_apply() never drives a door closed while a
 *    beam of its zone reads broken; the GPIO layer reports lines it cannot
 *    read as broken, and a read error latches a fault.
 * 4. One traveller: egate_cmd_authorise() (egate_cmd.c) needs an idle,
 *    empty lane.
 * 5. Latches (@alarm, LOCKED, @hb_lost, @fault, @officer) are only cleared
 *    by egate_cmd_reset() (egate_cmd.c); losing the controller never
 *    clears them.
 * 6. Dead-man: egate_lose_control() ends everything the controller
 *    started, its hold-open included.
 */
#include <linux/bitops.h>
#include <linux/bitrev.h>
#include <linux/jiffies.h>
#include <linux/pid.h>
#include <linux/sched.h>

#include "egate_sm.h"

static const char * const egate_state_names[EGATE_ST_COUNT] = {
	[EGATE_ST_OUT_OF_SERVICE]	= "out_of_service",
	[EGATE_ST_IDLE]			= "idle",
	[EGATE_ST_AUTHORISED]		= "authorised",
	[EGATE_ST_PASSAGE]		= "passage",
	[EGATE_ST_EXITING]		= "exiting",
	[EGATE_ST_CLOSING]		= "closing",
	[EGATE_ST_ALARM]		= "alarm",
	[EGATE_ST_OBSTRUCTED]		= "obstructed",
	[EGATE_ST_EMERGENCY]		= "emergency",
	[EGATE_ST_FAULT]		= "fault",
	[EGATE_ST_LOCKED]		= "locked",
	[EGATE_ST_HOLD_OPEN]		= "hold_open",
};

static const char * const egate_alarm_names[EGATE_ALARM_COUNT] = {
	[EGATE_ALARM_NONE]		= "none",
	[EGATE_ALARM_TAILGATING]	= "tailgating",
	[EGATE_ALARM_WRONG_WAY]		= "wrong_way",
	[EGATE_ALARM_INTRUSION]		= "intrusion",
	[EGATE_ALARM_LOITERING]		= "loitering",
	[EGATE_ALARM_FORCED_DOOR]	= "forced_door",
	[EGATE_ALARM_OBSTRUCTION]	= "obstruction",
	[EGATE_ALARM_EMERGENCY]		= "emergency",
	[EGATE_ALARM_FAULT]		= "fault",
};

static const char * const egate_event_names[EGATE_EV_COUNT] = {
	[EGATE_EV_STATE]		= "state",
	[EGATE_EV_BEAMS]		= "beams",
	[EGATE_EV_DOOR]			= "door",
	[EGATE_EV_AUTHORISED]		= "authorised",
	[EGATE_EV_PASSAGE_START]	= "passage_start",
	[EGATE_EV_PASSAGE_DONE]		= "passage_done",
	[EGATE_EV_EXPIRED]		= "expired",
	[EGATE_EV_DENIED]		= "denied",
	[EGATE_EV_ALARM]		= "alarm",
	[EGATE_EV_RESET]		= "reset",
	[EGATE_EV_EMERGENCY]		= "emergency",
	[EGATE_EV_CONTROLLER]		= "controller",
	[EGATE_EV_HEARTBEAT_LOST]	= "heartbeat_lost",
	[EGATE_EV_MODE]			= "mode",
	[EGATE_EV_OBSTRUCTED]		= "obstructed",
	[EGATE_EV_AUTH_END]		= "auth_end",
};

const char *egate_state_name(u32 state)
{
	return state < EGATE_ST_COUNT ? egate_state_names[state] : "unknown";
}

const char *egate_alarm_name(u32 alarm)
{
	return alarm < EGATE_ALARM_COUNT ? egate_alarm_names[alarm] : "unknown";
}

const char *egate_event_name(u32 type)
{
	if (type < EGATE_EV_COUNT && egate_event_names[type])
		return egate_event_names[type];
	return "unknown";
}

u32 egate_doors_summary(struct egate_lane *lane)
{
	u32 doors = 0;
	int d;

	for (d = 0; d < EGATE_NDOORS; d++) {
		if (!lane->door[d].present)
			continue;
		doors |= (lane->in.door_pos[d] |
			  (lane->door[d].cmd_open ? 4 : 0)) << EGATE_DOORS_SHIFT(d);
	}
	return doors;
}

/* EGATE_STATUS_* but CONTROLLER (which file asks); with the lane lock held. */
u32 egate_sm_status_flags(struct egate_lane *lane)
{
	u32 flags = 0;

	if (lane->ctl)
		flags |= EGATE_STATUS_CONTROLLED;
	if (lane->in.emergency)
		flags |= EGATE_STATUS_EMERGENCY_IN;
	if (lane->hb_lost)
		flags |= EGATE_STATUS_HB_LOST;
	if (lane->fault)
		flags |= EGATE_STATUS_FAULT;
	if (lane->officer)
		flags |= EGATE_STATUS_OFFICER;
	return flags;
}

/* --- deadlines --------------------------------------------------------- */

void egate_dl_set(struct egate_lane *lane, int which, u32 ms)
{
	lane->dl[which] = jiffies + msecs_to_jiffies(ms);
	__set_bit(which, &lane->dl_active);
}

void egate_dl_clear(struct egate_lane *lane, int which)
{
	__clear_bit(which, &lane->dl_active);
}

bool egate_dl_armed(struct egate_lane *lane, int which)
{
	return test_bit(which, &lane->dl_active);
}

static void egate_dl_rearm(struct egate_lane *lane)
{
	unsigned long next = 0, now = jiffies;
	bool any = false;
	int i;

	if (lane->dead)
		return;
	for_each_set_bit(i, &lane->dl_active, EGATE_DL_COUNT) {
		if (!any || time_before(lane->dl[i], next))
			next = lane->dl[i];
		any = true;
	}
	if (!any)
		return;
	mod_delayed_work(system_wq, &lane->timer_work,
			 time_after(next, now) ? next - now : 0);
}

/* --- geometry ------------------------------------------------------------ */

/* The beam bitmap as the current traveller walks: bit 0 where they enter. */
static u32 egate_logical(struct egate_lane *lane, u32 beams)
{
	if (lane->dir == EGATE_DIR_FORWARD)
		return beams;
	return bitrev32(beams) >> (32 - lane->nbeams);
}

/* Groups of adjacent broken beams: one per person. */
static unsigned int egate_blobs(u32 beams)
{
	return hweight32(beams & ~(beams << 1));
}

static u32 egate_far_bit(struct egate_lane *lane)
{
	return BIT(lane->nbeams - 1);
}

/* Door the current traveller walks through first / last. */
static int egate_near_door(struct egate_lane *lane)
{
	if (lane->topology == EGATE_TOPO_MANTRAP &&
	    lane->dir == EGATE_DIR_REVERSE)
		return EGATE_DOOR_EXIT;
	return EGATE_DOOR_ENTRY;
}

static int egate_far_door(struct egate_lane *lane)
{
	return egate_near_door(lane) == EGATE_DOOR_ENTRY ?
	       EGATE_DOOR_EXIT : EGATE_DOOR_ENTRY;
}

static bool egate_door_closed(struct egate_lane *lane, int d)
{
	return !lane->door[d].present ||
	       (!lane->door[d].cmd_open &&
		lane->in.door_pos[d] == EGATE_DOOR_CLOSED);
}

static bool egate_doors_closed(struct egate_lane *lane)
{
	return egate_door_closed(lane, EGATE_DOOR_ENTRY) &&
	       egate_door_closed(lane, EGATE_DOOR_EXIT);
}

/* A door that will not close: jammed, impossible switches, obstructed. */
static bool egate_door_failed(struct egate_lane *lane, int d)
{
	return lane->door[d].present &&
	       (lane->door[d].stuck ||
		lane->door[d].retries > lane->t.obstruct_retries);
}

/* --- phases -------------------------------------------------------------- */

/* Where a lane rests when nothing is going on. */
u32 egate_rest_phase(struct egate_lane *lane)
{
	if (lane->ctl && !lane->hb_lost && lane->mode == EGATE_MODE_NORMAL)
		return EGATE_ST_IDLE;
	return EGATE_ST_OUT_OF_SERVICE;
}

/* Every door open: the input is active now, or its latch is not reset. */
bool egate_emergency(struct egate_lane *lane)
{
	return lane->in.emergency || lane->phase == EGATE_ST_EMERGENCY;
}

/* The interlock yields to the emergency and to an officer's hold-open. */
static bool egate_interlock_exempt(struct egate_lane *lane)
{
	return egate_emergency(lane) ||
	       (lane->phase == EGATE_ST_HOLD_OPEN && lane->officer);
}

static bool egate_in_passage(struct egate_lane *lane)
{
	return lane->phase == EGATE_ST_AUTHORISED ||
	       lane->phase == EGATE_ST_PASSAGE ||
	       lane->phase == EGATE_ST_EXITING;
}

/* Phases an alarm interrupts; elsewhere it is only counted and reported. */
static bool egate_alarm_interrupts(struct egate_lane *lane)
{
	return egate_in_passage(lane) || lane->phase == EGATE_ST_IDLE ||
	       lane->phase == EGATE_ST_CLOSING;
}

/*
 * The one place an authorisation ends: reports how, once, to the event
 * stream and to the io_uring AUTHORISE command waiting for it, if any.
 */
void egate_auth_end(struct egate_lane *lane, u32 outcome)
{
	egate_dl_clear(lane, EGATE_DL_STATE);
	if (!lane->auth_active)
		return;
	lane->auth_active = false;
	egate_emit(lane, EGATE_EV_AUTH_END, outcome);
	egate_uring_auth_end(lane, outcome);
	lane->tag = 0;
}

static u32 egate_alarm_outcome(u32 alarm)
{
	switch (alarm) {
	case EGATE_ALARM_TAILGATING:
		return EGATE_OUT_TAILGATING;
	case EGATE_ALARM_WRONG_WAY:
		return EGATE_OUT_WRONG_WAY;
	default:
		return EGATE_OUT_ALARM;
	}
}

static void egate_raise_alarm(struct egate_lane *lane, u32 alarm)
{
	lane->cnt[EGATE_CNT_ALARM_BASE + alarm]++;
	egate_emit(lane, EGATE_EV_ALARM, alarm);
	if (!egate_alarm_interrupts(lane))
		return;
	egate_auth_end(lane, egate_alarm_outcome(alarm));
	lane->alarm = alarm;
	lane->phase = EGATE_ST_ALARM;
}

/*
 * A fault is latched and reported once until RESET.  During an emergency
 * it changes nothing else: the doors stay open (invariant 1), and the lane
 * shows the emergency until RESET, which re-checks the doors.  An alarm
 * already latched stays the one reported.
 */
static void egate_enter_fault(struct egate_lane *lane)
{
	if (lane->fault)
		return;
	lane->fault = true;
	lane->cnt[EGATE_CNT_ALARM_BASE + EGATE_ALARM_FAULT]++;
	egate_emit(lane, EGATE_EV_ALARM, EGATE_ALARM_FAULT);
	if (egate_emergency(lane))
		return;
	egate_auth_end(lane, EGATE_OUT_FAULT);
	if (lane->alarm == EGATE_ALARM_NONE)
		lane->alarm = EGATE_ALARM_FAULT;
	lane->phase = EGATE_ST_FAULT;
}

static void egate_enter_emergency(struct egate_lane *lane)
{
	lane->cnt[EGATE_CNT_ALARM_BASE + EGATE_ALARM_EMERGENCY]++;
	egate_auth_end(lane, EGATE_OUT_EMERGENCY);
	lane->emergency_latched = true;
	lane->alarm = EGATE_ALARM_EMERGENCY;
	lane->phase = EGATE_ST_EMERGENCY;
}

/*
 * Control lost (file closed, heartbeat missed): what the controller
 * started ends (an authorisation, its hold-open) and the lane goes out of
 * service.  Latched phases (emergency, fault, alarm, lock) and an
 * officer's hold-open are not the controller's to end.
 */
static void egate_lose_control(struct egate_lane *lane)
{
	switch (lane->phase) {
	case EGATE_ST_EMERGENCY:
	case EGATE_ST_FAULT:
	case EGATE_ST_ALARM:
	case EGATE_ST_LOCKED:
		return;
	case EGATE_ST_HOLD_OPEN:
		if (lane->officer)
			return;
		break;
	default:
		break;
	}
	egate_auth_end(lane, EGATE_OUT_OUT_OF_SERVICE);
	lane->phase = EGATE_ST_OUT_OF_SERVICE;
}

static void egate_passage_done(struct egate_lane *lane)
{
	lane->cnt[EGATE_CNT_PASSAGES]++;
	egate_emit(lane, EGATE_EV_PASSAGE_DONE,
		   (u32)lane->cnt[EGATE_CNT_PASSAGES]);
	egate_auth_end(lane, EGATE_OUT_COMPLETED);
	lane->done_at = jiffies;
	lane->phase = EGATE_ST_CLOSING;
}

/* --- doors, lamps, buzzer ------------------------------------------------ */

/*
 * Nobody trapped in a mantrap that is not running a passage.  The near
 * door is the one the occupant came in by (the entry, unless they walked
 * in reverse: @dir, which an intruder's alarm sets from the end they came
 * in at, see egate_came_in_at()).  An occupant who raised an alarm goes back out of the
 * near door; anyone else (a traveller whose lane went out of service,
 * locked or faulty) goes on out of the far door.  Either way the interlock
 * opens that door only once the other reads closed, so going on means the
 * near door closes first; a near door that cannot close (jammed or
 * obstructed: the fault or obstruction alarm is raised) or a far door
 * that cannot move sends the occupant back.
 */
static void egate_let_out(struct egate_lane *lane, bool want[EGATE_NDOORS])
{
	int near = egate_near_door(lane), far = egate_far_door(lane);
	bool back;

	if (lane->topology != EGATE_TOPO_MANTRAP || !lane->in.beams)
		return;
	back = lane->phase == EGATE_ST_ALARM ||
	       (lane->alarm != EGATE_ALARM_NONE &&
		lane->alarm != EGATE_ALARM_FAULT) ||
	       egate_door_failed(lane, near) || lane->door[far].stuck;
	want[back ? near : far] = true;
}

/* Which doors the phase wants open. */
static void egate_desire(struct egate_lane *lane, bool want[EGATE_NDOORS])
{
	bool mantrap = lane->topology == EGATE_TOPO_MANTRAP;
	int near = egate_near_door(lane), far = egate_far_door(lane);

	if (egate_emergency(lane)) {
		want[EGATE_DOOR_ENTRY] = true;
		want[EGATE_DOOR_EXIT] = true;
		return;
	}
	want[EGATE_DOOR_ENTRY] = false;
	want[EGATE_DOOR_EXIT] = false;

	switch (lane->phase) {
	case EGATE_ST_HOLD_OPEN:
		want[EGATE_DOOR_ENTRY] = true;
		want[EGATE_DOOR_EXIT] = true;
		break;
	case EGATE_ST_AUTHORISED:
		want[near] = true;
		break;
	case EGATE_ST_PASSAGE:
		/* Mantrap: the near door closes once the traveller is in. */
		if (!mantrap)
			want[near] = true;
		else
			want[near] = !(lane->entry_cleared &&
				       !(lane->in.beams & lane->door[near].zone));
		break;
	case EGATE_ST_EXITING:
		want[far] = true;
		break;
	case EGATE_ST_ALARM:
	case EGATE_ST_OUT_OF_SERVICE:
	case EGATE_ST_FAULT:
	case EGATE_ST_LOCKED:
		egate_let_out(lane, want);
		break;
	default:
		break;
	}
}

/* A closing attempt met a broken beam in the swing zone. */
static void egate_door_refused(struct egate_lane *lane, int d)
{
	struct egate_door *door = &lane->door[d];

	door->retries++;
	lane->cnt[EGATE_CNT_OBSTRUCT_RETRIES]++;
	egate_emit(lane, EGATE_EV_OBSTRUCTED, d | (door->retries << 8));
	egate_dl_set(lane, EGATE_DL_RETRY0 + d, lane->t.obstruct_retry_ms);
}

static void egate_door_drive(struct egate_lane *lane, int d, bool open)
{
	struct egate_door *door = &lane->door[d];

	if (door->cmd_open == open)
		return;
	door->cmd_open = open;
	egate_gpio_set(door->drive, open);
	/*
	 * Closed again before it left its closed switch: the actuator may
	 * still be answering the open pulse, so the door may yet move a
	 * little.  Keep it "travelling" for a travel time so that is not
	 * taken for a forced door (the deadline faults only a door that is
	 * not where it is driven).
	 */
	if (open && lane->in.door_pos[d] == EGATE_DOOR_OPEN)
		egate_dl_clear(lane, EGATE_DL_TRAVEL0 + d);
	else
		egate_dl_set(lane, EGATE_DL_TRAVEL0 + d, lane->t.door_travel_ms);
}

/*
 * Mantrap interlock: a door is driven open, or kept open, only while the
 * other reads closed; otherwise it closes under the swing-zone rule (a
 * door the other's unreadable switches or a forcing hand opened included).
 * The one exception is the anti-pinch yield in egate_door_apply(), which
 * drives open a door that is not closed with a person in its swing zone,
 * whatever the other does: opening onto a person beats pressing on them.
 * egate_settle() then drives the other door closed in the same pass where
 * its own zone is clear, an obstruction retry wait or not.
 */
static bool egate_interlock_allows(struct egate_lane *lane, int d)
{
	if (lane->topology != EGATE_TOPO_MANTRAP ||
	    egate_interlock_exempt(lane))
		return true;
	return egate_door_closed(lane, d == EGATE_DOOR_ENTRY ?
				 EGATE_DOOR_EXIT : EGATE_DOOR_ENTRY);
}

static bool egate_door_may_be_open(struct egate_lane *lane, int d)
{
	switch (lane->in.door_pos[d]) {
	case EGATE_DOOR_CLOSED:
		return false;
	case EGATE_DOOR_INVALID:
		return egate_dl_armed(lane, EGATE_DL_TRAVEL0 + d);
	default:
		return true;
	}
}

static void egate_door_apply(struct egate_lane *lane, int d, bool want_open)
{
	struct egate_door *door = &lane->door[d];
	bool blocked = lane->in.beams & door->zone;
	bool interlocked = !egate_interlock_allows(lane, d);

	if (!door->present)
		return;
	if (want_open && !interlocked) {
		door->retries = 0;
		egate_dl_clear(lane, EGATE_DL_RETRY0 + d);
		egate_door_drive(lane, d, true);
		return;
	}
	if (door->cmd_open) {
		/*
		 * Open and must close: only with the swing zone clear, and
		 * after a refused close, once its retry wait is over.  A door
		 * the interlock forbids to stay open (the other door is not
		 * closed: forced, or yielding to a person) does not wait: it
		 * closes the moment its own zone is clear.
		 */
		if (egate_dl_armed(lane, EGATE_DL_RETRY0 + d) &&
		    (blocked || !interlocked))
			return;
		if (blocked) {
			egate_door_refused(lane, d);
			return;
		}
		egate_dl_clear(lane, EGATE_DL_RETRY0 + d);
		egate_door_drive(lane, d, false);
		return;
	}
	/*
	 * Driven closed but not closed (closing, or held open by a hand):
	 * with a beam of its swing zone broken it yields, driven open, so it
	 * never presses on a person.  Impossible switches say nothing of
	 * where the door is: it yields only while it may still be moving
	 * (within its travel time), else a door at rest, shut, would be
	 * opened for whoever stands at it.  The refusal is reported first,
	 * while the record still shows the door driven closed.
	 */
	if (blocked && egate_door_may_be_open(lane, d)) {
		egate_door_refused(lane, d);
		egate_door_drive(lane, d, true);
	}
}

static void egate_lamps(struct egate_lane *lane, u32 vis)
{
	bool green = vis == EGATE_ST_AUTHORISED || vis == EGATE_ST_PASSAGE ||
		     vis == EGATE_ST_EXITING || vis == EGATE_ST_HOLD_OPEN;
	bool red = vis == EGATE_ST_OUT_OF_SERVICE || vis == EGATE_ST_ALARM ||
		   vis == EGATE_ST_OBSTRUCTED || vis == EGATE_ST_EMERGENCY ||
		   vis == EGATE_ST_FAULT || vis == EGATE_ST_LOCKED;
	bool steady = false, intermittent = false;

	if (vis == EGATE_ST_ALARM) {
		switch (lane->alarm) {
		case EGATE_ALARM_INTRUSION:
		case EGATE_ALARM_FORCED_DOOR:
			steady = true;
			break;
		default:
			intermittent = true;
			break;
		}
	}
	egate_gpio_set(lane->green, green);
	egate_gpio_set(lane->red, red);

	if (intermittent) {
		if (!egate_dl_armed(lane, EGATE_DL_BUZZER))
			egate_dl_set(lane, EGATE_DL_BUZZER, 250);
		egate_gpio_set(lane->buzzer, lane->buzz_on);
	} else {
		egate_dl_clear(lane, EGATE_DL_BUZZER);
		lane->buzz_on = false;
		egate_gpio_set(lane->buzzer, steady);
	}
}

/* Steps that only wait for doors to reach position. */
static void egate_progress(struct egate_lane *lane)
{
	if (lane->phase == EGATE_ST_PASSAGE &&
	    lane->topology == EGATE_TOPO_MANTRAP && lane->entry_cleared &&
	    egate_door_closed(lane, egate_near_door(lane)) &&
	    egate_blobs(lane->in.beams) == 1)
		lane->phase = EGATE_ST_EXITING;
	if (lane->phase == EGATE_ST_CLOSING && egate_doors_closed(lane)) {
		/* The last passage is over: its direction no longer counts. */
		lane->dir = EGATE_DIR_FORWARD;
		lane->phase = egate_rest_phase(lane);
	}
}

/* What the doors are driven to, a bit per door. */
static u32 egate_doors_cmd(struct egate_lane *lane)
{
	return lane->door[EGATE_DOOR_ENTRY].cmd_open |
	       lane->door[EGATE_DOOR_EXIT].cmd_open << 1;
}

/* Bring outputs in line with the phase and report the visible state. */
void egate_settle(struct egate_lane *lane)
{
	bool want[EGATE_NDOORS], obstructed = false;
	u32 vis, prev, phase, cmd;
	int d, pass;

	if (lane->dead)
		return;

	/*
	 * Drive the doors for the phase, then take the steps that only wait
	 * for doors; again if that changed the phase.
	 */
	for (pass = 0; pass < 3; pass++) {
		phase = lane->phase;
		cmd = egate_doors_cmd(lane);
		egate_desire(lane, want);
		for (d = 0; d < EGATE_NDOORS; d++)
			egate_door_apply(lane, d, want[d]);
		egate_progress(lane);
		/* Again where a door's change lets or makes the other move. */
		if (lane->phase == phase && egate_doors_cmd(lane) == cmd)
			break;
	}
	for (d = 0; d < EGATE_NDOORS; d++)
		if (lane->door[d].retries > lane->t.obstruct_retries)
			obstructed = true;
	if (obstructed && !lane->obstructed) {
		lane->cnt[EGATE_CNT_ALARM_BASE + EGATE_ALARM_OBSTRUCTION]++;
		egate_emit(lane, EGATE_EV_ALARM, EGATE_ALARM_OBSTRUCTION);
	}
	lane->obstructed = obstructed;

	vis = lane->phase;
	if (obstructed && vis != EGATE_ST_EMERGENCY && vis != EGATE_ST_FAULT)
		vis = EGATE_ST_OBSTRUCTED;
	egate_lamps(lane, vis);
	if (vis != lane->state) {
		prev = lane->state;
		lane->state = vis;
		egate_emit(lane, EGATE_EV_STATE, prev);
		sysfs_notify(&lane->dev.kobj, NULL, "state");
	}
	egate_dl_rearm(lane);
}

/* --- inputs -------------------------------------------------------------- */

/*
 * Someone came into a lane with no passage running (or one closing behind
 * its traveller): the end they stand at is the door they came in by, their
 * way back out (egate_let_out()).
 */
static void egate_came_in_at(struct egate_lane *lane, u32 fresh, u32 now)
{
	lane->dir = (fresh & egate_far_bit(lane)) && !(now & BIT(0)) ?
		    EGATE_DIR_REVERSE : EGATE_DIR_FORWARD;
}

static void egate_beams_changed(struct egate_lane *lane, u32 old, u32 now)
{
	u32 fresh = now & ~old;
	u32 l = egate_logical(lane, now);
	u32 lfresh = egate_logical(lane, fresh);

	switch (lane->phase) {
	case EGATE_ST_IDLE:
		if (!fresh)
			break;
		/* From the exit end: wrong way, and the way back is the exit. */
		egate_came_in_at(lane, fresh, now);
		egate_raise_alarm(lane, lane->dir == EGATE_DIR_REVERSE ?
				  EGATE_ALARM_WRONG_WAY : EGATE_ALARM_INTRUSION);
		break;
	case EGATE_ST_AUTHORISED:
		if (!lfresh)
			break;
		if (l & BIT(0)) {
			lane->reached = fls(l);
			lane->entry_cleared = false;
			lane->phase = EGATE_ST_PASSAGE;
			egate_emit(lane, EGATE_EV_PASSAGE_START, lane->dir);
			egate_dl_set(lane, EGATE_DL_STATE,
				     lane->t.passage_timeout_ms);
			break;
		}
		egate_raise_alarm(lane, lfresh & egate_far_bit(lane) ?
				  EGATE_ALARM_WRONG_WAY : EGATE_ALARM_INTRUSION);
		break;
	case EGATE_ST_PASSAGE:
	case EGATE_ST_EXITING:
		if (egate_blobs(l) > 1 ||
		    ((lfresh & BIT(0)) && lane->entry_cleared)) {
			/*
			 * Exiting, the near door is shut: whoever is new came
			 * in by the far door, open for the traveller to leave,
			 * and goes back out of it, the traveller with them.
			 */
			if (lane->topology == EGATE_TOPO_MANTRAP &&
			    lane->phase == EGATE_ST_EXITING)
				lane->dir = lane->dir == EGATE_DIR_FORWARD ?
					    EGATE_DIR_REVERSE : EGATE_DIR_FORWARD;
			egate_raise_alarm(lane, EGATE_ALARM_TAILGATING);
			break;
		}
		if (l && !(l & BIT(0)))
			lane->entry_cleared = true;
		lane->reached = max_t(u32, lane->reached, fls(l));
		if (l)
			break;
		/* The lane emptied: through the far end, or back out. */
		if (lane->reached >= lane->nbeams)
			egate_passage_done(lane);
		else
			egate_raise_alarm(lane, EGATE_ALARM_WRONG_WAY);
		break;
	case EGATE_ST_CLOSING:
		if (!fresh)
			break;
		egate_came_in_at(lane, fresh, now);
		/* Behind the last traveller, in their direction: tailgating. */
		if ((lfresh & BIT(0)) && lane->done_at &&
		    time_before(jiffies, lane->done_at +
				msecs_to_jiffies(lane->t.tailgate_gap_ms)))
			egate_raise_alarm(lane, EGATE_ALARM_TAILGATING);
		else if (fresh & egate_far_bit(lane) && !(now & BIT(0)))
			egate_raise_alarm(lane, EGATE_ALARM_WRONG_WAY);
		else
			egate_raise_alarm(lane, EGATE_ALARM_INTRUSION);
		break;
	default:
		break;
	}
}

static void egate_door_changed(struct egate_lane *lane, int d, u8 old, u8 now)
{
	struct egate_door *door = &lane->door[d];
	u8 target = door->cmd_open ? EGATE_DOOR_OPEN : EGATE_DOOR_CLOSED;
	bool travelling = egate_dl_armed(lane, EGATE_DL_TRAVEL0 + d);

	egate_emit(lane, EGATE_EV_DOOR, EGATE_DOOR_ARG(d, now));
	if (now == EGATE_DOOR_INVALID) {
		door->stuck = true;
		egate_enter_fault(lane);
		return;
	}
	if (now == target) {
		door->stuck = false;
		egate_dl_clear(lane, EGATE_DL_TRAVEL0 + d);
		if (now == EGATE_DOOR_CLOSED)
			door->retries = 0;
		return;
	}
	/* A closed door that opens without being driven was forced. */
	if (!door->cmd_open && !travelling && old == EGATE_DOOR_CLOSED)
		egate_raise_alarm(lane, EGATE_ALARM_FORCED_DOOR);
}

/* Called with the lane lock held, in IRQ-thread or poll-work context. */
void egate_sm_inputs(struct egate_lane *lane, const struct egate_inputs *in)
{
	struct egate_inputs old = lane->in;
	int d;

	lockdep_assert_held(&lane->lock);
	if (lane->dead)
		return;
	lane->in = *in;

	if (in->emergency != old.emergency)
		egate_emit(lane, EGATE_EV_EMERGENCY, in->emergency);
	/* On every sample, not on the edge: nothing may have left it. */
	if (in->emergency && lane->phase != EGATE_ST_EMERGENCY)
		egate_enter_emergency(lane);
	/* What could not be read is reported broken/active/invalid. */
	if (in->read_error)
		egate_enter_fault(lane);
	for (d = 0; d < EGATE_NDOORS; d++)
		if (lane->door[d].present && in->door_pos[d] != old.door_pos[d])
			egate_door_changed(lane, d, old.door_pos[d],
					   in->door_pos[d]);
	if (in->beams != old.beams) {
		lane->cnt[EGATE_CNT_BEAM_EDGES] += hweight32(in->beams ^ old.beams);
		egate_emit(lane, EGATE_EV_BEAMS, old.beams);
		egate_beams_changed(lane, old.beams, in->beams);
	}
	egate_settle(lane);
}

/* --- timers -------------------------------------------------------------- */

static void egate_deadline(struct egate_lane *lane, int which)
{
	int d;

	switch (which) {
	case EGATE_DL_STATE:
		if (lane->phase == EGATE_ST_AUTHORISED) {
			lane->cnt[EGATE_CNT_EXPIRED]++;
			egate_emit(lane, EGATE_EV_EXPIRED, 0);
			egate_auth_end(lane, EGATE_OUT_EXPIRED);
			lane->phase = EGATE_ST_CLOSING;
		} else if (egate_in_passage(lane)) {
			egate_raise_alarm(lane, EGATE_ALARM_LOITERING);
		}
		break;
	case EGATE_DL_HEARTBEAT:
		if (!lane->ctl || lane->hb_lost)
			break;
		lane->hb_lost = true;
		egate_emit(lane, EGATE_EV_HEARTBEAT_LOST, 0);
		egate_lose_control(lane);
		break;
	case EGATE_DL_TRAVEL0:
	case EGATE_DL_TRAVEL1:
		/* Jammed: the door never reached where it was driven. */
		d = which - EGATE_DL_TRAVEL0;
		if (lane->in.door_pos[d] != (lane->door[d].cmd_open ?
					      EGATE_DOOR_OPEN : EGATE_DOOR_CLOSED)) {
			lane->door[d].stuck = true;
			egate_enter_fault(lane);
		}
		break;
	case EGATE_DL_BUZZER:
		lane->buzz_on = !lane->buzz_on;
		egate_dl_set(lane, EGATE_DL_BUZZER, 250);
		break;
	default:
		/* Obstruction retries: egate_settle() tries again. */
		break;
	}
}

void egate_sm_timer(struct egate_lane *lane)
{
	unsigned long now = jiffies;
	int i;

	mutex_lock(&lane->lock);
	if (lane->dead)
		goto unlock;
	for (i = 0; i < EGATE_DL_COUNT; i++) {
		if (!egate_dl_armed(lane, i) || time_before(now, lane->dl[i]))
			continue;
		egate_dl_clear(lane, i);
		egate_deadline(lane, i);
	}
	egate_settle(lane);
unlock:
	mutex_unlock(&lane->lock);
}

/* --- controller ---------------------------------------------------------- */

/* Called with the lane lock held. */
void egate_sm_claim(struct egate_lane *lane, struct egate_reader *r)
{
	lockdep_assert_held(&lane->lock);
	if (lane->ctl || lane->dead)
		return;
	lane->ctl = r;
	lane->ctl_pid = get_pid(task_tgid(current));
	egate_emit(lane, EGATE_EV_CONTROLLER, 1);
	egate_dl_set(lane, EGATE_DL_HEARTBEAT, lane->t.heartbeat_ms);
	if (lane->phase == EGATE_ST_OUT_OF_SERVICE)
		lane->phase = egate_rest_phase(lane);
	egate_settle(lane);
}

/* Called with the lane lock held. */
void egate_sm_release(struct egate_lane *lane, struct egate_reader *r)
{
	lockdep_assert_held(&lane->lock);
	if (lane->ctl != r)
		return;
	lane->ctl = NULL;
	put_pid(lane->ctl_pid);
	lane->ctl_pid = NULL;
	egate_dl_clear(lane, EGATE_DL_HEARTBEAT);
	if (lane->dead)
		return;
	egate_emit(lane, EGATE_EV_CONTROLLER, 0);
	egate_lose_control(lane);
	egate_settle(lane);
}

/* Called with the lane lock held, as the lane is removed. */
void egate_sm_remove(struct egate_lane *lane)
{
	lockdep_assert_held(&lane->lock);
	egate_auth_end(lane, EGATE_OUT_REMOVED);
}

/*
 * Called with the lane lock held, before the lane goes live, with @lane->in
 * read from the lines and no output driven yet: decides the starting phase
 * and what each door is to be driven to (egate_gpio_outputs_init() then
 * drives it).  A door that does not read closed is taken as driven open, so
 * that egate_sm_start() closes it only under the swing-zone rule.
 */
void egate_sm_init(struct egate_lane *lane)
{
	int d;

	for (d = 0; d < EGATE_NDOORS; d++)
		lane->door[d].cmd_open = lane->door[d].present &&
			lane->in.door_pos[d] != EGATE_DOOR_CLOSED;
	lane->phase = EGATE_ST_OUT_OF_SERVICE;
	lane->state = EGATE_ST_OUT_OF_SERVICE;
	lane->mode = EGATE_MODE_NORMAL;
	/* An emergency present at start-up is an emergency. */
	if (lane->in.emergency)
		egate_enter_emergency(lane);
	for (d = 0; d < EGATE_NDOORS; d++)
		if (lane->door[d].present &&
		    lane->in.door_pos[d] == EGATE_DOOR_INVALID) {
			lane->door[d].stuck = true;
			egate_enter_fault(lane);
		}
	if (lane->in.read_error)
		egate_enter_fault(lane);
}

/* Called with the lane lock held, once the outputs are initialised. */
void egate_sm_start(struct egate_lane *lane)
{
	lockdep_assert_held(&lane->lock);
	egate_settle(lane);
}

/* Called with the lane lock held after a sysfs write changed @lane->t. */
void egate_sm_timings_changed(struct egate_lane *lane)
{
	lockdep_assert_held(&lane->lock);
	if (egate_dl_armed(lane, EGATE_DL_HEARTBEAT))
		egate_dl_set(lane, EGATE_DL_HEARTBEAT, lane->t.heartbeat_ms);
	egate_dl_rearm(lane);
}
