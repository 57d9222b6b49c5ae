// SPDX-License-Identifier: GPL-2.0
/*
 * egate_sim - the control interface: /sys/kernel/debug/egate_sim/
 *
 * ctl (write one command per write):
 *   walk [dir=fwd|rev] [speed=MM_S] [len=MM] [stop=BEAM,MS] [delay=MS]
 *   pair [gap=MM] [speed=MM_S]        two travellers close together
 *   clear                             remove travellers and beam overrides
 *   emergency 0|1                     1 = contact open (fire alarm)
 *   force entry|exit 0|1              someone holds the door open
 *   jam entry|exit 0|1                the door does not move
 *   fault entry|exit 0|1              both switches of the door read active
 *   beam N 0|1|-                      force beam N broken/clear, - releases
 *   burst N COUNT                     toggle beam N COUNT times, at once
 *   readerr beams|emergency|entry|exit 0|1
 *                                     reads of those lines (entry, exit:
 *                                     the door's two switches) fail, -EIO
 *   chatter N 0|1                     beam N also toggles every tick
 *   unregister                        remove the lane from egate (as the
 *                                     rmmod would), keep chip and model
 * "clear" leaves readerr and chatter as they are: they end explicitly.
 * status (read): the model, one "key value" per line.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "sim.h"

#define SIM_CTL_MAX	128

/* Serialises "unregister" against itself. */
static DEFINE_MUTEX(sim_ctl_board_lock);

static int sim_parse_door(struct egate_sim *sim, const char *s)
{
	if (!strcmp(s, "entry"))
		return 0;
	if (!strcmp(s, "exit") && sim->door[1].present)
		return 1;
	return -EINVAL;
}

static int sim_parse_bool(const char *s, bool *v)
{
	return s ? kstrtobool(s, v) : -EINVAL;
}

static int sim_cmd_walk(struct egate_sim *sim, char *args, bool pair)
{
	struct sim_traveller t = {
		.dir = 1, .speed = 1000, .length = 300, .stop_at = INT_MIN,
		.start_at = jiffies,
	};
	unsigned int beam, ms, gap = 100;
	char *tok, *val;
	int ret;

	while ((tok = strsep(&args, " "))) {
		if (!*tok)
			continue;
		val = strchr(tok, '=');
		if (!val)
			return -EINVAL;
		*val++ = '\0';
		ret = 0;
		if (!strcmp(tok, "dir") && !strcmp(val, "fwd")) {
			t.dir = 1;
		} else if (!strcmp(tok, "dir") && !strcmp(val, "rev")) {
			t.dir = -1;
		} else if (!strcmp(tok, "speed")) {
			ret = kstrtouint(val, 10, &t.speed);
		} else if (!strcmp(tok, "len")) {
			ret = kstrtouint(val, 10, &t.length);
		} else if (!strcmp(tok, "gap")) {
			ret = kstrtouint(val, 10, &gap);
		} else if (!strcmp(tok, "delay") && !kstrtouint(val, 10, &ms)) {
			t.start_at = jiffies + msecs_to_jiffies(ms);
		} else if (!strcmp(tok, "stop") &&
			   sscanf(val, "%u,%u", &beam, &ms) == 2 &&
			   beam < sim->nbeams) {
			t.stop_at = sim_beam_x(beam);
			t.stop_ms = ms;
		} else {
			return -EINVAL;
		}
		if (ret)
			return ret;
	}
	if (!t.speed || t.speed > 10000 || t.length < 50 || t.length > 2000)
		return -EINVAL;
	t.front = sim_lane_start(sim, t.dir);
	ret = sim_model_add(sim, &t);
	if (ret || !pair)
		return ret;
	t.front -= t.dir * (int)(t.length + gap);
	return sim_model_add(sim, &t);
}

static int sim_cmd_door(struct egate_sim *sim, const char *what, char *args)
{
	char *name = strsep(&args, " ");
	unsigned long flags;
	bool v;
	int d, ret;

	d = sim_parse_door(sim, name);
	if (d < 0)
		return d;
	ret = sim_parse_bool(args, &v);
	if (ret)
		return ret;
	raw_spin_lock_irqsave(&sim->lock, flags);
	if (!strcmp(what, "force"))
		sim->door[d].forced = v;
	else if (!strcmp(what, "jam"))
		sim->door[d].jammed = v;
	else
		sim->door[d].fault = v;
	raw_spin_unlock_irqrestore(&sim->lock, flags);
	return 0;
}

/* "N rest...": beam N of the lane into @b, *@args left at the rest. */
static int sim_parse_beam(struct egate_sim *sim, char **args, unsigned int *b)
{
	char *num = strsep(args, " ");

	if (!num || kstrtouint(num, 10, b) || *b >= sim->nbeams || !*args)
		return -EINVAL;
	return 0;
}

