// SPDX-License-Identifier: GPL-2.0
/*
 * Per network namespace state.  The initial namespace enforces the module
 * parameters; a namespace created later starts in netns_mode and is then
 * configured over netlink from inside it.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/percpu.h>
#include <uapi/linux/ztdns.h>

#include "hooks.h"
#include "netns.h"

unsigned int ztdns_net_id __read_mostly;

/**
 * ztdns_stats_read() - the sum of a counter over all CPUs
 * @zn: the namespace
 * @counter: a ZTDNS_STATS_A_* value
 *
 * Return: the count.
 */
u64 ztdns_stats_read(const struct ztdns_net *zn, int counter)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(zn->stats, cpu)->c[counter]);
	return sum;
}

static int __net_init ztdns_net_init(struct net *net)
{
	struct ztdns_net *zn = ztdns_pernet(net);
	int ret;

	zn->net = net;
	zn->stats = alloc_percpu(struct ztdns_stats);
	if (!zn->stats)
		return -ENOMEM;
	if (net_eq(net, &init_net)) {
		zn->cfg = &ztdns_params;
	} else {
		zn->own = ztdns_params;
		zn->own.mode = READ_ONCE(ztdns_netns_mode);
		zn->cfg = &zn->own;
	}
	ret = ztdns_hooks_register(zn);
	if (ret)
		goto err_hooks;
	return 0;

err_hooks:
	free_percpu(zn->stats);
	return ret;
}

/*
 * The hooks go first; the netns core then waits for an RCU grace period
 * before calling ->exit, so no CPU still runs a hook when its state is freed.
 */
static void __net_exit ztdns_net_pre_exit(struct net *net)
{
	ztdns_hooks_unregister(ztdns_pernet(net));
}

static void __net_exit ztdns_net_exit(struct net *net)
{
	free_percpu(ztdns_pernet(net)->stats);
}

static struct pernet_operations ztdns_net_ops = {
	.init = ztdns_net_init,
	.pre_exit = ztdns_net_pre_exit,
	.exit = ztdns_net_exit,
	.id = &ztdns_net_id,
	.size = sizeof(struct ztdns_net),
};

int __init ztdns_netns_init(void)
{
	return register_pernet_subsys(&ztdns_net_ops);
}

void ztdns_netns_uninit(void)
{
	unregister_pernet_subsys(&ztdns_net_ops);
}
