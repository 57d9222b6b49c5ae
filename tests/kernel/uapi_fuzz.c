// SPDX-License-Identifier: GPL-2.0
/*
 * A bounded fuzzer of the lane's user API, against the real module and the
 * simulated lane: random and mutated command records (valid ops with random
 * fields, wrong sizes, bad pointers), reads, ioctls with bad sizes, numbers
 * and pointers (NULL, unmapped, kernel addresses, a buffer running into an
 * unmapped page), URING_CMD with random cmd_op and payloads, generic
 * netlink messages (well-formed with random values, and random attributes,
 * lengths and commands) with and without CAP_NET_ADMIN, random strings to
 * every writable sysfs attribute of egate0 and to the egate-lane driver's
 * new_device and delete_device.  Several processes of several threads do
 * this at once (one process without CAP_NET_ADMIN, one as nobody), while
 * another unbinds and rebinds the lane and unloads and reloads the modules.
 *
 * What it asserts: every call returns success or an errno the API documents
 * for it (anything else is listed at the end), the kernel survives (vm-run's
 * log check fails the run on any oops, warning, KASAN, lockdep... report),
 * every worker ends, and the lane still works afterwards: the egate module
 * that lived through the run drives a full authorised passage.
 *
 * Environment: EGATE_FUZZ_SECONDS (default 20), EGATE_FUZZ_SEED (default:
 * from the clock; printed).  The seed fixes each thread's choices, not the
 * interleaving, so a failure may need a few runs to come back.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "egate_test.h"
#include "eg_genl.h"
#include "eg_uring.h"
#include "uapi/linux/egate_netlink.h"

#define DRV		"/sys/bus/platform/drivers/egate-lane/"
#define GOOD_LINE	"chip=egate_sim topology=single entry=0,1,2 beams=10-13 " \
			"emergency=!6 green=7 red=8 buzzer=9"
#define EPROBE_DEFER	517
#define KERNEL_PTR	((void *)0xffffffff81000000UL)
#define NONCANON_PTR	((void *)0x8000000000000000UL)

/* ---- what is counted, shared by every process ------------------------- */

enum fz_op {
	FZ_OPEN, FZ_WRITE, FZ_READ, FZ_IOCTL, FZ_POLL, FZ_SEEK, FZ_MMAP,
	FZ_URING, FZ_URING_CQE, FZ_GENL, FZ_SYSFS_W, FZ_SYSFS_R, FZ_NEWDEV,
	FZ_DELDEV, FZ_BIND, FZ_UNBIND, FZ_RMMOD, FZ_INSMOD, FZ_RMMOD_EGATE,
	FZ_INSMOD_EGATE, FZ_SIM, FZ_NOPS
};

static const char *const fz_name[FZ_NOPS] = {
	"open", "write", "read", "ioctl", "poll", "lseek", "mmap",
	"uring_submit", "uring_cqe", "genl", "sysfs_write", "sysfs_read",
	"new_device", "delete_device", "bind", "unbind", "rmmod_sim",
	"insmod_sim", "rmmod_egate", "insmod_egate", "sim_ctl",
};

#define FZ_MAXERR	600
#define FZ_LOGS		64
#define FZ_MAXATTR	64

struct fz_shared {
	unsigned long calls[FZ_NOPS];
	unsigned long ok[FZ_NOPS];
	unsigned long bad[FZ_NOPS];
	unsigned long err[FZ_NOPS][FZ_MAXERR];
	unsigned long genl_noanswer;
	unsigned long parked_auth;
	int stop;
	int quiet;		/* racer: FZ_QUIET_* */
	long long deadline_ms;
	unsigned int nlog;
	char log[FZ_LOGS][200];
	int nattr;
	char attr[FZ_MAXATTR][160];	/* writable, relative to EG_LANE */
	int nrattr;
	char rattr[FZ_MAXATTR][160];	/* readable */
};

static struct fz_shared *fz;

/* What the racer asks the workers to leave alone for a moment. */
#define FZ_QUIET_DEVICE	1	/* close /dev/egate0: egate may unload */

/* Privilege of a worker process. */
enum fz_priv { FZ_ROOT, FZ_NOCAP, FZ_NOBODY };

struct fz_ctx {
	uint64_t rng;
	int proc, thr;
	enum fz_priv priv;
	int fd[2], fd_mode[2];
	struct eg_uring *ring;
	int inflight;
	struct eg_genl g;
	int genl_ok;
	char *scratch;		/* 2 pages: RW then PROT_NONE */
	struct egate_status ustat; /* URING GET_STATE results land here */
};

static char *fz_none;		/* a PROT_NONE page, never unmapped */

static uint64_t fz_rand(struct fz_ctx *c)
{
	/* xorshift64* */
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return c->rng * 0x2545F4914F6CDD1DULL;
}

static uint32_t fz_below(struct fz_ctx *c, uint32_t n)
{
	return n ? fz_rand(c) % n : 0;
}

static int fz_chance(struct fz_ctx *c, int percent)
{
	return (int)fz_below(c, 100) < percent;
}

static void fz_note(const char *fmt, ...)
{
	unsigned int i = __atomic_fetch_add(&fz->nlog, 1, __ATOMIC_RELAXED);
	va_list ap;

	if (i >= FZ_LOGS)
		return;
	va_start(ap, fmt);
	vsnprintf(fz->log[i], sizeof(fz->log[i]), fmt, ap);
	va_end(ap);
}

#define ERRS(...)	((const int[]){ __VA_ARGS__, -1 })

/*
 * Count one result: @err 0 (success) or a positive errno; @allowed the
 * errnos (and 0 for success) the API documents for this call.
 */
