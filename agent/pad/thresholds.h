/* SPDX-License-Identifier: GPL-2.0 */
/*
 * thresholds.h - every number presentation-attack detection decides with,
 * in one place.  The thresholds were chosen by `make pad-eval` on the
 * synthetic sequences of half the people (the tuning half) and are
 * evaluated on the other half; Documentation/pad.md gives the figures and
 * how to redo it.  struct egate_pad_params overrides any of them.
 */
#ifndef EGATE_PAD_THRESHOLDS_H
#define EGATE_PAD_THRESHOLDS_H

/* Evidence.  At 15 frames/s: colour decides after 0.5 s at the soonest and
 * 4 s at the latest; depth on the median of 3 depth frames. */
#define PAD_MIN_FRAMES		8
#define PAD_MAX_FRAMES		60
#define PAD_DEPTH_FRAMES	3
/* Head rotation (yaw and pitch against the first frame, degrees) from which
 * a frame's parallax counts: below it a head shows too little parallax to
 * be told from a print. */
#define PAD_MIN_MOTION_DEG	3.0
/* Frames with that much motion the parallax score is the mean of, at least. */
#define PAD_MOTION_FRAMES	3

/* Colour: the parallax (egate_pad_scores.parallax) from which the face is
 * 3D: the 5th percentile of the tuning people's live sequences (BPCER 5 %
 * there).  It does not separate a bent print or a screen replay. */
#define PAD_PARALLAX		1.87

/* Blinks: the eye aspect ratio falls under 0.6 of its open value and rises
 * back over 0.85 of it. */
#define PAD_BLINK_CLOSED	0.6
#define PAD_BLINK_OPEN		0.85

/* Depth: the nose tip stands this far before the brow-mouth plane (real
 * faces 15-40 mm), and no quadric explains the face better than this RMS
 * residual beyond the sensor's noise (a print, flat or bent, is a quadric).
 * Each is midway between the tuning people's weakest live sequence and the
 * strongest attack it separates (relief 17.0 / 6.7 mm, quadric 2.2 /
 * 1.6 mm). */
#define PAD_RELIEF_MM		12.0
#define PAD_QUADRIC_MM		1.9
/* Points further than this from the nose tip's depth are background. */
#define PAD_DEPTH_BEHIND_MM	150.0
#define PAD_DEPTH_BEFORE_MM	60.0

#endif
