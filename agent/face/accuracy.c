// SPDX-License-Identifier: MIT
/*
 * egate-face accuracy PEOPLE_DIR [GROUPS_DIR]: verification and
 * identification accuracy over labelled images DIR/<person>/<image>.
 *
 * Every image is centred on a 300x300 mid-grey canvas (--canvas GREY, 128 by
 * default) when smaller (tight crops defeat the detector otherwise), detected at 416, and its best face
 * described.  Genuine pairs: same folder; impostor pairs: different
 * folders.  Reports the distance distributions, the EER, FNMR at FMR 1e-2
 * and 1e-3 with their thresholds, and the errors at 0.6.  On the group
 * photos every detected face is identified (1:N) against the enrolled
 * people, face-api FaceMatcher style (mean distance to a person's images).
 */
#include <dirent.h>
#include <math.h>

#include "internal.h"
#include "tool.h"

#define MAX_PEOPLE 256
#define MAX_IMAGES 4096
#define CANVAS 300
#define D EGATE_FACE_DESCRIPTOR_DIM

static int canvas_grey = 128;

struct sample {
	int person;
	char path[1024];
	float desc[D];
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_f(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

/* sorted entries of DIR (no dot files) */
static int list_dir(const char *dir, char ***out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < MAX_IMAGES) {
		char **nv;

		if (de->d_name[0] == '.')
			continue;
		nv = realloc(v, sizeof(*v) * (n + 1));
		if (!nv)
			break;
		v = nv;
		v[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_str);
	*out = v;
	return n;
}

static void free_list(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* best face's descriptor; 0 found, 1 no face, <0 error */
static int describe(struct egate_face_engine *e, const char *path, float *desc)
{
	struct egate_face_picture *p = NULL, *c = NULL;
	struct egate_face_image img;
	struct egate_face_detection det[8];
	struct egate_face_detect_opts o = { .input_size = 416 };
	struct egate_face_landmarks lm;
	char err[512];
	int r, n;

	r = egate_face_picture_load(path, &p, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "egate-face: %s\n", err);
		return r;
	}
	img = egate_face_picture_image(p);
	if (img.width < CANVAS && img.height < CANVAS) {
		static uint8_t canvas[CANVAS * CANVAS * 3];
		struct egate_face_image ci = { canvas, CANVAS, CANVAS, CANVAS * 3 };
		int ox = (CANVAS - (int)img.width) / 2, oy = (CANVAS - (int)img.height) / 2;

		memset(canvas, canvas_grey, sizeof(canvas));
		for (uint32_t y = 0; y < img.height; y++)
			memcpy(canvas + ((size_t)(y + oy) * CANVAS + ox) * 3, img.rgb + y * img.stride,
			       img.width * 3);
		r = egate_face_picture_new_rgb(&ci, &c);
		if (r < 0)
			goto out;
		img = egate_face_picture_image(c);
	}
	n = egate_face_detect(e, &img, &o, det, 8);
	if (n <= 0) {
		r = n < 0 ? n : 1;
		goto out;
	}
	r = egate_face_landmarks(e, &img, &det[0].box, &lm);
	if (r >= 0)
		r = egate_face_descriptor(e, &img, &lm, desc);
out:
	egate_face_picture_free(c);
	egate_face_picture_free(p);
	return r;
}

/* fraction of V (sorted, N) strictly below T */
static double frac_below(const float *v, int n, float t)
{
	int lo = 0, hi = n;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (v[mid] < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return n ? (double)lo / n : 0;
}

static void dist_summary(const char *what, const float *v, int n)
{
	double s = 0;

	for (int i = 0; i < n; i++)
		s += v[i];
	if (n)
		printf("%-9s pairs %5d  min %.4f  p5 %.4f  median %.4f  p95 %.4f  max %.4f  mean %.4f\n",
		       what, n, v[0], v[(int)(n * 0.05)], v[n / 2], v[(int)(n * 0.95)], v[n - 1],
		       s / n);
}

/* the largest threshold with FMR <= target; FNMR there */
static void at_fmr(const float *gen, int ng, const float *imp, int ni, double target)
{
	/* accepting d < t: FMR(t) = frac of impostors below t; allowed k false
	 * accepts = floor(target * ni); t = imp[k] */
	int k = (int)floor(target * ni + 1e-9);
	float t = k < ni ? imp[k] : imp[ni - 1] + 1e-3f;

	printf("FMR <= %-6g threshold %.4f  FMR %.4f (%d/%d)  FNMR %.4f (%d/%d)\n", target, t,
	       frac_below(imp, ni, t), (int)lrint(frac_below(imp, ni, t) * ni), ni,
	       1 - frac_below(gen, ng, t), (int)lrint((1 - frac_below(gen, ng, t)) * ng), ng);
}

static void eer(const float *gen, int ng, const float *imp, int ni)
{
	double best = 2, eer_v = 1;
	float bt = 0;

	/* candidate thresholds: all distances */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < (pass ? ni : ng); i++) {
			float t = pass ? imp[i] : gen[i];

			for (int eps = 0; eps < 2; eps++) {
				float tt = eps ? nextafterf(t, INFINITY) : t;
				double fmr = frac_below(imp, ni, tt), fnmr = 1 - frac_below(gen, ng, tt);

				if (fabs(fmr - fnmr) < best) {
					best = fabs(fmr - fnmr);
					eer_v = (fmr + fnmr) / 2;
					bt = tt;
				}
			}
		}
	printf("EER %.4f at threshold %.4f\n", eer_v, bt);
}

int accuracy_main(int argc, char **argv, const char *models, int grey)
{
	struct egate_face_engine *e = NULL;
	struct sample *s = NULL;
	char **people = NULL, err[512];
	float *gen = NULL, *imp = NULL;
	int np, ns = 0, ng = 0, ni = 0, nofaces = 0, r;

	canvas_grey = grey;
	if (argc < 1 || argc > 2) {
		fprintf(stderr, "egate-face: accuracy [--canvas GREY] PEOPLE_DIR [GROUPS_DIR]\n");
		return 2;
	}
	r = egate_face_engine_new(models, &e, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "egate-face: cannot load models: %s\n", err);
		return 1;
	}
	np = list_dir(argv[0], &people);
	if (np <= 0 || np > MAX_PEOPLE) {
		fprintf(stderr, "egate-face: %s: no person folders\n", argv[0]);
		return 1;
	}
	s = calloc(MAX_IMAGES, sizeof(*s));
	if (!s)
		return 1;
	for (int p = 0; p < np; p++) {
		char dir[512], **imgs = NULL;
		int n;

		snprintf(dir, sizeof(dir), "%s/%s", argv[0], people[p]);
		n = list_dir(dir, &imgs);
		for (int i = 0; i < n && ns < MAX_IMAGES; i++) {
			snprintf(s[ns].path, sizeof(s[ns].path), "%s/%s", dir, imgs[i]);
			s[ns].person = p;
			r = describe(e, s[ns].path, s[ns].desc);
			if (r == 0)
				ns++;
			else if (r == 1) {
				nofaces++;
				printf("no face: %s\n", s[ns].path);
			}
		}
		if (n > 0)
			free_list(imgs, n);
	}
	printf("people %d, images with a face %d, without %d\n", np, ns, nofaces);
	gen = malloc(sizeof(float) * ((size_t)ns * ns / 2 + 1));
	imp = malloc(sizeof(float) * ((size_t)ns * ns / 2 + 1));
	if (!gen || !imp)
		return 1;
	for (int i = 0; i < ns; i++)
		for (int j = i + 1; j < ns; j++) {
			float d = egate_face_distance(s[i].desc, s[j].desc);

			if (s[i].person == s[j].person)
				gen[ng++] = d;
			else
				imp[ni++] = d;
		}
	qsort(gen, ng, sizeof(float), cmp_f);
	qsort(imp, ni, sizeof(float), cmp_f);
	dist_summary("genuine", gen, ng);
	dist_summary("impostor", imp, ni);
	if (ng && ni) {
		eer(gen, ng, imp, ni);
		at_fmr(gen, ng, imp, ni, 1e-2);
		at_fmr(gen, ng, imp, ni, 1e-3);
		printf("at 0.6: false accepts %d/%d, false rejects %d/%d\n",
		       (int)lrint(frac_below(imp, ni, 0.6f) * ni), ni,
		       (int)lrint((1 - frac_below(gen, ng, 0.6f)) * ng), ng);
	}
	if (argc >= 2) {
		char **groups = NULL;
		int ngr = list_dir(argv[1], &groups), faces = 0, ident = 0, dup = 0;

		for (int gi = 0; gi < ngr; gi++) {
			struct egate_face_picture *p = NULL;
			struct egate_face_detection det[64];
			struct egate_face_detect_opts o = { .input_size = 416 };
			struct egate_face_image img;
			char path[1024];
			int n, used[MAX_PEOPLE] = { 0 };

			snprintf(path, sizeof(path), "%s/%s", argv[1], groups[gi]);
			if (egate_face_picture_load(path, &p, err, sizeof(err)) < 0)
				continue;
			img = egate_face_picture_image(p);
			n = egate_face_detect(e, &img, &o, det, 64);
			printf("%s: %d faces:", groups[gi], n);
			for (int f = 0; f < n; f++) {
				struct egate_face_landmarks lm;
				float desc[D], best = INFINITY, second = INFINITY;
				int bp = -1;

				faces++;
				if (egate_face_landmarks(e, &img, &det[f].box, &lm) < 0 ||
				    egate_face_descriptor(e, &img, &lm, desc) < 0)
					continue;
				for (int q = 0; q < np; q++) {
					double sum = 0;
					int cnt = 0;

					for (int i = 0; i < ns; i++)
						if (s[i].person == q) {
							sum += egate_face_distance(desc, s[i].desc);
							cnt++;
						}
					if (!cnt)
						continue;
					if (sum / cnt < best) {
						second = best;
						best = (float)(sum / cnt);
						bp = q;
					} else if (sum / cnt < second) {
						second = (float)(sum / cnt);
					}
				}
				if (bp >= 0 && best < EGATE_FACE_DEFAULT_THRESHOLD) {
					ident++;
					if (used[bp]++)
						dup++;
					printf(" %s(%.2f, margin %.2f)", people[bp], best, second - best);
				} else {
					printf(" unknown(%.2f)", best);
				}
			}
			printf("\n");
			egate_face_picture_free(p);
		}
		printf("group photos: %d faces, %d identified at 0.6 (%.1f%%), %d duplicate labels "
		       "in one photo (certain errors)\n", faces, ident,
		       faces ? 100.0 * ident / faces : 0, dup);
		if (ngr > 0)
			free_list(groups, ngr);
	}
	free(gen);
	free(imp);
	free(s);
	free_list(people, np);
	egate_face_engine_free(e);
	return 0;
}