static void fz_result(struct fz_ctx *c, enum fz_op op, int err,
		      const int *allowed, const char *what)
{
	int i;

	__atomic_fetch_add(&fz->calls[op], 1, __ATOMIC_RELAXED);
	if (!err)
		__atomic_fetch_add(&fz->ok[op], 1, __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(&fz->err[op][err < FZ_MAXERR ? err : 0], 1,
				   __ATOMIC_RELAXED);
	for (i = 0; allowed[i] >= 0; i++)
		if (allowed[i] == err)
			return;
	__atomic_fetch_add(&fz->bad[op], 1, __ATOMIC_RELAXED);
	fz_note("proc %d thr %d: %s: %s: %s", c->proc, c->thr, fz_name[op],
		what, err ? strerror(err) : "succeeded");
}

static int fz_stopped(void)
{
	return __atomic_load_n(&fz->stop, __ATOMIC_RELAXED) ||
	       eg_now_ms() >= fz->deadline_ms;
}

/* A pointer for the kernel to read or write @len bytes at: mostly good. */
static void *fz_ptr(struct fz_ctx *c, void *good, size_t len, int *bad)
{
	size_t k;

	*bad = 1;
	switch (fz_below(c, 40)) {
	case 0:
		return NULL;
	case 1:
		return fz_none;
	case 2:
		return KERNEL_PTR;
	case 3:
		return NONCANON_PTR;
	case 4:
		/* The last bytes of a page, running into PROT_NONE. */
		if (len < 2)
			break;
		k = 1 + fz_below(c, len - 1);
		return c->scratch + 4096 - k;
	}
	*bad = 0;
	return good;
}

/* ---- modules ----------------------------------------------------------- */

static int fz_insmod(const char *name, const char *params)
{
	const char *dir = getenv("EGATE_KMOD_DIR");
	char path[4096];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s.ko", dir ? dir : ".", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	ret = syscall(SYS_finit_module, fd, params, 0);
	ret = ret ? errno : 0;
	close(fd);
	return ret;
}

static int fz_rmmod(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? errno : 0;
}

static int fz_loaded(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s/initstate", name);
	return access(path, F_OK) == 0;
}

/* ---- small file helpers -------------------------------------------------- */

static int fz_write_file(const char *path, const void *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	n = write(fd, buf, len);
	n = n < 0 ? errno : 0;
	close(fd);
	return n;
}

static int fz_write_str(const char *path, const char *s)
{
	return fz_write_file(path, s, strlen(s));
}

/* Random text: numbers, words, key=value pairs, bytes. */
static size_t fz_text(struct fz_ctx *c, char *buf, size_t max)
{
	static const char *const words[] = {
		"0", "1", "-1", "0x10", "100", "4294967295", "4294967296",
		"99999999999999999999", "60000", "600000", "abc", "add",
		"change", "remove", " ", "\n", "chip=", "egate_sim", "=",
		"beams=", "1-", "-", ",", "!", "entry=", "exit=", "swing=",
		"topology=", "mantrap", "single", "emergency=", "%s%n",
	};
	size_t n = 0, len;
	int kind = fz_below(c, 6);

	if (max == 0)
		return 0;
	switch (kind) {
	case 0:	/* a number */
		n = snprintf(buf, max, "%lld%s", (long long)(fz_rand(c) >>
			     fz_below(c, 64)) * (fz_chance(c, 20) ? -1 : 1),
			     fz_chance(c, 50) ? "\n" : "");
		break;
	case 1:	/* a number in range of the timings */
		n = snprintf(buf, max, "%u\n", fz_below(c, 70000));
		break;
	case 2:	/* random bytes */
		len = fz_below(c, max < 300 ? max : 300);
		for (; n < len; n++)
			buf[n] = fz_rand(c);
		break;
	case 3:	/* long */
		len = fz_below(c, max);
		memset(buf, '1' + fz_below(c, 9), len);
		n = len;
		break;
	default: /* words */
		len = 1 + fz_below(c, 12);
		while (len-- && n + 40 < max) {
			const char *w = words[fz_below(c, sizeof(words) / sizeof(*words))];

			memcpy(buf + n, w, strlen(w));
			n += strlen(w);
		}
		break;
	}
	if (n >= max)
		n = max - 1;
	return n;
}

/* ---- the device ------------------------------------------------------- */

static const int *fz_open_errs(struct fz_ctx *c)
{
	static const int nobody[] = { EACCES, ENOENT, ENXIO, ENODEV, -1 };
	static const int root[] = { 0, ENOENT, ENXIO, ENODEV, -1 };

	return c->priv == FZ_NOBODY ? nobody : root;
}

static int fz_fd(struct fz_ctx *c, int i)
{
	static const int modes[] = { O_RDONLY, O_WRONLY, O_RDWR, O_RDWR };
	int mode, fd;

	if (c->fd[i] >= 0)
		return c->fd[i];
	if (__atomic_load_n(&fz->quiet, __ATOMIC_RELAXED) & FZ_QUIET_DEVICE)
		return -1;
	mode = modes[fz_below(c, 4)];
	fd = open(EG_DEV, mode | O_NONBLOCK | O_CLOEXEC);
	fz_result(c, FZ_OPEN, fd < 0 ? errno : 0, fz_open_errs(c), EG_DEV);
	if (fd < 0) {
		eg_sleep_ms(1);	/* the lane is away: let the others run */
		return -1;
	}
	c->fd[i] = fd;
	c->fd_mode[i] = mode;
	return fd;
}

/* The lane behind the file is gone: start again with a new one. */
static void fz_fd_check(struct fz_ctx *c, int i, int err)
{
	if (err == ENODEV && c->fd[i] >= 0) {
		close(c->fd[i]);
		c->fd[i] = -1;
	}
}

static uint32_t fz_u32(struct fz_ctx *c)
{
	static const uint32_t vals[] = {
		0, 0, 0, 1, 2, 3, 7, 8, 99, 100, 101, 1000, 5000, 60000,
		600000, 600001, 0x7fffffff, 0x80000000, 0xffffffff,
	};

	if (fz_chance(c, 20))
		return fz_rand(c);
	return vals[fz_below(c, sizeof(vals) / sizeof(*vals))];
}

static void fz_cmd_fill(struct fz_ctx *c, struct egate_cmd *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	if (fz_chance(c, 80))
		cmd->op = 1 + fz_below(c, EGATE_CMD_COUNT - 1);
	else
		cmd->op = fz_chance(c, 50) ? fz_below(c, EGATE_CMD_COUNT + 3) :
					     fz_rand(c);
	if (fz_chance(c, 50)) {
		/* Well-formed apart from chance. */
		if (cmd->op == EGATE_CMD_AUTHORISE) {
			cmd->arg = fz_below(c, 2);
			cmd->timeout_ms = fz_chance(c, 50) ? 0 :
					  100 + fz_below(c, 3000);
			cmd->tag = fz_rand(c);
		} else if (cmd->op == EGATE_CMD_SET_MODE) {
			cmd->arg = fz_chance(c, 80) ? EGATE_MODE_NORMAL :
				   EGATE_MODE_OUT_OF_SERVICE;
		}
		return;
	}
	cmd->flags = fz_chance(c, 90) ? 0 : fz_u32(c);
	cmd->arg = fz_u32(c);
	cmd->timeout_ms = fz_u32(c);
	cmd->tag = fz_chance(c, 50) ? 0 : fz_rand(c);
	if (fz_chance(c, 5))
		cmd->reserved[fz_below(c, 2)] = fz_u32(c);
}

static int fz_cmd_valid(const struct egate_cmd *cmd)
{
	if (cmd->flags || cmd->reserved[0] || cmd->reserved[1])
		return 0;
	switch (cmd->op) {
	case EGATE_CMD_AUTHORISE:
		return cmd->arg <= 1 && (!cmd->timeout_ms ||
		       (cmd->timeout_ms >= 100 && cmd->timeout_ms <= 600000));
	case EGATE_CMD_SET_MODE:
		return cmd->arg < EGATE_MODE_COUNT && !cmd->timeout_ms &&
		       !cmd->tag;
	case EGATE_CMD_DENY:
	case EGATE_CMD_LOCK:
	case EGATE_CMD_HEARTBEAT:
	case EGATE_CMD_RESET:
	case EGATE_CMD_HOLD_OPEN:
		return !cmd->arg && !cmd->timeout_ms && !cmd->tag;
	}
	return 0;
}

/*
 * Whether @fd is (still) a lane's character device.  Several threads of a
 * process open and close descriptors at once, so a number may stand for
 * another file (a netlink socket, a sysfs file) by the time a result is
 * read; such a result says nothing of the lane and is not judged.
 */
static int fz_is_lane_fd(int fd)
{
	struct stat st, dev;

	return !fstat(fd, &st) && S_ISCHR(st.st_mode) &&
	       !stat(EG_DEV, &dev) && st.st_rdev == dev.st_rdev;
}

static void fz_do_write(struct fz_ctx *c)
{
	static const size_t lens[] = { 0, 1, 4, 31, 33, 48, 64, 4096 };
	int i = fz_below(c, 2), fd = fz_fd(c, i), bad, err;
	struct egate_cmd *cmd = (void *)c->scratch;
	size_t len = sizeof(*cmd);
	char what[128];
	ssize_t n;
	void *p;

	if (fd < 0)
		return;
	fz_cmd_fill(c, cmd);
	if (fz_chance(c, 10))
		len = lens[fz_below(c, sizeof(lens) / sizeof(*lens))];
	p = fz_ptr(c, cmd, len, &bad);
	n = write(fd, p, len);
	err = n < 0 ? errno : 0;
	if (!fz_is_lane_fd(fd))
		return;
	snprintf(what, sizeof(what), "op %u flags %#x arg %#x timeout %u len %zu%s -> %zd",
		 cmd->op, cmd->flags, cmd->arg, cmd->timeout_ms, len,
		 bad ? " bad pointer" : "", n);
	if (c->fd_mode[i] == O_RDONLY)
		fz_result(c, FZ_WRITE, err, ERRS(EBADF), what);
	else if (len != sizeof(*cmd))
		/* The VFS refuses a kernel or non-canonical address first. */
		fz_result(c, FZ_WRITE, err,
			  bad ? ERRS(EINVAL, EFAULT) : ERRS(EINVAL), what);
	else if (bad)
		fz_result(c, FZ_WRITE, err, ERRS(EFAULT), what);
	else if (!n || (n > 0 && n != (ssize_t)len))
		fz_result(c, FZ_WRITE, EIO, ERRS(-1), what);
	else if (fz_cmd_valid(cmd))
		fz_result(c, FZ_WRITE, err,
			  ERRS(0, ENODEV, EPERM, EBUSY, EAGAIN), what);
	else
		fz_result(c, FZ_WRITE, err, ERRS(EINVAL, EOPNOTSUPP), what);
	fz_fd_check(c, i, err);
}

static void fz_do_read(struct fz_ctx *c)
{
	static const size_t lens[] = { 0, 1, 47, 48, 48, 49, 96, 480, 4096 };
	int i = fz_below(c, 2), fd = fz_fd(c, i), bad, err;
	size_t len = lens[fz_below(c, sizeof(lens) / sizeof(*lens))];
	char what[96];
	ssize_t n;
	void *p;

	if (fd < 0)
		return;
	p = fz_ptr(c, c->scratch, len, &bad);
	n = read(fd, p, len);
	err = n < 0 ? errno : 0;
	snprintf(what, sizeof(what), "len %zu%s -> %zd", len,
		 bad ? " bad pointer" : "", n);
	if (c->fd_mode[i] == O_WRONLY)
		fz_result(c, FZ_READ, err, ERRS(EBADF), what);
	else if (len < sizeof(struct egate_event))
		fz_result(c, FZ_READ, err,
			  bad ? ERRS(EINVAL, EFAULT) : ERRS(EINVAL), what);
	else if (n >= 0 && (n == 0 || n % sizeof(struct egate_event) || (size_t)n > len))
		fz_result(c, FZ_READ, EIO, ERRS(-1), what);
	else
		fz_result(c, FZ_READ, err,
			  bad ? ERRS(0, EFAULT, EAGAIN, ENODEV) :
				ERRS(0, EAGAIN, ENODEV), what);
	fz_fd_check(c, i, err);
}

static void fz_do_ioctl(struct fz_ctx *c)
{
	static const unsigned int magics[] = { 0xE5, 0xE7, 0xAB, 0x01, 0xFF };
	int i = fz_below(c, 2), fd = fz_fd(c, i), bad = 0, err, known = 0;
	unsigned long cmd;
	char what[96];
	void *p;
	long ret;

	if (fd < 0)
		return;
	switch (fz_below(c, 6)) {
	case 0:
	case 1:
		cmd = EGATE_IOC_GET_INFO;
		known = 1;
		break;
	case 2:
		cmd = EGATE_IOC_GET_STATE;
		known = 1;
		break;
	case 3:	/* our magic, any direction, number and size */
		cmd = _IOC(fz_below(c, 4), EGATE_IOC_MAGIC, fz_below(c, 0x80),
			   fz_chance(c, 50) ? fz_below(c, 0x4000) : 64);
		known = cmd == EGATE_IOC_GET_INFO || cmd == EGATE_IOC_GET_STATE;
		break;
	case 4:
		cmd = _IOC(fz_below(c, 4), magics[fz_below(c, 5)],
			   fz_below(c, 0x100), fz_below(c, 0x4000));
		break;
	default:
		cmd = (unsigned int)_IOC(fz_below(c, 4), EGATE_IOC_MAGIC,
					 fz_below(c, 4), fz_below(c, 0x4000));
		known = cmd == EGATE_IOC_GET_INFO || cmd == EGATE_IOC_GET_STATE;
		break;
	}
	p = fz_ptr(c, c->scratch, 64, &bad);
	ret = ioctl(fd, cmd, p);
	err = ret < 0 ? errno : 0;
	snprintf(what, sizeof(what), "cmd %#lx%s", cmd, bad ? " bad pointer" : "");
	if (!known)
		fz_result(c, FZ_IOCTL, err, ERRS(ENOTTY, ENODEV), what);
	else if (bad)
		fz_result(c, FZ_IOCTL, err, ERRS(EFAULT, ENODEV), what);
	else
		fz_result(c, FZ_IOCTL, err, ERRS(0, ENODEV), what);
	fz_fd_check(c, i, err);
}

static void fz_do_misc(struct fz_ctx *c)
{
	int i = fz_below(c, 2), fd = fz_fd(c, i), err;
	struct pollfd pfd;
	void *m;

	if (fd < 0)
		return;
	switch (fz_below(c, 5)) {
	case 0:
		pfd.fd = fd;
		pfd.events = fz_rand(c);
		err = poll(&pfd, 1, 0) < 0 ? errno : 0;
		fz_result(c, FZ_POLL, err, ERRS(0), "poll");
		break;
	case 1:
		err = lseek(fd, fz_rand(c), fz_below(c, 6)) < 0 ? errno : 0;
		fz_result(c, FZ_SEEK, err, ERRS(ESPIPE, EINVAL), "lseek");
		break;
	case 2:
		m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
		err = m == MAP_FAILED ? errno : 0;
		if (m != MAP_FAILED)
			munmap(m, 4096);
		fz_result(c, FZ_MMAP, err, ERRS(ENODEV, EACCES), "mmap");
		break;
	default:	/* another file, maybe taking control */
		close(fd);
		c->fd[i] = -1;
		fz_fd(c, i);
		break;
	}
}

/* ---- io_uring ----------------------------------------------------------- */

#define FZ_UD_AUTH	(1ULL << 63)

static void fz_uring_reap(struct fz_ctx *c, int timeout_ms)
{
	uint64_t ud;
	char what[64];
	int res, err;

	while (c->inflight > 0 && eg_uring_wait(c->ring, timeout_ms, &res, &ud) == 1) {
		c->inflight--;
		timeout_ms = 0;
		snprintf(what, sizeof(what), "cmd_op %#x res %d",
			 (unsigned int)ud, res);
		if (res > 0 && (ud & FZ_UD_AUTH) && res < EGATE_OUT_COUNT) {
			__atomic_fetch_add(&fz->parked_auth, 1, __ATOMIC_RELAXED);
			fz_result(c, FZ_URING_CQE, 0, ERRS(0), what);
			continue;
		}
		err = res > 0 ? EIO : -res;
		fz_result(c, FZ_URING_CQE, err,
			  ERRS(0, EINVAL, EOPNOTSUPP, EFAULT, EPERM, EBUSY,
			       ENODEV, ECANCELED, EAGAIN), what);
	}
}

static void fz_do_uring(struct fz_ctx *c)
{
	int i = fz_below(c, 2), fd = fz_fd(c, i), bad, err;
	struct egate_uring_cmd pl;
	uint32_t cmd_op;
	uint64_t ud;
	char what[64];

	if (!c->ring) {
		c->ring = eg_uring_new(8);
		if (!c->ring) {
			fz_result(c, FZ_URING, errno, ERRS(ENOMEM), "setup");
			return;
		}
	}
	fz_uring_reap(c, 0);
	if (fd < 0 || c->inflight >= 4) {
		fz_uring_reap(c, 10);
		return;
	}
	memset(&pl, 0, sizeof(pl));
	switch (fz_below(c, 10)) {
	case 0:
	case 1:
		cmd_op = EGATE_URING_CMD_GET_STATE;
		/*
		 * Not scratch: a GET_STATE retried from io-wq (a contended
		 * lane lock) writes its result when it completes, which may
		 * be after scratch holds the next command record.
		 */
		pl.tag = (uintptr_t)fz_ptr(c, &c->ustat, sizeof(c->ustat), &bad);
		if (fz_chance(c, 10))
			pl.arg = fz_u32(c);
		break;
	case 2:
		cmd_op = fz_rand(c);
		break;
	case 3:
		cmd_op = _IOC(fz_below(c, 4), EGATE_IOC_MAGIC,
			      EGATE_URING_NR_BASE + fz_below(c, 0x30),
			      fz_below(c, 32));
		break;
	default:
		cmd_op = EGATE_URING_CMD(fz_below(c, EGATE_CMD_COUNT + 1));
		break;
	}
	if (cmd_op != EGATE_URING_CMD_GET_STATE) {
		struct egate_cmd cmd;

		fz_cmd_fill(c, &cmd);
		pl.arg = cmd.arg;
		/* Parked authorisations end by their own expiry: keep it short. */
		pl.timeout_ms = cmd.timeout_ms > 5000 && fz_chance(c, 90) ?
				1000 : cmd.timeout_ms;
		pl.tag = cmd.tag;
	}
	ud = cmd_op;
	if (cmd_op == EGATE_URING_CMD_AUTHORISE)
		ud |= FZ_UD_AUTH;
	err = eg_uring_cmd(c->ring, fd, cmd_op, &pl, ud);
	snprintf(what, sizeof(what), "cmd_op %#x", cmd_op);
	fz_result(c, FZ_URING, -err, ERRS(0, EBUSY, EAGAIN, EINTR), what);
	if (!err)
		c->inflight++;
	fz_uring_reap(c, fz_below(c, 5));
}

/* ---- generic netlink ------------------------------------------------------ */

static int fz_genl_open(struct fz_ctx *c)
{
	struct timeval tv = { 0, 300000 };
	int ret;

	if (c->genl_ok)
		return 0;
	ret = eg_genl_open(&c->g, EGATE_GENL_NAME);
	if (ret)
		return ret;
	setsockopt(c->g.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (c->thr == 0)
		eg_genl_join(&c->g);	/* events: the multicast path too */
	c->genl_ok = 1;
	return 0;
}

static void fz_genl_close(struct fz_ctx *c)
{
	if (c->genl_ok)
		eg_genl_close(&c->g);
	c->genl_ok = 0;
}

static void fz_put_str(struct fz_ctx *c, struct eg_nlmsg *m, uint16_t type,
		       size_t max)
{
	char s[300];
	size_t n = fz_below(c, max + 10);

	if (n >= sizeof(s))
		n = sizeof(s) - 1;
	for (size_t k = 0; k < n; k++)
		s[k] = fz_chance(c, 90) ? 'a' + fz_below(c, 26) : fz_rand(c);
	s[n] = '\0';
	if (fz_chance(c, 10))
		eg_genl_put(m, type, s, n);	/* not NUL-terminated */
	else
		eg_genl_put(m, type, s, n + 1);
}

/* Send @m, wait for the ACK of its sequence number: 0, errno, or -1. */
static int fz_genl_xfer(struct fz_ctx *c, struct eg_nlmsg *m, size_t len)
{
	static __thread char buf[32768];
	uint32_t seq = m->nlh.nlmsg_seq;

	if (send(c->g.fd, m->buf, len, 0) < 0)
		return errno;
	for (;;) {
		ssize_t n = recv(c->g.fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nlh;

		if (n < 0) {
			if (errno == ENOBUFS)	/* events overflowed */
				continue;
			return -1;		/* no answer */
		}
		for (nlh = (void *)buf; NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR)
				return -((struct nlmsgerr *)NLMSG_DATA(nlh))->error;
			if (nlh->nlmsg_type == NLMSG_DONE)
				return 0;
		}
	}
}

static void fz_do_genl(struct fz_ctx *c)
{
	static __thread struct eg_nlmsg m;
	int raw = 0, err, cmd, len_ok = 1;
	uint16_t flags = 0;
	char what[96];
	size_t len;

	err = fz_genl_open(c);
	if (err) {
		/*
		 * nlctrl, not egate: no family (ENOENT), or EINVAL seen
		 * while egate's family comes and goes, or no answer in the
		 * socket's 5 s (EAGAIN) when the request was lost meanwhile.
		 */
		fz_result(c, FZ_GENL, -err, ERRS(ENOENT, EINVAL, EAGAIN),
			  "resolve family");
		return;
	}
	cmd = fz_chance(c, 85) ? 1 + fz_below(c, 3) : fz_below(c, 256);
	if (fz_chance(c, 10))
		flags |= NLM_F_DUMP;
	eg_genl_msg(&c->g, &m, cmd, flags);
	if (fz_chance(c, 5))
		((struct genlmsghdr *)NLMSG_DATA(&m.nlh))->version = fz_rand(c);
	if (fz_chance(c, 70)) {
		/* Well-formed attributes with random values. */
		if (fz_chance(c, 90))
			eg_genl_put_u32(&m, EGATE_NL_ATTR_LANE,
					fz_chance(c, 80) ? 0 : fz_u32(c));
		if (fz_chance(c, 60))
			eg_genl_put_u32(&m, EGATE_NL_ATTR_MODE,
					fz_chance(c, 70) ? 0 : fz_u32(c));
		if (fz_chance(c, 70))
			eg_genl_put_u32(&m, EGATE_NL_ATTR_ACTION,
					fz_chance(c, 80) ? 1 + fz_below(c, 4) :
							   fz_u32(c));
		if (fz_chance(c, 70))
			fz_put_str(c, &m, EGATE_NL_ATTR_OPERATOR,
				   EGATE_NL_OPERATOR_MAX);
		if (fz_chance(c, 70))
			fz_put_str(c, &m, EGATE_NL_ATTR_REASON,
				   EGATE_NL_REASON_MAX);
	}
	/* Random attributes: any type, length and content. */
	for (int n = fz_chance(c, 30) ? 1 + fz_below(c, 6) : 0; n; n--) {
		char data[128];
		size_t dlen = fz_below(c, sizeof(data));

		for (size_t k = 0; k < dlen; k++)
			data[k] = fz_rand(c);
		if (m.nlh.nlmsg_len + NLA_HDRLEN + dlen + 8 > sizeof(m.buf))
			break;
		eg_genl_put(&m, fz_below(c, EGATE_NL_ATTR_MAX + 4) |
			    (fz_chance(c, 10) ? NLA_F_NESTED : 0), data, dlen);
	}
	len = m.nlh.nlmsg_len;
	if (fz_chance(c, 5)) {
		/* A header that lies about the length. */
		raw = 1;
		m.nlh.nlmsg_len = fz_below(c, len + 64);
		len_ok = 0;
	} else if (fz_chance(c, 3)) {
		/* An attribute running past the message. */
		raw = 1;
		len = m.nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) +
					fz_below(c, len - NLMSG_LENGTH(GENL_HDRLEN) + 1);
	}
	err = fz_genl_xfer(c, &m, len);
	snprintf(what, sizeof(what), "cmd %d flags %#x len %u/%zu%s", cmd,
		 flags, m.nlh.nlmsg_len, len, raw ? " raw" : "");
	if (err < 0) {
		/* A lying header is dropped without an answer. */
		__atomic_fetch_add(&fz->genl_noanswer, 1, __ATOMIC_RELAXED);
		if (!len_ok)
			return;
		fz_result(c, FZ_GENL, ETIMEDOUT, ERRS(-1), what);
		return;
	}
	/*
	 * The family went with the module (ENOENT), or is going (a dump
	 * cannot pin the module: EPROTONOSUPPORT).
	 */
	if (err == ENOENT)
		fz_genl_close(c);
	if (c->priv != FZ_ROOT && (cmd == EGATE_NL_CMD_SET_MODE ||
				   cmd == EGATE_NL_CMD_OFFICER))
		fz_result(c, FZ_GENL, err,
			  ERRS(EPERM, EOPNOTSUPP, EINVAL, ENOENT,
			       EPROTONOSUPPORT), what);
	else
		fz_result(c, FZ_GENL, err,
			  ERRS(0, EINVAL, ERANGE, ENODEV, EBUSY, EOPNOTSUPP,
			       ENOENT, EMSGSIZE, EPROTONOSUPPORT), what);
}

/* ---- sysfs ----------------------------------------------------------------- */

static void fz_do_sysfs(struct fz_ctx *c)
{
	char path[256], buf[8192], what[160];
	const char *attr;
	int bad = 0, err, fd, timing;
	size_t len;
	void *p;

	if (fz_chance(c, 30) && fz->nrattr) {
		attr = fz->rattr[fz_below(c, fz->nrattr)];
		snprintf(path, sizeof(path), EG_LANE "/%s", attr);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		err = fd < 0 ? errno : 0;
		if (fd >= 0) {
			err = read(fd, buf, sizeof(buf)) < 0 ? errno : 0;
			close(fd);
		}
		/* power/: the driver core's, EIO without runtime PM. */
		fz_result(c, FZ_SYSFS_R, err,
			  strncmp(attr, "power/", 6) ? ERRS(0, ENOENT, ENODEV) :
			  ERRS(0, ENOENT, ENODEV, EIO), attr);
		return;
	}
	if (!fz->nattr)
		return;
	attr = fz->attr[fz_below(c, fz->nattr)];
	timing = !strncmp(attr, "timings/", 8);
	snprintf(path, sizeof(path), EG_LANE "/%s", attr);
	len = fz_text(c, buf, fz_chance(c, 5) ? sizeof(buf) : 64);
	p = buf;
	if (fz_chance(c, 5))
		p = fz_ptr(c, buf, len, &bad);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	err = fd < 0 ? errno : 0;
	if (fd >= 0) {
		err = write(fd, p, len) < 0 ? errno : 0;
		close(fd);
	}
	snprintf(what, sizeof(what), "%s <- '%.*s'%s", attr,
		 (int)(len < 40 ? len : 40), buf, bad ? " bad pointer" : "");
	if (c->priv == FZ_NOBODY)
		fz_result(c, FZ_SYSFS_W, err, ERRS(EACCES, ENOENT), what);
	else if (timing)
		fz_result(c, FZ_SYSFS_W, err,
			  ERRS(0, EINVAL, ERANGE, EFAULT, ENOENT, ENODEV), what);
	else	/* uevent, power/...: the driver core's own attributes */
		fz_result(c, FZ_SYSFS_W, err,
			  ERRS(0, EINVAL, ERANGE, EFAULT, ENOENT, ENODEV, EIO,
			       EPERM, EBUSY), what);
}

static void fz_mutate_line(struct fz_ctx *c, char *out, size_t max)
{
	static const char *const extra[] = {
		" exit=3,4,5", " topology=mantrap", " swing=", " beams=10-41",
		" beams=0-65535", " entry=!0,!1,!2", " chip=", " green=70000",
		" emergency=", " =", " beams=13-10", " swing=4294967296",
		" red=8", " buzzer=!9", " chip=egate_sim", " beams=10-13,14",
	};
	size_t n = snprintf(out, max, "%s", GOOD_LINE);

	for (int k = 1 + fz_below(c, 3); k; k--) {
		switch (fz_below(c, 4)) {
		case 0:	/* change one byte */
			out[fz_below(c, n)] = "0123456789=,-! x"[fz_below(c, 16)];
			break;
		case 1:	/* cut */
			n = fz_below(c, n + 1);
			out[n] = '\0';
			break;
		default:
			n += snprintf(out + n, max - n, "%s%s",
				      extra[fz_below(c, sizeof(extra) / sizeof(*extra))],
				      fz_chance(c, 30) ? "12" : "");
			if (n >= max)
				n = max - 1;
			break;
		}
	}
}

static void fz_do_driver(struct fz_ctx *c)
{
	char buf[4200], what[160];
	size_t len;
	int err;

	if (fz_chance(c, 60)) {
		if (fz_chance(c, 70)) {
			fz_mutate_line(c, buf, sizeof(buf));
			len = strlen(buf);
		} else {
			len = fz_text(c, buf, sizeof(buf));
		}
		err = fz_write_file(DRV "new_device", buf, len);
		snprintf(what, sizeof(what), "'%.*s'", (int)(len < 120 ? len : 120), buf);
		if (c->priv == FZ_NOBODY)
			fz_result(c, FZ_NEWDEV, err, ERRS(EACCES, ENOENT), what);
		else
			fz_result(c, FZ_NEWDEV, err,
				  ERRS(0, EINVAL, EEXIST, ENODEV, EBUSY, ENOSPC,
				       ERANGE, ENOENT), what);
		/* ENOENT, ENODEV: the driver (egate) is going or gone. */
		return;
	}
	if (fz_chance(c, 70))
		len = snprintf(buf, sizeof(buf), "egate%u", fz_below(c, 6));
	else
		len = fz_text(c, buf, 64);
	err = fz_write_file(DRV "delete_device", buf, len);
	snprintf(what, sizeof(what), "'%.*s'", (int)(len < 60 ? len : 60), buf);
	if (c->priv == FZ_NOBODY)
		fz_result(c, FZ_DELDEV, err, ERRS(EACCES, ENOENT), what);
	else
		fz_result(c, FZ_DELDEV, err,
			  ERRS(0, EINVAL, ENOENT, EPERM, ENODEV), what);
}

/* The simulated world moves, so that the lane has events to report. */
static void fz_do_sim(struct fz_ctx *c)
{
	static const char *const cmds[] = {
		"walk", "walk dir=rev", "pair", "clear", "emergency 1",
		"emergency 0", "emergency 0", "beam 0 1", "beam 0 0",
		"jam entry", "clear",
	};
	const char *s = cmds[fz_below(c, sizeof(cmds) / sizeof(*cmds))];
	int err = fz_write_str(EG_SIM_DIR "/ctl", s);

	/* Not the API under test: counted, never judged. */
	fz_result(c, FZ_SIM, err, ERRS(0, ENOENT, EINVAL, EBUSY, EACCES, ENODEV,
				       EPERM, ENOSPC, ENXIO), s);
}

/* ---- workers --------------------------------------------------------------- */

static void *fz_worker(void *arg)
{
	struct fz_ctx *c = arg;
	unsigned int w;

	c->scratch = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c->scratch == MAP_FAILED)
		return NULL;
	mprotect(c->scratch + 4096, 4096, PROT_NONE);
	while (!fz_stopped()) {
		if (__atomic_load_n(&fz->quiet, __ATOMIC_RELAXED) &
		    FZ_QUIET_DEVICE) {
			/* Let egate itself unload under the other calls. */
			for (int i = 0; i < 2; i++)
				if (c->fd[i] >= 0) {
					close(c->fd[i]);
					c->fd[i] = -1;
				}
			if (c->ring) {
				eg_uring_free(c->ring);
				c->ring = NULL;
				c->inflight = 0;
			}
		}
		w = fz_below(c, 100);
		if (w < 22)
			fz_do_write(c);
		else if (w < 32)
			fz_do_read(c);
		else if (w < 44)
			fz_do_ioctl(c);
		else if (w < 50)
			fz_do_misc(c);
		else if (w < 64)
			fz_do_uring(c);
		else if (w < 80)
			fz_do_genl(c);
		else if (w < 92)
			fz_do_sysfs(c);
		else if (w < 95)
			fz_do_driver(c);
		else if (c->priv == FZ_ROOT)
			fz_do_sim(c);
	}
	for (int i = 0; i < 2; i++)
		if (c->fd[i] >= 0)
			close(c->fd[i]);
	if (c->ring) {
		fz_uring_reap(c, 0);
		eg_uring_free(c->ring);
	}
	fz_genl_close(c);
	return NULL;
}

