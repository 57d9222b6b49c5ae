// SPDX-License-Identifier: GPL-2.0
/*
 * egate-pad-eval - presentation-attack detection measured the way ISO/IEC
 * 30107-3 does, on synthetic presentations (pad/sim) made from labelled face
 * photos: APCER per attack type and BPCER per mode at the thresholds of
 * thresholds.h, the measures' spread per kind on the tuning half of the
 * people (where the thresholds came from), and a DET plot.
 *
 *   egate-pad-eval [--seeds N] [--det FILE.png] [--check-render N] FACES_DIR
 *
 * --check-render N renders frames of every kind from N photos and runs the
 * real detector and landmarker on them, to compare with the generator's
 * landmark tracks.
 *
 * FACES_DIR/people/NAME/PHOTO.png (or FACES_DIR/NAME/PHOTO.png); people in
 * name order, the 1st, 3rd, ... tune, the 2nd, 4th, ... are held out.
 */
#include <dirent.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "det-png.h"
#include "egate-face.h"
#include "pad-internal.h"
#include "sim.h"
#include "thresholds.h"

#define MAX_FACES 1024
#define CANVAS 300		/* photos are centred on a mid-grey canvas to be detected */
#define MODES 2

struct photo_face {
	struct pad_sim_face *face;
	uint8_t *canvas;	/* the image it was lifted from, CANVAS x CANVAS */
	int person, held_out;
};

struct result {
	int held_out;
	enum pad_sim_kind kind;
	struct egate_pad_scores s[MODES];	/* at the verdict */
	int verdict[MODES];
	double det_score[MODES];		/* colour: over the whole sequence */
	double whole_parallax;			/* colour: over the whole sequence */
};

static const enum egate_pad_mode modes[MODES] = { EGATE_PAD_DEPTH, EGATE_PAD_COLOUR };

DEFINE_POINTER_CLEANUP(struct egate_face_engine, engine_freep, egate_face_engine_free)

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int visible(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* the face in PATH, lifted; 0 if no face was found, 1 if one was */
static int lift_photo(struct egate_face_engine *e, const char *path, struct photo_face *out)
{
	_cleanup_free_ uint8_t *canvas = malloc(CANVAS * CANVAS * 3);
	struct egate_face_image ci = { canvas, CANVAS, CANVAS, CANVAS * 3 }, img;
	struct egate_face_picture *p;
	struct egate_face_detection det;
	struct egate_face_landmarks lm;
	char err[256];
	int r;

	if (!canvas)
		return -ENOMEM;
	r = egate_face_picture_load(path, &p, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "egate-pad-eval: %s\n", err);
		return r;
	}
	img = egate_face_picture_image(p);
	memset(canvas, 128, CANVAS * CANVAS * 3);
	if (img.width <= CANVAS && img.height <= CANVAS) {
		uint32_t ox = (CANVAS - img.width) / 2, oy = (CANVAS - img.height) / 2;

		for (uint32_t y = 0; y < img.height; y++)
			memcpy(canvas + ((size_t)(y + oy) * CANVAS + ox) * 3,
			       img.rgb + (size_t)y * img.stride, img.width * 3);
	}
	egate_face_picture_free(p);
	if (egate_face_detect(e, &ci, NULL, &det, 1) < 1 ||
	    egate_face_landmarks(e, &ci, &det.box, &lm) < 0)
		return 0;
	r = pad_sim_face_new(&lm, &out->face);
	if (r < 0)
		return r;
	out->canvas = TAKE_PTR(canvas);
	return 1;
}

#define MAX_PEOPLE 256

