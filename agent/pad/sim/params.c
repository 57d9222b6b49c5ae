// SPDX-License-Identifier: GPL-2.0
/*
 * params.c - every number of the synthetic presentations, in one place
 * (Documentation/pad.md, "The sequence generator", explains each).
 */
#include "sim.h"

const struct pad_sim_params pad_sim_defaults = {
	.frames = 60, .fps = 15, .width = 640, .height = 480, .focal = 600,
	.distance_mm = { 550, 800 }, .approach_mm = { 50, 250 },
	.yaw_deg = { 2, 8 }, .pitch_deg = { 1, 5 }, .roll_deg = { 1, 4 },
	.sway_hz = { 0.15, 0.5 }, .sway_mm = 10, .head_depth = { 0.55, 1.3 },
	.blink_per_s = 0.3, .blink_s = 0.3,
	.landmark_noise = 0.01,
	.hand_deg = { 2, 10 }, .hand_roll_deg = { 1, 6 }, .still_deg = 0.3,
	.print_scale = { 0.8, 1.1 }, .bend_radius_mm = { 90, 250 },
	.screen_scale = { 0.6, 1.0 }, .cutout_gap_mm = { 5, 25 },
	.depth_sigma_mm = 1.5, .depth_dropout = 0.02, .depth_edge_mm = 25,
	.background_mm = 2500,
};

const char *pad_sim_kind_name(enum pad_sim_kind kind)
{
	static const char *const names[PAD_SIM_KINDS] = {
		[PAD_SIM_BONA_FIDE] = "bona-fide", [PAD_SIM_PRINT] = "print",
		[PAD_SIM_PRINT_STILL] = "print-still", [PAD_SIM_BENT] = "bent-print",
		[PAD_SIM_SCREEN] = "screen-replay", [PAD_SIM_CUTOUT] = "eye-cutout",
	};

	return kind < PAD_SIM_KINDS ? names[kind] : "unknown";
}
