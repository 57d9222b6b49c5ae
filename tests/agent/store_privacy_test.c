// SPDX-License-Identifier: GPL-2.0
/*
 * store_privacy_test - what the store keeps, and who may read it: a new
 * database and its folder are private whatever the umask (or readable by
 * the audit group); a read-only copy can be audited by a user who cannot
 * write it; a deleted or expired traveller leaves no byte of a template
 * in the database or its WAL, and a delete that cannot make sure of that
 * fails; a clock set far ahead erases nothing recent.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "egate-store.h"
#include "test-files.h"
#include "kselftest_harness.h"

#define OPTIONS(f, ms) (&(struct egate_store_options){ .flags = (f), .busy_timeout_ms = (ms) })
/* Who changes the gallery in these tests, and why. */
#define ACTOR (&(struct egate_store_actor){ .uid = 1000, .lane = "lane-1", .reason = "test" })
#define NOBODY 65534

FIXTURE(privacy) {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	char wal[PATH_MAX + 32];
	char err[256];
	struct egate_store *store;
};

FIXTURE_SETUP(privacy)
{
	ASSERT_EQ(0, test_dir_new(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/egate.db", self->dir);
	snprintf(self->wal, sizeof(self->wal), "%s-wal", self->path);
}

FIXTURE_TEARDOWN(privacy)
{
	egate_store_close(self->store);
	test_dir_remove(self->dir);
}

/* A template no other test value resembles: seed + index / 1000. */
static void make_template(float *t, float seed)
{
	for (size_t i = 0; i < EGATE_TEMPLATE_DIM; i++)
		t[i] = seed + (float)i / 1000.0f;
}

static void open_store(struct __test_metadata *_metadata, FIXTURE_DATA(privacy) *self,
		       unsigned int busy_ms)
{
	ASSERT_EQ(0, egate_store_open(self->path, OPTIONS(EGATE_STORE_CREATE, busy_ms),
				      &self->store, self->err, sizeof(self->err)))
		TH_LOG("%s", self->err);
}

/* Whether the database or its WAL holds the template, anywhere. */
static bool files_hold(const FIXTURE_DATA(privacy) *self, const float *t)
{
	return test_file_contains(self->path, t, EGATE_TEMPLATE_DIM * sizeof(float)) == 1 ||
	       test_file_contains(self->wal, t, EGATE_TEMPLATE_DIM * sizeof(float)) == 1;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? (mode_t)-1 : st.st_mode & 07777;
}

TEST_F(privacy, created_private_whatever_the_umask)
{
	char sub[PATH_MAX + 8], path[PATH_MAX + 32], side[PATH_MAX + 40];
	mode_t old = umask(0);
	float t[EGATE_TEMPLATE_DIM];

	snprintf(sub, sizeof(sub), "%s/lib", self->dir);
	snprintf(path, sizeof(path), "%s/egate.db", sub);
	make_template(t, 3);
	EXPECT_EQ(0, egate_store_open(path, OPTIONS(EGATE_STORE_CREATE, 1000), &self->store,
				      self->err, sizeof(self->err))) TH_LOG("%s", self->err);
	umask(old);
	ASSERT_NE(NULL, self->store);
	ASSERT_EQ(0, egate_store_enrol(self->store, ACTOR, "x", NULL, t, 1, NULL));
	EXPECT_EQ(0700, mode_of(sub));
	EXPECT_EQ(0600, mode_of(path));
	snprintf(side, sizeof(side), "%s-wal", path);
	EXPECT_EQ(0600, mode_of(side));
	snprintf(side, sizeof(side), "%s-shm", path);
	EXPECT_EQ(0600, mode_of(side));
	egate_store_close(self->store);
	self->store = NULL;
	unlink(path);
	rmdir(sub);
}

TEST_F(privacy, audit_group_may_read)
{
	struct group *g = getgrgid(getegid());	/* one this process may give */
	struct stat st;
	char name[64];

	ASSERT_NE(NULL, g);
	snprintf(name, sizeof(name), "%s", g->gr_name);
	ASSERT_EQ(0, egate_store_open(self->path, &(struct egate_store_options) {
					.flags = EGATE_STORE_CREATE, .audit_group = name },
				      &self->store, self->err, sizeof(self->err)))
		TH_LOG("%s", self->err);
	ASSERT_EQ(0, stat(self->path, &st));
	EXPECT_EQ(0640, st.st_mode & 07777);
	EXPECT_EQ(getegid(), st.st_gid);
	EXPECT_EQ(0640, mode_of(self->wal));
	egate_store_close(self->store);
	self->store = NULL;

	/* A group that is not there: refused, and nothing made. */
	unlink(self->path);
	EXPECT_EQ(-ENOENT, egate_store_open(self->path, &(struct egate_store_options) {
					.flags = EGATE_STORE_CREATE, .audit_group = "no-such-group-x" },
				      &self->store, self->err, sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "audit group no-such-group-x: no such group"))
		TH_LOG("%s", self->err);
	EXPECT_NE(0, access(self->path, F_OK));
}

static int count_record(const struct egate_audit_record *r, void *userdata)
{
	(void)r;
	++*(int *)userdata;
	return 0;
}

/*
 * An auditor's copy on a medium they cannot write (a file 0444 in a
 * folder 0555, read by nobody): audited without a write, and left as it was.
 */
TEST_F(privacy, read_only_copy_is_audited)
{
	struct egate_audit_record rec = {
		.kind = EGATE_AUDIT_PASSAGE, .lane = "lane", .outcome = EGATE_OUTCOME_PASSED,
	};
	char copy_dir[PATH_MAX + 8], copy[PATH_MAX + 32], shm[PATH_MAX + 40];
	static char cmd[8 * PATH_MAX];
	unsigned long long before;
	int status;
	pid_t pid;

	open_store(_metadata, self, 1000);
	ASSERT_EQ(0, egate_store_audit_append(self->store, &rec, NULL));
	egate_store_close(self->store);	/* the last connection: no -wal left */
	self->store = NULL;
	snprintf(copy_dir, sizeof(copy_dir), "%s/copy", self->dir);
	snprintf(copy, sizeof(copy), "%s/egate.db", copy_dir);
	snprintf(cmd, sizeof(cmd), "mkdir '%s' && cp '%s' '%s' && chmod 0444 '%s' &&"
		 " chmod 0555 '%s' && chmod 0755 '%s'", copy_dir, self->path, copy, copy, copy_dir,
		 self->dir);
	ASSERT_EQ(0, system(cmd));
	before = test_file_hash(copy);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct egate_store *s = NULL;
		int records = 0;

		if (geteuid() == 0 && (setgid(NOBODY) < 0 || setuid(NOBODY) < 0))
			_exit(10);
		if (egate_store_open(copy, OPTIONS(EGATE_STORE_READ_ONLY, 0), &s, self->err,
				     sizeof(self->err)) < 0) {
			fprintf(stderr, "# %s\n", self->err);
			_exit(11);
		}
		if (egate_store_audit_foreach(s, 0, count_record, &records) < 0)
			_exit(12);
		egate_store_close(s);
		_exit(records == 1 ? 0 : 13);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(before, test_file_hash(copy));
	snprintf(shm, sizeof(shm), "%s-shm", copy);
	EXPECT_NE(0, access(shm, F_OK));
	snprintf(cmd, sizeof(cmd), "chmod 0755 '%s' && rm -rf '%s'", copy_dir, copy_dir);
	EXPECT_EQ(0, system(cmd));
	/* Read only and create are exclusive. */
	EXPECT_EQ(-EINVAL, egate_store_open(self->path,
					    OPTIONS(EGATE_STORE_CREATE | EGATE_STORE_READ_ONLY, 0),
					    &self->store, NULL, 0));
}

TEST_F(privacy, deleted_traveller_leaves_no_template)
{
	float gone[EGATE_TEMPLATE_DIM], kept[EGATE_TEMPLATE_DIM];
	int64_t gone_id;

	make_template(gone, 1234.5f);
	make_template(kept, 678.25f);
	open_store(_metadata, self, 1000);
	ASSERT_EQ(0, egate_store_enrol(self->store, ACTOR, "gone", NULL, gone, 1, &gone_id));
	ASSERT_EQ(0, egate_store_enrol(self->store, ACTOR, "kept", NULL, kept, 1, NULL));
	ASSERT_TRUE(files_hold(self, gone));	/* the scan finds what is there */

	ASSERT_EQ(0, egate_store_delete_traveller(self->store, ACTOR, gone_id));
	EXPECT_FALSE(files_hold(self, gone));
	EXPECT_TRUE(files_hold(self, kept));
}

/*
 * A reader holding an old snapshot keeps the checkpoint from copying the
 * zeroed pages home: the delete says so (-EAGAIN) instead of reporting a
 * success that left the template in the file.  Once the reader is done,
 * the next delete finishes the job.
 */
TEST_F(privacy, delete_with_a_reader_fails_until_clean)
{
	float gone[EGATE_TEMPLATE_DIM], other[EGATE_TEMPLATE_DIM];
	int64_t gone_id;
	sqlite3 *reader;

	make_template(gone, 4321.5f);
	make_template(other, 99.75f);
	open_store(_metadata, self, 200);
	ASSERT_EQ(0, egate_store_enrol(self->store, ACTOR, "gone", NULL, gone, 1, &gone_id));
	ASSERT_EQ(SQLITE_OK, sqlite3_open_v2(self->path, &reader, SQLITE_OPEN_READONLY, NULL));
	ASSERT_EQ(SQLITE_OK, sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM templates",
					  NULL, NULL, NULL));

	EXPECT_EQ(-EAGAIN, egate_store_delete_traveller(self->store, ACTOR, gone_id));
	EXPECT_TRUE(files_hold(self, gone));

	ASSERT_EQ(SQLITE_OK, sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL));
	sqlite3_close(reader);
	EXPECT_EQ(-ENOENT, egate_store_delete_traveller(self->store, ACTOR, gone_id));
	EXPECT_FALSE(files_hold(self, gone));
	/* and an ordinary delete after it is clean again */
	ASSERT_EQ(0, egate_store_enrol(self->store, ACTOR, "other", NULL, other, 1, &gone_id));
	EXPECT_EQ(0, egate_store_delete_traveller(self->store, ACTOR, gone_id));
	EXPECT_FALSE(files_hold(self, other));
}

