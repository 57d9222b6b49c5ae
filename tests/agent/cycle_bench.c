// SPDX-License-Identifier: GPL-2.0
/*
 * cycle bench (make bench, in the VM): the lane's cycle time per traveller
 * with the whole product running: egate-agent on the simulated lane, its
 * camera a vivid loopback fed the faces of three enrolled travellers, the
 * agent at its default decision settings.  Each traveller steps up (face
 * shown), is recognised (lane authorised), walks through at a brisk pace
 * and the lane closes behind them (idle again).  Prints each traveller's
 * stages and p50/max over the run, then the agent's own metrics: the
 * capture-to-gate-command latency quantiles and each stage's share.
 *
 * Everything here is emulated (QEMU TCG): the face engine runs some 10-30x
 * slower than on the host, where `agent-bench` measures it; the lane's own
 * time (doors, walking) is the simulation's, close to real time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <linux/videodev2.h>

#include "agent-run.h"
#include "egate-face.h"
#include "egate_test.h"
#include "face-frame.h"
#include "vivid.h"

#define ROUNDS 6
#define WAIT_MS 180000

static const struct {
	const char *name, *photo;
	int face;
} travellers[] = {
	{ "alice", "sample2.jpg", 0 },
	{ "bob", "sample5.jpg", 0 },
	{ "carol", "sample6.jpg", 2 },
};
#define N_TRAVELLERS (sizeof(travellers) / sizeof(travellers[0]))

enum stage { RECOGNISE, WALK, CLOSE, CYCLE, N_STAGES };
static const char *const stage_names[N_STAGES] = {
	"face shown -> authorised", "authorised -> through", "through -> idle",
	"whole cycle",
};

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static int wait_passages(long long n, int timeout_ms)
{
	long long end = eg_now_ms() + timeout_ms;

	while (eg_sysfs_num("counters/passages") < n) {
		if (eg_now_ms() > end)
			return -1;
		eg_sleep_ms(20);
	}
	return 0;
}

static int fail(const char *what)
{
	fprintf(stderr, "cycle-bench: %s\n", what);
	return EXIT_FAILURE;
}

static void print_metrics(const struct agent_env *env)
{
	FILE *f = fopen(env->metrics, "re");
	char line[512];

	printf("\nthe agent's metrics (capture timestamp -> gate command, emulated):\n");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "egate_admission") && line[0] != '#')
			printf("  %s", line);
	if (f)
		fclose(f);
}

static int run(struct agent_env *env, struct vivid_feeder *feeder,
	       uint8_t (*frames)[FACE_FRAME_BYTES], uint8_t *blank)
{
	long long t[ROUNDS][N_STAGES], sorted[ROUNDS], all = 0;
	pid_t agent;

	agent = agent_start(env, NULL);
	if (agent < 0 || !agent_log_wait(env, "streaming", 1, 60000) ||
	    eg_sysfs_wait("state", "idle", 5000))
		return fail("the agent did not start");
	for (int i = 0; i < ROUNDS; i++) {
		long long t0, t1, t2, t3;

		vivid_feeder_show(feeder, frames[i % N_TRAVELLERS]);
		t0 = eg_now_ms();
		if (eg_sysfs_wait("state", "authorised", WAIT_MS))
			return fail("a traveller was not recognised");
		t1 = eg_now_ms();
		vivid_feeder_show(feeder, blank);
		if (eg_sim("walk speed=1500") || wait_passages(i + 1, WAIT_MS))
			return fail("a traveller did not get through");
		t2 = eg_now_ms();
		if (eg_sysfs_wait("state", "idle", WAIT_MS))
			return fail("the lane did not close");
		t3 = eg_now_ms();
		t[i][RECOGNISE] = t1 - t0;
		t[i][WALK] = t2 - t1;
		t[i][CLOSE] = t3 - t2;
		t[i][CYCLE] = t3 - t0;
		printf("traveller %d (%s): recognised %lld ms, through %lld ms, closed %lld ms, "
		       "cycle %lld ms\n", i + 1, travellers[i % N_TRAVELLERS].name,
		       t[i][RECOGNISE], t[i][WALK], t[i][CLOSE], t[i][CYCLE]);
		/* the next traveller steps up once this one's face is gone */
		eg_sleep_ms(1500);
	}
	agent_stop(agent, SIGTERM);	/* writes the metrics textfile */

	for (int i = 0; i < ROUNDS; i++)
		all += t[i][CYCLE];
	printf("\nlane cycle per traveller over %d travellers (emulated, ms):\n", ROUNDS);
	printf("  %-26s %8s %8s %8s\n", "stage", "p50", "max", "share");
	for (int s = 0; s < N_STAGES; s++) {
		long long total = 0;

		for (int i = 0; i < ROUNDS; i++) {
			sorted[i] = t[i][s];
			total += t[i][s];
		}
		qsort(sorted, ROUNDS, sizeof(sorted[0]), cmp_ll);
		printf("  %-26s %8lld %8lld %7.0f%%\n", stage_names[s], sorted[ROUNDS / 2],
		       sorted[ROUNDS - 1], 100.0 * total / all);
	}
	print_metrics(env);
	return EXIT_SUCCESS;
}

int main(void)
{
	static uint8_t frames[N_TRAVELLERS][FACE_FRAME_BYTES], blank[FACE_FRAME_BYTES];
	struct egate_face_engine *engine = NULL;
	struct vivid_feeder *feeder = NULL;
	char capture[64], output[64], photo[PATH_MAX], face[16];
	struct agent_env env;
	int r = EXIT_FAILURE;

	if (agent_env_init(&env) || egate_face_engine_new(env.models, &engine, NULL, 0))
		return fail("no models (make deps)");
	face_frame_blank(blank);
	for (size_t i = 0; i < N_TRAVELLERS; i++) {
		agent_photo(&env, travellers[i].photo, photo);
		snprintf(face, sizeof(face), "%d", travellers[i].face);
		if (face_frame_one(engine, photo, travellers[i].face, frames[i]) < 0 ||
		    agent_tool(&env, "egate-gallery", (const char *[]) {
			"--db", env.db, "--create", "--models", env.models, "--face", face,
			"enrol", travellers[i].name, photo, NULL }))
			goto out;
	}
	if (eg_load("", "door_ms=400") || vivid_load(1) ||
	    vivid_find_node(VIVID_CAPTURE_NAME, capture) ||
	    vivid_find_node(VIVID_OUTPUT_NAME, output) || vivid_connect(capture, output) ||
	    vivid_feeder_start(output, V4L2_PIX_FMT_RGB24, blank, &feeder)) {
		fail("cannot set up the lane and its camera");
		goto out;
	}
	r = run(&env, feeder, frames, blank);
out:
	if (r)
		agent_log_dump(&env);
	vivid_feeder_stop(feeder);
	vivid_unload();
	eg_unload();
	egate_face_engine_free(engine);
	agent_env_cleanup(&env);
	return r;
}
