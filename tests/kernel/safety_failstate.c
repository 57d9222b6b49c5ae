// SPDX-License-Identifier: GPL-2.0
/*
 * Invariant 7: removal and start leave the doors in a declared state.
 *
 * Removal (unbind, delete_device, the board unregistering the lane as
 * egate_sim does when it unloads) drives every door to the wiring's fail
 * state: fail=open (default) every door open; fail=closed a door closed
 * only when its swing zone reads clear; with the emergency input active
 * every door open.  Lamps and buzzer go off.  The simulator's status file
 * shows the drive lines after egate let go of them, as long as egate_sim
 * stays loaded; egate_sim needs egate, so `rmmod egate` with a lane is the
 * same egate_remove() as unbind and is checked through the kernel log when
 * egate_sim unloads.
 *
 * Start: probe reads the inputs before it drives any output, so a door
 * that is open with someone in it is never pulsed closed.  The gpio
 * tracepoints show every value driven onto the line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "egate_test.h"

#define DRV "/sys/bus/platform/drivers/egate-lane/"
/* egate_sim's line layout: doors 0-5, emergency 6, lamps 7-8, buzzer 9. */
#define MANTRAP "chip=egate_sim topology=mantrap entry=0,1,2 exit=3,4,5 " \
		"beams=10-17 emergency=!6 green=7 red=8 buzzer=9"
#define TRACING "/sys/kernel/tracing/"

/* Lamps and buzzer all off. */
static int eg_outputs_off(void)
{
	return eg_sim_status("green") == 0 && eg_sim_status("red") == 0 &&
	       eg_sim_status("buzzer") == 0;
}

/* Take control of egate0 and wait for it to be idle. */
static int eg_ctl_idle(void)
{
	int mark = eg_mark(), ctl = eg_open_ctl();

	if (ctl < 0)
		return ctl;
	if (eg_expect_state(ctl, mark, EGATE_ST_IDLE, 3000)) {
		close(ctl);
		return -ETIMEDOUT;
	}
	return ctl;
}

/* Authorise a forward passage and wait for the entry door to be open. */
static int eg_open_entry(int ctl)
{
	int ret = eg_cmd(ctl, EGATE_CMD_AUTHORISE, 0, 0, 0);

	if (ret)
		return ret;
	if (eg_sim_status("entry_drive") != 1)
		return -EIO;
	return eg_sim_wait("entry_pos", 1000, 5000);
}

/* ---- the simulator's own lane (fail=open) -------------------------------- */

FIXTURE(sim_lane) {
	int ctl;
};

FIXTURE_SETUP(sim_lane)
{
	ASSERT_EQ(0, eg_load("", ""));
	self->ctl = eg_ctl_idle();
	ASSERT_LE(0, self->ctl);
}

FIXTURE_TEARDOWN(sim_lane)
{
	if (self->ctl >= 0)
		close(self->ctl);
	eg_unload();
}

/* An idle lane's closed door is driven open by unbind: fail=open. */
TEST_F(sim_lane, unbind_closed_door_fails_open)
{
	ASSERT_EQ(0, eg_sim_wait("entry_pos", 0, 5000));
	ASSERT_EQ(0, eg_sim_status("entry_drive"));
	ASSERT_EQ(0, eg_write_file(DRV "unbind", "egate-lane.0"));
	EXPECT_NE(0, access(EG_LANE, F_OK));
	EXPECT_EQ(1, eg_sim_status("entry_drive"));
	EXPECT_TRUE(eg_outputs_off());
	/* Nothing drives it afterwards. */
	eg_sleep_ms(300);
	EXPECT_EQ(1, eg_sim_status("entry_drive"));
	EXPECT_EQ(0, eg_sim_wait("entry_pos", 1000, 5000));

	/* Bound again, the lane works. */
	close(self->ctl);
	ASSERT_EQ(0, eg_write_file(DRV "bind", "egate-lane.0"));
	self->ctl = eg_ctl_idle();
	ASSERT_LE(0, self->ctl);
}

/* A door held open for a traveller stays driven open through unbind. */
TEST_F(sim_lane, unbind_open_door_stays_open)
{
	ASSERT_EQ(0, eg_open_entry(self->ctl));
	ASSERT_EQ(0, eg_write_file(DRV "unbind", "egate-lane.0"));
	EXPECT_EQ(1, eg_sim_status("entry_drive"));
	EXPECT_TRUE(eg_outputs_off());
	eg_sleep_ms(300);
	EXPECT_EQ(1, eg_sim_status("entry_drive"));
	EXPECT_EQ(1000, eg_sim_status("entry_pos"));
}