static int load_faces(struct egate_face_engine *e, const char *top, struct photo_face *faces,
		      size_t *n, char *names[MAX_PEOPLE], int *people)
{
	struct dirent **pd;
	char path[4096], dir[4096];
	struct stat st;
	int np, r;
	snprintf(dir, sizeof(dir), "%s/people", top);
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		snprintf(dir, sizeof(dir), "%s", top);
	np = scandir(dir, &pd, visible, name_cmp);
	if (np < 0) {
		fprintf(stderr, "egate-pad-eval: %s: %m\n", dir);
		return -errno;
	}
	*people = 0;
	for (int i = 0; i < np; i++) {
		struct dirent **fd;
		int nf;

		if (snprintf(path, sizeof(path), "%s/%s", dir, pd[i]->d_name) >= (int)sizeof(path))
			nf = 0;
		else
			nf = scandir(path, &fd, visible, name_cmp);
		if (nf <= 0 || *people >= MAX_PEOPLE) {
			free(pd[i]);
			continue;
		}
		names[*people] = strdup(pd[i]->d_name);
		for (int j = 0; j < nf; j++) {
			char file[8192];

			int len = snprintf(file, sizeof(file), "%s/%s", path, fd[j]->d_name);

			free(fd[j]);
			if (*n >= MAX_FACES || len >= (int)sizeof(file))
				continue;
			r = lift_photo(e, file, &faces[*n]);
			if (r < 0)
				return r;
			if (r == 0)
				continue;
			faces[*n].person = *people;
			faces[*n].held_out = *people % 2;
			(*n)++;
		}
		free(fd);
		free(pd[i]);
		(*people)++;
	}
	free(pd);
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Runs one sequence through both modes. */
static int run(const struct pad_sim_seq *seq, struct result *res)
{
	const struct pad_sim_params *p = &pad_sim_defaults;
	struct egate_pad_params whole = { .min_frames = p->frames, .max_frames = p->frames,
					  .focal = p->focal };
	struct egate_pad_params dflt = { .focal = p->focal };
	int r = 0;

	for (int m = 0; m < MODES && r >= 0; m++) {
		struct egate_pad *pad = NULL, *full = NULL;

		r = egate_pad_new(modes[m], &dflt, &pad);
		if (r >= 0)
			r = egate_pad_new(modes[m], &whole, &full);
		for (uint32_t i = 0; i < seq->n && r >= 0; i++) {
			struct egate_pad_frame f = {
				.lm = &seq->frames[i].lm, .width = p->width, .height = p->height,
				.depth = seq->frames[i].depth.z ? &seq->frames[i].depth : NULL,
			};

			r = egate_pad_feed(pad, &f);
			if (r >= 0)
				r = egate_pad_feed(full, &f);
		}
		if (r >= 0) {
			struct egate_pad_scores s;

			res->verdict[m] = egate_pad_verdict(pad, &res->s[m]);
			egate_pad_verdict(full, &s);
			res->det_score[m] = modes[m] == EGATE_PAD_COLOUR ? s.score : res->s[m].score;
			if (modes[m] == EGATE_PAD_COLOUR)
				res->whole_parallax = s.parallax;
		}
		egate_pad_free(pad);
		egate_pad_free(full);
	}
	return r;
}

/* ---------------------------------------------------------------- report */

static double field(const struct result *r, int which)
{
	switch (which) {
	case 0: return r->s[0].relief_mm;
	case 1: return r->s[0].quadric_mm;
	case 2: return r->s[0].plane_mm;
	case 3: return r->whole_parallax;
	case 4: return r->s[1].motion_deg;
	default: return r->s[1].blinks;
	}
}

static size_t values(const struct result *res, size_t n, int held_out, int kind, int which,
		     double *v)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (res[i].held_out == held_out && (int)res[i].kind == kind &&
		    !isnan(field(&res[i], which)))
			v[m++] = field(&res[i], which);
	qsort(v, m, sizeof(*v), pad_cmp_double);
	return m;
}

/* Thresholds from the tuning people.  A depth measure's threshold is midway
 * between the weakest bona fide and the strongest attack it separates (the
 * attacks under every bona fide: the quadric leaves the eye cut-out, whose
 * holes are no quadric, to the nose relief; the verdict needs both).
 * Colour's parallax separates nothing cleanly: its threshold is the bona
 * fide 5th percentile (BPCER 5 %). */
