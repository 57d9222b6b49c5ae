// SPDX-License-Identifier: MIT
/*
 * The quantised gallery at scale: its top-1 equals exact search on
 * realistic descriptors (drawn from the mean and covariance of real ones,
 * the demo images' faces), with the scan split over two threads; its
 * memory per template; gallery files refused by size before anything is
 * allocated; a save that fails or is killed part-way leaves the old file.
 */
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "common.h"
#include "gallery-synth.h"

#define D EGATE_FACE_DESCRIPTOR_DIM

/* the faces of the demo images, a model of them */
static int demo_model(struct __test_metadata *_metadata, struct synth *s)
{
	struct egate_face_engine *e = NULL;
	float real[64 * D];
	size_t n = 0;
	char path[PATH_MAX], err[256];

	if (egate_face_engine_new(models_dir(), &e, err, sizeof(err)) < 0)
		return -1;
	for (int i = 1; i <= 6; i++) {
		char name[32];
		int r;

		snprintf(name, sizeof(name), "sample%d.jpg", i);
		demo_path(path, sizeof(path), name);
		r = synth_real(e, path, 0, real + n * D, 64 - n);
		if (r < 0)
			break;
		n += (size_t)r;
	}
	egate_face_engine_free(e);
	TH_LOG("%zu real descriptors", n);
	if (n < 10)
		return -1;
	return synth_fit(s, real, n, 0.3);
}

FIXTURE(scale) {
	int unused;
};
FIXTURE_SETUP(scale) {}
FIXTURE_TEARDOWN(scale) {}

/* 400 exact searches over 65536 templates: long under ASan on a busy machine */
TEST_F_TIMEOUT(scale, int8_top1_equals_exact_on_realistic_probes, 600)
{
	static struct synth model;
	struct synth *s = &model;
	struct egate_face_gallery *g = NULL;
	const size_t n = 65536;	/* the scan is split from this size on */
	const int probes = 400;
	int agree[2] = { 0 }, total[2] = { 0 }, same_threads = 0;
	double imp = 0;
	float genuine;

	if (!have_models())
		SKIP(return, "models not fetched");
	ASSERT_EQ(0, demo_model(_metadata, s));
	/* genuine probes 0.4 from their template on average */
	genuine = 0.4f / sqrtf(s->trace);
	ASSERT_EQ(0, egate_face_gallery_new(EGATE_FACE_GALLERY_INT8, n, &g));
	for (size_t i = 0; i < n; i++) {
		float d[D];

		synth_draw(s, i, d);
		ASSERT_EQ((int64_t)i, egate_face_gallery_add(g, 5000 + i, d));
	}
	/* the synthetic faces are as far apart as real impostors */
	for (int i = 0; i < 100; i++)
		imp += egate_face_distance(egate_face_gallery_template(g, i),
					   egate_face_gallery_template(g, i + 100)) / 100;
	TH_LOG("mean impostor distance %.3f", imp);
	ASSERT_LT(0.6, imp);
	ASSERT_GT(1.0, imp);
	ASSERT_EQ(0, egate_face_gallery_set_threads(g, 2));
	for (int j = 0; j < probes; j++) {
		struct egate_face_search_opts ex = { .k = 1, .exact = 1 }, ap = { .k = 1 };
		struct egate_face_match me, ma, m1;
		int stranger = j % 2;
		float q[D];

		if (stranger) {
			synth_draw(s, 1000000 + j, q);
		} else {
			const float *t = egate_face_gallery_template(g, (size_t)j * 7919 % n);

			synth_noise(s, 2000000 + j, genuine, q);
			for (int k = 0; k < D; k++)
				q[k] += t[k];
		}
		ASSERT_EQ(1, egate_face_gallery_search(g, q, &ex, &me, 1));
		ASSERT_EQ(1, egate_face_gallery_search(g, q, &ap, &ma, 1));
		total[stranger]++;
		if (ma.index == me.index) {
			agree[stranger]++;
			ASSERT_EQ(me.id, ma.id);
			ASSERT_EQ(me.distance, ma.distance);	/* re-ranked exactly */
		}
		if (j < 20) {	/* one thread finds the same */
			egate_face_gallery_set_threads(g, 1);
			ASSERT_EQ(1, egate_face_gallery_search(g, q, &ap, &m1, 1));
			same_threads += m1.index == ma.index;
			egate_face_gallery_set_threads(g, 2);
		}
	}
	TH_LOG("top-1 as exact: genuine %d/%d, strangers %d/%d", agree[0], total[0], agree[1],
	       total[1]);
	ASSERT_EQ(20, same_threads);
	/* >= 99.9 % of each kind of probe */
	ASSERT_GE(agree[0] * 1000, total[0] * 999);
	ASSERT_GE(agree[1] * 1000, total[1] * 999);
	egate_face_gallery_free(g);
}

