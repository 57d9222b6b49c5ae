// SPDX-License-Identifier: GPL-2.0
/*
 * depth.c - the face's shape in a depth crop registered to the colour
 * frame: how far it is from a plane and, beyond the sensor's noise, from any
 * quadric (a print, flat or bent, is one), and how far the nose tip stands out of the plane of the
 * brows and the mouth corners.
 */
#include <math.h>
#include <stdlib.h>

#include "pad-internal.h"
#include "thresholds.h"

#define MAX_POINTS 20000	/* face points a fit uses (the crop is subsampled) */
#define WINDOW 2		/* a landmark's depth: median over (2 W + 1)^2 pixels */
#define SCALE 100.0		/* mm: x, y scaled for the normal equations */
#define STEP_MM 20.0		/* a second difference over this is an edge, not noise */

double pad_surface_fit(const double (*p)[3], size_t n, int order, double *coef)
{
	size_t k = order == 1 ? 3 : 6;
	double ata[36] = { 0 }, aty[6] = { 0 }, ss = 0;

	if ((order != 1 && order != 2) || n < 2 * k)
		return NAN;
	for (size_t i = 0; i < n; i++) {
		double x = p[i][0] / SCALE, y = p[i][1] / SCALE;
		double r[6] = { 1, x, y, x * x, x * y, y * y };

		pad_normal_add(ata, aty, r, p[i][2], 1, k);
	}
	if (pad_solve(ata, aty, k) < 0)
		return NAN;
	for (size_t i = 0; i < n; i++) {
		double x = p[i][0] / SCALE, y = p[i][1] / SCALE;
		double r[6] = { 1, x, y, x * x, x * y, y * y }, z = 0;

		for (size_t j = 0; j < k; j++)
			z += aty[j] * r[j];
		ss += (p[i][2] - z) * (p[i][2] - z);
	}
	if (coef) {
		static const int degree[6] = { 0, 1, 1, 2, 2, 2 };

		for (size_t j = 0; j < k; j++)
			coef[j] = aty[j] / pow(SCALE, degree[j]);
	}
	return sqrt(ss / n);
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* median of the measured depths around colour pixel (x, y), 0 if none */
static unsigned depth_at(const struct egate_pad_depth *d, double x, double y)
{
	uint16_t v[(2 * WINDOW + 1) * (2 * WINDOW + 1)];
	long u0 = lround(x) - d->x0, v0 = lround(y) - d->y0;
	size_t n = 0;

	for (long dv = -WINDOW; dv <= WINDOW; dv++)
		for (long du = -WINDOW; du <= WINDOW; du++) {
			long u = u0 + du, w = v0 + dv;

			if (u < 0 || w < 0 || u >= d->width || w >= d->height)
				continue;
			if (d->z[w * d->stride + u])
				v[n++] = d->z[w * d->stride + u];
		}
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u16);
	return v[n / 2];
}

/* The sensor's noise (sigma, mm) on the face: second differences along rows
 * cancel the surface's slope and leave 6 sigma^2 of variance; steps (an
 * edge, a hole's rim) are left out. */
static double noise(const struct egate_pad_depth *d, double zn)
{
	double ss = 0;
	size_t n = 0;

	for (long v = 0; v < d->height; v++)
		for (long u = 1; u + 1 < d->width; u++) {
			const uint16_t *z = &d->z[v * d->stride + u];
			double dd = (double)z[-1] - 2.0 * z[0] + z[1];

			if (!z[-1] || !z[0] || !z[1] || fabs(z[0] - zn) > PAD_DEPTH_BEHIND_MM ||
			    fabs(dd) > STEP_MM)
				continue;
			ss += dd * dd;
			n++;
		}
	return n ? sqrt(ss / n / 6) : 0;
}

/* camera coordinates (mm) of colour pixel (x, y) at depth z, relative to
 * the point O */
static void back_project(const struct egate_pad_depth *d, double x, double y, double z,
			 const double *o, double *out)
{
	out[0] = (x - d->cx) * z / d->fx - (o ? o[0] : 0);
	out[1] = (y - d->cy) * z / d->fy - (o ? o[1] : 0);
	out[2] = z;
}

