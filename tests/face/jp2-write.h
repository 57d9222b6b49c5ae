/* SPDX-License-Identifier: MIT */
/*
 * JPEG 2000 into memory with libopenjp2's encoder, for the image tests
 * and the JPEG 2000 fuzzer's seeds.
 */
#ifndef EGATE_FACE_TEST_JP2_WRITE_H
#define EGATE_FACE_TEST_JP2_WRITE_H

#include <math.h>

#include <openjpeg.h>

#include "image-write.h"

static OPJ_SIZE_T opj_put(void *p, OPJ_SIZE_T n, void *user)
{
	return membuf_put(user, p, n) < 0 ? (OPJ_SIZE_T)-1 : n;
}

static OPJ_OFF_T opj_skip_w(OPJ_OFF_T n, void *user)
{
	struct membuf *m = user;

	m->off += (size_t)n;
	return n;
}

static OPJ_BOOL opj_seek_w(OPJ_OFF_T to, void *user)
{
	((struct membuf *)user)->off = (size_t)to;
	return OPJ_TRUE;
}

/*
 * JPEG 2000 of W x H with CHANNELS (1 grey, 2 grey + alpha, 3 RGB, 4 RGBA)
 * of PREC bits (px holds 8-bit samples, scaled up), a JP2 file when JP2
 * else a raw codestream; RATIO 0 lossless (5/3 wavelet), else the
 * compression ratio (9/7).  SYCC (RGB in px, a JP2): stored as sYCC, full
 * range BT.601 YCbCr, with Cb and Cr subsampled 2 x 2 (the top-left pixel
 * of each block).
 */
static inline int write_jp2(const uint8_t *px, int w, int h, int channels, int prec, int jp2,
			    float ratio, int sycc, struct membuf *out)
{
	opj_cparameters_t p;
	opj_image_cmptparm_t cp[4];
	opj_image_t *img;
	opj_codec_t *codec;
	opj_stream_t *s;
	int ok;

	memset(cp, 0, sizeof(cp));
	for (int i = 0; i < channels; i++) {
		cp[i].dx = cp[i].dy = 1;
		cp[i].w = (OPJ_UINT32)w;
		cp[i].h = (OPJ_UINT32)h;
		cp[i].prec = (OPJ_UINT32)prec;
		if (sycc && i > 0) {
			cp[i].dx = cp[i].dy = 2;
			cp[i].w = (OPJ_UINT32)(w + 1) / 2;
			cp[i].h = (OPJ_UINT32)(h + 1) / 2;
		}
	}
	img = opj_image_create((OPJ_UINT32)channels, cp,
			       sycc ? OPJ_CLRSPC_SYCC :
			       channels < 3 ? OPJ_CLRSPC_GRAY : OPJ_CLRSPC_SRGB);
	if (!img)
		return -1;
	img->x1 = (OPJ_UINT32)w;
	img->y1 = (OPJ_UINT32)h;
	for (int i = 0; i < channels && !sycc; i++)
		for (size_t k = 0; k < (size_t)w * h; k++)
			img->comps[i].data[k] = px[k * channels + i] * ((1 << prec) - 1) / 255;
	for (int y = 0; sycc && y < h; y++)
		for (int x = 0; x < w; x++) {
			const uint8_t *q = px + ((size_t)y * w + x) * 3;
			double r = q[0], g = q[1], b = q[2];

			img->comps[0].data[(size_t)y * w + x] = (int)lround(0.299 * r + 0.587 * g + 0.114 * b);
			if (x % 2 || y % 2)
				continue;
			img->comps[1].data[(size_t)(y / 2) * cp[1].w + x / 2] =
				(int)lround(128 - 0.168736 * r - 0.331264 * g + 0.5 * b);
			img->comps[2].data[(size_t)(y / 2) * cp[2].w + x / 2] =
				(int)lround(128 + 0.5 * r - 0.418688 * g - 0.081312 * b);
		}
	if (channels == 2 || channels == 4)
		img->comps[channels - 1].alpha = 1;
	opj_set_default_encoder_parameters(&p);
	p.tcp_numlayers = 1;
	p.tcp_rates[0] = ratio;
	p.cp_disto_alloc = 1;
	p.irreversible = ratio > 0;
	p.tcp_mct = channels >= 3 && !sycc;
	while (p.numresolution > 1 && (w < (1 << (p.numresolution - 1)) ||
				       h < (1 << (p.numresolution - 1))))
		p.numresolution--;
	codec = opj_create_compress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
	s = opj_stream_create(1 << 16, OPJ_FALSE);
	opj_stream_set_user_data(s, out, NULL);
	opj_stream_set_write_function(s, opj_put);
	opj_stream_set_skip_function(s, opj_skip_w);
	opj_stream_set_seek_function(s, opj_seek_w);
	ok = opj_setup_encoder(codec, &p, img) && opj_start_compress(codec, img, s) &&
	     opj_encode(codec, s) && opj_end_compress(codec, s);
	opj_stream_destroy(s);
	opj_destroy_codec(codec);
	opj_image_destroy(img);
	return ok ? 0 : -1;
}

#endif
