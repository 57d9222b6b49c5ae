// SPDX-License-Identifier: MIT
/*
 * The gallery builder: an F32 builder makes the gallery _add() makes; an
 * INT8 builder of a count that is not a power of two finds what exact
 * search finds (its mean and steps are measured on all templates); a bad
 * template, a second _finish() or an _add() after it are refused; a
 * builder freed half-way leaves nothing behind (ASan).
 */
#include <math.h>

#include "kselftest_harness.h"
#include "common.h"
#include "gallery-synth.h"

#define D EGATE_FACE_DESCRIPTOR_DIM

/* Template I of a model with a large part common to all templates (as
 * real descriptors have) and a spread that differs between dimensions. */
static void tmpl(uint64_t i, float *out)
{
	static struct synth s;

	if (!s.trace)
		synth_toy(&s);
	synth_draw(&s, i, out);
}

static struct egate_face_gallery *build(enum egate_face_gallery_kind kind, size_t n)
{
	struct egate_face_gallery_builder *b = NULL;
	struct egate_face_gallery *g = NULL;
	float x[D];
	int r;

	r = egate_face_gallery_builder_new(kind, n / 2, &b);	/* grows past its guess */
	for (size_t i = 0; r >= 0 && i < n; i++) {
		tmpl(i, x);
		r = egate_face_gallery_builder_add(b, 1000 + i, x);
	}
	if (r >= 0)
		r = egate_face_gallery_builder_finish(b, &g);
	egate_face_gallery_builder_free(b);
	return r < 0 ? NULL : g;
}

TEST(f32_builder_is_add)
{
	struct egate_face_gallery *b = build(EGATE_FACE_GALLERY_F32, 1000), *a = NULL;
	float x[D];

	ASSERT_NE(NULL, b);
	ASSERT_EQ(0, egate_face_gallery_new(EGATE_FACE_GALLERY_F32, 1000, &a));
	for (size_t i = 0; i < 1000; i++) {
		tmpl(i, x);
		ASSERT_EQ((int64_t)i, egate_face_gallery_add(a, 1000 + i, x));
	}
	ASSERT_EQ(1000u, egate_face_gallery_size(b));
	EXPECT_EQ(EGATE_FACE_GALLERY_F32, (int)egate_face_gallery_kind(b));
	for (size_t i = 0; i < 1000; i++) {
		EXPECT_EQ(egate_face_gallery_id(a, i), egate_face_gallery_id(b, i));
		EXPECT_EQ(0, memcmp(egate_face_gallery_template(a, i),
				    egate_face_gallery_template(b, i), D * sizeof(float)));
	}
	egate_face_gallery_free(a);
	egate_face_gallery_free(b);
}

/* 70000 templates: the top 5 of 200 probes as exact search's, to the bit */
TEST(int8_builder_top5_is_exact)
{
	const size_t n = 70000;
	struct egate_face_gallery *g = build(EGATE_FACE_GALLERY_INT8, n);
	int differ = 0;
	float x[D];

	ASSERT_NE(NULL, g);
	ASSERT_EQ(n, egate_face_gallery_size(g));
	ASSERT_EQ(EGATE_FACE_GALLERY_INT8, (int)egate_face_gallery_kind(g));
	for (int q = 0; q < 200; q++) {
		struct egate_face_search_opts quick = { .k = 5 }, exact = { .k = 5, .exact = 1 };
		struct egate_face_match mq[5], me[5];

		tmpl(q % 2 ? n + (size_t)q : (size_t)q * 331 % n, x);
		if (q % 2 == 0)
			for (int d = 0; d < D; d++)
				x[d] += 0.002f * sinf((float)(q + d));
		ASSERT_EQ(5, egate_face_gallery_search(g, x, &quick, mq, 5));
		ASSERT_EQ(5, egate_face_gallery_search(g, x, &exact, me, 5));
		for (int k = 0; k < 5; k++)
			differ += mq[k].id != me[k].id ||
				  memcmp(&mq[k].distance, &me[k].distance, sizeof(float));
		if (q % 2 == 0)
			EXPECT_EQ(1000 + (uint64_t)q * 331 % n, mq[0].id);
	}
	EXPECT_EQ(0, differ);
	egate_face_gallery_free(g);
}

TEST(refusals)
{
	struct egate_face_gallery_builder *b = NULL;
	struct egate_face_gallery *g = NULL, *g2 = NULL;
	float x[D];

	tmpl(1, x);
	EXPECT_EQ(-EINVAL, egate_face_gallery_builder_new(EGATE_FACE_GALLERY_INT8, 10, NULL));
	EXPECT_EQ(-EINVAL, egate_face_gallery_builder_new(7, 10, &b));
	ASSERT_EQ(0, egate_face_gallery_builder_new(EGATE_FACE_GALLERY_INT8, 10, &b));
	EXPECT_EQ(0, egate_face_gallery_builder_add(b, 1, x));
	x[3] = NAN;
	EXPECT_EQ(-EINVAL, egate_face_gallery_builder_add(b, 2, x));
	x[3] = 2e3f;
	EXPECT_EQ(-EINVAL, egate_face_gallery_builder_add(b, 2, x));
	x[3] = 0;
	EXPECT_EQ(-EINVAL, egate_face_gallery_builder_add(b, 2, NULL));
	ASSERT_EQ(0, egate_face_gallery_builder_finish(b, &g));
	EXPECT_EQ(1u, egate_face_gallery_size(g));
	EXPECT_EQ(-EINVAL, egate_face_gallery_builder_finish(b, &g2));
	EXPECT_EQ(-EINVAL, egate_face_gallery_builder_add(b, 3, x));
	egate_face_gallery_builder_free(b);
	/* the finished gallery is the caller's, and takes more */
	EXPECT_EQ(1, egate_face_gallery_add(g, 3, x));
	egate_face_gallery_free(g);
	egate_face_gallery_builder_free(NULL);
}

/* freed half-way, past a block written to the file: ASan sees no leak */
TEST(freed_half_way)
{
	struct egate_face_gallery_builder *b = NULL;
	float x[D];

	ASSERT_EQ(0, egate_face_gallery_builder_new(EGATE_FACE_GALLERY_INT8, 100, &b));
	for (int i = 0; i < 5000; i++) {
		tmpl((uint64_t)i, x);
		ASSERT_EQ(0, egate_face_gallery_builder_add(b, (uint64_t)i, x));
	}
	egate_face_gallery_builder_free(b);
}

TEST_HARNESS_MAIN
