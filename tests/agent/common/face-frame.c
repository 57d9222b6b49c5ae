// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <string.h>

#include "face-frame.h"

#define DETECT_INPUT 416
#define FACES_MAX 32
#define CROP_SCALE 1.8	/* the square cut out, as a multiple of the face box */
#define GREY 128

void face_frame_blank(uint8_t *frame)
{
	memset(frame, GREY, FACE_FRAME_BYTES);
}

/* The box of the face-th face from the left. */
static int find_face(struct egate_face_engine *e, const struct egate_face_image *img, int face,
		     struct egate_face_box *box)
{
	struct egate_face_detect_opts opts = { .input_size = DETECT_INPUT };
	struct egate_face_detection faces[FACES_MAX];
	int n = egate_face_detect(e, img, &opts, faces, FACES_MAX);

	for (int i = 0; i < n; i++) {
		int left = 0;

		for (int j = 0; j < n; j++)
			left += faces[j].box.x < faces[i].box.x;
		if (left == face) {
			*box = faces[i].box;
			return 0;
		}
	}
	return n < 0 ? n : -ENOENT;
}

int face_frame_landmarks(struct egate_face_engine *e, const struct egate_face_image *img,
			 int face, struct egate_face_landmarks *lm)
{
	struct egate_face_box box;
	int r = find_face(e, img, face, &box);

	return r < 0 ? r : egate_face_landmarks(e, img, &box, lm);
}

int face_frame_add(struct egate_face_engine *e, const char *photo, int face,
		   unsigned int x, unsigned int y, unsigned int side, uint8_t *frame)
{
	struct egate_face_picture *pic = NULL;
	struct egate_face_image img;
	struct egate_face_box box;
	double crop, cx, cy;
	int r;

	if (x + side > FACE_FRAME_WIDTH || y + side > FACE_FRAME_HEIGHT)
		return -EINVAL;
	r = egate_face_picture_load(photo, &pic, NULL, 0);
	if (r < 0)
		return r;
	img = egate_face_picture_image(pic);
	r = find_face(e, &img, face, &box);
	if (r < 0) {
		egate_face_picture_free(pic);
		return r;
	}
	crop = CROP_SCALE * fmax(box.width, box.height);
	cx = box.x + box.width / 2 - crop / 2;
	cy = box.y + box.height / 2 - crop / 2;
	for (unsigned int dy = 0; dy < side; dy++)
		for (unsigned int dx = 0; dx < side; dx++) {
			long sx = lround(cx + (dx + 0.5) * crop / side);
			long sy = lround(cy + (dy + 0.5) * crop / side);
			uint8_t *d = frame + ((y + dy) * FACE_FRAME_WIDTH + x + dx) * 3;

			if (sx < 0 || sy < 0 || sx >= img.width || sy >= img.height)
				memset(d, GREY, 3);
			else
				memcpy(d, img.rgb + sy * img.stride + sx * 3, 3);
		}
	egate_face_picture_free(pic);
	return 0;
}

int face_frame_one(struct egate_face_engine *e, const char *photo, int face, uint8_t *frame)
{
	face_frame_blank(frame);
	return face_frame_add(e, photo, face, (FACE_FRAME_WIDTH - 360) / 2, 60, 360, frame);
}

int face_frame_two(struct egate_face_engine *e, const char *photo1, int face1,
		   const char *photo2, int face2, uint8_t *frame)
{
	int r;

	face_frame_blank(frame);
	r = face_frame_add(e, photo1, face1, 10, 80, 300, frame);
	return r < 0 ? r : face_frame_add(e, photo2, face2, 330, 80, 300, frame);
}
