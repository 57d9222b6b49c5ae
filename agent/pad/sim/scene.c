// SPDX-License-Identifier: GPL-2.0
/*
 * scene.c - one synthetic presentation: the presented object (a lifted
 * head, a print flat or bent, a screen playing a recorded head, a print with
 * the eyes cut out over a head), its motion in front of a pinhole camera,
 * the landmarks a detector would report (with its jitter) and the depth
 * crops a depth camera registered to the colour one would give (noise
 * growing with distance squared, no measurement at steps and at random).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pad-internal.h"
#include "sim-internal.h"

#define DEG (M_PI / 180)
#define NL EGATE_FACE_NUM_LANDMARKS

/* ------------------------------------------------------------ randomness */

struct rng {
	uint64_t s;
};

static uint64_t next(struct rng *r)	/* splitmix64 */
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double uniform(struct rng *r)
{
	return (next(r) >> 11) * 0x1.0p-53;
}

static double pick(struct rng *r, struct pad_sim_range range)
{
	return range.lo + (range.hi - range.lo) * uniform(r);
}

static double gauss(struct rng *r)
{
	double u = uniform(r), v = uniform(r);

	return sqrt(-2 * log(1 - u)) * cos(2 * M_PI * v);
}

/* ---------------------------------------------------------------- motion */

/* A sway: amplitude, frequency, phase. */
struct sway {
	double a, hz, phase;
};

static struct sway make_sway(struct rng *r, double amplitude, struct pad_sim_range hz)
{
	return (struct sway){ amplitude, pick(r, hz), 2 * M_PI * uniform(r) };
}

static double at(const struct sway *s, double t)
{
	return s->a * sin(2 * M_PI * s->hz * t + s->phase);
}

struct motion {
	struct sway yaw, pitch, roll, x, y;
	double distance, approach;
};

static struct motion make_motion(struct rng *r, const struct pad_sim_params *p, double yaw,
				 double pitch, double roll, double sway_mm, double approach)
{
	return (struct motion){
		.yaw = make_sway(r, yaw, p->sway_hz), .pitch = make_sway(r, pitch, p->sway_hz),
		.roll = make_sway(r, roll, p->sway_hz), .x = make_sway(r, sway_mm, p->sway_hz),
		.y = make_sway(r, sway_mm, p->sway_hz), .distance = pick(r, p->distance_mm),
		.approach = approach,
	};
}

/* R = Rz(roll) Ry(yaw) Rx(pitch) */
static void pose_at(const struct motion *m, double t, double share, double R[3][3], double T[3])
{
	double y = at(&m->yaw, t) * DEG, x = at(&m->pitch, t) * DEG, z = at(&m->roll, t) * DEG;
	double cy = cos(y), sy = sin(y), cx = cos(x), sx = sin(x), cz = cos(z), sz = sin(z);
	double Rz[3][3] = { { cz, -sz, 0 }, { sz, cz, 0 }, { 0, 0, 1 } };
	double Ry[3][3] = { { cy, 0, sy }, { 0, 1, 0 }, { -sy, 0, cy } };
	double Rx[3][3] = { { 1, 0, 0 }, { 0, cx, -sx }, { 0, sx, cx } };
	double A[3][3];

	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			A[i][j] = Rz[i][0] * Ry[0][j] + Rz[i][1] * Ry[1][j] + Rz[i][2] * Ry[2][j];
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			R[i][j] = A[i][0] * Rx[0][j] + A[i][1] * Rx[1][j] + A[i][2] * Rx[2][j];
	T[0] = at(&m->x, t);
	T[1] = at(&m->y, t);
	T[2] = m->distance - m->approach * share;
}

void pad_sim_to_camera(const struct pad_sim_frame *f, const double *m, double *out)
{
	for (int i = 0; i < 3; i++)
		out[i] = f->R[i][0] * m[0] + f->R[i][1] * m[1] + f->R[i][2] * m[2] + f->t[i];
}

/* --------------------------------------------------------------- objects */



