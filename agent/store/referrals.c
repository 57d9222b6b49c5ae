// SPDX-License-Identifier: GPL-2.0
/*
 * referrals.c - the travellers flagged "refer to officer" by the centre
 * (travellers.referred, Documentation/fleet.md), as the agent checks an
 * admission against them: their ids, sorted, read with the gallery.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>

#include "store-internal.h"

struct egate_referrals {
	size_t n;
	int64_t ids[];			/* ascending */
};

void egate_referrals_free(struct egate_referrals *referrals)
{
	free(referrals);
}

DEFINE_POINTER_CLEANUP(struct egate_referrals, referrals_freep, egate_referrals_free)

int egate_store_load_referrals(struct egate_store *store, struct egate_referrals **ret)
{
	_cleanup_rollback_ struct egate_store *tx = NULL;	/* ends the read, last */
	_cleanup_(referrals_freep) struct egate_referrals *set = NULL;
	_cleanup_finalize_ sqlite3_stmt *count = NULL, *rows = NULL;
	int64_t n;
	int rc, r;

	assert(store);
	assert(ret);
	r = store_exec(store, "BEGIN");	/* one snapshot: counted, then read */
	if (r < 0)
		return r;
	tx = store;
	r = store_prepare(store, "SELECT count(*) FROM travellers WHERE referred", &count);
	if (r >= 0)
		r = store_step_row(store, count);
	if (r < 0)
		return r;
	n = sqlite3_column_int64(count, 0);
	if (n > EGATE_STORE_GALLERY_MAX)
		return -E2BIG;
	set = malloc(sizeof(*set) + (size_t)n * sizeof(set->ids[0]));
	if (!set)
		return -ENOMEM;
	set->n = 0;
	r = store_prepare(store, "SELECT id FROM travellers WHERE referred ORDER BY id", &rows);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(rows)) == SQLITE_ROW) {
		if (set->n == (size_t)n)
			return -EBADMSG;
		set->ids[set->n++] = sqlite3_column_int64(rows, 0);
	}
	if (rc != SQLITE_DONE)
		return store_errno(store->db, rc);
	*ret = TAKE_PTR(set);
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

bool egate_referrals_contains(const struct egate_referrals *referrals, int64_t traveller_id)
{
	return referrals && traveller_id > 0 &&
	       bsearch(&traveller_id, referrals->ids, referrals->n, sizeof(referrals->ids[0]),
		       cmp_id);
}

size_t egate_referrals_count(const struct egate_referrals *referrals)
{
	return referrals ? referrals->n : 0;
}
