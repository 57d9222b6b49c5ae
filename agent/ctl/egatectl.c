// SPDX-License-Identifier: GPL-2.0
/*
 * egatectl - administer egate lanes over the "egate" generic netlink family
 * (and, for `authorize`, the lane device through io_uring).
 *
 * Exit codes (also in egatectl(8)):
 *   0 success; 1 other failure; 2 usage; 3 lane or driver not found;
 *   4 permission denied; 5 refused by the lane's state (busy);
 *   6 the authorisation ended without a completed passage.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "egate-uring.h"
#include "lanes.h"
#include "macro.h"
#include "uapi/linux/egate.h"
#include "uapi/linux/egate_netlink.h"

enum {
	EXIT_OK		= 0,
	EXIT_FAIL	= 1,
	EXIT_USAGE	= 2,
	EXIT_NOTFOUND	= 3,
	EXIT_PERM	= 4,
	EXIT_BUSY	= 5,
	EXIT_NOTPASSED	= 6,
};

static const char *const state_names[] = {
	"out_of_service", "idle", "authorised", "passage", "exiting",
	"closing", "alarm", "obstructed", "emergency", "fault", "locked",
	"hold_open",
};
static const char *const mode_names[] = { "normal", "out_of_service" };
static const char *const alarm_names[] = {
	"none", "tailgating", "wrong_way", "intrusion", "loitering",
	"forced_door", "obstruction", "emergency", "fault",
};
static const char *const event_names[] = {
	NULL, "state", "beams", "door", "authorised", "passage_start",
	"passage_done", "expired", "denied", "alarm", "reset", "emergency",
	"controller", "heartbeat_lost", "mode", "obstructed", "auth_end",
};
static const char *const door_pos_names[] = {
	"moving", "closed", "open", "invalid",
};
static const char *const action_names[] = {
	NULL, "open", "hold", "lock", "reset",
};
static const char *const counter_names[] = {
	NULL, "passages", "expired", "denied", "overflows", "events",
	"beam_edges", "obstruct_retries", "tailgating", "wrong_way",
	"intrusion", "loitering", "forced_door", "obstruction", "emergency",
	"fault",
};

#define NAME(table, i) \
	((unsigned int)(i) < ELEMENTSOF(table) && (table)[i] ? (table)[i] : "unknown")

static bool arg_json;

/* --json is taken after the command too: egatectl status egate0 --json */
#define JSON_OPTION { "json", no_argument, NULL, 'j' }

