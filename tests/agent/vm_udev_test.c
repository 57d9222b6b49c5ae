// SPDX-License-Identifier: GPL-2.0
/*
 * vm_udev_test - udev/70-egate.rules against a real lane device: with the
 * lane driver loaded, `udevadm test` of /dev/egate0's add event must tag it
 * for systemd and want egate-agent@egate0.service, and give the node to the
 * egate group (absent in the VM: udev then says it cannot resolve it).
 * The rule goes to /run/udev/rules.d, which udev reads and the VM has as
 * tmpfs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "egate_test.h"
#include "kselftest_harness.h"

#define RULE_DIR "/run/udev/rules.d"
#define RULE RULE_DIR "/70-egate.rules"

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

TEST_HARNESS_MAIN
