// SPDX-License-Identifier: MIT
/*
 * Matching: Euclidean distance, 1:1 verification, 1:N search over a gallery.
 *
 * F32 galleries hold the templates in one contiguous 64-byte aligned array
 * (n x 128 float32) and search by brute force.
 *
 * INT8 (quantised) galleries keep in memory only a 4-bit code of each
 * template (64 bytes), its id and one float: 76 bytes a template.  The
 * float templates live in an unlinked file ($TMPDIR, else /var/tmp); a
 * search scans the codes and re-ranks a short list with exact float
 * distances, each template read with pread() (through a mapping, a fault
 * maps a whole large folio of the page cache, up to 2 MB, into the
 * process).  The builder writes the file with pwrite() and measures MU
 * and STEP on all templates at once: a gallery of any size built without
 * its floats in the process's memory.
 *
 * Codes: the gallery's mean MU is subtracted (descriptors share a large
 * common part: |mu| ~ 1.37 of |x| ~ 1.45), then every dimension is cut in
 * 16 steps of 0.335 sigma_d (the uniform 4-bit quantiser of a Gaussian),
 * h_d = floor((x_d - mu_d) / step_d) + 8 clamped to 0..15, read back as
 * g'_d = step_d (h_d - 7.5).  With q' = q - mu and w_d = q'_d step_d,
 *   |q - g|^2 ~ |q'|^2 + |g'|^2 - 2 (sum w_d h_d - 7.5 sum w_d)
 * where sum w_d h_d is an integer dot product of the codes with w rounded
 * to 8 bits, and |g'|^2 is kept per template.  MU and sigma are measured
 * on the gallery's own templates each time its size has doubled (all
 * codes are then made again from the float file): amortised, one more
 * encoding per template.
 *
 * The scan can be split over a few threads (egate_face_gallery_set_threads):
 * each claims runs of 16k templates until none is left, into its own short
 * list (a thread kept waiting by the scheduler leaves its runs to the
 * others); the union is re-ranked.
 *
 * Templates and codes live in pages of their own marked MADV_DONTDUMP: a
 * core dump (a watchdog abort, a crash) leaves every enrolled face out.
 */
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>

#include "internal.h"

#define D EGATE_FACE_DESCRIPTOR_DIM
#define CODE_BYTES (D / 2)
#define STEP_SIGMAS 0.335f
#define MIN_STEP 1e-4f
#define PARALLEL_FROM 65536	/* templates; a smaller scan is not worth a thread */

struct egate_face_gallery {
	enum egate_face_gallery_kind kind;
	size_t n, cap;
	unsigned threads;
	int fd;			/* INT8: the float file, else -1 */
	float *f;		/* n x D: anonymous (F32) or the file's mapping (INT8) */
	uint64_t *ids;
	uint8_t *codes;		/* INT8: n x CODE_BYTES, dim j low nibble, j + 64 high */
	float *cn2;		/* INT8: |g'|^2 of the code */
	size_t trained;		/* INT8: size when MU and STEP were measured */
	float mu[D], step[D];
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

static void scan4_generic(const uint8_t *codes, size_t n, const int8_t *w8, int32_t *out)
{
	for (size_t t = 0; t < n; t++) {
		const uint8_t *c = codes + t * CODE_BYTES;
		int32_t s = 0;

		for (int j = 0; j < CODE_BYTES; j++)
			s += (c[j] & 15) * w8[j] + (c[j] >> 4) * w8[j + CODE_BYTES];
		out[t] = s;
	}
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

/* Exact integer dot products of N 4-bit codes with the 8-bit weights W8.
 * vpmaddubsw multiplies the unsigned nibbles (0..15) by the signed weights;
 * four products of pairs stay within 4 * 2 * 15 * 127 = 15240, no int16
 * saturation.  Four templates per step share one horizontal reduction. */
AVX2 static void scan4_avx2(const uint8_t *codes, size_t n, const int8_t *w8, int32_t *out)
{
	const __m256i low = _mm256_set1_epi8(15), ones = _mm256_set1_epi16(1);
	__m256i w[4];
	size_t t = 0;

	for (int i = 0; i < 4; i++)
		w[i] = _mm256_loadu_si256((const __m256i *)(w8 + 32 * i));
	for (; t + 4 <= n; t += 4) {
		__m256i acc[4];

		for (int k = 0; k < 4; k++) {
			const __m256i *c = (const __m256i *)(codes + (t + k) * CODE_BYTES);
			__m256i v0 = _mm256_load_si256(c), v1 = _mm256_load_si256(c + 1);
			__m256i s = _mm256_add_epi16(
				_mm256_add_epi16(_mm256_maddubs_epi16(_mm256_and_si256(v0, low), w[0]),
						 _mm256_maddubs_epi16(_mm256_and_si256(v1, low), w[1])),
				_mm256_add_epi16(
					_mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(v0, 4), low), w[2]),
					_mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(v1, 4), low), w[3])));

