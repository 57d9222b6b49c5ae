/* SPDX-License-Identifier: MIT */
/*
 * egate-face.h - face engine of the egate lane controller.
 *
 * A plain C port of the pretrained models of the npm package
 * @vladmandic/face-api (MIT): tiny face detector, 68-point landmarks, the
 * dlib ResNet-29 128-D descriptor; plus matching (1:1, 1:N over a gallery,
 * quantised galleries with exact re-ranking) and quality measures.
 *
 * Conventions (those of libgpiod v2 and systemd):
 *  - every object is opaque, made by egate_face_*_new() and released by the
 *    matching egate_face_*_free(), which accepts NULL;
 *  - functions that can fail return 0 (or a non-negative count) on success
 *    and a negative errno on failure: -EINVAL bad argument, -ENOMEM, -EIO /
 *    -errno of a failed read, -EBADMSG malformed model or image data,
 *    -E2BIG a size over a documented limit, -ENOENT missing file;
 *  - functions that read files take an optional error buffer (errbuf,
 *    errlen; may be NULL/0) that receives a one-line message naming the file
 *    and the problem.
 *
 * Coordinates are in pixels of the image passed in, x to the right, y down,
 * as doubles (the reference pipeline computes them in double precision).
 *
 * Threads: an engine is immutable after egate_face_engine_new() except for
 * its scratch memory; use one engine per thread, or egate_face_engine_clone()
 * which shares the (read-only) weights.  egate_face_engine_set_threads()
 * lets one engine use several cores for each call.
 */
#ifndef EGATE_FACE_H
#define EGATE_FACE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Limits on user-controlled sizes. */
#define EGATE_FACE_MAX_IMAGE_DIM	8192	/* width or height, pixels */
#define EGATE_FACE_MAX_IMAGE_PIXELS	(40u * 1000 * 1000)
#define EGATE_FACE_MAX_FACES		256	/* per detect call */
#define EGATE_FACE_MIN_INPUT_SIZE	32
#define EGATE_FACE_MAX_INPUT_SIZE	1024	/* detector input, multiple of 32 */
#define EGATE_FACE_MAX_GALLERY		(64u * 1024 * 1024) /* templates */
#define EGATE_FACE_MAX_TOPK		1024
#define EGATE_FACE_MAX_THREADS		16	/* per engine */
#define EGATE_FACE_MAX_SEARCH_THREADS	8
/* egate_face_gallery_kind_for(): quantised from this many templates */
#define EGATE_FACE_GALLERY_INT8_FROM	65536

#define EGATE_FACE_DESCRIPTOR_DIM	128
#define EGATE_FACE_NUM_LANDMARKS	68

/* Reference matcher threshold (face-api FaceMatcher, dlib): same person
 * when the Euclidean distance is below it. */
#define EGATE_FACE_DEFAULT_THRESHOLD	0.6f

/* ---------------------------------------------------------------- images */

/* An RGB image (8 bits per channel, R,G,B order, rows of stride bytes). */
struct egate_face_image {
	const uint8_t *rgb;
	uint32_t width;
	uint32_t height;
	uint32_t stride;	/* bytes per row, >= 3 * width */
};

/* A decoded image that owns its pixels. */
struct egate_face_picture;

/* Decodes a JPEG, PNG or JPEG 2000 file (JP2 or a raw codestream;
 * libjpeg-turbo, libpng, libopenjp2) into upright RGB: grayscale,
 * palette, CMYK and sYCC images are converted, a JPEG's EXIF orientation
 * is applied, and transparent pixels are composited onto white. */
int egate_face_picture_load(const char *path, struct egate_face_picture **out,
			    char *errbuf, size_t errlen);
/* Same from memory (fuzzed). */
int egate_face_picture_decode(const void *data, size_t len,
			      struct egate_face_picture **out,
			      char *errbuf, size_t errlen);
/* Copies an RGB buffer. */
int egate_face_picture_new_rgb(const struct egate_face_image *img,
			       struct egate_face_picture **out);
void egate_face_picture_free(struct egate_face_picture *pic);
/* View of the pixels, valid while the picture lives. */
struct egate_face_image egate_face_picture_image(const struct egate_face_picture *pic);

/* ---------------------------------------------------------------- engine */

struct egate_face_engine;

/* Loads tiny_face_detector, face_landmark_68 and face_recognition from
 * MODEL_DIR/<name>-weights_manifest.json + .bin.  MODEL_DIR NULL means
 * $EGATE_MODELS. */
int egate_face_engine_new(const char *model_dir, struct egate_face_engine **out,
			  char *errbuf, size_t errlen);
