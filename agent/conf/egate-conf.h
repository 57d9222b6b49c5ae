/* SPDX-License-Identifier: GPL-2.0 */
/*
 * egate-conf.h - the kiosk agent's configuration: /etc/egate/egate.conf,
 * an INI-like file of "key = value" lines in [sections], validated on load,
 * with command-line overrides (--set section.key=value).  Every key, its
 * default and its range is in Documentation/agent-config.md.
 *
 * Usage: egate_conf_new() (all defaults), egate_conf_load_file(), then
 * egate_conf_set() once per override, then read egate_conf_settings().
 * Functions return 0 or a negative errno; on failure they write one line
 * saying what is wrong, and where, into the caller's message buffer.
 */
#ifndef EGATE_CONF_H
#define EGATE_CONF_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "macro.h"	/* DEFINE_POINTER_CLEANUP */

#define EGATE_CONF_DEFAULT_PATH "/etc/egate/egate.conf"

#define EGATE_CONF_LANE_NAME_MAX 63	/* bytes, without the NUL */
#define EGATE_CONF_SELECTOR_MAX 255	/* bytes, without the NUL */
#define EGATE_CONF_LANE_DEVICE_MAX 31	/* "egateN", without the NUL */
#define EGATE_CONF_CAMERAS_MAX 16	/* lane -> camera mappings */
#define EGATE_CONF_GROUP_MAX 31		/* a group name, bytes */
#define EGATE_CONF_REFERENCE_KEYS_MAX 8	/* document readers' keys */

/* pad.mode: presentation-attack detection (Documentation/pad.md). */
enum egate_pad_setting {
	EGATE_PAD_SETTING_AUTO,		/* depth with a depth camera, else colour */
	EGATE_PAD_SETTING_DEPTH,
	EGATE_PAD_SETTING_COLOUR,
	EGATE_PAD_SETTING_OFF,		/* no PAD: a photo can open the lane */
};

enum egate_match_mode {
	EGATE_MATCH_IDENTIFY,	/* 1:N against the gallery */
	EGATE_MATCH_VERIFY,	/* 1:1 against a reference for the session */
};

struct egate_settings {
	struct {
		char name[EGATE_CONF_LANE_NAME_MAX + 1];
		unsigned int alarm_reset_s;	/* 0: an officer resets alarms */
		unsigned int auth_window_s;	/* an admitted traveller's time to enter */
	} lane;
	struct {
		unsigned int width;
		unsigned int height;
		unsigned int fps;
		unsigned int buffers;
		uint32_t pixel_format;	/* V4L2 fourcc the camera sends, 0 = auto */
		unsigned int stall_ms;	/* no frame this long: the lane leaves service */
		double focal_px;	/* focal length in pixels, 0: the frame's longer side */
	} camera;
	struct {
		enum egate_pad_setting mode;
	} pad;
	struct {
		/* the depth camera's selector, "none": no depth camera */
		char camera[EGATE_CONF_SELECTOR_MAX + 1];
		/* depth pixel (u, v) is colour pixel (offset_x + scale u, offset_y + scale v) */
		double offset_x, offset_y, scale;
	} depth;
	struct {
		enum egate_match_mode mode;
		double threshold;
		double margin;
		unsigned int frames;
		unsigned int min_face_px;
		double min_quality;
		unsigned int unknown_timeout_s;
		unsigned int session_max_s;	/* a decided session ends this long after its start */
		/* the capture zone, fractions of the frame; it holds the centre */
		double zone_left, zone_right, zone_top, zone_bottom;
		char reference_dir[PATH_MAX];		/* verify: LANE.ref in it */
		unsigned int reference_max_age_s;	/* verify: unused longer: stale */
		/* verify: the document readers' Ed25519 public keys, hex, "none" */
		char reference_keys[EGATE_CONF_REFERENCE_KEYS_MAX * 65];
	} decision;
	struct {
		char models[PATH_MAX];		/* the face engine's model folder */
		unsigned int input_size;	/* detector input, multiple of 32 */
		unsigned int worker_stall_ms;	/* one frame longer: the lane leaves service */
		unsigned int threads;		/* the engine's threads for one frame */
	} face;
	struct {
		char path[PATH_MAX];
		unsigned int audit_retention_days;
		unsigned int busy_timeout_ms;
		char audit_group[EGATE_CONF_GROUP_MAX + 1];	/* "none": no group reads it */
		char audit_key[PATH_MAX];		/* the lane's checkpoint key */
		unsigned int audit_checkpoint_records;	/* a checkpoint every N records */
		unsigned int audit_checkpoint_s;	/* or every T seconds */
	} store;
	struct {
		char textfile[PATH_MAX];	/* Prometheus textfile */
	} metrics;
};

/* store.audit_group as egate_store_options.audit_group: NULL for "none". */
static inline const char *egate_conf_audit_group(const struct egate_settings *s)
{
	return strcmp(s->store.audit_group, "none") ? s->store.audit_group : NULL;
}

struct egate_conf;

int egate_conf_new(struct egate_conf **ret);
void egate_conf_free(struct egate_conf *conf);
DEFINE_POINTER_CLEANUP(struct egate_conf, egate_conf_freep, egate_conf_free)

/*
 * The defaults, then the file at path over them.  A missing file is the
 * defaults, unless path_given says the user named it (then -ENOENT).
 */
int egate_conf_new_from(const char *path, bool path_given, struct egate_conf **ret,
			char *err, size_t err_size);

/* Read a file over the current values: -ENOENT, -EINVAL (with "path:line:"). */
int egate_conf_load_file(struct egate_conf *conf, const char *path,
			 char *err, size_t err_size);

/* One override, "section.key=value", applied over whatever was loaded. */
int egate_conf_set(struct egate_conf *conf, const char *assignment,
		   char *err, size_t err_size);

const struct egate_settings *egate_conf_settings(const struct egate_conf *conf);

/*
 * The camera selector (see egate-capture.h) for a lane device such as
 * "egate0": its entry in [cameras], else "auto" (the one camera there is).
 */
const char *egate_conf_camera_for_lane(const struct egate_conf *conf,
				       const char *lane_device);

/* Where that came from: the default, a file, or --set cameras.LANE=... */
enum egate_conf_origin {
	EGATE_CONF_DEFAULT,
	EGATE_CONF_FILE,
	EGATE_CONF_COMMAND_LINE,
};

enum egate_conf_origin egate_conf_camera_origin(const struct egate_conf *conf,
						const char *lane_device);

#endif
