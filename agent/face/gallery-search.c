// SPDX-License-Identifier: MIT
/*
 * Matching: Euclidean distance, 1:1 verification, 1:N search over a gallery
 * held in one contiguous 64-byte aligned array (n x 128 float32), and an
 * int8 form (one scale per template, 128 bytes a template, 4x smaller)
 * scanned first, whose short list is re-ranked with exact float distances.
 *
 * Approximate squared distance of the int8 scan:
 *   |q - g|^2 = |q|^2 + |g|^2 - 2 q.g,  q.g ~ sq * sg * sum(qi8 * gi8)
 * with |g|^2 exact (kept per template).
 *
 * The templates (float and int8) live in pages of their own marked
 * MADV_DONTDUMP: a core dump (a watchdog abort, a crash) leaves every
 * enrolled face out of the dump.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>

#include "internal.h"

#define D EGATE_FACE_DESCRIPTOR_DIM
#define MAGIC "EGFG1\0\0\0"

struct egate_face_gallery {
	enum egate_face_gallery_kind kind;
	size_t n, cap;
	float *f;		/* n x D */
	uint64_t *ids;
	int8_t *q;		/* n x D (INT8) */
	float *qscale;		/* n */
	float *norm2;		/* n, exact |g|^2 */
};

/* ------------------------------------------------------------ kernels */

static float dist2_generic(const float *a, const float *b)
{
	float s = 0;

	for (int i = 0; i < D; i++) {
		float d = a[i] - b[i];

		s += d * d;
	}
	return s;
}

static int32_t dot_i8_generic(const int8_t *a, const int8_t *b)
{
	int32_t s = 0;

	for (int i = 0; i < D; i++)
		s += (int32_t)a[i] * b[i];
	return s;
}

#if defined(__x86_64__)
#include <immintrin.h>
#define AVX2 __attribute__((target("avx2,fma")))

AVX2 static float dist2_avx2(const float *a, const float *b)
{
	__m256 s0 = _mm256_setzero_ps(), s1 = s0;

	for (int i = 0; i < D; i += 16) {
		__m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
		__m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));

		s0 = _mm256_fmadd_ps(d0, d0, s0);
		s1 = _mm256_fmadd_ps(d1, d1, s1);
	}
	s0 = _mm256_add_ps(s0, s1);
	__m128 h = _mm_add_ps(_mm256_castps256_ps128(s0), _mm256_extractf128_ps(s0, 1));
	h = _mm_add_ps(h, _mm_movehl_ps(h, h));
	h = _mm_add_ss(h, _mm_movehdup_ps(h));
	return _mm_cvtss_f32(h);
}

/* Scans N int8 templates against the 7-bit query Q (|q| <= 63): exact
 * integer dot products.  vpmaddubsw multiplies unsigned by signed bytes, so
 * the codes are biased by +128 (xor 0x80) and 128 * sum(q) taken off; with
 * |q| <= 63 a pair sum stays below 2 * 255 * 63 = 32130, no saturation.
 * Four templates per step share one horizontal reduction. */
AVX2 static void scan_i8_avx2(const int8_t *codes, size_t n, const int8_t *q8, int32_t *out)
{
	const __m256i bias = _mm256_set1_epi8((char)0x80), ones = _mm256_set1_epi16(1);
	__m256i q[4];
	int32_t qsum = 0;
	size_t t = 0;

	for (int i = 0; i < 4; i++)
		q[i] = _mm256_loadu_si256((const __m256i *)(q8 + 32 * i));
	for (int i = 0; i < D; i++)
		qsum += q8[i];
	qsum *= 128;
	for (; t + 4 <= n; t += 4) {
		__m256i acc[4];

		for (int k = 0; k < 4; k++) {
			const __m256i *c = (const __m256i *)(codes + (t + k) * D);
			__m256i s = _mm256_setzero_si256();

			for (int i = 0; i < 4; i++) {
				__m256i g = _mm256_xor_si256(_mm256_load_si256(c + i), bias);

				s = _mm256_add_epi32(s, _mm256_madd_epi16(_mm256_maddubs_epi16(g, q[i]), ones));
			}
			acc[k] = s;
		}
		{
			__m256i h01 = _mm256_hadd_epi32(acc[0], acc[1]);
			__m256i h23 = _mm256_hadd_epi32(acc[2], acc[3]);
			__m256i h = _mm256_hadd_epi32(h01, h23);
			__m128i r = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));

			r = _mm_sub_epi32(r, _mm_set1_epi32(qsum));
			_mm_storeu_si128((__m128i *)(out + t), r);
		}
	}
	for (; t < n; t++) {
		int32_t s = 0;

		for (int i = 0; i < D; i++)
			s += (int32_t)codes[t * D + i] * q8[i];
		out[t] = s;
	}
}
#endif

