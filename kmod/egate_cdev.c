// SPDX-License-Identifier: GPL-2.0
/*
 * egate - /dev/egateN: event stream, commands, info and state ioctls.
 *
 * Each open file has its own queue of struct egate_event.  A full queue
 * drops its oldest record; the reader sees a gap in the sequence numbers
 * and the file's drop counter.  read_iter() honours IOCB_NOWAIT and poll()
 * reports readiness, so io_uring reads arm a poll instead of blocking a
 * worker thread.  The first opener with write access controls the lane.
 *
 * Bounded: a lane serves at most EGATE_MAX_FILES open files (the open that
 * takes control of the lane is always admitted, so readers cannot lock the
 * controller out), and each queue is virtually contiguous memory charged
 * to the opener, so no open needs a large physically contiguous block.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "egate_compat_uring.h"
#include "egate_priv.h"

/* Open files per lane, the controlling one aside; more get EBUSY. */
#define EGATE_MAX_FILES		64
/* Records a read() moves per trip through the reader's lock. */
#define EGATE_READ_BATCH	8

/**
 * struct egate_file - an open file of /dev/egateN
 * @r: the reader the rest of the driver sees; file->private_data points
 *	to it (and container_of() leads back here)
 * @read_lock: serialises read_iter() on this file: the records one read
 *	peeks are consumed by that read only (taken before @r.lock, never
 *	under the lane lock)
 * @buf: storage of @r.fifo, from kvmalloc() (const while open)
 */
struct egate_file {
	struct egate_reader r;
	struct mutex read_lock;
	struct egate_event *buf;
};

static struct egate_file *egate_file_of(struct egate_reader *r)
{
	return container_of(r, struct egate_file, r);
}

/* The records are ABI: same size and layout for 32- and 64-bit callers. */
static_assert(sizeof(struct egate_event) == 48);
static_assert(sizeof(struct egate_cmd) == 32);
static_assert(sizeof(struct egate_info) == 64);
static_assert(sizeof(struct egate_status) == 64);

/* Called with the lane lock held. */
void egate_emit(struct egate_lane *lane, u32 type, u32 arg)
{
	struct egate_event ev = {
		.timestamp_ns	= ktime_get_ns(),
		.seq		= ++lane->seq,
		.tag		= lane->tag,
		.type		= type,
		.state		= lane->state,
		.beams		= lane->in.beams,
		.arg		= arg,
		.doors		= egate_doors_summary(lane),
	};
	struct egate_reader *r;

	lockdep_assert_held(&lane->lock);
	lane->last = ev;
	egate_genl_event(lane, &ev);
	lane->cnt[EGATE_CNT_EVENTS]++;
	list_for_each_entry(r, &lane->readers, node) {
		spin_lock(&r->lock);
		if (kfifo_is_full(&r->fifo)) {
			kfifo_skip(&r->fifo);
			r->dropped++;
			lane->cnt[EGATE_CNT_OVERFLOWS]++;
		}
		kfifo_put(&r->fifo, ev);
		spin_unlock(&r->lock);
		wake_up_interruptible_poll(&r->wait, EPOLLIN | EPOLLRDNORM);
	}
}

/* Called with the lane lock held, after the lane died. */
void egate_wake_all(struct egate_lane *lane)
{
	struct egate_reader *r;

	list_for_each_entry(r, &lane->readers, node)
		wake_up_interruptible_poll(&r->wait, EPOLLHUP | EPOLLERR);
}

/* Called with the lane lock held. */
static unsigned int egate_open_files(struct egate_lane *lane)
{
	struct egate_reader *r;
	unsigned int n = 0;

	lockdep_assert_held(&lane->lock);
	list_for_each_entry(r, &lane->readers, node)
		n++;
	return n;
}

static int egate_open(struct inode *inode, struct file *file)
{
	struct egate_lane *lane = container_of(inode->i_cdev,
					       struct egate_lane, cdev);
	unsigned int nrec = roundup_pow_of_two(egate_fifo_size);
	struct egate_reader *r;
	struct egate_file *f;
	bool full;
	int ret;

	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return -ENOMEM;
	/* Up to 3 MiB with fifo_size=65536: no need for it to be contiguous. */
	f->buf = kvmalloc_array(nrec, sizeof(*f->buf), GFP_KERNEL_ACCOUNT);
	if (!f->buf) {
		ret = -ENOMEM;
		goto free_file;
	}
	r = &f->r;
	ret = kfifo_init(&r->fifo, f->buf, nrec * sizeof(*f->buf));
	if (ret)
		goto free_buf;
	mutex_init(&f->read_lock);
	spin_lock_init(&r->lock);
	init_waitqueue_head(&r->wait);
	r->lane = lane;

	mutex_lock(&lane->lock);
	if (lane->dead) {
		ret = -ENODEV;
		goto unlock;
	}
	full = egate_open_files(lane) >= EGATE_MAX_FILES;
	list_add_tail(&r->node, &lane->readers);
	if (file->f_mode & FMODE_WRITE)
		egate_sm_claim(lane, r);
	/*
	 * Past the bound only the file that has just taken control stays:
	 * whoever can open the device must not be able to lock the lane's
	 * controller out by holding files open.  At most one file holds
	 * control, so the lane never has more than EGATE_MAX_FILES + 1.
	 * A refused file did not take control, so nothing but this list
	 * ever saw it, and the lane lock was held all along.
	 */
	if (full && lane->ctl != r) {
		list_del(&r->node);
		ret = -EBUSY;
		goto unlock;
	}
	get_device(&lane->dev);
	mutex_unlock(&lane->lock);

	file->private_data = r;
	stream_open(inode, file);
	file->f_mode |= FMODE_NOWAIT;
	return 0;

unlock:
	mutex_unlock(&lane->lock);
	mutex_destroy(&f->read_lock);
free_buf:
	kvfree(f->buf);
free_file:
	kfree(f);
	return ret;
}

