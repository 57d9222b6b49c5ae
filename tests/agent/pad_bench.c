// SPDX-License-Identifier: GPL-2.0
/*
 * pad bench (make bench): what presentation-attack detection costs the
 * agent's decision, on one core of the host, on the synthetic presentations
 * of agent/pad/sim (the generic face, SEEDS seeds, 15 frames/s):
 *  - the per-frame cost of PAD in the decision (pad_check_decide(), which
 *    is egate_pad_feed() and its bookkeeping), colour and depth mode, p50
 *    and p99 (depth: the frames with a depth crop, the expensive ones);
 *  - the time to decision with PAD beside without: the capture time from
 *    the traveller's first frame to the ADMIT of a live traveller (and the
 *    DENY of a print), policy alone (pad.mode=off) and with PAD, p50 and
 *    p99, frames and milliseconds.  The per-frame face pipeline (agent
 *    bench) comes on top of either.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "pad-check.h"
#include "sim.h"
#include "pad_test.h"

#define SEEDS 40
#define MS 1000000ull

static const struct policy_config config = {
	.threshold = 0.5, .margin = 0.05, .min_quality = 0.5, .min_face_px = 80,
	.frames = 3, .unknown_timeout_ns = 10000 * MS, .session_max_ns = 20000 * MS,
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double quantile(double *v, size_t n, double p)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return v[(size_t)(p * (double)(n - 1) + 0.5)];
}

struct samples {
	double v[SEEDS * EGATE_PAD_MAX_FRAMES];
	size_t n;
};

/*
 * KIND through policy and PAD (MODE 0: off): the frame index of the first
 * verdict (-1: none) and the verdict; the cost of each frame PAD took, in
 * microseconds, into COST (NULL: not kept).
 */
static int decide(const struct pad_sim_face *face, enum pad_sim_kind kind, uint64_t seed,
		  enum egate_pad_mode mode, struct samples *cost, enum policy_verdict *verdict)
{
	const struct egate_pad_params params = { .focal = pad_sim_defaults.focal };
	struct pad_sim_seq *s;
	struct pad_check pc;
	struct policy p;
	int at = -1;

	if (pad_sim_sequence(face, kind, seed, NULL, pad_sim_defaults.frames, &s) < 0 ||
	    pad_check_init(&pc, mode, &params) < 0)
		exit(1);
	policy_init(&p, &config);
	for (uint32_t i = 0; i < s->n && at < 0; i++) {
		uint64_t t = 1000 * MS + i * 1000000000ull / 15;
		struct policy_frame f = {
			.time_ns = t, .n_faces = 1, .face_px = 150, .quality = 0.9,
			.described = true, .best_id = 7, .best_distance = 0.3,
			.second_distance = 0.9,
		};
		struct pad_input in = {
			.lm = &s->frames[i].lm, .width = s->p.width, .height = s->p.height,
			.depth = mode == EGATE_PAD_DEPTH ? &s->frames[i].depth : NULL, .time_ns = t,
		};
		/* PAD takes the frame while it is undecided */
		bool fed = pad_check_verdict(&pc, NULL) == EGATE_PAD_UNDECIDED;
		struct policy_decision d;
		enum policy_verdict v;
		uint64_t t0;

		f.descriptor[7] = 0.5f;
		v = policy_feed(&p, &f, &d);
		t0 = now_ns();
		v = pad_check_decide(&pc, &p, &in, v, &d);
		if (cost && fed)
			cost->v[cost->n++] = (double)(now_ns() - t0) / 1e3;
		if (v != POLICY_NONE) {
			at = (int)i;
			*verdict = v;
		}
	}
	pad_check_done(&pc);
	pad_sim_seq_free(s);
	return at;
}

static void time_to_decision(const struct pad_sim_face *face, enum pad_sim_kind kind,
			     enum egate_pad_mode mode, const char *mode_name)
{
	static struct samples frames;
	unsigned int admits = 0, denies = 0;

	frames.n = 0;
	for (uint64_t seed = 0; seed < SEEDS; seed++) {
		enum policy_verdict v = POLICY_NONE;
		int at = decide(face, kind, seed, mode, NULL, &v);

		if (at < 0)
			continue;
		frames.v[frames.n++] = at + 1;
		admits += v == POLICY_ADMIT;
		denies += v == POLICY_DENY;
	}
	printf("  %-11s %-7s admit %2u deny %2u  frames p50 %4.1f p99 %4.1f  "
	       "time p50 %6.0f ms p99 %6.0f ms\n", pad_sim_kind_name(kind), mode_name, admits,
	       denies, quantile(frames.v, frames.n, 0.5), quantile(frames.v, frames.n, 0.99),
	       (quantile(frames.v, frames.n, 0.5) - 1) * 1000 / 15,
	       (quantile(frames.v, frames.n, 0.99) - 1) * 1000 / 15);
}

int main(void)
{
	static const struct { enum egate_pad_mode mode; const char *name; } modes[] = {
		{ 0, "off" }, { EGATE_PAD_COLOUR, "colour" }, { EGATE_PAD_DEPTH, "depth" },
	};
	static const enum pad_sim_kind kinds[] = {
		PAD_SIM_BONA_FIDE, PAD_SIM_PRINT_STILL, PAD_SIM_PRINT,
	};
	struct egate_face_landmarks photo;
	struct pad_sim_face *face;

	pad_test_photo(&photo);
	if (pad_sim_face_new(&photo, &face) < 0)
		return 1;
	printf("PAD in the decision, synthetic presentations (generic face, %d seeds, "
	       "%ux%u, 15 frames/s, decision.frames %u)\n", SEEDS, pad_sim_defaults.width,
	       pad_sim_defaults.height, config.frames);
	for (size_t k = 1; k < ELEMENTSOF(modes); k++) {
		static struct samples cost;

		cost.n = 0;
		for (uint64_t seed = 0; seed < SEEDS; seed++) {
			enum policy_verdict v;

			decide(face, PAD_SIM_BONA_FIDE, seed, modes[k].mode, &cost, &v);
			decide(face, PAD_SIM_PRINT, seed, modes[k].mode, &cost, &v);
		}
		printf("  per-frame PAD cost, %-6s: p50 %7.1f us, p99 %7.1f us (%zu frames)\n",
		       modes[k].name, quantile(cost.v, cost.n, 0.5), quantile(cost.v, cost.n, 0.99),
		       cost.n);
	}
	printf("  time to decision (capture time from the first frame; + one frame's pipeline):\n");
	for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
		for (size_t k = 0; k < ELEMENTSOF(modes); k++)
			time_to_decision(face, kinds[i], modes[k].mode, modes[k].name);
	pad_sim_face_free(face);
	return 0;
}