static void suggest(const struct result *res, size_t n)
{
	_cleanup_free_ double *v = malloc(n * sizeof(*v));
	double mid[2], p5 = NAN;

	if (!v)
		return;
	for (int w = 0; w < 2; w++) {
		double attack = -INFINITY, live = NAN;
		size_t m = values(res, n, 0, PAD_SIM_BONA_FIDE, w, v);

		if (m)
			live = v[0];
		for (int k = 1; k < PAD_SIM_KINDS; k++) {
			m = values(res, n, 0, k, w, v);
			for (size_t i = 0; i < m; i++)
				if (v[i] < live)
					attack = fmax(attack, v[i]);
		}
		mid[w] = (live + attack) / 2;
	}
	size_t m = values(res, n, 0, PAD_SIM_BONA_FIDE, 3, v);

	if (m)
		p5 = v[m / 20];
	printf("# thresholds the tuning people give: relief %.1f mm, quadric %.1f mm"
	       " (midway), parallax %.2f (bona fide 5th percentile)\n", mid[0], mid[1], p5);
}

/* the measures' spread per kind: 5th, 50th, 95th percentile, min, max */
static void spread(const struct result *res, size_t n, int held_out)
{
	static const char *const names[] = { "relief_mm", "quadric_mm", "plane_mm",
					     "parallax*", "motion_deg", "blinks" };
	_cleanup_free_ double *v = malloc(n * sizeof(*v));

	if (!v)
		return;
	printf("# measures on the %s people: min p5 median p95 max"
	       " (*: over the whole sequence)\n", held_out ? "held-out" : "tuning");
	for (size_t w = 0; w < ELEMENTSOF(names); w++)
		for (int k = 0; k < PAD_SIM_KINDS; k++) {
			size_t m = values(res, n, held_out, k, w, v);

			if (!m)
				continue;
			printf("#   %-10s %-13s %7.2f %7.2f %7.2f %7.2f %7.2f\n", names[w],
			       pad_sim_kind_name(k), v[0], v[m / 20], v[m / 2], v[m - 1 - m / 20],
			       v[m - 1]);
		}
}

/* ISO/IEC 30107-3 at the thresholds: BPCER and APCER per attack type */
static void figures(const struct result *res, size_t n, int held_out)
{
	for (int m = 0; m < MODES; m++) {
		size_t err[PAD_SIM_KINDS] = { 0 }, tot[PAD_SIM_KINDS] = { 0 };

		for (size_t i = 0; i < n; i++) {
			if (res[i].held_out != held_out)
				continue;
			tot[res[i].kind]++;
			if (res[i].kind == PAD_SIM_BONA_FIDE ?
			    res[i].verdict[m] != EGATE_PAD_BONA_FIDE :
			    res[i].verdict[m] != EGATE_PAD_ATTACK)
				err[res[i].kind]++;
		}
		printf("%-8s %-6s BPCER %5.1f%% (%zu/%zu)", held_out ? "held-out" : "tuning",
		       egate_pad_mode_name(modes[m]),
		       tot[0] ? 100.0 * err[0] / tot[0] : NAN, err[0], tot[0]);
		for (int k = 1; k < PAD_SIM_KINDS; k++)
			printf("  APCER %s %.1f%% (%zu/%zu)", pad_sim_kind_name(k),
			       tot[k] ? 100.0 * err[k] / tot[k] : NAN, err[k], tot[k]);
		printf("\n");
	}
}

/* The DET curves: each mode's, and colour's without the screen replay (which
 * alone keeps colour's worst APCER near 100 %). */
static const struct {
	int mode;
	int skip;		/* an attack kind left out, or -1 */
	uint8_t rgb[3];
} curves[] = {
	{ 0, -1, { 0, 0, 200 } },		/* depth: blue */
	{ 1, -1, { 200, 0, 0 } },		/* colour: red */
	{ 1, PAD_SIM_SCREEN, { 0, 150, 0 } },	/* colour without the screen replay: green */
};

/* DET on the held-out people: the threshold on the score swept over every
 * value seen; APCER is the worst attack type's. */
