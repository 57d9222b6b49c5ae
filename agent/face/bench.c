// SPDX-License-Identifier: MIT
/*
 * egate-face bench: per-stage timings of the face engine beside anchors run
 * in the same process, on one core:
 *  - im2col + OpenBLAS sgemm for every convolution (descriptor, detector);
 *  - exact float search with cblas_sgemv for 1:N.
 * Prints medians in ms and the ratio anchor/ours.
 */
#include <cblas.h>
#include <math.h>
#include <sched.h>
#include <time.h>

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

/* exact top-1 via cblas_sgemv: dots = G q, d2 = |g|^2 - 2 dot */
static size_t sgemv_top1(const float *G, const float *n2, size_t n, const float *q, float *dots)
{
	size_t best = 0;
	float bd = INFINITY;

	cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)n, D, 1.0f, G, D, q, 1, 0.0f, dots, 1);
	for (size_t i = 0; i < n; i++) {
		float d2 = n2[i] - 2 * dots[i];

		if (d2 < bd) {
			bd = d2;
			best = i;
		}
	}
	return best;
}

static int bench_search(size_t n, int queries)
{
	struct egate_face_gallery *g = NULL;
	_cleanup_(freep) float *q = NULL;
	_cleanup_(freep) float *dots = NULL;
	_cleanup_(freep) float *n2 = NULL;
	const float *G;
	double t_exact, t_q, t_blas;
	int agree_g = 0, agree_r = 0, ng = 0, nr = 0;
	char what[64];
	int r;

	r = egate_face_gallery_new(EGATE_FACE_GALLERY_INT8, n, &g);
	if (r < 0)
		return r;
	{
		float d[D];

		for (size_t i = 0; i < n; i++) {
			synth(d);
			egate_face_gallery_add(g, i, d);
		}
	}
	q = malloc(sizeof(float) * D * queries);
	dots = malloc(sizeof(float) * n);
	n2 = malloc(sizeof(float) * n);
	if (!q || !dots || !n2)
		return -ENOMEM;
	G = egate_face_gallery_template(g, 0);
	for (size_t i = 0; i < n; i++) {
		float s = 0;

		for (int k = 0; k < D; k++)
			s += G[i * D + k] * G[i * D + k];
		n2[i] = s;
	}
	/* half genuine probes (a template + noise of norm ~0.4), half strangers */
	for (int j = 0; j < queries; j++) {
		float *x = q + (size_t)j * D;

		if (j % 2 == 0) {
			size_t t = (rng >> 20) % n;
			float e[D];

			synth(e);
			for (int k = 0; k < D; k++)
				x[k] = G[t * D + k] + 0.3f * e[k];
		} else {
			synth(x);
		}
	}
	/* timings on a few queries */
	{
		struct egate_face_search_opts ex = { .k = 1, .exact = 1 }, ap = { .k = 1 };
		struct egate_face_match m;
		int reps = n >= 1000000 ? 5 : 15, qi = 0;

		TIME2(t_exact, egate_face_gallery_search(g, q + (size_t)(qi % queries) * D, &ex, &m, 1),
		      t_blas, sgemv_top1(G, n2, n, q + (size_t)(qi++ % queries) * D, dots), reps);
		TIME(t_q, reps, egate_face_gallery_search(g, q + (size_t)(qi++ % queries) * D, &ap, &m, 1));
	}
	/* recall@1 of the quantised path against exact (sgemv top-1, checked) */
	for (int j = 0; j < queries; j++) {
		struct egate_face_search_opts ap = { .k = 1 }, ex = { .k = 1, .exact = 1 };
		struct egate_face_match m, me;
		size_t best = sgemv_top1(G, n2, n, q + (size_t)j * D, dots);
		int same;

		egate_face_gallery_search(g, q + (size_t)j * D, &ap, &m, 1);
		same = m.index == best;
		if (!same) {
			/* sgemv rounding may pick a tie: settle with the exact search */
			egate_face_gallery_search(g, q + (size_t)j * D, &ex, &me, 1);
			same = me.index == m.index || me.distance == m.distance;
		}
		if (j % 2 == 0) {
			ng++;
			agree_g += same;
		} else {
			nr++;
			agree_r += same;
		}
	}
	snprintf(what, sizeof(what), "1:N exact float, %zuk", n / 1000);
	row(what, t_exact, "cblas_sgemv exact", t_blas, "");
	snprintf(what, sizeof(what), "1:N int8 + re-rank, %zuk", n / 1000);
	row(what, t_q, "cblas_sgemv exact", t_blas, n >= 1000000 ? "target <= 15 ms" : "");
	if (njrows)
		jrows[njrows - 1].recall = (double)(agree_g + agree_r) / (ng + nr);
	fprintf(txt, "    recall@1 vs exact: genuine probes %d/%d, stranger probes %d/%d (%.2f%%)\n",
	       agree_g, ng, agree_r, nr, 100.0 * (agree_g + agree_r) / (ng + nr));
	egate_face_gallery_free(g);
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

static double wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

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

	bench_search(10000, quick ? 200 : 2000);
	bench_search(100000, quick ? 200 : 2000);
	if (!quick)
		bench_search(1000000, 1000);

	if (json)
		jprint(egate_face_engine_isa(e));
	egate_face_picture_free(pic);
	egate_face_engine_free(e);
	return 0;
}
