// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the weight manifest loader.  Input: a JSON manifest,
 * then a 0x00 byte, then the .bin bytes.  When the manifest parses, the
 * nets are built from it too (shape checks by name).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sep = memchr(data, 0, size);
	size_t jlen = sep ? (size_t)(sep - data) : size;
	const uint8_t *bin = sep ? sep + 1 : NULL;
	size_t blen = sep ? size - jlen - 1 : 0;
	struct model *m = NULL;
	char err[256];

	if (model_parse((const char *)data, jlen, bin, blen, "fuzz", &m, err, sizeof(err)) == 0) {
		struct detector *d = NULL;
		struct landmarker *l = NULL;
		struct recognizer *r = NULL;

		if (detector_new(m, &d, err, sizeof(err)) == 0)
			detector_free(d);
		if (landmarker_new(m, &l, err, sizeof(err)) == 0)
			landmarker_free(l);
		if (recognizer_new(m, &r, err, sizeof(err)) == 0)
			recognizer_free(r);
		model_free(m);
	}
	return 0;
}