			acc[k] = _mm256_madd_epi16(s, ones);
		}
		{
			__m256i h01 = _mm256_hadd_epi32(acc[0], acc[1]);
			__m256i h23 = _mm256_hadd_epi32(acc[2], acc[3]);
			__m256i h = _mm256_hadd_epi32(h01, h23);
			__m128i r = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));

			_mm_storeu_si128((__m128i *)(out + t), r);
		}
	}
	if (t < n)
		scan4_generic(codes + t * CODE_BYTES, n - t, w8, out + t);
}
#endif

static struct {
	float (*dist2)(const float *, const float *);
	void (*scan)(const uint8_t *, size_t, const int8_t *, int32_t *);
} K;

static void pick_once(void)
{
	K.dist2 = dist2_generic;
	K.scan = scan4_generic;
#if defined(__x86_64__)
	if (kernels_pick() == &kernels_avx2) {
		K.dist2 = dist2_avx2;
		K.scan = scan4_avx2;
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

/* ------------------------------------------------------------ memory */

/* Whole pages, out of core dumps; 64-byte aligned as a page is. */
static size_t page_round(size_t bytes)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return ((bytes ? bytes : 1) + page - 1) / page * page;
}

static void *pages_map(size_t bytes, int fd)
{
	size_t size = page_round(bytes);
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       fd < 0 ? MAP_PRIVATE | MAP_ANONYMOUS : MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return NULL;
	/* the file's pages are read a template at a time: no read-ahead */
	if (madvise(p, size, MADV_DONTDUMP) < 0 ||
	    (fd >= 0 && madvise(p, size, MADV_RANDOM) < 0)) {
		munmap(p, size);
		return NULL;
	}
	return p;
}

static void pages_unmap(void *p, size_t bytes)
{
	if (p)
		munmap(p, page_round(bytes));
}

/* The arrays of a gallery of capacity CAP, in bytes; what lives in memory
 * (not the INT8 float file) is what egate_face_gallery_memory() counts. */
struct layout {
	size_t floats, ids, codes, cn2;
};

static struct layout layout(enum egate_face_gallery_kind kind, size_t cap)
{
	bool q = kind == EGATE_FACE_GALLERY_INT8;

	return (struct layout){
		.floats = cap * D * sizeof(float),
		.ids = cap * sizeof(uint64_t),
		.codes = q ? cap * CODE_BYTES : 0,
		.cn2 = q ? cap * sizeof(float) : 0,
	};
}

size_t egate_face_gallery_memory(const struct egate_face_gallery *g)
{
	struct layout l;

	if (!g)
		return 0;
	l = layout(g->kind, g->cap);
	return sizeof(*g) + (g->kind == EGATE_FACE_GALLERY_INT8 ? 0 : page_round(l.floats)) +
	       l.ids + page_round(l.codes) + l.cn2;
}

/* An unlinked file for the float templates of an INT8 gallery. */
static int float_file(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (!dir || !*dir)
		dir = "/var/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR))
		return fd >= 0 ? fd : -errno;
	/* a file system without O_TMPFILE */
	if ((size_t)snprintf(path, sizeof(path), "%s/egate-gallery-XXXXXX", dir) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unlink(path);
	return fd;
}

void egate_face_gallery_free(struct egate_face_gallery *g)
{
	struct layout l;

	if (!g)
		return;
	l = layout(g->kind, g->cap);
	pages_unmap(g->f, l.floats);
	free(g->ids);
	pages_unmap(g->codes, l.codes);
	free(g->cn2);
	if (g->fd >= 0)
		close(g->fd);
	free(g);
}

static void gallery_freep(struct egate_face_gallery **g) { egate_face_gallery_free(*g); }

static int grow(struct egate_face_gallery *g, size_t cap)
{
	struct layout o = layout(g->kind, g->cap), l = layout(g->kind, cap);
	bool q = g->kind == EGATE_FACE_GALLERY_INT8;
	float *f, *cn2 = NULL;
	uint64_t *ids;
	uint8_t *codes = NULL;
	int r;

	if (cap <= g->cap)
		return 0;
	if (cap > EGATE_FACE_MAX_GALLERY)
		return -E2BIG;
	/* blocks reserved now: a full disk fails here, not as SIGBUS later */
	if (q && (r = posix_fallocate(g->fd, 0, (off_t)page_round(l.floats))) != 0)
		return -r;
	f = pages_map(l.floats, g->fd);
	ids = malloc(l.ids);
	if (q) {
		codes = pages_map(l.codes, -1);
		cn2 = malloc(l.cn2);
	}
	if (!f || !ids || (q && (!codes || !cn2))) {
		pages_unmap(f, l.floats);
		free(ids);
		pages_unmap(codes, l.codes);
		free(cn2);
		return -ENOMEM;
	}
	if (g->n) {
		if (!q)	/* the file mapping has them already */
			memcpy(f, g->f, g->n * D * sizeof(float));
		memcpy(ids, g->ids, g->n * sizeof(*ids));
		if (q) {
			memcpy(codes, g->codes, g->n * CODE_BYTES);
			memcpy(cn2, g->cn2, g->n * sizeof(float));
		}
	}
	pages_unmap(g->f, o.floats);
	free(g->ids);
	pages_unmap(g->codes, o.codes);
	free(g->cn2);
	g->f = f;
	g->ids = ids;
	g->codes = codes;
	g->cn2 = cn2;
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
	g->threads = 1;
	g->fd = -1;
	if (kind == EGATE_FACE_GALLERY_INT8) {
		g->fd = float_file();
		if (g->fd < 0)
			return g->fd;
	}
	r = grow(g, capacity ? capacity : 16);
	if (r < 0)
		return r;
	pick();
	*out = g;
	g = NULL;
	return 0;
}

int egate_face_gallery_set_threads(struct egate_face_gallery *g, unsigned threads)
{
	if (!g || threads < 1 || threads > EGATE_FACE_MAX_SEARCH_THREADS)
		return -EINVAL;
	g->threads = threads;
	return 0;
}

enum egate_face_gallery_kind egate_face_gallery_kind_for(size_t n)
{
	return n >= EGATE_FACE_GALLERY_INT8_FROM ? EGATE_FACE_GALLERY_INT8 : EGATE_FACE_GALLERY_F32;
}

/* ------------------------------------------------------------ codes */

/* The code of template I, whose floats are X. */
static void encode(struct egate_face_gallery *g, const float *x, size_t i)
{
	uint8_t *c = g->codes + i * CODE_BYTES;
	float n2 = 0;

	memset(c, 0, CODE_BYTES);
	for (int d = 0; d < D; d++) {
		float v = floorf((x[d] - g->mu[d]) / g->step[d]) + 8, r;
		int h = v < 0 ? 0 : v > 15 ? 15 : (int)v;

		c[d % CODE_BYTES] |= (uint8_t)(h << (d / CODE_BYTES * 4));
		r = g->step[d] * ((float)h - 7.5f);
		n2 += r * r;
	}
	g->cn2[i] = n2;
}

/* Sums of every dimension and of its square over N templates: the
 * builder and train() add them up in the same order, so they give the
 * same MU and STEP to the bit. */
struct moments {
	double sum[D], sq[D];
};

static void moments_add(struct moments *m, const float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (int d = 0; d < D; d++) {
			double v = x[i * D + d];

			m->sum[d] += v;
			m->sq[d] += v * v;
		}
}

/* MU and STEP from the moments of the first N templates. */
static void codebook(struct egate_face_gallery *g, const struct moments *m, size_t n)
{
	for (int d = 0; d < D; d++) {
		double mean = m->sum[d] / (double)n, var = m->sq[d] / (double)n - mean * mean;

		g->mu[d] = (float)mean;
		g->step[d] = fmaxf(STEP_SIGMAS * (float)sqrt(var > 0 ? var : 0), MIN_STEP);
	}
	g->trained = n;
}

/* MU and STEP from the templates held, and every code again. */
static void train(struct egate_face_gallery *g)
{
	struct moments m = { 0 };

	moments_add(&m, g->f, g->n);
	codebook(g, &m, g->n);
	for (size_t i = 0; i < g->n; i++)
		encode(g, g->f + i * D, i);
}

/* A template the gallery takes: finite, and no value over 1000. */
static bool desc_valid(const float *desc)
{
	for (int k = 0; k < D; k++)
		if (!isfinite(desc[k]) || fabsf(desc[k]) > 1e3f)
			return false;
	return true;
}

/* Room for one more template. */
static int make_room(struct egate_face_gallery *g)
{
	int r;

	if (g->n < g->cap)
		return 0;
	r = grow(g, g->cap * 2 > EGATE_FACE_MAX_GALLERY ? EGATE_FACE_MAX_GALLERY : g->cap * 2);
	if (r < 0)
		return r;
	return g->n == g->cap ? -E2BIG : 0;
}

int64_t egate_face_gallery_add(struct egate_face_gallery *g, uint64_t id, const float *desc)
{
	size_t i;
	int r;

	if (!g || !desc || !desc_valid(desc))
		return -EINVAL;
	r = make_room(g);
	if (r < 0)
		return r;
	i = g->n++;
	memcpy(g->f + i * D, desc, D * sizeof(float));
	g->ids[i] = id;
	if (g->kind == EGATE_FACE_GALLERY_INT8) {
		if (g->n >= 2 * g->trained)
			train(g);
		else
			encode(g, g->f + i * D, i);
	}
	return (int64_t)i;
}

static int pread_all(int fd, void *buf, size_t len, off_t at)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t got = pread(fd, p, len, at);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got < 0 ? -errno : -EIO;
		p += got;
		at += got;
		len -= (size_t)got;
	}
	return 0;
}

