/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pad-internal.h - the measures behind egate_pad_verdict(), exposed to the
 * library's own files, its tests and the sequence generator.
 */
#ifndef EGATE_PAD_INTERNAL_H
#define EGATE_PAD_INTERNAL_H

#include <stddef.h>

#include "egate-pad.h"
#include "macro.h"

/* ------------------------------------------------------------ linear algebra */

/* Solves A x = b in place (A n x n row-major, destroyed; b becomes x) by
 * Gaussian elimination with partial pivoting.  -ERANGE if A is singular. */
int pad_solve(double *a, double *b, size_t n);

/* Least squares: accumulates rows r (length n) with target y and weight w
 * into the normal equations ATA (n x n), ATy (n). */
void pad_normal_add(double *ata, double *aty, const double *r, double y, double w, size_t n);

/* qsort() order of doubles, ascending */
int pad_cmp_double(const void *a, const void *b);

/* --------------------------------------------------------------- homography */

/* The homography H (3x3, row-major, H[8] = 1) taking points A onto points B
 * (N >= 4 pairs), least squares after Hartley normalisation.  -ERANGE for a
 * degenerate configuration. */
int pad_homography_fit(const double (*a)[2], const double (*b)[2], size_t n, double h[9]);
/* RMS distance between H(A) and B. */
double pad_homography_rms(const double h[9], const double (*a)[2], const double (*b)[2],
			  size_t n);

/* ------------------------------------------------------------------- colour */

/* The landmarks that belong to the head's rigid part and do not move with
 * an expression or a blink: jaw contour, brows, nose.  Eyes and mouth are
 * left out (and so a print with the eyes cut out, moving as a whole,
 * counts as flat). */
extern const int pad_rigid_points[];
extern const size_t pad_rigid_count;

/* Parallax of the landmarks of B against A: RMS residual of the best
 * homography over the rigid points, over B's eye distance, x100. */
double pad_parallax(const struct egate_face_landmarks *a, const struct egate_face_landmarks *b);

/* Eye aspect ratio (eyelid gap over eye width), mean of the two eyes. */
double pad_eye_ratio(const struct egate_face_landmarks *lm);
double pad_eye_distance(const struct egate_face_landmarks *lm);

/* Blinks in a sequence of eye aspect ratios: falls under BLINK_CLOSED of the
 * open-eye ratio (the sequence's upper quartile) and reopenings above
 * BLINK_OPEN of it.  *MIN_RATIO: the smallest ratio over the open one. */
unsigned pad_count_blinks(const double *ear, size_t n, double *min_ratio);

/* -------------------------------------------------------------------- depth */

struct pad_depth_measure {
	double plane_mm;	/* RMS residual of the least-squares plane */
	double quadric_mm;	/* RMS residual of the least-squares quadric, beyond the noise */
	double noise_mm;	/* the sensor's noise on the face (sigma) */
	double relief_mm;	/* nose tip before the brow-mouth plane */
	size_t points;		/* face points used */
};

/* Least-squares surface z = f(x, y) through N points (x, y, z in mm):
 * ORDER 1 a plane (COEF: z = c0 + c1 x + c2 y), 2 a quadric (+ c3 x^2 +
 * c4 x y + c5 y^2); x and y best within some 100 mm of 0.  Returns the
 * RMS residual, NaN when the fit fails.  COEF may be NULL. */
double pad_surface_fit(const double (*p)[3], size_t n, int order, double *coef);

/* The three measures on one depth crop and the face's landmarks. */
int pad_depth_measure(const struct egate_pad_depth *d, const struct egate_face_landmarks *lm,
		      struct pad_depth_measure *out);

#endif
