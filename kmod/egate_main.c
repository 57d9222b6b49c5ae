// SPDX-License-Identifier: GPL-2.0
/*
 * egate - automated border-control lane driver: module, class, and the
 * "egate-lane" platform driver that binds a lane's GPIO lines.
 */
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>

#include "egate_compat.h"
#include "egate_priv.h"

unsigned int egate_fifo_size = 256;
module_param_named(fifo_size, egate_fifo_size, uint, 0444);
MODULE_PARM_DESC(fifo_size, "Events queued per open file (power of 2, 16..65536)");

bool egate_force_poll;
module_param_named(poll, egate_force_poll, bool, 0444);
MODULE_PARM_DESC(poll, "Poll the inputs even where the GPIO chip has interrupts");

/*
 * Polled mode sees a change within poll_ms * debounce plus one period; the
 * product is bounded so the emergency input is acted on in time whatever
 * the parameters (invariant 8).
 */
#define EGATE_MAX_REACTION_MS	200

unsigned int egate_poll_ms = 10;
module_param_named(poll_ms, egate_poll_ms, uint, 0444);
MODULE_PARM_DESC(poll_ms, "Polling period in ms (1..200; poll_ms * debounce <= 200)");

unsigned int egate_debounce = 2;
module_param_named(debounce, egate_debounce, uint, 0444);
MODULE_PARM_DESC(debounce, "Polled mode: samples in a row a line must read to accept a change, per line (1..100; poll_ms * debounce <= 200)");

/* Polled sampling of every lane; see egate_gpio.c. */
struct workqueue_struct *egate_wq;

dev_t egate_devt;

static char *egate_devnode(EGATE_DEVNODE_CONST struct device *dev,
			   umode_t *mode)
{
	if (mode)
		*mode = 0660;
	return NULL;
}

struct class egate_class = {
	.name		= "egate",
	.devnode	= egate_devnode,
};

static const struct egate_timings egate_default_timings = {
	.door_travel_ms		= 3000,
	.auth_expiry_ms		= 5000,
	.passage_timeout_ms	= 15000,
	.tailgate_gap_ms	= 1000,
	.obstruct_retries	= 3,
	.obstruct_retry_ms	= 500,
	.heartbeat_ms		= 5000,
};

static void egate_lane_release(struct device *dev)
{
	struct egate_lane *lane = container_of(dev, struct egate_lane, dev);

	mutex_destroy(&lane->lock);
	kfree(lane);
}

static void egate_timer_work(struct work_struct *work)
{
	struct egate_lane *lane = container_of(to_delayed_work(work),
					       struct egate_lane, timer_work);

	egate_sm_timer(lane);
}

static int egate_probe(struct platform_device *pdev)
{
	struct egate_board **pdata = dev_get_platdata(&pdev->dev);
	const struct egate_wiring *w;
	struct egate_board *board;
	struct egate_lane *lane;
	int ret;

	/* Only egate_board.c's devices carry a board (not driver_override). */
	if (!pdata || !*pdata)
		return -EINVAL;
	board = *pdata;
	w = egate_board_wiring(board);

	lane = kzalloc(sizeof(*lane), GFP_KERNEL);
	if (!lane)
		return egate_board_probe_result(board, -ENOMEM);
	mutex_init(&lane->lock);
	INIT_LIST_HEAD(&lane->readers);
	INIT_DELAYED_WORK(&lane->timer_work, egate_timer_work);
	lane->pdev = pdev;
	lane->board = board;
	lane->id = pdev->id;
	lane->topology = w->topology;
	lane->nbeams = w->nbeams;
	lane->swing = w->swing_beams ?: EGATE_DEFAULT_SWING;
	lane->fail_closed = w->fail_closed;
	lane->t = egate_default_timings;

	device_initialize(&lane->dev);
	lane->dev.class = &egate_class;
	lane->dev.parent = &pdev->dev;
	lane->dev.devt = MKDEV(MAJOR(egate_devt), lane->id);
	lane->dev.groups = egate_lane_groups;
	lane->dev.release = egate_lane_release;
	ret = dev_set_name(&lane->dev, "egate%d", lane->id);
	if (ret)
		goto put_lane;

	ret = egate_gpio_get(lane, &pdev->dev, w);
	if (ret)
		goto put_lane;

	/* Inputs first: no output is driven before the lane knows them. */
	mutex_lock(&lane->lock);
	egate_gpio_read(lane, &lane->in);
	egate_sm_init(lane);
	ret = egate_gpio_outputs_init(lane);
	if (!ret)
		egate_sm_start(lane);
	mutex_unlock(&lane->lock);
	if (ret)
		goto kill_lane;

	cdev_init(&lane->cdev, &egate_fops);
	lane->cdev.owner = THIS_MODULE;
	ret = cdev_device_add(&lane->cdev, &lane->dev);
	if (ret)
		goto kill_lane;

	ret = egate_gpio_start(lane);
	if (ret)
		goto del_cdev;

	platform_set_drvdata(pdev, lane);
	dev_info(&lane->dev, "%s lane, %u beams, %s inputs\n",
		 lane->topology == EGATE_TOPO_MANTRAP ? "mantrap" : "single",
		 lane->nbeams, lane->irq_mode ? "interrupt" : "polled");
	return egate_board_probe_result(board, 0);

del_cdev:
	cdev_device_del(&lane->cdev, &lane->dev);
kill_lane:
	mutex_lock(&lane->lock);
	egate_gpio_fail_state(lane);
	WRITE_ONCE(lane->dead, true);
	mutex_unlock(&lane->lock);
	cancel_delayed_work_sync(&lane->timer_work);
put_lane:
	put_device(&lane->dev);
	return egate_board_probe_result(board, ret);
}

