/* SPDX-License-Identifier: GPL-2.0 */
/* reference-internal.h - what the reference's files share. */
#ifndef EGATE_REFERENCE_INTERNAL_H
#define EGATE_REFERENCE_INTERNAL_H

#include <stddef.h>
#include <sys/stat.h>

/*
 * Whether a file may be trusted with a face or a key: owned by root or by
 * us, with none of the forbidden mode bits.  -EPERM with err saying why.
 */
int reference_file_private(const struct stat *st, mode_t forbidden, char *err, size_t err_size);

/* libsodium, initialised once (any thread): -EIO if it cannot be. */
int reference_sodium_init(void);

#endif
