/* SPDX-License-Identifier: GPL-2.0 */
/*
 * macro.h - the few helpers the kiosk agent's libraries share, in the manner
 * of systemd: scope-bound cleanup with _cleanup_(), and the array size.
 * It lives with the configuration code because every other kiosk library
 * (capture, store) and the agent itself already depend on it.
 */
#ifndef EGATE_KIOSK_MACRO_H
#define EGATE_KIOSK_MACRO_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/* CLOCK_MONOTONIC in nanoseconds: the clock of frames, timers and latencies. */
static inline uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Define fooX_freep(struct foo **) for _cleanup_(), NULL-safe. */
#define DEFINE_POINTER_CLEANUP(type, name, free_func)			\
	static inline void name(type **p)				\
	{								\
		if (*p)							\
			free_func(*p);					\
	}

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;

		close(*fd);
		errno = saved;
	}
}

DEFINE_POINTER_CLEANUP(FILE, fclosep, fclose)

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Hand a pointer out of a _cleanup_ scope: returns it, leaves NULL. */
#define TAKE_PTR(p)							\
	({								\
		__typeof__(p) *_pp = &(p);				\
		__typeof__(p) _v = *_pp;				\
		*_pp = NULL;						\
		_v;							\
	})

#define TAKE_FD(fd)							\
	({								\
		int *_fdp = &(fd);					\
		int _v = *_fdp;						\
		*_fdp = -1;						\
		_v;							\
	})

/* A message for the caller's buffer; never overflows, always terminated. */
#define EGATE_ERRMSG_MAX 256

#endif