TEST(memory_per_template)
{
	struct egate_face_gallery *g = NULL;
	const size_t n = 100000;

	ASSERT_EQ(0, egate_face_gallery_new(EGATE_FACE_GALLERY_INT8, n, &g));
	TH_LOG("int8: %.1f bytes a template", (double)egate_face_gallery_memory(g) / n);
	ASSERT_GE(160 * n, egate_face_gallery_memory(g));
	egate_face_gallery_free(g);
	/* the count sees the floats where they are in memory */
	ASSERT_EQ(0, egate_face_gallery_new(EGATE_FACE_GALLERY_F32, n, &g));
	ASSERT_LE((D * sizeof(float) + 8) * n, egate_face_gallery_memory(g));
	egate_face_gallery_free(g);
}

static struct egate_face_gallery *small_gallery(struct __test_metadata *_metadata, size_t n,
						uint64_t first_id)
{
	struct egate_face_gallery *g = NULL;

	EXPECT_EQ(0, egate_face_gallery_new(EGATE_FACE_GALLERY_F32, n, &g));
	for (size_t i = 0; g && i < n; i++) {
		float d[D];

		for (int k = 0; k < D; k++)
			d[k] = sinf((float)(i * D + k)) * 0.1f;
		EXPECT_EQ((int64_t)i, egate_face_gallery_add(g, first_id + i, d));
	}
	return g;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

FIXTURE(dir) {
	char dir[64], path[128];
};

FIXTURE_SETUP(dir)
{
	snprintf(self->dir, sizeof(self->dir), "/tmp/egate-gfile-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/gallery", self->dir);
}

FIXTURE_TEARDOWN(dir)
{
	unlink(self->path);
	rmdir(self->dir);
}

TEST_F(dir, load_checks_size_before_allocating)
{
	struct egate_face_gallery *g = small_gallery(_metadata, 10, 1), *h = NULL;
	char err[512];
	uint64_t n = 60u * 1000 * 1000;
	FILE *f;

	ASSERT_EQ(0, egate_face_gallery_save(g, self->path, err, sizeof(err)));
	egate_face_gallery_free(g);
	ASSERT_EQ(0, truncate(self->path, 20 + 10 * 520 - 1));
	ASSERT_EQ(-EBADMSG, egate_face_gallery_load(self->path, &h, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "truncated")) TH_LOG("%s", err);
	ASSERT_EQ(0, truncate(self->path, 20 + 10 * 520 + 1));
	ASSERT_EQ(-EBADMSG, egate_face_gallery_load(self->path, &h, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "trailing bytes")) TH_LOG("%s", err);
	ASSERT_EQ(0, truncate(self->path, 20 + 10 * 520));
	/* a header that claims 60M templates (31 GB of floats, more than the
	 * machine has): refused for the file's size, not -ENOMEM */
	f = fopen(self->path, "r+");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, fseek(f, 12, SEEK_SET));
	ASSERT_EQ(1u, fwrite(&n, 8, 1, f));
	fclose(f);
	ASSERT_EQ(-EBADMSG, egate_face_gallery_load(self->path, &h, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "truncated")) TH_LOG("%s", err);
	ASSERT_NE(NULL, strstr(err, self->path));
	ASSERT_TRUE(h == NULL);
}

/* Saves BIG over PATH in a child whose files may not pass 64 KiB: write()
 * fails with EFBIG (SIGXFSZ ignored: a disk that fills up half-way), or
 * the child is killed by SIGXFSZ in the middle of writing.  Returns the
 * child's wait status; it exits 0 when the save said -EFBIG and that the
 * old file is unchanged. */
