/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test-gallery.h - a store's gallery filled by plain SQL, as another
 * program with the file could: N templates drawn from a synthetic model
 * (gallery-synth.h), TEST_GALLERY_PER_TRAVELLER a traveller, travellers
 * numbered from 1 and templates from 1 in order (template i, from seed i,
 * is traveller 1 + i / TEST_GALLERY_PER_TRAVELLER's and has id i + 1).
 */
#ifndef EGATE_TEST_GALLERY_H
#define EGATE_TEST_GALLERY_H

#include <stddef.h>

#include "gallery-synth.h"

#define TEST_GALLERY_PER_TRAVELLER 32	/* EGATE_STORE_TEMPLATES_PER_TRAVELLER_MAX */

/* Into the store at PATH (made by egate_store_open): template BAD (if < N)
 * has a NaN.  Transactions of 65536 templates, without fsync; the WAL is
 * checkpointed into the file at the end.  0, or -EIO with the SQLite
 * error on stderr. */
int test_gallery_fill(const char *path, size_t n, const struct synth *s, size_t bad);

#endif
