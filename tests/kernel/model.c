// SPDX-License-Identifier: GPL-2.0
/*
 * Model-based test: long random sequences of controller commands, officer
 * commands and simulated-world events against the real egate.ko and
 * egate_sim.ko, with the lane's safety invariants (Documentation/
 * egate-lane.md, DESIGN.md rules 1-8) checked after every step, on every
 * event record and on every status poll.  See Documentation/testing.md.
 *
 * Environment: EGATE_MODEL_SEED (default: from the clock, printed),
 * EGATE_MODEL_STEPS (cap on steps), EGATE_MODEL_SECONDS (time per
 * configuration, default 40), EGATE_MODEL_SHRINK_SECONDS (time the
 * shrinker may spend, default 25), EGATE_MODEL_ONLY (configurations to
 * run, e.g. "mantrap_irq,single_polled"; default all four),
 * EGATE_MODEL_LIST=1 (print the seed's step list, load nothing).  One seed gives one step list; a rerun
 * replays it exactly, but the lane's reaction to it depends on timing
 * (interrupt threads, emulation speed), so a rerun may not fail the same.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "egate_test.h"
#include "eg_genl.h"
#include "uapi/linux/egate_netlink.h"

/*
 * Allowances for the time the lane legitimately takes to react (all in
 * ms of CLOCK_MONOTONIC).  They are generous because the guest runs under
 * software emulation on a shared host: they are there to avoid false
 * alarms, and every failure they let through would still be far above
 * what a real lane may take (DESIGN.md: the emergency reaction bound is
 * 200 ms; a violation found here is one of seconds or of ordering).
 */
#define MC_EMERG_BOUND_MS	400	/* emergency input -> doors commanded open */
#define MC_READERR_BOUND_MS	400	/* read error seen -> fault */
#define MC_HOLD_END_MS		600	/* controller gone -> its hold-open over */
#define MC_INTERLOCK_REACT_MS	300	/* a door left open with the other not shut */
#define MC_EXC_GRACE_MS		1200	/* after emergency/officer hold: doors close */
#define MC_CROSS_TAIL_MS	8000	/* a traveller still walking out */
#define MC_DENY_MS		300	/* DENY 0 -> its AUTH_END(DENIED) */
#define MC_BEAT_MS		100	/* heartbeat period while beating */
#define MC_POLL_MS		10
/*
 * The sim counts a pinch after pinch_ticks=10 model ticks (100 ms) of a
 * door driven closed onto a broken swing-zone beam: a beam edge, the IRQ
 * thread or polled debounce (poll_ms=2 debounce=3 here), and the guest's
 * emulation stalls.  A driver that does close onto someone stays there
 * far longer.
 */
#define MC_SETTLE_MS		1500	/* polled after the last step */

/* Timings written to sysfs: short, so that many states are reached. */
static const struct { const char *attr, *val; } mc_timings[] = {
	{ "timings/door_travel_ms", "800" },	/* sim door_ms=150 */
	{ "timings/auth_expiry_ms", "1500" },
	{ "timings/passage_timeout_ms", "4000" },
	{ "timings/obstruct_retry_ms", "100" },
	{ "timings/heartbeat_ms", "700" },
};

/* ---- steps ------------------------------------------------------------ */

enum mc_kind {
	/* controller */
	S_AUTH, S_DENY, S_LOCK, S_RESET, S_HOLD, S_MODE, S_HB_STOP,
	S_HB_START, S_REOPEN, S_CLOSE, S_OPEN,
	/* officer, over netlink */
	S_OFF_OPEN, S_OFF_HOLD, S_OFF_LOCK, S_OFF_RESET,
	/* the world */
	S_WALK, S_PAIR, S_WALK_STOP, S_EMERG, S_FORCE, S_JAM, S_FAULT,
	S_CHATTER, S_READERR, S_CLEAR,
	/* every fault off, travellers gone, then both resets */
	S_RECOVER,
	S_COUNT
};

static const char * const mc_kind_names[S_COUNT] = {
	"auth", "deny", "lock", "reset", "hold", "mode", "hb-stop",
	"hb-start", "reopen", "close", "open",
	"off-open", "off-hold", "off-lock", "off-reset",
	"walk", "pair", "walk-stop", "emergency", "force", "jam", "fault",
	"chatter", "readerr", "clear", "recover",
};

static const char * const mc_rderr_names[4] = {
	"beams", "emergency", "entry", "exit",
};

struct mc_step {
	unsigned char kind;
	unsigned char a, b;
	unsigned short c;
	unsigned short wait_ms;
};

static void mc_step_str(const struct mc_step *s, char *buf, size_t len)
{
	static const char * const door[2] = { "entry", "exit" };
	const char *dir = s->a ? "rev" : "fwd";

	switch (s->kind) {
	case S_AUTH:
		snprintf(buf, len, "auth(%s%s%.0u)", dir,
			 s->b == 1 ? ",walk," : s->b == 2 ? ",pair," : "",
			 s->b ? s->c : 0);
		break;
	case S_MODE:
		snprintf(buf, len, "mode(%s)", s->a ? "oos" : "normal");
		break;
	case S_WALK:
		snprintf(buf, len, "walk(%s,%u)", dir, s->c);
		break;
	case S_PAIR:
		snprintf(buf, len, "pair(%s,%u,gap=%u)", dir, s->c, s->b * 50u);
		break;
	case S_WALK_STOP:
		snprintf(buf, len, "walk-stop(%s,beam=%u,%ums)", dir, s->b,
			 s->c);
		break;
	case S_EMERG:
		snprintf(buf, len, "emergency(%u)", s->a);
		break;
	case S_FORCE:
	case S_JAM:
	case S_FAULT:
		snprintf(buf, len, "%s(%s,%u)", mc_kind_names[s->kind],
			 door[s->a & 1], s->b);
		break;
	case S_CHATTER:
		snprintf(buf, len, "chatter(%u,%u)", s->a, s->b);
		break;
	case S_READERR:
		snprintf(buf, len, "readerr(%s,%u)", mc_rderr_names[s->a & 3],
			 s->b);
		break;
	default:
		snprintf(buf, len, "%s", mc_kind_names[s->kind]);
	}
	snprintf(buf + strlen(buf), len - strlen(buf), "+%u", s->wait_ms);
}

/* xorshift64*: the step list depends on the seed only. */
static uint64_t mc_rng;

static uint32_t mc_rand(uint32_t n)
{
	mc_rng ^= mc_rng >> 12;
	mc_rng ^= mc_rng << 25;
	mc_rng ^= mc_rng >> 27;
	return (uint32_t)((mc_rng * 2685821657736338717ULL) >> 32) % n;
}

/*
 * Generate @n steps.  The generator keeps a shadow of the knobs it set,
 * so that faults are turned off again soon and the lane spends most of
 * its time in ordinary passages.
 */
