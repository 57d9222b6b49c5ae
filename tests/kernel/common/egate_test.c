// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the egate kernel tests; see egate_test.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <grp.h>
#include <time.h>
#include <unistd.h>

#include "egate_test.h"

#define EG_LOG_MAX	65536

static struct egate_event eg_log[EG_LOG_MAX];
static int eg_log_len;

long long eg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void eg_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- modules ------------------------------------------------------------ */

static int eg_insmod(const char *name, const char *params)
{
	const char *dir = getenv("EGATE_KMOD_DIR");
	char path[4096];
	int fd, ret;

	if (!dir)
		dir = ".";
	snprintf(path, sizeof(path), "%s/%s.ko", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

int eg_unload_module(const char *name)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (!syscall(SYS_delete_module, name, O_NONBLOCK))
			return 0;
		if (errno == ENOENT)
			return -ENOENT;
		if (errno != EAGAIN && errno != EBUSY && errno != EWOULDBLOCK)
			return -errno;
		eg_sleep_ms(20);
	}
	return -errno;
}

void eg_unload(void)
{
	eg_unload_module("egate_sim");
	eg_unload_module("egate");
}

static void eg_mount_debugfs(void)
{
	if (access(EG_SIM_DIR, F_OK) && access("/sys/kernel/debug/", F_OK) == 0)
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
}

int eg_load_egate(const char *egate_params)
{
	eg_unload();
	eg_log_len = 0;
	return eg_insmod("egate", egate_params);
}

int eg_load(const char *egate_params, const char *sim_params)
{
	int ret;

	ret = eg_load_egate(egate_params);
	if (ret)
		return ret;
	ret = eg_insmod("egate_sim", sim_params);
	if (ret) {
		eg_unload_module("egate");
		return ret;
	}
	eg_mount_debugfs();
	return 0;
}

/* ---- files -------------------------------------------------------------- */

int eg_write_file(const char *path, const char *val)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

static int eg_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return 0;
}

int eg_sim(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	return eg_write_file(EG_SIM_DIR "/ctl", line);
}

long eg_sim_status(const char *key)
{
	char buf[4096], *p;
	size_t klen = strlen(key);

	if (eg_read_file(EG_SIM_DIR "/status", buf, sizeof(buf)))
		return -1;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, klen) && p[klen] == ' ')
			return strtol(p + klen + 1, NULL, 0);
	return -1;
}

int eg_sim_wait(const char *key, long val, int timeout_ms)
{
	long long end = eg_now_ms() + timeout_ms;

	do {
		if (eg_sim_status(key) == val)
			return 0;
		eg_sleep_ms(10);
	} while (eg_now_ms() < end);
	return -ETIMEDOUT;
}

int eg_sysfs_read(const char *attr, char *buf, size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), EG_LANE "/%s", attr);
	return eg_read_file(path, buf, len);
}

long long eg_sysfs_num(const char *attr)
{
	char buf[64];

	if (eg_sysfs_read(attr, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 0);
}

int eg_sysfs_write(const char *attr, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), EG_LANE "/%s", attr);
	return eg_write_file(path, val);
}

int eg_sysfs_wait(const char *attr, const char *val, int timeout_ms)
{
	long long end = eg_now_ms() + timeout_ms;
	char buf[128];

	do {
		if (!eg_sysfs_read(attr, buf, sizeof(buf)) && !strcmp(buf, val))
			return 0;
		eg_sleep_ms(10);
	} while (eg_now_ms() < end);
	return -ETIMEDOUT;
}

/* ---- device ------------------------------------------------------------- */

int eg_open(int flags)
{
	int fd = open(EG_DEV, flags | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int eg_open_ctl(void)
{
	if (eg_sysfs_num("timings/heartbeat_ms") == 5000)
		eg_sysfs_write("timings/heartbeat_ms", "60000");
	return eg_open(O_RDWR);
}

int eg_wait_clear(int timeout_ms)
{
	return eg_sysfs_wait("beams", "0x00000000", timeout_ms);
}

int eg_cmd(int fd, uint32_t op, uint32_t arg, uint32_t timeout_ms,
	   uint64_t tag)
{
	struct egate_cmd cmd = {
		.op = op, .arg = arg, .timeout_ms = timeout_ms, .tag = tag,
	};
	ssize_t n = write(fd, &cmd, sizeof(cmd));

	if (n < 0)
		return -errno;
	return n == sizeof(cmd) ? 0 : -EIO;
}

int eg_status(int fd, struct egate_status *st)
{
	return ioctl(fd, EGATE_IOC_GET_STATE, st) ? -errno : 0;
}

/* 1: got one (logged), 0: timeout, <0: -errno. */
int eg_read_event(int fd, struct egate_event *ev, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		return -errno;
	if (ret == 0)
		return 0;
	n = read(fd, ev, sizeof(*ev));
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (n != sizeof(*ev))
		return -EIO;
	if (eg_log_len < EG_LOG_MAX)
		eg_log[eg_log_len++] = *ev;
	return 1;
}

int eg_mark(void)
{
	return eg_log_len;
}

const struct egate_event *eg_log_get(int i)
{
	return i >= 0 && i < eg_log_len ? &eg_log[i] : NULL;
}

static int eg_match(const struct egate_event *ev, uint32_t type,
		    long long arg)
{
	return ev->type == type && (arg == EG_ANY || ev->arg == arg);
}

const struct egate_event *eg_expect(int fd, int since, uint32_t type,
				    long long arg, int timeout_ms)
{
	long long end = eg_now_ms() + timeout_ms;
	struct egate_event ev;
	int i = since, left;

	for (;;) {
		for (; i < eg_log_len; i++)
			if (eg_match(&eg_log[i], type, arg))
				return &eg_log[i];
		left = end - eg_now_ms();
		if (left <= 0 || eg_read_event(fd, &ev, left) < 0)
			break;
	}
	fprintf(stderr, "# no event type %u arg %lld; events since %d:\n",
		type, arg, since);
	eg_dump(since);
	return NULL;
}

int eg_expect_state(int fd, int since, uint32_t state, int timeout_ms)
{
	long long end = eg_now_ms() + timeout_ms;
	struct egate_event ev;
	int i = since, left;

	for (;;) {
		for (; i < eg_log_len; i++)
			if (eg_log[i].type == EGATE_EV_STATE &&
			    eg_log[i].state == state)
				return 0;
		left = end - eg_now_ms();
		if (left <= 0 || eg_read_event(fd, &ev, left) < 0)
			break;
	}
	fprintf(stderr, "# lane never reached state %u; events since %d:\n",
		state, since);
	eg_dump(since);
	return -ETIMEDOUT;
}

int eg_count(int since, uint32_t type, long long arg)
{
	int i, n = 0;

	for (i = since; i < eg_log_len; i++)
		n += eg_match(&eg_log[i], type, arg);
	return n;
}

void eg_dump(int since)
{
	int i;

	for (i = since < 0 ? 0 : since; i < eg_log_len; i++)
		fprintf(stderr, "#  seq %llu type %u state %u beams 0x%x arg %u doors 0x%x\n",
			(unsigned long long)eg_log[i].seq, eg_log[i].type,
			eg_log[i].state, eg_log[i].beams, eg_log[i].arg,
			eg_log[i].doors);
}

void eg_drain(int fd)
{
	struct egate_event ev;

	while (eg_read_event(fd, &ev, 0) == 1)
		;
}

int eg_as_nobody(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(125);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 126;
}
