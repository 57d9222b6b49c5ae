// SPDX-License-Identifier: GPL-2.0
/*
 * render.c - a synthetic presentation as the colour camera sees it: the
 * photo's pixels carried on the presented object's surface (the lifted
 * head, the print, the screen), projected with a z-buffer onto a mid-grey
 * background.  Used to check, with the real detector, that the landmark
 * tracks the generator makes are what a detector would report, and by the
 * simulated camera (egate-sim-camera render-seq) for the VM tests and the
 * demo.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pad-internal.h"
#include "sim-internal.h"

struct canvas {
	const struct pad_sim_params *p;
	const struct pad_sim_frame *f;
	const struct pad_sim_face *face;
	const struct egate_face_image *photo;
	const uint8_t *screen;		/* the replayed frame, width x height RGB */
	double screen_mm_per_px;
	float *z;
	uint8_t *out;
};

/* bilinear sample of IMG at (u, v); 0 outside */
static int sample(const uint8_t *rgb, uint32_t w, uint32_t h, size_t stride, double u, double v,
		  uint8_t *out)
{
	if (!(u >= 0) || !(v >= 0) || u >= w - 1 || v >= h - 1)
		return 0;
	size_t x = (size_t)u, y = (size_t)v;
	double a = u - x, b = v - y;
	const uint8_t *p = rgb + y * stride + x * 3;

	for (int c = 0; c < 3; c++)
		out[c] = (uint8_t)lround((1 - b) * ((1 - a) * p[c] + a * p[3 + c]) +
					 b * ((1 - a) * p[stride + c] + a * p[stride + 3 + c]));
	return 1;
}

static void paint(void *ctx, const double *tex, const double *m)
{
	struct canvas *cv = ctx;
	double c[3], u, v, pu, pv;
	uint8_t rgb[3];
	int ok;

	pad_sim_to_camera(cv->f, m, c);
	if (c[2] < 50)
		return;
	if (cv->screen) {
		ok = sample(cv->screen, cv->p->width, cv->p->height, cv->p->width * 3,
			    tex[0] / cv->screen_mm_per_px + cv->p->width / 2.0,
			    tex[1] / cv->screen_mm_per_px + cv->p->height / 2.0, rgb);
	} else {
		pad_sim_face_to_photo(cv->face, tex[0], tex[1], &pu, &pv);
		ok = sample(cv->photo->rgb, cv->photo->width, cv->photo->height,
			    cv->photo->stride, pu, pv, rgb);
	}
	if (!ok)
		return;
	pad_sim_project(cv->p, c, &u, &v);
	for (long dv = 0; dv <= 1; dv++)
		for (long du = 0; du <= 1; du++) {
			long x = (long)floor(u) + du, y = (long)floor(v) + dv;

			if (x < 0 || y < 0 || x >= cv->p->width || y >= cv->p->height)
				continue;
			size_t i = (size_t)y * cv->p->width + x;

			if (c[2] < cv->z[i]) {
				cv->z[i] = (float)c[2];
				memcpy(cv->out + 3 * i, rgb, 3);
			}
		}
}

/* a screen seen by a camera: moire with the sensor's grid, the panel's
 * gamma, the refresh's bands */
static void screen_artefacts(const struct canvas *cv)
{
	for (uint32_t y = 0; y < cv->p->height; y++)
		for (uint32_t x = 0; x < cv->p->width; x++) {
			size_t i = (size_t)y * cv->p->width + x;
			double k = (1 + 0.12 * sin(2 * M_PI * (x / 3.7 + y / 9.3))) *
				   (1 + 0.06 * sin(2 * M_PI * y / 41.0));

			if (isinf(cv->z[i]))
				continue;
			for (int c = 0; c < 3; c++) {
				double g = 255 * pow(cv->out[3 * i + c] / 255.0, 0.8) * k;

				cv->out[3 * i + c] = (uint8_t)fmin(fmax(lround(g), 0), 255);
			}
		}
}

int pad_sim_render(const struct pad_sim_face *face, const struct egate_face_image *photo,
		   const struct pad_sim_seq *seq, uint32_t i, uint8_t *out)
{
	const size_t n = (size_t)seq->p.width * seq->p.height;
	_cleanup_free_ float *z = NULL;
	_cleanup_free_ uint8_t *screen = NULL;
	struct pad_sim_scene s;
	struct canvas cv = {
		.p = &seq->p, .f = &seq->frames[i], .face = face, .photo = photo,
		.screen_mm_per_px = seq->screen_mm_per_px, .out = out,
	};
	int r;

	if (i >= seq->n || !photo || !out)
		return -EINVAL;
	z = malloc(n * sizeof(*z));
	if (!z)
		return -ENOMEM;
	if (seq->kind == PAD_SIM_SCREEN) {
		screen = malloc(3 * n);
		if (!screen)
			return -ENOMEM;
		r = pad_sim_render(face, photo, seq->recorded, i, screen);
		if (r < 0)
			return r;
		cv.screen = screen;
	}
	cv.z = z;
	for (size_t k = 0; k < n; k++)
		z[k] = INFINITY;
	memset(out, 128, 3 * n);
	pad_sim_scene_of(face, seq, &s);
	pad_sim_draw(&s, seq->kind, cv.f, paint, &cv);
	if (cv.screen)
		screen_artefacts(&cv);
	return 0;
}
