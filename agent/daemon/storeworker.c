// SPDX-License-Identifier: GPL-2.0
/*
 * storeworker.c - the store's thread; storeworker.h says how the loop uses it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sodium.h>

#include "storeworker.h"

#define DONE_MAX (2 * STORE_QUEUE_MAX)	/* a failed append reports twice */

struct store_worker {
	struct egate_store *store;
	struct store_signing signing;
	bool signs;
	int event_fd;
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* a job queued, a result taken, stop */
	/* under lock */
	struct store_job queue[STORE_QUEUE_MAX];
	unsigned int queue_head, queue_len;
	struct store_job done[DONE_MAX];
	unsigned int done_head, done_len;
	bool stop;
	unsigned int lost;		/* records given up at stop */
};

/* A copy of text in buf (NULL stays NULL): false when it is empty or does not fit. */
static bool copy_text(const char *text, char *buf, size_t size)
{
	return !text || (text[0] && snprintf(buf, size, "%s", text) < (int)size);
}

/*
 * The record's strings are the job's own buffers, wherever the job was
 * copied to (jobs travel by value): an empty buffer is NULL.
 */
static void point_strings(struct store_job *job)
{
	struct egate_audit_record *r = &job->record;

	r->lane = job->lane;
	r->document_id = job->document[0] ? job->document : NULL;
	r->actor = job->actor[0] ? job->actor : NULL;
	r->action = job->action[0] ? job->action : NULL;
	r->reason = job->reason[0] ? job->reason : NULL;
	r->detail = job->detail[0] ? job->detail : NULL;
}

int store_job_append(struct store_job *job, const struct egate_audit_record *record,
		     uint64_t cookie)
{
	*job = (struct store_job) { .kind = STORE_APPEND, .cookie = cookie, .record = *record };
	if (!record->lane || !copy_text(record->lane, job->lane, sizeof(job->lane)) ||
	    !copy_text(record->document_id, job->document, sizeof(job->document)) ||
	    !copy_text(record->actor, job->actor, sizeof(job->actor)) ||
	    !copy_text(record->action, job->action, sizeof(job->action)) ||
	    !copy_text(record->reason, job->reason, sizeof(job->reason)) ||
	    !copy_text(record->detail, job->detail, sizeof(job->detail)))
		return -EINVAL;
	point_strings(job);
	return 0;
}

