// SPDX-License-Identifier: GPL-2.0
/*
 * The event stream: whole records, several readers each with their own
 * queue, overflow that drops the oldest (a sequence gap and a counter),
 * O_NONBLOCK, poll, blocking reads woken by events, io_uring reads that
 * complete without io_uring worker threads, and a read into a bad buffer
 * that loses no record.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "egate_test.h"
#include "eg_uring.h"

FIXTURE(ev) {
	int ctl;
};

FIXTURE_SETUP(ev)
{
	ASSERT_EQ(0, eg_load("fifo_size=16", ""));
	self->ctl = eg_open_ctl();
	ASSERT_LE(0, self->ctl);
	ASSERT_EQ(0, eg_expect_state(self->ctl, 0, EGATE_ST_IDLE, 2000));
}

FIXTURE_TEARDOWN(ev)
{
	close(self->ctl);
	eg_unload();
}

/* Raise @n events: an idle lane reports every DENY, and nothing else. */
static void eg_make_events(int ctl, int n)
{
	for (int i = 0; i < n; i++)
		eg_cmd(ctl, EGATE_CMD_DENY, 0, 0, 0);
}

TEST_F(ev, several_readers_same_stream)
{
	struct egate_event a[64], b[64];
	int r1 = eg_open(O_RDONLY | O_NONBLOCK), r2 = eg_open(O_RDONLY | O_NONBLOCK);
	ssize_t n1, n2;

	ASSERT_LE(0, r1);
	ASSERT_LE(0, r2);
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_AUTHORISE, 0, 0, 77));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_DENY, 0, 0, 0));
	eg_sleep_ms(200);
	n1 = read(r1, a, sizeof(a));
	n2 = read(r2, b, sizeof(b));
	ASSERT_LT(0, n1);
	/* Whole records only, the same records for both. */
	EXPECT_EQ(0, n1 % sizeof(struct egate_event));
	ASSERT_EQ(n1, n2);
	EXPECT_EQ(0, memcmp(a, b, n1));
	EXPECT_EQ(EGATE_EV_AUTHORISED, a[0].type);
	EXPECT_EQ(77, a[0].tag);
	for (size_t i = 1; i < n1 / sizeof(a[0]); i++) {
		EXPECT_EQ(a[i - 1].seq + 1, a[i].seq);
		EXPECT_LE(a[i - 1].timestamp_ns, a[i].timestamp_ns);
		EXPECT_EQ(0, a[i].reserved);
	}
	/* A buffer of one and a half records gets one. */
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_HEARTBEAT, 0, 0, 0));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_DENY, 0, 0, 0));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_DENY, 0, 0, 0));
	EXPECT_EQ(sizeof(a[0]), read(r1, a, sizeof(a[0]) * 3 / 2));
	close(r1);
	close(r2);
}

TEST_F(ev, overflow_drops_oldest)
{
	struct egate_event evs[64];
	struct egate_status st;
	int r = eg_open(O_RDONLY | O_NONBLOCK);
	unsigned long long first_seq, gaps = 0;
	ssize_t n;
	size_t i, count;

	ASSERT_LE(0, r);
	ASSERT_EQ(0, eg_status(r, &st));
	first_seq = st.last_seq + 1;
	eg_make_events(self->ctl, 60);	/* 60 events into a 16-record queue */
	ASSERT_EQ(0, eg_status(r, &st));
	ASSERT_EQ(first_seq + 59, st.last_seq);

	n = read(r, evs, sizeof(evs));
	ASSERT_EQ(16 * sizeof(evs[0]), n);
	count = n / sizeof(evs[0]);
	/* The newest survive: the queue ends at the lane's last event. */
	EXPECT_EQ(st.last_seq, evs[count - 1].seq);
	for (i = 1; i < count; i++)
		EXPECT_EQ(evs[i - 1].seq + 1, evs[i].seq);
	gaps = evs[0].seq - first_seq;
	EXPECT_EQ(60 - 16, gaps);
	ASSERT_EQ(0, eg_status(r, &st));
	EXPECT_EQ(gaps, st.dropped);
	EXPECT_LE(gaps, (unsigned long long)eg_sysfs_num("counters/overflows"));
	EXPECT_EQ(-1, read(r, evs, sizeof(evs)));
	EXPECT_EQ(EAGAIN, errno);
	close(r);
}

TEST_F(ev, nonblock_and_poll)
{
	struct pollfd pfd;
	struct egate_event e;
	int r = eg_open(O_RDONLY | O_NONBLOCK);

	ASSERT_LE(0, r);
	EXPECT_EQ(-1, read(r, &e, sizeof(e)));
	EXPECT_EQ(EAGAIN, errno);
	pfd.fd = r;
	pfd.events = POLLIN;
	EXPECT_EQ(0, poll(&pfd, 1, 50));
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_DENY, 0, 0, 0));
	ASSERT_EQ(1, poll(&pfd, 1, 1000));
	EXPECT_TRUE(pfd.revents & POLLIN);
	EXPECT_EQ(sizeof(e), read(r, &e, sizeof(e)));
	EXPECT_EQ(EGATE_EV_DENIED, e.type);
	close(r);
}

