// SPDX-License-Identifier: GPL-2.0
/*
 * Per network namespace state.  The initial namespace enforces the module
 * parameters; a namespace created later starts in netns_mode and is then
 * configured over netlink from inside it.
 *
 * While any namespace enforces, it holds a reference on the module, so
 * that rmmod fails with EBUSY: unloading would silently open the host.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <uapi/linux/ztdns.h>

#include "audit.h"
#include "hooks.h"
#include "netns.h"

#define ZTDNS_REAP_INTERVAL (5 * HZ)
/* Entries a sweep may examine per ZTDNS_REAP_INTERVAL, on average. */
#define ZTDNS_REAP_SPAN 100000

unsigned int ztdns_net_id __read_mostly;
static DEFINE_MUTEX(ztdns_mode_lock);

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

	if (!ztdns_net_active(zn))
		return 0;
	/* Every packet ends in exactly one of these: one count less per packet. */
	if (counter == ZTDNS_STATS_A_PACKETS)
		return ztdns_stats_read(zn, ZTDNS_STATS_A_PERMITTED) +
		       ztdns_stats_read(zn, ZTDNS_STATS_A_AUDITED) +
		       ztdns_stats_read(zn, ZTDNS_STATS_A_BLOCKED);
	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(zn->stats, cpu)->c[counter]);
	return sum;
}

/**
 * ztdns_set_mode() - change the mode of a namespace, and log it
 * @zn: the namespace
 * @mode: an enum ztdns_mode value
 *
 * Activates the namespace when it leaves off for the first time.  Takes a
 * module reference when the namespace starts enforcing and drops it when
 * it stops.
 *
 * Context: zn->lock held, unless the namespace is active already.
 * Return: 0, -EINVAL, -ENOMEM, or -EBUSY if the module is being removed.
 */
int ztdns_set_mode(struct ztdns_net *zn, u8 mode)
{
	int ret;
	u8 old;

	if (mode > ZTDNS_MODE_MAX)
		return -EINVAL;
	if (mode != ZTDNS_MODE_OFF) {
		ret = ztdns_net_activate(zn);
		if (ret)
			return ret;
	}
	mutex_lock(&ztdns_mode_lock);
	old = READ_ONCE(zn->cfg->mode);
	if (mode == ZTDNS_MODE_ENFORCE && !zn->pinned) {
		/* Not while rmmod runs: enforce would outlive the module. */
		if (!try_module_get(THIS_MODULE)) {
			mutex_unlock(&ztdns_mode_lock);
			return -EBUSY;
		}
		zn->pinned = true;
	} else if (mode != ZTDNS_MODE_ENFORCE && zn->pinned) {
		module_put(THIS_MODULE);
		zn->pinned = false;
	}
	WRITE_ONCE(zn->cfg->mode, mode);
	mutex_unlock(&ztdns_mode_lock);
	if (old != mode)
		pr_info("mode %s -> %s (netns %u)\n", ztdns_mode_name(old),
			ztdns_mode_name(mode), zn->net->ns.inum);
	return 0;
}

static struct ztdns_servers *ztdns_servers_deref(struct ztdns_net *zn)
{
	return rcu_dereference_protected(zn->servers, lockdep_is_held(&zn->lock));
}

static int ztdns_server_find(const struct ztdns_servers *ss,
			     const struct ztdns_server *srv)
{
	unsigned int i;

	for (i = 0; ss && i < ss->n; i++)
		if (ss->s[i].fam == srv->fam && ss->s[i].port == srv->port &&
		    !memcmp(&ss->s[i].addr, &srv->addr, sizeof(srv->addr)))
			return i;
	return -1;
}

