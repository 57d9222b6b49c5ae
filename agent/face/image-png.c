// SPDX-License-Identifier: MIT
/*
 * PNG (libpng) into RGB: palette and grayscale expanded, 16 bits cut to 8,
 * transparency (an alpha channel or a tRNS chunk) composited onto
 * PICTURE_BACKGROUND (white), the plain light background of a portrait.
 */
#include <png.h>

#include "image-internal.h"

struct pngsrc {
	const uint8_t *data;
	size_t len, off;
	char *errbuf;
	size_t errlen;
};

static void png_read_mem(png_structp png, png_bytep dst, png_size_t n)
{
	struct pngsrc *s = png_get_io_ptr(png);

	if (n > s->len - s->off)
		png_error(png, "truncated PNG");
	memcpy(dst, s->data + s->off, n);
	s->off += n;
}

static void png_err(png_structp png, png_const_charp msg)
{
	struct pngsrc *s = png_get_io_ptr(png);

	seterr(s->errbuf, s->errlen, "PNG does not decode: %s", msg);
	png_longjmp(png, 1);
}

static void png_warn(png_structp png _unused_, png_const_charp msg _unused_) { }

int decode_png(const uint8_t *data, size_t len, struct egate_face_picture **out,
	       char *errbuf, size_t errlen)
{
	struct pngsrc src = { data, len, 0, errbuf, errlen };
	struct egate_face_picture *volatile pic = NULL;
	png_bytep *volatile rows = NULL;
	uint8_t *volatile rgba = NULL;
	bool alpha;
	png_structp png;
	png_infop info;
	png_uint_32 w, h;
	int depth, ctype, r;

	png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, png_err, png_warn);
	if (!png)
		return -ENOMEM;
	info = png_create_info_struct(png);
	if (!info) {
		png_destroy_read_struct(&png, NULL, NULL);
		return -ENOMEM;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_read_struct(&png, &info, NULL);
		egate_face_picture_free(pic);
		free(rows);
		free(rgba);
		return -EBADMSG;
	}
	png_set_read_fn(png, &src, png_read_mem);
	png_set_user_limits(png, EGATE_FACE_MAX_IMAGE_DIM, EGATE_FACE_MAX_IMAGE_DIM);
	png_set_chunk_malloc_max(png, 8u << 20);
	png_read_info(png, info);
	png_get_IHDR(png, info, &w, &h, &depth, &ctype, NULL, NULL, NULL);
	if (depth == 16)
		png_set_strip_16(png);
	if (ctype == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(png);
	if ((ctype == PNG_COLOR_TYPE_GRAY || ctype == PNG_COLOR_TYPE_GRAY_ALPHA) && depth < 8)
		png_set_expand_gray_1_2_4_to_8(png);
	if (png_get_valid(png, info, PNG_INFO_tRNS))
		png_set_tRNS_to_alpha(png);
	if (ctype == PNG_COLOR_TYPE_GRAY || ctype == PNG_COLOR_TYPE_GRAY_ALPHA)
		png_set_gray_to_rgb(png);
	alpha = ctype & PNG_COLOR_MASK_ALPHA || png_get_valid(png, info, PNG_INFO_tRNS);
	png_set_interlace_handling(png);
	png_read_update_info(png, info);
	if (png_get_rowbytes(png, info) != (size_t)w * (alpha ? 4 : 3))
		png_error(png, "unexpected row layout");
	{
		struct egate_face_picture *p = NULL;

		r = picture_alloc(w, h, &p, errbuf, errlen);
		if (r < 0) {
			png_destroy_read_struct(&png, &info, NULL);
			return r;
		}
		pic = p;
	}
	/* an interlaced image is only whole at the end: alpha is read whole */
	if (alpha && !(rgba = malloc((size_t)w * h * 4)))
		png_error(png, "out of memory");
	rows = malloc(sizeof(png_bytep) * h);
	if (!rows)
		png_error(png, "out of memory");
	for (png_uint_32 y = 0; y < h; y++)
		rows[y] = alpha ? rgba + (size_t)y * w * 4 : pic->rgb + (size_t)y * w * 3;
	png_read_image(png, rows);
	png_read_end(png, NULL);
	png_destroy_read_struct(&png, &info, NULL);
	for (size_t i = 0; alpha && i < (size_t)w * h; i++)
		for (int c = 0; c < 3; c++)
			pic->rgb[i * 3 + c] = picture_composite(rgba[i * 4 + c], rgba[i * 4 + 3]);
	free(rows);
	free(rgba);
	*out = pic;
	return 0;
}
