// SPDX-License-Identifier: GPL-2.0
/*
 * egatectl end to end against the simulated lane: list, status, watch,
 * mode, the officer commands, authorize; --json output parsed here (the
 * option before or after the command); exit codes and error messages, a
 * missing lane's with --json too; an unprivileged user refused officer
 * commands.  Bad --count and --timeout values: tests/ctl/egatectl_args_test.
 *
 * egatectl is the one built for the host: build/host/bin/egatectl, found
 * from this program's own path (or $EGATECTL).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "egate_test.h"

static char egatectl[PATH_MAX];
static char out[65536], err[4096];

/* ---- a small JSON reader: flattens a document to "path=value" lines ---- */

struct jflat {
	char *buf;
	size_t len, cap;
};

static const char *jp;

static void jadd(struct jflat *f, const char *path, const char *v, size_t n)
{
	int w = snprintf(f->buf + f->len, f->cap - f->len, "%s=%.*s\n", path,
			 (int)n, v);

	if (w > 0 && (size_t)w < f->cap - f->len)
		f->len += w;
}

static void jws(void)
{
	while (isspace((unsigned char)*jp))
		jp++;
}

/* Parse one value at jp under @path; 0 or -1 on a syntax error. */
static int jvalue(struct jflat *f, const char *path)
{
	char sub[512];
	const char *s;
	int i;

	jws();
	if (*jp == '{' || *jp == '[') {
		char close = *jp == '{' ? '}' : ']';

		jp++;
		jws();
		for (i = 0; *jp != close; i++) {
			if (i) {
				if (*jp != ',')
					return -1;
				jp++;
				jws();
			}
			if (close == '}') {
				if (*jp != '"')
					return -1;
				s = ++jp;
				while (*jp && *jp != '"')
					jp++;
				if (!*jp)
					return -1;
				snprintf(sub, sizeof(sub), "%s.%.*s", path,
					 (int)(jp - s), s);
				jp++;
				jws();
				if (*jp++ != ':')
					return -1;
			} else {
				snprintf(sub, sizeof(sub), "%s[%d]", path, i);
			}
			if (jvalue(f, sub))
				return -1;
			jws();
		}
		jp++;
		return 0;
	}
	if (*jp == '"') {
		s = ++jp;
		while (*jp && *jp != '"')
			jp += *jp == '\\' ? 2 : 1;
		if (*jp != '"')
			return -1;
		jadd(f, path, s, jp - s);
		jp++;
		return 0;
	}
	s = jp;
	while (*jp && (isalnum((unsigned char)*jp) || *jp == '-' || *jp == '.'))
		jp++;
	if (jp == s)
		return -1;
	jadd(f, path, s, jp - s);
	return 0;
}

/* Flatten @doc into @buf; -1 unless it is exactly one JSON value. */
static int jflatten(const char *doc, char *buf, size_t cap)
{
	struct jflat f = { .buf = buf, .cap = cap, .len = 1 };

	/* Every entry, the first too, starts after a newline. */
	buf[0] = '\n';
	buf[1] = '\0';
	jp = doc;
	if (jvalue(&f, ""))
		return -1;
	jws();
	return *jp ? -1 : 0;
}

/* The value at @path in a flattened document, or NULL. */
static const char *jget(const char *flat, const char *path)
{
	static char v[256];
	char key[300];
	const char *p, *e;

	snprintf(key, sizeof(key), "\n%s=", path);
	p = strstr(flat, key);
	if (!p)
		return NULL;
	p += strlen(key);
	e = strchr(p, '\n');
	snprintf(v, sizeof(v), "%.*s", (int)(e - p), p);
	return v;
}

/* ---- running egatectl ---------------------------------------------------- */

static int slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return 0;
}

