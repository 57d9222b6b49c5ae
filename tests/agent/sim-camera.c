// SPDX-License-Identifier: GPL-2.0
/*
 * egate-sim-camera - the demo's camera: loads vivid in HDMI loopback (as
 * the VM tests do) and streams travellers' faces into it, cut from photos,
 * as told on standard input, one command per line:
 *   show PHOTO FACE                 one traveller (FACE-th from the left)
 *   two PHOTO1 FACE1 PHOTO2 FACE2   two people in view
 *   blank                           nobody
 * Prints "ready" when the camera streams and "ok" after each command.
 * Root only (modprobe), for the VM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/videodev2.h>

#include "face-frame.h"
#include "vivid.h"

static int command(struct egate_face_engine *e, char *line, uint8_t *frame)
{
	char p1[1024], p2[1024];
	int f1, f2;

	if (sscanf(line, "show %1023s %d", p1, &f1) == 2)
		return face_frame_one(e, p1, f1, frame);
	if (sscanf(line, "two %1023s %d %1023s %d", p1, &f1, p2, &f2) == 4)
		return face_frame_two(e, p1, f1, p2, f2, frame);
	if (!strcmp(line, "blank\n")) {
		face_frame_blank(frame);
		return 0;
	}
	return -EINVAL;
}

int main(void)
{
	static uint8_t frame[FACE_FRAME_BYTES];
	struct egate_face_engine *e = NULL;
	struct vivid_feeder *feeder = NULL;
	char capture[64], output[64], line[4096], err[256];
	int r;

	r = egate_face_engine_new(NULL, &e, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "egate-sim-camera: %s\n", err);
		return 1;
	}
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
		r = command(e, line, frame);
		if (r == 0)
			vivid_feeder_show(feeder, frame);
		printf(r == 0 ? "ok\n" : "error %s\n", strerror(-r));
		fflush(stdout);
	}
	vivid_feeder_stop(feeder);
	egate_face_engine_free(e);
	return 0;
}
