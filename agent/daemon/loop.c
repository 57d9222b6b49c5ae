// SPDX-License-Identifier: GPL-2.0
/*
 * loop.c - the agent's one io_uring ring: lane events (READ), gate
 * commands (URING_CMD, see lane.h), camera and udev monitor readiness, the
 * face and store workers' eventfds and the officer commands' netlink socket
 * (POLL_ADD), a periodic timer (TIMEOUT)
 * and signals (READ of a signalfd).  Every request's user_data says what
 * it was for.  The loop calls into the other files; after each batch of
 * completions it submits the lane commands they queued and polls the
 * camera they opened.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>

#include "agent.h"
#include "egate-uring.h"
#include "macro.h"

#define RING_ENTRIES 32

enum request {
	REQ_LANE_READ = 1,
	REQ_CAMERA,
	REQ_MONITOR,
	REQ_WORKER,
	REQ_TICK,
	REQ_SIGNAL,
	REQ_COMMAND,	/* + slot << 8 */
	REQ_STORE,
	REQ_OFFICERS,
	REQ_DEPTH,
	REQ_DEPTH_MONITOR,
	/* REQ_CAMERA, REQ_DEPTH + the camera's generation << 8 */
};

static struct io_uring_sqe *get_sqe(struct agent *a)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&a->ring);

	if (!sqe) {	/* full: hand what is queued to the kernel first */
		io_uring_submit(&a->ring);
		sqe = io_uring_get_sqe(&a->ring);
	}
	return sqe;
}

static int arm_poll(struct agent *a, int fd, uint64_t req)
{
	struct io_uring_sqe *sqe = get_sqe(a);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_poll_add(sqe, fd, POLLIN);
	io_uring_sqe_set_data64(sqe, req);
	return 0;
}

static int arm_lane_read(struct agent *a)
{
	struct io_uring_sqe *sqe = get_sqe(a);

	if (!sqe)
		return -EBUSY;
	lane_prep_read(&a->lane, sqe);
	io_uring_sqe_set_data64(sqe, REQ_LANE_READ);
	return 0;
}

static int arm_tick(struct agent *a)
{
	struct io_uring_sqe *sqe = get_sqe(a);

	if (!sqe)
		return -EBUSY;
	a->tick = (struct __kernel_timespec) { .tv_nsec = AGENT_TICK_MS * 1000000ll };
	io_uring_prep_timeout(sqe, &a->tick, 0, 0);
	io_uring_sqe_set_data64(sqe, REQ_TICK);
	return 0;
}

static int arm_signal(struct agent *a)
{
	struct io_uring_sqe *sqe = get_sqe(a);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_read(sqe, a->signal_fd, a->signal_buf, sizeof(struct signalfd_siginfo), 0);
	io_uring_sqe_set_data64(sqe, REQ_SIGNAL);
	return 0;
}

static int arm_link(struct agent *a, struct camera_link *c, enum request req)
{
	if (!c->camera || c->polling)
		return 0;
	c->polling = true;
	return arm_poll(a, egate_camera_fd(c->camera), req + ((uint64_t)c->generation << 8));
}

static int arm_camera(struct agent *a)
{
	int r = arm_link(a, &a->camera, REQ_CAMERA);

	return r < 0 ? r : arm_link(a, &a->depth.link, REQ_DEPTH);
}

/* No depth camera: nothing to watch. */
static int arm_depth_monitor(struct agent *a)
{
	return a->depth.link.monitor ? arm_poll(a, egate_camera_monitor_fd(a->depth.link.monitor),
						REQ_DEPTH_MONITOR) : 0;
}

/* The commands queued since the last batch (lane_command_slot). */
static void submit_commands(struct agent *a)
{
	int slot;

	while ((slot = lane_next_queued(&a->lane)) >= 0) {
		struct io_uring_sqe *sqe = get_sqe(a);

		if (!sqe) {
			agent_logp(a, LOG_ERR, "cannot send %s to the lane: the ring is full",
				   lane_command_name(a->lane.commands[slot].op));
			lane_command_done(&a->lane, slot, -EBUSY);
			continue;
		}
		lane_prep_command(&a->lane, sqe, slot);
		io_uring_sqe_set_data64(sqe, REQ_COMMAND + ((uint64_t)slot << 8));
	}
}

int agent_block_signals(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGHUP);
	return pthread_sigmask(SIG_BLOCK, mask, NULL) ? -EINVAL : 0;
}

int agent_loop_init(struct agent *a)
{
	sigset_t mask;
	int r;

	r = agent_block_signals(&mask);
	if (r < 0)
		return r;
	a->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (a->signal_fd < 0)
		return -errno;
	r = egate_uring_agent_queue_init(RING_ENTRIES, &a->ring);
	if (r < 0)
		return r;
	a->ring_ready = true;
	if ((r = arm_lane_read(a)) < 0 || (r = arm_tick(a)) < 0 || (r = arm_signal(a)) < 0 ||
	    (r = arm_poll(a, worker_fd(a->worker), REQ_WORKER)) < 0 ||
	    (r = arm_poll(a, store_worker_fd(a->store_worker), REQ_STORE)) < 0 ||
	    (r = arm_poll(a, officer_watch_fd(a->officers), REQ_OFFICERS)) < 0 ||
	    (r = arm_poll(a, egate_camera_monitor_fd(a->camera.monitor), REQ_MONITOR)) < 0 ||
	    (r = arm_depth_monitor(a)) < 0 || (r = arm_camera(a)) < 0)
		return r;
	submit_commands(a);
	return io_uring_submit(&a->ring) < 0 ? -EIO : 0;
}

