// SPDX-License-Identifier: MIT
/*
 * The public pipeline: detection (tiny face detector + decoding + NMS),
 * landmarks, the recognition crop and the descriptor, following face-api's
 * JavaScript post-processing in double precision, and quality measures.
 */
#include <limits.h>
#include <math.h>

#include "internal.h"

static const float MEAN_DET[3] = { 117.001f, 114.697f, 97.404f };
static const float MEAN_FACE[3] = { 122.782f, 117.001f, 104.298f };
static const double ANCHORS[5][2] = {
	{ 1.603231, 2.094468 }, { 6.041143, 7.080126 }, { 2.882459, 3.518061 },
	{ 4.266906, 5.178857 }, { 9.041765, 10.66308 },
};

struct weights {
	int refs;
	struct model *md, *ml, *mr;
	struct detector *det;
	struct landmarker *lm;
	struct recognizer *rec;
};

struct egate_face_engine {
	struct weights *w;
	struct exec x;	/* kernels, and the threads when more than one */
	struct arena a;
};

static void weights_unref(struct weights *w)
{
	if (!w || __atomic_sub_fetch(&w->refs, 1, __ATOMIC_ACQ_REL))
		return;
	detector_free(w->det);
	landmarker_free(w->lm);
	recognizer_free(w->rec);
	model_free(w->md);
	model_free(w->ml);
	model_free(w->mr);
	free(w);
}

void egate_face_engine_free(struct egate_face_engine *e)
{
	if (!e)
		return;
	weights_unref(e->w);
	pool_free(e->x.pool);
	arena_release(&e->a);
	free(e);
}

static void engine_freep(struct egate_face_engine **e) { egate_face_engine_free(*e); }

