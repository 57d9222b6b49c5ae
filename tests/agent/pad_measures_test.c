// SPDX-License-Identifier: GPL-2.0
/*
 * pad_measures_test - the measures of presentation-attack detection on
 * geometry whose answer is known: a plane seen by a depth camera is flat
 * (no relief, nothing a quadric leaves), a known quadric comes back with its
 * curvature, landmarks moved by a pure homography have no parallax and a
 * turning 3D head has, eye aspect ratios with two dips are two blinks, and
 * the object refuses what it cannot take.
 */
#include <math.h>
#include <stdlib.h>

#include "pad-internal.h"
#include "thresholds.h"
#include "kselftest_harness.h"
#include "pad_test.h"

#define F 600.0
#define CX 320.0
#define CY 240.0
#define W 640
#define H 480

/* the generic face turned by YAW (degrees), nose tip at DIST mm, projected */
static void head(double yaw, double dist, struct egate_face_landmarks *lm)
{
	double m[EGATE_FACE_NUM_LANDMARKS][3], c = cos(yaw * M_PI / 180), s = sin(yaw * M_PI / 180);

	egate_face_pose_model(m);
	for (int i = 0; i < EGATE_FACE_NUM_LANDMARKS; i++) {
		double x = c * m[i][0] + s * m[i][2], z = -s * m[i][0] + c * m[i][2] + dist;

		lm->x[i] = F * x / z + CX;
		lm->y[i] = F * m[i][1] / z + CY;
	}
}

