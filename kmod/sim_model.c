// SPDX-License-Identifier: GPL-2.0
/*
 * egate_sim - the physical model behind the simulated lane.
 *
 * Positions are in mm along the lane.  Beam i sits at 200 * (i + 1); the
 * entry door's hinge line at 100, the exit door's 100 past the last beam.
 * Each door swings into the lane over two beams.  Every tick (10 ms):
 * doors move toward what their drive line says, taking door_ms for the
 * full travel, and stop (never crush) while a body is in their swing
 * zone; travellers walk at their speed, stand still where told to, and
 * cannot pass a door that is not fully open.  The beam, switch and
 * emergency lines follow, and edges raise interrupts.
 *
 * Truth for checkers: a traveller who leaves through the far end counts
 * as crossed (per direction); a door driven closed (drive line low), not
 * shut, with a beam of its swing zone broken (by a body or a forced
 * "beam N 1", not by chatter) for more than pinch_allow consecutive ticks
 * counts one pinch per further tick.  The allowance is the driver's
 * reaction time: beam edge, IRQ thread or polled debounce, one tick.
 * The model itself never crushes: the door stops while a body is in its
 * swing zone.  A door whose switches cannot be read (fault, readerr) and
 * whose drive has kept its level for longer than pinch_blind_ms counts no
 * pinch: past its travel time the driver takes it as shut, by contract
 * (Documentation/egate-lane.md, rule 3).
 */
#include <linux/jiffies.h>
#include <linux/minmax.h>

#include "sim.h"

#define SIM_TICK_MS	10
#define SIM_MAX_STEP_MS	(2 * SIM_TICK_MS)
#define SIM_ENTRY_X	100
#define SIM_PERSONAL_SPACE 50

int sim_beam_x(unsigned int beam)
{
	return SIM_BEAM_SPACING * (beam + 1);
}

/* Where a traveller walking in @dir starts: just outside the lane. */
int sim_lane_start(struct egate_sim *sim, int dir)
{
	return dir > 0 ? SIM_ENTRY_X - 200 :
	       sim_beam_x(sim->nbeams - 1) + 300;
}

static void sim_body(const struct sim_traveller *t, int *lo, int *hi)
{
	if (t->dir > 0) {
		*lo = t->front - t->length;
		*hi = t->front;
	} else {
		*lo = t->front;
		*hi = t->front + t->length;
	}
}

/* Called with the lock held. */
bool sim_zone_occupied(struct egate_sim *sim, struct sim_door *door)
{
	int zlo = min(door->x, door->x + door->swing);
	int zhi = max(door->x, door->x + door->swing);
	int lo, hi, i;

	for (i = 0; i < SIM_MAX_TRAVELLERS; i++) {
		if (!sim->tr[i].active)
			continue;
		sim_body(&sim->tr[i], &lo, &hi);
		if (hi >= zlo && lo <= zhi)
			return true;
	}
	return false;
}

/* Travellers whose body is between the entry and the exit end; lock held. */
int sim_inside(struct egate_sim *sim)
{
	int end = sim_beam_x(sim->nbeams - 1) + 100;
	int lo, hi, i, n = 0;

	for (i = 0; i < SIM_MAX_TRAVELLERS; i++) {
		if (!sim->tr[i].active)
			continue;
		sim_body(&sim->tr[i], &lo, &hi);
		if (hi >= SIM_ENTRY_X && lo <= end)
			n++;
	}
	return n;
}

/* The beams of door @d's swing zone. */
static u32 sim_zone_beams(struct egate_sim *sim, int d)
{
	u32 zone = GENMASK(SIM_SWING_BEAMS - 1, 0);

	return d ? zone << (sim->nbeams - SIM_SWING_BEAMS) : zone;
}

/* Count a tick of a door driven closed onto a broken swing-zone beam. */
static void sim_pinch_check(struct egate_sim *sim, int d, bool drive,
			    unsigned int ms)
{
	struct sim_door *door = &sim->door[d];
	bool blind = door->fault || (sim->readerr & (SIM_RDERR_ENTRY << d));

	if (drive != door->drive) {
		door->drive = drive;
		door->still_ms = 0;
	} else if (door->still_ms < UINT_MAX - ms) {
		door->still_ms += ms;
	}
	if (!drive && door->pos > SIM_DOOR_SHUT &&
	    (sim->body_beams & sim_zone_beams(sim, d)) &&
	    !(blind && door->still_ms > sim->pinch_blind_ms)) {
		if (++door->pinch_ticks > sim->pinch_allow)
			sim->pinch++;
	} else {
		door->pinch_ticks = 0;
	}
}

