// SPDX-License-Identifier: GPL-2.0
/*
 * Minimal raw io_uring for the tests; see eg_uring.h.
 */
#include <dirent.h>
#include <errno.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "eg_uring.h"

struct eg_uring {
	int fd;
	struct io_uring_params p;
	void *sq_ring, *cq_ring;
	size_t sq_len, cq_len;
	struct io_uring_sqe *sqes;
	unsigned int *sq_head, *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
};

struct eg_uring *eg_uring_new(unsigned int entries)
{
	struct eg_uring *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->fd = syscall(__NR_io_uring_setup, entries, &r->p);
	if (r->fd < 0)
		goto free;
	r->sq_len = r->p.sq_off.array + r->p.sq_entries * sizeof(unsigned int);
	r->cq_len = r->p.cq_off.cqes +
		    r->p.cq_entries * sizeof(struct io_uring_cqe);
	r->sq_ring = mmap(NULL, r->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			  r->fd, IORING_OFF_SQ_RING);
	r->cq_ring = mmap(NULL, r->cq_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			  r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, r->p.sq_entries * sizeof(struct io_uring_sqe),
		       PROT_READ | PROT_WRITE, MAP_SHARED, r->fd,
		       IORING_OFF_SQES);
	if (r->sq_ring == MAP_FAILED || r->cq_ring == MAP_FAILED ||
	    r->sqes == MAP_FAILED)
		goto close;
	r->sq_head = (unsigned int *)((char *)r->sq_ring + r->p.sq_off.head);
	r->sq_tail = (unsigned int *)((char *)r->sq_ring + r->p.sq_off.tail);
	r->sq_mask = (unsigned int *)((char *)r->sq_ring + r->p.sq_off.ring_mask);
	r->sq_array = (unsigned int *)((char *)r->sq_ring + r->p.sq_off.array);
	r->cq_head = (unsigned int *)((char *)r->cq_ring + r->p.cq_off.head);
	r->cq_tail = (unsigned int *)((char *)r->cq_ring + r->p.cq_off.tail);
	r->cq_mask = (unsigned int *)((char *)r->cq_ring + r->p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)((char *)r->cq_ring + r->p.cq_off.cqes);
	return r;
close:
	close(r->fd);
free:
	free(r);
	return NULL;
}

void eg_uring_free(struct eg_uring *r)
{
	if (!r)
		return;
	munmap(r->sqes, r->p.sq_entries * sizeof(struct io_uring_sqe));
	munmap(r->cq_ring, r->cq_len);
	munmap(r->sq_ring, r->sq_len);
	close(r->fd);
	free(r);
}

int eg_uring_fd(struct eg_uring *r)
{
	return r->fd;
}

static struct io_uring_sqe *eg_uring_sqe(struct eg_uring *r, int fd,
					 uint8_t opcode, uint64_t user_data)
{
	unsigned int idx = *r->sq_tail & *r->sq_mask;
	struct io_uring_sqe *sqe = &r->sqes[idx];

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = opcode;
	sqe->fd = fd;
	sqe->user_data = user_data;
	r->sq_array[idx] = idx;
	return sqe;
}

static int eg_uring_submit(struct eg_uring *r)
{
	__atomic_store_n(r->sq_tail, *r->sq_tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, r->fd, 1, 0, 0, NULL, 0) != 1)
		return -errno;
	return 0;
}

int eg_uring_cmd(struct eg_uring *r, int fd, uint32_t cmd_op,
		 const void *payload, uint64_t user_data)
{
	struct io_uring_sqe *sqe = eg_uring_sqe(r, fd, IORING_OP_URING_CMD,
						user_data);

	sqe->cmd_op = cmd_op;
	memcpy(sqe->cmd, payload, 16);
	return eg_uring_submit(r);
}

int eg_uring_read(struct eg_uring *r, int fd, void *buf, size_t len,
		  uint64_t user_data)
{
	struct io_uring_sqe *sqe = eg_uring_sqe(r, fd, IORING_OP_READ,
						user_data);

	sqe->addr = (uintptr_t)buf;
	sqe->len = len;
	sqe->off = (uint64_t)-1;
	return eg_uring_submit(r);
}

int eg_uring_wait(struct eg_uring *r, int timeout_ms, int *res,
		  uint64_t *user_data)
{
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
	unsigned int head = *r->cq_head;
	struct io_uring_cqe *cqe;

	if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE)) {
		int ret = poll(&pfd, 1, timeout_ms);

		if (ret < 0)
			return -errno;
		if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
			return 0;
	}
	cqe = &r->cqes[head & *r->cq_mask];
	*res = cqe->res;
	*user_data = cqe->user_data;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return 1;
}

int eg_uring_workers(void)
{
	char path[300], comm[64];
	struct dirent *de;
	int n = 0;
	FILE *f;
	DIR *d;

	d = opendir("/proc/self/task");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
			 de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, "iou-wrk", 7))
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}
