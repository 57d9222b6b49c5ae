// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark (numbers, loosely checked): event throughput through read(),
 * latency from a simulated sensor edge to the event being readable with
 * interrupts and with polling, command write() round trip (the door line
 * is driven inside write()), and emergency input to both door drive lines
 * open with interrupts and with polling.  Under QEMU TCG these are
 * emulated timings: compare them with each other, not with hardware.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "egate_test.h"

static unsigned long long eg_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int eg_cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

FIXTURE(bench) {
	int fd;
};

FIXTURE_VARIANT(bench) {
	const char *name;
	const char *egate;
};

FIXTURE_VARIANT_ADD(bench, irq) {
	.name = "irq",
	.egate = "fifo_size=4096",
};

FIXTURE_VARIANT_ADD(bench, polled) {
	.name = "polled (poll_ms=1 debounce=1)",
	.egate = "fifo_size=4096 poll=1 poll_ms=1 debounce=1",
};

FIXTURE_VARIANT_ADD(bench, polled_debounce_2) {
	.name = "polled (poll_ms=1 debounce=2)",
	.egate = "fifo_size=4096 poll=1 poll_ms=1 debounce=2",
};

FIXTURE_SETUP(bench)
{
	ASSERT_EQ(0, eg_load(variant->egate, ""));
	self->fd = eg_open(O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(bench)
{
	close(self->fd);
	eg_unload();
}

TEST_F_TIMEOUT(bench, edge_to_event_latency, 120)
{
	enum { N = 200 };
	unsigned long long kern[N], user[N], t0;
	struct egate_event ev;
	int i, got = 0;

	for (i = 0; i < N; i++) {
		struct pollfd pfd = { .fd = self->fd, .events = POLLIN };

		eg_drain(self->fd);
		t0 = eg_now_ns();
		ASSERT_EQ(0, eg_sim("beam 4 %d", !(i & 1)));
		ASSERT_EQ(1, poll(&pfd, 1, 2000));
		ASSERT_EQ(sizeof(ev), read(self->fd, &ev, sizeof(ev)));
		if (ev.type != EGATE_EV_BEAMS)
			continue;
		kern[got] = ev.timestamp_ns - t0;
		user[got] = eg_now_ns() - t0;
		got++;
	}
	ASSERT_LT(N / 2, got);
	qsort(kern, got, sizeof(kern[0]), eg_cmp_ull);
	qsort(user, got, sizeof(user[0]), eg_cmp_ull);
	ksft_print_msg("bench %s (emulated, QEMU TCG): sensor edge -> event raised: median %llu us, p99 %llu us; -> read by userspace: median %llu us, p99 %llu us (n=%d)\n",
		       variant->name, kern[got / 2] / 1000,
		       kern[got * 99 / 100] / 1000, user[got / 2] / 1000,
		       user[got * 99 / 100] / 1000, got);
	fflush(stdout);
	EXPECT_GT(1000000000ULL, user[got / 2]);
}

TEST_F_TIMEOUT(bench, read_throughput, 120)
{
	struct egate_event evs[512];
	unsigned long long t0, dt = 0, total = 0;
	ssize_t n;

	int ctl = eg_open_ctl();

	/* Fill the queue (4096 records) with DENY events, then time the reads. */
	ASSERT_LE(0, ctl);
	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < 4000; i++)
			ASSERT_EQ(0, eg_cmd(ctl, EGATE_CMD_DENY, 0, 0, 0));
		t0 = eg_now_ns();
		while ((n = read(self->fd, evs, sizeof(evs))) > 0)
			total += n / sizeof(evs[0]);
		dt += eg_now_ns() - t0;
	}
	close(ctl);
	ASSERT_LE(20000, total);
	ksft_print_msg("bench %s (emulated, QEMU TCG): read() throughput %llu events/s (%llu events, 512 per read)\n",
		       variant->name, total * 1000000000ULL / (dt ? dt : 1), total);
	fflush(stdout);
}

/*
 * Emergency input -> both doors of a mantrap driven open, as the
 * simulator's drive lines show them (read by this program in a loop that
 * only yields: a sleep would round the figure up to the guest's timer
 * granularity), and -> the EMERGENCY event raised (kernel timestamp).
 */
FIXTURE(emergency) {
	int ctl;
};

FIXTURE_VARIANT(emergency) {
	const char *name;
	const char *egate;
};

FIXTURE_VARIANT_ADD(emergency, irq) {
	.name = "irq",
	.egate = "",
};

FIXTURE_VARIANT_ADD(emergency, polled_1ms) {
	.name = "polled (poll_ms=1 debounce=2)",
	.egate = "poll=1 poll_ms=1 debounce=2",
};

FIXTURE_VARIANT_ADD(emergency, polled_default) {
	.name = "polled (poll_ms=10 debounce=2, the defaults)",
	.egate = "poll=1",
};

