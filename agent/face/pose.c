// SPDX-License-Identifier: MIT
/*
 * Head pose: a perspective-n-point fit of a generic 3D face to the 68
 * landmarks.  Levenberg-Marquardt on the reprojection error over rotation
 * (a local rotation vector) and translation, started from a scaled
 * orthographic fit.
 */
#include <math.h>

#include "internal.h"

/*
 * The generic face, millimetres, in the landmarks' order: x to the image's
 * right, y down, z away from the camera, nose tip (30) at the origin.  x, y
 * are the mean of face-api's landmarks of the demo faces (eye centres 63 mm
 * apart, mirrored pairs averaged), z anthropometric depths: made by
 * scripts/face-reference/mean-shape.py from tests/face/goldens.json.
 */
static const double FACE3D[EGATE_FACE_NUM_LANDMARKS][3] = {
	{  -74.59,  -44.71,   84.6 },	/* 0 */
	{  -73.59,  -24.37,   80.2 },	/* 1 */
	{  -70.44,   -6.12,   70.5 },	/* 2 */
	{  -65.78,   11.32,   60.8 },	/* 3 */
	{  -57.75,   29.23,   49.2 },	/* 4 */
	{  -46.88,   44.26,   38.6 },	/* 5 */
	{  -34.83,   55.76,   30.7 },	/* 6 */
	{  -20.57,   67.07,   24.9 },	/* 7 */
	{    0.00,   74.27,   22.0 },	/* 8 */
	{   20.57,   67.07,   24.9 },	/* 9 */
	{   34.83,   55.76,   30.7 },	/* 10 */
	{   46.88,   44.26,   38.6 },	/* 11 */
	{   57.75,   29.23,   49.2 },	/* 12 */
	{   65.78,   11.32,   60.8 },	/* 13 */
	{   70.44,   -6.12,   70.5 },	/* 14 */
	{   73.59,  -24.37,   80.2 },	/* 15 */
	{   74.59,  -44.71,   84.6 },	/* 16 */
	{  -58.41,  -60.53,   46.0 },	/* 17 */
	{  -49.75,  -66.43,   41.1 },	/* 18 */
	{  -38.21,  -67.79,   35.7 },	/* 19 */
	{  -27.02,  -66.09,   31.9 },	/* 20 */
	{  -17.17,  -61.47,   29.6 },	/* 21 */
	{   17.17,  -61.47,   29.6 },	/* 22 */
	{   27.02,  -66.09,   31.9 },	/* 23 */
	{   38.21,  -67.79,   35.7 },	/* 24 */
	{   49.75,  -66.43,   41.1 },	/* 25 */
	{   58.41,  -60.53,   46.0 },	/* 26 */
	{    0.00,  -40.00,   26.0 },	/* 27 */
	{    0.00,  -25.74,   18.0 },	/* 28 */
	{    0.00,  -12.07,    9.0 },	/* 29 */
	{    0.00,    0.00,    0.0 },	/* 30 */
	{  -12.53,    4.89,   15.0 },	/* 31 */
	{   -6.86,    7.09,   10.0 },	/* 32 */
	{    0.00,    9.01,    7.0 },	/* 33 */
	{    6.86,    7.09,   10.0 },	/* 34 */
	{   12.53,    4.89,   15.0 },	/* 35 */
	{  -43.34,  -43.57,   40.0 },	/* 36 */
	{  -37.01,  -46.92,   35.0 },	/* 37 */
	{  -27.02,  -47.03,   32.0 },	/* 38 */
	{  -18.75,  -41.57,   31.0 },	/* 39 */
	{  -26.41,  -38.79,   32.0 },	/* 40 */
	{  -36.47,  -39.27,   35.0 },	/* 41 */
	{   18.75,  -41.57,   31.0 },	/* 42 */
	{   27.02,  -47.03,   32.0 },	/* 43 */
	{   37.01,  -46.92,   35.0 },	/* 44 */
	{   43.34,  -43.57,   40.0 },	/* 45 */
	{   36.47,  -39.27,   35.0 },	/* 46 */
	{   26.41,  -38.79,   32.0 },	/* 47 */
	{  -26.80,   25.19,   30.0 },	/* 48 */
	{  -17.38,   22.06,   22.0 },	/* 49 */
	{   -6.26,   19.74,   17.0 },	/* 50 */
	{    0.00,   20.99,   15.0 },	/* 51 */
	{    6.26,   19.74,   17.0 },	/* 52 */
	{   17.38,   22.06,   22.0 },	/* 53 */
	{   26.80,   25.19,   30.0 },	/* 54 */
	{   16.98,   36.54,   22.0 },	/* 55 */
	{    8.48,   41.23,   17.0 },	/* 56 */
	{    0.00,   43.02,   15.0 },	/* 57 */
	{   -8.48,   41.23,   17.0 },	/* 58 */
	{  -16.98,   36.54,   22.0 },	/* 59 */
	{  -24.31,   25.52,   27.0 },	/* 60 */
	{   -8.02,   25.70,   19.0 },	/* 61 */
	{    0.00,   25.93,   17.0 },	/* 62 */
	{    8.02,   25.70,   19.0 },	/* 63 */
	{   24.31,   25.52,   27.0 },	/* 64 */
	{    7.78,   32.05,   19.0 },	/* 65 */
	{    0.00,   32.98,   17.0 },	/* 66 */
	{   -7.78,   32.05,   19.0 },	/* 67 */
};

