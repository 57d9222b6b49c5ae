// SPDX-License-Identifier: GPL-2.0
/*
 * egate - the lane's GPIO lines: getting them, sampling the inputs on
 * interrupts or by polling (with per-line debounce), driving outputs.
 *
 * Interrupt mode needs an interrupt on every input; then each edge is
 * counted and wakes a threaded handler that samples all inputs under the
 * lane lock (edges faster than the thread merge into one sample, but every
 * one is counted), and a 100 ms timer reads them too, so a line that fails
 * or an edge the chip lost is seen without waiting for an edge.  Otherwise
 * (or with egate.poll=1) an hrtimer fires every poll_ms and queues a work
 * item on egate_wq (WQ_HIGHPRI), which samples the inputs; each line
 * accepts a new value once it has read it debounce times in a row, on its
 * own (see egate_debounce_sample()).  The timer keeps
 * the period exact, not rounded to jiffies; the reads happen in the work
 * because a GPIO chip may sleep.  Both paths use the _cansleep accessors,
 * so expanders behind I2C or USB work.
 */
#include <linux/bitmap.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/ktime.h>

#include "egate_priv.h"

void egate_gpio_set(struct gpio_desc *desc, bool on)
{
	if (desc)
		gpiod_set_value_cansleep(desc, on);
}

/*
 * Called with the lane lock held, after the inputs were read and
 * egate_sm_init() decided what each door is driven to.  The output lines
 * were requested as they were (GPIOD_ASIS), so this is the first time any
 * of them is driven (invariant 7: inputs are read before any door is
 * driven; requesting them low would pulse a door closed on whoever stands
 * in it).  Doors take door[d].cmd_open, lamps and buzzer start off.
 */
