// SPDX-License-Identifier: GPL-2.0
/*
 * storeworker_test - the agent's store thread with a real SQLite database:
 * an audit record on a full file system (a small tmpfs, so the test needs
 * root; skipped otherwise) is reported failed at once, kept, and written
 * with its own time once there is room; a database locked by another
 * process delays the record without losing it; the gallery's next expiry
 * is the instant the first enrolment runs out, and the agent reloads the
 * gallery at that instant, not an hour later; with a key, the worker signs
 * the chain every N records and at stop, and the chain verifies with it;
 * an officer record's strings are the job's own, not the submitter's.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include <sodium.h>

#include "agent.h"
#include "test-files.h"
#include "kselftest_harness.h"

#define RESULT_MS 10000		/* a result this late is a hang */

static const struct egate_audit_record decision = {
	.kind = EGATE_AUDIT_DECISION, .time_us = 1234567, .lane = "lane-a",
	.traveller_id = 0, .score = NAN, .margin = NAN, .quality = NAN,
	.decision = EGATE_DECISION_DENY, .candidate_distance = NAN,
};

FIXTURE(worker) {
	char dir[PATH_MAX];
	char db[PATH_MAX + 16];
	char filler[PATH_MAX + 16];
	bool mounted;
	struct egate_store *store;
	struct store_worker *w;
};

FIXTURE_SETUP(worker)
{
	char err[256];

	ASSERT_EQ(0, test_dir_new(self->dir));
	snprintf(self->db, sizeof(self->db), "%s/egate.db", self->dir);
	snprintf(self->filler, sizeof(self->filler), "%s/filler", self->dir);
	/* 1 MiB of tmpfs: room for the database, then nothing */
	self->mounted = mount("tmpfs", self->dir, "tmpfs", 0, "size=1m,mode=0700") == 0;
	ASSERT_EQ(0, egate_store_open(self->db, &(struct egate_store_options){
					.flags = EGATE_STORE_CREATE, .busy_timeout_ms = 200 },
				      &self->store, err, sizeof(err))) TH_LOG("%s", err);
}

FIXTURE_TEARDOWN(worker)
{
	store_worker_free(self->w);
	egate_store_close(self->store);
	if (self->mounted)
		umount2(self->dir, MNT_DETACH);
	test_dir_remove(self->dir);
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

static int count_records(const struct egate_audit_record *r, void *userdata)
{
	int *n = userdata;

	*n += r->time_us == decision.time_us;
	return 0;
}

/* Writes to path until the file system is full: 0 when it is. */
static int fill(const char *path)
{
	static const char block[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ssize_t n;

	if (fd < 0)
		return -errno;
	while ((n = write(fd, block, sizeof(block))) > 0)
		;
	while ((n = write(fd, block, 1)) > 0)
		;
	n = errno;
	close(fd);
	return n == ENOSPC ? 0 : -(int)n;
}

TEST_F(worker, full_file_system_record_kept_until_written)
{
	struct store_job job;
	int n = 0;

	if (!self->mounted)
		SKIP(return, "cannot mount a tmpfs (not root?)");
	ASSERT_EQ(0, store_worker_new(self->store, NULL, &self->w));
	ASSERT_EQ(0, fill(self->filler));
	ASSERT_EQ(0, store_job_append(&job, &decision, 42));
	ASSERT_EQ(0, store_worker_submit(self->w, &job));

	/* reported at once: not written, still queued */
	ASSERT_EQ(0, take(self->w, &job));
	EXPECT_EQ(42, job.cookie);
	EXPECT_FALSE(job.final);
	EXPECT_EQ(-ENOSPC, job.result) TH_LOG("%s", job.error);
	EXPECT_EQ(1, store_worker_queued(self->w));

	/* room again: the same record, written */
	ASSERT_EQ(0, unlink(self->filler));
	ASSERT_EQ(0, take(self->w, &job));
	EXPECT_TRUE(job.final);
	EXPECT_EQ(0, job.result);
	EXPECT_LT(1, job.attempts);
	EXPECT_LT(0, job.id);
	EXPECT_EQ(0, store_worker_queued(self->w));
	ASSERT_EQ(0, egate_store_audit_foreach(self->store, 0, count_records, &n));
	EXPECT_EQ(1, n);	/* once, with the verdict's own time */
}

/* Another process holds the write lock for 2.5 s; the busy timeout is 200 ms. */
TEST_F(worker, locked_database_record_waits)
{
	struct store_job job;
	int ready[2], n = 0;
	char byte;
	pid_t pid;

	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		sqlite3 *db;

		if (sqlite3_open(self->db, &db) ||
		    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) ||
		    write(ready[1], "x", 1) != 1)
			_exit(1);
		usleep(2500 * 1000);
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		_exit(0);
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &byte, 1));
	close(ready[0]);

	ASSERT_EQ(0, store_worker_new(self->store, NULL, &self->w));
	ASSERT_EQ(0, store_job_append(&job, &decision, 7));
	ASSERT_EQ(0, store_worker_submit(self->w, &job));
	ASSERT_EQ(0, take(self->w, &job));
	EXPECT_FALSE(job.final);
	EXPECT_EQ(-EBUSY, job.result) TH_LOG("%s", job.error);
	ASSERT_EQ(0, take(self->w, &job));
	EXPECT_TRUE(job.final);
	EXPECT_EQ(0, job.result);
	EXPECT_EQ(7, job.cookie);
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	ASSERT_EQ(0, egate_store_audit_foreach(self->store, 0, count_records, &n));
	EXPECT_EQ(1, n);
}