void agent_loop_done(struct agent *a)
{
	if (a->ring_ready)
		io_uring_queue_exit(&a->ring);
	a->ring_ready = false;
	if (a->signal_fd >= 0)
		close(a->signal_fd);
	a->signal_fd = -1;
}

static void on_lane_read(struct agent *a, int res)
{
	int n = lane_read_done(&a->lane, res);

	if (n == -ENODEV) {	/* unplugged, or its driver unloaded: not a failure */
		agent_log(a, "lane %s removed; stopping", a->lane.device);
		a->stopping = true;
		return;
	}
	if (n < 0) {
		agent_logp(a, LOG_ERR, "lane %s: reading events failed: %s; stopping",
			  a->lane.device, strerror(-n));
		a->stopping = true;
		a->exit_status = 1;
		return;
	}
	for (int i = 0; i < n; i++) {
		agent_on_lane_event(a, &a->lane.events[i]);
		agent_audit_lane_event(a, &a->lane.events[i]);
	}
	a->metrics.lane_events_lost = a->lane.lost_events;
	arm_lane_read(a);
}

static void on_signal(struct agent *a, int res)
{
	const struct signalfd_siginfo *si = (const void *)a->signal_buf;

	if (res == (int)sizeof(*si) && si->ssi_signo == SIGHUP) {
		agent_log(a, "SIGHUP: reloading the gallery");
		a->gallery_stale = true;
	} else {
		agent_log(a, "stopping on signal %u", res > 0 ? si->ssi_signo : 0);
		a->stopping = true;
	}
	arm_signal(a);
}

static void on_worker(struct agent *a)
{
	struct worker_result r;

	if (worker_take_result(a->worker, &r) == 0) {
		agent_on_result(a, &r);
		/* idle until the next frame: the gallery or the reference may change now */
		if (a->verify)
			agent_reference_check(a);
		else
			agent_gallery_swap(a);
	}
	arm_poll(a, worker_fd(a->worker), REQ_WORKER);
}

static void on_store(struct agent *a)
{
	struct store_job job;

	while (store_worker_take(a->store_worker, &job) == 0) {
		switch (job.kind) {
		case STORE_APPEND:
			agent_audit_done(a, &job);
			agent_on_recorded(a, &job);
			break;
		case STORE_PURGE:
			agent_purge_done(a, &job);
			break;
		case STORE_GALLERY:
			agent_on_gallery(a, &job);
			break;
		case STORE_SYNC:
			agent_on_fleet_lag(a, &job);
			break;
		}
	}
	arm_poll(a, store_worker_fd(a->store_worker), REQ_STORE);
}

static void on_completion(struct agent *a, const struct io_uring_cqe *cqe)
{
	uint64_t data = io_uring_cqe_get_data64(cqe);
	struct lane_command cmd;
	int r;

	switch (data & 0xff) {
	case REQ_LANE_READ:
		on_lane_read(a, cqe->res);
		break;
	case REQ_CAMERA:
		agent_camera_ready(a, &a->camera, (uint32_t)(data >> 8), cqe->res);
		break;
	case REQ_DEPTH:
		agent_camera_ready(a, &a->depth.link, (uint32_t)(data >> 8), cqe->res);
		break;
	case REQ_MONITOR:
		agent_camera_monitor_ready(a, &a->camera);
		arm_poll(a, egate_camera_monitor_fd(a->camera.monitor), REQ_MONITOR);
		break;
	case REQ_DEPTH_MONITOR:
		agent_camera_monitor_ready(a, &a->depth.link);
		arm_depth_monitor(a);
		break;
	case REQ_WORKER:
		on_worker(a);
		break;
	case REQ_TICK:
		agent_on_tick(a);
		arm_tick(a);
		break;
	case REQ_SIGNAL:
		on_signal(a, cqe->res);
		break;
	case REQ_STORE:
		on_store(a);
		break;
	case REQ_OFFICERS:
		agent_officers_ready(a);
		arm_poll(a, officer_watch_fd(a->officers), REQ_OFFICERS);
		break;
	case REQ_COMMAND:
		cmd = a->lane.commands[data >> 8];
		r = lane_command_done(&a->lane, data >> 8, cqe->res);
		if (cmd.op == EGATE_CMD_AUTHORISE)
			agent_on_authorise_done(a, cmd.tag, r);
		else if (r < 0)
			agent_logp(a, LOG_WARNING, "lane %s refused %s: %s", a->lane.device,
				  lane_command_name(cmd.op), strerror(-r));
		break;
	}
}

int agent_loop_run(struct agent *a)
{
	while (!a->stopping) {
		struct io_uring_cqe *cqe;
		unsigned int head, n = 0;
		int r;

		r = io_uring_submit_and_wait(&a->ring, 1);
		if (r < 0 && r != -EINTR)
			return r;
		a->now_ns = monotonic_ns();
		io_uring_for_each_cqe(&a->ring, head, cqe) {
			on_completion(a, cqe);
			n++;
		}
		io_uring_cq_advance(&a->ring, n);
		submit_commands(a);
		arm_camera(a);
	}
	return 0;
}
