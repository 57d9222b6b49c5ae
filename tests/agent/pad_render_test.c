// SPDX-License-Identifier: GPL-2.0
/*
 * pad_render_test - the simulated camera's sequences (egate-sim-camera
 * render-seq) as a kiosk's colour and depth cameras would give them: the
 * real detector finds the traveller's face in the rendered colour frames,
 * and the depth frames agree with them pixel for pixel (what is not the
 * wall in depth is what is not the grey background in colour); at the
 * detected landmarks a live head's nose stands out of its brows, a print's
 * does not, measured by the depth library on the whole frame.  The frames
 * are the same for the same seed, files of the documented sizes, and bad
 * arguments are refused with a clear error.  Needs the face models and
 * their demo photos (make deps).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent-run.h"
#include "face-frame.h"
#include "pad-internal.h"
#include "sim-seq.h"
#include "sim.h"
#include "kselftest_harness.h"

#define PHOTO "sample2.jpg"	/* one face */
#define FRAMES "4"
#define GREY 128		/* the renderer's background */
#define NOSE_TIP 30
#define BROWS_INNER_L 21
#define BROWS_INNER_R 22

FIXTURE(render) {
	struct agent_env env;
	struct egate_face_engine *engine;
	char photo[PATH_MAX];
};

FIXTURE_SETUP(render)
{
	if (agent_env_init(&self->env) < 0)
		SKIP(return, "no face models (make deps)");
	agent_photo(&self->env, PHOTO, self->photo);
	ASSERT_EQ(0, egate_face_engine_new(self->env.models, &self->engine, NULL, 0));
}

FIXTURE_TEARDOWN(render)
{
	egate_face_engine_free(self->engine);
	agent_env_cleanup(&self->env);
}

/* render-seq of FRAMES frames into env.dir/NAME: the exit status */
static int render_seq(FIXTURE_DATA(render) *self, const char *name, const char *kind,
		      const char *seed, char dir[PATH_MAX])
{
	snprintf(dir, PATH_MAX, "%s/%s", self->env.dir, name);
	return agent_tool(&self->env, "egate-sim-camera", (const char *[]) {
		"render-seq", "--frames", FRAMES, dir, kind, self->photo, "0", seed, NULL });
}

static uint16_t z_at(const uint8_t *z16, unsigned int i)
{
	return z16[2 * i] | z16[2 * i + 1] << 8;
}

/* Pixels in front of the wall in depth, not background in colour, both:
 * their intersection over their union. */
static double overlap(const uint8_t *rgb, const uint8_t *z16)
{
	unsigned int both = 0, either = 0;

	for (unsigned int i = 0; i < VIVID_WIDTH * VIVID_HEIGHT; i++) {
		const uint8_t *p = rgb + 3 * i;
		uint16_t z = z_at(z16, i);
		int colour = p[0] != GREY || p[1] != GREY || p[2] != GREY;
		/* the wall is at 2500 mm, its noise some 40 mm; 0 is a hole */
		int depth = z > 0 && z < pad_sim_defaults.background_mm - 500;

		if (z == 0)
			continue;
		both += colour && depth;
		either += colour || depth;
	}
	return either ? (double)both / either : 0;
}

/* median of the measured depths in a 5x5 window at (x, y) */
static unsigned int depth_near(const uint8_t *z16, double x, double y)
{
	unsigned int v[25], n = 0;

	for (int dy = -2; dy <= 2; dy++)
		for (int dx = -2; dx <= 2; dx++) {
			long px = lround(x) + dx, py = lround(y) + dy;
			uint16_t z;

			if (px < 0 || py < 0 || px >= VIVID_WIDTH || py >= VIVID_HEIGHT)
				continue;
			z = z_at(z16, py * VIVID_WIDTH + px);
			if (!z)
				continue;
			/* insertion sort */
			unsigned int k = n++;

			for (; k > 0 && v[k - 1] > z; k--)
				v[k] = v[k - 1];
			v[k] = z;
		}
	return n ? v[n / 2] : 0;
}

struct measured {
	double overlap;
	double nose_before_brows;	/* mm the nose tip is nearer than the inner brows */
	struct pad_depth_measure depth;	/* the library's measures, whole frame */
};

/* frame I of the sequence in DIR: the face detected in colour, measured in depth */
static void measure(struct __test_metadata *_metadata, FIXTURE_DATA(render) *self,
		    const struct sim_seq *seq, unsigned int i, struct measured *m)
{
	struct egate_face_image img = { seq->rgb[i], VIVID_WIDTH, VIVID_HEIGHT, VIVID_WIDTH * 3 };
	struct egate_face_landmarks lm;
	_cleanup_free_ uint16_t *z = malloc(SIM_SEQ_Z16_BYTES);
	struct egate_pad_depth d = {
		.z = z, .width = VIVID_WIDTH, .height = VIVID_HEIGHT, .stride = VIVID_WIDTH,
		.fx = pad_sim_defaults.focal, .fy = pad_sim_defaults.focal,
		.cx = VIVID_WIDTH / 2.0, .cy = VIVID_HEIGHT / 2.0,
	};
	double brows;

	ASSERT_NE(NULL, z);
	ASSERT_EQ(0, face_frame_landmarks(self->engine, &img, 0, &lm)) TH_LOG("frame %u", i);
	for (unsigned int k = 0; k < VIVID_WIDTH * VIVID_HEIGHT; k++)
		z[k] = z_at(seq->z16[i], k);
	m->overlap = overlap(seq->rgb[i], seq->z16[i]);
	brows = (depth_near(seq->z16[i], lm.x[BROWS_INNER_L], lm.y[BROWS_INNER_L]) +
		 depth_near(seq->z16[i], lm.x[BROWS_INNER_R], lm.y[BROWS_INNER_R])) / 2.0;
	m->nose_before_brows = brows - depth_near(seq->z16[i], lm.x[NOSE_TIP], lm.y[NOSE_TIP]);
	ASSERT_EQ(0, pad_depth_measure(&d, &lm, &m->depth));
}

