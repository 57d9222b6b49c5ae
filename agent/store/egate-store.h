/* SPDX-License-Identifier: GPL-2.0 */
/*
 * egate-store.h - the kiosk agent's SQLite database: the gallery of enrolled
 * travellers and their face templates, and the append-only audit log.
 * Documentation/agent-store.md has the schema and the durability choices.
 *
 * One struct egate_store is one connection: use it from one thread at a
 * time.  Functions return 0 (or a count) or a negative errno: -EINVAL for
 * arguments out of bounds, -ENOENT for a missing traveller, -EBUSY when
 * another process held the database past the busy timeout, -EBADMSG for a
 * corrupt database, -EIO, -ENOSPC, -ENOMEM.  egate_store_last_error()
 * says more about the last failure.
 */
#ifndef EGATE_STORE_H
#define EGATE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define EGATE_TEMPLATE_DIM 128			/* float32 values per template */
#define EGATE_STORE_LABEL_MAX 128		/* traveller label, bytes */
#define EGATE_STORE_LANE_MAX 63			/* lane name, bytes */
#define EGATE_STORE_DOCUMENT_MAX 63		/* document id, bytes */
#define EGATE_STORE_TEMPLATES_PER_TRAVELLER_MAX 32
#define EGATE_STORE_GALLERY_MAX (16u * 1024 * 1024)	/* templates loaded */
#define EGATE_STORE_GALLERY_BATCH 4096		/* templates read at a time */

struct egate_store;

enum egate_store_open_flags {
	/*
	 * Create the file if it is missing (and its folder, if that is
	 * missing too), whatever the umask: the file 0600 and the folder
	 * 0700, or 0640 and 0750 with an audit_group.  -wal and -shm take
	 * the file's mode and group.  Without it a missing file is -ENOENT.
	 */
	EGATE_STORE_CREATE = 1 << 0,
	/*
	 * Read only: nothing is written, not even the schema version; a
	 * read-only file or medium will do.  A database whose schema is
	 * older than this program's is refused (-EROFS): open it once for
	 * writing to upgrade it.  Not with EGATE_STORE_CREATE.
	 */
	EGATE_STORE_READ_ONLY = 1 << 1,
};

struct egate_store_options {
	unsigned int flags;		/* enum egate_store_open_flags */
	unsigned int busy_timeout_ms;	/* waiting for another process's lock */
	/* Creating: the group that may read the database; NULL: none. */
	const char *audit_group;
};

/*
 * Opens (or creates) the database, checks its integrity and brings its
 * schema up to date.  A corrupt or foreign file is refused (-EBADMSG,
 * -EMEDIUMTYPE, -EPROTONOSUPPORT for a newer schema) and left untouched;
 * err receives one line saying why.
 */
int egate_store_open(const char *path, const struct egate_store_options *options,
		     struct egate_store **ret, char *err, size_t err_size);
void egate_store_close(struct egate_store *store);
const char *egate_store_last_error(const struct egate_store *store);
/* The schema version this program writes (PRAGMA user_version). */
int egate_store_schema_version(void);

/* --- gallery ------------------------------------------------------------ */

struct egate_traveller {
	int64_t id;				/* > 0 */
	const char *label;			/* valid during the callback */
	const char *expires;			/* "YYYY-MM-DD", NULL: never */
	unsigned int n_templates;
	int64_t enrolled_us;			/* CLOCK_REALTIME, microseconds */
};

/*
 * Who changes the gallery, for the audit record each change writes in its
 * own transaction: uid is the acting process's getuid() (never a name
 * typed in), lane the lane the records name (1..EGATE_STORE_LANE_MAX
 * bytes), reason why (1..EGATE_AUDIT_TEXT_MAX bytes; NULL: none, which a
 * delete does not accept).
 */
struct egate_store_actor {
	uint32_t uid;
	const char *lane;
	const char *reason;
};

/*
 * Enrols a traveller with n_templates templates (EGATE_TEMPLATE_DIM floats
 * each, back to back), all or nothing.  label: 1..EGATE_STORE_LABEL_MAX
 * printable bytes; expires: "YYYY-MM-DD" (valid through that day, UTC) or
 * NULL for no expiry.
 */
int egate_store_enrol(struct egate_store *store, const struct egate_store_actor *actor,
		      const char *label,
		      const char *expires, const float *templates,
		      size_t n_templates, int64_t *ret_id);
/* More templates for an enrolled traveller, up to the per-traveller limit. */
int egate_store_add_templates(struct egate_store *store, const struct egate_store_actor *actor,
			      int64_t traveller_id,
			      const float *templates, size_t n_templates);