/*
 * Start: a door open with a traveller standing in its swing zone, and the
 * driver bound again.  Probe reads the inputs first and drives the door
 * open: the drive line is never set low, not even for a moment (the old
 * GPIOD_OUT_LOW request did exactly that).
 */
TEST_F(sim_lane, probe_never_pulses_door_closed)
{
	char buf[65536], line[256], filter[64], *p;
	int gpio = -1, fd, n;
	FILE *f;

	ASSERT_EQ(0, eg_open_entry(self->ctl));
	ASSERT_EQ(0, eg_sim("beam 0 1"));
	ASSERT_EQ(0, eg_sysfs_wait("beams", "0x00000001", 2000));
	ASSERT_EQ(0, eg_write_file(DRV "unbind", "egate-lane.0"));
	close(self->ctl);
	self->ctl = -1;
	ASSERT_EQ(1, eg_sim_status("entry_drive"));

	/* The drive line's global number, from gpiolib's debugfs. */
	f = fopen("/sys/kernel/debug/gpio", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "entry-drive"))
			sscanf(line, " gpio-%d", &gpio);
	fclose(f);
	/* Unbound: the line is not requested; egate_sim's chip starts at it. */
	if (gpio < 0) {
		f = fopen("/sys/kernel/debug/gpio", "r");
		ASSERT_NE(NULL, f);
		while (fgets(line, sizeof(line), f))
			if (strstr(line, "egate_sim"))
				sscanf(line, "gpiochip%*d: GPIOs %d", &gpio);
		fclose(f);
	}
	ASSERT_LE(0, gpio);

	if (access(TRACING "events/gpio", F_OK))
		mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL);
	if (access(TRACING "events/gpio/gpio_value", F_OK))
		SKIP(return, "no gpio tracepoints");
	snprintf(filter, sizeof(filter), "gpio == %d && get == 0", gpio);
	ASSERT_EQ(0, eg_write_file(TRACING "events/gpio/gpio_value/filter", filter));
	ASSERT_EQ(0, eg_write_file(TRACING "trace", ""));
	ASSERT_EQ(0, eg_write_file(TRACING "events/gpio/gpio_value/enable", "1"));
	ASSERT_EQ(0, eg_write_file(TRACING "tracing_on", "1"));

	ASSERT_EQ(0, eg_write_file(DRV "bind", "egate-lane.0"));
	EXPECT_EQ(1, eg_sim_status("entry_drive"));
	eg_sleep_ms(500);
	EXPECT_EQ(1, eg_sim_status("entry_drive"));
	EXPECT_EQ(1000, eg_sim_status("entry_pos"));

	eg_write_file(TRACING "events/gpio/gpio_value/enable", "0");
	fd = open(TRACING "trace", O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	eg_write_file(TRACING "events/gpio/gpio_value/filter", "0");
	ASSERT_LT(0, n);
	buf[n] = '\0';
	snprintf(line, sizeof(line), "gpio_value: %d set 0", gpio);
	p = strstr(buf, line);
	EXPECT_EQ(NULL, p) {
		TH_LOG("drive line set low during probe:\n%s", buf);
	}
	snprintf(line, sizeof(line), "gpio_value: %d set 1", gpio);
	EXPECT_NE(NULL, strstr(buf, line));
}

/*
 * egate_sim unloading unregisters its lane: the same egate_remove() as
 * unbind and `rmmod egate`.  The simulator's status goes with it, so the
 * kernel log says what was driven.
 */
TEST_F(sim_lane, unregister_logs_fail_state)
{
	char rec[1024];
	int kmsg, found = 0;
	ssize_t n;

	ASSERT_EQ(0, eg_open_entry(self->ctl));
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, kmsg);
	lseek(kmsg, 0, SEEK_END);
	ASSERT_EQ(0, eg_unload_module("egate_sim"));
	while ((n = read(kmsg, rec, sizeof(rec) - 1)) > 0 || errno == EPIPE) {
		if (n <= 0)
			continue;
		rec[n] = '\0';
		if (strstr(rec, "egate0: fail state (fail=open): entry door driven open"))
			found = 1;
	}
	close(kmsg);
	EXPECT_TRUE(found);
}

