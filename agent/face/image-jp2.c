// SPDX-License-Identifier: MIT
/*
 * JPEG 2000 (libopenjp2) into RGB: a JP2 file or a raw codestream, as on
 * a passport chip (ICAO 9303, DG2).  Grey, grey + alpha, RGB (sRGB or
 * unspecified), RGB + alpha and sYCC; components of any precision up to
 * 16 bits are scaled to 8, subsampled ones repeated, alpha composited onto
 * PICTURE_BACKGROUND.  The size is checked from the header before
 * anything is decoded; a codestream cut short is an error (strict mode),
 * not a partly grey picture.
 */
#include <openjpeg.h>

#include "image-internal.h"

#define MAX_COMPONENTS 4
#define MAX_PRECISION 16

/* the JPEG 2000 signature box, then a codestream's SOC and SIZ markers */
static const uint8_t jp2_signature[12] = {
	0, 0, 0, 12, 'j', 'P', ' ', ' ', '\r', '\n', 0x87, '\n'
};
static const uint8_t j2k_soc_siz[4] = { 0xff, 0x4f, 0xff, 0x51 };

static bool starts_with(const uint8_t *data, size_t len, const uint8_t *magic, size_t n)
{
	return len >= n && !memcmp(data, magic, n);
}

bool is_jp2(const uint8_t *data, size_t len)
{
	return starts_with(data, len, jp2_signature, sizeof(jp2_signature)) ||
	       starts_with(data, len, j2k_soc_siz, sizeof(j2k_soc_siz));
}

struct jp2src {
	const uint8_t *data;
	size_t len, off;
	char msg[200];	/* libopenjp2's first error */
};

static OPJ_SIZE_T src_read(void *buf, OPJ_SIZE_T n, void *user)
{
	struct jp2src *s = user;

	if (s->off >= s->len)
		return (OPJ_SIZE_T)-1;
	if (n > s->len - s->off)
		n = s->len - s->off;
	memcpy(buf, s->data + s->off, n);
	s->off += n;
	return n;
}

static OPJ_OFF_T src_skip(OPJ_OFF_T n, void *user)
{
	struct jp2src *s = user;

	if (n < 0 ? (size_t)-n > s->off : (size_t)n > s->len - s->off)
		return -1;
	s->off += (size_t)n;
	return n;
}

static OPJ_BOOL src_seek(OPJ_OFF_T to, void *user)
{
	struct jp2src *s = user;

	if (to < 0 || (uint64_t)to > s->len)
		return OPJ_FALSE;
	s->off = (size_t)to;
	return OPJ_TRUE;
}

static void on_error(const char *msg, void *user)
{
	struct jp2src *s = user;
	size_t n;

	if (s->msg[0])
		return;
	snprintf(s->msg, sizeof(s->msg), "%s", msg);
	n = strlen(s->msg);
	if (n && s->msg[n - 1] == '\n')
		s->msg[n - 1] = '\0';
}

static void on_quiet(const char *msg _unused_, void *user _unused_) { }

static void codec_freep(opj_codec_t **c)
{
	if (*c)
		opj_destroy_codec(*c);
}

static void stream_freep(opj_stream_t **s)
{
	if (*s)
		opj_stream_destroy(*s);
}

static void image_freep(opj_image_t **i)
{
	if (*i)
		opj_image_destroy(*i);
}

/* Sample (x, y) of the picture (offsets from the image's origin) of
 * component C, scaled to 0..255. */
static unsigned int sample(const opj_image_t *img, const opj_image_comp_t *c, uint32_t x,
			   uint32_t y)
{
	/* a component's sample i covers the grid's columns dx*(x0+i).. */
	uint64_t cx = (img->x0 + (uint64_t)x) / c->dx, cy = (img->y0 + (uint64_t)y) / c->dy;
	int64_t v, max;

	cx = cx > c->x0 ? cx - c->x0 : 0;
	cy = cy > c->y0 ? cy - c->y0 : 0;
	if (cx >= c->w)
		cx = c->w - 1;
	if (cy >= c->h)
		cy = c->h - 1;
	v = c->data[cy * c->w + cx];
	if (c->sgnd)
		v += (int64_t)1 << (c->prec - 1);
	if (v <= 0)
		return 0;
	max = ((int64_t)1 << c->prec) - 1;
	if (v >= max)
		return 255;
	/* more bits: the top 8; fewer: scaled to 0..255, rounded */
	return c->prec >= 8 ? (unsigned int)(v >> (c->prec - 8)) :
			      (unsigned int)((v * 255 + max / 2) / max);
}

static uint8_t clamp8(double v)
{
	return v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)(v + 0.5);
}

/* sYCC (IEC 61966-2-1 Amd 1): full range BT.601 */
static void ycc_to_rgb(unsigned int yy, unsigned int cb, unsigned int cr, uint8_t *rgb)
{
	double y = yy, u = (double)cb - 128, v = (double)cr - 128;

	rgb[0] = clamp8(y + 1.402 * v);
	rgb[1] = clamp8(y - 0.344136 * u - 0.714136 * v);
	rgb[2] = clamp8(y + 1.772 * u);
}