static int fz_drop_net_admin(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (prctl(PR_CAPBSET_DROP, CAP_NET_ADMIN, 0, 0, 0))
		return -1;
	if (syscall(SYS_capget, &h, d))
		return -1;
	d[0].effective &= ~(1u << CAP_NET_ADMIN);
	d[0].permitted &= ~(1u << CAP_NET_ADMIN);
	d[0].inheritable &= ~(1u << CAP_NET_ADMIN);
	return syscall(SYS_capset, &h, d) ? -1 : 0;
}

static void fz_process(uint64_t seed, int proc, int nthreads, enum fz_priv priv)
{
	struct fz_ctx ctx[8];
	pthread_t th[8];
	int t;

	if (priv == FZ_NOCAP && fz_drop_net_admin())
		_exit(3);
	if (priv == FZ_NOBODY && (setgroups(0, NULL) ||
				  setresgid(65534, 65534, 65534) ||
				  setresuid(65534, 65534, 65534)))
		_exit(3);
	for (t = 0; t < nthreads; t++) {
		memset(&ctx[t], 0, sizeof(ctx[t]));
		ctx[t].rng = seed * 0x9E3779B97F4A7C15ULL + proc * 131 + t + 1;
		ctx[t].proc = proc;
		ctx[t].thr = t;
		ctx[t].priv = priv;
		ctx[t].fd[0] = ctx[t].fd[1] = -1;
		ctx[t].g.fd = -1;
		if (pthread_create(&th[t], NULL, fz_worker, &ctx[t]))
			_exit(4);
	}
	for (t = 0; t < nthreads; t++)
		pthread_join(th[t], NULL);
	_exit(0);
}

