/* SPDX-License-Identifier: MIT */
/*
 * Realistic synthetic descriptors for gallery tests and benchmarks: drawn
 * from a Gaussian with the mean and covariance of real descriptors, so
 * that distances look like real ones (impostors 0.6-1.0, a large common
 * mean), unlike isotropic random vectors (all near 1.4 apart).  The
 * sample covariance of a few dozen faces has low rank; it is shrunk
 * toward its diagonal before its Cholesky factor is taken.  Not installed.
 */
#ifndef EGATE_FACE_GALLERY_SYNTH_H
#define EGATE_FACE_GALLERY_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "egate-face.h"

#define SYNTH_D EGATE_FACE_DESCRIPTOR_DIM

struct synth {
	float mu[SYNTH_D];
	float trace;			/* of the covariance: E|x - mu|^2 */
	float l[SYNTH_D * SYNTH_D];	/* Cholesky factor, column j at l + j * D */
};

/* Fits S to the N descriptors REAL (N >= 2); SHRINK in [0, 1] is the
 * weight of the diagonal.  -EINVAL, or -EDOM if the covariance is not
 * positive definite. */
int synth_fit(struct synth *s, const float *real, size_t n, double shrink);
/* SCALE * L z, z standard normal from SEED: a difference between two
 * images of one face when SCALE < 1. */
void synth_noise(const struct synth *s, uint64_t seed, float scale, float *out);
/* A model without real descriptors, for tests: a large common mean and
 * independent dimensions of spreads from 0.006 to 0.044. */
void synth_toy(struct synth *s);
/* mu + L z: a face. */
void synth_draw(const struct synth *s, uint64_t seed, float *out);

/* Descriptors of the faces in the image file PATH (CROP: the whole image
 * is one face crop), at most MAX into OUT; returns how many, or a
 * negative errno. */
int synth_real(struct egate_face_engine *e, const char *path, int crop, float *out, size_t max);

#endif
