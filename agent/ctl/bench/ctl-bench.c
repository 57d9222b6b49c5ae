// SPDX-License-Identifier: GPL-2.0
/*
 * ctl-bench - command round trip to the lane driver through URING_CMD,
 * write() + read() of the event it raises, and ioctl; events per second
 * delivered to a generic netlink listener.  Runs in the VM (loads the
 * modules from $EGATE_KMOD_DIR); under software emulation (TCG) the
 * absolute numbers are those of an emulated CPU, only ratios carry over.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "egate-uring.h"
#include "egate_test.h"
#include "eg_genl.h"
#include "uapi/linux/egate_netlink.h"

#define N	20000

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void report(const char *what, double us, int n)
{
	printf("%-44s %8.2f us/op  %9.0f ops/s\n", what, us / n, n / (us / 1e6));
}

static int bench_uring(int ctl, uint32_t op, const char *what)
{
	struct egate_status st;
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	double t0;
	int i;

	if (io_uring_queue_init(8, &ring, 0))
		return -1;
	t0 = now_us();
	for (i = 0; i < N; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		if (op)
			egate_uring_prep_lane_cmd(sqe, ctl, op, 0, 0, 0);
		else
			egate_uring_prep_get_state(sqe, ctl, &st);
		io_uring_submit_and_wait(&ring, 1);
		if (io_uring_peek_cqe(&ring, &cqe) || cqe->res < 0)
			return -1;
		io_uring_cqe_seen(&ring, cqe);
	}
	report(what, now_us() - t0, N);
	io_uring_queue_exit(&ring);
	return 0;
}

static int bench_write_read(int ctl)
{
	struct egate_cmd cmd = { .op = EGATE_CMD_DENY };
	struct egate_event ev;
	double t0;
	int i;

	eg_drain(ctl);
	t0 = now_us();
	for (i = 0; i < N; i++) {
		if (write(ctl, &cmd, sizeof(cmd)) != sizeof(cmd) ||
		    read(ctl, &ev, sizeof(ev)) != sizeof(ev))
			return -1;
	}
	report("DENY: write() + read() of its event", now_us() - t0, N);
	return 0;
}

static int bench_ioctl(int ctl)
{
	struct egate_status st;
	double t0;
	int i;

	t0 = now_us();
	for (i = 0; i < N; i++)
		if (ioctl(ctl, EGATE_IOC_GET_STATE, &st))
			return -1;
	report("state: ioctl(EGATE_IOC_GET_STATE)", now_us() - t0, N);
	return 0;
}

struct listener {
	struct eg_genl g;
	long got;
	volatile int stop;
};

static void *listen_thread(void *arg)
{
	static struct eg_nlmsg m;
	struct listener *l = arg;

	while (!l->stop)
		if (eg_genl_recv(&l->g, &m, 200) == 1)
			l->got++;
	return NULL;
}

static int bench_netlink(int ctl)
{
	struct egate_cmd cmd = { .op = EGATE_CMD_DENY };
	int rcvbuf = 64 << 20, i;
	struct listener l = { 0 };
	pthread_t th;
	double t0, t;

	if (eg_genl_open(&l.g, EGATE_GENL_NAME) || eg_genl_join(&l.g))
		return -1;
	setsockopt(l.g.fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	pthread_create(&th, NULL, listen_thread, &l);
	t0 = now_us();
	for (i = 0; i < N; i++)
		if (write(ctl, &cmd, sizeof(cmd)) != sizeof(cmd))
			return -1;
	while (l.got < N && now_us() - t0 < 20e6)
		usleep(1000);
	t = now_us() - t0;
	l.stop = 1;
	pthread_join(th, NULL);
	printf("%-44s %8ld of %d events in %.0f ms: %.0f events/s\n",
	       "netlink events group, one listener", l.got, N, t / 1e3,
	       l.got / (t / 1e6));
	eg_genl_close(&l.g);
	eg_drain(ctl);
	return 0;
}

int main(void)
{
	int ctl, ret = 0;

	if (eg_load("fifo_size=65536", "topology=single"))
		return 1;
	ctl = eg_open_ctl();
	if (ctl < 0 || eg_expect_state(ctl, 0, EGATE_ST_IDLE, 2000))
		return 1;
	printf("# egate command round trip, %d ops each; emulated CPU (QEMU TCG)\n", N);
	ret |= bench_uring(ctl, EGATE_CMD_DENY, "DENY: URING_CMD (completes at once)");
	ret |= bench_write_read(ctl);
	ret |= bench_uring(ctl, 0, "state: URING_CMD GET_STATE");
	ret |= bench_ioctl(ctl);
	ret |= bench_uring(ctl, EGATE_CMD_HEARTBEAT, "HEARTBEAT: URING_CMD");
	ret |= bench_netlink(ctl);
	close(ctl);
	eg_unload();
	return ret ? 1 : 0;
}