/* A second engine sharing the weights of E (for another thread). */
int egate_face_engine_clone(const struct egate_face_engine *e,
			    struct egate_face_engine **out);
void egate_face_engine_free(struct egate_face_engine *e);

/* Name of the kernel set chosen at run time: "avx512" (AVX-512F), "avx2"
 * (AVX2 + FMA) or "generic", the best the CPU runs unless $EGATE_FACE_ISA
 * names a lesser one ("avx2" or "generic") when the engine is made.
 * avx512 and avx2 give the same bits; generic rounds differently (no FMA). */
const char *egate_face_engine_isa(const struct egate_face_engine *e);

/* Threads that run one frame's layers together (1..EGATE_FACE_MAX_THREADS;
 * a new engine or clone has 1).  N > 1 starts N - 1 worker threads once,
 * here; they wait between layers (briefly spinning, then asleep) and stop
 * with the engine or a later call.  Each layer's output is split between
 * the threads, and every output value is computed by the same operations
 * in the same order as with one thread: results are bit for bit the same.
 * The workers block all signals.  They do not survive fork(): a child
 * process uses engines it makes or clones itself.
 * -EINVAL bad N, or -errno of pthread_create(). */
int egate_face_engine_set_threads(struct egate_face_engine *e, unsigned int n);
unsigned int egate_face_engine_threads(const struct egate_face_engine *e);

struct egate_face_box {
	double x, y, width, height;
};

struct egate_face_detection {
	struct egate_face_box box;	/* image pixels */
	double score;			/* 0..1 */
};

struct egate_face_detect_opts {
	uint32_t input_size;		/* multiple of 32; 0 = 320 */
	double score_threshold;		/* 0 = 0.5 */
	double iou_threshold;		/* 0 = 0.4 */
};

/* Detects faces; fills up to MAX detections, best score first; returns the
 * number found (never more than MAX) or a negative errno.  OPTS may be NULL. */
int egate_face_detect(struct egate_face_engine *e, const struct egate_face_image *img,
		      const struct egate_face_detect_opts *opts,
		      struct egate_face_detection *out, size_t max);

struct egate_face_landmarks {
	double x[EGATE_FACE_NUM_LANDMARKS];
	double y[EGATE_FACE_NUM_LANDMARKS];
};

/* 68 landmarks (dlib/iBUG order) of the face in detection box BOX, in
 * image coordinates also when the box leaves the image (then the points of
 * the cut-off part may lie outside it).  -ERANGE if the box lies outside
 * the image.  (face-api offsets the points of a box that starts left of or
 * above the image by that overhang; this engine does not.) */
int egate_face_landmarks(struct egate_face_engine *e, const struct egate_face_image *img,
			 const struct egate_face_box *box, struct egate_face_landmarks *out);

/* The recognition crop of face-api: the axis-aligned square from the eyes
 * and the mouth.  It may leave the image (x or y < 0, or past the right or
 * bottom edge) for a face at the frame edge. */
int egate_face_align_box(const struct egate_face_landmarks *lm, uint32_t img_width,
			 uint32_t img_height, struct egate_face_box *out);

/* 128-D descriptor of the face with landmarks LM: the network sees the
 * square of egate_face_align_box() scaled to 150x150.  Where the square
 * leaves the image, its outside part is black and the face keeps its place
 * in it; face-api instead clips the square and centres what is left (a
 * measured deviation: nearer to the descriptor of the uncut face, see
 * tests/face/golden.c). */
int egate_face_descriptor(struct egate_face_engine *e, const struct egate_face_image *img,
			  const struct egate_face_landmarks *lm,
			  float *out);

/* 128-D descriptor of an already cropped face (the whole image). */
int egate_face_descriptor_crop(struct egate_face_engine *e,
			       const struct egate_face_image *img,
			       float *out);

/* ---------------------------------------------------------------- head pose */

/*
 * Head pose: the rotation of the head relative to the line of sight from
 * the camera, from a perspective-n-point fit of a generic 3D face
 * (egate_face_pose_model()) to the 68 landmarks, seen by a pinhole camera
 * whose principal point is the image centre.  Angles in degrees; all 0 when
 * the head is upright and looks straight into the camera, wherever it is
 * in the frame:
 *   yaw    > 0: turned toward the image's right (the person's left), -90..90
 *   pitch  > 0: chin up, looking above the camera,                   -180..180
 *   roll   > 0: tilted clockwise as seen in the image,               -180..180
 * The head's rotation in camera axes (x right, y down, z forward) is
 * S Rz(roll) Ry(-yaw) Rx(-pitch), S the least rotation that takes the
 * optical axis onto the ray to the nose tip.  A person's own face differs
 * from the generic one, which adds a bias of a few degrees (mostly to
 * pitch); ERROR says how well the generic face fits the points (median
 * 0.08 on real faces; synthetic rotations come back within 0.6 degrees
 * with 1 px of noise at 100 px between the eyes, tests/face/pose.c).
 */
