/* SPDX-License-Identifier: GPL-2.0 */
/*
 * egate - lane driver internals shared by its files.
 *
 * Locking: one mutex per lane, egate_lane.lock, serialises everything that
 * reads or changes the lane: input sampling (IRQ threads, poll work), the
 * timer work, commands, controller claim/release, sysfs stores and event
 * emission.  GPIO lines are only touched with it held and the lane alive,
 * so sleeping GPIO chips are fine.  Each reader's queue has its own
 * spinlock so read() never waits for the lane.
 */
#ifndef EGATE_PRIV_H
#define EGATE_PRIV_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/gpio/consumer.h>
#include <linux/hrtimer.h>
#include <linux/kfifo.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <uapi/linux/egate.h>

#include "egate_board.h"

#define EGATE_MAX_LANES		16
#define EGATE_NDOORS		2
#define EGATE_DEFAULT_SWING	2
#define EGATE_MAX_INPUTS	(EGATE_MAX_BEAMS + 1 + 2 * EGATE_NDOORS)

/**
 * struct egate_inputs - one sample of every input line (logical values)
 * @beams: broken-beam bitmap, bit 0 at the entry end
 * @emergency: emergency input active
 * @door_pos: enum egate_door_pos of each door, from its switches
 * @read_error: a line could not be read; the GPIO layer reports such a
 *	line in its fail-safe value (beam broken, emergency active, door
 *	EGATE_DOOR_INVALID) and the state machine latches a fault
 */
struct egate_inputs {
	u32 beams;
	bool emergency;
	u8 door_pos[EGATE_NDOORS];
	bool read_error;
};

/* Timers of a lane, all served by egate_lane.timer_work. */
enum egate_deadline {
	EGATE_DL_STATE,		/* authorisation expiry / passage timeout */
	EGATE_DL_HEARTBEAT,	/* controller heartbeat */
	EGATE_DL_TRAVEL0,	/* door 0 travel timeout */
	EGATE_DL_TRAVEL1,
	EGATE_DL_RETRY0,	/* door 0 obstruction retry */
	EGATE_DL_RETRY1,
	EGATE_DL_BUZZER,	/* intermittent buzzer toggle */
	EGATE_DL_COUNT
};

enum egate_counter {
	EGATE_CNT_PASSAGES,
	EGATE_CNT_EXPIRED,
	EGATE_CNT_DENIED,
	EGATE_CNT_OVERFLOWS,
	EGATE_CNT_EVENTS,
	EGATE_CNT_BEAM_EDGES,
	EGATE_CNT_OBSTRUCT_RETRIES,
	EGATE_CNT_ALARM_BASE,	/* + enum egate_alarm */
	EGATE_CNT_COUNT = EGATE_CNT_ALARM_BASE + EGATE_ALARM_COUNT
};

/**
 * struct egate_timings - lane timings, writable through sysfs
 * @door_travel_ms: a door must reach its position within this
 * @auth_expiry_ms: default expiry of an unused authorisation
 * @passage_timeout_ms: longest passage before a loitering alarm
 * @tailgate_gap_ms: an entry this soon after a passage is tailgating
 * @obstruct_retries: close retries before the obstruction alarm
 * @obstruct_retry_ms: delay between close retries
 * @heartbeat_ms: the controller must send a heartbeat within this
 */
struct egate_timings {
	u32 door_travel_ms;
	u32 auth_expiry_ms;
	u32 passage_timeout_ms;
	u32 tailgate_gap_ms;
	u32 obstruct_retries;
	u32 obstruct_retry_ms;
	u32 heartbeat_ms;
};

/**
 * struct egate_door - one door and what the lane wants of it
 * @drive: output line, 1 = drive open (const after probe)
 * @sw_open: open switch input (const after probe)
 * @sw_closed: closed switch input (const after probe)
 * @present: the door exists on this lane (const after probe)
 * @zone: beams in its swing zone (const after probe)
 * @cmd_open: what is driven now (lane lock)
 * @retries: close attempts refused since the door last closed (lane lock)
 * @stuck: missed its travel deadline or read both switches, and has not
 *	reached where it is driven since (lane lock)
 */
struct egate_door {
	struct gpio_desc *drive;
	struct gpio_desc *sw_open;
	struct gpio_desc *sw_closed;
	bool present;
	u32 zone;
	bool cmd_open;
	unsigned int retries;
	bool stuck;
};