static void templates(float *t, float seed)
{
	for (size_t i = 0; i < EGATE_TEMPLATE_DIM; i++)
		t[i] = seed + (float)i / 1000.0f;
}

/* 2030-01-02 is valid through that day: it runs out at 2030-01-03 00:00 UTC. */
#define EXPIRES "2030-01-02"
#define EXPIRY_S 1893628800LL

/* One traveller whose enrolment expires, one whose does not. */
static int enrol_two(struct egate_store *store)
{
	float t[EGATE_TEMPLATE_DIM];
	int64_t id;
	int r;
	const struct egate_store_actor actor = { .uid = 0, .lane = "lane-1", .reason = "test" };

	templates(t, 0.1f);
	r = egate_store_enrol(store, &actor, "expiring", EXPIRES, t, 1, &id);
	templates(t, 0.2f);
	return r < 0 ? r : egate_store_enrol(store, &actor, "staying", NULL, t, 1, &id);
}

TEST_F(worker, gallery_expiry_instant)
{
	struct store_job job = { .kind = STORE_GALLERY, .force = true };

	ASSERT_EQ(0, enrol_two(self->store));

	job.now_s = EXPIRY_S - 1;
	store_job_run(self->store, &job);
	ASSERT_EQ(0, job.result) TH_LOG("%s", job.error);
	EXPECT_EQ(2, job.n_templates);
	EXPECT_EQ(2, job.n_travellers);
	EXPECT_EQ(EXPIRY_S, job.next_expiry_s);
	egate_face_gallery_free(job.gallery);

	job.gallery = NULL;
	job.now_s = EXPIRY_S;
	store_job_run(self->store, &job);
	ASSERT_EQ(0, job.result);
	EXPECT_EQ(1, job.n_templates);
	EXPECT_EQ(0, job.next_expiry_s);
	egate_face_gallery_free(job.gallery);

	/* unchanged and not forced: nothing loaded */
	job.gallery = NULL;
	job.force = false;
	store_job_run(self->store, &job);
	ASSERT_EQ(0, job.result);
	EXPECT_EQ(NULL, job.gallery);
}

/* The agent asks for the gallery again at the expiry instant, and uses it. */
TEST_F(worker, agent_reloads_at_expiry)
{
	struct egate_conf *conf;
	struct agent a = { .lane_name = "lane-a", .store = self->store };
	struct store_job job;

	ASSERT_EQ(0, enrol_two(self->store));
	ASSERT_EQ(0, egate_conf_new(&conf));
	a.settings = egate_conf_settings(conf);
	strcpy(a.lane.device, "egate0");

	ASSERT_EQ(0, agent_gallery_load(&a));
	EXPECT_EQ(2, egate_face_gallery_size(a.gallery));
	EXPECT_EQ(EXPIRY_S, a.gallery_expiry_s);
	ASSERT_EQ(0, store_worker_new(self->store, NULL, &self->w));
	a.store_worker = self->w;

	/* a second before: the version is read, nothing changes */
	a.now_ns = a.next_gallery_check_ns;
	a.now_real_s = EXPIRY_S - 1;
	agent_gallery_check(&a);
	ASSERT_EQ(0, take(self->w, &job));
	agent_on_gallery(&a, &job);
	EXPECT_EQ(2, egate_face_gallery_size(a.gallery));

	/* the instant: reloaded at once, not at the next check */
	a.now_real_s = EXPIRY_S;
	agent_gallery_check(&a);
	ASSERT_EQ(0, take(self->w, &job));
	agent_on_gallery(&a, &job);
	EXPECT_EQ(1, egate_face_gallery_size(a.gallery));
	EXPECT_EQ(0, a.gallery_expiry_s);

	agent_gallery_free(&a);
	egate_conf_free(conf);
}

