/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim.h - synthetic presentations for presentation-attack detection: the
 * landmark tracks and registered depth crops of a live head and of the
 * attacks the issue names (print, bent print, screen replay, print with
 * the eyes cut out), made from a face photo's 68 landmarks lifted to 3D
 * with the face engine's generic face (egate_face_pose_model()).
 *
 * Landmarks and depth come straight from the geometric model (no image is
 * rendered and re-detected); egate-pad-eval --check-render renders a few
 * frames of each kind and runs the real detector on them to show that the
 * tracks match.  The simulated camera (egate-sim-camera render-seq) renders
 * whole colour and depth frames of a sequence for vivid to play.  Every number of the generator is in struct pad_sim_params
 * (pad_sim_defaults in params.c), documented in Documentation/pad.md.
 */
#ifndef EGATE_PAD_SIM_H
#define EGATE_PAD_SIM_H

#include <stdint.h>

#include "egate-pad.h"

enum pad_sim_kind {
	PAD_SIM_BONA_FIDE,
	PAD_SIM_PRINT,		/* flat print moved by hand */
	PAD_SIM_PRINT_STILL,	/* flat print held still */
	PAD_SIM_BENT,		/* print bent around a vertical cylinder */
	PAD_SIM_SCREEN,		/* screen replaying a recorded live sequence */
	PAD_SIM_CUTOUT,		/* print with the eyes cut out, over a live head */
	PAD_SIM_KINDS,
};

const char *pad_sim_kind_name(enum pad_sim_kind kind);

/* A uniform range [lo, hi]. */
struct pad_sim_range {
	double lo, hi;
};

struct pad_sim_params {
	uint32_t frames;		/* per sequence */
	double fps;
	uint32_t width, height;		/* colour frame */
	double focal;			/* pixels; the depth crop shares the intrinsics */
	struct pad_sim_range distance_mm;	/* nose tip at the first frame */
	struct pad_sim_range approach_mm;	/* walked toward the camera over the sequence */
	/* live head: amplitude (degrees) and frequency (Hz) of the sways */
	struct pad_sim_range yaw_deg, pitch_deg, roll_deg, sway_hz;
	/* live head: its depths (nose relief, curvature) over the generic
	 * face's, for the spread of real faces (noses 15-40 mm) */
	struct pad_sim_range head_depth;
	double sway_mm;			/* sideways and up-down sway amplitude */
	double blink_per_s;		/* blink rate (Poisson) */
	double blink_s;			/* one blink's length */
	double landmark_noise;		/* detector jitter, fraction of the eye distance (sigma) */
	/* hand-held print or screen: sway amplitudes (degrees) */
	struct pad_sim_range hand_deg, hand_roll_deg;
	double still_deg;		/* the tremor of a print held still */
	struct pad_sim_range print_scale;	/* printed face size over life size */
	struct pad_sim_range bend_radius_mm;
	struct pad_sim_range screen_scale;	/* face on the screen over life size */
	struct pad_sim_range cutout_gap_mm;	/* print in front of the nose tip */
	/* depth sensor */
	double depth_sigma_mm;		/* noise sigma at 500 mm, grows with distance squared */
	double depth_dropout;		/* fraction of pixels without a measurement */
	double depth_edge_mm;		/* a step over this to a neighbour: no measurement */
	double background_mm;		/* the wall behind */
};

extern const struct pad_sim_params pad_sim_defaults;

/* A face photo's landmarks lifted to a 2.5D head: millimetres, x right,
 * y down, z away from the camera, nose tip at the origin. */
struct pad_sim_face;

/* From the 68 landmarks of a face photo (pixels): scaled to the generic
 * face's 63 mm between the eyes, depth from the generic face, and a smooth
 * surface through them (thin-plate spline, with points around the face). */
int pad_sim_face_new(const struct egate_face_landmarks *photo, struct pad_sim_face **out);
void pad_sim_face_free(struct pad_sim_face *face);
/* The lifted landmarks (mm) and the extent of the modelled head. */
void pad_sim_face_landmarks(const struct pad_sim_face *face,
			    double lm[EGATE_FACE_NUM_LANDMARKS][3]);
void pad_sim_face_extent(const struct pad_sim_face *face, double *x0, double *y0,
			 double *x1, double *y1);
/* The surface's depth at (x, y) mm; NaN outside the modelled head. */
double pad_sim_face_depth(const struct pad_sim_face *face, double x, double y);
/* The photo pixel at model (x, y) mm (for rendering the texture). */
void pad_sim_face_to_photo(const struct pad_sim_face *face, double x, double y,
			   double *u, double *v);

/* One frame: landmarks with detector noise, the exact ones, the depth crop. */
struct pad_sim_frame {
	struct egate_face_landmarks lm;		/* as a detector would report them */
	struct egate_face_landmarks truth;	/* without the detector's noise */
	struct egate_pad_depth depth;		/* z owned by the sequence; NULL if not made */
	/* the scene's pose at this frame (for rendering) */
	double R[3][3], t[3];
	double closure;				/* eyelids, 0 open .. 1 closed */
};

struct pad_sim_seq {
	enum pad_sim_kind kind;
	uint32_t n;
	struct pad_sim_frame *frames;
	struct pad_sim_params p;		/* made with */
	/* the presented object's geometry (for rendering) */
	double scale;				/* print: mm on the print per mm of face */
	double bend_radius;			/* 0 flat */
	double gap_mm;				/* cut-out: print before the nose */
	double head_depth;			/* live head: depth over the generic face's */
	struct pad_sim_seq *recorded;		/* screen: the live sequence it replays */
	double screen_mm_per_px;		/* screen: mm per pixel of the recording */
};

/* A sequence of KIND from FACE, reproducible from SEED, with depth crops
 * for its first DEPTH_FRAMES frames.  P NULL: pad_sim_defaults. */
int pad_sim_sequence(const struct pad_sim_face *face, enum pad_sim_kind kind, uint64_t seed,
		     const struct pad_sim_params *p, uint32_t depth_frames,
		     struct pad_sim_seq **out);
void pad_sim_seq_free(struct pad_sim_seq *seq);

/* The model point (mm) of an object at a frame in camera coordinates. */
void pad_sim_to_camera(const struct pad_sim_frame *f, const double *m, double *out);

/* Frame I of SEQ as a depth camera registered to the colour camera sees it
 * (what a D4xx "aligned depth" stream is): OUT, width x height millimetres
 * (0: no measurement) of SEQ's parameters, pixel for pixel the colour
 * frame's, the wall at background_mm behind, with the sensor's noise,
 * dropouts and holes at steps.  The noise is drawn from SEED and I alone:
 * SEQ is the same whether its depth frames are made or not. */
int pad_sim_depth_frame(const struct pad_sim_face *face, const struct pad_sim_seq *seq,
			uint32_t i, uint64_t seed, uint16_t *out);

/* Frame I of SEQ as the colour camera sees it (OUT: width x height RGB of
 * SEQ's parameters), for checking the landmark tracks with the real
 * detector.  PHOTO is the image FACE was lifted from (the landmarks'
 * pixels).  The eyelids are the photo's (open); a screen shows the
 * rendered frames of the live sequence it replays, with moire, gamma and
 * refresh banding. */
int pad_sim_render(const struct pad_sim_face *face, const struct egate_face_image *photo,
		   const struct pad_sim_seq *seq, uint32_t i, uint8_t *out);

#endif