static double gauss(unsigned *seed)
{
	double u = (rand_r(seed) + 1.0) / (RAND_MAX + 2.0), v = rand_r(seed) / (RAND_MAX + 1.0);

	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* a depth crop over the face box: the surface z(X, Y) mm, camera at 0 */
struct crop {
	struct egate_pad_depth d;
	uint16_t z[240 * 240];
};

static void make_crop(struct crop *c, double (*surface)(double, double, double),
		      double sigma)
{
	unsigned seed = 7;

	c->d = (struct egate_pad_depth){
		.z = c->z, .width = 240, .height = 240, .stride = 240, .x0 = 200, .y0 = 120,
		.fx = F, .fy = F, .cx = CX, .cy = CY,
	};
	for (int v = 0; v < 240; v++)
		for (int u = 0; u < 240; u++) {
			double rx = (u + 200 - CX) / F, ry = (v + 120 - CY) / F;

			c->z[v * 240 + u] = (uint16_t)lround(surface(rx, ry, 0) + sigma * gauss(&seed));
		}
}

/* a plane tilted 20 degrees about the vertical, 600 mm away on the axis:
 * z = 600 + tan(20) X, X = rx z */
static double tilted_plane(double rx, double ry, double unused)
{
	double k = tan(20 * M_PI / 180);

	(void)ry;
	(void)unused;
	return 600 / (1 - k * rx);
}

/* a paraboloid bowl, z = 600 + (X^2 + Y^2) / 400 (radius of curvature 200
 * mm), on the ray (rx, ry): solved for z */
static double bowl(double rx, double ry, double unused)
{
	double a = (rx * rx + ry * ry) / 400;

	(void)unused;
	return a > 0 ? (1 - sqrt(1 - 4 * a * 600)) / (2 * a) : 600;
}

TEST(plane_is_flat)
{
	static struct crop c;
	struct egate_face_landmarks lm;
	struct pad_depth_measure m;

	head(0, 600, &lm);
	make_crop(&c, tilted_plane, 1.5);
	ASSERT_EQ(0, pad_depth_measure(&c.d, &lm, &m));
	EXPECT_GT(m.points, 1000);
	EXPECT_LT(m.plane_mm, 2.0);		/* the noise (1.5) and rounding */
	EXPECT_LT(m.quadric_mm, 0.8);		/* beyond the noise: nothing */
	EXPECT_NEAR(1.5, m.noise_mm, 0.3);
	EXPECT_LT(fabs(m.relief_mm), 2.0);
}

TEST(bowl_is_a_quadric_without_relief)
{
	static struct crop c;
	struct egate_face_landmarks lm;
	struct pad_depth_measure m;

	head(0, 600, &lm);
	make_crop(&c, bowl, 0);
	ASSERT_EQ(0, pad_depth_measure(&c.d, &lm, &m));
	EXPECT_GT(m.plane_mm, 3.0);		/* curved ... */
	EXPECT_LT(m.quadric_mm, 0.8);		/* ... but a quadric */
	EXPECT_LT(m.relief_mm, PAD_RELIEF_MM);
}

TEST(known_quadric_curvature)
{
	static double p[41 * 41][3];
	double coef[6];
	size_t n = 0;

	for (int j = -20; j <= 20; j++)
		for (int i = -20; i <= 20; i++, n++) {
			double x = 4 * i, y = 5 * j;

			p[n][0] = x;
			p[n][1] = y;
			p[n][2] = 600 + 0.3 * x - 0.2 * y + 0.004 * x * x - 0.001 * x * y + 0.0025 * y * y;
		}
	EXPECT_LT(pad_surface_fit(p, n, 2, coef), 1e-9);
	EXPECT_NEAR(600, coef[0], 1e-9);
	EXPECT_NEAR(0.3, coef[1], 1e-9);
	EXPECT_NEAR(-0.2, coef[2], 1e-9);
	EXPECT_NEAR(0.004, coef[3], 1e-12);	/* curvature 2 * 0.004 along x */
	EXPECT_NEAR(-0.001, coef[4], 1e-12);
	EXPECT_NEAR(0.0025, coef[5], 1e-12);
	/* a plane leaves the curvature: over the grid, about 4 mm RMS */
	EXPECT_GT(pad_surface_fit(p, n, 1, NULL), 3.0);
	EXPECT_TRUE(isnan(pad_surface_fit(p, 5, 2, NULL)));	/* too few points */
}

/* B = H(A) for a perspective homography */
static void warp(const double h[9], const struct egate_face_landmarks *a,
		 struct egate_face_landmarks *b)
{
	for (int i = 0; i < EGATE_FACE_NUM_LANDMARKS; i++) {
		double w = h[6] * a->x[i] + h[7] * a->y[i] + h[8];

		b->x[i] = (h[0] * a->x[i] + h[1] * a->y[i] + h[2]) / w;
		b->y[i] = (h[3] * a->x[i] + h[4] * a->y[i] + h[5]) / w;
	}
}

TEST(homography_track_is_flat)
{
	static const double h[9] = { 1.05, 0.08, -20, -0.06, 0.97, 15, 2e-4, -1.5e-4, 1 };
	struct egate_face_landmarks a, b;
	double fit[9];
	double pa[EGATE_FACE_NUM_LANDMARKS][2], pb[EGATE_FACE_NUM_LANDMARKS][2];

	head(0, 600, &a);
	warp(h, &a, &b);
	for (int i = 0; i < EGATE_FACE_NUM_LANDMARKS; i++) {
		pa[i][0] = a.x[i];
		pa[i][1] = a.y[i];
		pb[i][0] = b.x[i];
		pb[i][1] = b.y[i];
	}
	ASSERT_EQ(0, pad_homography_fit(pa, pb, EGATE_FACE_NUM_LANDMARKS, fit));
	for (int i = 0; i < 9; i++)
		EXPECT_NEAR(h[i], fit[i], 1e-6 * fmax(1, fabs(h[i])));
	EXPECT_LT(pad_parallax(&a, &b), 1e-6);
	EXPECT_EQ(-EINVAL, pad_homography_fit(pa, pb, 3, fit));
}

TEST(turning_head_shows_parallax)
{
	struct egate_face_landmarks a, b;

	head(0, 600, &a);
	head(8, 600, &b);
	/* the nose and the contour move as no plane can */
	EXPECT_GT(pad_parallax(&a, &b), PAD_PARALLAX);
	/* growing with the turn */
	head(1, 600, &b);
	EXPECT_LT(pad_parallax(&a, &b), PAD_PARALLAX / 2);
	EXPECT_GT(pad_parallax(&a, &b), 0.01);
}

TEST(blinks_are_counted)
{
	double ear[40], ratio;

	for (int i = 0; i < 40; i++)
		ear[i] = 0.3;
	EXPECT_EQ(0, pad_count_blinks(ear, 40, &ratio));
	EXPECT_NEAR(1.0, ratio, 1e-9);
	ear[10] = 0.2, ear[11] = 0.08, ear[12] = 0.15;	/* a blink */
	ear[30] = 0.1, ear[31] = 0.12;			/* another */
	EXPECT_EQ(2, pad_count_blinks(ear, 40, &ratio));
	EXPECT_NEAR(0.08 / 0.3, ratio, 1e-9);
	/* eyes that close and stay closed: no blink (never reopened) */
	for (int i = 35; i < 40; i++)
		ear[i] = 0.05;
	ear[30] = ear[31] = 0.3;
	EXPECT_EQ(1, pad_count_blinks(ear, 40, &ratio));
}

TEST(eye_ratio_of_generic_face)
{
	struct egate_face_landmarks lm;

	head(0, 600, &lm);
	EXPECT_GT(pad_eye_ratio(&lm), 0.2);	/* open */
	EXPECT_NEAR(63 * F / 635, pad_eye_distance(&lm), 5);
}

TEST(refuses_bad_arguments)
{
	struct egate_pad_params p = { .max_frames = EGATE_PAD_MAX_FRAMES + 1 };
	struct egate_pad *pad = NULL;
	struct egate_face_landmarks lm;
	struct egate_pad_frame f = { .lm = &lm, .width = W, .height = H };
	static uint16_t z[4];
	struct egate_pad_depth big = { .z = z, .width = EGATE_PAD_MAX_DEPTH_DIM + 1, .height = 1,
				       .stride = EGATE_PAD_MAX_DEPTH_DIM + 1, .fx = F, .fy = F };
	struct pad_depth_measure m;

	EXPECT_EQ(-EINVAL, egate_pad_new(0, NULL, &pad));
	EXPECT_EQ(-E2BIG, egate_pad_new(EGATE_PAD_DEPTH, &p, &pad));
	p = (struct egate_pad_params){ .min_frames = 20, .max_frames = 10 };
	EXPECT_EQ(-EINVAL, egate_pad_new(EGATE_PAD_COLOUR, &p, &pad));
	ASSERT_EQ(0, egate_pad_new(EGATE_PAD_COLOUR, NULL, &pad));
	EXPECT_EQ(-EINVAL, egate_pad_feed(pad, &(struct egate_pad_frame){ .lm = NULL }));
	head(0, 600, &lm);
	lm.x[30] = NAN;
	EXPECT_EQ(-EINVAL, egate_pad_feed(pad, &f));
	head(0, 600, &lm);
	EXPECT_EQ(EGATE_PAD_UNDECIDED, egate_pad_feed(pad, &f));
	EXPECT_EQ(EGATE_PAD_UNDECIDED, egate_pad_verdict(pad, NULL));
	egate_pad_free(pad);
	EXPECT_EQ(-E2BIG, pad_depth_measure(&big, &lm, &m));
	big.width = 0;
	EXPECT_EQ(-EINVAL, pad_depth_measure(&big, &lm, &m));
}

/* a still print: never moves, no parallax: an attack when the frames run out */
TEST(still_track_is_an_attack_at_the_end)
{
	struct egate_pad *pad;
	struct egate_face_landmarks lm;
	struct egate_pad_frame f = { .lm = &lm, .width = W, .height = H };
	struct egate_pad_scores s;
	int v = 0;

	ASSERT_EQ(0, egate_pad_new(EGATE_PAD_COLOUR, NULL, &pad));
	head(0, 600, &lm);
	for (int i = 0; i < PAD_MAX_FRAMES; i++) {
		v = egate_pad_feed(pad, &f);
		if (i + 1 < PAD_MAX_FRAMES)
			ASSERT_EQ(EGATE_PAD_UNDECIDED, v);
	}
	EXPECT_EQ(EGATE_PAD_ATTACK, v);
	EXPECT_EQ(EGATE_PAD_ATTACK, egate_pad_verdict(pad, &s));
	EXPECT_EQ(PAD_MAX_FRAMES, s.frames);
	EXPECT_LT(s.motion_deg, 0.01);
	egate_pad_reset(pad);
	EXPECT_EQ(EGATE_PAD_UNDECIDED, egate_pad_verdict(pad, &s));
	EXPECT_EQ(0, s.frames);
	egate_pad_free(pad);
}

/* a head that turns, noise-free: 3D, live before the frames run out */
TEST(turning_track_is_live)
{
	struct egate_pad *pad;
	struct egate_face_landmarks lm;
	struct egate_pad_frame f = { .lm = &lm, .width = W, .height = H };
	int v = EGATE_PAD_UNDECIDED, i;

	ASSERT_EQ(0, egate_pad_new(EGATE_PAD_COLOUR, NULL, &pad));
	for (i = 0; i < PAD_MAX_FRAMES && v == EGATE_PAD_UNDECIDED; i++) {
		head(8 * sin(i * 0.2), 600 - i, &lm);
		v = egate_pad_feed(pad, &f);
	}
	EXPECT_EQ(EGATE_PAD_BONA_FIDE, v);
	EXPECT_LT(i, PAD_MAX_FRAMES);
	egate_pad_free(pad);
}

TEST_HARNESS_MAIN
