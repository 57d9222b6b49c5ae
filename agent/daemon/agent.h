/* SPDX-License-Identifier: GPL-2.0 */
/*
 * agent.h - egate-agent, the controller of one lane: its state, shared by
 * the files that each do one job of it.  A frame goes one way:
 *   camera-watch.c finds the lane's camera, follows it (unplug, replug),
 *               hands the newest frame to the idle worker
 *               (and the lane's depth camera, its frames paired by time)
 *   worker.c    the face engine on that frame, in its own thread
 *   pad-lane.c  presentation-attack detection beside the policy (pad-check.c)
 *   decide.c    face results -> policy verdicts -> audit record -> lane
 *               command; the lane's events and the passages' outcomes
 *   record.c    audit records (through storeworker.c) and the journal
 *   audit-events.c officer commands (officer.c: netlink), alarms,
 *               emergencies, out of service: audit records too
 *   lane.c      the lane device: commands queued for the loop, events
 * and around it:
 *   loop.c         the io_uring event loop: it calls into the files above,
 *                  they never call back; it submits the lane commands they
 *                  queue and polls the camera they open
 *   housekeeping.c the timer: heartbeat, watchdog, service state (audit,
 *                  camera, worker), purge, gallery checks, metrics
 *   storeworker.c  the database's own thread: audit, purge, gallery loads
 *   gallery-sync.c the enrolled gallery, from the store into the worker
 *   verify-reference.c decision.mode=verify: the document's reference
 *   referral.c     a traveller the centre flagged: denied, an officer called
 *   fleet-lag.c    the lane's lag behind the centre, for the metrics
 *   main.c         options, configuration, start and stop
 *   policy.c, metrics.c: see their headers.
 */
#ifndef EGATE_AGENT_H
#define EGATE_AGENT_H

#include <liburing.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "egate-capture.h"
#include "egate-conf.h"
#include "egate-face.h"
#include "egate-reference.h"
#include "egate-store.h"
#include "lane.h"
#include "metrics.h"
#include "officer.h"
#include "pad-check.h"
#include "policy.h"
#include "storeworker.h"
#include "worker.h"

#define AGENT_TICK_MS 100		/* timer: heartbeat, timeouts, stalls */
#define AGENT_GALLERY_CHECK_MS 2000	/* how often the store's version is read */
#define AGENT_METRICS_MS 5000		/* textfile rewritten at most this often */
#define AGENT_PURGE_MS 3600000		/* the audit retention purge, hourly */
#define AGENT_FLEET_LAG_MS 10000	/* how often the sync state is read (metrics) */
#define AGENT_CAMERA_LOOK_MS 5000	/* no camera: look for it this often */
/* A verdict whose audit record is not written this long after is not carried out. */
#define AGENT_RECORD_WAIT_MS 3000
/* The database locked by another process this long: the lane leaves service. */
#define AGENT_STORE_BUSY_MS 30000
#define AGENT_MODE_RETRY_MS 1000	/* a refused SET_MODE is sent again this often */
/* The unit's RuntimeDirectory=: LANE.out-of-service marks the mode as ours. */
#define AGENT_RUN_DIR "/run/egate"

#define AGENT_DEPTH_RING 4		/* depth frames kept for pairing */
/* A depth frame further than this in capture time from the colour frame: none. */
#define AGENT_DEPTH_PAIR_MS 100

struct camera_link {
	const char *what;		/* "camera", "depth camera": for the log */
	struct egate_camera_monitor *monitor;
	struct egate_camera *camera;	/* NULL while unplugged */
	struct egate_camera_config *config;
	struct egate_camera_config *fallback;	/* tried when config is refused, or NULL */
	char selector[EGATE_CONF_SELECTOR_MAX + 1];
	bool polling;			/* a POLL_ADD on the camera is in flight */
	bool open_failed;		/* logged: quiet until an open succeeds */
	uint32_t generation;		/* +1 per open: tells stale polls apart */
	uint64_t next_look_ns;		/* while camera is NULL */
	uint64_t last_frame_ns;		/* the camera had a frame ready (or opened) */
	uint64_t dropped_before;	/* frames lost by the cameras closed since start */
};

