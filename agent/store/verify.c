// SPDX-License-Identifier: GPL-2.0
/*
 * verify.c - walks the audit chain and reports the first thing wrong with
 * it: a record whose hash does not follow from the one before (edited,
 * reordered, or records missing before it), a checkpoint that does not
 * sign the head before it, a tail cut off behind the chain head or behind
 * a published checkpoint.  Reads only: a read-only copy will do.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "store-internal.h"

static const char *const problem_names[] = {
	[EGATE_AUDIT_OK] = "ok",
	[EGATE_AUDIT_BROKEN_LINK] = "broken-link",
	[EGATE_AUDIT_MISSING_RANGE] = "missing-range",
	[EGATE_AUDIT_BAD_SIGNATURE] = "bad-signature",
	[EGATE_AUDIT_TRUNCATED] = "truncated",
	[EGATE_AUDIT_BAD_GENESIS] = "bad-genesis",
};

_Static_assert(ELEMENTSOF(problem_names) == EGATE_AUDIT_PROBLEM_COUNT, "a problem has no name");

const char *egate_audit_problem_name(enum egate_audit_problem problem)
{
	return (unsigned int)problem < ELEMENTSOF(problem_names) ? problem_names[problem] : NULL;
}

struct walk {
	const struct egate_audit_verify_options *o;
	struct egate_audit_verify_result *res;
	struct chain_info info;
	int64_t prev_id;			/* the record the next one follows */
	uint8_t prev[EGATE_AUDIT_HASH_SIZE];
	bool published_seen;
};

__attribute__((format(printf, 4, 5)))
static int found(struct walk *w, enum egate_audit_problem problem, int64_t id,
		 const char *fmt, ...)
{
	va_list ap;

	w->res->problem = problem;
	w->res->record_id = id;
	va_start(ap, fmt);
	vsnprintf(w->res->message, sizeof(w->res->message), fmt, ap);
	va_end(ap);
	return 1;
}

static bool checkpoint_signed(const struct walk *w, const struct egate_audit_record *rec)
{
	uint8_t message[EGATE_AUDIT_HASH_SIZE];

	checkpoint_message(w->info.genesis, rec->id, rec->time_us, rec->last_id,
			   rec->last_hash, message);
	return crypto_sign_verify_detached(rec->signature, message, sizeof(message),
					   w->o->public_key) == 0;
}

/* One record: 1 when it is the first problem, 0 when it follows. */
static int check_record(struct walk *w, sqlite3_stmt *stmt)
{
	struct chain_value v[CHAIN_COLUMNS];
	uint8_t hash[EGATE_AUDIT_HASH_SIZE];
	struct egate_audit_record rec;
	int r;

	for (int i = 0; i < CHAIN_COLUMNS; i++)
		chain_column(stmt, i, &v[i]);
	chain_hash(w->prev, v, CHAIN_COLUMNS, hash);
	r = audit_record_from_row(stmt, &rec);
	if (r < 0 || !rec.hash || sodium_memcmp(hash, rec.hash, sizeof(hash))) {
		if (rec.id > w->prev_id + 1) {
			w->res->missing_first = w->prev_id + 1;
			w->res->missing_last = rec.id - 1;
			return found(w, EGATE_AUDIT_MISSING_RANGE, rec.id,
				     "records %lld..%lld are missing before record %lld",
				     (long long)w->prev_id + 1, (long long)rec.id - 1,
				     (long long)rec.id);
		}
		return found(w, EGATE_AUDIT_BROKEN_LINK, rec.id,
			     "record %lld does not follow record %lld: altered or reordered",
			     (long long)rec.id, (long long)w->prev_id);
	}
	if (rec.kind == EGATE_AUDIT_CHECKPOINT) {
		if (!rec.last_hash || !rec.signature || rec.last_id != w->prev_id ||
		    sodium_memcmp(rec.last_hash, w->prev, sizeof(w->prev)))
			return found(w, EGATE_AUDIT_BAD_SIGNATURE, rec.id,
				     "checkpoint %lld does not sign the record before it",
				     (long long)rec.id);
		if (w->o->public_key && !checkpoint_signed(w, &rec))
			return found(w, EGATE_AUDIT_BAD_SIGNATURE, rec.id,
				     "checkpoint %lld: the signature is not the lane key's",
				     (long long)rec.id);
		w->res->checkpoints++;
		w->res->last_checkpoint_id = rec.id;
	}
	if (rec.id == w->o->published_id) {
		if (sodium_memcmp(hash, w->o->published_hash, sizeof(hash)))
			return found(w, EGATE_AUDIT_TRUNCATED, rec.id,
				     "record %lld is not the published checkpoint: the database"
				     " was rolled back or rewritten", (long long)rec.id);
		w->published_seen = true;
	}
	if (!w->res->first_id)
		w->res->first_id = rec.id;
	w->res->records++;
	w->prev_id = rec.id;
	memcpy(w->prev, hash, sizeof(hash));
	return 0;
}

/*
 * Where the walk starts: the genesis, or where the newest purge says it
 * cut the chain, or (since_us with a key) the last signed checkpoint at
 * or before since_us.  *ret_start: the first id to walk.
 */
