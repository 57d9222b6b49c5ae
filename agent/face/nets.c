// SPDX-License-Identifier: MIT
/*
 * The three face-api nets, layer by layer as in
 * /work/shared/reference/face-models.md (sections 2-4).
 */
#include <limits.h>
#include <math.h>

#include "internal.h"

/* ------------------------------------------------------------ weight helpers */

struct loader {
	const struct model *m;
	const char *what;
	char *errbuf;
	size_t errlen;
	int err;
};

static const float *W(struct loader *l, const char *name, int rank, int s0, int s1, int s2,
		      int s3)
{
	int shape[4] = { s0, s1, s2, s3 };
	const struct tensor *t;

	if (l->err)
		return NULL;
	t = model_get(l->m, name, rank, shape, l->what, l->errbuf, l->errlen);
	if (!t) {
		l->err = -EBADMSG;
		return NULL;
	}
	return t->data;
}

static void load_conv(struct loader *l, struct conv *cv, const char *prefix, int k, int cin,
		      int cout)
{
	char n1[96], n2[96];
	const float *w, *b;

	snprintf(n1, sizeof(n1), "%s/filters", prefix);
	snprintf(n2, sizeof(n2), "%s/bias", prefix);
	w = W(l, n1, 4, k, k, cin, cout);
	b = W(l, n2, 1, cout, 0, 0, 0);
	if (!l->err)
		l->err = conv_pack(cv, w, b, NULL, NULL, k, k, cin, cout);
}

struct sep {
	struct dwconv dw;
	struct conv pw;
};

static void load_sep(struct loader *l, struct sep *s, const char *prefix, int cin, int cout)
{
	char n[96];
	const float *dw, *pw, *b;

	snprintf(n, sizeof(n), "%s/depthwise_filter", prefix);
	dw = W(l, n, 4, 3, 3, cin, 1);
	snprintf(n, sizeof(n), "%s/pointwise_filter", prefix);
	pw = W(l, n, 4, 1, 1, cin, cout);
	snprintf(n, sizeof(n), "%s/bias", prefix);
	b = W(l, n, 1, cout, 0, 0, 0);
	if (l->err)
		return;
	s->dw.c = cin;
	s->dw.b = NULL;
	s->dw.w = falloc(9 * (size_t)cin);
	if (!s->dw.w) {
		l->err = -ENOMEM;
		return;
	}
	memcpy(s->dw.w, dw, 9 * (size_t)cin * sizeof(float)); /* [3][3][c][1] == [9][c] */
	l->err = conv_pack(&s->pw, pw, b, NULL, NULL, 1, 1, cin, cout);
}

static void sep_release(struct sep *s)
{
	free(s->dw.w);
	s->dw.w = NULL;
	conv_release(&s->pw);
}

static int sep_run_epi(struct arena *a, const struct exec *ex, const struct fmap *x,
		       const struct sep *s, int stride, enum act act, const struct epi *epi,
		       struct fmap *out)
{
	struct fmap t;
	int r = fm_dwconv(a, ex, x, &s->dw, stride, true, &t);

	if (r < 0)
		return r;
	return fm_conv_epi(a, ex, &t, &s->pw, 1, false, act, epi, out);
}

static int sep_run(struct arena *a, const struct exec *ex, const struct fmap *x,
		   const struct sep *s, int stride, enum act act, struct fmap *out)
{
	return sep_run_epi(a, ex, x, s, stride, act, NULL, out);
}

/* ------------------------------------------------------------ tiny face detector */

struct detector {
	struct conv conv0, conv8;
	struct sep sep[5];
};

int detector_new(const struct model *m, struct detector **out, char *errbuf, size_t errlen)
{
	struct loader l = { m, "tiny_face_detector_model", errbuf, errlen, 0 };
	struct detector *d = calloc(1, sizeof(*d));
	static const int ch[6] = { 16, 32, 64, 128, 256, 512 };

	if (!d)
		return -ENOMEM;
	load_conv(&l, &d->conv0, "conv0", 3, 3, 16);
	for (int i = 0; i < 5; i++) {
		char p[16];

		snprintf(p, sizeof(p), "conv%d", i + 1);
		load_sep(&l, &d->sep[i], p, ch[i], ch[i + 1]);
	}
	load_conv(&l, &d->conv8, "conv8", 1, 512, 25);
	if (l.err) {
		detector_free(d);
		return l.err;
	}
	*out = d;
	return 0;
}