/* eyelids closed by C (0..1): upper lid points onto the lower ones */
static void close_eyes(double lm[NL][3], double c)
{
	static const int upper[] = { 37, 38, 43, 44 }, lower[] = { 41, 40, 47, 46 };

	for (size_t i = 0; i < ELEMENTSOF(upper); i++)
		for (int k = 0; k < 3; k++)
			lm[upper[i]][k] += 0.9 * c * (lm[lower[i]][k] - lm[upper[i]][k]);
}

/* a point of the print (face mm) on the (bent) sheet */
static void on_print(const struct pad_sim_scene *s, double x, double y, double *out)
{
	x *= s->scale;
	y *= s->scale;
	if (s->radius > 0) {
		out[0] = s->radius * sin(x / s->radius);
		out[2] = s->radius * (1 - cos(x / s->radius));
	} else {
		out[0] = x;
		out[2] = 0;
	}
	out[1] = y;
}

/* the object-space landmarks of frame I */
static void object_landmarks(const struct pad_sim_scene *s, enum pad_sim_kind kind, uint32_t i,
			     double closure, double out[NL][3])
{
	double head[NL][3];

	memcpy(head, s->lm, sizeof(head));
	close_eyes(head, closure);
	for (int k = 0; k < NL; k++) {
		switch (kind) {
		case PAD_SIM_BONA_FIDE:
			memcpy(out[k], head[k], sizeof(out[k]));
			break;
		case PAD_SIM_CUTOUT:
			if (k >= 36 && k <= 47) {
				memcpy(out[k], head[k], sizeof(out[k]));
			} else {
				on_print(s, s->lm[k][0], s->lm[k][1], out[k]);
				out[k][2] = -s->gap;
			}
			break;
		case PAD_SIM_SCREEN: {
			const struct pad_sim_frame *r = &s->recorded->frames[i];

			out[k][0] = (r->truth.x[k] - s->p->width / 2.0) * s->screen_mm_per_px;
			out[k][1] = (r->truth.y[k] - s->p->height / 2.0) * s->screen_mm_per_px;
			out[k][2] = 0;
			break;
		}
		default:
			on_print(s, s->lm[k][0], s->lm[k][1], out[k]);
			break;
		}
	}
}

void pad_sim_project(const struct pad_sim_params *p, const double *c, double *u, double *v)
{
	*u = p->focal * c[0] / c[2] + p->width / 2.0;
	*v = p->focal * c[1] / c[2] + p->height / 2.0;
}

/* ------------------------------------------------------------------ depth */

struct zbuf {
	const struct pad_sim_params *p;
	const struct pad_sim_frame *f;
	const struct egate_pad_depth *d;
	uint16_t *z;
};

/* a surface point (object mm) onto the crop, nearest wins, 2x2 footprint */
static void splat(void *ctx, const double *tex, const double *m)
{
	struct zbuf *b = ctx;
	double c[3], u, v;

	(void)tex;
	pad_sim_to_camera(b->f, m, c);
	if (c[2] < 50)
		return;
	pad_sim_project(b->p, c, &u, &v);
	long u0 = (long)floor(u) - b->d->x0, v0 = (long)floor(v) - b->d->y0;

	for (long dv = 0; dv <= 1; dv++)
		for (long du = 0; du <= 1; du++) {
			long x = u0 + du, y = v0 + dv;

			if (x < 0 || y < 0 || x >= b->d->width || y >= b->d->height)
				continue;
			uint16_t *z = &b->z[y * b->d->stride + x];

			if (c[2] < *z)
				*z = (uint16_t)lround(c[2]);
		}
}

/* grid step (mm) that lands under a pixel apart at the object's distance */
static double step_for(const struct pad_sim_params *p, const struct pad_sim_frame *f)
{
	return fmin(1.0, 0.8 * f->t[2] / p->focal);
}

static int in_eye_hole(const struct pad_sim_scene *s, double x, double y)
{
	for (int e = 36; e <= 42; e += 6) {
		double cx = 0, cy = 0, w = hypot(s->lm[e][0] - s->lm[e + 3][0],
						 s->lm[e][1] - s->lm[e + 3][1]);

		for (int k = 0; k < 6; k++) {
			cx += s->lm[e + k][0] / 6;
			cy += s->lm[e + k][1] / 6;
		}
		double dx = (x - cx) / (0.8 * w), dy = (y - cy) / (0.55 * w);

		if (dx * dx + dy * dy <= 1)
			return 1;
	}
	return 0;
}

