// SPDX-License-Identifier: GPL-2.0
/*
 * gallery_stream_test - the agent's gallery built from the store's batches
 * (a real SQLite store, filled by plain SQL): on the quantised path it
 * searches exactly as the gallery built from all the floats at once (same
 * ids, same distances to the bit); loading it does not hold the floats in
 * memory (peak RSS); a store read that fails halfway (a damaged page) or a
 * bad template halfway fails the load cleanly, and the agent keeps
 * deciding on the gallery it had.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "test-files.h"
#include "test-sql.h"
#include "kselftest_harness.h"

#define D EGATE_TEMPLATE_DIM
#define PER_TRAVELLER 32	/* EGATE_STORE_TEMPLATES_PER_TRAVELLER_MAX */
#define RESULT_MS 120000	/* a result this late is a hang (ASan, busy machine) */

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Template I: a large part common to all (as real descriptors have) and a
 * part of its own, of a spread that differs between dimensions. */
static void tmpl(uint64_t i, float *out)
{
	uint64_t s = i * 0x2545f4914f6cdd1dull;

	for (int d = 0; d < D; d++) {
		float u = (float)(splitmix(&s) >> 40) / 16777216.0f - 0.5f;

		out[d] = 0.1f * sinf((float)d) + (0.02f + 0.001f * (float)d) * u;
	}
}

/* N templates, PER_TRAVELLER a traveller, in one transaction; template
 * BAD (if < N) has a NaN.  The WAL is checkpointed into the file. */
static int fill(const char *path, size_t n, size_t bad)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *t = NULL, *p = NULL;
	float x[D];
	int rc;

	rc = sqlite3_open(path, &db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "INSERT INTO travellers (id, label, enrolled_us)"
					" VALUES (?, 't', 0)", -1, &t, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "INSERT INTO templates (traveller_id, descriptor)"
					" VALUES (?, ?)", -1, &p, NULL);
	for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
		if (i % PER_TRAVELLER == 0) {
			sqlite3_bind_int64(t, 1, (int64_t)(1 + i / PER_TRAVELLER));
			rc = sqlite3_step(t) == SQLITE_DONE ? sqlite3_reset(t) : SQLITE_ERROR;
			if (rc != SQLITE_OK)
				break;
		}
		tmpl(i, x);
		if (i == bad)
			x[7] = NAN;
		sqlite3_bind_int64(p, 1, (int64_t)(1 + i / PER_TRAVELLER));
		sqlite3_bind_blob(p, 2, x, sizeof(x), SQLITE_TRANSIENT);
		rc = sqlite3_step(p) == SQLITE_DONE ? sqlite3_reset(p) : SQLITE_ERROR;
	}
	sqlite3_finalize(t);
	sqlite3_finalize(p);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -EIO;
}

