// SPDX-License-Identifier: GPL-2.0
/*
 * egate - /sys/class/egate/egateN: one value per file.
 * Documented in Documentation/ABI/testing/sysfs-class-egate.
 */
#include <linux/kernel.h>
#include <linux/pid.h>
#include <linux/sysfs.h>

#include "egate_priv.h"

#define to_lane(d) container_of(d, struct egate_lane, dev)

/**
 * struct egate_attr - a sysfs attribute that reads one indexed value
 * @attr: the device attribute
 * @idx: counter (enum egate_counter) or timing index
 * @min: timings: smallest accepted value
 * @max: timings: largest accepted value
 */
struct egate_attr {
	struct device_attribute attr;
	unsigned int idx;
	u32 min;
	u32 max;
};

#define to_egate_attr(a) container_of(a, struct egate_attr, attr)

static const char * const egate_pos_names[] = {
	[EGATE_DOOR_MOVING]	= "moving",
	[EGATE_DOOR_CLOSED]	= "closed",
	[EGATE_DOOR_OPEN]	= "open",
	[EGATE_DOOR_INVALID]	= "invalid",
};

static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n", egate_state_name(READ_ONCE(to_lane(dev)->state)));
}
static DEVICE_ATTR_RO(state);

static ssize_t mode_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", READ_ONCE(to_lane(dev)->mode) ==
			  EGATE_MODE_NORMAL ? "normal" : "out_of_service");
}
static DEVICE_ATTR_RO(mode);

static ssize_t topology_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%s\n", to_lane(dev)->topology ==
			  EGATE_TOPO_MANTRAP ? "mantrap" : "single");
}
static DEVICE_ATTR_RO(topology);

static ssize_t nbeams_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%u\n", to_lane(dev)->nbeams);
}
static DEVICE_ATTR_RO(nbeams);

static ssize_t beams_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "0x%08x\n", READ_ONCE(to_lane(dev)->in.beams));
}
static DEVICE_ATTR_RO(beams);

static ssize_t egate_door_show(struct device *dev, int d, char *buf)
{
	struct egate_lane *lane = to_lane(dev);
	u8 pos;

	if (!lane->door[d].present)
		return sysfs_emit(buf, "absent\n");
	pos = READ_ONCE(lane->in.door_pos[d]);
	return sysfs_emit(buf, "%s\n", egate_pos_names[pos & 3]);
}

static ssize_t entry_door_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return egate_door_show(dev, EGATE_DOOR_ENTRY, buf);
}
static DEVICE_ATTR_RO(entry_door);

static ssize_t exit_door_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return egate_door_show(dev, EGATE_DOOR_EXIT, buf);
}
static DEVICE_ATTR_RO(exit_door);

static ssize_t alarm_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n", egate_alarm_name(READ_ONCE(to_lane(dev)->alarm)));
}
static DEVICE_ATTR_RO(alarm);

static ssize_t input_mode_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", to_lane(dev)->irq_mode ? "irq" : "polled");
}
static DEVICE_ATTR_RO(input_mode);

static ssize_t controller_pid_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	struct egate_lane *lane = to_lane(dev);
	pid_t pid;

	mutex_lock(&lane->lock);
	pid = lane->ctl_pid ? pid_vnr(lane->ctl_pid) : 0;
	mutex_unlock(&lane->lock);
	return sysfs_emit(buf, "%d\n", pid);
}
static DEVICE_ATTR_RO(controller_pid);

static ssize_t last_event_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct egate_lane *lane = to_lane(dev);
	struct egate_event ev;

	mutex_lock(&lane->lock);
	ev = lane->last;
	mutex_unlock(&lane->lock);
	return sysfs_emit(buf, "%llu %s %u\n", ev.seq,
			  ev.seq ? egate_event_name(ev.type) : "none", ev.arg);
}
static DEVICE_ATTR_RO(last_event);

static struct attribute *egate_lane_attrs[] = {
	&dev_attr_state.attr,
	&dev_attr_mode.attr,
	&dev_attr_topology.attr,
	&dev_attr_nbeams.attr,
	&dev_attr_beams.attr,
	&dev_attr_entry_door.attr,
	&dev_attr_exit_door.attr,
	&dev_attr_alarm.attr,
	&dev_attr_input_mode.attr,
	&dev_attr_controller_pid.attr,
	&dev_attr_last_event.attr,
	NULL
};

static const struct attribute_group egate_lane_group = {
	.attrs = egate_lane_attrs,
};

/* --- counters/ ----------------------------------------------------------- */

static ssize_t egate_counter_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	struct egate_lane *lane = to_lane(dev);
	u64 v;

	mutex_lock(&lane->lock);
	v = lane->cnt[to_egate_attr(attr)->idx];
	mutex_unlock(&lane->lock);
	return sysfs_emit(buf, "%llu\n", v);
}

#define EGATE_COUNTER(_name, _idx)					\
	static struct egate_attr egate_cnt_##_name = {			\
		.attr = __ATTR(_name, 0444, egate_counter_show, NULL),	\
		.idx = (_idx),						\
	}

EGATE_COUNTER(passages, EGATE_CNT_PASSAGES);
EGATE_COUNTER(expired, EGATE_CNT_EXPIRED);
EGATE_COUNTER(denied, EGATE_CNT_DENIED);
EGATE_COUNTER(overflows, EGATE_CNT_OVERFLOWS);
EGATE_COUNTER(events, EGATE_CNT_EVENTS);
EGATE_COUNTER(beam_edges, EGATE_CNT_BEAM_EDGES);
EGATE_COUNTER(obstruct_retries, EGATE_CNT_OBSTRUCT_RETRIES);
#define EGATE_ALARM_COUNTER(_name, _alarm) \
	EGATE_COUNTER(_name, EGATE_CNT_ALARM_BASE + (_alarm))