static void scan_i8_generic(const int8_t *codes, size_t n, const int8_t *q8, int32_t *out)
{
	for (size_t t = 0; t < n; t++)
		out[t] = dot_i8_generic(codes + t * D, q8);
}

static struct {
	float (*dist2)(const float *, const float *);
	void (*scan)(const int8_t *, size_t, const int8_t *, int32_t *);
} K;

static void pick_once(void)
{
	K.dist2 = dist2_generic;
	K.scan = scan_i8_generic;
#if defined(__x86_64__)
	if (kernels_pick() == &kernels_avx2) {
		K.dist2 = dist2_avx2;
		K.scan = scan_i8_avx2;
	}
#endif
}

/* the kernel choice, made once whichever thread comes first */
static void pick(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, pick_once);
}

float egate_face_distance(const float *a, const float *b)
{
	pick();
	return sqrtf(K.dist2(a, b));
}

int egate_face_verify(const float *a, const float *b, float threshold, float *distance)
{
	float d;

	if (!a || !b || !(threshold > 0))
		return -EINVAL;
	d = egate_face_distance(a, b);
	if (!isfinite(d))
		return -ERANGE;
	if (distance)
		*distance = d;
	return d < threshold;
}

/* ------------------------------------------------------------ gallery */

/* Whole pages, out of core dumps; 64-byte aligned as a page is. */
static size_t template_bytes(size_t bytes)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return ((bytes ? bytes : 1) + page - 1) / page * page;
}

static void *templates_alloc(size_t bytes)
{
	size_t size = template_bytes(bytes);
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (madvise(p, size, MADV_DONTDUMP) < 0) {
		munmap(p, size);
		return NULL;
	}
	return p;
}

static void templates_free(void *p, size_t bytes)
{
	if (p)
		munmap(p, template_bytes(bytes));
}

void egate_face_gallery_free(struct egate_face_gallery *g)
{
	if (!g)
		return;
	templates_free(g->f, g->cap * D * sizeof(float));
	free(g->ids);
	templates_free(g->q, g->cap * D);
	free(g->qscale);
	free(g->norm2);
	free(g);
}

static void gallery_freep(struct egate_face_gallery **g) { egate_face_gallery_free(*g); }

static int grow(struct egate_face_gallery *g, size_t cap)
{
	float *f, *qs = NULL, *n2;
	uint64_t *ids;
	int8_t *q = NULL;

	if (cap <= g->cap)
		return 0;
	if (cap > EGATE_FACE_MAX_GALLERY)
		return -E2BIG;
	f = templates_alloc(cap * D * sizeof(float));
	ids = malloc(cap * sizeof(*ids));
	n2 = malloc(cap * sizeof(float));
	if (g->kind == EGATE_FACE_GALLERY_INT8) {
		q = templates_alloc(cap * D);
		qs = malloc(cap * sizeof(float));
	}
	if (!f || !ids || !n2 || (g->kind == EGATE_FACE_GALLERY_INT8 && (!q || !qs))) {
		templates_free(f, cap * D * sizeof(float));
		free(ids);
		free(n2);
		templates_free(q, cap * D);
		free(qs);
		return -ENOMEM;
	}
	if (g->n) {
		memcpy(f, g->f, g->n * D * sizeof(float));
		memcpy(ids, g->ids, g->n * sizeof(*ids));
		memcpy(n2, g->norm2, g->n * sizeof(float));
		if (q) {
			memcpy(q, g->q, g->n * D);
			memcpy(qs, g->qscale, g->n * sizeof(float));
		}
	}
	templates_free(g->f, g->cap * D * sizeof(float));
	free(g->ids);
	free(g->norm2);
	templates_free(g->q, g->cap * D);
	free(g->qscale);
	g->f = f;
	g->ids = ids;
	g->norm2 = n2;
	g->q = q;
	g->qscale = qs;
	g->cap = cap;
	return 0;
}