static int sim_cmd_beam(struct egate_sim *sim, char *args)
{
	unsigned long flags;
	unsigned int b;

	if (sim_parse_beam(sim, &args, &b))
		return -EINVAL;
	raw_spin_lock_irqsave(&sim->lock, flags);
	if (!strcmp(args, "-")) {
		sim->ovr_mask &= ~BIT(b);
	} else if (!strcmp(args, "0") || !strcmp(args, "1")) {
		sim->ovr_mask |= BIT(b);
		if (args[0] == '1')
			sim->ovr_val |= BIT(b);
		else
			sim->ovr_val &= ~BIT(b);
	} else {
		b = UINT_MAX;
	}
	raw_spin_unlock_irqrestore(&sim->lock, flags);
	return b == UINT_MAX ? -EINVAL : 0;
}

static int sim_cmd_burst(struct egate_sim *sim, char *args)
{
	unsigned int b, count, i;
	unsigned long flags;

	if (sim_parse_beam(sim, &args, &b) ||
	    kstrtouint(args, 10, &count) || count > 10000000)
		return -EINVAL;
	for (i = 0; i < count; i++) {
		raw_spin_lock_irqsave(&sim->lock, flags);
		sim->ovr_mask |= BIT(b);
		sim->ovr_val ^= BIT(b);
		raw_spin_unlock_irqrestore(&sim->lock, flags);
		sim_model_update(sim);
		cond_resched();
	}
	return 0;
}

static int sim_cmd_readerr(struct egate_sim *sim, char *args)
{
	char *what = strsep(&args, " ");
	unsigned long flags;
	unsigned int bit;
	bool v;

	if (!what)
		return -EINVAL;
	if (!strcmp(what, "beams"))
		bit = SIM_RDERR_BEAMS;
	else if (!strcmp(what, "emergency"))
		bit = SIM_RDERR_EMERGENCY;
	else if (!strcmp(what, "entry"))
		bit = SIM_RDERR_ENTRY;
	else if (!strcmp(what, "exit") && sim->door[1].present)
		bit = SIM_RDERR_EXIT;
	else
		return -EINVAL;
	if (sim_parse_bool(args, &v))
		return -EINVAL;
	raw_spin_lock_irqsave(&sim->lock, flags);
	if (v)
		sim->readerr |= bit;
	else
		sim->readerr &= ~bit;
	raw_spin_unlock_irqrestore(&sim->lock, flags);
	return 0;
}

static int sim_cmd_chatter(struct egate_sim *sim, char *args)
{
	unsigned long flags;
	unsigned int b;
	bool v;

	if (sim_parse_beam(sim, &args, &b) || sim_parse_bool(args, &v))
		return -EINVAL;
	raw_spin_lock_irqsave(&sim->lock, flags);
	if (v)
		sim->chatter |= BIT(b);
	else
		sim->chatter &= ~BIT(b);
	raw_spin_unlock_irqrestore(&sim->lock, flags);
	return 0;
}

static int sim_cmd_unregister(struct egate_sim *sim)
{
	mutex_lock(&sim_ctl_board_lock);
	if (sim->board)
		egate_lane_unregister(sim->board);
	sim->board = NULL;
	mutex_unlock(&sim_ctl_board_lock);
	return 0;
}

static int sim_ctl_exec(struct egate_sim *sim, char *line)
{
	char *cmd = strsep(&line, " ");
	unsigned long flags;
	bool v;
	int ret;

	if (!strcmp(cmd, "walk")) {
		ret = sim_cmd_walk(sim, line, false);
	} else if (!strcmp(cmd, "pair")) {
		ret = sim_cmd_walk(sim, line, true);
	} else if (!strcmp(cmd, "clear")) {
		raw_spin_lock_irqsave(&sim->lock, flags);
		memset(sim->tr, 0, sizeof(sim->tr));
		sim->ovr_mask = 0;
		raw_spin_unlock_irqrestore(&sim->lock, flags);
		ret = 0;
	} else if (!strcmp(cmd, "emergency")) {
		ret = sim_parse_bool(line, &v);
		if (!ret) {
			raw_spin_lock_irqsave(&sim->lock, flags);
			sim->emergency = v;
			raw_spin_unlock_irqrestore(&sim->lock, flags);
		}
	} else if (!strcmp(cmd, "force") || !strcmp(cmd, "jam") ||
		   !strcmp(cmd, "fault")) {
		ret = sim_cmd_door(sim, cmd, line);
	} else if (!strcmp(cmd, "beam")) {
		ret = sim_cmd_beam(sim, line);
	} else if (!strcmp(cmd, "burst")) {
		ret = sim_cmd_burst(sim, line);
	} else if (!strcmp(cmd, "readerr")) {
		ret = sim_cmd_readerr(sim, line);
	} else if (!strcmp(cmd, "chatter")) {
		ret = sim_cmd_chatter(sim, line);
	} else if (!strcmp(cmd, "unregister") && !line) {
		ret = sim_cmd_unregister(sim);
	} else {
		ret = -EINVAL;
	}
	if (!ret)
		sim_model_update(sim);
	return ret;
}