/* The day after "YYYY-MM-DD", 00:00 UTC: an enrolment is valid through its day. */
static int64_t expiry_instant(const char *expires)
{
	struct tm tm = { 0 };

	if (!expires || sscanf(expires, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_mday += 1;
	return (int64_t)timegm(&tm);
}

static int next_expiry(const struct egate_traveller *t, void *userdata)
{
	struct store_job *job = userdata;
	int64_t at = expiry_instant(t->expires);

	job->n_travellers++;
	if (at > job->now_s && (!job->next_expiry_s || at < job->next_expiry_s))
		job->next_expiry_s = at;
	return 0;
}

/*
 * The search structure, built from the store's batches as they come: the
 * float templates are never all in the agent's memory (quantised above a
 * size: codes in memory, floats in a file).  A failure frees what was
 * built; the gallery in use stays (gallery-sync.c).
 */
struct build {
	struct egate_face_gallery_builder *b;
	int error;	/* the builder's, not the store's */
};

static int gallery_add_batch(const struct egate_gallery_batch *batch, void *userdata)
{
	struct build *c = userdata;
	int r = 0;

	if (!c->b)
		r = egate_face_gallery_builder_new(egate_face_gallery_kind_for(batch->total),
						   batch->total, &c->b);
	for (size_t i = 0; r >= 0 && i < batch->n; i++)
		r = egate_face_gallery_builder_add(c->b, (uint64_t)batch->traveller_ids[i],
						   batch->templates + i * EGATE_TEMPLATE_DIM);
	return c->error = r < 0 ? r : 0;
}

static int gallery_build(struct egate_store *store, struct store_job *job)
{
	struct build c = { 0 };
	int r;

	r = egate_store_read_gallery(store, (time_t)job->now_s, gallery_add_batch, &c);
	if (r >= 0 && !c.b)	/* nobody enrolled */
		r = c.error = egate_face_gallery_builder_new(EGATE_FACE_GALLERY_F32, 1, &c.b);
	if (r >= 0)
		r = c.error = egate_face_gallery_builder_finish(c.b, &job->gallery);
	/* a search on both cores, the frame's work waiting for it */
	if (r >= 0 && egate_face_gallery_kind(job->gallery) == EGATE_FACE_GALLERY_INT8)
		r = egate_face_gallery_set_threads(job->gallery, 2);
	egate_face_gallery_builder_free(c.b);
	if (c.error < 0)
		snprintf(job->error, sizeof(job->error), "building the search index: %s",
			 strerror(-c.error));
	return r;
}

static int gallery_load(struct egate_store *store, struct store_job *job)
{
	uint64_t version;
	int r;

	r = egate_store_gallery_version(store, &version);
	if (r < 0 || (version == job->version && !job->force))
		return r;
	job->n_travellers = 0;
	job->next_expiry_s = 0;
	r = egate_store_list_travellers(store, next_expiry, job);
	if (r >= 0)
		r = egate_store_load_referrals(store, &job->referrals);
	if (r >= 0)
		r = gallery_build(store, job);
	if (r < 0) {
		egate_face_gallery_free(job->gallery);
		job->gallery = NULL;
		egate_referrals_free(TAKE_PTR(job->referrals));
		return r;
	}
	job->version = version;
	job->n_templates = egate_face_gallery_size(job->gallery);
	return 0;
}

void store_job_run(struct egate_store *store, struct store_job *job)
{
	int r = -EINVAL;

	job->attempts++;
	job->error[0] = '\0';
	switch (job->kind) {
	case STORE_APPEND:
		point_strings(job);
		r = egate_store_audit_append(store, &job->record, &job->id);
		break;
	case STORE_PURGE:
		r = egate_store_audit_purge(store, job->days, job->now_s * 1000000, &job->deleted,
					    &job->held);
		break;
	case STORE_GALLERY:
		r = gallery_load(store, job);
		break;
	case STORE_SYNC:
		r = egate_store_sync_state(store, &job->sync);
		break;
	}
	if (r < 0 && !job->error[0])
		snprintf(job->error, sizeof(job->error), "%s", egate_store_last_error(store));
	job->result = r;
	job->final = r >= 0 || job->kind != STORE_APPEND;
}

/* Under lock: hands a copy of job back, waiting while the loop is behind. */
static void report(struct store_worker *w, const struct store_job *job)
{
	const uint64_t one = 1;

	while (w->done_len == DONE_MAX && !w->stop)
		pthread_cond_wait(&w->wake, &w->lock);
	if (w->done_len == DONE_MAX) {
		egate_face_gallery_free(job->gallery);	/* stopping: nobody takes it */
		egate_referrals_free(job->referrals);
		return;
	}
	w->done[(w->done_head + w->done_len++) % DONE_MAX] = *job;
	if (write(w->event_fd, &one, sizeof(one)) < 0)
		abort();	/* an eventfd write cannot fail below its limit */
}

/*
 * A signed checkpoint when one is due (force: at stop), published to the
 * journal.  A failure is not reported: the next append tries again, and a
 * verifier sees the records after the last checkpoint as unsigned.
 */
static void checkpoint(struct store_worker *w, bool force)
{
	struct egate_audit_checkpoint cp;
	struct timespec now;

	if (!w->signs)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	if (egate_store_audit_checkpoint(w->store, w->signing.secret_key,
					 force ? 0 : w->signing.every_records,
					 force ? 0 : w->signing.every_s,
					 now.tv_sec * 1000000LL + now.tv_nsec / 1000, &cp) > 0)
		egate_audit_checkpoint_publish(&cp);
}

/* Under lock, returns with it held: sleeps up to ms unless stopped. */
static void pause_ms(struct store_worker *w, unsigned int ms)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (!w->stop && pthread_cond_timedwait(&w->wake, &w->lock, &until) != ETIMEDOUT)
		;
}

static void *store_main(void *data)
{
	struct store_worker *w = data;
	struct store_job job;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->stop && !w->queue_len)
			pthread_cond_wait(&w->wake, &w->lock);
		if (!w->queue_len)
			break;
		job = w->queue[w->queue_head];
		pthread_mutex_unlock(&w->lock);

		store_job_run(w->store, &job);
		if (job.kind == STORE_APPEND && job.result >= 0)
			checkpoint(w, false);

		pthread_mutex_lock(&w->lock);
		if (!job.final && job.attempts == 1)
			report(w, &job);	/* the first failure: the loop must know */
		if (!job.final && !w->stop) {
			w->queue[w->queue_head] = job;	/* the attempt count */
			pause_ms(w, STORE_RETRY_MS);
			continue;
		}
		if (!job.final)
			w->lost++;
		w->queue_head = (w->queue_head + 1) % STORE_QUEUE_MAX;
		w->queue_len--;
		report(w, &job);
	}
	pthread_mutex_unlock(&w->lock);
	checkpoint(w, true);	/* the chain's head at stop, signed */
	return NULL;
}

