// SPDX-License-Identifier: MIT
/*
 * The image loaders on the images people have: JPEG 2000 (JP2 files and
 * raw codestreams, lossless and lossy, grey, 12 bits, alpha) against a
 * PNG of the same pixels; a JPEG in each of the 8 EXIF orientations
 * against the upright picture; transparency composited onto white; CMYK,
 * Adobe's inverted CMYK and YCCK; and JPEG 2000 files cut short or corrupted,
 * which must give an error, never a crash (the sanitizer build runs this).
 */
#include <math.h>

#include "kselftest_harness.h"
#include "common.h"
#include "jp2-write.h"

#define W 96
#define H 64

/* smooth gradients (JPEG keeps them) and a distinct top-left block, so
 * that every turn and mirror of the picture differs from it */
static void pattern(uint8_t *px, int w, int h)
{
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			uint8_t *p = px + ((size_t)y * w + x) * 3;
			int corner = x < 16 && y < 16;

			p[0] = corner ? 250 : (uint8_t)(x * 200 / w + 20);
			p[1] = corner ? 20 : (uint8_t)(y * 200 / h + 20);
			p[2] = corner ? 20 : (uint8_t)(128 + 60 * sin(x / 9.0 + y / 15.0));
		}
}

struct pic {
	struct egate_face_picture *p;
	struct egate_face_image img;
	char err[256];
	int r;
};

static void decode(const struct membuf *m, struct pic *out)
{
	out->p = NULL;
	out->err[0] = '\0';
	out->r = egate_face_picture_decode(m->data, m->len, &out->p, out->err, sizeof(out->err));
	out->img = egate_face_picture_image(out->p);
}

/* mean absolute difference of two RGB images of the same size, or -1 */
static double mean_diff(const struct egate_face_image *a, const uint8_t *b, uint32_t w,
			uint32_t h)
{
	double sum = 0;

	if (!a->rgb || a->width != w || a->height != h)
		return -1;
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t i = 0; i < w * 3; i++)
			sum += fabs((double)a->rgb[(size_t)y * a->stride + i] -
				    b[((size_t)y * w) * 3 + i]);
	return sum / ((double)w * h * 3);
}

TEST(formats_match_a_png_of_the_same_photo)
{
	struct membuf png = { 0 }, jp2 = { 0 }, j2k = { 0 }, lossy = { 0 }, jpg = { 0 };
	struct egate_face_picture *photo = NULL;
	struct pic ref, d;
	char path[PATH_MAX], err[256];
	const uint8_t *rgb;
	uint32_t w, h;

	if (!have_models())
		SKIP(return, "no demo photos (make deps)");
	demo_path(path, sizeof(path), "sample2.jpg");
	ASSERT_EQ(0, egate_face_picture_load(path, &photo, err, sizeof(err))) TH_LOG("%s", err);
	w = egate_face_picture_image(photo).width;
	h = egate_face_picture_image(photo).height;
	rgb = egate_face_picture_image(photo).rgb;
	ASSERT_EQ(0, write_png(rgb, (int)w, (int)h, 3, &png));
	ASSERT_EQ(0, write_jp2(rgb, (int)w, (int)h, 3, 8, 1, 0, 0, &jp2));
	ASSERT_EQ(0, write_jp2(rgb, (int)w, (int)h, 3, 8, 0, 0, 0, &j2k));
	ASSERT_EQ(0, write_jp2(rgb, (int)w, (int)h, 3, 8, 1, 12, 0, &lossy));
	ASSERT_EQ(0, write_jpeg(rgb, (int)w, (int)h, 3, 95, 0, 0, 0, &jpg));
	decode(&png, &ref);
	ASSERT_EQ(0, ref.r) TH_LOG("%s", ref.err);
	ASSERT_EQ(0, mean_diff(&ref.img, rgb, w, h));
	/* lossless JPEG 2000: the very pixels of the PNG */
	decode(&jp2, &d);
	ASSERT_EQ(0, d.r) TH_LOG("JP2: %s", d.err);
	EXPECT_EQ(0, mean_diff(&d.img, ref.img.rgb, w, h));
	egate_face_picture_free(d.p);
	decode(&j2k, &d);
	ASSERT_EQ(0, d.r) TH_LOG("J2K: %s", d.err);
	EXPECT_EQ(0, mean_diff(&d.img, ref.img.rgb, w, h));
	egate_face_picture_free(d.p);
	/* lossy, 1:12, and a JPEG at quality 95: within the codecs' error */
	decode(&lossy, &d);
	ASSERT_EQ(0, d.r) TH_LOG("lossy JP2: %s", d.err);
	{
		double e = mean_diff(&d.img, ref.img.rgb, w, h);

		TH_LOG("lossy JP2 (%zu bytes of %u pixels): mean |error| %.2f", lossy.len, w * h, e);
		EXPECT_LE(0, e);
		EXPECT_GT(3.0, e);
	}
	egate_face_picture_free(d.p);
	decode(&jpg, &d);
	ASSERT_EQ(0, d.r) TH_LOG("JPEG: %s", d.err);
	EXPECT_LE(0, mean_diff(&d.img, ref.img.rgb, w, h));
	EXPECT_GT(3.0, mean_diff(&d.img, ref.img.rgb, w, h));
	egate_face_picture_free(d.p);
	egate_face_picture_free(ref.p);
	egate_face_picture_free(photo);
	free(png.data), free(jp2.data), free(j2k.data), free(lossy.data), free(jpg.data);
}

