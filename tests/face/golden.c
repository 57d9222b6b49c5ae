// SPDX-License-Identifier: MIT
/*
 * Golden tests: the C engine against the outputs of face-api's own
 * JavaScript pipeline (tfjs, WASM backend) on the package's demo images,
 * recorded by scripts/face-reference/run in tests/face/goldens.json.
 * Tolerances (issue 5): same face count, boxes and landmarks within 0.5 px,
 * descriptors within 1e-4 per component.  The measured deviations are
 * printed as TAP comments.
 */
#include <json-c/json.h>
#include <math.h>

#include "kselftest_harness.h"
#include "common.h"

#define BOX_TOL 0.5
#define LM_TOL 0.5
#define DESC_TOL 1e-4

struct dev {
	double box, lm, desc;
	int faces;
};

static double num(struct json_object *a, size_t i)
{
	return json_object_get_double(json_object_array_get_idx(a, i));
}

/* Runs one image at one size against the golden entry; returns 0 or -1. */
static int check_image(struct __test_metadata *_metadata, struct egate_face_engine *e,
		       struct json_object *img, const char *size_key, int with_desc,
		       struct dev *dv)
{
	struct json_object *name, *sizes, *entry, *faces;
	struct egate_face_detection det[EGATE_FACE_MAX_FACES];
	struct egate_face_picture *pic = NULL;
	struct egate_face_detect_opts o = { .input_size = (uint32_t)atoi(size_key) };
	struct egate_face_image im;
	char path[PATH_MAX], err[256] = "";
	int n, r;

	json_object_object_get_ex(img, "name", &name);
	json_object_object_get_ex(img, "sizes", &sizes);
	json_object_object_get_ex(sizes, size_key, &entry);
	json_object_object_get_ex(entry, "faces", &faces);
	demo_path(path, sizeof(path), json_object_get_string(name));
	r = egate_face_picture_load(path, &pic, err, sizeof(err));
	if (r < 0) {
		TH_LOG("%s", err);
		return -1;
	}
	im = egate_face_picture_image(pic);
	n = egate_face_detect(e, &im, &o, det, EGATE_FACE_MAX_FACES);
	if (n != (int)json_object_array_length(faces)) {
		TH_LOG("%s @%s: %d faces, golden %zu", path, size_key, n,
		       json_object_array_length(faces));
		egate_face_picture_free(pic);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct json_object *f = json_object_array_get_idx(faces, i), *box, *lms, *desc;
		struct egate_face_landmarks lm;
		float d[EGATE_FACE_DESCRIPTOR_DIM];
		double gb[4] = { det[i].box.x, det[i].box.y, det[i].box.width, det[i].box.height };

		json_object_object_get_ex(f, "box", &box);
		json_object_object_get_ex(f, "landmarks", &lms);
		json_object_object_get_ex(f, "descriptor", &desc);
		for (int k = 0; k < 4; k++)
			dv->box = fmax(dv->box, fabs(gb[k] - num(box, k)));
		if (egate_face_landmarks(e, &im, &det[i].box, &lm) < 0)
			return -1;
		for (int p = 0; p < 68; p++) {
			struct json_object *pt = json_object_array_get_idx(lms, p);

			dv->lm = fmax(dv->lm, fabs(lm.x[p] - num(pt, 0)));
			dv->lm = fmax(dv->lm, fabs(lm.y[p] - num(pt, 1)));
		}
		dv->faces++;
		if (!with_desc)
			continue;
		if (egate_face_descriptor(e, &im, &lm, d) < 0)
			return -1;
		for (int k = 0; k < EGATE_FACE_DESCRIPTOR_DIM; k++)
			dv->desc = fmax(dv->desc, fabs(d[k] - num(desc, k)));
	}
	egate_face_picture_free(pic);
	return 0;
}

FIXTURE(golden) {
	struct egate_face_engine *e;
	struct json_object *root;
};

FIXTURE_SETUP(golden)
{
	char err[256] = "", path[PATH_MAX];

	self->e = NULL;
	self->root = NULL;
	if (!have_models())
		SKIP(return, "models not fetched (scripts/fetch-face-models)");
	ASSERT_EQ(0, egate_face_engine_new(models_dir(), &self->e, err, sizeof(err))) TH_LOG("%s", err);
	snprintf(path, sizeof(path), "%s/tests/face/goldens.json", TOP_DIR);
	self->root = json_object_from_file(path);
	ASSERT_NE(NULL, self->root) TH_LOG("cannot read %s", path);
}

FIXTURE_TEARDOWN(golden)
{
	egate_face_engine_free(self->e);
	if (self->root)
		json_object_put(self->root);
}

static void run_all(struct __test_metadata *_metadata, struct egate_face_engine *e,
		    struct json_object *root, const char *size, int with_desc, int max_images)
{
	struct json_object *images;
	struct dev dv = { 0 };

	ASSERT_TRUE(json_object_object_get_ex(root, "images", &images));
	for (size_t i = 0; i < json_object_array_length(images) && (int)i < max_images; i++)
		ASSERT_EQ(0, check_image(_metadata, e, json_object_array_get_idx(images, i), size,
					 with_desc, &dv));
	ksft_print_msg("%s @%s: %d faces, max deviation box %.2g px, landmarks %.2g px, "
		       "descriptor %.2g\n", egate_face_engine_isa(e), size, dv.faces, dv.box, dv.lm,
		       dv.desc);
	fflush(stdout);
	EXPECT_LE(dv.box, BOX_TOL);
	EXPECT_LE(dv.lm, LM_TOL);
	if (with_desc)
		EXPECT_LE(dv.desc, DESC_TOL);
}

#ifdef __SANITIZE_ADDRESS__
#define MAX_IMAGES 2	/* keep the sanitizer run short */
#else
#define MAX_IMAGES 100
#endif

TEST_F_TIMEOUT(golden, detector_416_landmarks_descriptors, 600)
{
	if (_metadata->skip)
		return;	/* SKIP()ped in the set-up */
	run_all(_metadata, self->e, self->root, "416", 1, MAX_IMAGES);
}

TEST_F_TIMEOUT(golden, detector_320_landmarks_descriptors, 600)
{
	if (_metadata->skip)
		return;	/* SKIP()ped in the set-up */
	run_all(_metadata, self->e, self->root, "320", 1, MAX_IMAGES);
}

/* The portable kernels must give the same answers as the AVX2 ones. */
TEST_F_TIMEOUT(golden, generic_kernels, 600)
{
	if (_metadata->skip)
		return;	/* SKIP()ped in the set-up */
	struct egate_face_engine *g = NULL;
	char err[256];

	setenv("EGATE_FACE_ISA", "generic", 1);
	ASSERT_EQ(0, egate_face_engine_new(models_dir(), &g, err, sizeof(err)));
	unsetenv("EGATE_FACE_ISA");
	ASSERT_STREQ("generic", egate_face_engine_isa(g));
	run_all(_metadata, g, self->root, "416", 1, 1);
	egate_face_engine_free(g);
}

TEST_HARNESS_MAIN
