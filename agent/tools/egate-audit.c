// SPDX-License-Identifier: GPL-2.0
/*
 * egate-audit - the auditor's tool for egate-agent's audit chain
 * (Documentation/audit.md): verify the chain and its signed checkpoints,
 * export records with their hashes for investigators, and make a lane's
 * checkpoint key.  Verify and export only read: a read-only copy will do.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>
#include <sodium.h>

#include "egate-conf.h"
#include "egate-reference.h"
#include "egate-store.h"
#include "macro.h"

/* Exit statuses, for scripts. */
#define EXIT_INTACT 0
#define EXIT_TAMPERED 1		/* verify found a problem */
#define EXIT_USAGE 2
#define EXIT_UNREADABLE 3	/* no database, no key, an I/O error */

#define HASH_HEX (2 * EGATE_AUDIT_HASH_SIZE)
#define KEY_HEX 64

DEFINE_POINTER_CLEANUP(struct egate_store, egate_store_closep, egate_store_close)
DEFINE_POINTER_CLEANUP(struct json_object, json_object_putp, json_object_put)

struct options {
	const char *config_path;
	bool config_explicit;
	const char *db;
	const char *key;	/* verify: hex or a file; keygen: the secret key file */
	const char *format;	/* export: jsonl or csv */
	int64_t since_us;
	bool json;
	struct egate_audit_verify_options verify;
	uint8_t public_key[32];
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: egate-audit [OPTIONS] COMMAND\n\n"
		"Commands:\n"
		"  verify                 walk the audit chain and its checkpoints;\n"
		"                         exit 0 intact, 1 tampered (the first problem\n"
		"                         and its record id on stdout), 3 unreadable\n"
		"  export                 the records, oldest first, each with its hash\n"
		"  keygen                 make a lane's checkpoint key: the secret key\n"
		"                         into --key FILE (0600), the public key on stdout\n\n"
		"Options:\n"
		"  -c, --config FILE      egate.conf for store.path (default "
		EGATE_CONF_DEFAULT_PATH ")\n"
		"  -d, --db PATH          the database (overrides store.path)\n"
		"  -k, --key KEY          verify: the lane's public key, 64 hex digits\n"
		"                         or a file holding them; keygen: the secret\n"
		"                         key file to write\n"
		"  -s, --since TIME       verify: start at the last signed checkpoint at\n"
		"                         or before TIME (needs --key); export: records\n"
		"                         from TIME; TIME is YYYY-MM-DD[THH:MM:SSZ] (UTC)\n"
		"                         or @SECONDS\n"
		"  -p, --published ID:HASH  verify: a checkpoint published in the journal\n"
		"                         (its EGATE_AUDIT_PUBLISHED field): the database\n"
		"                         must still hold it\n"
		"  -f, --format FORMAT    export: jsonl (default) or csv\n"
		"  -j, --json             verify: the result as one JSON object\n"
		"  -h, --help             this help\n");
}

static int parse_time(const char *text, int64_t *ret)
{
	struct tm tm = { 0 };
	const char *end;
	char *num_end;
	long long s;

	if (text[0] == '@') {
		errno = 0;
		s = strtoll(text + 1, &num_end, 10);
		if (errno || num_end == text + 1 || *num_end || s <= 0 || s > INT64_MAX / 1000000)
			return -EINVAL;
		*ret = s * 1000000;
		return 0;
	}
	end = strptime(text, "%Y-%m-%d", &tm);
	if (end && *end == 'T')
		end = strptime(end, "T%H:%M:%SZ", &tm);
	if (!end || *end)
		return -EINVAL;
	s = (long long)timegm(&tm);
	if (s <= 0)
		return -EINVAL;
	*ret = s * 1000000;
	return 0;
}

static int parse_hex(const char *text, uint8_t *out, size_t size)
{
	size_t used = 0;

	if (strlen(text) != 2 * size ||
	    sodium_hex2bin(out, size, text, 2 * size, NULL, &used, NULL) < 0 || used != size)
		return -EINVAL;
	return 0;
}

