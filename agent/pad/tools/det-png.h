/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EGATE_PAD_DET_PNG_H
#define EGATE_PAD_DET_PNG_H

#include <stddef.h>
#include <stdint.h>

/* One curve: N operating points (error rates 0..1), drawn in RGB. */
struct det_curve {
	const double *apcer, *bpcer;
	size_t n;
	uint8_t rgb[3];
};

/* A DET plot of the curves: x APCER, y BPCER, normal-deviate scales from
 * 0.2 % to 60 % (rates outside are drawn at the ends). */
int det_png_write(const char *path, const struct det_curve *curves, size_t n);

#endif