EGATE_ALARM_COUNTER(tailgating, EGATE_ALARM_TAILGATING);
EGATE_ALARM_COUNTER(wrong_way, EGATE_ALARM_WRONG_WAY);
EGATE_ALARM_COUNTER(intrusion, EGATE_ALARM_INTRUSION);
EGATE_ALARM_COUNTER(loitering, EGATE_ALARM_LOITERING);
EGATE_ALARM_COUNTER(forced_door, EGATE_ALARM_FORCED_DOOR);
EGATE_ALARM_COUNTER(obstruction, EGATE_ALARM_OBSTRUCTION);
EGATE_ALARM_COUNTER(emergency, EGATE_ALARM_EMERGENCY);
EGATE_ALARM_COUNTER(fault, EGATE_ALARM_FAULT);

static ssize_t interrupts_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  (long long)atomic64_read(&to_lane(dev)->irq_count));
}
static DEVICE_ATTR_RO(interrupts);

static struct attribute *egate_counter_attrs[] = {
	&dev_attr_interrupts.attr,
	&egate_cnt_passages.attr.attr,
	&egate_cnt_expired.attr.attr,
	&egate_cnt_denied.attr.attr,
	&egate_cnt_overflows.attr.attr,
	&egate_cnt_events.attr.attr,
	&egate_cnt_beam_edges.attr.attr,
	&egate_cnt_obstruct_retries.attr.attr,
	&egate_cnt_tailgating.attr.attr,
	&egate_cnt_wrong_way.attr.attr,
	&egate_cnt_intrusion.attr.attr,
	&egate_cnt_loitering.attr.attr,
	&egate_cnt_forced_door.attr.attr,
	&egate_cnt_obstruction.attr.attr,
	&egate_cnt_emergency.attr.attr,
	&egate_cnt_fault.attr.attr,
	NULL
};

static const struct attribute_group egate_counter_group = {
	.name = "counters",
	.attrs = egate_counter_attrs,
};

/* --- timings/ ------------------------------------------------------------ */

static u32 *egate_timing(struct egate_lane *lane, unsigned int idx)
{
	return (u32 *)&lane->t + idx;
}

static ssize_t egate_timing_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct egate_lane *lane = to_lane(dev);
	u32 v;

	mutex_lock(&lane->lock);
	v = *egate_timing(lane, to_egate_attr(attr)->idx);
	mutex_unlock(&lane->lock);
	return sysfs_emit(buf, "%u\n", v);
}

/*
 * Unparsable: -EINVAL; out of range: -ERANGE; the lane is unchanged.
 * A new value takes effect at once: the deadlines running on the old
 * timings are re-armed under the same lock hold, so that lowering
 * heartbeat_ms on a lane whose controller stopped sending heartbeats
 * ends its control within the new time, not the old one.
 */
static ssize_t egate_timing_store(struct device *dev,
				  struct device_attribute *attr,
				  const char *buf, size_t count)
{
	struct egate_attr *ea = to_egate_attr(attr);
	struct egate_lane *lane = to_lane(dev);
	u32 v;
	int ret;

	ret = kstrtou32(buf, 0, &v);
	if (ret)
		return ret == -ERANGE ? -ERANGE : -EINVAL;
	if (v < ea->min || v > ea->max)
		return -ERANGE;
	mutex_lock(&lane->lock);
	*egate_timing(lane, ea->idx) = v;
	/* A lane being removed has its timers stopped: leave them so. */
	if (!lane->dead)
		egate_sm_timings_changed(lane);
	mutex_unlock(&lane->lock);
	return count;
}

#define EGATE_TIMING(_name, _min, _max)					\
	static struct egate_attr egate_t_##_name = {			\
		.attr = __ATTR(_name, 0644, egate_timing_show,		\
			       egate_timing_store),			\
		.idx = offsetof(struct egate_timings, _name) / sizeof(u32), \
		.min = (_min),						\
		.max = (_max),						\
	}

EGATE_TIMING(door_travel_ms, 100, 60000);
EGATE_TIMING(auth_expiry_ms, 100, 600000);
EGATE_TIMING(passage_timeout_ms, 500, 600000);
/*
 * tailgate_gap_ms 0 would report a second person hard on the heels of a
 * passage as an intrusion, or as wrong way, never as tailgating: at least
 * the time one stride takes.
 */
EGATE_TIMING(tailgate_gap_ms, 100, 10000);
EGATE_TIMING(obstruct_retries, 1, 100);
EGATE_TIMING(obstruct_retry_ms, 50, 10000);
EGATE_TIMING(heartbeat_ms, 100, 60000);

static struct attribute *egate_timing_attrs[] = {
	&egate_t_door_travel_ms.attr.attr,
	&egate_t_auth_expiry_ms.attr.attr,
	&egate_t_passage_timeout_ms.attr.attr,
	&egate_t_tailgate_gap_ms.attr.attr,
	&egate_t_obstruct_retries.attr.attr,
	&egate_t_obstruct_retry_ms.attr.attr,
	&egate_t_heartbeat_ms.attr.attr,
	NULL
};

static const struct attribute_group egate_timing_group = {
	.name = "timings",
	.attrs = egate_timing_attrs,
};

const struct attribute_group *egate_lane_groups[] = {
	&egate_lane_group,
	&egate_counter_group,
	&egate_timing_group,
	NULL
};
