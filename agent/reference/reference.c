// SPDX-License-Identifier: GPL-2.0
/*
 * reference.c - the 1:1 reference file; egate-reference.h has the format.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "egate-reference.h"
#include "macro.h"

#define MAGIC "EGATEREF"
#define VERSION 1
#define OFF_VERSION 8
#define OFF_DIM 12
#define OFF_ID 16
#define OFF_DESCRIPTOR 80
#define OFF_CHECKSUM (OFF_DESCRIPTOR + EGATE_TEMPLATE_DIM * 4)

_Static_assert(OFF_CHECKSUM + 8 == EGATE_REFERENCE_SIZE, "reference layout");
_Static_assert(OFF_DESCRIPTOR - OFF_ID == EGATE_REFERENCE_ID_MAX + 1, "reference id field");

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ull;
	}
	return h;
}

static bool id_valid(const char *id, size_t max)
{
	size_t n = strnlen(id, max + 1);

	if (n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (id[i] < 0x20 || id[i] > 0x7e)
			return false;
	return true;
}

static bool descriptor_valid(const float *d)
{
	for (size_t i = 0; i < EGATE_TEMPLATE_DIM; i++)
		if (!isfinite(d[i]))
			return false;
	return true;
}

int egate_reference_encode(const struct egate_reference *ref, uint8_t out[EGATE_REFERENCE_SIZE])
{
	uint32_t version = VERSION, dim = EGATE_TEMPLATE_DIM;
	uint64_t sum;

	if (!id_valid(ref->document_id, EGATE_REFERENCE_ID_MAX) ||
	    !descriptor_valid(ref->descriptor))
		return -EINVAL;
	memset(out, 0, EGATE_REFERENCE_SIZE);
	memcpy(out, MAGIC, 8);
	memcpy(out + OFF_VERSION, &version, 4);
	memcpy(out + OFF_DIM, &dim, 4);
	memcpy(out + OFF_ID, ref->document_id, strlen(ref->document_id));
	memcpy(out + OFF_DESCRIPTOR, ref->descriptor, sizeof(ref->descriptor));
	sum = fnv1a(out, OFF_CHECKSUM);
	memcpy(out + OFF_CHECKSUM, &sum, 8);
	return 0;
}

#define BAD(...) (snprintf(err, err_size, __VA_ARGS__), -EBADMSG)

int egate_reference_decode(const void *data, size_t size, struct egate_reference *ret,
			   char *err, size_t err_size)
{
	const uint8_t *in = data;
	struct egate_reference ref = { 0 };
	uint32_t version, dim;
	uint64_t sum;

	if (size != EGATE_REFERENCE_SIZE)
		return BAD("%zu bytes, a reference has %d", size, EGATE_REFERENCE_SIZE);
	if (memcmp(in, MAGIC, 8))
		return BAD("not an egate reference (no EGATEREF magic)");
	memcpy(&version, in + OFF_VERSION, 4);
	memcpy(&dim, in + OFF_DIM, 4);
	if (version != VERSION)
		return BAD("reference version %u, this program reads %d", version, VERSION);
	if (dim != EGATE_TEMPLATE_DIM)
		return BAD("%u-D template, expected %d-D", dim, EGATE_TEMPLATE_DIM);
	memcpy(&sum, in + OFF_CHECKSUM, 8);
	if (sum != fnv1a(in, OFF_CHECKSUM))
		return BAD("checksum mismatch: the file is corrupt");
	memcpy(ref.document_id, in + OFF_ID, EGATE_REFERENCE_ID_MAX + 1);
	if (ref.document_id[EGATE_REFERENCE_ID_MAX] ||
	    !id_valid(ref.document_id, EGATE_REFERENCE_ID_MAX))
		return BAD("invalid document id");
	memcpy(ref.descriptor, in + OFF_DESCRIPTOR, sizeof(ref.descriptor));
	if (!descriptor_valid(ref.descriptor))
		return BAD("non-finite value in the template");
	*ret = ref;
	return 0;
}

int egate_reference_write(const char *path, const struct egate_reference *ref)
{
	uint8_t buf[EGATE_REFERENCE_SIZE];
	char tmp[PATH_MAX];
	ssize_t n;
	int fd, r;

	r = egate_reference_encode(ref, buf);
	if (r < 0)
		return r;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, sizeof(buf));
	r = n < 0 ? -errno : n == (ssize_t)sizeof(buf) ? 0 : -EIO;
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r >= 0)
		r = -errno;
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

static int failed(int r, char *err, size_t err_size)
{
	snprintf(err, err_size, "%s", strerror(-r));
	return r;
}

int egate_reference_read(const char *path, struct egate_reference *ret,
			 char *err, size_t err_size)
{
	uint8_t buf[EGATE_REFERENCE_SIZE + 1];	/* one more: a longer file shows */
	_cleanup_close_ int fd = -1;
	struct stat st;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return failed(-errno, err, err_size);
	if (fstat(fd, &st) < 0)
		return failed(-errno, err, err_size);
	if (!S_ISREG(st.st_mode))
		return BAD("not a regular file");
	n = read(fd, buf, sizeof(buf));
	if (n < 0)
		return failed(-errno, err, err_size);
	return egate_reference_decode(buf, (size_t)n, ret, err, err_size);
}