int egate_face_engine_new(const char *dir, struct egate_face_engine **out, char *errbuf,
			  size_t errlen)
{
	_cleanup_(engine_freep) struct egate_face_engine *e = NULL;
	struct weights *w;
	int r;

	if (!out)
		return -EINVAL;
	if (!dir)
		dir = getenv("EGATE_MODELS");
	if (!dir || !*dir) {
		seterr(errbuf, errlen, "no model directory given and $EGATE_MODELS is not set");
		return -EINVAL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->w = w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->refs = 1;
	e->x.k = kernels_pick();
	r = model_load(dir, "tiny_face_detector_model", &w->md, errbuf, errlen);
	if (r >= 0)
		r = detector_new(w->md, &w->det, errbuf, errlen);
	if (r >= 0)
		r = model_load(dir, "face_landmark_68_model", &w->ml, errbuf, errlen);
	if (r >= 0)
		r = landmarker_new(w->ml, &w->lm, errbuf, errlen);
	if (r >= 0)
		r = model_load(dir, "face_recognition_model", &w->mr, errbuf, errlen);
	if (r >= 0)
		r = recognizer_new(w->mr, &w->rec, errbuf, errlen);
	if (r < 0)
		return r;
	*out = e;
	e = NULL;
	return 0;
}

int egate_face_engine_clone(const struct egate_face_engine *src, struct egate_face_engine **out)
{
	struct egate_face_engine *e;

	if (!src || !out)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->w = src->w;
	__atomic_add_fetch(&e->w->refs, 1, __ATOMIC_ACQ_REL);
	e->x.k = src->x.k;
	*out = e;
	return 0;
}

const char *egate_face_engine_isa(const struct egate_face_engine *e)
{
	return e ? e->x.k->name : NULL;
}

int egate_face_engine_set_threads(struct egate_face_engine *e, unsigned int n)
{
	struct pool *p = NULL;
	int r;

	if (!e || n < 1 || n > EGATE_FACE_MAX_THREADS)
		return -EINVAL;
	if ((unsigned)pool_threads(e->x.pool) == n)
		return 0;
	if (n > 1) {
		r = pool_new((int)n, &p);
		if (r < 0)
			return r;
	}
	pool_free(e->x.pool);
	e->x.pool = p;
	return 0;
}

unsigned int egate_face_engine_threads(const struct egate_face_engine *e)
{
	return e ? (unsigned)pool_threads(e->x.pool) : 0;
}

const struct kernels *engine_set_kernels(struct egate_face_engine *e, const struct kernels *k)
{
	const struct kernels *old = e->x.k;

	e->x.k = k;
	return old;
}

int check_image(const struct egate_face_image *img)
{
	if (!img || !img->rgb || !img->width || !img->height ||
	    img->width > EGATE_FACE_MAX_IMAGE_DIM || img->height > EGATE_FACE_MAX_IMAGE_DIM ||
	    img->stride < img->width * 3ull)
		return -EINVAL;
	return 0;
}

static int arena_begin(struct arena *a, size_t need)
{
	int r = arena_reserve(a, need);

	a->used = 0;
	return r;
}

/* ------------------------------------------------------------ detection */

static double sigmoid(double x) { return 1 / (1 + exp(-x)); }

struct cand {
	double x, y, w, h;	/* relative to the image, as BoundingBox */
	double score;
};

static double iou(const struct cand *a, const struct cand *b, double s)
{
	double ax = a->x * s, ay = a->y * s, aw = a->w * s, ah = a->h * s;
	double bx = b->x * s, by = b->y * s, bw = b->w * s, bh = b->h * s;
	double w = fmax(0.0, fmin(ax + aw, bx + bw) - fmax(ax, bx));
	double h = fmax(0.0, fmin(ay + ah, by + bh) - fmax(ay, by));
	double inter = w * h;

	return inter / (aw * ah + bw * bh - inter);
}

int egate_face_detect(struct egate_face_engine *e, const struct egate_face_image *img,
		      const struct egate_face_detect_opts *opts,
		      struct egate_face_detection *out, size_t max)
{
	int size = opts && opts->input_size ? (int)opts->input_size : 320;
	double thr = opts && opts->score_threshold > 0 ? opts->score_threshold : 0.5;
	double iou_thr = opts && opts->iou_threshold > 0 ? opts->iou_threshold : 0.4;
	_cleanup_(freep) struct cand *c = NULL;
	_cleanup_(freep) int *order = NULL;
	int grid, d, rw, rh, nc = 0, nout = 0, r, pad_from;
	double cfx, cfy;
	float *input, *o;

	if (!e || !out || (r = check_image(img)) < 0)
		return -EINVAL;
	if (size < EGATE_FACE_MIN_INPUT_SIZE || size > EGATE_FACE_MAX_INPUT_SIZE || size % 32)
		return -EINVAL;
	if (max > EGATE_FACE_MAX_FACES)
		max = EGATE_FACE_MAX_FACES;
	/* fused conv + pool keeps the maps small: ~15 floats a pixel */
	r = arena_begin(&e->a, (size_t)size * size * (e->x.k->fuse ? 24 : 80) + (1u << 20));
	if (r < 0)
		return r;
	r = preprocess(&e->a, img, 0, 0, (int)img->width, (int)img->height, false, size,
		       MEAN_DET, &input);
	if (r < 0)
		return r;
	{
		/* first input row made only of bottom padding (letterbox) */
		int d0 = img->width > img->height ? (int)img->width : (int)img->height;
		float sc = (float)d0 / (float)size;

		pad_from = size;
		if ((int)img->height < d0)
			for (int oy = 0; oy < size; oy++)
				if ((int)((float)oy * sc) >= (int)img->height) {
					pad_from = oy;
					break;
				}
	}
	r = detector_run(e->w->det, &e->a, &e->x, input, size, pad_from, &o);
	if (r < 0)
		return r;
	grid = size / 32;
	/* computeReshapedDimensions: round(dim * size / max) */
	d = img->width > img->height ? (int)img->width : (int)img->height;
	rw = (int)floor((double)img->width * ((double)size / d) + 0.5);
	rh = (int)floor((double)img->height * ((double)size / d) + 0.5);
	cfx = (double)(rw > rh ? rw : rh) / rw;
	cfy = (double)(rw > rh ? rw : rh) / rh;
	c = calloc((size_t)grid * grid * 5, sizeof(*c));
	order = calloc((size_t)grid * grid * 5, sizeof(*order));
	if (!c || !order)
		return -ENOMEM;
	for (int row = 0; row < grid; row++)
		for (int col = 0; col < grid; col++)
			for (int an = 0; an < 5; an++) {
				const float *t = o + ((size_t)(row * grid + col) * 5 + an) * 5;
				double score = sigmoid(t[4]), cx, cy, w, h, x, y;

				if (!(score > thr))
					continue;
				cx = ((col + sigmoid(t[0])) / grid) * cfx;
				cy = ((row + sigmoid(t[1])) / grid) * cfy;
				w = ((exp(t[2]) * ANCHORS[an][0]) / grid) * cfx;
				h = ((exp(t[3]) * ANCHORS[an][1]) / grid) * cfy;
				x = cx - w / 2;
				y = cy - h / 2;
				/* BoundingBox(x, y, x + w, y + h) */
				c[nc].x = x;
				c[nc].y = y;
				c[nc].w = (x + w) - x;
				c[nc].h = (y + h) - y;
				c[nc].score = score;
				nc++;
			}
	/* nonMaxSuppression: stable ascending sort by score, pop from the end */
	for (int i = 0; i < nc; i++)
		order[i] = i;
	for (int i = 1; i < nc; i++) {
		int v = order[i], j = i;

		while (j > 0 && c[order[j - 1]].score > c[v].score) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = v;
	}
	while (nc > 0) {
		int cur = order[--nc], keep = 0;

		if ((size_t)nout < max) {
			out[nout].box.x = c[cur].x * img->width;
			out[nout].box.y = c[cur].y * img->height;
			out[nout].box.width = c[cur].w * img->width;
			out[nout].box.height = c[cur].h * img->height;
			out[nout].score = c[cur].score;
			nout++;
		}
		for (int i = 0; i < nc; i++)
			if (iou(&c[cur], &c[order[i]], size) <= iou_thr)
				order[keep++] = order[i];
		nc = keep;
	}
	return nout;
}

/* ------------------------------------------------------------ landmarks */

/* Box.clipAtImageBorders() then floor() */
static int clip_box(double x, double y, double w, double h, uint32_t iw, uint32_t ih, int *cx,
		    int *cy, int *cw, int *ch)
{
	double right = x + w, bottom = y + h;
	double nx = fmax(x, 0), ny = fmax(y, 0);
	double fw = fmin(right - nx, iw - nx), fh = fmin(bottom - ny, ih - ny);

	if (!isfinite(nx) || !isfinite(ny) || !isfinite(fw) || !isfinite(fh))
		return -ERANGE;
	nx = floor(nx);
	ny = floor(ny);
	fw = floor(fw);
	fh = floor(fh);
	if (fw <= 0 || fh <= 0 || nx >= iw || ny >= ih)
		return -ERANGE;
	*cx = (int)nx;
	*cy = (int)ny;
	*cw = (int)fw;
	*ch = (int)fh;
	return 0;
}

int egate_face_landmarks(struct egate_face_engine *e, const struct egate_face_image *img,
			 const struct egate_face_box *box, struct egate_face_landmarks *out)
{
	int x, y, w, h, r;
	float o[136], *input;
	double sc, sw, sh;
	float padx, pady, dw, dh;

	if (!e || !box || !out || check_image(img) < 0)
		return -EINVAL;
	r = clip_box(box->x, box->y, box->width, box->height, img->width, img->height, &x, &y, &w,
		     &h);
	if (r < 0)
		return r;
	r = arena_begin(&e->a, 4u << 20);
	if (r >= 0)
		r = preprocess(&e->a, img, x, y, w, h, true, 112, MEAN_FACE, &input);
	if (r >= 0)
		r = landmarker_run(e->w->lm, &e->a, &e->x, input, o);
	if (r < 0)
		return r;
	/* FaceLandmark68NetBase.postProcess, in float32 tensors */
	sc = 112.0 / (w > h ? w : h);
	sw = w * sc;
	sh = h * sc;
	padx = (float)(sw < sh ? fabs(sw - sh) / 2 : 0);
	pady = (float)(sh < sw ? fabs(sw - sh) / 2 : 0);
	dw = (float)sw;
	dh = (float)sh;
	for (int i = 0; i < 68; i++) {
		float rx = (o[2 * i] * 112.0f - padx) / dw;
		float ry = (o[2 * i + 1] * 112.0f - pady) / dh;

		/* relative * crop size + the crop's origin.  face-api adds the
		 * unclipped box origin, which puts the points of a face cut
		 * by the left or top edge off by the part outside the image;
		 * within the image both add the unfloored origin, so ordinary
		 * faces keep face-api's points (sub-pixel: the crop starts at
		 * the floored origin). */
		out->x[i] = (double)rx * w + fmax(box->x, 0);
		out->y[i] = (double)ry * h + fmax(box->y, 0);
	}
	return 0;
}

/* ------------------------------------------------------------ descriptor */

void mean_point(const struct egate_face_landmarks *lm, int from, int n, double *x, double *y)
{
	double sx = 0, sy = 0;

	for (int i = from; i < from + n; i++) {
		sx += lm->x[i];
		sy += lm->y[i];
	}
	*x = sx / n;
	*y = sy / n;
}

int egate_face_align_box(const struct egate_face_landmarks *lm, uint32_t iw _unused_,
			 uint32_t ih _unused_, struct egate_face_box *out)
{
	double lx, ly, rx, ry, mx, my, d, size, refx, refy;

	if (!lm || !out)
		return -EINVAL;
	mean_point(lm, 36, 6, &lx, &ly);
	mean_point(lm, 42, 6, &rx, &ry);
	mean_point(lm, 48, 20, &mx, &my);
	d = (sqrt((mx - lx) * (mx - lx) + (my - ly) * (my - ly)) +
	     sqrt((mx - rx) * (mx - rx) + (my - ry) * (my - ry))) / 2;
	size = floor(d / 0.45);
	refx = ((0 + lx) + rx + mx) / 3;
	refy = ((0 + ly) + ry + my) / 3;
	if (!isfinite(size) || !isfinite(refx) || !isfinite(refy))
		return -ERANGE;
	/* face-api clamps x and y at 0 (and the size with its landmark crop's
	 * size), which moves the square of a face cut by the left or top
	 * edge; here the square stays on the face and may leave the image */
	out->x = floor(refx - 0.5 * size);
	out->y = floor(refy - 0.43 * size);
	out->width = size;
	out->height = size;
	return 0;
}

/* The descriptor of the D x D square whose image part [x,y,w,h] sits at
 * (padx, pady) in it. */
static int descriptor_of(struct egate_face_engine *e, const struct egate_face_image *img, int x,
			 int y, int w, int h, int padx, int pady, int d, float *out)
{
	float *input;
	int r = arena_begin(&e->a, 4u << 20);

	if (r >= 0)
		r = preprocess_square(&e->a, img, x, y, w, h, padx, pady, d, 150, MEAN_FACE,
				      &input);
	if (r >= 0)
		r = recognizer_run(e->w->rec, &e->a, &e->x, input, out);
	return r;
}

/*
 * The aligned square inside the image is face-api's crop.  Where it leaves
 * the image, face-api clips it and pads the rest back to a square centred,
 * which moves the face off the place the net expects it; here the part
 * outside the image is black (padToSquare's padding) and the face stays
 * where it is (tests/face/golden.c measures both against the uncut face).
 */
int egate_face_descriptor(struct egate_face_engine *e, const struct egate_face_image *img,
			  const struct egate_face_landmarks *lm, float *out)
{
	struct egate_face_box b;
	int x, y, w, h, r;

	if (!e || !lm || !out || check_image(img) < 0)
		return -EINVAL;
	r = egate_face_align_box(lm, img->width, img->height, &b);
	if (r >= 0)
		r = clip_box(b.x, b.y, b.width, b.height, img->width, img->height, &x, &y, &w, &h);
	if (r < 0)
		return r;
	if (b.width > INT_MAX / 2)
		return -ERANGE;
	return descriptor_of(e, img, x, y, w, h, x - (int)b.x, y - (int)b.y, (int)b.width, out);
}

int egate_face_descriptor_crop(struct egate_face_engine *e, const struct egate_face_image *img,
			       float *out)
{
	int padx, pady, d;

	if (!e || !out || check_image(img) < 0)
		return -EINVAL;
	pad_to_square((int)img->width, (int)img->height, &padx, &pady, &d);
	return descriptor_of(e, img, 0, 0, (int)img->width, (int)img->height, padx, pady, d, out);
}