/*
 * Unbind, rebind, unload, reload, all the while.  egate_sim goes with
 * whatever lanes the workers wired onto its chip meanwhile (new_device goes
 * on): egate_gpiochip_remove() takes them first.
 */
static void fz_racer(uint64_t seed)
{
	static const char *const sim_params[] = {
		"", "topology=mantrap", "irq=0", "irq=0 can_sleep=1",
		"nbeams=32", "nbeams=4 topology=mantrap irq=0",
	};
	static const char *const egate_params[] = {
		"", "", "poll=1 poll_ms=10 debounce=2", "fifo_size=16",
		"fifo_size=65536", "fifo_size=3", "poll_ms=0",
	};
	struct fz_ctx c = { .rng = seed ^ 0xA5A5A5A5ULL, .proc = 99 };
	char dev[32];
	int err;

	while (!fz_stopped()) {
		switch (fz_below(&c, 10)) {
		case 0: case 1: case 2: case 3:
			snprintf(dev, sizeof(dev), "egate-lane.%u",
				 fz_chance(&c, 80) ? 0 : fz_below(&c, 4));
			err = fz_write_str(DRV "unbind", dev);
			fz_result(&c, FZ_UNBIND, err, ERRS(0, ENODEV, ENOENT), dev);
			eg_sleep_ms(fz_below(&c, 100));
			err = fz_write_str(DRV "bind", dev);
			fz_result(&c, FZ_BIND, err,
				  ERRS(0, ENODEV, EBUSY, EEXIST, EINVAL, ENOENT,
				       EPROBE_DEFER, EAGAIN, ENXIO), dev);
			break;
		case 4: case 5: case 6:
			err = fz_rmmod("egate_sim");
			fz_result(&c, FZ_RMMOD, err, ERRS(0, EAGAIN, EBUSY, ENOENT),
				  "egate_sim");
			eg_sleep_ms(fz_below(&c, 50));
			err = fz_insmod("egate_sim", sim_params[fz_below(&c, 6)]);
			fz_result(&c, FZ_INSMOD, err,
				  ERRS(0, EEXIST, ENOENT, EBUSY, ENODEV, ENOSPC),
				  "egate_sim");
			break;
		case 7:
			/*
			 * egate itself: the others close the device for a
			 * moment (netlink, sysfs and new_device go on).
			 */
			__atomic_store_n(&fz->quiet, FZ_QUIET_DEVICE, __ATOMIC_RELAXED);
			eg_sleep_ms(100);
			err = fz_rmmod("egate_sim");
			fz_result(&c, FZ_RMMOD, err, ERRS(0, EAGAIN, EBUSY, ENOENT),
				  "egate_sim");
			for (int k = 0; k < 20; k++) {
				err = fz_rmmod("egate");
				if (err != EAGAIN)
					break;
				eg_sleep_ms(25);
			}
			fz_result(&c, FZ_RMMOD_EGATE, err,
				  ERRS(0, EAGAIN, EBUSY, ENOENT), "egate");
			eg_sleep_ms(fz_below(&c, 50));
			err = fz_insmod("egate", egate_params[fz_below(&c, 7)]);
			fz_result(&c, FZ_INSMOD_EGATE, err,
				  ERRS(0, EEXIST, EINVAL, ERANGE), "egate");
			if (err == EINVAL || err == ERANGE) {	/* bad parameters */
				err = fz_insmod("egate", "");
				fz_result(&c, FZ_INSMOD_EGATE, err,
					  ERRS(0, EEXIST), "egate");
			}
			err = fz_insmod("egate_sim", "");
			fz_result(&c, FZ_INSMOD, err,
				  ERRS(0, EEXIST, ENOENT, EBUSY, ENODEV, ENOSPC),
				  "egate_sim");
			__atomic_store_n(&fz->quiet, 0, __ATOMIC_RELAXED);
			break;
		default:
			break;
		}
		eg_sleep_ms(20 + fz_below(&c, 300));
	}
	_exit(0);
}

