/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sync.h - egate-sync's two jobs (Documentation/fleet.md): the gallery
 * down from the centre, the audit log up to it.  Both work on an open
 * lane database and a connection to the centre, and return 0 or a
 * negative errno with one line in err: -ECONNRESET when the connection
 * failed (the centre is offline), -EBADMSG when the centre refused the
 * lane's audit chain (err names the record), -EPERM when it refused the
 * lane, other errnos from the store.
 */
#ifndef EGATE_SYNC_H
#define EGATE_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>

#include "egate-store.h"

#define SYNC_BATCH_DEFAULT 500
#define SYNC_BATCH_MAX 10000		/* the centre's limit per call */

struct sync_job {
	struct egate_store *store;
	PGconn *pg;
	struct egate_store_actor actor;	/* for the gallery records of changes */
	unsigned int batch;		/* changes, records per call */
	char *err;
	size_t err_size;
};

/* What the centre said at contact (egate.lane_hello). */
struct sync_hello {
	char lane[64];
	uint64_t central_version;
	int64_t archived_seq;
};
int sync_hello(struct sync_job *job, uint64_t gallery_version, struct sync_hello *ret);

/* Pulls and applies every change after the lane's version: *ret_changes applied. */
int sync_gallery_down(struct sync_job *job, uint64_t *ret_changes);

/*
 * Pushes the records after what the centre acknowledged (the lane's own
 * record of it, or the centre's archive head if that is behind it), and
 * records each acknowledgement: *ret_records sent (and acknowledged).
 */
int sync_audit_up(struct sync_job *job, int64_t archived_seq, uint64_t *ret_records);

/*
 * Prints the lane's lag (as JSON: one object), connecting job->pg to
 * central; lane names the lane while the centre does not answer.
 */
int sync_status(struct sync_job *job, const char *central, const char *lane, bool json);

/* Maps a failed query: -ECONNRESET for a lost connection, else -EPERM or err. */
int sync_query_error(struct sync_job *job);

#endif