/* Publish a copy of the list with one server added (add) or removed. */
static int ztdns_servers_replace(struct ztdns_net *zn, int skip,
				 const struct ztdns_server *add)
{
	struct ztdns_servers *old = ztdns_servers_deref(zn), *new;
	unsigned int n = old ? old->n : 0, i, j = 0;

	new = kzalloc(struct_size(new, s, n + 1), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (i != skip)
			new->s[j++] = old->s[i];
	if (add)
		new->s[j++] = *add;
	new->n = j;
	rcu_assign_pointer(zn->servers, new);
	zn->servers_gen++;
	if (old)
		kfree_rcu(old, rcu);
	return 0;
}

/**
 * ztdns_add_server() - allow a protective DNS server endpoint
 * @zn: the namespace
 * @srv: the endpoint
 *
 * Context: zn->lock held.
 * Return: 0, -EEXIST, -ENOSPC (ZTDNS_MAX_SERVERS reached) or -ENOMEM.
 */
int ztdns_add_server(struct ztdns_net *zn, const struct ztdns_server *srv)
{
	struct ztdns_servers *ss = ztdns_servers_deref(zn);

	lockdep_assert_held(&zn->lock);
	if (ztdns_server_find(ss, srv) >= 0)
		return -EEXIST;
	if (ss && ss->n >= ZTDNS_MAX_SERVERS)
		return -ENOSPC;
	return ztdns_servers_replace(zn, -1, srv);
}

/**
 * ztdns_del_server() - remove a protective DNS server endpoint
 * @zn: the namespace
 * @srv: the endpoint
 *
 * Context: zn->lock held.
 * Return: 0, -ENOENT or -ENOMEM.
 */
int ztdns_del_server(struct ztdns_net *zn, const struct ztdns_server *srv)
{
	int i = ztdns_server_find(ztdns_servers_deref(zn), srv);

	lockdep_assert_held(&zn->lock);
	if (i < 0)
		return -ENOENT;
	return ztdns_servers_replace(zn, i, NULL);
}

/**
 * ztdns_set_servers() - make the server endpoints exactly these
 * @zn: the namespace
 * @srvs: the endpoints (a repeated one counts once)
 * @n: how many, at most ZTDNS_MAX_SERVERS
 *
 * Published at once: readers see the old list or this one.
 *
 * Context: zn->lock held.
 * Return: 0 or -ENOMEM (nothing changed).
 */
int ztdns_set_servers(struct ztdns_net *zn, const struct ztdns_server *srvs,
		      unsigned int n)
{
	struct ztdns_servers *old = ztdns_servers_deref(zn), *new;
	unsigned int i;

	lockdep_assert_held(&zn->lock);
	new = kzalloc(struct_size(new, s, n), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (ztdns_server_find(new, &srvs[i]) < 0)
			new->s[new->n++] = srvs[i];
	rcu_assign_pointer(zn->servers, new);
	zn->servers_gen++;
	if (old)
		kfree_rcu(old, rcu);
	return 0;
}

/**
 * ztdns_flush_servers() - remove every server endpoint
 * @zn: the namespace
 *
 * Context: zn->lock held.
 */
void ztdns_flush_servers(struct ztdns_net *zn)
{
	struct ztdns_servers *old = ztdns_servers_deref(zn);

	lockdep_assert_held(&zn->lock);
	RCU_INIT_POINTER(zn->servers, NULL);
	zn->servers_gen++;
	if (old)
		kfree_rcu(old, rcu);
}

/*
 * The time to the next sweep: ZTDNS_REAP_INTERVAL, longer in proportion
 * once the table holds more than ZTDNS_REAP_SPAN entries, so that the
 * sweep examines at most ZTDNS_REAP_SPAN entries per interval on average.
 * A sweep of a million entries took about 0.1 s of CPU in make bench's
 * VM: 2% of a CPU every 5 s, 0.2% every 50 s.  Dead entries pass nothing
 * in the meantime, and an add that finds the table full evicts them
 * first, so only their memory waits.
 */
static unsigned long ztdns_reap_interval(unsigned int count)
{
	return ZTDNS_REAP_INTERVAL * max(1U, DIV_ROUND_UP(count, ZTDNS_REAP_SPAN));
}

static void ztdns_reaper(struct work_struct *work)
{
	struct ztdns_net *zn = container_of(to_delayed_work(work),
					    struct ztdns_net, reaper);
	unsigned int n;

	mutex_lock(&zn->lock);
	n = ztdns_entries_reap(&zn->entries, ztdns_now(),
			       (u64)READ_ONCE(zn->cfg->grace) * NSEC_PER_SEC,
			       &zn->lock);
	mutex_unlock(&zn->lock);
	this_cpu_add(zn->stats->c[ZTDNS_STATS_A_EXPIRED], n);
	ztdns_flows_reap(&zn->flows, ztdns_now());
	ztdns_audit_summary(zn);
	queue_delayed_work(system_power_efficient_wq, &zn->reaper,
			   ztdns_reap_interval(READ_ONCE(zn->entries.count)));
}

/**
 * ztdns_net_activate() - give a namespace its tables, counters and hooks
 * @zn: the namespace
 *
 * Done once, when the namespace first leaves mode off or is first given an
 * entry; they stay until the namespace dies.  Memory is charged to the
 * caller's cgroup where the allocator allows.  Published with
 * smp_store_release(): a reader that sees ztdns_net_active() sees them.
 *
 * Context: zn->lock held, unless the namespace is active already.
 * Return: 0 or a negative errno (nothing changed).
 */
int ztdns_net_activate(struct ztdns_net *zn)
{
	int ret;

	if (ztdns_net_active(zn))
		return 0;
	lockdep_assert_held(&zn->lock);
	zn->stats = alloc_percpu_gfp(struct ztdns_stats, GFP_KERNEL_ACCOUNT);
	if (!zn->stats)
		return -ENOMEM;
	ret = ztdns_entries_init(&zn->entries);
	if (ret)
		goto err_entries;
	ret = ztdns_flows_init(&zn->flows);
	if (ret)
		goto err_flows;
	ret = ztdns_hooks_register(zn);
	if (ret)
		goto err_hooks;
	/* Pairs with ztdns_net_active(): the tables before the flag. */
	smp_store_release(&zn->active, true);
	queue_delayed_work(system_power_efficient_wq, &zn->reaper,
			   ZTDNS_REAP_INTERVAL);
	return 0;

err_hooks:
	/* A hook registered before the one that failed may still run. */
	synchronize_net();
	ztdns_flows_destroy(&zn->flows);
err_flows:
	ztdns_entries_destroy(&zn->entries);
err_entries:
	free_percpu(zn->stats);
	zn->stats = NULL;
	return ret;
}

/**
 * ztdns_init_pernet() - the state of the initial namespace
 *
 * Return: it.
 */
struct ztdns_net *ztdns_init_pernet(void)
{
	return ztdns_pernet(&init_net);
}

/* What ztdns_net_activate() made, once no hook and no reaper runs. */
static void ztdns_net_free(struct ztdns_net *zn)
{
	ztdns_flows_destroy(&zn->flows);
	ztdns_entries_destroy(&zn->entries);
	free_percpu(zn->stats);
}

static int __net_init ztdns_net_init(struct net *net)
{
	struct ztdns_net *zn = ztdns_pernet(net);
	u8 mode = READ_ONCE(ztdns_netns_mode);
	int ret = 0;

	zn->net = net;
	mutex_init(&zn->lock);
	/* Summarised by ztdns_audit_summary(), not by the ratelimit code. */
	ratelimit_state_init(&zn->log_rs, 5 * HZ, 10);
	ratelimit_set_flags(&zn->log_rs, RATELIMIT_MSG_ON_RELEASE);
	atomic_set(&zn->log_suppressed, 0);
	ratelimit_state_init(&zn->event_rs, HZ, READ_ONCE(ztdns_events_per_sec));
	ratelimit_set_flags(&zn->event_rs, RATELIMIT_MSG_ON_RELEASE);
	if (net_eq(net, &init_net)) {
		zn->cfg = &ztdns_params;
	} else {
		zn->own = ztdns_params;
		zn->own.mode = ZTDNS_MODE_OFF;
		zn->cfg = &zn->own;
	}
	ztdns_lpm_init(&zn->subnets[ZTDNS_FAM_IPV4], 32);
	ztdns_lpm_init(&zn->subnets[ZTDNS_FAM_IPV6], 128);
	INIT_DELAYED_WORK(&zn->reaper, ztdns_reaper);

	/*
	 * The initial namespace is what the module parameters and sysfs
	 * configure: active from the start.  Another starts in netns_mode,
	 * and costs nothing until it leaves off.
	 */
	mutex_lock(&zn->lock);
	if (net_eq(net, &init_net))
		ret = ztdns_net_activate(zn);
	else if (mode != ZTDNS_MODE_OFF)
		ret = ztdns_set_mode(zn, mode);
	mutex_unlock(&zn->lock);
	if (ret)
		goto err;
	return 0;

err:
	/* No ->exit for a namespace whose ->init failed: undo it all here. */
	if (ztdns_net_active(zn)) {
		/*
		 * A namespace that existed before the module loaded (or
		 * init_net) has traffic: wait for the hooks that ran.
		 */
		ztdns_hooks_unregister(zn);
		synchronize_net();
		cancel_delayed_work_sync(&zn->reaper);
		ztdns_net_free(zn);
	}
	mutex_destroy(&zn->lock);
	return ret;
}

/*
 * The hooks go first; the netns core then waits for an RCU grace period
 * before calling ->exit, so no CPU still runs a hook when the state is freed.
 */
static void __net_exit ztdns_net_pre_exit(struct net *net)
{
	struct ztdns_net *zn = ztdns_pernet(net);

	if (ztdns_net_active(zn))
		ztdns_hooks_unregister(zn);
}

static void __net_exit ztdns_net_exit(struct net *net)
{
	struct ztdns_net *zn = ztdns_pernet(net);

	cancel_delayed_work_sync(&zn->reaper);
	mutex_lock(&ztdns_mode_lock);
	if (zn->pinned) {
		module_put(THIS_MODULE);
		zn->pinned = false;
	}
	mutex_unlock(&ztdns_mode_lock);
	mutex_lock(&zn->lock);
	ztdns_lpm_free(&zn->subnets[ZTDNS_FAM_IPV4], &zn->lock);
	ztdns_lpm_free(&zn->subnets[ZTDNS_FAM_IPV6], &zn->lock);
	ztdns_flush_servers(zn);
	mutex_unlock(&zn->lock);
	if (ztdns_net_active(zn))
		ztdns_net_free(zn);
	mutex_destroy(&zn->lock);
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
