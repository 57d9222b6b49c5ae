// SPDX-License-Identifier: MIT
/*
 * Quality measures: each one against an image or landmarks made to have a
 * known value (eyes closed, mouth open, clipped white or black, one half
 * of the face dark), and sharpness_norm against the same face at half the
 * size (it must hardly move while the raw sharpness does) and blurred.
 */
#include <math.h>

#include "kselftest_harness.h"
#include "common.h"

#define W 640
#define H 480

static uint8_t px[W * H * 3];
static const struct egate_face_image grey_img = { px, W, H, W * 3 };

/* the generic face, frontal, 1.5 px per mm, nose tip at the centre */
static void frontal(struct egate_face_landmarks *lm)
{
	double m[EGATE_FACE_NUM_LANDMARKS][3];

	egate_face_pose_model(m);
	for (int i = 0; i < EGATE_FACE_NUM_LANDMARKS; i++) {
		lm->x[i] = W / 2 + 1.5 * m[i][0];
		lm->y[i] = H / 2 + 1.5 * m[i][1];
	}
}

static void fill(uint8_t left, uint8_t right)
{
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++)
			memset(px + ((size_t)y * W + x) * 3, x < W / 2 ? left : right, 3);
}

TEST(eyes_and_mouth)
{
	struct egate_face_landmarks lm;
	struct egate_face_quality q;
	double open_mouth;

	fill(128, 128);
	frontal(&lm);
	ASSERT_EQ(0, egate_face_quality(&grey_img, &lm, &q));
	EXPECT_LT(0.25, q.eyes_open);
	EXPECT_GT(0.4, q.eyes_open);
	EXPECT_GT(0.2, q.mouth_open);
	open_mouth = q.mouth_open;
	/* one eye shut: the upper lid on the lower */
	lm.x[43] = lm.x[47];
	lm.y[43] = lm.y[47];
	lm.x[44] = lm.x[46];
	lm.y[44] = lm.y[46];
	ASSERT_EQ(0, egate_face_quality(&grey_img, &lm, &q));
	EXPECT_GT(0.01, q.eyes_open);
	/* lips together, then the jaw dropped 30 px (0.4 of the mouth's width) */
	frontal(&lm);
	for (int i = 61; i <= 63; i++)
		lm.y[i] = lm.y[128 - i];	/* 67, 66, 65 */
	ASSERT_EQ(0, egate_face_quality(&grey_img, &lm, &q));
	EXPECT_GT(0.01, q.mouth_open);
	frontal(&lm);
	for (int i = 65; i <= 67; i++)
		lm.y[i] += 30;
	ASSERT_EQ(0, egate_face_quality(&grey_img, &lm, &q));
	EXPECT_LT(open_mouth + 0.3, q.mouth_open);
}

TEST(exposure_and_uniformity)
{
	struct egate_face_landmarks lm;
	struct egate_face_quality q;

	frontal(&lm);
	fill(128, 128);
	ASSERT_EQ(0, egate_face_quality(&grey_img, &lm, &q));
	EXPECT_EQ(0, q.underexposed);
	EXPECT_EQ(0, q.overexposed);
	EXPECT_EQ(1, q.uniformity);
	fill(255, 255);
	ASSERT_EQ(0, egate_face_quality(&grey_img, &lm, &q));
	EXPECT_EQ(1, q.overexposed);
	EXPECT_EQ(0, q.underexposed);
	fill(0, 0);
	ASSERT_EQ(0, egate_face_quality(&grey_img, &lm, &q));
	EXPECT_EQ(1, q.underexposed);
	/* the image's left half (the face's right) lit at 200, the other at 50:
	 * 1 - 150 / 250 */
	fill(200, 50);
	ASSERT_EQ(0, egate_face_quality(&grey_img, &lm, &q));
	EXPECT_LT(fabs(q.uniformity - 0.4), 0.02) TH_LOG("uniformity %.3f", q.uniformity);
	EXPECT_LT(fabs(q.brightness - 125), 3);
}

/* a picture of the face's surroundings, scaled by 1/DOWN (area mean), then
 * blurred BLUR times by a 3x3 box */