/*
 * Deletes the traveller and every template of theirs: -ENOENT if none.
 * Then no byte of their templates is left in the database or its WAL
 * (zeroed, checkpointed, the WAL truncated).  -EAGAIN when another
 * connection's read kept the checkpoint from finishing within the busy
 * timeout: the traveller is deleted from the gallery, but their templates
 * are still in the files until a checkpoint succeeds, which the next
 * delete (of anyone, even of an id that is gone) tries again.
 */
int egate_store_delete_traveller(struct egate_store *store, const struct egate_store_actor *actor,
				 int64_t traveller_id);

/* Calls cb for each traveller by id; a negative return stops and is returned. */
typedef int (*egate_traveller_cb)(const struct egate_traveller *t, void *userdata);
int egate_store_list_travellers(struct egate_store *store, egate_traveller_cb cb,
				void *userdata);

/*
 * Changes whenever a template is added or removed (by any process): reload
 * the gallery when it differs.  Expiry is by date, so reload daily too.
 */
int egate_store_gallery_version(struct egate_store *store, uint64_t *ret);

/*
 * Every template of every traveller not expired at time now, from one
 * snapshot, in the order they were stored, in batches of up to
 * EGATE_STORE_GALLERY_BATCH: the face engine builds its gallery from them
 * without all of them in memory at once.  cb is called for each batch (not
 * at all for an empty gallery); a negative return stops the read and is
 * returned.  The batch's arrays are valid during the call and wiped after
 * the read.  -E2BIG over
 * EGATE_STORE_GALLERY_MAX; a read error halfway returns it after the
 * batches before it were given.
 */
struct egate_gallery_batch {
	size_t total;			/* templates in the whole gallery */
	size_t first;			/* index of the batch's first template */
	size_t n;			/* templates in this batch */
	const int64_t *traveller_ids;	/* n: template i is traveller_ids[i]'s */
	const float *templates;		/* n x EGATE_TEMPLATE_DIM */
};
typedef int (*egate_gallery_batch_cb)(const struct egate_gallery_batch *batch, void *userdata);
int egate_store_read_gallery(struct egate_store *store, time_t now,
			     egate_gallery_batch_cb cb, void *userdata);

/*
 * The travellers the centre flagged "refer to officer" (egate-central
 * flag, Documentation/fleet.md): an admission of one of them is a denial
 * with reason "referred".  A change of the flag changes the gallery
 * version: read them with the gallery.
 */
struct egate_referrals;
int egate_store_load_referrals(struct egate_store *store, struct egate_referrals **ret);
/* False for NULL (none loaded). */
bool egate_referrals_contains(const struct egate_referrals *referrals, int64_t traveller_id);
size_t egate_referrals_count(const struct egate_referrals *referrals);
void egate_referrals_free(struct egate_referrals *referrals);

/* --- audit log ---------------------------------------------------------- */

enum egate_audit_kind {
	EGATE_AUDIT_DECISION,	/* the agent decided about a face */
	EGATE_AUDIT_PASSAGE,	/* the lane driver reported how a passage ended */
	EGATE_AUDIT_PURGE,	/* the retention purge ran (written by the store) */
	EGATE_AUDIT_CHECKPOINT,	/* a signed chain head (egate_store_audit_checkpoint) */
	EGATE_AUDIT_GALLERY,	/* an enrolment, update, deletion or expiry erasure */
	EGATE_AUDIT_OFFICER,	/* an officer's command to the lane */
	EGATE_AUDIT_LANE_EVENT,	/* an alarm, an emergency, out of service and back */
	EGATE_AUDIT_KIND_COUNT
};

#define EGATE_AUDIT_HASH_SIZE 32	/* SHA-256 */
#define EGATE_AUDIT_SIGNATURE_SIZE 64	/* Ed25519 */
#define EGATE_AUDIT_TEXT_MAX 255	/* detail, actor, action, reason: bytes */

/* The actions of lane event records (EGATE_AUDIT_LANE_EVENT). */
#define EGATE_AUDIT_LANE_ALARM "alarm"			/* detail: which, beams */
#define EGATE_AUDIT_LANE_EMERGENCY "emergency"		/* the emergency input active */
#define EGATE_AUDIT_LANE_EMERGENCY_CLEAR "emergency_clear"
#define EGATE_AUDIT_LANE_OUT_OF_SERVICE "out_of_service"	/* detail: why */
#define EGATE_AUDIT_LANE_IN_SERVICE "in_service"	/* detail: for how long it was not */
#define EGATE_AUDIT_LANE_EVENTS_LOST "events_lost"	/* detail: which, how */
#define EGATE_AUDIT_LANE_REFERRED "referred"		/* detail: whom the centre flagged */
/* The reason of a deny record for a traveller flagged "refer to officer". */
#define EGATE_AUDIT_REASON_REFERRED "referred"

