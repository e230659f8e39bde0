// SPDX-License-Identifier: GPL-2.0
/*
 * The "ztdns" generic netlink family; uapi/linux/ztdns.h documents it.
 * Every operation needs CAP_NET_ADMIN (GENL_ADMIN_PERM) and acts on the
 * network namespace of the requesting socket.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <net/genetlink.h>
#include <uapi/linux/ztdns.h>

#include "netlink.h"
#include "netns.h"

static struct genl_family ztdns_genl_family;

static const struct nla_policy ztdns_get_config_policy[ZTDNS_A_MAX + 1] = {
};

static int ztdns_nl_get_config(struct sk_buff *skb, struct genl_info *info)
{
	const struct ztdns_net *zn = ztdns_pernet(genl_info_net(info));
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &ztdns_genl_family, 0,
				ZTDNS_CMD_GET_CONFIG);
	if (!hdr)
		goto err_msgsize;
	if (nla_put_u8(msg, ZTDNS_A_MODE, READ_ONCE(zn->cfg->mode)))
		goto err_msgsize;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_msgsize:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static const struct nla_policy ztdns_get_stats_policy[ZTDNS_A_MAX + 1] = {
};

static int ztdns_nl_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	const struct ztdns_net *zn = ztdns_pernet(genl_info_net(info));
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;
	int i;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &ztdns_genl_family, 0,
				ZTDNS_CMD_GET_STATS);
	if (!hdr)
		goto err_msgsize;
	nest = nla_nest_start(msg, ZTDNS_A_STATS);
	if (!nest)
		goto err_msgsize;
	for (i = ZTDNS_STATS_A_PACKETS; i <= ZTDNS_STATS_A_MAX; i++) {
		if (i == ZTDNS_STATS_A_PAD)
			continue;
		if (nla_put_u64_64bit(msg, i, ztdns_stats_read(zn, i),
				      ZTDNS_STATS_A_PAD))
			goto err_msgsize;
	}
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_msgsize:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static const struct genl_ops ztdns_genl_ops[] = {
	{
		.cmd = ZTDNS_CMD_GET_CONFIG,
		.doit = ztdns_nl_get_config,
		.policy = ztdns_get_config_policy,
		.maxattr = ZTDNS_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = ZTDNS_CMD_GET_STATS,
		.doit = ztdns_nl_get_stats,
		.policy = ztdns_get_stats_policy,
		.maxattr = ZTDNS_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
};

static const struct genl_multicast_group ztdns_genl_mcgrps[] = {
	{ .name = ZTDNS_GENL_MCGRP_EVENTS },
};

static struct genl_family ztdns_genl_family __ro_after_init = {
	.name = ZTDNS_GENL_NAME,
	.version = ZTDNS_GENL_VERSION,
	.maxattr = ZTDNS_A_MAX,
	.netnsok = true,
	.module = THIS_MODULE,
	.ops = ztdns_genl_ops,
	.n_ops = ARRAY_SIZE(ztdns_genl_ops),
	.mcgrps = ztdns_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(ztdns_genl_mcgrps),
};

int __init ztdns_genl_init(void)
{
	return genl_register_family(&ztdns_genl_family);
}

void ztdns_genl_uninit(void)
{
	genl_unregister_family(&ztdns_genl_family);
}
