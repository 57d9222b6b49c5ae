// SPDX-License-Identifier: GPL-2.0
/*
 * create.c - a new database file and, if missing, its folder: private to
 * the owner (file 0600, folder 0700) or readable by the audit group (0640,
 * 0750), whatever the umask.  The file is created empty, which SQLite
 * takes as an empty database; its -wal and -shm get the file's mode and
 * group from SQLite when they are made.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "store-internal.h"

#define GROUP_BUF_MAX 65536

static int group_id(const char *name, gid_t *ret, char *err, size_t err_size)
{
	_cleanup_free_ char *buf = NULL;
	struct group grp, *found = NULL;
	size_t size = 1024;
	int r;

	for (;;) {
		free(buf);
		buf = malloc(size);
		if (!buf)
			return -ENOMEM;
		r = getgrnam_r(name, &grp, buf, size, &found);
		if (r != ERANGE || size >= GROUP_BUF_MAX)
			break;
		size *= 4;
	}
	if (r || !found) {
		snprintf(err, err_size, "audit group %s: %s", name, r ? strerror(r) : "no such group");
		return r ? -r : -ENOENT;
	}
	*ret = found->gr_gid;
	return 0;
}

/* Owner and mode of what fd is, whatever the umask made of them. */
static int set_access(int fd, gid_t gid, mode_t mode, const char *what,
		      char *err, size_t err_size)
{
	if ((gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) < 0) || fchmod(fd, mode) < 0) {
		int r = -errno;

		snprintf(err, err_size, "%s: cannot set its group and mode: %s", what, strerror(-r));
		return r;
	}
	return 0;
}

/* The folder of path, made if missing (its parent must exist). */
static int make_folder(const char *path, gid_t gid, char *err, size_t err_size)
{
	const char *slash = strrchr(path, '/');
	_cleanup_close_ int fd = -1;
	char dir[PATH_MAX];

	if (!slash || slash == path)
		return 0;	/* the working folder, or / */
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (mkdir(dir, 0700) < 0) {
		int r = -errno;

		if (r == -EEXIST)
			return 0;	/* as its owner made it */
		snprintf(err, err_size, "cannot create the folder %s: %s", dir, strerror(-r));
		return r;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		int r = -errno;

		snprintf(err, err_size, "%s: %s", dir, strerror(-r));
		return r;
	}
	return set_access(fd, gid, gid == (gid_t)-1 ? 0700 : 0750, dir, err, err_size);
}

int store_create_file(const char *path, const char *audit_group, char *err, size_t err_size)
{
	_cleanup_close_ int fd = -1;
	gid_t gid = (gid_t)-1;
	int r;

	if (audit_group) {
		r = group_id(audit_group, &gid, err, err_size);
		if (r < 0)
			return r;
	}
	r = make_folder(path, gid, err, err_size);
	if (r < 0)
		return r;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
		if (r == -EEXIST)
			return 0;	/* another process was first: opened and checked as any */
		snprintf(err, err_size, "cannot create it: %s", strerror(-r));
		return r;
	}
	r = set_access(fd, gid, gid == (gid_t)-1 ? 0600 : 0640, "the new database", err, err_size);
	if (r < 0)
		unlink(path);
	return r;
}
