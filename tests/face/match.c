// SPDX-License-Identifier: MIT
/*
 * Matching: distance, 1:1 verification, 1:N search (exact and int8 with
 * exact re-ranking: top-1 must equal exact), top-k order and margins,
 * gallery files, limits.
 */
#include <math.h>
#include <pthread.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "common.h"

#define D EGATE_FACE_DESCRIPTOR_DIM

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static float frand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (float)((rng >> 11) * (1.0 / 9007199254740992.0)) * 2 - 1;
}

static void synth(float *d)
{
	float n = 0;

	for (int i = 0; i < D; i++) {
		d[i] = frand();
		n += d[i] * d[i];
	}
	for (int i = 0; i < D; i++)
		d[i] *= 1.4f / sqrtf(n);
}

TEST(distance_and_verify)
{
	float a[D] = { 0 }, b[D] = { 0 }, d;

	a[0] = 0.3f;
	b[0] = -0.2f;
	b[5] = 0.5f;
	ASSERT_LT(fabsf(egate_face_distance(a, b) - sqrtf(0.25f + 0.25f)), 1e-6f);
	ASSERT_EQ(0, egate_face_verify(a, b, 0.6f, &d));	/* 0.707 >= 0.6 */
	ASSERT_EQ(1, egate_face_verify(a, b, 0.8f, &d));
	ASSERT_EQ(-EINVAL, egate_face_verify(a, b, -1, &d));
	ASSERT_EQ(-EINVAL, egate_face_verify(NULL, b, 0.6f, &d));
}

static void check_search(struct __test_metadata *_metadata, enum egate_face_gallery_kind kind,
			 size_t n, int queries)
{
	struct egate_face_gallery *g = NULL;
	float *all = malloc(n * D * sizeof(float));

	ASSERT_NE(NULL, all);
	ASSERT_EQ(0, egate_face_gallery_new(kind, 0, &g));
	for (size_t i = 0; i < n; i++) {
		synth(all + i * D);
		ASSERT_EQ((int64_t)i, egate_face_gallery_add(g, 1000 + i, all + i * D));
	}
	ASSERT_EQ(n, egate_face_gallery_size(g));
	for (int j = 0; j < queries; j++) {
		struct egate_face_search_opts ex = { .k = 5, .exact = 1 }, ap = { .k = 5 };
		struct egate_face_match me[5], ma[5];
		float q[D];
		size_t best = 0;
		float bd = INFINITY;
		int ne, na;

		synth(q);
		if (j % 2 == 0) /* genuine: near a template */
			for (int k = 0; k < D; k++)
				q[k] = all[(size_t)(j * 7919 % n) * D + k] + 0.2f * q[k];
		for (size_t i = 0; i < n; i++) {
			float d = egate_face_distance(q, all + i * D);

			if (d < bd) {
				bd = d;
				best = i;
			}
		}
		ne = egate_face_gallery_search(g, q, &ex, me, 5);
		na = egate_face_gallery_search(g, q, &ap, ma, 5);
		ASSERT_EQ(5, ne);
		ASSERT_EQ(5, na);
		ASSERT_EQ(best, me[0].index);
		ASSERT_EQ(1000 + best, me[0].id);
		ASSERT_EQ(best, ma[0].index);
		ASSERT_LT(fabsf(ma[0].distance - bd), 1e-6f);
		for (int k = 1; k < 5; k++)
			ASSERT_LE(me[k - 1].distance, me[k].distance);
	}
	egate_face_gallery_free(g);
	free(all);
}

TEST(search_exact_f32)
{
	check_search(_metadata, EGATE_FACE_GALLERY_F32, 3000, 50);
}

TEST(search_int8_rerank_top1_is_exact)
{
	check_search(_metadata, EGATE_FACE_GALLERY_INT8, 20000, 100);
}

TEST(search_small_and_limits)
{
	struct egate_face_gallery *g = NULL;
	struct egate_face_search_opts o = { .k = 3 };
	struct egate_face_match m[3];
	float d[D];

	ASSERT_EQ(-EINVAL, egate_face_gallery_new(7, 0, &g));
	ASSERT_EQ(-EINVAL, egate_face_gallery_new(EGATE_FACE_GALLERY_F32,
						  (size_t)EGATE_FACE_MAX_GALLERY + 1, &g));
	ASSERT_EQ(0, egate_face_gallery_new(EGATE_FACE_GALLERY_INT8, 1, &g));
	synth(d);
	ASSERT_EQ(0, egate_face_gallery_search(g, d, &o, m, 3));	/* empty */
	ASSERT_EQ(0, egate_face_gallery_add(g, 1, d));
	ASSERT_EQ(1, egate_face_gallery_search(g, d, &o, m, 3));
	ASSERT_EQ(0.0f, m[0].distance);
	d[3] = NAN;
	ASSERT_EQ(-EINVAL, egate_face_gallery_add(g, 2, d));
	ASSERT_EQ(-EINVAL, egate_face_gallery_search(g, d, &o, m, 3));
	o.k = EGATE_FACE_MAX_TOPK + 1;
	d[3] = 0;
	ASSERT_EQ(-EINVAL, egate_face_gallery_search(g, d, &o, m, 3));
	egate_face_gallery_free(g);
}

