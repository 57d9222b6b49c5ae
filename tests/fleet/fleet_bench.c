// SPDX-License-Identifier: GPL-2.0
/*
 * fleet_bench - the centre under a fleet (make bench; numbers, no
 * asserts).  One private PostgreSQL cluster (fsync off: the numbers are
 * the software's, not the disk's):
 *
 *   1. initial sync: FLEET_BENCH_TEMPLATES (default 100000) travellers of
 *      one template each, pulled by one new lane in batches of 5000;
 *   2. a fleet: FLEET_BENCH_LANES (default 200) lanes, each with
 *      FLEET_BENCH_RECORDS (default 600: an hour at 10 decisions a minute)
 *      unsent audit records, and a burst of FLEET_BENCH_CHANGES (default
 *      10000) gallery changes; every lane runs egate-sync --once at the
 *      same time.  Reported: records ingested per second, each lane's
 *      sync time (p50, p99: its lag after the burst), PostgreSQL's CPU,
 *      the archive's size per million records.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <libpq-fe.h>

#include "agent-run.h"
#include "egate-store.h"
#include "fleet-run.h"
#include "pg-cluster.h"

static unsigned int env_number(const char *name, unsigned int fallback)
{
	const char *v = getenv(name);

	return v && atoi(v) > 0 ? (unsigned int)atoi(v) : fallback;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int sql(PGconn *pg, const char *text)
{
	PGresult *res = PQexec(pg, text);
	int ok = PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		fprintf(stderr, "fleet-bench: %s: %s", text, PQerrorMessage(pg));
	PQclear(res);
	return ok ? 0 : -EIO;
}

static double sql_number(PGconn *pg, const char *text)
{
	PGresult *res = PQexec(pg, text);
	double v = PQresultStatus(res) == PGRES_TUPLES_OK ? atof(PQgetvalue(res, 0, 0)) : NAN;

	PQclear(res);
	return v;
}

/* n travellers of one random template each (little-endian floats in [1, 2)). */
static int enrol_many(PGconn *pg, unsigned int n)
{
	char text[512];

	snprintf(text, sizeof(text), "SELECT count(egate.enrol_traveller('t' || i, NULL,"
		 " ARRAY[(SELECT string_agg(decode(lpad(to_hex((random() * 65535)::int), 4, '0')"
		 " || to_hex(128 + (random() * 127)::int) || '3f', 'hex'), ''::bytea)"
		 " FROM generate_series(1, 128) WHERE i > 0)])) FROM generate_series(1, %u) i", n);
	return sql(pg, text);
}

/* CPU seconds of the cluster: the postmaster, its children alive and reaped. */
static double cluster_cpu_s(const struct pg_cluster *c)
{
	char path[128], line[1024];
	long tick = sysconf(_SC_CLK_TCK);
	unsigned long long total = 0;
	FILE *f;
	int pid = 0;

	snprintf(path, sizeof(path), "%s/data/postmaster.pid", c->dir);
	f = fopen(path, "re");
	if (!f || fscanf(f, "%d", &pid) != 1)
		pid = 0;
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	f = fopen(path, "re");
	for (int child = pid; child > 0; child = f && fscanf(f, "%d", &child) == 1 ? child : 0) {
		unsigned long long ut, st, cut, cst;
		FILE *s;

		snprintf(line, sizeof(line), "/proc/%d/stat", child);
		s = fopen(line, "re");
		if (s && fgets(line, sizeof(line), s) &&
		    sscanf(strrchr(line, ')') + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u"
			   " %llu %llu %llu %llu", &ut, &st, &cut, &cst) == 4)
			total += ut + st + cut + cst;
		if (s)
			fclose(s);
	}
	if (f)
		fclose(f);
	return (double)total / (double)tick;
}

