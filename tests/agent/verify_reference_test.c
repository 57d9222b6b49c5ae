// SPDX-License-Identifier: GPL-2.0
/*
 * verify_reference_test - the agent in decision.mode=verify taking the
 * document reader's reference files (agent/daemon/verify-reference.c): a good
 * one is taken and becomes the worker's one template; one signed by a key
 * the configuration does not list, one for another lane, a stale one, one
 * others could write, and a replay of one already taken are each refused
 * and removed, and the lane keeps waiting for a document.  Without keys
 * configured the agent does not start in verify mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include <sys/stat.h>

#include "agent.h"
#include "macro.h"
#include "test-files.h"
#include "kselftest_harness.h"

FIXTURE(verify) {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	uint8_t secret[EGATE_REFERENCE_SECRET_SIZE], other[EGATE_REFERENCE_SECRET_SIZE];
	struct egate_conf *conf;
	struct agent a;
};

static void key_pair(uint8_t seed_byte, uint8_t secret[EGATE_REFERENCE_SECRET_SIZE],
		     char public_hex[EGATE_REFERENCE_KEY_HEX + 1])
{
	uint8_t seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES];

	memset(seed, seed_byte, sizeof(seed));
	crypto_sign_seed_keypair(pk, secret, seed);
	if (public_hex)
		sodium_bin2hex(public_hex, EGATE_REFERENCE_KEY_HEX + 1, pk, sizeof(pk));
}

static int set(struct egate_conf *conf, const char *key, const char *value)
{
	char assignment[PATH_MAX + 64], err[EGATE_ERRMSG_MAX];

	snprintf(assignment, sizeof(assignment), "%s=%s", key, value);
	return egate_conf_set(conf, assignment, err, sizeof(err));
}

FIXTURE_SETUP(verify)
{
	char public_hex[EGATE_REFERENCE_KEY_HEX + 1];

	ASSERT_LE(0, sodium_init());
	ASSERT_EQ(0, test_dir_new(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/egate0.ref", self->dir);
	key_pair(1, self->secret, public_hex);
	key_pair(2, self->other, NULL);
	ASSERT_EQ(0, egate_conf_new(&self->conf));
	ASSERT_EQ(0, set(self->conf, "decision.mode", "verify"));
	ASSERT_EQ(0, set(self->conf, "decision.reference_dir", self->dir));
	ASSERT_EQ(0, set(self->conf, "decision.reference_keys", public_hex));
	self->a.settings = egate_conf_settings(self->conf);
	self->a.lane_name = "test-lane";
	self->a.verify = true;
	self->a.now_ns = monotonic_ns();
	ASSERT_EQ(0, agent_reference_init(&self->a, "egate0"));
}

FIXTURE_TEARDOWN(verify)
{
	egate_face_gallery_free(self->a.gallery);
	egate_conf_free(self->conf);
	test_dir_remove(self->dir);
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The reader's file: for lane, valid from now + from_s for valid_s, signed with secret. */
static int write_reference(FIXTURE_DATA(verify) *self, const uint8_t *secret, const char *lane,
			   const char *document, int from_s, int valid_s)
{
	struct egate_reference ref = { 0 };

	snprintf(ref.lane, sizeof(ref.lane), "%s", lane);
	snprintf(ref.document_id, sizeof(ref.document_id), "%s", document);
	ref.not_before_us = now_us() + from_s * 1000000LL;
	ref.not_after_us = ref.not_before_us + valid_s * 1000000LL;
	for (int i = 0; i < EGATE_TEMPLATE_DIM; i++)
		ref.descriptor[i] = (float)i / 200.0f;
	return egate_reference_write(self->path, &ref, secret);
}

/* The agent looks: whether it took a reference, and the file is gone either way. */
static bool taken(FIXTURE_DATA(verify) *self)
{
	agent_reference_check(&self->a);
	return self->a.reference.loaded && access(self->path, F_OK) < 0 &&
	       egate_face_gallery_size(self->a.gallery) == 1;
}