TEST(remove_traveller)
{
	struct egate_face_gallery *g = NULL;
	struct egate_face_search_opts o = { .k = 10 };
	struct egate_face_match m[10];
	float d[D], probe[D];
	int n;

	ASSERT_EQ(0, egate_face_gallery_new(EGATE_FACE_GALLERY_INT8, 0, &g));
	for (int i = 0; i < 50; i++) {
		synth(d);
		if (i == 7)
			memcpy(probe, d, sizeof(d));
		/* traveller 3 has templates 3, 7 (the probe) and 11 */
		ASSERT_EQ(i, egate_face_gallery_add(g, i == 7 || i == 11 ? 3 : (uint64_t)i, d));
	}
	n = egate_face_gallery_search(g, probe, &o, m, 10);
	ASSERT_EQ(10, n);
	ASSERT_EQ(3u, m[0].id);
	ASSERT_EQ(3, egate_face_gallery_remove_id(g, 3));
	ASSERT_EQ(47u, egate_face_gallery_size(g));
	n = egate_face_gallery_search(g, probe, &o, m, 10);
	for (int i = 0; i < n; i++)
		ASSERT_NE(3u, m[i].id);
	ASSERT_EQ(0, egate_face_gallery_remove_id(g, 3));
	egate_face_gallery_free(g);
}

TEST(gallery_file_roundtrip)
{
	struct egate_face_gallery *g = NULL, *h = NULL;
	char path[] = "/tmp/egate-gallery-XXXXXX", err[256];
	float d[D];
	int fd = mkstemp(path);

	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, egate_face_gallery_new(EGATE_FACE_GALLERY_INT8, 0, &g));
	for (int i = 0; i < 100; i++) {
		synth(d);
		ASSERT_EQ(i, egate_face_gallery_add(g, 77 + i, d));
	}
	ASSERT_EQ(0, egate_face_gallery_save(g, path, err, sizeof(err)));
	ASSERT_EQ(0, egate_face_gallery_load(path, &h, err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(100u, egate_face_gallery_size(h));
	ASSERT_EQ(0, memcmp(egate_face_gallery_template(g, 42), egate_face_gallery_template(h, 42),
			    D * sizeof(float)));
	ASSERT_EQ(77u + 42, egate_face_gallery_id(h, 42));
	ASSERT_EQ(0, truncate(path, 100));
	egate_face_gallery_free(h);
	h = NULL;
	ASSERT_EQ(-EBADMSG, egate_face_gallery_load(path, &h, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, path));
	unlink(path);
	egate_face_gallery_free(g);
}

/* Same person closer than different people on the demo images. */
TEST(demo_faces_verify)
{
	struct egate_face_engine *e = NULL;
	char err[256];

	if (!have_models())
		SKIP(return, "models not fetched");
	ASSERT_EQ(0, egate_face_engine_new(models_dir(), &e, err, sizeof(err)));
	do {
		struct egate_face_picture *p = NULL;
		struct egate_face_detection det[8];
		struct egate_face_landmarks lm;
		struct egate_face_quality q;
		struct egate_face_image img;
		float desc[8][D];
		char path[PATH_MAX];
		int n;

		demo_path(path, sizeof(path), "sample1.jpg");
		ASSERT_EQ(0, egate_face_picture_load(path, &p, err, sizeof(err)));
		img = egate_face_picture_image(p);
		n = egate_face_detect(e, &img, NULL, det, 8);
		ASSERT_LE(2, n);
		for (int i = 0; i < n; i++) {
			ASSERT_EQ(0, egate_face_landmarks(e, &img, &det[i].box, &lm));
			ASSERT_EQ(0, egate_face_quality(&img, &lm, &q));
			ASSERT_LT(20, q.inter_eye);
			ASSERT_LT(fabs(q.pose.roll), 90);
			ASSERT_LT(0, q.sharpness);
			ASSERT_EQ(0, egate_face_descriptor(e, &img, &lm, desc[i]));
			ASSERT_EQ(1, egate_face_verify(desc[i], desc[i], 0.6f, NULL));
		}
		/* different people in one photo are impostors */
		ASSERT_EQ(0, egate_face_verify(desc[0], desc[1], 0.6f, NULL));
		egate_face_picture_free(p);
	} while (0);
	egate_face_engine_free(e);
}

/* A clone shares the weights and outlives its original. */
TEST(engine_clone)
{
	struct egate_face_engine *e = NULL, *c = NULL;
	static uint8_t px[160 * 150 * 3];
	struct egate_face_image img = { px, 150, 160, 450 };
	float a[D], b[D];
	char err[256];

	if (!have_models())
		SKIP(return, "models not fetched");
	for (size_t i = 0; i < sizeof(px); i++)
		px[i] = (uint8_t)(i * 7 % 251);
	ASSERT_EQ(0, egate_face_engine_new(models_dir(), &e, err, sizeof(err)));
	ASSERT_EQ(0, egate_face_engine_clone(e, &c));
	ASSERT_EQ(0, egate_face_descriptor_crop(e, &img, a));
	egate_face_engine_free(e);
	ASSERT_EQ(0, egate_face_descriptor_crop(c, &img, b));
	ASSERT_EQ(0, memcmp(a, b, sizeof(a)));
	egate_face_engine_free(c);
}

struct worker {
	struct egate_face_engine *e;
	const struct egate_face_image *img;
	float desc[D];
	int r;
};

static void *work(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < 3 && !w->r; i++)
		w->r = egate_face_descriptor_crop(w->e, w->img, w->desc);
	return NULL;
}

