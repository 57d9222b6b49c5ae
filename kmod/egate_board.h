/* SPDX-License-Identifier: GPL-2.0 */
/*
 * egate - describing a lane's wiring from code.
 *
 * A board (or the simulated lane, egate_sim) that knows which GPIO lines
 * its lane is wired to fills a struct egate_wiring and calls
 * egate_lane_register().  The driver turns it into a gpiod lookup table
 * keyed on the chip label plus an "egate-lane" platform device, and binds
 * to it through the GPIO consumer API, like any other board.
 */
#ifndef EGATE_BOARD_H
#define EGATE_BOARD_H

#include <linux/types.h>
#include <uapi/linux/egate.h>

/**
 * struct egate_wire - one GPIO line of a lane
 * @wired: the line exists (optional roles may be left unwired)
 * @active_low: the line's logical value is the inverse of its level
 * @offset: hardware offset of the line on its chip
 * @chip: label of the gpio_chip, or NULL for struct egate_wiring.chip
 */
struct egate_wire {
	bool wired;
	bool active_low;
	u16 offset;
	const char *chip;
};

#define EGATE_WIRE(off)		{ .wired = true, .offset = (off) }
#define EGATE_WIRE_LOW(off)	{ .wired = true, .active_low = true, \
				  .offset = (off) }

/* Door line roles, index into struct egate_wiring.entry/.exit. */
enum egate_door_line {
	EGATE_DOOR_DRIVE = 0,	/* output: 1 = drive open, 0 = drive closed */
	EGATE_DOOR_SW_OPEN,	/* input: 1 = door fully open */
	EGATE_DOOR_SW_CLOSED,	/* input: 1 = door fully closed */
	EGATE_DOOR_NLINES
};

/**
 * struct egate_wiring - a lane's topology and lines
 * @chip: default chip label for every wire without its own
 * @topology: EGATE_TOPO_SINGLE or EGATE_TOPO_MANTRAP
 * @nbeams: number of beams, EGATE_MIN_BEAMS..EGATE_MAX_BEAMS
 * @swing_beams: beams in each door's swing zone, counted from the door
 *	(0 = 2)
 * @entry: entry door lines (required)
 * @exit: exit door lines (required on mantrap lanes, unused on single)
 * @beam: beam inputs from the entry end; logical 1 = beam broken
 * @emergency: emergency input; logical 1 = emergency (a normally-closed
 *	contact to a pull-up is wired active-low, so a cut wire is an emergency)
 * @green: green lamp output (optional)
 * @red: red lamp output (optional)
 * @buzzer: buzzer output (optional)
 * @fail_closed: the lane's fail state, what removal (unbind, rmmod,
 *	delete_device, egate_lane_unregister()) leaves the doors driven to:
 *	false (the default) every door open, the state that lets people out;
 *	true every door closed whose swing zone reads clear, the others open.
 *	With the emergency input active every door is left open either way.
 */
struct egate_wiring {
	const char *chip;
	u32 topology;
	u32 nbeams;
	u32 swing_beams;
	struct egate_wire entry[EGATE_DOOR_NLINES];
	struct egate_wire exit[EGATE_DOOR_NLINES];
	struct egate_wire beam[EGATE_MAX_BEAMS];
	struct egate_wire emergency;
	struct egate_wire green;
	struct egate_wire red;
	struct egate_wire buzzer;
	bool fail_closed;
};

struct egate_board;
struct gpio_chip;

struct egate_board *egate_lane_register(const struct egate_wiring *w);
void egate_lane_unregister(struct egate_board *board);
int egate_board_lane_id(const struct egate_board *board);
void egate_gpiochip_remove(struct gpio_chip *gc);

#endif /* EGATE_BOARD_H */