static void sim_door_step(struct egate_sim *sim, int d, unsigned int ms)
{
	struct sim_door *door = &sim->door[d];
	bool drive = test_bit(d ? SIM_EXIT_DRIVE : SIM_ENTRY_DRIVE,
			      &sim->levels);
	int step = ms * SIM_DOOR_WIDE / max(sim->door_ms, 1u);

	if (!door->present)
		return;
	sim_pinch_check(sim, d, drive, ms);
	if (door->forced) {
		door->pos = SIM_DOOR_WIDE;
		return;
	}
	if (door->jammed)
		return;
	if (drive)
		door->pos = min(door->pos + step, SIM_DOOR_WIDE);
	else if (!sim_zone_occupied(sim, door))
		door->pos = max(door->pos - step, SIM_DOOR_SHUT);
}

static void sim_walk(struct egate_sim *sim, struct sim_traveller *t,
		     unsigned int ms)
{
	int next, lo, hi, d;

	if (time_before(jiffies, t->start_at))
		return;
	if (t->stop_until) {
		if (time_before(jiffies, t->stop_until))
			return;
		t->stop_at = INT_MIN;
	}
	next = t->front + t->dir * (int)(t->speed * ms / 1000);
	if (t->stop_at != INT_MIN && !t->stop_until &&
	    (t->dir > 0 ? next >= t->stop_at : next <= t->stop_at)) {
		next = t->stop_at;
		t->stop_until = jiffies + msecs_to_jiffies(t->stop_ms) ?: 1;
	}
	/* Nobody walks into the traveller ahead of them. */
	for (d = 0; d < SIM_MAX_TRAVELLERS; d++) {
		struct sim_traveller *o = &sim->tr[d];

		if (o == t || !o->active || o->dir != t->dir)
			continue;
		sim_body(o, &lo, &hi);
		if (t->dir > 0 && o->front > t->front)
			next = min(next, lo - SIM_PERSONAL_SPACE);
		if (t->dir < 0 && o->front < t->front)
			next = max(next, hi + SIM_PERSONAL_SPACE);
	}
	if (t->dir > 0 ? next < t->front : next > t->front)
		next = t->front;
	/* A door not fully open stops the traveller in front of it. */
	for (d = 0; d < 2; d++) {
		struct sim_door *door = &sim->door[d];

		if (!door->present || door->pos >= SIM_DOOR_WIDE)
			continue;
		if (t->dir > 0 && t->front < door->x && next >= door->x)
			next = door->x - 1;
		if (t->dir < 0 && t->front > door->x && next <= door->x)
			next = door->x + 1;
	}
	t->front = next;

	/* Gone once past the far end of the lane. */
	sim_body(t, &lo, &hi);
	if ((t->dir > 0 && lo > sim_beam_x(sim->nbeams - 1) + 400) ||
	    (t->dir < 0 && hi < SIM_ENTRY_X - 300)) {
		t->active = false;
		sim->crossed[t->dir < 0]++;
	}
}

/* Recompute the input levels; returns the lines whose level changed. */
static unsigned long sim_inputs(struct egate_sim *sim)
{
	unsigned long old = sim->levels, now = old;
	u32 beams = 0;
	int lo, hi, i, b, d;

	for (i = 0; i < SIM_MAX_TRAVELLERS; i++) {
		if (!sim->tr[i].active)
			continue;
		sim_body(&sim->tr[i], &lo, &hi);
		for (b = 0; b < sim->nbeams; b++)
			if (sim_beam_x(b) >= lo && sim_beam_x(b) <= hi)
				beams |= BIT(b);
	}
	beams = (beams & ~sim->ovr_mask) | (sim->ovr_val & sim->ovr_mask);
	sim->body_beams = beams;
	if (sim->chatter_on)
		beams |= sim->chatter;
	for (b = 0; b < sim->nbeams; b++)
		__assign_bit(SIM_BEAM0 + b, &now, beams & BIT(b));

	for (d = 0; d < 2; d++) {
		struct sim_door *door = &sim->door[d];
		unsigned int sw = d ? SIM_EXIT_OPEN : SIM_ENTRY_OPEN;

		if (!door->present)
			continue;
		__assign_bit(sw, &now,
			     door->fault || door->pos >= SIM_DOOR_WIDE);
		__assign_bit(sw + 1, &now,
			     door->fault || door->pos <= SIM_DOOR_SHUT);
	}
	__assign_bit(SIM_EMERGENCY, &now, !sim->emergency);
	sim->levels = now;
	if (old != now)
		sim->edges += hweight_long(old ^ now);
	return old ^ now;
}

