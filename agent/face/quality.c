// SPDX-License-Identifier: MIT
/*
 * Quality measures of a face from its image and landmarks: pose, exposure
 * and its clipping, lighting uniformity across the midline, sharpness at
 * the face's own size and at a common one, eyes and mouth open.
 */
#include <math.h>

#include "internal.h"

#define NORM_EYES 40.0		/* pixels between the eyes for sharpness_norm */
#define NORM_MAX 512		/* side limit of the resampled face */
#define CLIP_LOW 5
#define CLIP_HIGH 250

static inline double luma(const uint8_t *p) { return 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]; }

static double dist(const struct egate_face_landmarks *lm, int a, int b)
{
	return hypot(lm->x[a] - lm->x[b], lm->y[a] - lm->y[b]);
}

/* eye aspect ratio of the eye whose six points start at P (corner, two
 * upper lid points, corner, two lower lid points) */
static double eye_ratio(const struct egate_face_landmarks *lm, int p)
{
	double w = dist(lm, p, p + 3);

	return w > 0 ? (dist(lm, p + 1, p + 5) + dist(lm, p + 2, p + 4)) / (2 * w) : 0;
}

/* the face's midline x = a + b y, least squares through the nose bridge,
 * nose, lips and chin */
static void midline(const struct egate_face_landmarks *lm, double *a, double *b)
{
	static const int pts[] = { 27, 28, 29, 30, 33, 51, 57, 8 };
	double sy = 0, sx = 0, syy = 0, sxy = 0, n = ARRAY_SIZE(pts), d;

	for (size_t i = 0; i < ARRAY_SIZE(pts); i++) {
		sx += lm->x[pts[i]];
		sy += lm->y[pts[i]];
		syy += lm->y[pts[i]] * lm->y[pts[i]];
		sxy += lm->x[pts[i]] * lm->y[pts[i]];
	}
	d = n * syy - sy * sy;
	*b = fabs(d) > 1e-9 ? (n * sxy - sx * sy) / d : 0;
	*a = (sx - *b * sy) / n;
}

static inline int clamp(int v, int max) { return v < 0 ? 0 : v > max ? max : v; }

/* mean luma over the source footprint of a resampled pixel, or bilinear
 * at its centre when the footprint is under a pixel */
static double sample(const struct egate_face_image *img, double fx0, double fy0, double step)
{
	double cx = fx0 + step / 2 - 0.5, cy = fy0 + step / 2 - 0.5, sum = 0;
	int x0, y0, x1, y1, n = 0;

	if (step < 1) {
		int ix = (int)floor(cx), iy = (int)floor(cy);
		double ax = cx - ix, ay = cy - iy, v[2][2];

		for (int dy = 0; dy < 2; dy++)
			for (int dx = 0; dx < 2; dx++) {
				int x = clamp(ix + dx, (int)img->width - 1);
				int y = clamp(iy + dy, (int)img->height - 1);

				v[dy][dx] = luma(img->rgb + (size_t)y * img->stride + (size_t)x * 3);
			}
		return (v[0][0] * (1 - ax) + v[0][1] * ax) * (1 - ay) +
		       (v[1][0] * (1 - ax) + v[1][1] * ax) * ay;
	}
	x0 = (int)ceil(fx0 - 0.5);
	y0 = (int)ceil(fy0 - 0.5);
	x1 = (int)ceil(fx0 + step - 0.5);
	y1 = (int)ceil(fy0 + step - 0.5);
	for (int y = y0 < 0 ? 0 : y0; y < y1 && y < (int)img->height; y++)
		for (int x = x0 < 0 ? 0 : x0; x < x1 && x < (int)img->width; x++) {
			sum += luma(img->rgb + (size_t)y * img->stride + (size_t)x * 3);
			n++;
		}
	return n ? sum / n : 0;
}

/* variance of the Laplacian of the box [x0,x1] x [y0,y1] resampled so that
 * the eyes are NORM_EYES apart */