static void mc_generate(struct mc_step *st, int n, bool mantrap,
			unsigned int nbeams)
{
	bool emerg = false, hb_stopped = false, closed = false, oos = false;
	bool prev_recover = false;
	bool knob[4][2] = { { false } };	/* force, jam, fault per door */
	bool chatter[EGATE_MAX_BEAMS] = { false }, rderr[4] = { false };
	int i, doors = mantrap ? 2 : 1;

	for (i = 0; i < n; i++) {
		struct mc_step *s = &st[i];
		int anyknob = emerg || hb_stopped || closed || oos;
		unsigned int r, k, d;

		memset(s, 0, sizeof(*s));
		for (k = 0; k < 3; k++)
			for (d = 0; d < 2; d++)
				anyknob |= knob[k][d];
		for (k = 0; k < 4; k++)
			anyknob |= rderr[k];
		for (k = 0; k < nbeams; k++)
			anyknob |= chatter[k];

		/* Half the steps undo a fault while one is on. */
		if (anyknob && mc_rand(2) == 0) {
			if (emerg) {
				s->kind = S_EMERG;
			} else if (closed) {
				s->kind = S_OPEN;
				closed = false;
			} else if (oos) {
				s->kind = S_MODE;
				oos = false;
			} else if (hb_stopped) {
				s->kind = S_HB_START;
				hb_stopped = false;
			} else {
				for (k = 0; k < 4; k++)
					if (rderr[k])
						break;
				if (k < 4) {
					s->kind = S_READERR;
					s->a = k;
					rderr[k] = false;
				} else {
					for (k = 0; k < nbeams; k++)
						if (chatter[k])
							break;
					if (k < nbeams) {
						s->kind = S_CHATTER;
						s->a = k;
						chatter[k] = false;
					} else {
						for (k = 0; k < 6; k++)
							if (knob[k / 2][k % 2])
								break;
						s->kind = S_FORCE + k / 2;
						s->a = k % 2;
						knob[k / 2][k % 2] = false;
					}
				}
			}
			if (s->kind == S_EMERG)
				emerg = false;
			goto wait;
		}

		r = mc_rand(100);
		if (prev_recover && mc_rand(10) < 7)
			r = 0;	/* a clean lane: try a passage */
		prev_recover = false;
		if (r < 22) {
			/* Mostly with someone (or two) walking up. */
			s->kind = S_AUTH;
			s->a = mc_rand(4) == 0;
			s->b = mc_rand(8);
			s->b = s->b < 2 ? 0 : s->b < 7 ? 1 : 2;
			s->c = 800 + mc_rand(1700);
		} else if (r < 25) {
			s->kind = S_DENY;
		} else if (r < 26) {
			s->kind = S_LOCK;
		} else if (r < 36) {
			s->kind = S_RESET;
		} else if (r < 37) {
			s->kind = S_HOLD;
		} else if (r < 39) {
			s->kind = S_MODE;
			s->a = !oos;
			oos = !oos;
		} else if (r < 41) {
			s->kind = hb_stopped ? S_HB_START : S_HB_STOP;
			hb_stopped = !hb_stopped;
		} else if (r < 44) {
			s->kind = closed ? S_OPEN : S_REOPEN;
			closed = false;
		} else if (r < 45) {
			s->kind = closed ? S_OPEN : S_CLOSE;
			closed = !closed;
		} else if (r < 47) {
			s->kind = S_OFF_OPEN;
		} else if (r < 48) {
			s->kind = S_OFF_HOLD;
		} else if (r < 49) {
			s->kind = S_OFF_LOCK;
		} else if (r < 52) {
			s->kind = S_OFF_RESET;
		} else if (r < 64) {
			s->kind = S_WALK;
			s->a = mc_rand(4) == 0;
			s->c = 600 + mc_rand(2000);
		} else if (r < 67) {
			s->kind = S_PAIR;
			s->a = mc_rand(4) == 0;
			s->b = mc_rand(5);	/* gap 0..200 mm */
			s->c = 800 + mc_rand(1500);
		} else if (r < 71) {
			s->kind = S_WALK_STOP;
			s->a = mc_rand(4) == 0;
			s->b = mc_rand(nbeams);
			s->c = 100 + mc_rand(2000);
		} else if (r < 74) {
			s->kind = S_EMERG;
			s->a = !emerg;
			emerg = !emerg;
		} else if (r < 78) {
			s->kind = S_FORCE + mc_rand(3);
			s->a = mc_rand(doors);
			s->b = !knob[s->kind - S_FORCE][s->a];
			knob[s->kind - S_FORCE][s->a] = s->b;
		} else if (r < 80) {
			s->kind = S_CHATTER;
			s->a = mc_rand(nbeams);
			s->b = !chatter[s->a];
			chatter[s->a] = s->b;
		} else if (r < 83) {
			s->kind = S_READERR;
			s->a = mc_rand(mantrap ? 4 : 3);
			s->b = !rderr[s->a];
			rderr[s->a] = s->b;
		} else if (r < 90) {
			s->kind = S_CLEAR;
		} else {
			s->kind = S_RECOVER;
			emerg = hb_stopped = closed = oos = false;
			prev_recover = true;
			memset(knob, 0, sizeof(knob));
			memset(chatter, 0, sizeof(chatter));
			memset(rderr, 0, sizeof(rderr));
		}
wait:
		r = mc_rand(10);
		s->wait_ms = r < 6 ? 20 + mc_rand(130) :
			     r < 9 ? 150 + mc_rand(450) : 600 + mc_rand(1400);
	}
}

/* ---- the checker's state ---------------------------------------------- */

enum mc_inv {
	I_EMERGENCY, I_INTERLOCK, I_PINCH, I_READERR, I_AUTH, I_CROSSING,
	I_LATCH, I_DEADMAN, I_FAILSTATE, I_ERRNO, I_COUNT
};

static const char * const mc_inv_names[I_COUNT] = {
	"1-emergency", "2-interlock", "3-pinch", "3-readerr", "4-authorise",
	"4-one-traveller", "5-latch", "6-dead-man", "7-fail-state",
	"errno",
};

#define MC_MAX_CREDITS	64

struct mc_credit {
	int dir;
	uint64_t tag;
	long long end;		/* 0: authorisation still running */
	bool used;
};

/* Events shown before the first violation, to see how it came about. */
#define MC_HIST 24

struct mc_sim {
	long beams, body_beams, inside, crossed[2], pinch, edges;
	long drive[2], pos[2], zone[2], jammed[2], forced[2], fault[2];
	long emergency, readerr;
};

