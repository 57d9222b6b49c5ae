// SPDX-License-Identifier: GPL-2.0
/*
 * gallery-down.c - contact with the centre, and the gallery pulled from it
 * in batches, each applied to the lane's database in one transaction with
 * the central version it reaches (egate_store_sync_apply): the agent
 * reloads on the gallery version, and finds a whole batch or none of it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egate-store-sync.h"
#include "pg.h"
#include "sync.h"

#define TEMPLATE_BYTES (EGATE_TEMPLATE_DIM * sizeof(float))
#define TRAVELLER_BYTES (EGATE_STORE_TEMPLATES_PER_TRAVELLER_MAX * TEMPLATE_BYTES)

/* Templates travel as the lane stores them: float32, little-endian. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "templates are little-endian");

int sync_query_error(struct sync_job *job)
{
	return PQstatus(job->pg) == CONNECTION_OK ? -EPROTO : -ECONNRESET;
}

int sync_hello(struct sync_job *job, uint64_t gallery_version, struct sync_hello *ret)
{
	_cleanup_pgresult_ PGresult *res = NULL;
	char version[24];

	snprintf(version, sizeof(version), "%" PRIu64, gallery_version);
	res = pg_query(job->pg, "SELECT lane, central_version, archived_seq"
				" FROM egate.lane_hello($1)", 1, (const char *[]){ version },
		       job->err, job->err_size);
	if (!res)
		return sync_query_error(job);
	if (PQntuples(res) != 1)
		return -EPROTO;
	snprintf(ret->lane, sizeof(ret->lane), "%s", PQgetvalue(res, 0, 0));
	ret->central_version = strtoull(PQgetvalue(res, 0, 1), NULL, 10);
	ret->archived_seq = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	return 0;
}

struct batch {
	struct egate_sync_change *changes;
	float **templates;
	size_t n;
};

static void batch_free(struct batch *b)
{
	for (size_t i = 0; b->templates && i < b->n; i++)
		if (b->templates[i]) {
			explicit_bzero(b->templates[i], TRAVELLER_BYTES);
			free(b->templates[i]);
		}
	free(b->templates);
	free(b->changes);
}

/*
 * Row i of pull_gallery(): version, traveller_id, revoked, label,
 * valid_until, templates, referred.
 */
static int change_from_row(PGresult *res, int i, struct egate_sync_change *c, float **ret)
{
	const char *hex = PQgetvalue(res, i, 5);
	float *t;
	int n;

	*c = (struct egate_sync_change){
		.traveller_id = strtoll(PQgetvalue(res, i, 1), NULL, 10),
		.revoked = !strcmp(PQgetvalue(res, i, 2), "t"),
		.label = PQgetisnull(res, i, 3) ? NULL : PQgetvalue(res, i, 3),
		.expires = PQgetisnull(res, i, 4) ? NULL : PQgetvalue(res, i, 4),
		.referred = !strcmp(PQgetvalue(res, i, 6), "t"),
	};
	if (c->revoked || PQgetisnull(res, i, 5))
		return 0;
	t = malloc(TRAVELLER_BYTES);
	if (!t)
		return -ENOMEM;
	*ret = t;
	n = pg_unhex(hex, (uint8_t *)t, TRAVELLER_BYTES);
	if (n < 0 || n % TEMPLATE_BYTES)
		return -EBADMSG;
	c->templates = t;
	c->n_templates = (size_t)n / TEMPLATE_BYTES;
	return 0;
}

/* One pull: *ret_n changes applied, *version moved to the last. */
static int pull_batch(struct sync_job *job, uint64_t *version, size_t *ret_n)
{
	_cleanup_pgresult_ PGresult *res = NULL;
	struct batch b = { 0 };
	char after[24], limit[16];
	int r = 0;

	snprintf(after, sizeof(after), "%" PRIu64, *version);
	snprintf(limit, sizeof(limit), "%u", job->batch);
	res = pg_query(job->pg, "SELECT version, traveller_id, revoked, label, valid_until,"
				" templates, referred FROM egate.pull_gallery($1, $2)", 2,
		       (const char *[]){ after, limit }, job->err, job->err_size);
	if (!res)
		return sync_query_error(job);
	b.n = (size_t)PQntuples(res);
	*ret_n = b.n;
	if (!b.n)
		return 0;
	b.changes = calloc(b.n, sizeof(*b.changes));
	b.templates = calloc(b.n, sizeof(*b.templates));
	if (!b.changes || !b.templates)
		r = -ENOMEM;
	for (size_t i = 0; r >= 0 && i < b.n; i++)
		r = change_from_row(res, (int)i, &b.changes[i], &b.templates[i]);
	if (r >= 0) {
		uint64_t last = strtoull(PQgetvalue(res, (int)b.n - 1, 0), NULL, 10);

		r = egate_store_sync_apply(job->store, &job->actor, b.changes, b.n, last);
		if (r == -EINVAL || r == -EBADMSG)
			snprintf(job->err, job->err_size, "the centre sent a change the lane's"
				 " database refuses (up to version %" PRIu64 ")", last);
		else if (r < 0 && r != -EAGAIN)
			snprintf(job->err, job->err_size, "applying version %" PRIu64 ": %s", last,
				 egate_store_last_error(job->store));
		if (r >= 0 || r == -EAGAIN)
			*version = last;
		r = r == -EAGAIN ? 0 : r;	/* applied; the next delete wipes the WAL */
	}
	batch_free(&b);
	return r;
}

int sync_gallery_down(struct sync_job *job, uint64_t *ret_changes)
{
	struct egate_sync_state state;
	uint64_t total = 0;
	size_t n;
	int r;

	r = egate_store_sync_state(job->store, &state);
	if (r < 0)
		return r;
	do {
		r = pull_batch(job, &state.gallery_version, &n);
		if (r < 0)
			return r;
		total += n;
	} while (n == job->batch);
	*ret_changes = total;
	return 0;
}
