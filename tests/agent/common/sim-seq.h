/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim-seq.h - a sequence of the simulated camera (egate-sim-camera
 * render-seq): DIR/000.rgb, 001.rgb, ... (640x480 RGB24) and beside each
 * its depth frame NNN.z16 (640x480 uint16 little-endian millimetres,
 * registered to the colour frame), loaded into memory and played on vivid
 * feeders at 15 frames/s, again and again, colour and depth together.
 */
#ifndef EGATE_TEST_SIM_SEQ_H
#define EGATE_TEST_SIM_SEQ_H

#include <stddef.h>
#include <stdint.h>

#include "vivid.h"

#define SIM_SEQ_FPS 15
#define SIM_SEQ_MAX_FRAMES 600
#define SIM_SEQ_RGB_BYTES (VIVID_WIDTH * VIVID_HEIGHT * 3)
#define SIM_SEQ_Z16_BYTES (VIVID_WIDTH * VIVID_HEIGHT * 2)

struct sim_seq {
	unsigned int n;
	uint8_t **rgb;		/* n frames */
	uint8_t **z16;		/* n frames, or NULL: no depth frames */
};

/* DIR/NNN.EXT of frame I; -ENAMETOOLONG if it does not fit. */
int sim_seq_path(char *buf, size_t size, const char *dir, unsigned int i, const char *ext);
/* DIR's frames from 000 on, until one is missing.  -ENOENT: no frame;
 * -EBADMSG: a file of the wrong size, or depth for some frames only. */
int sim_seq_load(const char *dir, struct sim_seq **out);
void sim_seq_free(struct sim_seq *seq);

/* A depth frame of nobody in front of the camera: the wall MM behind. */
void sim_seq_wall(uint8_t *z16, uint16_t mm);

/* A thread showing SEQ's frames on COLOUR (RGB24) and, if not NULL, DEPTH
 * (16-bit) at SIM_SEQ_FPS, looping, until sim_seq_stop(). */
struct sim_seq_player;
int sim_seq_play(const struct sim_seq *seq, struct vivid_feeder *colour,
		 struct vivid_feeder *depth, struct sim_seq_player **out);
void sim_seq_stop(struct sim_seq_player *player);

#endif
