// SPDX-License-Identifier: MIT
/*
 * Layers of the face nets on NHWC float maps, batch 1.
 *
 * The convolution kernel is a direct ("implicit GEMM") convolution: an
 * output tile of 6 pixels x 16 output channels lives in 12 AVX2 registers
 * while the loop walks kh x kw x cin, broadcasting one input value and
 * loading 16 packed weights per step.  No im2col copy, weights packed once at
 * load time as [cout/16][kh][kw][cin][16] with the folded batch norm.  A
 * portable version of the same loop serves CPUs without AVX2+FMA; the choice
 * is made at run time (kernels_pick()).
 */
#include <limits.h>
#include <math.h>

#include "internal.h"

/* ------------------------------------------------------------ arena */

int arena_reserve(struct arena *a, size_t n)
{
	if (a->cap >= n)
		return 0;
	free(a->base);
	a->base = falloc(n);
	a->cap = a->base ? n : 0;
	a->used = 0;
	return a->base ? 0 : -ENOMEM;
}

float *arena_get(struct arena *a, size_t n)
{
	float *p;

	n = (n + 15) & ~(size_t)15;	/* keep 64-byte alignment */
	if (!a->base || n > a->cap - a->used)
		return NULL;
	p = a->base + a->used;
	a->used += n;
	return p;
}

void arena_release(struct arena *a)
{
	free(a->base);
	a->base = NULL;
	a->cap = a->used = 0;
}

/* ------------------------------------------------------------ packing */

int conv_pack(struct conv *cv, const float *hwio, const float *bias, const float *scale,
	      const float *beta, int kh, int kw, int cin, int cout)
{
	int coutp = (cout + NR - 1) / NR * NR;
	size_t K = (size_t)kh * kw * cin;

	cv->kh = kh;
	cv->kw = kw;
	cv->cin = cin;
	cv->cout = cout;
	cv->coutp = coutp;
	cv->w = falloc(K * coutp);
	cv->b = falloc(coutp);
	if (!cv->w || !cv->b) {
		conv_release(cv);
		return -ENOMEM;
	}
	memset(cv->w, 0, K * coutp * sizeof(float));
	memset(cv->b, 0, coutp * sizeof(float));
	for (int o = 0; o < cout; o++) {
		float s = scale ? scale[o] : 1.0f;

		for (size_t k = 0; k < K; k++)
			cv->w[(size_t)(o / NR) * K * NR + k * NR + o % NR] = hwio[k * cout + o] * s;
		cv->b[o] = (bias ? bias[o] : 0.0f) * s + (beta ? beta[o] : 0.0f);
	}
	return 0;
}

void conv_release(struct conv *cv)
{
	free(cv->w);
	free(cv->b);
	cv->w = cv->b = NULL;
}

/* ------------------------------------------------------------ generic kernels */

static void conv_generic(const float *in, _unused_ int ih, int iw, int cin,
			 const struct conv *cv, int stride, float *out, _unused_ int oh, int ow,
			 enum act act, const struct epi *epi, const struct conv_part *part)
{
	int np = part->p1, K = cv->kh * cv->kw, kwc = cv->kw * cin;

	for (int cb = part->cb0; cb < part->cb1; cb++) {
		const float *wb = cv->w + (size_t)cb * K * cin * NR;
		int nc = cv->cout - cb * NR < NR ? cv->cout - cb * NR : NR;

		int ty = part->p0 / ow, tx = part->p0 % ow;

		for (int p0 = part->p0; p0 < np; p0 += MR) {
			int nt = np - p0 < MR ? np - p0 : MR;
			const float *base[MR];
			float acc[MR][NR] = { { 0 } };

			tile_bases(in, iw, cin, ow, stride, nt, &ty, &tx, base);
			/* the kw x cin taps of one kernel row are contiguous */
			for (int ky = 0; ky < cv->kh; ky++) {
				const float *w = wb + (size_t)ky * kwc * NR;
				size_t off = (size_t)ky * iw * cin;

				for (int t = 0; t < kwc; t++, w += NR)
					for (int j = 0; j < MR; j++) {
						float a = base[j][off + t];

						for (int o = 0; o < NR; o++)
							acc[j][o] += a * w[o];
					}
			}
			for (int j = 0; j < nt; j++) {
				float v[NR];

				for (int o = 0; o < nc; o++)
					v[o] = acc[j][o] + cv->b[cb * NR + o];
				epilogue_scalar(v, out, (size_t)(p0 + j) * cv->cout + cb * NR, nc, act,
						epi);
			}
		}
	}
}