static int walk_start(struct egate_store *store, struct walk *w, int64_t *ret_start)
{
	_cleanup_finalize_ sqlite3_stmt *purge = NULL, *cp = NULL;
	struct egate_audit_record rec;
	int r;

	memcpy(w->prev, w->info.genesis, sizeof(w->prev));
	*ret_start = 0;
	r = store_prepare(store, AUDIT_SELECT " WHERE kind = 'purge' AND last_id IS NOT NULL"
				 " ORDER BY id DESC LIMIT 1", &purge);
	if (r >= 0)
		r = store_step_row(store, purge);
	if (r >= 0 && audit_record_from_row(purge, &rec) >= 0 && rec.last_hash) {
		w->prev_id = rec.last_id;
		memcpy(w->prev, rec.last_hash, sizeof(w->prev));
	} else if (r < 0 && r != -ENODATA) {
		return r;
	}
	if (!w->o->since_us)
		return 0;
	r = store_prepare(store, AUDIT_SELECT " WHERE kind = 'checkpoint' AND time_us <= ?"
				 " ORDER BY id DESC LIMIT 1", &cp);
	if (r < 0)
		return r;
	sqlite3_bind_int64(cp, 1, w->o->since_us);
	r = store_step_row(store, cp);
	if (r == -ENODATA)
		return 0;
	if (r >= 0)
		r = audit_record_from_row(cp, &rec);
	if (r < 0)
		return r;
	if (rec.id <= w->prev_id)
		return 0;	/* purged: the start is the purge's */
	if (!rec.last_hash || !rec.signature || !checkpoint_signed(w, &rec))
		return found(w, EGATE_AUDIT_BAD_SIGNATURE, rec.id,
			     "checkpoint %lld: the signature is not the lane key's",
			     (long long)rec.id);
	w->prev_id = rec.last_id;
	memcpy(w->prev, rec.last_hash, sizeof(w->prev));
	*ret_start = rec.id;
	return 0;
}

static int check_genesis(struct egate_store *store, struct walk *w)
{
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	uint8_t genesis[EGATE_AUDIT_HASH_SIZE];
	int r = chain_info_load(store, &w->info);

	if (r == -ENODATA || r == -EBADMSG) {
		r = store_prepare(store, "SELECT count(*) FROM audit", &stmt);
		if (r >= 0)
			r = store_step_row(store, stmt);
		if (r < 0)
			return r;
		return sqlite3_column_int64(stmt, 0) == 0 ? 1 :
			found(w, EGATE_AUDIT_BAD_GENESIS, 0, "records but no chain genesis");
	}
	if (r < 0)
		return r;
	chain_genesis(&w->info, genesis);
	if (sodium_memcmp(genesis, w->info.genesis, sizeof(genesis)))
		return found(w, EGATE_AUDIT_BAD_GENESIS, 0, "the chain's genesis was altered");
	return 0;
}

/* After the walk: the head the store moved, and the published checkpoint. */
static int check_tail(struct walk *w)
{
	if (w->info.head_id > w->prev_id)
		return found(w, EGATE_AUDIT_TRUNCATED, w->prev_id,
			     "the chain head is record %lld, the records end at %lld",
			     (long long)w->info.head_id, (long long)w->prev_id);
	if (w->info.head_id < w->prev_id ||
	    sodium_memcmp(w->info.head_hash, w->prev, sizeof(w->prev)))
		return found(w, EGATE_AUDIT_BROKEN_LINK, w->prev_id,
			     "record %lld is not the chain head the store wrote",
			     (long long)w->prev_id);
	if (w->o->published_id > w->prev_id)
		return found(w, EGATE_AUDIT_TRUNCATED, w->prev_id,
			     "checkpoint %lld was published, the records end at %lld",
			     (long long)w->o->published_id, (long long)w->prev_id);
	if (w->o->published_id && !w->published_seen && w->o->published_id >= w->res->first_id)
		return found(w, EGATE_AUDIT_TRUNCATED, w->o->published_id,
			     "the published checkpoint %lld is missing",
			     (long long)w->o->published_id);
	return 0;
}

int egate_store_audit_verify(struct egate_store *store,
			     const struct egate_audit_verify_options *options,
			     struct egate_audit_verify_result *result)
{
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	struct walk w = { .o = options, .res = result };
	int64_t start;
	int rc, r;

	assert(store);
	assert(options);
	assert(result);
	*result = (struct egate_audit_verify_result){ 0 };
	if (options->since_us && !options->public_key)
		return -EINVAL;	/* an unsigned start proves nothing */
	if (sodium_init() < 0)
		return -EIO;
	r = check_genesis(store, &w);
	if (r == 0)
		r = walk_start(store, &w, &start);
	if (r != 0)
		return r < 0 ? r : 0;
	r = store_prepare(store, AUDIT_SELECT " WHERE id >= ? ORDER BY id", &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_int64(stmt, 1, start ?: w.prev_id + 1);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		if (check_record(&w, stmt))
			return 0;
	r = store_errno(store->db, rc);
	if (r < 0)
		return r;
	if (!check_tail(&w)) {
		result->head_id = w.prev_id;
		memcpy(result->head, w.prev, sizeof(w.prev));
	}
	return 0;
}