static int save_over_limit(struct egate_face_gallery *big, const char *path, bool killed)
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		struct rlimit rl = { 64 * 1024, 64 * 1024 }, core = { 0, 0 };
		char err[512];

		signal(SIGXFSZ, killed ? SIG_DFL : SIG_IGN);
		setrlimit(RLIMIT_CORE, &core);
		setrlimit(RLIMIT_FSIZE, &rl);
		_exit(egate_face_gallery_save(big, path, err, sizeof(err)) == -EFBIG &&
		      strstr(err, "unchanged") ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

TEST_F(dir, failed_save_leaves_the_old_file)
{
	struct egate_face_gallery *old = small_gallery(_metadata, 10, 100);
	struct egate_face_gallery *big = small_gallery(_metadata, 1000, 9000), *h = NULL;
	char err[512];

	ASSERT_EQ(0, egate_face_gallery_save(old, self->path, err, sizeof(err)));
	ASSERT_EQ(0, save_over_limit(big, self->path, false));
	ASSERT_EQ(0, egate_face_gallery_load(self->path, &h, err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(10u, egate_face_gallery_size(h));
	ASSERT_EQ(0, memcmp(egate_face_gallery_template(old, 9), egate_face_gallery_template(h, 9),
			    D * sizeof(float)));
	ASSERT_EQ(109u, egate_face_gallery_id(h, 9));
	ASSERT_EQ(1, count_entries(self->dir));	/* no temporary file left */
	egate_face_gallery_free(h);
	h = NULL;
	/* and a save that works replaces it */
	ASSERT_EQ(0, egate_face_gallery_save(big, self->path, err, sizeof(err)));
	ASSERT_EQ(0, egate_face_gallery_load(self->path, &h, err, sizeof(err)));
	ASSERT_EQ(1000u, egate_face_gallery_size(h));
	ASSERT_EQ(1, count_entries(self->dir));
	egate_face_gallery_free(h);
	egate_face_gallery_free(old);
	egate_face_gallery_free(big);
}

/* Killed in the middle of writing (SIGXFSZ's default action): the old
 * gallery is still whole; only a temporary file is left beside it. */
TEST_F(dir, killed_save_leaves_the_old_file)
{
	struct egate_face_gallery *old = small_gallery(_metadata, 10, 100);
	struct egate_face_gallery *big = small_gallery(_metadata, 1000, 9000), *h = NULL;
	char err[512], cmd[256];
	int status;

	ASSERT_EQ(0, egate_face_gallery_save(old, self->path, err, sizeof(err)));
	status = save_over_limit(big, self->path, true);
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(SIGXFSZ, WTERMSIG(status));
	ASSERT_EQ(0, egate_face_gallery_load(self->path, &h, err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(10u, egate_face_gallery_size(h));
	ASSERT_EQ(109u, egate_face_gallery_id(h, 9));
	egate_face_gallery_free(h);
	/* the killed save's temporary file */
	ASSERT_EQ(2, count_entries(self->dir));
	snprintf(cmd, sizeof(cmd), "rm -f %s.??????", self->path);
	ASSERT_EQ(0, system(cmd));
	ASSERT_EQ(1, count_entries(self->dir));
	egate_face_gallery_free(old);
	egate_face_gallery_free(big);
}

TEST(int8_kind_survives_a_file)
{
	struct egate_face_gallery *g = NULL, *h = NULL;
	char dir[] = "/tmp/egate-gkind-XXXXXX", path[64], err[256];
	float d[D];

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/g", dir);
	ASSERT_EQ(0, egate_face_gallery_new(EGATE_FACE_GALLERY_INT8, 0, &g));
	for (int i = 0; i < 40; i++) {
		for (int k = 0; k < D; k++)
			d[k] = cosf((float)(i * 3 + k)) * 0.2f;
		ASSERT_EQ(i, egate_face_gallery_add(g, (uint64_t)i, d));
	}
	ASSERT_EQ(0, egate_face_gallery_save(g, path, err, sizeof(err)));
	ASSERT_EQ(0, egate_face_gallery_load(path, &h, err, sizeof(err)));
	ASSERT_TRUE(egate_face_gallery_kind(h) == EGATE_FACE_GALLERY_INT8);
	ASSERT_EQ(40u, egate_face_gallery_size(h));
	unlink(path);
	rmdir(dir);
	egate_face_gallery_free(g);
	egate_face_gallery_free(h);
}

TEST(kind_for_size)
{
	ASSERT_TRUE(egate_face_gallery_kind_for(1000) == EGATE_FACE_GALLERY_F32);
	ASSERT_TRUE(egate_face_gallery_kind_for(EGATE_FACE_GALLERY_INT8_FROM) ==
		    EGATE_FACE_GALLERY_INT8);
}

TEST_HARNESS_MAIN
