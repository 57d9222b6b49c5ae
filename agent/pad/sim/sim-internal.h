/* SPDX-License-Identifier: GPL-2.0 */
/* sim-internal.h - the scene of a synthetic presentation, shared by the
 * depth crops (scene.c) and the colour rendering (render.c). */
#ifndef EGATE_PAD_SIM_INTERNAL_H
#define EGATE_PAD_SIM_INTERNAL_H

#include "sim.h"

struct pad_sim_scene {
	const struct pad_sim_face *face;
	const struct pad_sim_params *p;
	double lm[EGATE_FACE_NUM_LANDMARKS][3];	/* the lifted landmarks */
	double scale;			/* print: mm per mm of face */
	double radius;			/* bent print */
	double gap;			/* cut-out */
	double depth;			/* live head: its depths over the generic face's */
	const struct pad_sim_seq *recorded;	/* screen: the replayed sequence */
	double screen_mm_per_px;
};

void pad_sim_scene_of(const struct pad_sim_face *face, const struct pad_sim_seq *seq,
		      struct pad_sim_scene *s);

/* Called for every surface point of the presented objects: TEX is where it
 * is in the face (mm; on a screen: screen mm), M the object point. */
typedef void (*pad_sim_emit)(void *ctx, const double *tex, const double *m);

/* The surfaces of the objects of KIND at frame F, sampled under a pixel
 * apart. */
void pad_sim_draw(const struct pad_sim_scene *s, enum pad_sim_kind kind,
		  const struct pad_sim_frame *f, pad_sim_emit emit, void *ctx);

void pad_sim_project(const struct pad_sim_params *p, const double *c, double *u, double *v);

#endif
