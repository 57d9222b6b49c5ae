// SPDX-License-Identifier: MIT
/*
 * Head pose: the generic 3D face, rotated by known yaw, pitch and roll and
 * projected through a pinhole camera, must give those angles back (within
 * 3 degrees with pixel noise, to 0.01 degrees without), wherever the face
 * is in the frame; the signs must mean what egate-face.h says; and real
 * demo faces must fit the generic face.
 */
#include <math.h>

#include "kselftest_harness.h"
#include "common.h"

#define DEG (M_PI / 180)

struct cam {
	uint32_t w, h;
	double f;	/* pixels */
};

static void matmul(const double a[3][3], const double b[3][3], double out[3][3])
{
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			out[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
}

/* R = Rz(roll) Ry(-yaw) Rx(-pitch), the header's convention, written out
 * from the elementary rotations independently of the library's solver */
static void rotation(double yaw, double pitch, double roll, double R[3][3])
{
	double a = -pitch * DEG, b = -yaw * DEG, c = roll * DEG, t[3][3];
	double rx[3][3] = { { 1, 0, 0 }, { 0, cos(a), -sin(a) }, { 0, sin(a), cos(a) } };
	double ry[3][3] = { { cos(b), 0, sin(b) }, { 0, 1, 0 }, { -sin(b), 0, cos(b) } };
	double rz[3][3] = { { cos(c), -sin(c), 0 }, { sin(c), cos(c), 0 }, { 0, 0, 1 } };

	matmul(ry, rx, t);
	matmul(rz, t, R);
}

/* the least rotation S taking the optical axis (0,0,1) onto the ray to T */
static void line_of_sight(const double t[3], double S[3][3])
{
	double n = sqrt(t[0] * t[0] + t[1] * t[1] + t[2] * t[2]);
	double d[3] = { t[0] / n, t[1] / n, t[2] / n }, k[3], kn = hypot(d[0], d[1]);
	double s = kn, c = d[2];

	if (kn < 1e-12) {
		double I[3][3] = { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };

		memcpy(S, I, sizeof(I));
		return;
	}
	k[0] = -d[1] / kn;
	k[1] = d[0] / kn;
	k[2] = 0;
	/* Rodrigues: I cos + (1 - cos) k k' + sin [k]x */
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			S[i][j] = (i == j) * c + (1 - c) * k[i] * k[j];
	S[0][1] += -s * k[2];
	S[0][2] += s * k[1];
	S[1][0] += s * k[2];
	S[1][2] += -s * k[0];
	S[2][0] += -s * k[1];
	S[2][1] += s * k[0];
}

static uint64_t rng = 88172645463325252ull;

/* uniform in [-1, 1), xorshift: the same noise on every run */
static double noise(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / (double)(1ull << 52) - 1;
}

/* The generic face turned by the angles relative to the line of sight,
 * its nose tip at T (mm, camera axes), projected; NOISE px of uniform
 * noise on every coordinate. */
static void project(const struct cam *c, double yaw, double pitch, double roll, const double t[3],
		    double noise_px, struct egate_face_landmarks *lm)
{
	double m[EGATE_FACE_NUM_LANDMARKS][3], P[3][3], S[3][3], R[3][3];

	egate_face_pose_model(m);
	rotation(yaw, pitch, roll, P);
	line_of_sight(t, S);
	matmul(S, P, R);
	for (int i = 0; i < EGATE_FACE_NUM_LANDMARKS; i++) {
		double p[3];

		for (int k = 0; k < 3; k++)
			p[k] = R[k][0] * m[i][0] + R[k][1] * m[i][1] + R[k][2] * m[i][2] + t[k];
		lm->x[i] = c->f * p[0] / p[2] + c->w / 2.0 + noise_px * noise();
		lm->y[i] = c->f * p[1] / p[2] + c->h / 2.0 + noise_px * noise();
	}
}

/* worst angle error over a grid of poses at a few places in the frame */
static double sweep(struct __test_metadata *_metadata, const struct cam *c, double focal_arg,
		    double iod_px, double noise_px, double *worst_error)
{
	static const double places[][2] = { { 0, 0 }, { -0.3, -0.25 }, { 0.3, 0.3 } };
	double worst = 0;

	*worst_error = 0;
	for (size_t p = 0; p < sizeof(places) / sizeof(places[0]); p++)
		for (int yaw = -60; yaw <= 60; yaw += 15)
			for (int pitch = -40; pitch <= 40; pitch += 10)
				for (int roll = -40; roll <= 40; roll += 20) {
					/* the eye centres iod_px apart when frontal */
					double z = c->f * 63 / iod_px;
					double t[3] = { places[p][0] * c->w * z / c->f,
							places[p][1] * c->h * z / c->f, z };
					struct egate_face_landmarks lm;
					struct egate_face_pose pose;
					double e;

					project(c, yaw, pitch, roll, t, noise_px, &lm);
					EXPECT_EQ(0, egate_face_pose(&lm, c->w, c->h, focal_arg,
								     &pose));
					e = fmax(fabs(pose.yaw - yaw), fmax(fabs(pose.pitch - pitch),
									   fabs(pose.roll - roll)));
					if (!(e <= worst))
						worst = isnan(e) ? INFINITY : e;
					*worst_error = fmax(*worst_error, pose.error);
					if (e > 3)
						TH_LOG("yaw %d pitch %d roll %d at (%.1f,%.1f): "
						       "%.2f %.2f %.2f", yaw, pitch, roll,
						       places[p][0], places[p][1], pose.yaw, pose.pitch,
						       pose.roll);
				}
	return worst;
}

TEST(exact_projections)
{
	struct cam c = { 640, 480, 640 };
	double err, worst = sweep(_metadata, &c, 0, 80, 0, &err);

	ksft_print_msg("exact points: worst angle error %.2g deg, fit error %.2g\n", worst, err);
	fflush(stdout);
	EXPECT_LT(worst, 0.01);
	EXPECT_LT(err, 1e-6);
}

TEST(noisy_points_within_3_degrees)
{
	/* 1 px of noise on faces 100 px between the eyes: a lane camera */
	struct cam c = { 1280, 720, 1000 };
	double err, worst = sweep(_metadata, &c, c.f, 100, 1.0, &err);

	ksft_print_msg("1 px noise, 100 px between the eyes: worst angle error %.2f deg\n", worst);
	fflush(stdout);
	EXPECT_LE(worst, 3.0);
}

/* The signs mean what the header says, seen in the projected points. */
TEST(sign_conventions)
{
	struct cam c = { 640, 480, 640 };
	double t[3] = { 0, 0, 600 };
	struct egate_face_landmarks lm;
	struct egate_face_pose pose;
	double eyes_x, eyes_y;

	/* yaw > 0: the nose tip toward the image's right of the eyes' middle */
	project(&c, 20, 0, 0, t, 0, &lm);
	eyes_x = (lm.x[39] + lm.x[42]) / 2;
	EXPECT_GT(lm.x[30], eyes_x + 5);
	ASSERT_EQ(0, egate_face_pose(&lm, c.w, c.h, 0, &pose));
	EXPECT_GT(pose.yaw, 19);
	/* pitch > 0 (chin up): the nose tip nearer the eyes than when frontal */
	project(&c, 0, 0, 0, t, 0, &lm);
	eyes_y = lm.y[30] - (lm.y[39] + lm.y[42]) / 2;
	project(&c, 0, 20, 0, t, 0, &lm);
	EXPECT_LT(lm.y[30] - (lm.y[39] + lm.y[42]) / 2, eyes_y - 5);
	ASSERT_EQ(0, egate_face_pose(&lm, c.w, c.h, 0, &pose));
	EXPECT_GT(pose.pitch, 19);
	/* roll > 0: clockwise in the image, the right eye (42-47) lower */
	project(&c, 0, 0, 20, t, 0, &lm);
	EXPECT_GT(lm.y[45], lm.y[36] + 5);
	ASSERT_EQ(0, egate_face_pose(&lm, c.w, c.h, 0, &pose));
	EXPECT_GT(pose.roll, 19);
}

TEST(bad_input)
{
	struct cam c = { 640, 480, 640 };
	double t[3] = { 0, 0, 600 };
	struct egate_face_landmarks lm, flat = { 0 };
	struct egate_face_pose pose;

	project(&c, 0, 0, 0, t, 0, &lm);
	EXPECT_EQ(-EINVAL, egate_face_pose(NULL, 640, 480, 0, &pose));
	EXPECT_EQ(-EINVAL, egate_face_pose(&lm, 640, 480, 0, NULL));
	EXPECT_EQ(-EINVAL, egate_face_pose(&lm, 0, 480, 0, &pose));
	EXPECT_EQ(-EINVAL, egate_face_pose(&lm, 640, 480, -1, &pose));
	EXPECT_EQ(-EINVAL, egate_face_pose(&lm, 640, 480, NAN, &pose));
	lm.x[17] = NAN;
	EXPECT_EQ(-ERANGE, egate_face_pose(&lm, 640, 480, 0, &pose));
	lm.x[17] = INFINITY;
	EXPECT_EQ(-ERANGE, egate_face_pose(&lm, 640, 480, 0, &pose));
	/* all points in one place: no pose */
	EXPECT_EQ(-ERANGE, egate_face_pose(&flat, 640, 480, 0, &pose));
}

/* Real faces: the demo images' faces fit the generic face, and the pose
 * reaches the quality measures. */
TEST(demo_faces)
{
	struct egate_face_engine *e = NULL;
	double errors[64], worst_angle = 0, median;
	char err[256] = "";
	int faces = 0;

	if (!have_models())
		SKIP(return, "models not fetched");
	ASSERT_EQ(0, egate_face_engine_new(models_dir(), &e, err, sizeof(err))) TH_LOG("%s", err);
	for (int s = 1; s <= 6; s++) {
		struct egate_face_detection det[16];
		struct egate_face_picture *pic = NULL;
		struct egate_face_image img;
		char name[32], path[PATH_MAX];
		int n;

		snprintf(name, sizeof(name), "sample%d.jpg", s);
		demo_path(path, sizeof(path), name);
		ASSERT_EQ(0, egate_face_picture_load(path, &pic, err, sizeof(err))) TH_LOG("%s", err);
		img = egate_face_picture_image(pic);
		n = egate_face_detect(e, &img, NULL, det, 16);
		for (int i = 0; i < n; i++) {
			struct egate_face_landmarks lm;
			struct egate_face_quality q;
			struct egate_face_pose p;

			EXPECT_EQ(0, egate_face_landmarks(e, &img, &det[i].box, &lm));
			EXPECT_EQ(0, egate_face_pose(&lm, img.width, img.height, 0, &p));
			EXPECT_EQ(0, egate_face_quality(&img, &lm, &q));
			EXPECT_EQ(p.yaw, q.pose.yaw);
			EXPECT_EQ(p.pitch, q.pose.pitch);
			EXPECT_EQ(p.roll, q.pose.roll);
			worst_angle = fmax(worst_angle, fmax(fabs(p.yaw), fabs(p.pitch)));
			if (faces < 64)
				errors[faces++] = p.error;
		}
		egate_face_picture_free(pic);
	}
	egate_face_engine_free(e);
	ASSERT_LT(10, faces);
	/* insertion sort for the median */
	for (int i = 1; i < faces; i++)
		for (int j = i; j > 0 && errors[j - 1] > errors[j]; j--) {
			double t = errors[j];

			errors[j] = errors[j - 1];
			errors[j - 1] = t;
		}
	median = errors[faces / 2];
	ksft_print_msg("%d demo faces: largest |yaw| or |pitch| %.1f deg, fit error median %.3f, "
		       "largest %.3f of the eye distance\n", faces, worst_angle, median,
		       errors[faces - 1]);
	fflush(stdout);
	/* the generic face fits a real one to a few percent of the eye distance */
	EXPECT_LT(median, 0.1);
	EXPECT_TRUE(isfinite(errors[faces - 1]));
	EXPECT_LT(worst_angle, 60);
}

TEST_HARNESS_MAIN
