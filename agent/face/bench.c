// SPDX-License-Identifier: MIT
/*
 * egate-face bench: per-stage timings of the face engine beside anchors run
 * in the same process, on one core:
 *  - im2col + OpenBLAS sgemm for every convolution (descriptor, detector);
 *  - exact float search with cblas_sgemv for 1:N.
 * Prints medians in ms and the ratio anchor/ours.
 */
#include <cblas.h>
#include <glob.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <time.h>

#include "gallery-synth.h"
#include "internal.h"
#include "tool.h"

#define D EGATE_FACE_DESCRIPTOR_DIM

/* Thread CPU time: the machine is shared, and time spent descheduled is
 * not the code's.  The minimum over the runs is reported. */
static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ------------------------------------------------------------ im2col + sgemm anchor */

struct unpacked {
	const struct conv *cv;
	float *b;	/* K x coutp row-major */
};

static struct unpacked cache[128];
static int ncache;
static float *col;
static size_t col_cap;
static float *cbuf;
static size_t cbuf_cap;

static float *grow_buf(float **p, size_t *cap, size_t n)
{
	if (n > *cap) {
		free(*p);
		*p = falloc(n);
		*cap = *p ? n : 0;
	}
	return *p;
}

static const float *unpack(const struct conv *cv)
{
	size_t K = (size_t)cv->kh * cv->kw * cv->cin;
	float *b;

	for (int i = 0; i < ncache; i++)
		if (cache[i].cv == cv)
			return cache[i].b;
	if (ncache == (int)ARRAY_SIZE(cache))
		return NULL;
	b = falloc(K * cv->coutp);
	if (!b)
		return NULL;
	for (int cb = 0; cb < cv->coutp / 16; cb++)
		for (size_t k = 0; k < K; k++)
			memcpy(b + k * cv->coutp + cb * 16, cv->w + (size_t)cb * K * 16 + k * 16,
			       16 * sizeof(float));
	cache[ncache].cv = cv;
	cache[ncache++].b = b;
	return b;
}

static void conv_blas(const float *in, int ih _unused_, int iw, int cin, const struct conv *cv,
		      int stride, float *out, int oh, int ow, enum act act, const struct epi *epi,
		      const struct conv_part *part)
{
	size_t P = (size_t)oh * ow, K = (size_t)cv->kh * cv->kw * cin;
	const float *A = in, *B = unpack(cv);
	float *C;

	/* the anchor runs on a one-thread engine: always the whole map */
	if (!B || part->p0 || part->p1 != (int)P || part->cb0 || part->cb1 != cv->coutp / 16)
		abort();
	if (!(cv->kh == 1 && stride == 1)) {
		float *a = grow_buf(&col, &col_cap, P * K);

		if (!a)
			abort();
		for (int oy = 0; oy < oh; oy++)
			for (int ox = 0; ox < ow; ox++) {
				float *row = a + ((size_t)oy * ow + ox) * K;

				for (int ky = 0; ky < cv->kh; ky++)
					memcpy(row + (size_t)ky * cv->kw * cin,
					       in + (((size_t)oy * stride + ky) * iw + (size_t)ox * stride) * cin,
					       (size_t)cv->kw * cin * sizeof(float));
			}
		A = a;
	}
	C = grow_buf(&cbuf, &cbuf_cap, P * cv->coutp);
	if (!C)
		abort();
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)P, cv->coutp, (int)K, 1.0f, A,
		    (int)K, B, cv->coutp, 0.0f, C, cv->coutp);
	for (size_t p = 0; p < P; p++)
		for (int o = 0; o < cv->cout; o++) {
			float v = C[p * cv->coutp + o] + cv->b[o];

			if (epi && epi->res)
				v += epi->res[p * cv->cout + o];
			if (epi && epi->raw)
				epi->raw[p * cv->cout + o] = v;
			if (act == ACT_RELU)
				v = v > 0 ? v : 0;
			else if (act == ACT_LEAKY)
				v = v > 0 ? v : 0.1f * v;
			out[p * cv->cout + o] = v;
		}
}

static struct kernels kernels_blas;

/* ------------------------------------------------------------ helpers */

/* nearest-neighbour scale of a picture into a W x H frame (letterboxed) */
static uint8_t *make_frame(const struct egate_face_image *src, int W, int H)
{
	uint8_t *f = calloc((size_t)W * H, 3);
	double s = fmax((double)src->width / W, (double)src->height / H);

	if (!f)
		return NULL;
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			int sx = (int)(x * s), sy = (int)(y * s);

			if (sx < (int)src->width && sy < (int)src->height)
				memcpy(f + ((size_t)y * W + x) * 3,
				       src->rgb + (size_t)sy * src->stride + (size_t)sx * 3, 3);
		}
	return f;
}