/* ------------------------------------------------------------ builder */

#define BUILD_BLOCK 4096	/* templates written to the float file at a time */

struct egate_face_gallery_builder {
	struct egate_face_gallery *g;	/* NULL once finished */
	struct moments m;		/* INT8: of every template added */
	float *block;			/* INT8: templates not yet in the file */
	size_t in_block;
};

static void builder_freep(struct egate_face_gallery_builder **b)
{
	egate_face_gallery_builder_free(*b);
}

int egate_face_gallery_builder_new(enum egate_face_gallery_kind kind, size_t capacity,
				   struct egate_face_gallery_builder **out)
{
	_cleanup_(builder_freep) struct egate_face_gallery_builder *b = NULL;
	int r;

	if (!out)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	r = egate_face_gallery_new(kind, capacity, &b->g);
	if (r < 0)
		return r;
	if (kind == EGATE_FACE_GALLERY_INT8) {
		b->block = pages_map(BUILD_BLOCK * D * sizeof(float), -1);
		if (!b->block)
			return -ENOMEM;
	}
	*out = b;
	b = NULL;
	return 0;
}

void egate_face_gallery_builder_free(struct egate_face_gallery_builder *b)
{
	if (!b)
		return;
	egate_face_gallery_free(b->g);
	pages_unmap(b->block, BUILD_BLOCK * D * sizeof(float));
	free(b);
}

