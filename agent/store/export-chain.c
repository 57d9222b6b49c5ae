// SPDX-License-Identifier: GPL-2.0
/*
 * export-chain.c - audit records as the chain hashed them, for egate-sync
 * to send with their hashes: the centre checks each link itself and so
 * needs no knowledge of record kinds or columns.  chain_encode() writes
 * out the very bytes chain_hash() hashes (Documentation/audit.md);
 * tests/fleet checks every exported record against its stored hash.
 */
#include <errno.h>
#include <string.h>

#include "egate-store-sync.h"
#include "store-internal.h"

int egate_store_audit_export(struct egate_store *store, int64_t after_id, size_t max,
			     egate_audit_encoded_cb cb, void *userdata)
{
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	uint8_t buf[EGATE_AUDIT_CANONICAL_MAX];
	struct chain_value values[CHAIN_COLUMNS];
	int rc, r;

	if (!store || !cb || after_id < 0 || !max || max > INT32_MAX)
		return -EINVAL;
	r = store_prepare(store, AUDIT_SELECT " WHERE id > ? ORDER BY id LIMIT ?", &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_int64(stmt, 1, after_id);
	sqlite3_bind_int64(stmt, 2, (int64_t)max);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct chain_value hash;
		int size;

		for (int i = 0; i < CHAIN_COLUMNS; i++)
			chain_column(stmt, i, &values[i]);
		chain_column(stmt, CHAIN_COLUMNS, &hash);
		if (values[CHAIN_ID].type != SQLITE_INTEGER || hash.type != SQLITE_BLOB ||
		    hash.len != EGATE_AUDIT_HASH_SIZE)
			return -EBADMSG;
		size = chain_encode(values, CHAIN_COLUMNS, buf);
		if (size < 0)
			return size;
		r = cb(&(struct egate_audit_encoded){ .id = values[CHAIN_ID].i, .canonical = buf,
						      .size = (size_t)size, .hash = hash.p },
		       userdata);
		if (r < 0)
			return r;
	}
	return store_errno(store->db, rc);
}

int egate_store_audit_genesis_encoding(struct egate_store *store, uint8_t *buf)
{
	struct chain_info info;
	struct chain_value v[4];
	int r;

	if (!store || !buf)
		return -EINVAL;
	r = chain_info_load(store, &info);
	if (r < 0)
		return r;
	/* The parts chain_genesis() hashes, in its order. */
	chain_text(&v[0], "egate audit genesis");
	chain_blob(&v[1], info.chain_id, sizeof(info.chain_id));
	chain_text(&v[2], info.lane[0] ? info.lane : NULL);
	chain_int(&v[3], info.created_us);
	return chain_encode(v, ELEMENTSOF(v), buf);
}

/* The first row's blob, exactly a hash: 0, -ENODATA with no row. */
static int hash_of(struct egate_store *store, const char *sql, int64_t arg,
		   uint8_t out[EGATE_AUDIT_HASH_SIZE])
{
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	struct chain_value v;
	int r;

	r = store_prepare(store, sql, &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_int64(stmt, 1, arg);
	r = store_step_row(store, stmt);
	if (r < 0)
		return r;
	chain_column(stmt, 0, &v);
	if (v.type != SQLITE_BLOB || v.len != EGATE_AUDIT_HASH_SIZE)
		return -EBADMSG;
	memcpy(out, v.p, EGATE_AUDIT_HASH_SIZE);
	return 0;
}

int egate_store_audit_link_before(struct egate_store *store, int64_t after_id,
				  uint8_t out[EGATE_AUDIT_HASH_SIZE])
{
	struct chain_info info;
	int r;

	if (!store || !out || after_id < 0)
		return -EINVAL;
	r = hash_of(store, "SELECT hash FROM audit WHERE id <= ? ORDER BY id DESC LIMIT 1",
		    after_id, out);
	if (r == -ENODATA)
		r = hash_of(store, "SELECT last_hash FROM audit WHERE kind = 'purge' AND id > ?"
				   " ORDER BY id DESC LIMIT 1", after_id, out);
	if (r != -ENODATA)
		return r;
	r = chain_info_load(store, &info);
	if (r >= 0)
		memcpy(out, info.genesis, EGATE_AUDIT_HASH_SIZE);
	return r;
}
