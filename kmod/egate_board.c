// SPDX-License-Identifier: GPL-2.0
/*
 * egate - lane wiring: from a struct egate_wiring (board code, egate_sim)
 * or from an administrator's line written to
 * /sys/bus/platform/drivers/egate-lane/new_device, to a gpiod lookup table
 * keyed on chip labels and an "egate-lane.N" platform device.
 */
#include <linux/ctype.h>
#include <linux/gpio/driver.h>
#include <linux/gpio/machine.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "egate_priv.h"

/**
 * struct egate_board - a registered lane description
 * @node: entry in egate_boards (egate_boards_lock)
 * @id: lane number N (egate-lane.N, egateN)
 * @admin: created through new_device, removable through delete_device
 * @wiring: copy of the description; chip labels point into @labels
 * @labels: storage for the chip label strings
 * @lookup: the GPIO lookup table registered for the lane
 * @pdev: the platform device
 * @probe_err: result of the last probe of @pdev
 */
struct egate_board {
	struct list_head node;
	int id;
	bool admin;
	struct egate_wiring wiring;
	char *labels;
	struct gpiod_lookup_table *lookup;
	struct platform_device *pdev;
	int probe_err;
};

static DEFINE_IDA(egate_ids);
static LIST_HEAD(egate_boards);
/*
 * Protects egate_boards, and is held while a lane is added (from its
 * wiring to its place on the list, probe included) or removed (from the
 * list to its device gone, its lines released), and across
 * egate_gpiochip_remove(): a lane holds lines of a chip only while it is
 * on the list, so no lane takes or keeps the lines of a chip on its way
 * out.  The lane driver's probe and remove never take it.
 */
static DEFINE_MUTEX(egate_boards_lock);

int egate_board_probe_result(struct egate_board *board, int err)
{
	board->probe_err = err;
	return err;
}

const struct egate_wiring *egate_board_wiring(const struct egate_board *b)
{
	return &b->wiring;
}

int egate_board_lane_id(const struct egate_board *board)
{
	return board->id;
}
EXPORT_SYMBOL_GPL(egate_board_lane_id);

const char * const egate_door_con[EGATE_NDOORS][EGATE_DOOR_NLINES] = {
	{ "entry-drive", "entry-open", "entry-closed" },
	{ "exit-drive", "exit-open", "exit-closed" },
};

/**
 * struct egate_wire_visitor - what to do for each wire of a wiring
 * @fn: called with @ctx, the wire, its lookup con_id and index
 * @ctx: the caller's context
 */
struct egate_wire_visitor {
	int (*fn)(void *ctx, const struct egate_wire *wire, const char *con,
		  unsigned int idx);
	void *ctx;
};

/* Call @v for every wire @w uses, with its lookup con_id and index. */
static int egate_visit_wires(const struct egate_wiring *w,
			     const struct egate_wire_visitor *v)
{
	int ret = 0, d, i;

	for (d = 0; d < EGATE_NDOORS; d++) {
		if (d == EGATE_DOOR_EXIT && w->topology != EGATE_TOPO_MANTRAP)
			break;
		for (i = 0; !ret && i < EGATE_DOOR_NLINES; i++)
			ret = v->fn(v->ctx, d ? &w->exit[i] : &w->entry[i],
				    egate_door_con[d][i], 0);
	}
	for (i = 0; !ret && i < w->nbeams; i++)
		ret = v->fn(v->ctx, &w->beam[i], "beam", i);
	if (!ret)
		ret = v->fn(v->ctx, &w->emergency, "emergency", 0);
	if (!ret && w->green.wired)
		ret = v->fn(v->ctx, &w->green, "lamp-green", 0);
	if (!ret && w->red.wired)
		ret = v->fn(v->ctx, &w->red, "lamp-red", 0);
	if (!ret && w->buzzer.wired)
		ret = v->fn(v->ctx, &w->buzzer, "buzzer", 0);
	return ret;
}

