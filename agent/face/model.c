// SPDX-License-Identifier: MIT
/*
 * Loader of tfjs weight manifests (<name>-weights_manifest.json) and their
 * .bin shards, as shipped by @vladmandic/face-api.  Every field is
 * validated: shapes, dtypes, quantisation, and that the tensors exactly
 * fill the .bin.
 */
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "internal.h"

#define MAX_DIM 65536
#define MAX_ELEMS (64u << 20)
#define MAX_SHARDS 16

void seterr(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

float *falloc(size_t n)
{
	void *p = NULL;

	if (n > SIZE_MAX / sizeof(float) - 16)
		return NULL;
	if (posix_memalign(&p, 64, (n ? n : 1) * sizeof(float) + 64))
		return NULL;
	return p;
}

void model_free(struct model *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->n; i++)
		free(m->t[i].data);
	free(m);
}

static void model_freep(struct model **m) { model_free(*m); }
static void json_putp(struct json_object **o) { if (*o) json_object_put(*o); }

static int get_number(struct json_object *o, const char *key, double *v)
{
	struct json_object *x;

	if (!json_object_object_get_ex(o, key, &x))
		return -ENOENT;
	if (!json_object_is_type(x, json_type_double) && !json_object_is_type(x, json_type_int))
		return -EINVAL;
	*v = json_object_get_double(x);
	return isfinite(*v) ? 0 : -EINVAL;
}

static const char *get_string(struct json_object *o, const char *key)
{
	struct json_object *x;

	if (!json_object_object_get_ex(o, key, &x) || !json_object_is_type(x, json_type_string))
		return NULL;
	return json_object_get_string(x);
}

static int parse_weight(struct json_object *w, const char *what, int idx, struct tensor *t,
			int *quantised, double *scale, double *min, char *errbuf, size_t errlen)
{
	struct json_object *shape, *q;
	const char *name, *dtype;
	size_t count = 1;

	if (!json_object_is_type(w, json_type_object)) {
		seterr(errbuf, errlen, "%s: weight #%d is not an object", what, idx);
		return -EBADMSG;
	}
	name = get_string(w, "name");
	if (!name || !*name || strlen(name) >= sizeof(t->name)) {
		seterr(errbuf, errlen, "%s: weight #%d has no valid name", what, idx);
		return -EBADMSG;
	}
	strcpy(t->name, name);
	dtype = get_string(w, "dtype");
	if (!dtype || strcmp(dtype, "float32")) {
		seterr(errbuf, errlen, "%s: weight '%s': dtype %s not supported (float32 only)",
		       what, name, dtype ? dtype : "missing");
		return -EBADMSG;
	}
	if (!json_object_object_get_ex(w, "shape", &shape) ||
	    !json_object_is_type(shape, json_type_array)) {
		seterr(errbuf, errlen, "%s: weight '%s' has no shape array", what, name);
		return -EBADMSG;
	}
	t->rank = (int)json_object_array_length(shape);
	if (t->rank > MODEL_MAX_RANK) {
		seterr(errbuf, errlen, "%s: weight '%s': rank %d over %d", what, name, t->rank,
		       MODEL_MAX_RANK);
		return -EBADMSG;
	}
	for (int i = 0; i < t->rank; i++) {
		struct json_object *d = json_object_array_get_idx(shape, i);
		int64_t v;

		if (!json_object_is_type(d, json_type_int)) {
			seterr(errbuf, errlen, "%s: weight '%s': shape[%d] is not an integer", what,
			       name, i);
			return -EBADMSG;
		}
		v = json_object_get_int64(d);
		if (v < 1 || v > MAX_DIM) {
			seterr(errbuf, errlen, "%s: weight '%s': shape[%d]=%lld out of range", what,
			       name, i, (long long)v);
			return -EBADMSG;
		}
		t->shape[i] = (int)v;
		count *= (size_t)v;
		if (count > MAX_ELEMS) {
			seterr(errbuf, errlen, "%s: weight '%s': too many elements", what, name);
			return -E2BIG;
		}
	}
	t->count = count;
	*quantised = 0;
	if (json_object_object_get_ex(w, "quantization", &q)) {
		const char *qd;

		if (!json_object_is_type(q, json_type_object)) {
			seterr(errbuf, errlen, "%s: weight '%s': quantization is not an object", what,
			       name);
			return -EBADMSG;
		}
		qd = get_string(q, "dtype");
		if (!qd || strcmp(qd, "uint8")) {
			seterr(errbuf, errlen, "%s: weight '%s': quantization dtype %s not supported "
			       "(uint8 only)", what, name, qd ? qd : "missing");
			return -EBADMSG;
		}
		if (get_number(q, "scale", scale) || get_number(q, "min", min) || !(*scale >= 0)) {
			seterr(errbuf, errlen, "%s: weight '%s': quantization needs finite scale >= 0 "
			       "and min", what, name);
			return -EBADMSG;
		}
		*quantised = 1;
	}
	return 0;
}