void pad_sim_draw(const struct pad_sim_scene *s, enum pad_sim_kind kind,
		  const struct pad_sim_frame *f, pad_sim_emit emit, void *ctx)
{
	double x0, y0, x1, y1, h = step_for(s->p, f), m[3], tex[2];

	pad_sim_face_extent(s->face, &x0, &y0, &x1, &y1);
	if (kind == PAD_SIM_BONA_FIDE || kind == PAD_SIM_CUTOUT)
		for (double y = y0; y <= y1; y += h)
			for (double x = x0; x <= x1; x += h) {
				m[0] = tex[0] = x;
				m[1] = tex[1] = y;
				m[2] = s->depth * pad_sim_face_depth(s->face, x, y);
				if (!isnan(m[2]))
					emit(ctx, tex, m);
			}
	if (kind == PAD_SIM_BONA_FIDE)
		return;
	if (kind == PAD_SIM_SCREEN) {	/* a tablet, 200 x 150 mm */
		for (double y = -75; y <= 75; y += h)
			for (double x = -100; x <= 100; x += h) {
				m[0] = tex[0] = x;
				m[1] = tex[1] = y;
				m[2] = 0;
				emit(ctx, tex, m);
			}
		return;
	}
	/* the print: the photo's extent, on the sheet */
	h /= s->scale;
	for (double y = y0 - 15; y <= y1 + 15; y += h)
		for (double x = x0 - 15; x <= x1 + 15; x += h) {
			if (kind == PAD_SIM_CUTOUT && in_eye_hole(s, x, y))
				continue;
			on_print(s, x, y, m);
			if (kind == PAD_SIM_CUTOUT)
				m[2] = -s->gap;
			tex[0] = x;
			tex[1] = y;
			emit(ctx, tex, m);
		}
}

/* The geometry of the depth image of the colour frame's pixels [X0, X1] x
 * [Y0, Y1], the colour camera's intrinsics. */
static struct egate_pad_depth depth_geometry(const struct pad_sim_params *p, long x0, long y0,
					     long x1, long y1)
{
	return (struct egate_pad_depth){
		.width = x1 - x0 + 1, .height = y1 - y0 + 1, .stride = x1 - x0 + 1,
		.x0 = x0, .y0 = y0, .fx = p->focal, .fy = p->focal,
		.cx = p->width / 2.0, .cy = p->height / 2.0,
	};
}

/* D's depth image at frame F into OUT (D's width x height): the wall
 * behind, the objects of KIND before it, and the sensor: nothing across
 * steps, dropouts, noise growing with the distance squared. */
static int depth_image(const struct pad_sim_scene *s, enum pad_sim_kind kind, struct rng *r,
		       const struct pad_sim_frame *f, const struct egate_pad_depth *d,
		       uint16_t *out)
{
	const struct pad_sim_params *p = s->p;
	_cleanup_free_ uint16_t *z = malloc(sizeof(*z) * d->width * d->height);

	if (!z)
		return -ENOMEM;
	for (size_t i = 0; i < (size_t)d->width * d->height; i++)
		z[i] = (uint16_t)p->background_mm;
	struct zbuf b = { .p = p, .f = f, .d = d, .z = z };

	pad_sim_draw(s, kind, f, splat, &b);
	for (long v = 0; v < d->height; v++)
		for (long u = 0; u < d->width; u++) {
			size_t i = v * d->stride + u;
			double zz = z[i], e = 0;

			if (u + 1 < d->width)
				e = fmax(e, fabs(zz - z[i + 1]));
			if (u > 0)
				e = fmax(e, fabs(zz - z[i - 1]));
			if (v + 1 < d->height)
				e = fmax(e, fabs(zz - z[i + d->stride]));
			if (v > 0)
				e = fmax(e, fabs(zz - z[i - d->stride]));
			double noisy = zz + gauss(r) * p->depth_sigma_mm * (zz / 500) * (zz / 500);

			out[i] = e > p->depth_edge_mm || uniform(r) < p->depth_dropout ? 0 :
				 (uint16_t)fmin(fmax(lround(noisy), 1), 65535);
		}
	return 0;
}