/*
 * Step the model (when @ms > 0) and recompute the lines; raise the
 * interrupts of the edges.  Any context.
 */
static void sim_model_run(struct egate_sim *sim, unsigned int ms)
{
	unsigned long flags, changed, fire;
	int i, d;

	raw_spin_lock_irqsave(&sim->lock, flags);
	if (ms) {
		sim->ticks++;
		sim->chatter_on = !sim->chatter_on;
	}
	for (d = 0; d < 2 && ms; d++)
		sim_door_step(sim, d, ms);
	for (i = 0; i < SIM_MAX_TRAVELLERS && ms; i++)
		if (sim->tr[i].active)
			sim_walk(sim, &sim->tr[i], ms);
	changed = sim_inputs(sim);
	fire = changed & sim->irq_en &
	       ((sim->levels & sim->irq_rise) | (~sim->levels & sim->irq_fall));
	sim->irqs_raised += hweight_long(fire);
	raw_spin_unlock_irqrestore(&sim->lock, flags);

	if (fire)
		sim_chip_raise(sim, fire);
}

void sim_model_update(struct egate_sim *sim)
{
	sim_model_run(sim, 0);
}

static void sim_tick(struct timer_list *t)
{
	struct egate_sim *sim = from_timer(sim, t, tick);
	unsigned long now = jiffies, flags;
	unsigned int ms;
	bool stopping;

	raw_spin_lock_irqsave(&sim->lock, flags);
	/*
	 * A late tick (a stalled or emulated host) advances the model by at
	 * most SIM_MAX_STEP_MS: the simulated world slows down rather than
	 * letting a traveller jump over beams that real hardware would have
	 * seen broken one after the other.
	 */
	ms = min(jiffies_to_msecs(now - sim->last_tick), SIM_MAX_STEP_MS);
	sim->last_tick = now;
	stopping = sim->stopping;
	raw_spin_unlock_irqrestore(&sim->lock, flags);
	if (stopping)
		return;

	sim_model_run(sim, ms);
	mod_timer(&sim->tick, now + msecs_to_jiffies(SIM_TICK_MS));
}

/* Add a traveller; -ENOSPC when the lane is full of them. */
int sim_model_add(struct egate_sim *sim, const struct sim_traveller *t)
{
	unsigned long flags;
	int i, ret = -ENOSPC;

	raw_spin_lock_irqsave(&sim->lock, flags);
	for (i = 0; i < SIM_MAX_TRAVELLERS; i++) {
		if (sim->tr[i].active)
			continue;
		sim->tr[i] = *t;
		sim->tr[i].active = true;
		ret = 0;
		break;
	}
	raw_spin_unlock_irqrestore(&sim->lock, flags);
	return ret;
}

void sim_model_init(struct egate_sim *sim)
{
	int swing = SIM_SWING_BEAMS * SIM_BEAM_SPACING;

	raw_spin_lock_init(&sim->lock);
	raw_spin_lock_init(&sim->fire_lock);
	sim->door[0].present = true;
	sim->door[0].x = SIM_ENTRY_X;
	sim->door[0].swing = swing;
	sim->door[1].present = sim->topology == EGATE_TOPO_MANTRAP;
	sim->door[1].x = sim_beam_x(sim->nbeams - 1) + 100;
	sim->door[1].swing = -swing;
	/* Levels at power-up: doors shut, emergency contact closed. */
	sim_inputs(sim);
	timer_setup(&sim->tick, sim_tick, 0);
}

void sim_model_start(struct egate_sim *sim)
{
	sim->last_tick = jiffies;
	mod_timer(&sim->tick, jiffies + msecs_to_jiffies(SIM_TICK_MS));
}

void sim_model_stop(struct egate_sim *sim)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&sim->lock, flags);
	sim->stopping = true;
	raw_spin_unlock_irqrestore(&sim->lock, flags);
	del_timer_sync(&sim->tick);
}
