// SPDX-License-Identifier: GPL-2.0
/*
 * worker.c - the face worker thread; worker.h says how the loop uses it.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "macro.h"
#include "worker.h"

#define SEARCH_K (32 + 1)	/* every template of the best traveller, and one more */

struct worker {
	struct egate_face_engine *engine;	/* this thread's clone */
	unsigned int input_size;
	int event_fd;
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	/* under lock */
	bool busy, done, stop;
	struct worker_zone zone;
	unsigned int failures;		/* frames failed since the last result */
	const struct egate_face_gallery *gallery;
	struct egate_frame *frame;
	struct worker_result result;
};

/*
 * Quality in 0..1: the weakest of pose (1 frontal, 0.5 at 30 degrees of
 * yaw or pitch, 0 at 60),
 * sharpness (variance of the Laplacian; 40 and up is sharp on a 640x480
 * camera) and exposure (mean luma 40-220).
 */
static double quality_score(const struct egate_face_quality *q)
{
	double pose = 1.0 - fmax(fabs(q->pose.yaw), fabs(q->pose.pitch)) / 60.0;
	double sharp = q->sharpness / 40.0;
	double exposure = q->brightness < 40 ? q->brightness / 40.0 :
			  q->brightness > 220 ? (255 - q->brightness) / 35.0 : 1.0;

	return fmax(0.0, fmin(fmin(pose, sharp), fmin(exposure, 1.0)));
}

/* Nearest traveller and the nearest other one, from the K nearest templates. */
static void search(const struct egate_face_gallery *gallery, const float *descriptor,
		   struct policy_frame *f)
{
	struct egate_face_search_opts opts = { .k = SEARCH_K };
	struct egate_face_match m[SEARCH_K];
	int n;

	f->best_id = 0;
	f->best_distance = f->second_distance = INFINITY;
	n = gallery ? egate_face_gallery_search(gallery, descriptor, &opts, m, SEARCH_K) : 0;
	for (int i = 0; i < n; i++) {
		if (!f->best_id) {
			f->best_id = (int64_t)m[i].id;
			f->best_distance = m[i].distance;
		} else if ((int64_t)m[i].id != f->best_id) {
			f->second_distance = m[i].distance;
			break;
		}
	}
}

static bool in_zone(const struct worker_zone *z, const struct egate_face_image *img,
		    const struct egate_face_box *b)
{
	double cx = (b->x + b->width / 2) / img->width, cy = (b->y + b->height / 2) / img->height;

	return b->width >= z->min_face_px && cx >= z->left && cx <= z->right &&
	       cy >= z->top && cy <= z->bottom;
}

/* The faces in the zone, counted; the last of them: the traveller's when alone. */
static unsigned int pick_traveller(const struct worker_zone *z, const struct egate_face_image *img,
				   const struct egate_face_detection *faces, int n,
				   const struct egate_face_box **traveller)
{
	unsigned int count = 0;

	for (int i = 0; i < n; i++)
		if (in_zone(z, img, &faces[i].box)) {
			*traveller = &faces[i].box;
			count++;
		}
	return count;
}

static int look(struct egate_face_engine *e, unsigned int input_size,
		const struct worker_zone *zone, const struct egate_face_image *img,
		const struct egate_face_gallery *gallery, struct worker_result *r)
{
	struct egate_face_detect_opts opts = { .input_size = input_size };
	struct egate_face_detection faces[WORKER_MAX_FACES];
	const struct egate_face_box *traveller = NULL;
	struct egate_face_landmarks lm;
	struct egate_face_quality q;
	int n, ret;

	r->timing.started = monotonic_ns();
	n = egate_face_detect(e, img, &opts, faces, WORKER_MAX_FACES);
	r->timing.detected = monotonic_ns();
	if (n < 0)
		return n;
	r->frame.n_faces = pick_traveller(zone, img, faces, n, &traveller);
	if (r->frame.n_faces != 1)
		return 0;
	r->frame.face_px = traveller->width;
	ret = egate_face_landmarks(e, img, traveller, &lm);
	if (ret == -ERANGE) {	/* a face cut by the frame's edge */
		r->frame.quality = 0;
		return 0;
	}
	if (ret >= 0)
		ret = egate_face_quality(img, &lm, &q);
	r->timing.landmarked = monotonic_ns();
	if (ret < 0)
		return ret;
	r->lm = lm;
	r->landmarked = true;
	r->frame.quality = quality_score(&q);
	ret = egate_face_descriptor(e, img, &lm, r->frame.descriptor);
	r->timing.described = monotonic_ns();
	if (ret < 0)
		return ret;
	search(gallery, r->frame.descriptor, &r->frame);
	r->frame.described = true;
	return 0;
}