/* Options of a command that has no other: optind is its first argument. */
static int json_option_only(int argc, char **argv)
{
	static const struct option opts[] = { JSON_OPTION, {} };
	int o;

	optind = 1;
	while ((o = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (o != 'j')
			return -EINVAL;
		arg_json = true;
	}
	return 0;
}

/* --- netlink -------------------------------------------------------------- */

struct ctl {
	struct nl_sock *sk;
	int family;
	int err;		/* -errno of the last request's ACK */
	char errmsg[256];	/* its extended ACK message */
	bool done;
};

static void ctl_done(struct ctl *c)
{
	if (c->sk)
		nl_socket_free(c->sk);
	c->sk = NULL;
}

static void errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void errorf(const char *fmt, ...)
{
	va_list ap;

	fputs("egatectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int ctl_open(struct ctl *c)
{
	int one = 1;

	memset(c, 0, sizeof(*c));
	c->sk = nl_socket_alloc();
	if (!c->sk)
		return -ENOMEM;
	if (genl_connect(c->sk)) {
		errorf("cannot open a generic netlink socket");
		return -EIO;
	}
	setsockopt(nl_socket_get_fd(c->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	c->family = genl_ctrl_resolve(c->sk, EGATE_GENL_NAME);
	if (c->family < 0) {
		errorf("the egate driver is not loaded (no generic netlink family \"%s\")",
		       EGATE_GENL_NAME);
		return -ENOENT;
	}
	return 0;
}

/* Connect once the command line is known good: exit code, or 0. */
static int ctl_need(struct ctl *c)
{
	int ret = ctl_open(c);

	if (!ret)
		return 0;
	return ret == -ENOENT ? EXIT_NOTFOUND : EXIT_FAIL;
}

static int ctl_err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	const struct nlmsghdr *nlh = (const void *)((const char *)e - NLMSG_HDRLEN);
	struct ctl *c = arg;
	size_t off;

	(void)nla;
	c->err = e->error;
	c->done = true;
	c->errmsg[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	off = NLMSG_HDRLEN + sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	while (off + NLA_HDRLEN <= nlh->nlmsg_len) {
		const struct nlattr *a = (const void *)((const char *)nlh + off);

		if (a->nla_len < NLA_HDRLEN)
			break;
		if (a->nla_type == NLMSGERR_ATTR_MSG)
			snprintf(c->errmsg, sizeof(c->errmsg), "%.*s",
				 (int)(a->nla_len - NLA_HDRLEN),
				 (const char *)a + NLA_HDRLEN);
		off += NLA_ALIGN(a->nla_len);
	}
	return NL_STOP;
}

static int ctl_finish_cb(struct nl_msg *msg, void *arg)
{
	struct ctl *c = arg;

	(void)msg;
	c->done = true;
	return NL_STOP;
}

/* Send @msg (consumed), feed replies to @valid; returns the ACK's -errno. */
static int ctl_call(struct ctl *c, struct nl_msg *msg, nl_recvmsg_msg_cb_t valid,
		    void *arg)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int ret;

	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	c->err = 0;
	c->done = false;
	c->errmsg[0] = '\0';
	nl_cb_err(cb, NL_CB_CUSTOM, ctl_err_cb, c);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, ctl_finish_cb, c);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, ctl_finish_cb, c);
	if (valid)
		nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, valid, arg);
	ret = nl_send_auto(c->sk, msg);
	nlmsg_free(msg);
	while (ret >= 0 && !c->done)
		ret = nl_recvmsgs(c->sk, cb);
	nl_cb_put(cb);
	if (ret < 0 && !c->err)
		return -EIO;
	return c->err;
}

static struct nl_msg *ctl_msg(struct ctl *c, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, c->family, 0,
				flags | NLM_F_ACK, cmd, EGATE_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* --- lanes ---------------------------------------------------------------- */

static int parse_lane_arg(const char *s, uint32_t *id)
{
	char *end;
	unsigned long v;

	if (!strncmp(s, "egate", 5))
		s += 5;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v >= 4096)
		return -EINVAL;
	*id = v;
	return 0;
}

/*
 * A decimal number in [@min, @max] for option @opt: the whole argument, no
 * sign, no overflow; else a message and -EINVAL.
 */
static int parse_number(const char *opt, const char *s, unsigned long min,
			unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	if (!isdigit((unsigned char)*s) || *end || errno || *v < min || *v > max) {
		errorf("%s: invalid value \"%s\": a number from %lu to %lu", opt, s,
		       min, max);
		return -EINVAL;
	}
	return 0;
}

/* Map a request's failure to a message and an exit code. */
static int report(struct ctl *c, int err, uint32_t lane, const char *what)
{
	switch (err) {
	case 0:
		return EXIT_OK;
	case -ENODEV:
		errorf("lane egate%u not found", lane);
		return EXIT_NOTFOUND;
	case -EPERM:
	case -EACCES:
		errorf("permission denied: %s need CAP_NET_ADMIN", what);
		return EXIT_PERM;
	case -EBUSY:
		errorf("lane egate%u refused the command%s%s", lane,
		       c->errmsg[0] ? ": " : "", c->errmsg);
		return EXIT_BUSY;
	default:
		errorf("%s failed: %s%s%s", what, strerror(-err),
		       c->errmsg[0] ? ": " : "", c->errmsg);
		return EXIT_FAIL;
	}
}

/* Every lane (or lane @id when @one) into @ls; -errno of the request. */
static int get_lanes(struct ctl *c, bool one, uint32_t id, struct lanes *ls)
{
	struct nl_msg *msg = ctl_msg(c, EGATE_NL_CMD_GET_LANE, one ? 0 : NLM_F_DUMP);

	if (!msg)
		return -ENOMEM;
	if (one && nla_put_u32(msg, EGATE_NL_ATTR_LANE, id)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	lanes_clear(ls);
	return ctl_call(c, msg, lanes_add_msg, ls);
}

/* --- output --------------------------------------------------------------- */

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = *s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void doors_text(uint32_t doors, uint32_t topology, char *buf, size_t len)
{
	if (topology == EGATE_TOPO_MANTRAP)
		snprintf(buf, len, "entry=%s,exit=%s",
			 NAME(door_pos_names, EGATE_DOORS_POS(doors, 0)),
			 NAME(door_pos_names, EGATE_DOORS_POS(doors, 1)));
	else
		snprintf(buf, len, "entry=%s",
			 NAME(door_pos_names, EGATE_DOORS_POS(doors, 0)));
}

static void lane_json(const struct lane *l, bool counters)
{
	int i;

	printf("{\"lane\":%u,\"name\":", l->id);
	json_str(l->name);
	printf(",\"topology\":\"%s\",\"nbeams\":%u,\"state\":\"%s\",\"mode\":\"%s\","
	       "\"alarm\":\"%s\",\"beams\":%u,\"entry_door\":\"%s\"",
	       l->topology == EGATE_TOPO_MANTRAP ? "mantrap" : "single",
	       l->nbeams, NAME(state_names, l->state), NAME(mode_names, l->mode),
	       NAME(alarm_names, l->alarm), l->beams,
	       NAME(door_pos_names, EGATE_DOORS_POS(l->doors, 0)));
	if (l->topology == EGATE_TOPO_MANTRAP)
		printf(",\"exit_door\":\"%s\"",
		       NAME(door_pos_names, EGATE_DOORS_POS(l->doors, 1)));
	printf(",\"controlled\":%s,\"controller_pid\":%u,\"emergency_input\":%s,"
	       "\"last_seq\":%" PRIu64,
	       l->flags & EGATE_STATUS_CONTROLLED ? "true" : "false", l->ctl_pid,
	       l->flags & EGATE_STATUS_EMERGENCY_IN ? "true" : "false", l->seq);
	if (counters) {
		printf(",\"counters\":{");
		for (i = 1; i <= EGATE_NL_CNT_MAX; i++)
			printf("%s\"%s\":%" PRIu64, i > 1 ? "," : "",
			       counter_names[i], l->cnt[i]);
		putchar('}');
	}
	putchar('}');
}

static void lane_row(const struct lane *l)
{
	char doors[64];

	doors_text(l->doors, l->topology, doors, sizeof(doors));
	printf("%-8s %-15s %-15s %-8s 0x%08x %-26s %s\n", l->name,
	       NAME(state_names, l->state), NAME(mode_names, l->mode),
	       l->topology == EGATE_TOPO_MANTRAP ? "mantrap" : "single",
	       l->beams, doors, NAME(alarm_names, l->alarm));
}

static void lane_status(const struct lane *l)
{
	char doors[64];
	int i;

	doors_text(l->doors, l->topology, doors, sizeof(doors));
	printf("%s: %s\n", l->name, NAME(state_names, l->state));
	printf("  mode:        %s\n", NAME(mode_names, l->mode));
	printf("  topology:    %s, %u beams\n",
	       l->topology == EGATE_TOPO_MANTRAP ? "mantrap" : "single", l->nbeams);
	printf("  beams:       0x%08x\n", l->beams);
	printf("  doors:       %s\n", doors);
	printf("  alarm:       %s\n", NAME(alarm_names, l->alarm));
	if (l->flags & EGATE_STATUS_CONTROLLED)
		printf("  controller:  pid %u\n", l->ctl_pid);
	else
		printf("  controller:  none\n");
	printf("  emergency:   %s\n",
	       l->flags & EGATE_STATUS_EMERGENCY_IN ? "input active" : "clear");
	printf("  last event:  #%" PRIu64 "\n", l->seq);
	printf("  counters:");
	for (i = 1; i <= EGATE_NL_CNT_MAX; i++)
		printf("%s%s=%" PRIu64, i % 6 == 1 ? "\n    " : " ",
		       counter_names[i], l->cnt[i]);
	putchar('\n');
}

/* --- commands ------------------------------------------------------------- */

static int cmd_list(struct ctl *c, bool status, int argc, char **argv)
{
	_cleanup_(lanes_clear) struct lanes ls = {};
	uint32_t id = 0;
	size_t i;
	bool one;
	int ret;

	if (json_option_only(argc, argv))
		return EXIT_USAGE;
	one = argc - optind == 1;
	if (argc - optind > 1 || (one && parse_lane_arg(argv[optind], &id))) {
		errorf("usage: egatectl %s%s", status ? "status [LANE]" : "list",
		       one ? ": invalid lane" : "");
		return EXIT_USAGE;
	}
	ret = ctl_need(c);
	if (ret)
		return ret;
	ret = get_lanes(c, one, id, &ls);
	if (ret)
		return report(c, ret, id, "reading lanes");
	if (ls.err == -E2BIG) {
		errorf("reading lanes: more than %d lanes", LANES_MAX);
		return EXIT_FAIL;
	}
	if (ls.err)
		return report(c, ls.err, id, "reading lanes");
	/* One lane asked for and none came: never an empty answer. */
	if (one && ls.n != 1)
		return report(c, -ENODEV, id, "reading lanes");
	if (arg_json) {
		if (one && status) {
			lane_json(&ls.v[0], true);
		} else {
			putchar('[');
			for (i = 0; i < ls.n; i++) {
				if (i)
					putchar(',');
				lane_json(&ls.v[i], status);
			}
			putchar(']');
		}
		putchar('\n');
		return EXIT_OK;
	}
	if (!status) {
		printf("%-8s %-15s %-15s %-8s %-10s %-26s %s\n", "LANE", "STATE",
		       "MODE", "TOPOLOGY", "BEAMS", "DOORS", "ALARM");
		for (i = 0; i < ls.n; i++)
			lane_row(&ls.v[i]);
		return EXIT_OK;
	}
	for (i = 0; i < ls.n; i++)
		lane_status(&ls.v[i]);
	if (!ls.n)
		printf("no lanes\n");
	return EXIT_OK;
}

static int cmd_mode(struct ctl *c, int argc, char **argv)
{
	struct nl_msg *msg;
	uint32_t id, mode;
	int ret;

	if (json_option_only(argc, argv))
		return EXIT_USAGE;
	argc -= optind;
	argv += optind;
	if (argc != 2 || parse_lane_arg(argv[0], &id)) {
		errorf("usage: egatectl mode LANE normal|out_of_service");
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "normal")) {
		mode = EGATE_MODE_NORMAL;
	} else if (!strcmp(argv[1], "out_of_service") || !strcmp(argv[1], "oos")) {
		mode = EGATE_MODE_OUT_OF_SERVICE;
	} else {
		errorf("unknown mode \"%s\": normal or out_of_service", argv[1]);
		return EXIT_USAGE;
	}
	ret = ctl_need(c);
	if (ret)
		return ret;
	msg = ctl_msg(c, EGATE_NL_CMD_SET_MODE, 0);
	if (!msg || nla_put_u32(msg, EGATE_NL_ATTR_LANE, id) ||
	    nla_put_u32(msg, EGATE_NL_ATTR_MODE, mode)) {
		nlmsg_free(msg);
		return EXIT_FAIL;
	}
	return report(c, ctl_call(c, msg, NULL, NULL), id, "mode changes");
}

static int cmd_officer(struct ctl *c, uint32_t action, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "operator", required_argument, NULL, 'o' },
		{ "reason", required_argument, NULL, 'r' },
		JSON_OPTION,
		{}
	};
	const char *operator = NULL, *reason = NULL;
	struct nl_msg *msg;
	uint32_t id;
	int o, ret;

	optind = 1;
	while ((o = getopt_long(argc, argv, "o:r:j", opts, NULL)) != -1) {
		if (o == 'o')
			operator = optarg;
		else if (o == 'r')
			reason = optarg;
		else if (o == 'j')
			arg_json = true;
		else
			return EXIT_USAGE;
	}
	if (optind + 1 != argc || parse_lane_arg(argv[optind], &id) ||
	    !operator || !reason || !*operator || !*reason) {
		errorf("usage: egatectl %s LANE --operator ID --reason TEXT",
		       action_names[action]);
		return EXIT_USAGE;
	}
	if (strlen(operator) > EGATE_NL_OPERATOR_MAX ||
	    strlen(reason) > EGATE_NL_REASON_MAX) {
		errorf("operator id is at most %d characters, reason at most %d",
		       EGATE_NL_OPERATOR_MAX, EGATE_NL_REASON_MAX);
		return EXIT_USAGE;
	}
	ret = ctl_need(c);
	if (ret)
		return ret;
	msg = ctl_msg(c, EGATE_NL_CMD_OFFICER, 0);
	if (!msg || nla_put_u32(msg, EGATE_NL_ATTR_LANE, id) ||
	    nla_put_u32(msg, EGATE_NL_ATTR_ACTION, action) ||
	    nla_put_string(msg, EGATE_NL_ATTR_OPERATOR, operator) ||
	    nla_put_string(msg, EGATE_NL_ATTR_REASON, reason)) {
		nlmsg_free(msg);
		return EXIT_FAIL;
	}
	return report(c, ctl_call(c, msg, NULL, NULL), id, "officer commands");
}

