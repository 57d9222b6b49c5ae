/* SPDX-License-Identifier: GPL-2.0 */
/*
 * portrait.h - the portrait criteria an enrolment photo must meet
 * (toward ISO/IEC 29794-5, on egate_face_quality()'s measures): eyes
 * open, mouth closed, evenly lit, not clipped to black or white, sharp,
 * facing the camera.
 */
#ifndef EGATE_PORTRAIT_H
#define EGATE_PORTRAIT_H

#include <stdbool.h>
#include <stddef.h>

#include "egate-face.h"

#define PORTRAIT_CRITERIA_MAX 9

struct portrait_failure {
	const char *criterion;	/* "sharpness" */
	const char *measure;	/* what value is */
	double value, limit;
	bool at_least;		/* value must be >= limit (else <=) */
};

/* Fills out[] with the criteria Q fails (up to PORTRAIT_CRITERIA_MAX) and
 * returns their number; 0: a portrait. */
int portrait_check(const struct egate_face_quality *q,
		   struct portrait_failure out[PORTRAIT_CRITERIA_MAX]);

/* "sharpness 12.3 < 50" (SHORT) or with the measure and the limit's
 * meaning spelt out; snprintf's return. */
int portrait_failure_format(const struct portrait_failure *f, bool is_short, char *buf,
			    size_t len);

#endif
