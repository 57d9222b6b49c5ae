// SPDX-License-Identifier: GPL-2.0
/*
 * gallery bench (make bench): the agent's memory and time to load a large
 * gallery.  For each size (templates; $EGATE_BENCH_GALLERY, default
 * "1000000 10000000") a real SQLite store is filled with realistic
 * synthetic templates (a Gaussian with the mean and covariance of the
 * demo images' real descriptors, gallery-synth.h), 32 a traveller; then a
 * fresh process opens it and runs the agent's load path (the store
 * worker's STORE_GALLERY job: the store's batches into the face engine's
 * builder), and reports its peak RSS (VmHWM) after the first load and
 * after a reload while the first gallery is still in use (what the agent
 * holds at a gallery version change), with the times and one search.
 *
 * The stores and the galleries' float files go to $EGATE_BENCH_DIR (else
 * $TMPDIR, else /var/tmp): 600 bytes a template for the store and 512 for
 * each float file, two during the reload (16 GB at 10M).  A store is
 * removed at the end unless $EGATE_BENCH_KEEP is set; a kept one of the
 * right size is used again.  10M took 35 minutes on the 2-core VM, most of
 * it SQLite's (filling the store, and the integrity check of every page
 * when the agent opens it): EGATE_BENCH_GALLERY=1000000 for a quick run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "test-gallery.h"

#define D EGATE_TEMPLATE_DIM

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtol(line + strlen(key), NULL, 10);
	if (f)
		fclose(f);
	return v;
}

/* The demo images' faces, a model of them. */
static int model(struct synth *s)
{
	const char *models = getenv("EGATE_MODELS");
	struct egate_face_engine *e = NULL;
	static float real[64 * D];
	char path[4096], err[256];
	size_t n = 0;

	if (egate_face_engine_new(models, &e, err, sizeof(err)) < 0) {
		fprintf(stderr, "gallery bench: %s\n", err);
		return -1;
	}
	for (int i = 1; i <= 6; i++) {
		int r;

		snprintf(path, sizeof(path), "%s/../demo/sample%d.jpg", models ? models : ".", i);
		r = synth_real(e, path, 0, real + n * D, 64 - n);
		if (r > 0)
			n += (size_t)r;
	}
	egate_face_engine_free(e);
	return n < 10 ? -1 : synth_fit(s, real, n, 0.3);
}

/* A store of N templates at PATH. */
static int fill(const char *path, size_t n, const struct synth *s)
{
	struct egate_store *store;
	char err[256];

	unlink(path);
	if (egate_store_open(path, &(struct egate_store_options){ .flags = EGATE_STORE_CREATE },
			     &store, err, sizeof(err)) < 0) {
		fprintf(stderr, "gallery bench: %s: %s\n", path, err);
		return -1;
	}
	egate_store_close(store);
	return test_gallery_fill(path, n, s, SIZE_MAX);
}

