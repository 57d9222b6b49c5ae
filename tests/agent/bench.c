// SPDX-License-Identifier: GPL-2.0
/*
 * agent bench (make bench): the agent's per-frame work on one core of the
 * host, as its worker does it on a 640x480 camera frame of one traveller
 * (detect, landmarks + quality, descriptor, 1:N search over a gallery of
 * GALLERY templates), then the policy; reports p50/p99 of the whole and
 * each stage's share.  The VM's end-to-end numbers (capture timestamp to
 * gate command, emulated) come from the agent's metrics in the demo.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "face-frame.h"
#include "metrics.h"
#include "worker.h"

#define RUNS 200
#define GALLERY 10000
#define INPUT_SIZE 320

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(void)
{
	static uint8_t rgb[FACE_FRAME_BYTES];
	const char *models = getenv("EGATE_MODELS");
	struct egate_face_image img = {
		.rgb = rgb, .width = FACE_FRAME_WIDTH, .height = FACE_FRAME_HEIGHT,
		.stride = FACE_FRAME_WIDTH * 3,
	};
	struct egate_face_engine *e;
	struct egate_face_gallery *g;
	struct metrics m = { 0 };
	struct worker_result r;
	char photo[4096], err[256];
	float t[EGATE_FACE_DESCRIPTOR_DIM];
	double total = 0;

	if (egate_face_engine_new(models, &e, err, sizeof(err)) < 0) {
		fprintf(stderr, "agent bench: %s\n", err);
		return 1;
	}
	snprintf(photo, sizeof(photo), "%s/../demo/sample2.jpg", models ? models : ".");
	if (face_frame_one(e, photo, 0, rgb) < 0 ||
	    egate_face_gallery_new(EGATE_FACE_GALLERY_F32, GALLERY, &g) < 0)
		return 1;
	srand(1);
	for (int i = 0; i < GALLERY; i++) {
		for (int k = 0; k < EGATE_FACE_DESCRIPTOR_DIM; k++)
			t[k] = (float)rand() / RAND_MAX - 0.5f;
		egate_face_gallery_add(g, i + 1, t);
	}
	for (int i = 0; i < RUNS; i++) {
		worker_look(e, INPUT_SIZE, &WORKER_ZONE_ALL, &img, g, now_ns(), &r);
		if (r.error || r.frame.n_faces != 1)
			return 1;
		metrics_admission(&m, &r.timing, now_ns());
	}
	for (int s = 0; s < STAGE_COUNT; s++)
		total += m.stage_ns[s];
	printf("agent frame pipeline, 640x480, detector %u, gallery %d, %d frames, isa %s\n",
	       INPUT_SIZE, GALLERY, RUNS, egate_face_engine_isa(e));
	printf("  frame -> decision: p50 %.2f ms, p99 %.2f ms\n",
	       metrics_latency_quantile(&m, 0.5) / 1e3, metrics_latency_quantile(&m, 0.99) / 1e3);
	for (int s = 0; s < STAGE_COUNT; s++)
		printf("  %-11s %5.1f%%  %.2f ms/frame\n", metrics_stage_name(s),
		       100.0 * m.stage_ns[s] / total, m.stage_ns[s] / 1e6 / RUNS);
	egate_face_gallery_free(g);
	egate_face_engine_free(e);
	return 0;
}
