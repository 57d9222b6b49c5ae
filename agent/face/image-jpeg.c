// SPDX-License-Identifier: MIT
/*
 * JPEG (libjpeg-turbo) into RGB: grayscale and YCbCr as libjpeg converts
 * them, CMYK and YCCK converted here (libjpeg does not), the EXIF
 * orientation applied so that the picture is upright.
 */
#include <setjmp.h>
#include <stdio.h>

#include <jpeglib.h>

#include "image-internal.h"

#define EXIF_MARKER (JPEG_APP0 + 1)
#define MAX_WARNINGS 1000

struct jerr {
	struct jpeg_error_mgr mgr;
	jmp_buf jmp;
	char msg[JMSG_LENGTH_MAX];
};

static void jerr_exit(j_common_ptr cinfo)
{
	struct jerr *e = (struct jerr *)cinfo->err;

	(*cinfo->err->format_message)(cinfo, e->msg);
	longjmp(e->jmp, 1);
}

static void jerr_silent(j_common_ptr cinfo, int level)
{
	/* warnings (corrupt data) are tolerated like browsers do, but bounded */
	if (level < 0 && cinfo->err->num_warnings++ > MAX_WARNINGS)
		jerr_exit(cinfo);
}

/*
 * Ink to light: R = (255 - C)(255 - K) / 255 and so on.  Adobe's
 * applications (the files with an Adobe APP14 marker, and every YCCK file)
 * store the inks inverted, 255 - C: there R = C K / 255.
 */
static void cmyk_to_rgb(const uint8_t *cmyk, uint8_t *rgb, uint32_t width, bool inverted)
{
	for (uint32_t x = 0; x < width; x++, cmyk += 4, rgb += 3) {
		unsigned int k = inverted ? cmyk[3] : 255u - cmyk[3];

		for (int c = 0; c < 3; c++) {
			unsigned int v = inverted ? cmyk[c] : 255u - cmyk[c];

			rgb[c] = (uint8_t)((v * k + 127) / 255);
		}
	}
}

/* the first APP1 that is EXIF (another, XMP say, may come before it) */
static int orientation_of(j_decompress_ptr cinfo)
{
	for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next)
		if (m->marker == EXIF_MARKER && m->data_length >= 6 &&
		    !memcmp(m->data, "Exif\0\0", 6))
			return exif_orientation(m->data, m->data_length);
	return 1;
}

int decode_jpeg(const uint8_t *data, size_t len, struct egate_face_picture **out,
		char *errbuf, size_t errlen)
{
	struct jpeg_decompress_struct cinfo;
	struct egate_face_picture *volatile pic = NULL;
	uint8_t *volatile cmyk = NULL;
	struct egate_face_picture *done;
	struct jerr err;
	int r, orientation;

	memset(&cinfo, 0, sizeof(cinfo));
	cinfo.err = jpeg_std_error(&err.mgr);
	err.mgr.error_exit = jerr_exit;
	err.mgr.emit_message = jerr_silent;
	if (setjmp(err.jmp)) {
		jpeg_destroy_decompress(&cinfo);
		egate_face_picture_free(pic);
		free(cmyk);
		seterr(errbuf, errlen, "JPEG does not decode: %s", err.msg);
		return -EBADMSG;
	}
	jpeg_create_decompress(&cinfo);
	jpeg_mem_src(&cinfo, data, (unsigned long)len);
	/* one APP1 is at most 64 KiB: what is kept is bounded by the file */
	jpeg_save_markers(&cinfo, EXIF_MARKER, 0xffff);
	jpeg_read_header(&cinfo, TRUE);
	cinfo.out_color_space = cinfo.jpeg_color_space == JCS_CMYK ||
				cinfo.jpeg_color_space == JCS_YCCK ? JCS_CMYK : JCS_RGB;
	/* the reference decoders use the accurate integer IDCT, fancy upsampling */
	cinfo.dct_method = JDCT_ISLOW;
	cinfo.do_fancy_upsampling = TRUE;
	if (cinfo.image_width > EGATE_FACE_MAX_IMAGE_DIM ||
	    cinfo.image_height > EGATE_FACE_MAX_IMAGE_DIM) {
		jpeg_destroy_decompress(&cinfo);
		seterr(errbuf, errlen, "JPEG %ux%u is larger than %d pixels per side",
		       cinfo.image_width, cinfo.image_height, EGATE_FACE_MAX_IMAGE_DIM);
		return -E2BIG;
	}
	jpeg_start_decompress(&cinfo);
	if (cinfo.output_components != (cinfo.out_color_space == JCS_CMYK ? 4 : 3)) {
		jpeg_destroy_decompress(&cinfo);
		seterr(errbuf, errlen, "JPEG has %d components after conversion",
		       cinfo.output_components);
		return -EBADMSG;
	}
	{
		struct egate_face_picture *p = NULL;

		r = picture_alloc(cinfo.output_width, cinfo.output_height, &p, errbuf, errlen);
		if (r < 0) {
			jpeg_destroy_decompress(&cinfo);
			return r;
		}
		pic = p;
	}
	if (cinfo.out_color_space == JCS_CMYK) {
		cmyk = malloc((size_t)pic->width * 4);
		if (!cmyk) {
			jpeg_destroy_decompress(&cinfo);
			egate_face_picture_free(pic);
			return -ENOMEM;
		}
	}
	while (cinfo.output_scanline < cinfo.output_height) {
		uint8_t *rgb = pic->rgb + (size_t)cinfo.output_scanline * pic->width * 3;
		JSAMPROW row = cmyk ? cmyk : rgb;

		if (jpeg_read_scanlines(&cinfo, &row, 1) == 1 && cmyk)
			cmyk_to_rgb(cmyk, rgb, pic->width, cinfo.saw_Adobe_marker);
	}
	orientation = orientation_of(&cinfo);
	jpeg_finish_decompress(&cinfo);
	jpeg_destroy_decompress(&cinfo);
	free(cmyk);
	done = pic;
	r = picture_orient(&done, orientation);
	if (r < 0) {
		egate_face_picture_free(done);
		return r;
	}
	*out = done;
	return 0;
}