static int det(const struct result *res, size_t n, const char *path)
{
	const size_t nc = ELEMENTSOF(curves);
	_cleanup_free_ double *ap = calloc(2 * nc * (n + 2), sizeof(double));
	_cleanup_free_ double *th = calloc(n + 2, sizeof(double));
	struct det_curve c[ELEMENTSOF(curves)];

	if (!ap || !th)
		return -ENOMEM;
	for (size_t ci = 0; ci < nc; ci++) {
		double *a = ap + 2 * ci * (n + 2), *b = a + n + 2;
		int m = curves[ci].mode;
		size_t nt = 0;

		for (size_t i = 0; i < n; i++)
			if (res[i].held_out && !isnan(res[i].det_score[m]))
				th[nt++] = res[i].det_score[m];
		th[nt++] = -INFINITY;
		th[nt++] = INFINITY;
		qsort(th, nt, sizeof(*th), pad_cmp_double);
		for (size_t t = 0; t < nt; t++) {
			size_t err[PAD_SIM_KINDS] = { 0 }, tot[PAD_SIM_KINDS] = { 0 };

			for (size_t i = 0; i < n; i++) {
				/* no score (no evidence) counts as an attack */
				int live = res[i].det_score[m] >= th[t];

				if (!res[i].held_out || (int)res[i].kind == curves[ci].skip)
					continue;
				tot[res[i].kind]++;
				err[res[i].kind] += res[i].kind == PAD_SIM_BONA_FIDE ? !live : live;
			}
			b[t] = tot[0] ? (double)err[0] / tot[0] : 0;
			a[t] = 0;
			for (int k = 1; k < PAD_SIM_KINDS; k++)
				if (tot[k])
					a[t] = fmax(a[t], (double)err[k] / tot[k]);
		}
		c[ci] = (struct det_curve){ .apcer = a, .bpcer = b, .n = nt };
		memcpy(c[ci].rgb, curves[ci].rgb, 3);
	}
	return det_png_write(path, c, nc);
}

/* A colour PAD over the whole sequence (the DET's), fed by check_render. */
static struct egate_pad *whole_colour(void)
{
	struct egate_pad_params w = { .min_frames = pad_sim_defaults.frames,
				      .max_frames = pad_sim_defaults.frames,
				      .focal = pad_sim_defaults.focal };
	struct egate_pad *pad = NULL;

	return egate_pad_new(EGATE_PAD_COLOUR, &w, &pad) < 0 ? NULL : pad;
}

struct render_check {
	unsigned tried, found;
	double rigid, worst, all;	/* landmark error, % of the eye distance */
	double parallax[2];		/* colour score sums: detected, generated tracks */
	unsigned live[2], sequences;
};

static double landmark_error(const struct egate_face_landmarks *a,
			     const struct egate_face_landmarks *b, int rigid_only)
{
	double e = 0;
	size_t n = rigid_only ? pad_rigid_count : EGATE_FACE_NUM_LANDMARKS;

	for (size_t q = 0; q < n; q++) {
		int m = rigid_only ? pad_rigid_points[q] : (int)q;

		e += hypot(a->x[m] - b->x[m], a->y[m] - b->y[m]);
	}
	return 100 * e / n / pad_eye_distance(b);
}