/* watch: --count N stops after N events, N at most WATCH_COUNT_MAX. */
#define WATCH_COUNT_MAX 1000000000UL

struct watch {
	bool filter;
	uint32_t lane;
	long left;		/* events still to print, < 0: unbounded */
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int watch_cb(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[EGATE_NL_ATTR_MAX + 1];
	struct watch *w = arg;
	uint32_t lane, type, arg32, state;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, EGATE_NL_ATTR_MAX, NULL) ||
	    !tb[EGATE_NL_ATTR_LANE])
		return NL_SKIP;
	lane = nla_get_u32(tb[EGATE_NL_ATTR_LANE]);
	if ((w->filter && lane != w->lane) || !w->left)
		return NL_SKIP;
	if (gh->cmd == EGATE_NL_CMD_OFFICER_NOTIFY && tb[EGATE_NL_ATTR_ACTION] &&
	    tb[EGATE_NL_ATTR_OPERATOR] && tb[EGATE_NL_ATTR_REASON]) {
		const char *act = NAME(action_names,
				       nla_get_u32(tb[EGATE_NL_ATTR_ACTION]));

		/* The uid the kernel saw send it: the operator name is only typed. */
		char uid[16] = "unknown";

		if (tb[EGATE_NL_ATTR_UID] && nla_len(tb[EGATE_NL_ATTR_UID]) == sizeof(uint32_t))
			snprintf(uid, sizeof(uid), "%u", nla_get_u32(tb[EGATE_NL_ATTR_UID]));
		if (arg_json) {
			printf("{\"lane\":%u,\"officer\":\"%s\",\"uid\":%s,\"operator\":",
			       lane, act, strcmp(uid, "unknown") ? uid : "null");
			json_str(nla_get_string(tb[EGATE_NL_ATTR_OPERATOR]));
			printf(",\"reason\":");
			json_str(nla_get_string(tb[EGATE_NL_ATTR_REASON]));
			printf("}\n");
		} else {
			printf("egate%u officer %s by %s (uid %s): %s\n", lane, act,
			       nla_get_string(tb[EGATE_NL_ATTR_OPERATOR]), uid,
			       nla_get_string(tb[EGATE_NL_ATTR_REASON]));
		}
	} else if (gh->cmd == EGATE_NL_CMD_EVENT && tb[EGATE_NL_ATTR_EV_TYPE] &&
		   tb[EGATE_NL_ATTR_EV_ARG] && tb[EGATE_NL_ATTR_STATE] &&
		   tb[EGATE_NL_ATTR_SEQ] && tb[EGATE_NL_ATTR_BEAMS]) {
		type = nla_get_u32(tb[EGATE_NL_ATTR_EV_TYPE]);
		arg32 = nla_get_u32(tb[EGATE_NL_ATTR_EV_ARG]);
		state = nla_get_u32(tb[EGATE_NL_ATTR_STATE]);
		if (arg_json) {
			printf("{\"lane\":%u,\"seq\":%" PRIu64 ",\"time_ns\":%" PRIu64
			       ",\"event\":\"%s\",\"arg\":%u,\"state\":\"%s\",\"beams\":%u,\"tag\":%" PRIu64,
			       lane, nla_get_u64(tb[EGATE_NL_ATTR_SEQ]),
			       tb[EGATE_NL_ATTR_EV_TIME] ? nla_get_u64(tb[EGATE_NL_ATTR_EV_TIME]) : 0,
			       NAME(event_names, type), arg32, NAME(state_names, state),
			       nla_get_u32(tb[EGATE_NL_ATTR_BEAMS]),
			       tb[EGATE_NL_ATTR_EV_TAG] ? nla_get_u64(tb[EGATE_NL_ATTR_EV_TAG]) : 0);
			if (type == EGATE_EV_AUTH_END)
				printf(",\"outcome\":\"%s\"", egate_outcome_name(arg32));
			printf("}\n");
		} else {
			printf("egate%u #%" PRIu64 " %-14s arg=%-4u state=%-14s beams=0x%08x",
			       lane, nla_get_u64(tb[EGATE_NL_ATTR_SEQ]),
			       NAME(event_names, type), arg32, NAME(state_names, state),
			       nla_get_u32(tb[EGATE_NL_ATTR_BEAMS]));
			if (type == EGATE_EV_AUTH_END)
				printf(" outcome=%s", egate_outcome_name(arg32));
			if (type == EGATE_EV_ALARM)
				printf(" alarm=%s", NAME(alarm_names, arg32));
			putchar('\n');
		}
	} else {
		return NL_SKIP;
	}
	fflush(stdout);
	if (w->left > 0)
		w->left--;
	return NL_OK;
}

