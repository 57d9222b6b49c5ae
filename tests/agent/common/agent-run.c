// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "agent-run.h"

#define ARGS_MAX 48

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int agent_env_init(struct agent_env *env)
{
	char exe[PATH_MAX], *top;
	const char *models = getenv("EGATE_MODELS");
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	memset(env, 0, sizeof(*env));
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	top = dirname(dirname(exe));	/* $BUILD */
	snprintf(env->bin, sizeof(env->bin), "%s/bin", top);
	if (models)
		snprintf(env->models, sizeof(env->models), "%s", models);
	else
		snprintf(env->models, sizeof(env->models), "%s/../models/face-api/model", top);
	snprintf(env->photos, sizeof(env->photos), "%s/../demo", env->models);
	strcpy(env->dir, "/tmp/egate-agent-test.XXXXXX");
	if (!mkdtemp(env->dir))
		return -errno;
	snprintf(env->db, sizeof(env->db), "%s/egate.db", env->dir);
	snprintf(env->log, sizeof(env->log), "%s/agent.log", env->dir);
	snprintf(env->metrics, sizeof(env->metrics), "%s/metrics.prom", env->dir);
	return access(env->models, R_OK) ? -ENOENT : 0;
}

void agent_env_cleanup(struct agent_env *env)
{
	char cmd[128];

	if (!env->dir[0] || strncmp(env->dir, "/tmp/egate-agent-test.", 22))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", env->dir);
	if (system(cmd))
		fprintf(stderr, "# could not remove %s\n", env->dir);
}

const char *agent_photo(const struct agent_env *env, const char *name, char buf[PATH_MAX])
{
	snprintf(buf, PATH_MAX, "%s/%s", env->photos, name);
	return buf;
}

static pid_t spawn(const struct agent_env *env, const char *const *argv)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(env->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
			_exit(127);
		umask(0077);	/* egate-agent@.service's UMask= */
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid < 0 ? -errno : pid;
}

/* argv of bin/tool: path receives its path; config adds --config /dev/null. */
static void tool_argv(const struct agent_env *env, const char *tool, bool config,
		      const char *const *args, char path[PATH_MAX], const char *argv[ARGS_MAX])
{
	int n = 0;

	snprintf(path, PATH_MAX, "%s/%s", env->bin, tool);
	argv[n++] = path;
	if (config) {
		argv[n++] = "--config";
		argv[n++] = "/dev/null";
	}
	while (*args && n < ARGS_MAX - 1)
		argv[n++] = *args++;
	argv[n] = NULL;
}

static int wait_status(pid_t pid)
{
	int status;

	if (pid < 0)
		return pid;
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int agent_tool(const struct agent_env *env, const char *tool, const char *const *args)
{
	const char *argv[ARGS_MAX];
	char path[PATH_MAX];

	tool_argv(env, tool, false, args, path, argv);
	return wait_status(spawn(env, argv));
}

int agent_tool_output(const struct agent_env *env, const char *tool, bool as_nobody,
		      const char *const *args, const char *out)
{
	const char *argv[ARGS_MAX];
	char path[PATH_MAX];
	pid_t pid;

	tool_argv(env, tool, true, args, path, argv);
	pid = fork();
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);

		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
			_exit(126);
		if (as_nobody && geteuid() == 0 && (setgid(AGENT_NOBODY) < 0 ||
						    setuid(AGENT_NOBODY) < 0))
			_exit(125);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return wait_status(pid < 0 ? -errno : pid);
}

int64_t agent_enrol_first(const struct agent_env *env, const char *label, const char *photo)
{
	char id[32];
	FILE *f;
	int r;

	r = agent_tool(env, "egate-gallery", (const char *[]) {
		"--db", env->db, "--create", "--models", env->models, "enrol", label, photo,
		NULL });
	if (r != 0)
		return r < 0 ? r : -EIO;
	f = fopen(env->log, "re");
	if (!f)
		return -errno;
	r = fgets(id, sizeof(id), f) ? 0 : -EBADMSG;
	fclose(f);
	return r < 0 ? r : strtoll(id, NULL, 10);
}

static pid_t start(const struct agent_env *env, const char *lane, const char *name,
		   const char *const *extra_sets)
{
	static char sets[8][PATH_MAX + 32];
	const char *argv[ARGS_MAX];
	char path[PATH_MAX];
	int n = 0;

	snprintf(path, sizeof(path), "%s/egate-agent", env->bin);
	snprintf(sets[0], sizeof(sets[0]), "store.path=%s", env->db);
	snprintf(sets[1], sizeof(sets[1]), "face.models=%s", env->models);
	snprintf(sets[2], sizeof(sets[2]), "metrics.textfile=%s", env->metrics);
	snprintf(sets[3], sizeof(sets[3]), "lane.name=%s", name);
	/* vivid loops frames back only in the format they are fed in */
	snprintf(sets[4], sizeof(sets[4]), "camera.pixel_format=rgb24");
	/* an emulated CPU takes seconds over a frame, more over the first */
	snprintf(sets[5], sizeof(sets[5]), "face.worker_stall_ms=120000");
	snprintf(sets[6], sizeof(sets[6]), "camera.stall_ms=10000");
	/* still images: presentation-attack detection would refuse them all;
	 * a test of PAD sets pad.mode in extra_sets, which come after */
	snprintf(sets[7], sizeof(sets[7]), "pad.mode=off");
	argv[n++] = path;
	argv[n++] = "--config";
	argv[n++] = "/dev/null";
	for (int i = 0; i < 8; i++) {
		argv[n++] = "--set";
		argv[n++] = sets[i];
	}
	while (extra_sets && *extra_sets && n < ARGS_MAX - 3) {
		argv[n++] = "--set";
		argv[n++] = *extra_sets++;
	}
	argv[n++] = lane;
	argv[n] = NULL;
	return spawn(env, argv);
}

pid_t agent_start(const struct agent_env *env, const char *const *extra_sets)
{
	return start(env, "egate0", "test-lane", extra_sets);
}

/* lane.name at its default: the agent names the lane after its device. */
pid_t agent_start_on(const struct agent_env *env, const char *lane,
		     const char *const *extra_sets)
{
	return start(env, lane, "lane-1", extra_sets);
}

int agent_stop(pid_t pid, int sig)
{
	if (pid <= 0)
		return -ESRCH;
	kill(pid, sig);
	return wait_status(pid);
}

bool agent_log_wait(const struct agent_env *env, const char *text, unsigned int times,
		    int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 50) {
		FILE *f = fopen(env->log, "re");
		char line[1024];
		unsigned int found = 0;

		while (f && fgets(line, sizeof(line), f))
			found += strstr(line, text) != NULL;
		if (f)
			fclose(f);
		if (found >= times)
			return true;
		sleep_ms(50);
	}
	return false;
}

void agent_log_dump(const struct agent_env *env)
{
	FILE *f = fopen(env->log, "re");
	char line[1024];

	while (f && fgets(line, sizeof(line), f))
		fprintf(stderr, "# agent: %s", line);
	if (f)
		fclose(f);
}