static void dw3_generic(const float *in, int ih, int iw, int c, const float *w, const float *b,
			int stride, int pt, int pl, float *out, int oh, int ow)
{
	for (int oy = 0; oy < oh; oy++)
		for (int ox = 0; ox < ow; ox++) {
			float *dst = out + ((size_t)oy * ow + ox) * c;

			for (int ch = 0; ch < c; ch++)
				dst[ch] = b ? b[ch] : 0.0f;
			for (int ky = 0; ky < 3; ky++)
				for (int kx = 0; kx < 3; kx++) {
					int iy = oy * stride + ky - pt, ix = ox * stride + kx - pl;
					const float *src, *wk = w + (ky * 3 + kx) * c;

					if (iy < 0 || ix < 0 || iy >= ih || ix >= iw)
						continue;
					src = in + ((size_t)iy * iw + ix) * c;
					for (int ch = 0; ch < c; ch++)
						dst[ch] += src[ch] * wk[ch];
				}
		}
}

static void maxpool2_generic(const float *in, int ih, int iw, int c, int s, float *out, int oh,
			     int ow)
{
	for (int oy = 0; oy < oh; oy++)
		for (int ox = 0; ox < ow; ox++) {
			/* clamping a tap to the edge repeats a value: same max */
			int y0 = oy * s, x0 = ox * s;
			int y1 = y0 + 1 < ih ? y0 + 1 : ih - 1, x1 = x0 + 1 < iw ? x0 + 1 : iw - 1;
			const float *a = in + ((size_t)y0 * iw + x0) * c, *b = in + ((size_t)y0 * iw + x1) * c;
			const float *d = in + ((size_t)y1 * iw + x0) * c, *e = in + ((size_t)y1 * iw + x1) * c;
			float *o = out + ((size_t)oy * ow + ox) * c;

			for (int ch = 0; ch < c; ch++) {
				float m = a[ch] > b[ch] ? a[ch] : b[ch], n = d[ch] > e[ch] ? d[ch] : e[ch];

				o[ch] = m > n ? m : n;
			}
		}
}

static void maxn_generic(float *dst, const float *const *src, int n, int c)
{
	for (int i = 0; i < c; i++) {
		float m = src[0][i];

		for (int t = 1; t < n; t++)
			m = src[t][i] > m ? src[t][i] : m;
		dst[i] = m;
	}
}

const struct kernels kernels_generic = {
	.name = "generic",
	.fuse = true,
	.conv = conv_generic,
	.dw3 = dw3_generic,
	.maxn = maxn_generic,
	.maxpool2 = maxpool2_generic,
};

/* ------------------------------------------------------------ AVX2 + FMA */
#if defined(__x86_64__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))

AVX2 static inline __m256 act8(__m256 v, enum act act)
{
	if (act == ACT_RELU)
		return _mm256_max_ps(v, _mm256_setzero_ps());
	if (act == ACT_LEAKY) {
		__m256 m = _mm256_mul_ps(v, _mm256_set1_ps(0.1f));

		return _mm256_add_ps(_mm256_max_ps(_mm256_sub_ps(v, m), _mm256_setzero_ps()), m);
	}
	return v;
}

AVX2 static void conv_avx2(const float *in, _unused_ int ih, int iw, int cin,
			   const struct conv *cv, int stride, float *out, _unused_ int oh, int ow,
			   enum act act, const struct epi *epi, const struct conv_part *part)
{
	int np = part->p1, K = cv->kh * cv->kw, kwc = cv->kw * cin;