static int pwrite_all(int fd, const void *buf, size_t len, off_t at)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t w = pwrite(fd, p, len, at);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		at += w;
		len -= (size_t)w;
	}
	return 0;
}

/* The block's templates into the float file, by write(): through the
 * mapping, every page written would count in the process's memory. */
static int flush_block(struct egate_face_gallery_builder *b)
{
	struct egate_face_gallery *g = b->g;
	size_t first = g->n - b->in_block;
	int r;

	if (!b->in_block)
		return 0;
	r = pwrite_all(g->fd, b->block, b->in_block * D * sizeof(float),
		       (off_t)(first * D * sizeof(float)));
	b->in_block = 0;
	return r;
}

int egate_face_gallery_builder_add(struct egate_face_gallery_builder *b, uint64_t id,
				   const float *desc)
{
	struct egate_face_gallery *g;
	int r;

	if (!b || !b->g || !desc || !desc_valid(desc))
		return -EINVAL;
	g = b->g;
	if (g->kind != EGATE_FACE_GALLERY_INT8) {
		int64_t i = egate_face_gallery_add(g, id, desc);

		return i < 0 ? (int)i : 0;
	}
	/* a larger file and arrays: the block's place in the file stays */
	r = make_room(g);
	if (r < 0)
		return r;
	memcpy(b->block + b->in_block++ * D, desc, D * sizeof(float));
	moments_add(&b->m, desc, 1);
	g->ids[g->n++] = id;
	return b->in_block == BUILD_BLOCK ? flush_block(b) : 0;
}

