// SPDX-License-Identifier: GPL-2.0
/*
 * ztdnsctl: configure and inspect the ztdns kernel module of the current
 * network namespace (run it under "ip netns exec" for another).
 *
 * Exit status: 0 on success, 1 on failure, 2 on a usage error.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "nl.h"
#include "uapi/linux/ztdns.h"

#define EXIT_USAGE 2
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const mode_names[] = { "off", "audit", "enforce" };

struct opts {
	int json;
};

static int usage(FILE *f)
{
	fprintf(f,
		"Usage: ztdnsctl [--json] COMMAND\n"
		"\n"
		"Commands:\n"
		"  status     the mode of this network namespace\n"
		"  stats      the counters of this network namespace\n"
		"  help       this text\n"
		"\n"
		"Exit status: 0 success, 1 failure, 2 usage error.\n");
	return f == stderr ? EXIT_USAGE : 0;
}

static int config_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[ZTDNS_A_MAX + 1];
	const struct opts *o = arg;
	const char *mode = "unknown";

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, ZTDNS_A_MAX, NULL) < 0)
		return NL_SKIP;
	if (tb[ZTDNS_A_MODE] && nla_get_u8(tb[ZTDNS_A_MODE]) <= ZTDNS_MODE_MAX)
		mode = mode_names[nla_get_u8(tb[ZTDNS_A_MODE])];
	if (o->json)
		printf("{\"mode\":\"%s\"}\n", mode);
	else
		printf("mode: %s\n", mode);
	return NL_OK;
}

static int status_main(struct ztnl *nl, const struct opts *o, int argc,
		       char **argv)
{
	struct nl_msg *msg;

	(void)argv;
	if (argc != 1)
		return -EINVAL;
	msg = ztnl_msg(nl, ZTDNS_CMD_GET_CONFIG, 0);
	if (!msg)
		return -ENOMEM;
	return ztnl_send(nl, msg, config_cb, (void *)o);
}

static const char *const stat_names[ZTDNS_STATS_A_MAX + 1] = {
	[ZTDNS_STATS_A_PACKETS] = "packets",
	[ZTDNS_STATS_A_PERMITTED] = "permitted",
	[ZTDNS_STATS_A_BLOCKED] = "blocked",
	[ZTDNS_STATS_A_AUDITED] = "audited",
	[ZTDNS_STATS_A_MALFORMED] = "malformed",
	[ZTDNS_STATS_A_INSERTS] = "inserts",
	[ZTDNS_STATS_A_INSERT_FULL] = "insert_full",
	[ZTDNS_STATS_A_EXPIRED] = "expired",
};

static int stats_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[ZTDNS_A_MAX + 1], *st[ZTDNS_STATS_A_MAX + 1];
	const struct opts *o = arg;
	const char *sep = "";
	int i;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, ZTDNS_A_MAX, NULL) < 0 ||
	    !tb[ZTDNS_A_STATS] ||
	    nla_parse_nested(st, ZTDNS_STATS_A_MAX, tb[ZTDNS_A_STATS], NULL) < 0)
		return NL_SKIP;
	if (o->json)
		putchar('{');
	for (i = 1; i <= ZTDNS_STATS_A_MAX; i++) {
		unsigned long long v;

		if (!stat_names[i] || !st[i])
			continue;
		v = (unsigned long long)nla_get_u64(st[i]);
		if (o->json)
			printf("%s\"%s\":%llu", sep, stat_names[i], v);
		else
			printf("%-12s %llu\n", stat_names[i], v);
		sep = ",";
	}
	if (o->json)
		puts("}");
	return NL_OK;
}

static int stats_main(struct ztnl *nl, const struct opts *o, int argc,
		      char **argv)
{
	struct nl_msg *msg;

	(void)argv;
	if (argc != 1)
		return -EINVAL;
	msg = ztnl_msg(nl, ZTDNS_CMD_GET_STATS, 0);
	if (!msg)
		return -ENOMEM;
	return ztnl_send(nl, msg, stats_cb, (void *)o);
}

/* Each takes between min_args and max_args words after its name. */
static const struct {
	const char *name;
	int (*fn)(struct ztnl *nl, const struct opts *o, int argc, char **argv);
	int min_args, max_args;
} subcommands[] = {
	{ "status", status_main, 0, 0 },
	{ "stats", stats_main, 0, 0 },
};

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct ztnl nl;
	size_t i;
	int ret;

	argv++, argc--;
	while (argc && argv[0][0] == '-') {
		if (!strcmp(argv[0], "--json") || !strcmp(argv[0], "-j"))
			o.json = 1;
		else if (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))
			return usage(stdout);
		else
			return usage(stderr);
		argv++, argc--;
	}
	if (!argc)
		return usage(stderr);
	if (!strcmp(argv[0], "help"))
		return usage(stdout);

	for (i = 0; i < ARRAY_SIZE(subcommands); i++) {
		if (strcmp(argv[0], subcommands[i].name))
			continue;
		if (argc - 1 < subcommands[i].min_args ||
		    argc - 1 > subcommands[i].max_args)
			return usage(stderr);
		ret = ztnl_open(&nl);
		if (ret) {
			fprintf(stderr, "ztdnsctl: %s\n", ztnl_strerror(&nl, ret));
			return 1;
		}
		ret = subcommands[i].fn(&nl, &o, argc, argv);
		if (ret == -EINVAL && !nl.errmsg[0]) {
			ztnl_close(&nl);
			return usage(stderr);
		}
		if (ret)
			fprintf(stderr, "ztdnsctl: %s: %s\n", argv[0],
				ztnl_strerror(&nl, ret));
		ztnl_close(&nl);
		return ret ? 1 : 0;
	}
	fprintf(stderr, "ztdnsctl: unknown command '%s'\n", argv[0]);
	return usage(stderr);
}
