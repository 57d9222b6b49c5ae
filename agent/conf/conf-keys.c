// SPDX-License-Identifier: GPL-2.0
/*
 * conf-keys.c - every configuration key: where its value lives in struct
 * egate_settings, its type, its range and its default.  Defaults are text
 * parsed by the same code as the file, so a default can never be out of
 * its own range.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/videodev2.h>

#include "conf-internal.h"
#include "egate-face.h"
#include "macro.h"

enum conf_type {
	CONF_UINT,
	CONF_DOUBLE,
	CONF_STRING,
	CONF_PATH,	/* a string that must be an absolute path */
	CONF_CHOICE,
};

struct conf_choice {
	const char *name;
	unsigned int value;
};

struct conf_key {
	const char *section;
	const char *name;
	enum conf_type type;
	size_t offset;		/* into struct egate_settings */
	size_t size;		/* strings: buffer size */
	double min, max;	/* numbers */
	const struct conf_choice *choices;	/* NULL-name terminated */
	const char *default_value;
};

static const struct conf_choice pixel_formats[] = {
	{ "auto", 0 },
	{ "yuyv", V4L2_PIX_FMT_YUYV },
	{ "mjpeg", V4L2_PIX_FMT_MJPEG },
	{ "rgb24", V4L2_PIX_FMT_RGB24 },
	{ NULL, 0 },
};

static const struct conf_choice pad_modes[] = {
	{ "auto", EGATE_PAD_SETTING_AUTO },
	{ "depth", EGATE_PAD_SETTING_DEPTH },
	{ "colour", EGATE_PAD_SETTING_COLOUR },
	{ "off", EGATE_PAD_SETTING_OFF },
	{ NULL, 0 },
};

static const struct conf_choice match_modes[] = {
	{ "identify", EGATE_MATCH_IDENTIFY },
	{ "verify", EGATE_MATCH_VERIFY },
	{ NULL, 0 },
};

#define FIELD(s, f) offsetof(struct egate_settings, s.f), \
	sizeof(((struct egate_settings *)0)->s.f)