	for (int cb = part->cb0; cb < part->cb1; cb++) {
		const float *wb = cv->w + (size_t)cb * K * cin * NR;
		int nc = cv->cout - cb * NR < NR ? cv->cout - cb * NR : NR;
		__m256 b0 = _mm256_load_ps(cv->b + cb * NR), b1 = _mm256_load_ps(cv->b + cb * NR + 8);
		int ty = part->p0 / ow, tx = part->p0 % ow;

		for (int p0 = part->p0; p0 < np; p0 += MR) {
			int nt = np - p0 < MR ? np - p0 : MR;
			const float *base[MR];
			__m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00,
			       c21 = c00, c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00,
			       c51 = c00;

			tile_bases(in, iw, cin, ow, stride, nt, &ty, &tx, base);
			/* the kw x cin taps of one kernel row are contiguous */
			for (int ky = 0; ky < cv->kh; ky++) {
					const float *w = wb + (size_t)ky * kwc * NR;
					size_t off = (size_t)ky * iw * cin;
					const float *i0 = base[0] + off, *i1 = base[1] + off,
						    *i2 = base[2] + off, *i3 = base[3] + off,
						    *i4 = base[4] + off, *i5 = base[5] + off;

					for (int ci = 0; ci < kwc; ci++, w += NR) {
						__m256 w0 = _mm256_load_ps(w), w1 = _mm256_load_ps(w + 8);
						__m256 a;

						a = _mm256_broadcast_ss(i0 + ci);
						c00 = _mm256_fmadd_ps(a, w0, c00);
						c01 = _mm256_fmadd_ps(a, w1, c01);
						a = _mm256_broadcast_ss(i1 + ci);
						c10 = _mm256_fmadd_ps(a, w0, c10);
						c11 = _mm256_fmadd_ps(a, w1, c11);
						a = _mm256_broadcast_ss(i2 + ci);
						c20 = _mm256_fmadd_ps(a, w0, c20);
						c21 = _mm256_fmadd_ps(a, w1, c21);
						a = _mm256_broadcast_ss(i3 + ci);
						c30 = _mm256_fmadd_ps(a, w0, c30);
						c31 = _mm256_fmadd_ps(a, w1, c31);
						a = _mm256_broadcast_ss(i4 + ci);
						c40 = _mm256_fmadd_ps(a, w0, c40);
						c41 = _mm256_fmadd_ps(a, w1, c41);
						a = _mm256_broadcast_ss(i5 + ci);
						c50 = _mm256_fmadd_ps(a, w0, c50);
						c51 = _mm256_fmadd_ps(a, w1, c51);
					}
			}
			{
				__m256 r[MR][2] = { { c00, c01 }, { c10, c11 }, { c20, c21 },
						    { c30, c31 }, { c40, c41 }, { c50, c51 } };

				for (int j = 0; j < nt; j++) {
					size_t at = (size_t)(p0 + j) * cv->cout + cb * NR;
					__m256 v0 = _mm256_add_ps(r[j][0], b0);
					__m256 v1 = _mm256_add_ps(r[j][1], b1);

					if (nc == NR) {
						if (epi && epi->res) {
							v0 = _mm256_add_ps(v0, _mm256_loadu_ps(epi->res + at));
							v1 = _mm256_add_ps(v1, _mm256_loadu_ps(epi->res + at + 8));
						}
						if (epi && epi->raw) {
							_mm256_storeu_ps(epi->raw + at, v0);
							_mm256_storeu_ps(epi->raw + at + 8, v1);
						}
						_mm256_storeu_ps(out + at, act8(v0, act));
						_mm256_storeu_ps(out + at + 8, act8(v1, act));
					} else {
						float tmp[NR];

						_mm256_storeu_ps(tmp, v0);
						_mm256_storeu_ps(tmp + 8, v1);
						epilogue_scalar(tmp, out, at, nc, act, epi);
					}
				}
			}
		}
	}
}

