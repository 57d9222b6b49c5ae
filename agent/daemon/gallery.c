// SPDX-License-Identifier: GPL-2.0
/*
 * gallery.c - the enrolled gallery as the worker searches it: every
 * unexpired template from the store, in the face engine's search
 * structure, with the travellers' labels for the log.  Reloaded when the
 * store's gallery version changes (an enrolment or deletion by the admin
 * tool), on SIGHUP and daily for expiry, without stopping the lane: the
 * swap waits until the worker is not searching the old one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "macro.h"

#define GALLERY_EXPIRY_RECHECK_NS (3600ull * 1000000000ull)

DEFINE_POINTER_CLEANUP(struct egate_gallery, egate_gallery_freep, egate_gallery_free)
DEFINE_POINTER_CLEANUP(struct egate_face_gallery, face_gallery_freep, egate_face_gallery_free)

struct label_list {
	struct agent_label *items;
	size_t n, size;
};

static int collect_label(const struct egate_traveller *t, void *userdata)
{
	struct label_list *l = userdata;

	if (l->n == l->size) {
		size_t size = l->size ? 2 * l->size : 64;
		struct agent_label *items = reallocarray(l->items, size, sizeof(*items));

		if (!items)
			return -ENOMEM;
		l->items = items;
		l->size = size;
	}
	l->items[l->n].id = t->id;
	snprintf(l->items[l->n].label, sizeof(l->items[l->n].label), "%s", t->label);
	l->n++;
	return 0;
}

int agent_gallery_load(struct agent *a)
{
	_cleanup_(egate_gallery_freep) struct egate_gallery *stored = NULL;
	_cleanup_(face_gallery_freep) struct egate_face_gallery *g = NULL;
	struct label_list labels = { 0 };
	uint64_t version;
	size_t n;
	int r;

	r = egate_store_gallery_version(a->store, &version);
	if (r >= 0)
		r = egate_store_load_gallery(a->store, time(NULL), &stored);
	if (r >= 0)
		r = egate_store_list_travellers(a->store, collect_label, &labels);
	if (r < 0) {
		free(labels.items);
		agent_log(a, "loading the gallery failed: %s",
			  egate_store_last_error(a->store));
		return r;
	}
	n = egate_gallery_count(stored);
	r = egate_face_gallery_new(EGATE_FACE_GALLERY_F32, n ? n : 1, &g);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		int64_t idx = egate_face_gallery_add(g,
			(uint64_t)egate_gallery_traveller_ids(stored)[i],
			egate_gallery_templates(stored) + i * EGATE_TEMPLATE_DIM);

		r = idx < 0 ? (int)idx : 0;
	}
	if (r < 0) {
		free(labels.items);
		return r;
	}
	agent_gallery_free(a);
	a->gallery = TAKE_PTR(g);
	a->labels = labels.items;
	a->n_labels = labels.n;
	a->gallery_version = version;
	a->gallery_stale = false;
	a->next_gallery_check_ns = agent_now_ns() + AGENT_GALLERY_CHECK_MS * 1000000ull;
	a->next_expiry_reload_ns = a->next_gallery_check_ns + GALLERY_EXPIRY_RECHECK_NS;
	agent_log(a, "gallery: %zu travellers, %zu templates", labels.n, n);
	return 0;
}

void agent_gallery_check(struct agent *a)
{
	uint64_t version;

	if (a->now_ns >= a->next_gallery_check_ns) {
		a->next_gallery_check_ns = a->now_ns + AGENT_GALLERY_CHECK_MS * 1000000ull;
		if (egate_store_gallery_version(a->store, &version) == 0 &&
		    version != a->gallery_version)
			a->gallery_stale = true;
		if (a->now_ns >= a->next_expiry_reload_ns)	/* expiry is by date */
			a->gallery_stale = true;
	}
	if (a->gallery_stale && !worker_busy(a->worker))
		agent_gallery_load(a);
}

static int cmp_label(const void *key, const void *item)
{
	int64_t id = *(const int64_t *)key, other = ((const struct agent_label *)item)->id;

	return id < other ? -1 : id > other;
}

const char *agent_label(const struct agent *a, int64_t traveller_id)
{
	const struct agent_label *l;

	if (traveller_id <= 0)
		return "unknown";
	l = bsearch(&traveller_id, a->labels, a->n_labels, sizeof(*l), cmp_label);
	return l ? l->label : "deleted";
}

void agent_gallery_free(struct agent *a)
{
	egate_face_gallery_free(a->gallery);
	a->gallery = NULL;
	free(a->labels);
	a->labels = NULL;
	a->n_labels = 0;
}