enum egate_decision {
	EGATE_DECISION_ADMIT,		/* identity confirmed: passage authorised */
	EGATE_DECISION_DENY,		/* not recognised in time, or 1:1 mismatch */
	EGATE_DECISION_ONE_AT_A_TIME,	/* several faces in view */
	EGATE_DECISION_COUNT
};

enum egate_passage_outcome {
	EGATE_OUTCOME_PASSED,
	EGATE_OUTCOME_EXPIRED,		/* authorisation not used in time */
	EGATE_OUTCOME_CANCELLED,
	EGATE_OUTCOME_ABORTED,
	EGATE_OUTCOME_TAILGATING,
	EGATE_OUTCOME_WRONG_WAY,
	EGATE_OUTCOME_INTRUSION,
	EGATE_OUTCOME_LOITERING,
	EGATE_OUTCOME_FORCED_DOOR,
	EGATE_OUTCOME_OBSTRUCTION,
	EGATE_OUTCOME_EMERGENCY,
	EGATE_OUTCOME_FAULT,
	EGATE_OUTCOME_COUNT
};

/*
 * One audit record.  Decisions fill decision, score, margin and quality
 * (NaN: not measured); passages fill outcome and decision_id (the decision
 * that authorised it, 0: none).  traveller_id 0 means unknown (NULL).
 * A decision about a face it did not admit may name its candidate: the
 * nearest enrolled traveller (or reference) and that one's distance;
 * candidate_id 0 means none (both NULL).  A 1:1 decision names the
 * document whose reference the face was compared with (NULL: not 1:1, or
 * a document without an id).  time_us 0 means now when appending.
 * A decision may say why (reason, e.g. "presentation_attack") and what
 * else it rests on (detail, e.g. the PAD scores); NULL: nothing more.
 */
struct egate_audit_record {
	int64_t id;			/* set by the store */
	enum egate_audit_kind kind;
	int64_t time_us;		/* CLOCK_REALTIME, microseconds */
	const char *lane;		/* 1..EGATE_STORE_LANE_MAX bytes */
	int64_t traveller_id;
	double score, margin, quality;
	enum egate_decision decision;
	enum egate_passage_outcome outcome;
	int64_t decision_id;
	int64_t candidate_id;		/* decisions: nearest, not admitted */
	double candidate_distance;	/* finite when candidate_id > 0 */
	const char *document_id;	/* decisions: 1..EGATE_STORE_DOCUMENT_MAX bytes, NULL */
	/* purge records: what was deleted; lane events: what the lane said */
	const char *detail;
	/*
	 * Gallery and officer records: who (uid, from the kernel, never
	 * typed), the name an officer typed (NULL: none), what
	 * (gallery: "enrol", "update", "delete", "expire"; officer: the
	 * command) and why (reason, required for a gallery delete).
	 */
	uint32_t actor_uid;
	const char *actor;
	const char *action;
	const char *reason;
	/*
	 * Lane events fill action (EGATE_AUDIT_LANE_* below), detail
	 * (1..EGATE_AUDIT_TEXT_MAX bytes, NULL: none) and decision_id (the
	 * authorisation the lane was carrying out, 0: none).
	 */
	/*
	 * Set by the store.  Purge: removed ids first_id..last_id, last_hash
	 * the hash of record last_id.  Checkpoint: last_id and last_hash are
	 * the chain head it signs, signature the Ed25519 signature.
	 */
	int64_t first_id, last_id;
	const uint8_t *last_hash;
	const uint8_t *signature;
	/* Set by the store: this record's link in the chain (foreach). */
	const uint8_t *hash;
};

int egate_store_audit_append(struct egate_store *store,
			     const struct egate_audit_record *record, int64_t *ret_id);

/* Records with id > after_id, oldest first; a negative cb return stops. */
typedef int (*egate_audit_cb)(const struct egate_audit_record *r, void *userdata);
int egate_store_audit_foreach(struct egate_store *store, int64_t after_id,
			      egate_audit_cb cb, void *userdata);

/*
 * The retention purge, the only way records leave the log: deletes the
 * oldest records by id up to the first one not older than days before
 * now_us (the chain loses a prefix only), erases the travellers whose
 * enrolment expired (the day before now_us's, UTC, or earlier) with every
 * template of theirs, each with a gallery record "expire" under getuid(),
 * and appends a purge record naming the ids it removed and the hash of
 * the last, in one transaction; a purge that found nothing to delete
 * writes nothing.  *ret_deleted: how many audit records went.
 *
 * now_us is not trusted further than what the database has seen: the
 * newest decision, passage or enrolment stored stands in for now_us when
 * it is older, so a clock set years ahead deletes nothing recent.  Erased
 * templates are checkpointed out of the WAL as by a delete (-EAGAIN: the
 * purge is done, the checkpoint not yet).
 *
 * A lane fed by a centre (egate-sync wrote its state) never loses a
 * record the centre has not archived: the purge stops at the last one
 * acknowledged, and *ret_held (NULL: not wanted) says how many records
 * older than the window it kept for that.
 */
