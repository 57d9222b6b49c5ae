/* SPDX-License-Identifier: GPL-2.0 */
/* fleet-run.h - running egate-sync and egate-central from the fleet tests. */
#ifndef EGATE_TEST_FLEET_RUN_H
#define EGATE_TEST_FLEET_RUN_H

#include <sys/types.h>

/* Starts bin/name args (NULL-terminated), stdout and stderr into out: its pid or -errno. */
pid_t fleet_spawn(const char *bin, const char *out, const char *name, const char *const *args);
/* The same, waited for: the exit status, 128 + signal, or -errno. */
int fleet_tool(const char *bin, const char *out, const char *name, const char *const *args);
/* The whole of a small file (64 KiB at most), "" when unreadable; until the next call. */
const char *fleet_slurp(const char *path);

#endif