struct listed {
	int n;
	char labels[4][16];
};

static int collect(const struct egate_traveller *t, void *userdata)
{
	struct listed *l = userdata;

	if (l->n == 4)
		return -E2BIG;
	snprintf(l->labels[l->n++], sizeof(l->labels[0]), "%s", t->label);
	return 0;
}

static int last_detail(const struct egate_audit_record *r, void *userdata)
{
	snprintf(userdata, 256, "%s", r->detail ?: "");
	return 0;
}

/*
 * The retention purge erases expired enrolments, templates and all; one
 * valid through today stays.  A clock set 80 years ahead is not believed
 * past the newest enrolment: nothing valid then is erased.
 */
TEST_F(privacy, expired_enrolments_are_erased)
{
	float expired[EGATE_TEMPLATE_DIM], today_t[EGATE_TEMPLATE_DIM], future[EGATE_TEMPLATE_DIM];
	struct timespec now;
	struct listed l = {};
	char today[16], detail[256] = "";
	int64_t now_us;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &now);
	now_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
	gmtime_r(&now.tv_sec, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	make_template(expired, 2468.5f);
	make_template(today_t, 1357.5f);
	make_template(future, 8642.5f);
	open_store(_metadata, self, 1000);
	ASSERT_EQ(0, egate_store_enrol(self->store, ACTOR, "expired", "2000-01-01", expired, 1, NULL));
	ASSERT_EQ(0, egate_store_enrol(self->store, ACTOR, "today", today, today_t, 1, NULL));
	ASSERT_EQ(0, egate_store_enrol(self->store, ACTOR, "future", "2099-12-31", future, 1, NULL));

	ASSERT_EQ(0, egate_store_audit_purge(self->store, 365, now_us + 80LL * 366 * 86400000000,
					     NULL, NULL));
	ASSERT_EQ(0, egate_store_list_travellers(self->store, collect, &l));
	ASSERT_EQ(2, l.n);
	EXPECT_STREQ("today", l.labels[0]);
	EXPECT_STREQ("future", l.labels[1]);
	EXPECT_FALSE(files_hold(self, expired));
	EXPECT_TRUE(files_hold(self, future));
	ASSERT_EQ(0, egate_store_audit_foreach(self->store, 0, last_detail, detail));
	EXPECT_NE(NULL, strstr(detail, "erased 1 enrolments expired before")) TH_LOG("%s", detail);
}

TEST_HARNESS_MAIN