#define MAX_ITER 100

void egate_face_pose_model(double xyz[EGATE_FACE_NUM_LANDMARKS][3])
{
	memcpy(xyz, FACE3D, sizeof(FACE3D));
}

struct fit {
	double R[3][3];	/* model -> camera */
	double t[3];	/* millimetres */
};

struct cam {
	double f, cx, cy;
	const struct egate_face_landmarks *lm;
};

/* OUT = F's rotation of the model point M */
static void rotate(const struct fit *F, const double *m, double *out)
{
	for (int i = 0; i < 3; i++)
		out[i] = F->R[i][0] * m[0] + F->R[i][1] * m[1] + F->R[i][2] * m[2];
}

/* R = exp([w]x) R (Rodrigues) */
static void rotate_by(double R[3][3], const double w[3])
{
	double th = sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2]), E[3][3], N[3][3];
	double k[3] = { 0, 0, 0 }, s = sin(th), c = 1 - cos(th);

	if (th > 0)
		for (int i = 0; i < 3; i++)
			k[i] = w[i] / th;
	{
		double K[3][3] = { { 0, -k[2], k[1] }, { k[2], 0, -k[0] }, { -k[1], k[0], 0 } };

		for (int i = 0; i < 3; i++)
			for (int j = 0; j < 3; j++) {
				double kk = 0;

				for (int l = 0; l < 3; l++)
					kk += K[i][l] * K[l][j];
				E[i][j] = (i == j) + s * K[i][j] + c * kk;
			}
	}
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			N[i][j] = E[i][0] * R[0][j] + E[i][1] * R[1][j] + E[i][2] * R[2][j];
	memcpy(R, N, sizeof(N));
}

/* Sum of squared reprojection errors; with J and r, the Gauss-Newton
 * system H = J'J, g = J'r over (rotation vector, translation).  Returns
 * NAN when a point falls behind the camera. */
static double residuals(const struct fit *F, const struct cam *c, double H[6][6], double g[6])
{
	double cost = 0;

	if (H) {
		memset(H, 0, sizeof(double[6][6]));
		memset(g, 0, sizeof(double[6]));
	}
	for (int i = 0; i < EGATE_FACE_NUM_LANDMARKS; i++) {
		double q[3], P[3], r[2], J[2][6];

		rotate(F, FACE3D[i], q);
		for (int k = 0; k < 3; k++)
			P[k] = q[k] + F->t[k];
		if (!(P[2] > 1e-6))
			return NAN;
		r[0] = c->f * P[0] / P[2] + c->cx - c->lm->x[i];
		r[1] = c->f * P[1] / P[2] + c->cy - c->lm->y[i];
		cost += r[0] * r[0] + r[1] * r[1];
		if (!H)
			continue;
		for (int a = 0; a < 2; a++) {
			/* d(u,v)/dP, then dP/dw = -[q]x, dP/dt = I */
			double d[3] = { a == 0 ? c->f / P[2] : 0, a == 1 ? c->f / P[2] : 0,
					-c->f * P[a] / (P[2] * P[2]) };

			J[a][0] = d[1] * -q[2] + d[2] * q[1];
			J[a][1] = d[0] * q[2] + d[2] * -q[0];
			J[a][2] = d[0] * -q[1] + d[1] * q[0];
			J[a][3] = d[0];
			J[a][4] = d[1];
			J[a][5] = d[2];
		}
		for (int a = 0; a < 2; a++)
			for (int j = 0; j < 6; j++) {
				g[j] += J[a][j] * r[a];
				for (int k = 0; k < 6; k++)
					H[j][k] += J[a][j] * J[a][k];
			}
	}
	return cost;
}

