// SPDX-License-Identifier: GPL-2.0
/*
 * egate_sim - a complete simulated lane: loading the module creates the
 * chip, starts the model and registers the lane with egate, which then
 * drives it through the ordinary GPIO consumer path (lookup by label).
 */
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "sim.h"

static unsigned int nbeams = 8;
module_param(nbeams, uint, 0444);
MODULE_PARM_DESC(nbeams, "Beams in the lane (4..32)");

static char *topology = "single";
module_param(topology, charp, 0444);
MODULE_PARM_DESC(topology, "single or mantrap");

static bool irq = true;
module_param(irq, bool, 0444);
MODULE_PARM_DESC(irq, "Give the chip interrupts (0: egate must poll)");

static bool can_sleep;
module_param(can_sleep, bool, 0444);
MODULE_PARM_DESC(can_sleep, "Mark the chip as sleeping, like an I2C or USB expander");

static unsigned int door_ms = 500;
module_param(door_ms, uint, 0444);
MODULE_PARM_DESC(door_ms, "Time a door takes to open or close fully, ms");

static bool irq_both_edges = true;
module_param(irq_both_edges, bool, 0444);
MODULE_PARM_DESC(irq_both_edges, "The interrupts can trigger on both edges (0: one edge only, like many controllers)");

static unsigned int pinch_ticks = 5;
module_param(pinch_ticks, uint, 0444);
MODULE_PARM_DESC(pinch_ticks, "Ticks (10 ms) a door may stay driven closed onto a broken swing-zone beam before status counts a pinch");
static unsigned int pinch_blind_ms = 3000;
module_param(pinch_blind_ms, uint, 0444);
MODULE_PARM_DESC(pinch_blind_ms, "The driver's door_travel_ms: after it, a door with unreadable switches counts no pinch (the driver takes it as shut)");

static bool lane = true;
module_param(lane, bool, 0444);
MODULE_PARM_DESC(lane, "Register the lane with egate (0: chip only, for new_device)");

static struct egate_sim *egate_sim;

static void sim_wiring(struct egate_sim *sim, struct egate_wiring *w)
{
	static const struct egate_wire entry[] = {
		EGATE_WIRE(SIM_ENTRY_DRIVE), EGATE_WIRE(SIM_ENTRY_OPEN),
		EGATE_WIRE(SIM_ENTRY_CLOSED),
	};
	static const struct egate_wire exit[] = {
		EGATE_WIRE(SIM_EXIT_DRIVE), EGATE_WIRE(SIM_EXIT_OPEN),
		EGATE_WIRE(SIM_EXIT_CLOSED),
	};
	static const struct egate_wire emergency = EGATE_WIRE_LOW(SIM_EMERGENCY);
	static const struct egate_wire green = EGATE_WIRE(SIM_GREEN);
	static const struct egate_wire red = EGATE_WIRE(SIM_RED);
	static const struct egate_wire buzzer = EGATE_WIRE(SIM_BUZZER);
	unsigned int i;

	w->chip = sim->gc.label;
	w->topology = sim->topology;
	w->nbeams = sim->nbeams;
	w->swing_beams = SIM_SWING_BEAMS;
	memcpy(w->entry, entry, sizeof(entry));
	if (sim->topology == EGATE_TOPO_MANTRAP)
		memcpy(w->exit, exit, sizeof(exit));
	for (i = 0; i < sim->nbeams; i++) {
		w->beam[i].wired = true;
		w->beam[i].offset = SIM_BEAM0 + i;
	}
	w->emergency = emergency;
	w->green = green;
	w->red = red;
	w->buzzer = buzzer;
}

static int __init sim_init(void)
{
	struct egate_wiring *w;
	struct egate_sim *sim;
	int ret;

	if (nbeams < EGATE_MIN_BEAMS || nbeams > EGATE_MAX_BEAMS ||
	    !door_ms || door_ms > 60000)
		return -EINVAL;
	sim = kzalloc(sizeof(*sim), GFP_KERNEL);
	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!sim || !w) {
		ret = -ENOMEM;
		goto free;
	}
	sim->nbeams = nbeams;
	sim->door_ms = door_ms;
	sim->irq_both_edges = irq_both_edges;
	sim->pinch_allow = pinch_ticks;
	sim->pinch_blind_ms = pinch_blind_ms;
	if (sysfs_streq(topology, "single")) {
		sim->topology = EGATE_TOPO_SINGLE;
	} else if (sysfs_streq(topology, "mantrap")) {
		sim->topology = EGATE_TOPO_MANTRAP;
	} else {
		ret = -EINVAL;
		goto free;
	}
	sim_model_init(sim);

	sim->pdev = platform_device_register_simple("egate_sim", -1, NULL, 0);
	if (IS_ERR(sim->pdev)) {
		ret = PTR_ERR(sim->pdev);
		goto free;
	}
	ret = sim_chip_add(sim, irq, can_sleep);
	if (ret)
		goto unregister_pdev;
	sim_model_start(sim);

	if (lane) {
		sim_wiring(sim, w);
		sim->board = egate_lane_register(w);
		if (IS_ERR(sim->board)) {
			ret = PTR_ERR(sim->board);
			goto stop_model;
		}
	}
	sim_ctl_init(sim);
	egate_sim = sim;
	kfree(w);
	return 0;

stop_model:
	sim_model_stop(sim);
	sim_chip_remove(sim);
unregister_pdev:
	platform_device_unregister(sim->pdev);
free:
	kfree(w);
	kfree(sim);
	return ret;
}

static void __exit sim_exit(void)
{
	struct egate_sim *sim = egate_sim;

	sim_ctl_exit(sim);
	if (sim->board)
		egate_lane_unregister(sim->board);
	sim_model_stop(sim);
	sim_chip_remove(sim);
	platform_device_unregister(sim->pdev);
	kfree(sim);
}

module_init(sim_init);
module_exit(sim_exit);

MODULE_DESCRIPTION("Simulated automated border-control lane for egate");
MODULE_AUTHOR("egate project");
MODULE_LICENSE("GPL");
