/* SPDX-License-Identifier: GPL-2.0 */
/*
 * egate_sim - a simulated lane: a GPIO chip whose inputs come from a
 * physical model of doors and travellers, controlled through debugfs.
 *
 * Locking: egate_sim.lock (a raw spinlock: the GPIO and irq_chip callbacks
 * run in atomic context, the latter under the irq descriptor lock) protects
 * every field marked "lock".  Interrupts are
 * raised after dropping it.
 */
#ifndef EGATE_SIM_H
#define EGATE_SIM_H

#include <linux/gpio/driver.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/types.h>

#include "egate_board.h"

/* Line offsets on the chip. */
enum sim_line {
	SIM_ENTRY_DRIVE,
	SIM_ENTRY_OPEN,
	SIM_ENTRY_CLOSED,
	SIM_EXIT_DRIVE,
	SIM_EXIT_OPEN,
	SIM_EXIT_CLOSED,
	SIM_EMERGENCY,		/* level 1 = contact closed = normal */
	SIM_GREEN,
	SIM_RED,
	SIM_BUZZER,
	SIM_BEAM0,		/* beams follow, entry end first */
};

#define SIM_MAX_TRAVELLERS	8
#define SIM_BEAM_SPACING	200	/* mm between beams */
#define SIM_SWING_BEAMS		2
#define SIM_DOOR_SHUT		0
#define SIM_DOOR_WIDE		1000

/**
 * struct sim_traveller - one person walking along the lane (all: lock)
 * @active: slot in use
 * @dir: +1 walks from the entry end, -1 from the exit end
 * @front: position of the leading edge, mm from the lane origin
 * @speed: mm/s
 * @length: body depth in mm
 * @stop_at: position of the front where the traveller stands still
 * @stop_ms: how long they stand there
 * @stop_until: jiffies the stop ends (0: not stopped yet)
 * @start_at: jiffies the traveller sets off
 */
struct sim_traveller {
	bool active;
	int dir;
	int front;
	unsigned int speed;
	unsigned int length;
	int stop_at;
	unsigned int stop_ms;
	unsigned long stop_until;
	unsigned long start_at;
};

/**
 * struct sim_door - one door of the model (all but @present, @x: lock)
 * @present: the door exists (const)
 * @x: position of the door leaf's hinge line, mm (const)
 * @swing: signed depth of the swing zone into the lane, mm (const)
 * @pos: 0 shut .. SIM_DOOR_WIDE fully open
 * @jammed: the door does not move
 * @forced: someone holds the door open
 * @fault: both switches read active
 * @pinch_ticks: consecutive ticks driven closed, not shut, with a beam of
 *	the swing zone broken by a body (see SIM_PINCH_TICKS)
 * @drive: the drive line's level at the last tick
 * @still_ms: time the drive line has kept that level, ms (saturates)
 */
struct sim_door {
	bool present;
	int x;
	int swing;
	int pos;
	bool jammed;
	bool forced;
	bool fault;
	unsigned int pinch_ticks;
	bool drive;
	unsigned int still_ms;
};

/* sim readerr: which lines fail to read (egate_sim.readerr bits). */
#define SIM_RDERR_BEAMS		BIT(0)
#define SIM_RDERR_EMERGENCY	BIT(1)
#define SIM_RDERR_ENTRY		BIT(2)	/* the entry door's two switches */
#define SIM_RDERR_EXIT		BIT(3)	/* the exit door's two switches */

/**
 * struct egate_sim - the simulated lane
 * @gc: the GPIO chip
 * @pdev: parent device of the chip
 * @board: the lane registered with egate
 * @lock: protects the fields marked lock
 * @fire_lock: serialises raising interrupts, so that two CPUs never run
 *	one line's flow handler at once (handle_simple_irq() would drop the
 *	second edge, as a real controller with an edge latch would not)
 * @nbeams: beams (const)
 * @topology: EGATE_TOPO_* (const)
 * @door_ms: time a door takes to travel fully (const)
 * @levels: line levels, bit per offset (lock)
 * @irq_en: unmasked interrupts (lock)
 * @irq_rise: rising-edge interrupts (lock)
 * @irq_fall: falling-edge interrupts (lock)
 * @door: entry and exit door (lock)
 * @tr: travellers (lock)
 * @emergency: emergency contact open (lock)
 * @ovr_mask: beams forced by the control interface (lock)
 * @ovr_val: their forced values (lock)
 * @last_tick: jiffies of the last model step (lock)
 * @edges: input edges produced (lock)
 * @irqs_raised: interrupts raised (lock)
 * @irq_both_edges: the irq_chip accepts IRQ_TYPE_EDGE_BOTH (const)
 * @readerr: SIM_RDERR_* lines whose reads fail with -EIO (lock)
 * @chatter: beams that toggle every tick (lock)
 * @chatter_on: the chattering beams' current phase (lock)
 * @body_beams: beams broken by bodies or forced by "beam", without the
 *	chatter: what a sound sensor would see (lock)
 * @crossed: travellers gone through the far end, [0] fwd, [1] rev (lock)
 * @pinch: ticks a door was driven closed onto a body (lock)
 * @pinch_allow: ticks of reaction allowance before a pinch counts (const)
 * @pinch_blind_ms: the driver's door travel time: a door whose switches
 *	cannot be read and whose drive has not changed for longer is taken as
 *	shut by the driver, and counts no pinch (const)
 * @ticks: model ticks run (lock)
 * @tick: model timer
 * @stopping: no more ticks (lock)
 * @dbg: debugfs directory
 */
struct egate_sim {
	struct gpio_chip gc;
	struct platform_device *pdev;
	struct egate_board *board;
	raw_spinlock_t lock;	/* the fields marked lock */
	raw_spinlock_t fire_lock;
	unsigned int nbeams;
	u32 topology;
	unsigned int door_ms;
	unsigned long levels;
	unsigned long irq_en;
	unsigned long irq_rise;
	unsigned long irq_fall;
	struct sim_door door[2];
	struct sim_traveller tr[SIM_MAX_TRAVELLERS];
	bool emergency;
	u32 ovr_mask;
	u32 ovr_val;
	unsigned long last_tick;
	u64 edges;
	u64 irqs_raised;
	bool irq_both_edges;
	unsigned int readerr;
	u32 chatter;
	bool chatter_on;
	u32 body_beams;
	u64 crossed[2];
	u64 pinch;
	unsigned int pinch_allow;
	unsigned int pinch_blind_ms;
	u64 ticks;
	struct timer_list tick;
	bool stopping;
	struct dentry *dbg;
};

/* sim_chip.c */
int sim_chip_add(struct egate_sim *sim, bool use_irq, bool can_sleep);
void sim_chip_remove(struct egate_sim *sim);
void sim_chip_raise(struct egate_sim *sim, unsigned long fire);

/* sim_model.c */
void sim_model_init(struct egate_sim *sim);
void sim_model_start(struct egate_sim *sim);
void sim_model_stop(struct egate_sim *sim);
void sim_model_update(struct egate_sim *sim);
int sim_model_add(struct egate_sim *sim, const struct sim_traveller *t);
int sim_beam_x(unsigned int beam);
int sim_lane_start(struct egate_sim *sim, int dir);
bool sim_zone_occupied(struct egate_sim *sim, struct sim_door *door);
int sim_inside(struct egate_sim *sim);

/* sim_ctl.c */
int sim_ctl_init(struct egate_sim *sim);
void sim_ctl_exit(struct egate_sim *sim);

#endif /* EGATE_SIM_H */
