// SPDX-License-Identifier: GPL-2.0
/*
 * egate-central - the centre's tool (Documentation/fleet.md): the schema
 * of the central PostgreSQL store, its lanes, its travellers, and the
 * check of every lane's archived audit chain.  Run by the centre's
 * administrators as the role that owns the schema.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "central.h"
#include "egate-conf.h"
#include "pg.h"

struct options {
	const char *config_path;
	bool config_explicit;
	const char *central;
	const char *sql_dir;
	const char *models;
	const char *expires;
	const char *key;
	const char *reason;
	bool clear;
	bool json;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: egate-central [OPTIONS] COMMAND [ARGS]\n\n"
		"Commands:\n"
		"  migrate               create or bring up to date the central schema\n"
		"  lane-add NAME         register a lane and create its login role NAME\n"
		"                        (--key HEX: its audit public key, egate-audit keygen's)\n"
		"  lane-revoke NAME      the lane may no longer log in; its sessions end,\n"
		"                        its archive stays\n"
		"  lanes                 the lanes: last contact, versions, archive head\n"
		"  enrol LABEL PHOTO...  enrol a traveller centrally, one template per photo\n"
		"                        (one face each); prints the traveller id\n"
		"  revoke ID             remove a traveller and their templates; lanes\n"
		"                        delete them at their next sync\n"
		"  flag ID --reason TEXT refer the traveller to an officer: every lane\n"
		"                        denies them (reason \"referred\") and calls an\n"
		"                        officer after its next sync; --clear lifts it\n"
		"  verify                walk every lane's archived audit chain; exits 1\n"
		"                        when one is broken\n"
		"  alarms                what audit ingestion refused, newest first\n\n"
		"Options:\n"
		"  -C, --central CONN    a libpq connection string (default $EGATE_CENTRAL,\n"
		"                        else libpq's PG* variables)\n"
		"  -c, --config FILE     egate.conf for face.models (default "
		EGATE_CONF_DEFAULT_PATH ")\n"
		"  -m, --models DIR      enrol: face models (overrides face.models)\n"
		"  -e, --expires DATE    enrol: valid through YYYY-MM-DD\n"
		"  -k, --key HEX         lane-add: the lane's audit public key (64 hex digits)\n"
		"  -r, --reason TEXT     flag: why (kept at the centre, not sent to lanes)\n"
		"      --clear           flag: lift the referral\n"
		"      --sql DIR         migrate: the migrations (default %s)\n"
		"  -j, --json            output as JSON\n"
		"  -h, --help            this help\n", EGATE_CENTRAL_SQL_DIR);
}

static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_SQL = 0x100, OPT_CLEAR };
	static const struct option longopts[] = {
		{ "central", required_argument, NULL, 'C' },
		{ "config", required_argument, NULL, 'c' },
		{ "models", required_argument, NULL, 'm' },
		{ "expires", required_argument, NULL, 'e' },
		{ "key", required_argument, NULL, 'k' },
		{ "reason", required_argument, NULL, 'r' },
		{ "clear", no_argument, NULL, OPT_CLEAR },
		{ "sql", required_argument, NULL, OPT_SQL },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	*o = (struct options){ .config_path = EGATE_CONF_DEFAULT_PATH,
			       .central = getenv("EGATE_CENTRAL") ?: "",
			       .sql_dir = EGATE_CENTRAL_SQL_DIR };
	while ((c = getopt_long(argc, argv, "C:c:m:e:k:r:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'C':
			o->central = optarg;
			break;
		case 'c':
			o->config_path = optarg;
			o->config_explicit = true;
			break;
		case 'm':
			o->models = optarg;
			break;
		case 'e':
			o->expires = optarg;
			break;
		case 'k':
			o->key = optarg;
			break;
		case 'r':
			o->reason = optarg;
			break;
		case OPT_CLEAR:
			o->clear = true;
			break;
		case OPT_SQL:
			o->sql_dir = optarg;
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
	return optind < argc ? 0 : -EINVAL;
}

/* A query whose result is printed or checked by the caller; NULL: reported. */
static PGresult *query(PGconn *pg, const char *sql, int n, const char *const *params)
{
	char err[EGATE_ERRMSG_MAX];
	PGresult *res = pg_query(pg, sql, n, params, err, sizeof(err));

	if (!res)
		fprintf(stderr, "egate-central: %s\n", err);
	return res;
}