struct egate_face_pose {
	double yaw, pitch, roll;	/* degrees */
	double error;	/* RMS reprojection error / distance between the eye centres */
};

/* FOCAL is the camera's focal length in pixels; 0 takes the image's longer
 * side (a field of view of 53 degrees along it).  -EINVAL bad argument,
 * -ERANGE landmarks that are not finite or no fit. */
int egate_face_pose(const struct egate_face_landmarks *lm, uint32_t img_width,
		    uint32_t img_height, double focal, struct egate_face_pose *out);

/* The generic face: 68 points in millimetres in the landmarks' order, x to
 * the image's right, y down, z away from the camera, nose tip (30) at the
 * origin, eye centres 63 mm apart. */
void egate_face_pose_model(double xyz[EGATE_FACE_NUM_LANDMARKS][3]);

/* ---------------------------------------------------------------- quality */

/*
 * Quality measures of one face toward ISO/IEC 29794-5, over the bounding
 * box of its landmarks (the part inside the image).  Thresholds are the
 * caller's; typical values are given.
 */
struct egate_face_quality {
	double inter_eye;	/* pixels between the eye centres */
	struct egate_face_pose pose;	/* egate_face_pose(), default focal length */
	double sharpness;	/* variance of the Laplacian on the face crop */
	double brightness;	/* mean luma of the face crop, 0..255 */
	double contrast;	/* standard deviation of luma */
	/* variance of the Laplacian of the face resampled to 40 pixels between
	 * the eyes: comparable between near and far faces (those under 40 px
	 * are enlarged, and read as blurred as they are) */
	double sharpness_norm;
	double underexposed;	/* fraction of the face with luma <= 5 (clipped) */
	double overexposed;	/* fraction of the face with luma >= 250 (clipped) */
	/* 1 - |L - R| / (L + R), L and R the mean luma of the face's halves on
	 * either side of its midline: 1 evenly lit (or no midline in the
	 * box), toward 0 one side dark */
	double uniformity;
	/* eyelid gap over eye width (eye aspect ratio) of the more closed eye:
	 * about 0.25-0.35 open, under 0.15 closed */
	double eyes_open;
	double mouth_open;	/* inner-lip gap over mouth width: under 0.1 closed */
};

int egate_face_quality(const struct egate_face_image *img,
		       const struct egate_face_landmarks *lm,
		       struct egate_face_quality *out);

/* ---------------------------------------------------------------- matching */

/* Euclidean distance between two descriptors. */
float egate_face_distance(const float *a, const float *b);

/* 1:1 verification: 1 match, 0 no match (distance >= threshold). */
int egate_face_verify(const float *a, const float *b, float threshold, float *distance);

struct egate_face_gallery;

enum egate_face_gallery_kind {
	EGATE_FACE_GALLERY_F32 = 0,	/* exact float32 only */
	/* quantised: in memory a 4-bit code of each template after the
	 * gallery's mean is taken off (76 bytes a template with its id); the
	 * float templates in an unlinked file in $TMPDIR (else /var/tmp),
	 * read with pread() for re-ranking (the page cache holds them, not
	 * the process; only egate_face_gallery_template() maps them).  Put
	 * that directory on a disk: on tmpfs the floats are in memory again. */
	EGATE_FACE_GALLERY_INT8 = 1,
};

/* The kind to use for a gallery of N templates: INT8 from
 * EGATE_FACE_GALLERY_INT8_FROM on, F32 below. */
enum egate_face_gallery_kind egate_face_gallery_kind_for(size_t n);

int egate_face_gallery_new(enum egate_face_gallery_kind kind, size_t capacity,
			   struct egate_face_gallery **out);
void egate_face_gallery_free(struct egate_face_gallery *g);
/* Appends a template; returns its index. */
int64_t egate_face_gallery_add(struct egate_face_gallery *g, uint64_t id, const float *desc);
/* Removes every template with ID (a traveller deleted from the gallery);
 * the last templates move into the holes, so indices change.  Returns the
 * number removed. */