/* Solves A x = b (6x6, partial pivoting); -ERANGE when singular. */
static int solve6(double A[6][6], double b[6], double x[6])
{
	for (int col = 0; col < 6; col++) {
		int p = col;

		for (int row = col + 1; row < 6; row++)
			if (fabs(A[row][col]) > fabs(A[p][col]))
				p = row;
		if (!(fabs(A[p][col]) > 1e-300))
			return -ERANGE;
		for (int k = 0; k < 6; k++) {
			double tmp = A[col][k];

			A[col][k] = A[p][k];
			A[p][k] = tmp;
		}
		{
			double tmp = b[col];

			b[col] = b[p];
			b[p] = tmp;
		}
		for (int row = col + 1; row < 6; row++) {
			double m = A[row][col] / A[col][col];

			for (int k = col; k < 6; k++)
				A[row][k] -= m * A[col][k];
			b[row] -= m * b[col];
		}
	}
	for (int row = 5; row >= 0; row--) {
		double s = b[row];

		for (int k = row + 1; k < 6; k++)
			s -= A[row][k] * x[k];
		x[row] = s / A[row][row];
	}
	return 0;
}

static double dot3(const double *a, const double *b)
{
	return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/* Scaled orthographic start: the affine camera A (2x3) of least squares,
 * its rows made orthonormal, the scale giving the distance. */
static int initial_fit(const struct cam *c, struct fit *F)
{
	double mc[3] = { 0 }, qc[2] = { 0 }, S[3][3] = { { 0 } }, B[2][3] = { { 0 } };
	double inv[3][3], A[2][3], det, s, n1, n2, rm[3];
	const int n = EGATE_FACE_NUM_LANDMARKS;

	for (int i = 0; i < n; i++) {
		for (int k = 0; k < 3; k++)
			mc[k] += FACE3D[i][k] / n;
		qc[0] += c->lm->x[i] / n;
		qc[1] += c->lm->y[i] / n;
	}
	for (int i = 0; i < n; i++) {
		double m[3] = { FACE3D[i][0] - mc[0], FACE3D[i][1] - mc[1], FACE3D[i][2] - mc[2] };
		double q[2] = { c->lm->x[i] - qc[0], c->lm->y[i] - qc[1] };

		for (int j = 0; j < 3; j++) {
			for (int k = 0; k < 3; k++)
				S[j][k] += m[j] * m[k];
			B[0][j] += q[0] * m[j];
			B[1][j] += q[1] * m[j];
		}
	}
	/* S is the model's scatter: constant and well conditioned */
	det = S[0][0] * (S[1][1] * S[2][2] - S[1][2] * S[2][1]) -
	      S[0][1] * (S[1][0] * S[2][2] - S[1][2] * S[2][0]) +
	      S[0][2] * (S[1][0] * S[2][1] - S[1][1] * S[2][0]);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++) {
			int i1 = (j + 1) % 3, i2 = (j + 2) % 3, j1 = (i + 1) % 3, j2 = (i + 2) % 3;

			inv[i][j] = (S[i1][j1] * S[i2][j2] - S[i1][j2] * S[i2][j1]) / det;
		}
	for (int r = 0; r < 2; r++)
		for (int j = 0; j < 3; j++)
			A[r][j] = B[r][0] * inv[0][j] + B[r][1] * inv[1][j] + B[r][2] * inv[2][j];
	n1 = sqrt(dot3(A[0], A[0]));
	if (!(n1 > 0) || !isfinite(n1))
		return -ERANGE;
	for (int j = 0; j < 3; j++)
		F->R[0][j] = A[0][j] / n1;
	s = dot3(A[1], F->R[0]);
	for (int j = 0; j < 3; j++)
		F->R[1][j] = A[1][j] - s * F->R[0][j];
	n2 = sqrt(dot3(F->R[1], F->R[1]));
	if (!(n2 > 0) || !isfinite(n2))
		return -ERANGE;
	for (int j = 0; j < 3; j++)
		F->R[1][j] /= n2;
	F->R[2][0] = F->R[0][1] * F->R[1][2] - F->R[0][2] * F->R[1][1];
	F->R[2][1] = F->R[0][2] * F->R[1][0] - F->R[0][0] * F->R[1][2];
	F->R[2][2] = F->R[0][0] * F->R[1][1] - F->R[0][1] * F->R[1][0];
	s = (n1 + sqrt(dot3(A[1], A[1]))) / 2;	/* pixels per millimetre */
	rotate(F, mc, rm);
	F->t[2] = c->f / s - rm[2];
	F->t[0] = (qc[0] - c->cx) / s - rm[0];
	F->t[1] = (qc[1] - c->cy) / s - rm[1];
	return 0;
}

