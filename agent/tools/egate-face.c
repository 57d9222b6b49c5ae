// SPDX-License-Identifier: MIT
/*
 * egate-face - run the egate face engine on image files.
 * See egate-face(1).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "egate-face.h"

int bench_main(int argc, char **argv, const char *models, int json);
int accuracy_main(int argc, char **argv, const char *models);

#define ERRLEN 512

static struct {
	int json;
	unsigned size;
	double threshold;
	double score;
	int k;
	const char *models;
	const char *gallery;
} opt = { .size = 0, .threshold = EGATE_FACE_DEFAULT_THRESHOLD, .k = 3 };

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: egate-face [OPTIONS] COMMAND IMAGE...\n"
		"\n"
		"Commands:\n"
		"  detect IMAGE...        face boxes and scores\n"
		"  landmarks IMAGE...     boxes and the 68 landmarks, plus quality measures\n"
		"  embed IMAGE...         128-D descriptor of every face\n"
		"  compare IMAGE1 IMAGE2  1:1 verification of the best face of each\n"
		"  identify PROBE GALLERY-IMAGE...\n"
		"                         1:N: every face of PROBE against the best face of\n"
		"                         each gallery image\n"
		"  bench [--quick] [IMAGE] per-stage timings beside anchors (IMAGE scaled\n"
		"                         into the 640x480 test frame; default a demo image)\n"
		"  accuracy [--canvas GREY] PEOPLE_DIR [GROUPS_DIR]\n"
		"                         EER, FNMR at FMR 1e-2/1e-3 over DIR/<person>/*,\n"
		"                         1:N identification on group photos\n"
		"\n"
		"Options:\n"
		"  -m, --models DIR       model folder (default $EGATE_MODELS)\n"
		"  -s, --size N           detector input size, multiple of 32 (default 416\n"
		"                         for files)\n"
		"      --score X          detector score threshold (default 0.5)\n"
		"  -t, --threshold X      match threshold (default 0.6)\n"
		"  -k N                   results per probe face for identify (default 3)\n"
		"  -j, --json             JSON output\n"
		"  -h, --help             this help\n");
}

static int die(int r, const char *msg)
{
	fprintf(stderr, "egate-face: %s\n", msg);
	return r < 0 ? 1 : r;
}

static int load_image(const char *path, struct egate_face_picture **pic)
{
	char err[ERRLEN] = "";
	int r = egate_face_picture_load(path, pic, err, sizeof(err));

	if (r < 0)
		fprintf(stderr, "egate-face: %s\n", err[0] ? err : strerror(-r));
	return r;
}

struct face {
	struct egate_face_detection det;
	struct egate_face_landmarks lm;
	struct egate_face_quality q;
	float desc[EGATE_FACE_DESCRIPTOR_DIM];
};

/* detect, then optional landmarks / descriptors; returns faces found */
static int analyse(struct egate_face_engine *e, const char *path, int level, struct face **out)
{
	struct egate_face_detection det[EGATE_FACE_MAX_FACES];
	struct egate_face_detect_opts o = { .input_size = opt.size ? opt.size : 416,
					     .score_threshold = opt.score };
	struct egate_face_picture *pic = NULL;
	struct egate_face_image img;
	struct face *f;
	int n, r;

	r = load_image(path, &pic);
	if (r < 0)
		return r;
	img = egate_face_picture_image(pic);
	n = egate_face_detect(e, &img, &o, det, EGATE_FACE_MAX_FACES);
	if (n < 0) {
		fprintf(stderr, "egate-face: %s: detection failed: %s\n", path, strerror(-n));
		egate_face_picture_free(pic);
		return n;
	}
	f = calloc(n ? n : 1, sizeof(*f));
	if (!f) {
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
			fprintf(stderr, "egate-face: %s: face %d: %s\n", path, i, strerror(-r));
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

static int cmd_per_image(struct egate_face_engine *e, int level, int argc, char **argv)
{
	int status = 0;

	if (opt.json)
		printf("[");
	for (int a = 0; a < argc; a++) {
		struct face *f = NULL;
		int n = analyse(e, argv[a], level, &f);

		if (n < 0) {
			status = 1;
			continue;
		}
		if (!n)
			fprintf(stderr, "egate-face: %s: no face found\n", argv[a]);
		if (opt.json) {
			printf("%s{\"image\":\"%s\",\"faces\":[", a ? "," : "", argv[a]);
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
					printf("],\"quality\":{\"inter_eye\":%.2f,\"yaw\":%.1f,\"pitch\":%.1f,"
					       "\"roll\":%.1f,\"sharpness\":%.1f,\"brightness\":%.1f,"
					       "\"contrast\":%.1f}", f[i].q.inter_eye, f[i].q.yaw, f[i].q.pitch,
					       f[i].q.roll, f[i].q.sharpness, f[i].q.brightness,
					       f[i].q.contrast);
				} else if (level == 1) {
					printf("    quality: inter-eye %.1f px, yaw %.0f, pitch %.0f, roll %.0f, "
					       "sharpness %.0f, brightness %.0f\n", f[i].q.inter_eye,
					       f[i].q.yaw, f[i].q.pitch, f[i].q.roll, f[i].q.sharpness,
					       f[i].q.brightness);
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
	int n1, n2, match;
	float d;

	if (argc != 2)
		return die(2, "compare needs two images");
	n1 = analyse(e, argv[0], 2, &f1);
	n2 = analyse(e, argv[1], 2, &f2);
	if (n1 < 0 || n2 < 0 || !n1 || !n2) {
		if (n1 == 0 || n2 == 0)
			fprintf(stderr, "egate-face: %s: no face found\n", n1 == 0 ? argv[0] : argv[1]);
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
	int np, status = 0;

	if (argc < 2)
		return die(2, "identify needs a probe and at least one gallery image");
	if (egate_face_gallery_new(EGATE_FACE_GALLERY_F32, argc, &g) < 0)
		return die(1, "out of memory");
	for (int a = 1; a < argc; a++) {
		struct face *f = NULL;
		int n = analyse(e, argv[a], 2, &f);

		if (n > 0)
			egate_face_gallery_add(g, (uint64_t)a, f[0].desc);
		else if (n == 0)
			fprintf(stderr, "egate-face: %s: no face found, not enrolled\n", argv[a]);
		free(f);
	}
	np = analyse(e, argv[0], 2, &probe);
	if (np <= 0) {
		if (!np)
			fprintf(stderr, "egate-face: %s: no face found\n", argv[0]);
		egate_face_gallery_free(g);
		return 1;
	}
	if (opt.json)
		printf("{\"probe\":\"%s\",\"faces\":[", argv[0]);
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

			if (opt.json)
				printf("%s{\"image\":\"%s\",\"distance\":%.6f,\"match\":%s}", j ? "," : "",
				       name, m[j].distance, ok ? "true" : "false");
			else
				printf("    %-40s %.4f%s\n", name, m[j].distance, ok ? "  match" : "");
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
	if (load_image(argv[0], &pic) < 0)
		return 1;
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

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "models", required_argument, NULL, 'm' },
		{ "size", required_argument, NULL, 's' },
		{ "score", required_argument, NULL, 'S' },
		{ "threshold", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct egate_face_engine *e = NULL;
	char err[ERRLEN] = "";
	const char *cmd;
	int c, r;

	while ((c = getopt_long(argc, argv, "+m:s:t:k:jh", lo, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'm':
			opt.models = optarg;
			break;
		case 's':
			opt.size = (unsigned)strtoul(optarg, &end, 10);
			if (*end || opt.size < EGATE_FACE_MIN_INPUT_SIZE ||
			    opt.size > EGATE_FACE_MAX_INPUT_SIZE || opt.size % 32)
				return die(2, "--size must be a multiple of 32 in 32..1024");
			break;
		case 'S':
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
			opt.k = atoi(optarg);
			if (opt.k < 1 || opt.k > 64)
				return die(2, "-k must be in 1..64");
			break;
		case 'j':
			opt.json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind++];
	argc -= optind;
	argv += optind;
	/* allow --json after the command too */
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) {
			opt.json = 1;
			memmove(&argv[i], &argv[i + 1], (argc - i) * sizeof(char *));
			argc--;
			i--;
		}
	if (!strcmp(cmd, "decode"))
		return cmd_decode(argc, argv);
	if (!strcmp(cmd, "bench"))
		return bench_main(argc, argv, opt.models, opt.json);
	if (!strcmp(cmd, "accuracy"))
		return accuracy_main(argc, argv, opt.models);
	if (strcmp(cmd, "detect") && strcmp(cmd, "landmarks") && strcmp(cmd, "embed") &&
	    strcmp(cmd, "compare") && strcmp(cmd, "identify")) {
		fprintf(stderr, "egate-face: unknown command '%s'\n", cmd);
		usage(stderr);
		return 2;
	}
	if (!argc)
		return die(2, "no image given");
	r = egate_face_engine_new(opt.models, &e, err, sizeof(err));
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
