// SPDX-License-Identifier: MIT
/*
 * egate-face - run the egate face engine on image files.
 * See egate-face(1).
 */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unistd.h>

#include "egate-face.h"
#include "tool.h"

#define ERRLEN 512
/* where the models are looked for after --models and $EGATE_MODELS */
#define INSTALLED_MODELS "/usr/share/egate/models"
#define BUILD_TREE_MODELS "../../models/face-api/model"	/* from build/<kind>/bin */

static struct {
	int json;
	unsigned size;
	double threshold;
	double score;
	int k;
	const char *models;
	int quick;		/* bench */
	const char *stage;	/* bench */
	int canvas;		/* accuracy */
} opt = { .size = 0, .threshold = EGATE_FACE_DEFAULT_THRESHOLD, .k = 3, .canvas = -1 };

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: egate-face COMMAND [OPTIONS] IMAGE...\n"
		"\n"
		"Commands:\n"
		"  detect IMAGE...        face boxes and scores\n"
		"  landmarks IMAGE...     boxes and the 68 landmarks, plus quality measures\n"
		"  embed IMAGE...         128-D descriptor of every face\n"
		"  compare IMAGE1 IMAGE2  1:1 verification of the best face of each\n"
		"  identify PROBE GALLERY-IMAGE...\n"
		"                         1:N: every face of PROBE against the best face of\n"
		"                         each gallery image\n"
		"  bench [IMAGE]          per-stage timings beside anchors (IMAGE scaled\n"
		"                         into the 640x480 test frame; default a demo image)\n"
		"  accuracy PEOPLE_DIR [GROUPS_DIR]\n"
		"                         EER, FNMR at FMR 1e-2/1e-3 over DIR/<person>/*,\n"
		"                         1:N identification on group photos\n"
		"\n"
		"Options (before or after the command):\n"
		"  -m, --models DIR       model folder (default $EGATE_MODELS, else\n"
		"                         " INSTALLED_MODELS ", else the build tree's)\n"
		"  -s, --size N           detector input size, multiple of 32 (default 416\n"
		"                         for files)\n"
		"      --score X          detector score threshold (default 0.5)\n"
		"  -t, --threshold X      match threshold (default 0.6)\n"
		"  -k N                   results per probe face for identify (default 3)\n"
		"  -j, --json             JSON output; an input that fails is an object\n"
		"                         with an \"error\" member (exit status 1)\n"
		"      --quick            bench: fewer runs, no 1M gallery\n"
		"      --canvas GREY      accuracy: grey level of the canvas (default 128)\n"
		"  -h, --help             this help\n");
}

static int die(int r, const char *msg)
{
	fprintf(stderr, "egate-face: %s\n", msg);
	return r < 0 ? 1 : r;
}

/* prints S as a JSON string */
static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* an input that failed: its message on stderr, and in JSON an object */
static void report_failure(const char *what, const char *path, const char *why)
{
	fprintf(stderr, "egate-face: %s\n", why);
	if (!opt.json)
		return;
	printf("{\"%s\":", what);
	json_string(path);
	printf(",\"error\":");
	json_string(why);
	printf("}");
}

struct face {
	struct egate_face_detection det;
	struct egate_face_landmarks lm;
	struct egate_face_quality q;
	float desc[EGATE_FACE_DESCRIPTOR_DIM];
};

/* detect, then optional landmarks / descriptors; returns faces found, or a
 * negative errno with the reason in WHY */
