// SPDX-License-Identifier: GPL-2.0
/*
 * conf.c - reading egate.conf and --set overrides into struct egate_settings.
 *
 * The format: one "key = value" per line inside "[section]" headers; blank
 * lines and lines starting with '#' or ';' are ignored; no quoting, no
 * continuation lines, no comments after a value (a value may contain '#').
 * Anything else is an error naming the file and line: an unknown section
 * or key (with a suggestion for a likely typo), a key given twice, a value
 * of the wrong type or out of range, a line longer than CONF_LINE_MAX.
 */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf-internal.h"
#include "macro.h"

#define CONF_LINE_MAX 1024
#define CONF_LINES_MAX 10000
#define CONF_SECTION_MAX 31
#define CAMERAS_SECTION "cameras"

struct camera_mapping {
	char lane_device[EGATE_CONF_LANE_DEVICE_MAX + 1];
	char selector[EGATE_CONF_SELECTOR_MAX + 1];
	enum egate_conf_origin origin;	/* a file, or --set */
};

struct egate_conf {
	struct egate_settings settings;
	struct camera_mapping cameras[EGATE_CONF_CAMERAS_MAX];
	size_t n_cameras;
};

/* Where a line comes from, for the "egate.conf:12: " prefix of messages. */
struct conf_origin {
	const char *where;	/* the file name or "--set 'a.b=c'" */
	unsigned int line;	/* 0: no line number */
	bool command_line;	/* --set */
};