/* the crop around the face's landmarks, a fifth of their extent beyond */
static int render_depth(const struct pad_sim_scene *s, enum pad_sim_kind kind, struct rng *r,
			struct pad_sim_frame *f)
{
	const struct pad_sim_params *p = s->p;
	double minx = INFINITY, maxx = -INFINITY, miny = INFINITY, maxy = -INFINITY;

	for (int k = 0; k < NL; k++) {
		minx = fmin(minx, f->truth.x[k]);
		maxx = fmax(maxx, f->truth.x[k]);
		miny = fmin(miny, f->truth.y[k]);
		maxy = fmax(maxy, f->truth.y[k]);
	}
	double mx = 0.2 * (maxx - minx), my = 0.2 * (maxy - miny);
	long x0 = lround(fmax(0, minx - mx)), y0 = lround(fmax(0, miny - my));
	long x1 = lround(fmin(p->width - 1, maxx + mx)), y1 = lround(fmin(p->height - 1, maxy + my));

	if (x1 <= x0 || y1 <= y0)
		return -ERANGE;
	f->depth = depth_geometry(p, x0, y0, x1, y1);
	_cleanup_free_ uint16_t *z = malloc(sizeof(*z) * f->depth.width * f->depth.height);
	int ret;

	if (!z)
		return -ENOMEM;
	ret = depth_image(s, kind, r, f, &f->depth, z);
	if (ret < 0)
		return ret;
	f->depth.z = TAKE_PTR(z);
	return 0;
}

int pad_sim_depth_frame(const struct pad_sim_face *face, const struct pad_sim_seq *seq,
			uint32_t i, uint64_t seed, uint16_t *out)
{
	/* a stream of its own: the sequence is the same with or without it */
	struct rng r = { (seed * 0x2545f4914f6cdd1dull) ^ (0x9e3779b97f4a7c15ull * (i + 1)) };
	struct egate_pad_depth d;
	struct pad_sim_scene s;

	if (!face || !seq || !out || i >= seq->n)
		return -EINVAL;
	d = depth_geometry(&seq->p, 0, 0, seq->p.width - 1, seq->p.height - 1);
	pad_sim_scene_of(face, seq, &s);
	return depth_image(&s, seq->kind, &r, &seq->frames[i], &d, out);
}

/* ------------------------------------------------------------- sequences */

static double blink_closure(const double *starts, size_t n, double len, double t)
{
	double c = 0;

	for (size_t i = 0; i < n; i++) {
		double x = (t - starts[i]) / len;

		if (x >= 0 && x <= 1)
			c = fmax(c, 1 - fabs(2 * x - 1));
	}
	return c;
}

void pad_sim_seq_free(struct pad_sim_seq *seq)
{
	if (!seq)
		return;
	for (uint32_t i = 0; seq->frames && i < seq->n; i++)
		free((void *)seq->frames[i].depth.z);
	free(seq->frames);
	pad_sim_seq_free(seq->recorded);
	free(seq);
}

DEFINE_POINTER_CLEANUP(struct pad_sim_seq, seq_freep, pad_sim_seq_free)

int pad_sim_sequence(const struct pad_sim_face *face, enum pad_sim_kind kind, uint64_t seed,
		     const struct pad_sim_params *p, uint32_t depth_frames,
		     struct pad_sim_seq **out)
{
	_cleanup_(seq_freep) struct pad_sim_seq *seq = NULL, *recorded = NULL;
	struct rng r = { seed * 0x2545f4914f6cdd1dull + kind };
	struct pad_sim_scene s = { .face = face, .scale = 1, .depth = 1 };
	double blinks[64];
	size_t n_blinks = 0;
	struct motion m;
	int live, ret;

