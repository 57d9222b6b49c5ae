/* SPDX-License-Identifier: MIT */
/*
 * Encoders for the image tests: PNG (libpng) and JPEG (libjpeg, with an
 * EXIF orientation or in CMYK), into memory (jp2-write.h: JPEG 2000).
 * Each returns 0, or -1 when the library fails.
 */
#ifndef EGATE_FACE_TEST_IMAGE_WRITE_H
#define EGATE_FACE_TEST_IMAGE_WRITE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

struct membuf {
	uint8_t *data;
	size_t len, off, cap;
};

static inline int membuf_put(struct membuf *m, const void *p, size_t n)
{
	if (m->off + n > m->cap) {
		size_t cap = (m->off + n) * 2;
		uint8_t *d = realloc(m->data, cap);

		if (!d)
			return -1;
		m->data = d;
		m->cap = cap;
	}
	memcpy(m->data + m->off, p, n);
	m->off += n;
	if (m->off > m->len)
		m->len = m->off;
	return 0;
}

static void png_put(png_structp png, png_bytep p, png_size_t n)
{
	if (membuf_put(png_get_io_ptr(png), p, n) < 0)
		png_error(png, "out of memory");
}

static void png_flush_none(png_structp png) { (void)png; }

/* CHANNELS: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA, 8 bits */
static inline int write_png(const uint8_t *px, int w, int h, int channels, struct membuf *out)
{
	static const int types[] = { 0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
				     PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA };
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;

	if (!info || setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		return -1;
	}
	png_set_write_fn(png, out, png_put, png_flush_none);
	png_set_IHDR(png, info, w, h, 8, types[channels], PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < h; y++)
		png_write_row(png, px + (size_t)y * w * channels);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return 0;
}

/*
 * A JPEG of W x H pixels of COMPONENTS (3: RGB, 4: CMYK) at QUALITY.
 * ORIENTATION 1..8 adds an XMP APP1, then an EXIF APP1 with that
 * orientation (big-endian TIFF when BIG_ENDIAN_EXIF), 0 neither.  CMYK gets libjpeg's Adobe marker
 * when ADOBE (the inks are then to be stored inverted, as Photoshop does);
 * ADOBE 2 stores it as YCCK (which has the marker).
 */
static inline int write_jpeg(const uint8_t *px, int w, int h, int components, int quality,
			     int orientation, int big_endian_exif, int adobe, struct membuf *out)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr err;
	unsigned char *buf = NULL;
	unsigned long len = 0;

	c.err = jpeg_std_error(&err);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &buf, &len);
	c.image_width = (JDIMENSION)w;
	c.image_height = (JDIMENSION)h;
	c.input_components = components;
	c.in_color_space = components == 4 ? JCS_CMYK : JCS_RGB;
	jpeg_set_defaults(&c);
	if (components == 4) {
		jpeg_set_colorspace(&c, adobe == 2 ? JCS_YCCK : JCS_CMYK);
		c.write_Adobe_marker = adobe ? TRUE : FALSE;
	}
	jpeg_set_quality(&c, quality, TRUE);
	jpeg_start_compress(&c, TRUE);
	if (orientation) {
		/* an XMP packet first, as some editors write it: also an APP1 */
		static const char xmp[] = "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>";

		jpeg_write_marker(&c, JPEG_APP0 + 1, (const JOCTET *)xmp, sizeof(xmp));
	}
	if (orientation) {
		/* "Exif\0\0", TIFF header, IFD0 with one entry: orientation */
		uint8_t exif[6 + 8 + 2 + 12 + 4] = { 'E', 'x', 'i', 'f', 0, 0 };
		uint8_t *t = exif + 6;

		if (big_endian_exif)
			memcpy(t, "MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01", 18);
		else
			memcpy(t, "II\x2a\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0", 18);
		t[18 + (big_endian_exif ? 1 : 0)] = (uint8_t)orientation;
		jpeg_write_marker(&c, JPEG_APP0 + 1, exif, sizeof(exif));
	}
	while (c.next_scanline < c.image_height) {
		JSAMPROW row = (JSAMPROW)px + (size_t)c.next_scanline * w * components;

		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	out->len = out->off = out->cap = 0;
	free(out->data);
	out->data = NULL;
	if (membuf_put(out, buf, len) < 0) {
		free(buf);
		return -1;
	}
	free(buf);
	return 0;
}

#endif
