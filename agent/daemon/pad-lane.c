// SPDX-License-Identifier: GPL-2.0
/*
 * pad-lane.c - the lane's presentation-attack detection (Documentation/pad.md):
 * its mode at start, the depth camera's frames paired with the colour
 * frames by capture time and registered into the colour grid, and PAD's
 * verdict beside the policy's (pad-check.c) logged and counted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "agent.h"

static enum egate_pad_mode resolve_mode(const struct agent *a)
{
	switch (a->settings->pad.mode) {
	case EGATE_PAD_SETTING_DEPTH:
		return EGATE_PAD_DEPTH;
	case EGATE_PAD_SETTING_COLOUR:
		return EGATE_PAD_COLOUR;
	case EGATE_PAD_SETTING_OFF:
		return 0;
	case EGATE_PAD_SETTING_AUTO:
		break;
	}
	return a->depth.link.monitor ? EGATE_PAD_DEPTH : EGATE_PAD_COLOUR;
}

int agent_pad_init(struct agent *a)
{
	const struct egate_pad_params params = { .focal = a->settings->camera.focal_px };
	enum egate_pad_mode mode = resolve_mode(a);
	int r;

	for (int i = 0; a->depth.link.monitor && i <= AGENT_DEPTH_RING; i++) {
		r = egate_frame_new(i < AGENT_DEPTH_RING ? &a->depth.ring[i] : &a->depth.paired);
		if (r < 0) {
			agent_log(a, "depth camera: %s", strerror(-r));
			return r;
		}
	}
	if (mode == EGATE_PAD_DEPTH && !a->depth.link.monitor) {
		agent_log(a, "pad.mode = depth needs a depth camera (depth.camera, or the udev "
			  "property %s)", EGATE_DEPTH_CAMERA_UDEV_PROPERTY);
		return -EINVAL;
	}
	r = pad_check_init(&a->pad, mode, &params);
	if (r < 0) {
		agent_log(a, "presentation-attack detection: %s", strerror(-r));
		return r;
	}
	if (!mode)
		agent_logp(a, LOG_WARNING, "presentation-attack detection is off (pad.mode = off): "
			   "a photo or a screen of an enrolled traveller opens the lane");
	else if (mode == EGATE_PAD_COLOUR)
		agent_logp(a, LOG_WARNING, "presentation-attack detection in colour mode, the weak "
			   "one: a screen replaying a video of a traveller, or a bent print, may "
			   "pass (a depth camera makes it strong; Documentation/pad.md)");
	else
		agent_log(a, "presentation-attack detection in depth mode");
	return 0;
}

void agent_pad_done(struct agent *a)
{
	pad_check_done(&a->pad);
	for (int i = 0; i < AGENT_DEPTH_RING; i++) {
		egate_frame_free(a->depth.ring[i]);
		a->depth.ring[i] = NULL;
	}
	egate_frame_free(a->depth.paired);
	a->depth.paired = NULL;
	free(a->depth.crop);
	a->depth.crop = NULL;
}

void agent_depth_read(struct agent *a)
{
	struct agent_depth *d = &a->depth;
	int r = egate_camera_read_latest(d->link.camera, d->ring[d->next]);

	if (r == -ENODEV) {
		agent_camera_lost(a, &d->link);
		return;
	}
	if (r < 0)
		return;
	d->link.last_frame_ns = a->now_ns;
	d->next = (d->next + 1) % AGENT_DEPTH_RING;
}

static uint64_t gap(uint64_t x, uint64_t y)
{
	return x > y ? x - y : y - x;
}

/*
 * The ring's frame nearest to the colour frame in capture time, within
 * AGENT_DEPTH_PAIR_MS, becomes the paired one (swapped: no copy).
 */
