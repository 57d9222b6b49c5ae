// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the image path: JPEG/PNG decode, then the
 * preprocessing (crop, pad, resize) for the detector and a face crop.
 */
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const float mean[3] = { 1, 2, 3 };
	struct egate_face_picture *p = NULL;
	struct arena a = { 0 };
	char err[256];

	if (egate_face_picture_decode(data, size, &p, err, sizeof(err)) == 0) {
		struct egate_face_image img = egate_face_picture_image(p);
		float *out;

		if (img.width * (size_t)img.height <= 4u << 20 && arena_reserve(&a, 1u << 20) == 0) {
			preprocess(&a, &img, 0, 0, (int)img.width, (int)img.height, false, 64, mean,
				   &out);
			a.used = 0;
			preprocess(&a, &img, (int)img.width / 3, (int)img.height / 4,
				   (int)(img.width - img.width / 3), (int)img.height / 2 + 1, true,
				   150, mean, &out);
		}
		arena_release(&a);
		egate_face_picture_free(p);
	}
	return 0;
}
