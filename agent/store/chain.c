// SPDX-License-Identifier: GPL-2.0
/*
 * chain.c - the audit log's hash chain: the canonical encoding of a record
 * (Documentation/audit.md), the genesis, and appending a record linked to
 * the chain head.  A record is written and hashed from the same array of
 * column values, and the verifier hashes what it reads back into such an
 * array, so writer and verifier cannot disagree about the bytes.
 */
#include <errno.h>
#include <string.h>
#include <sodium.h>

#include "store-internal.h"

#define CHAIN_VERSION 1

/* The encoded columns, in encoding order; the hash column follows them. */
const char *const chain_column_names[CHAIN_COLUMNS] = {
	"id", "kind", "time_us", "lane", "traveller_id", "score", "margin", "quality",
	"decision", "outcome", "decision_id", "detail", "candidate_id",
	"candidate_distance", "document_id", "actor_uid", "actor", "action", "reason",
	"first_id", "last_id", "last_hash", "signature",
};

_Static_assert(crypto_hash_sha256_BYTES == EGATE_AUDIT_HASH_SIZE, "hash size");

/*
 * Where the canonical encoding goes: into a running hash (chain_hash()),
 * or into a buffer of EGATE_AUDIT_CANONICAL_MAX bytes (chain_encode(), for
 * egate-sync to send).  One encoder for both, so they cannot disagree.
 */
struct chain_sink {
	crypto_hash_sha256_state *hash;
	uint8_t *buf;
	size_t size;
	int error;
};

static void sink_put(struct chain_sink *s, const void *p, size_t n)
{
	if (s->hash) {
		crypto_hash_sha256_update(s->hash, p, n);
		return;
	}
	if (s->error || s->size + n > EGATE_AUDIT_CANONICAL_MAX) {
		s->error = -E2BIG;
		return;
	}
	memcpy(s->buf + s->size, p, n);
	s->size += n;
}

static void sink_put_be(struct chain_sink *s, uint64_t v, size_t n)
{
	uint8_t be[8];

	for (size_t i = n; i-- > 0; v >>= 8)
		be[i] = (uint8_t)v;
	sink_put(s, be, n);
}

static void encode_value(struct chain_sink *s, const struct chain_value *v)
{
	uint8_t tag = (uint8_t)v->type;
	uint64_t bits;

	sink_put(s, &tag, 1);
	switch (v->type) {
	case SQLITE_INTEGER:
		sink_put_be(s, (uint64_t)v->i, 8);
		break;
	case SQLITE_FLOAT:
		memcpy(&bits, &v->d, 8);
		sink_put_be(s, bits, 8);
		break;
	case SQLITE_TEXT:
	case SQLITE_BLOB:
		sink_put_be(s, v->len, 4);	/* a u32: lengths are bounded */
		sink_put(s, v->p, v->len);
		break;
	default:	/* SQLITE_NULL: the tag alone */
		break;
	}
}

/* The version byte, then the values. */
static void encode(struct chain_sink *s, const struct chain_value *values, size_t n)
{
	uint8_t version = CHAIN_VERSION;

	sink_put(s, &version, 1);
	for (size_t i = 0; i < n; i++)
		encode_value(s, &values[i]);
}

void chain_hash(const uint8_t prev[EGATE_AUDIT_HASH_SIZE], const struct chain_value *values,
		size_t n, uint8_t out[EGATE_AUDIT_HASH_SIZE])
{
	crypto_hash_sha256_state st;
	struct chain_sink sink = { .hash = &st };

	crypto_hash_sha256_init(&st);
	if (prev)
		crypto_hash_sha256_update(&st, prev, EGATE_AUDIT_HASH_SIZE);
	encode(&sink, values, n);
	crypto_hash_sha256_final(&st, out);
}

int chain_encode(const struct chain_value *values, size_t n,
		 uint8_t buf[EGATE_AUDIT_CANONICAL_MAX])
{
	struct chain_sink sink = { .buf = buf };

	encode(&sink, values, n);
	return sink.error ?: (int)sink.size;
}

void chain_text(struct chain_value *v, const char *text)
{
	*v = text ? (struct chain_value){ .type = SQLITE_TEXT, .p = text, .len = strlen(text) } :
		(struct chain_value){ .type = SQLITE_NULL };
}