AVX2 static void dw3_avx2(const float *in, int ih, int iw, int c, const float *w,
			  const float *b, int stride, int pt, int pl, float *out, int oh, int ow)
{
	if (c % 8) {
		dw3_generic(in, ih, iw, c, w, b, stride, pt, pl, out, oh, ow);
		return;
	}
	for (int oy = 0; oy < oh; oy++) {
		int iy0 = oy * stride - pt;
		bool rows_in = iy0 >= 0 && iy0 + 2 < ih;

		for (int ch = 0; ch < c; ch += 8) {
			__m256 wv[9], bias = b ? _mm256_loadu_ps(b + ch) : _mm256_setzero_ps();

			for (int t = 0; t < 9; t++)
				wv[t] = _mm256_loadu_ps(w + t * c + ch);
			for (int ox = 0; ox < ow; ox++) {
				int ix0 = ox * stride - pl;
				__m256 acc = bias;

				if (rows_in && ix0 >= 0 && ix0 + 2 < iw) {
					const float *src = in + ((size_t)iy0 * iw + ix0) * c + ch;

					for (int ky = 0; ky < 3; ky++, src += (size_t)iw * c) {
						acc = _mm256_fmadd_ps(_mm256_loadu_ps(src), wv[ky * 3], acc);
						acc = _mm256_fmadd_ps(_mm256_loadu_ps(src + c), wv[ky * 3 + 1], acc);
						acc = _mm256_fmadd_ps(_mm256_loadu_ps(src + 2 * c), wv[ky * 3 + 2], acc);
					}
				} else {
					for (int ky = 0; ky < 3; ky++)
						for (int kx = 0; kx < 3; kx++) {
							int iy = iy0 + ky, ix = ix0 + kx;

							if (iy < 0 || ix < 0 || iy >= ih || ix >= iw)
								continue;
							acc = _mm256_fmadd_ps(
								_mm256_loadu_ps(in + ((size_t)iy * iw + ix) * c + ch),
								wv[ky * 3 + kx], acc);
						}
				}
				_mm256_storeu_ps(out + ((size_t)oy * ow + ox) * c + ch, acc);
			}
		}
	}
}

AVX2 static void maxpool2_avx2(const float *in, int ih, int iw, int c, int s, float *out, int oh,
			       int ow)
{
	if (c % 8) {
		maxpool2_generic(in, ih, iw, c, s, out, oh, ow);
		return;
	}
	for (int oy = 0; oy < oh; oy++) {
		int y0 = oy * s, y1 = y0 + 1 < ih ? y0 + 1 : ih - 1;

		for (int ox = 0; ox < ow; ox++) {
			int x0 = ox * s, x1 = x0 + 1 < iw ? x0 + 1 : iw - 1;
			const float *a = in + ((size_t)y0 * iw + x0) * c, *b = in + ((size_t)y0 * iw + x1) * c;
			const float *d = in + ((size_t)y1 * iw + x0) * c, *e = in + ((size_t)y1 * iw + x1) * c;
			float *o = out + ((size_t)oy * ow + ox) * c;

			for (int ch = 0; ch < c; ch += 8)
				_mm256_storeu_ps(o + ch, _mm256_max_ps(
					_mm256_max_ps(_mm256_loadu_ps(a + ch), _mm256_loadu_ps(b + ch)),
					_mm256_max_ps(_mm256_loadu_ps(d + ch), _mm256_loadu_ps(e + ch))));
		}
	}
}

AVX2 static void maxn_avx2(float *dst, const float *const *src, int n, int c)
{
	int i = 0;

	for (; i + 8 <= c; i += 8) {
		__m256 m = _mm256_loadu_ps(src[0] + i);

		for (int t = 1; t < n; t++)
			m = _mm256_max_ps(_mm256_loadu_ps(src[t] + i), m);
		_mm256_storeu_ps(dst + i, m);
	}
	if (i < c) {
		const float *rest[9];

		for (int t = 0; t < n && t < 9; t++)
			rest[t] = src[t] + i;
		maxn_generic(dst + i, rest, n, c - i);
	}
}

const struct kernels kernels_avx2 = {
	.name = "avx2",
	.fuse = true,
	.conv = conv_avx2,
	.dw3 = dw3_avx2,
	.maxn = maxn_avx2,
	.maxpool2 = maxpool2_avx2,
};
#endif

const struct kernels *kernels_pick(void)
{
	const char *force = getenv("EGATE_FACE_ISA");

	if (force && !strcmp(force, "generic"))
		return &kernels_generic;
#if defined(__x86_64__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
		if (__builtin_cpu_supports("avx512f") && !(force && !strcmp(force, "avx2")))
			return &kernels_avx512;
		return &kernels_avx2;
	}
#endif
	return &kernels_generic;
}

/* ------------------------------------------------------------ map ops */

static int fm_alloc(struct arena *a, int h, int w, int c, struct fmap *out)
{
	out->h = h;
	out->w = w;
	out->c = c;
	out->d = arena_get(a, (size_t)h * w * c);
	return out->d ? 0 : -ENOMEM;
}

int fm_pad(struct arena *a, const struct fmap *x, int top, int bottom, int left, int right,
	   struct fmap *out)
{
	int r = fm_alloc(a, x->h + top + bottom, x->w + left + right, x->c, out);