static void load(struct __test_metadata *_metadata, FIXTURE_DATA(render) *self,
		 const char *kind, const char *seed, struct sim_seq **seq)
{
	char dir[PATH_MAX];

	if (render_seq(self, kind, kind, seed, dir))
		agent_log_dump(&self->env);
	ASSERT_EQ(0, access(dir, F_OK));
	ASSERT_EQ(0, sim_seq_load(dir, seq));
	ASSERT_EQ(atoi(FRAMES), (*seq)->n);
	ASSERT_NE(NULL, (*seq)->z16);
}

TEST_F(render, bona_fide_has_a_nose_in_depth_where_colour_has_the_face)
{
	struct sim_seq *seq = NULL;
	struct measured m;

	load(_metadata, self, "bona-fide", "7", &seq);
	for (unsigned int i = 0; i < seq->n; i++) {
		measure(_metadata, self, seq, i, &m);
		EXPECT_LT(0.98, m.overlap) TH_LOG("frame %u: overlap %.3f", i, m.overlap);
		/* the generic nose stands some 30 mm out, scaled 0.55-1.3 */
		EXPECT_LT(10, m.nose_before_brows) TH_LOG("frame %u: %.1f mm", i,
							   m.nose_before_brows);
		EXPECT_LT(12, m.depth.relief_mm) TH_LOG("frame %u: relief %.1f mm", i,
							  m.depth.relief_mm);
	}
	sim_seq_free(seq);
}

static void expect_flat(struct __test_metadata *_metadata, FIXTURE_DATA(render) *self,
			const char *kind)
{
	struct sim_seq *seq = NULL;
	struct measured m;

	load(_metadata, self, kind, "7", &seq);
	for (unsigned int i = 0; i < seq->n; i++) {
		measure(_metadata, self, seq, i, &m);
		EXPECT_LT(0.98, m.overlap) TH_LOG("%s frame %u: overlap %.3f", kind, i, m.overlap);
		EXPECT_GT(5, fabs(m.depth.relief_mm)) TH_LOG("%s frame %u: relief %.1f mm", kind, i,
							      m.depth.relief_mm);
		/* a plane explains the print up to the sensor's noise */
		EXPECT_GT(2 * m.depth.noise_mm + 1, m.depth.plane_mm)
			TH_LOG("%s frame %u: plane %.1f noise %.1f", kind, i, m.depth.plane_mm,
			       m.depth.noise_mm);
	}
	sim_seq_free(seq);
}

TEST_F(render, a_print_is_flat_in_depth)
{
	expect_flat(_metadata, self, "print");
	expect_flat(_metadata, self, "print-still");
}

TEST_F(render, same_seed_same_frames)
{
	struct sim_seq *a = NULL, *b = NULL, *c = NULL;
	char dir[PATH_MAX];

	ASSERT_EQ(0, render_seq(self, "a", "bent-print", "3", dir));
	ASSERT_EQ(0, sim_seq_load(dir, &a));
	ASSERT_EQ(0, render_seq(self, "b", "bent-print", "3", dir));
	ASSERT_EQ(0, sim_seq_load(dir, &b));
	ASSERT_EQ(0, render_seq(self, "c", "bent-print", "4", dir));
	ASSERT_EQ(0, sim_seq_load(dir, &c));
	for (unsigned int i = 0; i < a->n; i++) {
		EXPECT_EQ(0, memcmp(a->rgb[i], b->rgb[i], SIM_SEQ_RGB_BYTES));
		EXPECT_EQ(0, memcmp(a->z16[i], b->z16[i], SIM_SEQ_Z16_BYTES));
		EXPECT_NE(0, memcmp(a->z16[i], c->z16[i], SIM_SEQ_Z16_BYTES));
	}
	sim_seq_free(a);
	sim_seq_free(b);
	sim_seq_free(c);
}

TEST_F(render, bad_arguments_are_refused)
{
	char dir[PATH_MAX], other[PATH_MAX];

	EXPECT_EQ(1, render_seq(self, "x", "mask", "1", dir));
	EXPECT_EQ(1, render_seq(self, "x", "print", "1x", dir));
	EXPECT_TRUE(agent_log_wait(&self->env, "unknown kind 'mask'", 1, 0));
	EXPECT_TRUE(agent_log_wait(&self->env, "seed '1x' is no number", 1, 0));
	EXPECT_EQ(1, agent_tool(&self->env, "egate-sim-camera", (const char *[]) {
		"render-seq", "--frames", "0", dir, "print", self->photo, "0", NULL }));
	EXPECT_TRUE(agent_log_wait(&self->env, "--frames: 1..600", 1, 0));
	/* a photo with no face in it: the demo's favicon */
	snprintf(other, sizeof(other), "%s/../favicon.ico", self->env.photos);
	EXPECT_EQ(1, agent_tool(&self->env, "egate-sim-camera", (const char *[]) {
		"render-seq", dir, "print", other, "0", NULL }));
	EXPECT_EQ(-1, access(dir, F_OK));	/* nothing written */
}

TEST_HARNESS_MAIN