int model_parse(const char *json, size_t json_len, const uint8_t *bin, size_t bin_len,
		const char *what, struct model **out, char *errbuf, size_t errlen)
{
	_cleanup_(json_putp) struct json_object *root = NULL;
	_cleanup_(model_freep) struct model *m = NULL;
	struct json_tokener *tok;
	size_t off = 0;

	if (!json || !out || (!bin && bin_len))
		return -EINVAL;
	if (json_len > MODEL_MAX_MANIFEST || json_len > INT_MAX) {
		seterr(errbuf, errlen, "%s: manifest larger than %u bytes", what, MODEL_MAX_MANIFEST);
		return -E2BIG;
	}
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	root = json_tokener_parse_ex(tok, json, (int)json_len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success ||
	    tok->char_offset != (int)json_len) {
		/* allow trailing whitespace */
		bool ok = root && json_tokener_get_error(tok) == json_tokener_success;

		for (size_t i = ok ? (size_t)tok->char_offset : json_len; ok && i < json_len; i++)
			if (!strchr(" \t\r\n", json[i]) && json[i])
				ok = false;
		if (!ok) {
			seterr(errbuf, errlen, "%s: manifest is not valid JSON (%s)", what,
			       json_tokener_error_desc(json_tokener_get_error(tok)));
			json_tokener_free(tok);
			return -EBADMSG;
		}
	}
	json_tokener_free(tok);
	if (!json_object_is_type(root, json_type_array) || !json_object_array_length(root)) {
		seterr(errbuf, errlen, "%s: manifest must be a non-empty array of groups", what);
		return -EBADMSG;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	for (size_t g = 0; g < json_object_array_length(root); g++) {
		struct json_object *grp = json_object_array_get_idx(root, g), *ws;

		if (!json_object_is_type(grp, json_type_object) ||
		    !json_object_object_get_ex(grp, "weights", &ws) ||
		    !json_object_is_type(ws, json_type_array)) {
			seterr(errbuf, errlen, "%s: group %zu has no weights array", what, g);
			return -EBADMSG;
		}
		for (size_t i = 0; i < json_object_array_length(ws); i++) {
			struct tensor *t;
			double scale = 0, min = 0;
			int quant, r;
			size_t bytes;

			if (m->n >= MODEL_MAX_TENSORS) {
				seterr(errbuf, errlen, "%s: more than %d tensors", what,
				       MODEL_MAX_TENSORS);
				return -E2BIG;
			}
			t = &m->t[m->n];
			r = parse_weight(json_object_array_get_idx(ws, i), what, m->n, t, &quant,
					 &scale, &min, errbuf, errlen);
			if (r < 0)
				return r;
			for (int j = 0; j < m->n; j++)
				if (!strcmp(m->t[j].name, t->name)) {
					seterr(errbuf, errlen, "%s: weight '%s' appears twice", what,
					       t->name);
					return -EBADMSG;
				}
			bytes = t->count * (quant ? 1 : 4);
			if (bytes > bin_len - off) {
				seterr(errbuf, errlen, "%s: weight '%s' needs %zu bytes at offset %zu "
				       "but the .bin has %zu bytes (truncated or wrong manifest)",
				       what, t->name, bytes, off, bin_len);
				return -EBADMSG;
			}
			t->data = falloc(t->count);
			if (!t->data)
				return -ENOMEM;
			m->n++;
			if (quant) {
				for (size_t k = 0; k < t->count; k++)
					t->data[k] = (float)((double)bin[off + k] * scale + min);
			} else {
				memcpy(t->data, bin + off, bytes);
				for (size_t k = 0; k < t->count; k++)
					if (!isfinite(t->data[k])) {
						seterr(errbuf, errlen, "%s: weight '%s' holds a "
						       "non-finite value", what, t->name);
						return -EBADMSG;
					}
			}
			off += bytes;
		}
	}
	if (off != bin_len) {
		seterr(errbuf, errlen, "%s: manifest describes %zu bytes but the .bin has %zu",
		       what, off, bin_len);
		return -EBADMSG;
	}
	*out = m;
	m = NULL;
	return 0;
}

int read_file(const char *path, size_t max, uint8_t **data, size_t *len, char *errbuf,
	      size_t errlen)
{
	_cleanup_(closep) int fd = -1;
	_cleanup_(freep) uint8_t *buf = NULL;
	struct stat st;
	size_t got = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int r = -errno;

		seterr(errbuf, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		seterr(errbuf, errlen, "%s: not a regular file", path);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size > max) {
		seterr(errbuf, errlen, "%s: %lld bytes, over the limit of %zu", path,
		       (long long)st.st_size, max);
		return -E2BIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int r = n < 0 ? -errno : -EIO;

			seterr(errbuf, errlen, "%s: read failed", path);
			return r;
		}
		got += (size_t)n;
	}
	buf[got] = 0;
	*len = got;
	*data = buf;
	buf = NULL;
	return 0;
}

