// SPDX-License-Identifier: GPL-2.0
/*
 * sync-state.c - the gallery as egate-sync keeps it from the centre: a
 * batch of central changes applied in one transaction together with the
 * central version it reaches, and the sync's own state (table sync_state,
 * made by the first apply or acknowledgement; Documentation/fleet.md).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "egate-store-sync.h"
#include "store-internal.h"

#define TEMPLATE_BYTES (EGATE_TEMPLATE_DIM * sizeof(float))

/* The table is the schema's (version 5); its one row is made by the first write. */
static const char state_row[] =
	"INSERT OR IGNORE INTO sync_state (one, gallery_version, audit_acked_id,"
	" last_contact_us) VALUES (1, 0, 0, 0)";

int egate_store_sync_state(struct egate_store *store, struct egate_sync_state *ret)
{
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	int r;

	if (!store || !ret)
		return -EINVAL;
	*ret = (struct egate_sync_state){ 0 };
	r = store_prepare(store, "SELECT gallery_version, audit_acked_id, last_contact_us,"
				 " central_version, (SELECT count(*) FROM audit WHERE id >"
				 " audit_acked_id) FROM sync_state", &stmt);
	if (r >= 0)
		r = store_step_row(store, stmt);
	if (r == -ENODATA)
		return 0;	/* never synced */
	if (r < 0)
		return r;
	*ret = (struct egate_sync_state){
		.fleet = true,
		.gallery_version = (uint64_t)sqlite3_column_int64(stmt, 0),
		.audit_acked_id = sqlite3_column_int64(stmt, 1),
		.last_contact_us = sqlite3_column_int64(stmt, 2),
		.central_version = (uint64_t)sqlite3_column_int64(stmt, 3),
		.records_unsent = (uint64_t)sqlite3_column_int64(stmt, 4),
	};
	return 0;
}

static bool change_valid(const struct egate_sync_change *c)
{
	if (c->traveller_id <= 0)
		return false;
	if (c->revoked)
		return true;
	if (!c->label || !c->templates || !c->n_templates ||
	    c->n_templates > EGATE_STORE_TEMPLATES_PER_TRAVELLER_MAX)
		return false;
	for (size_t i = 0; i < c->n_templates * EGATE_TEMPLATE_DIM; i++)
		if (!isfinite(c->templates[i]))
			return false;
	return true;
}

/* The traveller as the change says (the CHECKs of travellers hold the rest). */
static int insert_traveller(struct egate_store *store, const struct egate_sync_change *c)
{
	_cleanup_finalize_ sqlite3_stmt *t = NULL, *d = NULL;
	int r;

	r = store_prepare(store, "INSERT INTO travellers (id, label, expires, enrolled_us,"
				 " referred) VALUES (?, ?, ?, ?, ?)", &t);
	if (r < 0)
		return r;
	sqlite3_bind_int64(t, 1, c->traveller_id);
	sqlite3_bind_text(t, 2, c->label, -1, SQLITE_STATIC);
	if (c->expires)
		sqlite3_bind_text(t, 3, c->expires, -1, SQLITE_STATIC);
	sqlite3_bind_int64(t, 4, store_now_us());
	sqlite3_bind_int(t, 5, c->referred);
	r = store_step_done(store, t);
	if (r >= 0)
		r = store_prepare(store, "INSERT INTO templates (traveller_id, descriptor)"
					 " VALUES (?, ?)", &d);
	for (size_t i = 0; r >= 0 && i < c->n_templates; i++) {
		sqlite3_bind_int64(d, 1, c->traveller_id);
		sqlite3_bind_blob(d, 2, c->templates + i * EGATE_TEMPLATE_DIM, TEMPLATE_BYTES,
				  SQLITE_STATIC);
		r = store_step_done(store, d);
		sqlite3_reset(d);
	}
	return r;
}