static int analyse(struct egate_face_engine *e, const char *path, int level, struct face **out,
		   char *why, size_t whylen)
{
	struct egate_face_detection det[EGATE_FACE_MAX_FACES];
	struct egate_face_detect_opts o = { .input_size = opt.size ? opt.size : 416,
					     .score_threshold = opt.score };
	struct egate_face_picture *pic = NULL;
	struct egate_face_image img;
	char err[ERRLEN] = "";
	struct face *f;
	int n, r;

	r = egate_face_picture_load(path, &pic, err, sizeof(err));
	if (r < 0) {
		snprintf(why, whylen, "%s", err[0] ? err : strerror(-r));
		return r;
	}
	img = egate_face_picture_image(pic);
	n = egate_face_detect(e, &img, &o, det, EGATE_FACE_MAX_FACES);
	if (n < 0) {
		snprintf(why, whylen, "%s: detection failed: %s", path, strerror(-n));
		egate_face_picture_free(pic);
		return n;
	}
	f = calloc(n ? n : 1, sizeof(*f));
	if (!f) {
		snprintf(why, whylen, "%s: %s", path, strerror(ENOMEM));
		egate_face_picture_free(pic);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		f[i].det = det[i];
		if (level < 1)
			continue;
		r = egate_face_landmarks(e, &img, &det[i].box, &f[i].lm);
		if (r >= 0)
			r = egate_face_quality(&img, &f[i].lm, &f[i].q);
		if (r >= 0 && level >= 2)
			r = egate_face_descriptor(e, &img, &f[i].lm, f[i].desc);
		if (r < 0) {
			snprintf(why, whylen, "%s: face %d: %s", path, i, strerror(-r));
			free(f);
			egate_face_picture_free(pic);
			return r;
		}
	}
	egate_face_picture_free(pic);
	*out = f;
	return n;
}

static void print_box(const struct egate_face_detection *d)
{
	if (opt.json)
		printf("\"score\":%.6f,\"box\":[%.4f,%.4f,%.4f,%.4f]", d->score, d->box.x, d->box.y,
		       d->box.width, d->box.height);
	else
		printf("  score %.4f box x=%.1f y=%.1f w=%.1f h=%.1f\n", d->score, d->box.x, d->box.y,
		       d->box.width, d->box.height);
}

static void print_quality(const struct egate_face_quality *q)
{
	const struct { const char *name; double v; int decimals; } m[] = {
		{ "inter_eye", q->inter_eye, 2 },
		{ "yaw", q->pose.yaw, 1 }, { "pitch", q->pose.pitch, 1 }, { "roll", q->pose.roll, 1 },
		{ "pose_error", q->pose.error, 3 },
		{ "sharpness", q->sharpness, 1 }, { "sharpness_norm", q->sharpness_norm, 1 },
		{ "brightness", q->brightness, 1 }, { "contrast", q->contrast, 1 },
		{ "underexposed", q->underexposed, 3 }, { "overexposed", q->overexposed, 3 },
		{ "uniformity", q->uniformity, 3 },
		{ "eyes_open", q->eyes_open, 3 }, { "mouth_open", q->mouth_open, 3 },
	};

	printf(opt.json ? "\"quality\":{" : "    quality:");
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if (!opt.json)
			printf("%s %s %.*f", i ? "," : "", m[i].name, m[i].decimals, m[i].v);
		else if (isfinite(m[i].v))
			printf("%s\"%s\":%.*f", i ? "," : "", m[i].name, m[i].decimals, m[i].v);
		else
			printf("%s\"%s\":null", i ? "," : "", m[i].name);
	}
	printf(opt.json ? "}" : "\n");
}

