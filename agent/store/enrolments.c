// SPDX-License-Identifier: GPL-2.0
/*
 * enrolments.c - enrolled travellers and their face templates.
 *
 * A template is EGATE_TEMPLATE_DIM float32 values stored as one 512-byte
 * BLOB in the machine's byte order (little-endian on the kiosks).  Deleting
 * a traveller deletes their templates by ON DELETE CASCADE; secure_delete
 * zeroes the freed space in the new pages, and a checkpoint copies those
 * over the old ones and truncates the WAL, which held the old ones too.
 * The checkpoint's result is checked: a delete that leaves a template
 * behind in either file says so.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store-internal.h"

#define TEMPLATE_BYTES (EGATE_TEMPLATE_DIM * sizeof(float))

struct egate_gallery {
	size_t count;
	size_t allocated;		/* templates room, wiped on free */
	float *templates;
	int64_t *traveller_ids;
};

static bool label_valid(const char *label)
{
	size_t len;

	if (!label)
		return false;
	len = strlen(label);
	if (!len || len > EGATE_STORE_LABEL_MAX)
		return false;
	for (; *label; label++)
		if ((unsigned char)*label < 0x20 || *label == 0x7f)
			return false;
	return true;
}

/* "YYYY-MM-DD", a real calendar day. */
static bool date_valid(const char *date)
{
	static const int days_in_month[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int year, month, day, used = 0;
	bool leap;

	if (strlen(date) != 10 ||
	    sscanf(date, "%4d-%2d-%2d%n", &year, &month, &day, &used) != 3 || used != 10 ||
	    date[4] != '-' || date[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (date[i] < '0' || date[i] > '9'))
			return false;
	if (month < 1 || month > 12 || day < 1 || day > days_in_month[month - 1])
		return false;
	leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return month != 2 || day < 29 || leap;
}

static bool templates_valid(const float *templates, size_t n)
{
	if (!templates || !n || n > EGATE_STORE_TEMPLATES_PER_TRAVELLER_MAX)
		return false;
	for (size_t i = 0; i < n * EGATE_TEMPLATE_DIM; i++)
		if (!isfinite(templates[i]))
			return false;
	return true;
}

static int count_templates(struct egate_store *store, int64_t traveller_id, int64_t *ret)
{
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	int r;

	r = store_prepare(store, "SELECT count(*), (SELECT count(*) FROM travellers WHERE id = ?1)"
				 " FROM templates WHERE traveller_id = ?1", &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_int64(stmt, 1, traveller_id);
	r = store_step_row(store, stmt);
	if (r < 0)
		return r;
	if (!sqlite3_column_int64(stmt, 1))
		return -ENOENT;
	*ret = sqlite3_column_int64(stmt, 0);
	return 0;
}

/* Inside a transaction: appends templates to an existing traveller. */
static int insert_templates(struct egate_store *store, int64_t traveller_id,
			    const float *templates, size_t n)
{
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	int64_t have;
	int r;

	r = count_templates(store, traveller_id, &have);
	if (r < 0)
		return r;
	if ((size_t)have + n > EGATE_STORE_TEMPLATES_PER_TRAVELLER_MAX)
		return -E2BIG;
	r = store_prepare(store, "INSERT INTO templates (traveller_id, descriptor) VALUES (?, ?)",
			  &stmt);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		sqlite3_bind_int64(stmt, 1, traveller_id);
		sqlite3_bind_blob(stmt, 2, templates + i * EGATE_TEMPLATE_DIM,
				  TEMPLATE_BYTES, SQLITE_STATIC);
		r = store_step_done(store, stmt);
		sqlite3_reset(stmt);
	}
	return r;
}

static bool actor_valid(const struct egate_store_actor *actor, bool reason_required)
{
	size_t lane = actor && actor->lane ? strlen(actor->lane) : 0;
	size_t reason = actor && actor->reason ? strlen(actor->reason) : 0;

	return lane >= 1 && lane <= EGATE_STORE_LANE_MAX && reason <= EGATE_AUDIT_TEXT_MAX &&
		(actor->reason ? reason >= 1 : !reason_required);
}

/* The gallery record of a change, in the change's transaction. */
static int record_change(struct egate_store *store, const struct egate_store_actor *actor,
			 const char *action, int64_t traveller_id)
{
	return audit_append_locked(store, &(struct egate_audit_record){
		.kind = EGATE_AUDIT_GALLERY, .lane = actor->lane, .traveller_id = traveller_id,
		.actor_uid = actor->uid, .action = action, .reason = actor->reason }, NULL);
}

int egate_store_enrol(struct egate_store *store, const struct egate_store_actor *actor,
		      const char *label, const char *expires, const float *templates,
		      size_t n_templates, int64_t *ret_id)
{
	_cleanup_rollback_ struct egate_store *tx = NULL;
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	int64_t id;
	int r;

	assert(store);
	if (!actor_valid(actor, false) || !label_valid(label) ||
	    (expires && !date_valid(expires)) || !templates_valid(templates, n_templates))
		return -EINVAL;

	r = store_begin(store, &tx);
	if (r >= 0)
		r = store_prepare(store, "INSERT INTO travellers (label, expires, enrolled_us)"
					 " VALUES (?, ?, ?)", &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_text(stmt, 1, label, -1, SQLITE_STATIC);
	if (expires)
		sqlite3_bind_text(stmt, 2, expires, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, store_now_us());
	r = store_step_done(store, stmt);
	if (r < 0)
		return r;
	id = sqlite3_last_insert_rowid(store->db);
	r = insert_templates(store, id, templates, n_templates);
	if (r >= 0)
		r = record_change(store, actor, "enrol", id);
	if (r >= 0)
		r = store_commit(&tx);
	if (r < 0)
		return r;
	if (ret_id)
		*ret_id = id;
	return 0;
}

int egate_store_add_templates(struct egate_store *store, const struct egate_store_actor *actor,
			      int64_t traveller_id, const float *templates, size_t n_templates)
{
	_cleanup_rollback_ struct egate_store *tx = NULL;
	int r;

	assert(store);
	if (!actor_valid(actor, false) || traveller_id <= 0 ||
	    !templates_valid(templates, n_templates))
		return -EINVAL;
	r = store_begin(store, &tx);
	if (r >= 0)
		r = insert_templates(store, traveller_id, templates, n_templates);
	if (r >= 0)
		r = record_change(store, actor, "update", traveller_id);
	if (r >= 0)
		r = store_commit(&tx);
	return r;
}

int egate_store_delete_traveller(struct egate_store *store, const struct egate_store_actor *actor,
				 int64_t traveller_id)
{
	_cleanup_rollback_ struct egate_store *tx = NULL;
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	int changes = 0, r;

	assert(store);
	if (!actor_valid(actor, true) || traveller_id <= 0)
		return -EINVAL;
	/* The cascade and the record go with it. */
	r = store_begin(store, &tx);
	if (r >= 0)
		r = store_prepare(store, "DELETE FROM travellers WHERE id = ?", &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_int64(stmt, 1, traveller_id);
	r = store_step_done(store, stmt);
	if (r >= 0)
		changes = sqlite3_changes(store->db);
	if (r >= 0 && changes)
		r = record_change(store, actor, "delete", traveller_id);
	if (r >= 0)
		r = store_commit(&tx);
	if (r < 0)
		return r;
	/* Even for an id that is gone: a delete that failed here before is finished. */
	r = store_wal_wipe(store);
	if (r < 0)
		return r;
	return changes ? 0 : -ENOENT;
}

int gallery_erase_expired(struct egate_store *store, const char *today, uint64_t *ret_erased)
{
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	struct egate_audit_record rec = {
		.kind = EGATE_AUDIT_GALLERY, .actor_uid = (uint32_t)getuid(), .action = "expire",
		.reason = "enrolment expired",
	};
	uint64_t erased = 0;
	int rc, r;

	r = store_prepare(store, "DELETE FROM travellers WHERE expires < ? RETURNING id", &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_text(stmt, 1, today, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		rec.traveller_id = sqlite3_column_int64(stmt, 0);
		r = audit_append_locked(store, &rec, NULL);
		if (r < 0)
			return r;
		erased++;
	}
	r = store_errno(store->db, rc);
	if (r >= 0)
		*ret_erased = erased;
	return r;
}

int egate_store_list_travellers(struct egate_store *store, egate_traveller_cb cb,
				void *userdata)
{
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	int rc, r;

	assert(store);
	assert(cb);
	r = store_prepare(store, "SELECT t.id, t.label, t.expires, t.enrolled_us,"
				 " (SELECT count(*) FROM templates WHERE traveller_id = t.id)"
				 " FROM travellers t ORDER BY t.id", &stmt);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct egate_traveller t = {
			.id = sqlite3_column_int64(stmt, 0),
			.label = (const char *)sqlite3_column_text(stmt, 1),
			.expires = (const char *)sqlite3_column_text(stmt, 2),
			.enrolled_us = sqlite3_column_int64(stmt, 3),
			.n_templates = (unsigned int)sqlite3_column_int(stmt, 4),
		};

		r = cb(&t, userdata);
		if (r < 0)
			return r;
	}
	return store_errno(store->db, rc);
}

int egate_store_gallery_version(struct egate_store *store, uint64_t *ret)
{
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	int r;

	assert(store);
	assert(ret);
	r = store_prepare(store, "SELECT version FROM gallery_version", &stmt);
	if (r >= 0)
		r = store_step_row(store, stmt);
	if (r < 0)
		return r;
	*ret = (uint64_t)sqlite3_column_int64(stmt, 0);
	return 0;
}

void egate_gallery_free(struct egate_gallery *gallery)
{
	if (!gallery)
		return;
	/* A copy on its way to the face engine: no template left in the heap. */
	if (gallery->templates)
		explicit_bzero(gallery->templates, gallery->allocated * TEMPLATE_BYTES);
	free(gallery->templates);
	free(gallery->traveller_ids);
	free(gallery);
}

DEFINE_POINTER_CLEANUP(struct egate_gallery, egate_gallery_freep, egate_gallery_free)

/* Sized first, then filled, inside one read transaction: one snapshot. */
static int gallery_fill(struct egate_store *store, const char *today,
			struct egate_gallery *gallery)
{
	_cleanup_finalize_ sqlite3_stmt *count = NULL, *rows = NULL;
	size_t i = 0;
	int64_t n;
	int rc, r;

	r = store_prepare(store, "SELECT count(*) FROM templates JOIN travellers t"
				 " ON t.id = traveller_id WHERE t.expires IS NULL OR t.expires >= ?1",
			  &count);
	if (r < 0)
		return r;
	sqlite3_bind_text(count, 1, today, -1, SQLITE_STATIC);
	r = store_step_row(store, count);
	if (r < 0)
		return r;
	n = sqlite3_column_int64(count, 0);
	if (n > EGATE_STORE_GALLERY_MAX)
		return -E2BIG;

	gallery->allocated = (size_t)n ?: 1;
	gallery->templates = malloc(gallery->allocated * TEMPLATE_BYTES);
	gallery->traveller_ids = malloc(((size_t)n ?: 1) * sizeof(int64_t));
	if (!gallery->templates || !gallery->traveller_ids)
		return -ENOMEM;

	r = store_prepare(store, "SELECT traveller_id, descriptor FROM templates JOIN travellers t"
				 " ON t.id = traveller_id WHERE t.expires IS NULL OR t.expires >= ?1"
				 " ORDER BY templates.id", &rows);
	if (r < 0)
		return r;
	sqlite3_bind_text(rows, 1, today, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(rows)) == SQLITE_ROW) {
		if (i == (size_t)n || sqlite3_column_bytes(rows, 1) != TEMPLATE_BYTES)
			return -EBADMSG;
		gallery->traveller_ids[i] = sqlite3_column_int64(rows, 0);
		memcpy(gallery->templates + i * EGATE_TEMPLATE_DIM,
		       sqlite3_column_blob(rows, 1), TEMPLATE_BYTES);
		i++;
	}
	if (rc != SQLITE_DONE)
		return store_errno(store->db, rc);
	if (i != (size_t)n)
		return -EBADMSG;
	gallery->count = i;
	return 0;
}

int egate_store_load_gallery(struct egate_store *store, time_t now,
			     struct egate_gallery **ret)
{
	_cleanup_(egate_gallery_freep) struct egate_gallery *gallery = NULL;
	char today[16];
	int r;

	assert(store);
	assert(ret);
	r = store_utc_date(now, today);
	if (r < 0)
		return r;

	gallery = calloc(1, sizeof(*gallery));
	if (!gallery)
		return -ENOMEM;
	r = store_exec(store, "BEGIN");
	if (r < 0)
		return r;
	r = gallery_fill(store, today, gallery);
	store_exec(store, "COMMIT");	/* a read-only transaction: nothing to lose */
	sqlite3_db_release_memory(store->db);	/* nor the template pages it cached */
	if (r < 0)
		return r;
	*ret = TAKE_PTR(gallery);
	return 0;
}

size_t egate_gallery_count(const struct egate_gallery *gallery)
{
	assert(gallery);
	return gallery->count;
}

const float *egate_gallery_templates(const struct egate_gallery *gallery)
{
	assert(gallery);
	return gallery->templates;
}

const int64_t *egate_gallery_traveller_ids(const struct egate_gallery *gallery)
{
	assert(gallery);
	return gallery->traveller_ids;
}