void agent_depth_pair(struct agent *a, uint64_t colour_ns)
{
	struct agent_depth *d = &a->depth;
	struct egate_frame *swap;
	int best = -1;

	d->have_paired = false;
	if (!d->link.monitor)
		return;
	/*
	 * A depth frame taken with this colour frame may be ready without its
	 * poll having completed yet (both completions in one batch, the
	 * colour one first): read it now, or the pair misses it.
	 */
	if (d->link.camera)
		agent_depth_read(a);
	for (int i = 0; i < AGENT_DEPTH_RING; i++) {
		uint64_t t = egate_frame_timestamp_ns(d->ring[i]);

		if (t && gap(t, colour_ns) <= AGENT_DEPTH_PAIR_MS * 1000000ull &&
		    (best < 0 || gap(t, colour_ns) < gap(egate_frame_timestamp_ns(d->ring[best]),
							 colour_ns)))
			best = i;
	}
	if (best < 0)
		return;
	swap = d->paired;
	d->paired = d->ring[best];
	d->ring[best] = swap;
	d->have_paired = true;
}

/* The paired depth frame in the colour frame's grid, over the face; NULL: no depth. */
static const struct egate_pad_depth *depth_crop(struct agent *a, const struct worker_result *r,
						struct egate_pad_depth *out)
{
	const struct egate_settings *s = a->settings;
	struct agent_depth *d = &a->depth;
	const struct pad_registration reg = {
		.offset_x = s->depth.offset_x, .offset_y = s->depth.offset_y,
		.scale = s->depth.scale, .focal = s->camera.focal_px,
	};
	struct pad_depth_image img;

	if (!d->have_paired || !egate_frame_depth(d->paired))
		return NULL;
	img = (struct pad_depth_image) {
		.z = egate_frame_depth(d->paired), .width = egate_frame_width(d->paired),
		.height = egate_frame_height(d->paired),
		.stride = egate_frame_stride(d->paired) / 2,
	};
	if (pad_register_depth(&reg, &img, &r->lm, r->width, r->height, &d->crop,
			       &d->crop_size, out) < 0)
		return NULL;
	return out;
}

enum policy_verdict agent_pad_decide(struct agent *a, const struct worker_result *r,
				     enum policy_verdict v, struct policy_decision *d)
{
	struct pad_check *pc = &a->pad;
	struct egate_pad_depth crop;
	struct pad_input in = {
		.lm = r->landmarked ? &r->lm : NULL,
		.width = r->width, .height = r->height, .time_ns = r->frame.time_ns,
	};
	enum egate_pad_verdict before, after;
	uint64_t feed_ns;

	if (!pc->pad)
		return v;
	if (in.lm && pc->mode == EGATE_PAD_DEPTH) {
		in.depth = depth_crop(a, r, &crop);
		if (!in.depth && !a->depth.missing_logged)
			agent_logp(a, LOG_WARNING, "no depth frame within %u ms of the colour "
				   "frame: presentation-attack detection cannot pass without one",
				   AGENT_DEPTH_PAIR_MS);
		a->depth.missing_logged = !in.depth;
	}
	before = pc->session == a->policy.session ? pad_check_verdict(pc, NULL) :
		 EGATE_PAD_UNDECIDED;
	feed_ns = pc->session == a->policy.session ? pc->feed_ns : 0;
	v = pad_check_decide(pc, &a->policy, &in, v, d);
	after = pad_check_verdict(pc, NULL);
	a->metrics.pad_feed_ns += pc->feed_ns - feed_ns;
	if (before == EGATE_PAD_UNDECIDED && after != EGATE_PAD_UNDECIDED) {
		a->metrics.pad_verdicts[after]++;
		a->metrics.pad_wait_ns += pc->last_ns - pc->first_ns;
		a->metrics.dirty = true;
	}
	if (v == POLICY_DENY && d->reason && !strcmp(d->reason, PAD_CHECK_REASON)) {
		a->metrics.pad_attacks++;
		a->metrics.dirty = true;
		agent_logp(a, LOG_WARNING, "presentation attack: denied (%s)", d->detail);
	}
	return v;
}