static int egate_release(struct inode *inode, struct file *file)
{
	struct egate_reader *r = file->private_data;
	struct egate_file *f = egate_file_of(r);
	struct egate_lane *lane = r->lane;

	mutex_lock(&lane->lock);
	list_del(&r->node);
	egate_sm_release(lane, r);
	mutex_unlock(&lane->lock);

	mutex_destroy(&f->read_lock);
	kvfree(f->buf);
	kfree(f);
	put_device(&lane->dev);
	return 0;
}

static bool egate_reader_ready(struct egate_reader *r)
{
	bool ready;

	spin_lock(&r->lock);
	ready = !kfifo_is_empty(&r->fifo);
	spin_unlock(&r->lock);
	return ready || READ_ONCE(r->lane->dead);
}

/*
 * Called with @r's lock held, after @k records up to sequence number
 * @last were copied to the reader: remove them from the queue.
 *
 * They were peeked, not taken, so that a failed copy loses nothing; the
 * price is a race with the writer.  While the copy ran without the lock,
 * egate_emit() may have found the queue full and dropped its oldest
 * records, which are the very ones being copied, counting each in
 * @r->dropped.  So the records to consume are found by sequence number,
 * not by count: sequence numbers grow strictly along a queue and only the
 * writer removes records besides this read (@read_lock keeps other reads
 * out), so what is left of the copied records is exactly the head of the
 * queue up to @last.  Those the writer dropped reached the reader anyway:
 * they come off @r->dropped again, so that it counts what the file lost,
 * the gaps the reader sees in the sequence.  (The lane's overflow counter
 * counts records dropped from queues, which they were: it stays.)
 */
static void egate_consume(struct egate_reader *r, u64 last, unsigned int k)
{
	struct egate_event head;
	unsigned int left = 0;

	lockdep_assert_held(&r->lock);
	while (kfifo_peek(&r->fifo, &head) && head.seq <= last) {
		kfifo_skip(&r->fifo);
		left++;
	}
	r->dropped -= k - left;
}

/*
 * Copy queued records to @to while it has room for one, in batches peeked
 * under @r's lock and copied without it (copy_to_iter() may fault and
 * sleep).  Return: bytes copied, 0 when none were queued, or -EFAULT when
 * not even the first record could be copied.  What was not copied stays
 * queued, so the next read returns it.
 */
static ssize_t egate_read_records(struct egate_reader *r, struct iov_iter *to)
{
	struct egate_event batch[EGATE_READ_BATCH];
	unsigned int want, n, k;
	ssize_t done = 0;
	size_t copied;

	while (iov_iter_count(to) >= sizeof(batch[0])) {
		want = min_t(size_t, ARRAY_SIZE(batch),
			     iov_iter_count(to) / sizeof(batch[0]));
		spin_lock(&r->lock);
		n = kfifo_out_peek(&r->fifo, batch, want);
		spin_unlock(&r->lock);
		if (!n)
			break;
		copied = copy_to_iter(batch, n * sizeof(batch[0]), to);
		/* Whole records only; a torn one is not reported, nor taken. */
		k = copied / sizeof(batch[0]);
		if (k) {
			spin_lock(&r->lock);
			egate_consume(r, batch[k - 1].seq, k);
			spin_unlock(&r->lock);
			done += k * sizeof(batch[0]);
		}
		if (k < n)
			return done ? done : -EFAULT;
	}
	return done;
}