void chain_int(struct chain_value *v, int64_t i)
{
	*v = (struct chain_value){ .type = SQLITE_INTEGER, .i = i };
}

void chain_blob(struct chain_value *v, const void *p, size_t len)
{
	*v = p ? (struct chain_value){ .type = SQLITE_BLOB, .p = p, .len = len } :
		(struct chain_value){ .type = SQLITE_NULL };
}

void chain_column(sqlite3_stmt *stmt, int column, struct chain_value *v)
{
	v->type = sqlite3_column_type(stmt, column);
	switch (v->type) {
	case SQLITE_INTEGER:
		v->i = sqlite3_column_int64(stmt, column);
		break;
	case SQLITE_FLOAT:
		v->d = sqlite3_column_double(stmt, column);
		break;
	case SQLITE_TEXT:
		v->p = sqlite3_column_text(stmt, column);
		v->len = (size_t)sqlite3_column_bytes(stmt, column);
		break;
	case SQLITE_BLOB:
		v->p = sqlite3_column_blob(stmt, column);
		v->len = (size_t)sqlite3_column_bytes(stmt, column);
		break;
	default:
		break;
	}
}

static void bind_value(sqlite3_stmt *stmt, int column, const struct chain_value *v)
{
	switch (v->type) {
	case SQLITE_INTEGER:
		sqlite3_bind_int64(stmt, column, v->i);
		break;
	case SQLITE_FLOAT:
		sqlite3_bind_double(stmt, column, v->d);
		break;
	case SQLITE_TEXT:
		sqlite3_bind_text(stmt, column, v->p, (int)v->len, SQLITE_STATIC);
		break;
	case SQLITE_BLOB:
		sqlite3_bind_blob(stmt, column, v->p, (int)v->len, SQLITE_STATIC);
		break;
	default:
		sqlite3_bind_null(stmt, column);
		break;
	}
}

void chain_genesis(const struct chain_info *info, uint8_t out[EGATE_AUDIT_HASH_SIZE])
{
	struct chain_value v[4];

	chain_text(&v[0], "egate audit genesis");
	chain_blob(&v[1], info->chain_id, sizeof(info->chain_id));
	chain_text(&v[2], info->lane[0] ? info->lane : NULL);
	chain_int(&v[3], info->created_us);
	chain_hash(NULL, v, ELEMENTSOF(v), out);
}

int chain_info_load(struct egate_store *store, struct chain_info *info)
{
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	struct chain_value v;
	int r;

	r = store_prepare(store, "SELECT chain_id, lane, created_us, genesis, head_id, head_hash"
				 " FROM audit_chain", &stmt);
	if (r >= 0)
		r = store_step_row(store, stmt);
	if (r < 0)
		return r;
	*info = (struct chain_info){ .created_us = sqlite3_column_int64(stmt, 2),
				     .head_id = sqlite3_column_int64(stmt, 4) };
	chain_column(stmt, 0, &v);
	if (v.type != SQLITE_BLOB || v.len != sizeof(info->chain_id))
		return -EBADMSG;
	memcpy(info->chain_id, v.p, v.len);
	chain_column(stmt, 1, &v);
	if (v.type == SQLITE_TEXT && v.len < sizeof(info->lane))
		memcpy(info->lane, v.p, v.len);
	chain_column(stmt, 3, &v);
	if (v.type != SQLITE_BLOB || v.len != EGATE_AUDIT_HASH_SIZE)
		return -EBADMSG;
	memcpy(info->genesis, v.p, v.len);
	chain_column(stmt, 5, &v);
	if (v.type != SQLITE_BLOB || v.len != EGATE_AUDIT_HASH_SIZE)
		return -EBADMSG;
	memcpy(info->head_hash, v.p, v.len);
	return 0;
}

/* The chain's first record makes its genesis: a random id, the lane, the time. */
static int chain_start(struct egate_store *store, const char *lane, int64_t now_us,
		       struct chain_info *info)
{
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	int r;

