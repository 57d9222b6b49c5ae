// SPDX-License-Identifier: MIT
/*
 * AVX-512 (F) kernels: the AVX2 kernels' loops over twice as many
 * independent output values per instruction, never a different sum.  The
 * convolution keeps a tile of 6 pixels x 32 output channels (two packed
 * weight blocks) in 12 zmm registers, where AVX2 keeps 6 x 16 in 12 ymm;
 * each output value is still bias + the FMA chain over kh x kw x cin in the
 * same order, then the residual and the activation, so every result is bit
 * for bit the AVX2 one (tests/face/bitexact.c).  Depthwise convs and
 * max-pools are the AVX2 ones.
 */
#include "internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx2,fma")))

AVX512 static inline __m512 act16(__m512 v, enum act act)
{
	if (act == ACT_RELU)
		return _mm512_max_ps(v, _mm512_setzero_ps());
	if (act == ACT_LEAKY) {
		__m512 m = _mm512_mul_ps(v, _mm512_set1_ps(0.1f));

		return _mm512_add_ps(_mm512_max_ps(_mm512_sub_ps(v, m), _mm512_setzero_ps()), m);
	}
	return v;
}

/* v = the FMA sums of one pixel's block + its bias; the epilogue of
 * conv_avx2 for 16 channels at out[at] */
AVX512 static inline void epilogue16(__m512 v, float *out, size_t at, int nc, enum act act,
				     const struct epi *epi)
{
	if (nc == NR) {
		if (epi && epi->res)
			v = _mm512_add_ps(v, _mm512_loadu_ps(epi->res + at));
		if (epi && epi->raw)
			_mm512_storeu_ps(epi->raw + at, v);
		_mm512_storeu_ps(out + at, act16(v, act));
		return;
	}
	{
		float tmp[NR];

		_mm512_storeu_ps(tmp, v);
		epilogue_scalar(tmp, out, at, nc, act, epi);
	}
}

/* one tap for pixel J of the tile: each block */
#define TAP2(j)									\
	do {									\
		__m512 a_ = _mm512_set1_ps(i##j[ci]);				\
		c##j##0 = _mm512_fmadd_ps(a_, w0, c##j##0);			\
		if (nb == 2)							\
			c##j##1 = _mm512_fmadd_ps(a_, w1, c##j##1);		\
	} while (0)

/* Blocks CB and CB + 1 (NB = 2) or CB alone (NB = 1) over the pixels of
 * PART; inlined with NB a constant, so one block does one FMA a tap. */
AVX512 static inline __attribute__((always_inline)) void conv_blocks(const float *in, int iw, int cin, const struct conv *cv,
			       int stride, float *out, int ow, enum act act,
			       const struct epi *epi, const struct conv_part *part, int cb,
			       int nb)
{
	int np = part->p1, K = cv->kh * cv->kw, kwc = cv->kw * cin;
	size_t bstride = nb == 2 ? (size_t)K * cin * NR : 0;	/* second block's weights */
	const float *wb = cv->w + (size_t)cb * K * cin * NR;
	__m512 b0 = _mm512_load_ps(cv->b + cb * NR);
	__m512 b1 = nb == 2 ? _mm512_load_ps(cv->b + (cb + 1) * NR) : b0;
	int ty = part->p0 / ow, tx = part->p0 % ow;

	for (int p0 = part->p0; p0 < np; p0 += MR) {
		int nt = np - p0 < MR ? np - p0 : MR;
		const float *base[MR];
		__m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00,
		       c21 = c00, c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00,
		       c51 = c00;

		tile_bases(in, iw, cin, ow, stride, nt, &ty, &tx, base);
		for (int ky = 0; ky < cv->kh; ky++) {
			const float *w = wb + (size_t)ky * kwc * NR;
			size_t off = (size_t)ky * iw * cin;
			const float *i0 = base[0] + off, *i1 = base[1] + off, *i2 = base[2] + off,
				    *i3 = base[3] + off, *i4 = base[4] + off, *i5 = base[5] + off;

			for (int ci = 0; ci < kwc; ci++, w += NR) {
				__m512 w0 = _mm512_load_ps(w);
				__m512 w1 = nb == 2 ? _mm512_load_ps(w + bstride) : w0;

				TAP2(0);
				TAP2(1);
				TAP2(2);
				TAP2(3);
				TAP2(4);
				TAP2(5);
			}
		}
		{
			__m512 r[MR][2] = { { c00, c01 }, { c10, c11 }, { c20, c21 },
					    { c30, c31 }, { c40, c41 }, { c50, c51 } };

			for (int j = 0; j < nt; j++)
				for (int k = 0; k < nb; k++) {
					int blk = cb + k;
					int nc = cv->cout - blk * NR < NR ? cv->cout - blk * NR : NR;

					epilogue16(_mm512_add_ps(r[j][k], k ? b1 : b0), out,
						   (size_t)(p0 + j) * cv->cout + blk * NR, nc, act, epi);
				}
		}
	}
}

AVX512 static void conv_avx512(const float *in, _unused_ int ih, int iw, int cin,
			       const struct conv *cv, int stride, float *out, _unused_ int oh,
			       int ow, enum act act, const struct epi *epi,
			       const struct conv_part *part)
{
	int cb = part->cb0;

	for (; cb + 1 < part->cb1; cb += 2)
		conv_blocks(in, iw, cin, cv, stride, out, ow, act, epi, part, cb, 2);
	if (cb < part->cb1)
		conv_blocks(in, iw, cin, cv, stride, out, ow, act, epi, part, cb, 1);
}

/* Depthwise convs and max-pools read as much as they compute: zmm
 * registers would only copy their AVX2 loops, so they are the AVX2 ones. */
static void dw3_avx512(const float *in, int ih, int iw, int c, const float *w, const float *b,
		       int stride, int pt, int pl, float *out, int oh, int ow)
{
	kernels_avx2.dw3(in, ih, iw, c, w, b, stride, pt, pl, out, oh, ow);
}

static void maxpool2_avx512(const float *in, int ih, int iw, int c, int s, float *out, int oh,
			    int ow)
{
	kernels_avx2.maxpool2(in, ih, iw, c, s, out, oh, ow);
}

static void maxn_avx512(float *dst, const float *const *src, int n, int c)
{
	kernels_avx2.maxn(dst, src, n, c);
}

const struct kernels kernels_avx512 = {
	.name = "avx512",
	.fuse = true,
	.conv = conv_avx512,
	.dw3 = dw3_avx512,
	.maxn = maxn_avx512,
	.maxpool2 = maxpool2_avx512,
};
#endif