static void egate_remove(struct platform_device *pdev)
{
	struct egate_lane *lane = platform_get_drvdata(pdev);

	/*
	 * The doors are left in the fail state while the lane is still alive
	 * and locked, so no sample or timer can drive them after it.  Readers
	 * wake with -ENODEV; nothing touches the lines after this.
	 */
	mutex_lock(&lane->lock);
	egate_sm_remove(lane);
	egate_gpio_fail_state(lane);
	WRITE_ONCE(lane->dead, true);
	lane->pdev = NULL;
	egate_wake_all(lane);
	mutex_unlock(&lane->lock);

	egate_gpio_stop(lane);
	cancel_delayed_work_sync(&lane->timer_work);
	cdev_device_del(&lane->cdev, &lane->dev);
	put_device(&lane->dev);
}

struct platform_driver egate_driver = {
	.driver = {
		.name	= "egate-lane",
		.groups	= egate_driver_groups,
	},
	.probe	= egate_probe,
	EGATE_PLATFORM_REMOVE(egate_remove),
};

static int __init egate_init(void)
{
	int ret;

	if (egate_fifo_size < 16 || egate_fifo_size > 65536 ||
	    egate_poll_ms < 1 || egate_poll_ms > EGATE_MAX_REACTION_MS ||
	    egate_debounce < 1 || egate_debounce > 100 ||
	    egate_poll_ms * egate_debounce > EGATE_MAX_REACTION_MS)
		return -EINVAL;

	/*
	 * Each piece is up before anything that can reach it: the class
	 * before the netlink family (its operations look lanes up in the
	 * class), both before the driver (probe adds lanes to the class and
	 * raises events).
	 */
	ret = alloc_chrdev_region(&egate_devt, 0, EGATE_MAX_LANES, "egate");
	if (ret)
		return ret;
	ret = class_register(&egate_class);
	if (ret)
		goto unregister_chrdev;
	ret = egate_genl_init();
	if (ret)
		goto unregister_class;
	/*
	 * High priority: a sample waits for no ordinary work.  A rescuer
	 * (WQ_MEM_RECLAIM): sampling, and so the emergency input, keeps
	 * going when no new worker can be made under memory pressure.
	 */
	egate_wq = alloc_workqueue("egate", WQ_HIGHPRI | WQ_MEM_RECLAIM, 0);
	if (!egate_wq) {
		ret = -ENOMEM;
		goto unregister_genl;
	}
	ret = platform_driver_register(&egate_driver);
	if (ret)
		goto destroy_wq;
	return 0;

destroy_wq:
	destroy_workqueue(egate_wq);
unregister_genl:
	egate_genl_exit();
unregister_class:
	class_unregister(&egate_class);
unregister_chrdev:
	unregister_chrdev_region(egate_devt, EGATE_MAX_LANES);
	return ret;
}

/*
 * The reverse of egate_init(), with the boards in between.  The driver goes
 * first: driver_unregister() removes new_device/delete_device (waiting for
 * writers already inside them), so no board can be added behind our back,
 * and then unbinds every lane, which leaves its doors in the fail state.
 * Removing the boards after that only unregisters unbound devices and
 * lookup tables; nothing can bind to them any more.  (Boards removed first
 * would leave a window where new_device adds a board that outlives the
 * module.)  Board drivers (egate_sim) hold a reference on this module, so
 * only boards made through new_device are left here.  Every lane has
 * stopped its sampling by then, so the workqueue can go.  Then the netlink
 * family, whose operations look lanes up in the class, and only then the
 * class and the device numbers.
 */
static void __exit egate_exit(void)
{
	platform_driver_unregister(&egate_driver);
	egate_boards_remove_all();
	destroy_workqueue(egate_wq);
	egate_genl_exit();
	class_unregister(&egate_class);
	unregister_chrdev_region(egate_devt, EGATE_MAX_LANES);
}

module_init(egate_init);
module_exit(egate_exit);

MODULE_DESCRIPTION("Automated border-control lane (e-gate) driver");
MODULE_AUTHOR("egate project");
MODULE_LICENSE("GPL");