struct egate_wire_check {
	const struct egate_wiring *w;
	const struct egate_wire *seen[EGATE_MAX_INPUTS + 8];
	unsigned int n;
};

static const char *egate_wire_chip(const struct egate_wiring *w,
				   const struct egate_wire *wire)
{
	return wire->chip ?: w->chip;
}

static int egate_check_wire(void *ctx, const struct egate_wire *wire,
			    const char *con, unsigned int idx)
{
	struct egate_wire_check *c = ctx;
	const char *chip = egate_wire_chip(c->w, wire);
	unsigned int i;

	if (!wire->wired || !chip || !*chip)
		return -EINVAL;
	for (i = 0; i < c->n; i++)
		if (c->seen[i]->offset == wire->offset &&
		    !strcmp(egate_wire_chip(c->w, c->seen[i]), chip))
			return -EEXIST;
	c->seen[c->n++] = wire;
	return 0;
}

/* -EINVAL: malformed; -EEXIST: one line wired to two roles. */
static int egate_wiring_check(const struct egate_wiring *w)
{
	struct egate_wire_check c = { .w = w };

	if (w->topology != EGATE_TOPO_SINGLE &&
	    w->topology != EGATE_TOPO_MANTRAP)
		return -EINVAL;
	if (w->nbeams < EGATE_MIN_BEAMS || w->nbeams > EGATE_MAX_BEAMS)
		return -EINVAL;
	if (w->swing_beams > w->nbeams / 2)
		return -EINVAL;
	struct egate_wire_visitor v = { egate_check_wire, &c };

	return egate_visit_wires(w, &v);
}

struct egate_lookup_fill {
	const struct egate_wiring *w;
	struct gpiod_lookup *entry;
};

static int egate_fill_lookup(void *ctx, const struct egate_wire *wire,
			     const char *con, unsigned int idx)
{
	struct egate_lookup_fill *f = ctx;
	struct gpiod_lookup *e = f->entry++;

	e->key = egate_wire_chip(f->w, wire);
	e->chip_hwnum = wire->offset;
	e->con_id = con;
	e->idx = idx;
	e->flags = wire->active_low ? GPIO_ACTIVE_LOW : GPIO_ACTIVE_HIGH;
	return 0;
}

/* Copy chip labels into one allocation owned by the board. */
static int egate_board_copy_labels(struct egate_board *board,
				   const struct egate_wiring *w)
{
	struct egate_wire *wires[EGATE_MAX_INPUTS + 8];
	struct egate_wiring *bw = &board->wiring;
	size_t len = strlen(w->chip ?: "") + 1, pos;
	unsigned int n = 0, i;

	for (i = 0; i < EGATE_DOOR_NLINES; i++) {
		wires[n++] = &bw->entry[i];
		wires[n++] = &bw->exit[i];
	}
	for (i = 0; i < EGATE_MAX_BEAMS; i++)
		wires[n++] = &bw->beam[i];
	wires[n++] = &bw->emergency;
	wires[n++] = &bw->green;
	wires[n++] = &bw->red;
	wires[n++] = &bw->buzzer;
	for (i = 0; i < n; i++)
		if (wires[i]->chip)
			len += strlen(wires[i]->chip) + 1;

	board->labels = kmalloc(len, GFP_KERNEL);
	if (!board->labels)
		return -ENOMEM;
	strscpy(board->labels, w->chip ?: "", len);
	bw->chip = board->labels;
	pos = strlen(bw->chip) + 1;
	for (i = 0; i < n; i++) {
		if (!wires[i]->chip)
			continue;
		strscpy(board->labels + pos, wires[i]->chip, len - pos);
		wires[i]->chip = board->labels + pos;
		pos += strlen(wires[i]->chip) + 1;
	}
	return 0;
}

static void egate_board_free(struct egate_board *board)
{
	if (board->lookup) {
		kfree(board->lookup->dev_id);
		kfree(board->lookup);
	}
	kfree(board->labels);
	kfree(board);
}