/* The depth camera's frames (pad-lane.c): the newest few, for pairing. */
struct agent_depth {
	struct camera_link link;	/* link.monitor NULL: no depth camera */
	struct egate_frame *ring[AGENT_DEPTH_RING];
	unsigned int next;		/* ring slot the next frame goes into */
	struct egate_frame *paired;	/* the worker's frame's, swapped out of the ring */
	bool have_paired;
	uint16_t *crop;			/* registered into the colour grid */
	size_t crop_size;		/* elements */
	bool missing_logged;		/* "no depth frame", once until one comes */
};

/* decision.mode=verify: the reference in use (verify-reference.c). */
struct agent_reference {
	char path[PATH_MAX];		/* reference_dir/LANE.ref, the reader's */
	char inuse[PATH_MAX];		/* LANE.ref.inuse, the agent's */
	char lane[EGATE_REFERENCE_LANE_MAX + 1];	/* what references must be for */
	struct egate_reference_keys keys;	/* decision.reference_keys */
	int64_t last_not_before_us;	/* of the last one taken: older ones are replays */
	struct egate_reference ref;
	bool loaded;			/* ref is the worker's gallery */
	uint64_t taken_ns;
	bool waiting_logged;		/* "waiting for a document", once per face */
	int take_errno;			/* the last failure to take the file, logged */
};

/* Why the agent holds its lane out of service (EGATE_CMD_SET_MODE). */
enum agent_fault {
	AGENT_FAULT_AUDIT = 1 << 0,	/* audit records cannot be written */
	AGENT_FAULT_CAMERA = 1 << 1,	/* no camera, or no frame for camera.stall_ms */
	AGENT_FAULT_WORKER = 1 << 2,	/* a frame not done in face.worker_stall_ms */
};

/* What the lane's events said that an out-of-service record needs. */
struct agent_lane_audit {
	uint64_t out_of_service_ns;	/* since (event time), 0: in service or unknown */
	bool heartbeat_lost;		/* since it last came into service */
};

/* A verdict waiting for its audit record: carried out once it is written. */
struct agent_verdict {
	bool waiting;
	uint64_t cookie;		/* its store job */
	enum egate_decision decision;
	int64_t traveller_id;
	uint64_t decided_ns;
	struct worker_timing timing;
};

struct agent {
	const struct egate_settings *settings;
	const char *lane_name;		/* lane.name, or the device's (main.c) */
	struct lane lane;
	struct io_uring ring;
	bool ring_ready;
	int signal_fd;
	bool stopping;
	int exit_status;

	struct egate_store *store;
	struct store_worker *store_worker;
	struct officer_watch *officers;		/* officer commands, from the kernel */
	struct agent_lane_audit lane_audit;
	uint64_t next_cookie;
	struct egate_face_engine *engine;
	struct egate_face_gallery *gallery;	/* what the worker searches: the
						 * gallery, or verify's reference */
	struct egate_face_gallery *gallery_next;	/* loaded, waits for an idle worker */
	bool verify;				/* decision.mode=verify */
	struct agent_reference reference;
	uint64_t gallery_version;
	bool gallery_stale;			/* SIGHUP: reload even if unchanged */
	bool gallery_loading;			/* a STORE_GALLERY job is out */
	bool gallery_failing;			/* logged once until a load works */
	int64_t gallery_expiry_s;		/* next enrolment expiry, realtime; 0: none */
	struct egate_referrals *referrals;	/* flagged "refer to officer", with the
						 * gallery loaded last */

	struct worker *worker;
	uint64_t worker_started_ns;		/* 0: idle */
	struct policy policy;
	struct pad_check pad;			/* pad.mode off: pad.pad NULL */
	struct camera_link camera;
	struct agent_depth depth;

	struct agent_verdict verdict;
	unsigned int decisions_unwritten;	/* decision records queued, not yet written */
	/* audit: appends failing since (0: fine), and the last error */
	uint64_t audit_failing_ns;
	int audit_error;