int store_worker_new(struct egate_store *store, const struct store_signing *signing,
		     struct store_worker **ret)
{
	_cleanup_free_ struct store_worker *w = calloc(1, sizeof(*w));
	pthread_condattr_t attr;
	int r;

	if (!w)
		return -ENOMEM;
	w->store = store;
	if (signing) {
		w->signing = *signing;
		w->signs = true;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &attr);
	pthread_condattr_destroy(&attr);
	w->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r = w->event_fd < 0 ? -errno : -pthread_create(&w->thread, NULL, store_main, w);
	w->thread_started = r >= 0;
	if (r >= 0)
		pthread_setname_np(w->thread, "egate-store");	/* top -H, ps -L */
	if (r < 0) {
		store_worker_free(TAKE_PTR(w));
		return r;
	}
	*ret = TAKE_PTR(w);
	return 0;
}

unsigned int store_worker_free(struct store_worker *w)
{
	unsigned int lost;

	if (!w)
		return 0;
	if (w->thread_started) {
		pthread_mutex_lock(&w->lock);
		w->stop = true;
		pthread_cond_broadcast(&w->wake);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
	}
	for (; w->done_len; w->done_len--, w->done_head = (w->done_head + 1) % DONE_MAX)
		egate_face_gallery_free(w->done[w->done_head].gallery);
	lost = w->lost;
	if (w->event_fd >= 0)
		close(w->event_fd);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	sodium_memzero(&w->signing, sizeof(w->signing));
	free(w);
	return lost;
}

int store_worker_fd(const struct store_worker *w)
{
	return w->event_fd;
}

int store_worker_submit(struct store_worker *w, const struct store_job *job)
{
	int r = -EAGAIN;

	pthread_mutex_lock(&w->lock);
	if (w->queue_len < STORE_QUEUE_MAX) {
		struct store_job *q = &w->queue[(w->queue_head + w->queue_len++) % STORE_QUEUE_MAX];

		*q = *job;
		q->attempts = 0;
		q->gallery = NULL;
		pthread_cond_broadcast(&w->wake);
		r = 0;
	}
	pthread_mutex_unlock(&w->lock);
	return r;
}

int store_worker_take(struct store_worker *w, struct store_job *ret)
{
	uint64_t count;
	int r = -EAGAIN;

	if (read(w->event_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		return -errno;
	pthread_mutex_lock(&w->lock);
	if (w->done_len) {
		*ret = w->done[w->done_head];
		if (ret->kind == STORE_APPEND)
			point_strings(ret);
		w->done_head = (w->done_head + 1) % DONE_MAX;
		w->done_len--;
		pthread_cond_broadcast(&w->wake);
		r = 0;
	}
	pthread_mutex_unlock(&w->lock);
	return r;
}

unsigned int store_worker_queued(struct store_worker *w)
{
	unsigned int n;

	pthread_mutex_lock(&w->lock);
	n = w->queue_len;
	pthread_mutex_unlock(&w->lock);
	return n;
}
