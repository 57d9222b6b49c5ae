// SPDX-License-Identifier: GPL-2.0
/*
 * portrait.c - the portrait criteria of an enrolment photo.  The limits
 * refuse what makes a poor gallery template (eyes shut, mouth open, one
 * side of the face dark, clipped exposure, blur, a head turned away)
 * while passing ordinary photos: the landmark-based measures are coarser
 * than a passport office's (pose has a bias of a few degrees), so the
 * limits are wider than ICAO 9303's for issuing a passport photo.
 */
#include <math.h>
#include <stdio.h>

#include "portrait.h"

#define QUALITY_FIELD(f) offsetof(struct egate_face_quality, f)

static const struct criterion {
	const char *name, *measure;
	size_t field;	/* a double in struct egate_face_quality */
	bool absolute;	/* |value| */
	bool at_least;
	double limit;
} criteria[PORTRAIT_CRITERIA_MAX] = {
	{ "eyes open", "eye aspect ratio of the more closed eye",
	  QUALITY_FIELD(eyes_open), false, true, 0.15 },
	{ "mouth closed", "inner-lip gap over mouth width",
	  QUALITY_FIELD(mouth_open), false, false, 0.25 },
	{ "illumination", "uniformity of the light on the face's two halves, 1 = even",
	  QUALITY_FIELD(uniformity), false, true, 0.6 },
	{ "underexposure", "fraction of the face clipped to black",
	  QUALITY_FIELD(underexposed), false, false, 0.1 },
	{ "overexposure", "fraction of the face clipped to white",
	  QUALITY_FIELD(overexposed), false, false, 0.1 },
	{ "sharpness", "variance of the Laplacian at 40 px between the eyes",
	  QUALITY_FIELD(sharpness_norm), false, true, 40 },
	{ "yaw", "head turned sideways, degrees", QUALITY_FIELD(pose.yaw), true, false, 30 },
	{ "pitch", "head tilted up or down, degrees", QUALITY_FIELD(pose.pitch), true, false, 30 },
	{ "roll", "head tilted toward a shoulder, degrees", QUALITY_FIELD(pose.roll), true, false,
	  30 },
};

int portrait_check(const struct egate_face_quality *q,
		   struct portrait_failure out[PORTRAIT_CRITERIA_MAX])
{
	int n = 0;

	for (size_t i = 0; i < PORTRAIT_CRITERIA_MAX; i++) {
		const struct criterion *c = &criteria[i];
		double v = *(const double *)((const char *)q + c->field);
		double m = c->absolute ? fabs(v) : v;

		/* a measure that is not a number fails */
		if (c->at_least ? m >= c->limit : m <= c->limit)
			continue;
		out[n++] = (struct portrait_failure){ .criterion = c->name, .measure = c->measure,
						      .value = m, .limit = c->limit,
						      .at_least = c->at_least };
	}
	return n;
}

int portrait_failure_format(const struct portrait_failure *f, bool is_short, char *buf,
			    size_t len)
{
	if (is_short)
		return snprintf(buf, len, "%s %.3g %s %g", f->criterion, f->value,
				f->at_least ? "<" : ">", f->limit);
	return snprintf(buf, len, "%s %.3g, %s %g (%s)", f->criterion, f->value,
			f->at_least ? "below the limit" : "above the limit", f->limit, f->measure);
}
