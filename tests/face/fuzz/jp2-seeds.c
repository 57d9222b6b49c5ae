// SPDX-License-Identifier: MIT
/*
 * jp2-seeds DIR: writes the JPEG 2000 fuzzer's seed corpus into DIR with
 * libopenjp2's encoder: small JP2 files and codestreams, grey, grey +
 * alpha, RGB, RGBA and sYCC 4:2:0, 8 and 12 bits, lossless and lossy.
 */
#include <errno.h>
#include <math.h>

#include "../jp2-write.h"

int main(int argc, char **argv)
{
	static const struct {
		int channels, prec, jp2;
		float ratio;
		int sycc;
		const char *name;
	} seeds[] = {
		{ 1, 8, 0, 0, 0, "grey.j2k" },		{ 2, 8, 1, 0, 0, "grey-alpha.jp2" },
		{ 3, 8, 1, 0, 0, "rgb.jp2" },		{ 3, 8, 0, 8, 0, "rgb-lossy.j2k" },
		{ 4, 8, 1, 0, 0, "rgba.jp2" },		{ 1, 12, 1, 4, 0, "grey12-lossy.jp2" },
		{ 3, 8, 1, 0, 1, "sycc420.jp2" },
	};
	uint8_t px[24 * 16 * 4];

	if (argc != 2) {
		fprintf(stderr, "usage: jp2-seeds DIR\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(px); i++)
		px[i] = (uint8_t)(128 + 100 * sin(i / 7.0));
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		struct membuf m = { 0 };
		char path[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", argv[1], seeds[i].name);
		if (write_jp2(px, 24, 16, seeds[i].channels, seeds[i].prec, seeds[i].jp2,
			      seeds[i].ratio, seeds[i].sycc, &m) < 0) {
			fprintf(stderr, "jp2-seeds: %s: the encoder failed\n", seeds[i].name);
			return 1;
		}
		f = fopen(path, "wb");
		if (!f || fwrite(m.data, 1, m.len, f) != m.len || fclose(f)) {
			fprintf(stderr, "jp2-seeds: %s: %s\n", path, strerror(errno));
			return 1;
		}
		free(m.data);
	}
	return 0;
}
