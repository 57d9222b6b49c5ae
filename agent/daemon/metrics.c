// SPDX-License-Identifier: GPL-2.0
/*
 * metrics.c - counters, admission latencies and the Prometheus textfile.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "egate-pad.h"
#include "lane.h"
#include "macro.h"
#include "metrics.h"

const char *metrics_stage_name(enum metrics_stage stage)
{
	static const char *const names[STAGE_COUNT] = {
		[STAGE_QUEUE] = "queue", [STAGE_DETECT] = "detect",
		[STAGE_LANDMARKS] = "landmarks", [STAGE_DESCRIPTOR] = "descriptor",
		[STAGE_SEARCH] = "search", [STAGE_COMMAND] = "command",
	};

	return names[stage];
}

void metrics_admission(struct metrics *m, const struct worker_timing *t, uint64_t command_ns)
{
	uint64_t bounds[STAGE_COUNT + 1] = {
		t->captured, t->started, t->detected, t->landmarked, t->described,
		t->searched, command_ns,
	};

	for (int i = 0; i < STAGE_COUNT; i++)
		m->stage_ns[i] += bounds[i + 1] > bounds[i] ? bounds[i + 1] - bounds[i] : 0;
	m->latency_us[m->latency_count++ % METRICS_LATENCY_SAMPLES] =
		command_ns > t->captured ? (uint32_t)((command_ns - t->captured) / 1000) : 0;
	m->dirty = true;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

uint32_t metrics_latency_quantile(const struct metrics *m, double p)
{
	size_t n = m->latency_count < METRICS_LATENCY_SAMPLES ? m->latency_count :
		   METRICS_LATENCY_SAMPLES;
	uint32_t sorted[METRICS_LATENCY_SAMPLES];

	if (!n)
		return 0;
	memcpy(sorted, m->latency_us, n * sizeof(sorted[0]));
	qsort(sorted, n, sizeof(sorted[0]), cmp_u32);
	return sorted[(size_t)(p * (double)(n - 1) + 0.5)];
}

static void write_counters(FILE *f, const char *lane, const char *name, const char *label,
			   const uint64_t *values, size_t n, const char *(*label_of)(uint32_t))
{
	fprintf(f, "# TYPE egate_%s_total counter\n", name);
	for (size_t i = 0; i < n; i++)
		if (values[i] || !strcmp(name, "decisions"))
			fprintf(f, "egate_%s_total{lane=\"%s\",%s=\"%s\"} %llu\n", name, lane,
				label, label_of((uint32_t)i), (unsigned long long)values[i]);
}

static const char *decision_label(uint32_t d)
{
	return egate_decision_name(d);
}

/* The lag behind the centre, for a lane fed by one (m->sync, fleet-lag.c). */
static void write_fleet_lag(FILE *f, const struct metrics *m, const char *lane)
{
	const struct egate_sync_state *s = &m->sync;

	if (!s->fleet)
		return;
	fprintf(f, "# TYPE egate_sync_versions_behind gauge\n"
		"egate_sync_versions_behind{lane=\"%s\"} %llu\n"
		"# TYPE egate_sync_records_unsent gauge\n"
		"egate_sync_records_unsent{lane=\"%s\"} %llu\n", lane,
		(unsigned long long)(s->central_version > s->gallery_version ?
				     s->central_version - s->gallery_version : 0),
		lane, (unsigned long long)s->records_unsent);
	if (!s->last_contact_us)
		return;	/* never: no sample */
	fprintf(f, "# TYPE egate_sync_last_contact_timestamp_seconds gauge\n"
		"egate_sync_last_contact_timestamp_seconds{lane=\"%s\"} %lld\n"
		"# TYPE egate_sync_last_contact_age_seconds gauge\n"
		"egate_sync_last_contact_age_seconds{lane=\"%s\"} %lld\n",
		lane, (long long)(s->last_contact_us / 1000000), lane,
		(long long)(m->sync_read_s - s->last_contact_us / 1000000));
}

static void write_pad(FILE *f, const struct metrics *m, const char *lane)
{
	uint64_t verdicts = m->pad_verdicts[EGATE_PAD_BONA_FIDE] + m->pad_verdicts[EGATE_PAD_ATTACK];

	fprintf(f, "# TYPE egate_pad_attacks_total counter\n"
		"egate_pad_attacks_total{lane=\"%s\"} %llu\n"
		"# TYPE egate_pad_verdicts_total counter\n", lane,
		(unsigned long long)m->pad_attacks);
	for (int v = EGATE_PAD_BONA_FIDE; v <= EGATE_PAD_ATTACK; v++)
		fprintf(f, "egate_pad_verdicts_total{lane=\"%s\",verdict=\"%s\"} %llu\n", lane,
			egate_pad_verdict_name(v), (unsigned long long)m->pad_verdicts[v]);
	fprintf(f, "# TYPE egate_pad_wait_seconds summary\n"
		"egate_pad_wait_seconds_sum{lane=\"%s\"} %.6f\n"
		"egate_pad_wait_seconds_count{lane=\"%s\"} %llu\n"
		"# TYPE egate_pad_feed_seconds_total counter\n"
		"egate_pad_feed_seconds_total{lane=\"%s\"} %.6f\n",
		lane, m->pad_wait_ns / 1e9, lane, (unsigned long long)verdicts,
		lane, m->pad_feed_ns / 1e9);
}

