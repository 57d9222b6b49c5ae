// SPDX-License-Identifier: GPL-2.0
/*
 * egate-gallery - the gallery and audit log of egate-agent, for the
 * enrolment officer and the auditor: enrol a traveller from photos (only
 * the face templates are stored), list, delete (every template of theirs),
 * show the audit log.  A running agent picks changes up by itself.  For
 * integrators of 1:1 verification, it also makes a document reader's key
 * pair, and a signed reference file from a photo, as a document reader
 * would from a passport chip.  Enrolment photos must meet the portrait
 * criteria of portrait.c; --force enrols one that does not, and says so in
 * the audit record.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "egate-conf.h"
#include "egate-face.h"
#include "egate-reference.h"
#include "egate-store.h"
#include "macro.h"
#include "portrait.h"

#define ENROL_INPUT_SIZE 416	/* detector input for photos (egate-face's default) */
#define FACES_MAX 32
#define VALID_DEFAULT_S 60	/* a reference, from the document to the lane */
#define VALID_MAX_S 3600	/* decision.reference_max_age_s's largest */

DEFINE_POINTER_CLEANUP(struct egate_face_engine, engine_freep, egate_face_engine_free)
DEFINE_POINTER_CLEANUP(struct egate_face_picture, picture_freep, egate_face_picture_free)

struct options {
	const char *config_path;
	bool config_explicit;
	const char *db;
	const char *models;
	const char *expires;
	int face;		/* -1: the only face */
	int64_t after;
	const char *out;	/* reference, keygen: the file to write */
	const char *document_id;
	const char *key;	/* reference: the secret key file */
	const char *lane;	/* reference: the lane it is for */
	unsigned int valid_s;	/* reference: for how long */
	bool create;		/* create the database if it is missing */
	const char *reason;	/* enrol, delete: why, for the audit log */
	bool force;		/* enrol: past the portrait criteria */
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: egate-gallery [OPTIONS] COMMAND [ARGS]\n\n"
		"Commands:\n"
		"  enrol LABEL IMAGE...   enrol a traveller from photos (JPEG, PNG or\n"
		"                         JPEG 2000), one template per photo; prints the\n"
		"                         traveller id.  Each photo must meet the portrait\n"
		"                         criteria (eyes open, mouth closed, even light,\n"
		"                         no clipped exposure, sharp, head turned or\n"
		"                         tilted at most 30 degrees): the tool names the\n"
		"                         one failed, its measured value and its limit\n"
		"  list                   travellers: id, label, templates, expiry\n"
		"  delete ID              delete a traveller and every template of theirs\n"
		"                         (--reason required)\n"
		"  audit                  the audit log, oldest first (list and audit\n"
		"                         only read: a read-only copy will do)\n"
		"  reference PHOTO        write the signed 1:1 reference of the face in\n"
		"                         PHOTO (--out FILE --key FILE --lane LANE, and\n"
		"                         --id DOCID, --valid SECONDS): what a document\n"
		"                         reader gives the agent in decision.mode=verify\n"
		"  keygen                 make a document reader's key pair: the secret\n"
		"                         key into --out FILE (0600), the public key,\n"
		"                         for decision.reference_keys, on stdout\n\n"
		"Options:\n"
		"  -c, --config FILE      egate.conf for store.path and face.models\n"
		"                         (default " EGATE_CONF_DEFAULT_PATH ")\n"
		"  -d, --db PATH          the database (overrides store.path)\n"
		"      --create           enrol: create the database if it is missing\n"
		"                         (0600, or 0640 for store.audit_group)\n"
		"  -m, --models DIR       face models (overrides face.models)\n"
		"  -e, --expires DATE     enrol: valid through YYYY-MM-DD (UTC)\n"
		"  -f, --face N           enrol: in photos of several people, the Nth\n"
		"                         face from the left (0 = leftmost)\n"
		"  -a, --after ID         audit: only records after ID\n"
		"      --force            enrol: photos that fail the portrait criteria\n"
		"                         too; the audit record's reason says which\n"
		"      --reason TEXT      enrol, delete: why, in the audit log with the\n"
		"                         Unix user running the tool (delete needs it)\n"
		"  -o, --out FILE         reference: the file, replaced atomically;\n"
		"                         keygen: the secret key file, never replaced\n"
		"  -i, --id DOCID         reference: the document id (up to 63 printable bytes)\n"
		"  -k, --key FILE         reference: the secret key that signs it (keygen's)\n"
		"  -l, --lane LANE        reference: the lane it is for (egate0, ...)\n"
		"  -t, --valid SECONDS    reference: valid from now for SECONDS (default %u,\n"
		"                         at most the agent's decision.reference_max_age_s)\n"
		"  -h, --help             this help\n", VALID_DEFAULT_S);
}

