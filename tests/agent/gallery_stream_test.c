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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "test-gallery.h"
#include "test-files.h"
#include "test-sql.h"
#include "kselftest_harness.h"

#define D EGATE_TEMPLATE_DIM
#define PER_TRAVELLER TEST_GALLERY_PER_TRAVELLER

static struct synth toy;	/* synth_toy(): templates without the models */

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
	struct egate_conf *conf;
	struct agent a;
};

FIXTURE_SETUP(stream)
{
	char err[256];

	synth_toy(&toy);
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
 * path: 400 searches, top 10, compared field by field, distances to the
 * bit. */
TEST_F_TIMEOUT(stream, same_results_as_built_from_all_floats, 600)
{
	const size_t n = EGATE_FACE_GALLERY_INT8_FROM;
	struct egate_face_gallery *all = NULL;
	struct store_job job;
	float x[D];
	int differ = 0;

	ASSERT_EQ(0, test_gallery_fill(self->db, n, &toy, SIZE_MAX));
	ASSERT_EQ(0, load(self->store, &job)) TH_LOG("%s", job.error);
	ASSERT_EQ(EGATE_FACE_GALLERY_INT8, egate_face_gallery_kind(job.gallery));
	ASSERT_EQ(n, egate_face_gallery_size(job.gallery));
	ASSERT_EQ(n, job.n_templates);

	ASSERT_EQ(0, egate_face_gallery_new(EGATE_FACE_GALLERY_INT8, n, &all));
	/* one scan thread: with two, which runs each claims varies, and so
	 * does the union of their short lists */
	ASSERT_EQ(0, egate_face_gallery_set_threads(job.gallery, 1));
	for (size_t i = 0; i < n; i++) {
		synth_draw(&toy, i, x);
		ASSERT_EQ((int64_t)i, egate_face_gallery_add(all, 1 + i / PER_TRAVELLER, x));
	}
	for (int q = 0; q < 400; q++) {
		/* a short list of 10 a thread: the results are the codes' own
		 * order, so any difference in the codes shows */
		struct egate_face_search_opts so = { .k = 10, .shortlist = 10 };
		struct egate_face_match ms[10], ma[10];
		int ns, na;

		/* even: a template and some noise (a traveller); odd: a stranger */
		synth_draw(&toy, q % 2 ? n + (size_t)q : (size_t)q * 163 % n, x);
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

	ASSERT_EQ(0, test_gallery_fill(self->db, n, &toy, SIZE_MAX));
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

/* The agent asks for the gallery again (SIGHUP) and gets the store
 * worker's answer (the job run here, as the worker runs it). */
static void reload(struct agent *a, struct store_job *job)
{
	*job = (struct store_job){ .kind = STORE_GALLERY, .version = a->gallery_version,
				   .force = true, .now_s = time(NULL) };
	store_job_run(a->store, job);
	agent_on_gallery(a, job);
}

/* Its first template finds traveller 1 at distance 0: the gallery works. */
static bool finds_first(const struct egate_face_gallery *g)
{
	struct egate_face_match m;
	float x[D];

	synth_draw(&toy, 0, x);
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

	ASSERT_EQ(0, test_gallery_fill(self->db, n, &toy, SIZE_MAX));
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

	reload(&self->a, &job);
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

	ASSERT_EQ(0, test_gallery_fill(self->db, PER_TRAVELLER, &toy, SIZE_MAX));
	ASSERT_EQ(0, agent_gallery_load(&self->a));
	old = self->a.gallery;
	ASSERT_EQ(PER_TRAVELLER, egate_face_gallery_size(old));
	ASSERT_EQ(0, raw_sql(self->db, "DELETE FROM templates; DELETE FROM travellers", NULL, 0));
	/* a NaN at 40000 of 65536 (written by another program) */
	ASSERT_EQ(0, test_gallery_fill(self->db, n, &toy, 40000));

	reload(&self->a, &job);
	EXPECT_EQ(-EINVAL, job.result);
	EXPECT_NE(NULL, strstr(job.error, "building the search index")) TH_LOG("%s", job.error);
	EXPECT_EQ(NULL, job.gallery);
	EXPECT_EQ(old, self->a.gallery);
	EXPECT_EQ(PER_TRAVELLER, egate_face_gallery_size(self->a.gallery));
	EXPECT_TRUE(finds_first(self->a.gallery));
}

TEST_HARNESS_MAIN
