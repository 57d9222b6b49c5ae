// SPDX-License-Identifier: GPL-2.0
/*
 * vm_udev_test - udev/70-egate.rules against a real lane device: with the
 * lane driver loaded, `udevadm test` of /dev/egate0's add event must tag it
 * for systemd and want egate-agent@egate0.service, and give the node to the
 * egate group (absent in the VM: udev then says it cannot resolve it).
 * The rule goes to /run/udev/rules.d, which udev reads and the VM has as
 * tmpfs.
 *
 * And the camera an administrator's rule names for a lane: with udevd
 * running (our own child), a rule sets EGATE_CAMERA on egate0; the capture
 * library reads it from udevd's database, rejects a bad one, sees it go;
 * the agent takes it over egate.conf's [cameras], and --camera over it.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "agent-run.h"
#include "egate-capture.h"
#include "egate_test.h"
#include "vivid.h"
#include "kselftest_harness.h"

#define RULE_DIR "/run/udev/rules.d"
#define RULE RULE_DIR "/70-egate.rules"
#define CAMERA_RULE RULE_DIR "/71-egate-test-camera.rules"
#define UDEVD "/lib/systemd/systemd-udevd"
#define UDEVADM "SYSTEMD_IGNORE_CHROOT=1 udevadm "	/* it balks in a chroot */
#define CAMERA_1 "vivid-001-vid-cap"

/* The rule beside the build: $BUILD/vmtests/../../../udev/70-egate.rules */
static int rule_source(char *path, size_t size)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *cut;

	if (n < 0)
		return -1;
	exe[n] = '\0';
	for (int i = 0; i < 3; i++) {
		cut = strrchr(exe, '/');
		if (!cut)
			return -1;
		*cut = '\0';
	}
	cut = strrchr(exe, '/');	/* .../build -> ... */
	if (!cut)
		return -1;
	*cut = '\0';
	return snprintf(path, size, "%s/udev/70-egate.rules", exe) < (int)size ? 0 : -1;
}

TEST(rule_wants_the_agent)
{
	char src[4096], cmd[8192], line[1024];
	bool tagged = false, wanted = false, group = false;
	FILE *p;

	ASSERT_EQ(0, rule_source(src, sizeof(src)));
	ASSERT_EQ(0, access(src, R_OK));
	ASSERT_EQ(0, eg_load("", ""));
	mkdir("/run/udev", 0755);
	mkdir(RULE_DIR, 0755);
	snprintf(cmd, sizeof(cmd), "cp '%s' " RULE, src);
	ASSERT_EQ(0, system(cmd));
	p = popen("SYSTEMD_IGNORE_CHROOT=1 udevadm test --action=add /sys/class/egate/egate0 2>&1",
		  "r");
	ASSERT_NE(NULL, p);
	while (fgets(line, sizeof(line), p)) {
		tagged |= strstr(line, "TAGS=") && strstr(line, ":systemd:");
		wanted |= strstr(line, "SYSTEMD_WANTS=egate-agent@egate0.service") != NULL;
		group |= strstr(line, "egate") && strstr(line, "group") &&
			 strstr(line, "70-egate.rules");
	}
	pclose(p);
	unlink(RULE);
	eg_unload();
	EXPECT_TRUE(tagged);
	EXPECT_TRUE(wanted);
	EXPECT_TRUE(group);
}