int egate_face_pose(const struct egate_face_landmarks *lm, uint32_t img_width,
		    uint32_t img_height, double focal, struct egate_face_pose *out)
{
	struct cam c = { .lm = lm };
	struct fit F;
	double cost, lambda = 1e-3, iod, lx, ly, rx, ry;
	int r;

	if (!lm || !out || !img_width || !img_height || !(focal >= 0) || !isfinite(focal))
		return -EINVAL;
	for (int i = 0; i < EGATE_FACE_NUM_LANDMARKS; i++)
		if (!isfinite(lm->x[i]) || !isfinite(lm->y[i]))
			return -ERANGE;
	c.f = focal > 0 ? focal : (double)(img_width > img_height ? img_width : img_height);
	c.cx = img_width / 2.0;
	c.cy = img_height / 2.0;
	r = initial_fit(&c, &F);
	if (r < 0)
		return r;
	cost = residuals(&F, &c, NULL, NULL);
	if (!isfinite(cost))
		return -ERANGE;
	for (int it = 0; it < MAX_ITER; it++) {
		double H[6][6], g[6], d[6], A[6][6], b[6], step = 0;
		struct fit T = F;

		residuals(&F, &c, H, g);
		memcpy(A, H, sizeof(A));
		for (int j = 0; j < 6; j++) {
			A[j][j] += lambda * (H[j][j] > 0 ? H[j][j] : 1);
			b[j] = -g[j];
		}
		if (solve6(A, b, d) < 0)
			break;
		rotate_by(T.R, d);
		for (int k = 0; k < 3; k++)
			T.t[k] += d[3 + k];
		{
			double nc = residuals(&T, &c, NULL, NULL);

			if (isfinite(nc) && nc <= cost) {
				F = T;
				lambda = fmax(lambda / 10, 1e-9);
				step = cost - nc;
				cost = nc;
				if (step <= 1e-12 * (cost + 1e-12))
					break;
			} else {
				lambda *= 10;
				if (lambda > 1e9)
					break;
			}
		}
	}
	/* relative to the line of sight: undo the rotation that takes the
	 * optical axis onto the ray to the nose tip */
	{
		double n = sqrt(dot3(F.t, F.t)), d[3], k, w[3];

		for (int i = 0; i < 3; i++)
			d[i] = F.t[i] / n;
		k = hypot(d[0], d[1]);
		if (k > 1e-12) {
			double th = acos(fmax(-1, fmin(1, d[2])));

			/* axis z x d = (-dy, dx, 0) / k, by -th */
			w[0] = th * d[1] / k;
			w[1] = -th * d[0] / k;
			w[2] = 0;
			rotate_by(F.R, w);
		}
	}
	/* R = Rz(roll) Ry(-yaw) Rx(-pitch) */
	out->yaw = -asin(fmax(-1, fmin(1, -F.R[2][0]))) * 180 / M_PI;
	out->pitch = -atan2(F.R[2][1], F.R[2][2]) * 180 / M_PI;
	out->roll = atan2(F.R[1][0], F.R[0][0]) * 180 / M_PI;
	lx = ly = rx = ry = 0;
	for (int i = 0; i < 6; i++) {
		lx += lm->x[36 + i] / 6;
		ly += lm->y[36 + i] / 6;
		rx += lm->x[42 + i] / 6;
		ry += lm->y[42 + i] / 6;
	}
	iod = hypot(rx - lx, ry - ly);
	out->error = iod > 0 ? sqrt(cost / EGATE_FACE_NUM_LANDMARKS) / iod : INFINITY;
	return 0;
}