/**
 * struct egate_lane - one lane, /dev/egateN and /sys/class/egate/egateN
 * @dev: class device; its release frees the lane (files hold references)
 * @cdev: character device
 * @pdev: platform device bound to (NULL once removed; lane lock)
 * @board: board description the lane was probed from (const)
 * @id: N of egateN (const)
 * @topology: enum egate_topology (const)
 * @nbeams: number of beams (const)
 * @swing: beams in each swing zone (const)
 * @irq_mode: inputs are interrupt-driven, else polled (const)
 * @fail_closed: the wiring's fail state is "closed" (doors driven closed
 *	where their swing zone is clear on removal), else "open" (const)
 * @beam_descs: beam inputs (const after probe)
 * @emergency: emergency input (const after probe)
 * @green: green lamp, may be NULL (const after probe)
 * @red: red lamp, may be NULL (const after probe)
 * @buzzer: buzzer, may be NULL (const after probe)
 * @door: doors, entry then exit
 * @irqs: interrupts requested for the inputs (const after probe)
 * @nirqs: number of @irqs
 * @irq_count: input interrupts taken (atomic, no lock)
 * @poll_timer: polled mode: fires every poll_ms and queues @poll_work on
 *	egate_wq; stopped before @poll_work is cancelled (no lock)
 * @poll_work: polled mode: samples the inputs, under the lane lock
 * @timer_work: serves the deadlines
 * @lock: protects every field below
 * @dead: the lane was removed; lines are gone
 * @in: last accepted (debounced) inputs
 * @cand: polled mode: value each input line read last, bit per line
 *	(beams, emergency, door switches: EGATE_LINE_* in egate_gpio.c)
 * @cand_count: polled mode: samples in a row each line has read its @cand
 *	value, counted up to debounce
 * @acc: polled mode: accepted (debounced) value of each line
 * @acc_err: polled mode: lines accepted as unreadable (read at fail-safe)
 * @phase: logical state (the visible state is OBSTRUCTED over it)
 * @state: visible state, as last reported
 * @mode: enum egate_mode
 * @alarm: latched alarm
 * @obstructed: a door has exceeded its close retries
 * @emergency_latched: emergency seen and not reset
 * @hb_lost: controller missed a heartbeat; reset needed (survives the
 *	controller closing the device)
 * @fault: a fault (read error, jammed door, impossible switches) latched
 *	and not reset; raised during an emergency it is only reported
 * @officer: the LOCK or HOLD_OPEN in force is an officer's (a command
 *	with no controlling file, e.g. generic netlink): only an officer
 *	lifts it
 * @dir: direction of the current authorisation
 * @auth_active: an authorisation was accepted and has not ended
 * @tag: tag of the current authorisation (0 when none)
 * @reached: passage: highest logical beam reached, plus one
 * @entry_cleared: passage: the entry beam cleared after the traveller
 * @done_at: jiffies the last passage completed
 * @buzz_on: buzzer level in intermittent mode
 * @dl: deadlines in jiffies, valid where set in @dl_active
 * @dl_active: bitmap of armed deadlines
 * @t: timings
 * @readers: open files (struct egate_reader)
 * @ctl: the controlling file, or NULL
 * @ctl_pid: its opener's thread-group pid
 * @seq: last sequence number given
 * @last: last event raised
 * @cnt: counters, enum egate_counter
 * @auth_ucmd: io_uring AUTHORISE waiting for the current authorisation
 *	to end, or NULL (egate_uring.c)
 */
struct io_uring_cmd;

struct egate_lane {
	struct device dev;
	struct cdev cdev;
	struct platform_device *pdev;
	struct egate_board *board;
	int id;
	u32 topology;
	u32 nbeams;
	u32 swing;
	bool irq_mode;
	bool fail_closed;
	struct gpio_descs *beam_descs;
	struct gpio_desc *emergency;
	struct gpio_desc *green;
	struct gpio_desc *red;
	struct gpio_desc *buzzer;
	struct egate_door door[EGATE_NDOORS];
	int irqs[EGATE_MAX_INPUTS];
	unsigned int nirqs;
	atomic64_t irq_count;
	struct hrtimer poll_timer;
	struct work_struct poll_work;
	struct delayed_work timer_work;

