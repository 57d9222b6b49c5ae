// SPDX-License-Identifier: GPL-2.0
/*
 * vm_env_test - checks that the VM which scripts/vm-run boots is the one the
 * kernel tests rely on: the requested Debian kernel, the host's root shared
 * read-only, writable tmpfs where programs write, debugfs and configfs
 * mounted, the host's kernel modules loadable, the project's modules built
 * for this kernel, and more than one CPU so races can happen.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/magic.h>

#include "kselftest_harness.h"

static const char *env_or_fail(struct __test_metadata *_metadata,
			       const char *name)
{
	const char *value = getenv(name);

	if (!value || !*value)
		TH_LOG("%s is not set: run this test through scripts/vm-run",
		       name);
	return value;
}

static long fs_type(const char *path)
{
	struct statfs sfs;

	if (statfs(path, &sfs) < 0)
		return -errno;
	return sfs.f_type;
}

/* 9p reports the host file system's f_type, so ask the mount table. */
static const char *mount_type(const char *dir)
{
	static char type[32];
	struct mntent *m;
	FILE *f = setmntent("/proc/self/mounts", "r");

	strcpy(type, "none");
	while (f && (m = getmntent(f)))
		if (!strcmp(m->mnt_dir, dir))
			snprintf(type, sizeof(type), "%s", m->mnt_type);
	if (f)
		endmntent(f);
	return type;
}

static int run(const char *cmd)
{
	int status = system(cmd);

	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(booted_the_requested_kernel)
{
	const char *want = env_or_fail(_metadata, "EGATE_KERNEL");
	struct utsname u;

	ASSERT_NE(NULL, want);
	ASSERT_EQ(0, uname(&u));
	EXPECT_STREQ(want, u.release);
}

TEST(host_root_is_read_only)
{
	char path[PATH_MAX];
	int fd;

	ASSERT_NE(NULL, getcwd(path, sizeof(path) - 32));
	strcat(path, "/.vm-write-probe");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EROFS, errno);
	EXPECT_STREQ("9p", mount_type("/"));
}

TEST(writable_tmpfs)
{
	static const char *const dirs[] = { "/tmp", "/run", "/var/tmp", "/root" };
	char path[64];
	unsigned int i;
	int fd;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		EXPECT_EQ(TMPFS_MAGIC, fs_type(dirs[i])) TH_LOG("%s", dirs[i]);
		snprintf(path, sizeof(path), "%s/vm-env-XXXXXX", dirs[i]);
		fd = mkstemp(path);
		EXPECT_LE(0, fd) TH_LOG("cannot write in %s", dirs[i]);
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
	}
}

TEST(debugfs_and_configfs)
{
	EXPECT_EQ(DEBUGFS_MAGIC, fs_type("/sys/kernel/debug"));
	/* configfs has no magic in linux/magic.h on every kernel. */
	EXPECT_EQ(0x62656570L, fs_type("/sys/kernel/config"));
}

TEST(host_modules_load)
{
	struct stat st;

	/* vivid is the lane camera in the VM tests: it must load and go. */
	ASSERT_EQ(0, run("modprobe vivid n_devs=1 node_types=0x1"));
	EXPECT_EQ(0, stat("/sys/module/vivid", &st));
	EXPECT_EQ(0, run("rmmod vivid"));
}

TEST(project_modules_built_for_this_kernel)
{
	const char *dir = env_or_fail(_metadata, "EGATE_KMOD_DIR");
	char path[PATH_MAX];
	struct stat st;

	ASSERT_NE(NULL, dir);
	if (stat("kmod/Kbuild", &st) < 0)
		SKIP(return, "no kmod/ in this tree yet");
	snprintf(path, sizeof(path), "%s/egate.ko", dir);
	EXPECT_EQ(0, stat(path, &st)) TH_LOG("missing %s", path);
}

TEST(several_cpus)
{
	EXPECT_LE(2, sysconf(_SC_NPROCESSORS_ONLN));
}

TEST_HARNESS_MAIN
