// SPDX-License-Identifier: MIT
/*
 * Gallery files: "EGFG1", kind (u32), count (u64), the ids (u64 each),
 * the float templates (128 x f32 each), little-endian, nothing after.
 *
 * Saving is atomic: a temporary file beside the target, written, fsynced,
 * renamed over the target, then the directory fsynced; a failure at any
 * step removes the temporary file and leaves the old gallery as it was.
 * Loading checks the file's size against its header before it allocates,
 * and reads the templates in blocks into a gallery builder (an INT8
 * gallery never holds all of them in memory at once).
 */
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <sys/stat.h>

#include "internal.h"

#define D EGATE_FACE_DESCRIPTOR_DIM
#define MAGIC "EGFG1\0\0\0"
#define HEADER (8 + 4 + 8)
#define PER_TEMPLATE (sizeof(uint64_t) + D * sizeof(float))
#define BLOCK 4096	/* templates read at a time */

static void builder_freep(struct egate_face_gallery_builder **b)
{
	egate_face_gallery_builder_free(*b);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int write_gallery(int fd, const struct egate_face_gallery *g)
{
	size_t n = egate_face_gallery_size(g);
	uint32_t kind = egate_face_gallery_kind(g);
	uint64_t count = n, ids[BLOCK];
	int r;

	r = write_all(fd, MAGIC, 8);
	if (r >= 0)
		r = write_all(fd, &kind, 4);
	if (r >= 0)
		r = write_all(fd, &count, 8);
	for (size_t i = 0; r >= 0 && i < n; i += BLOCK) {
		size_t m = n - i < BLOCK ? n - i : BLOCK;

		for (size_t j = 0; j < m; j++)
			ids[j] = egate_face_gallery_id(g, i + j);
		r = write_all(fd, ids, m * sizeof(uint64_t));
	}
	/* the templates are contiguous */
	if (r >= 0 && n)
		r = write_all(fd, egate_face_gallery_template(g, 0), n * D * sizeof(float));
	return r;
}

int egate_face_gallery_save(const struct egate_face_gallery *g, const char *path, char *errbuf,
			    size_t errlen)
{
	_cleanup_(freep) char *tmp = NULL, *dcopy = NULL;
	_cleanup_(closep) int fd = -1, dfd = -1;
	const char *step;
	int r;

	if (!g || !path)
		return -EINVAL;
	if (asprintf(&tmp, "%s.XXXXXX", path) < 0 || !(dcopy = strdup(path)))
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		seterr(errbuf, errlen, "%s: cannot create a temporary file: %s", tmp, strerror(-r));
		return r;
	}
	step = "write";
	r = write_gallery(fd, g);
	if (r >= 0 && fsync(fd) < 0) {
		step = "fsync";
		r = -errno;
	}
	if (r >= 0 && rename(tmp, path) < 0) {
		step = "rename";
		r = -errno;
	}
	if (r < 0) {
		unlink(tmp);
		seterr(errbuf, errlen, "%s: %s failed: %s (the old file is unchanged)", path, step,
		       strerror(-r));
		return r;
	}
	/* the rename itself, durable */
	dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		r = -errno;
		seterr(errbuf, errlen, "%s: fsync of its directory failed: %s", path, strerror(-r));
		return r;
	}
	return 0;
}

static int read_all(FILE *f, void *buf, size_t len)
{
	return fread(buf, 1, len, f) == len ? 0 : -EBADMSG;
}

int egate_face_gallery_load(const char *path, struct egate_face_gallery **out, char *errbuf,
			    size_t errlen)
{
	_cleanup_(fclosep) FILE *f = NULL;
	_cleanup_(builder_freep) struct egate_face_gallery_builder *b = NULL;
	_cleanup_(freep) uint64_t *ids = NULL;
	_cleanup_(freep) float *block = NULL;
	char magic[8];
	uint32_t kind;
	uint64_t n;
	struct stat st;
	int r;

	if (!path || !out)
		return -EINVAL;
	f = fopen_err(path, "rbe", &r, errbuf, errlen);
	if (!f)
		return r;
	if (fstat(fileno(f), &st) < 0) {
		r = -errno;
		seterr(errbuf, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	if (read_all(f, magic, 8) < 0 || memcmp(magic, MAGIC, 8) || read_all(f, &kind, 4) < 0 ||
	    read_all(f, &n, 8) < 0 || kind > EGATE_FACE_GALLERY_INT8) {
		seterr(errbuf, errlen, "%s: not an egate gallery", path);
		return -EBADMSG;
	}
	if (n > EGATE_FACE_MAX_GALLERY) {
		seterr(errbuf, errlen, "%s: %llu templates, over the limit of %u", path,
		       (unsigned long long)n, EGATE_FACE_MAX_GALLERY);
		return -E2BIG;
	}
	/* before any allocation: the header's count must be the file's size */
	if ((uint64_t)st.st_size != HEADER + n * PER_TEMPLATE) {
		seterr(errbuf, errlen, "%s: %s: %llu bytes for %llu templates, %llu expected",
		       path, (uint64_t)st.st_size < HEADER + n * PER_TEMPLATE ? "truncated" :
		       "trailing bytes", (unsigned long long)st.st_size, (unsigned long long)n,
		       (unsigned long long)(HEADER + n * PER_TEMPLATE));
		return -EBADMSG;
	}
	r = egate_face_gallery_builder_new(kind, n, &b);
	if (r < 0) {
		seterr(errbuf, errlen, "%s: cannot make a gallery of %llu templates: %s", path,
		       (unsigned long long)n, strerror(-r));
		return r;
	}
	ids = malloc((n ? n : 1) * sizeof(uint64_t));
	block = malloc(BLOCK * D * sizeof(float));
	if (!ids || !block)
		return -ENOMEM;
	if (read_all(f, ids, n * sizeof(uint64_t)) < 0) {
		seterr(errbuf, errlen, "%s: truncated", path);
		return -EBADMSG;
	}
	for (size_t i = 0; i < n; i += BLOCK) {
		size_t m = n - i < BLOCK ? n - i : BLOCK;

		if (read_all(f, block, m * D * sizeof(float)) < 0) {
			seterr(errbuf, errlen, "%s: truncated", path);
			return -EBADMSG;
		}
		for (size_t j = 0; j < m; j++) {
			r = egate_face_gallery_builder_add(b, ids[i + j], block + j * D);
			if (r < 0) {
				seterr(errbuf, errlen, "%s: template %zu: %s", path, i + j,
				       r == -EINVAL ? "not finite or out of range" : strerror(-r));
				return r;
			}
		}
	}
	r = egate_face_gallery_builder_finish(b, out);
	if (r < 0)
		seterr(errbuf, errlen, "%s: %s", path, strerror(-r));
	return r;
}