/* A one-value answer printed as itself, or {"name": value} with --json. */
static int print_one(PGresult *res, const char *name, bool json, bool quoted)
{
	const char *v = PQgetvalue(res, 0, 0);

	if (json)
		printf(quoted ? "{\"%s\":\"%s\"}\n" : "{\"%s\":%s}\n", name, v);
	else
		printf("%s\n", v);
	return 0;
}

/* Rows as a table, or as a JSON array of objects (numbers and booleans bare). */
static void print_rows(PGresult *res, bool json)
{
	int rows = PQntuples(res), cols = PQnfields(res);

	if (json)
		putchar('[');
	for (int i = 0; i < rows; i++) {
		if (json)
			printf("%s{", i ? "," : "");
		for (int j = 0; j < cols; j++) {
			const char *v = PQgetvalue(res, i, j);
			Oid type = PQftype(res, j);
			bool bare = type == 20 || type == 23 || type == 16;	/* int8, int4, bool */

			if (!json)
				printf("%s%s=%s", j ? " " : "", PQfname(res, j),
				       PQgetisnull(res, i, j) ? "-" : v);
			else if (PQgetisnull(res, i, j))
				printf("%s\"%s\":null", j ? "," : "", PQfname(res, j));
			else if (type == 16)
				printf("%s\"%s\":%s", j ? "," : "", PQfname(res, j),
				       *v == 't' ? "true" : "false");
			else
				printf(bare ? "%s\"%s\":%s" : "%s\"%s\":\"%s\"", j ? "," : "",
				       PQfname(res, j), v);
		}
		printf(json ? "}" : "\n");
	}
	if (json)
		printf("]\n");
}

static int cmd_enrol(PGconn *pg, const struct options *o, const char *models,
		     char *const *args, int n_args)
{
	_cleanup_pgresult_ PGresult *res = NULL;
	_cleanup_free_ char *templates = NULL;
	char err[EGATE_ERRMSG_MAX];
	int r;

	r = central_templates(models, args + 1, n_args - 1, &templates, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "egate-central: enrol: %s\n", err);
		return r;
	}
	res = query(pg, "SELECT egate.enrol_traveller($1, $2, $3)", 3,
		    (const char *[]){ args[0], o->expires, templates });
	return res ? print_one(res, "id", o->json, false) : -EIO;
}

/* A boolean function of one argument: false is "no such NAME". */
static int cmd_change(PGconn *pg, const char *sql, const char *arg, const char *what)
{
	_cleanup_pgresult_ PGresult *res = query(pg, sql, 1, (const char *[]){ arg });

	if (!res)
		return -EIO;
	if (strcmp(PQgetvalue(res, 0, 0), "t")) {
		fprintf(stderr, "egate-central: no such %s: %s\n", what, arg);
		return -ENOENT;
	}
	return 0;
}

static int cmd_flag(PGconn *pg, const struct options *o, const char *id)
{
	_cleanup_pgresult_ PGresult *res = NULL;
	const char *version;

	if (!o->reason || !o->reason[0]) {
		fprintf(stderr, "egate-central: flag: --reason is required: say why\n");
		return -EINVAL;
	}
	res = query(pg, "SELECT egate.refer_traveller($1, $2, $3)", 3,
		    (const char *[]){ id, o->clear ? "false" : "true", o->reason });
	if (!res)
		return -EIO;
	if (PQgetisnull(res, 0, 0)) {
		fprintf(stderr, "egate-central: no such traveller: %s\n", id);
		return -ENOENT;
	}
	version = PQgetvalue(res, 0, 0);
	if (o->json)
		printf("{\"id\":%s,\"referred\":%s,\"version\":%s}\n", id,
		       o->clear ? "false" : "true", version);
	else
		printf("traveller %s %s at gallery version %s\n", id,
		       o->clear ? "no longer referred" : "referred to an officer", version);
	return 0;
}