static struct egate_board *egate_board_create(const struct egate_wiring *w,
					      bool admin)
{
	struct egate_lookup_fill fill = { .w = NULL };
	struct egate_wire_visitor v = { egate_fill_lookup, &fill };
	struct egate_board *board;
	unsigned int nlines;
	int ret;

	ret = egate_wiring_check(w);
	if (ret)
		return ERR_PTR(ret);

	board = kzalloc(sizeof(*board), GFP_KERNEL);
	if (!board)
		return ERR_PTR(-ENOMEM);
	board->admin = admin;
	board->wiring = *w;
	ret = egate_board_copy_labels(board, w);
	if (ret)
		goto free_board;

	nlines = 3 + w->nbeams + 4 +
		 (w->topology == EGATE_TOPO_MANTRAP ? 3 : 0);
	board->lookup = kzalloc(struct_size(board->lookup, table, nlines + 1),
				GFP_KERNEL);
	if (!board->lookup) {
		ret = -ENOMEM;
		goto free_board;
	}
	fill.w = &board->wiring;
	fill.entry = board->lookup->table;
	egate_visit_wires(&board->wiring, &v);
	return board;

free_board:
	egate_board_free(board);
	return ERR_PTR(ret);
}

static int egate_board_add(struct egate_board *board)
{
	struct platform_device *pdev;
	int ret;

	ret = ida_alloc_max(&egate_ids, EGATE_MAX_LANES - 1, GFP_KERNEL);
	if (ret < 0)
		return ret;
	board->id = ret;

	board->lookup->dev_id = kasprintf(GFP_KERNEL, "egate-lane.%d",
					  board->id);
	if (!board->lookup->dev_id) {
		ret = -ENOMEM;
		goto free_id;
	}
	gpiod_add_lookup_table(board->lookup);

	pdev = platform_device_alloc("egate-lane", board->id);
	if (!pdev) {
		ret = -ENOMEM;
		goto remove_lookup;
	}
	ret = platform_device_add_data(pdev, &board, sizeof(board));
	if (ret)
		goto put_pdev;
	board->probe_err = -ENODEV;
	ret = platform_device_add(pdev);
	if (ret)
		goto put_pdev;
	board->pdev = pdev;

	/* The driver probes synchronously: report why it did not bind. */
	if (!pdev->dev.driver) {
		ret = board->probe_err;
		/* No such chip (deferred), no such line (out of range). */
		if (!ret || ret == -EPROBE_DEFER || ret == -ENOENT ||
		    ret == -EINVAL)
			ret = -ENODEV;
		goto unregister_pdev;
	}
	return 0;

unregister_pdev:
	platform_device_unregister(pdev);
	board->pdev = NULL;
	goto remove_lookup;
put_pdev:
	platform_device_put(pdev);
remove_lookup:
	gpiod_remove_lookup_table(board->lookup);
free_id:
	ida_free(&egate_ids, board->id);
	return ret;
}

/* Off the list, device and lines gone; egate_boards_lock held. */
static void egate_board_del(struct egate_board *board)
{
	lockdep_assert_held(&egate_boards_lock);
	list_del(&board->node);
	platform_device_unregister(board->pdev);
	gpiod_remove_lookup_table(board->lookup);
	ida_free(&egate_ids, board->id);
	egate_board_free(board);
}

static struct egate_board *egate_board_register(const struct egate_wiring *w,
						bool admin)
{
	struct egate_board *board;
	int ret;

	board = egate_board_create(w, admin);
	if (IS_ERR(board))
		return board;
	mutex_lock(&egate_boards_lock);
	ret = egate_board_add(board);
	if (!ret)
		list_add_tail(&board->node, &egate_boards);
	mutex_unlock(&egate_boards_lock);
	if (ret) {
		egate_board_free(board);
		return ERR_PTR(ret);
	}
	return board;
}

/**
 * egate_lane_register() - register a lane wired as @w
 * @w: the wiring; copied, so it may live on the stack
 *
 * Return: the board handle, or an ERR_PTR(): -EINVAL for a malformed
 * wiring, -EEXIST for a line used twice, -ENODEV when a chip or line is
 * missing, -EBUSY when a line is taken, -ENOSPC with too many lanes.
 */