static int cmd_watch(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		JSON_OPTION,
		{}
	};
	struct watch w = { .left = -1 };
	struct sigaction sa = { .sa_handler = on_signal };
	struct pollfd pfd = { .events = POLLIN };
	sigset_t stop, waiting;
	unsigned long count;
	int grp, o, ret;

	optind = 1;
	while ((o = getopt_long(argc, argv, "n:j", opts, NULL)) != -1) {
		if (o == 'n') {
			if (parse_number("--count", optarg, 1, WATCH_COUNT_MAX, &count))
				return EXIT_USAGE;
			w.left = count;
		} else if (o == 'j') {
			arg_json = true;
		} else {
			return EXIT_USAGE;
		}
	}
	if (argc - optind > 1 ||
	    (argc - optind == 1 && parse_lane_arg(argv[optind], &w.lane))) {
		errorf("usage: egatectl watch [LANE] [--count N]");
		return EXIT_USAGE;
	}
	w.filter = argc - optind == 1;
	ret = ctl_need(c);
	if (ret)
		return ret;
	grp = genl_ctrl_resolve_grp(c->sk, EGATE_GENL_NAME, EGATE_GENL_MCGRP_EVENTS);
	if (grp < 0) {
		errorf("the egate family has no \"%s\" group", EGATE_GENL_MCGRP_EVENTS);
		return EXIT_NOTFOUND;
	}
	if (nl_socket_add_membership(c->sk, grp)) {
		errorf("cannot join the events group");
		return EXIT_FAIL;
	}
	nl_socket_disable_seq_check(c->sk);
	nl_socket_modify_cb(c->sk, NL_CB_VALID, NL_CB_CUSTOM, watch_cb, &w);
	pfd.fd = nl_socket_get_fd(c->sk);
	/*
	 * libnl retries a recvmsg() that a signal interrupted: a quiet lane
	 * would keep the watch past ^C.  The signals are blocked but while
	 * ppoll() waits, so one is seen before, or ends the wait.
	 */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, &waiting);
	sigdelset(&waiting, SIGINT);
	sigdelset(&waiting, SIGTERM);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!arg_json)
		fprintf(stderr, "watching %s%s events; ^C to stop\n",
			w.filter ? "egate" : "all lanes'", w.filter ? argv[optind] + (strncmp(argv[optind], "egate", 5) ? 0 : 5) : "");
	while (!interrupted && w.left) {
		if (ppoll(&pfd, 1, NULL, &waiting) < 0) {
			if (errno == EINTR)
				continue;
			errorf("waiting for events: %m");
			return EXIT_FAIL;
		}
		ret = nl_recvmsgs_default(c->sk);
		if (ret < 0 && !interrupted && ret != -NLE_INTR) {
			/* A full socket buffer loses events, not the watch. */
			if (ret == -NLE_NOMEM) {
				errorf("events lost: socket buffer overrun");
				continue;
			}
			errorf("receiving events: %s", nl_geterror(ret));
			return EXIT_FAIL;
		}
	}
	return EXIT_OK;
}