int egate_face_gallery_remove_id(struct egate_face_gallery *g, uint64_t id);
size_t egate_face_gallery_size(const struct egate_face_gallery *g);
enum egate_face_gallery_kind egate_face_gallery_kind(const struct egate_face_gallery *g);
/* The stored template at INDEX (the float copy; of an INT8 gallery, in
 * its file's mapping: each page read there counts in the process's RSS,
 * up to a 2 MB folio at a time). */
const float *egate_face_gallery_template(const struct egate_face_gallery *g, size_t index);
uint64_t egate_face_gallery_id(const struct egate_face_gallery *g, size_t index);
/* Bytes of memory the gallery holds at its capacity (not counting the
 * float file of an INT8 gallery, which the kernel pages in and out). */
size_t egate_face_gallery_memory(const struct egate_face_gallery *g);
/* Threads one search may use to scan an INT8 gallery of 64k templates or
 * more (1 to EGATE_FACE_MAX_SEARCH_THREADS; default 1). */
int egate_face_gallery_set_threads(struct egate_face_gallery *g, unsigned threads);

/*
 * A gallery built from templates that arrive in order (from a database,
 * a file), without ever holding all their floats in memory: an INT8
 * builder writes each block of 4096 templates to the gallery's float file
 * with write() and keeps only the ids and the sums of every dimension;
 * _finish() takes the gallery's mean and steps from all the templates at
 * once and makes the codes from the file, a block at a time.  Peak
 * memory: the finished gallery's egate_face_gallery_memory() plus 2 MB
 * (the page cache holds the file's pages, which the kernel can write out
 * and drop; they are not the process's until a search reads them).  The
 * gallery searches as one of the same kind made by _new() and _add()
 * whose mean and steps were last measured on all its templates (as _add()
 * does when the count reaches a power of two): same codes, same results.
 * An F32 builder adds to an F32 gallery (the float path of small
 * galleries).
 *
 *	egate_face_gallery_builder_new(kind, expected count, &b);
 *	egate_face_gallery_builder_add(b, id, desc) for each template;
 *	egate_face_gallery_builder_finish(b, &gallery);
 *	egate_face_gallery_builder_free(b);	(also after a failure: nothing is left)
 *
 * CAPACITY is the count expected (more are taken, with a larger file).
 * _add(): -EINVAL a template not finite or over 1000, -E2BIG over
 * EGATE_FACE_MAX_GALLERY, -ENOMEM, -errno of a write to the float file
 * (a full disk: ENOSPC).  _finish(): -errno of reading the float file back;
 * on success the gallery is the caller's and the builder takes nothing
 * more (-EINVAL).
 */
struct egate_face_gallery_builder;

int egate_face_gallery_builder_new(enum egate_face_gallery_kind kind, size_t capacity,
				   struct egate_face_gallery_builder **out);
int egate_face_gallery_builder_add(struct egate_face_gallery_builder *b, uint64_t id,
				   const float *desc);
int egate_face_gallery_builder_finish(struct egate_face_gallery_builder *b,
				      struct egate_face_gallery **out);
void egate_face_gallery_builder_free(struct egate_face_gallery_builder *b);

struct egate_face_match {
	uint64_t id;
	size_t index;
	float distance;
};

struct egate_face_search_opts {
	size_t k;		/* results wanted; 0 = 1 */
	int exact;		/* 1: brute force in float even on an INT8 gallery */
	size_t shortlist;	/* quantised candidates re-ranked exactly, per scan
				 * thread; 0 = auto (128, or K + 64) */
};

/* 1:N identification: the K nearest templates, nearest first.  Returns the
 * number filled.  Quantised galleries scan the 4-bit codes, then re-rank a
 * short list with exact float distances, so results are exact distances
 * and the top-1 equals the exact search's unless the true nearest falls out
 * of the short list.  -errno of reading an INT8 gallery's float file. */
int egate_face_gallery_search(const struct egate_face_gallery *g, const float *query,
			      const struct egate_face_search_opts *opts,
			      struct egate_face_match *out, size_t max);

/* Saves / loads a gallery (little-endian binary, magic "EGFG1": kind u32,
 * count u64, the ids, the float templates).  Saving writes a temporary
 * file beside PATH, fsyncs it, renames it over PATH and fsyncs the
 * directory: PATH holds the old gallery or the new one, never a part.
 * Loading checks the file's size against its header before it allocates
 * (-EBADMSG, a message saying truncated or trailing bytes). */
int egate_face_gallery_save(const struct egate_face_gallery *g, const char *path,
			    char *errbuf, size_t errlen);
int egate_face_gallery_load(const char *path, struct egate_face_gallery **out,
			    char *errbuf, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
