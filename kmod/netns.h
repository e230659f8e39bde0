/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ZTDNS_NETNS_H
#define _ZTDNS_NETNS_H

#include <linux/mutex.h>
#include <linux/netfilter.h>
#include <linux/ratelimit.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <uapi/linux/ztdns.h>

#include "entries.h"
#include "flows.h"
#include "lpm.h"
#include "params.h"

#define ZTDNS_MAX_SERVERS 64

/* Per-CPU counters, indexed by enum ztdns_stats_attr. */
struct ztdns_stats {
	u64 c[__ZTDNS_STATS_A_MAX];
};

/* A protective DNS server endpoint: address and port, TCP or UDP. */
struct ztdns_server {
	union ztdns_addr addr;
	u16 port;
	u8 fam;			/* ZTDNS_FAM_* */
};

/* Replaced whole (copy, change, publish) on every change. */
struct ztdns_servers {
	struct rcu_head rcu;
	unsigned int n;
	struct ztdns_server s[];
};

/*
 * Per network namespace state; lives as long as its namespace.  What costs
 * memory, timers or packet-path time (the tables, the per-CPU counters,
 * the hooks and the reaper) exists only once the namespace is active: from
 * the first time it leaves mode off or is given an entry, until it dies.
 * A namespace that stays off holds this structure and nothing else.
 */
struct ztdns_net {
	struct net *net;
	/* The knobs in force: &ztdns_params in the initial namespace, &own else. */
	struct ztdns_config *cfg;
	struct ztdns_config own;
	/* Serialises every writer of what follows, and netlink config writes. */
	struct mutex lock;
	struct ztdns_entries entries;
	/* Flows a peer opened; written by the hooks, not under lock. */
	struct ztdns_flows flows;
	struct ztdns_lpm subnets[ZTDNS_FAM_MAX];
	struct ztdns_servers __rcu *servers;
	u32 subnets_gen, servers_gen;	/* bumped by every change, for dumps */
	struct delayed_work reaper;
	struct ratelimit_state log_rs;
	atomic_t log_suppressed;	/* lines log_rs held back, not yet told */
	struct ratelimit_state event_rs;
	/* Holds a module reference while enforcing; under ztdns_mode_lock. */
	bool pinned;
	/*
	 * Set once, under lock, when what follows and entries, flows and the
	 * reaper exist; read locklessly with ztdns_net_active().
	 */
	bool active;
	/* LOCAL_OUT and LOCAL_IN hooks, IPv4 and IPv6; priv points back here. */
	struct nf_hook_ops hook_ops[4];
	struct ztdns_stats __percpu *stats;
};

extern unsigned int ztdns_net_id;

/* Whether the tables, counters and hooks exist; they stay until exit. */
static inline bool ztdns_net_active(const struct ztdns_net *zn)
{
	/* Pairs with ztdns_net_activate(): the flag, then the tables. */
	return smp_load_acquire(&zn->active);
}

static inline struct ztdns_net *ztdns_pernet(const struct net *net)
{
	return net_generic(net, ztdns_net_id);
}

/* Safe in any context; on 32-bit a reader may see a torn sum. */
static inline void ztdns_count(const struct ztdns_net *zn, int counter)
{
	this_cpu_inc(zn->stats->c[counter]);
}

/* The clock of the entries: coarse boot time, in nanoseconds. */
static inline u64 ztdns_now(void)
{
	return ktime_get_coarse_boottime_ns();
}

u64 ztdns_stats_read(const struct ztdns_net *zn, int counter);
int ztdns_net_activate(struct ztdns_net *zn);
int ztdns_set_mode(struct ztdns_net *zn, u8 mode);
int ztdns_add_server(struct ztdns_net *zn, const struct ztdns_server *srv);
int ztdns_del_server(struct ztdns_net *zn, const struct ztdns_server *srv);
void ztdns_flush_servers(struct ztdns_net *zn);
int ztdns_set_servers(struct ztdns_net *zn, const struct ztdns_server *srvs,
		      unsigned int n);
struct ztdns_net *ztdns_init_pernet(void);
int ztdns_netns_init(void);
void ztdns_netns_uninit(void);

#endif /* _ZTDNS_NETNS_H */