/*
 * Decodes M, a row of 16 x 16 patches whose colours are RGB[i * RGB_STEP]:
 * the centre of each within TOLERANCE of its colour.
 */
static void check_patches(struct __test_metadata *_metadata, const struct membuf *m,
			  const uint8_t *rgb, size_t rgb_step, int n, int tolerance,
			  const char *what)
{
	struct pic d;

	decode(m, &d);
	ASSERT_EQ(0, d.r) TH_LOG("%s: %s", what, d.err);
	ASSERT_EQ((uint32_t)(16 * n), d.img.width);
	for (int i = 0; i < n; i++) {
		for (int c = 0; c < 3; c++) {
			int got = d.img.rgb[8 * d.img.stride + (i * 16 + 8) * 3 + c];

			EXPECT_GE(tolerance, abs(got - rgb[i * rgb_step + c]))
				TH_LOG("%s, patch %d channel %d: %d", what, i, c, got);
		}
	}
	egate_face_picture_free(d.p);
}

/* sYCC with chroma at half resolution: colour patches keep their colours */
TEST(jp2_sycc_subsampled)
{
	static const uint8_t colour[][3] = {
		{ 255, 0, 0 }, { 0, 255, 0 }, { 0, 0, 255 }, { 200, 150, 100 }, { 30, 60, 90 },
		{ 255, 255, 255 },
	};
	const int n = sizeof(colour) / sizeof(colour[0]), w = 16 * n, h = 16;
	uint8_t px[16 * 6 * 16 * 3];
	struct membuf m = { 0 };

	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			memcpy(px + ((size_t)y * w + x) * 3, colour[x / 16], 3);
	ASSERT_EQ(0, write_jp2(px, w, h, 3, 8, 1, 0, 1, &m));
	check_patches(_metadata, &m, colour[0], 3, n, 2, "sYCC 4:2:0");
	free(m.data);
}

TEST(jp2_grey_at_12_bits)
{
	static uint8_t grey[W * H], rgb[W * H * 3];
	struct membuf m = { 0 };
	struct pic d;

	for (int i = 0; i < W * H; i++) {
		grey[i] = (uint8_t)(i * 7 % 251);
		memset(rgb + i * 3, grey[i], 3);
	}
	ASSERT_EQ(0, write_jp2(grey, W, H, 1, 12, 0, 0, 0, &m));
	decode(&m, &d);
	ASSERT_EQ(0, d.r) TH_LOG("%s", d.err);
	EXPECT_EQ(0, mean_diff(&d.img, rgb, W, H));
	egate_face_picture_free(d.p);
	free(m.data);
}

/* transparent, half and opaque pixels of one colour, over white */
static void alpha_case(struct __test_metadata *_metadata, int channels, int jp2)
{
	static const uint8_t alphas[] = { 0, 128, 255 };
	uint8_t px[3 * 4], expect[3 * 3];
	struct membuf m = { 0 };
	struct pic d;
	int n = 0;

	for (int i = 0; i < 3; i++) {
		uint8_t a = alphas[i];

		if (channels == 2) {
			px[n++] = 40;
			memset(expect + i * 3, (int)lround((40.0 * a + 255.0 * (255 - a)) / 255), 3);
		} else {
			px[n++] = 200, px[n++] = 100, px[n++] = 0;
			expect[i * 3] = (uint8_t)lround((200.0 * a + 255.0 * (255 - a)) / 255);
			expect[i * 3 + 1] = (uint8_t)lround((100.0 * a + 255.0 * (255 - a)) / 255);
			expect[i * 3 + 2] = (uint8_t)lround((0.0 * a + 255.0 * (255 - a)) / 255);
		}
		px[n++] = a;
	}
	ASSERT_EQ(0, jp2 ? write_jp2(px, 3, 1, channels, 8, 1, 0, 0, &m) :
			   write_png(px, 3, 1, channels, &m));
	decode(&m, &d);
	ASSERT_EQ(0, d.r) TH_LOG("%s", d.err);
	ASSERT_EQ(3u, d.img.width);
	for (int i = 0; i < 9; i++) {
		EXPECT_EQ(expect[i], d.img.rgb[i]) TH_LOG("%s %d channels, byte %d",
							 jp2 ? "JP2" : "PNG", channels, i);
	}
	egate_face_picture_free(d.p);
	free(m.data);
}

