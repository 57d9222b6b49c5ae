// SPDX-License-Identifier: GPL-2.0
/*
 * reference_test - the 1:1 reference file: what is written is read back
 * bit for bit; a short, long, foreign, older, altered or ill-formed file
 * is refused with the reason; so is one signed by a key the agent does not
 * list, one for another lane, one outside its time window or with too long
 * a window, a replay of one already taken, and a file that others could
 * have written or may read.  The keys: parsing the agent's list, a reader's
 * key pair made and loaded.  A write replaces the file whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>
#include <sys/stat.h>

#include "egate-reference.h"
#include "test-files.h"
#include "kselftest_harness.h"

#define NOW_US 1900000000000000LL	/* 2030-03-17 */
#define MAX_AGE_S 120

FIXTURE(reference) {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	char err[256];
	struct egate_reference ref;
	uint8_t secret[EGATE_REFERENCE_SECRET_SIZE], other_secret[EGATE_REFERENCE_SECRET_SIZE];
	struct egate_reference_keys trusted;
	uint8_t bytes[EGATE_REFERENCE_SIZE];
};

/* A key pair from a fixed seed: the same keys on every run. */
static void key_pair(uint8_t seed_byte, uint8_t secret[EGATE_REFERENCE_SECRET_SIZE],
		     uint8_t public_key[EGATE_REFERENCE_KEY_SIZE])
{
	uint8_t seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES];

	memset(seed, seed_byte, sizeof(seed));
	crypto_sign_seed_keypair(public_key ? public_key : pk, secret, seed);
}

