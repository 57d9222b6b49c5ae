// SPDX-License-Identifier: GPL-2.0
/*
 * egate-sync - a lane's link to the central store (Documentation/fleet.md):
 * the gallery down from the centre into the lane's database, the audit log
 * up into the centre's archive.  Once, or every --period seconds as a
 * daemon that keeps going while the centre is away (the lane keeps its
 * gallery and its records, and catches up when the centre is back).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "egate-conf.h"
#include "egate-store-sync.h"
#include "pg.h"
#include "sync.h"

#define PERIOD_DEFAULT_S 30
#define PERIOD_MAX_S 86400
#define BUSY_TIMEOUT_MS 5000

DEFINE_POINTER_CLEANUP(struct egate_store, store_closep, egate_store_close)

struct options {
	const char *config_path;
	bool config_explicit;
	const char *db;
	const char *central;
	unsigned int period_s;
	unsigned int batch;
	bool json;
	const char *command;
};

static volatile sig_atomic_t stopping;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: egate-sync [OPTIONS] [once|run|status]\n\n"
		"Keeps a lane's gallery in step with the central store and archives the\n"
		"lane's audit log there.\n\n"
		"Commands:\n"
		"  once                 one round: pull the gallery, push the audit log\n"
		"                       (the same as --once)\n"
		"  run                  a round every --period seconds until stopped (default)\n"
		"  status               versions behind, records unsent, last contact\n\n"
		"Options:\n"
		"  -c, --config FILE    egate.conf for store.path and lane.name\n"
		"                       (default " EGATE_CONF_DEFAULT_PATH ")\n"
		"  -d, --db PATH        the lane's database (overrides store.path)\n"
		"  -C, --central CONN   the central store: a libpq connection string\n"
		"                       (default $EGATE_CENTRAL, else libpq's PG* variables)\n"
		"      --once           one round, then exit\n"
		"  -p, --period SECONDS run: between rounds (default %u, at most %u)\n"
		"  -b, --batch N        gallery changes, audit records per call\n"
		"                       (default %u, at most %u)\n"
		"  -j, --json           status: as one JSON object\n"
		"  -h, --help           this help\n",
		PERIOD_DEFAULT_S, PERIOD_MAX_S, SYNC_BATCH_DEFAULT, SYNC_BATCH_MAX);
}

static int parse_number(const char *s, unsigned int min, unsigned int max, unsigned int *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max)
		return -EINVAL;
	*ret = (unsigned int)v;
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_ONCE = 0x100 };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "central", required_argument, NULL, 'C' },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "period", required_argument, NULL, 'p' },
		{ "batch", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	*o = (struct options){ .config_path = EGATE_CONF_DEFAULT_PATH, .command = "run",
			       .period_s = PERIOD_DEFAULT_S, .batch = SYNC_BATCH_DEFAULT,
			       .central = getenv("EGATE_CENTRAL") ?: "" };
	while ((c = getopt_long(argc, argv, "c:d:C:p:b:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config_path = optarg;
			o->config_explicit = true;
			break;
		case 'd':
			o->db = optarg;
			break;
		case 'C':
			o->central = optarg;
			break;
		case OPT_ONCE:
			o->command = "once";
			break;
		case 'p':
			if (parse_number(optarg, 1, PERIOD_MAX_S, &o->period_s) < 0)
				return -EINVAL;
			break;
		case 'b':
			if (parse_number(optarg, 1, SYNC_BATCH_MAX, &o->batch) < 0)
				return -EINVAL;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		default:
			return -EINVAL;
		}
	}
	if (optind < argc)
		o->command = argv[optind++];
	if (optind < argc || (strcmp(o->command, "once") && strcmp(o->command, "run") &&
			      strcmp(o->command, "status")))
		return -EINVAL;
	return 0;
}

struct round {
	uint64_t changes, records, version;
	int64_t acked;
};

/* One round on job (connecting job->pg if needed): gallery down, audit up. */
static int sync_round(struct sync_job *job, const char *central, struct round *ret)
{
	struct egate_sync_state state;
	struct sync_hello hello;
	int r;

	if (job->pg && PQstatus(job->pg) != CONNECTION_OK) {
		PQfinish(job->pg);
		job->pg = NULL;
	}
	if (!job->pg) {
		r = pg_connect(central, &job->pg, job->err, job->err_size);
		if (r < 0)
			return r;
	}
	r = egate_store_sync_state(job->store, &state);
	if (r >= 0)
		r = sync_hello(job, state.gallery_version, &hello);
	if (r >= 0)
		r = egate_store_sync_contact(job->store, hello.central_version,
					     (int64_t)time(NULL) * 1000000);
	if (r >= 0)
		r = sync_gallery_down(job, &ret->changes);
	if (r >= 0)
		r = sync_audit_up(job, hello.archived_seq, &ret->records);
	if (r >= 0)
		r = egate_store_sync_state(job->store, &state);
	if (r >= 0)	/* the centre learns the version the lane reached */
		r = sync_hello(job, state.gallery_version, &hello);
	if (r >= 0)	/* and the lane the centre's, for its lag */
		r = egate_store_sync_contact(job->store, hello.central_version,
					     (int64_t)time(NULL) * 1000000);
	if (r < 0) {
		if (!job->err[0])
			snprintf(job->err, job->err_size, "%s", strerror(-r));
		return r;
	}
	ret->version = state.gallery_version;
	ret->acked = state.audit_acked_id;
	return 0;
}