/* ours and the anchor alternately, so both see the same contention */
#define TIME2(var_a, stmt_a, var_b, stmt_b, reps) do {				\
	double _ta[64], _tb[64];						\
	int _n = (reps) > 64 ? 64 : (reps);					\
	for (int _i = 0; _i < _n; _i++) {					\
		double _s = now_ms();						\
		stmt_a;								\
		_ta[_i] = now_ms() - _s;					\
		_s = now_ms();							\
		stmt_b;								\
		_tb[_i] = now_ms() - _s;					\
	}									\
	median(_ta, _n);							\
	median(_tb, _n);							\
	var_a = _ta[0];								\
	var_b = _tb[0];								\
} while (0)

#define TIME(var, reps, stmt) do {						\
	double _t[64];								\
	int _n = (reps) > 64 ? 64 : (reps);					\
	for (int _i = 0; _i < _n; _i++) {					\
		double _s = now_ms();						\
		stmt;								\
		_t[_i] = now_ms() - _s;						\
	}									\
	var = median(_t, _n);							\
	var = _t[0]; /* sorted by median(): the minimum */			\
} while (0)

/* the table goes to stdout, or to stderr with --json (JSON on stdout) */
static FILE *txt;
static struct jrow {
	char stage[64], anchor[32];
	double ours, anchor_ms, wasm_ms, recall;
} jrows[32];
static int njrows;

static struct jrow *jadd(const char *stage, double ours, const char *anchor, double a)
{
	struct jrow *j;

	if (njrows == (int)ARRAY_SIZE(jrows))
		return NULL;
	j = &jrows[njrows++];
	memset(j, 0, sizeof(*j));
	snprintf(j->stage, sizeof(j->stage), "%s", stage);
	snprintf(j->anchor, sizeof(j->anchor), "%s", anchor ? anchor : "");
	j->ours = ours;
	j->anchor_ms = a;
	j->recall = -1;
	return j;
}

static void jprint(const char *isa)
{
	printf("{\"kernels\":\"%s\",\"unit\":\"ms, minimum thread CPU time\",\"stages\":[", isa);
	for (int i = 0; i < njrows; i++) {
		struct jrow *j = &jrows[i];

		printf("%s{\"stage\":\"%s\",\"ours\":%.3f", i ? "," : "", j->stage, j->ours);
		if (j->anchor[0])
			printf(",\"anchor\":\"%s\",\"anchor_ms\":%.3f", j->anchor, j->anchor_ms);
		if (j->wasm_ms > 0)
			printf(",\"wasm_ms\":%.3f", j->wasm_ms);
		if (j->recall >= 0)
			printf(",\"recall_at_1\":%.5f", j->recall);
		printf("}");
	}
	printf("]}\n");
}

/* Node/WASM reference timings, when scripts/face-reference/bench.js ran:
 * $EGATE_WASM_BENCH names its output ("stage ms" lines). */
static double wasm_ms(const char *stage)
{
	const char *p = getenv("EGATE_WASM_BENCH");
	char name[32];
	double v, found = 0;
	FILE *f;

	if (!p || !(f = fopen(p, "re")))
		return 0;
	while (fscanf(f, "%31s %lf", name, &v) == 2)
		if (!strcmp(name, stage))
			found = v;
	fclose(f);
	return found;
}

static void wasm_row(const char *stage, double ours)
{
	double w = wasm_ms(stage);

	if (w > 0 && njrows)
		jrows[njrows - 1].wasm_ms = w;
	if (w > 0)
		fprintf(txt, "    %-30s %9s      %-22s %9.2f ms  x%5.2f\n", "", "", "face-api tfjs WASM", w,
		       w / ours);
}

static void row(const char *what, double ours, const char *anchor, double a, const char *target)
{
	jadd(what, ours, anchor, a);
	if (anchor)
		fprintf(txt, "%-34s %9.2f ms   %-22s %9.2f ms  x%5.2f   %s\n", what, ours, anchor, a,
		       a / ours, target);
	else
		fprintf(txt, "%-34s %9.2f ms   %-22s %12s  %6s   %s\n", what, ours, "", "", "", target);
}

/* uniform in [-1,1) from a xorshift */
static uint64_t rng = 88172645463325252ull;
static float frand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (float)((rng >> 11) * (1.0 / 9007199254740992.0)) * 2 - 1;
}

