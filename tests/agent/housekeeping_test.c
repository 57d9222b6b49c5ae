// SPDX-License-Identifier: GPL-2.0
/*
 * housekeeping_test - the agent's timer on the host, with a real systemd
 * notification socket: 20 s of 100 ms ticks ping the watchdog every
 * WATCHDOG_USEC / 2 (not every tick) and queue the lane's heartbeat every
 * quarter of its timeout; a lane without a camera is taken out of service
 * (a SET_MODE command, STATUS= saying why) and put back when the camera
 * sends frames; a face worker stuck on one frame does the same.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "agent.h"
#include "test-files.h"
#include "kselftest_harness.h"

#define MS 1000000ull

FIXTURE(tick) {
	char dir[PATH_MAX];
	int notify;
	struct egate_conf *conf;
	struct agent a;
	unsigned int watchdog, heartbeat, set_mode[EGATE_MODE_COUNT];
	char status[512];
};

FIXTURE_SETUP(tick)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	ASSERT_EQ(0, test_dir_new(self->dir));
	ASSERT_GT(sizeof(sa.sun_path), strlen(self->dir) + strlen("/notify"));
	strcpy(stpcpy(sa.sun_path, self->dir), "/notify");
	self->notify = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, self->notify);
	ASSERT_EQ(0, bind(self->notify, (struct sockaddr *)&sa, sizeof(sa)));
	setenv("NOTIFY_SOCKET", sa.sun_path, 1);

	ASSERT_EQ(0, egate_conf_new(&self->conf));
	self->a = (struct agent) {
		.settings = egate_conf_settings(self->conf),
		.lane_name = "lane-a",
		.lane = { .fd = -1, .state = EGATE_ST_IDLE, .heartbeat_ms = 5000 },
		.watchdog_usec = 2000000,		/* WatchdogSec=2 */
		.next_purge_ns = UINT64_MAX,		/* no store here */
		.gallery_loading = true,
		.camera.next_look_ns = UINT64_MAX,	/* no udev here */
		.now_ns = 1000 * MS,
	};
	strcpy(self->a.lane.device, "egate0");
}

FIXTURE_TEARDOWN(tick)
{
	unsetenv("NOTIFY_SOCKET");
	close(self->notify);
	egate_conf_free(self->conf);
	test_dir_remove(self->dir);
}

/* What the tick sent: to systemd, and to the lane (the slots the loop would submit). */
static void collect(FIXTURE_DATA(tick) *self)
{
	char msg[512];
	ssize_t n;
	int slot;

	while ((n = recv(self->notify, msg, sizeof(msg) - 1, 0)) > 0) {
		msg[n] = '\0';
		self->watchdog += strstr(msg, "WATCHDOG=1") != NULL;
		if (!strncmp(msg, "STATUS=", 7))
			snprintf(self->status, sizeof(self->status), "%s", msg + 7);
	}
	while ((slot = lane_next_queued(&self->a.lane)) >= 0) {
		const struct lane_command *c = &self->a.lane.commands[slot];

		self->heartbeat += c->op == EGATE_CMD_HEARTBEAT;
		if (c->op == EGATE_CMD_SET_MODE && c->arg < EGATE_MODE_COUNT)
			self->set_mode[c->arg]++;
		lane_command_done(&self->a.lane, slot, 0);
	}
}

/* n ticks of AGENT_TICK_MS; the camera has a frame every tick if camera_live. */
static void run(FIXTURE_DATA(tick) *self, unsigned int n, bool camera_live)
{
	for (unsigned int i = 0; i < n; i++) {
		self->a.now_ns += AGENT_TICK_MS * MS;
		if (camera_live)
			self->a.camera.last_frame_ns = self->a.now_ns;
		agent_on_tick(&self->a);
		collect(self);
	}
}

/* A camera that is there: a handle is all housekeeping looks at. */
static struct egate_camera *const present = (struct egate_camera *)&present;

TEST_F(tick, watchdog_and_heartbeat_at_their_intervals)
{
	self->a.camera.camera = present;
	run(self, 200, true);			/* 20 s */
	EXPECT_EQ(20, self->watchdog);		/* every 1 s: half of WatchdogSec */
	EXPECT_EQ(16, self->heartbeat);		/* every 1.25 s: a quarter of 5 s */
	EXPECT_EQ(0, self->set_mode[EGATE_MODE_OUT_OF_SERVICE]);
	EXPECT_EQ(1, self->a.metrics.camera_up);
	self->a.camera.camera = NULL;
}

TEST_F(tick, no_camera_out_of_service_until_frames)
{
	run(self, 5, false);
	EXPECT_EQ(1, self->set_mode[EGATE_MODE_OUT_OF_SERVICE]);
	EXPECT_STREQ("egate0 out of service: no frames from the camera;", self->status);
	EXPECT_EQ(0, self->a.metrics.camera_up);
	EXPECT_FALSE(agent_lane_ready(&self->a));

	/* the driver says so; the camera comes and sends frames */
	self->a.lane.mode = EGATE_MODE_OUT_OF_SERVICE;
	self->a.camera.camera = present;
	run(self, 5, true);
	EXPECT_EQ(1, self->set_mode[EGATE_MODE_NORMAL]);
	EXPECT_EQ(1, self->a.metrics.camera_up);
	EXPECT_STREQ("controlling egate0", self->status);

	/* then it stalls: no frame for camera.stall_ms */
	self->a.lane.mode = EGATE_MODE_NORMAL;
	run(self, self->a.settings->camera.stall_ms / AGENT_TICK_MS + 1, false);
	EXPECT_EQ(2, self->set_mode[EGATE_MODE_OUT_OF_SERVICE]);
	EXPECT_EQ(0, self->a.metrics.camera_up);
	self->a.camera.camera = NULL;
}

TEST_F(tick, stuck_worker_out_of_service)
{
	unsigned int bound = self->a.settings->face.worker_stall_ms / AGENT_TICK_MS;

	self->a.camera.camera = present;
	self->a.worker_started_ns = self->a.now_ns;
	run(self, bound - 1, true);
	EXPECT_EQ(0, self->set_mode[EGATE_MODE_OUT_OF_SERVICE]);
	run(self, 2, true);
	EXPECT_EQ(1, self->set_mode[EGATE_MODE_OUT_OF_SERVICE]);
	EXPECT_EQ(1, self->a.metrics.worker_stalled);
	EXPECT_STREQ("egate0 out of service: the face worker is stuck;", self->status);

	self->a.lane.mode = EGATE_MODE_OUT_OF_SERVICE;
	self->a.worker_started_ns = 0;		/* its result came */
	run(self, 1, true);
	EXPECT_EQ(1, self->set_mode[EGATE_MODE_NORMAL]);
	EXPECT_EQ(0, self->a.metrics.worker_stalled);
	self->a.camera.camera = NULL;
}

TEST_HARNESS_MAIN
