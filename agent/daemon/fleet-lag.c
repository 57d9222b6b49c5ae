// SPDX-License-Identifier: GPL-2.0
/*
 * fleet-lag.c - how far the lane is behind its centre (Documentation/
 * fleet.md), for the metrics textfile: egate-sync keeps its state in the
 * lane's database, and the store worker reads it every AGENT_FLEET_LAG_MS
 * while there is a textfile to write.  A lane without a fleet has no
 * state, and no lag in its metrics.
 */
#include <time.h>

#include "agent.h"

void agent_fleet_lag_check(struct agent *a)
{
	struct store_job job = { .kind = STORE_SYNC };

	if (!a->metrics_path[0] || !a->store_worker || a->fleet_lag_reading ||
	    a->now_ns < a->next_fleet_lag_ns)
		return;
	if (store_worker_submit(a->store_worker, &job) == 0)
		a->fleet_lag_reading = true;
	a->next_fleet_lag_ns = a->now_ns + AGENT_FLEET_LAG_MS * 1000000ull;
}

void agent_on_fleet_lag(struct agent *a, const struct store_job *job)
{
	a->fleet_lag_reading = false;
	if (job->result < 0 || !job->sync.fleet)
		return;
	a->metrics.sync = job->sync;
	a->metrics.sync_read_s = time(NULL);
	a->metrics.dirty = true;
}