static float gauss(void)
{
	float u = (frand() + 1) / 2 + 1e-7f, v = frand() * (float)M_PI;

	return sqrtf(-2 * logf(u)) * cosf(v);
}

/* synthetic templates: random directions, norm ~1.4 like real descriptors */
static void synth(float *d)
{
	float n = 0;

	for (int i = 0; i < D; i++) {
		d[i] = gauss();
		n += d[i] * d[i];
	}
	n = 1.4f / sqrtf(n);
	for (int i = 0; i < D; i++)
		d[i] *= n;
}

/* ------------------------------------------------------------ 1:N at scale */

/* Wall time: the search runs on two threads. */
static double wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* CPU time of the process (both threads of a search), median reported:
 * what the search costs apart from waiting for a core on a shared machine */
static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

#define BW_BYTES (1ul << 30)

struct bw_part {
	const uint64_t *p;
	size_t n;
	uint64_t x;
};

static void *bw_read(void *arg)
{
	struct bw_part *b = arg;
	uint64_t x = 0;

	for (size_t i = 0; i < b->n; i++)
		x ^= b->p[i];
	b->x = x;
	return NULL;
}

/* Read bandwidth of memory in GB/s: two threads each reading half of a
 * 1 GiB buffer, the best of three. */
static double bandwidth(void)
{
	_cleanup_(freep) uint64_t *buf = aligned_alloc(64, BW_BYTES);
	double best = 0;

	if (!buf)
		return 0;
	memset(buf, 1, BW_BYTES);
	for (int r = 0; r < 3; r++) {
		struct bw_part part[2] = { { buf, BW_BYTES / 16, 0 },
					   { buf + BW_BYTES / 16, BW_BYTES / 16, 0 } };
		pthread_t th;
		double t = wall_ms();

		if (pthread_create(&th, NULL, bw_read, &part[1]))
			return 0;
		bw_read(&part[0]);
		pthread_join(th, NULL);
		t = wall_ms() - t;
		if (part[0].x == 42 && part[1].x == 42)	/* keeps the reads */
			fprintf(txt, " ");
		best = fmax(best, BW_BYTES / t / 1e6);
	}
	return best;
}

/* Real descriptors: the demo images' faces, plus the face crops of
 * $EGATE_BENCH_FACES/<person>/ where that folder exists. */
static int real_descriptors(struct egate_face_engine *e, const char *models, float *out,
			    size_t max)
{
	const char *faces = getenv("EGATE_BENCH_FACES");
	char path[4096];
	size_t n = 0;
	int r;

	for (int i = 1; i <= 6; i++) {
		snprintf(path, sizeof(path), "%s/../demo/sample%d.jpg", models, i);
		r = synth_real(e, path, 0, out + n * D, max - n);
		if (r > 0)
			n += (size_t)r;
	}
	if (faces) {
		_cleanup_(globfree) glob_t gl = { 0 };

		snprintf(path, sizeof(path), "%s/*/*.png", faces);
		if (glob(path, 0, NULL, &gl) == 0)
			for (size_t i = 0; i < gl.gl_pathc && n < max; i++) {
				r = synth_real(e, gl.gl_pathv[i], 1, out + n * D, max - n);
				if (r > 0)
					n += (size_t)r;
			}
	}
	return (int)n;
}

struct gen {
	const struct synth *s;
	uint64_t seed;
	size_t n;
	float *out;
};

static void *gen_part(void *arg)
{
	struct gen *g = arg;

	for (size_t i = 0; i < g->n; i++)
		synth_draw(g->s, g->seed + i, g->out + i * D);
	return NULL;
}

/* N faces from seeds SEED.., on both cores */
static void gen_two(const struct synth *s, uint64_t seed, size_t n, float *out)
{
	struct gen part[2] = { { s, seed, n / 2, out },
			       { s, seed + n / 2, n - n / 2, out + n / 2 * D } };
	pthread_t th;
	bool two = pthread_create(&th, NULL, gen_part, &part[1]) == 0;

	gen_part(&part[0]);
	if (two)
		pthread_join(th, NULL);
	else
		gen_part(&part[1]);
}

static long status_kb(const char *key)
{
	_cleanup_(fclosep) FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtol(line + strlen(key), NULL, 10);
	return v;
}

/* Exact top-1 of P probes Q over the N templates G, by blocks of sgemm:
 * |g|^2 - 2 g.q (|q|^2 is the same for every g). */
