// SPDX-License-Identifier: GPL-2.0
/*
 * audit-up.c - the lane's audit records pushed to the centre in batches,
 * each record as its canonical encoding with its chain hash: the centre's
 * egate.push_audit() checks every link and archives the records by (lane,
 * id), so a batch sent again after a lost acknowledgement changes nothing.
 * The lane records what the centre acknowledged (egate_store_sync_ack).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "egate-store-sync.h"
#include "pg.h"
#include "sync.h"

/* A batch as the three array literals push_audit() takes. */
struct push {
	FILE *seq, *canonical, *hash;
	char *seq_text, *canonical_text, *hash_text;
	size_t seq_size, canonical_size, hash_size;
	size_t n;
	int64_t last_id;
};

static void push_close(struct push *p)
{
	if (p->seq)
		fclose(p->seq);
	if (p->canonical)
		fclose(p->canonical);
	if (p->hash)
		fclose(p->hash);
	p->seq = p->canonical = p->hash = NULL;
}

static void push_free(struct push *p)
{
	push_close(p);
	free(p->seq_text);
	free(p->canonical_text);
	free(p->hash_text);
}

/* An array element: "\\x..." (the backslash escaped inside the array literal). */
static void put_bytes(FILE *f, bool first, const uint8_t *bytes, size_t n)
{
	char hex[2 * EGATE_AUDIT_CANONICAL_MAX + 3];

	pg_hex(bytes, n, hex);
	fprintf(f, "%s\"\\%s\"", first ? "{" : ",", hex);
}

static int add_record(const struct egate_audit_encoded *e, void *userdata)
{
	struct push *p = userdata;
	bool first = !p->n;

	fprintf(p->seq, "%s%" PRId64, first ? "{" : ",", e->id);
	put_bytes(p->canonical, first, e->canonical, e->size);
	put_bytes(p->hash, first, e->hash, EGATE_AUDIT_HASH_SIZE);
	p->n++;
	p->last_id = e->id;
	return 0;
}

/* The records after after_id, up to job->batch, as array literals. */
static int collect(struct sync_job *job, int64_t after_id, struct push *p)
{
	int r;

	p->seq = open_memstream(&p->seq_text, &p->seq_size);
	p->canonical = open_memstream(&p->canonical_text, &p->canonical_size);
	p->hash = open_memstream(&p->hash_text, &p->hash_size);
	if (!p->seq || !p->canonical || !p->hash)
		return -ENOMEM;
	r = egate_store_audit_export(job->store, after_id, job->batch, add_record, p);
	if (r < 0) {
		snprintf(job->err, job->err_size, "reading the audit log: %s",
			 egate_store_last_error(job->store));
		return r;
	}
	fputc('}', p->seq);
	fputc('}', p->canonical);
	fputc('}', p->hash);
	push_close(p);	/* the texts are complete */
	return p->seq_text && p->canonical_text && p->hash_text ? 0 : -ENOMEM;
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* One batch after *after_id: pushed, acknowledged; *ret_n records in it. */
static int push_batch(struct sync_job *job, const char *genesis, int64_t *after_id,
		      size_t *ret_n)
{
	_cleanup_pgresult_ PGresult *res = NULL;
	uint8_t prev[EGATE_AUDIT_HASH_SIZE];
	char prev_hex[2 * EGATE_AUDIT_HASH_SIZE + 3];
	struct push p = { 0 };
	int64_t archived;
	int r;

	r = egate_store_audit_link_before(job->store, *after_id, prev);
	if (r >= 0)
		r = collect(job, *after_id, &p);
	*ret_n = p.n;
	if (r < 0 || !p.n) {
		push_free(&p);
		return r;
	}
	pg_hex(prev, sizeof(prev), prev_hex);
	res = pg_query(job->pg, "SELECT archived_seq, refused_seq, problem"
				" FROM egate.push_audit($1, $2, $3, $4, $5)", 5,
		       (const char *[]){ genesis, prev_hex, p.seq_text, p.canonical_text,
					 p.hash_text }, job->err, job->err_size);
	push_free(&p);
	if (!res)
		return sync_query_error(job);
	if (PQntuples(res) != 1)
		return -EPROTO;
	archived = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	r = egate_store_sync_ack(job->store, archived, now_us());
	if (r < 0)
		return r;
	if (!PQgetisnull(res, 0, 2)) {
		if (PQgetisnull(res, 0, 1))
			snprintf(job->err, job->err_size, "the centre refused the lane's audit"
				 " chain: %s", PQgetvalue(res, 0, 2));
		else
			snprintf(job->err, job->err_size, "the centre refused audit record %s: %s",
				 PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
		return -EBADMSG;
	}
	if (archived < p.last_id)
		return -EPROTO;
	*after_id = p.last_id;
	return 0;
}

int sync_audit_up(struct sync_job *job, int64_t archived_seq, uint64_t *ret_records)
{
	uint8_t encoding[EGATE_AUDIT_CANONICAL_MAX];
	_cleanup_free_ char *genesis = NULL;
	struct egate_sync_state state;
	int64_t after_id;
	uint64_t total = 0;
	size_t n;
	int r;

	*ret_records = 0;
	r = egate_store_sync_state(job->store, &state);
	if (r < 0)
		return r;
	r = egate_store_audit_genesis_encoding(job->store, encoding);
	if (r == -ENODATA)
		return 0;	/* no record yet */
	if (r < 0)
		return r;
	genesis = malloc(2 * (size_t)r + 3);
	if (!genesis)
		return -ENOMEM;
	pg_hex(encoding, (size_t)r, genesis);
	/* A centre behind what it acknowledged (restored) gets the rest again. */
	after_id = state.audit_acked_id < archived_seq ? state.audit_acked_id : archived_seq;
	do {
		r = push_batch(job, genesis, &after_id, &n);
		if (r < 0)
			return r;
		total += n;
	} while (n == job->batch);
	*ret_records = total;
	return 0;
}
