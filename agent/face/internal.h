/* SPDX-License-Identifier: MIT */
/* Internal interfaces of the face engine; not installed. */
#ifndef EGATE_FACE_INTERNAL_H
#define EGATE_FACE_INTERNAL_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "egate-face.h"

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

static inline void freep(void *p) { free(*(void **)p); }
static inline void fclosep(FILE **f) { if (*f) fclose(*f); }
static inline void closep(int *fd) { if (*fd >= 0) close(*fd); }

void seterr(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Reads a whole regular file of at most MAX bytes (NUL-terminated copy). */
int read_file(const char *path, size_t max, uint8_t **data, size_t *len, char *errbuf,
	      size_t errlen);
/* fopen() that sets *r = -errno and a message naming the file on failure. */
FILE *fopen_err(const char *path, const char *mode, int *r, char *errbuf, size_t errlen);

/* Aligned float buffers (64 bytes). */
float *falloc(size_t n);

/* ------------------------------------------------------------ models */

#define MODEL_MAX_TENSORS 512
#define MODEL_MAX_RANK 4
#define MODEL_MAX_NAME 128
#define MODEL_MAX_MANIFEST (4u << 20)
#define MODEL_MAX_BIN (256u << 20)

struct tensor {
	char name[MODEL_MAX_NAME];
	int rank;
	int shape[MODEL_MAX_RANK];
	size_t count;
	float *data;
};

struct model {
	int n;
	struct tensor t[MODEL_MAX_TENSORS];
};

/* Parses a manifest and its .bin (in memory); WHAT names them in errors. */
int model_parse(const char *json, size_t json_len, const uint8_t *bin, size_t bin_len,
		const char *what, struct model **out, char *errbuf, size_t errlen);
/* Loads DIR/NAME-weights_manifest.json and the .bin it names. */
int model_load(const char *dir, const char *name, struct model **out, char *errbuf,
	       size_t errlen);
void model_free(struct model *m);
/* Tensor by name with the given shape (-1 = any); NULL with a message. */
const struct tensor *model_get(const struct model *m, const char *name, int rank,
			       const int *shape, const char *what, char *errbuf, size_t errlen);

/* ------------------------------------------------------------ tensors, layers */

/* An activation map, NHWC batch 1. */
struct fmap {
	int h, w, c;
	float *d;
};

/* Conv weights packed for the kernels: [cout/16][kh][kw][cin][16]. */
struct conv {
	int kh, kw, cin, cout, coutp;
	float *w;	/* packed */
	float *b;	/* coutp */
};

struct dwconv {
	int c;
	float *w;	/* [9][c] */
	float *b;	/* c, may be NULL (= 0) */
};

enum act { ACT_NONE, ACT_RELU, ACT_LEAKY };

/* Convolution epilogue: v = conv + bias; v += res[i] (if res); raw[i] = v
 * (if raw; may equal res); out[i] = act(v).  Same layout as out. */
struct epi {
	const float *res;
	float *raw;
};

/* Packs HWIO weights (scale s[cout] and bias shift beta folded when given). */
int conv_pack(struct conv *cv, const float *hwio, const float *bias, const float *scale,
	      const float *beta, int kh, int kw, int cin, int cout);
void conv_release(struct conv *cv);

/* The part of a convolution's output one call computes: the 16-channel
 * blocks [cb0, cb1) of the output pixels [p0, p1) (row-major).  Every
 * output element is summed in the same order whatever the part, so any
 * split gives the same bits. */
struct conv_part {
	int cb0, cb1, p0, p1;
};

struct kernels {
	const char *name;
	bool fuse;	/* run conv + max-pool fused by row pairs */
	/* out[oh][ow][cout] = act(sum in[oy*s+ky][ox*s+kx][ci] * w + b), input
	 * already padded as needed (VALID), over PART of the output only. */
	void (*conv)(const float *in, int ih, int iw, int cin, const struct conv *cv,
		     int stride, float *out, int oh, int ow, enum act act, const struct epi *epi,
		     const struct conv_part *part);
	/* depthwise 3x3; taps outside the input (padding pt top, pl left) are 0 */
	void (*dw3)(const float *in, int ih, int iw, int c, const float *w, const float *b,
		    int stride, int pt, int pl, float *out, int oh, int ow);
	/* 2x2 max-pool, stride s, TF SAME (taps past the bottom/right ignored) */
	void (*maxpool2)(const float *in, int ih, int iw, int c, int s, float *out, int oh,
			 int ow);
	/* dst[i] = max over the n rows src[t][i], i < c */
	void (*maxn)(float *dst, const float *const *src, int n, int c);
};

/* The run-time choice ($EGATE_FACE_ISA=generic|avx2|avx512 forces one the
 * CPU can run, else the best). */
const struct kernels *kernels_pick(void);
extern const struct kernels kernels_generic;
#if defined(__x86_64__)
extern const struct kernels kernels_avx2;
extern const struct kernels kernels_avx512;
#endif

/* The conv kernels' output tile: MR pixels x NR channels (one packed
 * weight block). */
#define MR 6
#define NR 16

static inline float act_apply(float v, enum act act)
{
	if (act == ACT_RELU)
		return v > 0 ? v : 0;
	if (act == ACT_LEAKY) {
		/* face-api's leaky(): relu(x - 0.1x) + 0.1x, rounded the same way */
		float m = v * 0.1f, d = v - m;

		return (d > 0 ? d : 0) + m;
	}
	return v;
}

/* The convolution epilogue of NC channels whose sums + bias are V[], at
 * out[at]: the residual, the raw copy, the activation (struct epi). */
static inline void epilogue_scalar(const float *v, float *out, size_t at, int nc, enum act act,
				   const struct epi *epi)
{
	for (int o = 0; o < nc; o++) {
		float x = v[o];

		if (epi && epi->res)
			x += epi->res[at + o];
		if (epi && epi->raw)
			epi->raw[at + o] = x;
		out[at + o] = act_apply(x, act);
	}
}

/* Input pointers of the MR output pixels p0.. (row-major, ow per row);
 * *oy, *ox hold p0's position and advance to the next tile (no division). */
static inline void tile_bases(const float *in, int iw, int cin, int ow, int stride, int nt,
			      int *oy, int *ox, const float **base)
{
	int y = *oy, x = *ox;

	for (int j = 0; j < MR; j++) {
		base[j] = in + ((size_t)y * stride * iw + (size_t)x * stride) * cin;
		if (j < nt - 1 && ++x == ow) {
			x = 0;
			y++;
		}
	}
	/* position of the next tile */
	if (++x == ow) {
		x = 0;
		y++;
	}
	*oy = y;
	*ox = x;
}


/* ------------------------------------------------------------ threads */

/* A persistent pool of N threads (the caller and N - 1 workers). */
struct pool;
int pool_new(int n, struct pool **out);
void pool_free(struct pool *p);
/* 1 for a NULL pool */
int pool_threads(const struct pool *p);
/* How many parts to cut a layer into: a few per thread, 1 for one thread. */
int pool_parts(const struct pool *p);
/* Runs fn(ctx, part, NPARTS) for every part 0..NPARTS-1 (<= 65535) on the
 * pool's threads, the caller's included, and returns when all are done.
 * A NULL pool or one of one thread runs them in order in the caller. */
void pool_run(struct pool *p, void (*fn)(void *ctx, int part, int nparts), void *ctx,
	      int nparts);

/* What runs the layers: a kernel set and the threads that share them. */
struct exec {
	const struct kernels *k;
	struct pool *pool;	/* NULL: the caller alone */
};

/* Scratch arena: bump allocator reset per forward pass. */
struct arena {
	float *base;
	size_t cap, used;
};
float *arena_get(struct arena *a, size_t n);
int arena_reserve(struct arena *a, size_t n);
void arena_release(struct arena *a);

/* ops on fmaps; the arena provides outputs */
int fm_pad(struct arena *a, const struct fmap *x, int top, int bottom, int left, int right,
	   struct fmap *out);
int fm_conv(struct arena *a, const struct exec *ex, const struct fmap *x,
	    const struct conv *cv, int stride, bool same, enum act act, struct fmap *out);
int fm_conv_epi(struct arena *a, const struct exec *ex, const struct fmap *x,
		const struct conv *cv, int stride, bool same, enum act act,
		const struct epi *epi, struct fmap *out);
int fm_conv_pool2(struct arena *a, const struct exec *ex, const struct fmap *x,
		  const struct conv *cv, enum act act, int const_from, struct fmap *out);
int fm_dwconv(struct arena *a, const struct exec *ex, const struct fmap *x,
	      const struct dwconv *dw, int stride, bool same, struct fmap *out);
int fm_maxpool(struct arena *a, const struct exec *ex, const struct fmap *x, int ks,
	       int stride, bool same, struct fmap *out);
int fm_avgpool2(struct arena *a, const struct fmap *x, struct fmap *out);
void fm_add(struct fmap *y, const struct fmap *x);
void fm_relu(struct fmap *y);
void fm_mean(const struct fmap *x, float *out);

/* ------------------------------------------------------------ preprocessing */

/* Crops [x,y,w,h] (integers, inside the image), pads to a square (centred or
 * bottom/right), resizes to SIZE (tf resizeBilinear, legacy), subtracts
 * MEAN and divides by 255.  Output size*size*3. */
int preprocess(struct arena *a, const struct egate_face_image *img, int x, int y, int w,
	       int h, bool center, int size, const float mean[3], float **out);
/* padToSquare(centred): the square side D and the offsets of a W x H
 * image in it. */
void pad_to_square(int w, int h, int *padx, int *pady, int *d);
/* preprocess() of a D x D square whose pixels [PADX, PADX+W) x [PADY, PADY+H)
 * are the image's [X, X+W) x [Y, Y+H); the rest of the square is 0 (black),
 * as padToSquare's padding. */
int preprocess_square(struct arena *a, const struct egate_face_image *img, int x, int y, int w,
		      int h, int padx, int pady, int d, int size, const float mean[3],
		      float **out);

/* ------------------------------------------------------------ pipeline */

/* 0, or -EINVAL for an image without pixels, of a size over the limits or
 * with a short stride. */
int check_image(const struct egate_face_image *img);
/* Mean of the N landmarks from FROM. */
void mean_point(const struct egate_face_landmarks *lm, int from, int n, double *x, double *y);

/* ------------------------------------------------------------ nets */

struct detector;
struct landmarker;
struct recognizer;

int detector_new(const struct model *m, struct detector **out, char *errbuf, size_t errlen);
void detector_free(struct detector *d);
/* Runs the net on a size x size input; out = grid x grid x 25. */
int detector_run(struct detector *d, struct arena *a, const struct exec *ex,
		 const float *input, int size, int pad_from, float **out);

int landmarker_new(const struct model *m, struct landmarker **out, char *errbuf, size_t errlen);
void landmarker_free(struct landmarker *l);
int landmarker_run(struct landmarker *l, struct arena *a, const struct exec *ex,
		   const float *input112, float out[136]);

int recognizer_new(const struct model *m, struct recognizer **out, char *errbuf, size_t errlen);
void recognizer_free(struct recognizer *r);
int recognizer_run(struct recognizer *r, struct arena *a, const struct exec *ex,
		   const float *input150, float out[128]);

/* Benchmark hooks: swap the kernel set of an engine (e.g. for the im2col +
 * sgemm anchor) and return the previous one. */
const struct kernels *engine_set_kernels(struct egate_face_engine *e, const struct kernels *k);

#endif