	if (r < 0)
		return r;
	memset(out->d, 0, (size_t)out->h * out->w * out->c * sizeof(float));
	for (int y = 0; y < x->h; y++)
		memcpy(out->d + ((size_t)(y + top) * out->w + left) * x->c,
		       x->d + (size_t)y * x->w * x->c, (size_t)x->w * x->c * sizeof(float));
	return 0;
}

/* TensorFlow SAME: odd pixel at the bottom/right. */
static void same_pad(int in, int k, int s, int *before, int *after, int *out)
{
	int o = (in + s - 1) / s, total = (o - 1) * s + k - in;

	if (total < 0)
		total = 0;
	*before = total / 2;
	*after = total - total / 2;
	*out = o;
}

static int pad_for(struct arena *a, const struct fmap *x, int k, int stride, bool same,
		   struct fmap *xp, int *oh, int *ow)
{
	if (same) {
		int t, b, l, r;

		same_pad(x->h, k, stride, &t, &b, oh);
		same_pad(x->w, k, stride, &l, &r, ow);
		if (t || b || l || r)
			return fm_pad(a, x, t, b, l, r, xp);
		*xp = *x;
		return 0;
	}
	if (x->h < k || x->w < k)
		return -EINVAL;
	*oh = (x->h - k) / stride + 1;
	*ow = (x->w - k) / stride + 1;
	*xp = *x;
	return 0;
}

/* [*a, *b): share PART of NPARTS of N items, cut at multiples of STEP. */
static void share(int n, int step, int part, int nparts, int *a, int *b)
{
	int units = (n + step - 1) / step;
	int from = (int)((long)units * part / nparts) * step;
	int to = (int)((long)units * (part + 1) / nparts) * step;

	*a = from < n ? from : n;
	*b = to < n ? to : n;
}

struct conv_job {
	const struct kernels *k;
	const float *in;
	int ih, iw, cin, stride, oh, ow;
	const struct conv *cv;
	float *out;
	enum act act;
	const struct epi *epi;
	bool by_channel;
};

static void conv_job_run(void *ctx, int part, int nparts)
{
	const struct conv_job *j = ctx;
	struct conv_part p = { 0, j->cv->coutp / NR, 0, j->oh * j->ow };

	if (j->by_channel)
		share(j->cv->coutp / NR, 2, part, nparts, &p.cb0, &p.cb1);
	else
		share(j->oh * j->ow, MR, part, nparts, &p.p0, &p.p1);
	if (p.cb0 < p.cb1 && p.p0 < p.p1)
		j->k->conv(j->in, j->ih, j->iw, j->cin, j->cv, j->stride, j->out, j->oh, j->ow,
			   j->act, j->epi, &p);
}

int fm_conv(struct arena *a, const struct exec *ex, const struct fmap *x,
	    const struct conv *cv, int stride, bool same, enum act act, struct fmap *out)
{
	return fm_conv_epi(a, ex, x, cv, stride, same, act, NULL, out);
}

int fm_conv_epi(struct arena *a, const struct exec *ex, const struct fmap *x,
		const struct conv *cv, int stride, bool same, enum act act,
		const struct epi *epi, struct fmap *out)
{
	int oh, ow, r, parts = pool_parts(ex->pool);
	struct conv_job j;
	struct fmap xp;

	if (x->c != cv->cin || cv->kh != cv->kw)
		return -EINVAL;
	r = pad_for(a, x, cv->kh, stride, same, &xp, &oh, &ow);
	if (r < 0)
		return r;
	r = fm_alloc(a, oh, ow, cv->cout, out);
	if (r < 0)
		return r;
	/* pairs of blocks (the AVX-512 tile) where there are enough (the
	 * small late maps), else runs of pixel tiles */
	j = (struct conv_job){ ex->k, xp.d, xp.h, xp.w, xp.c, stride, oh, ow, cv, out->d, act, epi,
			       cv->coutp / NR >= 2 * parts };
	pool_run(ex->pool, conv_job_run, &j, parts);
	return 0;
}

struct dw_job {
	const struct kernels *k;
	const struct fmap *x;
	const struct dwconv *dw;
	int stride, pt, pl;
	struct fmap *out;
};

