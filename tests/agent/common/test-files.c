// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test-files.h"

int test_dir_new(char dir[PATH_MAX])
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, PATH_MAX, "%s/egate-kiosk-test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	return mkdtemp(dir) ? 0 : -errno;
}

void test_dir_remove(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

int test_file_write(const char *dir, const char *name, const char *text,
		    char path[PATH_MAX])
{
	FILE *f;
	int r = 0;

	snprintf(path, PATH_MAX, "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	if (fputs(text, f) < 0)
		r = -EIO;
	if (fclose(f) < 0 && !r)
		r = -errno;
	return r;
}

unsigned long long test_file_hash(const char *path)
{
	unsigned long long h = 14695981039346656037ULL;
	FILE *f = fopen(path, "re");
	int c;

	if (!f)
		return 0;
	while ((c = getc(f)) != EOF)
		h = (h ^ (unsigned char)c) * 1099511628211ULL;
	fclose(f);
	return h;
}

int test_file_contains(const char *path, const void *bytes, size_t n)
{
	char *data = NULL, *grown;
	size_t used = 0, size = 0, got;
	FILE *f = fopen(path, "re");
	int r = 0;

	if (!f)
		return -errno;
	do {
		if (used == size) {
			size = size ? 2 * size : 65536;
			grown = realloc(data, size);
			if (!grown) {
				r = -ENOMEM;
				break;
			}
			data = grown;
		}
		got = fread(data + used, 1, size - used, f);
		used += got;
	} while (got);
	if (!r)
		r = ferror(f) ? -EIO : memmem(data, used, bytes, n) != NULL;
	free(data);
	fclose(f);
	return r;
}
