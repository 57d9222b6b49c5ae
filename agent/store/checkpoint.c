// SPDX-License-Identifier: GPL-2.0
/*
 * checkpoint.c - signed checkpoints of the audit chain: a record holding
 * the chain head and the lane key's Ed25519 signature of it, and its
 * publication in the journal, outside the database.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sodium.h>
#include <systemd/sd-journal.h>

#include "store-internal.h"

#define US_PER_S 1000000LL

_Static_assert(crypto_sign_BYTES == EGATE_AUDIT_SIGNATURE_SIZE, "signature size");
_Static_assert(crypto_sign_PUBLICKEYBYTES == 32, "public key size");
_Static_assert(crypto_sign_SECRETKEYBYTES == 64, "secret key size");

void checkpoint_message(const uint8_t genesis[EGATE_AUDIT_HASH_SIZE], int64_t id,
			int64_t time_us, int64_t head_id, const uint8_t head[EGATE_AUDIT_HASH_SIZE],
			uint8_t out[EGATE_AUDIT_HASH_SIZE])
{
	struct chain_value v[6];

	chain_text(&v[0], "egate audit checkpoint");
	chain_blob(&v[1], genesis, EGATE_AUDIT_HASH_SIZE);
	chain_int(&v[2], id);
	chain_int(&v[3], time_us);
	chain_int(&v[4], head_id);
	chain_blob(&v[5], head, EGATE_AUDIT_HASH_SIZE);
	chain_hash(NULL, v, ELEMENTSOF(v), out);
}

/* Records since the last checkpoint, and that checkpoint's time (or the genesis's). */
static int since_checkpoint(struct egate_store *store, const struct chain_info *info,
			    int64_t *ret_records, int64_t *ret_time_us)
{
	_cleanup_finalize_ sqlite3_stmt *stmt = NULL;
	int r;

	r = store_prepare(store, "SELECT coalesce(max(id), 0), coalesce(max(time_us), ?)"
				 " FROM (SELECT id, time_us FROM audit WHERE kind = 'checkpoint'"
				 " ORDER BY id DESC LIMIT 1)", &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_int64(stmt, 1, info->created_us);
	r = store_step_row(store, stmt);
	if (r < 0)
		return r;
	*ret_records = info->head_id - sqlite3_column_int64(stmt, 0);
	*ret_time_us = sqlite3_column_int64(stmt, 1);
	return 0;
}

int egate_store_audit_checkpoint(struct egate_store *store, const uint8_t secret_key[64],
				 unsigned int every_records, unsigned int every_s,
				 int64_t now_us, struct egate_audit_checkpoint *ret)
{
	_cleanup_rollback_ struct egate_store *tx = NULL;
	struct egate_audit_checkpoint cp = { .time_us = now_us };
	struct egate_audit_record rec = { .kind = EGATE_AUDIT_CHECKPOINT, .time_us = now_us };
	uint8_t message[EGATE_AUDIT_HASH_SIZE];
	int64_t records, last_us;
	struct chain_info info;
	int r;

	assert(store);
	assert(secret_key);
	assert(ret);
	if (now_us <= 0)
		return -EINVAL;
	r = store_begin(store, &tx);
	if (r >= 0)
		r = chain_info_load(store, &info);
	if (r == -ENODATA)
		return 0;	/* no record yet, nothing to sign */
	if (r >= 0)
		r = since_checkpoint(store, &info, &records, &last_us);
	if (r < 0)
		return r;
	if (records <= 0 || (every_records && records < every_records &&
			     (!every_s || now_us - last_us < every_s * US_PER_S)))
		return 0;

	cp.head_id = info.head_id;
	cp.id = info.head_id + 1;
	memcpy(cp.head, info.head_hash, sizeof(cp.head));
	memcpy(cp.genesis, info.genesis, sizeof(cp.genesis));
	snprintf(cp.lane, sizeof(cp.lane), "%s", info.lane);
	checkpoint_message(cp.genesis, cp.id, now_us, cp.head_id, cp.head, message);
	crypto_sign_detached(cp.signature, NULL, message, sizeof(message), secret_key);
	rec.lane = info.lane[0] ? info.lane : NULL;
	rec.last_id = cp.head_id;
	rec.last_hash = cp.head;
	rec.signature = cp.signature;
	r = audit_append_locked(store, &rec, &cp.id);
	if (r >= 0)
		r = chain_info_load(store, &info);
	if (r >= 0)
		r = store_commit(&tx);
	if (r < 0)
		return r;
	memcpy(cp.hash, info.head_hash, sizeof(cp.hash));
	*ret = cp;
	return 1;
}

int egate_audit_checkpoint_publish(const struct egate_audit_checkpoint *cp)
{
	char head[2 * EGATE_AUDIT_HASH_SIZE + 1], hash[2 * EGATE_AUDIT_HASH_SIZE + 1];
	char genesis[2 * EGATE_AUDIT_HASH_SIZE + 1], sig[2 * EGATE_AUDIT_SIGNATURE_SIZE + 1];

	assert(cp);
	sodium_bin2hex(head, sizeof(head), cp->head, sizeof(cp->head));
	sodium_bin2hex(hash, sizeof(hash), cp->hash, sizeof(cp->hash));
	sodium_bin2hex(genesis, sizeof(genesis), cp->genesis, sizeof(cp->genesis));
	sodium_bin2hex(sig, sizeof(sig), cp->signature, sizeof(cp->signature));
	return sd_journal_send("MESSAGE=audit checkpoint %lld: chain head %lld %s",
			       (long long)cp->id, (long long)cp->head_id, head,
			       "MESSAGE_ID=" EGATE_AUDIT_CHECKPOINT_MESSAGE_ID,
			       "PRIORITY=6",
			       "EGATE_AUDIT_PUBLISHED=%lld:%s", (long long)cp->id, hash,
			       "EGATE_AUDIT_LANE=%s", cp->lane,
			       "EGATE_AUDIT_TIME_US=%lld", (long long)cp->time_us,
			       "EGATE_AUDIT_HEAD_ID=%lld", (long long)cp->head_id,
			       "EGATE_AUDIT_HEAD=%s", head,
			       "EGATE_AUDIT_GENESIS=%s", genesis,
			       "EGATE_AUDIT_SIGNATURE=%s", sig,
			       NULL);
}
