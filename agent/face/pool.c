// SPDX-License-Identifier: MIT
/*
 * A small persistent thread pool for one engine: the caller and N - 1
 * workers each run one part of a layer, then the caller waits for the
 * workers.  The workers are created once (pool_new()) and wait between
 * layers: they spin for a few microseconds (the next layer of the same
 * frame usually comes within that) and then sleep on a futex, so an idle
 * engine costs no CPU.  A pool of one thread runs the job in the caller and
 * touches no shared state.
 */
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>

#include "internal.h"

/* spins before sleeping, each a pause instruction (~10-40 ns) */
#define SPINS 2000

struct pool {
	int n;
	pthread_t *th;
	void (*fn)(void *ctx, int part, int nparts);
	void *ctx;
	unsigned gen;		/* bumped to start a job (futex word) */
	unsigned pending;	/* workers still running the job (futex word) */
	int sleepers;		/* workers asleep on gen */
	int waiting;		/* the caller is asleep on pending */
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

struct worker_arg {
	struct pool *p;
	int part;
};

static void *worker(void *arg)
{
	struct pool *p = ((struct worker_arg *)arg)->p;
	int part = ((struct worker_arg *)arg)->part;
	unsigned gen = 0;

	free(arg);
	for (;;) {
		gen = wait_change(&p->gen, gen, &p->sleepers);
		if (__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE))
			return NULL;
		p->fn(p->ctx, part, p->n);
		if (__atomic_sub_fetch(&p->pending, 1, __ATOMIC_SEQ_CST) == 0 &&
		    __atomic_load_n(&p->waiting, __ATOMIC_SEQ_CST))
			futex_wake(&p->pending);
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
	for (; r >= 0 && started < n - 1; started++) {
		struct worker_arg *a = malloc(sizeof(*a));

		if (!a) {
			r = -ENOMEM;
			break;
		}
		a->p = p;
		a->part = started + 1;
		r = -pthread_create(&p->th[started], NULL, worker, a);
		if (r < 0) {
			free(a);
			break;
		}
	}
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

void pool_run(struct pool *p, void (*fn)(void *ctx, int part, int nparts), void *ctx)
{
	unsigned left;

	if (!p || p->n == 1) {
		fn(ctx, 0, 1);
		return;
	}
	p->fn = fn;
	p->ctx = ctx;
	__atomic_store_n(&p->pending, (unsigned)p->n - 1, __ATOMIC_RELAXED);
	start(p);
	fn(ctx, 0, p->n);
	while ((left = __atomic_load_n(&p->pending, __ATOMIC_ACQUIRE)))
		wait_change(&p->pending, left, &p->waiting);
}