void detector_free(struct detector *d)
{
	if (!d)
		return;
	conv_release(&d->conv0);
	conv_release(&d->conv8);
	for (int i = 0; i < 5; i++)
		sep_release(&d->sep[i]);
	free(d);
}

int detector_run(struct detector *d, struct arena *a, const struct exec *ex,
		 const float *input, int size, int pad_from, float **out)
{
	struct fmap x = { size, size, 3, (float *)input }, y, t;
	int r;

	/* conv0 + leaky, then (sepconv + leaky, max-pool 2x2 s2) x 4, each conv
	 * fused with the pool that follows it */
	/* conv0 is VALID: its output row r reads input rows r..r+2, all
	 * padding from PAD_FROM on (the zero padding of the later SAME layers
	 * breaks that, so only conv0 uses it) */
	r = fm_conv_pool2(a, ex, &x, &d->conv0, ACT_LEAKY, pad_from, &y);
	for (int i = 0; i < 5 && r >= 0; i++) {
		r = fm_dwconv(a, ex, &y, &d->sep[i].dw, 1, true, &t);
		if (r < 0)
			break;
		if (i < 4)
			r = fm_conv_pool2(a, ex, &t, &d->sep[i].pw, ACT_LEAKY, INT_MAX, &y);
		else
			r = fm_conv(a, ex, &t, &d->sep[i].pw, 1, false, ACT_LEAKY, &y);
	}
	if (r >= 0)
		r = fm_maxpool(a, ex, &y, 2, 1, true, &x);
	if (r >= 0)
		r = fm_conv(a, ex, &x, &d->conv8, 1, false, ACT_NONE, &y);
	if (r < 0)
		return r;
	*out = y.d;
	return 0;
}

/* ------------------------------------------------------------ landmarks */

struct dense {
	bool first;
	struct conv conv0;	/* first block only */
	struct sep s[4];	/* s[0] unused in the first block */
};

struct landmarker {
	struct dense blk[4];
	const float *fcw, *fcb;	/* [256][136], [136] (owned by the model) */
};

int landmarker_new(const struct model *m, struct landmarker **out, char *errbuf, size_t errlen)
{
	struct loader l = { m, "face_landmark_68_model", errbuf, errlen, 0 };
	struct landmarker *lm = calloc(1, sizeof(*lm));
	static const int ch[5] = { 3, 32, 64, 128, 256 };

	if (!lm)
		return -ENOMEM;
	for (int b = 0; b < 4; b++) {
		struct dense *blk = &lm->blk[b];

		for (int c = 0; c < 4; c++) {
			char p[32];

			snprintf(p, sizeof(p), "dense%d/conv%d", b, c);
			if (b == 0 && c == 0) {
				blk->first = true;
				load_conv(&l, &blk->conv0, p, 3, 3, 32);
			} else {
				load_sep(&l, &blk->s[c], p, c ? ch[b + 1] : ch[b], ch[b + 1]);
			}
		}
	}
	lm->fcw = W(&l, "fc/weights", 2, 256, 136, 0, 0);
	lm->fcb = W(&l, "fc/bias", 1, 136, 0, 0, 0);
	if (l.err) {
		landmarker_free(lm);
		return l.err;
	}
	*out = lm;
	return 0;
}

void landmarker_free(struct landmarker *lm)
{
	if (!lm)
		return;
	for (int b = 0; b < 4; b++) {
		conv_release(&lm->blk[b].conv0);
		for (int c = 0; c < 4; c++)
			sep_release(&lm->blk[b].s[c]);
	}
	free(lm);
}

