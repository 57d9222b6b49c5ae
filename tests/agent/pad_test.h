/* SPDX-License-Identifier: GPL-2.0 */
/* pad_test.h - what the presentation-attack detection tests share. */
#ifndef EGATE_PAD_TEST_H
#define EGATE_PAD_TEST_H

#include <math.h>

#include "egate-face.h"

/* |A - B| < TOL, for doubles (the harness's EXPECT_* print them as integers) */
#define EXPECT_NEAR(a, b, tol) EXPECT_LT(fabs((double)(a) - (double)(b)), (double)(tol))

/* The generic face seen frontally at 1.2 pixels per mm, centred on a
 * 300x300 image: a "photo" to lift, needing no data beyond the build. */
static inline void pad_test_photo(struct egate_face_landmarks *photo)
{
	double m[EGATE_FACE_NUM_LANDMARKS][3];

	egate_face_pose_model(m);
	for (int i = 0; i < EGATE_FACE_NUM_LANDMARKS; i++) {
		photo->x[i] = 150 + 1.2 * m[i][0];
		photo->y[i] = 150 + 1.2 * m[i][1];
	}
}

#endif
