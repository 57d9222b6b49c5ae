// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - egate-agent: options, configuration, start-up checks (each
 * failing with one clear line and a non-zero exit, the lane left as the
 * driver keeps it: out of service and safe), the loop, orderly stop.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/prctl.h>
#include <sodium.h>
#include <systemd/sd-daemon.h>

#include "agent.h"
#include "macro.h"

#define DEFAULT_LANE "egate0"
#define OVERRIDES_MAX 64


struct options {
	const char *config_path;
	bool config_explicit;
	const char *overrides[OVERRIDES_MAX];
	unsigned int n_overrides;
	const char *models;
	const char *lane;
	const char *camera;
	bool check_only;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: egate-agent [OPTIONS] [LANE]\n"
		"Controls the e-gate lane /dev/LANE (default " DEFAULT_LANE "): recognises\n"
		"enrolled travellers on its camera, authorises their passage, audits it.\n\n"
		"  -c, --config FILE      configuration (default " EGATE_CONF_DEFAULT_PATH ";\n"
		"                         without one, the defaults)\n"
		"  -s, --set SEC.KEY=VAL  override one setting (repeatable)\n"
		"  -m, --models DIR       face models folder (overrides face.models)\n"
		"      --camera SELECTOR  the lane's camera (overrides udev's EGATE_CAMERA\n"
		"                         and [cameras]): auto, /dev/..., name:N, path:ID_PATH\n"
		"      --check-config     validate the configuration and exit\n"
		"  -h, --help             this help\n\n"
		"The lane is named after LANE unless lane.name is set.  It is taken out of\n"
		"service while decisions cannot be audited, the camera sends no frames or the\n"
		"face worker is stuck, and comes back by itself.\n\n"
		"Signals: SIGTERM/SIGINT stop (the lane goes out of service), SIGHUP reloads\n"
		"the gallery.  See egate-agent(8).\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_CHECK = 0x100, OPT_CAMERA };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "set", required_argument, NULL, 's' },
		{ "models", required_argument, NULL, 'm' },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "camera", required_argument, NULL, OPT_CAMERA },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	o->config_path = EGATE_CONF_DEFAULT_PATH;
	while ((c = getopt_long(argc, argv, "c:s:m:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config_path = optarg;
			o->config_explicit = true;
			break;
		case 's':
			if (o->n_overrides == OVERRIDES_MAX) {
				fprintf(stderr, "egate-agent: at most %d --set\n", OVERRIDES_MAX);
				return -E2BIG;
			}
			o->overrides[o->n_overrides++] = optarg;
			break;
		case 'm':
			o->models = optarg;
			break;
		case OPT_CHECK:
			o->check_only = true;
			break;
		case OPT_CAMERA:
			o->camera = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (argc - optind > 1) {
		usage(stderr);
		return -EINVAL;
	}
	o->lane = optind < argc ? argv[optind] : DEFAULT_LANE;
	return 0;
}

static int load_config(const struct options *o, struct egate_conf **ret)
{
	_cleanup_(egate_conf_freep) struct egate_conf *conf = NULL;
	char err[EGATE_ERRMSG_MAX];
	char models[PATH_MAX + 16];
	int r;

	r = egate_conf_new_from(o->config_path, o->config_explicit, &conf, err, sizeof(err));
	for (unsigned int i = 0; r >= 0 && i < o->n_overrides; i++)
		r = egate_conf_set(conf, o->overrides[i], err, sizeof(err));
	if (r >= 0 && o->models) {
		snprintf(models, sizeof(models), "face.models=%s", o->models);
		r = egate_conf_set(conf, models, err, sizeof(err));
	}
	if (r >= 0 && egate_conf_settings(conf)->face.input_size % 32) {
		snprintf(err, sizeof(err), "face.input_size must be a multiple of 32");
		r = -EINVAL;
	}
	if (r < 0) {
		fprintf(stderr, "egate-agent: configuration: %s\n", err);
		return r;
	}
	*ret = TAKE_PTR(conf);
	return 0;
}

/*
 * The lane's name in the audit log, the journal and the metrics: lane.name,
 * or the lane device's ("egate1", the unit's instance) while lane.name is
 * left at its default, so that the lanes of one kiosk never share a name.
 */
static const char *lane_name(const struct egate_settings *s, const char *device)
{
	_cleanup_(egate_conf_freep) struct egate_conf *defaults = NULL;

	if (egate_conf_new(&defaults) < 0 ||
	    strcmp(s->lane.name, egate_conf_settings(defaults)->lane.name))
		return s->lane.name;
	return device;
}

/*
 * The store's thread, signing the audit chain with store.audit_key: no key
 * file is a warning (the chain is kept, unsigned); a key that cannot be
 * used (others may read it, malformed) stops the agent.
 */
static int agent_store_worker_start(struct agent *a)
{
	const struct egate_settings *s = a->settings;
	struct store_signing signing = {
		.every_records = s->store.audit_checkpoint_records,
		.every_s = s->store.audit_checkpoint_s,
	};
	char err[EGATE_ERRMSG_MAX] = "";
	bool signs = true;
	int r;

	r = egate_reference_secret_load(s->store.audit_key, signing.secret_key, err, sizeof(err));
	if (r == -ENOENT) {
		agent_logp(a, LOG_WARNING, "audit key %s: none; the audit chain is not signed"
			   " (egate-audit keygen makes one)", s->store.audit_key);
		signs = false;
	} else if (r < 0) {
		agent_log(a, "audit key %s: %s", s->store.audit_key, err);
		return r;
	}
	r = store_worker_new(a->store, signs ? &signing : NULL, &a->store_worker);
	sodium_memzero(&signing, sizeof(signing));
	if (r < 0)
		agent_log(a, "store worker: %s", strerror(-r));
	return r;
}

static int agent_start(struct agent *a, const struct egate_conf *conf, const char *lane,
		       const char *camera)
{
	const struct egate_settings *s = a->settings;
	struct policy_config pc = {
		.threshold = s->decision.threshold,
		.margin = s->decision.margin,
		.min_quality = s->decision.min_quality,
		.min_face_px = s->decision.min_face_px,
		.frames = s->decision.frames,
		.unknown_timeout_ns = s->decision.unknown_timeout_s * 1000000000ull,
		.session_max_ns = s->decision.session_max_s * 1000000000ull,
	};
	const struct worker_zone zone = {
		.left = s->decision.zone_left, .right = s->decision.zone_right,
		.top = s->decision.zone_top, .bottom = s->decision.zone_bottom,
		.min_face_px = s->decision.min_face_px,
	};
	char err[EGATE_ERRMSG_MAX] = "";
	struct egate_status st;
	int r;

	r = egate_store_open(s->store.path, &(struct egate_store_options) {
				.flags = EGATE_STORE_CREATE,
				.busy_timeout_ms = s->store.busy_timeout_ms,
				.audit_group = egate_conf_audit_group(s) }, &a->store, err, sizeof(err));
	if (r < 0) {
		agent_log(a, "store %s: %s", s->store.path, err);
		return r;
	}
	agent_audit_purge(a);	/* in this thread: before the store worker */
	r = egate_face_engine_new(s->face.models, &a->engine, err, sizeof(err));
	if (r < 0) {
		agent_log(a, "face models: %s", err);
		return r;
	}
	/* 1:N searches the gallery; 1:1 only the document's reference. */
	r = a->verify ? agent_reference_init(a, lane) : agent_gallery_load(a);
	if (r < 0)
		return r;
	r = agent_store_worker_start(a);
	if (r < 0)
		return r;
	/* Threads are named after their creator: "egate-face" in top -H, ps -L. */
	prctl(PR_SET_NAME, "egate-face");
	r = worker_new(a->engine, s->face.input_size, s->face.threads, &a->worker);
	prctl(PR_SET_NAME, "egate-agent");
	if (r < 0) {
		agent_log(a, "face worker: %s", strerror(-r));
		return r;
	}
	worker_set_zone(a->worker, &zone);
	policy_init(&a->policy, &pc);
	r = agent_camera_init(a, conf, lane, camera, err, sizeof(err));
	if (r < 0) {
		agent_log(a, "camera: %s", err);
		return r;
	}
	r = agent_pad_init(a);
	if (r < 0)
		return r;
	/* Listening before the lane is claimed: no officer command unrecorded. */
	r = agent_officers_init(a);
	if (r < 0)
		return r;
	/* Last: claiming the lane puts it in service. */
	r = lane_open(&a->lane, lane, err, sizeof(err));
	if (r < 0) {
		agent_log(a, "lane: %s", err);
		return r;
	}
	r = agent_loop_init(a);
	if (r < 0) {
		agent_log(a, "event loop: %s", strerror(-r));
		return r;
	}
	if (lane_status(&a->lane, &st) == 0 && (st.flags & EGATE_STATUS_HB_LOST)) {
		agent_log(a, "lane: a previous controller missed its heartbeat; resetting");
		agent_command(a, EGATE_CMD_RESET, 0, 0, 0);
	}
	agent_camera_look(a);
	if (!a->camera.camera)
		agent_log(a, "camera '%s' not there yet: waiting for it", a->camera.selector);
	agent_log(a, "controlling /dev/%s (%s, %u beams), state %s", lane,
		  a->lane.info.topology == EGATE_TOPO_MANTRAP ? "mantrap" : "single",
		  a->lane.info.nbeams, lane_state_name(a->lane.state));
	return 0;
}

static void agent_stop(struct agent *a)
{
	unsigned int lost;

	agent_loop_done(a);
	agent_audit_stopping(a);
	agent_service_release(a);
	lane_close(&a->lane);	/* the driver takes the lane out of service */
	a->metrics.frames_dropped = agent_camera_dropped(a);
	agent_camera_done(a);
	agent_pad_done(a);
	worker_free(a->worker);
	officer_watch_free(a->officers);
	lost = store_worker_free(a->store_worker);	/* what is queued is tried once more */
	if (lost)
		agent_logp(a, LOG_ERR, "audit: %u records could not be written before stopping",
			   lost);
	agent_gallery_free(a);
	egate_face_engine_free(a->engine);
	egate_store_close(a->store);
	if (a->metrics_path[0])
		metrics_write(&a->metrics, a->metrics_path, a->lane_name);
}

int main(int argc, char **argv)
{
	_cleanup_(egate_conf_freep) struct egate_conf *conf = NULL;
	struct options o = { 0 };
	struct agent a = { .signal_fd = -1, .lane.fd = -1 };
	sigset_t mask;
	int r;

	r = parse_options(argc, argv, &o);
	if (r >= 0)
		r = load_config(&o, &conf);
	if (r < 0)
		return EXIT_FAILURE;
	if (o.check_only) {
		printf("egate-agent: configuration OK\n");
		return EXIT_SUCCESS;
	}
	a.settings = egate_conf_settings(conf);
	a.lane_name = lane_name(a.settings, o.lane);
	a.verify = a.settings->decision.mode == EGATE_MATCH_VERIFY;
	snprintf(a.metrics_path, sizeof(a.metrics_path), "%s", a.settings->metrics.textfile);
	setvbuf(stderr, NULL, _IOLBF, 0);

	r = agent_block_signals(&mask);
	if (r >= 0)
		r = agent_start(&a, conf, o.lane, o.camera);
	if (r >= 0) {
		if (sd_watchdog_enabled(0, &a.watchdog_usec) <= 0)
			a.watchdog_usec = 0;
		sd_notifyf(0, "READY=1\nSTATUS=controlling %s", o.lane);
		a.now_ns = monotonic_ns();
		agent_service_inherit(&a);
		agent_service_update(&a);	/* STATUS=, and out of service without a camera */
		r = agent_loop_run(&a);
		if (r < 0)
			agent_log(&a, "event loop failed: %s", strerror(-r));
		sd_notify(0, "STOPPING=1");
	}
	agent_stop(&a);
	if (r < 0 || a.exit_status) {
		agent_log(&a, "stopped with an error; the lane is out of service");
		return EXIT_FAILURE;
	}
	agent_log(&a, "stopped; the lane is out of service");
	return EXIT_SUCCESS;
}
