// SPDX-License-Identifier: MIT
/*
 * Gallery memory: the templates sit in pages marked MADV_DONTDUMP (the
 * "dd" flag of /proc/self/smaps), before and after the gallery grows, so
 * a core dump of the agent holds no enrolled face.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kselftest_harness.h"
#include "common.h"

/* The VmFlags of the mapping that holds addr: 1 if they include dd, 0 if not, -1: none found. */
static int dontdump(const void *addr)
{
	uintptr_t a = (uintptr_t)addr, lo = 0, hi = 0;
	bool inside = false;
	char line[512];
	int r = -1;
	FILE *f = fopen("/proc/self/smaps", "re");

	if (!f)
		return -1;
	while (r < 0 && fgets(line, sizeof(line), f)) {
		if (line[strspn(line, "0123456789abcdef")] == '-' &&
		    sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &lo, &hi) == 2)
			inside = a >= lo && a < hi;
		else if (inside && !strncmp(line, "VmFlags:", 8))
			r = strstr(line, " dd") != NULL;
	}
	fclose(f);
	return r;
}

TEST(templates_left_out_of_core_dumps)
{
	enum egate_face_gallery_kind kinds[] = { EGATE_FACE_GALLERY_F32, EGATE_FACE_GALLERY_INT8 };
	float d[EGATE_FACE_DESCRIPTOR_DIM];

	for (int i = 0; i < EGATE_FACE_DESCRIPTOR_DIM; i++)
		d[i] = (float)i / 1000.0f;
	for (size_t k = 0; k < 2; k++) {
		struct egate_face_gallery *g;

		ASSERT_EQ(0, egate_face_gallery_new(kinds[k], 2, &g));
		ASSERT_EQ(0, egate_face_gallery_add(g, 1, d));
		EXPECT_EQ(1, dontdump(egate_face_gallery_template(g, 0)));
		for (uint64_t id = 2; id < 600; id++)	/* grown past its first pages */
			ASSERT_LE(0, egate_face_gallery_add(g, id, d));
		EXPECT_EQ(1, dontdump(egate_face_gallery_template(g, 0)));
		EXPECT_EQ(1, dontdump(egate_face_gallery_template(g, 598)));
		egate_face_gallery_free(g);
	}
}

TEST_HARNESS_MAIN