static int records(const char *db, const char *lane, unsigned int n)
{
	struct egate_store *store;
	char err[256];
	int r;

	r = egate_store_open(db, &(struct egate_store_options){ .flags = EGATE_STORE_CREATE },
			     &store, err, sizeof(err));
	for (unsigned int i = 0; r >= 0 && i < n; i++)
		r = egate_store_audit_append(store, &(struct egate_audit_record){
			.kind = EGATE_AUDIT_DECISION, .lane = lane, .score = 0.4, .margin = 0.1,
			.quality = 0.9, .decision = i % 3 ? EGATE_DECISION_ADMIT :
			EGATE_DECISION_DENY }, NULL);
	egate_store_close(store);
	return r;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(void)
{
	unsigned int templates = env_number("FLEET_BENCH_TEMPLATES", 100000);
	unsigned int lanes = env_number("FLEET_BENCH_LANES", 200);
	unsigned int per_lane = env_number("FLEET_BENCH_RECORDS", 600);
	unsigned int changes = env_number("FLEET_BENCH_CHANGES", 10000);
	char conninfo[256], text[256], db[PATH_MAX], out[PATH_MAX], name[32];
	struct pg_cluster c;
	struct agent_env env;
	double t, cpu, *took;
	pid_t *pids;
	PGconn *pg;

	agent_env_init(&env);
	took = calloc(lanes, sizeof(*took));
	pids = calloc(lanes, sizeof(*pids));
	if (!took || !pids || pg_cluster_init(&c) < 0) {
		fprintf(stderr, "fleet-bench: no PostgreSQL 15 cluster (make deps)\n");
		return 1;
	}
	c.max_connections = lanes + 10;
	pg_cluster_stop(&c);
	pg_cluster_start(&c);
	pg = PQconnectdb(c.admin);
	snprintf(out, sizeof(out), "%s/out", env.dir);
	if (sql(pg, "CREATE DATABASE fleet") < 0)
		return 1;
	PQfinish(pg);
	pg = PQconnectdb(pg_cluster_conninfo(&c, "postgres", "fleet", conninfo));
	if (fleet_tool(env.bin, out, "egate-central", (const char *[]){ "--config", "/dev/null",
		"--central", conninfo, "migrate", NULL }) || sql(pg, "SELECT egate.register_lane"
		"('bench-initial', NULL)") < 0)
		return 1;

	t = now_s();
	enrol_many(pg, templates);
	printf("enrol %u travellers centrally (SQL): %.1f s\n", templates, now_s() - t);
	snprintf(db, sizeof(db), "%s/initial.db", env.dir);
	t = now_s();
	if (fleet_tool(env.bin, out, "egate-sync", (const char *[]){ "--config", "/dev/null",
		"--db", db, "--central", pg_cluster_conninfo(&c, "bench-initial", "fleet", text),
		"--batch", "5000", "--once", NULL })) {
		fprintf(stderr, "fleet-bench: %s", fleet_slurp(out));
		return 1;
	}
	t = now_s() - t;
	printf("initial sync of %u templates to a new lane: %.1f s (%.0f templates/s)\n",
	       templates, t, templates / t);
	unlink(db);
	sql(pg, "TRUNCATE egate.travellers, egate.templates, egate.gallery_changes,"
		" egate.audit_archive");

	for (unsigned int i = 0; i < lanes; i++) {
		snprintf(name, sizeof(name), "bench-%u", i);
		snprintf(text, sizeof(text), "SELECT egate.register_lane('%s', NULL)", name);
		snprintf(db, sizeof(db), "%s/%s.db", env.dir, name);
		if (sql(pg, text) < 0 || records(db, name, per_lane) < 0)
			return 1;
	}
	enrol_many(pg, changes);
	cpu = cluster_cpu_s(&c);
	t = now_s();
	for (unsigned int i = 0; i < lanes; i++) {
		snprintf(name, sizeof(name), "bench-%u", i);
		snprintf(db, sizeof(db), "%s/%s.db", env.dir, name);
		snprintf(out, sizeof(out), "%s/%s.out", env.dir, name);
		pids[i] = fleet_spawn(env.bin, out, "egate-sync", (const char *[]){ "--config",
			"/dev/null", "--db", db, "--central",
			pg_cluster_conninfo(&c, name, "fleet", text), "--once", NULL });
	}
	for (unsigned int done = 0; done < lanes; done++) {
		int status;
		pid_t pid = wait(&status);

		for (unsigned int i = 0; i < lanes; i++)
			if (pids[i] == pid)
				took[i] = now_s() - t;
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			fprintf(stderr, "fleet-bench: a lane's sync failed\n");
	}
	t = now_s() - t;
	cpu = cluster_cpu_s(&c) - cpu;
	qsort(took, lanes, sizeof(*took), by_value);
	printf("%u lanes at once, each %u records up and %u changes down: %.1f s\n", lanes,
	       per_lane, changes, t);
	printf("  records archived: %.0f (%.0f records/s)\n",
	       sql_number(pg, "SELECT count(*) FROM egate.audit_archive"),
	       sql_number(pg, "SELECT count(*) FROM egate.audit_archive") / t);
	printf("  per lane: p50 %.1f s, p99 %.1f s\n", took[lanes / 2], took[lanes * 99 / 100]);
	printf("  PostgreSQL CPU: %.1f s\n", cpu);
	printf("  archive size: %.0f MB per million records\n",
	       sql_number(pg, "SELECT pg_total_relation_size('egate.audit_archive')::float8"
			  " / 1e6 / count(*) * 1e6 FROM egate.audit_archive"));
	PQfinish(pg);
	pg_cluster_destroy(&c);
	agent_env_cleanup(&env);
	return 0;
}