/* The face (the only one, or the choice-th from the left) of the photo at
 * PATH: its descriptor, and its quality measures if QUALITY. */
static int face_of(struct egate_face_engine *e, const char *path, int choice, float *descriptor,
		   struct egate_face_quality *quality)
{
	_cleanup_(picture_freep) struct egate_face_picture *pic = NULL;
	struct egate_face_detect_opts opts = { .input_size = ENROL_INPUT_SIZE };
	struct egate_face_detection faces[FACES_MAX];
	struct egate_face_landmarks lm;
	struct egate_face_image img;
	char err[EGATE_ERRMSG_MAX];
	int n, pick = 0, r;

	r = egate_face_picture_load(path, &pic, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "egate-gallery: %s\n", err);
		return r;
	}
	img = egate_face_picture_image(pic);
	n = egate_face_detect(e, &img, &opts, faces, FACES_MAX);
	if (n < 0)
		return n;
	if (n == 0 || (choice < 0 && n > 1) || choice >= n) {
		fprintf(stderr, "egate-gallery: %s: %d faces%s\n", path, n,
			n > 1 ? "; choose one with --face N (0 = leftmost)" : "");
		return -ENOENT;
	}
	for (int i = 0; choice >= 0 && i < n; i++) {	/* the choice-th from the left */
		int left = 0;

		for (int j = 0; j < n; j++)
			left += faces[j].box.x < faces[i].box.x;
		if (left == choice)
			pick = i;
	}
	r = egate_face_landmarks(e, &img, &faces[pick].box, &lm);
	if (r >= 0)
		r = egate_face_descriptor(e, &img, &lm, descriptor);
	if (r >= 0 && quality)
		r = egate_face_quality(&img, &lm, quality);
	if (r < 0)
		fprintf(stderr, "egate-gallery: %s: %s\n", path, strerror(-r));
	return r;
}

static int engine_open(const char *models, struct egate_face_engine **ret)
{
	char err[EGATE_ERRMSG_MAX];
	int r = egate_face_engine_new(models, ret, err, sizeof(err));

	if (r < 0)
		fprintf(stderr, "egate-gallery: face models: %s\n", err);
	return r;
}

#define FORCED "forced past the portrait criteria"

/* Appends TEXT to the string in BUF (SIZE bytes) if it fits whole. */
static bool append(char *buf, size_t size, const char *text)
{
	size_t used = strlen(buf), n = strlen(text);

	if (used + n >= size)
		return false;
	memcpy(buf + used, text, n + 1);
	return true;
}

/*
 * The portrait criteria of photo INDEX (at PATH): each failure on stderr
 * with its measured value and limit and, when FORCE, appended short to
 * FORCED (SIZE bytes) as far as it fits.  Returns the number failed.
 */
static int check_portrait(const char *path, int index, const struct egate_face_quality *q,
			  bool force, char *forced, size_t size)
{
	struct portrait_failure f[PORTRAIT_CRITERIA_MAX];
	int n = portrait_check(q, f);
	char line[256];
	size_t n_line;

	for (int i = 0; i < n; i++) {
		portrait_failure_format(&f[i], false, line, sizeof(line));
		fprintf(stderr, "egate-gallery: %s: %s%s\n", path,
			force ? "not a portrait, overridden by --force: " : "not a portrait: ", line);
		if (!force)
			continue;
		snprintf(line, sizeof(line), "%s photo %d ", strchr(forced, ':') ? "," : ":",
			 index + 1);
		n_line = strlen(line);
		portrait_failure_format(&f[i], true, line + n_line, sizeof(line) - n_line);
		/* what does not fit is cut at a whole item, marked " ..." */
		if (!strstr(forced, " ...") && !append(forced, size, line))
			append(forced, size, " ...");
	}
	return n;
}

