// SPDX-License-Identifier: MIT
/* Realistic synthetic descriptors: see gallery-synth.h. */
#include <math.h>

#include "gallery-synth.h"
#include "internal.h"

#define D SYNTH_D

int synth_fit(struct synth *s, const float *real, size_t n, double shrink)
{
	_cleanup_(freep) double *c = NULL;
	double mu[D] = { 0 };

	if (!s || !real || n < 2 || !(shrink >= 0 && shrink <= 1))
		return -EINVAL;
	c = calloc(D * D, sizeof(double));
	if (!c)
		return -ENOMEM;
	for (size_t k = 0; k < n; k++)
		for (int i = 0; i < D; i++)
			mu[i] += real[k * D + i] / (double)n;
	for (size_t k = 0; k < n; k++)
		for (int i = 0; i < D; i++)
			for (int j = 0; j <= i; j++)
				c[i * D + j] += (real[k * D + i] - mu[i]) * (real[k * D + j] - mu[j]) /
						(double)(n - 1);
	s->trace = 0;
	for (int i = 0; i < D; i++) {
		s->mu[i] = (float)mu[i];
		s->trace += (float)c[i * D + i];
		for (int j = 0; j < i; j++)
			c[i * D + j] *= 1 - shrink;
	}
	/* Cholesky, lower triangle in place */
	for (int j = 0; j < D; j++) {
		double d = c[j * D + j];

		for (int k = 0; k < j; k++)
			d -= c[j * D + k] * c[j * D + k];
		if (!(d > 0))
			return -EDOM;
		c[j * D + j] = sqrt(d);
		for (int i = j + 1; i < D; i++) {
			double v = c[i * D + j];

			for (int k = 0; k < j; k++)
				v -= c[i * D + k] * c[j * D + k];
			c[i * D + j] = v / c[j * D + j];
		}
	}
	for (int j = 0; j < D; j++)
		for (int i = 0; i < D; i++)
			s->l[j * D + i] = i >= j ? (float)c[i * D + j] : 0;
	return 0;
}

void synth_toy(struct synth *s)
{
	memset(s, 0, sizeof(*s));
	for (int d = 0; d < D; d++) {
		s->mu[d] = 0.1f * sinf((float)d);
		s->l[d * D + d] = 0.006f + 0.0003f * (float)d;
		s->trace += s->l[d * D + d] * s->l[d * D + d];
	}
}

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void synth_noise(const struct synth *s, uint64_t seed, float scale, float *out)
{
	float z[D];

	/* Box-Muller, both outputs */
	for (int i = 0; i < D; i += 2) {
		uint64_t r = splitmix(&seed);
		float u = ((float)(r >> 40) + 0.5f) * (1.0f / 16777216.0f);
		float v = (float)((r >> 16) & 0xffffff) * (float)(2 * M_PI / 16777216.0);
		float m = scale * sqrtf(-2 * logf(u));

		z[i] = m * cosf(v);
		z[i + 1] = m * sinf(v);
	}
	memset(out, 0, D * sizeof(float));
	/* column by column: vectorises without reassociation */
	for (int j = 0; j < D; j++)
		for (int i = j; i < D; i++)
			out[i] += s->l[j * D + i] * z[j];
}

void synth_draw(const struct synth *s, uint64_t seed, float *out)
{
	synth_noise(s, seed, 1.0f, out);
	for (int i = 0; i < D; i++)
		out[i] += s->mu[i];
}

int synth_real(struct egate_face_engine *e, const char *path, int crop, float *out, size_t max)
{
	struct egate_face_picture *pic = NULL;
	struct egate_face_detection det[EGATE_FACE_MAX_FACES];
	struct egate_face_landmarks lm;
	struct egate_face_image img;
	int n, r, got = 0;


	r = egate_face_picture_load(path, &pic, NULL, 0);
	if (r < 0)
		return r;
	img = egate_face_picture_image(pic);
	if (crop) {
		r = max ? egate_face_descriptor_crop(e, &img, out) : 0;
		egate_face_picture_free(pic);
		return r < 0 ? r : max ? 1 : 0;
	}
	n = egate_face_detect(e, &img, NULL, det, ARRAY_SIZE(det));
	/* a face cut off too far for landmarks is left out */
	for (int i = 0; i < n && (size_t)got < max; i++)
		got += egate_face_landmarks(e, &img, &det[i].box, &lm) >= 0 &&
		       egate_face_descriptor(e, &img, &lm, out + (size_t)got * D) >= 0;
	egate_face_picture_free(pic);
	return n < 0 ? n : got;
}