static int check(const struct egate_pad_depth *d)
{
	if (!d || !d->z || !d->width || !d->height || d->stride < d->width)
		return -EINVAL;
	if (d->width > EGATE_PAD_MAX_DEPTH_DIM || d->height > EGATE_PAD_MAX_DEPTH_DIM)
		return -E2BIG;
	if (!(d->fx > 0) || !(d->fy > 0) || !isfinite(d->cx) || !isfinite(d->cy))
		return -EINVAL;
	return 0;
}

/* relief of the nose tip N (camera mm, depth zn) over the brow-mouth plane */
static double relief(const struct egate_pad_depth *d, const struct egate_face_landmarks *lm,
		     const double *nose)
{
	static const int plane_points[] = { 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 48, 54 };
	double p[ELEMENTSOF(plane_points)][3], coef[3];
	size_t n = 0;

	for (size_t i = 0; i < ELEMENTSOF(plane_points); i++) {
		int k = plane_points[i];
		unsigned z = depth_at(d, lm->x[k], lm->y[k]);

		if (z && fabs(z - nose[2]) < PAD_DEPTH_BEHIND_MM)
			back_project(d, lm->x[k], lm->y[k], z, nose, p[n++]);
	}
	if (isnan(pad_surface_fit(p, n, 1, coef)))
		return NAN;
	return coef[0] - nose[2];	/* the plane's depth at the nose, less the nose's */
}

int pad_depth_measure(const struct egate_pad_depth *d, const struct egate_face_landmarks *lm,
		      struct pad_depth_measure *out)
{
	double minx = INFINITY, maxx = -INFINITY, miny = INFINITY, maxy = -INFINITY;
	double nose[3], ex, ey, ax, ay;
	_cleanup_free_ double (*p)[3] = NULL;
	unsigned zn;
	size_t n = 0, step = 1;
	int r;

	r = check(d);
	if (r < 0)
		return r;
	if (!lm)
		return -EINVAL;
	for (int i = 0; i < EGATE_FACE_NUM_LANDMARKS; i++) {
		if (!isfinite(lm->x[i]) || !isfinite(lm->y[i]))
			return -EINVAL;
		minx = fmin(minx, lm->x[i]);
		maxx = fmax(maxx, lm->x[i]);
		miny = fmin(miny, lm->y[i]);
		maxy = fmax(maxy, lm->y[i]);
	}
	zn = depth_at(d, lm->x[30], lm->y[30]);
	if (!zn)
		return -ENODATA;
	back_project(d, lm->x[30], lm->y[30], zn, NULL, nose);

	/* the ellipse inside the landmarks' box: brows to chin, jaw to jaw */
	ex = (minx + maxx) / 2;
	ey = (miny + maxy) / 2;
	ax = (maxx - minx) / 2;
	ay = (maxy - miny) / 2;
	if (!(ax >= 1) || !(ay >= 1))
		return -EINVAL;
	while ((size_t)(M_PI * ax * ay) / (step * step) > MAX_POINTS)
		step++;
	p = malloc(sizeof(*p) * MAX_POINTS);
	if (!p)
		return -ENOMEM;
	for (long v = 0; v < d->height; v += step)
		for (long u = 0; u < d->width && n < MAX_POINTS; u += step) {
			double x = u + d->x0, y = v + d->y0, z = d->z[v * d->stride + u];
			double q = (x - ex) * (x - ex) / (ax * ax) + (y - ey) * (y - ey) / (ay * ay);

			if (q > 1 || !z || z < zn - PAD_DEPTH_BEFORE_MM || z > zn + PAD_DEPTH_BEHIND_MM)
				continue;
			back_project(d, x, y, z, nose, p[n++]);
		}
	out->points = n;
	out->plane_mm = pad_surface_fit(p, n, 1, NULL);
	out->noise_mm = noise(d, zn);
	out->quadric_mm = pad_surface_fit(p, n, 2, NULL);
	/* the quadric's residual beyond the sensor's noise */
	out->quadric_mm = sqrt(fmax(0, out->quadric_mm * out->quadric_mm -
				      out->noise_mm * out->noise_mm));
	out->relief_mm = relief(d, lm, nose);
	if (isnan(out->plane_mm) || isnan(out->quadric_mm) || isnan(out->relief_mm))
		return -ENODATA;
	return 0;
}