int egate_gpio_outputs_init(struct egate_lane *lane)
{
	struct gpio_desc *off[] = { lane->green, lane->red, lane->buzzer };
	unsigned int i;
	int d, ret;

	for (d = 0; d < EGATE_NDOORS; d++) {
		if (!lane->door[d].present)
			continue;
		ret = gpiod_direction_output(lane->door[d].drive,
					     lane->door[d].cmd_open);
		if (ret)
			return ret;
	}
	for (i = 0; i < ARRAY_SIZE(off); i++) {
		if (!off[i])
			continue;
		ret = gpiod_direction_output(off[i], 0);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Called with the lane lock held as the lane goes (unbind, rmmod,
 * delete_device, a failed probe), before it is marked dead: leave every
 * output in the wiring's declared fail state, since nothing will supervise
 * the doors from now on (invariant 7).
 *
 * fail=open drives every door open.  fail=closed drives a door closed only
 * when its swing zone reads clear on a fresh read of the beams (a beam
 * that cannot be read counts as broken, invariant 3), and open otherwise.
 * With the emergency input active (or unreadable) every door is driven
 * open whatever the fail state.  Lamps and buzzer are switched off.
 */
void egate_gpio_fail_state(struct egate_lane *lane)
{
	struct gpio_desc *off[] = { lane->green, lane->red, lane->buzzer };
	bool open[EGATE_NDOORS] = { false };
	struct egate_inputs in;
	struct egate_door *door;
	unsigned int i;
	int d;

	lockdep_assert_held(&lane->lock);
	egate_gpio_read(lane, &in);
	for (d = 0; d < EGATE_NDOORS; d++) {
		door = &lane->door[d];
		if (!door->present)
			continue;
		open[d] = !lane->fail_closed || in.emergency ||
			  (in.beams & door->zone);
		egate_gpio_set(door->drive, open[d]);
		door->cmd_open = open[d];
	}
	for (i = 0; i < ARRAY_SIZE(off); i++)
		egate_gpio_set(off[i], false);
	dev_info(&lane->dev, "fail state (fail=%s): entry door driven %s%s\n",
		 lane->fail_closed ? "closed" : "open",
		 open[EGATE_DOOR_ENTRY] ? "open" : "closed",
		 !lane->door[EGATE_DOOR_EXIT].present ? "" :
		 open[EGATE_DOOR_EXIT] ? ", exit door driven open" :
		 ", exit door driven closed");
}

/*
 * Every input line has an index, the bit it takes in the polled-mode
 * bitmaps of struct egate_lane and in struct egate_sample: the beams from
 * 0, then the emergency input, then each door's open and closed switch.
 */
#define EGATE_LINE_EMERGENCY	EGATE_MAX_BEAMS
#define EGATE_LINE_SW(d, open)	(EGATE_MAX_BEAMS + 1 + 2 * (d) + !(open))

static_assert(EGATE_LINE_SW(EGATE_NDOORS - 1, false) < EGATE_MAX_INPUTS);
static_assert(EGATE_MAX_INPUTS <= 64);

/**
 * struct egate_sample - one raw read of every input line, bit per line
 * @val: logical value of each line read
 * @err: lines that could not be read (their @val bit is 0)
 */
struct egate_sample {
	u64 val;
	u64 err;
};

static u64 egate_line_mask(struct egate_lane *lane)
{
	u64 mask = GENMASK_ULL(lane->nbeams - 1, 0) |
		   BIT_ULL(EGATE_LINE_EMERGENCY);
	int d;

	for (d = 0; d < EGATE_NDOORS; d++)
		if (lane->door[d].present)
			mask |= BIT_ULL(EGATE_LINE_SW(d, true)) |
				BIT_ULL(EGATE_LINE_SW(d, false));
	return mask;
}

static void egate_read_line(struct gpio_desc *desc, unsigned int line,
			    struct egate_sample *s)
{
	int v = gpiod_get_value_cansleep(desc);

	if (v < 0)
		s->err |= BIT_ULL(line);
	else if (v)
		s->val |= BIT_ULL(line);
}

/* Called with the lane lock held and the lane alive. */
static void egate_gpio_sample(struct egate_lane *lane, struct egate_sample *s)
{
	DECLARE_BITMAP(values, EGATE_MAX_BEAMS) = { 0 };
	struct gpio_descs *b = lane->beam_descs;
	int d;

	s->val = 0;
	s->err = 0;
	if (gpiod_get_array_value_cansleep(b->ndescs, b->desc, b->info,
					   values) == 0)
		s->val = (u32)values[0];
	else
		s->err = GENMASK_ULL(lane->nbeams - 1, 0);
	egate_read_line(lane->emergency, EGATE_LINE_EMERGENCY, s);
	for (d = 0; d < EGATE_NDOORS; d++) {
		if (!lane->door[d].present)
			continue;
		egate_read_line(lane->door[d].sw_open, EGATE_LINE_SW(d, true),
				s);
		egate_read_line(lane->door[d].sw_closed,
				EGATE_LINE_SW(d, false), s);
	}
}

static u8 egate_door_pos(const struct egate_sample *s, int d)
{
	u64 open = BIT_ULL(EGATE_LINE_SW(d, true));
	u64 closed = BIT_ULL(EGATE_LINE_SW(d, false));

	if (s->err & (open | closed))
		return EGATE_DOOR_INVALID;
	if ((s->val & open) && (s->val & closed))
		return EGATE_DOOR_INVALID;
	if (s->val & open)
		return EGATE_DOOR_OPEN;
	return s->val & closed ? EGATE_DOOR_CLOSED : EGATE_DOOR_MOVING;
}

/*
 * The inputs as the state machine sees them.  What cannot be read is
 * reported in its fail-safe value -- beam broken, emergency active, door
 * EGATE_DOOR_INVALID -- with read_error set, so the state machine latches
 * a fault.  (A door with both switches active is a door fault, not a read
 * error.)
 */
static void egate_sample_inputs(struct egate_lane *lane,
				const struct egate_sample *s,
				struct egate_inputs *in)
{
	u64 safe = s->val | s->err;
	int d;

	memset(in, 0, sizeof(*in));
	in->beams = (u32)(safe & GENMASK_ULL(lane->nbeams - 1, 0));
	in->emergency = safe & BIT_ULL(EGATE_LINE_EMERGENCY);
	for (d = 0; d < EGATE_NDOORS; d++)
		if (lane->door[d].present)
			in->door_pos[d] = egate_door_pos(s, d);
	in->read_error = s->err != 0;
}

/* Called with the lane lock held and the lane alive. */
void egate_gpio_read(struct egate_lane *lane, struct egate_inputs *in)
{
	struct egate_sample s;

	egate_gpio_sample(lane, &s);
	egate_sample_inputs(lane, &s, in);
}

/* Hard IRQ: count every edge the chip reports, sample in the thread. */
static irqreturn_t egate_irq(int irq, void *data)
{
	struct egate_lane *lane = data;

	atomic64_inc(&lane->irq_count);
	return IRQ_WAKE_THREAD;
}

static irqreturn_t egate_irq_thread(int irq, void *data)
{
	struct egate_lane *lane = data;
	struct egate_inputs in;

	mutex_lock(&lane->lock);
	if (!lane->dead) {
		egate_gpio_read(lane, &in);
		egate_sm_inputs(lane, &in);
	}
	mutex_unlock(&lane->lock);
	return IRQ_HANDLED;
}

/*
 * Polled mode, per-line debounce (invariant 8): each line accepts a new
 * value once it has read that value debounce samples in a row, whatever the
 * other lines do, so a chattering beam delays nothing but itself and the
 * emergency input or a swing-zone beam is acted on within poll_ms *
 * debounce plus one period.
 *
 * Fail-safety: a line that cannot be read is accepted at once, without
 * debounce, in its fail-safe value with read_error set (a failing chip is
 * not a glitch to ride out, and waiting would report its old, possibly
 * clear, value meanwhile).  It returns to a read value only after
 * debounce good reads.  Changes between read values are debounced the same
 * way in both directions: accepting "broken" or "emergency" at once would
 * turn every glitch into an alarm, and the bound above already holds.
 *
 * Returns whether any accepted value changed.
 */
static bool egate_debounce_sample(struct egate_lane *lane,
				  const struct egate_sample *s)
{
	u64 acc = lane->acc, err = lane->acc_err, bit;
	DECLARE_BITMAP(lines, EGATE_MAX_INPUTS);
	unsigned int i;

	bitmap_from_u64(lines, egate_line_mask(lane));
	for_each_set_bit(i, lines, EGATE_MAX_INPUTS) {
		bit = BIT_ULL(i);
		if (s->err & bit) {
			err |= bit;
			lane->cand_count[i] = 0;
			continue;
		}
		if ((s->val ^ lane->cand) & bit) {
			lane->cand ^= bit;
			lane->cand_count[i] = 1;
		} else if (lane->cand_count[i] < egate_debounce) {
			lane->cand_count[i]++;
		}
		if (lane->cand_count[i] >= egate_debounce) {
			acc = (acc & ~bit) | (lane->cand & bit);
			err &= ~bit;
		}
	}
	if (acc == lane->acc && err == lane->acc_err)
		return false;
	lane->acc = acc;
	lane->acc_err = err;
	return true;
}

/*
 * Polled mode: take the lines as they are now as accepted, then tell the
 * state machine if that differs from what it has (something changed since
 * probe read the inputs).  Lane lock held.
 */
static void egate_debounce_seed(struct egate_lane *lane)
{
	struct egate_sample s;
	struct egate_inputs in;
	unsigned int i;

	egate_gpio_sample(lane, &s);
	lane->cand = s.val;
	/* An unreadable line still needs debounce good reads to clear. */
	for (i = 0; i < EGATE_MAX_INPUTS; i++)
		lane->cand_count[i] = s.err & BIT_ULL(i) ? 0 : egate_debounce;
	lane->acc = s.val;
	lane->acc_err = s.err;
	egate_sample_inputs(lane, &s, &in);
	if (memcmp(&in, &lane->in, sizeof(in)))
		egate_sm_inputs(lane, &in);
}

/*
 * Interrupt mode reads the lines on edges only, so a line that can no
 * longer be read, or an edge the chip lost, would go unseen until the next
 * edge.  The same timer then supervises: every EGATE_SUPERVISE_MS the
 * lines are read as the interrupt thread reads them, and the state machine
 * hears of any difference (invariant 3: what cannot be read is acted on).
 */
#define EGATE_SUPERVISE_MS	100

static unsigned int egate_timer_ms(struct egate_lane *lane)
{
	return lane->irq_mode ? EGATE_SUPERVISE_MS : egate_poll_ms;
}

static void egate_poll_work(struct work_struct *work)
{
	struct egate_lane *lane = container_of(work, struct egate_lane,
					       poll_work);
	struct egate_sample s, acc;
	struct egate_inputs in;

	mutex_lock(&lane->lock);
	if (lane->dead)
		goto unlock;
	if (lane->irq_mode) {
		egate_gpio_read(lane, &in);
		if (memcmp(&in, &lane->in, sizeof(in)))
			egate_sm_inputs(lane, &in);
		goto unlock;
	}
	egate_gpio_sample(lane, &s);
	if (egate_debounce_sample(lane, &s)) {
		acc.val = lane->acc;
		acc.err = lane->acc_err;
		egate_sample_inputs(lane, &acc, &in);
		egate_sm_inputs(lane, &in);
	}
unlock:
	mutex_unlock(&lane->lock);
}

/*
 * Hard IRQ context: only queue the sampling.  A sample still queued or
 * running when the next period starts is not queued twice; that period's
 * sample is skipped, the next one is on time.  Once the lane is dead the
 * timer stops re-arming itself (egate_gpio_stop() cancels it anyway).
 */
static enum hrtimer_restart egate_poll_timer(struct hrtimer *timer)
{
	struct egate_lane *lane = container_of(timer, struct egate_lane,
					       poll_timer);

	if (READ_ONCE(lane->dead))
		return HRTIMER_NORESTART;
	queue_work(egate_wq, &lane->poll_work);
	hrtimer_forward_now(timer, ms_to_ktime(egate_timer_ms(lane)));
	return HRTIMER_RESTART;
}

static void egate_poll_start(struct egate_lane *lane)
{
	mutex_lock(&lane->lock);
	egate_debounce_seed(lane);
	mutex_unlock(&lane->lock);
	queue_work(egate_wq, &lane->poll_work);
	hrtimer_start(&lane->poll_timer, ms_to_ktime(egate_poll_ms),
		      HRTIMER_MODE_REL);
}

static int egate_get_door(struct egate_lane *lane, struct device *dev, int d)
{
	struct egate_door *door = &lane->door[d];
	const char * const *con = egate_door_con[d];

	/* As it is: egate_gpio_outputs_init() drives it, inputs read first. */
	door->drive = devm_gpiod_get(dev, con[EGATE_DOOR_DRIVE], GPIOD_ASIS);
	if (IS_ERR(door->drive))
		return PTR_ERR(door->drive);
	door->sw_open = devm_gpiod_get(dev, con[EGATE_DOOR_SW_OPEN], GPIOD_IN);
	if (IS_ERR(door->sw_open))
		return PTR_ERR(door->sw_open);
	door->sw_closed = devm_gpiod_get(dev, con[EGATE_DOOR_SW_CLOSED],
					 GPIOD_IN);
	if (IS_ERR(door->sw_closed))
		return PTR_ERR(door->sw_closed);
	door->present = true;
	return 0;
}

/* Get every line of the lane described by @w; devm on @dev. */
int egate_gpio_get(struct egate_lane *lane, struct device *dev,
		   const struct egate_wiring *w)
{
	u32 zone = GENMASK(lane->swing - 1, 0);
	int ret;

	ret = egate_get_door(lane, dev, EGATE_DOOR_ENTRY);
	if (ret)
		return ret;
	lane->door[EGATE_DOOR_ENTRY].zone = zone;
	if (w->topology == EGATE_TOPO_MANTRAP) {
		ret = egate_get_door(lane, dev, EGATE_DOOR_EXIT);
		if (ret)
			return ret;
		lane->door[EGATE_DOOR_EXIT].zone = zone <<
						   (lane->nbeams - lane->swing);
	}
	lane->beam_descs = devm_gpiod_get_array(dev, "beam", GPIOD_IN);
	if (IS_ERR(lane->beam_descs))
		return PTR_ERR(lane->beam_descs);
	if (lane->beam_descs->ndescs != lane->nbeams)
		return -EINVAL;
	lane->emergency = devm_gpiod_get(dev, "emergency", GPIOD_IN);
	if (IS_ERR(lane->emergency))
		return PTR_ERR(lane->emergency);
	lane->green = devm_gpiod_get_optional(dev, "lamp-green", GPIOD_ASIS);
	if (IS_ERR(lane->green))
		return PTR_ERR(lane->green);
	lane->red = devm_gpiod_get_optional(dev, "lamp-red", GPIOD_ASIS);
	if (IS_ERR(lane->red))
		return PTR_ERR(lane->red);
	lane->buzzer = devm_gpiod_get_optional(dev, "buzzer", GPIOD_ASIS);
	return PTR_ERR_OR_ZERO(lane->buzzer);
}

static unsigned int egate_inputs_list(struct egate_lane *lane,
				      struct gpio_desc **descs)
{
	unsigned int n = 0, i;
	int d;

	for (i = 0; i < lane->beam_descs->ndescs; i++)
		descs[n++] = lane->beam_descs->desc[i];
	descs[n++] = lane->emergency;
	for (d = 0; d < EGATE_NDOORS; d++) {
		if (!lane->door[d].present)
			continue;
		descs[n++] = lane->door[d].sw_open;
		descs[n++] = lane->door[d].sw_closed;
	}
	return n;
}

static void egate_free_irqs(struct egate_lane *lane)
{
	while (lane->nirqs)
		free_irq(lane->irqs[--lane->nirqs], lane);
}

/*
 * Choose interrupts or polling and start sampling.  Interrupts when every
 * input has one that can be had on both edges, else polling.
 */
int egate_gpio_start(struct egate_lane *lane)
{
	struct gpio_desc *descs[EGATE_MAX_INPUTS];
	unsigned int n, i;
	int irq, ret;

	INIT_WORK(&lane->poll_work, egate_poll_work);
	hrtimer_init(&lane->poll_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	lane->poll_timer.function = egate_poll_timer;
	n = egate_inputs_list(lane, descs);
	lane->irq_mode = !egate_force_poll;
	for (i = 0; i < n && lane->irq_mode; i++)
		if (gpiod_to_irq(descs[i]) < 0)
			lane->irq_mode = false;
	if (!lane->irq_mode) {
		egate_poll_start(lane);
		return 0;
	}
	for (i = 0; i < n; i++) {
		irq = gpiod_to_irq(descs[i]);
		ret = request_threaded_irq(irq, egate_irq, egate_irq_thread,
					   IRQF_ONESHOT | IRQF_TRIGGER_RISING |
					   IRQF_TRIGGER_FALLING,
					   dev_name(&lane->dev), lane);
		if (ret)
			goto fall_back;
		lane->irqs[lane->nirqs++] = irq;
	}
	/* Catch anything that changed before the interrupts were on. */
	egate_irq_thread(0, lane);
	hrtimer_start(&lane->poll_timer, ms_to_ktime(egate_timer_ms(lane)),
		      HRTIMER_MODE_REL);
	return 0;

fall_back:
	/*
	 * The chip maps the line to an interrupt but will not give it to us
	 * on both edges (many controllers latch one edge only and refuse
	 * IRQ_TYPE_EDGE_BOTH), or has run out: poll instead, as for a chip
	 * without interrupts.  No edge is lost meanwhile: polling starts
	 * from a fresh sample.
	 */
	egate_free_irqs(lane);
	dev_info(&lane->dev, "input %u: no both-edge interrupt (%d), polling every %u ms\n",
		 i, ret, egate_poll_ms);
	lane->irq_mode = false;
	egate_poll_start(lane);
	return 0;
}

/*
 * Stop sampling; the lane must already be marked dead.  The timer goes
 * first: it is what queues the work, and hrtimer_cancel() waits for a
 * running callback and removes the timer even if that callback re-armed
 * it.  The work never arms the timer, so once the timer is gone a
 * cancel_work_sync() leaves nothing queued or running.
 */
void egate_gpio_stop(struct egate_lane *lane)
{
	egate_free_irqs(lane);
	hrtimer_cancel(&lane->poll_timer);
	cancel_work_sync(&lane->poll_work);
}