	/* the authorisation in flight: its tag is the decision's audit id */
	int64_t auth_tag;
	int64_t auth_traveller;
	int64_t auth_done_tag;		/* the last one completed: its AUTH_END may come after */
	struct worker_timing auth_timing;

	/* out of service: why (enum agent_fault), and what the lane was told */
	uint32_t faults, faults_logged;
	bool mode_held;			/* we set EGATE_MODE_OUT_OF_SERVICE */
	uint64_t next_mode_ns;

	uint64_t now_ns;
	int64_t now_real_s;		/* CLOCK_REALTIME, for expiry */
	uint64_t next_heartbeat_ns, next_watchdog_ns, next_gallery_check_ns, next_metrics_ns;
	uint64_t next_purge_ns;
	uint64_t next_fleet_lag_ns;
	bool fleet_lag_reading;			/* a STORE_SYNC job is out */
	uint64_t alarm_since_ns;	/* lane in alarm/emergency since, 0: not */
	uint64_t watchdog_usec;		/* 0: no systemd watchdog */
	struct metrics metrics;
	char metrics_path[PATH_MAX];	/* empty: no textfile */
	struct __kernel_timespec tick;
	uint64_t signal_buf[16];	/* struct signalfd_siginfo, aligned */
};

/* loop.c */
/* Blocks the signals the loop reads: before any thread starts, so all inherit it. */
int agent_block_signals(sigset_t *mask);
int agent_loop_init(struct agent *a);
void agent_loop_done(struct agent *a);
int agent_loop_run(struct agent *a);

/* decide.c */
void agent_on_result(struct agent *a, const struct worker_result *r);
void agent_on_lane_event(struct agent *a, const struct egate_event *ev);
/* The AUTHORISE tagged tag completed: its outcome (> 0) or -errno. */
void agent_on_authorise_done(struct agent *a, uint64_t tag, int res);
/* A STORE_APPEND came back (or failed once): the verdict waiting for it. */
void agent_on_recorded(struct agent *a, const struct store_job *job);
/* A verdict whose record is overdue is not carried out. */
void agent_verdict_check(struct agent *a);
/* Queues a lane command for the loop; errors are logged and returned. */
int agent_command(struct agent *a, uint32_t op, uint32_t arg, uint32_t timeout_ms,
		  uint64_t tag);
/* Taking travellers: in service, idle, nothing pending. */
bool agent_lane_ready(const struct agent *a);

/* housekeeping.c */
void agent_on_tick(struct agent *a);
/* The lane's camera_up/worker_stalled/audit state changed: out of service or back. */
void agent_service_update(struct agent *a);
/* At start: an out-of-service mode a previous agent left is ours to lift. */
void agent_service_inherit(struct agent *a);
/* At stop: lifts our out-of-service mode. */
void agent_service_release(struct agent *a);
/* enum agent_fault: what it means, for the log and the audit log. */
const char *agent_fault_name(uint32_t fault);

