// SPDX-License-Identifier: GPL-2.0
/*
 * housekeeping.c - what the agent does on its timer (every AGENT_TICK_MS):
 * the lane's heartbeat, the systemd watchdog (every WATCHDOG_USEC / 2), the
 * optional automatic reset, verdicts whose audit record is overdue, the
 * service state, the retention purge, gallery and reference checks, looking
 * for a missing camera, and the metrics textfile.
 *
 * The service state: a lane that cannot record its decisions, is blind
 * (no camera, or no frame for camera.stall_ms: a stalled stream says
 * nothing) or whose worker is stuck on one frame for face.worker_stall_ms
 * is out of service (EGATE_CMD_SET_MODE), with a STATUS= for systemd and
 * the camera_up / worker_stalled gauges, until the cause is gone.  A
 * database locked by another process only refuses decisions at first
 * (they wait for their record); locked for AGENT_STORE_BUSY_MS it too
 * takes the lane out of service.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "agent.h"

const char *agent_fault_name(uint32_t fault)
{
	switch (fault) {
	case AGENT_FAULT_AUDIT:
		return "audit records cannot be written";
	case AGENT_FAULT_CAMERA:
		return "no frames from the camera";
	case AGENT_FAULT_WORKER:
		return "the face worker is stuck";
	default:
		return "unknown";
	}
}

/* "out of service: a; b" or "controlling egate0". */
static void notify_status(struct agent *a, uint32_t faults)
{
	char status[256];
	size_t n;

	if (!faults) {
		sd_notifyf(0, "STATUS=controlling %s", a->lane.device);
		return;
	}
	n = (size_t)snprintf(status, sizeof(status), "STATUS=%s out of service:", a->lane.device);
	for (uint32_t f = 1; f <= AGENT_FAULT_WORKER && n < sizeof(status); f <<= 1)
		if (faults & f)
			n += (size_t)snprintf(status + n, sizeof(status) - n, " %s;",
					      agent_fault_name(f));
	sd_notify(0, status);
}

static uint32_t current_faults(const struct agent *a)
{
	const struct egate_settings *s = a->settings;
	uint32_t faults = 0;

	if (a->audit_failing_ns && (a->audit_error != -EBUSY ||
	    a->now_ns - a->audit_failing_ns >= AGENT_STORE_BUSY_MS * 1000000ull))
		faults |= AGENT_FAULT_AUDIT;
	if (!a->camera.camera ||
	    a->now_ns - a->camera.last_frame_ns >= s->camera.stall_ms * 1000000ull)
		faults |= AGENT_FAULT_CAMERA;
	if (a->worker_started_ns &&
	    a->now_ns - a->worker_started_ns >= s->face.worker_stall_ms * 1000000ull)
		faults |= AGENT_FAULT_WORKER;
	return faults;
}

static void log_faults(struct agent *a, uint32_t faults)
{
	uint32_t changed = faults ^ a->faults_logged;

	for (uint32_t f = 1; f <= AGENT_FAULT_WORKER; f <<= 1) {
		if (!(changed & f))
			continue;
		if (faults & f)
			agent_logp(a, LOG_ERR, "out of service: %s", agent_fault_name(f));
		else
			agent_logp(a, LOG_NOTICE, "recovered: %s no longer", agent_fault_name(f));
	}
	if (!faults)
		agent_logp(a, LOG_NOTICE, "back in service");
	a->faults_logged = faults;
	notify_status(a, faults);
}

/*
 * The lane keeps its mode when its controller goes: an agent that dies
 * while it holds the lane out of service leaves a mark in the runtime
 * directory (RuntimeDirectory=egate, kept across restarts), so that the
 * next agent knows that mode for its own and lifts it once it is well.
 */
static void hold_mark(struct agent *a, bool held)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), AGENT_RUN_DIR "/%s.out-of-service", a->lane.device);
	if (!held) {
		unlink(path);
		return;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0)
		close(fd);
}

void agent_service_inherit(struct agent *a)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), AGENT_RUN_DIR "/%s.out-of-service", a->lane.device);
	if (a->lane.mode != EGATE_MODE_OUT_OF_SERVICE || access(path, F_OK) < 0)
		return;
	a->mode_held = true;
	agent_logp(a, LOG_NOTICE, "lane: out of service by a previous agent; "
		   "back in service once this one is well");
}

/*
 * At stop: our own out-of-service mode is lifted, it would outlive us and
 * keep the next agent's lane out of service.  Closing the lane takes it
 * out of service until a controller comes.
 */