	struct mutex lock;	/* see the top of this file */
	bool dead;
	struct egate_inputs in;
	u64 cand;
	u8 cand_count[EGATE_MAX_INPUTS];
	u64 acc;
	u64 acc_err;
	u32 phase;
	u32 state;
	u32 mode;
	u32 alarm;
	bool obstructed;
	bool emergency_latched;
	bool hb_lost;
	bool fault;
	bool officer;
	u32 dir;
	bool auth_active;
	u64 tag;
	u32 reached;
	bool entry_cleared;
	unsigned long done_at;
	bool buzz_on;
	unsigned long dl[EGATE_DL_COUNT];
	unsigned long dl_active;
	struct egate_timings t;
	struct list_head readers;
	struct egate_reader *ctl;
	struct pid *ctl_pid;
	u64 seq;
	struct egate_event last;
	u64 cnt[EGATE_CNT_COUNT];
	struct io_uring_cmd *auth_ucmd;
};

/**
 * struct egate_reader - one open file of a lane
 * @node: entry in egate_lane.readers (lane lock)
 * @lane: the lane; the file holds a reference on its device
 * @lock: protects @fifo and @dropped
 * @fifo: queued events, oldest dropped when full
 * @dropped: events dropped from this reader's queue
 * @wait: readers and pollers wait here
 */
struct egate_reader {
	struct list_head node;
	struct egate_lane *lane;
	spinlock_t lock;	/* @fifo, @dropped */
	DECLARE_KFIFO_PTR(fifo, struct egate_event);
	u64 dropped;
	wait_queue_head_t wait;
};

/* egate_main.c */
extern unsigned int egate_fifo_size;
extern unsigned int egate_poll_ms;
extern unsigned int egate_debounce;
extern bool egate_force_poll;
extern struct workqueue_struct *egate_wq;
extern struct class egate_class;
extern dev_t egate_devt;
extern struct platform_driver egate_driver;

/* egate_board.c */
extern const char * const egate_door_con[EGATE_NDOORS][EGATE_DOOR_NLINES];
int egate_board_probe_result(struct egate_board *board, int err);
const struct egate_wiring *egate_board_wiring(const struct egate_board *b);
extern const struct attribute_group *egate_driver_groups[];
void egate_boards_remove_all(void);

/* egate_gpio.c */
int egate_gpio_get(struct egate_lane *lane, struct device *dev,
		   const struct egate_wiring *w);
int egate_gpio_outputs_init(struct egate_lane *lane);
void egate_gpio_fail_state(struct egate_lane *lane);
int egate_gpio_start(struct egate_lane *lane);
void egate_gpio_stop(struct egate_lane *lane);
void egate_gpio_read(struct egate_lane *lane, struct egate_inputs *in);
void egate_gpio_set(struct gpio_desc *desc, bool on);

/* egate_sm.c */
void egate_sm_init(struct egate_lane *lane);
void egate_sm_start(struct egate_lane *lane);
void egate_sm_timings_changed(struct egate_lane *lane);
void egate_sm_inputs(struct egate_lane *lane, const struct egate_inputs *in);
void egate_sm_timer(struct egate_lane *lane);
int egate_sm_command(struct egate_lane *lane, struct egate_reader *r,
		     const struct egate_cmd *cmd);
int egate_sm_command_park(struct egate_lane *lane, struct egate_reader *r,
			  const struct egate_cmd *cmd,
			  struct io_uring_cmd *ucmd, bool nowait);
void egate_sm_claim(struct egate_lane *lane, struct egate_reader *r);
void egate_sm_release(struct egate_lane *lane, struct egate_reader *r);
void egate_sm_remove(struct egate_lane *lane);
const char *egate_state_name(u32 state);
const char *egate_alarm_name(u32 alarm);
const char *egate_event_name(u32 type);
u32 egate_doors_summary(struct egate_lane *lane);
u32 egate_sm_status_flags(struct egate_lane *lane);

/* egate_cdev.c */
extern const struct file_operations egate_fops;
void egate_emit(struct egate_lane *lane, u32 type, u32 arg);
void egate_wake_all(struct egate_lane *lane);
int egate_lane_status(struct egate_reader *r, struct egate_status *st,
		      bool nowait);

/* egate_sysfs.c */
extern const struct attribute_group *egate_lane_groups[];

/* egate_genl.c */
int egate_genl_init(void);
void egate_genl_exit(void);
void egate_genl_event(struct egate_lane *lane, const struct egate_event *ev);

/* egate_uring.c */
struct io_uring_cmd;
int egate_uring_cmd(struct io_uring_cmd *ucmd, unsigned int issue_flags);
void egate_uring_auth_end(struct egate_lane *lane, u32 outcome);

#endif /* EGATE_PRIV_H */
