// SPDX-License-Identifier: GPL-2.0
/*
 * linalg.c - the small dense least-squares problems of presentation-attack
 * detection (at most a few dozen unknowns): normal equations, Gaussian
 * elimination with partial pivoting; and the order of doubles for qsort().
 */
#include <math.h>

#include "pad-internal.h"

int pad_solve(double *a, double *b, size_t n)
{
	double scale = 0;

	for (size_t i = 0; i < n * n; i++)
		scale = fmax(scale, fabs(a[i]));
	if (!(scale > 0) || !isfinite(scale))
		return -ERANGE;
	for (size_t c = 0; c < n; c++) {
		size_t p = c;

		for (size_t r = c + 1; r < n; r++)
			if (fabs(a[r * n + c]) > fabs(a[p * n + c]))
				p = r;
		if (fabs(a[p * n + c]) <= 1e-12 * scale)
			return -ERANGE;
		if (p != c) {
			for (size_t k = 0; k < n; k++) {
				double t = a[c * n + k];

				a[c * n + k] = a[p * n + k];
				a[p * n + k] = t;
			}
			double t = b[c];

			b[c] = b[p];
			b[p] = t;
		}
		for (size_t r = c + 1; r < n; r++) {
			double f = a[r * n + c] / a[c * n + c];

			for (size_t k = c; k < n; k++)
				a[r * n + k] -= f * a[c * n + k];
			b[r] -= f * b[c];
		}
	}
	for (size_t c = n; c-- > 0;) {
		double s = b[c];

		for (size_t k = c + 1; k < n; k++)
			s -= a[c * n + k] * b[k];
		b[c] = s / a[c * n + c];
	}
	return 0;
}

void pad_normal_add(double *ata, double *aty, const double *r, double y, double w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++)
			ata[i * n + j] += w * r[i] * r[j];
		aty[i] += w * r[i] * y;
	}
}

int pad_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}