/* Run egatectl with @args (shell words); its exit code, output in out/err. */
static int ctl(const char *args)
{
	const char *tag = geteuid() ? "nobody" : "root";
	char cmd[PATH_MAX + 1024], o[64], e[64];
	int status;

	snprintf(o, sizeof(o), "/tmp/egatectl-%s.out", tag);
	snprintf(e, sizeof(e), "/tmp/egatectl-%s.err", tag);
	snprintf(cmd, sizeof(cmd), "%s %s >%s 2>%s", egatectl, args, o, e);
	status = system(cmd);
	slurp(o, out, sizeof(out));
	slurp(e, err, sizeof(err));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void find_egatectl(void)
{
	char self[PATH_MAX];
	ssize_t n;

	if (getenv("EGATECTL")) {
		snprintf(egatectl, sizeof(egatectl), "%s", getenv("EGATECTL"));
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	/* build/tests/kernel/egatectl_e2e -> build/host/bin/egatectl */
	snprintf(egatectl, sizeof(egatectl), "%s/../../host/bin/egatectl",
		 dirname(self));
}

FIXTURE(ectl) {
	int ctl;
	char flat[65536];
};

FIXTURE_SETUP(ectl)
{
	find_egatectl();
	if (access(egatectl, X_OK))
		SKIP(return, "no egatectl at %.200s (make agent)", egatectl);
	ASSERT_EQ(0, eg_load("", "topology=mantrap"));
	self->ctl = eg_open_ctl();
	ASSERT_LE(0, self->ctl);
	ASSERT_EQ(0, eg_expect_state(self->ctl, 0, EGATE_ST_IDLE, 2000));
}

FIXTURE_TEARDOWN(ectl)
{
	if (self->ctl >= 0)
		close(self->ctl);
	eg_unload();
}

TEST_F(ectl, help_and_usage)
{
	EXPECT_EQ(0, ctl("--help"));
	EXPECT_NE(NULL, strstr(out, "Usage: egatectl"));
	EXPECT_EQ(2, ctl("frobnicate"));
	EXPECT_NE(NULL, strstr(err, "unknown command"));
	EXPECT_EQ(2, ctl("lock 0 --operator o1"));
	EXPECT_EQ(2, ctl("mode 0 sideways"));
}

TEST_F_TIMEOUT(ectl, list_and_status, 120)
{
	EXPECT_EQ(0, ctl("list"));
	EXPECT_NE(NULL, strstr(out, "egate0"));
	EXPECT_NE(NULL, strstr(out, "idle"));

	ASSERT_EQ(0, ctl("--json list"));
	ASSERT_EQ(0, jflatten(out, self->flat, sizeof(self->flat)));
	EXPECT_STREQ("egate0", jget(self->flat, "[0].name"));
	EXPECT_STREQ("idle", jget(self->flat, "[0].state"));
	EXPECT_STREQ("mantrap", jget(self->flat, "[0].topology"));
	EXPECT_STREQ("closed", jget(self->flat, "[0].exit_door"));
	EXPECT_EQ(NULL, jget(self->flat, "[1].name"));

	ASSERT_EQ(0, ctl("--json status egate0"));
	ASSERT_EQ(0, jflatten(out, self->flat, sizeof(self->flat)));
	EXPECT_STREQ("0", jget(self->flat, ".lane"));
	EXPECT_STREQ("true", jget(self->flat, ".controlled"));
	EXPECT_STREQ("0", jget(self->flat, ".counters.passages"));

	EXPECT_EQ(0, ctl("status 0"));
	EXPECT_NE(NULL, strstr(out, "egate0: idle"));

	EXPECT_EQ(3, ctl("status egate3"));
	EXPECT_NE(NULL, strstr(err, "lane egate3 not found"));

	/* --json after the command too; a missing lane is no JSON, an error. */
	ASSERT_EQ(0, ctl("status egate0 --json"));
	ASSERT_EQ(0, jflatten(out, self->flat, sizeof(self->flat)));
	EXPECT_STREQ("egate0", jget(self->flat, ".name"));
	EXPECT_EQ(3, ctl("status egate3 --json"));
	EXPECT_STREQ("", out);
	EXPECT_NE(NULL, strstr(err, "lane egate3 not found"));
	EXPECT_EQ(3, ctl("--json status 3"));
	EXPECT_STREQ("", out);
	EXPECT_NE(NULL, strstr(err, "lane egate3 not found"));
	EXPECT_EQ(3, ctl("lock egate3 --operator o1 --reason test"));
	EXPECT_NE(NULL, strstr(err, "lane egate3 not found"));
}

TEST_F_TIMEOUT(ectl, mode_and_officer, 120)
{
	int mark = eg_mark();

	EXPECT_EQ(0, ctl("mode 0 out_of_service"));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_OUT_OF_SERVICE, 2000));
	EXPECT_EQ(0, ctl("--json status 0"));
	ASSERT_EQ(0, jflatten(out, self->flat, sizeof(self->flat)));
	EXPECT_STREQ("out_of_service", jget(self->flat, ".mode"));
	EXPECT_EQ(0, ctl("mode egate0 normal"));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 2000));

	mark = eg_mark();
	EXPECT_EQ(0, ctl("lock 0 --operator officer1 --reason 'bag left in lane'"));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_LOCKED, 2000));
	EXPECT_EQ(0, ctl("reset 0 --operator officer1 --reason cleared"));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 8000));

	mark = eg_mark();
	EXPECT_EQ(0, ctl("hold 0 --operator officer1 --reason 'wheelchair'"));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_HOLD_OPEN, 2000));
	EXPECT_EQ(5, ctl("open 0 --operator officer1 --reason 'not now'"));
	EXPECT_NE(NULL, strstr(err, "refused"));
	EXPECT_EQ(0, ctl("reset 0 --operator officer1 --reason done"));
	ASSERT_EQ(0, eg_expect_state(self->ctl, mark, EGATE_ST_IDLE, 8000));

	mark = eg_mark();
	EXPECT_EQ(0, ctl("open 0 --operator officer1 --reason 'manual check'"));
	ASSERT_NE(NULL, eg_expect(self->ctl, mark, EGATE_EV_AUTHORISED, EG_ANY, 2000));
}