static int dense_run(struct arena *a, const struct exec *ex, const struct dense *blk,
		     const struct fmap *x, struct fmap *out)
{
	struct fmap o1, in, sum;
	struct epi epi;
	size_t n;
	int r;

	/* out1 = relu(conv0(x)); then with S the running sum out1 + out2 + ...:
	 * in_k = relu(S) feeds the next sepconv, whose epilogue adds its
	 * output to S (in place) and writes relu(S) */
	if (blk->first)
		r = fm_conv(a, ex, x, &blk->conv0, 2, true, ACT_RELU, &o1);
	else
		r = sep_run(a, ex, x, &blk->s[0], 2, ACT_RELU, &o1);
	if (r < 0)
		return r;
	n = (size_t)o1.h * o1.w * o1.c;
	sum = o1;
	sum.d = arena_get(a, n);
	if (!sum.d)
		return -ENOMEM;
	memcpy(sum.d, o1.d, n * sizeof(float));
	epi.res = sum.d;
	epi.raw = sum.d;
	in = o1;
	for (int c = 1; c < 4; c++) {
		struct fmap nx;

		r = sep_run_epi(a, ex, &in, &blk->s[c], 1, ACT_RELU, &epi, &nx);
		if (r < 0)
			return r;
		in = nx;
	}
	*out = in;
	return 0;
}

int landmarker_run(struct landmarker *lm, struct arena *a, const struct exec *ex,
		   const float *input112, float out[136])
{
	struct fmap x = { 112, 112, 3, (float *)input112 }, y;
	float feat[256];
	int r = 0;

	for (int b = 0; b < 4 && r >= 0; b++) {
		r = dense_run(a, ex, &lm->blk[b], &x, &y);
		x = y;
	}
	if (r < 0)
		return r;
	if (x.h != 7 || x.w != 7 || x.c != 256)
		return -EINVAL;
	fm_mean(&x, feat);
	for (int o = 0; o < 136; o++) {
		float s = 0;

		for (int i = 0; i < 256; i++)
			s += feat[i] * lm->fcw[i * 136 + o];
		out[o] = s + lm->fcb[o];
	}
	return 0;
}

/* ------------------------------------------------------------ recognition */

struct resblock {
	bool down;
	struct conv c1, c2;
};

struct recognizer {
	struct conv down32;
	struct resblock res[13];
	const float *fc;	/* [256][128] */
};

static void load_affine_conv(struct loader *l, struct conv *cv, const char *prefix, int k,
			     int cin, int cout)
{
	char n[4][96];
	const float *w, *b, *s, *beta;

	snprintf(n[0], sizeof(n[0]), "%s/conv/filters", prefix);
	snprintf(n[1], sizeof(n[1]), "%s/conv/bias", prefix);
	snprintf(n[2], sizeof(n[2]), "%s/scale/weights", prefix);
	snprintf(n[3], sizeof(n[3]), "%s/scale/biases", prefix);
	w = W(l, n[0], 4, k, k, cin, cout);
	b = W(l, n[1], 1, cout, 0, 0, 0);
	s = W(l, n[2], 1, cout, 0, 0, 0);
	beta = W(l, n[3], 1, cout, 0, 0, 0);
	if (!l->err)
		l->err = conv_pack(cv, w, b, s, beta, k, k, cin, cout);
}

static const struct {
	const char *name;
	int cin, cout;
	bool down;
} res_spec[13] = {
	{ "conv32_1", 32, 32, false }, { "conv32_2", 32, 32, false },
	{ "conv32_3", 32, 32, false }, { "conv64_down", 32, 64, true },
	{ "conv64_1", 64, 64, false }, { "conv64_2", 64, 64, false },
	{ "conv64_3", 64, 64, false }, { "conv128_down", 64, 128, true },
	{ "conv128_1", 128, 128, false }, { "conv128_2", 128, 128, false },
	{ "conv256_down", 128, 256, true }, { "conv256_1", 256, 256, false },
	{ "conv256_2", 256, 256, false },
};
/* followed by conv256_down_out, 256 -> 256, down: kept as res[12+1] below */

struct recognizer_full {
	struct recognizer r;
	struct resblock down_out;
};