static int count_checkpoints(const struct egate_audit_record *r, void *userdata)
{
	int *n = userdata;

	*n += r->kind == EGATE_AUDIT_CHECKPOINT;
	return 0;
}

/* Signed every 2 records and at stop: 5 records, 3 checkpoints, verified. */
TEST_F(worker, signs_the_chain_every_n_records_and_at_stop)
{
	struct store_signing signing = { .every_records = 2, .every_s = 3600 };
	struct egate_audit_verify_result res;
	uint8_t public_key[crypto_sign_PUBLICKEYBYTES];
	struct store_job job;
	int n = 0;

	ASSERT_LE(0, sodium_init());
	crypto_sign_keypair(public_key, signing.secret_key);
	ASSERT_EQ(0, store_worker_new(self->store, &signing, &self->w));
	for (int i = 0; i < 5; i++) {
		ASSERT_EQ(0, store_job_append(&job, &decision, i));
		ASSERT_EQ(0, store_worker_submit(self->w, &job));
		ASSERT_EQ(0, take(self->w, &job));
		ASSERT_EQ(0, job.result) TH_LOG("%s", job.error);
	}
	store_worker_free(self->w);
	self->w = NULL;
	ASSERT_EQ(0, egate_store_audit_foreach(self->store, 0, count_checkpoints, &n));
	EXPECT_EQ(3, n);
	ASSERT_EQ(0, egate_store_audit_verify(self->store, &(struct egate_audit_verify_options){
						.public_key = public_key }, &res));
	EXPECT_EQ(EGATE_AUDIT_OK, res.problem) TH_LOG("%s", res.message);
	EXPECT_EQ(3, res.checkpoints);
	EXPECT_EQ(res.head_id, res.last_checkpoint_id);	/* nothing left unsigned */
}

static int last_record(const struct egate_audit_record *r, void *userdata)
{
	char *out = userdata;

	snprintf(out, 1024, "%s|%u|%s|%s|%s", egate_audit_kind_name(r->kind), r->actor_uid,
		 r->actor ?: "-", r->action ?: "-", r->reason ?: "-");
	return 0;
}

/*
 * The agent builds an officer record from a netlink message it frees at
 * once: the job keeps copies of every string, whatever the submitter's
 * buffers hold by the time the worker writes it.
 */
TEST_F(worker, record_strings_are_the_jobs_own)
{
	char actor[32] = "officer7", action[32] = "lock", reason[64] = "bag left in lane";
	struct egate_audit_record officer = {
		.kind = EGATE_AUDIT_OFFICER, .lane = "lane-a", .actor_uid = 1001,
		.actor = actor, .action = action, .reason = reason,
	};
	char long_reason[EGATE_AUDIT_TEXT_MAX + 2], seen[1024] = "";
	struct store_job job;

	ASSERT_EQ(0, store_job_append(&job, &officer, 7));
	/* the submitter's buffers are reused before the worker runs */
	strcpy(actor, "mallory");
	strcpy(action, "open");
	strcpy(reason, "nothing to see");
	ASSERT_EQ(0, store_worker_new(self->store, NULL, &self->w));
	ASSERT_EQ(0, store_worker_submit(self->w, &job));
	memset(&job, 0x55, sizeof(job));	/* and so is the job it was given */
	ASSERT_EQ(0, take(self->w, &job));
	ASSERT_EQ(0, job.result) TH_LOG("%s", job.error);
	EXPECT_STREQ("officer7", job.record.actor);	/* the job taken back points at its own */
	ASSERT_EQ(0, egate_store_audit_foreach(self->store, 0, last_record, seen));
	EXPECT_STREQ("officer|1001|officer7|lock|bag left in lane", seen);

	/* too long for the store: refused at once, not cut */
	memset(long_reason, 'x', sizeof(long_reason) - 1);
	long_reason[sizeof(long_reason) - 1] = '\0';
	officer.reason = long_reason;
	EXPECT_EQ(-EINVAL, store_job_append(&job, &officer, 8));
	officer.reason = "";
	EXPECT_EQ(-EINVAL, store_job_append(&job, &officer, 8));
}

TEST_HARNESS_MAIN
