// SPDX-License-Identifier: GPL-2.0
/*
 * reference_test - the 1:1 reference file: what is written is read back
 * bit for bit; a short, long, foreign, newer, damaged or ill-formed file
 * is refused with the reason; a write replaces the file whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "egate-reference.h"
#include "test-files.h"
#include "kselftest_harness.h"

FIXTURE(reference) {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	char err[256];
	struct egate_reference ref;
	uint8_t bytes[EGATE_REFERENCE_SIZE];
};

FIXTURE_SETUP(reference)
{
	ASSERT_EQ(0, test_dir_new(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/egate0.ref", self->dir);
	snprintf(self->ref.document_id, sizeof(self->ref.document_id), "P<UTOERIKSSON<<ANNA 123");
	for (int i = 0; i < EGATE_TEMPLATE_DIM; i++)
		self->ref.descriptor[i] = (float)i / 100.0f - 0.5f;
	ASSERT_EQ(0, egate_reference_encode(&self->ref, self->bytes));
}

FIXTURE_TEARDOWN(reference)
{
	test_dir_remove(self->dir);
}

static int write_bytes(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "we");
	size_t done;

	if (!f)
		return -errno;
	done = fwrite(data, 1, n, f);
	return fclose(f) == 0 && done == n ? 0 : -EIO;
}

/* Decoding bytes must fail with -EBADMSG and a message containing why. */
static void expect_bad(struct __test_metadata *_metadata, const void *data, size_t n,
		       const char *why)
{
	struct egate_reference out;
	char err[256] = "";

	EXPECT_EQ(-EBADMSG, egate_reference_decode(data, n, &out, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, why)) TH_LOG("message: %s", err);
}

TEST_F(reference, written_and_read_back)
{
	struct egate_reference out;
	struct stat st;

	ASSERT_EQ(0, egate_reference_write(self->path, &self->ref));
	ASSERT_EQ(0, egate_reference_read(self->path, &out, self->err, sizeof(self->err)))
		TH_LOG("%s", self->err);
	ASSERT_EQ(0, stat(self->path, &st));
	EXPECT_STREQ(self->ref.document_id, out.document_id);
	EXPECT_EQ(0, memcmp(self->ref.descriptor, out.descriptor, sizeof(out.descriptor)));
	EXPECT_EQ(EGATE_REFERENCE_SIZE, st.st_size);
	/* no temporary file left beside it */
	EXPECT_EQ(-1, access(strcat(self->path, ".tmp"), F_OK));
}

TEST_F(reference, document_id_is_optional)
{
	struct egate_reference out;

	self->ref.document_id[0] = '\0';
	ASSERT_EQ(0, egate_reference_encode(&self->ref, self->bytes));
	ASSERT_EQ(0, egate_reference_decode(self->bytes, sizeof(self->bytes), &out, self->err,
					    sizeof(self->err)));
	EXPECT_STREQ("", out.document_id);
}

TEST_F(reference, missing_file)
{
	struct egate_reference out;

	EXPECT_EQ(-ENOENT, egate_reference_read(self->path, &out, self->err,
						sizeof(self->err)));
}

TEST_F(reference, short_and_long_files_refused)
{
	uint8_t longer[EGATE_REFERENCE_SIZE + 1] = { 0 };
	struct egate_reference out;

	expect_bad(_metadata, self->bytes, 0, "0 bytes, a reference has 600");
	expect_bad(_metadata, self->bytes, EGATE_REFERENCE_SIZE - 1, "599 bytes");
	memcpy(longer, self->bytes, EGATE_REFERENCE_SIZE);
	ASSERT_EQ(0, write_bytes(self->path, longer, sizeof(longer)));
	EXPECT_EQ(-EBADMSG, egate_reference_read(self->path, &out, self->err,
						 sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "601 bytes")) TH_LOG("%s", self->err);
	ASSERT_EQ(0, write_bytes(self->path, self->bytes, 10));
	EXPECT_EQ(-EBADMSG, egate_reference_read(self->path, &out, self->err,
						 sizeof(self->err)));
}

