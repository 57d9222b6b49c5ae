// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim-seq.h"

int sim_seq_path(char *buf, size_t size, const char *dir, unsigned int i, const char *ext)
{
	int n = snprintf(buf, size, "%s/%03u.%s", dir, i, ext);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* PATH into a new buffer of exactly SIZE bytes; -ENOENT if there is no file */
static int load_file(const char *path, size_t size, uint8_t **out)
{
	FILE *f = fopen(path, "re");
	uint8_t *buf;
	int r = 0;

	if (!f)
		return -errno;
	buf = malloc(size + 1);
	if (!buf)
		r = -ENOMEM;
	else if (fread(buf, 1, size + 1, f) != size)
		r = ferror(f) ? -EIO : -EBADMSG;
	fclose(f);
	if (r < 0) {
		free(buf);
		return r;
	}
	*out = buf;
	return 0;
}

void sim_seq_free(struct sim_seq *seq)
{
	if (!seq)
		return;
	for (unsigned int i = 0; i < seq->n; i++) {
		free(seq->rgb[i]);
		if (seq->z16)
			free(seq->z16[i]);
	}
	free(seq->rgb);
	free(seq->z16);
	free(seq);
}

int sim_seq_load(const char *dir, struct sim_seq **out)
{
	struct sim_seq *seq = calloc(1, sizeof(*seq));
	char path[4096];
	int r = 0;

	if (!seq)
		return -ENOMEM;
	seq->rgb = calloc(SIM_SEQ_MAX_FRAMES, sizeof(*seq->rgb));
	seq->z16 = calloc(SIM_SEQ_MAX_FRAMES, sizeof(*seq->z16));
	if (!seq->rgb || !seq->z16)
		r = -ENOMEM;
	for (unsigned int i = 0; r == 0 && i < SIM_SEQ_MAX_FRAMES; i++) {
		r = sim_seq_path(path, sizeof(path), dir, i, "rgb");
		if (r == 0)
			r = load_file(path, SIM_SEQ_RGB_BYTES, &seq->rgb[i]);
		if (r == -ENOENT && i > 0) {
			r = 0;
			break;
		}
		if (r < 0)
			break;
		seq->n++;
		r = sim_seq_path(path, sizeof(path), dir, i, "z16");
		if (r == 0)
			r = load_file(path, SIM_SEQ_Z16_BYTES, &seq->z16[i]);
		if (r == -ENOENT)
			r = 0;
	}
	/* depth for every frame, or for none */
	for (unsigned int i = 1; r == 0 && i < seq->n; i++)
		if (!seq->z16[i] != !seq->z16[0])
			r = -EBADMSG;
	if (r == 0 && !seq->z16[0]) {
		free(seq->z16);
		seq->z16 = NULL;
	}
	if (r < 0) {
		sim_seq_free(seq);
		return r;
	}
	*out = seq;
	return 0;
}

void sim_seq_wall(uint8_t *z16, uint16_t mm)
{
	for (size_t i = 0; i < SIM_SEQ_Z16_BYTES; i += 2) {
		z16[i] = mm & 0xff;
		z16[i + 1] = mm >> 8;
	}
}

struct sim_seq_player {
	const struct sim_seq *seq;
	struct vivid_feeder *colour, *depth;
	pthread_t thread;
	atomic_bool stop;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* the frame of the time since the start: a late thread skips frames, as a
 * camera does */
static void *play(void *data)
{
	struct sim_seq_player *p = data;
	const uint64_t period = 1000000000u / SIM_SEQ_FPS, start = now_ns();

	while (!atomic_load(&p->stop)) {
		uint64_t tick = (now_ns() - start) / period, next = start + (tick + 1) * period;
		unsigned int i = tick % p->seq->n;
		struct timespec ts = { next / 1000000000u, next % 1000000000u };

		vivid_feeder_show(p->colour, p->seq->rgb[i]);
		if (p->depth && p->seq->z16)
			vivid_feeder_show(p->depth, p->seq->z16[i]);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
	return NULL;
}

int sim_seq_play(const struct sim_seq *seq, struct vivid_feeder *colour,
		 struct vivid_feeder *depth, struct sim_seq_player **out)
{
	struct sim_seq_player *p;
	int r;

	if (!seq || !seq->n || !colour)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	*p = (struct sim_seq_player){ .seq = seq, .colour = colour, .depth = depth };
	r = -pthread_create(&p->thread, NULL, play, p);
	if (r < 0) {
		free(p);
		return r;
	}
	*out = p;
	return 0;
}

void sim_seq_stop(struct sim_seq_player *p)
{
	if (!p)
		return;
	atomic_store(&p->stop, true);
	pthread_join(p->thread, NULL);
	free(p);
}
