// SPDX-License-Identifier: GPL-2.0
/*
 * status.c - egate-sync status: how far the lane is behind the centre
 * (gallery versions, audit records not yet acknowledged, last contact),
 * from the lane's database opened read only and, when it answers, the
 * centre; offline, the versions behind are as of the last contact.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "egate-store-sync.h"
#include "pg.h"
#include "sync.h"

int sync_status(struct sync_job *job, const char *central, const char *lane, bool json)
{
	struct egate_sync_state state;
	struct sync_hello hello = { 0 };
	bool online;
	int64_t age = -1;
	uint64_t behind;
	int r;

	r = egate_store_sync_state(job->store, &state);
	if (r < 0) {
		fprintf(stderr, "egate-sync: status: %s\n", egate_store_last_error(job->store));
		return r;
	}
	online = pg_connect(central, &job->pg, job->err, job->err_size) >= 0 &&
		 sync_hello(job, state.gallery_version, &hello) >= 0;
	if (online) {
		state.last_contact_us = (int64_t)time(NULL) * 1000000;
		state.central_version = hello.central_version;
	}
	if (state.last_contact_us)
		age = (int64_t)time(NULL) - state.last_contact_us / 1000000;
	if (online)
		lane = hello.lane;
	behind = state.central_version > state.gallery_version ?
		 state.central_version - state.gallery_version : 0;
	if (json) {
		printf("{\"lane\":\"%s\",\"online\":%s,\"gallery_version\":%" PRIu64
		       ",\"central_version\":%" PRIu64 ",\"versions_behind\":%" PRIu64
		       ",\"records_unsent\":%" PRIu64 ",\"audit_acked_id\":%" PRId64
		       ",\"last_contact_age_s\":", lane, online ? "true" : "false",
		       state.gallery_version, state.central_version, behind, state.records_unsent,
		       state.audit_acked_id);
		if (age < 0)
			printf("null}\n");
		else
			printf("%" PRId64 "}\n", age);
		return 0;
	}
	printf("lane:            %s\n", lane);
	printf("central store:   %s%s\n", online ? "reachable" : "unreachable: ",
	       online ? "" : job->err);
	printf("gallery version: %" PRIu64 " (centre %" PRIu64 "%s: %" PRIu64 " behind)\n",
	       state.gallery_version, state.central_version, online ? "" : " at the last contact",
	       behind);
	printf("audit unsent:    %" PRIu64 " records (archived up to %" PRId64 ")\n",
	       state.records_unsent, state.audit_acked_id);
	if (age < 0)
		printf("last contact:    never\n");
	else
		printf("last contact:    %" PRId64 " s ago\n", age);
	return 0;
}