TEST(alpha_is_composited_onto_white)
{
	alpha_case(_metadata, 4, 0);
	alpha_case(_metadata, 2, 0);
	alpha_case(_metadata, 4, 1);
	alpha_case(_metadata, 2, 1);
}

/*
 * The stored picture for each EXIF orientation, built from the upright
 * one with the inverse of what a viewer does to show it (EXIF 2.3 tag
 * 274; Pillow's ImageOps.exif_transpose does 2 mirror, 3 turn 180, 4 flip,
 * 5 transpose, 6 turn 90 clockwise, 7 transverse, 8 turn 90 counter-
 * clockwise).  Built from two primitives here, not from the decoder's
 * table: mirror left-right and turn 90 degrees clockwise.
 */
static void mirror(const uint8_t *in, int w, int h, uint8_t *out)
{
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			memcpy(out + ((size_t)y * w + x) * 3, in + ((size_t)y * w + (w - 1 - x)) * 3, 3);
}

/* in is w x h, out h x w */
static void turn_cw(const uint8_t *in, int w, int h, uint8_t *out)
{
	for (int y = 0; y < w; y++)
		for (int x = 0; x < h; x++)
			memcpy(out + ((size_t)y * h + x) * 3, in + ((size_t)(h - 1 - x) * w + y) * 3, 3);
}

/* turn clockwise TURNS quarter turns, then mirror if MIRROR; w, h follow */
static void transform(uint8_t *px, int *w, int *h, int turns, int mirrored)
{
	static uint8_t tmp[W * H * 3];

	for (int i = 0; i < turns; i++) {
		turn_cw(px, *w, *h, tmp);
		memcpy(px, tmp, sizeof(tmp));
		int t = *w;
		*w = *h;
		*h = t;
	}
	if (mirrored) {
		mirror(px, *w, *h, tmp);
		memcpy(px, tmp, sizeof(tmp));
	}
}

TEST(exif_orientations_come_out_upright)
{
	/* what the viewer does, as (quarter turns clockwise, then mirror);
	 * the stored picture is its inverse: mirror first, then turn back */
	static const struct { int turns, mirrored; } show[9] = {
		[1] = { 0, 0 }, [2] = { 0, 1 }, [3] = { 2, 0 }, [4] = { 2, 1 },
		[5] = { 1, 1 }, [6] = { 1, 0 }, [7] = { 3, 1 }, [8] = { 3, 0 },
	};
	static uint8_t upright[W * H * 3], stored[W * H * 3];
	struct membuf m = { 0 };
	struct pic ref, d;

	pattern(upright, W, H);
	ASSERT_EQ(0, write_jpeg(upright, W, H, 3, 95, 0, 0, 0, &m));
	decode(&m, &ref);
	ASSERT_EQ(0, ref.r) TH_LOG("%s", ref.err);
	for (int o = 1; o <= 8; o++)
		for (int be = 0; be < 2; be++) {
			int w = W, h = H;

			memcpy(stored, upright, sizeof(stored));
			transform(stored, &w, &h, 0, show[o].mirrored);
			transform(stored, &w, &h, (4 - show[o].turns) % 4, 0);
			ASSERT_EQ(0, write_jpeg(stored, w, h, 3, 95, o, be, 0, &m));
			decode(&m, &d);
			ASSERT_EQ(0, d.r) TH_LOG("%s", d.err);
			ASSERT_EQ((uint32_t)W, d.img.width) TH_LOG("orientation %d", o);
			ASSERT_EQ((uint32_t)H, d.img.height) TH_LOG("orientation %d", o);
			/* the same as the upright JPEG, within JPEG's error */
			EXPECT_GT(2.0, mean_diff(&d.img, ref.img.rgb, W, H))
				TH_LOG("orientation %d, %s-endian EXIF", o, be ? "big" : "little");
			/* the red corner is top left */
			EXPECT_LT(200, d.img.rgb[8 * d.img.stride + 8 * 3]) TH_LOG("orientation %d", o);
			egate_face_picture_free(d.p);
		}
	egate_face_picture_free(ref.p);
	free(m.data);
}

