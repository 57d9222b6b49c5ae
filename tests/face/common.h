/* SPDX-License-Identifier: MIT */
/* Helpers shared by the face engine tests. */
#ifndef EGATE_FACE_TEST_COMMON_H
#define EGATE_FACE_TEST_COMMON_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "egate-face.h"

#ifndef TOP_DIR
#define TOP_DIR "."
#endif

/* EGATE_MODELS, else <top>/build/models/face-api/model */
static inline const char *models_dir(void)
{
	static char buf[PATH_MAX];
	const char *e = getenv("EGATE_MODELS");

	if (e && *e)
		return e;
	snprintf(buf, sizeof(buf), "%s/build/models/face-api/model", TOP_DIR);
	return buf;
}

static inline int have_models(void)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof(p), "%s/face_recognition_model.bin", models_dir());
	return stat(p, &st) == 0;
}

/* the demo images sit beside the model folder */
static inline void demo_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/../demo/%s", models_dir(), name);
}

#endif