int egate_face_gallery_builder_finish(struct egate_face_gallery_builder *b,
				      struct egate_face_gallery **out)
{
	struct egate_face_gallery *g;
	int r;

	if (!b || !b->g || !out)
		return -EINVAL;
	g = b->g;
	if (g->kind == EGATE_FACE_GALLERY_INT8) {
		r = flush_block(b);
		if (r < 0)
			return r;
		if (g->n)
			codebook(g, &b->m, g->n);
		/* the codes, from the file a block at a time */
		for (size_t i = 0; i < g->n; i += BUILD_BLOCK) {
			size_t m = g->n - i < BUILD_BLOCK ? g->n - i : BUILD_BLOCK;

			r = pread_all(g->fd, b->block, m * D * sizeof(float),
				      (off_t)(i * D * sizeof(float)));
			if (r < 0)
				return r;
			for (size_t k = 0; k < m; k++)
				encode(g, b->block + k * D, i + k);
		}
		explicit_bzero(b->block, BUILD_BLOCK * D * sizeof(float));
	}
	*out = g;
	b->g = NULL;
	return 0;
}

int egate_face_gallery_remove_id(struct egate_face_gallery *g, uint64_t id)
{
	bool q;
	int removed = 0;

	if (!g)
		return -EINVAL;
	q = g->kind == EGATE_FACE_GALLERY_INT8;
	for (size_t i = 0; i < g->n;) {
		size_t last = g->n - 1;

		if (g->ids[i] != id) {
			i++;
			continue;
		}
		if (i != last) {
			memcpy(g->f + i * D, g->f + last * D, D * sizeof(float));
			g->ids[i] = g->ids[last];
			if (q) {
				memcpy(g->codes + i * CODE_BYTES, g->codes + last * CODE_BYTES,
				       CODE_BYTES);
				g->cn2[i] = g->cn2[last];
			}
		}
		/* no copy of a removed template stays behind */
		memset(g->f + last * D, 0, D * sizeof(float));
		if (q)
			memset(g->codes + last * CODE_BYTES, 0, CODE_BYTES);
		g->n--;
		removed++;
	}
	return removed;
}