void worker_look(struct egate_face_engine *e, unsigned int input_size,
		 const struct worker_zone *zone, const struct egate_face_image *img,
		 const struct egate_face_gallery *gallery, uint64_t captured_ns,
		 struct worker_result *r)
{
	*r = (struct worker_result) { 0 };
	r->frame.time_ns = r->timing.captured = captured_ns;
	r->width = img->width;
	r->height = img->height;
	r->error = look(e, input_size, zone, img, gallery, r);
	r->timing.searched = monotonic_ns();
	r->timing.landmarked = r->timing.landmarked ?: r->timing.detected;
	r->timing.described = r->timing.described ?: r->timing.landmarked;
}

static void *worker_main(void *data)
{
	struct worker *w = data;
	const uint64_t one = 1;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct worker_result r;
		const struct egate_face_gallery *gallery;
		struct worker_zone zone;
		struct egate_face_image img;

		while (!w->stop && (!w->busy || w->done))
			pthread_cond_wait(&w->wake, &w->lock);
		if (w->stop)
			break;
		gallery = w->gallery;
		zone = w->zone;
		pthread_mutex_unlock(&w->lock);

		img = (struct egate_face_image) {
			.rgb = egate_frame_data(w->frame),
			.width = egate_frame_width(w->frame),
			.height = egate_frame_height(w->frame),
			.stride = egate_frame_stride(w->frame),
		};
		worker_look(w->engine, w->input_size, &zone, &img, gallery,
			    egate_frame_timestamp_ns(w->frame), &r);

		pthread_mutex_lock(&w->lock);
		if (r.error < 0) {
			w->failures += w->failures < UINT_MAX;
		} else {
			r.frame.failed_before = w->failures;
			w->failures = 0;
		}
		w->result = r;
		w->done = true;
		if (write(w->event_fd, &one, sizeof(one)) < 0)
			abort();	/* an eventfd write cannot fail below its limit */
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int worker_new(const struct egate_face_engine *engine, unsigned int input_size,
	       unsigned int threads, struct worker **ret)
{
	_cleanup_free_ struct worker *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	w->input_size = input_size;
	w->zone = WORKER_ZONE_ALL;
	w->event_fd = -1;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	r = egate_face_engine_clone(engine, &w->engine);
	if (r >= 0)
		r = egate_face_engine_set_threads(w->engine, threads);
	if (r >= 0)
		r = egate_frame_new(&w->frame);
	if (r >= 0) {
		w->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		r = w->event_fd < 0 ? -errno : 0;
	}
	if (r >= 0)
		r = -pthread_create(&w->thread, NULL, worker_main, w);
	w->thread_started = r >= 0;
	if (r < 0) {
		worker_free(TAKE_PTR(w));
		return r;
	}
	*ret = TAKE_PTR(w);
	return 0;
}

void worker_free(struct worker *w)
{
	if (!w)
		return;
	if (w->thread_started) {
		pthread_mutex_lock(&w->lock);
		w->stop = true;
		pthread_cond_signal(&w->wake);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
	}
	if (w->event_fd >= 0)
		close(w->event_fd);
	egate_frame_free(w->frame);
	egate_face_engine_free(w->engine);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

void worker_set_zone(struct worker *w, const struct worker_zone *zone)
{
	pthread_mutex_lock(&w->lock);
	w->zone = *zone;
	pthread_mutex_unlock(&w->lock);
}

int worker_fd(const struct worker *w)
{
	return w->event_fd;
}

bool worker_busy(struct worker *w)
{
	bool busy;

	pthread_mutex_lock(&w->lock);
	busy = w->busy;
	pthread_mutex_unlock(&w->lock);
	return busy;
}

struct egate_frame *worker_idle_frame(struct worker *w)
{
	return worker_busy(w) ? NULL : w->frame;
}

void worker_start(struct worker *w, const struct egate_face_gallery *gallery)
{
	pthread_mutex_lock(&w->lock);
	w->gallery = gallery;
	w->busy = true;
	w->done = false;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

int worker_take_result(struct worker *w, struct worker_result *ret)
{
	uint64_t count;
	int r = -EAGAIN;

	if (read(w->event_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		return -errno;
	pthread_mutex_lock(&w->lock);
	if (w->busy && w->done) {
		*ret = w->result;
		w->busy = w->done = false;
		r = 0;
	}
	pthread_mutex_unlock(&w->lock);
	return r;
}