	if (!p)
		p = &pad_sim_defaults;
	s.p = p;
	if (!face || !out || kind >= PAD_SIM_KINDS || !p->frames || p->frames > 4096 ||
	    !(p->fps > 0) || !(p->focal > 0) || !p->width || !p->height)
		return -EINVAL;
	pad_sim_face_landmarks(face, s.lm);
	live = kind == PAD_SIM_BONA_FIDE || kind == PAD_SIM_CUTOUT;
	if (live) {
		m = make_motion(&r, p, pick(&r, p->yaw_deg), pick(&r, p->pitch_deg),
				pick(&r, p->roll_deg), p->sway_mm, pick(&r, p->approach_mm));
		s.depth = pick(&r, p->head_depth);
		for (int k = 0; k < NL; k++)
			s.lm[k][2] *= s.depth;
		for (double t = 0; n_blinks < ELEMENTSOF(blinks);) {
			t += -log(1 - uniform(&r)) / p->blink_per_s;
			if (t >= p->frames / p->fps)
				break;
			blinks[n_blinks++] = t;
		}
	} else if (kind == PAD_SIM_PRINT_STILL) {
		m = make_motion(&r, p, p->still_deg, p->still_deg, p->still_deg, 0, 0);
	} else {
		m = make_motion(&r, p, pick(&r, p->hand_deg), pick(&r, p->hand_deg),
				pick(&r, p->hand_roll_deg), p->sway_mm, pick(&r, p->approach_mm));
	}
	if (kind == PAD_SIM_PRINT || kind == PAD_SIM_PRINT_STILL || kind == PAD_SIM_BENT)
		s.scale = pick(&r, p->print_scale);
	if (kind == PAD_SIM_BENT)
		s.radius = pick(&r, p->bend_radius_mm);
	if (kind == PAD_SIM_CUTOUT)
		s.gap = pick(&r, p->cutout_gap_mm);
	if (kind == PAD_SIM_SCREEN) {
		ret = pad_sim_sequence(face, PAD_SIM_BONA_FIDE, next(&r), p, 0, &recorded);
		if (ret < 0)
			return ret;
		s.recorded = recorded;
		s.screen_mm_per_px = 63 * pick(&r, p->screen_scale) /
				     pad_eye_distance(&recorded->frames[0].truth);
	}

	seq = calloc(1, sizeof(*seq));
	if (!seq)
		return -ENOMEM;
	seq->frames = calloc(p->frames, sizeof(*seq->frames));
	if (!seq->frames)
		return -ENOMEM;
	seq->kind = kind;
	seq->n = p->frames;
	seq->p = *p;
	seq->scale = s.scale;
	seq->bend_radius = s.radius;
	seq->gap_mm = s.gap;
	seq->head_depth = s.depth;
	seq->screen_mm_per_px = s.screen_mm_per_px;
	for (uint32_t i = 0; i < p->frames; i++) {
		struct pad_sim_frame *f = &seq->frames[i];
		double t = i / p->fps, obj[NL][3], eyes;

		pose_at(&m, t, (double)i / p->frames, f->R, f->t);
		f->closure = live ? blink_closure(blinks, n_blinks, p->blink_s, t) : 0;
		object_landmarks(&s, kind, i, f->closure, obj);
		for (int k = 0; k < NL; k++) {
			double c[3];

			pad_sim_to_camera(f, obj[k], c);
			pad_sim_project(p, c, &f->truth.x[k], &f->truth.y[k]);
		}
		eyes = pad_eye_distance(&f->truth);
		for (int k = 0; k < NL; k++) {
			f->lm.x[k] = f->truth.x[k] + gauss(&r) * p->landmark_noise * eyes;
			f->lm.y[k] = f->truth.y[k] + gauss(&r) * p->landmark_noise * eyes;
		}
		if (i < depth_frames) {
			ret = render_depth(&s, kind, &r, f);
			if (ret < 0)
				return ret;
		}
	}
	seq->recorded = TAKE_PTR(recorded);
	*out = TAKE_PTR(seq);
	return 0;
}

void pad_sim_scene_of(const struct pad_sim_face *face, const struct pad_sim_seq *seq,
		      struct pad_sim_scene *s)
{
	*s = (struct pad_sim_scene){
		.face = face, .p = &seq->p, .scale = seq->scale, .radius = seq->bend_radius,
		.gap = seq->gap_mm, .depth = seq->head_depth, .recorded = seq->recorded,
		.screen_mm_per_px = seq->screen_mm_per_px,
	};
	pad_sim_face_landmarks(face, s->lm);
	for (int k = 0; k < NL; k++)
		s->lm[k][2] *= s->depth;
}
