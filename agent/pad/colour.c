// SPDX-License-Identifier: GPL-2.0
/*
 * colour.c - the colour-only measures on the 68 landmarks: parallax (how far
 * a face's rigid points move away from what a homography, that is a flat
 * object, explains) and blinks (the eye aspect ratio).
 */
#include <math.h>
#include <string.h>

#include "pad-internal.h"
#include "thresholds.h"

/* jaw contour 0-16, brows 17-26, nose 27-35 (dlib/iBUG order) */
const int pad_rigid_points[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
	27, 28, 29, 30, 31, 32, 33, 34, 35,
};
const size_t pad_rigid_count = ELEMENTSOF(pad_rigid_points);

static double dist(const struct egate_face_landmarks *lm, int a, int b)
{
	return hypot(lm->x[a] - lm->x[b], lm->y[a] - lm->y[b]);
}

double pad_eye_distance(const struct egate_face_landmarks *lm)
{
	double lx = 0, ly = 0, rx = 0, ry = 0;

	for (int i = 0; i < 6; i++) {
		lx += lm->x[36 + i];
		ly += lm->y[36 + i];
		rx += lm->x[42 + i];
		ry += lm->y[42 + i];
	}
	return hypot(lx - rx, ly - ry) / 6;
}

/* six points from P: corner, two upper lid points, corner, two lower ones */
static double eye_ratio(const struct egate_face_landmarks *lm, int p)
{
	double w = dist(lm, p, p + 3);

	return w > 0 ? (dist(lm, p + 1, p + 5) + dist(lm, p + 2, p + 4)) / (2 * w) : 0;
}

double pad_eye_ratio(const struct egate_face_landmarks *lm)
{
	return (eye_ratio(lm, 36) + eye_ratio(lm, 42)) / 2;
}

double pad_parallax(const struct egate_face_landmarks *a, const struct egate_face_landmarks *b)
{
	double pa[ELEMENTSOF(pad_rigid_points)][2], pb[ELEMENTSOF(pad_rigid_points)][2];
	double h[9], eyes = pad_eye_distance(b);

	for (size_t i = 0; i < pad_rigid_count; i++) {
		pa[i][0] = a->x[pad_rigid_points[i]];
		pa[i][1] = a->y[pad_rigid_points[i]];
		pb[i][0] = b->x[pad_rigid_points[i]];
		pb[i][1] = b->y[pad_rigid_points[i]];
	}
	if (!(eyes > 0) || pad_homography_fit(pa, pb, pad_rigid_count, h) < 0)
		return NAN;
	return 100 * pad_homography_rms(h, pa, pb, pad_rigid_count) / eyes;
}

unsigned pad_count_blinks(const double *ear, size_t n, double *min_ratio)
{
	double sorted[EGATE_PAD_MAX_FRAMES], open, lowest = INFINITY;
	unsigned blinks = 0;
	int closed = 0;

	*min_ratio = NAN;
	if (n == 0 || n > EGATE_PAD_MAX_FRAMES)
		return 0;
	memcpy(sorted, ear, n * sizeof(*ear));
	qsort(sorted, n, sizeof(*sorted), pad_cmp_double);
	open = sorted[n * 3 / 4];
	if (!(open > 0))
		return 0;
	for (size_t i = 0; i < n; i++) {
		lowest = fmin(lowest, ear[i]);
		if (!closed && ear[i] < PAD_BLINK_CLOSED * open) {
			closed = 1;
		} else if (closed && ear[i] > PAD_BLINK_OPEN * open) {
			closed = 0;
			blinks++;
		}
	}
	*min_ratio = lowest / open;
	return blinks;
}