/* every frame of one sequence rendered, detected, compared, fed to PAD */
static int check_sequence(struct egate_face_engine *e, const struct photo_face *pf,
			  const struct pad_sim_seq *seq, uint8_t *rgb, struct render_check *c)
{
	const struct pad_sim_params *p = &seq->p;
	struct egate_face_image photo = { pf->canvas, CANVAS, CANVAS, CANVAS * 3 };
	struct egate_face_image img = { rgb, p->width, p->height, p->width * 3 };
	struct egate_face_detect_opts opts = { .input_size = 416 };
	struct egate_pad *pad[2] = { whole_colour(), whole_colour() };
	struct egate_pad_scores s;
	int r = pad[0] && pad[1] ? 0 : -ENOMEM;

	for (uint32_t i = 0; i < seq->n && r >= 0; i++) {
		struct egate_face_detection det;
		struct egate_face_landmarks lm;
		struct egate_pad_frame f = { .lm = &lm, .width = p->width, .height = p->height };
		struct egate_pad_frame g = { .lm = &seq->frames[i].lm, .width = p->width,
					     .height = p->height };
		double er;

		c->tried++;
		r = pad_sim_render(pf->face, &photo, seq, i, rgb);
		if (r >= 0)
			r = egate_pad_feed(pad[1], &g);
		if (r < 0 || egate_face_detect(e, &img, &opts, &det, 1) < 1 ||
		    egate_face_landmarks(e, &img, &det.box, &lm) < 0)
			continue;
		c->found++;
		er = landmark_error(&lm, &seq->frames[i].truth, 1);
		c->rigid += er;
		c->worst = fmax(c->worst, er);
		c->all += landmark_error(&lm, &seq->frames[i].truth, 0);
		r = egate_pad_feed(pad[0], &f);
	}
	for (int k = 0; k < 2 && r >= 0; k++) {
		/* frames without a face leave the detected pad short: decide now */
		c->live[k] += egate_pad_verdict(pad[k], &s) == EGATE_PAD_BONA_FIDE ||
			      (!isnan(s.score) && s.score >= 1);
		c->parallax[k] += isnan(s.parallax) ? 0 : s.parallax;
	}
	c->sequences++;
	egate_pad_free(pad[0]);
	egate_pad_free(pad[1]);
	return r < 0 ? r : 0;
}

/* Renders every frame of a sequence of each kind from N photos, runs the
 * real detector and landmarker on them and compares with the generator's
 * exact landmarks, and the colour score of the detected tracks with that
 * of the generated ones. */