TEST_F(reference, wrong_magic_version_dimension_refused)
{
	uint8_t b[EGATE_REFERENCE_SIZE];
	uint32_t v;

	memcpy(b, self->bytes, sizeof(b));
	b[0] = 'X';
	expect_bad(_metadata, b, sizeof(b), "no EGATEREF magic");
	memcpy(b, self->bytes, sizeof(b));
	v = 2;
	memcpy(b + 8, &v, 4);
	expect_bad(_metadata, b, sizeof(b), "reference version 2");
	memcpy(b, self->bytes, sizeof(b));
	v = 512;
	memcpy(b + 12, &v, 4);
	expect_bad(_metadata, b, sizeof(b), "512-D template");
}

TEST_F(reference, corruption_refused)
{
	uint8_t b[EGATE_REFERENCE_SIZE];

	for (size_t at = 16; at < EGATE_REFERENCE_SIZE; at += 37) {	/* any flipped bit */
		memcpy(b, self->bytes, sizeof(b));
		b[at] ^= 0x10;
		expect_bad(_metadata, b, sizeof(b), "checksum mismatch");
	}
}

/* The format's checksum, computed here from its description, as another writer would. */
static void resum(uint8_t *b)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < EGATE_REFERENCE_SIZE - 8; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	memcpy(b + EGATE_REFERENCE_SIZE - 8, &h, 8);
}

TEST_F(reference, ill_formed_contents_refused)
{
	uint8_t b[EGATE_REFERENCE_SIZE];
	struct egate_reference bad = self->ref;
	float nan = NAN;

	bad.descriptor[5] = NAN;
	EXPECT_EQ(-EINVAL, egate_reference_encode(&bad, b));
	bad = self->ref;
	bad.document_id[3] = '\n';
	EXPECT_EQ(-EINVAL, egate_reference_encode(&bad, b));

	/* another writer's files, well summed but badly filled */
	memcpy(b, self->bytes, sizeof(b));
	resum(b);
	ASSERT_EQ(0, egate_reference_decode(b, sizeof(b), &bad, self->err, sizeof(self->err)));
	b[16 + 3] = '\t';
	resum(b);
	expect_bad(_metadata, b, sizeof(b), "invalid document id");
	memcpy(b, self->bytes, sizeof(b));
	memset(b + 16, 'A', 64);		/* no terminating NUL */
	resum(b);
	expect_bad(_metadata, b, sizeof(b), "invalid document id");
	memcpy(b, self->bytes, sizeof(b));
	memcpy(b + 80 + 4 * 7, &nan, 4);
	resum(b);
	expect_bad(_metadata, b, sizeof(b), "non-finite value");
}

TEST_F(reference, not_a_regular_file)
{
	struct egate_reference out;

	ASSERT_EQ(0, mkdir(self->path, 0700));
	EXPECT_EQ(-EBADMSG, egate_reference_read(self->path, &out, self->err,
						 sizeof(self->err)));
	EXPECT_STREQ("not a regular file", self->err);
	rmdir(self->path);
}

TEST_F(reference, rewrite_replaces_whole)
{
	struct egate_reference out;
	struct stat before, after;

	ASSERT_EQ(0, egate_reference_write(self->path, &self->ref));
	ASSERT_EQ(0, stat(self->path, &before));
	snprintf(self->ref.document_id, sizeof(self->ref.document_id), "next");
	self->ref.descriptor[0] = 0.25f;
	ASSERT_EQ(0, egate_reference_write(self->path, &self->ref));
	ASSERT_EQ(0, stat(self->path, &after));
	EXPECT_NE(before.st_ino, after.st_ino);	/* renamed over, not rewritten in place */
	ASSERT_EQ(0, egate_reference_read(self->path, &out, self->err, sizeof(self->err)));
	EXPECT_STREQ("next", out.document_id);
	EXPECT_EQ(0.25f, out.descriptor[0]);
}

TEST_HARNESS_MAIN
