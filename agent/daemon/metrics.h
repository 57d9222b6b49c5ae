/* SPDX-License-Identifier: GPL-2.0 */
/*
 * metrics.h - the agent's counters and latencies, written as a Prometheus
 * textfile (for node_exporter's textfile collector): the whole file is
 * written beside the target and renamed over it, so a reader never sees
 * half of it.  Every sample carries the lane's name as its lane label, so
 * that the textfiles of several lanes on one kiosk never clash; the file
 * is readable by the agent's group (0640), e.g. a metrics collector's.
 */
#ifndef EGATE_AGENT_METRICS_H
#define EGATE_AGENT_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "egate-store.h"
#include "egate-store-sync.h"
#include "uapi/linux/egate.h"
#include "worker.h"

#define METRICS_LATENCY_SAMPLES 1024	/* the newest admissions kept for quantiles */

enum metrics_stage {
	STAGE_QUEUE,		/* capture to the worker taking the frame */
	STAGE_DETECT,
	STAGE_LANDMARKS,	/* and quality */
	STAGE_DESCRIPTOR,
	STAGE_SEARCH,
	STAGE_COMMAND,		/* result to the gate command submitted */
	STAGE_COUNT
};

struct metrics {
	uint64_t decisions[EGATE_DECISION_COUNT];
	uint64_t outcomes[EGATE_OUT_COUNT];
	uint64_t alarms[EGATE_ALARM_COUNT];
	uint64_t frames_processed;
	uint64_t engine_errors;
	uint64_t frames_dropped;	/* by the cameras and the agent, copied in */
	uint64_t lane_events_lost;
	uint64_t audit_failures;	/* appends that failed (each attempt's first) */
	uint64_t audit_pending;		/* store jobs not yet done (gauge) */
	uint64_t verdicts_refused;	/* not carried out: no audit record in time */
	uint64_t referrals;		/* flagged travellers denied, officer called */
	struct egate_sync_state sync;	/* the fleet's lag, as last read (fleet-lag.c) */
	int64_t sync_read_s;		/* when, CLOCK_REALTIME */
	bool camera_up;			/* frames come (gauge) */
	bool worker_stalled;		/* a frame is taking too long (gauge) */
	/* capture timestamp -> gate command, per admission */
	uint32_t latency_us[METRICS_LATENCY_SAMPLES];
	uint64_t latency_count;
	uint64_t stage_ns[STAGE_COUNT];	/* summed over the same admissions */
	/* presentation-attack detection (pad-lane.c) */
	uint64_t pad_verdicts[3];	/* by enum egate_pad_verdict: bona fide, attack */
	uint64_t pad_attacks;		/* DENY presentation_attack */
	uint64_t pad_wait_ns;		/* first PAD frame to its verdict, capture times, summed */
	uint64_t pad_feed_ns;		/* time spent in egate_pad_feed */
	bool dirty;
};

/* An admission: the frame that decided it and when its command went. */
void metrics_admission(struct metrics *m, const struct worker_timing *t, uint64_t command_ns);
/* p in 0..1 of the kept latencies, microseconds; 0 when none. */
uint32_t metrics_latency_quantile(const struct metrics *m, double p);
/* Writes path atomically (path.tmp, mode 0640, then rename). */
int metrics_write(struct metrics *m, const char *path, const char *lane);
const char *metrics_stage_name(enum metrics_stage stage);

#endif
