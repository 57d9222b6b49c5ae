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

/* runs TOOL with ARGS in the environment ENV (shell words before the
 * command); stdout and stderr into buffers; exit status */
static int run_as(const char *env, const char *tool, const char *args, char *out, size_t outlen,
		  char *err, size_t errlen)
{
	char cmd[4096], ef[] = "/tmp/egate-face-err-XXXXXX";
	int fd = mkstemp(ef), status;
	FILE *p, *e;
	size_t n;

	if (fd < 0)
		return -1;
	close(fd);
	snprintf(cmd, sizeof(cmd), "%s '%s' %s 2>'%s'", env, tool, args, ef);
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

/* runs the tool with ARGS and $EGATE_MODELS; stdout and stderr into
 * buffers; exit status */
static int run(const char *args, char *out, size_t outlen, char *err, size_t errlen)
{
	char env[PATH_MAX + 32];

	snprintf(env, sizeof(env), "EGATE_MODELS='%s'", models_dir());
	return run_as(env, BUILD_DIR "/bin/egate-face", args, out, outlen, err, errlen);
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

/* Options may follow the command, as with egate-gallery; bench --help is
 * help. */
TEST(options_after_the_command)
{
	char args[PATH_MAX + 64], img[PATH_MAX];
	struct json_object *root;

	ASSERT_EQ(0, run("bench --help", out, sizeof(out), err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_NE(NULL, strstr(out, "Usage: egate-face"));
	ASSERT_EQ(0, run("detect -h", out, sizeof(out), err, sizeof(err)));
	ASSERT_EQ(2, run("detect --size 100 x.jpg", out, sizeof(out), err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "--size"));
	ASSERT_EQ(2, run("detect --quick x.jpg", out, sizeof(out), err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "options of bench")) TH_LOG("%s", err);
	ASSERT_EQ(2, run("detect --canvas 3 x.jpg", out, sizeof(out), err, sizeof(err)));
	if (!have_models())
		SKIP(return, "models not fetched");
	demo_path(img, sizeof(img), "sample1.jpg");
	snprintf(args, sizeof(args), "embed '%s' --json -s 320", img);
	ASSERT_EQ(0, run(args, out, sizeof(out), err, sizeof(err))) TH_LOG("%s", err);
	root = json_tokener_parse(out);
	ASSERT_NE(NULL, root) TH_LOG("not JSON: %s", out);
	/* -s 320 after the image took effect: two faces there, three at 416 */
	EXPECT_EQ(2u, json_object_array_length(json_object_object_get(
			      json_object_array_get_idx(root, 0), "faces")));
	json_object_put(root);
}

/* One failed input among several: still valid JSON, the failure an object
 * with an "error", and exit status 1. */
TEST(json_with_a_failed_input)
{
	char args[PATH_MAX * 2 + 128], img[PATH_MAX];
	struct json_object *root, *bad, *v;

	if (!have_models())
		SKIP(return, "models not fetched");
	demo_path(img, sizeof(img), "sample2.jpg");
	snprintf(args, sizeof(args), "detect --json '%s' /nonexistent/a.jpg '%s' 'odd\"name.jpg'",
		 img, img);
	ASSERT_EQ(1, run(args, out, sizeof(out), err, sizeof(err))) TH_LOG("%s", err);
	root = json_tokener_parse(out);
	ASSERT_NE(NULL, root) TH_LOG("not JSON: %s", out);
	ASSERT_EQ(4u, json_object_array_length(root));
	bad = json_object_array_get_idx(root, 1);
	ASSERT_TRUE(json_object_object_get_ex(bad, "error", &v));
	EXPECT_NE(NULL, strstr(json_object_get_string(v), "/nonexistent/a.jpg"));
	EXPECT_FALSE(json_object_object_get_ex(bad, "faces", NULL));
	EXPECT_TRUE(json_object_object_get_ex(json_object_array_get_idx(root, 2), "faces", NULL));
	ASSERT_TRUE(json_object_object_get_ex(json_object_array_get_idx(root, 3), "image", &v));
	EXPECT_STREQ("odd\"name.jpg", json_object_get_string(v));
	json_object_put(root);

	snprintf(args, sizeof(args), "compare --json '%s' /nonexistent/b.jpg", img);
	ASSERT_EQ(1, run(args, out, sizeof(out), err, sizeof(err)));
	root = json_tokener_parse(out);
	ASSERT_NE(NULL, root) TH_LOG("not JSON: %s", out);
	EXPECT_TRUE(json_object_object_get_ex(root, "error", NULL));
	json_object_put(root);

	snprintf(args, sizeof(args), "identify --json '%s' /nonexistent/c.jpg '%s'", img, img);
	ASSERT_EQ(1, run(args, out, sizeof(out), err, sizeof(err)));
	root = json_tokener_parse(out);
	ASSERT_NE(NULL, root) TH_LOG("not JSON: %s", out);
	ASSERT_TRUE(json_object_object_get_ex(root, "failed", &v));
	EXPECT_EQ(1u, json_object_array_length(v));
	ASSERT_TRUE(json_object_object_get_ex(root, "faces", &v));
	EXPECT_EQ(1u, json_object_array_length(v));
	json_object_put(root);
}

/* Without $EGATE_MODELS: the installed models, else the build tree's
 * beside build/<kind>/bin; none of them is a clear error. */
TEST(models_without_the_environment)
{
	char args[PATH_MAX + 64], img[PATH_MAX], bin[PATH_MAX], dir[] = "/tmp/egate-face-XXXXXX";
	char cmd[PATH_MAX * 2 + 64], tree[PATH_MAX];
	struct stat st;

	snprintf(tree, sizeof(tree), "%s/../models/face-api/model/face_recognition_model.bin",
		 BUILD_DIR);
	if (stat(tree, &st) < 0)
		SKIP(return, "no models in the build tree (scripts/fetch-face-models)");
	demo_path(img, sizeof(img), "sample1.jpg");
	snprintf(args, sizeof(args), "detect '%s'", img);
	ASSERT_EQ(0, run_as("env -u EGATE_MODELS", BUILD_DIR "/bin/egate-face", args, out,
			    sizeof(out), err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(out, "3 faces")) TH_LOG("%s", out);
	if (stat("/usr/share/egate/models", &st) == 0)
		SKIP(return, "/usr/share/egate/models exists: not testing the error");
	/* the program alone, outside a build tree */
	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(bin, sizeof(bin), "%s/egate-face", dir);
	snprintf(cmd, sizeof(cmd), "cp '%s/bin/egate-face' '%s'", BUILD_DIR, bin);
	ASSERT_EQ(0, system(cmd));
	EXPECT_EQ(1, run_as("env -u EGATE_MODELS", bin, args, out, sizeof(out), err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "--models")) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "/usr/share/egate/models")) TH_LOG("%s", err);
	unlink(bin);
	rmdir(dir);
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
	ASSERT_NE(NULL, strstr(err, "not a JPEG, PNG or JPEG 2000")) TH_LOG("%s", err);
}

TEST_HARNESS_MAIN