size_t egate_face_gallery_size(const struct egate_face_gallery *g) { return g ? g->n : 0; }

enum egate_face_gallery_kind egate_face_gallery_kind(const struct egate_face_gallery *g)
{
	return g ? g->kind : EGATE_FACE_GALLERY_F32;
}

const float *egate_face_gallery_template(const struct egate_face_gallery *g, size_t i)
{
	return g && i < g->n ? g->f + i * D : NULL;
}

uint64_t egate_face_gallery_id(const struct egate_face_gallery *g, size_t i)
{
	return g && i < g->n ? g->ids[i] : 0;
}

/* ------------------------------------------------------------ search */

/* The exact distance from Q to template T.  An INT8 gallery reads the
 * floats from its file with pread(), not through the mapping: a fault on
 * a file mapped with large folios (ext4, xfs) maps up to a whole 2 MB
 * folio, and the short list of one search would map hundreds of MB into
 * the process.  -errno of the read. */
static int exact_dist2(const struct egate_face_gallery *g, const float *q, size_t t, float *out)
{
	float x[D];
	int r;

	if (g->kind != EGATE_FACE_GALLERY_INT8) {
		*out = K.dist2(q, g->f + t * D);
		return 0;
	}
	r = pread_all(g->fd, x, sizeof(x), (off_t)(t * sizeof(x)));
	if (r < 0)
		return r;
	*out = K.dist2(q, x);
	return 0;
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

/* The query as the scan sees it (see the top of the file). */
struct qcode {
	int8_t w8[D] __attribute__((aligned(32)));
	float scale;	/* w_d ~ scale * w8[d] */
	float base;	/* |q'|^2 + 2 * 7.5 * sum w_d */
};

/* Runs of templates a scan thread claims at a time: long enough for the
 * hardware prefetcher, short enough that a thread the scheduler keeps
 * waiting leaves its share to the others. */
#define RUN (4 * CHUNK)	/* 16k templates, 1 MB of codes */

/* One thread's part of a scan: the runs it claims from NEXT, into its heap. */
struct part {
	const struct egate_face_gallery *g;
	const struct qcode *qc;
	size_t *next;	/* shared: the first template no thread has claimed */
	struct heap h;
};

static void *scan_part(void *arg)
{
	struct part *p = arg;
	const struct egate_face_gallery *g = p->g;
	float two = 2.0f * p->qc->scale;
	int32_t dots[CHUNK];
	float d2s[CHUNK];
	size_t from;

	while ((from = __atomic_fetch_add(p->next, RUN, __ATOMIC_RELAXED)) < g->n) {
		size_t to = g->n - from < RUN ? g->n : from + RUN;

		for (size_t t0 = from; t0 < to; t0 += CHUNK) {
			size_t m = to - t0 < CHUNK ? to - t0 : CHUNK;

			K.scan(g->codes + t0 * CODE_BYTES, m, p->qc->w8, dots);
			/* vectorisable pass, then a mostly-untaken threshold test */
			for (size_t t = 0; t < m; t++)
				d2s[t] = p->qc->base + g->cn2[t0 + t] - two * (float)dots[t];
			for (size_t t = 0; t < m; t++)
				if (p->h.n < p->h.cap || d2s[t] < p->h.key[0])
					heap_push(&p->h, d2s[t], t0 + t);
		}
	}
	return NULL;
}

static void query_code(const struct egate_face_gallery *g, const float *q, struct qcode *qc)
{
	float w[D], m = 0, sw = 0, n2 = 0;

	for (int d = 0; d < D; d++) {
		float v = q[d] - g->mu[d];

		n2 += v * v;
		w[d] = v * g->step[d];
		sw += w[d];
		m = fmaxf(m, fabsf(w[d]));
	}
	qc->scale = m > 0 ? m / 127.0f : 1.0f;
	for (int d = 0; d < D; d++) {
		/* the code's byte j holds dims j and j + 64 */
		long v = lrintf(w[d] / qc->scale);

		qc->w8[d] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
	}
	qc->base = n2 + 15.0f * sw;
}

/* Scans the codes on up to g->threads threads into PARTS[0..return), each
 * a heap of up to SL entries in KEY / IDX (SL per part). */
static unsigned scan(const struct egate_face_gallery *g, const float *query, size_t sl,
		     float *key, size_t *idx, struct part *parts)
{
	pthread_t th[EGATE_FACE_MAX_SEARCH_THREADS];
	unsigned t = g->n >= PARALLEL_FROM ? g->threads : 1, started = 0;
	size_t next = 0;
	struct qcode qc;

	query_code(g, query, &qc);
	for (unsigned i = 0; i < t; i++)
		parts[i] = (struct part){
			.g = g, .qc = &qc, .next = &next,
			.h = { 0, sl, key + i * sl, idx + i * sl },
		};
	/* a thread that cannot start leaves its runs to this one */
	while (started + 1 < t && pthread_create(&th[started + 1], NULL, scan_part,
						 &parts[started + 1]) == 0)
		started++;
	scan_part(&parts[0]);
	for (unsigned i = 1; i <= started; i++)
		pthread_join(th[i], NULL);
	return started + 1;
}

int egate_face_gallery_search(const struct egate_face_gallery *g, const float *query,
			      const struct egate_face_search_opts *opts,
			      struct egate_face_match *out, size_t max)
{
	size_t k = opts && opts->k ? opts->k : 1, sl, nc = 0;
	bool quantised;
	_cleanup_(freep) float *key = NULL;
	_cleanup_(freep) size_t *idx = NULL;
	_cleanup_(freep) struct egate_face_match *m = NULL;
	struct part parts[EGATE_FACE_MAX_SEARCH_THREADS];
	unsigned np = 1;
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
	quantised = g->kind == EGATE_FACE_GALLERY_INT8 && !(opts && opts->exact);
	sl = k;
	if (quantised)
		sl = opts && opts->shortlist ? opts->shortlist : (k + 64 > 128 ? k + 64 : 128);
	if (sl < k)
		sl = k;
	if (sl > g->n)
		sl = g->n;
	key = malloc(sl * g->threads * sizeof(float));
	idx = malloc(sl * g->threads * sizeof(size_t));
	m = malloc(sl * g->threads * sizeof(*m));
	if (!key || !idx || !m)
		return -ENOMEM;
	if (quantised) {
		np = scan(g, query, sl, key, idx, parts);
	} else {
		parts[0].h = (struct heap){ 0, sl, key, idx };
		for (size_t t = 0; t < g->n; t++)
			heap_push(&parts[0].h, K.dist2(query, g->f + t * D), t);
	}
	/* exact distances of every candidate (from the float file for INT8) */
	for (unsigned p = 0; p < np; p++)
		for (size_t i = 0; i < parts[p].h.n; i++) {
			size_t t = parts[p].h.idx[i];
			float d2 = parts[p].h.key[i];
			int r = quantised ? exact_dist2(g, query, t, &d2) : 0;

			if (r < 0)
				return r;
			m[nc].index = t;
			m[nc].id = g->ids[t];
			m[nc++].distance = sqrtf(d2);
		}
	qsort(m, nc, sizeof(*m), cmp_match);
	n = (int)(nc < k ? nc : k);
	memcpy(out, m, (size_t)n * sizeof(*m));
	return n;
}
