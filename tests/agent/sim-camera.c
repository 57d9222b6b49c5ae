// SPDX-License-Identifier: GPL-2.0
/*
 * egate-sim-camera - the demo's and the VM tests' camera, in two steps so
 * that the slow emulated VM never runs the face engine for it:
 *
 *   egate-sim-camera render OUT.rgb PHOTO FACE [PHOTO2 FACE2]
 *       (on the host) cuts the FACE-th face from the left out of PHOTO (and
 *       a second person beside it) into a 640x480 RGB24 camera frame;
 *   egate-sim-camera render-seq [--frames N] OUTDIR KIND PHOTO FACE [SEED]
 *       (on the host) a presentation of KIND (bona-fide, print, print-still,
 *       bent-print, screen-replay, eye-cutout) made from the FACE-th face of
 *       PHOTO by the sequence generator (agent/pad/sim): its first N frames
 *       (default all 60) at 15 frames/s, OUTDIR/NNN.rgb (640x480 RGB24) and NNN.z16 (the
 *       depth camera's frame registered to it, 640x480 uint16 little-endian
 *       millimetres, 0 = no measurement);
 *   egate-sim-camera play [--depth]
 *       (in the VM, root) loads vivid in HDMI loopback, as the VM tests do,
 *       prints "ready DEVNODE" ("ready COLOURNODE DEPTHNODE" with --depth: a
 *       second vivid instance streaming Y16 frames), then streams what
 *       standard input says, one command per line, each answered "ok":
 *       "show FRAME.rgb" (and FRAME.z16 on the depth node, if there is one;
 *       else the wall), "blank" (nobody: grey, the wall) or "play DIR" (a
 *       render-seq sequence, looped at 15 frames/s on both nodes until the
 *       next command).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <linux/videodev2.h>

#include "face-frame.h"
#include "macro.h"
#include "sim-seq.h"
#include "sim.h"
#include "vivid.h"

#define USAGE "usage: egate-sim-camera render OUT.rgb PHOTO FACE [PHOTO2 FACE2]\n" \
	"       egate-sim-camera render-seq [--frames N] OUTDIR KIND PHOTO FACE [SEED]\n" \
	"       egate-sim-camera play [--depth]\n"

static uint8_t frame[FACE_FRAME_BYTES];
static uint8_t depth[SIM_SEQ_Z16_BYTES];

static int write_file(const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "we");

	if (!f || fwrite(data, size, 1, f) != 1 || fclose(f)) {
		fprintf(stderr, "egate-sim-camera: cannot write %s\n", path);
		return -EIO;
	}
	return 0;
}

static int render(int argc, char **argv)
{
	struct egate_face_engine *e = NULL;
	char err[256];
	int r;

	if (argc != 5 && argc != 7) {
		fputs(USAGE, stderr);
		return 1;
	}
	r = egate_face_engine_new(NULL, &e, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "egate-sim-camera: %s\n", err);
		return 1;
	}
	r = argc == 5 ? face_frame_one(e, argv[3], atoi(argv[4]), frame) :
		face_frame_two(e, argv[3], atoi(argv[4]), argv[5], atoi(argv[6]), frame);
	egate_face_engine_free(e);
	if (r < 0) {
		fprintf(stderr, "egate-sim-camera: %s: %s\n", argv[3], strerror(-r));
		return 1;
	}
	return write_file(argv[2], frame, FACE_FRAME_BYTES) < 0;
}

static int parse_kind(const char *name, enum pad_sim_kind *kind)
{
	for (int k = 0; k < PAD_SIM_KINDS; k++)
		if (!strcmp(name, pad_sim_kind_name(k))) {
			*kind = k;
			return 0;
		}
	return -EINVAL;
}

/* the depth frame as the wire has it: little-endian */
static void to_le16(const uint16_t *z, uint8_t *out)
{
	for (size_t i = 0; i < SIM_SEQ_Z16_BYTES / 2; i++) {
		out[2 * i] = z[i] & 0xff;
		out[2 * i + 1] = z[i] >> 8;
	}
}