struct mc {
	const struct mc_step *steps;
	int nsteps, cur;
	bool mantrap, quiet;
	unsigned int nbeams;
	int ctl, ro;
	struct eg_genl g;
	uint64_t tag;
	/* the world as set */
	bool hb_on, ctl_open;
	long long last_beat;
	bool emerg;
	long long emerg_since;	/* active and readable since, 0: no */
	unsigned int readerr;
	long long readerr_since, readerr_edges;
	long long readerr_seen;	/* an input edge after the read error */
	/* the lane as seen */
	uint32_t state;
	uint32_t last_doors;
	uint64_t last_seq;
	int hold_src;		/* 0, 1 controller, 2 officer */
	int lock_src;		/* 0, 1 controller, 2 officer */
	int hold_pending, lock_pending;	/* accepted, its event not read yet */
	bool polled;
	bool reset_seen, officer_reset_ok;
	uint32_t latch_under;	/* latched state shown as OBSTRUCTED, or 0 */
	unsigned long auths, crossings[2];
	long long hold_deadline;
	long long exc_il_last;	/* interlock exceptions last in force */
	long long exc_cross_last;	/* doors legitimately open */
	long long last_alarm;
	long long deny_deadline;
	int deny_mark;
	bool deny_done;
	long long il_since[2];	/* door left open, the other not shut */
	struct mc_credit cred[MC_MAX_CREDITS];
	int ncred;
	long long pinch0, crossed0[2];
	bool sim_ok;
	/* results */
	unsigned long viol[I_COUNT];
	int first_step[I_COUNT];
	int first_inv, first_inv_step;
	unsigned long seq_gaps, events;
	struct egate_event hist[MC_HIST];	/* the last events, a ring */
	bool hist_shown;
	unsigned long visits[EGATE_ST_COUNT];
	unsigned long trans[EGATE_ST_COUNT][EGATE_ST_COUNT];
};

/* The events that led to a violation, oldest first, the culprit last. */
static void mc_show_history(const struct mc *m)
{
	unsigned long i = m->events > MC_HIST ? m->events - MC_HIST : 0;
	const struct egate_event *ev;

	for (; i < m->events; i++) {
		ev = &m->hist[i % MC_HIST];
		printf("#   event %llu at %llu ms: type %u state %u arg 0x%x beams 0x%x doors 0x%x\n",
		       (unsigned long long)ev->seq,
		       (unsigned long long)(ev->timestamp_ns / 1000000),
		       ev->type, ev->state, ev->arg, ev->beams, ev->doors);
	}
}

static void mc_viol(struct mc *m, enum mc_inv inv, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void mc_viol(struct mc *m, enum mc_inv inv, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!m->viol[inv])
		m->first_step[inv] = m->cur;
	if (m->first_inv < 0) {
		m->first_inv = inv;
		m->first_inv_step = m->cur;
	}
	if (m->viol[inv]++ >= 3 || m->quiet)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("# VIOLATION %s at step %d: %s\n", mc_inv_names[inv], m->cur,
	       buf);
	if (!m->hist_shown)
		mc_show_history(m);
	m->hist_shown = true;
}

static long mc_key(const char *buf, const char *key)
{
	size_t klen = strlen(key);
	const char *p;

	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, klen) && p[klen] == ' ')
			return strtol(p + klen + 1, NULL, 0);
	return 0;
}

