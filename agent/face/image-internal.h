/* SPDX-License-Identifier: MIT */
/*
 * The picture object and its decoders (image.c, image-jpeg.c, image-png.c,
 * image-jp2.c, image-exif.c).  Every decoder returns 0 and the picture, or
 * a negative errno and a message in errbuf: -E2BIG over the limits of
 * egate-face.h, -EBADMSG data that does not decode, -ENOMEM.
 */
#ifndef EGATE_FACE_IMAGE_INTERNAL_H
#define EGATE_FACE_IMAGE_INTERNAL_H

#include "internal.h"

/* Pixels with alpha are composited onto this grey level (white: the plain
 * light background of a passport photo). */
#define PICTURE_BACKGROUND 255

struct egate_face_picture {
	uint32_t width, height;
	uint8_t *rgb;
};

/* A picture of W x H within the limits, pixels uninitialised. */
int picture_alloc(uint64_t w, uint64_t h, struct egate_face_picture **out, char *errbuf,
		  size_t errlen);

/* (c * a + background * (255 - a)) / 255, rounded */
static inline uint8_t picture_composite(unsigned int c, unsigned int a)
{
	return (uint8_t)((c * a + PICTURE_BACKGROUND * (255 - a) + 127) / 255);
}

int decode_jpeg(const uint8_t *data, size_t len, struct egate_face_picture **out,
		char *errbuf, size_t errlen);
int decode_png(const uint8_t *data, size_t len, struct egate_face_picture **out,
	       char *errbuf, size_t errlen);

/* JPEG 2000: a JP2 file or a raw codestream (.j2k, .j2c) */
bool is_jp2(const uint8_t *data, size_t len);
int decode_jp2(const uint8_t *data, size_t len, struct egate_face_picture **out,
	       char *errbuf, size_t errlen);

/* The orientation (1..8) in an EXIF APP1 payload ("Exif\0\0" and a TIFF
 * structure); 1 (upright) when there is none or it is malformed. */
int exif_orientation(const uint8_t *app1, size_t len);
/* Turns *pic upright from EXIF orientation ORIENTATION (a new picture
 * replaces it for 2..8). */
int picture_orient(struct egate_face_picture **pic, int orientation);

#endif