static int exact_top1(const float *G, size_t n, const float *Q, int P, size_t *best)
{
	const size_t B = 4096;
	_cleanup_(freep) float *c = malloc(B * P * sizeof(float));
	_cleanup_(freep) float *bd = malloc(P * sizeof(float));

	if (!c || !bd)
		return -ENOMEM;
	for (int p = 0; p < P; p++)
		bd[p] = INFINITY;
	for (size_t b0 = 0; b0 < n; b0 += B) {
		size_t m = n - b0 < B ? n - b0 : B;

		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, P, D, -2.0f,
			    G + b0 * D, D, Q, D, 0.0f, c, P);
		for (size_t r = 0; r < m; r++) {
			const float *g = G + (b0 + r) * D;
			float g2 = 0;

			for (int k = 0; k < D; k++)
				g2 += g[k] * g[k];
			for (int p = 0; p < P; p++) {
				float d2 = g2 + c[r * P + p];

				if (d2 < bd[p]) {
					bd[p] = d2;
					best[p] = b0 + r;
				}
			}
		}
	}
	return 0;
}

static int cmp_f(const void *a, const void *b)
{
	double x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

/* One gallery of N realistic templates: memory, search wall time p50/p99
 * on 2 and 1 threads, scan rate beside the memory bandwidth, top-1 of the
 * quantised search against exact on PROBES genuine + PROBES strangers. */
static int bench_scale(const struct synth *s, size_t n, int probes)
{
	struct egate_face_gallery *g = NULL;
	_cleanup_(freep) float *q = malloc((size_t)2 * probes * D * sizeof(float));
	_cleanup_(freep) size_t *best = malloc((size_t)2 * probes * sizeof(size_t));
	_cleanup_(freep) float *block = malloc(65536 * D * sizeof(float));
	float genuine = 0.4f / sqrtf(s->trace);
	long anon0 = status_kb("RssAnon:");
	int agree[2] = { 0 }, P = 2 * probes, runs = 201;
	double t, t_exact, p50[2], p99[2], cpu50[2], bw;
	char what[64];
	struct jrow *j;

	if (!q || !best || !block || egate_face_gallery_new(EGATE_FACE_GALLERY_INT8, n, &g) < 0)
		return -ENOMEM;
	t = wall_ms();
	for (size_t i = 0; i < n; i += 65536) {
		size_t m = n - i < 65536 ? n - i : 65536;

		gen_two(s, i, m, block);
		for (size_t k = 0; k < m; k++)
			if (egate_face_gallery_add(g, i + k, block + k * D) < 0) {
				egate_face_gallery_free(g);
				return -EIO;
			}
	}
	t = wall_ms() - t;
	{
		_cleanup_(fclosep) FILE *la = fopen("/proc/loadavg", "re");
		double load = -1;

		if (la && fscanf(la, "%lf", &load) != 1)
			load = -1;
		fprintf(txt, "(load average %.1f on %ld cores)\n", load, sysconf(_SC_NPROCESSORS_ONLN));
	}
	fprintf(txt, "%zuM templates: made and added in %.1f s; %.1f bytes a template in memory "
		"(egate_face_gallery_memory), RssAnon +%.0f MB; floats in the mapped file %.0f MB\n",
		n / 1000000, t / 1e3, (double)egate_face_gallery_memory(g) / n,
		(status_kb("RssAnon:") - anon0) / 1024.0, n * D * 4.0 / 1e6);
	/* probes: genuine = a template + the variation of one face, strangers */
	for (int p = 0; p < P; p++) {
		float *x = q + (size_t)p * D;

		if (p % 2) {
			synth_draw(s, (1ull << 40) + p, x);
		} else {
			const float *tp = egate_face_gallery_template(g, (size_t)p * 2654435761u % n);

			synth_noise(s, (1ull << 41) + p, genuine, x);
			for (int k = 0; k < D; k++)
				x[k] += tp[k];
		}
	}
	bw = bandwidth();	/* just before, in the same conditions */
	for (int th = 2; th >= 1; th--) {
		struct egate_face_search_opts so = { .k = 1 };
		struct egate_face_match m;
		float ts[201], cpu[201];

		egate_face_gallery_set_threads(g, (unsigned)th);
		for (int i = 0; i < runs; i++) {
			double c = cpu_ms();

			t = wall_ms();
			egate_face_gallery_search(g, q + (size_t)(i % P) * D, &so, &m, 1);
			ts[i] = (float)(wall_ms() - t);
			cpu[i] = (float)(cpu_ms() - c);
		}
		qsort(ts, runs, sizeof(float), cmp_f);
		qsort(cpu, runs, sizeof(float), cmp_f);
		p50[2 - th] = ts[runs / 2];
		p99[2 - th] = ts[runs * 99 / 100];
		cpu50[2 - th] = cpu[runs / 2];
	}
	egate_face_gallery_set_threads(g, 2);
	t_exact = wall_ms();
	if (exact_top1(egate_face_gallery_template(g, 0), n, q, P, best) < 0) {
		egate_face_gallery_free(g);
		return -ENOMEM;
	}
	t_exact = wall_ms() - t_exact;
	for (int p = 0; p < P; p++) {
		struct egate_face_search_opts so = { .k = 1 };
		struct egate_face_match m;
		const float *x = q + (size_t)p * D;

		egate_face_gallery_search(g, x, &so, &m, 1);
		/* sgemm rounding may pick the other of a tie: settle exactly */
		agree[p % 2] += m.index == best[p] ||
				m.distance <= egate_face_distance(x, egate_face_gallery_template(g, best[p]));
	}
	snprintf(what, sizeof(what), "1:N int8 + re-rank, %zuM, 2 thr", n / 1000000);
	j = jadd(what, p50[0], NULL, 0);
	if (j)
		j->recall = (double)(agree[0] + agree[1]) / P;
	fprintf(txt, "%-34s p50 %6.2f ms  p99 %6.2f ms  (CPU %6.2f ms)  %s\n", what, p50[0],
		p99[0], cpu50[0], n >= 10000000 ? "target <= 60 ms" : "");
	snprintf(what, sizeof(what), "1:N int8 + re-rank, %zuM, 1 thr", n / 1000000);
	jadd(what, p50[1], NULL, 0);
	fprintf(txt, "%-34s p50 %6.2f ms  p99 %6.2f ms  (CPU %6.2f ms)\n", what, p50[1], p99[1],
		cpu50[1]);
	fprintf(txt, "    scan %.1f GB/s (codes + |g'|^2, at p50, 2 threads) beside memory read "
		"bandwidth %.1f GB/s (2 threads, measured just before)\n",
		n * (D / 2 + 4.0) / p50[0] / 1e6, bw);
	fprintf(txt, "    top-1 as exact search: genuine %d/%d, strangers %d/%d (%.2f%%); exact by "
		"sgemm in %.1f s\n", agree[0], probes, agree[1], probes,
		100.0 * (agree[0] + agree[1]) / P, t_exact / 1e3);
	/* the float file out of the page cache: what a search costs when
	 * memory is short and the re-ranking reads the disk */
	{
		struct egate_face_search_opts so = { .k = 1 };
		struct egate_face_match m;
		void *f = (void *)egate_face_gallery_template(g, 0);
		size_t len = n * D * sizeof(float);
		long file0 = status_kb("RssFile:");
		float ts[51];

		len = (len + 4095) & ~(size_t)4095;
		if (msync(f, len, MS_SYNC) == 0 && madvise(f, len, MADV_PAGEOUT) == 0) {
			long file1 = status_kb("RssFile:");

			for (int i = 0; i < 51; i++) {
				t = wall_ms();
				egate_face_gallery_search(g, q + (size_t)((i * 7 + 1) % P) * D, &so, &m, 1);
				ts[i] = (float)(wall_ms() - t);
			}
			qsort(ts, 51, sizeof(float), cmp_f);
			fprintf(txt, "    float file paged out (RssFile %ld -> %ld MB, then +%ld MB): "
				"p50 %.2f ms, p99 %.2f ms\n", file0 / 1024, file1 / 1024,
				(status_kb("RssFile:") - file1) / 1024, ts[25], ts[50]);
		}
	}
	egate_face_gallery_free(g);
	return 0;
}

/* egate-face bench --stage gallery: 1M and 10M (QUICK: 1M) realistic
 * templates, on both cores (run it without taskset). */
static int bench_gallery(struct egate_face_engine *e, const char *models, int quick)
{
	static struct synth s;
	static float real[256 * D];
	int nreal = real_descriptors(e, models, real, 256), r;
	double imp[1000];

	if (nreal < 2 || (r = synth_fit(&s, real, (size_t)nreal, 0.3)) < 0) {
		fprintf(stderr, "egate-face: bench: %d real descriptors, no model of them\n", nreal);
		return 1;
	}
	for (int i = 0; i < 1000; i++) {
		float a[D], b[D];

		synth_draw(&s, 3000000 + 2 * i, a);
		synth_draw(&s, 3000001 + 2 * i, b);
		imp[i] = egate_face_distance(a, b);
	}
	qsort(imp, 1000, sizeof(double), cmp_d);
	openblas_set_num_threads(2);
	fprintf(txt, "1:N at scale, realistic templates: a Gaussian with the mean and covariance "
		"(shrunk 0.3 toward its diagonal, Cholesky factor) of %d real descriptors; "
		"impostor distances p1 %.2f, median %.2f, p99 %.2f; genuine probes 0.4 from their "
		"template on average\n", nreal, imp[10], imp[500], imp[990]);
	bench_scale(&s, 1000000, quick ? 500 : 1000);
	if (!quick)
		bench_scale(&s, 10000000, 500);
	return 0;
}

/* ------------------------------------------------------------ AVX-512 against AVX2 */

/* Each net on the engine E (AVX-512) and on one forced to AVX2, alternately. */
static int bench_isa(struct egate_face_engine *e, const char *models,
		     const struct egate_face_image *frame, int reps)
{
	struct egate_face_detect_opts o = { .input_size = 320 };
	struct egate_face_engine *e2 = NULL;
	struct egate_face_detection det[16];
	struct egate_face_landmarks lm;
	char err[512] = "";
	float desc[D];
	double t, a;
	int r;

	if (strcmp(egate_face_engine_isa(e), "avx512")) {
		fprintf(txt, "kernels %s: no AVX-512 comparison on this CPU\n", egate_face_engine_isa(e));
		return 0;
	}
	setenv("EGATE_FACE_ISA", "avx2", 1);
	r = egate_face_engine_new(models, &e2, err, sizeof(err));
	unsetenv("EGATE_FACE_ISA");
	if (r < 0)
		return r;
	if (egate_face_detect(e, frame, &o, det, 16) <= 0 ||
	    egate_face_landmarks(e, frame, &det[0].box, &lm) < 0) {
		egate_face_engine_free(e2);
		return -ENOENT;
	}
	TIME2(t, egate_face_detect(e, frame, &o, det, 16), a, egate_face_detect(e2, frame, &o, det, 16),
	      reps);
	row("detector @320, avx512", t, "avx2", a, "");
	TIME2(t, egate_face_landmarks(e, frame, &det[0].box, &lm),
	      a, egate_face_landmarks(e2, frame, &det[0].box, &lm), reps);
	row("landmarks, avx512", t, "avx2", a, "");
	TIME2(t, egate_face_descriptor(e, frame, &lm, desc),
	      a, egate_face_descriptor(e2, frame, &lm, desc), reps);
	row("descriptor, avx512", t, "avx2", a, "");
	egate_face_engine_free(e2);
	return 0;
}

/* ------------------------------------------------------------ frame latency, threads */

/* One frame as the lane runs it: detect @320, landmarks and descriptor of
 * the best face, 1:N over G. */
static void lane_frame(struct egate_face_engine *e, const struct egate_face_image *frame,
		       const struct egate_face_gallery *g)
{
	struct egate_face_detect_opts o = { .input_size = 320 };
	struct egate_face_search_opts so = { .k = 2 };
	struct egate_face_detection det[16];
	struct egate_face_landmarks lm;
	struct egate_face_match m[2];
	float desc[D];

	if (egate_face_detect(e, frame, &o, det, 16) > 0 &&
	    egate_face_landmarks(e, frame, &det[0].box, &lm) >= 0 &&
	    egate_face_descriptor(e, frame, &lm, desc) >= 0)
		egate_face_gallery_search(g, desc, &so, m, 2);
}

/* Wall time of whole frames on engines of one and two threads, frame by
 * frame alternately so both see the same load: p50 and p99.  `make bench`
 * pins the process to one core (taskset): this section widens it to every
 * core for its threads and restores it after. */
static int bench_frame_threads(struct egate_face_engine *e, const struct egate_face_image *frame,
			       const struct egate_face_gallery *g, int reps)
{
	struct egate_face_engine *e2 = NULL;
	_cleanup_(freep) double *t = calloc(2 * (size_t)reps, sizeof(double));
	cpu_set_t pinned, all;
	double p[2][2];
	int r;

	if (!t)
		return -ENOMEM;
	if (sched_getaffinity(0, sizeof(pinned), &pinned) < 0)
		return -errno;
	CPU_ZERO(&all);
	for (int c = 0; c < CPU_SETSIZE && c < sysconf(_SC_NPROCESSORS_ONLN); c++)
		CPU_SET(c, &all);
	sched_setaffinity(0, sizeof(all), &all);
	r = egate_face_engine_clone(e, &e2);
	if (r >= 0)
		r = egate_face_engine_set_threads(e2, 2);
	if (r < 0) {
		egate_face_engine_free(e2);
		sched_setaffinity(0, sizeof(pinned), &pinned);
		return r;
	}
	lane_frame(e, frame, g);
	lane_frame(e2, frame, g);
	for (int i = 0; i < reps; i++)
		for (int k = 0; k < 2; k++) {
			double s = wall_ms();

			lane_frame(k ? e2 : e, frame, g);
			t[k * reps + i] = wall_ms() - s;
		}
	for (int k = 0; k < 2; k++) {
		qsort(t + k * reps, reps, sizeof(double), cmp_d);
		p[k][0] = t[k * reps + reps / 2];
		p[k][1] = t[k * reps + (reps * 99 + 99) / 100 - 1];
	}
	fprintf(txt, "whole frame, wall time of %d frames each, 1 and 2 threads alternately:\n", reps);
	row("  frame p50, 2 threads", p[1][0], "1 thread", p[0][0], "target <= 6 ms");
	row("  frame p99, 2 threads", p[1][1], "1 thread", p[0][1], "");
	egate_face_engine_free(e2);
	sched_setaffinity(0, sizeof(pinned), &pinned);
	return 0;
}

/* egate-face bench [--quick] [IMAGE]: IMAGE (default demo/sample1.jpg)
 * scaled into the 640x480 test frame. */
int bench_main(int argc, char **argv, const char *models, int json, int quick,
	       const char *stage)
{
	const char *image = NULL;
	struct egate_face_engine *e = NULL;
	struct egate_face_picture *pic = NULL;
	struct egate_face_image img, frame;
	struct egate_face_detection det[16];
	struct egate_face_landmarks lm;
	struct egate_face_gallery *g100k = NULL;
	_cleanup_(freep) uint8_t *fb = NULL;
	char err[512] = "", path[4096];
	float desc[D], desc2[D];
	double t, a;
	int n, reps, r;
	const struct kernels *mine;

	txt = json ? stderr : stdout;
	if (argc > 1) {
		fprintf(stderr, "egate-face: bench takes one image\n");
		return 2;
	}
	if (argc)
		image = argv[0];
	reps = quick ? 5 : 21;
	r = egate_face_engine_new(models, &e, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "egate-face: bench: %s\n", err);
		return 1;
	}
	if (stage && !strcmp(stage, "gallery")) {
		r = bench_gallery(e, models, quick);
		if (json)
			jprint(egate_face_engine_isa(e));
		egate_face_engine_free(e);
		return r;
	}
	if (image)
		snprintf(path, sizeof(path), "%s", image);
	else
		snprintf(path, sizeof(path), "%s/../demo/sample1.jpg", models);
	r = egate_face_picture_load(path, &pic, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "egate-face: bench: %s\n", err);
		egate_face_engine_free(e);
		return 1;
	}
	img = egate_face_picture_image(pic);
	fb = make_frame(&img, 640, 480);
	frame = (struct egate_face_image){ fb, 640, 480, 640 * 3 };
	if (getenv("EGATE_BENCH_FRAME")) {
		/* the 640x480 frame, for scripts/face-reference/bench.js */
		FILE *ff = fopen(getenv("EGATE_BENCH_FRAME"), "we");

		if (ff) {
			if (fwrite(fb, 640 * 3, 480, ff) != 480)
				fprintf(stderr, "egate-face: bench: short write\n");
			fclose(ff);
		}
		return 0;
	}
	kernels_blas = *kernels_pick();
	kernels_blas.name = "blas";
	kernels_blas.fuse = false;
	kernels_blas.conv = conv_blas;
	openblas_set_num_threads(1);

	if (stage) {
		/* profiling aid: one stage in a loop */
		struct egate_face_detect_opts o = { .input_size = 320 };

		n = egate_face_detect(e, &frame, &o, det, 16);
		egate_face_landmarks(e, &frame, &det[0].box, &lm);
		for (int i = 0; i < 300; i++) {
			if (!strcmp(stage, "det320"))
				egate_face_detect(e, &frame, &o, det, 16);
			else if (!strcmp(stage, "lm"))
				egate_face_landmarks(e, &frame, &det[0].box, &lm);
			else
				egate_face_descriptor(e, &frame, &lm, desc);
		}
		return 0;
	}
	fprintf(txt, "egate-face bench: kernels %s, one thread, minimum thread CPU time of %d runs\n",
	       egate_face_engine_isa(e), reps);
	fprintf(txt, "%-34s %12s   %-22s %12s  %6s\n", "stage", "ours", "anchor", "", "ratio");

	for (int size = 320; size <= 416; size += 96) {
		struct egate_face_detect_opts o = { .input_size = (uint32_t)size };
		char what[64];

		n = egate_face_detect(e, &frame, &o, det, 16);
		mine = engine_set_kernels(e, &kernels_blas);
		egate_face_detect(e, &frame, &o, det, 16);
		engine_set_kernels(e, mine);
		TIME2(t, egate_face_detect(e, &frame, &o, det, 16),
		      a, { engine_set_kernels(e, &kernels_blas);
			   egate_face_detect(e, &frame, &o, det, 16);
			   engine_set_kernels(e, mine); }, reps);
		snprintf(what, sizeof(what), "detector @%d (640x480, %d faces)", size, n);
		row(what, t, "im2col+sgemm", a, size == 320 ? "target <= 5 ms" : "");
		wasm_row(size == 320 ? "det320" : "det416", t);
	}
	n = egate_face_detect(e, &frame, NULL, det, 16);
	if (n <= 0) {
		fprintf(stderr, "egate-face: bench: no face in the test frame\n");
		return 1;
	}
	egate_face_landmarks(e, &frame, &det[0].box, &lm);
	mine = engine_set_kernels(e, &kernels_blas);
	egate_face_landmarks(e, &frame, &det[0].box, &lm);
	engine_set_kernels(e, mine);
	TIME2(t, egate_face_landmarks(e, &frame, &det[0].box, &lm),
	      a, { engine_set_kernels(e, &kernels_blas);
		   egate_face_landmarks(e, &frame, &det[0].box, &lm);
		   engine_set_kernels(e, mine); }, reps);
	row("landmarks (112x112)", t, "im2col+sgemm", a, "target <= 2 ms");
	wasm_row("landmarks", t);

	egate_face_descriptor(e, &frame, &lm, desc);
	mine = engine_set_kernels(e, &kernels_blas);
	egate_face_descriptor(e, &frame, &lm, desc2);
	engine_set_kernels(e, mine);
	TIME2(t, egate_face_descriptor(e, &frame, &lm, desc),
	      a, { engine_set_kernels(e, &kernels_blas);
		   egate_face_descriptor(e, &frame, &lm, desc2);
		   engine_set_kernels(e, mine); }, reps);
	row("descriptor (150x150 -> 128)", t, "im2col+sgemm", a, "target <= 10 ms");
	wasm_row("descriptor", t);
	fprintf(txt, "    descriptor agreement ours vs anchor: distance %.2g\n",
	       egate_face_distance(desc, desc2));

	if (bench_isa(e, models, &frame, reps) < 0)
		fprintf(stderr, "egate-face: bench: no AVX2 engine to compare with\n");

	/* whole frame: detect @320, landmarks + descriptor of every face, 1:N 100k */
	r = egate_face_gallery_new(EGATE_FACE_GALLERY_INT8, 100000, &g100k);
	if (r < 0)
		return 1;
	for (int i = 0; i < 100000; i++) {
		float d[D];

		synth(d);
		egate_face_gallery_add(g100k, i, d);
	}
	{
		struct egate_face_detect_opts o = { .input_size = 320 };
		struct egate_face_search_opts so = { .k = 2 };
		struct egate_face_match m[2];
		int nf = 0;

		/* the lane's case: the best face (the traveller's) */
		TIME(t, reps, {
			nf = egate_face_detect(e, &frame, &o, det, 16);
			if (nf > 0) {
				egate_face_landmarks(e, &frame, &det[0].box, &lm);
				egate_face_descriptor(e, &frame, &lm, desc);
				egate_face_gallery_search(g100k, desc, &so, m, 2);
			}
		});
		row("whole frame 640x480, best face", t, NULL, 0, "target <= 25 ms");
		fprintf(txt, "    detect @320 + landmarks + descriptor + 1:N over 100k (int8 + re-rank)\n");
		TIME(t, reps, {
			nf = egate_face_detect(e, &frame, &o, det, 16);
			for (int i = 0; i < nf; i++) {
				egate_face_landmarks(e, &frame, &det[i].box, &lm);
				egate_face_descriptor(e, &frame, &lm, desc);
				egate_face_gallery_search(g100k, desc, &so, m, 2);
			}
		});
		{
			char what[64];

			snprintf(what, sizeof(what), "whole frame 640x480, all %d faces", nf);
			row(what, t, NULL, 0, "");
		}
	}
	if (bench_frame_threads(e, &frame, g100k, quick ? 100 : 400) < 0)
		fprintf(stderr, "egate-face: bench: no second thread\n");
	egate_face_gallery_free(g100k);

	if (json)
		jprint(egate_face_engine_isa(e));
	egate_face_picture_free(pic);
	egate_face_engine_free(e);
	return 0;
}