TEST(cmyk_jpeg_colours)
{
	/* patches of 16 x 16 (whole MCUs): ink C, M, Y, K -> light R, G, B */
	static const struct { uint8_t cmyk[4], rgb[3]; } patch[] = {
		{ { 0, 0, 0, 0 }, { 255, 255, 255 } },
		{ { 0, 255, 255, 0 }, { 255, 0, 0 } },
		{ { 255, 0, 255, 0 }, { 0, 255, 0 } },
		{ { 255, 255, 0, 0 }, { 0, 0, 255 } },
		{ { 0, 0, 0, 255 }, { 0, 0, 0 } },
		{ { 0, 0, 0, 128 }, { 127, 127, 127 } },
		{ { 0, 128, 255, 0 }, { 255, 127, 0 } },
	};
	const int n = sizeof(patch) / sizeof(patch[0]), w = 16 * n, h = 16;
	uint8_t *px = malloc((size_t)w * h * 4);
	struct membuf m = { 0 };

	ASSERT_NE(NULL, px);
	/* plain CMYK, Adobe CMYK (inverted), Adobe YCCK (inverted) */
	for (int adobe = 0; adobe < 3; adobe++) {
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++)
				for (int c = 0; c < 4; c++) {
					uint8_t ink = patch[x / 16].cmyk[c];

					px[((size_t)y * w + x) * 4 + c] = adobe ? 255 - ink : ink;
				}
		ASSERT_EQ(0, write_jpeg(px, w, h, 4, 98, 0, 0, adobe, &m));
		check_patches(_metadata, &m, patch[0].rgb, sizeof(patch[0]), n, 3,
			      (const char *[]){ "CMYK", "Adobe CMYK", "YCCK" }[adobe]);
	}
	free(px);
	free(m.data);
}

TEST(jp2_over_the_limits)
{
	static uint8_t row[9000 * 2];
	struct membuf m = { 0 };
	struct pic d;

	ASSERT_EQ(0, write_jp2(row, 9000, 2, 1, 8, 0, 0, 0, &m));
	decode(&m, &d);
	EXPECT_EQ(-E2BIG, d.r);
	EXPECT_NE(NULL, strstr(d.err, "9000x2")) TH_LOG("%s", d.err);
	EXPECT_EQ(NULL, d.p);
	free(m.data);
}

/* every truncation is an error with a message; corrupted bytes decode or
 * give an error, and neither crashes nor leaks (ASan) */
static void damage(struct __test_metadata *_metadata, int jp2)
{
	static uint8_t px[40 * 24 * 3];
	struct membuf m = { 0 };
	uint32_t seed = 12345;
	int ok = 0, bad = 0;
	struct pic d;

	pattern(px, 40, 24);
	ASSERT_EQ(0, write_jp2(px, 40, 24, 3, 8, jp2, 0, 0, &m));
	for (size_t len = 0; len < m.len; len++) {
		struct membuf cut = { m.data, len, 0, 0 };

		decode(&cut, &d);
		ASSERT_GT(0, d.r) TH_LOG("%s cut to %zu of %zu bytes decodes", jp2 ? "JP2" : "J2K",
					 len, m.len);
		ASSERT_NE(0, d.err[0]);
		ASSERT_EQ(NULL, d.p);
	}
	for (int i = 0; i < 600; i++) {
		uint8_t *copy = malloc(m.len);
		struct membuf c = { copy, m.len, 0, 0 };

		ASSERT_NE(NULL, copy);
		memcpy(copy, m.data, m.len);
		for (int k = 0; k < 1 + i % 4; k++) {
			seed = seed * 1103515245 + 12345;
			copy[(seed >> 8) % m.len] ^= (uint8_t)(1 + (seed >> 20) % 255);
		}
		decode(&c, &d);
		if (d.r == 0) {
			ok++;
			EXPECT_NE(NULL, d.img.rgb);
		} else {
			bad++;
			EXPECT_NE(0, d.err[0]);
		}
		egate_face_picture_free(d.p);
		free(copy);
	}
	TH_LOG("%s corrupted: %d decoded, %d refused", jp2 ? "JP2" : "J2K", ok, bad);
	EXPECT_LT(0, bad);
	free(m.data);
}

TEST(jp2_truncated_or_corrupt)
{
	damage(_metadata, 1);
	damage(_metadata, 0);
}

TEST_HARNESS_MAIN