static struct egate_face_picture *variant(const struct egate_face_image *src, int x, int y, int w,
					  int h, int down, int blur)
{
	struct egate_face_picture *out = NULL;
	int ow = w / down, oh = h / down;
	uint8_t *b = malloc((size_t)ow * oh * 3), *t = malloc((size_t)ow * oh * 3);
	struct egate_face_image im = { b, (uint32_t)ow, (uint32_t)oh, (uint32_t)ow * 3 };

	if (!b || !t)
		goto out;
	for (int v = 0; v < oh; v++)
		for (int u = 0; u < ow; u++)
			for (int c = 0; c < 3; c++) {
				int s = 0;

				for (int dy = 0; dy < down; dy++)
					for (int dx = 0; dx < down; dx++)
						s += src->rgb[(size_t)(y + v * down + dy) * src->stride +
							      (size_t)(x + u * down + dx) * 3 + c];
				b[((size_t)v * ow + u) * 3 + c] = (uint8_t)(s / (down * down));
			}
	for (int k = 0; k < blur; k++) {
		memcpy(t, b, (size_t)ow * oh * 3);
		for (int v = 1; v < oh - 1; v++)
			for (int u = 1; u < ow - 1; u++)
				for (int c = 0; c < 3; c++) {
					int s = 0;

					for (int dy = -1; dy <= 1; dy++)
						for (int dx = -1; dx <= 1; dx++)
							s += t[((size_t)(v + dy) * ow + u + dx) * 3 + c];
					b[((size_t)v * ow + u) * 3 + c] = (uint8_t)(s / 9);
				}
	}
	egate_face_picture_new_rgb(&im, &out);
out:
	free(b);
	free(t);
	return out;
}

/* the quality of the largest face of PIC */
static int largest_face(struct egate_face_engine *e, struct egate_face_picture *pic,
			struct egate_face_quality *q)
{
	struct egate_face_image im = egate_face_picture_image(pic);
	struct egate_face_detection d[8];
	struct egate_face_landmarks lm;
	int n = egate_face_detect(e, &im, NULL, d, 8), best = 0;

	if (n <= 0)
		return -1;
	for (int i = 1; i < n; i++)
		if (d[i].box.width > d[best].box.width)
			best = i;
	if (egate_face_landmarks(e, &im, &d[best].box, &lm) < 0)
		return -1;
	return egate_face_quality(&im, &lm, q);
}

TEST(sharpness_at_a_common_size)
{
	struct egate_face_picture *pic = NULL, *full = NULL, *half = NULL, *blurred = NULL;
	struct egate_face_quality qf, qh, qb;
	struct egate_face_engine *e = NULL;
	struct egate_face_image im;
	char path[PATH_MAX], err[256] = "";

	if (!have_models())
		SKIP(return, "models not fetched");
	ASSERT_EQ(0, egate_face_engine_new(models_dir(), &e, err, sizeof(err))) TH_LOG("%s", err);
	demo_path(path, sizeof(path), "sample3.jpg");
	ASSERT_EQ(0, egate_face_picture_load(path, &pic, err, sizeof(err))) TH_LOG("%s", err);
	im = egate_face_picture_image(pic);
	/* the frontal face left of centre, with room around it */
	full = variant(&im, 300, 150, 760, 760, 1, 0);
	half = variant(&im, 300, 150, 760, 760, 2, 0);
	blurred = variant(&im, 300, 150, 760, 760, 1, 3);
	ASSERT_TRUE(full && half && blurred);
	ASSERT_EQ(0, largest_face(e, full, &qf));
	ASSERT_EQ(0, largest_face(e, half, &qh));
	ASSERT_EQ(0, largest_face(e, blurred, &qb));
	ksft_print_msg("sharpness full size %.1f (norm %.1f), half size %.1f (norm %.1f), "
		       "blurred %.1f (norm %.1f); %.0f / %.0f px between the eyes\n", qf.sharpness,
		       qf.sharpness_norm, qh.sharpness, qh.sharpness_norm, qb.sharpness,
		       qb.sharpness_norm, qf.inter_eye, qh.inter_eye);
	fflush(stdout);
	EXPECT_LT(fabs(qh.inter_eye * 2 - qf.inter_eye), 0.1 * qf.inter_eye);
	/* the raw measure more than doubles at half size, the normalised one
	 * stays within a third */
	EXPECT_LT(2 * qf.sharpness, qh.sharpness);
	EXPECT_LT(fabs(qh.sharpness_norm / qf.sharpness_norm - 1), 0.34);
	EXPECT_LT(qb.sharpness_norm, 0.5 * qf.sharpness_norm);
	egate_face_picture_free(pic);
	egate_face_picture_free(full);
	egate_face_picture_free(half);
	egate_face_picture_free(blurred);
	egate_face_engine_free(e);
}

TEST_HARNESS_MAIN