static int cmd_enrol(struct egate_store *store, const struct egate_store_actor *actor,
		     const struct options *o, const char *models, const char *label,
		     char **images, int n_images)
{
	_cleanup_(engine_freep) struct egate_face_engine *e = NULL;
	_cleanup_free_ float *templates = NULL;
	struct egate_store_actor forced_actor = *actor;
	/* the audit reason: FORCED and the failures, then "; " and --reason */
	char forced[EGATE_AUDIT_TEXT_MAX + 1] = FORCED;
	size_t own = o->reason ? strlen(o->reason) + 2 : 0;
	int64_t id;
	int r, failed = 0;

	if (n_images < 1 || n_images > EGATE_STORE_TEMPLATES_PER_TRAVELLER_MAX) {
		fprintf(stderr, "egate-gallery: enrol takes 1 to %d photos\n",
			EGATE_STORE_TEMPLATES_PER_TRAVELLER_MAX);
		return -EINVAL;
	}
	if (o->force && own + strlen(FORCED) + 4 >= sizeof(forced)) {
		fprintf(stderr, "egate-gallery: --reason: at most %zu bytes with --force\n",
			sizeof(forced) - strlen(FORCED) - 7);
		return -EINVAL;
	}
	r = engine_open(models, &e);
	if (r < 0)
		return r;
	templates = calloc((size_t)n_images * EGATE_TEMPLATE_DIM, sizeof(float));
	if (!templates)
		return -ENOMEM;
	for (int i = 0; i < n_images; i++) {
		struct egate_face_quality q;

		r = face_of(e, images[i], o->face, templates + (size_t)i * EGATE_TEMPLATE_DIM, &q);
		if (r < 0)
			return r;
		/* the room left for --reason is kept */
		failed += check_portrait(images[i], i, &q, o->force, forced, sizeof(forced) - own);
	}
	if (failed && !o->force) {
		fprintf(stderr, "egate-gallery: nothing enrolled; --force enrols photos that fail"
			" the portrait criteria, and says so in the audit log\n");
		return -EPERM;
	}
	if (failed) {
		if (o->reason) {
			append(forced, sizeof(forced), "; ");
			append(forced, sizeof(forced), o->reason);
		}
		forced_actor.reason = forced;
	}
	r = egate_store_enrol(store, &forced_actor, label, o->expires, templates, n_images, &id);
	if (r < 0) {
		fprintf(stderr, "egate-gallery: enrol: %s\n", egate_store_last_error(store));
		return r;
	}
	printf("%lld\n", (long long)id);
	return 0;
}

static int cmd_reference(const struct options *o, const char *models, const char *photo)
{
	_cleanup_(engine_freep) struct egate_face_engine *e = NULL;
	uint8_t secret[EGATE_REFERENCE_SECRET_SIZE];
	struct egate_reference ref = { 0 };
	char err[EGATE_ERRMSG_MAX];
	struct timespec now;
	int r;

	if (!o->out || !o->key || !o->lane) {
		fprintf(stderr, "egate-gallery: reference needs --out FILE, --key FILE and"
			" --lane LANE\n");
		return -EINVAL;
	}
	if (snprintf(ref.lane, sizeof(ref.lane), "%s", o->lane) >= (int)sizeof(ref.lane) ||
	    (o->document_id && snprintf(ref.document_id, sizeof(ref.document_id), "%s",
					o->document_id) >= (int)sizeof(ref.document_id))) {
		fprintf(stderr, "egate-gallery: a lane and a document id have at most %d bytes\n",
			EGATE_REFERENCE_ID_MAX);
		return -EINVAL;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	ref.not_before_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
	ref.not_after_us = ref.not_before_us + (int64_t)o->valid_s * 1000000;
	r = egate_reference_secret_load(o->key, secret, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "egate-gallery: --key %s\n", err);
		return r;
	}
	r = engine_open(models, &e);
	if (r >= 0)
		r = face_of(e, photo, o->face, ref.descriptor, NULL);
	if (r >= 0) {
		r = egate_reference_write(o->out, &ref, secret);
		if (r < 0)
			fprintf(stderr, "egate-gallery: %s: %s\n", o->out,
				r == -EINVAL ? "invalid lane or document id" : strerror(-r));
	}
	explicit_bzero(secret, sizeof(secret));
	return r;
}

static int cmd_keygen(const struct options *o)
{
	char public_hex[EGATE_REFERENCE_KEY_HEX + 1], err[EGATE_ERRMSG_MAX];
	int r;

	if (!o->out) {
		fprintf(stderr, "egate-gallery: keygen needs --out FILE for the secret key\n");
		return -EINVAL;
	}
	r = egate_reference_keygen(o->out, public_hex, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "egate-gallery: keygen: %s\n", err);
		return r;
	}
	printf("%s\n", public_hex);
	return 0;
}

