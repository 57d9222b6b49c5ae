// SPDX-License-Identifier: GPL-2.0
/*
 * templates.c - a traveller's face templates from photos, with the face
 * engine as egate-gallery uses it: one face per photo, its 128-float
 * descriptor.  Only the templates leave this file: no photo is sent to
 * the centre.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "central.h"
#include "egate-face.h"
#include "egate-store.h"
#include "pg.h"

#define ENROL_INPUT_SIZE 416	/* detector input for photos (egate-gallery's) */

DEFINE_POINTER_CLEANUP(struct egate_face_engine, engine_freep, egate_face_engine_free)
DEFINE_POINTER_CLEANUP(struct egate_face_picture, picture_freep, egate_face_picture_free)

static int template_of(struct egate_face_engine *e, const char *path, float *descriptor,
		       char *err, size_t err_size)
{
	_cleanup_(picture_freep) struct egate_face_picture *pic = NULL;
	struct egate_face_detect_opts opts = { .input_size = ENROL_INPUT_SIZE };
	struct egate_face_detection faces[2];
	struct egate_face_landmarks lm;
	struct egate_face_image img;
	int n, r;

	r = egate_face_picture_load(path, &pic, err, err_size);
	if (r < 0)
		return r;
	img = egate_face_picture_image(pic);
	n = egate_face_detect(e, &img, &opts, faces, ELEMENTSOF(faces));
	if (n != 1) {
		snprintf(err, err_size, "%s: %s", path, n < 0 ? strerror(-n) : n ?
			 "more than one face" : "no face");
		return n < 0 ? n : -ENOENT;
	}
	r = egate_face_landmarks(e, &img, &faces[0].box, &lm);
	if (r >= 0)
		r = egate_face_descriptor(e, &img, &lm, descriptor);
	if (r < 0)
		snprintf(err, err_size, "%s: %s", path, strerror(-r));
	return r;
}

int central_templates(const char *models, char *const *photos, int n, char **ret,
		      char *err, size_t err_size)
{
	_cleanup_(engine_freep) struct egate_face_engine *e = NULL;
	float descriptor[EGATE_TEMPLATE_DIM];
	char hex[2 * sizeof(descriptor) + 3];
	_cleanup_free_ char *text = NULL;
	size_t used = 0, size;
	int r;

	if (n < 1 || n > EGATE_STORE_TEMPLATES_PER_TRAVELLER_MAX) {
		snprintf(err, err_size, "1 to %d photos", EGATE_STORE_TEMPLATES_PER_TRAVELLER_MAX);
		return -EINVAL;
	}
	r = egate_face_engine_new(models, &e, err, err_size);
	if (r < 0)
		return r;
	size = (size_t)n * (sizeof(hex) + 4) + 3;
	text = malloc(size);
	if (!text)
		return -ENOMEM;
	text[used++] = '{';
	for (int i = 0; i < n; i++) {
		r = template_of(e, photos[i], descriptor, err, err_size);
		if (r < 0)
			return r;
		pg_hex((const uint8_t *)descriptor, sizeof(descriptor), hex);
		/* "\\x...": the backslash escaped inside the array literal. */
		used += (size_t)snprintf(text + used, size - used, "%s\"\\%s\"", i ? "," : "",
					 hex);
	}
	explicit_bzero(descriptor, sizeof(descriptor));
	text[used++] = '}';
	text[used] = 0;
	*ret = TAKE_PTR(text);
	return 0;
}
