// SPDX-License-Identifier: MIT
/*
 * EXIF orientation: the tag 0x0112 of the first IFD of a JPEG's APP1
 * "Exif" payload, and turning a picture upright by it.  A camera held
 * sideways stores the sensor's rows as they came and says in this tag how
 * to show them; browsers and image viewers honour it, so the photo a
 * person looks at is the upright one.
 */
#include "image-internal.h"

#define TAG_ORIENTATION 0x0112
#define TYPE_SHORT 3
#define TIFF_OFFSET 6	/* after "Exif\0\0" */

static unsigned int get16(const uint8_t *p, bool be)
{
	return be ? (unsigned int)p[0] << 8 | p[1] : (unsigned int)p[1] << 8 | p[0];
}

static uint32_t get32(const uint8_t *p, bool be)
{
	return be ? (uint32_t)get16(p, true) << 16 | get16(p + 2, true) :
		    (uint32_t)get16(p + 2, false) << 16 | get16(p, false);
}

int exif_orientation(const uint8_t *app1, size_t len)
{
	const uint8_t *tiff = app1 + TIFF_OFFSET;
	unsigned int entries;
	uint32_t ifd;
	size_t n;
	bool be;

	if (len < TIFF_OFFSET + 8 || memcmp(app1, "Exif\0\0", TIFF_OFFSET))
		return 1;
	n = len - TIFF_OFFSET;	/* the TIFF structure's bytes; offsets count from it */
	if (!memcmp(tiff, "MM\0\x2a", 4))
		be = true;
	else if (!memcmp(tiff, "II\x2a\0", 4))
		be = false;
	else
		return 1;
	ifd = get32(tiff + 4, be);
	if (ifd > n || n - ifd < 2)
		return 1;
	entries = get16(tiff + ifd, be);
	for (size_t e = 0, off = ifd + 2; e < entries && n - off >= 12; e++, off += 12) {
		const uint8_t *t = tiff + off;
		unsigned int v;

		if (get16(t, be) != TAG_ORIENTATION)
			continue;
		/* a SHORT, count 1: the value sits at the start of the value field */
		v = get16(t + 8, be);
		return get16(t + 2, be) == TYPE_SHORT && get32(t + 4, be) == 1 && v >= 1 &&
		       v <= 8 ? (int)v : 1;
	}
	return 1;
}

/*
 * Where the upright picture's pixel (x, y) is in the stored one (W x H),
 * for each orientation (EXIF 2.3, table of tag 274: where the stored
 * picture's row 0 and column 0 are to be seen).
 */
static void source_of(int orientation, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
		      uint32_t *sx, uint32_t *sy)
{
	switch (orientation) {
	case 2:	/* mirrored left to right */
		*sx = w - 1 - x, *sy = y;
		break;
	case 3:	/* upside down */
		*sx = w - 1 - x, *sy = h - 1 - y;
		break;
	case 4:	/* mirrored top to bottom */
		*sx = x, *sy = h - 1 - y;
		break;
	case 5:	/* transposed */
		*sx = y, *sy = x;
		break;
	case 6:	/* to be turned 90 degrees clockwise */
		*sx = y, *sy = h - 1 - x;
		break;
	case 7:	/* transposed across the other diagonal */
		*sx = w - 1 - y, *sy = h - 1 - x;
		break;
	case 8:	/* to be turned 90 degrees counter-clockwise */
		*sx = w - 1 - y, *sy = x;
		break;
	default:
		*sx = x, *sy = y;
		break;
	}
}

int picture_orient(struct egate_face_picture **pic, int orientation)
{
	const struct egate_face_picture *in = *pic;
	struct egate_face_picture *up = NULL;
	bool swap = orientation >= 5;
	int r;

	if (orientation < 2 || orientation > 8)
		return 0;
	r = picture_alloc(swap ? in->height : in->width, swap ? in->width : in->height, &up,
			  NULL, 0);
	if (r < 0)
		return r;
	for (uint32_t y = 0; y < up->height; y++)
		for (uint32_t x = 0; x < up->width; x++) {
			uint32_t sx, sy;

			source_of(orientation, x, y, in->width, in->height, &sx, &sy);
			memcpy(up->rgb + ((size_t)y * up->width + x) * 3,
			       in->rgb + ((size_t)sy * in->width + sx) * 3, 3);
		}
	egate_face_picture_free(*pic);
	*pic = up;
	return 0;
}
