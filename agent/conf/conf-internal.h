/* SPDX-License-Identifier: GPL-2.0 */
/* conf-internal.h - the key table shared by the parser and the value code. */
#ifndef EGATE_CONF_INTERNAL_H
#define EGATE_CONF_INTERNAL_H

#include <stdbool.h>

#include "egate-conf.h"

struct conf_key;

/* The table of every known "section.key". */
const struct conf_key *conf_key_find(const char *section, const char *name);
const struct conf_key *conf_key_nearest(const char *section, const char *name);
bool conf_section_known(const char *section);
size_t conf_key_count(void);
const struct conf_key *conf_key_at(size_t index);
const char *conf_key_name(const struct conf_key *key);
const char *conf_key_default(const struct conf_key *key);

/* Parse and range-check value into settings; on error, describe it in msg. */
int conf_key_assign(const struct conf_key *key, const char *value,
		    struct egate_settings *settings, char *msg, size_t msg_size);

#endif