FIXTURE_SETUP(emergency)
{
	ASSERT_EQ(0, eg_load(variant->egate, "topology=mantrap door_ms=100"));
	self->ctl = eg_open_ctl();
	ASSERT_LE(0, self->ctl);
	ASSERT_EQ(0, eg_expect_state(self->ctl, 0, EGATE_ST_IDLE, 3000));
}

FIXTURE_TEARDOWN(emergency)
{
	close(self->ctl);
	eg_unload();
}

/* Door drive lines driven open, from one read of the simulator's status. */
static int eg_drives(void)
{
	char buf[1024], *p;
	int fd, n, opened = 0;

	fd = open(EG_SIM_DIR "/status", O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (p = buf; (p = strstr(p, "_drive ")); p += 7)
		opened += p[7] == '1';
	return opened;
}

TEST_F_TIMEOUT(emergency, input_to_doors_open, 300)
{
	enum { N = 20 };
	unsigned long long doors[N], event[N], t0, t;
	const struct egate_event *ev;
	int i, mark;

	for (i = 0; i < N; i++) {
		/* Both doors driven closed, lane idle. */
		ASSERT_EQ(0, eg_sim_wait("entry_drive", 0, 5000));
		ASSERT_EQ(0, eg_sim_wait("exit_drive", 0, 5000));
		ASSERT_EQ(0, eg_sysfs_wait("state", "idle", 5000));
		eg_drain(self->ctl);
		mark = eg_mark();
		t0 = eg_now_ns();
		ASSERT_EQ(0, eg_sim("emergency 1"));
		do {
			t = eg_now_ns();
			if (eg_drives() == 2)
				break;
			sched_yield();
		} while (t - t0 < 5000000000ULL);
		ASSERT_EQ(2, eg_drives());
		doors[i] = t - t0;
		ev = eg_expect(self->ctl, mark, EGATE_EV_EMERGENCY, 1, 5000);
		ASSERT_NE(NULL, ev);
		event[i] = ev->timestamp_ns - t0;
		ASSERT_EQ(0, eg_sim("emergency 0"));
		ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_EMERGENCY, 0,
					  5000));
		ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_RESET, 0, 0, 0));
	}
	qsort(doors, N, sizeof(doors[0]), eg_cmp_ull);
	qsort(event, N, sizeof(event[0]), eg_cmp_ull);
	ksft_print_msg("bench %s (emulated, QEMU TCG): emergency input -> both doors driven open: median %llu us, p99 %llu us; -> EMERGENCY event raised: median %llu us, p99 %llu us (n=%d)\n",
		       variant->name, doors[N / 2] / 1000,
		       doors[N * 99 / 100] / 1000, event[N / 2] / 1000,
		       event[N * 99 / 100] / 1000, N);
	fflush(stdout);
}

FIXTURE(cmd) {
	int fd;
};

FIXTURE_SETUP(cmd)
{
	ASSERT_EQ(0, eg_load("", ""));
	self->fd = eg_open_ctl();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(cmd)
{
	close(self->fd);
	eg_unload();
}

TEST_F_TIMEOUT(cmd, round_trip, 120)
{
	enum { N = 500, A = 50 };
	unsigned long long lat[N], t0;
	int fd = self->fd, i;
	for (i = 0; i < N; i++) {
		t0 = eg_now_ns();
		ASSERT_EQ(0, eg_cmd(fd, EGATE_CMD_HEARTBEAT, 0, 0, 0));
		lat[i] = eg_now_ns() - t0;
	}
	qsort(lat, N, sizeof(lat[0]), eg_cmp_ull);
	ksft_print_msg("bench (emulated, QEMU TCG): HEARTBEAT write(): median %llu us, p99 %llu us (n=%d)\n",
		       lat[N / 2] / 1000, lat[N * 99 / 100] / 1000, N);
	fflush(stdout);

	/* AUTHORISE drives the door line before write() returns. */
	for (i = 0; i < A; i++) {
		ASSERT_EQ(0, eg_sysfs_wait("state", "idle", 5000));
		t0 = eg_now_ns();
		ASSERT_EQ(0, eg_cmd(fd, EGATE_CMD_AUTHORISE, 0, 0, 0));
		lat[i] = eg_now_ns() - t0;
		ASSERT_EQ(1, eg_sim_status("entry_drive"));
		ASSERT_EQ(0, eg_cmd(fd, EGATE_CMD_DENY, 0, 0, 0));
	}
	qsort(lat, A, sizeof(lat[0]), eg_cmp_ull);
	ksft_print_msg("bench (emulated, QEMU TCG): AUTHORISE write() -> door line driven: median %llu us, p99 %llu us (n=%d)\n",
		       lat[A / 2] / 1000, lat[A * 99 / 100] / 1000, A);
	fflush(stdout);
}

TEST_HARNESS_MAIN