#define UINT_KEY(s, f, lo, hi, def) \
	{ #s, #f, CONF_UINT, FIELD(s, f), lo, hi, NULL, def }
#define DOUBLE_KEY(s, f, lo, hi, def) \
	{ #s, #f, CONF_DOUBLE, FIELD(s, f), lo, hi, NULL, def }
#define TEXT_KEY(s, f, type, def) \
	{ #s, #f, type, FIELD(s, f), 0, 0, NULL, def }
#define CHOICE_KEY(s, f, list, def) \
	{ #s, #f, CONF_CHOICE, FIELD(s, f), 0, 0, list, def }

static const struct conf_key keys[] = {
	TEXT_KEY(lane, name, CONF_STRING, "lane-1"),
	UINT_KEY(lane, alarm_reset_s, 0, 3600, "0"),
	UINT_KEY(lane, auth_window_s, 1, 600, "8"),
	UINT_KEY(camera, width, 64, 1920, "640"),
	UINT_KEY(camera, height, 48, 1080, "480"),
	UINT_KEY(camera, fps, 1, 120, "30"),
	UINT_KEY(camera, buffers, 3, 16, "4"),
	CHOICE_KEY(camera, pixel_format, pixel_formats, "auto"),
	UINT_KEY(camera, stall_ms, 200, 60000, "5000"),
	DOUBLE_KEY(camera, focal_px, 0.0, 20000.0, "0"),
	CHOICE_KEY(pad, mode, pad_modes, "auto"),
	TEXT_KEY(depth, camera, CONF_STRING, "none"),
	DOUBLE_KEY(depth, offset_x, -2000.0, 2000.0, "0"),
	DOUBLE_KEY(depth, offset_y, -2000.0, 2000.0, "0"),
	DOUBLE_KEY(depth, scale, 0.1, 10.0, "1"),
	CHOICE_KEY(decision, mode, match_modes, "identify"),
	DOUBLE_KEY(decision, threshold, 0.05, 2.0, "0.5"),
	DOUBLE_KEY(decision, margin, 0.0, 1.0, "0.05"),
	UINT_KEY(decision, frames, 1, 30, "3"),
	UINT_KEY(decision, min_face_px, 16, 1080, "80"),
	DOUBLE_KEY(decision, min_quality, 0.0, 1.0, "0.5"),
	UINT_KEY(decision, unknown_timeout_s, 1, 600, "10"),
	UINT_KEY(decision, session_max_s, 1, 3600, "20"),
	DOUBLE_KEY(decision, zone_left, 0.0, 0.45, "0"),
	DOUBLE_KEY(decision, zone_right, 0.55, 1.0, "1"),
	DOUBLE_KEY(decision, zone_top, 0.0, 0.45, "0"),
	DOUBLE_KEY(decision, zone_bottom, 0.55, 1.0, "1"),
	TEXT_KEY(decision, reference_dir, CONF_PATH, "/run/egate"),
	UINT_KEY(decision, reference_max_age_s, 5, 3600, "120"),
	TEXT_KEY(decision, reference_keys, CONF_STRING, "none"),
	TEXT_KEY(face, models, CONF_PATH, "/usr/share/egate/models"),
	UINT_KEY(face, input_size, 128, 608, "320"),
	UINT_KEY(face, worker_stall_ms, 200, 600000, "60000"),
	UINT_KEY(face, threads, 1, EGATE_FACE_MAX_THREADS, "2"),
	TEXT_KEY(store, path, CONF_PATH, "/var/lib/egate/egate.db"),
	UINT_KEY(store, audit_retention_days, 1, 36500, "365"),
	UINT_KEY(store, busy_timeout_ms, 0, 600000, "5000"),
	TEXT_KEY(store, audit_group, CONF_STRING, "none"),
	TEXT_KEY(store, audit_key, CONF_PATH, "/etc/egate/audit.key"),
	UINT_KEY(store, audit_checkpoint_records, 1, 100000, "100"),
	UINT_KEY(store, audit_checkpoint_s, 1, 86400, "60"),
	TEXT_KEY(metrics, textfile, CONF_PATH, "/run/egate/metrics.prom"),
};

size_t conf_key_count(void)
{
	return ELEMENTSOF(keys);
}

const struct conf_key *conf_key_at(size_t index)
{
	assert(index < ELEMENTSOF(keys));
	return &keys[index];
}

const char *conf_key_name(const struct conf_key *key)
{
	return key->name;
}

const char *conf_key_default(const struct conf_key *key)
{
	return key->default_value;
}

bool conf_section_known(const char *section)
{
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (!strcmp(keys[i].section, section))
			return true;
	return false;
}

const struct conf_key *conf_key_find(const char *section, const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (!strcmp(keys[i].section, section) &&
		    !strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

/* Levenshtein distance, capped: names are short, so a small table will do. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64], i, j;

	if (la >= ELEMENTSOF(row) || lb >= ELEMENTSOF(row))
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0], up;

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t best = diag + (a[i - 1] != b[j - 1]);

			up = row[j];
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* The key of this section whose name is a likely typo of name, or NULL. */
const struct conf_key *conf_key_nearest(const char *section, const char *name)
{
	const struct conf_key *best = NULL;
	size_t best_distance = 3;	/* suggest for up to two edits */

	for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
		size_t d;

		if (strcmp(keys[i].section, section))
			continue;
		d = edit_distance(keys[i].name, name);
		if (d < best_distance) {
			best = &keys[i];
			best_distance = d;
		}
	}
	return best;
}

static int assign_uint(const struct conf_key *key, const char *value,
		       unsigned int *out, char *msg, size_t msg_size)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(value, &end, 10);
	if (value[0] < '0' || value[0] > '9' || *end || errno ||
	    v < key->min || v > key->max) {
		snprintf(msg, msg_size,
			 "invalid value '%s' for %s.%s: expected an integer from %.0f to %.0f",
			 value, key->section, key->name, key->min, key->max);
		return -EINVAL;
	}
	*out = (unsigned int)v;
	return 0;
}

static int assign_double(const struct conf_key *key, const char *value,
			 double *out, char *msg, size_t msg_size)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(value, &end);
	if (end == value || *end || errno || !isfinite(v) ||
	    v < key->min || v > key->max) {
		snprintf(msg, msg_size,
			 "invalid value '%s' for %s.%s: expected a number from %g to %g",
			 value, key->section, key->name, key->min, key->max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int assign_string(const struct conf_key *key, const char *value,
			 char *out, char *msg, size_t msg_size)
{
	size_t len = strlen(value);

	if (len >= key->size) {
		snprintf(msg, msg_size, "value for %s.%s is too long (%zu bytes, at most %zu)",
			 key->section, key->name, len, key->size - 1);
		return -EINVAL;
	}
	for (const char *p = value; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			snprintf(msg, msg_size, "value for %s.%s contains a control character",
				 key->section, key->name);
			return -EINVAL;
		}
	if (key->type == CONF_PATH && value[0] != '/') {
		snprintf(msg, msg_size, "invalid value '%s' for %s.%s: expected an absolute path",
			 value, key->section, key->name);
		return -EINVAL;
	}
	memcpy(out, value, len + 1);
	return 0;
}

static int assign_choice(const struct conf_key *key, const char *value,
			 unsigned int *out, char *msg, size_t msg_size)
{
	const struct conf_choice *c;
	size_t used;

	for (c = key->choices; c->name; c++)
		if (!strcmp(c->name, value)) {
			*out = c->value;
			return 0;
		}
	used = (size_t)snprintf(msg, msg_size, "invalid value '%s' for %s.%s: expected one of",
				value, key->section, key->name);
	for (c = key->choices; c->name && used < msg_size; c++)
		used += (size_t)snprintf(msg + used, msg_size - used, "%s %s",
					 c == key->choices ? "" : ",", c->name);
	return -EINVAL;
}

int conf_key_assign(const struct conf_key *key, const char *value,
		    struct egate_settings *settings, char *msg, size_t msg_size)
{
	char *field = (char *)settings + key->offset;

	if (!*value) {
		snprintf(msg, msg_size, "empty value for %s.%s", key->section, key->name);
		return -EINVAL;
	}
	switch (key->type) {
	case CONF_UINT:
		assert(key->size == sizeof(unsigned int));
		return assign_uint(key, value, (unsigned int *)field, msg, msg_size);
	case CONF_DOUBLE:
		assert(key->size == sizeof(double));
		return assign_double(key, value, (double *)field, msg, msg_size);
	case CONF_STRING:
	case CONF_PATH:
		return assign_string(key, value, field, msg, msg_size);
	case CONF_CHOICE:
		/* Enums and fourccs alike are stored in 32 bits. */
		assert(key->size == sizeof(unsigned int));
		return assign_choice(key, value, (unsigned int *)field, msg, msg_size);
	}
	assert(!"unknown key type");
	return -EINVAL;
}
