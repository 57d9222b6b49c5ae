/* SPDX-License-Identifier: GPL-2.0 */
/*
 * egate - the differences between the kernels the driver is built for
 * (Debian 12's 6.1 and 6.12), in one place.
 */
#ifndef EGATE_COMPAT_H
#define EGATE_COMPAT_H

#include <linux/version.h>

/* class->devnode takes a const device since 6.2. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define EGATE_DEVNODE_CONST const
#else
#define EGATE_DEVNODE_CONST
#endif

/* platform_driver.remove returns void since 6.11 (remove_new before). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
#define EGATE_PLATFORM_REMOVE(fn)	.remove = (fn)
#else
#define EGATE_PLATFORM_REMOVE(fn)	.remove_new = (fn)
#endif

#endif /* EGATE_COMPAT_H */