static int conf_error(const struct conf_origin *origin, char *err, size_t err_size,
		      int r, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int conf_error(const struct conf_origin *origin, char *err, size_t err_size,
		      int r, const char *fmt, ...)
{
	char msg[EGATE_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!err || !err_size)
		return r;
	if (origin->line)
		snprintf(err, err_size, "%s:%u: %s", origin->where, origin->line, msg);
	else
		snprintf(err, err_size, "%s: %s", origin->where, msg);
	return r;
}

static char *strip(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static bool is_identifier(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/* Lane devices are the driver's "egateN" names. */
static bool is_lane_device(const char *s)
{
	if (strncmp(s, "egate", 5) || !s[5] || strlen(s) > EGATE_CONF_LANE_DEVICE_MAX)
		return false;
	for (s += 5; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static struct camera_mapping *camera_mapping_find(const struct egate_conf *conf,
						  const char *lane_device)
{
	for (size_t i = 0; i < conf->n_cameras; i++)
		if (!strcmp(conf->cameras[i].lane_device, lane_device))
			return (struct camera_mapping *)&conf->cameras[i];
	return NULL;
}

static int assign_camera(struct egate_conf *conf, const char *lane_device,
			 const char *selector,
			 const struct conf_origin *origin, char *err, size_t err_size)
{
	struct camera_mapping *m;
	size_t len = strlen(selector);

	if (!is_lane_device(lane_device))
		return conf_error(origin, err, err_size, -EINVAL,
				  "invalid key '%s' in [" CAMERAS_SECTION "]: expected a lane device such as egate0",
				  lane_device);
	if (!len || len > EGATE_CONF_SELECTOR_MAX)
		return conf_error(origin, err, err_size, -EINVAL,
				  "camera selector for %s must be 1 to %d bytes",
				  lane_device, EGATE_CONF_SELECTOR_MAX);
	m = camera_mapping_find(conf, lane_device);
	if (!m) {
		if (conf->n_cameras == EGATE_CONF_CAMERAS_MAX)
			return conf_error(origin, err, err_size, -E2BIG,
					  "too many entries in [" CAMERAS_SECTION "] (at most %d)",
					  EGATE_CONF_CAMERAS_MAX);
		m = &conf->cameras[conf->n_cameras++];
		memcpy(m->lane_device, lane_device, strlen(lane_device) + 1);
	}
	memcpy(m->selector, selector, len + 1);
	m->origin = origin->command_line ? EGATE_CONF_COMMAND_LINE : EGATE_CONF_FILE;
	return 0;
}

/* The state of one file being read: its section, the keys it already set. */
struct conf_reader {
	char section[CONF_SECTION_MAX + 1];
	char (*seen)[CONF_SECTION_MAX + 1 + CONF_LINE_MAX + 1];	/* "section.key" */
	size_t n_seen, max_seen;
};

/* Records section.name as given; false if this file gave it already. */
static bool reader_first_time(struct conf_reader *reader, const char *name)
{
	for (size_t i = 0; i < reader->n_seen; i++) {
		const char *s = reader->seen[i];
		size_t len = strlen(reader->section);

		if (!strncmp(s, reader->section, len) && s[len] == '.' &&
		    !strcmp(s + len + 1, name))
			return false;
	}
	assert(reader->n_seen < reader->max_seen);
	snprintf(reader->seen[reader->n_seen++], sizeof(reader->seen[0]), "%s.%s",
		 reader->section, name);
	return true;
}

static int assign(struct egate_conf *conf, const char *section, const char *name,
		  const char *value,
		  const struct conf_origin *origin, char *err, size_t err_size)
{
	const struct conf_key *key;
	char msg[EGATE_ERRMSG_MAX];
	int r;

	if (!strcmp(section, CAMERAS_SECTION))
		return assign_camera(conf, name, value, origin, err, err_size);
	if (!conf_section_known(section))
		return conf_error(origin, err, err_size, -EINVAL, "unknown section [%s]", section);
	key = conf_key_find(section, name);
	if (!key) {
		const struct conf_key *near = conf_key_nearest(section, name);

		if (near)
			return conf_error(origin, err, err_size, -EINVAL,
					  "unknown key '%s' in [%s] (did you mean '%s'?)",
					  name, section, conf_key_name(near));
		return conf_error(origin, err, err_size, -EINVAL,
				  "unknown key '%s' in [%s]", name, section);
	}
	r = conf_key_assign(key, value, &conf->settings, msg, sizeof(msg));
	if (r < 0)
		return conf_error(origin, err, err_size, r, "%s", msg);
	return 0;
}

static int read_line(struct egate_conf *conf, struct conf_reader *reader, char *line,
		     const struct conf_origin *origin, char *err, size_t err_size)
{
	char *s = strip(line), *eq, *name, *value;
	int r;

	if (!*s || *s == '#' || *s == ';')
		return 0;
	if (*s == '[') {
		size_t len = strlen(s);

		if (s[len - 1] != ']')
			return conf_error(origin, err, err_size, -EINVAL,
					  "syntax error: a section header is '[name]'");
		s[len - 1] = '\0';
		s = strip(s + 1);
		if (!is_identifier(s) || strlen(s) > CONF_SECTION_MAX)
			return conf_error(origin, err, err_size, -EINVAL,
					  "invalid section name '%s'", s);
		if (strcmp(s, CAMERAS_SECTION) && !conf_section_known(s))
			return conf_error(origin, err, err_size, -EINVAL,
					  "unknown section [%s]", s);
		strcpy(reader->section, s);
		return 0;
	}
	eq = strchr(s, '=');
	if (!eq)
		return conf_error(origin, err, err_size, -EINVAL,
				  "syntax error: expected 'key = value' or '[section]'");
	*eq = '\0';
	name = strip(s);
	value = strip(eq + 1);
	if (!*reader->section)
		return conf_error(origin, err, err_size, -EINVAL,
				  "key '%s' outside any section", name);
	if (!is_identifier(name))
		return conf_error(origin, err, err_size, -EINVAL, "invalid key name '%s'", name);

	r = assign(conf, reader->section, name, value, origin, err, err_size);
	if (r < 0)
		return r;
	if (!reader_first_time(reader, name))
		return conf_error(origin, err, err_size, -EINVAL,
				  "duplicate key '%s' in [%s]", name, reader->section);
	return 0;
}

int egate_conf_load_file(struct egate_conf *conf, const char *path,
			 char *err, size_t err_size)
{
	struct conf_origin origin = { .where = path };
	_cleanup_free_ void *seen = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	struct conf_reader reader = {};
	/* Changes apply only when the whole file is valid. */
	struct egate_conf next = *conf;
	char line[CONF_LINE_MAX + 2];
	int r;

	assert(conf);
	assert(path);

	f = fopen(path, "re");
	if (!f)
		return conf_error(&origin, err, err_size, -errno,
				  "cannot open: %s", strerror(errno));
	/* Every valid assignment is a known key or a camera mapping. */
	reader.max_seen = conf_key_count() + EGATE_CONF_CAMERAS_MAX;
	seen = calloc(reader.max_seen, sizeof(*reader.seen));
	if (!seen)
		return -ENOMEM;
	reader.seen = seen;

	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);

		origin.line++;
		if (origin.line > CONF_LINES_MAX)
			return conf_error(&origin, err, err_size, -E2BIG,
					  "too many lines (at most %d)", CONF_LINES_MAX);
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(f))
			return conf_error(&origin, err, err_size, -EINVAL,
					  "line too long (at most %d bytes)", CONF_LINE_MAX);
		if (strlen(line) != len)
			return conf_error(&origin, err, err_size, -EINVAL, "NUL byte in line");
		r = read_line(&next, &reader, line, &origin, err, err_size);
		if (r < 0)
			return r;
	}
	if (ferror(f))
		return conf_error(&origin, err, err_size, -EIO, "read error");
	*conf = next;
	return 0;
}

int egate_conf_set(struct egate_conf *conf, const char *assignment,
		   char *err, size_t err_size)
{
	char where[CONF_LINE_MAX + 16], text[CONF_LINE_MAX + 1];
	struct conf_origin origin = { .where = where, .command_line = true };
	char *dot, *eq;

	assert(conf);
	assert(assignment);

	snprintf(where, sizeof(where), "--set '%.*s'", CONF_LINE_MAX, assignment);
	if (strlen(assignment) > CONF_LINE_MAX)
		return conf_error(&origin, err, err_size, -EINVAL,
				  "too long (at most %d bytes)", CONF_LINE_MAX);
	strcpy(text, assignment);
	eq = strchr(text, '=');
	dot = strchr(text, '.');
	if (!eq || !dot || dot > eq)
		return conf_error(&origin, err, err_size, -EINVAL,
				  "expected section.key=value");
	*dot = *eq = '\0';
	return assign(conf, strip(text), strip(dot + 1), strip(eq + 1),
		      &origin, err, err_size);
}

int egate_conf_new(struct egate_conf **ret)
{
	_cleanup_free_ struct egate_conf *conf = NULL;

	assert(ret);
	conf = calloc(1, sizeof(*conf));
	if (!conf)
		return -ENOMEM;
	for (size_t i = 0; i < conf_key_count(); i++) {
		const struct conf_key *key = conf_key_at(i);
		char msg[EGATE_ERRMSG_MAX];
		int r = conf_key_assign(key, conf_key_default(key), &conf->settings,
					msg, sizeof(msg));

		assert(r == 0);	/* the defaults are part of the program */
		(void)r;
	}
	*ret = TAKE_PTR(conf);
	return 0;
}

int egate_conf_new_from(const char *path, bool path_given, struct egate_conf **ret,
			char *err, size_t err_size)
{
	_cleanup_(egate_conf_freep) struct egate_conf *conf = NULL;
	int r;

	assert(ret);
	r = egate_conf_new(&conf);
	if (r < 0) {
		snprintf(err, err_size, "%s", strerror(-r));
		return r;
	}
	r = egate_conf_load_file(conf, path, err, err_size);
	if (r == -ENOENT && !path_given)
		r = 0;	/* no file where it is looked for by default: the defaults */
	if (r < 0)
		return r;
	*ret = TAKE_PTR(conf);
	return 0;
}

void egate_conf_free(struct egate_conf *conf)
{
	free(conf);
}

const struct egate_settings *egate_conf_settings(const struct egate_conf *conf)
{
	assert(conf);
	return &conf->settings;
}

const char *egate_conf_camera_for_lane(const struct egate_conf *conf,
				       const char *lane_device)
{
	const struct camera_mapping *m;

	assert(conf);
	assert(lane_device);
	m = camera_mapping_find(conf, lane_device);
	return m ? m->selector : "auto";
}

enum egate_conf_origin egate_conf_camera_origin(const struct egate_conf *conf,
						const char *lane_device)
{
	const struct camera_mapping *m;

	assert(conf);
	assert(lane_device);
	m = camera_mapping_find(conf, lane_device);
	return m ? m->origin : EGATE_CONF_DEFAULT;
}
