// SPDX-License-Identifier: GPL-2.0
/*
 * egate_sim - the simulated lane's GPIO chip and its interrupt domain.
 *
 * Debian's kernels have neither irq_sim nor gpio-sim, so the chip brings
 * its own edge interrupts through gpiolib's irqchip helpers (which give it
 * a domain of its own); sim_chip_raise() fires them like a real controller
 * would.  With irq=0 the chip has no interrupts and egate polls it.
 */
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <linux/platform_device.h>

#include "sim.h"

static bool sim_is_output(unsigned int offset)
{
	switch (offset) {
	case SIM_ENTRY_DRIVE:
	case SIM_EXIT_DRIVE:
	case SIM_GREEN:
	case SIM_RED:
	case SIM_BUZZER:
		return true;
	default:
		return false;
	}
}

static int sim_get_direction(struct gpio_chip *gc, unsigned int offset)
{
	return sim_is_output(offset) ? GPIO_LINE_DIRECTION_OUT :
				       GPIO_LINE_DIRECTION_IN;
}

/* The SIM_RDERR_* bit that makes reads of @offset fail, or 0. */
static unsigned int sim_readerr_bit(unsigned int offset)
{
	switch (offset) {
	case SIM_ENTRY_OPEN:
	case SIM_ENTRY_CLOSED:
		return SIM_RDERR_ENTRY;
	case SIM_EXIT_OPEN:
	case SIM_EXIT_CLOSED:
		return SIM_RDERR_EXIT;
	case SIM_EMERGENCY:
		return SIM_RDERR_EMERGENCY;
	default:
		return offset >= SIM_BEAM0 ? SIM_RDERR_BEAMS : 0;
	}
}

static int sim_get(struct gpio_chip *gc, unsigned int offset)
{
	struct egate_sim *sim = gpiochip_get_data(gc);
	unsigned long flags;
	int v;

	raw_spin_lock_irqsave(&sim->lock, flags);
	if (sim->readerr & sim_readerr_bit(offset))
		v = -EIO;
	else
		v = test_bit(offset, &sim->levels);
	raw_spin_unlock_irqrestore(&sim->lock, flags);
	return v;
}

static void sim_set(struct gpio_chip *gc, unsigned int offset, int value)
{
	struct egate_sim *sim = gpiochip_get_data(gc);
	unsigned long flags;

	if (!sim_is_output(offset))
		return;
	raw_spin_lock_irqsave(&sim->lock, flags);
	__assign_bit(offset, &sim->levels, value);
	raw_spin_unlock_irqrestore(&sim->lock, flags);
}

static int sim_direction_input(struct gpio_chip *gc, unsigned int offset)
{
	return sim_is_output(offset) ? -EINVAL : 0;
}

static int sim_direction_output(struct gpio_chip *gc, unsigned int offset,
				int value)
{
	if (!sim_is_output(offset))
		return -EINVAL;
	sim_set(gc, offset, value);
	return 0;
}

static void sim_irq_mask(struct irq_data *d)
{
	struct gpio_chip *gc = irq_data_get_irq_chip_data(d);
	struct egate_sim *sim = gpiochip_get_data(gc);
	irq_hw_number_t hwirq = irqd_to_hwirq(d);
	unsigned long flags;

	raw_spin_lock_irqsave(&sim->lock, flags);
	__clear_bit(hwirq, &sim->irq_en);
	raw_spin_unlock_irqrestore(&sim->lock, flags);
	gpiochip_disable_irq(gc, hwirq);
}

static void sim_irq_unmask(struct irq_data *d)
{
	struct gpio_chip *gc = irq_data_get_irq_chip_data(d);
	struct egate_sim *sim = gpiochip_get_data(gc);
	irq_hw_number_t hwirq = irqd_to_hwirq(d);
	unsigned long flags;

	gpiochip_enable_irq(gc, hwirq);
	raw_spin_lock_irqsave(&sim->lock, flags);
	__set_bit(hwirq, &sim->irq_en);
	raw_spin_unlock_irqrestore(&sim->lock, flags);
}

static int sim_irq_set_type(struct irq_data *d, unsigned int type)
{
	struct gpio_chip *gc = irq_data_get_irq_chip_data(d);
	struct egate_sim *sim = gpiochip_get_data(gc);
	irq_hw_number_t hwirq = irqd_to_hwirq(d);
	unsigned long flags;

	if (type & IRQ_TYPE_LEVEL_MASK)
		return -EINVAL;
	/* A single-edge controller (irq_both_edges=0) refuses both edges. */
	if (!sim->irq_both_edges &&
	    (type & IRQ_TYPE_EDGE_BOTH) == IRQ_TYPE_EDGE_BOTH)
		return -EINVAL;
	raw_spin_lock_irqsave(&sim->lock, flags);
	__assign_bit(hwirq, &sim->irq_rise, type & IRQ_TYPE_EDGE_RISING);
	__assign_bit(hwirq, &sim->irq_fall, type & IRQ_TYPE_EDGE_FALLING);
	raw_spin_unlock_irqrestore(&sim->lock, flags);
	return 0;
}

static const struct irq_chip sim_irq_chip = {
	.name		= "egate_sim",
	.irq_mask	= sim_irq_mask,
	.irq_unmask	= sim_irq_unmask,
	.irq_set_type	= sim_irq_set_type,
	.flags		= IRQCHIP_IMMUTABLE | IRQCHIP_SKIP_SET_WAKE,
	GPIOCHIP_IRQ_RESOURCE_HELPERS,
};

/* Fire the interrupts of the lines in @fire; any context, lock not held. */
void sim_chip_raise(struct egate_sim *sim, unsigned long fire)
{
	unsigned int offset, irq;
	unsigned long flags;

	raw_spin_lock_irqsave(&sim->fire_lock, flags);
	for_each_set_bit(offset, &fire, sim->gc.ngpio) {
		irq = irq_find_mapping(sim->gc.irq.domain, offset);
		if (irq)
			generic_handle_irq(irq);
	}
	raw_spin_unlock_irqrestore(&sim->fire_lock, flags);
}

int sim_chip_add(struct egate_sim *sim, bool use_irq, bool can_sleep)
{
	struct gpio_chip *gc = &sim->gc;

	/*
	 * No gc->owner: egate's lines would pin this module, yet unloading
	 * it is how the lane is removed.  sim_exit() unregisters its lane,
	 * and sim_chip_remove() takes the lanes an administrator wired onto
	 * the chip with it.
	 */
	gc->label = "egate_sim";
	gc->parent = &sim->pdev->dev;
	gc->base = -1;
	gc->ngpio = SIM_BEAM0 + sim->nbeams;
	gc->can_sleep = can_sleep;
	gc->get_direction = sim_get_direction;
	gc->direction_input = sim_direction_input;
	gc->direction_output = sim_direction_output;
	gc->get = sim_get;
	gc->set = sim_set;
	if (use_irq) {
		struct gpio_irq_chip *girq = &gc->irq;

		gpio_irq_chip_set_chip(girq, &sim_irq_chip);
		girq->handler = handle_simple_irq;
		girq->default_type = IRQ_TYPE_NONE;
	}
	return gpiochip_add_data(gc, sim);
}

void sim_chip_remove(struct egate_sim *sim)
{
	egate_gpiochip_remove(&sim->gc);
}
