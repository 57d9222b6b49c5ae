// SPDX-License-Identifier: MIT
/*
 * The egate-face tool: usage, JSON output, exit codes, and clear messages
 * for missing files, images without a face and unloadable models.
 */
#include <json-c/json.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "common.h"

#ifndef BUILD_DIR
#define BUILD_DIR TOP_DIR "/build/host"
#endif

/* runs the tool with ARGS; stdout and stderr into buffers; exit status */
static int run(const char *args, char *out, size_t outlen, char *err, size_t errlen)
{
	char cmd[4096], ef[] = "/tmp/egate-face-err-XXXXXX";
	int fd = mkstemp(ef), status;
	FILE *p, *e;
	size_t n;

	if (fd < 0)
		return -1;
	close(fd);
	snprintf(cmd, sizeof(cmd), "EGATE_MODELS='%s' '%s/bin/egate-face' %s 2>'%s'", models_dir(),
		 BUILD_DIR, args, ef);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fread(out, 1, outlen - 1, p);
	out[n] = 0;
	status = pclose(p);
	e = fopen(ef, "r");
	n = e ? fread(err, 1, errlen - 1, e) : 0;
	err[n] = 0;
	if (e)
		fclose(e);
	unlink(ef);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char out[1 << 20], err[1 << 16];

TEST(usage)
{
	ASSERT_EQ(0, run("--help", out, sizeof(out), err, sizeof(err)));
	ASSERT_NE(NULL, strstr(out, "Usage: egate-face"));
	ASSERT_EQ(2, run("frobnicate x.jpg", out, sizeof(out), err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "unknown command"));
	ASSERT_EQ(2, run("-s 100 detect x.jpg", out, sizeof(out), err, sizeof(err)));
	ASSERT_EQ(2, run("detect", out, sizeof(out), err, sizeof(err)));
}

TEST(detect_json_and_compare)
{
	char args[PATH_MAX * 2 + 64], img[PATH_MAX];
	struct json_object *root, *faces;

	if (!have_models())
		SKIP(return, "models not fetched");
	demo_path(img, sizeof(img), "sample1.jpg");
	snprintf(args, sizeof(args), "detect --json '%s'", img);
	ASSERT_EQ(0, run(args, out, sizeof(out), err, sizeof(err))) TH_LOG("%s", err);
	root = json_tokener_parse(out);
	ASSERT_NE(NULL, root) TH_LOG("not JSON: %s", out);
	ASSERT_TRUE(json_object_object_get_ex(json_object_array_get_idx(root, 0), "faces", &faces));
	ASSERT_EQ(3u, json_object_array_length(faces));
	json_object_put(root);

	snprintf(args, sizeof(args), "compare --json '%s' '%s'", img, img);
	ASSERT_EQ(0, run(args, out, sizeof(out), err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_NE(NULL, strstr(out, "\"match\":true"));
}

TEST(messages_name_the_file)
{
	char args[PATH_MAX + 64];

	if (!have_models())
		SKIP(return, "models not fetched");
	ASSERT_EQ(1, run("detect /nonexistent/face.jpg", out, sizeof(out), err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "/nonexistent/face.jpg"));
	snprintf(args, sizeof(args), "detect '%s/tests/face/fuzz/seeds/fuzz-image/rgb.png'", TOP_DIR);
	ASSERT_EQ(0, run(args, out, sizeof(out), err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "no face found")) TH_LOG("%s", err);
	ASSERT_EQ(1, run("-m /nonexistent detect x.jpg", out, sizeof(out), err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "cannot load models: /nonexistent/")) TH_LOG("%s", err);
	snprintf(args, sizeof(args), "detect '%s/tests/face/goldens.json'", TOP_DIR);
	ASSERT_EQ(1, run(args, out, sizeof(out), err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "not a JPEG or PNG")) TH_LOG("%s", err);
}

TEST_HARNESS_MAIN