/* Where the threads of a worker that does not end are stuck. */
static void fz_dump_stuck(pid_t pid)
{
	char path[512], line[256];
	struct dirent *de;
	DIR *d;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		static const char *const what[] = { "comm", "syscall", "wchan", "stack" };

		if (de->d_name[0] == '.')
			continue;
		printf("# stuck worker %d thread %s:\n", pid, de->d_name);
		for (unsigned int k = 0; k < sizeof(what) / sizeof(*what); k++) {
			snprintf(path, sizeof(path), "/proc/%d/task/%s/%s", pid,
				 de->d_name, what[k]);
			f = fopen(path, "r");
			if (!f)
				continue;
			while (fgets(line, sizeof(line), f))
				printf("#   %s: %s%s", what[k], line,
				       strchr(line, '\n') ? "" : "\n");
			fclose(f);
		}
	}
	closedir(d);
	fflush(stdout);
}

/* Every attribute file under the lane's sysfs directory. */
static void fz_find_attrs(const char *dir, const char *rel)
{
	char path[512], sub[512];
	struct dirent *de;
	struct stat st;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (strlen(dir) + strlen(rel) + 2 * strlen(de->d_name) + 4 >
		    sizeof(fz->attr[0]))
			continue;
		sprintf(path, "%s/%s", dir, de->d_name);
		sprintf(sub, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		if (lstat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			fz_find_attrs(path, sub);
		} else if (S_ISREG(st.st_mode)) {
			/*
			 * uevent is the driver core's, and logs an error line
			 * for each bad write: the console would drown.
			 */
			if ((st.st_mode & S_IWUSR) && fz->nattr < FZ_MAXATTR &&
			    strcmp(sub, "uevent"))
				strcpy(fz->attr[fz->nattr++], sub);
			if ((st.st_mode & S_IRUSR) && fz->nrattr < FZ_MAXATTR)
				strcpy(fz->rattr[fz->nrattr++], sub);
		}
	}
	closedir(d);
}

