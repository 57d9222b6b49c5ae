// SPDX-License-Identifier: MIT
/*
 * Failure paths: missing and truncated model files, manifests that do not
 * match their .bin, malformed manifests, images that do not decode, images
 * without a face.  Each must fail with a negative errno and a message that
 * names the file and the problem, never crash.
 */
#include <fcntl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "common.h"
#include "internal.h"

static const char *names[] = { "tiny_face_detector_model", "face_landmark_68_model",
			       "face_recognition_model" };

/* a scratch copy of the model folder, to damage */
FIXTURE(models) {
	char dir[64];
};

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ssize_t n;

	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			break;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
}

FIXTURE_SETUP(models)
{
	if (!have_models())
		SKIP(return, "models not fetched (scripts/fetch-face-models)");
	strcpy(self->dir, "/tmp/egate-face-test-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char a[PATH_MAX], b[PATH_MAX];

		snprintf(a, sizeof(a), "%s/%s-weights_manifest.json", models_dir(), names[i]);
		snprintf(b, sizeof(b), "%s/%s-weights_manifest.json", self->dir, names[i]);
		copy_file(a, b);
		snprintf(a, sizeof(a), "%s/%s.bin", models_dir(), names[i]);
		snprintf(b, sizeof(b), "%s/%s.bin", self->dir, names[i]);
		copy_file(a, b);
	}
}

FIXTURE_TEARDOWN(models)
{
	char cmd[128];

	if (self->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
		if (system(cmd))
			TH_LOG("cannot remove %s", self->dir);
	}
}

static int load(const char *dir, char *err, size_t len)
{
	struct egate_face_engine *e = NULL;
	int r;

	err[0] = 0;
	r = egate_face_engine_new(dir, &e, err, len);
	egate_face_engine_free(e);
	return r;
}

TEST_F(models, intact_copy_loads)
{
	if (_metadata->skip)
		return;	/* SKIP()ped in the set-up */
	char err[512];

	ASSERT_EQ(0, load(self->dir, err, sizeof(err))) TH_LOG("%s", err);
}

TEST_F(models, missing_bin)
{
	if (_metadata->skip)
		return;	/* SKIP()ped in the set-up */
	char err[512], p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/face_landmark_68_model.bin", self->dir);
	unlink(p);
	ASSERT_EQ(-ENOENT, load(self->dir, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "face_landmark_68_model.bin")) TH_LOG("%s", err);
}

TEST_F(models, missing_manifest)
{
	if (_metadata->skip)
		return;	/* SKIP()ped in the set-up */
	char err[512], p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/tiny_face_detector_model-weights_manifest.json", self->dir);
	unlink(p);
	ASSERT_EQ(-ENOENT, load(self->dir, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "tiny_face_detector_model-weights_manifest.json"));
}

TEST_F(models, truncated_bin)
{
	if (_metadata->skip)
		return;	/* SKIP()ped in the set-up */
	char err[512], p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/face_recognition_model.bin", self->dir);
	ASSERT_EQ(0, truncate(p, 6444032 - 1000));
	ASSERT_EQ(-EBADMSG, load(self->dir, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "face_recognition_model")) TH_LOG("%s", err);
	ASSERT_NE(NULL, strstr(err, "truncated")) TH_LOG("%s", err);
}

TEST_F(models, bin_too_long)
{
	if (_metadata->skip)
		return;	/* SKIP()ped in the set-up */
	char err[512], p[PATH_MAX];
	int fd;

	snprintf(p, sizeof(p), "%s/tiny_face_detector_model.bin", self->dir);
	fd = open(p, O_WRONLY | O_APPEND);
	ASSERT_LE(0, fd);
	ASSERT_EQ(4, write(fd, "junk", 4));
	close(fd);
	ASSERT_EQ(-EBADMSG, load(self->dir, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "but the .bin has")) TH_LOG("%s", err);
}

/* manifest text edits; in-memory through model_parse() */
static int parse(const char *json, size_t bin_len, char *err, size_t len)
{
	static uint8_t bin[1 << 16];
	struct model *m = NULL;
	int r = model_parse(json, strlen(json), bin, bin_len, "test.json", &m, err, len);

	model_free(m);
	return r;
}