/* rows [y0, y1) of the output: the same call with the padding moved */
static void dw_job_run(void *ctx, int part, int nparts)
{
	const struct dw_job *j = ctx;
	const struct fmap *x = j->x;
	int y0, y1;

	share(j->out->h, 1, part, nparts, &y0, &y1);
	if (y0 < y1)
		j->k->dw3(x->d, x->h, x->w, x->c, j->dw->w, j->dw->b, j->stride,
			  j->pt - y0 * j->stride, j->pl,
			  j->out->d + (size_t)y0 * j->out->w * x->c, y1 - y0, j->out->w);
}

int fm_dwconv(struct arena *a, const struct exec *ex, const struct fmap *x,
	      const struct dwconv *dw, int stride, bool same, struct fmap *out)
{
	int oh, ow, pt = 0, pl = 0, dummy, r, parts = pool_parts(ex->pool);
	struct dw_job j;

	if (x->c != dw->c)
		return -EINVAL;
	if (same) {
		same_pad(x->h, 3, stride, &pt, &dummy, &oh);
		same_pad(x->w, 3, stride, &pl, &dummy, &ow);
	} else {
		if (x->h < 3 || x->w < 3)
			return -EINVAL;
		oh = (x->h - 3) / stride + 1;
		ow = (x->w - 3) / stride + 1;
	}
	r = fm_alloc(a, oh, ow, x->c, out);
	if (r < 0)
		return r;
	j = (struct dw_job){ ex->k, x, dw, stride, pt, pl, out };
	pool_run(ex->pool, dw_job_run, &j, parts);
	return 0;
}

struct pool_job {
	const struct kernels *k;
	const struct fmap *x;
	int ks, stride, t, l;
	bool k2;	/* 2x2 SAME: the maxpool2 kernel (t = l = 0) */
	struct fmap *out;
};

static void pool_job_run(void *ctx, int part, int nparts)
{
	const struct pool_job *j = ctx;
	const struct fmap *x = j->x;
	int s = j->stride, ow = j->out->w, y0, y1;

	share(j->out->h, 1, part, nparts, &y0, &y1);
	if (y0 >= y1)
		return;
	if (j->k2) {
		/* nothing padded at the top: rows from y0 * s on */
		j->k->maxpool2(x->d + (size_t)y0 * s * x->w * x->c, x->h - y0 * s, x->w, x->c, s,
			       j->out->d + (size_t)y0 * ow * x->c, y1 - y0, ow);
		return;
	}
	for (int oy = y0; oy < y1; oy++)
		for (int ox = 0; ox < ow; ox++) {
			const float *src[9];
			int n = 0;

			/* SAME padding never wins a max: skip the padded taps */
			for (int ky = 0; ky < j->ks; ky++)
				for (int kx = 0; kx < j->ks; kx++) {
					int iy = oy * s + ky - j->t, ix = ox * s + kx - j->l;

					if (iy >= 0 && ix >= 0 && iy < x->h && ix < x->w)
						src[n++] = x->d + ((size_t)iy * x->w + ix) * x->c;
				}
			j->k->maxn(j->out->d + ((size_t)oy * ow + ox) * x->c, src, n, x->c);
		}
}

int fm_maxpool(struct arena *a, const struct exec *ex, const struct fmap *x, int ks,
	       int stride, bool same, struct fmap *out)
{
	int oh, ow, t = 0, l = 0, dummy, r, parts = pool_parts(ex->pool);
	struct pool_job j;

	if (ks > 3)
		return -EINVAL;
	if (same) {
		same_pad(x->h, ks, stride, &t, &dummy, &oh);
		same_pad(x->w, ks, stride, &l, &dummy, &ow);
	} else {
		if (x->h < ks || x->w < ks)
			return -EINVAL;
		oh = (x->h - ks) / stride + 1;
		ow = (x->w - ks) / stride + 1;
	}
	r = fm_alloc(a, oh, ow, x->c, out);
	if (r < 0)
		return r;
	j = (struct pool_job){ ex->k, x, ks, stride, t, l, ks == 2 && same, out };
	pool_run(ex->pool, pool_job_run, &j, parts);
	return 0;
}

struct pool2_job {
	const struct kernels *k;
	const struct fmap *x;
	const struct conv *cv;
	enum act act;
	int ch, cw, rows;	/* conv output size; output rows computed */
	float *tmp;		/* 2 conv rows for each part */
	struct fmap *out;
};