static long vm_hwm_kb(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmHWM:", 6))
			v = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

/* The peak RSS from now on (Linux >= 4.0). */
static int reset_hwm(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	int r = fd >= 0 && write(fd, "5", 1) == 1 ? 0 : -1;

	if (fd >= 0)
		close(fd);
	return r;
}

FIXTURE(stream) {
	char dir[PATH_MAX];
	char db[PATH_MAX + 16];
	struct egate_store *store;
	struct store_worker *w;
	struct egate_conf *conf;
	struct agent a;
};

FIXTURE_SETUP(stream)
{
	char err[256];

	ASSERT_EQ(0, test_dir_new(self->dir));
	snprintf(self->db, sizeof(self->db), "%s/egate.db", self->dir);
	/* the INT8 galleries' float files, with the test's files */
	setenv("TMPDIR", self->dir, 1);
	ASSERT_EQ(0, egate_store_open(self->db, &(struct egate_store_options){
					.flags = EGATE_STORE_CREATE, .busy_timeout_ms = 1000 },
				      &self->store, err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(0, egate_conf_new(&self->conf));
	self->a = (struct agent){ .lane_name = "lane-a", .store = self->store,
				  .settings = egate_conf_settings(self->conf) };
	strcpy(self->a.lane.device, "egate0");
}

FIXTURE_TEARDOWN(stream)
{
	agent_gallery_free(&self->a);
	store_worker_free(self->w);
	egate_store_close(self->store);
	egate_conf_free(self->conf);
	test_dir_remove(self->dir);
}

/* The gallery the agent loads, as its store worker builds it. */
static int load(struct egate_store *store, struct store_job *job)
{
	*job = (struct store_job){ .kind = STORE_GALLERY, .force = true, .now_s = time(NULL) };
	store_job_run(store, job);
	return job->result;
}

/* 65536 templates (a power of two: the all-at-once gallery measured its
 * mean and steps on all of them, as the builder does) on the quantised
 * path: 400 searches, top 10, compared byte for byte. */
TEST_F_TIMEOUT(stream, same_results_as_built_from_all_floats, 600)
{
	const size_t n = EGATE_FACE_GALLERY_INT8_FROM;
	struct egate_face_gallery *all = NULL;
	struct store_job job;
	float x[D];
	int differ = 0;

	ASSERT_EQ(0, fill(self->db, n, SIZE_MAX));
	ASSERT_EQ(0, load(self->store, &job)) TH_LOG("%s", job.error);
	ASSERT_EQ(EGATE_FACE_GALLERY_INT8, egate_face_gallery_kind(job.gallery));
	ASSERT_EQ(n, egate_face_gallery_size(job.gallery));
	ASSERT_EQ(n, job.n_templates);

	ASSERT_EQ(0, egate_face_gallery_new(EGATE_FACE_GALLERY_INT8, n, &all));
	ASSERT_EQ(0, egate_face_gallery_set_threads(all, 2));	/* as the agent's */
	for (size_t i = 0; i < n; i++) {
		tmpl(i, x);
		ASSERT_EQ((int64_t)i, egate_face_gallery_add(all, 1 + i / PER_TRAVELLER, x));
	}
	for (int q = 0; q < 400; q++) {
		struct egate_face_search_opts so = { .k = 10 };
		struct egate_face_match ms[10], ma[10];
		int ns, na;

		/* even: a template and some noise (a traveller); odd: a stranger */
		tmpl(q % 2 ? n + (size_t)q : (size_t)q * 163 % n, x);
		if (q % 2 == 0)
			for (int d = 0; d < D; d++)
				x[d] += 0.002f * sinf((float)(q + d));
		ns = egate_face_gallery_search(job.gallery, x, &so, ms, 10);
		na = egate_face_gallery_search(all, x, &so, ma, 10);
		ASSERT_EQ(10, ns);
		ASSERT_EQ(10, na);
		for (int k = 0; k < 10; k++)
			differ += ms[k].id != ma[k].id || ms[k].index != ma[k].index ||
				  memcmp(&ms[k].distance, &ma[k].distance, sizeof(float));
		if (q % 2 == 0)
			EXPECT_EQ(1 + (uint64_t)q * 163 % n / PER_TRAVELLER, ms[0].id);
	}
	EXPECT_EQ(0, differ);
	egate_face_gallery_free(all);
	egate_face_gallery_free(job.gallery);
}

/* 256k templates, 128 MB of floats: loading them raises the peak RSS by
 * the gallery's codes and ids (20 MB) and a batch, not by the floats
 * (before: a copy of all of them from the store, and all again in the
 * pages of the mapped float file). */
TEST_F_TIMEOUT(stream, load_does_not_hold_the_floats, 900)
{
	const size_t n = 256 * 1024;
	const long floats_kb = (long)(n * D * sizeof(float) / 1024);
	struct store_job job;
	long before, peak;

	ASSERT_EQ(0, fill(self->db, n, SIZE_MAX));
	if (reset_hwm() < 0)
		SKIP(return, "no /proc/self/clear_refs to reset the peak RSS");
	before = vm_hwm_kb();
	ASSERT_EQ(0, load(self->store, &job)) TH_LOG("%s", job.error);
	peak = vm_hwm_kb();
	TH_LOG("peak RSS +%ld kB loading %zu templates (%ld kB of floats; gallery %zu kB)",
	       peak - before, n, floats_kb, egate_face_gallery_memory(job.gallery) / 1024);
	ASSERT_EQ(n, egate_face_gallery_size(job.gallery));
	EXPECT_LT(peak - before, floats_kb * 3 / 8);
	egate_face_gallery_free(job.gallery);
}

static int count_batches(const struct egate_gallery_batch *b, void *userdata)
{
	size_t *read = userdata;

	*read += b->n;
	return 0;
}

/* The next job back from the worker. */
static int take(struct store_worker *w, struct store_job *job)
{
	struct pollfd p = { .fd = store_worker_fd(w), .events = POLLIN };

	for (int waited = 0; waited < RESULT_MS; waited += 10) {
		if (store_worker_take(w, job) == 0)
			return 0;
		poll(&p, 1, 10);
	}
	return -ETIMEDOUT;
}

/* The agent asks for the gallery again (SIGHUP) and gets JOB's answer. */
static int reload(struct agent *a, struct store_job *job)
{
	a->gallery_stale = true;
	agent_gallery_check(a);
	if (!a->gallery_loading || take(a->store_worker, job) < 0)
		return -1;
	agent_on_gallery(a, job);
	return 0;
}

/* Its first template finds traveller 1 at distance 0: the gallery works. */
static bool finds_first(const struct egate_face_gallery *g)
{
	struct egate_face_match m;
	float x[D];

	tmpl(0, x);
	return egate_face_gallery_search(g, x, NULL, &m, 1) == 1 && m.id == 1 && m.distance == 0;
}

TEST_F_TIMEOUT(stream, store_error_halfway_keeps_the_old_gallery, 600)
{
	const size_t n = EGATE_FACE_GALLERY_INT8_FROM;
	struct egate_face_gallery *old;
	struct store_job job;
	long long page, page_size;
	char junk[512];
	size_t read = 0;
	int fd;

	ASSERT_EQ(0, fill(self->db, n, SIZE_MAX));
	ASSERT_EQ(0, agent_gallery_load(&self->a));
	old = self->a.gallery;
	ASSERT_EQ(n, egate_face_gallery_size(old));

	/* a leaf page of the templates in the middle of the file: junk */
	page = raw_count(self->db, "SELECT pageno FROM dbstat WHERE name = 'templates' AND"
			 " pagetype = 'leaf' ORDER BY pageno LIMIT 1 OFFSET (SELECT count(*) / 2"
			 " FROM dbstat WHERE name = 'templates' AND pagetype = 'leaf')");
	page_size = raw_count(self->db, "PRAGMA page_size");
	ASSERT_LT(0, page);
	ASSERT_LT(0, page_size);
	memset(junk, 0xa5, sizeof(junk));
	fd = open(self->db, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)sizeof(junk), pwrite(fd, junk, sizeof(junk), (page - 1) * page_size));
	close(fd);

	/* the read fails after some batches were given */
	EXPECT_GT(0, egate_store_read_gallery(self->store, time(NULL), count_batches, &read));
	EXPECT_LT(0, read);
	EXPECT_GT(n, read);
	TH_LOG("%zu of %zu templates read before the damaged page", read, n);
	ASSERT_EQ(0, store_worker_new(self->store, NULL, &self->w));
	self->a.store_worker = self->w;

	ASSERT_EQ(0, reload(&self->a, &job));
	EXPECT_GT(0, job.result);
	EXPECT_EQ(NULL, job.gallery);
	EXPECT_TRUE(self->a.gallery_failing);
	EXPECT_EQ(old, self->a.gallery);
	EXPECT_EQ(NULL, self->a.gallery_next);
	EXPECT_EQ(n, egate_face_gallery_size(self->a.gallery));
	EXPECT_TRUE(finds_first(self->a.gallery));
}

TEST_F_TIMEOUT(stream, bad_template_halfway_keeps_the_old_gallery, 600)
{
	const size_t n = EGATE_FACE_GALLERY_INT8_FROM;
	struct egate_face_gallery *old;
	struct store_job job;

	ASSERT_EQ(0, fill(self->db, PER_TRAVELLER, SIZE_MAX));
	ASSERT_EQ(0, agent_gallery_load(&self->a));
	old = self->a.gallery;
	ASSERT_EQ(PER_TRAVELLER, egate_face_gallery_size(old));
	ASSERT_EQ(0, store_worker_new(self->store, NULL, &self->w));
	self->a.store_worker = self->w;
	ASSERT_EQ(0, raw_sql(self->db, "DELETE FROM templates; DELETE FROM travellers", NULL, 0));
	/* a NaN at 40000 of 65536 (written by another program) */
	ASSERT_EQ(0, fill(self->db, n, 40000));

	ASSERT_EQ(0, reload(&self->a, &job));
	EXPECT_EQ(-EINVAL, job.result);
	EXPECT_NE(NULL, strstr(job.error, "building the search index")) TH_LOG("%s", job.error);
	EXPECT_EQ(NULL, job.gallery);
	EXPECT_EQ(old, self->a.gallery);
	EXPECT_EQ(PER_TRAVELLER, egate_face_gallery_size(self->a.gallery));
	EXPECT_TRUE(finds_first(self->a.gallery));
}

TEST_HARNESS_MAIN