static bool refused(FIXTURE_DATA(verify) *self)
{
	agent_reference_check(&self->a);
	return !self->a.reference.loaded && !self->a.gallery && access(self->path, F_OK) < 0 &&
	       access(self->a.reference.inuse, F_OK) < 0;
}

TEST_F(verify, good_reference_taken)
{
	ASSERT_EQ(0, write_reference(self, self->secret, "egate0", "P-GOOD-1", 0, 60));
	EXPECT_TRUE(taken(self));
	EXPECT_STREQ("P-GOOD-1", agent_reference_document(&self->a));
	agent_reference_consume(&self->a);
	EXPECT_FALSE(self->a.reference.loaded);
}

TEST_F(verify, wrong_key_refused)
{
	ASSERT_EQ(0, write_reference(self, self->other, "egate0", "P-FORGED", 0, 60));
	EXPECT_TRUE(refused(self));
}

TEST_F(verify, other_lane_refused)
{
	ASSERT_EQ(0, write_reference(self, self->secret, "egate1", "P-LANE-1", 0, 60));
	EXPECT_TRUE(refused(self));
}

TEST_F(verify, stale_refused)
{
	ASSERT_EQ(0, write_reference(self, self->secret, "egate0", "P-OLD", -100, 60));
	EXPECT_TRUE(refused(self));
	/* valid longer than decision.reference_max_age_s (120) */
	ASSERT_EQ(0, write_reference(self, self->secret, "egate0", "P-LONG", 0, 121));
	EXPECT_TRUE(refused(self));
}

TEST_F(verify, writable_by_others_refused)
{
	ASSERT_EQ(0, write_reference(self, self->secret, "egate0", "P-LOOSE", 0, 60));
	ASSERT_EQ(0, chmod(self->path, 0666));
	EXPECT_TRUE(refused(self));
}

/* The same signed bytes again after the decision consumed them: a replay. */
TEST_F(verify, replay_refused)
{
	char copy[PATH_MAX + 32], cmd[3 * PATH_MAX];

	ASSERT_EQ(0, write_reference(self, self->secret, "egate0", "P-ONCE", 0, 60));
	snprintf(copy, sizeof(copy), "%s/kept-copy", self->dir);
	snprintf(cmd, sizeof(cmd), "cp -p '%s' '%s'", self->path, copy);
	ASSERT_EQ(0, system(cmd));
	ASSERT_TRUE(taken(self));
	agent_reference_consume(&self->a);
	ASSERT_EQ(0, rename(copy, self->path));
	EXPECT_TRUE(refused(self));
	/* the reader's next reference is taken */
	ASSERT_EQ(0, write_reference(self, self->secret, "egate0", "P-NEXT", 0, 60));
	EXPECT_TRUE(taken(self));
}

/* A taken reference is dropped once its window ends, decided on or not. */
TEST_F(verify, dropped_at_the_end_of_its_window)
{
	struct timespec pause = { 1, 600000000 };

	ASSERT_EQ(0, write_reference(self, self->secret, "egate0", "P-BRIEF", 0, 1));
	ASSERT_TRUE(taken(self));
	nanosleep(&pause, NULL);
	agent_reference_check(&self->a);
	EXPECT_FALSE(self->a.reference.loaded);
	EXPECT_NE(0, access(self->a.reference.inuse, F_OK));
}

TEST_F(verify, no_keys_no_start)
{
	struct agent a = { .settings = self->a.settings, .lane_name = "test-lane" };

	ASSERT_EQ(0, set(self->conf, "decision.reference_keys", "none"));
	EXPECT_EQ(-ENOKEY, agent_reference_init(&a, "egate0"));
	ASSERT_EQ(0, set(self->conf, "decision.reference_keys", "0123"));
	EXPECT_EQ(-EINVAL, agent_reference_init(&a, "egate0"));
}

TEST_HARNESS_MAIN