/*
 * authorize: control the lane through its device, one URING_CMD.  Its
 * --timeout is the driver's bound on an authorisation's expiry
 * (Documentation/egate-lane.md); without it, the lane's own.
 */
#define AUTH_TIMEOUT_MIN_MS 100UL
#define AUTH_TIMEOUT_MAX_MS 600000UL

static int cmd_authorize(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "reverse", no_argument, NULL, 'R' },
		JSON_OPTION,
		{}
	};
	uint32_t id, timeout_ms = 0, dir = EGATE_DIR_FORWARD;
	unsigned long timeout;
	_cleanup_close_ int fd = -1;
	struct egate_status st;
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	char path[64];
	int o, ret, res = 0;
	bool finished = false;

	optind = 1;
	while ((o = getopt_long(argc, argv, "t:Rj", opts, NULL)) != -1) {
		if (o == 't') {
			if (parse_number("--timeout", optarg, AUTH_TIMEOUT_MIN_MS,
					 AUTH_TIMEOUT_MAX_MS, &timeout))
				return EXIT_USAGE;
			timeout_ms = timeout;
		} else if (o == 'R') {
			dir = EGATE_DIR_REVERSE;
		} else if (o == 'j') {
			arg_json = true;
		} else {
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || parse_lane_arg(argv[optind], &id)) {
		errorf("usage: egatectl authorize LANE [--timeout MS] [--reverse]");
		return EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/dev/egate%u", id);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENXIO || errno == ENODEV) {
			errorf("lane egate%u not found", id);
			return EXIT_NOTFOUND;
		}
		if (errno == EACCES || errno == EPERM) {
			errorf("permission denied: cannot open %s", path);
			return EXIT_PERM;
		}
		errorf("cannot open %s: %m", path);
		return EXIT_FAIL;
	}
	if (ioctl(fd, EGATE_IOC_GET_STATE, &st)) {
		errorf("%s: %m", path);
		return EXIT_FAIL;
	}
	if (!(st.flags & EGATE_STATUS_CONTROLLER)) {
		errorf("lane egate%u is controlled by another process; authorize needs control",
		       id);
		return EXIT_BUSY;
	}
	ret = io_uring_queue_init(8, &ring, 0);
	if (ret) {
		errorf("io_uring: %s", strerror(-ret));
		return EXIT_FAIL;
	}
	sqe = io_uring_get_sqe(&ring);
	egate_uring_prep_lane_cmd(sqe, fd, EGATE_CMD_AUTHORISE, dir, timeout_ms,
				  getpid());
	io_uring_sqe_set_data64(sqe, 1);
	io_uring_submit(&ring);
	/* Keep control while waiting: one heartbeat a second. */
	while (!finished) {
		struct __kernel_timespec ts = { .tv_sec = 1 };

		ret = io_uring_wait_cqe_timeout(&ring, &cqe, &ts);
		if (ret == -ETIME) {
			sqe = io_uring_get_sqe(&ring);
			egate_uring_prep_lane_cmd(sqe, fd, EGATE_CMD_HEARTBEAT,
						  0, 0, 0);
			io_uring_sqe_set_data64(sqe, 2);
			io_uring_submit(&ring);
			continue;
		}
		if (ret == -EINTR)
			continue;
		if (ret) {
			errorf("io_uring: %s", strerror(-ret));
			break;
		}
		if (io_uring_cqe_get_data64(cqe) == 1) {
			res = cqe->res;
			finished = true;
		}
		io_uring_cqe_seen(&ring, cqe);
	}
	io_uring_queue_exit(&ring);
	if (!finished)
		return EXIT_FAIL;
	if (res < 0) {
		if (res == -EBUSY) {
			errorf("lane egate%u refused the authorisation: not idle", id);
			return EXIT_BUSY;
		}
		errorf("authorisation failed: %s", strerror(-res));
		return EXIT_FAIL;
	}
	if (arg_json)
		printf("{\"lane\":%u,\"outcome\":\"%s\"}\n", id, egate_outcome_name(res));
	else
		printf("egate%u: %s\n", id, egate_outcome_name(res));
	return res == EGATE_OUT_COMPLETED ? EXIT_OK : EXIT_NOTPASSED;
}

