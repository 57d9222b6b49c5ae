// SPDX-License-Identifier: GPL-2.0
/*
 * pad_sim_test - the synthetic presentations and what the detector makes
 * of them: the generator is deterministic for a seed (and a seed matters),
 * its live head has the generic face's size and relief, its depth noise
 * grows with distance; in depth mode the live head is bona fide and every
 * attack an attack, in colour mode a still or moving flat print is an
 * attack and the live head bona fide.  The "photo" is the generic face
 * itself, so this needs no data beyond the build.
 */
#include <string.h>

#include "pad-internal.h"
#include "sim.h"
#include "thresholds.h"
#include "kselftest_harness.h"
#include "pad_test.h"

DEFINE_POINTER_CLEANUP(struct pad_sim_seq, seq_freep, pad_sim_seq_free)

FIXTURE(sim) {
	struct pad_sim_face *face;
};

/* the generic face as a photo (pad_test.h) */
FIXTURE_SETUP(sim)
{
	struct egate_face_landmarks photo;

	pad_test_photo(&photo);
	ASSERT_EQ(0, pad_sim_face_new(&photo, &self->face));
}

FIXTURE_TEARDOWN(sim)
{
	pad_sim_face_free(self->face);
}

static int same(const struct pad_sim_seq *a, const struct pad_sim_seq *b, uint32_t depth)
{
	if (a->n != b->n)
		return 0;
	for (uint32_t i = 0; i < a->n; i++) {
		const struct pad_sim_frame *x = &a->frames[i], *y = &b->frames[i];

		if (memcmp(&x->lm, &y->lm, sizeof(x->lm)))
			return 0;
		if (i < depth && (x->depth.width != y->depth.width ||
				  x->depth.height != y->depth.height ||
				  memcmp(x->depth.z, y->depth.z, sizeof(uint16_t) *
					 x->depth.width * x->depth.height)))
			return 0;
	}
	return 1;
}

TEST_F(sim, deterministic_for_a_seed)
{
	for (int k = 0; k < PAD_SIM_KINDS; k++) {
		_cleanup_(seq_freep) struct pad_sim_seq *a = NULL, *b = NULL, *c = NULL;

		ASSERT_EQ(0, pad_sim_sequence(self->face, k, 42, NULL, 2, &a));
		ASSERT_EQ(0, pad_sim_sequence(self->face, k, 42, NULL, 2, &b));
		ASSERT_EQ(0, pad_sim_sequence(self->face, k, 43, NULL, 2, &c));
		EXPECT_TRUE(same(a, b, 2)) TH_LOG("%s", pad_sim_kind_name(k));
		EXPECT_FALSE(same(a, c, 2)) TH_LOG("%s", pad_sim_kind_name(k));
		EXPECT_EQ(pad_sim_defaults.frames, a->n);
		EXPECT_NE(NULL, a->frames[1].depth.z);
		EXPECT_EQ(NULL, a->frames[2].depth.z);
	}
}

TEST_F(sim, live_head_has_the_generic_size_and_relief)
{
	_cleanup_(seq_freep) struct pad_sim_seq *s = NULL;
	struct pad_depth_measure m;
	const struct pad_sim_frame *f;

	ASSERT_EQ(0, pad_sim_sequence(self->face, PAD_SIM_BONA_FIDE, 1, NULL, 1, &s));
	f = &s->frames[0];
	/* 63 mm between the eyes at the nose's distance, roughly (the eyes
	 * sit some 35 mm behind the nose, and the head is turned a little) */
	EXPECT_NEAR(63 * pad_sim_defaults.focal / (f->t[2] + 35), pad_eye_distance(&f->truth),
		    0.1 * pad_eye_distance(&f->truth));
	ASSERT_EQ(0, pad_depth_measure(&f->depth, &f->lm, &m));
	/* the generic nose stands some 30 mm out of the brows and mouth; this
	 * head's depths are head_depth times the generic ones */
	EXPECT_NEAR(30 * s->head_depth, m.relief_mm, 4);
	EXPECT_GE(s->head_depth, pad_sim_defaults.head_depth.lo);
	EXPECT_LE(s->head_depth, pad_sim_defaults.head_depth.hi);
}

