// SPDX-License-Identifier: GPL-2.0
/*
 * face-model.c - a face photo lifted to a 2.5D head: its 68 landmarks keep
 * their place in the photo (scaled to millimetres) and take their depth
 * from the face engine's generic face; a thin-plate spline through them and
 * through points around the face (forehead, beyond the jaw, sloping back)
 * gives the surface between them, sampled on a 1 mm grid.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pad-internal.h"
#include "sim.h"

#define EYES_MM 63.0		/* the generic face's eye distance */
#define GRID_MM 1.0
#define UNIT 100.0		/* mm: the spline's coordinates are scaled by it */
#define SMOOTH 1e-4		/* the spline's regularisation */
#define EXTRA (10 + 10 + 17)	/* forehead (two rows), beyond the jaw */
#define CTRL (EGATE_FACE_NUM_LANDMARKS + EXTRA)

struct pad_sim_face {
	double lm[EGATE_FACE_NUM_LANDMARKS][3];
	double mm_per_px, nose_u, nose_v;
	double x0, y0;			/* grid origin, mm */
	size_t nx, ny;
	float *z;			/* nx * ny, mm */
};

static double kernel(double dx, double dy)
{
	double r2 = dx * dx + dy * dy;

	return r2 > 0 ? r2 * log(r2) : 0;
}

/* the control points: landmarks, two forehead rows, a ring beyond the jaw */
static void control_points(const double lm[][3], double c[CTRL][3])
{
	double cx = 0, cy = 0;
	size_t n = 0;

	for (int i = 0; i < EGATE_FACE_NUM_LANDMARKS; i++) {
		c[n][0] = lm[i][0];
		c[n][1] = lm[i][1];
		c[n][2] = lm[i][2];
		cx += lm[i][0] / EGATE_FACE_NUM_LANDMARKS;
		cy += lm[i][1] / EGATE_FACE_NUM_LANDMARKS;
		n++;
	}
	for (int row = 1; row <= 2; row++)
		for (int i = 17; i <= 26; i++, n++) {
			c[n][0] = lm[i][0] * (1 + 0.1 * row);
			c[n][1] = lm[i][1] - 22 * row;
			c[n][2] = lm[i][2] + 6 * row * row;
		}
	for (int i = 0; i <= 16; i++, n++) {
		double dx = lm[i][0] - cx, dy = lm[i][1] - cy, d = hypot(dx, dy);

		c[n][0] = lm[i][0] + 12 * dx / d;
		c[n][1] = lm[i][1] + 12 * dy / d;
		c[n][2] = lm[i][2] + 25;
	}
}

/* spline weights W (CTRL) and affine part A (3) through the points C */
static int fit_spline(const double c[CTRL][3], double *w)
{
	const size_t n = CTRL + 3;
	_cleanup_free_ double *a = calloc(n * n, sizeof(*a));

	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < CTRL; i++) {
		for (size_t j = 0; j < CTRL; j++)
			a[i * n + j] = kernel((c[i][0] - c[j][0]) / UNIT, (c[i][1] - c[j][1]) / UNIT);
		a[i * n + i] += SMOOTH;
		double p[3] = { 1, c[i][0] / UNIT, c[i][1] / UNIT };

		for (size_t k = 0; k < 3; k++) {
			a[i * n + CTRL + k] = p[k];
			a[(CTRL + k) * n + i] = p[k];
		}
		w[i] = c[i][2];
	}
	w[CTRL] = w[CTRL + 1] = w[CTRL + 2] = 0;
	return pad_solve(a, w, n);
}

int pad_sim_face_new(const struct egate_face_landmarks *photo, struct pad_sim_face **out)
{
	double generic[EGATE_FACE_NUM_LANDMARKS][3], c[CTRL][3], w[CTRL + 3], xmin = INFINITY, xmax = -INFINITY;
	double ymin = INFINITY, ymax = -INFINITY, eyes = pad_eye_distance(photo);
	_cleanup_free_ struct pad_sim_face *f = NULL;
	int r;

	if (!(eyes > 1))
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->mm_per_px = EYES_MM / eyes;
	f->nose_u = photo->x[30];
	f->nose_v = photo->y[30];
	egate_face_pose_model(generic);
	for (int i = 0; i < EGATE_FACE_NUM_LANDMARKS; i++) {
		f->lm[i][0] = (photo->x[i] - f->nose_u) * f->mm_per_px;
		f->lm[i][1] = (photo->y[i] - f->nose_v) * f->mm_per_px;
		f->lm[i][2] = generic[i][2];
	}
	control_points(f->lm, c);
	r = fit_spline(c, w);
	if (r < 0)
		return r;
	for (size_t i = 0; i < CTRL; i++) {
		xmin = fmin(xmin, c[i][0]);
		xmax = fmax(xmax, c[i][0]);
		ymin = fmin(ymin, c[i][1]);
		ymax = fmax(ymax, c[i][1]);
	}
	f->x0 = xmin;
	f->y0 = ymin;
	f->nx = (size_t)((xmax - xmin) / GRID_MM) + 1;
	f->ny = (size_t)((ymax - ymin) / GRID_MM) + 1;
	if (f->nx > 1000 || f->ny > 1000)
		return -E2BIG;
	f->z = malloc(f->nx * f->ny * sizeof(*f->z));
	if (!f->z)
		return -ENOMEM;
	for (size_t j = 0; j < f->ny; j++)
		for (size_t i = 0; i < f->nx; i++) {
			double x = (f->x0 + i * GRID_MM) / UNIT, y = (f->y0 + j * GRID_MM) / UNIT;
			double z = w[CTRL] + w[CTRL + 1] * x + w[CTRL + 2] * y;

			for (size_t k = 0; k < CTRL; k++)
				z += w[k] * kernel(x - c[k][0] / UNIT, y - c[k][1] / UNIT);
			f->z[j * f->nx + i] = (float)fmin(fmax(z, -5), 110);
		}
	*out = TAKE_PTR(f);
	return 0;
}

void pad_sim_face_free(struct pad_sim_face *f)
{
	if (!f)
		return;
	free(f->z);
	free(f);
}

void pad_sim_face_landmarks(const struct pad_sim_face *f, double lm[EGATE_FACE_NUM_LANDMARKS][3])
{
	memcpy(lm, f->lm, sizeof(f->lm));
}

void pad_sim_face_extent(const struct pad_sim_face *f, double *x0, double *y0, double *x1,
			 double *y1)
{
	*x0 = f->x0;
	*y0 = f->y0;
	*x1 = f->x0 + (f->nx - 1) * GRID_MM;
	*y1 = f->y0 + (f->ny - 1) * GRID_MM;
}

double pad_sim_face_depth(const struct pad_sim_face *f, double x, double y)
{
	double gx = (x - f->x0) / GRID_MM, gy = (y - f->y0) / GRID_MM;
	size_t i, j;

	if (!(gx >= 0) || !(gy >= 0) || gx >= f->nx - 1 || gy >= f->ny - 1)
		return NAN;
	i = (size_t)gx;
	j = (size_t)gy;
	gx -= i;
	gy -= j;
	const float *z = f->z + j * f->nx + i;

	return (1 - gy) * ((1 - gx) * z[0] + gx * z[1]) +
	       gy * ((1 - gx) * z[f->nx] + gx * z[f->nx + 1]);
}

void pad_sim_face_to_photo(const struct pad_sim_face *f, double x, double y, double *u, double *v)
{
	*u = f->nose_u + x / f->mm_per_px;
	*v = f->nose_v + y / f->mm_per_px;
}