static ssize_t egate_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct egate_reader *r = iocb->ki_filp->private_data;
	struct egate_file *f = egate_file_of(r);
	ssize_t ret;

	if (iov_iter_count(to) < sizeof(struct egate_event))
		return -EINVAL;

	for (;;) {
		/* Another read of this file may sleep in a fault: no waiting. */
		if (iocb->ki_flags & IOCB_NOWAIT) {
			if (!mutex_trylock(&f->read_lock))
				return -EAGAIN;
		} else {
			ret = mutex_lock_interruptible(&f->read_lock);
			if (ret)
				return ret;
		}
		ret = egate_read_records(r, to);
		mutex_unlock(&f->read_lock);
		if (ret)
			return ret;
		/* Records queued before the lane died are still read. */
		if (READ_ONCE(r->lane->dead))
			return -ENODEV;
		if ((iocb->ki_flags & IOCB_NOWAIT) ||
		    (iocb->ki_filp->f_flags & O_NONBLOCK))
			return -EAGAIN;
		ret = wait_event_interruptible(r->wait, egate_reader_ready(r));
		if (ret)
			return ret;
	}
}

static ssize_t egate_write(struct file *file, const char __user *buf,
			   size_t count, loff_t *ppos)
{
	struct egate_reader *r = file->private_data;
	struct egate_cmd cmd;
	int ret;

	if (count != sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(&cmd, buf, sizeof(cmd)))
		return -EFAULT;
	ret = egate_sm_command(r->lane, r, &cmd);
	return ret ? ret : sizeof(cmd);
}

static __poll_t egate_poll(struct file *file, struct poll_table_struct *pt)
{
	struct egate_reader *r = file->private_data;
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(file, &r->wait, pt);
	if (READ_ONCE(r->lane->dead))
		return EPOLLHUP | EPOLLERR;
	spin_lock(&r->lock);
	if (!kfifo_is_empty(&r->fifo))
		mask |= EPOLLIN | EPOLLRDNORM;
	spin_unlock(&r->lock);
	return mask;
}

static long egate_ioctl_info(struct egate_lane *lane, void __user *arg)
{
	struct egate_info info = {
		.abi_version	= EGATE_ABI_VERSION,
		.lane_id	= lane->id,
		.topology	= lane->topology,
		.nbeams		= lane->nbeams,
		.event_size	= sizeof(struct egate_event),
		.cmd_size	= sizeof(struct egate_cmd),
		.fifo_size	= roundup_pow_of_two(egate_fifo_size),
		.swing_beams	= lane->swing,
	};

	if (lane->irq_mode)
		info.caps |= EGATE_CAP_IRQ;
	if (lane->door[EGATE_DOOR_EXIT].present)
		info.caps |= EGATE_CAP_EXIT_DOOR;
	if (lane->green && lane->red)
		info.caps |= EGATE_CAP_LAMPS;
	if (lane->buzzer)
		info.caps |= EGATE_CAP_BUZZER;
	return copy_to_user(arg, &info, sizeof(info)) ? -EFAULT : 0;
}

/**
 * egate_lane_status() - the lane's state as @r sees it
 * @r: the open file asking
 * @st: filled in
 * @nowait: do not sleep on the lane lock (io_uring's IO_URING_F_NONBLOCK)
 *
 * Return: 0, or -EAGAIN when @nowait and the lane lock is contended
 * (@st is then untouched).
 */
int egate_lane_status(struct egate_reader *r, struct egate_status *st,
		      bool nowait)
{
	struct egate_lane *lane = r->lane;

	if (!nowait)
		mutex_lock(&lane->lock);
	else if (!mutex_trylock(&lane->lock))
		return -EAGAIN;
	memset(st, 0, sizeof(*st));
	st->state = lane->state;
	st->mode = lane->mode;
	st->beams = lane->in.beams;
	st->doors = egate_doors_summary(lane);
	st->alarm = lane->alarm;
	st->flags = egate_sm_status_flags(lane);
	if (lane->ctl == r)
		st->flags |= EGATE_STATUS_CONTROLLER;
	st->last_seq = lane->seq;
	st->passages = lane->cnt[EGATE_CNT_PASSAGES];
	mutex_unlock(&lane->lock);

	spin_lock(&r->lock);
	st->dropped = r->dropped;
	spin_unlock(&r->lock);
	return 0;
}

static long egate_ioctl_state(struct egate_reader *r, void __user *arg)
{
	struct egate_status st;

	egate_lane_status(r, &st, false);
	return copy_to_user(arg, &st, sizeof(st)) ? -EFAULT : 0;
}

static long egate_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct egate_reader *r = file->private_data;
	struct egate_lane *lane = r->lane;
	void __user *uarg = (void __user *)arg;

	if (READ_ONCE(lane->dead))
		return -ENODEV;
	switch (cmd) {
	case EGATE_IOC_GET_INFO:
		return egate_ioctl_info(lane, uarg);
	case EGATE_IOC_GET_STATE:
		return egate_ioctl_state(r, uarg);
	default:
		return -ENOTTY;
	}
}

const struct file_operations egate_fops = {
	.owner		= THIS_MODULE,
	.open		= egate_open,
	.release	= egate_release,
	.read_iter	= egate_read_iter,
	.write		= egate_write,
	.poll		= egate_poll,
	.unlocked_ioctl	= egate_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.uring_cmd	= egate_uring_cmd,
};
