/* SPDX-License-Identifier: GPL-2.0 */
/*
 * egate-store-sync.h - what egate-sync (Documentation/fleet.md) needs of
 * the agent's database beyond egate-store.h: applying a batch of the
 * centre's gallery changes in one transaction, the sync's own state (the
 * central gallery version the lane is at, the audit records the centre
 * acknowledged), and the audit records as the chain hashed them.
 */
#ifndef EGATE_STORE_SYNC_H
#define EGATE_STORE_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "egate-store.h"

/*
 * One change of the central gallery: the traveller's state now, or their
 * revocation.  The centre's traveller id is the lane's.
 */
struct egate_sync_change {
	int64_t traveller_id;		/* > 0 */
	bool revoked;
	const char *label;		/* not revoked: 1..EGATE_STORE_LABEL_MAX bytes */
	const char *expires;		/* "YYYY-MM-DD", NULL: never */
	bool referred;			/* "refer to officer": every lane denies them */
	const float *templates;		/* n_templates * EGATE_TEMPLATE_DIM */
	size_t n_templates;		/* not revoked: 1..EGATE_STORE_TEMPLATES_PER_TRAVELLER_MAX */
};

struct egate_sync_state {
	bool fleet;			/* egate-sync has written the state: the lane
					 * is fed by a centre (all else 0 when not) */
	uint64_t gallery_version;	/* the central version applied; 0: none */
	uint64_t central_version;	/* the centre's, at the last contact */
	int64_t audit_acked_id;		/* records up to it are archived centrally */
	uint64_t records_unsent;	/* records after it */
	int64_t last_contact_us;	/* CLOCK_REALTIME; 0: never */
};

/* The state (a read-only open will do). */
int egate_store_sync_state(struct egate_store *store, struct egate_sync_state *ret);

/*
 * Applies the changes and moves the state to version, all in one
 * transaction: the gallery is at one central version or the one before.
 * Each traveller is replaced by their new state (or deleted), with a
 * gallery audit record (enrol, update, delete) under actor.  A deleted
 * traveller's templates are wiped from the files as by
 * egate_store_delete_traveller() (-EAGAIN: applied, the wipe not yet).
 */
int egate_store_sync_apply(struct egate_store *store, const struct egate_store_actor *actor,
			   const struct egate_sync_change *changes, size_t n_changes,
			   uint64_t version);

/* Records the centre's acknowledgement (audit_acked_id) and the contact time. */
int egate_store_sync_ack(struct egate_store *store, int64_t audit_acked_id,
			 int64_t contact_us);
/* Records the centre's gallery version as told at a contact, and its time. */
int egate_store_sync_contact(struct egate_store *store, uint64_t central_version,
			     int64_t contact_us);

/* --- the chain as hashed (export-chain.c) -------------------------------- */

#define EGATE_AUDIT_CANONICAL_MAX 8192	/* bytes of one record's encoding */

/*
 * A record's canonical encoding (Documentation/audit.md: the version byte
 * and the fields, without the hash before it) as read back from the
 * database, and its stored hash: SHA-256(previous hash || canonical) is
 * hash unless the record was altered.
 */
struct egate_audit_encoded {
	int64_t id;
	const uint8_t *canonical;
	size_t size;
	const uint8_t *hash;		/* EGATE_AUDIT_HASH_SIZE bytes */
};

/* Up to max records with id > after_id, oldest first; a negative cb return stops. */
typedef int (*egate_audit_encoded_cb)(const struct egate_audit_encoded *e, void *userdata);
int egate_store_audit_export(struct egate_store *store, int64_t after_id, size_t max,
			     egate_audit_encoded_cb cb, void *userdata);

/*
 * The encoding of the chain's genesis (its SHA-256 is the genesis), into
 * buf (EGATE_AUDIT_CANONICAL_MAX bytes): its size, or -ENODATA for a
 * database with no chain yet.
 */
int egate_store_audit_genesis_encoding(struct egate_store *store, uint8_t *buf);

/*
 * The hash the first record after after_id links to: the record before
 * it, else (purged) the newest purge's last_hash, else the genesis.
 */
int egate_store_audit_link_before(struct egate_store *store, int64_t after_id,
				  uint8_t out[EGATE_AUDIT_HASH_SIZE]);

#endif