/* One read of status is one instant of the model. */
static int mc_sim_read(struct mc_sim *s)
{
	char buf[4096];
	ssize_t n;
	int fd;

	fd = open(EG_SIM_DIR "/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	s->beams = mc_key(buf, "beams");
	s->body_beams = mc_key(buf, "body_beams");
	s->inside = mc_key(buf, "inside");
	s->crossed[0] = mc_key(buf, "crossed_fwd");
	s->crossed[1] = mc_key(buf, "crossed_rev");
	s->pinch = mc_key(buf, "pinch");
	s->edges = mc_key(buf, "edges");
	s->emergency = mc_key(buf, "emergency");
	s->readerr = mc_key(buf, "readerr");
	s->drive[0] = mc_key(buf, "entry_drive");
	s->drive[1] = mc_key(buf, "exit_drive");
	s->pos[0] = mc_key(buf, "entry_pos");
	s->pos[1] = mc_key(buf, "exit_pos");
	s->zone[0] = mc_key(buf, "entry_zone");
	s->zone[1] = mc_key(buf, "exit_zone");
	s->jammed[0] = mc_key(buf, "entry_jammed");
	s->jammed[1] = mc_key(buf, "exit_jammed");
	s->forced[0] = mc_key(buf, "entry_forced");
	s->forced[1] = mc_key(buf, "exit_forced");
	s->fault[0] = mc_key(buf, "entry_fault");
	s->fault[1] = mc_key(buf, "exit_fault");
	return 0;
}

static bool mc_latched(uint32_t st)
{
	return st == EGATE_ST_ALARM || st == EGATE_ST_FAULT ||
	       st == EGATE_ST_LOCKED || st == EGATE_ST_EMERGENCY;
}

static uint32_t mc_zone_beams(struct mc *m, int d)
{
	uint32_t zone = 0x3;	/* SIM_SWING_BEAMS */

	return d ? zone << (m->nbeams - 2) : zone;
}

/* ---- crossings (invariant 4) ------------------------------------------ */

static void mc_credit_add(struct mc *m, int dir, uint64_t tag)
{
	if (m->ncred == MC_MAX_CREDITS) {
		memmove(m->cred, m->cred + 1, sizeof(m->cred[0]) * --m->ncred);
	}
	m->cred[m->ncred++] = (struct mc_credit){ .dir = dir, .tag = tag };
}

static void mc_credit_end(struct mc *m, uint64_t tag, long long now)
{
	int i;

	for (i = 0; i < m->ncred; i++)
		if (m->cred[i].tag == tag && !m->cred[i].end) {
			m->cred[i].end = now;
			return;
		}
}

static void mc_crossing(struct mc *m, int dir, long long now)
{
	int i;

	m->crossings[dir]++;
	/* Doors legitimately open: emergency, hold-open, forced or jammed. */
	if (now - m->exc_cross_last < MC_CROSS_TAIL_MS)
		return;
	for (i = 0; i < m->ncred; i++) {
		struct mc_credit *c = &m->cred[i];

		if (c->used || c->dir != dir ||
		    (c->end && now - c->end > MC_CROSS_TAIL_MS))
			continue;
		c->used = true;
		return;
	}
	/*
	 * A single-barrier lane cannot stop a second person once through
	 * the entry: there the rule is that it is seen (an alarm).
	 */
	if (!m->mantrap && now - m->last_alarm < MC_CROSS_TAIL_MS)
		return;
	mc_viol(m, I_CROSSING, "a traveller crossed %s with no authorisation left for it (state %u)",
		dir ? "in reverse" : "forward", m->state);
}

/* ---- event records ---------------------------------------------------- */

static bool mc_il_exempt(struct mc *m, uint32_t state, long long t)
{
	if (state == EGATE_ST_EMERGENCY || m->emerg ||
	    (state == EGATE_ST_HOLD_OPEN && m->hold_src == 2)) {
		m->exc_il_last = t;
		return true;
	}
	return t - m->exc_il_last < MC_EXC_GRACE_MS;
}

static void mc_record(struct mc *m, const struct egate_event *ev)
{
	long long t = ev->timestamp_ns / 1000000;
	uint32_t d = ev->doors, from = ev->arg, zb;

	m->hist[m->events++ % MC_HIST] = *ev;
	if (m->last_seq && ev->seq != m->last_seq + 1)
		m->seq_gaps++;
	m->last_seq = ev->seq;
	if (ev->state < EGATE_ST_COUNT)
		m->visits[ev->state]++;

	switch (ev->type) {
	case EGATE_EV_STATE:
		if (from < EGATE_ST_COUNT && ev->state < EGATE_ST_COUNT)
			m->trans[from][ev->state]++;
		/*
		 * OBSTRUCTED shows a door that cannot close over whatever is
		 * latched beneath it (ALARM -> OBSTRUCTED -> ALARM): the latch
		 * is judged when the lane leaves OBSTRUCTED.
		 */
		if (ev->state == EGATE_ST_OBSTRUCTED && mc_latched(from)) {
			m->latch_under = from;
			break;
		}
		if (from == EGATE_ST_OBSTRUCTED && m->latch_under) {
			from = m->latch_under;
			m->latch_under = 0;
			if (from == ev->state)
				break;
		}
		/* 1: an emergency ends only by RESET; nothing else follows it. */
		if (from == EGATE_ST_EMERGENCY && !m->reset_seen)
			mc_viol(m, I_EMERGENCY, "left EMERGENCY for %u without a RESET",
				ev->state);
		/* 5: a latch ends only by RESET (an officer's lock: officer's). */
		else if (mc_latched(from) && !mc_latched(ev->state)) {
			/* An officer's hold-open over a lock is theirs to give. */
			if (from == EGATE_ST_LOCKED &&
			    ev->state == EGATE_ST_HOLD_OPEN && m->hold_pending == 2)
				;
			else if (!m->reset_seen)
				mc_viol(m, I_LATCH, "state %u left for %u without a RESET",
					from, ev->state);
			else if (from == EGATE_ST_LOCKED && m->lock_src == 2 &&
				 !m->officer_reset_ok)
				mc_viol(m, I_LATCH, "officer's LOCK lifted without an officer RESET (to %u)",
					ev->state);
		}
		if (mc_latched(ev->state) && ev->state != from)
			m->reset_seen = false;
		if (ev->state == EGATE_ST_LOCKED && from != EGATE_ST_LOCKED)
			m->officer_reset_ok = false;
		/*
		 * Who holds the lane open or locked: the command accepted
		 * last (its record may come after older ones still unread).
		 */
		if (ev->state != EGATE_ST_HOLD_OPEN) {
			m->hold_src = 0;
		} else if (from != EGATE_ST_HOLD_OPEN) {
			m->hold_src = m->hold_pending ?: 1;
			m->hold_pending = 0;
		}
		if (ev->state != EGATE_ST_LOCKED) {
			m->lock_src = 0;
		} else if (from != EGATE_ST_LOCKED) {
			m->lock_src = m->lock_pending ?: 1;
			m->lock_pending = 0;
		}
		/* 4: authorised only from idle, with every beam clear. */
		if (ev->state == EGATE_ST_AUTHORISED && from != EGATE_ST_AUTHORISED &&
		    (from != EGATE_ST_IDLE || ev->beams))
			mc_viol(m, I_AUTH, "authorised from state %u beams 0x%x",
				from, ev->beams);
		break;
	case EGATE_EV_RESET:
		m->reset_seen = true;
		break;
	case EGATE_EV_ALARM:
		m->last_alarm = t;
		break;
	case EGATE_EV_AUTH_END:
		mc_credit_end(m, ev->tag, t);
		/* An expiry may beat a DENY sent to an authorised lane. */
		if (ev->arg == EGATE_OUT_DENIED || ev->arg == EGATE_OUT_EXPIRED)
			m->deny_done = true;
		break;
	case EGATE_EV_HEARTBEAT_LOST:
		if (m->hold_src == 1 && !m->hold_deadline)
			m->hold_deadline = t + MC_HOLD_END_MS;
		break;
	}
	m->state = ev->state;
	if (ev->state == EGATE_ST_EMERGENCY || ev->state == EGATE_ST_HOLD_OPEN)
		m->exc_cross_last = t;

	/* 1: the emergency input, once past the bound, holds every door open. */
	if (m->emerg_since && t - m->emerg_since > MC_EMERG_BOUND_MS &&
	    (!EGATE_DOORS_CMD_OPEN(d, EGATE_DOOR_ENTRY) ||
	     (m->mantrap && !EGATE_DOORS_CMD_OPEN(d, EGATE_DOOR_EXIT))))
		mc_viol(m, I_EMERGENCY, "event type %u state %u: doors 0x%x not all commanded open %lld ms into the emergency",
			ev->type, ev->state, d, t - m->emerg_since);

	/*
	 * 2: the exit opens only with the entry reading closed.  The doors
	 * of a beam event are those the lane drove under the beams before
	 * it (its arg): it acts on the new beams after reporting them.
	 */
	zb = ev->type == EGATE_EV_BEAMS ? ev->arg : ev->beams;
	if (m->mantrap && EGATE_DOORS_CMD_OPEN(d, EGATE_DOOR_EXIT) &&
	    !mc_il_exempt(m, ev->state, t)) {
		/*
		 * Both open: only while each has a person in its swing
		 * zone (the anti-pinch yield of both, the contract's one
		 * exception).
		 */
		if (EGATE_DOORS_CMD_OPEN(d, EGATE_DOOR_ENTRY) &&
		    !((zb & mc_zone_beams(m, 0)) && (zb & mc_zone_beams(m, 1))))
			mc_viol(m, I_INTERLOCK, "event type %u state %u: both doors commanded open (doors 0x%x, hold-open by %s)",
				ev->type, ev->state, d,
				m->hold_src == 1 ? "the controller" :
				m->hold_src == 2 ? "an officer" : "nobody");
		/*
		 * Newly open with the entry not closed, but for the
		 * anti-pinch reversal of an exit closing onto a person in
		 * its swing zone (the contract's one exception).
		 */
		else if (!EGATE_DOORS_CMD_OPEN(m->last_doors, EGATE_DOOR_EXIT) &&
			 EGATE_DOORS_POS(d, EGATE_DOOR_ENTRY) != EGATE_DOOR_CLOSED &&
			 !(zb & mc_zone_beams(m, 1)))
			mc_viol(m, I_INTERLOCK, "event type %u state %u: exit commanded open with the entry at %u",
				ev->type, ev->state,
				EGATE_DOORS_POS(d, EGATE_DOOR_ENTRY));
	}
	m->last_doors = d;
}

static void mc_drain(struct mc *m)
{
	struct egate_event ev[64];
	ssize_t n;
	int i;

	while ((n = read(m->ro, ev, sizeof(ev))) > 0)
		for (i = 0; i < n / (ssize_t)sizeof(ev[0]); i++)
			mc_record(m, &ev[i]);
}

/* ---- status polls ----------------------------------------------------- */

static void mc_poll(struct mc *m)
{
	struct egate_status st;
	struct mc_sim s;
	long long now;
	int dir, d;

	mc_drain(m);
	if (m->hb_on && m->ctl_open && eg_now_ms() - m->last_beat >= MC_BEAT_MS) {
		eg_cmd(m->ctl, EGATE_CMD_HEARTBEAT, 0, 0, 0);
		m->last_beat = eg_now_ms();
	}
	if (mc_sim_read(&s) || eg_status(m->ro, &st))
		return;
	now = eg_now_ms();
	if (st.state < EGATE_ST_COUNT)
		m->visits[st.state]++;

	/* Truth that opens doors legitimately, for the crossing count. */
	if (s.emergency || s.forced[0] || s.forced[1] ||
	    (s.jammed[0] && s.pos[0]) || (s.jammed[1] && s.pos[1]) ||
	    st.state == EGATE_ST_EMERGENCY || st.state == EGATE_ST_HOLD_OPEN)
		m->exc_cross_last = now;

	/* 1 (and 8: with chatter too): open within the bound, and stay. */
	if (m->emerg_since && now - m->emerg_since > MC_EMERG_BOUND_MS &&
	    (!s.drive[0] || (m->mantrap && !s.drive[1])))
		mc_viol(m, I_EMERGENCY, "drives entry %ld exit %ld %lld ms into the emergency (state %u)",
			s.drive[0], s.drive[1], now - m->emerg_since, st.state);

	/* 3: no door driven closed onto a broken swing-zone beam. */
	if (s.pinch > m->pinch0) {
		mc_viol(m, I_PINCH, "%lld ticks driven closed onto a broken swing-zone beam past the allowance; now: (entry drive %ld pos %ld, exit drive %ld pos %ld, beams 0x%lx, state %u)",
			s.pinch - m->pinch0, s.drive[0], s.pos[0], s.drive[1],
			s.pos[1], s.body_beams, st.state);
		m->pinch0 = s.pinch;
	}

	/*
	 * 3: a read error is a fault, and unreadable beams count as broken.
	 * With interrupts the lane reads only on an edge: the bound runs
	 * from the first input edge after the error began.
	 */
	if (m->readerr && !m->readerr_seen && s.edges > m->readerr_edges)
		m->readerr_seen = now;
	if (m->readerr && m->readerr_seen &&
	    now - m->readerr_seen > MC_READERR_BOUND_MS) {
		if (st.state != EGATE_ST_FAULT && st.state != EGATE_ST_EMERGENCY)
			mc_viol(m, I_READERR, "read errors (0x%x) for %lld ms, state %u, not FAULT",
				m->readerr, now - m->readerr_seen, st.state);
		if ((m->readerr & 1) && !st.beams)
			mc_viol(m, I_READERR, "beams unreadable for %lld ms yet reported all clear",
				now - m->readerr_seen);
	}

	/* 2, persisting: a door left open with the other not shut. */
	for (d = 0; m->mantrap && d < 2; d++) {
		if (s.drive[d] && (s.drive[!d] || s.pos[!d] || s.fault[!d]) &&
		    !(s.body_beams & mc_zone_beams(m, d)) &&
		    !mc_il_exempt(m, st.state, now)) {
			if (!m->il_since[d])
				m->il_since[d] = now;
			else if (now - m->il_since[d] > MC_INTERLOCK_REACT_MS)
				mc_viol(m, I_INTERLOCK, "%s commanded open %lld ms with the %s at %ld (drive %ld), state %u",
					d ? "exit" : "entry", now - m->il_since[d],
					d ? "entry" : "exit", s.pos[!d], s.drive[!d],
					st.state);
		} else {
			m->il_since[d] = 0;
		}
	}

	/* 6: a hold-open the controller started ends with the controller. */
	if (m->hold_deadline && now > m->hold_deadline) {
		if (st.state == EGATE_ST_HOLD_OPEN && m->hold_src == 1)
			mc_viol(m, I_DEADMAN, "controller's hold-open still on %lld ms after the controller was lost",
				now - m->hold_deadline + MC_HOLD_END_MS);
		m->hold_deadline = 0;
	}

	/* 4: DENY answered 0 must have cancelled an authorisation. */
	if (m->deny_deadline && now > m->deny_deadline) {
		if (!m->deny_done)
			mc_viol(m, I_ERRNO, "DENY returned 0 but no authorisation ended DENIED");
		m->deny_deadline = 0;
	}

	for (dir = 0; dir < 2; dir++)
		for (; m->crossed0[dir] < s.crossed[dir]; m->crossed0[dir]++)
			mc_crossing(m, dir, now);
}

static void mc_wait(struct mc *m, int ms)
{
	long long end = eg_now_ms() + ms;

	do {
		mc_poll(m);
		eg_sleep_ms(MC_POLL_MS);
	} while (eg_now_ms() < end);
}

/* ---- running steps ---------------------------------------------------- */

static int mc_officer(struct mc *m, uint32_t action)
{
	struct eg_nlmsg msg;

	eg_genl_msg(&m->g, &msg, EGATE_NL_CMD_OFFICER, 0);
	eg_genl_put_u32(&msg, EGATE_NL_ATTR_LANE, 0);
	eg_genl_put_u32(&msg, EGATE_NL_ATTR_ACTION, action);
	eg_genl_put_str(&msg, EGATE_NL_ATTR_OPERATOR, "model");
	eg_genl_put_str(&msg, EGATE_NL_ATTR_REASON, "model-based test");
	return eg_genl_call(&m->g, &msg, NULL, 0);
}

static void mc_errno(struct mc *m, const char *what, int ret)
{
	if (ret && ret != -EBUSY)
		mc_viol(m, I_ERRNO, "%s returned %d, not 0 or -EBUSY", what, ret);
}

/*
 * A controller's command: as mc_errno(), and EPERM is the answer to one
 * that would override an officer's lock or hold-open (invariant 5), so it
 * is right exactly when the lane says an officer's latch is in force.
 */
static void mc_errno_ctl(struct mc *m, const char *what, int ret)
{
	struct egate_status st;

	if (ret == -EPERM && !eg_status(m->ctl, &st) &&
	    (st.flags & EGATE_STATUS_OFFICER))
		return;
	mc_errno(m, what, ret);
}

static void mc_ctl_open(struct mc *m)
{
	m->ctl = eg_open(O_RDWR | O_NONBLOCK);
	m->ctl_open = m->ctl >= 0;
	m->last_beat = eg_now_ms();
}

static void mc_ctl_close(struct mc *m)
{
	if (!m->ctl_open)
		return;
	close(m->ctl);
	m->ctl_open = false;
	if (m->hold_src == 1 && !m->hold_deadline)
		m->hold_deadline = eg_now_ms() + MC_HOLD_END_MS;
}

static void mc_reopen(struct mc *m)
{
	struct egate_status before, after;

	if (!m->ctl_open || eg_status(m->ctl, &before)) {
		mc_ctl_open(m);
		return;
	}
	mc_ctl_close(m);
	mc_ctl_open(m);
	if (!m->ctl_open || eg_status(m->ctl, &after))
		return;
	/* 5: what was latched is latched still (or something worse). */
	if (mc_latched(before.state) && after.state != before.state &&
	    after.state != EGATE_ST_EMERGENCY && after.state != EGATE_ST_FAULT &&
	    after.state != EGATE_ST_OBSTRUCTED)
		mc_viol(m, I_LATCH, "controller reopened: state %u became %u",
			before.state, after.state);
	if (before.alarm && !after.alarm)
		mc_viol(m, I_LATCH, "controller reopened: alarm %u cleared",
			before.alarm);
	if ((before.flags & EGATE_STATUS_HB_LOST) &&
	    !(after.flags & EGATE_STATUS_HB_LOST))
		mc_viol(m, I_LATCH, "controller reopened: heartbeat-lost latch cleared");
}

static void mc_auth(struct mc *m, int dir, int walk, unsigned int speed)
{
	struct mc_sim s0, s1;
	uint64_t tag = ++m->tag;
	int ret;

	if (!m->ctl_open)
		return;
	mc_sim_read(&s0);
	ret = eg_cmd(m->ctl, EGATE_CMD_AUTHORISE, dir, 0, tag);
	mc_sim_read(&s1);
	mc_errno(m, "AUTHORISE", ret);
	if (ret)
		return;
	mc_credit_add(m, dir, tag);
	m->auths++;
	if (walk == 1)
		eg_sim("walk dir=%s speed=%u", dir ? "rev" : "fwd", speed);
	else if (walk == 2)
		eg_sim("pair dir=%s speed=%u gap=100", dir ? "rev" : "fwd",
		       speed);
	/* 4: someone inside before and after: the lane was not empty. */
	if (s0.inside && s1.inside && s0.body_beams && s1.body_beams)
		mc_viol(m, I_AUTH, "AUTHORISE accepted with %ld inside (beams 0x%lx)",
			s1.inside, s1.body_beams);
}

static void mc_step(struct mc *m, const struct mc_step *s);

/* Back to an ordinary lane: the steps' effects, undone one by one. */
static void mc_recover(struct mc *m)
{
	static const struct mc_step off[] = {
		{ S_EMERG, 0, 0, 0, 0 }, { S_READERR, 0, 0, 0, 0 },
		{ S_READERR, 1, 0, 0, 0 }, { S_READERR, 2, 0, 0, 0 },
		{ S_READERR, 3, 0, 0, 0 }, { S_FORCE, 0, 0, 0, 0 },
		{ S_FORCE, 1, 0, 0, 0 }, { S_JAM, 0, 0, 0, 0 },
		{ S_JAM, 1, 0, 0, 0 }, { S_FAULT, 0, 0, 0, 0 },
		{ S_FAULT, 1, 0, 0, 0 }, { S_CLEAR, 0, 0, 0, 0 },
		{ S_HB_START, 0, 0, 0, 0 }, { S_OPEN, 0, 0, 0, 0 },
		{ S_MODE, 0, 0, 0, 0 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		bool exit_door = off[i].kind == S_READERR ? off[i].a == 3 :
				 off[i].kind >= S_FORCE && off[i].kind <= S_FAULT &&
				 off[i].a == 1;

		if (m->mantrap || !exit_door)
			mc_step(m, &off[i]);
	}
	for (i = 0; i < m->nbeams; i++)
		eg_sim("chatter %u 0", i);
	mc_wait(m, 300);
	mc_step(m, &(struct mc_step){ .kind = S_OFF_RESET });
	mc_step(m, &(struct mc_step){ .kind = S_RESET });
}

static void mc_step(struct mc *m, const struct mc_step *s)
{
	static const char * const door[2] = { "entry", "exit" };
	struct egate_status st;
	int ret;

	mc_drain(m);
	switch (s->kind) {
	case S_AUTH:
		mc_auth(m, s->a, s->b, s->c);
		break;
	case S_DENY:
		if (!m->ctl_open)
			break;
		/*
		 * DENY is a deny decision: accepted outside a passage, and
		 * it cancels an authorisation not yet used; a passage under
		 * way refuses it (invariant 4).
		 */
		if (eg_status(m->ctl, &st))
			break;
		/* Only a DENY that must end an authorisation starts a watch. */
		if (st.state == EGATE_ST_AUTHORISED)
			m->deny_done = false;
		ret = eg_cmd(m->ctl, EGATE_CMD_DENY, 0, 0, 0);
		mc_errno(m, "DENY", ret);
		if (!ret && (st.state == EGATE_ST_PASSAGE ||
			     st.state == EGATE_ST_EXITING))
			mc_viol(m, I_ERRNO, "DENY accepted during a passage (state %u)",
				st.state);
		if (!ret && st.state == EGATE_ST_AUTHORISED)
			m->deny_deadline = eg_now_ms() + MC_DENY_MS;
		break;
	case S_LOCK:
		if (!m->ctl_open)
			break;
		ret = eg_cmd(m->ctl, EGATE_CMD_LOCK, 0, 0, 0);
		mc_errno_ctl(m, "LOCK", ret);
		if (!ret && m->state == EGATE_ST_LOCKED) {
			if (m->lock_src != 2)
				m->lock_src = 1;
		} else if (!ret) {
			m->lock_pending = 1;
		}
		break;
	case S_RESET:
		if (m->ctl_open)
			mc_errno_ctl(m, "RESET",
				     eg_cmd(m->ctl, EGATE_CMD_RESET, 0, 0, 0));
		break;
	case S_HOLD:
		if (!m->ctl_open || eg_status(m->ctl, &st))
			break;
		ret = eg_cmd(m->ctl, EGATE_CMD_HOLD_OPEN, 0, 0, 0);
		mc_errno_ctl(m, "HOLD_OPEN", ret);
		if (!ret && (st.flags & EGATE_STATUS_HB_LOST))
			mc_viol(m, I_DEADMAN, "HOLD_OPEN accepted with the heartbeat-lost latch set");
		if (!ret && m->state == EGATE_ST_HOLD_OPEN) {
			if (m->hold_src != 2)
				m->hold_src = 1;
		} else if (!ret) {
			m->hold_pending = 1;
		}
		break;
	case S_MODE:
		if (m->ctl_open)
			mc_errno(m, "SET_MODE",
				 eg_cmd(m->ctl, EGATE_CMD_SET_MODE, s->a, 0, 0));
		break;
	case S_HB_STOP:
		m->hb_on = false;
		break;
	case S_HB_START:
		m->hb_on = true;
		break;
	case S_REOPEN:
		mc_reopen(m);
		break;
	case S_CLOSE:
		mc_ctl_close(m);
		break;
	case S_OPEN:
		if (!m->ctl_open)
			mc_ctl_open(m);
		break;
	case S_OFF_OPEN:
		ret = mc_officer(m, EGATE_NL_ACTION_OPEN_ONCE);
		mc_errno(m, "officer OPEN_ONCE", ret);
		if (!ret) {
			mc_credit_add(m, 0, 0);
			m->auths++;
		}
		break;
	case S_OFF_HOLD:
		ret = mc_officer(m, EGATE_NL_ACTION_HOLD_OPEN);
		mc_errno(m, "officer HOLD_OPEN", ret);
		if (!ret && m->state == EGATE_ST_HOLD_OPEN)
			m->hold_src = 2;
		else if (!ret)
			m->hold_pending = 2;
		break;
	case S_OFF_LOCK:
		ret = mc_officer(m, EGATE_NL_ACTION_LOCK);
		mc_errno(m, "officer LOCK", ret);
		if (!ret && m->state == EGATE_ST_LOCKED)
			m->lock_src = 2;
		else if (!ret)
			m->lock_pending = 2;
		break;
	case S_OFF_RESET:
		ret = mc_officer(m, EGATE_NL_ACTION_RESET);
		mc_errno(m, "officer RESET", ret);
		if (!ret)
			m->officer_reset_ok = true;
		break;
	case S_WALK:
		eg_sim("walk dir=%s speed=%u", s->a ? "rev" : "fwd", s->c);
		break;
	case S_PAIR:
		eg_sim("pair dir=%s speed=%u gap=%u", s->a ? "rev" : "fwd",
		       s->c, s->b * 50u);
		break;
	case S_WALK_STOP:
		eg_sim("walk dir=%s speed=1500 stop=%u,%u",
		       s->a ? "rev" : "fwd", s->b, s->c);
		break;
	case S_EMERG:
		if (eg_sim("emergency %u", s->a))
			break;
		if (!s->a && m->emerg)
			m->exc_il_last = eg_now_ms();
		m->emerg = s->a;
		if (!s->a)
			m->emerg_since = 0;
		else if (!m->emerg_since && !(m->readerr & 2))
			m->emerg_since = eg_now_ms();
		break;
	case S_FORCE:
	case S_JAM:
	case S_FAULT:
		eg_sim("%s %s %u", mc_kind_names[s->kind], door[s->a & 1], s->b);
		break;
	case S_CHATTER:
		eg_sim("chatter %u %u", s->a, s->b);
		break;
	case S_READERR:
		if (eg_sim("readerr %s %u", mc_rderr_names[s->a & 3], s->b))
			break;
		if (s->b)
			m->readerr |= 1u << s->a;
		else
			m->readerr &= ~(1u << s->a);
		/*
		 * The bound restarts: a new error must be seen on its own.
		 * Polling reads all the time; interrupts only after an edge.
		 */
		m->readerr_seen = m->polled ? eg_now_ms() : 0;
		{
			struct mc_sim sim;

			m->readerr_edges = mc_sim_read(&sim) ? 0 : sim.edges;
		}
		/* An emergency the lane could not read starts now. */
		if (m->emerg && !m->emerg_since && !(m->readerr & 2))
			m->emerg_since = eg_now_ms();
		break;
	case S_CLEAR:
		eg_sim("clear");
		break;
	case S_RECOVER:
		mc_recover(m);
		break;
	}
	mc_wait(m, s->wait_ms);
}

/* ---- one run ---------------------------------------------------------- */

struct mc_cfg {
	const char *name, *egate, *sim;
	bool mantrap;
};

static int mc_setup(struct mc *m, const struct mc_cfg *cfg)
{
	unsigned int i;
	int ret;

	ret = eg_load(cfg->egate, cfg->sim);
	if (ret)
		return ret;
	for (i = 0; i < sizeof(mc_timings) / sizeof(mc_timings[0]); i++) {
		ret = eg_sysfs_write(mc_timings[i].attr, mc_timings[i].val);
		if (ret)
			return ret;
	}
	m->ro = eg_open(O_RDONLY | O_NONBLOCK);
	if (m->ro < 0)
		return m->ro;
	m->hb_on = true;
	mc_ctl_open(m);
	if (!m->ctl_open)
		return -EIO;
	ret = eg_genl_open(&m->g, EGATE_GENL_NAME);
	if (ret)
		return ret;
	m->nbeams = eg_sysfs_num("nbeams");
	m->mantrap = cfg->mantrap;
	m->polled = strstr(cfg->egate, "poll=1") != NULL;
	m->first_inv = -1;
	m->exc_il_last = -100000;
	m->exc_cross_last = -100000;
	m->last_alarm = -100000;
	return 0;
}

static void mc_teardown(struct mc *m, bool fail_state)
{
	struct mc_sim s;

	mc_ctl_close(m);
	eg_genl_close(&m->g);
	if (m->ro >= 0)
		close(m->ro);
	m->ro = -1;
	/*
	 * 7: the lane's removal leaves every door in the declared fail
	 * state, by default open (the one that lets people out).
	 */
	if (fail_state && !eg_sim("unregister") && !mc_sim_read(&s) &&
	    (!s.drive[0] || (m->mantrap && !s.drive[1]))) {
		m->cur = m->nsteps;
		mc_viol(m, I_FAILSTATE, "lane removed: entry drive %ld exit drive %ld, not the fail state (open)",
			s.drive[0], s.drive[1]);
	}
	eg_unload();
}

/*
 * Run @n steps (or until @deadline, ms, if not 0) on freshly loaded
 * modules; the result is in @m.  Returns the steps run, or -errno.
 */
static int mc_run(struct mc *m, const struct mc_cfg *cfg,
		  const struct mc_step *steps, int n, long long deadline,
		  bool quiet, bool fail_state)
{
	struct mc_sim s;
	int ret, i;

	memset(m, 0, sizeof(*m));
	m->ro = -1;
	m->quiet = quiet;
	m->steps = steps;
	m->nsteps = n;
	ret = mc_setup(m, cfg);
	if (ret) {
		eg_unload();
		return ret;
	}
	if (!mc_sim_read(&s))
		m->pinch0 = s.pinch;
	mc_wait(m, 200);
	for (i = 0; i < n; i++) {
		if (deadline && eg_now_ms() >= deadline)
			break;
		m->cur = i;
		mc_step(m, &steps[i]);
	}
	m->nsteps = i;
	m->cur = i - 1;
	mc_wait(m, MC_SETTLE_MS);
	mc_teardown(m, fail_state);
	return i;
}

static void mc_print_steps(const struct mc_step *steps, const int *idx,
			   int n)
{
	char buf[96], line[160] = "";
	int i;

	for (i = 0; i < n; i++) {
		mc_step_str(&steps[idx ? idx[i] : i], buf, sizeof(buf));
		if (strlen(line) + strlen(buf) + 2 > 100) {
			printf("#   %s\n", line);
			line[0] = '\0';
		}
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
			 "%s%s", line[0] ? " " : "", buf);
	}
	if (line[0])
		printf("#   %s\n", line);
}

/*
 * The shrinker: replay subsets of the failing prefix on reloaded modules
 * and keep the shortest that still shows the same invariant broken.
 * First the last k steps for growing k (what breaks an invariant is most
 * often recent), then single steps dropped one at a time, within a time
 * budget.
 */
static void mc_shrink(const struct mc_cfg *cfg, const struct mc_step *steps,
		      int fail_step, int inv, int budget_s)
{
	long long end = eg_now_ms() + budget_s * 1000LL;
	int n = fail_step + 1, best_n = n, k, i, j, tries = 0;
	struct mc_step *sub = calloc(n, sizeof(*sub));
	int *idx = calloc(n, sizeof(*idx)), *best = calloc(n, sizeof(*best));
	static struct mc m;

	if (!sub || !idx || !best)
		goto out;
	for (i = 0; i < n; i++)
		best[i] = i;
	for (k = 1; k < n && eg_now_ms() < end; k *= 2) {
		for (i = 0; i < k; i++) {
			idx[i] = n - k + i;
			sub[i] = steps[idx[i]];
		}
		tries++;
		if (mc_run(&m, cfg, sub, k, 0, true, false) >= 0 &&
		    m.viol[inv]) {
			memcpy(best, idx, k * sizeof(*idx));
			best_n = k;
			break;
		}
	}
	for (i = 0; i < best_n - 1 && best_n > 1 && eg_now_ms() < end; ) {
		for (j = 0, k = 0; j < best_n; j++)
			if (j != i) {
				idx[k] = best[j];
				sub[k++] = steps[best[j]];
			}
		tries++;
		if (mc_run(&m, cfg, sub, k, 0, true, false) >= 0 &&
		    m.viol[inv]) {
			memcpy(best, idx, k * sizeof(*idx));
			best_n = k;
		} else {
			i++;
		}
	}
	printf("# shrunk (%d replays, %s): %d of the %d steps up to the failure still break %s:\n",
	       tries, eg_now_ms() < end ? "done" : "time budget spent",
	       best_n, n, mc_inv_names[inv]);
	printf("#   step numbers:");
	for (i = 0; i < best_n; i++)
		printf(" %d", best[i]);
	printf("\n");
	mc_print_steps(steps, best, best_n);
out:
	free(sub);
	free(idx);
	free(best);
}

static void mc_coverage(const struct mc *m)
{
	int a, b, nst = 0, ntr = 0;

	printf("# coverage: %lu events (%lu sequence gaps), %lu authorisations accepted, crossings %lu forward %lu reverse\n",
	       m->events, m->seq_gaps, m->auths, m->crossings[0],
	       m->crossings[1]);
	printf("# states visited:");
	for (a = 0; a < EGATE_ST_COUNT; a++) {
		printf(" %d:%lu", a, m->visits[a]);
		nst += !!m->visits[a];
	}
	printf(" (%d of %d)\n", nst, EGATE_ST_COUNT);
	printf("# transitions (from->to:count):");
	for (a = 0; a < EGATE_ST_COUNT; a++)
		for (b = 0; b < EGATE_ST_COUNT; b++)
			if (m->trans[a][b]) {
				printf(" %d->%d:%lu", a, b, m->trans[a][b]);
				ntr++;
			}
	printf(" (%d distinct)\n", ntr);
}

static long mc_env(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

/* ---- the harness ------------------------------------------------------ */

FIXTURE(model) {
	int unused;
};

FIXTURE_VARIANT(model) {
	struct mc_cfg cfg;
};

FIXTURE_VARIANT_ADD(model, single_irq) {
	.cfg = { "single_irq", "fifo_size=4096",
		 "topology=single nbeams=8 door_ms=150 pinch_ticks=10 pinch_blind_ms=800", false },
};

FIXTURE_VARIANT_ADD(model, single_polled) {
	.cfg = { "single_polled", "poll=1 poll_ms=2 debounce=3 fifo_size=4096",
		 "topology=single nbeams=8 door_ms=150 pinch_ticks=10 pinch_blind_ms=800", false },
};

FIXTURE_VARIANT_ADD(model, mantrap_irq) {
	.cfg = { "mantrap_irq", "fifo_size=4096",
		 "topology=mantrap nbeams=8 door_ms=150 pinch_ticks=10 pinch_blind_ms=800", true },
};

FIXTURE_VARIANT_ADD(model, mantrap_polled) {
	.cfg = { "mantrap_polled", "poll=1 poll_ms=2 debounce=3 fifo_size=4096",
		 "topology=mantrap nbeams=8 door_ms=150 pinch_ticks=10 pinch_blind_ms=800", true },
};

FIXTURE_SETUP(model)
{
	/* The harness ends its child with _exit(): keep no output buffered. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	self->unused = 0;
}

FIXTURE_TEARDOWN(model)
{
	eg_unload();
}

/* The harness's own timeout: EGATE_MODEL_SECONDS and the shrinker bound it. */
TEST_F_TIMEOUT(model, invariants, 86400)
{
	const struct mc_cfg *cfg = &variant->cfg;
	long seconds = mc_env("EGATE_MODEL_SECONDS", 40);
	long nsteps = mc_env("EGATE_MODEL_STEPS", 100000);
	long shrink_s = mc_env("EGATE_MODEL_SHRINK_SECONDS", 25);
	uint64_t seed = mc_env("EGATE_MODEL_SEED", 0);
	static struct mc m;
	struct mc_step *steps;
	long long t0 = eg_now_ms();
	int ran, i, k, total = 0;

	/* EGATE_MODEL_ONLY=mantrap_irq,... runs those configurations only. */
	if (getenv("EGATE_MODEL_ONLY") &&
	    !strstr(getenv("EGATE_MODEL_ONLY"), cfg->name))
		SKIP(return, "not in EGATE_MODEL_ONLY");
	if (!seed)
		seed = (uint64_t)eg_now_ms() * 2654435761u ^ getpid();
	seed &= 0x7fffffffffffULL;
	printf("# model %s: EGATE_MODEL_SEED=%llu, up to %ld steps in %ld s\n",
	       cfg->name, (unsigned long long)seed, nsteps, seconds);
	if (nsteps < 1)
		nsteps = 1;
	steps = calloc(nsteps, sizeof(*steps));
	ASSERT_NE(NULL, steps);
	mc_rng = seed ?: 1;
	mc_generate(steps, nsteps, cfg->mantrap, 8);
	/* EGATE_MODEL_LIST=1: print the step list only (runs anywhere). */
	if (mc_env("EGATE_MODEL_LIST", 0)) {
		mc_print_steps(steps, NULL, nsteps);
		free(steps);
		SKIP(return, "EGATE_MODEL_LIST: steps listed only");
	}

	ran = mc_run(&m, cfg, steps, nsteps, t0 + seconds * 1000, false, true);
	ASSERT_LE(0, ran) TH_LOG("module load or setup failed: %d", ran);
	printf("# model %s: %d steps in %lld ms, seed %llu\n", cfg->name, ran,
	       eg_now_ms() - t0, (unsigned long long)seed);
	mc_coverage(&m);
	for (i = 0; i < I_COUNT; i++) {
		if (!m.viol[i])
			continue;
		printf("# invariant %s: %lu violations, first at step %d\n",
		       mc_inv_names[i], m.viol[i], m.first_step[i]);
		total += m.viol[i];
	}
	if (total) {
		int fs = m.first_inv_step < 0 ? 0 : m.first_inv_step;
		int inv = m.first_inv;

		printf("# FAILED: seed %llu, %s (%s); steps 0..%d:\n",
		       (unsigned long long)seed, cfg->name, mc_inv_names[inv],
		       fs);
		mc_print_steps(steps, NULL, fs + 1 < ran ? fs + 1 : ran);
		/* Shrink for each invariant broken, sharing the budget. */
		for (i = 0, k = 0; i < I_COUNT; i++)
			k += m.viol[i] && i != I_FAILSTATE;
		for (i = 0; i < I_COUNT && shrink_s > 0; i++) {
			if (!m.viol[i] || i == I_FAILSTATE)
				continue;
			fs = m.first_step[i] < ran ? m.first_step[i] : ran - 1;
			mc_shrink(cfg, steps, fs, i, shrink_s / k ?: 1);
		}
	}
	free(steps);
	EXPECT_EQ(0, total) TH_LOG("seed %llu: invariants broken",
				   (unsigned long long)seed);
}

TEST_HARNESS_MAIN