static int cmd_per_image(struct egate_face_engine *e, int level, int argc, char **argv)
{
	int status = 0;

	if (opt.json)
		printf("[");
	for (int a = 0; a < argc; a++) {
		struct face *f = NULL;
		char why[ERRLEN];
		int n = analyse(e, argv[a], level, &f, why, sizeof(why));

		if (opt.json && a)
			printf(",");
		if (n < 0) {
			report_failure("image", argv[a], why);
			status = 1;
			continue;
		}
		if (!n)
			fprintf(stderr, "egate-face: %s: no face found\n", argv[a]);
		if (opt.json) {
			printf("{\"image\":");
			json_string(argv[a]);
			printf(",\"faces\":[");
		} else {
			printf("%s: %d face%s\n", argv[a], n, n == 1 ? "" : "s");
		}
		for (int i = 0; i < n; i++) {
			if (opt.json)
				printf("%s{", i ? "," : "");
			print_box(&f[i].det);
			if (level >= 1) {
				if (opt.json) {
					printf(",\"landmarks\":[");
					for (int p = 0; p < 68; p++)
						printf("%s[%.4f,%.4f]", p ? "," : "", f[i].lm.x[p], f[i].lm.y[p]);
					printf("],");
					print_quality(&f[i].q);
				} else if (level == 1) {
					print_quality(&f[i].q);
					for (int p = 0; p < 68; p++)
						printf("    %2d %.2f %.2f\n", p, f[i].lm.x[p], f[i].lm.y[p]);
				}
			}
			if (level >= 2) {
				printf(opt.json ? ",\"descriptor\":[" : "    descriptor:");
				for (int d = 0; d < EGATE_FACE_DESCRIPTOR_DIM; d++)
					printf(opt.json ? "%s%.7g" : "%s%.6f", opt.json && d ? "," : " ",
					       f[i].desc[d]);
				printf(opt.json ? "]" : "\n");
			}
			if (opt.json)
				printf("}");
		}
		if (opt.json)
			printf("]}");
		free(f);
	}
	if (opt.json)
		printf("]\n");
	return status;
}

static int cmd_compare(struct egate_face_engine *e, int argc, char **argv)
{
	struct face *f1 = NULL, *f2 = NULL;
	char why[ERRLEN];
	int n1, n2, match;
	float d;

	if (argc != 2)
		return die(2, "compare needs two images");
	n1 = analyse(e, argv[0], 2, &f1, why, sizeof(why));
	if (n1 > 0)
		n2 = analyse(e, argv[1], 2, &f2, why, sizeof(why));
	if (n1 <= 0 || n2 <= 0) {
		const char *bad = n1 <= 0 ? argv[0] : argv[1];

		if (!(n1 <= 0 ? n1 : n2))
			snprintf(why, sizeof(why), "%s: no face found", bad);
		report_failure("image", bad, why);
		if (opt.json)
			printf("\n");
		free(f1);
		free(f2);
		return 1;
	}
	match = egate_face_verify(f1[0].desc, f2[0].desc, (float)opt.threshold, &d);
	if (opt.json)
		printf("{\"distance\":%.6f,\"threshold\":%.4f,\"match\":%s}\n", d, opt.threshold,
		       match > 0 ? "true" : "false");
	else
		printf("distance %.4f: %s (threshold %.2f)\n", d, match > 0 ? "same person" :
		       "different people", opt.threshold);
	free(f1);
	free(f2);
	return match > 0 ? 0 : 3;
}

static int cmd_identify(struct egate_face_engine *e, int argc, char **argv)
{
	struct egate_face_gallery *g = NULL;
	struct face *probe = NULL;
	char why[ERRLEN];
	int np, status = 0, failed = 0;

	if (argc < 2)
		return die(2, "identify needs a probe and at least one gallery image");
	np = analyse(e, argv[0], 2, &probe, why, sizeof(why));
	if (np <= 0) {
		if (!np)
			snprintf(why, sizeof(why), "%s: no face found", argv[0]);
		report_failure("probe", argv[0], why);
		if (opt.json)
			printf("\n");
		return 1;
	}
	if (egate_face_gallery_new(EGATE_FACE_GALLERY_F32, argc, &g) < 0) {
		free(probe);
		return die(1, "out of memory");
	}
	if (opt.json) {
		printf("{\"probe\":");
		json_string(argv[0]);
		printf(",\"failed\":[");
	}
	for (int a = 1; a < argc; a++) {
		struct face *f = NULL;
		int n = analyse(e, argv[a], 2, &f, why, sizeof(why));

		if (n > 0) {
			egate_face_gallery_add(g, (uint64_t)a, f[0].desc);
		} else if (n == 0) {
			fprintf(stderr, "egate-face: %s: no face found, not enrolled\n", argv[a]);
		} else {
			if (opt.json && failed)
				printf(",");
			report_failure("image", argv[a], why);
			failed++;
			status = 1;
		}
		free(f);
	}
	if (opt.json)
		printf("],\"faces\":[");
	for (int i = 0; i < np; i++) {
		struct egate_face_search_opts so = { .k = (size_t)opt.k };
		struct egate_face_match m[64];
		int n = egate_face_gallery_search(g, probe[i].desc, &so, m, 64);

		if (n < 0) {
			status = 1;
			continue;
		}
		if (opt.json) {
			printf("%s{", i ? "," : "");
			print_box(&probe[i].det);
			printf(",\"matches\":[");
		} else {
			printf("face %d:\n", i);
			print_box(&probe[i].det);
		}
		for (int j = 0; j < n; j++) {
			const char *name = argv[m[j].id];
			int ok = m[j].distance < opt.threshold;

			if (opt.json) {
				printf("%s{\"image\":", j ? "," : "");
				json_string(name);
				printf(",\"distance\":%.6f,\"match\":%s}", m[j].distance,
				       ok ? "true" : "false");
			} else {
				printf("    %-40s %.4f%s\n", name, m[j].distance, ok ? "  match" : "");
			}
		}
		if (opt.json) {
			printf("],\"margin\":");
			if (n >= 2)
				printf("%.6f}", m[1].distance - m[0].distance);
			else
				printf("null}");
		} else if (n >= 2) {
			printf("    margin to runner-up %.4f\n", m[1].distance - m[0].distance);
		}
	}
	if (opt.json)
		printf("]}\n");
	free(probe);
	egate_face_gallery_free(g);
	return status;
}