/* KEY: 64 hex digits, or a file whose first line is them. */
static int load_public_key(const char *key, uint8_t out[32])
{
	char line[KEY_HEX + 2] = "";
	FILE *f;

	if (parse_hex(key, out, 32) == 0)
		return 0;
	f = fopen(key, "re");
	if (!f) {
		fprintf(stderr, "egate-audit: --key %s: not %d hex digits, nor a file: %m\n",
			key, KEY_HEX);
		return -errno;
	}
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	if (parse_hex(line, out, 32) < 0) {
		fprintf(stderr, "egate-audit: %s: not a public key (%d hex digits)\n", key, KEY_HEX);
		return -EINVAL;
	}
	return 0;
}

static int parse_published(const char *text, struct egate_audit_verify_options *v)
{
	const char *colon = strchr(text, ':');
	char *end;
	long long id;

	if (!colon)
		return -EINVAL;
	errno = 0;
	id = strtoll(text, &end, 10);
	if (errno || end != colon || id <= 0)
		return -EINVAL;
	v->published_id = id;
	return parse_hex(colon + 1, v->published_hash, sizeof(v->published_hash));
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "since", required_argument, NULL, 's' },
		{ "published", required_argument, NULL, 'p' },
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	*o = (struct options){ .config_path = EGATE_CONF_DEFAULT_PATH, .format = "jsonl" };
	while ((c = getopt_long(argc, argv, "c:d:k:s:p:f:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config_path = optarg;
			o->config_explicit = true;
			break;
		case 'd':
			o->db = optarg;
			break;
		case 'k':
			o->key = optarg;
			break;
		case 's':
			if (parse_time(optarg, &o->since_us) < 0) {
				fprintf(stderr, "egate-audit: --since %s: not YYYY-MM-DD,"
					" YYYY-MM-DDTHH:MM:SSZ or @SECONDS\n", optarg);
				return -EINVAL;
			}
			break;
		case 'p':
			if (parse_published(optarg, &o->verify) < 0) {
				fprintf(stderr, "egate-audit: --published %s: not ID:HASH (%d hex"
					" digits)\n", optarg, HASH_HEX);
				return -EINVAL;
			}
			break;
		case 'f':
			if (strcmp(optarg, "jsonl") && strcmp(optarg, "csv")) {
				fprintf(stderr, "egate-audit: --format %s: jsonl or csv\n", optarg);
				return -EINVAL;
			}
			o->format = optarg;
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
	return optind == argc - 1 ? 0 : -EINVAL;
}

static void hex(const uint8_t *bin, size_t size, char *out)
{
	sodium_bin2hex(out, 2 * size + 1, bin, size);
}

static int cmd_verify(struct egate_store *store, struct options *o)
{
	struct egate_audit_verify_result res;
	char head[HASH_HEX + 1] = "";
	int r;

	if (o->key) {
		r = load_public_key(o->key, o->public_key);
		if (r < 0)
			return EXIT_UNREADABLE;
		o->verify.public_key = o->public_key;
	}
	if (o->since_us && !o->key) {
		fprintf(stderr, "egate-audit: --since needs --key: an unsigned start proves nothing\n");
		return EXIT_USAGE;
	}
	o->verify.since_us = o->since_us;
	r = egate_store_audit_verify(store, &o->verify, &res);
	if (r < 0) {
		fprintf(stderr, "egate-audit: verify: %s\n", egate_store_last_error(store));
		return EXIT_UNREADABLE;
	}
	if (res.head_id)
		hex(res.head, sizeof(res.head), head);
	if (o->json) {
		_cleanup_(json_object_putp) struct json_object *j = json_object_new_object();

		if (!j)
			return EXIT_UNREADABLE;
		json_object_object_add(j, "status", json_object_new_string(
			egate_audit_problem_name(res.problem)));
		json_object_object_add(j, "record_id", json_object_new_int64(res.record_id));
		if (res.problem == EGATE_AUDIT_MISSING_RANGE) {
			json_object_object_add(j, "missing_first", json_object_new_int64(res.missing_first));
			json_object_object_add(j, "missing_last", json_object_new_int64(res.missing_last));
		}
		json_object_object_add(j, "message", json_object_new_string(res.message));
		json_object_object_add(j, "records", json_object_new_int64((int64_t)res.records));
		json_object_object_add(j, "first_id", json_object_new_int64(res.first_id));
		json_object_object_add(j, "head_id", json_object_new_int64(res.head_id));
		json_object_object_add(j, "head", json_object_new_string(head));
		json_object_object_add(j, "checkpoints", json_object_new_int64((int64_t)res.checkpoints));
		json_object_object_add(j, "last_checkpoint_id",
				       json_object_new_int64(res.last_checkpoint_id));
		json_object_object_add(j, "signatures_checked",
				       json_object_new_boolean(o->verify.public_key != NULL));
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	} else if (res.problem == EGATE_AUDIT_OK) {
		printf("ok: %llu records, %lld..%lld, head %s\n"
		       "%llu checkpoints%s, the last at record %lld; records after it are not"
		       " signed yet\n", (unsigned long long)res.records, (long long)res.first_id,
		       (long long)res.head_id, head, (unsigned long long)res.checkpoints,
		       o->verify.public_key ? "" : " (signatures not checked: no --key)",
		       (long long)res.last_checkpoint_id);
	} else {
		printf("%s at record %lld: %s\n", egate_audit_problem_name(res.problem),
		       (long long)res.record_id, res.message);
	}
	return res.problem == EGATE_AUDIT_OK ? EXIT_INTACT : EXIT_TAMPERED;
}

struct export {
	const struct options *o;
	bool csv;
};

static const char *const csv_columns[] = {
	"id", "kind", "time_us", "lane", "traveller_id", "decision", "outcome", "decision_id",
	"score", "margin", "quality", "candidate_id", "candidate_distance", "document_id",
	"actor_uid", "actor", "action", "reason", "first_id", "last_id", "last_hash",
	"signature", "detail", "hash",
};

/* The record's fields as JSON values, in csv_columns' order (NULL: none). */
static void record_fields(const struct egate_audit_record *r, struct json_object **f)
{
	bool decision = r->kind == EGATE_AUDIT_DECISION, passage = r->kind == EGATE_AUDIT_PASSAGE;
	bool actor = r->kind == EGATE_AUDIT_GALLERY || r->kind == EGATE_AUDIT_OFFICER;
	char buf[2 * EGATE_AUDIT_SIGNATURE_SIZE + 1];
	size_t i = 0;

#define STR(s) ((s) ? json_object_new_string(s) : NULL)
#define NUM(x) (isnan(x) ? NULL : json_object_new_double(x))
#define ID(x) ((x) ? json_object_new_int64(x) : NULL)
	f[i++] = json_object_new_int64(r->id);
	f[i++] = STR(egate_audit_kind_name(r->kind));
	f[i++] = json_object_new_int64(r->time_us);
	f[i++] = STR(r->lane);
	f[i++] = ID(r->traveller_id);
	f[i++] = decision ? STR(egate_decision_name(r->decision)) : NULL;
	f[i++] = passage ? STR(egate_passage_outcome_name(r->outcome)) : NULL;
	f[i++] = ID(r->decision_id);
	f[i++] = decision ? NUM(r->score) : NULL;
	f[i++] = decision ? NUM(r->margin) : NULL;
	f[i++] = decision ? NUM(r->quality) : NULL;
	f[i++] = ID(r->candidate_id);
	f[i++] = r->candidate_id ? NUM(r->candidate_distance) : NULL;
	f[i++] = STR(r->document_id);
	f[i++] = actor ? json_object_new_int64(r->actor_uid) : NULL;
	f[i++] = STR(r->actor);
	f[i++] = STR(r->action);
	f[i++] = STR(r->reason);
	f[i++] = ID(r->first_id);
	f[i++] = ID(r->last_id);
	if (r->last_hash)
		hex(r->last_hash, EGATE_AUDIT_HASH_SIZE, buf);
	f[i++] = r->last_hash ? json_object_new_string(buf) : NULL;
	if (r->signature)
		hex(r->signature, EGATE_AUDIT_SIGNATURE_SIZE, buf);
	f[i++] = r->signature ? json_object_new_string(buf) : NULL;
	f[i++] = STR(r->detail);
	if (r->hash)
		hex(r->hash, EGATE_AUDIT_HASH_SIZE, buf);
	f[i++] = r->hash ? json_object_new_string(buf) : NULL;
#undef STR
#undef NUM
#undef ID
}

/* A CSV field: quoted when it holds a comma, quote or line break. */
static void csv_field(const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

static int export_record(const struct egate_audit_record *r, void *userdata)
{
	const struct export *e = userdata;
	struct json_object *f[ELEMENTSOF(csv_columns)];
	_cleanup_(json_object_putp) struct json_object *obj = NULL;

	if (r->time_us < e->o->since_us)
		return 0;
	record_fields(r, f);
	if (e->csv) {
		for (size_t i = 0; i < ELEMENTSOF(f); i++) {
			if (i)
				putchar(',');
			if (f[i])
				csv_field(json_object_get_string(f[i]));
			json_object_put(f[i]);
		}
		putchar('\n');
		return 0;
	}
	obj = json_object_new_object();
	if (!obj)
		return -ENOMEM;
	for (size_t i = 0; i < ELEMENTSOF(f); i++)
		if (f[i])
			json_object_object_add(obj, csv_columns[i], f[i]);
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	return 0;
}

static int cmd_export(struct egate_store *store, const struct options *o)
{
	struct export e = { .o = o, .csv = !strcmp(o->format, "csv") };
	int r;

	if (e.csv)
		for (size_t i = 0; i < ELEMENTSOF(csv_columns); i++)
			printf("%s%s", i ? "," : "", csv_columns[i]);
	if (e.csv)
		putchar('\n');
	r = egate_store_audit_foreach(store, 0, export_record, &e);
	if (r < 0) {
		fprintf(stderr, "egate-audit: export: %s\n", egate_store_last_error(store));
		return EXIT_UNREADABLE;
	}
	return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_UNREADABLE;
}

static int cmd_keygen(const struct options *o)
{
	char public_hex[EGATE_REFERENCE_KEY_HEX + 1], err[EGATE_ERRMSG_MAX] = "";

	if (!o->key) {
		fprintf(stderr, "egate-audit: keygen needs --key FILE\n");
		return EXIT_USAGE;
	}
	if (egate_reference_keygen(o->key, public_hex, err, sizeof(err)) < 0) {
		fprintf(stderr, "egate-audit: keygen: %s\n", err);
		return EXIT_UNREADABLE;
	}
	puts(public_hex);
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	_cleanup_(egate_conf_freep) struct egate_conf *conf = NULL;
	_cleanup_(egate_store_closep) struct egate_store *store = NULL;
	char err[EGATE_ERRMSG_MAX] = "";
	const struct egate_settings *s;
	struct options o;
	const char *cmd;
	int r;

	if (parse_options(argc, argv, &o) < 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind];
	if (!strcmp(cmd, "keygen"))
		return cmd_keygen(&o);
	if (strcmp(cmd, "verify") && strcmp(cmd, "export")) {
		usage(stderr);
		return EXIT_USAGE;
	}
	r = egate_conf_new_from(o.config_path, o.config_explicit, &conf, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "egate-audit: configuration: %s\n", err);
		return EXIT_UNREADABLE;
	}
	s = egate_conf_settings(conf);
	r = egate_store_open(o.db ? o.db : s->store.path, &(struct egate_store_options) {
				.flags = EGATE_STORE_READ_ONLY,
				.busy_timeout_ms = s->store.busy_timeout_ms }, &store, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "egate-audit: %s\n", err);
		return EXIT_UNREADABLE;
	}
	if (sodium_init() < 0)
		return EXIT_UNREADABLE;
	return !strcmp(cmd, "verify") ? cmd_verify(store, &o) : cmd_export(store, &o);
}