static void fz_report(struct __test_metadata *_metadata)
{
	unsigned long bad = 0;

	for (int op = 0; op < FZ_NOPS; op++) {
		char line[1024];
		int n;

		if (!fz->calls[op])
			continue;
		n = snprintf(line, sizeof(line), "# %-13s %7lu calls, %7lu ok",
			     fz_name[op], fz->calls[op], fz->ok[op]);
		for (int e = 1; e < FZ_MAXERR && n < (int)sizeof(line) - 40; e++)
			if (fz->err[op][e])
				n += snprintf(line + n, sizeof(line) - n, ", %s %lu",
					      strerrorname_np(e) ?: "?", fz->err[op][e]);
		if (fz->bad[op])
			snprintf(line + n, sizeof(line) - n, "; %lu UNEXPECTED",
				 fz->bad[op]);
		printf("%s\n", line);
		bad += fz->bad[op];
	}
	printf("# genl requests without an answer: %lu; parked AUTHORISEs completed with an outcome: %lu\n",
	       fz->genl_noanswer, fz->parked_auth);
	for (unsigned int i = 0; i < fz->nlog && i < FZ_LOGS; i++)
		printf("# unexpected: %s\n", fz->log[i]);
	fflush(stdout);
	EXPECT_EQ(0, bad);
}