static int write_rule(const char *text)
{
	FILE *f;

	mkdir("/run/udev", 0755);
	mkdir(RULE_DIR, 0755);
	f = fopen(CAMERA_RULE, "we");
	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

/* udevd reads the rules again and replays the lane's event through them. */
static int replay_lane(void)
{
	if (system(UDEVADM "control --reload") ||
	    system(UDEVADM "trigger --action=change /sys/class/egate/egate0") ||
	    system(UDEVADM "settle -t 60"))
		return -EIO;
	return 0;
}

/*
 * The lane's selector once udevd has applied the rules just written:
 * replayed until egate_camera_lane_selector() returns want, at most 5
 * times.  udevd has been seen to drop a control message under emulation
 * ("Invalid sender uid 65534, ignoring message"), so one reload is not
 * always taken; what is tested is what the agent reads, not udevd.
 */
static int selector_after_replay(char *selector, size_t size, char *err, size_t err_size,
				 int want)
{
	int r = -EIO;

	for (int i = 0; i < 5 && r != want; i++) {
		if (replay_lane())
			return -EIO;
		err[0] = '\0';
		r = egate_camera_lane_selector("egate0", selector, size, err, err_size);
	}
	return r;
}

FIXTURE(lane_camera) {
	pid_t udevd;
	char camera0[64], camera1[64], selector[256], err[256];
};

FIXTURE_SETUP(lane_camera)
{
	int ready = -1;

	ASSERT_EQ(0, access(UDEVD, X_OK));	/* package udev, scripts/debian-packages */
	/* Both vivid instances hang off one platform device: one ID_PATH. */
	ASSERT_EQ(0, write_rule("SUBSYSTEM==\"egate\", KERNEL==\"egate0\", "
				"ENV{EGATE_CAMERA}=\"name:" CAMERA_1 "\"\n"));
	/* Our own child, not --daemon: the test stops exactly what it started. */
	self->udevd = fork();
	ASSERT_LE(0, self->udevd);
	if (self->udevd == 0) {
		execl(UDEVD, UDEVD, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100 && ready; i++) {
		ready = system(UDEVADM "control --ping -t 1 2>/dev/null");
		if (ready)
			usleep(100000);
	}
	ASSERT_EQ(0, ready);
	ASSERT_EQ(0, vivid_unload());
	ASSERT_EQ(0, vivid_load(2));
	ASSERT_EQ(0, eg_load("", ""));
	ASSERT_EQ(0, system(UDEVADM "settle -t 60"));
	ASSERT_EQ(0, vivid_find_node(VIVID_CAPTURE_NAME, self->camera0));
	ASSERT_EQ(0, vivid_find_node(CAMERA_1, self->camera1));
}

FIXTURE_TEARDOWN(lane_camera)
{
	unlink(CAMERA_RULE);
	eg_unload();
	vivid_unload();
	if (self->udevd > 0) {
		kill(self->udevd, SIGTERM);
		waitpid(self->udevd, NULL, 0);
	}
}

TEST_F(lane_camera, property_read_from_udev)
{
	struct egate_camera_monitor *monitor;
	char node[64];

	ASSERT_EQ(0, egate_camera_lane_selector("egate0", self->selector, sizeof(self->selector),
						self->err, sizeof(self->err))) TH_LOG("%s", self->err);
	EXPECT_STREQ("name:" CAMERA_1, self->selector);
	/* and it names the second of two cameras, where "auto" gives up */
	ASSERT_EQ(0, egate_camera_monitor_new(self->selector, EGATE_UEVENT_UDEV, &monitor,
					      self->err, sizeof(self->err)));
	EXPECT_EQ(0, egate_camera_monitor_find(monitor, node, sizeof(node)));
	EXPECT_STREQ(self->camera1, node);
	egate_camera_monitor_free(monitor);

	/* a rule with a bad selector is the rule's fault, and says so */
	ASSERT_EQ(0, write_rule("SUBSYSTEM==\"egate\", KERNEL==\"egate0\", "
				"ENV{EGATE_CAMERA}=\"video1\"\n"));
	EXPECT_EQ(-EINVAL, selector_after_replay(self->selector, sizeof(self->selector),
						 self->err, sizeof(self->err), -EINVAL));
	EXPECT_STREQ("udev property EGATE_CAMERA of egate0: invalid camera selector 'video1':"
		     " expected auto, /dev/..., name:NAME or path:ID_PATH", self->err);

	/* no rule, no property: the next source decides */
	unlink(CAMERA_RULE);
	EXPECT_EQ(-ENOENT, selector_after_replay(self->selector, sizeof(self->selector),
						 self->err, sizeof(self->err), -ENOENT));
}

/* egate-agent on egate0 with a configuration file and maybe --camera. */
static pid_t run_agent(const struct agent_env *env, const char *config, const char *camera)
{
	static char sets[3][PATH_MAX + 32];
	const char *argv[16];
	char path[PATH_MAX];
	int n = 0;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/egate-agent", env->bin);
	snprintf(sets[0], sizeof(sets[0]), "store.path=%s", env->db);
	snprintf(sets[1], sizeof(sets[1]), "face.models=%s", env->models);
	snprintf(sets[2], sizeof(sets[2]), "metrics.textfile=%s", env->metrics);
	argv[n++] = path;
	argv[n++] = "--config";
	argv[n++] = config;
	for (int i = 0; i < 3; i++) {
		argv[n++] = "--set";
		argv[n++] = sets[i];
	}
	if (camera) {
		argv[n++] = "--camera";
		argv[n++] = camera;
	}
	argv[n++] = "egate0";
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		FILE *log = freopen(env->log, "ae", stdout);

		if (!log || dup2(STDOUT_FILENO, STDERR_FILENO) < 0)
			_exit(127);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/*
 * The agent's run-th camera opening ("camera NODE: WxH, streaming") was
 * from node, its times-th from that node.
 */
static bool agent_streams_from(const struct agent_env *env, unsigned int run,
			       const char *node, unsigned int times)
{
	char text[96];

	snprintf(text, sizeof(text), "camera %s: ", node);
	return agent_log_wait(env, ", streaming", run, 120000) &&
	       agent_log_wait(env, text, times, 0);
}

/*
 * The precedence the agent applies: --camera > udev property > the file's
 * [cameras] entry.  The file names camera 0, the rule camera 1.  The agent
 * is killed, not stopped: its worker may be deep in a frame, and the lane
 * is the driver's to keep safe meanwhile.
 */
TEST_F_TIMEOUT(lane_camera, agent_takes_udev_over_file_and_option_over_udev, 600)
{
	struct agent_env env;
	char config[PATH_MAX], text[128];
	FILE *f;
	pid_t agent;

	ASSERT_EQ(0, agent_env_init(&env));
	snprintf(config, sizeof(config), "%s/egate.conf", env.dir);
	f = fopen(config, "we");
	ASSERT_NE(NULL, f);
	fprintf(f, "[camera]\npixel_format = yuyv\n[cameras]\negate0 = name:%s\n",
		VIVID_CAPTURE_NAME);
	ASSERT_EQ(0, fclose(f));

	agent = run_agent(&env, config, NULL);
	ASSERT_LT(0, agent);
	EXPECT_TRUE(agent_log_wait(&env, "camera selector 'name:" CAMERA_1 "' (from udev"
				   " property EGATE_CAMERA of egate0)", 1, 120000));
	EXPECT_TRUE(agent_streams_from(&env, 1, self->camera1, 1));
	EXPECT_EQ(128 + SIGKILL, agent_stop(agent, SIGKILL));

	snprintf(text, sizeof(text), "camera selector 'name:%s' (from --camera)",
		 VIVID_CAPTURE_NAME);
	agent = run_agent(&env, config, "name:" VIVID_CAPTURE_NAME);
	ASSERT_LT(0, agent);
	EXPECT_TRUE(agent_log_wait(&env, text, 1, 120000));
	EXPECT_TRUE(agent_streams_from(&env, 2, self->camera0, 1));
	EXPECT_EQ(128 + SIGKILL, agent_stop(agent, SIGKILL));

	/* without the rule, the file decides */
	unlink(CAMERA_RULE);
	ASSERT_EQ(-ENOENT, selector_after_replay(self->selector, sizeof(self->selector),
						 self->err, sizeof(self->err), -ENOENT));
	snprintf(text, sizeof(text), "camera selector 'name:%s' (from [cameras]",
		 VIVID_CAPTURE_NAME);
	agent = run_agent(&env, config, NULL);
	ASSERT_LT(0, agent);
	EXPECT_TRUE(agent_log_wait(&env, text, 1, 120000));
	EXPECT_TRUE(agent_streams_from(&env, 3, self->camera0, 2));
	EXPECT_EQ(128 + SIGKILL, agent_stop(agent, SIGKILL));

	if (!_metadata->passed)
		agent_log_dump(&env);
	agent_env_cleanup(&env);
}

TEST_HARNESS_MAIN