	if (sodium_init() < 0)
		return -EIO;
	*info = (struct chain_info){ .created_us = now_us };
	randombytes_buf(info->chain_id, sizeof(info->chain_id));
	if (lane)
		snprintf(info->lane, sizeof(info->lane), "%s", lane);
	chain_genesis(info, info->genesis);
	memcpy(info->head_hash, info->genesis, EGATE_AUDIT_HASH_SIZE);
	r = store_prepare(store, "INSERT INTO audit_chain (chain_id, lane, created_us, genesis,"
				 " head_id, head_hash) VALUES (?, ?, ?, ?, 0, ?)", &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_blob(stmt, 1, info->chain_id, sizeof(info->chain_id), SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, lane, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, now_us);
	sqlite3_bind_blob(stmt, 4, info->genesis, EGATE_AUDIT_HASH_SIZE, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 5, info->head_hash, EGATE_AUDIT_HASH_SIZE, SQLITE_STATIC);
	return store_step_done(store, stmt);
}

int chain_head(struct egate_store *store, const char *lane, struct chain_info *info)
{
	int r = chain_info_load(store, info);

	return r == -ENODATA ? chain_start(store, lane, store_now_us(), info) : r;
}

int chain_append(struct egate_store *store, struct chain_value values[CHAIN_COLUMNS],
		 int64_t *ret_id)
{
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL, *head = NULL;
	uint8_t hash[EGATE_AUDIT_HASH_SIZE];
	struct chain_info info;
	int64_t id;
	int r;

	r = chain_head(store, values[CHAIN_LANE].type == SQLITE_TEXT ?
		       values[CHAIN_LANE].p : NULL, &info);
	if (r < 0)
		return r;
	/* Ids follow the head, never reused: an id may be given (migration). */
	if (values[CHAIN_ID].type != SQLITE_INTEGER)
		chain_int(&values[CHAIN_ID], info.head_id + 1);
	id = values[CHAIN_ID].i;
	if (id <= info.head_id)
		return -EINVAL;
	chain_hash(info.head_hash, values, CHAIN_COLUMNS, hash);

	r = store_prepare(store, "INSERT INTO audit (id, kind, time_us, lane, traveller_id, score,"
				 " margin, quality, decision, outcome, decision_id, detail,"
				 " candidate_id, candidate_distance, document_id, actor_uid, actor,"
				 " action, reason, first_id, last_id, last_hash, signature, hash)"
				 " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
				 " ?, ?, ?, ?, ?)", &stmt);
	if (r < 0)
		return r;
	for (int i = 0; i < CHAIN_COLUMNS; i++)
		bind_value(stmt, i + 1, &values[i]);
	sqlite3_bind_blob(stmt, CHAIN_COLUMNS + 1, hash, sizeof(hash), SQLITE_STATIC);
	r = store_step_done(store, stmt);
	if (r >= 0)
		r = store_prepare(store, "UPDATE audit_chain SET head_id = ?, head_hash = ?", &head);
	if (r < 0)
		return r;
	sqlite3_bind_int64(head, 1, id);
	sqlite3_bind_blob(head, 2, hash, sizeof(hash), SQLITE_STATIC);
	r = store_step_done(store, head);
	if (r >= 0 && ret_id)
		*ret_id = id;
	return r;
}

int chain_adopt(struct egate_store *store)
{
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	struct chain_value values[CHAIN_COLUMNS];
	int rc, r;

	r = store_prepare(store, "SELECT id, kind, time_us, lane, traveller_id, score, margin,"
				 " quality, decision, outcome, decision_id, detail, candidate_id,"
				 " candidate_distance, document_id FROM audit_v2 ORDER BY id", &stmt);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		for (int i = 0; i < CHAIN_COLUMNS; i++)
			if (i <= CHAIN_DOCUMENT)
				chain_column(stmt, i, &values[i]);
			else
				values[i] = (struct chain_value){ .type = SQLITE_NULL };
		r = chain_append(store, values, NULL);
		if (r < 0)
			return r;
	}
	r = store_errno(store->db, rc);
	if (r < 0)
		return r;
	sqlite3_finalize(TAKE_PTR(stmt));
	/* Ids of purged records stay used. */
	return store_exec(store, "UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT seq"
				 " FROM sqlite_sequence WHERE name = 'audit_v2'), 0))"
				 " WHERE name = 'audit'; DROP TABLE audit_v2;"
				 " DELETE FROM sqlite_sequence WHERE name = 'audit_v2'");
}