/* the sequence's first FRAMES frames into DIR */
static int write_seq(const struct pad_sim_face *face, const struct egate_face_image *photo,
		     const struct pad_sim_seq *seq, uint32_t frames, uint64_t seed,
		     const char *dir)
{
	_cleanup_free_ uint16_t *z = malloc(SIM_SEQ_Z16_BYTES);
	char path[4096];
	int r;

	if (!z)
		return -ENOMEM;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "egate-sim-camera: %s: %m\n", dir);
		return -errno;
	}
	for (uint32_t i = 0; i < frames; i++) {
		r = pad_sim_render(face, photo, seq, i, frame);
		if (r >= 0)
			r = pad_sim_depth_frame(face, seq, i, seed, z);
		if (r < 0) {
			fprintf(stderr, "egate-sim-camera: frame %u: %s\n", i, strerror(-r));
			return r;
		}
		to_le16(z, depth);
		if ((r = sim_seq_path(path, sizeof(path), dir, i, "rgb")) < 0 ||
		    (r = write_file(path, frame, FACE_FRAME_BYTES)) < 0 ||
		    (r = sim_seq_path(path, sizeof(path), dir, i, "z16")) < 0 ||
		    (r = write_file(path, depth, SIM_SEQ_Z16_BYTES)) < 0)
			return r;
	}
	return 0;
}

static int render_seq(int argc, char **argv)
{
	static const struct option options[] = {
		{ "frames", required_argument, NULL, 'n' },
		{},
	};
	struct pad_sim_params p = pad_sim_defaults;
	uint32_t frames = p.frames;
	struct egate_face_engine *e = NULL;
	struct egate_face_picture *pic = NULL;
	struct pad_sim_face *face = NULL;
	struct pad_sim_seq *seq = NULL;
	struct egate_face_landmarks lm;
	struct egate_face_image img;
	enum pad_sim_kind kind;
	uint64_t seed = 1;
	char err[256], *end;
	int c, r;

	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		unsigned long n = c == 'n' ? strtoul(optarg, &end, 10) : 0;

		if (c != 'n' || *end || n < 1 || n > SIM_SEQ_MAX_FRAMES) {
			fprintf(stderr, "egate-sim-camera: --frames: 1..%u\n", SIM_SEQ_MAX_FRAMES);
			return 1;
		}
		frames = n;
	}
	/* fewer frames: the first ones of the sequence, its motion unchanged */
	if (frames > p.frames)
		p.frames = frames;
	argc -= optind;
	argv += optind;
	if (argc != 4 && argc != 5) {
		fputs(USAGE, stderr);
		return 1;
	}
	if (parse_kind(argv[1], &kind) < 0) {
		fprintf(stderr, "egate-sim-camera: unknown kind '%s' (bona-fide, print, print-still,"
			" bent-print, screen-replay, eye-cutout)\n", argv[1]);
		return 1;
	}
	if (argc == 5) {
		seed = strtoull(argv[4], &end, 10);
		if (*end || !*argv[4]) {
			fprintf(stderr, "egate-sim-camera: seed '%s' is no number\n", argv[4]);
			return 1;
		}
	}
	r = egate_face_engine_new(NULL, &e, err, sizeof(err));
	if (r >= 0)
		r = egate_face_picture_load(argv[2], &pic, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "egate-sim-camera: %s\n", err);
		egate_face_engine_free(e);
		return 1;
	}
	img = egate_face_picture_image(pic);
	r = face_frame_landmarks(e, &img, atoi(argv[3]), &lm);
	if (r >= 0)
		r = pad_sim_face_new(&lm, &face);
	if (r >= 0)
		r = pad_sim_sequence(face, kind, seed, &p, 0, &seq);
	if (r < 0)
		fprintf(stderr, "egate-sim-camera: %s: face %s: %s\n", argv[2], argv[3],
			strerror(-r));
	else
		r = write_seq(face, &img, seq, frames, seed, argv[0]);
	pad_sim_seq_free(seq);
	pad_sim_face_free(face);
	egate_face_picture_free(pic);
	egate_face_engine_free(e);
	return r < 0;
}

