// SPDX-License-Identifier: GPL-2.0
/*
 * audit bench (make bench): verifying the audit chain of RECORDS records
 * (EGATE_AUDIT_BENCH_RECORDS to change it), one checkpoint per 100, signed
 * and checked, from a read-only open, as egate-audit verify does.  The
 * database is written first, in a tmpfs folder (/dev/shm), by the store's
 * own append (the same chain code) but 100 records per transaction, then a
 * checkpoint: one durable transaction per record, as the agent writes,
 * would take minutes to fill it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "egate-store.h"
#include "store-internal.h"
#include "test-files.h"

#define RECORDS 1000000
#define CHECKPOINT_EVERY 100

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fill(const char *path, long records, const uint8_t sk[64])
{
	struct egate_audit_record rec = {
		.kind = EGATE_AUDIT_DECISION, .lane = "lane-1", .traveller_id = 42, .score = 0.31,
		.margin = 0.12, .quality = 0.8, .decision = EGATE_DECISION_ADMIT,
		.time_us = 2000000000LL * 1000000,
	};
	struct egate_store_options o = { .flags = EGATE_STORE_CREATE, .busy_timeout_ms = 1000 };
	struct egate_audit_checkpoint cp;
	struct egate_store *s = NULL;
	char err[256];
	int r;

	r = egate_store_open(path, &o, &s, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "audit bench: %s\n", err);
		return r;
	}
	for (long i = 0; r >= 0 && i < records; i += CHECKPOINT_EVERY) {
		struct egate_store *tx = NULL;

		r = store_begin(s, &tx);
		for (long j = i; r >= 0 && j < i + CHECKPOINT_EVERY && j < records; j++) {
			rec.time_us += 1000;
			r = audit_append_locked(s, &rec, NULL);
		}
		if (r >= 0)
			r = store_commit(&tx);
		store_rollbackp(&tx);
		if (r >= 0)
			r = egate_store_audit_checkpoint(s, sk, 0, 0, rec.time_us, &cp);
	}
	egate_store_close(s);
	return r < 0 ? r : 0;
}

int main(void)
{
	const char *env = getenv("EGATE_AUDIT_BENCH_RECORDS");
	long records = env ? atol(env) : RECORDS;
	struct egate_store_options o = { .flags = EGATE_STORE_READ_ONLY, .busy_timeout_ms = 1000 };
	struct egate_audit_verify_result res;
	uint8_t pk[32], sk[64];
	char dir[PATH_MAX] = "/dev/shm/egate-audit-bench.XXXXXX", path[PATH_MAX + 16], err[256];
	struct egate_store *s = NULL;
	double t0, t1, t2;
	int r;

	if (records < 1 || sodium_init() < 0 || !mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/egate.db", dir);
	crypto_sign_keypair(pk, sk);
	t0 = now_s();
	r = fill(path, records, sk);
	t1 = now_s();
	if (r >= 0)
		r = egate_store_open(path, &o, &s, err, sizeof(err));
	if (r >= 0)
		r = egate_store_audit_verify(s, &(struct egate_audit_verify_options){
			.public_key = pk }, &res);
	t2 = now_s();
	egate_store_close(s);
	test_dir_remove(dir);
	if (r < 0 || res.problem != EGATE_AUDIT_OK) {
		fprintf(stderr, "audit bench: %s\n", r < 0 ? strerror(-r) : res.message);
		return 1;
	}
	printf("audit chain, %ld records + %llu signed checkpoints:\n", records,
	       (unsigned long long)res.checkpoints);
	printf("  verify: %.2f s (%.2f us/record)\n", t2 - t1, (t2 - t1) * 1e6 / (double)res.records);
	printf("  write (100 per transaction, tmpfs): %.2f s (%.1f us/record)\n", t1 - t0,
	       (t1 - t0) * 1e6 / (double)records);
	return 0;
}
