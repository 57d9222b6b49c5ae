// SPDX-License-Identifier: MIT
/*
 * Ways of running the same nets that must give the same bits: one thread
 * against several (egate_face_engine_set_threads()), and the AVX-512
 * kernels against the AVX2 ones ($EGATE_FACE_ISA), on the demo images:
 * detections at 320 and 416, the landmarks and descriptor of every face,
 * compared with memcmp.  A split that changed the order of a single sum
 * would change some low bit of some descriptor.
 */
#include "kselftest_harness.h"
#include "common.h"

#define MAX_DET 64

/* everything an engine says about one image */
struct outputs {
	int n[2];
	struct egate_face_detection det[2][MAX_DET];
	struct egate_face_landmarks lm[MAX_DET];
	float desc[MAX_DET][EGATE_FACE_DESCRIPTOR_DIM];
};

static int run(struct egate_face_engine *e, const struct egate_face_image *img,
	       struct outputs *o)
{
	static const uint32_t sizes[2] = { 320, 416 };
	int r;

	memset(o, 0, sizeof(*o));
	for (int s = 0; s < 2; s++) {
		struct egate_face_detect_opts opts = { .input_size = sizes[s] };

		o->n[s] = egate_face_detect(e, img, &opts, o->det[s], MAX_DET);
		if (o->n[s] < 0)
			return o->n[s];
	}
	for (int i = 0; i < o->n[1]; i++) {
		r = egate_face_landmarks(e, img, &o->det[1][i].box, &o->lm[i]);
		if (r >= 0)
			r = egate_face_descriptor(e, img, &o->lm[i], o->desc[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

#ifdef __SANITIZE_ADDRESS__
#define NUM_IMAGES 2	/* keep the sanitizer run short */
#else
#define NUM_IMAGES 6
#endif

/* Runs A and B on each demo image and requires the same bytes. */
static void compare(struct __test_metadata *_metadata, struct egate_face_engine *a,
		    struct egate_face_engine *b, const char *what)
{
	static struct outputs oa, ob;
	int faces = 0;

	for (int i = 1; i <= NUM_IMAGES; i++) {
		struct egate_face_picture *pic = NULL;
		struct egate_face_image img;
		char path[PATH_MAX], name[32], err[256] = "";

		snprintf(name, sizeof(name), "sample%d.jpg", i);
		demo_path(path, sizeof(path), name);
		ASSERT_EQ(0, egate_face_picture_load(path, &pic, err, sizeof(err))) TH_LOG("%s", err);
		img = egate_face_picture_image(pic);
		ASSERT_EQ(0, run(a, &img, &oa));
		ASSERT_EQ(0, run(b, &img, &ob));
		egate_face_picture_free(pic);
		EXPECT_EQ(oa.n[0], ob.n[0]) TH_LOG("%s: faces @320", name);
		EXPECT_EQ(oa.n[1], ob.n[1]) TH_LOG("%s: faces @416", name);
		EXPECT_EQ(0, memcmp(oa.det, ob.det, sizeof(oa.det))) TH_LOG("%s: boxes", name);
		EXPECT_EQ(0, memcmp(oa.lm, ob.lm, sizeof(oa.lm))) TH_LOG("%s: landmarks", name);
		EXPECT_EQ(0, memcmp(oa.desc, ob.desc, sizeof(oa.desc))) TH_LOG("%s: descriptors", name);
		faces += oa.n[1];
	}
	EXPECT_LT(0, faces);
	ksft_print_msg("%s: %d images, %d faces, same bits\n", what, NUM_IMAGES, faces);
	fflush(stdout);
}

FIXTURE(engines) {
	struct egate_face_engine *one, *more;
};

FIXTURE_SETUP(engines)
{
	char err[256] = "";

	self->one = self->more = NULL;
	if (!have_models())
		SKIP(return, "models not fetched (scripts/fetch-face-models)");
	ASSERT_EQ(0, egate_face_engine_new(models_dir(), &self->one, err, sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_EQ(0, egate_face_engine_clone(self->one, &self->more));
}

FIXTURE_TEARDOWN(engines)
{
	egate_face_engine_free(self->one);
	egate_face_engine_free(self->more);
}

TEST_F_TIMEOUT(engines, two_threads_same_bits, 600)
{
	if (_metadata->skip)
		return;	/* SKIP()ped in the set-up */
	EXPECT_EQ(1u, egate_face_engine_threads(self->more));
	ASSERT_EQ(0, egate_face_engine_set_threads(self->more, 2));
	EXPECT_EQ(2u, egate_face_engine_threads(self->more));
	EXPECT_EQ(1u, egate_face_engine_threads(self->one));
	compare(_metadata, self->one, self->more, "1 vs 2 threads");
}

/* three parts do not divide the 16-channel blocks (2, 4, 8, ...) evenly:
 * the runs of pixel tiles, and uneven row shares */
TEST_F_TIMEOUT(engines, three_threads_same_bits, 600)
{
	if (_metadata->skip)
		return;	/* SKIP()ped in the set-up */
	ASSERT_EQ(0, egate_face_engine_set_threads(self->more, 3));
	compare(_metadata, self->one, self->more, "1 vs 3 threads");
}

/* An engine with the kernels $EGATE_FACE_ISA=ISA picks. */
static int engine_isa(const char *isa, struct egate_face_engine **e)
{
	char err[256] = "";
	int r;

	setenv("EGATE_FACE_ISA", isa, 1);
	r = egate_face_engine_new(models_dir(), e, err, sizeof(err));
	unsetenv("EGATE_FACE_ISA");
	return r;
}

FIXTURE(isas) {
	struct egate_face_engine *avx2, *avx512;
};

FIXTURE_SETUP(isas)
{
	self->avx2 = self->avx512 = NULL;
	if (!have_models())
		SKIP(return, "models not fetched (scripts/fetch-face-models)");
	ASSERT_EQ(0, engine_isa("avx2", &self->avx2));
	ASSERT_EQ(0, engine_isa("avx512", &self->avx512));
	if (strcmp(egate_face_engine_isa(self->avx2), "avx2") ||
	    strcmp(egate_face_engine_isa(self->avx512), "avx512"))
		SKIP(return, "this CPU has no AVX-512F (or no AVX2+FMA): nothing to compare");
}

FIXTURE_TEARDOWN(isas)
{
	egate_face_engine_free(self->avx2);
	egate_face_engine_free(self->avx512);
}

TEST_F_TIMEOUT(isas, avx512_same_bits_as_avx2, 600)
{
	if (_metadata->skip)
		return;	/* SKIP()ped in the set-up */
	compare(_metadata, self->avx2, self->avx512, "avx2 vs avx512");
	/* odd runs of channel blocks: the one-block tile */
	ASSERT_EQ(0, egate_face_engine_set_threads(self->avx512, 3));
	compare(_metadata, self->avx2, self->avx512, "avx2 vs avx512 on 3 threads");
}

TEST_F(engines, thread_count_limits)
{
	if (_metadata->skip)
		return;	/* SKIP()ped in the set-up */
	EXPECT_EQ(-EINVAL, egate_face_engine_set_threads(self->more, 0));
	EXPECT_EQ(-EINVAL, egate_face_engine_set_threads(self->more, EGATE_FACE_MAX_THREADS + 1));
	EXPECT_EQ(-EINVAL, egate_face_engine_set_threads(NULL, 2));
	EXPECT_EQ(1u, egate_face_engine_threads(self->more));
	/* up, down and up again: the pool is replaced, not leaked */
	ASSERT_EQ(0, egate_face_engine_set_threads(self->more, EGATE_FACE_MAX_THREADS));
	EXPECT_EQ((unsigned)EGATE_FACE_MAX_THREADS, egate_face_engine_threads(self->more));
	ASSERT_EQ(0, egate_face_engine_set_threads(self->more, 1));
	EXPECT_EQ(1u, egate_face_engine_threads(self->more));
	ASSERT_EQ(0, egate_face_engine_set_threads(self->more, 2));
	EXPECT_EQ(2u, egate_face_engine_threads(self->more));
	EXPECT_EQ(0u, egate_face_engine_threads(NULL));
}

TEST_HARNESS_MAIN