/* the loopback of one vivid instance, connected and fed IMAGE in FOURCC */
static int start_node(const char *capture_name, const char *output_name, uint32_t fourcc,
		      const uint8_t *image, char capture[64], struct vivid_feeder **feeder)
{
	char output[64];
	int r;

	if ((r = vivid_find_node(capture_name, capture)) < 0 ||
	    (r = vivid_find_node(output_name, output)) < 0 ||
	    (r = vivid_connect(capture, output)) < 0)
		return r;
	return vivid_feeder_start(output, fourcc, image, feeder);
}

struct camera {
	struct vivid_feeder *colour, *depth;
	struct sim_seq *seq;
	struct sim_seq_player *player;
};

static void blank(void)
{
	face_frame_blank(frame);
	sim_seq_wall(depth, (uint16_t)pad_sim_defaults.background_mm);
}

/* FRAME.rgb, and FRAME.z16 beside it if there is one (else the wall) */
static int load_frame(const char *path)
{
	char z16[1100];
	size_t n = strlen(path);
	FILE *f;
	int r;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	r = fread(frame, FACE_FRAME_BYTES, 1, f) == 1 ? 0 : -EIO;
	fclose(f);
	sim_seq_wall(depth, (uint16_t)pad_sim_defaults.background_mm);
	if (r < 0 || n < 4 || strcmp(path + n - 4, ".rgb"))
		return r;
	snprintf(z16, sizeof(z16), "%.*s.z16", (int)(n - 4), path);
	f = fopen(z16, "re");
	if (!f)
		return 0;
	r = fread(depth, SIM_SEQ_Z16_BYTES, 1, f) == 1 ? 0 : -EIO;
	fclose(f);
	return r;
}

static int command(struct camera *cam, const char *line)
{
	char path[1024];
	int r;

	sim_seq_stop(cam->player);
	cam->player = NULL;
	sim_seq_free(cam->seq);
	cam->seq = NULL;
	if (!strcmp(line, "blank\n")) {
		blank();
	} else if (sscanf(line, "show %1023s", path) == 1) {
		r = load_frame(path);
		if (r < 0)
			return r;
	} else if (sscanf(line, "play %1023s", path) == 1) {
		r = sim_seq_load(path, &cam->seq);
		if (r < 0)
			return r;
		if (cam->depth && !cam->seq->z16)
			return -ENODATA;	/* a depth camera needs depth frames */
		return sim_seq_play(cam->seq, cam->colour, cam->depth, &cam->player);
	} else {
		return -EINVAL;
	}
	vivid_feeder_show(cam->colour, frame);
	if (cam->depth)
		vivid_feeder_show(cam->depth, depth);
	return 0;
}

static int play(bool with_depth)
{
	struct camera cam = { 0 };
	char colour[64], depth_node[64], line[1200];
	int r;

	blank();
	r = vivid_load(with_depth ? 2 : 1);
	if (r >= 0)
		r = start_node(VIVID_CAPTURE_NAME, VIVID_OUTPUT_NAME, V4L2_PIX_FMT_RGB24, frame,
			       colour, &cam.colour);
	if (r >= 0 && with_depth)
		r = start_node(VIVID_DEPTH_CAPTURE_NAME, VIVID_DEPTH_OUTPUT_NAME,
			       VIVID_DEPTH_FOURCC, depth, depth_node, &cam.depth);
	if (r < 0) {
		fprintf(stderr, "egate-sim-camera: vivid: %s\n", strerror(-r));
		vivid_feeder_stop(cam.colour);
		return 1;
	}
	if (with_depth)
		printf("ready %s %s\n", colour, depth_node);
	else
		printf("ready %s\n", colour);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		r = command(&cam, line);
		printf(r == 0 ? "ok\n" : "error %s\n", strerror(-r));
		fflush(stdout);
	}
	sim_seq_stop(cam.player);
	sim_seq_free(cam.seq);
	vivid_feeder_stop(cam.depth);
	vivid_feeder_stop(cam.colour);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "render"))
		return render(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "render-seq"))
		return render_seq(argc - 1, argv + 1);
	if (argc == 2 && !strcmp(argv[1], "play"))
		return play(false);
	if (argc == 3 && !strcmp(argv[1], "play") && !strcmp(argv[2], "--depth"))
		return play(true);
	fputs(USAGE, stderr);
	return 1;
}