static int print_traveller(const struct egate_traveller *t, void *userdata)
{
	time_t when = (time_t)(t->enrolled_us / 1000000);
	char date[32];
	struct tm tm;

	(void)userdata;
	gmtime_r(&when, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	printf("%-6lld %-24s %3u templates  enrolled %s  expires %s\n", (long long)t->id,
	       t->label, t->n_templates, date, t->expires ? t->expires : "never");
	return 0;
}

static void print_number(const char *name, double v)
{
	if (!isnan(v))
		printf(" %s=%.3f", name, v);
}

/* Traveller 0 is nobody the lane recognised. */
static void print_id(int64_t traveller_id)
{
	if (traveller_id)
		printf("%lld", (long long)traveller_id);
	else
		fputs("unknown", stdout);
}

static int print_record(const struct egate_audit_record *r, void *userdata)
{
	time_t when = (time_t)(r->time_us / 1000000);
	char date[32];
	struct tm tm;

	(void)userdata;
	gmtime_r(&when, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%-6lld %s %s", (long long)r->id, date, r->lane ? r->lane : "-");
	switch (r->kind) {
	case EGATE_AUDIT_DECISION:
		printf(" decision %s traveller ", egate_decision_name(r->decision));
		print_id(r->traveller_id);
		if (r->document_id)
			printf(" document %s", r->document_id);
		print_number("distance", r->score);
		if (r->candidate_id) {
			printf(" candidate %lld", (long long)r->candidate_id);
			print_number("candidate_distance", r->candidate_distance);
		}
		print_number("margin", r->margin);
		print_number("quality", r->quality);
		if (r->reason)
			printf(" reason %s", r->reason);
		if (r->detail)
			printf(" (%s)", r->detail);
		break;
	case EGATE_AUDIT_PASSAGE:
		printf(" passage %s traveller ", egate_passage_outcome_name(r->outcome));
		print_id(r->traveller_id);
		printf(" decision %lld", (long long)r->decision_id);
		break;
	case EGATE_AUDIT_PURGE:
		printf(" purge %s", r->detail ? r->detail : "");
		break;
	case EGATE_AUDIT_CHECKPOINT:
		printf(" checkpoint of record %lld", (long long)r->last_id);
		break;
	case EGATE_AUDIT_GALLERY:
	case EGATE_AUDIT_OFFICER:
		printf(" %s %s uid %u", egate_audit_kind_name(r->kind), r->action, r->actor_uid);
		if (r->traveller_id)
			printf(" traveller %lld", (long long)r->traveller_id);
		if (r->actor)
			printf(" operator \"%s\"", r->actor);
		if (r->reason)
			printf(" reason \"%s\"", r->reason);
		break;
	case EGATE_AUDIT_LANE_EVENT:
		printf(" lane_event %s", r->action);
		if (r->decision_id)
			printf(" decision %lld", (long long)r->decision_id);
		if (r->detail)
			printf(" (%s)", r->detail);
		break;
	default:
		break;
	}
	putchar('\n');
	return 0;
}

static bool read_only(const char *cmd)
{
	return !strcmp(cmd, "list") || !strcmp(cmd, "audit");
}

static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_CREATE = 0x100, OPT_REASON, OPT_FORCE };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "models", required_argument, NULL, 'm' },
		{ "expires", required_argument, NULL, 'e' },
		{ "face", required_argument, NULL, 'f' },
		{ "after", required_argument, NULL, 'a' },
		{ "out", required_argument, NULL, 'o' },
		{ "id", required_argument, NULL, 'i' },
		{ "key", required_argument, NULL, 'k' },
		{ "lane", required_argument, NULL, 'l' },
		{ "valid", required_argument, NULL, 't' },
		{ "create", no_argument, NULL, OPT_CREATE },
		{ "reason", required_argument, NULL, OPT_REASON },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char *end;
	long valid;
	int c;

	*o = (struct options) { .config_path = EGATE_CONF_DEFAULT_PATH, .face = -1,
				.valid_s = VALID_DEFAULT_S };
	while ((c = getopt_long(argc, argv, "c:d:m:e:f:a:o:i:k:l:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config_path = optarg;
			o->config_explicit = true;
			break;
		case 'd':
			o->db = optarg;
			break;
		case 'm':
			o->models = optarg;
			break;
		case 'e':
			o->expires = optarg;
			break;
		case 'f':
			o->face = (int)strtol(optarg, &end, 10);
			if (*end || o->face < 0 || o->face >= FACES_MAX)
				return -EINVAL;
			break;
		case 'a':
			o->after = strtoll(optarg, &end, 10);
			if (*end || o->after < 0)
				return -EINVAL;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'i':
			o->document_id = optarg;
			break;
		case 'k':
			o->key = optarg;
			break;
		case 'l':
			o->lane = optarg;
			break;
		case 't':
			valid = strtol(optarg, &end, 10);
			if (*end || valid < 1 || valid > VALID_MAX_S)
				return -EINVAL;
			o->valid_s = (unsigned int)valid;
			break;
		case OPT_REASON:
			o->reason = optarg;
			break;
		case OPT_CREATE:
			o->create = true;
			break;
		case OPT_FORCE:
			o->force = true;
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

int main(int argc, char **argv)
{
	_cleanup_(egate_conf_freep) struct egate_conf *conf = NULL;
	struct egate_store *store = NULL;
	const struct egate_settings *s;
	struct egate_store_actor actor;
	char err[EGATE_ERRMSG_MAX] = "";
	struct options o;
	const char *cmd;
	char **args;
	int n_args, r;

	if (parse_options(argc, argv, &o) < 0) {
		usage(stderr);
		return EXIT_FAILURE;
	}
	cmd = argv[optind];
	args = argv + optind + 1;
	n_args = argc - optind - 1;
	r = egate_conf_new_from(o.config_path, o.config_explicit, &conf, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "egate-gallery: configuration: %s\n", err);
		return EXIT_FAILURE;
	}
	s = egate_conf_settings(conf);
	/* Who acts is the Unix user running the tool, as the kernel says. */
	actor = (struct egate_store_actor){ .uid = (uint32_t)getuid(), .lane = s->lane.name,
					    .reason = o.reason };
	if (!strcmp(cmd, "delete") && !o.reason) {
		fprintf(stderr, "egate-gallery: delete needs --reason TEXT: why, for the audit log\n");
		return EXIT_FAILURE;
	}
	if (o.reason && (!*o.reason || strlen(o.reason) > EGATE_AUDIT_TEXT_MAX)) {
		fprintf(stderr, "egate-gallery: --reason: 1 to %d bytes\n", EGATE_AUDIT_TEXT_MAX);
		return EXIT_FAILURE;
	}
	if (!strcmp(cmd, "reference") && n_args == 1) {	/* no database involved */
		r = cmd_reference(&o, o.models ? o.models : s->face.models, args[0]);
		return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
	}
	if (!strcmp(cmd, "keygen") && n_args == 0)
		return cmd_keygen(&o) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
	/* Only an enrolment makes a database; reading writes nothing. */
	r = egate_store_open(o.db ? o.db : s->store.path, &(struct egate_store_options) {
				.flags = read_only(cmd) ? EGATE_STORE_READ_ONLY :
					 o.create && !strcmp(cmd, "enrol") ? EGATE_STORE_CREATE : 0,
				.busy_timeout_ms = s->store.busy_timeout_ms,
				.audit_group = egate_conf_audit_group(s) }, &store, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "egate-gallery: %s%s\n", err,
			r == -ENOENT && !o.create ? " (egate-gallery --create enrol makes one)" : "");
		return EXIT_FAILURE;
	}
	if (!strcmp(cmd, "enrol") && n_args >= 1) {
		r = cmd_enrol(store, &actor, &o, o.models ? o.models : s->face.models, args[0],
			      args + 1, n_args - 1);
	} else if (!strcmp(cmd, "list") && n_args == 0) {
		r = egate_store_list_travellers(store, print_traveller, NULL);
	} else if (!strcmp(cmd, "delete") && n_args == 1) {
		char *end;
		long long id = strtoll(args[0], &end, 10);

		r = *end || id <= 0 ? -EINVAL : egate_store_delete_traveller(store, &actor, id);
		if (r < 0)
			fprintf(stderr, "egate-gallery: delete %s: %s\n", args[0],
				r == -EINVAL ? "not a traveller id, or --reason too long" :
				r == -ENOENT ? "no such traveller" :
				r == -EAGAIN ? "deleted from the gallery, but another program's"
				" read keeps their templates in the database files: run the"
				" delete again when it is done" : egate_store_last_error(store));
	} else if (!strcmp(cmd, "audit") && n_args == 0) {
		r = egate_store_audit_foreach(store, o.after, print_record, NULL);
	} else {
		usage(stderr);
		r = -EINVAL;
	}
	egate_store_close(store);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