static int sharpness_norm(const struct egate_face_image *img, int x0, int y0, int x1, int y1,
			  double inter_eye, double *out)
{
	double step = inter_eye / NORM_EYES, lap = 0, lap2 = 0;
	_cleanup_(freep) float *g = NULL;
	int w, h;
	size_t n = 0;

	*out = 0;
	if (!(step > 0))
		return 0;
	w = (int)fmin(NORM_MAX, floor((x1 - x0 + 1) / step));
	h = (int)fmin(NORM_MAX, floor((y1 - y0 + 1) / step));
	if (w < 3 || h < 3)
		return 0;
	g = malloc((size_t)w * h * sizeof(*g));
	if (!g)
		return -ENOMEM;
	for (int v = 0; v < h; v++)
		for (int u = 0; u < w; u++)
			g[(size_t)v * w + u] = (float)sample(img, x0 + u * step, y0 + v * step, step);
	for (int v = 1; v < h - 1; v++)
		for (int u = 1; u < w - 1; u++) {
			const float *p = g + (size_t)v * w + u;
			double l = 4.0 * p[0] - p[-1] - p[1] - p[-w] - p[w];

			lap += l;
			lap2 += l * l;
			n++;
		}
	*out = fmax(0, lap2 / n - (lap / n) * (lap / n));
	return 0;
}

int egate_face_quality(const struct egate_face_image *img, const struct egate_face_landmarks *lm,
		       struct egate_face_quality *q)
{
	double lx, ly, rx, ry, ma, mb, side[2] = { 0 };
	double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY;
	double sum = 0, sum2 = 0, lap = 0, lap2 = 0;
	size_t n = 0, low = 0, high = 0, nside[2] = { 0 };
	int x0, y0, x1, y1, r;

	if (!q || !lm || check_image(img) < 0)
		return -EINVAL;
	memset(q, 0, sizeof(*q));
	mean_point(lm, 36, 6, &lx, &ly);
	mean_point(lm, 42, 6, &rx, &ry);
	for (int i = 0; i < EGATE_FACE_NUM_LANDMARKS; i++) {
		minx = fmin(minx, lm->x[i]);
		maxx = fmax(maxx, lm->x[i]);
		miny = fmin(miny, lm->y[i]);
		maxy = fmax(maxy, lm->y[i]);
	}
	if (!isfinite(minx + maxx + miny + maxy))
		return -ERANGE;
	q->inter_eye = hypot(rx - lx, ry - ly);
	r = egate_face_pose(lm, img->width, img->height, 0, &q->pose);
	if (r < 0)
		return r;
	q->eyes_open = fmin(eye_ratio(lm, 36), eye_ratio(lm, 42));
	q->mouth_open = dist(lm, 60, 64) > 0 ?
		(dist(lm, 61, 67) + dist(lm, 62, 66) + dist(lm, 63, 65)) / (3 * dist(lm, 60, 64)) : 0;
	midline(lm, &ma, &mb);
	/* the image measures on the landmark box, inside the image */
	x0 = (int)fmax(1, floor(minx));
	y0 = (int)fmax(1, floor(miny));
	x1 = (int)fmin((double)img->width - 2, ceil(maxx));
	y1 = (int)fmin((double)img->height - 2, ceil(maxy));
	for (int y = y0; y <= y1; y++)
		for (int x = x0; x <= x1; x++) {
			const uint8_t *p = img->rgb + (size_t)y * img->stride + (size_t)x * 3;
			double v = luma(p);
			double l = 4 * v - luma(p - 3) - luma(p + 3) - luma(p - img->stride) -
				   luma(p + img->stride);
			int right = x > ma + mb * y;

			sum += v;
			sum2 += v * v;
			lap += l;
			lap2 += l * l;
			low += v <= CLIP_LOW;
			high += v >= CLIP_HIGH;
			side[right] += v;
			nside[right]++;
			n++;
		}
	if (!n)
		return 0;
	q->brightness = sum / n;
	q->contrast = sqrt(fmax(0, sum2 / n - q->brightness * q->brightness));
	q->sharpness = fmax(0, lap2 / n - (lap / n) * (lap / n));
	q->underexposed = (double)low / n;
	q->overexposed = (double)high / n;
	q->uniformity = 1;	/* also when the midline leaves the box (a profile) */
	if (nside[0] && nside[1]) {
		double l = side[0] / nside[0], rr = side[1] / nside[1];

		if (l + rr > 0)
			q->uniformity = 1 - fabs(l - rr) / (l + rr);
	}
	return sharpness_norm(img, x0, y0, x1, y1, q->inter_eye, &q->sharpness_norm);
}
