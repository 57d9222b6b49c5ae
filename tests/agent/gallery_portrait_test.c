// SPDX-License-Identifier: GPL-2.0
/*
 * gallery_portrait_test - egate-gallery enrol and the portrait criteria:
 * a good portrait enrols; the same photo over-exposed or blurred by the
 * test, or a real photo of a tilted head, is refused with the criterion,
 * its measured value and its limit named, and nothing is enrolled; --force enrols it and the audit record's
 * reason says it was forced past which criterion.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent-run.h"
#include "egate-face.h"
#include "test-files.h"
#include "kselftest_harness.h"
#include "../face/image-write.h"

#define PHOTO "sample2.jpg"	/* one face, a portrait by the criteria */

FIXTURE(portrait) {
	struct agent_env env;
	char photo[PATH_MAX];
	char out[PATH_MAX];	/* the tool's standard output */
	struct egate_face_picture *pic;
};

FIXTURE_SETUP(portrait)
{
	char err[256];

	if (agent_env_init(&self->env) < 0)
		SKIP(return, "no face models (make deps)");
	agent_photo(&self->env, PHOTO, self->photo);
	snprintf(self->out, sizeof(self->out), "%s/stdout", self->env.dir);
	ASSERT_EQ(0, egate_face_picture_load(self->photo, &self->pic, err, sizeof(err)))
		TH_LOG("%s", err);
}

FIXTURE_TEARDOWN(portrait)
{
	egate_face_picture_free(self->pic);
	agent_env_cleanup(&self->env);
}

/* egate-gallery ARGS: its exit status; stdout and stderr in the log,
 * which starts empty */
static int gallery(FIXTURE_DATA(portrait) *self, const char *const *args)
{
	const char *argv[16] = { "--config", "/dev/null", "--db", self->env.db, "--models",
				 self->env.models };
	int n = 6;

	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	unlink(self->env.log);
	return agent_tool(&self->env, "egate-gallery", argv);
}

static bool logged(FIXTURE_DATA(portrait) *self, const char *text)
{
	return test_file_contains(self->env.log, text, strlen(text)) == 1;
}

/* The photo with each pixel through EDIT, as a JPEG at PATH. */
static int write_edited(FIXTURE_DATA(portrait) *self, const char *path,
			void (*edit)(uint8_t *rgb, uint32_t w, uint32_t h))
{
	struct egate_face_image img = egate_face_picture_image(self->pic);
	uint8_t *rgb = malloc((size_t)img.width * img.height * 3);
	struct membuf m = { 0 };
	FILE *f;
	int r = -1;

	if (!rgb)
		return -1;
	memcpy(rgb, img.rgb, (size_t)img.width * img.height * 3);
	edit(rgb, img.width, img.height);
	if (write_jpeg(rgb, (int)img.width, (int)img.height, 3, 95, 0, 0, 0, &m) == 0 &&
	    (f = fopen(path, "wb"))) {
		r = fwrite(m.data, 1, m.len, f) == m.len ? 0 : -1;
		if (fclose(f))
			r = -1;
	}
	free(m.data);
	free(rgb);
	return r;
}

/* light as if the exposure were 2.5 times too long */
static void overexpose(uint8_t *rgb, uint32_t w, uint32_t h)
{
	for (size_t i = 0; i < (size_t)w * h * 3; i++)
		rgb[i] = rgb[i] * 5 / 2 > 255 ? 255 : (uint8_t)(rgb[i] * 5 / 2);
}

/* out of focus: a 9 x 9 box blur, three times (close to a Gaussian) */
static void blur(uint8_t *rgb, uint32_t w, uint32_t h)
{
	const int r = 4;
	uint8_t *tmp = malloc((size_t)w * h * 3);

	if (!tmp)
		abort();
	for (int pass = 0; pass < 6; pass++) {
		bool rows = pass % 2 == 0;

		for (uint32_t y = 0; y < h; y++)
			for (uint32_t x = 0; x < w; x++)
				for (int c = 0; c < 3; c++) {
					int sum = 0, n = 0;

					for (int d = -r; d <= r; d++) {
						long xx = rows ? (long)x + d : x, yy = rows ? y : (long)y + d;

						if (xx < 0 || yy < 0 || xx >= w || yy >= h)
							continue;
						sum += rgb[((size_t)yy * w + xx) * 3 + c];
						n++;
					}
					tmp[((size_t)y * w + x) * 3 + c] = (uint8_t)(sum / n);
				}
		memcpy(rgb, tmp, (size_t)w * h * 3);
	}
	free(tmp);
}