struct egate_board *egate_lane_register(const struct egate_wiring *w)
{
	return egate_board_register(w, false);
}
EXPORT_SYMBOL_GPL(egate_lane_register);

/**
 * egate_lane_unregister() - remove a lane registered from code
 * @board: handle from egate_lane_register()
 *
 * Open files of the lane see -ENODEV from then on.
 */
void egate_lane_unregister(struct egate_board *board)
{
	mutex_lock(&egate_boards_lock);
	egate_board_del(board);
	mutex_unlock(&egate_boards_lock);
}
EXPORT_SYMBOL_GPL(egate_lane_unregister);

struct egate_chip_match {
	const struct egate_wiring *w;
	const char *label;
};

static int egate_wire_on_chip(void *ctx, const struct egate_wire *wire,
			      const char *con, unsigned int idx)
{
	const struct egate_chip_match *m = ctx;

	return !strcmp(egate_wire_chip(m->w, wire), m->label);
}

static bool egate_board_on_chip(const struct egate_board *board,
				const char *label)
{
	struct egate_chip_match m = { &board->wiring, label };
	struct egate_wire_visitor v = { egate_wire_on_chip, &m };

	return egate_visit_wires(&board->wiring, &v);
}

/**
 * egate_gpiochip_remove() - gpiochip_remove() for a chip lanes may use
 * @gc: the chip
 *
 * A GPIO chip must not go while a lane holds its lines: 6.1's gpiolib
 * oopses on the lane's next read, and the interrupts the lane requested
 * are disposed of under it (an interrupt thread that first runs after that
 * finds no descriptor and oopses, on 6.12 too).  A chip with an owner
 * module is pinned by the lines egate requests.  A provider without one
 * (egate_sim: unloading it is how its lane goes) removes its chip through
 * here: every lane wired to a line of @gc's label goes first, as through
 * delete_device, whoever registered it; no lane is added meanwhile, and a
 * lane being removed by someone else is gone, lines released, before.
 * The provider unregisters the lanes it registered itself before.
 */
void egate_gpiochip_remove(struct gpio_chip *gc)
{
	struct egate_board *board, *tmp;

	mutex_lock(&egate_boards_lock);
	list_for_each_entry_safe(board, tmp, &egate_boards, node)
		if (egate_board_on_chip(board, gc->label))
			egate_board_del(board);
	gpiochip_remove(gc);
	mutex_unlock(&egate_boards_lock);
}
EXPORT_SYMBOL_GPL(egate_gpiochip_remove);

void egate_boards_remove_all(void)
{
	struct egate_board *board, *tmp;

	mutex_lock(&egate_boards_lock);
	list_for_each_entry_safe(board, tmp, &egate_boards, node)
		egate_board_del(board);
	mutex_unlock(&egate_boards_lock);
}

/* --- new_device / delete_device ---------------------------------------- */

/* "[!]OFFSET": one wire on the default chip. */
static int egate_parse_wire(const char *s, struct egate_wire *wire)
{
	u16 off;

	wire->active_low = *s == '!';
	if (wire->active_low)
		s++;
	if (kstrtou16(s, 10, &off))
		return -EINVAL;
	wire->wired = true;
	wire->offset = off;
	return 0;
}

/* "W,W,..." or, for beams, "A-B": @max wires, exactly @max unless @n. */
static int egate_parse_wires(char *s, struct egate_wire *wires,
			     unsigned int max, u32 *n)
{
	unsigned int count = 0, a, b;
	char *tok;
	int ret;

	if (n && sscanf(s, "%u-%u", &a, &b) == 2 && strchr(s, '-')) {
		if (b < a || b - a + 1 > max || b > U16_MAX)
			return -EINVAL;
		for (; a <= b; a++, count++) {
			wires[count].wired = true;
			wires[count].offset = a;
		}
		*n = count;
		return 0;
	}
	while ((tok = strsep(&s, ","))) {
		if (count == max)
			return -EINVAL;
		ret = egate_parse_wire(tok, &wires[count++]);
		if (ret)
			return ret;
	}
	if (n)
		*n = count;
	else if (count != max)
		return -EINVAL;
	return 0;
}