static void pool2_job_run(void *ctx, int part, int nparts)
{
	const struct pool2_job *j = ctx;
	const struct fmap *x = j->x;
	size_t cout = j->cv->cout;
	float *tmp = j->tmp + (size_t)part * 2 * j->cw * cout;
	int y0, y1;

	share(j->rows, 1, part, nparts, &y0, &y1);
	for (int y = y0; y < y1; y++) {
		int rows = 2 * y + 1 < j->ch ? 2 : 1;
		struct conv_part p = { 0, j->cv->coutp / NR, 0, rows * j->cw };

		j->k->conv(x->d + (size_t)2 * y * x->w * x->c, j->cv->kh + rows - 1, x->w, x->c,
			   j->cv, 1, tmp, rows, j->cw, j->act, NULL, &p);
		j->k->maxpool2(tmp, rows, j->cw, (int)cout, 2,
			       j->out->d + (size_t)y * j->out->w * cout, 1, j->out->w);
	}
}

/* VALID stride-1 conv followed by a 2x2 stride-2 SAME max-pool, two conv
 * rows at a time so the conv output (the detector's largest maps) never
 * leaves the cache; the threads take runs of output rows. */
int fm_conv_pool2(struct arena *a, const struct exec *ex, const struct fmap *x,
		  const struct conv *cv, enum act act, int const_from, struct fmap *out)
{
	int ch = x->h - cv->kh + 1, cw = x->w - cv->kw + 1, first_const, r;
	int parts = pool_parts(ex->pool);
	struct pool2_job j;
	size_t row;

	if (x->c != cv->cin || ch < 1 || cw < 1)
		return -EINVAL;
	if (!ex->k->fuse) {
		struct fmap t;

		r = fm_conv(a, ex, x, cv, 1, false, act, &t);
		return r < 0 ? r : fm_maxpool(a, ex, &t, 2, 2, true, out);
	}
	r = fm_alloc(a, (ch + 1) / 2, (cw + 1) / 2, cv->cout, out);
	if (r < 0)
		return r;
	j = (struct pool2_job){ ex->k, x, cv, act, ch, cw, out->h, NULL, out };
	j.tmp = arena_get(a, (size_t)parts * 2 * cw * cv->cout);
	if (!j.tmp)
		return -ENOMEM;
	/* input rows from CONST_FROM on all hold the same pixel (the letterbox
	 * padding): every output row from the first that reads only those
	 * equals it, computed by the same instructions, so copy it */
	first_const = const_from < INT_MAX - 1 ? (const_from + 1) / 2 : out->h;
	if (first_const < out->h)
		j.rows = first_const + 1;
	pool_run(ex->pool, pool2_job_run, &j, parts);
	row = (size_t)out->w * out->c;
	for (int y = j.rows; y < out->h; y++)
		memcpy(out->d + (size_t)y * row, out->d + (size_t)first_const * row,
		       row * sizeof(float));
	return 0;
}
/* 2x2 stride 2 VALID average pool. */
int fm_avgpool2(struct arena *a, const struct fmap *x, struct fmap *out)
{
	int r = fm_alloc(a, x->h / 2, x->w / 2, x->c, out);

	if (r < 0)
		return r;
	for (int oy = 0; oy < out->h; oy++)
		for (int ox = 0; ox < out->w; ox++) {
			const float *s0 = x->d + ((size_t)(2 * oy) * x->w + 2 * ox) * x->c;
			const float *s1 = s0 + (size_t)x->w * x->c;
			float *dst = out->d + ((size_t)oy * out->w + ox) * x->c;

			for (int c = 0; c < x->c; c++)
				dst[c] = (s0[c] + s0[x->c + c] + s1[c] + s1[x->c + c]) * 0.25f;
		}
	return 0;
}

void fm_add(struct fmap *y, const struct fmap *x)
{
	size_t n = (size_t)y->h * y->w * y->c;

	for (size_t i = 0; i < n; i++)
		y->d[i] += x->d[i];
}

void fm_relu(struct fmap *y)
{
	size_t n = (size_t)y->h * y->w * y->c;

	for (size_t i = 0; i < n; i++)
		y->d[i] = y->d[i] > 0 ? y->d[i] : 0;
}

void fm_mean(const struct fmap *x, float *out)
{
	size_t n = (size_t)x->h * x->w;

	float s[1024] = { 0 };

	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < x->c && c < 1024; c++)
			s[c] += x->d[i * x->c + c];
	for (int c = 0; c < x->c && c < 1024; c++)
		out[c] = s[c] / (float)n;
}
