// SPDX-License-Identifier: GPL-2.0
/*
 * det-png.c - a DET plot (ISO/IEC 30107-3: APCER against BPCER, both on a
 * normal-deviate scale) as a PNG, with libpng; grid lines at 1, 2, 5, 10,
 * 20 and 40 %, one coloured curve per mode.  No text: the report that
 * comes with it names the colours.
 */
#include <math.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "det-png.h"
#include "macro.h"

#define SIZE 480
#define MARGIN 20
#define LOW 0.002	/* the axes' ends, as error rates */
#define HIGH 0.6

/* the normal deviate of P: the z with Phi(z) = P, by bisection */
static double probit(double p)
{
	double lo = -8, hi = 8;

	for (int i = 0; i < 80; i++) {
		double mid = (lo + hi) / 2;

		if (0.5 * erfc(-mid / M_SQRT2) < p)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

static double axis(double rate)
{
	double a = probit(LOW), b = probit(HIGH);

	rate = fmin(fmax(rate, LOW), HIGH);
	return MARGIN + (probit(rate) - a) / (b - a) * (SIZE - 2 * MARGIN);
}

static void dot(uint8_t *img, long x, long y, const uint8_t *rgb)
{
	for (long dy = -1; dy <= 1; dy++)
		for (long dx = -1; dx <= 1; dx++) {
			long u = x + dx, v = y + dy;

			if (u >= 0 && v >= 0 && u < SIZE && v < SIZE)
				memcpy(img + (v * SIZE + u) * 3, rgb, 3);
		}
}

static void line(uint8_t *img, double x0, double y0, double x1, double y1, const uint8_t *rgb)
{
	int n = (int)fmax(fabs(x1 - x0), fabs(y1 - y0)) + 1;

	for (int i = 0; i <= n; i++)
		dot(img, lround(x0 + (x1 - x0) * i / n), lround(y0 + (y1 - y0) * i / n), rgb);
}

static int save(const char *path, const uint8_t *img)
{
	_cleanup_fclose_ FILE *f = fopen(path, "wb");
	png_structp png;
	png_infop info;

	if (!f)
		return -errno;
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	info = png ? png_create_info_struct(png) : NULL;
	if (!info) {
		png_destroy_write_struct(&png, NULL);
		return -ENOMEM;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		return -EIO;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, SIZE, SIZE, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < SIZE; y++)
		png_write_row(png, (png_const_bytep)(img + (size_t)y * SIZE * 3));
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return fflush(f) ? -errno : 0;
}

int det_png_write(const char *path, const struct det_curve *curves, size_t n)
{
	static const double grid[] = { 0.01, 0.02, 0.05, 0.1, 0.2, 0.4 };
	static const uint8_t grey[3] = { 200, 200, 200 }, black[3] = { 0, 0, 0 };
	_cleanup_free_ uint8_t *img = malloc(SIZE * SIZE * 3);

	if (!img)
		return -ENOMEM;
	memset(img, 255, SIZE * SIZE * 3);
	for (size_t i = 0; i < ELEMENTSOF(grid); i++) {
		double g = axis(grid[i]);

		line(img, g, MARGIN, g, SIZE - MARGIN, grey);
		line(img, MARGIN, SIZE - g, SIZE - MARGIN, SIZE - g, grey);
	}
	line(img, MARGIN, SIZE - MARGIN, SIZE - MARGIN, SIZE - MARGIN, black);
	line(img, MARGIN, MARGIN, MARGIN, SIZE - MARGIN, black);
	for (size_t c = 0; c < n; c++)
		for (size_t i = 0; i + 1 < curves[c].n; i++)
			line(img, axis(curves[c].apcer[i]), SIZE - axis(curves[c].bpcer[i]),
			     axis(curves[c].apcer[i + 1]), SIZE - axis(curves[c].bpcer[i + 1]),
			     curves[c].rgb);
	return save(path, img);
}
