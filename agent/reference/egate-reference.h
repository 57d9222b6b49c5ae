/* SPDX-License-Identifier: GPL-2.0 */
/*
 * egate-reference.h - the reference template of 1:1 verification: the face
 * of the traveller at the lane as their travel document holds it, written
 * by the document reader (or `egate-gallery reference`) for the agent,
 * signed by the reader's own Ed25519 key, for one lane and a short time.
 *
 * One file, EGATE_REFERENCE_SIZE bytes, numbers in the machine's byte
 * order (little-endian on the kiosks), like the gallery's templates:
 *
 *   0   magic "EGATEREF"
 *   8   u32 version (2)
 *   12  u32 dimension (128)
 *   16  lane: the lane device it is for ("egate0"), 1 to 63 printable
 *       ASCII bytes, NUL-padded to 64
 *   80  document id: up to 63 printable ASCII bytes, NUL-padded to 64
 *   144 i64 not before, i64 not after: the time window in which the agent
 *       may take it, CLOCK_REALTIME microseconds
 *   160 128 float32: the face descriptor, all finite
 *   672 the signer's Ed25519 public key, 32 bytes
 *   704 the Ed25519 signature of bytes 0-703, 64 bytes
 *
 * The agent takes a reference only if it is signed by one of the keys of
 * decision.reference_keys, for its lane, inside its window (give or take
 * EGATE_REFERENCE_SKEW_US between the clocks), no longer than
 * decision.reference_max_age_s, and newer than the last one it took (a
 * copy of an old one is a replay); and only from a file owned by root or
 * by the agent's user that no other user may read or write, and no group
 * may write.  Writers replace the file atomically (a temporary file in the
 * same folder, fsync, rename), so a reader sees the old file or the new
 * one, never half of one.
 *
 * Functions return 0 or a negative errno and write one line saying why into
 * err: -EBADMSG for a malformed file, -EKEYREJECTED for a signature by no
 * listed key (or none valid), -EXDEV for another lane's, -ESTALE outside
 * its window, -ERANGE for a window longer than allowed, -EALREADY for a
 * replay, -EPERM for a file others could have written or may read.
 */
#ifndef EGATE_REFERENCE_H
#define EGATE_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

#include "egate-store.h"

#define EGATE_REFERENCE_SIZE 768
#define EGATE_REFERENCE_ID_MAX 63	/* document id, bytes */
#define EGATE_REFERENCE_LANE_MAX 63	/* lane device name, bytes */
#define EGATE_REFERENCE_KEY_SIZE 32	/* an Ed25519 public key */
#define EGATE_REFERENCE_SECRET_SIZE 64	/* an Ed25519 secret key (libsodium's) */
#define EGATE_REFERENCE_KEY_HEX (2 * EGATE_REFERENCE_KEY_SIZE)
#define EGATE_REFERENCE_KEYS_MAX 8	/* keys the agent trusts */
#define EGATE_REFERENCE_SKEW_US 2000000	/* the reader's clock may be this far ahead */

struct egate_reference {
	char lane[EGATE_REFERENCE_LANE_MAX + 1];
	char document_id[EGATE_REFERENCE_ID_MAX + 1];	/* "": none given */
	int64_t not_before_us, not_after_us;
	float descriptor[EGATE_TEMPLATE_DIM];
	uint8_t signer[EGATE_REFERENCE_KEY_SIZE];	/* decode: who signed it */
};

/* The public keys references may be signed by. */
struct egate_reference_keys {
	size_t n;
	uint8_t key[EGATE_REFERENCE_KEYS_MAX][EGATE_REFERENCE_KEY_SIZE];
};

/*
 * decision.reference_keys: public keys in hex (64 digits), separated by
 * blanks or commas, or "none".  -EINVAL with err saying which is wrong.
 */
int egate_reference_keys_parse(const char *text, struct egate_reference_keys *ret,
			       char *err, size_t err_size);

/*
 * A new key pair: the secret key into secret_path (made 0600, never over
 * an existing file), the public key in hex into public_hex.
 */
int egate_reference_keygen(const char *secret_path,
			   char public_hex[EGATE_REFERENCE_KEY_HEX + 1],
			   char *err, size_t err_size);
/* A secret key file of egate_reference_keygen(): -EPERM if others may read it. */
int egate_reference_secret_load(const char *secret_path,
				uint8_t secret[EGATE_REFERENCE_SECRET_SIZE],
				char *err, size_t err_size);

/* The signed file's bytes: -EINVAL for a field out of bounds. */
int egate_reference_encode(const struct egate_reference *ref,
			   const uint8_t secret[EGATE_REFERENCE_SECRET_SIZE],
			   uint8_t out[EGATE_REFERENCE_SIZE]);
/* From the file's bytes, signed by one of trusted: -EBADMSG, -EKEYREJECTED. */
int egate_reference_decode(const void *data, size_t size,
			   const struct egate_reference_keys *trusted,
			   struct egate_reference *ret, char *err, size_t err_size);
/*
 * Whether the agent of lane may take ref at now_us: -EXDEV, -ESTALE,
 * -ERANGE (a window over max_age_s), -EALREADY (not newer than
 * last_not_before_us, the last one it took; 0: none yet).
 */
int egate_reference_check(const struct egate_reference *ref, const char *lane,
			  int64_t now_us, unsigned int max_age_s, int64_t last_not_before_us,
			  char *err, size_t err_size);

/* Writes path atomically (path.tmp, fsync, rename), 0640 at most. */
int egate_reference_write(const char *path, const struct egate_reference *ref,
			  const uint8_t secret[EGATE_REFERENCE_SECRET_SIZE]);
/* Reads and checks path: -ENOENT when there is none, -EPERM, decode's errors, -errno. */
int egate_reference_read(const char *path, const struct egate_reference_keys *trusted,
			 struct egate_reference *ret, char *err, size_t err_size);

#endif