int egate_face_gallery_new(enum egate_face_gallery_kind kind, size_t capacity,
			   struct egate_face_gallery **out)
{
	_cleanup_(gallery_freep) struct egate_face_gallery *g = NULL;
	int r;

	if (!out || (kind != EGATE_FACE_GALLERY_F32 && kind != EGATE_FACE_GALLERY_INT8) ||
	    capacity > EGATE_FACE_MAX_GALLERY)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->kind = kind;
	r = grow(g, capacity ? capacity : 16);
	if (r < 0)
		return r;
	pick();
	*out = g;
	g = NULL;
	return 0;
}

/* Symmetric code with a per-vector scale (max |x| / LIM). */
static float quantise(const float *x, int8_t *q, int lim)
{
	float m = 0, s;

	for (int i = 0; i < D; i++)
		m = fmaxf(m, fabsf(x[i]));
	s = m > 0 ? m / (float)lim : 1.0f;
	for (int i = 0; i < D; i++) {
		long v = lrintf(x[i] / s);

		q[i] = (int8_t)(v > lim ? lim : v < -lim ? -lim : v);
	}
	return s;
}

int64_t egate_face_gallery_add(struct egate_face_gallery *g, uint64_t id, const float *desc)
{
	float n2 = 0;
	size_t i;
	int r;

	if (!g || !desc)
		return -EINVAL;
	for (int k = 0; k < D; k++) {
		if (!isfinite(desc[k]) || fabsf(desc[k]) > 1e3f)
			return -EINVAL;
		n2 += desc[k] * desc[k];
	}
	if (g->n == g->cap) {
		r = grow(g, g->cap * 2 > EGATE_FACE_MAX_GALLERY ? EGATE_FACE_MAX_GALLERY : g->cap * 2);
		if (r < 0)
			return r;
		if (g->n == g->cap)
			return -E2BIG;
	}
	i = g->n++;
	memcpy(g->f + i * D, desc, D * sizeof(float));
	g->ids[i] = id;
	g->norm2[i] = n2;
	if (g->kind == EGATE_FACE_GALLERY_INT8)
		g->qscale[i] = quantise(desc, g->q + i * D, 127);
	return (int64_t)i;
}

int egate_face_gallery_remove_id(struct egate_face_gallery *g, uint64_t id)
{
	int removed = 0;

	if (!g)
		return -EINVAL;
	for (size_t i = 0; i < g->n;) {
		size_t last = g->n - 1;

		if (g->ids[i] != id) {
			i++;
			continue;
		}
		if (i != last) {
			memcpy(g->f + i * D, g->f + last * D, D * sizeof(float));
			g->ids[i] = g->ids[last];
			g->norm2[i] = g->norm2[last];
			if (g->kind == EGATE_FACE_GALLERY_INT8) {
				memcpy(g->q + i * D, g->q + last * D, D);
				g->qscale[i] = g->qscale[last];
			}
		}
		/* no copy of a removed template stays behind */
		memset(g->f + last * D, 0, D * sizeof(float));
		if (g->kind == EGATE_FACE_GALLERY_INT8)
			memset(g->q + last * D, 0, D);
		g->n--;
		removed++;
	}
	return removed;
}

size_t egate_face_gallery_size(const struct egate_face_gallery *g) { return g ? g->n : 0; }

