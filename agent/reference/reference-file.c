// SPDX-License-Identifier: GPL-2.0
/*
 * reference-file.c - the 1:1 reference file; egate-reference.h has the format
 * and the rules the agent holds a reference to.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>
#include <sys/stat.h>

#include "egate-reference.h"
#include "macro.h"
#include "reference-internal.h"

#define MAGIC "EGATEREF"
#define VERSION 2
#define OFF_VERSION 8
#define OFF_DIM 12
#define OFF_LANE 16
#define OFF_ID 80
#define OFF_NOT_BEFORE 144
#define OFF_NOT_AFTER 152
#define OFF_DESCRIPTOR 160
#define OFF_SIGNER (OFF_DESCRIPTOR + EGATE_TEMPLATE_DIM * 4)
#define OFF_SIGNATURE (OFF_SIGNER + EGATE_REFERENCE_KEY_SIZE)

_Static_assert(OFF_SIGNATURE + crypto_sign_BYTES == EGATE_REFERENCE_SIZE, "reference layout");
_Static_assert(OFF_ID - OFF_LANE == EGATE_REFERENCE_LANE_MAX + 1, "reference lane field");
_Static_assert(OFF_NOT_BEFORE - OFF_ID == EGATE_REFERENCE_ID_MAX + 1, "reference id field");

/* Printable ASCII, min to max bytes, and NUL-terminated within max + 1. */
static bool text_valid(const char *text, size_t min, size_t max)
{
	size_t n = strnlen(text, max + 1);

	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (text[i] < 0x20 || text[i] > 0x7e)
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

static bool fields_valid(const struct egate_reference *ref)
{
	return text_valid(ref->lane, 1, EGATE_REFERENCE_LANE_MAX) &&
	       text_valid(ref->document_id, 0, EGATE_REFERENCE_ID_MAX) &&
	       ref->not_before_us > 0 && ref->not_before_us < ref->not_after_us &&
	       descriptor_valid(ref->descriptor);
}

int egate_reference_encode(const struct egate_reference *ref,
			   const uint8_t secret[EGATE_REFERENCE_SECRET_SIZE],
			   uint8_t out[EGATE_REFERENCE_SIZE])
{
	uint32_t version = VERSION, dim = EGATE_TEMPLATE_DIM;
	int r;

	if (!fields_valid(ref))
		return -EINVAL;
	r = reference_sodium_init();
	if (r < 0)
		return r;
	memset(out, 0, EGATE_REFERENCE_SIZE);
	memcpy(out, MAGIC, 8);
	memcpy(out + OFF_VERSION, &version, 4);
	memcpy(out + OFF_DIM, &dim, 4);
	memcpy(out + OFF_LANE, ref->lane, strlen(ref->lane));
	memcpy(out + OFF_ID, ref->document_id, strlen(ref->document_id));
	memcpy(out + OFF_NOT_BEFORE, &ref->not_before_us, 8);
	memcpy(out + OFF_NOT_AFTER, &ref->not_after_us, 8);
	memcpy(out + OFF_DESCRIPTOR, ref->descriptor, sizeof(ref->descriptor));
	/* libsodium's secret key ends with its public key */
	memcpy(out + OFF_SIGNER, secret + EGATE_REFERENCE_SECRET_SIZE - EGATE_REFERENCE_KEY_SIZE,
	       EGATE_REFERENCE_KEY_SIZE);
	crypto_sign_detached(out + OFF_SIGNATURE, NULL, out, OFF_SIGNATURE, secret);
	return 0;
}

#define BAD(code, ...) (snprintf(err, err_size, __VA_ARGS__), (code))

static bool trusted_key(const struct egate_reference_keys *trusted, const uint8_t *key)
{
	for (size_t i = 0; i < trusted->n; i++)
		if (!memcmp(trusted->key[i], key, EGATE_REFERENCE_KEY_SIZE))
			return true;
	return false;
}

int egate_reference_decode(const void *data, size_t size,
			   const struct egate_reference_keys *trusted,
			   struct egate_reference *ret, char *err, size_t err_size)
{
	const uint8_t *in = data;
	struct egate_reference ref = { 0 };
	char signer[17];
	uint32_t version, dim;
	int r;

	if (size != EGATE_REFERENCE_SIZE)
		return BAD(-EBADMSG, "%zu bytes, a reference has %d", size, EGATE_REFERENCE_SIZE);
	if (memcmp(in, MAGIC, 8))
		return BAD(-EBADMSG, "not an egate reference (no EGATEREF magic)");
	memcpy(&version, in + OFF_VERSION, 4);
	memcpy(&dim, in + OFF_DIM, 4);
	if (version != VERSION)
		return BAD(-EBADMSG, "reference version %u, this program reads signed references,"
			   " version %d", version, VERSION);
	if (dim != EGATE_TEMPLATE_DIM)
		return BAD(-EBADMSG, "%u-D template, expected %d-D", dim, EGATE_TEMPLATE_DIM);
	r = reference_sodium_init();
	if (r < 0)
		return BAD(r, "libsodium cannot start");
	/* Nothing else is read until the bytes are known to be the signer's. */
	sodium_bin2hex(signer, sizeof(signer), in + OFF_SIGNER, 8);
	if (!trusted_key(trusted, in + OFF_SIGNER))
		return BAD(-EKEYREJECTED, "signed by key %s..., which decision.reference_keys"
			   " does not list", signer);
	if (crypto_sign_verify_detached(in + OFF_SIGNATURE, in, OFF_SIGNATURE, in + OFF_SIGNER))
		return BAD(-EKEYREJECTED, "the signature of key %s... does not match:"
			   " altered or forged", signer);
	memcpy(ref.lane, in + OFF_LANE, EGATE_REFERENCE_LANE_MAX + 1);
	memcpy(ref.document_id, in + OFF_ID, EGATE_REFERENCE_ID_MAX + 1);
	memcpy(&ref.not_before_us, in + OFF_NOT_BEFORE, 8);
	memcpy(&ref.not_after_us, in + OFF_NOT_AFTER, 8);
	memcpy(ref.descriptor, in + OFF_DESCRIPTOR, sizeof(ref.descriptor));
	memcpy(ref.signer, in + OFF_SIGNER, EGATE_REFERENCE_KEY_SIZE);
	if (!text_valid(ref.lane, 1, EGATE_REFERENCE_LANE_MAX))
		return BAD(-EBADMSG, "invalid lane");
	if (!text_valid(ref.document_id, 0, EGATE_REFERENCE_ID_MAX))
		return BAD(-EBADMSG, "invalid document id");
	if (ref.not_before_us <= 0 || ref.not_before_us >= ref.not_after_us)
		return BAD(-EBADMSG, "invalid time window");
	if (!descriptor_valid(ref.descriptor))
		return BAD(-EBADMSG, "non-finite value in the template");
	*ret = ref;
	return 0;
}

int egate_reference_check(const struct egate_reference *ref, const char *lane,
			  int64_t now_us, unsigned int max_age_s, int64_t last_not_before_us,
			  char *err, size_t err_size)
{
	if (strcmp(ref->lane, lane))
		return BAD(-EXDEV, "for lane %s, not %s", ref->lane, lane);
	if (ref->not_after_us - ref->not_before_us > (int64_t)max_age_s * 1000000)
		return BAD(-ERANGE, "valid for %lld s, more than decision.reference_max_age_s (%u)",
			   (long long)((ref->not_after_us - ref->not_before_us) / 1000000), max_age_s);
	if (now_us < ref->not_before_us - EGATE_REFERENCE_SKEW_US)
		return BAD(-ESTALE, "not valid for another %lld s: is a clock wrong?",
			   (long long)((ref->not_before_us - now_us) / 1000000));
	if (now_us > ref->not_after_us)
		return BAD(-ESTALE, "expired %lld s ago",
			   (long long)((now_us - ref->not_after_us) / 1000000));
	if (ref->not_before_us <= last_not_before_us)
		return BAD(-EALREADY, "a replay: not newer than the last reference taken");
	return 0;
}

int egate_reference_write(const char *path, const struct egate_reference *ref,
			  const uint8_t secret[EGATE_REFERENCE_SECRET_SIZE])
{
	uint8_t buf[EGATE_REFERENCE_SIZE];
	char tmp[PATH_MAX];
	ssize_t n;
	int fd, r;

	r = egate_reference_encode(ref, secret, buf);
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

int egate_reference_read(const char *path, const struct egate_reference_keys *trusted,
			 struct egate_reference *ret, char *err, size_t err_size)
{
	uint8_t buf[EGATE_REFERENCE_SIZE + 1];	/* one more: a longer file shows */
	_cleanup_close_ int fd = -1;
	struct stat st;
	ssize_t n;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return failed(-errno, err, err_size);
	if (fstat(fd, &st) < 0)
		return failed(-errno, err, err_size);
	if (!S_ISREG(st.st_mode))
		return BAD(-EBADMSG, "not a regular file");
	/*
	 * Before a byte of it is believed: whoever else could write it could
	 * forge a face.  A group may read it only if it is the agent's own:
	 * in the setgid /run/egate a file takes the metrics readers' group.
	 */
	r = reference_file_private(&st, st.st_gid == getegid() ? 0027 : 0077, err, err_size);
	if (r < 0)
		return r;
	n = read(fd, buf, sizeof(buf));
	if (n < 0)
		return failed(-errno, err, err_size);
	return egate_reference_decode(buf, (size_t)n, trusted, ret, err, err_size);
}