TEST_F(sim, depth_noise_grows_with_distance)
{
	struct pad_sim_params p = pad_sim_defaults;
	double noise[2];

	for (int i = 0; i < 2; i++) {
		_cleanup_(seq_freep) struct pad_sim_seq *s = NULL;
		struct pad_depth_measure m;

		p.distance_mm = (struct pad_sim_range){ 500 + 400 * i, 500 + 400 * i };
		ASSERT_EQ(0, pad_sim_sequence(self->face, PAD_SIM_PRINT_STILL, 3, &p, 1, &s));
		ASSERT_EQ(0, pad_depth_measure(&s->frames[0].depth, &s->frames[0].lm, &m));
		noise[i] = m.noise_mm;
	}
	/* sigma 1.5 mm at 500 mm, (900 / 500)^2 times that at 900 mm */
	EXPECT_NEAR(p.depth_sigma_mm, noise[0], 0.4);
	EXPECT_NEAR(p.depth_sigma_mm * 3.24, noise[1], 1.0);
}

static enum egate_pad_verdict verdict(const struct pad_sim_face *face, enum pad_sim_kind kind,
				      enum egate_pad_mode mode, uint64_t seed)
{
	_cleanup_(seq_freep) struct pad_sim_seq *s = NULL;
	struct egate_pad_params p = { .focal = pad_sim_defaults.focal };
	struct egate_pad *pad;
	int v = -1;

	if (pad_sim_sequence(face, kind, seed, NULL, PAD_DEPTH_FRAMES, &s) < 0 ||
	    egate_pad_new(mode, &p, &pad) < 0)
		return -1;
	for (uint32_t i = 0; i < s->n; i++) {
		struct egate_pad_frame f = {
			.lm = &s->frames[i].lm, .width = pad_sim_defaults.width,
			.height = pad_sim_defaults.height,
			.depth = s->frames[i].depth.z ? &s->frames[i].depth : NULL,
		};

		v = egate_pad_feed(pad, &f);
		if (v != EGATE_PAD_UNDECIDED)
			break;
	}
	egate_pad_free(pad);
	return v;
}

TEST_F(sim, depth_mode_tells_every_attack)
{
	for (uint64_t seed = 0; seed < 3; seed++) {
		EXPECT_EQ(EGATE_PAD_BONA_FIDE,
			  verdict(self->face, PAD_SIM_BONA_FIDE, EGATE_PAD_DEPTH, seed));
		for (int k = 1; k < PAD_SIM_KINDS; k++) {
			EXPECT_EQ(EGATE_PAD_ATTACK, verdict(self->face, k, EGATE_PAD_DEPTH, seed))
				TH_LOG("%s seed %llu", pad_sim_kind_name(k),
				       (unsigned long long)seed);
		}
	}
}

TEST_F(sim, colour_mode_tells_prints)
{
	for (uint64_t seed = 0; seed < 3; seed++) {
		EXPECT_EQ(EGATE_PAD_ATTACK,
			  verdict(self->face, PAD_SIM_PRINT_STILL, EGATE_PAD_COLOUR, seed));
		EXPECT_EQ(EGATE_PAD_ATTACK,
			  verdict(self->face, PAD_SIM_PRINT, EGATE_PAD_COLOUR, seed));
		EXPECT_EQ(EGATE_PAD_ATTACK,
			  verdict(self->face, PAD_SIM_CUTOUT, EGATE_PAD_COLOUR, seed));
		EXPECT_EQ(EGATE_PAD_BONA_FIDE,
			  verdict(self->face, PAD_SIM_BONA_FIDE, EGATE_PAD_COLOUR, seed))
			TH_LOG("seed %llu", (unsigned long long)seed);
	}
}

TEST_F(sim, refuses_bad_arguments)
{
	struct pad_sim_params p = pad_sim_defaults;
	struct pad_sim_seq *s;
	struct egate_face_landmarks dot = { 0 };
	struct pad_sim_face *f;

	EXPECT_EQ(-EINVAL, pad_sim_sequence(self->face, PAD_SIM_KINDS, 0, NULL, 0, &s));
	p.frames = 0;
	EXPECT_EQ(-EINVAL, pad_sim_sequence(self->face, PAD_SIM_PRINT, 0, &p, 0, &s));
	EXPECT_EQ(-EINVAL, pad_sim_face_new(&dot, &f));	/* no eye distance */
}

TEST_HARNESS_MAIN