/* Replaces (or deletes) one traveller, with its gallery record: 1 if one was deleted. */
static int apply_one(struct egate_store *store, const struct egate_store_actor *actor,
		     const char *reason, const struct egate_sync_change *c)
{
	_cleanup_finalize_ sqlite3_stmt *del = NULL;
	const char *action;
	int existed, r;

	r = store_prepare(store, "DELETE FROM travellers WHERE id = ?", &del);
	if (r < 0)
		return r;
	sqlite3_bind_int64(del, 1, c->traveller_id);
	r = store_step_done(store, del);
	if (r < 0)
		return r;
	existed = sqlite3_changes(store->db) > 0;
	if (!c->revoked) {
		r = insert_traveller(store, c);
		if (r < 0)
			return r;
	} else if (!existed) {
		return 0;	/* revoked before this lane ever had them */
	}
	action = c->revoked ? "delete" : existed ? "update" : "enrol";
	r = audit_append_locked(store, &(struct egate_audit_record){
		.kind = EGATE_AUDIT_GALLERY, .lane = actor->lane, .traveller_id = c->traveller_id,
		.actor_uid = actor->uid, .action = action, .reason = reason }, NULL);
	return r < 0 ? r : existed;
}

int egate_store_sync_apply(struct egate_store *store, const struct egate_store_actor *actor,
			   const struct egate_sync_change *changes, size_t n_changes,
			   uint64_t version)
{
	_cleanup_rollback_ struct egate_store *tx = NULL;
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	size_t lane = actor && actor->lane ? strlen(actor->lane) : 0;
	char reason[64];
	bool deleted = false;
	int r;

	if (!store || !lane || lane > EGATE_STORE_LANE_MAX || (n_changes && !changes) ||
	    version > INT64_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n_changes; i++)
		if (!change_valid(&changes[i]))
			return -EINVAL;
	snprintf(reason, sizeof(reason), "central gallery version %llu",
		 (unsigned long long)version);

	r = store_begin(store, &tx);
	if (r >= 0)
		r = store_exec(store, state_row);
	for (size_t i = 0; r >= 0 && i < n_changes; i++) {
		r = apply_one(store, actor, reason, &changes[i]);
		deleted |= r > 0;
	}
	if (r >= 0)
		r = store_prepare(store, "UPDATE sync_state SET gallery_version = ?", &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_int64(stmt, 1, (int64_t)version);
	r = store_step_done(store, stmt);
	if (r >= 0)
		r = store_commit(&tx);
	if (r < 0)
		return r;
	/* As a delete does: no byte of a deleted traveller's templates left behind. */
	return deleted ? store_wal_wipe(store) : 0;
}

/* One UPDATE of the state's row (made if need be), bound to values. */
static int state_update(struct egate_store *store, const char *sql, int64_t a, int64_t b)
{
	_cleanup_rollback_ struct egate_store *tx = NULL;
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	int r;

	r = store_begin(store, &tx);
	if (r >= 0)
		r = store_exec(store, state_row);
	if (r >= 0)
		r = store_prepare(store, sql, &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_int64(stmt, 1, a);
	sqlite3_bind_int64(stmt, 2, b);
	r = store_step_done(store, stmt);
	if (r >= 0)
		r = store_commit(&tx);
	return r;
}

int egate_store_sync_ack(struct egate_store *store, int64_t audit_acked_id, int64_t contact_us)
{
	if (!store || audit_acked_id < 0)
		return -EINVAL;
	return state_update(store, "UPDATE sync_state SET audit_acked_id = ?,"
				   " last_contact_us = ?", audit_acked_id, contact_us);
}

int egate_store_sync_contact(struct egate_store *store, uint64_t central_version,
			     int64_t contact_us)
{
	if (!store || central_version > INT64_MAX)
		return -EINVAL;
	return state_update(store, "UPDATE sync_state SET central_version = ?,"
				   " last_contact_us = ?", (int64_t)central_version, contact_us);
}