FIXTURE_SETUP(reference)
{
	ASSERT_LE(0, sodium_init());
	ASSERT_EQ(0, test_dir_new(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/egate0.ref", self->dir);
	key_pair(7, self->secret, self->trusted.key[0]);
	self->trusted.n = 1;
	key_pair(8, self->other_secret, NULL);
	snprintf(self->ref.lane, sizeof(self->ref.lane), "egate0");
	snprintf(self->ref.document_id, sizeof(self->ref.document_id), "P<UTOERIKSSON<<ANNA 123");
	self->ref.not_before_us = NOW_US;
	self->ref.not_after_us = NOW_US + 60 * 1000000LL;
	for (int i = 0; i < EGATE_TEMPLATE_DIM; i++)
		self->ref.descriptor[i] = (float)i / 100.0f - 0.5f;
	ASSERT_EQ(0, egate_reference_encode(&self->ref, self->secret, self->bytes));
}

FIXTURE_TEARDOWN(reference)
{
	test_dir_remove(self->dir);
}

static int write_bytes(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t done;

	if (fd < 0)
		return -errno;
	done = write(fd, data, n);
	return close(fd) == 0 && done == (ssize_t)n ? 0 : -EIO;
}

/* Decoding bytes must fail with code and a message containing why. */
static void expect_bad(struct __test_metadata *_metadata,
		       const struct egate_reference_keys *trusted, const void *data, size_t n,
		       int code, const char *why)
{
	struct egate_reference out;
	char err[256] = "";

	EXPECT_EQ(code, egate_reference_decode(data, n, trusted, &out, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, why)) TH_LOG("message: %s", err);
}

/* The check of a decoded reference must fail with code and a message containing why. */
static void expect_refused(struct __test_metadata *_metadata, const struct egate_reference *ref,
			   const char *lane, int64_t now_us, int64_t last_us, int code,
			   const char *why)
{
	char err[256] = "";

	EXPECT_EQ(code, egate_reference_check(ref, lane, now_us, MAX_AGE_S, last_us, err,
					      sizeof(err)));
	EXPECT_NE(NULL, strstr(err, why)) TH_LOG("message: %s", err);
}

TEST_F(reference, written_and_read_back)
{
	struct egate_reference out;
	struct stat st;

	ASSERT_EQ(0, egate_reference_write(self->path, &self->ref, self->secret));
	ASSERT_EQ(0, egate_reference_read(self->path, &self->trusted, &out, self->err,
					  sizeof(self->err))) TH_LOG("%s", self->err);
	ASSERT_EQ(0, stat(self->path, &st));
	EXPECT_STREQ("egate0", out.lane);
	EXPECT_STREQ(self->ref.document_id, out.document_id);
	EXPECT_EQ(self->ref.not_before_us, out.not_before_us);
	EXPECT_EQ(self->ref.not_after_us, out.not_after_us);
	EXPECT_EQ(0, memcmp(self->ref.descriptor, out.descriptor, sizeof(out.descriptor)));
	EXPECT_EQ(0, memcmp(self->trusted.key[0], out.signer, sizeof(out.signer)));
	EXPECT_EQ(EGATE_REFERENCE_SIZE, st.st_size);
	EXPECT_EQ(0, st.st_mode & 0027);
	EXPECT_EQ(0, egate_reference_check(&out, "egate0", NOW_US, MAX_AGE_S, 0, self->err,
					   sizeof(self->err))) TH_LOG("%s", self->err);
	/* no temporary file left beside it */
	EXPECT_EQ(-1, access(strcat(self->path, ".tmp"), F_OK));
}

TEST_F(reference, document_id_is_optional)
{
	struct egate_reference out;

	self->ref.document_id[0] = '\0';
	ASSERT_EQ(0, egate_reference_encode(&self->ref, self->secret, self->bytes));
	ASSERT_EQ(0, egate_reference_decode(self->bytes, sizeof(self->bytes), &self->trusted, &out,
					    self->err, sizeof(self->err)));
	EXPECT_STREQ("", out.document_id);
}

TEST_F(reference, missing_file)
{
	struct egate_reference out;

	EXPECT_EQ(-ENOENT, egate_reference_read(self->path, &self->trusted, &out, self->err,
						sizeof(self->err)));
}

TEST_F(reference, short_and_long_files_refused)
{
	uint8_t longer[EGATE_REFERENCE_SIZE + 1] = { 0 };
	struct egate_reference out;

	expect_bad(_metadata, &self->trusted, self->bytes, 0, -EBADMSG,
		   "0 bytes, a reference has 768");
	expect_bad(_metadata, &self->trusted, self->bytes, EGATE_REFERENCE_SIZE - 1, -EBADMSG,
		   "767 bytes");
	memcpy(longer, self->bytes, EGATE_REFERENCE_SIZE);
	ASSERT_EQ(0, write_bytes(self->path, longer, sizeof(longer)));
	EXPECT_EQ(-EBADMSG, egate_reference_read(self->path, &self->trusted, &out, self->err,
						 sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "769 bytes")) TH_LOG("%s", self->err);
}

TEST_F(reference, wrong_magic_version_dimension_refused)
{
	uint8_t b[EGATE_REFERENCE_SIZE];
	uint32_t v;

	memcpy(b, self->bytes, sizeof(b));
	b[0] = 'X';
	expect_bad(_metadata, &self->trusted, b, sizeof(b), -EBADMSG, "no EGATEREF magic");
	memcpy(b, self->bytes, sizeof(b));
	v = 1;	/* the unsigned references of before */
	memcpy(b + 8, &v, 4);
	expect_bad(_metadata, &self->trusted, b, sizeof(b), -EBADMSG,
		   "reference version 1, this program reads signed references");
	memcpy(b, self->bytes, sizeof(b));
	v = 512;
	memcpy(b + 12, &v, 4);
	expect_bad(_metadata, &self->trusted, b, sizeof(b), -EBADMSG, "512-D template");
}

/* Signed by a reader whose key the agent does not list, or with no key listed. */
TEST_F(reference, wrong_key_refused)
{
	struct egate_reference_keys none = { 0 };
	uint8_t b[EGATE_REFERENCE_SIZE];
	struct egate_reference out;

	ASSERT_EQ(0, egate_reference_encode(&self->ref, self->other_secret, b));
	expect_bad(_metadata, &self->trusted, b, sizeof(b), -EKEYREJECTED,
		   "which decision.reference_keys does not list");
	expect_bad(_metadata, &none, self->bytes, sizeof(self->bytes), -EKEYREJECTED,
		   "does not list");
	/* the listed key in the file, another's signature: a forgery */
	memcpy(b + 672, self->trusted.key[0], EGATE_REFERENCE_KEY_SIZE);
	expect_bad(_metadata, &self->trusted, b, sizeof(b), -EKEYREJECTED, "altered or forged");
	ASSERT_EQ(0, write_bytes(self->path, b, sizeof(b)));
	EXPECT_EQ(-EKEYREJECTED, egate_reference_read(self->path, &self->trusted, &out, self->err,
						      sizeof(self->err)));
}

TEST_F(reference, altered_bytes_refused)
{
	uint8_t b[EGATE_REFERENCE_SIZE];

	for (size_t at = 16; at < EGATE_REFERENCE_SIZE; at += 37) {	/* any flipped bit */
		memcpy(b, self->bytes, sizeof(b));
		b[at] ^= 0x10;
		expect_bad(_metadata, &self->trusted, b, sizeof(b), -EKEYREJECTED,
			   at >= 672 && at < 704 ? "does not list" : "altered or forged");
	}
}

/* Signs bytes 0-703 as the format says, as another writer's code would. */
static void resign(uint8_t *b, const uint8_t *secret)
{
	crypto_sign_detached(b + 704, NULL, b, 704, secret);
}

TEST_F(reference, ill_formed_contents_refused)
{
	uint8_t b[EGATE_REFERENCE_SIZE];
	struct egate_reference bad = self->ref;
	int64_t t;
	float nan = NAN;

	bad.descriptor[5] = NAN;
	EXPECT_EQ(-EINVAL, egate_reference_encode(&bad, self->secret, b));
	bad = self->ref;
	bad.document_id[3] = '\n';
	EXPECT_EQ(-EINVAL, egate_reference_encode(&bad, self->secret, b));
	bad = self->ref;
	bad.lane[0] = '\0';
	EXPECT_EQ(-EINVAL, egate_reference_encode(&bad, self->secret, b));
	bad = self->ref;
	bad.not_after_us = bad.not_before_us;
	EXPECT_EQ(-EINVAL, egate_reference_encode(&bad, self->secret, b));

	/* another writer's files, well signed but badly filled */
	memcpy(b, self->bytes, sizeof(b));
	b[80 + 3] = '\t';
	resign(b, self->secret);
	expect_bad(_metadata, &self->trusted, b, sizeof(b), -EBADMSG, "invalid document id");
	memcpy(b, self->bytes, sizeof(b));
	memset(b + 80, 'A', 64);		/* no terminating NUL */
	resign(b, self->secret);
	expect_bad(_metadata, &self->trusted, b, sizeof(b), -EBADMSG, "invalid document id");
	memcpy(b, self->bytes, sizeof(b));
	memset(b + 16, 0, 64);
	resign(b, self->secret);
	expect_bad(_metadata, &self->trusted, b, sizeof(b), -EBADMSG, "invalid lane");
	memcpy(b, self->bytes, sizeof(b));
	t = NOW_US - 1;
	memcpy(b + 152, &t, 8);			/* ends before it begins */
	resign(b, self->secret);
	expect_bad(_metadata, &self->trusted, b, sizeof(b), -EBADMSG, "invalid time window");
	memcpy(b, self->bytes, sizeof(b));
	memcpy(b + 160 + 4 * 7, &nan, 4);
	resign(b, self->secret);
	expect_bad(_metadata, &self->trusted, b, sizeof(b), -EBADMSG, "non-finite value");
}

TEST_F(reference, other_lane_refused)
{
	expect_refused(_metadata, &self->ref, "egate1", NOW_US, 0, -EXDEV,
		       "for lane egate0, not egate1");
}

TEST_F(reference, stale_or_early_refused)
{
	int64_t end = self->ref.not_after_us;

	expect_refused(_metadata, &self->ref, "egate0", end + 1000000, 0, -ESTALE,
		       "expired 1 s ago");
	expect_refused(_metadata, &self->ref, "egate0", NOW_US - 10 * 1000000LL, 0, -ESTALE,
		       "not valid for another 10 s");
	/* inside the window, and a reader's clock a little ahead */
	EXPECT_EQ(0, egate_reference_check(&self->ref, "egate0", end, MAX_AGE_S, 0, self->err,
					   sizeof(self->err)));
	EXPECT_EQ(0, egate_reference_check(&self->ref, "egate0", NOW_US - EGATE_REFERENCE_SKEW_US,
					   MAX_AGE_S, 0, self->err, sizeof(self->err)));
	/* a reader may not make a reference last longer than the agent allows */
	self->ref.not_after_us = NOW_US + (MAX_AGE_S + 1) * 1000000LL;
	expect_refused(_metadata, &self->ref, "egate0", NOW_US, 0, -ERANGE,
		       "valid for 121 s, more than decision.reference_max_age_s (120)");
}

TEST_F(reference, replay_refused)
{
	expect_refused(_metadata, &self->ref, "egate0", NOW_US, NOW_US, -EALREADY, "a replay");
	expect_refused(_metadata, &self->ref, "egate0", NOW_US, NOW_US + 1, -EALREADY, "a replay");
	EXPECT_EQ(0, egate_reference_check(&self->ref, "egate0", NOW_US, MAX_AGE_S, NOW_US - 1,
					   self->err, sizeof(self->err)));
}

/* A file that another user could have written, or may read, is not believed. */
TEST_F(reference, loose_owner_or_mode_refused)
{
	static const struct { mode_t mode; const char *why; } modes[] = {
		{ 0666, "others may write it" },
		{ 0620, "others may write it" },
		{ 0644, "others may read it" },
		{ 0604, "others may read it" },
	};
	struct egate_reference out;

	ASSERT_EQ(0, egate_reference_write(self->path, &self->ref, self->secret));
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		ASSERT_EQ(0, chmod(self->path, modes[i].mode));
		EXPECT_EQ(-EPERM, egate_reference_read(self->path, &self->trusted, &out, self->err,
						       sizeof(self->err)));
		EXPECT_NE(NULL, strstr(self->err, modes[i].why)) TH_LOG("%s", self->err);
	}
	ASSERT_EQ(0, chmod(self->path, 0640));
	EXPECT_EQ(0, egate_reference_read(self->path, &self->trusted, &out, self->err,
					  sizeof(self->err)));
	if (geteuid() != 0)
		return;	/* only root can give it away */
	/* Group-readable only by the agent's own group (not egate-metrics). */
	ASSERT_EQ(0, chown(self->path, geteuid(), getegid() + 1));
	ASSERT_EQ(0, chmod(self->path, 0640));
	EXPECT_EQ(-EPERM, egate_reference_read(self->path, &self->trusted, &out, self->err,
					       sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "others may read it")) TH_LOG("%s", self->err);
	ASSERT_EQ(0, chown(self->path, 65534, 65534));
	EXPECT_EQ(-EPERM, egate_reference_read(self->path, &self->trusted, &out, self->err,
					       sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "owned by uid 65534")) TH_LOG("%s", self->err);
}

TEST_F(reference, not_a_regular_file)
{
	struct egate_reference out;

	ASSERT_EQ(0, mkdir(self->path, 0700));
	EXPECT_EQ(-EBADMSG, egate_reference_read(self->path, &self->trusted, &out, self->err,
						 sizeof(self->err)));
	EXPECT_STREQ("not a regular file", self->err);
	rmdir(self->path);
}

TEST_F(reference, rewrite_replaces_whole)
{
	struct egate_reference out;
	struct stat before, after;

	ASSERT_EQ(0, egate_reference_write(self->path, &self->ref, self->secret));
	ASSERT_EQ(0, stat(self->path, &before));
	snprintf(self->ref.document_id, sizeof(self->ref.document_id), "next");
	self->ref.descriptor[0] = 0.25f;
	ASSERT_EQ(0, egate_reference_write(self->path, &self->ref, self->secret));
	ASSERT_EQ(0, stat(self->path, &after));
	EXPECT_NE(before.st_ino, after.st_ino);	/* renamed over, not rewritten in place */
	ASSERT_EQ(0, egate_reference_read(self->path, &self->trusted, &out, self->err,
					  sizeof(self->err)));
	EXPECT_STREQ("next", out.document_id);
	EXPECT_EQ(0.25f, out.descriptor[0]);
}

TEST_F(reference, key_list_parsed)
{
	static char many[(EGATE_REFERENCE_KEYS_MAX + 1) * (EGATE_REFERENCE_KEY_HEX + 1) + 1];
	char hex[3 * (EGATE_REFERENCE_KEY_HEX + 1) + 8], one[EGATE_REFERENCE_KEY_HEX + 1];
	struct egate_reference_keys keys;

	sodium_bin2hex(one, sizeof(one), self->trusted.key[0], EGATE_REFERENCE_KEY_SIZE);
	snprintf(hex, sizeof(hex), " %s, %s\t%s ", one, one, one);
	ASSERT_EQ(0, egate_reference_keys_parse(hex, &keys, self->err, sizeof(self->err)))
		TH_LOG("%s", self->err);
	EXPECT_EQ(3, keys.n);
	EXPECT_EQ(0, memcmp(keys.key[2], self->trusted.key[0], EGATE_REFERENCE_KEY_SIZE));
	ASSERT_EQ(0, egate_reference_keys_parse("none", &keys, self->err, sizeof(self->err)));
	EXPECT_EQ(0, keys.n);

	one[10] = 'g';
	EXPECT_EQ(-EINVAL, egate_reference_keys_parse(one, &keys, self->err, sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "key 1")) TH_LOG("%s", self->err);
	one[EGATE_REFERENCE_KEY_HEX - 1] = '\0';
	EXPECT_EQ(-EINVAL, egate_reference_keys_parse(one, &keys, self->err, sizeof(self->err)));
	EXPECT_EQ(-EINVAL, egate_reference_keys_parse(" , ", &keys, self->err, sizeof(self->err)));
	sodium_bin2hex(one, sizeof(one), self->trusted.key[0], EGATE_REFERENCE_KEY_SIZE);
	for (int i = 0; i <= EGATE_REFERENCE_KEYS_MAX; i++)
		strcat(strcat(many, one), " ");
	EXPECT_EQ(-EINVAL, egate_reference_keys_parse(many, &keys, self->err, sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "more than 8 keys")) TH_LOG("%s", self->err);
}

/* A reader's key pair: made private, never over a file, and it signs what its public key checks. */
TEST_F(reference, keygen_and_secret_key)
{
	char secret_path[PATH_MAX + 16], public_hex[EGATE_REFERENCE_KEY_HEX + 1];
	uint8_t secret[EGATE_REFERENCE_SECRET_SIZE], b[EGATE_REFERENCE_SIZE];
	struct egate_reference_keys keys;
	struct egate_reference out;
	struct stat st;

	snprintf(secret_path, sizeof(secret_path), "%s/reader.key", self->dir);
	ASSERT_EQ(0, egate_reference_keygen(secret_path, public_hex, self->err,
					    sizeof(self->err))) TH_LOG("%s", self->err);
	ASSERT_EQ(0, stat(secret_path, &st));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(EGATE_REFERENCE_KEY_HEX, strlen(public_hex));
	EXPECT_EQ(-EEXIST, egate_reference_keygen(secret_path, public_hex, self->err,
						  sizeof(self->err)));

	ASSERT_EQ(0, egate_reference_secret_load(secret_path, secret, self->err,
						 sizeof(self->err))) TH_LOG("%s", self->err);
	ASSERT_EQ(0, egate_reference_keys_parse(public_hex, &keys, self->err, sizeof(self->err)));
	ASSERT_EQ(0, egate_reference_encode(&self->ref, secret, b));
	EXPECT_EQ(0, egate_reference_decode(b, sizeof(b), &keys, &out, self->err,
					    sizeof(self->err))) TH_LOG("%s", self->err);

	ASSERT_EQ(0, chmod(secret_path, 0640));
	EXPECT_EQ(-EPERM, egate_reference_secret_load(secret_path, secret, self->err,
						      sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "others may read it")) TH_LOG("%s", self->err);
	ASSERT_EQ(0, write_bytes(secret_path, "not hex\n", 8));
	ASSERT_EQ(0, chmod(secret_path, 0600));
	EXPECT_EQ(-EBADMSG, egate_reference_secret_load(secret_path, secret, self->err,
							sizeof(self->err)));
}

TEST_HARNESS_MAIN