TEST_F(portrait, a_good_portrait_enrols)
{
	ASSERT_EQ(0, gallery(self, (const char *[]) { "--create", "enrol", "alice", self->photo,
						      NULL }));
	EXPECT_FALSE(logged(self, "not a portrait"));
	ASSERT_EQ(0, gallery(self, (const char *[]) { "audit", NULL }));
	EXPECT_TRUE(logged(self, "gallery enrol"));
	EXPECT_FALSE(logged(self, "forced"));
}

TEST_F(portrait, over_exposed_is_refused_then_forced)
{
	char bright[PATH_MAX + 16];

	snprintf(bright, sizeof(bright), "%s/bright.jpg", self->env.dir);
	ASSERT_EQ(0, write_edited(self, bright, overexpose));
	EXPECT_EQ(1, gallery(self, (const char *[]) { "--create", "enrol", "alice", bright,
						      NULL }));
	EXPECT_TRUE(logged(self, "not a portrait: overexposure ")) agent_log_dump(&self->env);
	EXPECT_TRUE(logged(self, "above the limit 0.1 (fraction of the face clipped to white)"));
	EXPECT_TRUE(logged(self, "nothing enrolled"));
	/* nothing enrolled, nothing audited */
	ASSERT_EQ(0, gallery(self, (const char *[]) { "list", NULL }));
	EXPECT_FALSE(logged(self, "alice"));
	/* forced, with the officer's reason after what was overridden */
	ASSERT_EQ(0, gallery(self, (const char *[]) { "--force", "--reason", "desk 3", "enrol",
						      "alice", self->photo, bright, NULL }));
	EXPECT_TRUE(logged(self, "not a portrait, overridden by --force: overexposure "));
	ASSERT_EQ(0, gallery(self, (const char *[]) { "audit", NULL }));
	EXPECT_TRUE(logged(self, "gallery enrol"));
	EXPECT_TRUE(logged(self, "reason \"forced past the portrait criteria: photo 2 overexposure "))
		agent_log_dump(&self->env);
	EXPECT_TRUE(logged(self, "; desk 3\""));
	EXPECT_FALSE(logged(self, "photo 1 "));
}

TEST_F(portrait, blurred_is_refused_then_forced)
{
	char blurred[PATH_MAX + 16];

	snprintf(blurred, sizeof(blurred), "%s/blurred.jpg", self->env.dir);
	ASSERT_EQ(0, write_edited(self, blurred, blur));
	EXPECT_EQ(1, gallery(self, (const char *[]) { "--create", "enrol", "bob", blurred, NULL }));
	EXPECT_TRUE(logged(self, "not a portrait: sharpness ")) agent_log_dump(&self->env);
	EXPECT_TRUE(logged(self, "below the limit 40 (variance of the Laplacian"));
	ASSERT_EQ(0, gallery(self, (const char *[]) { "--force", "enrol", "bob", blurred, NULL }));
	ASSERT_EQ(0, gallery(self, (const char *[]) { "audit", NULL }));
	EXPECT_TRUE(logged(self, "reason \"forced past the portrait criteria: photo 1 sharpness "))
		agent_log_dump(&self->env);
	ASSERT_EQ(0, gallery(self, (const char *[]) { "list", NULL }));
	EXPECT_TRUE(logged(self, "bob"));
}

/* a real photo: the rightmost of three people tilts her head 40-odd degrees */
TEST_F(portrait, a_tilted_head_is_refused)
{
	char group[PATH_MAX];

	agent_photo(&self->env, "sample1.jpg", group);
	EXPECT_EQ(1, gallery(self, (const char *[]) { "--create", "--face", "2", "enrol", "carol",
						      group, NULL }));
	EXPECT_TRUE(logged(self, "not a portrait: roll ")) agent_log_dump(&self->env);
	EXPECT_TRUE(logged(self, "above the limit 30 (head tilted toward a shoulder, degrees)"));
	EXPECT_FALSE(logged(self, "yaw "));
}

TEST_HARNESS_MAIN