static void help(void)
{
	printf("Usage: egatectl [--json] COMMAND [ARGS]\n\n"
	       "Commands:\n"
	       "  list                         one line per lane\n"
	       "  status [LANE]                state, doors, beams, counters\n"
	       "  watch [LANE] [--count N]     follow lane events until interrupted,\n"
	       "                               or N events (1..%lu)\n"
	       "  mode LANE normal|out_of_service\n"
	       "  open LANE --operator ID --reason TEXT    one passage\n"
	       "  hold LANE --operator ID --reason TEXT    hold the doors open\n"
	       "  lock LANE --operator ID --reason TEXT    lock the lane down\n"
	       "  reset LANE --operator ID --reason TEXT   clear alarm, lock, hold\n"
	       "  authorize LANE [--timeout MS] [--reverse] authorise one passage\n"
	       "                               and wait for its outcome; MS %lu..%lu,\n"
	       "                               else the lane's own expiry\n\n"
	       "--json (-j), before or after the command: JSON output.\n"
	       "LANE is egateN or N.  mode and the officer commands need CAP_NET_ADMIN.\n"
	       "Exit: 0 ok, 1 failure, 2 usage, 3 not found (a lane asked for that is\n"
	       "not there, with --json too), 4 permission denied,\n"
	       "5 refused by the lane's state, 6 passage not completed.\n",
	       WATCH_COUNT_MAX, AUTH_TIMEOUT_MIN_MS, AUTH_TIMEOUT_MAX_MS);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		uint32_t action;
	} officer[] = {
		{ "open", EGATE_NL_ACTION_OPEN_ONCE },
		{ "hold", EGATE_NL_ACTION_HOLD_OPEN },
		{ "lock", EGATE_NL_ACTION_LOCK },
		{ "reset", EGATE_NL_ACTION_RESET },
	};
	struct ctl c = { 0 };
	const char *cmd;
	size_t i;
	int ret;

	while (argc > 1 && argv[1][0] == '-') {
		if (!strcmp(argv[1], "--json") || !strcmp(argv[1], "-j")) {
			arg_json = true;
		} else if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
			help();
			return EXIT_OK;
		} else {
			errorf("unknown option %s (see --help)", argv[1]);
			return EXIT_USAGE;
		}
		argv++;
		argc--;
	}
	if (argc < 2) {
		help();
		return EXIT_USAGE;
	}
	cmd = argv[1];
	argv++;
	argc--;
	if (!strcmp(cmd, "help"))
		return help(), EXIT_OK;
	if (!strcmp(cmd, "authorize") || !strcmp(cmd, "authorise"))
		return cmd_authorize(argc, argv);

	if (!strcmp(cmd, "list"))
		ret = cmd_list(&c, false, argc, argv);
	else if (!strcmp(cmd, "status"))
		ret = cmd_list(&c, true, argc, argv);
	else if (!strcmp(cmd, "watch"))
		ret = cmd_watch(&c, argc, argv);
	else if (!strcmp(cmd, "mode"))
		ret = cmd_mode(&c, argc, argv);
	else
		ret = -1;
	for (i = 0; ret == -1 && i < ELEMENTSOF(officer); i++)
		if (!strcmp(cmd, officer[i].name))
			ret = cmd_officer(&c, officer[i].action, argc, argv);
	if (ret == -1) {
		errorf("unknown command \"%s\" (see --help)", cmd);
		ret = EXIT_USAGE;
	}
	ctl_done(&c);
	return ret;
}
