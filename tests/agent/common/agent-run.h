/* SPDX-License-Identifier: GPL-2.0 */
/*
 * agent-run.h - running the built egate-agent and egate-gallery from the
 * VM tests: found beside the test program ($BUILD/vmtests/../bin), models
 * and demo photos under build/models (or $EGATE_MODELS).
 */
#ifndef EGATE_TEST_AGENT_RUN_H
#define EGATE_TEST_AGENT_RUN_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct agent_env {
	char bin[1024];		/* $BUILD/bin */
	char models[1024];
	char photos[2048];	/* the npm package's demo photos */
	char dir[64];		/* scratch folder: database, log, metrics */
	char db[128];
	char log[128];
	char metrics[128];
};

int agent_env_init(struct agent_env *env);
void agent_env_cleanup(struct agent_env *env);
/* $photos/name */
const char *agent_photo(const struct agent_env *env, const char *name, char buf[PATH_MAX]);

/*
 * Enrols label from photo into a new gallery at env->db with egate-gallery,
 * the only enrolment so far (the log must be empty: the tool prints the id
 * there): the traveller's id, or -errno.
 */
int64_t agent_enrol_first(const struct agent_env *env, const char *label, const char *photo);

/* Runs bin/tool with args (NULL-terminated), output to the log: exit status or -errno. */
int agent_tool(const struct agent_env *env, const char *tool, const char *const *args);
#define AGENT_NOBODY 65534
/*
 * Runs bin/tool --config /dev/null args (as nobody if asked and root),
 * its stdout into the file out: the exit status, 128 + signal, or -errno.
 */
int agent_tool_output(const struct agent_env *env, const char *tool, bool as_nobody,
		      const char *const *args, const char *out);
/*
 * Starts egate-agent on egate0 with the test settings plus extra --set
 * values (later ones win), under UMask=0077 as its unit runs it.
 */
pid_t agent_start(const struct agent_env *env, const char *const *extra_sets);
/* The same on the lane device lane ("egate1"), named by it (no lane.name). */
pid_t agent_start_on(const struct agent_env *env, const char *lane,
		     const char *const *extra_sets);
/* SIGTERM (or sig) and wait: the exit status, or 128 + signal. */
int agent_stop(pid_t pid, int sig);
/* Waits until the agent logged times lines containing text. */
bool agent_log_wait(const struct agent_env *env, const char *text, unsigned int times,
		    int timeout_ms);
void agent_log_dump(const struct agent_env *env);

#endif