static void *eg_deny_later(void *arg)
{
	eg_sleep_ms(200);
	eg_cmd(*(int *)arg, EGATE_CMD_DENY, 0, 0, 0);
	return NULL;
}

TEST_F(ev, blocking_read_wakes)
{
	struct egate_event e;
	pthread_t th;
	int r = eg_open(O_RDONLY);
	long long t0;

	ASSERT_LE(0, r);
	ASSERT_EQ(0, pthread_create(&th, NULL, eg_deny_later, &self->ctl));
	t0 = eg_now_ms();
	ASSERT_EQ(sizeof(e), read(r, &e, sizeof(e)));
	EXPECT_LE(150, eg_now_ms() - t0);
	EXPECT_EQ(EGATE_EV_DENIED, e.type);
	pthread_join(th, NULL);
	close(r);
}

TEST_F(ev, io_uring_read_without_workers)
{
	struct egate_event e[4];
	struct eg_uring *ring = eg_uring_new(8);
	int r = eg_open(O_RDONLY), res;
	uint64_t ud;

	ASSERT_NE(NULL, ring);
	ASSERT_LE(0, r);
	/* Nothing queued: the read must park on poll, not on a worker. */
	ASSERT_EQ(0, eg_uring_read(ring, r, e, sizeof(e), 7));
	eg_sleep_ms(300);
	EXPECT_EQ(0, eg_uring_wait(ring, 0, &res, &ud));
	EXPECT_EQ(0, eg_uring_workers());
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_DENY, 0, 0, 0));
	ASSERT_EQ(1, eg_uring_wait(ring, 2000, &res, &ud));
	EXPECT_EQ(7, ud);
	ASSERT_LE((int)sizeof(e[0]), res);
	EXPECT_EQ(0, res % (int)sizeof(e[0]));
	EXPECT_EQ(EGATE_EV_DENIED, e[0].type);
	EXPECT_EQ(0, eg_uring_workers());

	/* Queued already: completes at once. */
	ASSERT_EQ(0, eg_cmd(self->ctl, EGATE_CMD_DENY, 0, 0, 0));
	eg_sleep_ms(50);
	ASSERT_EQ(0, eg_uring_read(ring, r, e, sizeof(e), 8));
	ASSERT_EQ(1, eg_uring_wait(ring, 1000, &res, &ud));
	EXPECT_EQ(8, ud);
	EXPECT_EQ(0, res % (int)sizeof(e[0]));
	EXPECT_EQ(0, eg_uring_workers());
	eg_uring_free(ring);
	close(r);
}

/*
 * A read whose buffer faults part-way returns the records it could copy
 * (or EFAULT when none), and every record it could not copy is still
 * queued: the next read returns it, with no gap in the sequence and
 * nothing counted as dropped.
 */
TEST_F(ev, read_fault_loses_nothing)
{
	const size_t esz = sizeof(struct egate_event);
	long page = sysconf(_SC_PAGESIZE);
	struct egate_event good[8];
	struct egate_status st;
	uint64_t next;
	ssize_t n;
	char *map, *buf;
	int r = eg_open(O_RDONLY | O_NONBLOCK);

	ASSERT_LE(0, r);
	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, munmap(map + page, page));
	ASSERT_EQ(0, eg_status(r, &st));
	next = st.last_seq + 1;

	/* Two records; the second straddles the end of the mapping. */
	eg_make_events(self->ctl, 2);
	buf = map + page - esz - esz / 2;
	n = read(r, buf, 2 * esz);
	if (n < 0) {
		EXPECT_EQ(EFAULT, errno);
	} else {
		ASSERT_EQ(esz, n);
		EXPECT_EQ(next, ((struct egate_event *)buf)->seq);
		next++;
	}
	/* Nothing mapped at all: EFAULT, the record stays. */
	EXPECT_EQ(-1, read(r, map + page, esz));
	EXPECT_EQ(EFAULT, errno);
	/* What failed comes now, in order. */
	n = read(r, good, sizeof(good));
	ASSERT_LT(0, n);
	EXPECT_EQ(next, good[0].seq);
	EXPECT_EQ(st.last_seq + 2, good[n / esz - 1].seq);
	for (size_t i = 1; i < n / esz; i++)
		EXPECT_EQ(good[i - 1].seq + 1, good[i].seq);
	EXPECT_EQ(EGATE_EV_DENIED, good[0].type);
	ASSERT_EQ(0, eg_status(r, &st));
	EXPECT_EQ(0, st.dropped);

	/* The same through a full queue: the newest records still arrive. */
	eg_make_events(self->ctl, 16);
	EXPECT_EQ(-1, read(r, map + page, 4 * esz));
	EXPECT_EQ(EFAULT, errno);
	n = read(r, good, sizeof(good));
	EXPECT_EQ(sizeof(good), n);
	EXPECT_EQ(st.last_seq + 1, good[0].seq);
	munmap(map, page);
	close(r);
}

TEST_HARNESS_MAIN