int egate_store_audit_purge(struct egate_store *store, unsigned int days,
			    int64_t now_us, uint64_t *ret_deleted, uint64_t *ret_held);

/* --- the audit chain (Documentation/audit.md) ----------------------------- */

/*
 * A signed checkpoint of the chain head.  secret_key: the lane's Ed25519
 * key (libsodium's 64 bytes, egate_reference_secret_load() reads its
 * file).  Writes a checkpoint record when at least every_records records
 * were appended since the last checkpoint, or every_s seconds passed since
 * it and a record was appended; every_records 0 forces one (shutdown)
 * unless the head is a checkpoint already.  Returns 1 and fills *ret when
 * it wrote one, 0 when none was due.
 */
struct egate_audit_checkpoint {
	int64_t id;			/* the checkpoint record */
	int64_t time_us;
	int64_t head_id;		/* the record it signs the chain up to */
	uint8_t head[EGATE_AUDIT_HASH_SIZE];
	uint8_t genesis[EGATE_AUDIT_HASH_SIZE];
	uint8_t signature[EGATE_AUDIT_SIGNATURE_SIZE];
	uint8_t hash[EGATE_AUDIT_HASH_SIZE];	/* the checkpoint record's own */
	char lane[EGATE_STORE_LANE_MAX + 1];
};
int egate_store_audit_checkpoint(struct egate_store *store, const uint8_t secret_key[64],
				 unsigned int every_records, unsigned int every_s,
				 int64_t now_us, struct egate_audit_checkpoint *ret);
/*
 * Sends the checkpoint to the journal (MESSAGE_ID below, and the fields
 * EGATE_AUDIT_PUBLISHED=ID:HASH, EGATE_AUDIT_HEAD_ID, EGATE_AUDIT_HEAD,
 * EGATE_AUDIT_SIGNATURE, EGATE_AUDIT_GENESIS, EGATE_AUDIT_LANE), so that a
 * database cut back to before it is caught against the journal.
 */
#define EGATE_AUDIT_CHECKPOINT_MESSAGE_ID "5c1b2f0e8a6d4b7f9e3a1c2d4e6f8a0b"
int egate_audit_checkpoint_publish(const struct egate_audit_checkpoint *cp);

enum egate_audit_problem {
	EGATE_AUDIT_OK,
	EGATE_AUDIT_BROKEN_LINK,	/* record's hash does not follow: edited, reordered */
	EGATE_AUDIT_MISSING_RANGE,	/* records missing_first..missing_last are gone */
	EGATE_AUDIT_BAD_SIGNATURE,	/* a checkpoint's signature or head is wrong */
	EGATE_AUDIT_TRUNCATED,		/* the tail is gone: head or published checkpoint */
	EGATE_AUDIT_BAD_GENESIS,	/* audit_chain altered, or no chain at all */
	EGATE_AUDIT_PROBLEM_COUNT
};

struct egate_audit_verify_options {
	const uint8_t *public_key;	/* 32 bytes; NULL: signatures not checked */
	/* Start at the last checkpoint at or before since_us (needs the key); 0: genesis. */
	int64_t since_us;
	/* A published checkpoint (the journal's EGATE_AUDIT_PUBLISHED); id 0: none. */
	int64_t published_id;
	uint8_t published_hash[EGATE_AUDIT_HASH_SIZE];
};

struct egate_audit_verify_result {
	enum egate_audit_problem problem;
	int64_t record_id;		/* where the problem was found */
	int64_t missing_first, missing_last;	/* EGATE_AUDIT_MISSING_RANGE */
	int64_t first_id;		/* the first record verified */
	int64_t head_id;		/* the last record verified */
	uint8_t head[EGATE_AUDIT_HASH_SIZE];
	uint64_t records, checkpoints;	/* verified */
	int64_t last_checkpoint_id;	/* 0: none; records after it are unsigned */
	char message[256];
};

/*
 * Walks the chain (a read-only open will do): returns 0 with
 * result->problem saying what it found first (EGATE_AUDIT_OK: nothing),
 * or a negative errno when it could not read the database.
 */
int egate_store_audit_verify(struct egate_store *store,
			     const struct egate_audit_verify_options *options,
			     struct egate_audit_verify_result *result);
const char *egate_audit_problem_name(enum egate_audit_problem problem);

const char *egate_audit_kind_name(enum egate_audit_kind kind);
const char *egate_decision_name(enum egate_decision decision);
const char *egate_passage_outcome_name(enum egate_passage_outcome outcome);

#endif
