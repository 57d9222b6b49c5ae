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

/* One batch of the gallery on its way to the face engine. */
struct batch {
	int64_t ids[EGATE_STORE_GALLERY_BATCH];
	float templates[EGATE_STORE_GALLERY_BATCH * EGATE_TEMPLATE_DIM];
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

/* No template left in the heap. */
static void batch_freep(struct batch **b)
{
	if (*b)
		explicit_bzero(*b, sizeof(**b));
	free(*b);
}

/* Counted first, then read, inside one read transaction: one snapshot.
 * templates first (CROSS JOIN): read in the order of its rowid, no sort. */
static int gallery_read(struct egate_store *store, const char *today,
			egate_gallery_batch_cb cb, void *userdata)
{
	_cleanup_finalize_ sqlite3_stmt *count = NULL, *rows = NULL;
	_cleanup_(batch_freep) struct batch *b = NULL;
	struct egate_gallery_batch out = { 0 };
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
	out.total = (size_t)n;
	b = malloc(sizeof(*b));
	if (!b)
		return -ENOMEM;
	out.traveller_ids = b->ids;
	out.templates = b->templates;

	r = store_prepare(store, "SELECT traveller_id, descriptor FROM templates CROSS JOIN"
				 " travellers t ON t.id = traveller_id"
				 " WHERE t.expires IS NULL OR t.expires >= ?1 ORDER BY templates.id",
			  &rows);
	if (r < 0)
		return r;
	sqlite3_bind_text(rows, 1, today, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(rows)) == SQLITE_ROW) {
		if (out.first + out.n == out.total ||
		    sqlite3_column_bytes(rows, 1) != TEMPLATE_BYTES)
			return -EBADMSG;
		b->ids[out.n] = sqlite3_column_int64(rows, 0);
		memcpy(b->templates + out.n * EGATE_TEMPLATE_DIM, sqlite3_column_blob(rows, 1),
		       TEMPLATE_BYTES);
		if (++out.n < EGATE_STORE_GALLERY_BATCH)
			continue;
		r = cb(&out, userdata);
		if (r < 0)
			return r;
		out.first += out.n;
		out.n = 0;
	}
	if (rc != SQLITE_DONE)
		return store_errno(store->db, rc);
	if (out.first + out.n != out.total)
		return -EBADMSG;
	return out.n ? cb(&out, userdata) : 0;
}

int egate_store_read_gallery(struct egate_store *store, time_t now,
			     egate_gallery_batch_cb cb, void *userdata)
{
	char today[16];
	int r;

	assert(store);
	assert(cb);
	r = store_utc_date(now, today);
	if (r < 0)
		return r;
	r = store_exec(store, "BEGIN");
	if (r < 0)
		return r;
	r = gallery_read(store, today, cb, userdata);
	store_exec(store, "COMMIT");	/* a read-only transaction: nothing to lose */
	sqlite3_db_release_memory(store->db);	/* nor the template pages it cached */
	return r;
}
