// SPDX-License-Identifier: GPL-2.0
/*
 * egate-sim-camera - the demo's camera, in two steps so that the slow
 * emulated VM never runs the face engine for it:
 *
 *   egate-sim-camera render OUT.rgb PHOTO FACE [PHOTO2 FACE2]
 *       (on the host) cuts the FACE-th face from the left out of PHOTO (and
 *       a second person beside it) into a 640x480 RGB24 camera frame;
 *   egate-sim-camera play
 *       (in the VM, root) loads vivid in HDMI loopback, as the VM tests do,
 *       prints "ready DEVNODE", then streams what standard input says, one
 *       command per line: "show FRAME.rgb" or "blank"; answers "ok".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/videodev2.h>

#include "face-frame.h"
#include "vivid.h"

static uint8_t frame[FACE_FRAME_BYTES];

static int render(int argc, char **argv)
{
	struct egate_face_engine *e = NULL;
	char err[256];
	FILE *f;
	int r;

	if (argc != 5 && argc != 7) {
		fprintf(stderr, "usage: egate-sim-camera render OUT.rgb PHOTO FACE [PHOTO2 FACE2]\n");
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
	f = fopen(argv[2], "we");
	if (!f || fwrite(frame, FACE_FRAME_BYTES, 1, f) != 1 || fclose(f)) {
		fprintf(stderr, "egate-sim-camera: cannot write %s\n", argv[2]);
		return 1;
	}
	return 0;
}

static int command(const char *line)
{
	char path[1024];
	FILE *f;
	int r;

	if (!strcmp(line, "blank\n")) {
		face_frame_blank(frame);
		return 0;
	}
	if (sscanf(line, "show %1023s", path) != 1)
		return -EINVAL;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	r = fread(frame, FACE_FRAME_BYTES, 1, f) == 1 ? 0 : -EIO;
	fclose(f);
	return r;
}

static int play(void)
{
	struct vivid_feeder *feeder = NULL;
	char capture[64], output[64], line[1200];
	int r;

	face_frame_blank(frame);
	if ((r = vivid_load(1)) < 0 || (r = vivid_find_node(VIVID_CAPTURE_NAME, capture)) < 0 ||
	    (r = vivid_find_node(VIVID_OUTPUT_NAME, output)) < 0 ||
	    (r = vivid_connect(capture, output)) < 0 ||
	    (r = vivid_feeder_start(output, V4L2_PIX_FMT_RGB24, frame, &feeder)) < 0) {
		fprintf(stderr, "egate-sim-camera: vivid: %s\n", strerror(-r));
		return 1;
	}
	printf("ready %s\n", capture);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		r = command(line);
		if (r == 0)
			vivid_feeder_show(feeder, frame);
		printf(r == 0 ? "ok\n" : "error %s\n", strerror(-r));
		fflush(stdout);
	}
	vivid_feeder_stop(feeder);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "render"))
		return render(argc, argv);
	if (argc == 2 && !strcmp(argv[1], "play"))
		return play();
	fprintf(stderr, "usage: egate-sim-camera render OUT.rgb PHOTO FACE [PHOTO2 FACE2]\n"
		"       egate-sim-camera play\n");
	return 1;
}