static int check_render(struct egate_face_engine *e, const struct photo_face *faces, size_t nf,
			unsigned n)
{
	const struct pad_sim_params *p = &pad_sim_defaults;
	_cleanup_free_ uint8_t *rgb = malloc((size_t)p->width * p->height * 3);

	if (!rgb)
		return -ENOMEM;
	printf("# rendered frames through the real detector (%u photos): frames with a face,"
	       " landmark error in %% of the eye distance (rigid points: mean, worst frame;"
	       " all 68: mean); colour parallax (whole sequence) and sequences scored live,"
	       " detected tracks / generated tracks\n", n);
	for (int k = 0; k < PAD_SIM_KINDS; k++) {
		struct render_check c = { 0 };

		for (unsigned j = 0; j < n && nf; j++) {
			const struct photo_face *pf = &faces[j * nf / n];
			struct pad_sim_seq *seq;
			int r = pad_sim_sequence(pf->face, k, 7 + j, p, 0, &seq);

			if (r < 0)
				return r;
			r = check_sequence(e, pf, seq, rgb, &c);
			pad_sim_seq_free(seq);
			if (r < 0)
				return r;
		}
		printf("#   %-13s %u/%u  %4.1f %4.1f  %4.1f   parallax %4.2f / %4.2f  live %u/%u / %u/%u\n",
		       pad_sim_kind_name(k), c.found, c.tried, c.found ? c.rigid / c.found : NAN,
		       c.worst, c.found ? c.all / c.found : NAN, c.parallax[0] / c.sequences,
		       c.parallax[1] / c.sequences, c.live[0], c.sequences, c.live[1],
		       c.sequences);
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: egate-pad-eval [--seeds N] [--det FILE.png] [--check-render N] FACES_DIR\n"
		"  FACES_DIR/people/NAME/PHOTO.png or FACES_DIR/NAME/PHOTO.png; models from $EGATE_MODELS\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seeds", required_argument, NULL, 's' },
		{ "det", required_argument, NULL, 'd' },
		{ "check-render", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	static struct photo_face faces[MAX_FACES];
	char *names[MAX_PEOPLE];
	const char *det_path = NULL;
	_cleanup_free_ struct result *res = NULL;
	_cleanup_(engine_freep) struct egate_face_engine *e = NULL;
	unsigned long seeds = 4, check = 0;
	char err[256];
	size_t nf = 0, nr = 0;
	double t_gen = 0, t_pad = 0, t0;
	int c, people = 0, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': {
			char *end;

			seeds = strtoul(optarg, &end, 10);
			if (*end || !seeds || seeds > 100) {
				fprintf(stderr, "egate-pad-eval: --seeds: 1..100, not '%s'\n", optarg);
				return 2;
			}
			break;
		}
		case 'd':
			det_path = optarg;
			break;
		case 'c': {
			char *end;

			check = strtoul(optarg, &end, 10);
			if (*end || check > 100) {
				fprintf(stderr, "egate-pad-eval: --check-render: 0..100, not '%s'\n",
					optarg);
				return 2;
			}
			break;
		}
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 2;
		}
	}
	if (optind + 1 != argc) {
		usage();
		return 2;
	}
	r = egate_face_engine_new(NULL, &e, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "egate-pad-eval: %s\n", err);
		return 1;
	}
	r = load_faces(e, argv[optind], faces, &nf, names, &people);
	if (r < 0)
		return 1;
	if (people < 2 || !nf) {
		fprintf(stderr, "egate-pad-eval: %s: need faces of two people at least\n",
			argv[optind]);
		return 1;
	}
	res = calloc(nf * seeds * PAD_SIM_KINDS, sizeof(*res));
	if (!res)
		return 1;
	for (size_t i = 0; i < nf; i++)
		for (unsigned long s = 0; s < seeds; s++)
			for (int k = 0; k < PAD_SIM_KINDS; k++) {
				struct pad_sim_seq *seq;

				t0 = now();
				r = pad_sim_sequence(faces[i].face, k, i * 1000 + s, NULL,
						     PAD_DEPTH_FRAMES, &seq);
				t_gen += now() - t0;
				if (r < 0) {
					fprintf(stderr, "egate-pad-eval: generator: %s\n", strerror(-r));
					return 1;
				}
				t0 = now();
				res[nr] = (struct result){ .held_out = faces[i].held_out, .kind = k };
				r = run(seq, &res[nr++]);
				t_pad += now() - t0;
				pad_sim_seq_free(seq);
				if (r < 0) {
					fprintf(stderr, "egate-pad-eval: pad: %s\n", strerror(-r));
					return 1;
				}
			}
	printf("# PAD evaluation, ISO/IEC 30107-3 figures on synthetic presentations\n");
	printf("# %zu photos of %d people, %lu sequences of each kind per photo, %u frames"
	       " at %.0f/s\n", nf, people, seeds, pad_sim_defaults.frames, pad_sim_defaults.fps);
	printf("# tuning people:");
	for (int i = 0; i < people; i += 2)
		printf(" %s", names[i]);
	printf("; held-out people:");
	for (int i = 1; i < people; i += 2)
		printf(" %s", names[i]);
	printf("\n# thresholds: relief %.1f mm, quadric %.1f mm, parallax %.2f, motion %.1f deg,"
	       " %d depth frames, colour %d..%d frames\n", PAD_RELIEF_MM, PAD_QUADRIC_MM,
	       PAD_PARALLAX, PAD_MIN_MOTION_DEG, PAD_DEPTH_FRAMES, PAD_MIN_FRAMES, PAD_MAX_FRAMES);
	printf("# generator %.2f s (%.1f ms a sequence), PAD %.2f s\n", t_gen,
	       1000 * t_gen / nr, t_pad);
	spread(res, nr, 0);
	suggest(res, nr);
	spread(res, nr, 1);
	figures(res, nr, 0);
	figures(res, nr, 1);
	if (det_path) {
		r = det(res, nr, det_path);
		if (r < 0) {
			fprintf(stderr, "egate-pad-eval: %s: %s\n", det_path, strerror(-r));
			return 1;
		}
		printf("# DET plot (held-out people; blue depth, red colour, green colour without"
		       " the screen replay; APCER of the worst attack type): %s\n", det_path);
	}
	if (check && check_render(e, faces, nf, check) < 0) {
		fprintf(stderr, "egate-pad-eval: rendering failed\n");
		return 1;
	}
	for (size_t i = 0; i < nf; i++) {
		pad_sim_face_free(faces[i].face);
		free(faces[i].canvas);
	}
	for (int i = 0; i < people; i++)
		free(names[i]);
	return 0;
}
