// SPDX-License-Identifier: GPL-2.0
/*
 * homography.c - the plane-to-plane map that explains how a flat object's
 * points move between two views: least squares on the linearised equations
 * (h33 = 1) after Hartley's normalisation of both point sets.
 */
#include <math.h>

#include "pad-internal.h"

/* T takes P's centroid to 0 and its mean distance to sqrt(2) */
static int normaliser(const double (*p)[2], size_t n, double t[3])
{
	double mx = 0, my = 0, d = 0;

	for (size_t i = 0; i < n; i++) {
		mx += p[i][0];
		my += p[i][1];
	}
	mx /= n;
	my /= n;
	for (size_t i = 0; i < n; i++)
		d += hypot(p[i][0] - mx, p[i][1] - my);
	d /= n;
	if (!(d > 1e-9))
		return -ERANGE;
	t[0] = M_SQRT2 / d;
	t[1] = mx;
	t[2] = my;
	return 0;
}

static void apply(const double h[9], const double *p, double *out)
{
	double w = h[6] * p[0] + h[7] * p[1] + h[8];

	out[0] = (h[0] * p[0] + h[1] * p[1] + h[2]) / w;
	out[1] = (h[3] * p[0] + h[4] * p[1] + h[5]) / w;
}

int pad_homography_fit(const double (*a)[2], const double (*b)[2], size_t n, double h[9])
{
	double ta[3], tb[3], ata[64] = { 0 }, aty[8] = { 0 };
	int r;

	if (n < 4)
		return -EINVAL;
	r = normaliser(a, n, ta);
	if (r < 0)
		return r;
	r = normaliser(b, n, tb);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		double x = ta[0] * (a[i][0] - ta[1]), y = ta[0] * (a[i][1] - ta[2]);
		double u = tb[0] * (b[i][0] - tb[1]), v = tb[0] * (b[i][1] - tb[2]);
		double ru[8] = { x, y, 1, 0, 0, 0, -u * x, -u * y };
		double rv[8] = { 0, 0, 0, x, y, 1, -v * x, -v * y };

		pad_normal_add(ata, aty, ru, u, 1, 8);
		pad_normal_add(ata, aty, rv, v, 1, 8);
	}
	r = pad_solve(ata, aty, 8);
	if (r < 0)
		return r;
	/* H = Tb^-1 Hn Ta */
	double hn[9] = { aty[0], aty[1], aty[2], aty[3], aty[4], aty[5], aty[6], aty[7], 1 };
	double A[9] = { ta[0], 0, -ta[0] * ta[1], 0, ta[0], -ta[0] * ta[2], 0, 0, 1 };
	double Bi[9] = { 1 / tb[0], 0, tb[1], 0, 1 / tb[0], tb[2], 0, 0, 1 };
	double m[9], out[9];

	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++) {
			m[i * 3 + j] = 0;
			for (int k = 0; k < 3; k++)
				m[i * 3 + j] += hn[i * 3 + k] * A[k * 3 + j];
		}
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++) {
			out[i * 3 + j] = 0;
			for (int k = 0; k < 3; k++)
				out[i * 3 + j] += Bi[i * 3 + k] * m[k * 3 + j];
		}
	if (fabs(out[8]) < 1e-12)
		return -ERANGE;
	for (int i = 0; i < 9; i++)
		h[i] = out[i] / out[8];
	return 0;
}

double pad_homography_rms(const double h[9], const double (*a)[2], const double (*b)[2],
			  size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++) {
		double q[2];

		apply(h, a[i], q);
		s += (q[0] - b[i][0]) * (q[0] - b[i][0]) + (q[1] - b[i][1]) * (q[1] - b[i][1]);
	}
	return n ? sqrt(s / n) : NAN;
}
