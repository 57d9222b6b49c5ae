/* SPDX-License-Identifier: GPL-2.0 */
/*
 * face-frame.h - camera frames of travellers for the VM tests and the
 * demo: a face cut out of a photo (the npm package's demo photos), scaled
 * and put on a mid-grey 640x480 RGB24 frame, as a kiosk camera would see
 * one person standing in front of it; or two people side by side.  Also
 * the landmarks of a face in a photo, which the sequences of the simulated
 * camera (egate-sim-camera render-seq) are made from.
 */
#ifndef EGATE_TEST_FACE_FRAME_H
#define EGATE_TEST_FACE_FRAME_H

#include <stdint.h>

#include "egate-face.h"

#define FACE_FRAME_WIDTH 640
#define FACE_FRAME_HEIGHT 480
#define FACE_FRAME_BYTES (FACE_FRAME_WIDTH * FACE_FRAME_HEIGHT * 3)

/* Nobody in front of the camera. */
void face_frame_blank(uint8_t *frame);
/*
 * Adds the face-th face from the left of photo (0 = leftmost) to frame,
 * scaled into a square of side pixels at (x, y).  -ENOENT: no such face.
 */
int face_frame_add(struct egate_face_engine *e, const char *photo, int face,
		   unsigned int x, unsigned int y, unsigned int side, uint8_t *frame);
/* The 68 landmarks of the face-th face from the left of img.  -ENOENT: no such face. */
int face_frame_landmarks(struct egate_face_engine *e, const struct egate_face_image *img,
			 int face, struct egate_face_landmarks *lm);
/* One traveller, centred: face_frame_blank() + face_frame_add(). */
int face_frame_one(struct egate_face_engine *e, const char *photo, int face, uint8_t *frame);
/* Two travellers side by side. */
int face_frame_two(struct egate_face_engine *e, const char *photo1, int face1,
		   const char *photo2, int face2, uint8_t *frame);

#endif
