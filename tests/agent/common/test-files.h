/* SPDX-License-Identifier: GPL-2.0 */
/* test-files.h - scratch directories and files for the kiosk agent's tests. */
#ifndef EGATE_TEST_FILES_H
#define EGATE_TEST_FILES_H

#include <limits.h>
#include <stddef.h>

/* A fresh directory under $TMPDIR (or /tmp); fills dir[PATH_MAX]. */
int test_dir_new(char dir[PATH_MAX]);
/* Removes the directory and the files directly in it. */
void test_dir_remove(const char *dir);
/* Writes text to dir/name, fills path[PATH_MAX]. */
int test_file_write(const char *dir, const char *name, const char *text,
		    char path[PATH_MAX]);
/* FNV-1a of a whole file, to show it was not modified; 0 when unreadable. */
unsigned long long test_file_hash(const char *path);

/* Whether the file holds these bytes anywhere: 1, 0, or -errno. */
int test_file_contains(const char *path, const void *bytes, size_t n);

#endif