static ssize_t sim_ctl_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	struct egate_sim *sim = file->private_data;
	char *line;
	int ret;

	if (count >= SIM_CTL_MAX)
		return -EINVAL;
	line = memdup_user_nul(ubuf, count);
	if (IS_ERR(line))
		return PTR_ERR(line);
	strim(line);
	ret = sim_ctl_exec(sim, strim(line));
	kfree(line);
	return ret ?: count;
}

static const struct file_operations sim_ctl_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= sim_ctl_write,
};

static void sim_status_door(struct seq_file *m, const char *name,
			    const struct sim_door *door, bool zone)
{
	seq_printf(m, "%s_zone %d\n", name, zone);
	seq_printf(m, "%s_jammed %d\n", name, door->jammed);
	seq_printf(m, "%s_forced %d\n", name, door->forced);
	seq_printf(m, "%s_fault %d\n", name, door->fault);
}

/* Everything is copied under the lock: one read is one instant. */
static int sim_status_show(struct seq_file *m, void *v)
{
	struct egate_sim *sim = m->private;
	unsigned long flags, levels;
	int pos[2], travellers = 0, inside, i;
	struct sim_door door[2];
	bool zone[2];
	u64 edges, irqs, crossed[2], pinch, ticks;
	u32 body_beams, chatter;
	unsigned int readerr;
	bool emergency;

	raw_spin_lock_irqsave(&sim->lock, flags);
	levels = sim->levels;
	pos[0] = sim->door[0].pos;
	pos[1] = sim->door[1].pos;
	for (i = 0; i < SIM_MAX_TRAVELLERS; i++)
		travellers += sim->tr[i].active;
	edges = sim->edges;
	irqs = sim->irqs_raised;
	inside = sim_inside(sim);
	for (i = 0; i < 2; i++) {
		door[i] = sim->door[i];
		zone[i] = door[i].present &&
			  sim_zone_occupied(sim, &sim->door[i]);
	}
	crossed[0] = sim->crossed[0];
	crossed[1] = sim->crossed[1];
	pinch = sim->pinch;
	ticks = sim->ticks;
	body_beams = sim->body_beams;
	chatter = sim->chatter;
	readerr = sim->readerr;
	emergency = sim->emergency;
	raw_spin_unlock_irqrestore(&sim->lock, flags);

	seq_printf(m, "beams 0x%08lx\n",
		   (levels >> SIM_BEAM0) & GENMASK(sim->nbeams - 1, 0));
	seq_printf(m, "travellers %d\n", travellers);
	seq_printf(m, "entry_pos %d\n", pos[0]);
	seq_printf(m, "entry_drive %d\n", !!(levels & BIT(SIM_ENTRY_DRIVE)));
	if (sim->door[1].present) {
		seq_printf(m, "exit_pos %d\n", pos[1]);
		seq_printf(m, "exit_drive %d\n",
			   !!(levels & BIT(SIM_EXIT_DRIVE)));
	}
	seq_printf(m, "emergency_contact %d\n", !!(levels & BIT(SIM_EMERGENCY)));
	seq_printf(m, "green %d\n", !!(levels & BIT(SIM_GREEN)));
	seq_printf(m, "red %d\n", !!(levels & BIT(SIM_RED)));
	seq_printf(m, "buzzer %d\n", !!(levels & BIT(SIM_BUZZER)));
	seq_printf(m, "edges %llu\n", edges);
	seq_printf(m, "irqs %llu\n", irqs);
	seq_printf(m, "emergency %d\n", emergency);
	seq_printf(m, "body_beams 0x%08x\n", body_beams);
	seq_printf(m, "chatter 0x%08x\n", chatter);
	seq_printf(m, "readerr 0x%x\n", readerr);
	seq_printf(m, "inside %d\n", inside);
	seq_printf(m, "crossed_fwd %llu\n", crossed[0]);
	seq_printf(m, "crossed_rev %llu\n", crossed[1]);
	sim_status_door(m, "entry", &door[0], zone[0]);
	if (door[1].present)
		sim_status_door(m, "exit", &door[1], zone[1]);
	seq_printf(m, "pinch %llu\n", pinch);
	seq_printf(m, "ticks %llu\n", ticks);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sim_status);

int sim_ctl_init(struct egate_sim *sim)
{
	sim->dbg = debugfs_create_dir("egate_sim", NULL);
	debugfs_create_file("ctl", 0200, sim->dbg, sim, &sim_ctl_fops);
	debugfs_create_file("status", 0444, sim->dbg, sim, &sim_status_fops);
	return 0;
}

void sim_ctl_exit(struct egate_sim *sim)
{
	debugfs_remove_recursive(sim->dbg);
}
