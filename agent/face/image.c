// SPDX-License-Identifier: MIT
/*
 * Images: the picture object, the choice of decoder by the file's
 * signature (image-jpeg.c, image-png.c, image-jp2.c), and the
 * preprocessing of face-api's NetInput.toBatchTensor(): crop, zero padding
 * to a square, tf.image.resizeBilinear(alignCorners=false,
 * halfPixelCenters=false) as the tfjs WASM backend computes it (XNNPACK,
 * TensorFlow legacy mode, float arithmetic), mean subtraction, /255.
 */
#include <limits.h>
#include <math.h>
#include <sys/stat.h>

#include <png.h>

#include "image-internal.h"

#define MAX_FILE (64u << 20)

void egate_face_picture_free(struct egate_face_picture *pic)
{
	if (!pic)
		return;
	free(pic->rgb);
	free(pic);
}

static void picture_freep(struct egate_face_picture **p) { egate_face_picture_free(*p); }

struct egate_face_image egate_face_picture_image(const struct egate_face_picture *pic)
{
	struct egate_face_image img = { 0 };

	if (pic) {
		img.rgb = pic->rgb;
		img.width = pic->width;
		img.height = pic->height;
		img.stride = pic->width * 3;
	}
	return img;
}

int picture_alloc(uint64_t w, uint64_t h, struct egate_face_picture **out, char *errbuf,
		  size_t errlen)
{
	struct egate_face_picture *p;

	if (!w || !h || w > EGATE_FACE_MAX_IMAGE_DIM || h > EGATE_FACE_MAX_IMAGE_DIM ||
	    w * h > EGATE_FACE_MAX_IMAGE_PIXELS) {
		seterr(errbuf, errlen, "image size %llux%llu outside 1..%d per side, %u pixels",
		       (unsigned long long)w, (unsigned long long)h, EGATE_FACE_MAX_IMAGE_DIM,
		       EGATE_FACE_MAX_IMAGE_PIXELS);
		return -E2BIG;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->width = (uint32_t)w;
	p->height = (uint32_t)h;
	p->rgb = malloc(w * h * 3);
	if (!p->rgb) {
		free(p);
		return -ENOMEM;
	}
	*out = p;
	return 0;
}

int egate_face_picture_new_rgb(const struct egate_face_image *img,
			       struct egate_face_picture **out)
{
	struct egate_face_picture *p = NULL;
	int r;

	if (!img || !img->rgb || !out || img->stride < img->width * 3ull)
		return -EINVAL;
	r = picture_alloc(img->width, img->height, &p, NULL, 0);
	if (r < 0)
		return r;
	for (uint32_t y = 0; y < img->height; y++)
		memcpy(p->rgb + (size_t)y * img->width * 3, img->rgb + (size_t)y * img->stride,
		       (size_t)img->width * 3);
	*out = p;
	return 0;
}

int egate_face_picture_decode(const void *data, size_t len, struct egate_face_picture **out,
			      char *errbuf, size_t errlen)
{
	const uint8_t *d = data;

	if (!data || !out)
		return -EINVAL;
	if (len > MAX_FILE) {
		seterr(errbuf, errlen, "image larger than %u bytes", MAX_FILE);
		return -E2BIG;
	}
	if (len >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff)
		return decode_jpeg(d, len, out, errbuf, errlen);
	if (len >= 8 && !png_sig_cmp((png_const_bytep)d, 0, 8))
		return decode_png(d, len, out, errbuf, errlen);
	if (is_jp2(d, len))
		return decode_jp2(d, len, out, errbuf, errlen);
	seterr(errbuf, errlen, "not a JPEG, PNG or JPEG 2000 image");
	return -EBADMSG;
}

int egate_face_picture_load(const char *path, struct egate_face_picture **out, char *errbuf,
			    size_t errlen)
{
	_cleanup_(freep) uint8_t *buf = NULL;
	_cleanup_(picture_freep) struct egate_face_picture *pic = NULL;
	char msg[256] = "";
	size_t n = 0;
	int r;

	if (!path || !out)
		return -EINVAL;
	r = read_file(path, MAX_FILE, &buf, &n, errbuf, errlen);
	if (r < 0)
		return r;
	r = egate_face_picture_decode(buf, n, &pic, msg, sizeof(msg));
	if (r < 0) {
		seterr(errbuf, errlen, "%s: %s", path, msg);
		return r;
	}
	*out = pic;
	pic = NULL;
	return 0;
}

/* ------------------------------------------------------------ preprocessing */

/*
 * XNNPACK's bilinear kernel computes t = tl + (tr - tl) * ax, b = bl + (br -
 * bl) * ax, out = t + (b - t) * ay: the horizontal pass of a source row does
 * not depend on the output row, so each source row is interpolated once
 * (cached by index) and rows are then blended, all in float as there.
 */
struct hrow {
	int src;	/* padded-image row index held, -1 none */
	float *v;	/* size * 3 */
};

static void hinterp(const struct egate_face_image *img, int x, int y, int w, int h, int padx,
		    int pady, int size, const int *left, const int *right, const float *ax,
		    bool ax_zero, int py, float *v)
{
	int sy = py - pady;
	const uint8_t *row;

	if (sy < 0 || sy >= h) {
		memset(v, 0, (size_t)size * 3 * sizeof(float));
		return;
	}
	row = img->rgb + (size_t)(y + sy) * img->stride + (size_t)x * 3;
	for (int ox = 0; ox < size; ox++) {
		int l = left[ox] - padx, r = right[ox] - padx;
		float *o = v + ox * 3;

		if (l >= 0 && r < w && ax_zero) {
			/* tl + (tr - tl) * 0 == tl */
			o[0] = row[l * 3];
			o[1] = row[l * 3 + 1];
			o[2] = row[l * 3 + 2];
		} else if (l >= 0 && r < w) {
			const uint8_t *pl = row + l * 3, *pr = row + r * 3;
			float a = ax[ox];

			o[0] = (float)pl[0] + ((float)pr[0] - (float)pl[0]) * a;
			o[1] = (float)pl[1] + ((float)pr[1] - (float)pl[1]) * a;
			o[2] = (float)pl[2] + ((float)pr[2] - (float)pl[2]) * a;
		} else {
			bool lin = l >= 0 && l < w, rin = r >= 0 && r < w;

			for (int c = 0; c < 3; c++) {
				float tl = lin ? row[l * 3 + c] : 0.0f;
				float tr = rin ? row[r * 3 + c] : 0.0f;

				o[c] = tl + (tr - tl) * ax[ox];
			}
		}
	}
}

void pad_to_square(int w, int h, int *padx, int *pady, int *d)
{
	*d = w > h ? w : h;
	/* round(diff/2) appended, the rest prepended */
	*padx = (*d - w) - (*d - w + 1) / 2;
	*pady = (*d - h) - (*d - h + 1) / 2;
}

int preprocess(struct arena *a, const struct egate_face_image *img, int x, int y, int w,
	       int h, bool center, int size, const float mean[3], float **out)
{
	int d, padx, pady;

	pad_to_square(w, h, &padx, &pady, &d);
	if (!center)
		padx = pady = 0;
	return preprocess_square(a, img, x, y, w, h, padx, pady, d, size, mean, out);
}

int preprocess_square(struct arena *a, const struct egate_face_image *img, int x, int y, int w,
		      int h, int padx, int pady, int d, int size, const float mean[3],
		      float **out)
{
	struct hrow hr[2];
	float *dst, *ax, *m3, scale;
	int *left, *right;
	bool ax_zero;

	if (w <= 0 || h <= 0 || x < 0 || y < 0 || (uint32_t)(x + w) > img->width ||
	    (uint32_t)(y + h) > img->height || size <= 0 || padx < 0 || pady < 0 ||
	    padx + w > d || pady + h > d)
		return -ERANGE;
	dst = arena_get(a, (size_t)size * size * 3);
	hr[0].v = arena_get(a, (size_t)size * 3);
	hr[1].v = arena_get(a, (size_t)size * 3);
	m3 = arena_get(a, (size_t)size * 3);
	ax = arena_get(a, (size_t)size);
	left = (int *)arena_get(a, (size_t)size);
	right = (int *)arena_get(a, (size_t)size);
	if (!dst || !hr[0].v || !hr[1].v || !m3 || !ax || !left || !right)
		return -ENOMEM;
	hr[0].src = hr[1].src = -1;
	ax_zero = true;
	*out = dst;
	scale = (float)d / (float)size;
	for (int ox = 0; ox < size; ox++) {
		float fx = (float)ox * scale;

		if (d == size) {
			left[ox] = right[ox] = ox;
			ax[ox] = 0;
			continue;
		}
		left[ox] = (int)fx;
		right[ox] = left[ox] + 1 < d - 1 ? left[ox] + 1 : d - 1;
		ax[ox] = fx - (float)left[ox];
		if (ax[ox] != 0)
			ax_zero = false;
	}
	for (int i = 0; i < size; i++) {
		m3[i * 3 + 0] = mean[0];
		m3[i * 3 + 1] = mean[1];
		m3[i * 3 + 2] = mean[2];
	}
	for (int oy = 0; oy < size; oy++) {
		int top, bot;
		float ay;
		const float *t = NULL, *b = NULL;
		float *o = dst + (size_t)oy * size * 3;

		if (d == size) {
			top = bot = oy;
			ay = 0;
		} else {
			float fy = (float)oy * scale;

			top = (int)fy;
			bot = top + 1 < d - 1 ? top + 1 : d - 1;
			ay = fy - (float)top;
		}
		/* t + (b - t) * 0 == t: the bottom row is not needed */
		for (int want = 0; want < (ay != 0 ? 2 : 1); want++) {
			int src = want ? bot : top, slot = -1;

			for (int s = 0; s < 2; s++)
				if (hr[s].src == src)
					slot = s;
			if (slot < 0) {
				/* evict the row that is not the other one needed */
				slot = (hr[0].src == top || hr[0].src == bot) ? 1 : 0;
				hinterp(img, x, y, w, h, padx, pady, size, left, right, ax,
					ax_zero, src, hr[slot].v);
				hr[slot].src = src;
			}
			if (want)
				b = hr[slot].v;
			else
				t = hr[slot].v;
		}
		if (ay == 0)
			for (int i = 0; i < size * 3; i++)
				o[i] = (t[i] - m3[i]) / 255.0f;
		else
			for (int i = 0; i < size * 3; i++)
				o[i] = (t[i] + (b[i] - t[i]) * ay - m3[i]) / 255.0f;
	}
	return 0;
}
