/* SPDX-License-Identifier: GPL-2.0 */
/*
 * egate-reference.h - the reference template of 1:1 verification: the face
 * of the traveller at the lane as their travel document holds it, written
 * by the document reader (or `egate-gallery reference`) for the agent.
 *
 * One file, EGATE_REFERENCE_SIZE bytes, numbers in the machine's byte
 * order (little-endian on the kiosks), like the gallery's templates:
 *
 *   0   magic "EGATEREF"
 *   8   u32 version (1)
 *   12  u32 dimension (128)
 *   16  document id: up to 63 printable ASCII bytes, NUL-padded to 64
 *   80  128 float32: the face descriptor, all finite
 *   592 u64 FNV-1a of bytes 0-591
 *
 * Anything else (another size, magic, version or dimension, a bad
 * checksum, a non-finite value, a control byte in the id) is refused with
 * -EBADMSG and one line saying what.  Writers replace the file atomically
 * (a temporary file in the same folder, fsync, rename), so a reader sees
 * the old file or the new one, never half of one.
 */
#ifndef EGATE_REFERENCE_H
#define EGATE_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

#include "egate-store.h"

#define EGATE_REFERENCE_SIZE 600
#define EGATE_REFERENCE_ID_MAX 63	/* document id, bytes */

struct egate_reference {
	char document_id[EGATE_REFERENCE_ID_MAX + 1];	/* "": none given */
	float descriptor[EGATE_TEMPLATE_DIM];
};

/* The file's bytes: -EINVAL for an id or a value out of bounds. */
int egate_reference_encode(const struct egate_reference *ref,
			   uint8_t out[EGATE_REFERENCE_SIZE]);
/* From the file's bytes: -EBADMSG with err saying why. */
int egate_reference_decode(const void *data, size_t size, struct egate_reference *ret,
			   char *err, size_t err_size);

/* Writes path atomically (path.tmp, fsync, rename). */
int egate_reference_write(const char *path, const struct egate_reference *ref);
/* Reads and checks path: -ENOENT when there is none, -EBADMSG (err says why), -errno. */
int egate_reference_read(const char *path, struct egate_reference *ret,
			 char *err, size_t err_size);

#endif