static bool offline_error(int r)
{
	return r == -ECONNREFUSED || r == -ECONNRESET;
}

static int cmd_once(struct sync_job *job, const char *central)
{
	struct round round = { 0 };
	int r = sync_round(job, central, &round);

	if (r < 0) {
		fprintf(stderr, "egate-sync: %s%s\n", offline_error(r) ?
			"central store unreachable: " : "", job->err);
		return r;
	}
	printf("gallery: %" PRIu64 " changes, at version %" PRIu64 "; audit: %" PRIu64
	       " records sent, archived up to %" PRId64 "\n",
	       round.changes, round.version, round.records, round.acked);
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/*
 * Rounds until SIGTERM.  A failure is logged when it starts or changes, and
 * the return of the centre once: a lane offline for a day logs two lines.
 */
static int cmd_run(struct sync_job *job, const char *central, unsigned int period_s)
{
	struct sigaction sa = { .sa_handler = on_signal };
	char last[EGATE_ERRMSG_MAX] = "(start)";

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stopping) {
		struct round round = { 0 };
		struct timespec ts = { .tv_sec = period_s };
		int r;

		job->err[0] = 0;
		r = sync_round(job, central, &round);
		if (r < 0 && strcmp(job->err, last)) {
			fprintf(stderr, "egate-sync: %s%s%s\n", offline_error(r) ?
				"central store unreachable: " : "", job->err,
				offline_error(r) ? "; the lane keeps its gallery and its records" :
				"");
			snprintf(last, sizeof(last), "%s", job->err);
		} else if (r >= 0 && last[0]) {
			fprintf(stderr, "egate-sync: central store reachable: gallery at version %"
				PRIu64 ", audit archived up to %" PRId64 "\n", round.version,
				round.acked);
			last[0] = 0;
		}
		if (r < 0) {	/* the next round starts on a fresh connection */
			PQfinish(job->pg);
			job->pg = NULL;
		}
		while (!stopping && nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	return 0;
}

int main(int argc, char **argv)
{
	_cleanup_(egate_conf_freep) struct egate_conf *conf = NULL;
	_cleanup_(store_closep) struct egate_store *store = NULL;
	char err[EGATE_ERRMSG_MAX] = "";
	const struct egate_settings *s;
	struct sync_job job;
	struct options o;
	bool status;
	int r;

	if (parse_options(argc, argv, &o) < 0) {
		usage(stderr);
		return EXIT_FAILURE;
	}
	r = egate_conf_new_from(o.config_path, o.config_explicit, &conf, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "egate-sync: configuration: %s\n", err);
		return EXIT_FAILURE;
	}
	s = egate_conf_settings(conf);
	status = !strcmp(o.command, "status");
	/* Status only reads; the sync creates the lane's database if need be. */
	r = egate_store_open(o.db ? o.db : s->store.path, &(struct egate_store_options){
		.flags = status ? EGATE_STORE_READ_ONLY : EGATE_STORE_CREATE,
		.busy_timeout_ms = BUSY_TIMEOUT_MS,
		.audit_group = egate_conf_audit_group(s) }, &store, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "egate-sync: %s\n", err);
		return EXIT_FAILURE;
	}
	job = (struct sync_job){
		.store = store, .batch = o.batch, .err = err, .err_size = sizeof(err),
		.actor = { .uid = (uint32_t)getuid(), .lane = s->lane.name },
	};
	if (status)
		r = sync_status(&job, o.central, s->lane.name, o.json);
	else if (!strcmp(o.command, "once"))
		r = cmd_once(&job, o.central);
	else
		r = cmd_run(&job, o.central, o.period_s);
	PQfinish(job.pg);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