static int check_components(const opj_image_t *img, bool decoded, char *errbuf, size_t errlen)
{
	uint32_t n = img->numcomps;

	if (n < 1 || n > MAX_COMPONENTS || (img->color_space != OPJ_CLRSPC_SRGB &&
					    img->color_space != OPJ_CLRSPC_GRAY &&
					    img->color_space != OPJ_CLRSPC_SYCC &&
					    img->color_space != OPJ_CLRSPC_UNSPECIFIED) ||
	    (img->color_space == OPJ_CLRSPC_SYCC && n < 3)) {
		seterr(errbuf, errlen, "JPEG 2000 with %u components in colour space %d"
		       " (grey, RGB or sYCC with up to one alpha expected)", n, img->color_space);
		return -EBADMSG;
	}
	for (uint32_t i = 0; i < n; i++) {
		const opj_image_comp_t *c = &img->comps[i];

		if (c->prec < 1 || c->prec > MAX_PRECISION || !c->dx || !c->dy ||
		    (decoded && (!c->data || !c->w || !c->h))) {
			seterr(errbuf, errlen, "JPEG 2000 component %u: %u bits, subsampling %ux%u"
			       " (1 to %d bits expected)", i, c->prec, c->dx, c->dy, MAX_PRECISION);
			return -EBADMSG;
		}
	}
	return 0;
}

static void to_rgb(const opj_image_t *img, struct egate_face_picture *pic)
{
	const opj_image_comp_t *c = img->comps;
	uint32_t n = img->numcomps;
	bool grey = n < 3;
	const opj_image_comp_t *alpha = n == 2 || n == 4 ? &c[n - 1] : NULL;

	for (uint32_t y = 0; y < pic->height; y++)
		for (uint32_t x = 0; x < pic->width; x++) {
			uint8_t *o = pic->rgb + ((size_t)y * pic->width + x) * 3;

			if (grey)
				o[0] = o[1] = o[2] = (uint8_t)sample(img, &c[0], x, y);
			else if (img->color_space == OPJ_CLRSPC_SYCC)
				ycc_to_rgb(sample(img, &c[0], x, y), sample(img, &c[1], x, y),
					   sample(img, &c[2], x, y), o);
			else
				for (int k = 0; k < 3; k++)
					o[k] = (uint8_t)sample(img, &c[k], x, y);
			if (alpha) {
				unsigned int a = sample(img, alpha, x, y);

				for (int k = 0; k < 3; k++)
					o[k] = picture_composite(o[k], a);
			}
		}
}

int decode_jp2(const uint8_t *data, size_t len, struct egate_face_picture **out,
	       char *errbuf, size_t errlen)
{
	_cleanup_(codec_freep) opj_codec_t *codec = NULL;
	_cleanup_(stream_freep) opj_stream_t *stream = NULL;
	_cleanup_(image_freep) opj_image_t *img = NULL;
	struct egate_face_picture *pic = NULL;
	opj_dparameters_t params;
	struct jp2src src = { .data = data, .len = len };
	bool jp2 = starts_with(data, len, jp2_signature, sizeof(jp2_signature));
	int r;

	codec = opj_create_decompress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
	stream = opj_stream_create(64 << 10, OPJ_TRUE);
	if (!codec || !stream)
		return -ENOMEM;
	opj_set_default_decoder_parameters(&params);
	opj_set_error_handler(codec, on_error, &src);
	opj_set_warning_handler(codec, on_quiet, NULL);
	opj_set_info_handler(codec, on_quiet, NULL);
	opj_stream_set_user_data(stream, &src, NULL);
	opj_stream_set_user_data_length(stream, len);
	opj_stream_set_read_function(stream, src_read);
	opj_stream_set_skip_function(stream, src_skip);
	opj_stream_set_seek_function(stream, src_seek);
	if (!opj_setup_decoder(codec, &params) || !opj_decoder_set_strict_mode(codec, OPJ_TRUE))
		return -ENOMEM;
	if (!opj_read_header(stream, codec, &img) || !img) {
		seterr(errbuf, errlen, "JPEG 2000 header does not decode: %s",
		       src.msg[0] ? src.msg : "no message");
		return -EBADMSG;
	}
	if (img->x1 <= img->x0 || img->y1 <= img->y0) {
		seterr(errbuf, errlen, "JPEG 2000 with an empty image area");
		return -EBADMSG;
	}
	r = check_components(img, false, errbuf, errlen);
	if (r < 0)
		return r;
	/* the limits, before libopenjp2 allocates the components */
	r = picture_alloc(img->x1 - img->x0, img->y1 - img->y0, &pic, errbuf, errlen);
	if (r < 0)
		return r;
	if (!opj_decode(codec, stream, img) || !opj_end_decompress(codec, stream)) {
		egate_face_picture_free(pic);
		seterr(errbuf, errlen, "JPEG 2000 does not decode: %s",
		       src.msg[0] ? src.msg : "no message");
		return -EBADMSG;
	}
	r = check_components(img, true, errbuf, errlen);
	if (r < 0) {
		egate_face_picture_free(pic);
		return r;
	}
	to_rgb(img, pic);
	*out = pic;
	return 0;
}
