/* SPDX-License-Identifier: GPL-2.0 */
/*
 * agent.h - egate-agent, the controller of one lane: its state, shared by
 * the files that each do one job of it:
 *   main.c      options, configuration, start and stop
 *   loop.c      the io_uring event loop: lane, camera, worker, timer, signals
 *   decide.c    face results -> policy verdicts -> gate commands; outcomes
 *   record.c    audit records, journal entries, the log line
 *   gallery.c   the enrolled gallery, from the store into the engine
 *   reference.c decision.mode=verify: the document's reference, its lifecycle
 *   camera.c    finding the lane's camera and following it (unplug, replug)
 *   lane.c, worker.c, policy.c, metrics.c: see their headers.
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
#include "policy.h"
#include "worker.h"

#define AGENT_TICK_MS 100		/* timer: heartbeat, timeouts, watchdog */
#define AGENT_GALLERY_CHECK_MS 2000	/* how often the store's version is read */
#define AGENT_METRICS_MS 5000		/* textfile rewritten at most this often */
#define AGENT_AUTH_TIMEOUT_MS 8000	/* an admitted traveller has this long to enter */
#define AGENT_PURGE_MS 3600000		/* the audit retention purge, hourly */
#define AGENT_CAMERA_LOOK_MS 5000	/* no camera: look for it this often */

struct camera_link {
	struct egate_camera_monitor *monitor;
	struct egate_camera *camera;	/* NULL while unplugged */
	struct egate_camera_config *config;
	char selector[EGATE_CONF_SELECTOR_MAX + 1];
	bool polling;			/* a POLL_ADD on the camera is in flight */
	bool open_failed;		/* logged: quiet until an open succeeds */
	uint32_t generation;		/* +1 per open: tells stale polls apart */
	uint64_t next_look_ns;		/* while camera is NULL */
};

struct agent_label {
	int64_t id;
	char label[EGATE_STORE_LABEL_MAX + 1];
};

/* decision.mode=verify: the reference in use (reference.c). */
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

struct agent {
	const struct egate_settings *settings;
	const char *lane_name;		/* settings->lane.name */
	struct lane lane;
	struct io_uring ring;
	bool ring_ready;
	int signal_fd;
	bool stopping;
	int exit_status;

	struct egate_store *store;
	struct egate_face_engine *engine;
	struct egate_face_gallery *gallery;	/* what the worker searches: the
						 * gallery, or verify's reference */
	bool verify;				/* decision.mode=verify */
	struct agent_reference reference;
	struct agent_label *labels;		/* id -> label, sorted by id */
	size_t n_labels;
	uint64_t gallery_version;
	bool gallery_stale;			/* reload once the worker is idle */

	struct worker *worker;
	struct policy policy;
	struct camera_link camera;

	/* the authorisation in flight: its tag is the decision's audit id */
	int64_t auth_tag;
	int64_t auth_traveller;
	int64_t auth_done_tag;		/* the last one completed: its AUTH_END may come after */
	struct worker_timing auth_timing;

	uint64_t now_ns;
	uint64_t next_heartbeat_ns, next_gallery_check_ns, next_metrics_ns;
	uint64_t next_expiry_reload_ns, next_purge_ns;
	uint64_t alarm_since_ns;	/* lane in alarm/emergency since, 0: not */
	uint64_t watchdog_usec;		/* 0: no systemd watchdog */
	struct metrics metrics;
	char metrics_path[PATH_MAX];	/* empty: no textfile */
	struct __kernel_timespec tick;
	uint64_t signal_buf[16];	/* struct signalfd_siginfo, aligned */
};

uint64_t agent_now_ns(void);

/* loop.c */
/* Blocks the signals the loop reads: before any thread starts, so all inherit it. */
int agent_block_signals(sigset_t *mask);
int agent_loop_init(struct agent *a);
void agent_loop_done(struct agent *a);
int agent_loop_run(struct agent *a);
/* Queues a lane command; errors are logged and returned. */
int agent_command(struct agent *a, uint32_t op, uint32_t arg, uint32_t timeout_ms,
		  uint64_t tag);
int agent_arm_camera(struct agent *a);

/* decide.c */
void agent_on_result(struct agent *a, const struct worker_result *r);
void agent_on_lane_event(struct agent *a, const struct egate_event *ev);
/* The AUTHORISE tagged tag completed: its outcome (> 0) or -errno. */
void agent_on_authorise_done(struct agent *a, uint64_t tag, int res);
void agent_on_tick(struct agent *a);

/* record.c */
void agent_log(struct agent *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* document_id: 1:1, the reference's document (NULL: none). */
int64_t agent_record_decision(struct agent *a, enum egate_decision decision,
			      const struct policy_decision *d, const char *document_id);
/* outcome: the driver's (enum egate_outcome), or -errno: the lane never authorised. */
void agent_record_passage(struct agent *a, int64_t decision_id, int64_t traveller_id,
			  int outcome);
/* The audit retention purge, now; schedules the next one. */
void agent_audit_purge(struct agent *a);

/* gallery.c */
int agent_gallery_load(struct agent *a);
void agent_gallery_check(struct agent *a);
const char *agent_label(const struct agent *a, int64_t traveller_id);
void agent_gallery_free(struct agent *a);

/* reference.c */
int agent_reference_init(struct agent *a, const char *lane);
/* Takes a new reference file, expires a stale one; the worker must be idle. */
void agent_reference_check(struct agent *a);
/* No reference: true, the frame is not to be decided on (logged once per face). */
bool agent_reference_missing(struct agent *a, const struct policy_frame *f);
/* The reference's document id, NULL if it has none. */
const char *agent_reference_document(const struct agent *a);
/* The decision is made: removes the reference, the lane waits for the next. */
void agent_reference_consume(struct agent *a);

/* camera.c */
/* Chooses the selector (command line, udev, egate.conf, auto) and the monitor. */
int agent_camera_init(struct agent *a, const struct egate_conf *conf, const char *lane,
		      const char *camera_option, char *err, size_t err_size);
void agent_camera_done(struct agent *a);
/* Opens the camera if it is there now (at start). */
void agent_camera_look(struct agent *a);
/* The monitor said something: open the camera if it came back. */
void agent_camera_monitor_ready(struct agent *a);
/* The camera's fd is readable (or in error): hand a frame to the worker. */
void agent_camera_ready(struct agent *a, uint32_t generation, int poll_res);

#endif