TEST(manifest_validation)
{
	char err[512];

	ASSERT_EQ(0, parse("[{\"paths\":[\"x.bin\"],\"weights\":[{\"name\":\"a\",\"shape\":[2,3],"
			   "\"dtype\":\"float32\"}]}]", 24, err, sizeof(err))) TH_LOG("%s", err);
	/* shape product vs .bin size */
	ASSERT_EQ(-EBADMSG, parse("[{\"weights\":[{\"name\":\"a\",\"shape\":[2,4],"
				  "\"dtype\":\"float32\"}]}]", 24, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "'a'"));
	/* quantised: 1 byte each */
	ASSERT_EQ(0, parse("[{\"weights\":[{\"name\":\"q\",\"shape\":[6],\"dtype\":\"float32\","
			   "\"quantization\":{\"dtype\":\"uint8\",\"scale\":0.5,\"min\":-1}}]}]", 6,
			   err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(-EBADMSG, parse("[{\"weights\":[{\"name\":\"q\",\"shape\":[6],\"dtype\":\"float32\","
				  "\"quantization\":{\"dtype\":\"uint16\",\"scale\":0.5,\"min\":-1}}]}]",
				  12, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "uint16"));
	ASSERT_EQ(-EBADMSG, parse("[{\"weights\":[{\"name\":\"q\",\"shape\":[6],\"dtype\":\"float32\","
				  "\"quantization\":{\"dtype\":\"uint8\",\"min\":-1}}]}]", 6, err,
				  sizeof(err)));
	ASSERT_EQ(-EBADMSG, parse("[{\"weights\":[{\"name\":\"a\",\"shape\":[2],\"dtype\":\"int32\"}]}]",
				  8, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "int32"));
	ASSERT_EQ(-EBADMSG, parse("[{\"weights\":[{\"name\":\"a\",\"shape\":[-2],\"dtype\":\"float32\"}]}]",
				  8, err, sizeof(err)));
	ASSERT_EQ(-EBADMSG, parse("[{\"weights\":[{\"name\":\"a\",\"shape\":[1,1,1,1,1],"
				  "\"dtype\":\"float32\"}]}]", 4, err, sizeof(err)));
	ASSERT_EQ(-E2BIG, parse("[{\"weights\":[{\"name\":\"a\",\"shape\":[65536,65536],"
				"\"dtype\":\"float32\"}]}]", 4, err, sizeof(err)));
	ASSERT_EQ(-EBADMSG, parse("[{\"weights\":[{\"name\":\"a\",\"shape\":[1],\"dtype\":\"float32\"},"
				  "{\"name\":\"a\",\"shape\":[1],\"dtype\":\"float32\"}]}]", 8, err,
				  sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "twice"));
	ASSERT_EQ(-EBADMSG, parse("{\"weights\":[]}", 0, err, sizeof(err)));
	ASSERT_EQ(-EBADMSG, parse("[{\"weights\":[{\"name\":\"a\"", 0, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "not valid JSON"));
	ASSERT_EQ(-EBADMSG, parse("[]", 0, err, sizeof(err)));
}

TEST_F(models, wrong_shape_in_manifest)
{
	if (_metadata->skip)
		return;	/* SKIP()ped in the set-up */
	char err[512], p[PATH_MAX], cmd[PATH_MAX + 128];

	/* same byte count, different shape: the net must refuse it by name */
	snprintf(p, sizeof(p), "%s/tiny_face_detector_model-weights_manifest.json", self->dir);
	snprintf(cmd, sizeof(cmd), "sed -i 's/\"shape\":\\[3,3,3,16\\]/\"shape\":[3,3,16,3]/' '%s'", p);
	ASSERT_EQ(0, system(cmd));
	ASSERT_EQ(-EBADMSG, load(self->dir, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "conv0/filters")) TH_LOG("%s", err);
}

TEST_F(models, weight_missing)
{
	if (_metadata->skip)
		return;	/* SKIP()ped in the set-up */
	char err[512], p[PATH_MAX], cmd[PATH_MAX + 128];

	snprintf(p, sizeof(p), "%s/face_landmark_68_model-weights_manifest.json", self->dir);
	snprintf(cmd, sizeof(cmd), "sed -i 's|\"fc/bias\"|\"fc/biaz\"|' '%s'", p);
	ASSERT_EQ(0, system(cmd));
	ASSERT_EQ(-EBADMSG, load(self->dir, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "fc/bias")) TH_LOG("%s", err);
	ASSERT_NE(NULL, strstr(err, "missing")) TH_LOG("%s", err);
}

TEST(no_model_dir)
{
	char err[512];

	ASSERT_EQ(-ENOENT, load("/nonexistent/egate", err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "/nonexistent/egate/"));
}

/* ------------------------------------------------------------ images */

static int decode(const void *d, size_t n, char *err, size_t len)
{
	struct egate_face_picture *p = NULL;
	int r;

	err[0] = 0;
	r = egate_face_picture_decode(d, n, &p, err, len);
	egate_face_picture_free(p);
	return r;
}

TEST(image_errors)
{
	static const uint8_t png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	static const uint8_t jpeg_head[4] = { 0xff, 0xd8, 0xff, 0xe0 };
	struct egate_face_picture *p = NULL;
	char err[512];

	ASSERT_EQ(-EBADMSG, decode("hello", 5, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "not a JPEG, PNG or JPEG 2000"));
	ASSERT_EQ(-EBADMSG, decode(png_sig, sizeof(png_sig), err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "PNG")) TH_LOG("%s", err);
	ASSERT_EQ(-EBADMSG, decode(jpeg_head, sizeof(jpeg_head), err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "JPEG")) TH_LOG("%s", err);
	ASSERT_EQ(-ENOENT, egate_face_picture_load("/nonexistent.jpg", &p, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "/nonexistent.jpg"));
}

TEST(truncated_jpeg)
{
	char path[PATH_MAX], err[512];
	struct egate_face_picture *p = NULL;
	uint8_t *buf;
	FILE *f;
	long n;

	if (!have_models())
		SKIP(return, "demo images not fetched");
	demo_path(path, sizeof(path), "sample2.jpg");
	f = fopen(path, "rb");
	ASSERT_NE(NULL, f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n);
	ASSERT_EQ(1u, fread(buf, n, 1, f));
	fclose(f);
	/* libjpeg pads a truncated scan with grey, as browsers do; the
	 * header cut short must fail */
	for (long cut = 1; cut < 600; cut += 37) {
		int r = egate_face_picture_decode(buf, cut, &p, err, sizeof(err));

		ASSERT_EQ(-EBADMSG, r);
	}
	ASSERT_EQ(0, egate_face_picture_decode(buf, n / 2, &p, err, sizeof(err))) TH_LOG("%s", err);
	egate_face_picture_free(p);
	free(buf);
}

TEST(no_face_and_bad_arguments)
{
	struct egate_face_engine *e = NULL;
	struct egate_face_detection d[4];
	struct egate_face_landmarks lm;
	static uint8_t grey[200 * 160 * 3];
	struct egate_face_image img = { grey, 200, 160, 600 };
	struct egate_face_detect_opts bad = { .input_size = 100 };
	struct egate_face_box outside = { 500, 500, 50, 50 };
	char err[512];

	if (!have_models())
		SKIP(return, "models not fetched");
	memset(grey, 128, sizeof(grey));
	ASSERT_EQ(0, egate_face_engine_new(models_dir(), &e, err, sizeof(err)));
	ASSERT_EQ(0, egate_face_detect(e, &img, NULL, d, 4));
	ASSERT_EQ(-EINVAL, egate_face_detect(e, &img, &bad, d, 4));
	ASSERT_EQ(-ERANGE, egate_face_landmarks(e, &img, &outside, &lm));
	img.stride = 10;
	ASSERT_EQ(-EINVAL, egate_face_detect(e, &img, NULL, d, 4));
	egate_face_engine_free(e);
}

TEST_HARNESS_MAIN