/* The lane still works: a full authorised passage, and netlink answers. */
static void fz_final_passage(struct __test_metadata *_metadata)
{
	static struct eg_nlmsg m;
	struct eg_genl g;
	int ctl, mark;

	ASSERT_EQ(0, eg_sim("clear"));
	ctl = eg_open_ctl();
	ASSERT_LE(0, ctl);
	mark = eg_mark();
	ASSERT_EQ(0, eg_expect_state(ctl, mark, EGATE_ST_IDLE, 5000));
	ASSERT_EQ(0, eg_cmd(ctl, EGATE_CMD_AUTHORISE, EGATE_DIR_FORWARD, 0, 77));
	ASSERT_EQ(0, eg_sysfs_wait("entry_door", "open", 5000));
	ASSERT_EQ(0, eg_sim("walk"));
	ASSERT_NE(NULL, eg_expect(ctl, mark, EGATE_EV_PASSAGE_DONE, 1, 20000));
	ASSERT_NE(NULL, eg_expect(ctl, mark, EGATE_EV_AUTH_END,
				  EGATE_OUT_COMPLETED, 5000));
	ASSERT_EQ(0, eg_expect_state(ctl, mark, EGATE_ST_IDLE, 10000));
	close(ctl);

	ASSERT_EQ(0, eg_genl_open(&g, EGATE_GENL_NAME));
	eg_genl_msg(&g, &m, EGATE_NL_CMD_GET_LANE, 0);
	eg_genl_put_u32(&m, EGATE_NL_ATTR_LANE, 0);
	EXPECT_EQ(1, eg_genl_call(&g, &m, NULL, 0));
	eg_genl_close(&g);
}