static void write_metrics(FILE *f, const struct metrics *m, const char *lane)
{
	static const double quantiles[] = { 0.5, 0.9, 0.99 };

	write_counters(f, lane, "decisions", "decision", m->decisions, EGATE_DECISION_COUNT,
		       decision_label);
	write_counters(f, lane, "passages", "outcome", m->outcomes, EGATE_OUT_COUNT,
		       lane_outcome_name);
	write_counters(f, lane, "alarms", "kind", m->alarms, EGATE_ALARM_COUNT,
		       lane_alarm_name);
	fprintf(f, "# TYPE egate_frames_processed_total counter\n"
		"egate_frames_processed_total{lane=\"%s\"} %llu\n"
		"# TYPE egate_frames_dropped_total counter\n"
		"egate_frames_dropped_total{lane=\"%s\"} %llu\n"
		"# TYPE egate_engine_errors_total counter\n"
		"egate_engine_errors_total{lane=\"%s\"} %llu\n"
		"# TYPE egate_lane_events_lost_total counter\n"
		"egate_lane_events_lost_total{lane=\"%s\"} %llu\n"
		"# TYPE egate_audit_failures_total counter\n"
		"egate_audit_failures_total{lane=\"%s\"} %llu\n"
		"# TYPE egate_audit_pending gauge\n"
		"egate_audit_pending{lane=\"%s\"} %llu\n"
		"# TYPE egate_verdicts_refused_total counter\n"
		"egate_verdicts_refused_total{lane=\"%s\"} %llu\n"
		"# TYPE egate_referrals_total counter\n"
		"egate_referrals_total{lane=\"%s\"} %llu\n"
		"# TYPE egate_camera_up gauge\n"
		"egate_camera_up{lane=\"%s\"} %d\n"
		"# TYPE egate_worker_stalled gauge\n"
		"egate_worker_stalled{lane=\"%s\"} %d\n",
		lane, (unsigned long long)m->frames_processed,
		lane, (unsigned long long)m->frames_dropped,
		lane, (unsigned long long)m->engine_errors,
		lane, (unsigned long long)m->lane_events_lost,
		lane, (unsigned long long)m->audit_failures,
		lane, (unsigned long long)m->audit_pending,
		lane, (unsigned long long)m->verdicts_refused,
		lane, (unsigned long long)m->referrals,
		lane, m->camera_up, lane, m->worker_stalled);
	fprintf(f, "# TYPE egate_admission_latency_seconds summary\n");
	for (size_t i = 0; i < ELEMENTSOF(quantiles); i++)
		fprintf(f, "egate_admission_latency_seconds{lane=\"%s\",quantile=\"%g\"} %.6f\n",
			lane, quantiles[i], metrics_latency_quantile(m, quantiles[i]) / 1e6);
	fprintf(f, "egate_admission_latency_seconds_count{lane=\"%s\"} %llu\n", lane,
		(unsigned long long)m->latency_count);
	fprintf(f, "# TYPE egate_admission_stage_seconds_total counter\n");
	for (int s = 0; s < STAGE_COUNT; s++)
		fprintf(f, "egate_admission_stage_seconds_total{lane=\"%s\",stage=\"%s\"} %.6f\n",
			lane, metrics_stage_name(s), m->stage_ns[s] / 1e9);
	write_fleet_lag(f, m, lane);
	write_pad(f, m, lane);
}

int metrics_write(struct metrics *m, const char *path, const char *lane)
{
	char tmp[PATH_MAX];
	_cleanup_fclose_ FILE *f = NULL;
	int fd, r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return -errno;
	/* 0640 whatever the umask: the directory's group (egate-metrics) may read it */
	if (fchmod(fd, 0640) < 0 || !(f = fdopen(fd, "w"))) {
		r = -errno;
		close(fd);
		unlink(tmp);
		return r;
	}
	write_metrics(f, m, lane);
	if (fflush(f) || ferror(f))
		r = -EIO;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	else
		m->dirty = false;
	return r;
}