/* In a process of its own: the agent's load path on the store at PATH. */
static int load(const char *path)
{
	struct egate_store *store;
	struct store_job first = { .kind = STORE_GALLERY, .force = true, .now_s = time(NULL) };
	struct store_job again = first;
	struct egate_face_match m;
	float x[D];
	char err[256];
	sqlite3 *db;
	sqlite3_stmt *st;
	long base, peak1, peak2;
	int found = 0;
	double t0, t_open, t_load, t_reload;

	t0 = now_s();
	if (egate_store_open(path, &(struct egate_store_options){ 0 }, &store, err,
			     sizeof(err)) < 0) {
		fprintf(stderr, "gallery bench: %s: %s\n", path, err);
		return 1;
	}
	t_open = now_s() - t0;
	base = status_kb("VmHWM:");
	t0 = now_s();
	store_job_run(store, &first);
	t_load = now_s() - t0;
	peak1 = status_kb("VmHWM:");
	if (first.result < 0) {
		fprintf(stderr, "gallery bench: load: %s\n", first.error);
		return 1;
	}
	/* a version change: the new one is built while the old one is searched */
	t0 = now_s();
	store_job_run(store, &again);
	t_reload = now_s() - t0;
	if (again.result < 0) {
		fprintf(stderr, "gallery bench: reload: %s\n", again.error);
		return 1;
	}
	peak2 = status_kb("VmHWM:");
	/* the agent searches the new one: 200 travellers of the gallery, their
	 * templates read from the store (not through the gallery's mapping) */
	egate_face_gallery_free(first.gallery);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT descriptor FROM templates WHERE id = ?", -1, &st,
			       NULL) != SQLITE_OK)
		return 1;
	for (int i = 0; i < 200; i++) {
		size_t t = (size_t)i * 2654435761u % again.n_templates;

		sqlite3_bind_int64(st, 1, (int64_t)t + 1);	/* template t's id, none expired */
		if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_bytes(st, 0) != sizeof(x))
			return 1;
		memcpy(x, sqlite3_column_blob(st, 0), sizeof(x));
		sqlite3_reset(st);
		found += egate_face_gallery_search(again.gallery, x, NULL, &m, 1) == 1 &&
			 m.index == t;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	printf("%zu templates (%s, %zu travellers): store opened in %.1f s (its integrity "
	       "check reads every page)\n"
	       "    loaded in %.1f s (%.0f k templates/s): peak RSS %.0f MiB (%.0f MiB before), "
	       "gallery %.1f bytes a template in memory\n"
	       "    reloaded beside it (a version change) in %.1f s: peak RSS %.0f MiB\n"
	       "    then 200 searches on the new one, %d found themselves: RSS %.0f MiB "
	       "(anon %.0f, file %.0f)\n",
	       again.n_templates,
	       egate_face_gallery_kind(again.gallery) == EGATE_FACE_GALLERY_INT8 ? "int8" : "f32",
	       again.n_travellers, t_open, t_load, again.n_templates / t_load / 1e3,
	       peak1 / 1024.0, base / 1024.0,
	       (double)egate_face_gallery_memory(again.gallery) / (double)again.n_templates,
	       t_reload, peak2 / 1024.0, found, status_kb("VmRSS:") / 1024.0,
	       status_kb("RssAnon:") / 1024.0, status_kb("RssFile:") / 1024.0);
	egate_face_gallery_free(again.gallery);
	egate_store_close(store);
	return 0;
}

int main(int argc, char **argv)
{
	static struct synth s;
	const char *dir = getenv("EGATE_BENCH_DIR"), *sizes = getenv("EGATE_BENCH_GALLERY");
	char path[4096], *list, *save = NULL;
	bool have_model = false;

	if (argc == 3 && !strcmp(argv[1], "load"))
		return load(argv[2]);
	if (!dir || !*dir)
		dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/var/tmp";
	setenv("TMPDIR", dir, 1);	/* the float files, beside the stores */
	list = strdup(sizes && *sizes ? sizes : "1000000 10000000");
	if (!list)
		return 1;
	printf("gallery load (the agent's path: the store's batches into the builder), "
	       "stores and float files in %s\n", dir);
	fflush(stdout);
	for (char *tok = strtok_r(list, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		size_t n = strtoull(tok, NULL, 10);
		long long have;
		double t;
		pid_t pid;
		int status;

		snprintf(path, sizeof(path), "%s/egate-bench-gallery-%zu.db", dir, n);
		have = access(path, F_OK) == 0 ? -1 : -2;
		if (have == -1) {
			sqlite3 *db;
			sqlite3_stmt *st;

			if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
			    sqlite3_prepare_v2(db, "SELECT count(*) FROM templates", -1, &st,
					       NULL) == SQLITE_OK) {
				if (sqlite3_step(st) == SQLITE_ROW)
					have = sqlite3_column_int64(st, 0);
				sqlite3_finalize(st);
			}
			sqlite3_close(db);
		}
		if (have != (long long)n) {
			if (!have_model && model(&s) < 0) {
				fprintf(stderr, "gallery bench: no model of real descriptors\n");
				return 1;
			}
			have_model = true;
			t = now_s();
			if (fill(path, n, &s) < 0)
				return 1;
			printf("%zu templates: store filled in %.0f s\n", n, now_s() - t);
			fflush(stdout);
		}
		pid = fork();
		if (pid == 0) {
			execl("/proc/self/exe", argv[0], "load", path, (char *)NULL);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			return 1;
		fflush(stdout);
		if (!getenv("EGATE_BENCH_KEEP")) {
			unlink(path);
			snprintf(path + strlen(path), 8, "-wal");
			unlink(path);
		}
	}
	free(list);
	return 0;
}
