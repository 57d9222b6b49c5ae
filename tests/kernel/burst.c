// SPDX-License-Identifier: GPL-2.0
/*
 * A burst of 100k sensor changes: whatever the input path keeps or merges,
 * the accounting holds - every event raised is either read or counted as
 * dropped, sequence numbers never repeat or go back, and the lane ends in
 * the state the lines are in.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "egate_test.h"

#define BURST 100000

FIXTURE(burst) {
	int fd;
};

FIXTURE_VARIANT(burst) {
	const char *egate;
	const char *sim;
};

FIXTURE_VARIANT_ADD(burst, irq) {
	.egate = "fifo_size=1024",
	.sim = "",
};

FIXTURE_VARIANT_ADD(burst, polled) {
	.egate = "fifo_size=1024 poll=1 poll_ms=1 debounce=1",
	.sim = "",
};

FIXTURE_SETUP(burst)
{
	ASSERT_EQ(0, eg_load(variant->egate, variant->sim));
	self->fd = eg_open(O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(burst)
{
	close(self->fd);
	eg_unload();
}

static volatile int eg_burst_done;

static void *eg_burster(void *arg)
{
	(void)arg;
	eg_sim("burst 2 %d", BURST);
	eg_burst_done = 1;
	return NULL;
}

TEST_F_TIMEOUT(burst, accounting_holds, 300)
{
	struct egate_event evs[256];
	struct egate_status st0, st;
	unsigned long long expect, got = 0, prev;
	long long edges0 = eg_sim_status("edges");
	long long irqs0 = eg_sim_status("irqs");
	long long ints0 = eg_sysfs_num("counters/interrupts");
	pthread_t th;
	ssize_t n;

	ASSERT_EQ(0, eg_status(self->fd, &st0));
	prev = st0.last_seq;
	eg_burst_done = 0;
	ASSERT_EQ(0, pthread_create(&th, NULL, eg_burster, NULL));
	for (;;) {
		struct pollfd pfd = { .fd = self->fd, .events = POLLIN };

		n = read(self->fd, evs, sizeof(evs));
		if (n < 0) {
			ASSERT_EQ(EAGAIN, errno);
			if (eg_burst_done) {
				/* Let the last edges through, then drain. */
				eg_sleep_ms(200);
				n = read(self->fd, evs, sizeof(evs));
				if (n < 0)
					break;
			} else {
				poll(&pfd, 1, 50);
				continue;
			}
		}
		ASSERT_EQ(0, n % sizeof(evs[0]));
		for (size_t i = 0; i < n / sizeof(evs[0]); i++) {
			ASSERT_LT(prev, evs[i].seq);
			prev = evs[i].seq;
			got++;
		}
	}
	pthread_join(th, NULL);

	ASSERT_EQ(0, eg_status(self->fd, &st));
	expect = st.last_seq - st0.last_seq;
	TH_LOG("%llu events raised, %llu read, %llu dropped; %lld edges simulated",
	       expect, got, (unsigned long long)st.dropped,
	       eg_sim_status("edges") - edges0);
	EXPECT_EQ(expect, got + st.dropped);
	EXPECT_EQ(st.last_seq, prev);
	EXPECT_EQ(st.last_seq, (unsigned long long)eg_sysfs_num("counters/events"));
	EXPECT_EQ(BURST, eg_sim_status("edges") - edges0);
	/* Every edge the chip reported was taken, merged or not. */
	EXPECT_EQ(eg_sim_status("irqs") - irqs0,
		  eg_sysfs_num("counters/interrupts") - ints0);
	if (strstr(variant->egate, "poll=1")) {
		EXPECT_EQ(0, eg_sysfs_num("counters/interrupts"));
	} else {
		EXPECT_EQ(BURST, eg_sim_status("irqs") - irqs0);
	}
	EXPECT_GE(BURST, eg_sysfs_num("counters/beam_edges"));
	EXPECT_LT(0, eg_sysfs_num("counters/beam_edges"));
	/* An even number of toggles: the beam ends clear, and so does the lane. */
	EXPECT_EQ(0, eg_wait_clear(2000));
	EXPECT_EQ(0, st.beams);
}

TEST_HARNESS_MAIN