static int egate_parse_key(struct egate_wiring *w, char *key, char *val)
{
	if (!strcmp(key, "chip")) {
		w->chip = val;
		return 0;
	}
	if (!strcmp(key, "topology")) {
		if (!strcmp(val, "single"))
			w->topology = EGATE_TOPO_SINGLE;
		else if (!strcmp(val, "mantrap"))
			w->topology = EGATE_TOPO_MANTRAP;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(key, "fail")) {
		if (!strcmp(val, "open"))
			w->fail_closed = false;
		else if (!strcmp(val, "closed"))
			w->fail_closed = true;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(key, "swing"))
		return kstrtou32(val, 10, &w->swing_beams);
	if (!strcmp(key, "beams"))
		return egate_parse_wires(val, w->beam, EGATE_MAX_BEAMS,
					 &w->nbeams);
	if (!strcmp(key, "entry"))
		return egate_parse_wires(val, w->entry, EGATE_DOOR_NLINES, NULL);
	if (!strcmp(key, "exit"))
		return egate_parse_wires(val, w->exit, EGATE_DOOR_NLINES, NULL);
	if (!strcmp(key, "emergency"))
		return egate_parse_wire(val, &w->emergency);
	if (!strcmp(key, "green"))
		return egate_parse_wire(val, &w->green);
	if (!strcmp(key, "red"))
		return egate_parse_wire(val, &w->red);
	if (!strcmp(key, "buzzer"))
		return egate_parse_wire(val, &w->buzzer);
	return -EINVAL;
}

static int egate_parse_wiring(char *s, struct egate_wiring *w)
{
	char *tok, *val;
	int ret;

	while ((tok = strsep(&s, " \t\n"))) {
		if (!*tok)
			continue;
		val = strchr(tok, '=');
		if (!val)
			return -EINVAL;
		*val++ = '\0';
		ret = egate_parse_key(w, tok, val);
		if (ret)
			return ret;
	}
	return 0;
}

static ssize_t new_device_store(struct device_driver *drv, const char *buf,
				size_t count)
{
	struct egate_wiring *w;
	struct egate_board *board;
	char *line;
	int ret;

	line = kstrndup(buf, count, GFP_KERNEL);
	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!line || !w) {
		ret = -ENOMEM;
		goto free;
	}
	ret = egate_parse_wiring(line, w);
	if (ret)
		goto free;
	board = egate_board_register(w, true);
	ret = PTR_ERR_OR_ZERO(board);
free:
	kfree(w);
	kfree(line);
	return ret ?: count;
}
static DRIVER_ATTR_WO(new_device);

static ssize_t delete_device_store(struct device_driver *drv, const char *buf,
				   size_t count)
{
	struct egate_board *board, *found = NULL;
	unsigned int id;
	int ret;

	if (sscanf(buf, "egate%u", &id) != 1 && kstrtouint(buf, 10, &id))
		return -EINVAL;
	mutex_lock(&egate_boards_lock);
	list_for_each_entry(board, &egate_boards, node) {
		if (board->id == id) {
			found = board;
			break;
		}
	}
	ret = !found ? -ENOENT : !found->admin ? -EPERM : 0;
	if (!ret)
		egate_board_del(found);
	mutex_unlock(&egate_boards_lock);
	return ret ?: count;
}
static DRIVER_ATTR_WO(delete_device);

static struct attribute *egate_driver_attrs[] = {
	&driver_attr_new_device.attr,
	&driver_attr_delete_device.attr,
	NULL
};

static const struct attribute_group egate_driver_group = {
	.attrs = egate_driver_attrs,
};

const struct attribute_group *egate_driver_groups[] = {
	&egate_driver_group,
	NULL
};
