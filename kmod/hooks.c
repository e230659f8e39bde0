// SPDX-License-Identifier: GPL-2.0
/*
 * The LOCAL_OUT hooks.  They run before raw and conntrack, so a packet that
 * is refused never creates conntrack state.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <uapi/linux/ztdns.h>

#include "hooks.h"
#include "netns.h"

#define ZTDNS_HOOK_PRIORITY (NF_IP_PRI_RAW - 10)

static unsigned int ztdns_hook(void *priv, struct sk_buff *skb,
			       const struct nf_hook_state *state)
{
	const struct ztdns_net *zn = priv;

	if (READ_ONCE(zn->cfg->mode) == ZTDNS_MODE_OFF)
		return NF_ACCEPT;
	ztdns_count(zn, ZTDNS_STATS_A_PACKETS);
	/* Policy lookup comes with the allow tables; until then, pass. */
	return NF_ACCEPT;
}

/**
 * ztdns_hooks_register() - register the LOCAL_OUT hooks of a namespace
 * @zn: the namespace's state; must outlive the registration
 *
 * Return: 0 or a negative errno.
 */
int ztdns_hooks_register(struct ztdns_net *zn)
{
	static const u8 pfs[] = { NFPROTO_IPV4, NFPROTO_IPV6 };
	int i;

	for (i = 0; i < ARRAY_SIZE(zn->hook_ops); i++) {
		zn->hook_ops[i] = (struct nf_hook_ops) {
			.hook = ztdns_hook,
			.priv = zn,
			.pf = pfs[i],
			.hooknum = NF_INET_LOCAL_OUT,
			.priority = ZTDNS_HOOK_PRIORITY,
		};
	}
	return nf_register_net_hooks(zn->net, zn->hook_ops,
				     ARRAY_SIZE(zn->hook_ops));
}

/**
 * ztdns_hooks_unregister() - unregister the hooks of a namespace
 * @zn: the namespace's state
 *
 * A CPU may still run a hook until the next RCU grace period ends.
 */
void ztdns_hooks_unregister(struct ztdns_net *zn)
{
	nf_unregister_net_hooks(zn->net, zn->hook_ops,
				ARRAY_SIZE(zn->hook_ops));
}