static int nobody_lock(void *arg)
{
	(void)arg;
	if (ctl("lock 0 --operator mallory --reason x") != 4)
		return 1;
	if (!strstr(err, "permission denied: officer commands need CAP_NET_ADMIN"))
		return 2;
	if (ctl("mode 0 out_of_service") != 4)
		return 3;
	/* Reading is for everyone. */
	if (ctl("--json list") != 0 || !strstr(out, "egate0"))
		return 4;
	return 0;
}

TEST_F_TIMEOUT(ectl, unprivileged, 120)
{
	struct egate_status st;

	EXPECT_EQ(0, eg_as_nobody(nobody_lock, NULL));
	ASSERT_EQ(0, eg_status(self->ctl, &st));
	EXPECT_EQ(EGATE_ST_IDLE, st.state);
}

TEST_F_TIMEOUT(ectl, watch_json, 120)
{
	char cmd[PATH_MAX + 64], line[1024];
	int lock_seen = 0, officer_seen = 0, n = 0, i;
	struct pollfd pfd = { .events = POLLIN };
	FILE *w;

	/* timeout(1): a watch that never joined must not hang the test. */
	snprintf(cmd, sizeof(cmd), "timeout 30 %s --json watch egate0 --count 8",
		 egatectl);
	w = popen(cmd, "r");
	ASSERT_NE(NULL, w);
	pfd.fd = fileno(w);
	/* Until the watch has joined the group, its first events are lost. */
	for (i = 0; i < 40 && poll(&pfd, 1, 0) == 0; i++) {
		EXPECT_EQ(0, ctl("lock 0 --operator o2 --reason watch"));
		EXPECT_EQ(0, ctl("reset 0 --operator o2 --reason watch"));
		poll(&pfd, 1, 300);
	}
	/*
	 * Joined: two more lock/reset rounds, five events each (state,
	 * officer, reset, state, officer): any eight in a row show a lock.
	 */
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, ctl("lock 0 --operator o2 --reason watch"));
		EXPECT_EQ(0, ctl("reset 0 --operator o2 --reason watch"));
	}
	while (n < 8 && fgets(line, sizeof(line), w)) {
		ASSERT_EQ(0, jflatten(line, self->flat, sizeof(self->flat)));
		EXPECT_STREQ("0", jget(self->flat, ".lane"));
		if (jget(self->flat, ".state") &&
		    !strcmp(jget(self->flat, ".state"), "locked"))
			lock_seen = 1;
		if (jget(self->flat, ".officer") &&
		    !strcmp(jget(self->flat, ".operator"), "o2"))
			officer_seen = 1;
		n++;
	}
	EXPECT_EQ(0, pclose(w));
	EXPECT_EQ(8, n);
	EXPECT_TRUE(lock_seen);
	EXPECT_TRUE(officer_seen);
}

TEST_F_TIMEOUT(ectl, authorize, 120)
{
	char cmd[PATH_MAX + 64];
	FILE *a;

	/* Our fixture holds control. */
	EXPECT_EQ(5, ctl("authorize 0"));
	EXPECT_NE(NULL, strstr(err, "controlled by another process"));
	close(self->ctl);
	self->ctl = eg_open(O_RDONLY);
	ASSERT_LE(0, self->ctl);

	EXPECT_EQ(6, ctl("--json authorize 0 --timeout 500"));
	ASSERT_EQ(0, jflatten(out, self->flat, sizeof(self->flat)));
	EXPECT_STREQ("expired", jget(self->flat, ".outcome"));

	snprintf(cmd, sizeof(cmd), "%s --json authorize egate0 --timeout 10000", egatectl);
	a = popen(cmd, "r");
	ASSERT_NE(NULL, a);
	ASSERT_EQ(0, eg_sysfs_wait("state", "authorised", 5000));
	ASSERT_EQ(0, eg_sim("walk"));
	ASSERT_NE(NULL, fgets(out, sizeof(out), a));
	EXPECT_EQ(0, pclose(a));
	ASSERT_EQ(0, jflatten(out, self->flat, sizeof(self->flat)));
	EXPECT_STREQ("completed", jget(self->flat, ".outcome"));
	EXPECT_EQ(3, ctl("authorize 7"));
}

TEST_HARNESS_MAIN