void agent_service_release(struct agent *a)
{
	if (!a->mode_held)
		return;
	if (lane_command_now(&a->lane, EGATE_CMD_SET_MODE, EGATE_MODE_NORMAL) < 0) {
		agent_logp(a, LOG_WARNING, "lane: cannot lift our out-of-service mode: %m");
		return;
	}
	hold_mark(a, false);
}

/*
 * The lane follows the faults: out of service while there is one, back in
 * service when the last is gone, if it was the agent that took it out (an
 * officer's maintenance mode is left alone).  A mode command the lane
 * refuses (a traveller inside) is sent again.
 */
void agent_service_update(struct agent *a)
{
	uint32_t faults = current_faults(a);

	a->faults = faults;
	a->metrics.camera_up = !(faults & AGENT_FAULT_CAMERA);
	a->metrics.worker_stalled = !!(faults & AGENT_FAULT_WORKER);
	if (faults != a->faults_logged) {
		log_faults(a, faults);
		a->metrics.dirty = true;
		a->next_mode_ns = 0;
	}
	if (a->now_ns < a->next_mode_ns)
		return;
	if (faults && a->lane.mode != EGATE_MODE_OUT_OF_SERVICE) {
		if (agent_command(a, EGATE_CMD_SET_MODE, EGATE_MODE_OUT_OF_SERVICE, 0, 0) == 0) {
			a->mode_held = true;
			hold_mark(a, true);
		}
	} else if (!faults && a->mode_held && a->lane.mode == EGATE_MODE_OUT_OF_SERVICE) {
		agent_command(a, EGATE_CMD_SET_MODE, EGATE_MODE_NORMAL, 0, 0);
	} else if (!faults && a->mode_held) {
		a->mode_held = false;
		hold_mark(a, false);
	}
	a->next_mode_ns = a->now_ns + AGENT_MODE_RETRY_MS * 1000000ull;
}

/* With lane.alarm_reset_s set, an alarm or emergency over a clear lane resets itself. */
static void auto_reset(struct agent *a)
{
	unsigned int after_s = a->settings->lane.alarm_reset_s;
	bool latched = a->lane.state == EGATE_ST_ALARM || a->lane.state == EGATE_ST_EMERGENCY;
	struct egate_status st;

	if (!after_s || !latched || a->lane.beams) {
		a->alarm_since_ns = 0;
		return;
	}
	if (!a->alarm_since_ns)
		a->alarm_since_ns = a->now_ns;
	if (a->now_ns - a->alarm_since_ns < after_s * 1000000000ull)
		return;
	if (lane_status(&a->lane, &st) == 0 && (st.flags & EGATE_STATUS_EMERGENCY_IN))
		return;	/* the fire alarm is still on */
	agent_log(a, "lane: clear for %u s after the %s: resetting", after_s,
		  lane_state_name(a->lane.state));
	agent_command(a, EGATE_CMD_RESET, 0, 0, 0);
	a->alarm_since_ns = 0;
}

static void write_metrics(struct agent *a)
{
	int r;

	if (!a->metrics_path[0] || !a->metrics.dirty || a->now_ns < a->next_metrics_ns)
		return;
	a->metrics.frames_dropped = agent_camera_dropped(a);
	a->metrics.audit_pending = store_worker_queued(a->store_worker);
	r = metrics_write(&a->metrics, a->metrics_path, a->lane_name);
	if (r < 0)
		agent_logp(a, LOG_WARNING, "metrics: cannot write %s: %s", a->metrics_path,
			   strerror(-r));
	a->next_metrics_ns = a->now_ns + AGENT_METRICS_MS * 1000000ull;
}

void agent_on_tick(struct agent *a)
{
	a->now_real_s = time(NULL);
	if (a->now_ns >= a->next_heartbeat_ns) {
		agent_command(a, EGATE_CMD_HEARTBEAT, 0, 0, 0);
		a->next_heartbeat_ns = a->now_ns + a->lane.heartbeat_ms * 1000000ull / 4;
	}
	if (a->watchdog_usec && a->now_ns >= a->next_watchdog_ns) {
		sd_notify(0, "WATCHDOG=1");
		a->next_watchdog_ns = a->now_ns + a->watchdog_usec * 1000ull / 2;
	}
	auto_reset(a);
	agent_verdict_check(a);
	agent_service_update(a);
	if (a->now_ns >= a->next_purge_ns)
		agent_audit_purge(a);
	if (!a->verify)
		agent_gallery_check(a);
	else if (!a->worker_started_ns)
		agent_reference_check(a);
	if ((!a->camera.camera && a->now_ns >= a->camera.next_look_ns) ||
	    (a->depth.link.monitor && !a->depth.link.camera &&
	     a->now_ns >= a->depth.link.next_look_ns))
		agent_camera_look(a);
	agent_fleet_lag_check(a);
	write_metrics(a);
}
