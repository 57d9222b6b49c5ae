// SPDX-License-Identifier: MIT
/*
 * A small persistent thread pool for one engine.  A layer is cut into
 * parts (a few per thread); the caller and the N - 1 workers claim parts
 * one at a time from a shared counter until none is left, and the caller
 * returns when all are done.  Parts are claimed, not assigned, so a worker
 * that the (shared, loaded) machine has not scheduled yet leaves its share
 * to the threads that run: one slow thread costs one part, not half the
 * layer.  Which thread computes a part changes no result.
 *
 * The workers are created once (pool_new()) and wait between layers: they
 * spin for a few microseconds (the next layer of the same frame usually
 * comes within that) and then sleep on a futex, so an idle engine costs no
 * CPU.  A pool of one thread runs the job in the caller and touches no
 * shared state.
 */
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>

#include "internal.h"

/* spins before sleeping, each a pause instruction (~10-40 ns) */
#define SPINS 2000

struct pool {
	int n;
	pthread_t *th;
	/* the current job: written by the caller only while no part of the
	 * previous one is left to claim, read by the claimers (atomics) */
	void (*fn)(void *ctx, int part, int nparts);
	void *ctx;
	/* job generation << 32 | next part << 16 | parts: a claim is a CAS
	 * of it, which fails if the job changed since fn/ctx were read */
	uint64_t claim;
	unsigned done;		/* parts finished (futex word) */
	unsigned gen;		/* bumped to start a job (futex word) */
	int sleepers;		/* workers asleep on gen */
	int waiting;		/* the caller is asleep on done */
	bool stop;
};

static void futex_wait(unsigned *addr, unsigned val)
{
	syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(unsigned *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__)
	__builtin_ia32_pause();
#endif
}

/* Waits until *ADDR != VAL: spins, then sleeps counting itself in *SLEEPERS. */
static unsigned wait_change(unsigned *addr, unsigned val, int *sleepers)
{
	unsigned v;

	for (int i = 0; i < SPINS; i++) {
		v = __atomic_load_n(addr, __ATOMIC_ACQUIRE);
		if (v != val)
			return v;
		cpu_relax();
	}
	for (;;) {
		v = __atomic_load_n(addr, __ATOMIC_ACQUIRE);
		if (v != val)
			return v;
		/* seq_cst pairs with the waker's store then load of *sleepers:
		 * either it sees us and wakes us, or the futex sees its store */
		__atomic_add_fetch(sleepers, 1, __ATOMIC_SEQ_CST);
		futex_wait(addr, val);
		__atomic_sub_fetch(sleepers, 1, __ATOMIC_SEQ_CST);
	}
}

/* Claims and runs parts of the current job until none is left. */
static void run_parts(struct pool *p)
{
	for (;;) {
		uint64_t c = __atomic_load_n(&p->claim, __ATOMIC_ACQUIRE);
		int next = (int)(c >> 16 & 0xffff), parts = (int)(c & 0xffff);
		void (*fn)(void *, int, int);
		void *ctx;

		if (next >= parts)
			return;
		fn = __atomic_load_n(&p->fn, __ATOMIC_RELAXED);
		ctx = __atomic_load_n(&p->ctx, __ATOMIC_RELAXED);
		if (!__atomic_compare_exchange_n(&p->claim, &c, c + (1u << 16), false,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			continue;
		fn(ctx, next, parts);
		if (__atomic_add_fetch(&p->done, 1, __ATOMIC_SEQ_CST) == (unsigned)parts &&
		    __atomic_load_n(&p->waiting, __ATOMIC_SEQ_CST))
			futex_wake(&p->done);
	}
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	unsigned gen = 0;

	for (;;) {
		gen = wait_change(&p->gen, gen, &p->sleepers);
		if (__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE))
			return NULL;
		run_parts(p);
	}
}

static void start(struct pool *p)
{
	__atomic_add_fetch(&p->gen, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&p->sleepers, __ATOMIC_SEQ_CST))
		futex_wake(&p->gen);
}

static void stop_workers(struct pool *p, int started)
{
	if (!started)
		return;
	__atomic_store_n(&p->stop, true, __ATOMIC_RELEASE);
	start(p);
	for (int i = 0; i < started; i++)
		pthread_join(p->th[i], NULL);
}

int pool_new(int n, struct pool **out)
{
	sigset_t all, old;
	struct pool *p;
	int started = 0, r = 0;

	if (n < 1 || n > EGATE_FACE_MAX_THREADS)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->n = n;
	p->th = calloc(n, sizeof(*p->th));
	if (!p->th)
		r = -ENOMEM;
	/* the workers take no signals: the caller's process handles them */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (; r >= 0 && started < n - 1; started++) {
		r = -pthread_create(&p->th[started], NULL, worker, p);
		if (r < 0)
			break;
		/* Not the caller's name: ps -L, top -H and debuggers tell them apart. */
		pthread_setname_np(p->th[started], "egate-pool");
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		stop_workers(p, started);
		free(p->th);
		free(p);
		return r;
	}
	*out = p;
	return 0;
}

void pool_free(struct pool *p)
{
	if (!p)
		return;
	stop_workers(p, p->n - 1);
	free(p->th);
	free(p);
}

int pool_threads(const struct pool *p)
{
	return p ? p->n : 1;
}

int pool_parts(const struct pool *p)
{
	return p && p->n > 1 ? 4 * p->n : 1;
}

void pool_run(struct pool *p, void (*fn)(void *ctx, int part, int nparts), void *ctx, int nparts)
{
	unsigned done;
	uint64_t gen;

	if (!p || p->n == 1 || nparts <= 1) {
		for (int i = 0; i < nparts; i++)
			fn(ctx, i, nparts);
		return;
	}
	/* every part of the previous job is done: nobody claims until the
	 * new claim word is out */
	gen = (__atomic_load_n(&p->claim, __ATOMIC_RELAXED) >> 32) + 1;
	__atomic_store_n(&p->fn, fn, __ATOMIC_RELAXED);
	__atomic_store_n(&p->ctx, ctx, __ATOMIC_RELAXED);
	__atomic_store_n(&p->done, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&p->claim, gen << 32 | (uint64_t)nparts, __ATOMIC_RELEASE);
	start(p);
	run_parts(p);
	while ((done = __atomic_load_n(&p->done, __ATOMIC_ACQUIRE)) < (unsigned)nparts)
		wait_change(&p->done, done, &p->waiting);
}
