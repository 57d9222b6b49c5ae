/* SPDX-License-Identifier: GPL-2.0 */
/* pad_test.h - what the presentation-attack detection tests share. */
#ifndef EGATE_PAD_TEST_H
#define EGATE_PAD_TEST_H

#include <math.h>

/* |A - B| < TOL, for doubles (the harness's EXPECT_* print them as integers) */
#define EXPECT_NEAR(a, b, tol) EXPECT_LT(fabs((double)(a) - (double)(b)), (double)(tol))

#endif