/* One engine per thread (clones): same answers as one thread. */
TEST(threads_with_clones)
{
	struct egate_face_engine *e = NULL;
	static uint8_t px[150 * 150 * 3];
	struct egate_face_image img = { px, 150, 150, 450 };
	struct worker w[2];
	pthread_t t[2];
	float ref[D];
	char err[256];

	if (!have_models())
		SKIP(return, "models not fetched");
	for (size_t i = 0; i < sizeof(px); i++)
		px[i] = (uint8_t)(i * 13 % 253);
	ASSERT_EQ(0, egate_face_engine_new(models_dir(), &e, err, sizeof(err)));
	ASSERT_EQ(0, egate_face_descriptor_crop(e, &img, ref));
	for (int i = 0; i < 2; i++) {
		w[i].img = &img;
		w[i].r = 0;
		ASSERT_EQ(0, egate_face_engine_clone(e, &w[i].e));
		ASSERT_EQ(0, pthread_create(&t[i], NULL, work, &w[i]));
	}
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, pthread_join(t[i], NULL));
		ASSERT_EQ(0, w[i].r);
		ASSERT_EQ(0, memcmp(ref, w[i].desc, sizeof(ref)));
		egate_face_engine_free(w[i].e);
	}
	egate_face_engine_free(e);
}

/* Portrait images pad on the right; boxes past the border are clipped. */
TEST(portrait_and_border_faces)
{
	struct egate_face_engine *e = NULL;
	struct egate_face_picture *p = NULL;
	struct egate_face_detection det[8];
	char err[256], path[PATH_MAX];
	int found = 0;

	if (!have_models())
		SKIP(return, "models not fetched");
	ASSERT_EQ(0, egate_face_engine_new(models_dir(), &e, err, sizeof(err)));
	demo_path(path, sizeof(path), "sample2.jpg");
	ASSERT_EQ(0, egate_face_picture_load(path, &p, err, sizeof(err)));
	do {
		struct egate_face_image img = egate_face_picture_image(p), sub;
		int n = egate_face_detect(e, &img, NULL, det, 8);

		ASSERT_LE(1, n);
		/* portrait windows around the face, shifted so it crosses the
		 * left, right and top borders */
		for (int shift = -120; shift <= 120; shift += 60) {
			int w = (int)det[0].box.width + 40, h = (int)det[0].box.height * 3;
			int x = (int)det[0].box.x - 20 + shift, y = (int)det[0].box.y - 40;
			struct egate_face_landmarks lm;
			float d[D];
			int m;

			if (x < 0)
				x = 0;
			if (y < 0)
				y = 0;
			if (x + w > (int)img.width)
				w = (int)img.width - x;
			if (y + h > (int)img.height)
				h = (int)img.height - y;
			sub = (struct egate_face_image){ img.rgb + (size_t)y * img.stride + (size_t)x * 3,
							 (uint32_t)w, (uint32_t)h, img.stride };
			m = egate_face_detect(e, &sub, NULL, det + 1, 7);
			ASSERT_LE(0, m);
			for (int i = 1; i <= m; i++) {
				ASSERT_EQ(0, egate_face_landmarks(e, &sub, &det[i].box, &lm));
				ASSERT_EQ(0, egate_face_descriptor(e, &sub, &lm, d));
				found++;
			}
		}
	} while (0);
	ASSERT_LE(1, found);
	egate_face_picture_free(p);
	egate_face_engine_free(e);
}

TEST_HARNESS_MAIN