FIXTURE(fuzz) {
	int unused;
};

FIXTURE_SETUP(fuzz)
{
	ASSERT_EQ(0, eg_load("", ""));
}

FIXTURE_TEARDOWN(fuzz)
{
	for (int i = 1; i < 8; i++) {
		char id[16];

		snprintf(id, sizeof(id), "egate%d", i);
		fz_write_str(DRV "delete_device", id);
	}
	eg_unload();
}

TEST_F_TIMEOUT(fuzz, concurrent, 7200)
{
	/* Processes: two as root, one without CAP_NET_ADMIN, one as nobody. */
	static const struct { enum fz_priv priv; int threads; } procs[] = {
		{ FZ_ROOT, 3 }, { FZ_ROOT, 2 }, { FZ_NOCAP, 2 }, { FZ_NOBODY, 1 },
	};
	const char *env = getenv("EGATE_FUZZ_SECONDS");
	int seconds = env ? atoi(env) : 20, nproc = 0, status, hung = 0;
	uint64_t seed;
	pid_t pids[8], racer;
	long long end;

	env = getenv("EGATE_FUZZ_SEED");
	seed = env ? strtoull(env, NULL, 0) : (uint64_t)eg_now_ms() ^ getpid();
	fz = mmap(NULL, sizeof(*fz), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, fz);
	fz_none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, fz_none);
	fz_find_attrs(EG_LANE, "");
	ASSERT_LT(0, fz->nattr);
	printf("# seed %llu (EGATE_FUZZ_SEED), %d s (EGATE_FUZZ_SECONDS), %d writable and %d readable attributes of egate0\n",
	       (unsigned long long)seed, seconds, fz->nattr, fz->nrattr);
	fflush(stdout);
	fz->deadline_ms = eg_now_ms() + seconds * 1000LL;

	racer = fork();
	ASSERT_LE(0, racer);
	if (!racer)
		fz_racer(seed);
	for (unsigned int p = 0; p < sizeof(procs) / sizeof(*procs); p++) {
		pids[nproc] = fork();
		ASSERT_LE(0, pids[nproc]);
		if (!pids[nproc])
			fz_process(seed, p, procs[p].threads, procs[p].priv);
		nproc++;
	}

	while (eg_now_ms() < fz->deadline_ms)
		eg_sleep_ms(100);
	__atomic_store_n(&fz->stop, 1, __ATOMIC_RELAXED);
	EXPECT_EQ(racer, waitpid(racer, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/*
	 * Removing the lane ends every authorisation a ring may wait for;
	 * the workers saw the deadline, the lanes they wired go first.
	 */
	eg_sleep_ms(300);
	eg_unload_module("egate_sim");
	end = eg_now_ms() + 60000;
	for (int p = 0; p < nproc; p++) {
		while (waitpid(pids[p], &status, WNOHANG) == 0) {
			if (eg_now_ms() > end) {
				fz_dump_stuck(pids[p]);
				kill(pids[p], SIGKILL);
				hung++;
				waitpid(pids[p], &status, 0);
				break;
			}
			eg_sleep_ms(50);
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			printf("# worker %d ended with status %#x\n", p, status);
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	EXPECT_EQ(0, hung);
	fz_report(_metadata);

	/* The egate module that lived through the run, a fresh simulated lane. */
	eg_unload_module("egate_sim");
	printf("# the passage runs on %s egate module\n", fz_loaded("egate") ?
	       "the fuzzed" : "a fresh");
	fflush(stdout);
	if (!fz_loaded("egate"))
		ASSERT_EQ(0, fz_insmod("egate", ""));
	ASSERT_EQ(0, fz_insmod("egate_sim", ""));
	fz_final_passage(_metadata);
}

TEST_HARNESS_MAIN