/* hidden: write the decoded RGB (for scripts/face-reference) */
static int cmd_decode(int argc, char **argv)
{
	struct egate_face_picture *pic = NULL;
	struct egate_face_image img;
	FILE *f;

	if (argc != 2)
		return die(2, "decode IMAGE OUT.rgb");
	{
		char err[ERRLEN] = "";
		int r = egate_face_picture_load(argv[0], &pic, err, sizeof(err));

		if (r < 0)
			return die(1, err[0] ? err : strerror(-r));
	}
	img = egate_face_picture_image(pic);
	f = fopen(argv[1], "wb");
	if (!f || fwrite(img.rgb, 3 * (size_t)img.width, img.height, f) != img.height) {
		egate_face_picture_free(pic);
		if (f)
			fclose(f);
		return die(1, "cannot write output");
	}
	fclose(f);
	printf("%u %u\n", img.width, img.height);
	egate_face_picture_free(pic);
	return 0;
}

/* --models, else $EGATE_MODELS, else the installed models, else the build
 * tree's (beside the build/<kind>/bin/ this program runs from); NULL with
 * a message naming the places looked at when none has them. */
static const char *find_models(char *buf, size_t len)
{
	const char *env = getenv("EGATE_MODELS");
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if (opt.models)
		return opt.models;
	if (env && *env)
		return env;
	if (access(INSTALLED_MODELS "/face_recognition_model-weights_manifest.json", R_OK) == 0)
		return INSTALLED_MODELS;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		slash = strrchr(exe, '/');
		if (slash) {
			char probe[PATH_MAX + 128];

			slash[1] = 0;
			snprintf(buf, len, "%s" BUILD_TREE_MODELS, exe);
			snprintf(probe, sizeof(probe), "%s/face_recognition_model-weights_manifest.json",
				 buf);
			if (access(probe, R_OK) == 0)
				return buf;
		}
	}
	fprintf(stderr, "egate-face: no face models: give --models DIR or set $EGATE_MODELS "
		"(looked in " INSTALLED_MODELS " and %s" BUILD_TREE_MODELS ")\n",
		n > 0 ? exe : "<program folder>/");
	return NULL;
}

