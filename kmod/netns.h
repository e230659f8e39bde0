/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ZTDNS_NETNS_H
#define _ZTDNS_NETNS_H

#include <linux/netfilter.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include <uapi/linux/ztdns.h>

#include "params.h"

/* Per-CPU counters, indexed by enum ztdns_stats_attr. */
struct ztdns_stats {
	u64 c[__ZTDNS_STATS_A_MAX];
};

/* Per network namespace state; lives as long as its namespace. */
struct ztdns_net {
	struct net *net;
	/* The knobs in force: &ztdns_params in the initial namespace, &own else. */
	struct ztdns_config *cfg;
	struct ztdns_config own;
	/* LOCAL_OUT hooks, IPv4 and IPv6; priv points back here. */
	struct nf_hook_ops hook_ops[2];
	struct ztdns_stats __percpu *stats;
};

extern unsigned int ztdns_net_id;

static inline struct ztdns_net *ztdns_pernet(const struct net *net)
{
	return net_generic(net, ztdns_net_id);
}

/* Safe in any context; on 32-bit a reader may see a torn sum. */
static inline void ztdns_count(const struct ztdns_net *zn, int counter)
{
	this_cpu_inc(zn->stats->c[counter]);
}

u64 ztdns_stats_read(const struct ztdns_net *zn, int counter);
int ztdns_netns_init(void);
void ztdns_netns_uninit(void);

#endif /* _ZTDNS_NETNS_H */