FILE *fopen_err(const char *path, const char *mode, int *r, char *errbuf, size_t errlen)
{
	FILE *f = fopen(path, mode);

	if (!f) {
		*r = -errno;
		seterr(errbuf, errlen, "%s: %s", path, strerror(errno));
	}
	return f;
}

/* Only plain file names next to the manifest. */
static bool safe_name(const char *s)
{
	if (!s || !*s || strlen(s) > 255 || strchr(s, '/') || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	return true;
}

int model_load(const char *dir, const char *name, struct model **out, char *errbuf,
	       size_t errlen)
{
	_cleanup_(json_putp) struct json_object *root = NULL;
	_cleanup_(freep) uint8_t *json = NULL;
	_cleanup_(freep) uint8_t *bin = NULL;
	char path[PATH_MAX];
	size_t json_len = 0, bin_len = 0;
	int r;

	if (!dir || !name || !out)
		return -EINVAL;
	if (snprintf(path, sizeof(path), "%s/%s-weights_manifest.json", dir, name) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	r = read_file(path, MODEL_MAX_MANIFEST, &json, &json_len, errbuf, errlen);
	if (r < 0)
		return r;
	/* collect the shard paths, in order */
	root = json_tokener_parse((const char *)json);
	if (!root || !json_object_is_type(root, json_type_array)) {
		seterr(errbuf, errlen, "%s: manifest is not a JSON array", path);
		return -EBADMSG;
	}
	for (size_t g = 0, shards = 0; g < json_object_array_length(root); g++) {
		struct json_object *grp = json_object_array_get_idx(root, g), *paths;

		if (!json_object_is_type(grp, json_type_object) ||
		    !json_object_object_get_ex(grp, "paths", &paths) ||
		    !json_object_is_type(paths, json_type_array)) {
			seterr(errbuf, errlen, "%s: group %zu has no paths array", path, g);
			return -EBADMSG;
		}
		for (size_t i = 0; i < json_object_array_length(paths); i++) {
			struct json_object *p = json_object_array_get_idx(paths, i);
			const char *s = json_object_is_type(p, json_type_string) ?
					json_object_get_string(p) : NULL;
			_cleanup_(freep) uint8_t *part = NULL;
			char bpath[PATH_MAX];
			size_t plen = 0;
			uint8_t *nb;

			if (!safe_name(s)) {
				seterr(errbuf, errlen, "%s: group %zu: bad shard path", path, g);
				return -EBADMSG;
			}
			if (++shards > MAX_SHARDS) {
				seterr(errbuf, errlen, "%s: more than %d shards", path, MAX_SHARDS);
				return -E2BIG;
			}
			if (snprintf(bpath, sizeof(bpath), "%s/%s", dir, s) >= (int)sizeof(bpath))
				return -ENAMETOOLONG;
			r = read_file(bpath, MODEL_MAX_BIN - bin_len, &part, &plen, errbuf, errlen);
			if (r < 0)
				return r;
			nb = realloc(bin, bin_len + plen + 1);
			if (!nb)
				return -ENOMEM;
			bin = nb;
			memcpy(bin + bin_len, part, plen);
			bin_len += plen;
		}
	}
	return model_parse((const char *)json, json_len, bin, bin_len, path, out, errbuf, errlen);
}

const struct tensor *model_get(const struct model *m, const char *name, int rank,
			       const int *shape, const char *what, char *errbuf, size_t errlen)
{
	for (int i = 0; i < m->n; i++) {
		const struct tensor *t = &m->t[i];

		if (strcmp(t->name, name))
			continue;
		if (t->rank != rank)
			goto bad;
		for (int j = 0; j < rank; j++)
			if (shape[j] >= 0 && shape[j] != t->shape[j])
				goto bad;
		return t;
bad:
		seterr(errbuf, errlen, "%s: weight '%s' has an unexpected shape", what, name);
		return NULL;
	}
	seterr(errbuf, errlen, "%s: weight '%s' is missing", what, name);
	return NULL;
}