/* record.c */
void agent_logp(struct agent *a, int priority, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* LOG_INFO */
void agent_log(struct agent *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* document_id: 1:1, the reference's document (NULL: none); cookie: the job's. */
int agent_record_decision(struct agent *a, enum egate_decision decision,
			  const struct policy_decision *d, const char *document_id,
			  uint64_t cookie);
/* outcome: the driver's (enum egate_outcome), or -errno: the lane never authorised. */
void agent_record_passage(struct agent *a, int64_t decision_id, int64_t traveller_id,
			  int outcome);
/* Hands a record to the store worker (its strings are copied): -errno, logged. */
int agent_record_submit(struct agent *a, const struct egate_audit_record *rec, uint64_t cookie);
/* The retention purge (store worker); schedules the next one. */
void agent_audit_purge(struct agent *a);
/* A STORE_APPEND came back (or failed once): the audit state, its metrics. */
void agent_audit_done(struct agent *a, const struct store_job *job);
void agent_purge_done(struct agent *a, const struct store_job *job);

/* audit-events.c */
/* A lane event read: alarms, emergencies, out of service and back are recorded. */
void agent_audit_lane_event(struct agent *a, const struct egate_event *ev);
/* At stop, before the store worker goes: the lane goes out of service with us. */
void agent_audit_stopping(struct agent *a);
/* Joins the events group (before the lane is claimed): logged when it fails. */
int agent_officers_init(struct agent *a);
/* Its socket is readable: the officer commands for our lane are recorded. */
void agent_officers_ready(struct agent *a);

/* gallery-sync.c */
/* At start, in this thread: the gallery as stored now. */
int agent_gallery_load(struct agent *a);
/* Asks the store worker for a newer gallery (changed, expired, SIGHUP). */
void agent_gallery_check(struct agent *a);
/* A STORE_GALLERY came back: a newer gallery is taken (job->gallery too). */
void agent_on_gallery(struct agent *a, struct store_job *job);
/* The worker is idle: a loaded gallery replaces the one in use. */
void agent_gallery_swap(struct agent *a);
void agent_gallery_free(struct agent *a);

/* verify-reference.c */
int agent_reference_init(struct agent *a, const char *lane);
/* Takes a new reference file, expires a stale one; the worker must be idle. */
void agent_reference_check(struct agent *a);
/* No reference: true, the frame is not to be decided on (logged once per face). */
bool agent_reference_missing(struct agent *a, const struct policy_frame *f);
/* The reference's document id, NULL if it has none. */
const char *agent_reference_document(const struct agent *a);
/* The decision is made: removes the reference, the lane waits for the next. */
void agent_reference_consume(struct agent *a);

/* referral.c */
/*
 * After the policy: an ADMIT of a traveller flagged "refer to officer"
 * becomes a DENY with reason "referred" (the traveller its candidate),
 * and an officer is called (journal, lane event record "referred").
 * Returns the verdict to act on.
 */
enum policy_verdict agent_referral(struct agent *a, enum policy_verdict v,
				   struct policy_decision *d);

/* fleet-lag.c */
/* Asks the store worker for the sync state every AGENT_FLEET_LAG_MS (metrics on). */
void agent_fleet_lag_check(struct agent *a);
/* A STORE_SYNC came back: the lag gauges. */
void agent_on_fleet_lag(struct agent *a, const struct store_job *job);
/* pad-lane.c */
/* pad.mode resolved (depth camera configured or not), logged; after agent_camera_init(). */
int agent_pad_init(struct agent *a);
void agent_pad_done(struct agent *a);
/* After policy_feed() on the worker's result: PAD's say (pad-check.h), logged, counted. */
enum policy_verdict agent_pad_decide(struct agent *a, const struct worker_result *r,
				     enum policy_verdict v, struct policy_decision *d);
/* A colour frame goes to the worker: the depth frame nearest in time goes with it. */
void agent_depth_pair(struct agent *a, uint64_t colour_ns);
/* The depth camera has a frame: into the ring. */
void agent_depth_read(struct agent *a);

/* camera-watch.c */
/* Chooses the selectors (command line, udev, egate.conf, auto) and the monitors. */
int agent_camera_init(struct agent *a, const struct egate_conf *conf, const char *lane,
		      const char *camera_option, char *err, size_t err_size);
void agent_camera_done(struct agent *a);
/* Opens the cameras (colour, depth) if they are there now (at start). */
void agent_camera_look(struct agent *a);
/* C's monitor said something: open the camera if it came back. */
void agent_camera_monitor_ready(struct agent *a, struct camera_link *c);
/*
 * C's fd is readable (or in error): the colour camera hands a frame to the
 * worker, the depth camera's frame goes into the depth ring.
 */
void agent_camera_ready(struct agent *a, struct camera_link *c, uint32_t generation,
			int poll_res);
/* C is gone (a read said -ENODEV): dropped, waiting for it to come back. */
void agent_camera_lost(struct agent *a, struct camera_link *c);
/* Every frame lost so far, by the cameras and by the agent. */
uint64_t agent_camera_dropped(const struct agent *a);

#endif