static int cmd_verify(PGconn *pg, bool json)
{
	_cleanup_pgresult_ PGresult *res = query(pg, "SELECT * FROM egate.verify_archive()", 0,
						 NULL);
	int broken = 0;

	if (!res)
		return -EIO;
	print_rows(res, json);
	for (int i = 0; i < PQntuples(res); i++)
		broken += !PQgetisnull(res, i, 3);
	return broken ? -EBADMSG : 0;
}

static int cmd_list(PGconn *pg, const char *sql, bool json)
{
	_cleanup_pgresult_ PGresult *res = query(pg, sql, 0, NULL);

	if (!res)
		return -EIO;
	print_rows(res, json);
	return 0;
}

static int run(PGconn *pg, const struct options *o, const char *models, const char *cmd,
	       char *const *args, int n)
{
	_cleanup_pgresult_ PGresult *res = NULL;
	char err[EGATE_ERRMSG_MAX];
	int r;

	if (!strcmp(cmd, "migrate") && n == 0) {
		r = central_migrate(pg, o->sql_dir, err, sizeof(err));
		if (r < 0)
			fprintf(stderr, "egate-central: migrate: %s\n", err);
		else if (o->json)
			printf("{\"applied\":%d}\n", r);
		else
			printf("%d migrations applied\n", r);
		return r;
	}
	if (!strcmp(cmd, "lane-add") && n == 1) {
		res = query(pg, "SELECT egate.register_lane($1, decode($2, 'hex'))", 2,
			    (const char *[]){ args[0], o->key });
		return res ? print_one(res, "lane", o->json, false) : -EIO;
	}
	if (!strcmp(cmd, "lane-revoke") && n == 1)
		return cmd_change(pg, "SELECT egate.revoke_lane($1)", args[0], "lane");
	if (!strcmp(cmd, "lanes") && n == 0)
		return cmd_list(pg, "SELECT name, revoked_at IS NOT NULL AS revoked,"
				" extract(epoch FROM now() - last_seen)::bigint AS last_seen_s,"
				" gallery_version, (SELECT coalesce(max(version), 0) FROM"
				" egate.gallery_changes) - gallery_version AS versions_behind,"
				" archived_seq FROM egate.lanes ORDER BY name", o->json);
	if (!strcmp(cmd, "enrol") && n >= 2)
		return cmd_enrol(pg, o, models, args, n);
	if (!strcmp(cmd, "revoke") && n == 1)
		return cmd_change(pg, "SELECT egate.revoke_traveller($1)", args[0], "traveller");
	if (!strcmp(cmd, "flag") && n == 1)
		return cmd_flag(pg, o, args[0]);
	if (!strcmp(cmd, "verify") && n == 0)
		return cmd_verify(pg, o->json);
	if (!strcmp(cmd, "alarms") && n == 0)
		return cmd_list(pg, "SELECT l.name AS lane, a.seq, a.problem, a.detail,"
				" a.raised_at FROM egate.audit_alarms a JOIN egate.lanes l"
				" ON l.id = a.lane_id ORDER BY a.id DESC", o->json);
	usage(stderr);
	return -EINVAL;
}

int main(int argc, char **argv)
{
	_cleanup_(egate_conf_freep) struct egate_conf *conf = NULL;
	_cleanup_pgconn_ PGconn *pg = NULL;
	char err[EGATE_ERRMSG_MAX];
	struct options o;
	int r;

	if (parse_options(argc, argv, &o) < 0) {
		usage(stderr);
		return EXIT_FAILURE;
	}
	r = egate_conf_new_from(o.config_path, o.config_explicit, &conf, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "egate-central: configuration: %s\n", err);
		return EXIT_FAILURE;
	}
	r = pg_connect(o.central, &pg, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "egate-central: central store: %s\n", err);
		return EXIT_FAILURE;
	}
	r = run(pg, &o, o.models ? o.models : egate_conf_settings(conf)->face.models,
		argv[optind], argv + optind + 1, argc - optind - 1);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
