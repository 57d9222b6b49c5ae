// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the JPEG 2000 loader (image-jp2.c) alone, JP2 files
 * and raw codestreams, so that no run is spent on the other formats'
 * signatures.  Seeds: jp2-seeds writes them with libopenjp2's encoder.
 */
#include <stddef.h>
#include <stdint.h>

#include "image-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct egate_face_picture *p = NULL;
	char err[256] = "";
	int r = decode_jp2(data, size, &p, err, sizeof(err));

	if (r == 0) {
		struct egate_face_image img = egate_face_picture_image(p);
		unsigned int sum = 0;

		/* every pixel was written */
		for (size_t i = 0; i < (size_t)img.width * img.height * 3; i++)
			sum += img.rgb[i];
		(void)sum;
		egate_face_picture_free(p);
	} else if (p || (r != -ENOMEM && !err[0])) {
		__builtin_trap();	/* an error must say why and return nothing */
	}
	return 0;
}