const float *egate_face_gallery_template(const struct egate_face_gallery *g, size_t i)
{
	return g && i < g->n ? g->f + i * D : NULL;
}

uint64_t egate_face_gallery_id(const struct egate_face_gallery *g, size_t i)
{
	return g && i < g->n ? g->ids[i] : 0;
}

/* max-heap of (key, index) keeping the K smallest keys */
struct heap {
	size_t n, cap;
	float *key;
	size_t *idx;
};

static void heap_push(struct heap *h, float key, size_t idx)
{
	size_t i;

	if (h->n == h->cap) {
		if (!(key < h->key[0]))
			return;
		/* replace root, sift down */
		i = 0;
		for (;;) {
			size_t l = 2 * i + 1, r = l + 1, m = i;
			float mk = key;

			if (l < h->n && h->key[l] > mk) {
				m = l;
				mk = h->key[l];
			}
			if (r < h->n && h->key[r] > mk)
				m = r;
			if (m == i)
				break;
			h->key[i] = h->key[m];
			h->idx[i] = h->idx[m];
			i = m;
		}
		h->key[i] = key;
		h->idx[i] = idx;
		return;
	}
	i = h->n++;
	while (i > 0 && h->key[(i - 1) / 2] < key) {
		h->key[i] = h->key[(i - 1) / 2];
		h->idx[i] = h->idx[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->key[i] = key;
	h->idx[i] = idx;
}

static int cmp_match(const void *a, const void *b)
{
	const struct egate_face_match *x = a, *y = b;

	if (x->distance != y->distance)
		return x->distance < y->distance ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

#define CHUNK 4096

int egate_face_gallery_search(const struct egate_face_gallery *g, const float *query,
			      const struct egate_face_search_opts *opts,
			      struct egate_face_match *out, size_t max)
{
	size_t k = opts && opts->k ? opts->k : 1, sl;
	_cleanup_(freep) float *key = NULL;
	_cleanup_(freep) size_t *idx = NULL;
	struct heap h;
	int n;

	if (!g || !query || !out || k > EGATE_FACE_MAX_TOPK)
		return -EINVAL;
	for (int i = 0; i < D; i++)
		if (!isfinite(query[i]))
			return -EINVAL;
	if (k > max)
		k = max;
	if (!g->n || !k)
		return 0;
	sl = k;
	if (g->kind == EGATE_FACE_GALLERY_INT8 && !(opts && opts->exact))
		sl = opts && opts->shortlist ? opts->shortlist : (k + 32 > 64 ? k + 32 : 64);
	if (sl < k)
		sl = k;
	if (sl > g->n)
		sl = g->n;
	key = malloc(sl * sizeof(float));
	idx = malloc(sl * sizeof(size_t));
	if (!key || !idx)
		return -ENOMEM;
	h = (struct heap){ 0, sl, key, idx };
	if (g->kind == EGATE_FACE_GALLERY_INT8 && !(opts && opts->exact)) {
		int8_t q8[D] __attribute__((aligned(32)));
		int32_t dots[CHUNK];
		float d2s[CHUNK];
		/* 7-bit query: see scan_i8_avx2() */
		float sq = quantise(query, q8, 63), qn2 = 0, sq2 = 2.0f * sq;

		for (int i = 0; i < D; i++)
			qn2 += query[i] * query[i];
		for (size_t t0 = 0; t0 < g->n; t0 += CHUNK) {
			size_t m = g->n - t0 < CHUNK ? g->n - t0 : CHUNK;

			K.scan(g->q + t0 * D, m, q8, dots);
			/* vectorisable pass, then a mostly-untaken threshold test */
			for (size_t t = 0; t < m; t++)
				d2s[t] = qn2 + g->norm2[t0 + t] -
					 sq2 * g->qscale[t0 + t] * (float)dots[t];
			for (size_t t = 0; t < m; t++)
				if (h.n < h.cap || d2s[t] < h.key[0])
					heap_push(&h, d2s[t], t0 + t);
		}
		/* exact re-ranking of the short list */
		for (size_t i = 0; i < h.n; i++)
			h.key[i] = K.dist2(query, g->f + h.idx[i] * D);
	} else {
		for (size_t t = 0; t < g->n; t++)
			heap_push(&h, K.dist2(query, g->f + t * D), t);
	}
	{
		struct egate_face_match tmp[EGATE_FACE_MAX_TOPK + 64];
		_cleanup_(freep) struct egate_face_match *big = NULL;
		struct egate_face_match *m = tmp;

		if (h.n > ARRAY_SIZE(tmp)) {
			big = malloc(h.n * sizeof(*big));
			if (!big)
				return -ENOMEM;
			m = big;
		}
		for (size_t i = 0; i < h.n; i++) {
			m[i].index = h.idx[i];
			m[i].id = g->ids[h.idx[i]];
			m[i].distance = sqrtf(h.key[i]);
		}
		qsort(m, h.n, sizeof(*m), cmp_match);
		n = (int)(h.n < k ? h.n : k);
		memcpy(out, m, (size_t)n * sizeof(*m));
	}
	return n;
}

/* ------------------------------------------------------------ files */

int egate_face_gallery_save(const struct egate_face_gallery *g, const char *path, char *errbuf,
			    size_t errlen)
{
	_cleanup_(fclosep) FILE *f = NULL;
	uint64_t n;
	uint32_t kind;

	int r = 0;

	if (!g || !path)
		return -EINVAL;
	f = fopen_err(path, "wbe", &r, errbuf, errlen);
	if (!f)
		return r;
	n = g->n;
	kind = g->kind;
	if (fwrite(MAGIC, 8, 1, f) != 1 || fwrite(&kind, 4, 1, f) != 1 || fwrite(&n, 8, 1, f) != 1 ||
	    fwrite(g->ids, sizeof(uint64_t), g->n, f) != g->n ||
	    fwrite(g->f, D * sizeof(float), g->n, f) != g->n || fflush(f)) {
		seterr(errbuf, errlen, "%s: write failed", path);
		return -EIO;
	}
	return 0;
}

int egate_face_gallery_load(const char *path, struct egate_face_gallery **out, char *errbuf,
			    size_t errlen)
{
	_cleanup_(fclosep) FILE *f = NULL;
	_cleanup_(gallery_freep) struct egate_face_gallery *g = NULL;
	char magic[8];
	uint32_t kind;
	uint64_t n;
	int r;

	if (!path || !out)
		return -EINVAL;
	f = fopen_err(path, "rbe", &r, errbuf, errlen);
	if (!f)
		return r;
	if (fread(magic, 8, 1, f) != 1 || memcmp(magic, MAGIC, 8) || fread(&kind, 4, 1, f) != 1 ||
	    fread(&n, 8, 1, f) != 1 || kind > 1) {
		seterr(errbuf, errlen, "%s: not an egate gallery", path);
		return -EBADMSG;
	}
	if (n > EGATE_FACE_MAX_GALLERY) {
		seterr(errbuf, errlen, "%s: %llu templates, over the limit", path,
		       (unsigned long long)n);
		return -E2BIG;
	}
	r = egate_face_gallery_new(kind, n, &g);
	if (r < 0)
		return r;
	{
		_cleanup_(freep) uint64_t *ids = malloc((n ? n : 1) * sizeof(uint64_t));
		_cleanup_(freep) float *d = malloc((n ? n : 1) * D * sizeof(float));

		if (!ids || !d)
			return -ENOMEM;
		if (fread(ids, sizeof(uint64_t), n, f) != n || fread(d, D * sizeof(float), n, f) != n) {
			seterr(errbuf, errlen, "%s: truncated", path);
			return -EBADMSG;
		}
		for (size_t i = 0; i < n; i++) {
			int64_t x = egate_face_gallery_add(g, ids[i], d + i * D);

			if (x < 0) {
				seterr(errbuf, errlen, "%s: template %zu is invalid", path, i);
				return (int)x;
			}
		}
	}
	*out = g;
	g = NULL;
	return 0;
}