int recognizer_new(const struct model *m, struct recognizer **out, char *errbuf, size_t errlen)
{
	struct loader l = { m, "face_recognition_model", errbuf, errlen, 0 };
	struct recognizer_full *rf = calloc(1, sizeof(*rf));

	if (!rf)
		return -ENOMEM;
	load_affine_conv(&l, &rf->r.down32, "conv32_down", 7, 3, 32);
	for (int i = 0; i < 13; i++) {
		char p[64];

		rf->r.res[i].down = res_spec[i].down;
		snprintf(p, sizeof(p), "%s/conv1", res_spec[i].name);
		load_affine_conv(&l, &rf->r.res[i].c1, p, 3, res_spec[i].cin, res_spec[i].cout);
		snprintf(p, sizeof(p), "%s/conv2", res_spec[i].name);
		load_affine_conv(&l, &rf->r.res[i].c2, p, 3, res_spec[i].cout, res_spec[i].cout);
	}
	rf->down_out.down = true;
	load_affine_conv(&l, &rf->down_out.c1, "conv256_down_out/conv1", 3, 256, 256);
	load_affine_conv(&l, &rf->down_out.c2, "conv256_down_out/conv2", 3, 256, 256);
	rf->r.fc = W(&l, "fc", 2, 256, 128, 0, 0);
	if (l.err) {
		recognizer_free(&rf->r);
		return l.err;
	}
	*out = &rf->r;
	return 0;
}

void recognizer_free(struct recognizer *r)
{
	struct recognizer_full *rf = (struct recognizer_full *)r;

	if (!r)
		return;
	conv_release(&r->down32);
	for (int i = 0; i < 13; i++) {
		conv_release(&r->res[i].c1);
		conv_release(&r->res[i].c2);
	}
	conv_release(&rf->down_out.c1);
	conv_release(&rf->down_out.c2);
	free(rf);
}

static int res_run(struct arena *a, const struct exec *ex, const struct resblock *b,
		   const struct fmap *x, struct fmap *out)
{
	struct fmap t, y, p;
	int r;

	if (!b->down) {
		struct epi epi = { .res = x->d, .raw = NULL };

		/* relu(conv2(relu(conv1(x))) + x), the add fused into conv2 */
		r = fm_conv(a, ex, x, &b->c1, 1, true, ACT_RELU, &t);
		if (r >= 0)
			r = fm_conv_epi(a, ex, &t, &b->c2, 1, true, ACT_RELU, &epi, &y);
		if (r < 0)
			return r;
		*out = y;
		return 0;
	}
	r = fm_conv(a, ex, x, &b->c1, 2, false, ACT_RELU, &t);
	if (r >= 0)
		r = fm_conv(a, ex, &t, &b->c2, 1, true, ACT_NONE, &y);
	if (r >= 0)
		r = fm_avgpool2(a, x, &p);
	if (r < 0)
		return r;
	if (y.h != p.h || y.w != p.w) {
		struct fmap yp;

		/* dlib add_prev: pad the smaller branch with zeros bottom/right */
		if (y.h + 1 != p.h || y.w + 1 != p.w)
			return -EINVAL;
		r = fm_pad(a, &y, 0, 1, 0, 1, &yp);
		if (r < 0)
			return r;
		y = yp;
	}
	/* out = relu(pooled (channel zero-padded) + out) */
	for (int i = 0; i < y.h * y.w; i++)
		for (int c = 0; c < y.c; c++) {
			float v = (c < p.c ? p.d[(size_t)i * p.c + c] : 0.0f) + y.d[(size_t)i * y.c + c];

			y.d[(size_t)i * y.c + c] = v > 0 ? v : 0;
		}
	*out = y;
	return 0;
}

int recognizer_run(struct recognizer *rec, struct arena *a, const struct exec *ex,
		   const float *input150, float out[128])
{
	struct recognizer_full *rf = (struct recognizer_full *)rec;
	struct fmap x = { 150, 150, 3, (float *)input150 }, y;
	float feat[256];
	int r;

	r = fm_conv(a, ex, &x, &rec->down32, 2, false, ACT_RELU, &y);
	if (r >= 0)
		r = fm_maxpool(a, ex, &y, 3, 2, false, &x);
	for (int i = 0; i < 13 && r >= 0; i++) {
		r = res_run(a, ex, &rec->res[i], &x, &y);
		x = y;
	}
	if (r >= 0)
		r = res_run(a, ex, &rf->down_out, &x, &y);
	if (r < 0)
		return r;
	if (y.c != 256)
		return -EINVAL;
	fm_mean(&y, feat);
	for (int o = 0; o < 128; o++) {
		float s = 0;

		for (int i = 0; i < 256; i++)
			s += feat[i] * rec->fc[i * 128 + o];
		out[o] = s;
	}
	return 0;
}