/* ---- a lane wired through new_device on the simulator's chip ------------ */

FIXTURE(admin) {
	int ctl;
};

FIXTURE_VARIANT(admin) {
	const char *fail;
};

FIXTURE_VARIANT_ADD(admin, closed) {
	.fail = " fail=closed",
};

FIXTURE_VARIANT_ADD(admin, open) {
	.fail = " fail=open",
};

FIXTURE_VARIANT_ADD(admin, default) {
	.fail = "",
};

FIXTURE_SETUP(admin)
{
	char line[256];

	self->ctl = -1;
	ASSERT_EQ(0, eg_load("", "lane=0 topology=mantrap"));
	snprintf(line, sizeof(line), "%s%s", MANTRAP, variant->fail);
	ASSERT_EQ(0, eg_write_file(DRV "new_device", line));
	self->ctl = eg_ctl_idle();
	ASSERT_LE(0, self->ctl);
}

FIXTURE_TEARDOWN(admin)
{
	if (self->ctl >= 0)
		close(self->ctl);
	eg_write_file(DRV "delete_device", "egate0");
	eg_unload();
}

static int eg_fail_closed(const FIXTURE_VARIANT(admin) *variant)
{
	return !strcmp(variant->fail, " fail=closed");
}

static void eg_delete(int *ctl)
{
	close(*ctl);
	*ctl = -1;
	eg_write_file(DRV "delete_device", "egate0");
}

/* Lane clear, entry door open: fail=closed closes it, else both open. */
TEST_F(admin, delete_lane_clear)
{
	int want = !eg_fail_closed(variant);

	ASSERT_EQ(0, eg_open_entry(self->ctl));
	eg_delete(&self->ctl);
	ASSERT_NE(0, access(EG_LANE, F_OK));
	EXPECT_EQ(want, eg_sim_status("entry_drive"));
	EXPECT_EQ(want, eg_sim_status("exit_drive"));
	EXPECT_TRUE(eg_outputs_off());
	eg_sleep_ms(300);
	EXPECT_EQ(want, eg_sim_status("entry_drive"));
	EXPECT_EQ(want, eg_sim_status("exit_drive"));
}

/*
 * A traveller standing in the entry door's swing zone: that door is left
 * open whatever the fail state; the exit door, its zone clear, follows the
 * fail state.
 */
TEST_F(admin, delete_traveller_in_entry_zone)
{
	ASSERT_EQ(0, eg_open_entry(self->ctl));
	ASSERT_EQ(0, eg_sim("beam 0 1"));
	ASSERT_EQ(0, eg_sysfs_wait("beams", "0x00000001", 2000));
	eg_delete(&self->ctl);
	EXPECT_EQ(1, eg_sim_status("entry_drive"));
	EXPECT_EQ(!eg_fail_closed(variant), eg_sim_status("exit_drive"));
	EXPECT_TRUE(eg_outputs_off());
}

/* The same at the exit end: the exit door is left open. */
TEST_F(admin, delete_traveller_in_exit_zone)
{
	ASSERT_EQ(0, eg_sim("beam 7 1"));
	ASSERT_EQ(0, eg_sysfs_wait("beams", "0x00000080", 2000));
	eg_delete(&self->ctl);
	EXPECT_EQ(!eg_fail_closed(variant), eg_sim_status("entry_drive"));
	EXPECT_EQ(1, eg_sim_status("exit_drive"));
}

/* With the emergency input active every door is left open. */
TEST_F(admin, delete_in_emergency)
{
	int mark = eg_mark();

	ASSERT_EQ(0, eg_sim("emergency 1"));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_EMERGENCY, 2000));
	eg_delete(&self->ctl);
	EXPECT_EQ(1, eg_sim_status("entry_drive"));
	EXPECT_EQ(1, eg_sim_status("exit_drive"));
	EXPECT_TRUE(eg_outputs_off());
}

/* An unknown fail state is a malformed line. */
TEST(fail_key_malformed)
{
	ASSERT_EQ(0, eg_load("", "lane=0 topology=mantrap"));
	EXPECT_EQ(-EINVAL, eg_write_file(DRV "new_device", MANTRAP " fail=ajar"));
	EXPECT_EQ(-EINVAL, eg_write_file(DRV "new_device", MANTRAP " fail="));
	EXPECT_NE(0, access(EG_LANE, F_OK));
	eg_unload();
}

TEST_HARNESS_MAIN