static int parse_options(int argc, char **argv)
{
	enum { OPT_SCORE = 0x100, OPT_QUICK, OPT_STAGE, OPT_CANVAS };
	static const struct option lo[] = {
		{ "models", required_argument, NULL, 'm' },
		{ "size", required_argument, NULL, 's' },
		{ "score", required_argument, NULL, OPT_SCORE },
		{ "threshold", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "quick", no_argument, NULL, OPT_QUICK },
		{ "stage", required_argument, NULL, OPT_STAGE },	/* bench: profiling aid */
		{ "canvas", required_argument, NULL, OPT_CANVAS },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	/* GNU getopt permutes: options may follow the command and the images */
	while ((c = getopt_long(argc, argv, "m:s:t:k:jh", lo, NULL)) != -1) {
		char *end;
		long v;

		switch (c) {
		case 'm':
			opt.models = optarg;
			break;
		case 's':
			v = strtol(optarg, &end, 10);
			if (*end || v < EGATE_FACE_MIN_INPUT_SIZE || v > EGATE_FACE_MAX_INPUT_SIZE ||
			    v % 32)
				return die(2, "--size must be a multiple of 32 in 32..1024");
			opt.size = (unsigned)v;
			break;
		case OPT_SCORE:
			opt.score = strtod(optarg, &end);
			if (*end || !(opt.score > 0 && opt.score < 1))
				return die(2, "--score must be in (0,1)");
			break;
		case 't':
			opt.threshold = strtod(optarg, &end);
			if (*end || !(opt.threshold > 0 && opt.threshold < 10))
				return die(2, "--threshold must be in (0,10)");
			break;
		case 'k':
			v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 64)
				return die(2, "-k must be in 1..64");
			opt.k = (int)v;
			break;
		case 'j':
			opt.json = 1;
			break;
		case OPT_QUICK:
			opt.quick = 1;
			break;
		case OPT_STAGE:
			if (strcmp(optarg, "det320") && strcmp(optarg, "lm") && strcmp(optarg, "desc") &&
			    strcmp(optarg, "gallery"))
				return die(2, "--stage is one of det320, lm, desc, gallery");
			opt.stage = optarg;
			break;
		case OPT_CANVAS:
			v = strtol(optarg, &end, 10);
			if (*end || v < 0 || v > 255)
				return die(2, "--canvas takes a grey level 0..255");
			opt.canvas = (int)v;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct egate_face_engine *e = NULL;
	char err[ERRLEN] = "", buf[PATH_MAX + 64];
	const char *cmd, *models;
	int r;

	r = parse_options(argc, argv);
	if (r)
		return r;
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind++];
	argc -= optind;
	argv += optind;
	if ((opt.quick || opt.stage) && strcmp(cmd, "bench"))
		return die(2, "--quick and --stage are options of bench");
	if (opt.canvas >= 0 && strcmp(cmd, "accuracy"))
		return die(2, "--canvas is an option of accuracy");
	if (!strcmp(cmd, "decode"))
		return cmd_decode(argc, argv);
	if (strcmp(cmd, "detect") && strcmp(cmd, "landmarks") && strcmp(cmd, "embed") &&
	    strcmp(cmd, "compare") && strcmp(cmd, "identify") && strcmp(cmd, "bench") &&
	    strcmp(cmd, "accuracy")) {
		fprintf(stderr, "egate-face: unknown command '%s'\n", cmd);
		usage(stderr);
		return 2;
	}
	models = find_models(buf, sizeof(buf));
	if (!models)
		return 1;
	if (!strcmp(cmd, "bench"))
		return bench_main(argc, argv, models, opt.json, opt.quick, opt.stage);
	if (!strcmp(cmd, "accuracy"))
		return accuracy_main(argc, argv, models, opt.canvas >= 0 ? opt.canvas : 128);
	if (!argc)
		return die(2, "no image given");
	r = egate_face_engine_new(models, &e, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "egate-face: cannot load models: %s\n", err[0] ? err : strerror(-r));
		return 1;
	}
	if (!strcmp(cmd, "detect"))
		r = cmd_per_image(e, 0, argc, argv);
	else if (!strcmp(cmd, "landmarks"))
		r = cmd_per_image(e, 1, argc, argv);
	else if (!strcmp(cmd, "embed"))
		r = cmd_per_image(e, 2, argc, argv);
	else if (!strcmp(cmd, "compare"))
		r = cmd_compare(e, argc, argv);
	else
		r = cmd_identify(e, argc, argv);
	egate_face_engine_free(e);
	return r;
}
