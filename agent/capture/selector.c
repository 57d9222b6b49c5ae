// SPDX-License-Identifier: GPL-2.0
/* selector.c - which video4linux device is the lane's camera. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libudev.h>

#include "capture-internal.h"

#define SELECTOR_MAX 255

enum selector_kind {
	SELECT_AUTO,
	SELECT_NODE,
	SELECT_NAME,
	SELECT_PATH,
};

struct camera_selector {
	enum selector_kind kind;
	char value[SELECTOR_MAX + 1];
};

int camera_selector_parse(const char *text, struct camera_selector **ret,
			  char *err, size_t err_size)
{
	static const struct {
		const char *prefix;
		enum selector_kind kind;
	} prefixes[] = {
		{ "/dev/", SELECT_NODE },
		{ "name:", SELECT_NAME },
		{ "path:", SELECT_PATH },
	};
	struct camera_selector *selector;

	if (strlen(text) > SELECTOR_MAX) {
		snprintf(err, err_size, "camera selector too long (at most %d bytes)",
			 SELECTOR_MAX);
		return -EINVAL;
	}
	selector = calloc(1, sizeof(*selector));
	if (!selector)
		return -ENOMEM;
	*ret = selector;
	if (!strcmp(text, "auto"))
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
		size_t len = strlen(prefixes[i].prefix);

		if (strncmp(text, prefixes[i].prefix, len) || !text[len])
			continue;
		selector->kind = prefixes[i].kind;
		/* Device nodes keep their prefix; names and paths lose it. */
		strcpy(selector->value, text + (selector->kind == SELECT_NODE ? 0 : len));
		return 0;
	}
	free(selector);
	*ret = NULL;
	snprintf(err, err_size,
		 "invalid camera selector '%s': expected auto, /dev/..., name:NAME or path:ID_PATH",
		 text);
	return -EINVAL;
}

void camera_selector_free(struct camera_selector *selector)
{
	free(selector);
}

static bool equal(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

bool camera_selector_matches(const struct camera_selector *selector,
			     struct udev_device *device)
{
	char resolved[PATH_MAX];

	switch (selector->kind) {
	case SELECT_AUTO:
		return true;
	case SELECT_NODE:
		/* Resolved every time: by-path links follow the hardware. */
		return realpath(selector->value, resolved) &&
		       equal(resolved, udev_device_get_devnode(device));
	case SELECT_NAME:
		return equal(selector->value, udev_device_get_sysattr_value(device, "name"));
	case SELECT_PATH:
		return equal(selector->value, udev_device_get_property_value(device, "ID_PATH"));
	}
	return false;
}
