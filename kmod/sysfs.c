// SPDX-License-Identifier: GPL-2.0
/*
 * The counters of the initial network namespace, read-only, under
 * /sys/module/ztdns/stats/ (one file per counter, and "entries"); other
 * namespaces read theirs over netlink (ztdnsctl stats).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/sysfs.h>
#include <uapi/linux/ztdns.h>

#include "netns.h"
#include "sysfs.h"

static struct kobject *ztdns_stats_kobj;

struct ztdns_stat_attr {
	struct kobj_attribute attr;
	int counter;		/* ZTDNS_STATS_A_*, or 0 for the entry count */
};

static ssize_t ztdns_stat_show(struct kobject *kobj, struct kobj_attribute *attr,
			       char *buf)
{
	const struct ztdns_stat_attr *sa =
		container_of(attr, struct ztdns_stat_attr, attr);
	const struct ztdns_net *zn = ztdns_init_pernet();

	if (!sa->counter)
		return sysfs_emit(buf, "%u\n", READ_ONCE(zn->entries.count));
	return sysfs_emit(buf, "%llu\n", ztdns_stats_read(zn, sa->counter));
}

#define ZTDNS_STAT(_name, _counter)					\
	static struct ztdns_stat_attr ztdns_stat_##_name = {		\
		.attr = __ATTR(_name, 0444, ztdns_stat_show, NULL),	\
		.counter = _counter,					\
	}

ZTDNS_STAT(packets, ZTDNS_STATS_A_PACKETS);
ZTDNS_STAT(permitted, ZTDNS_STATS_A_PERMITTED);
ZTDNS_STAT(blocked, ZTDNS_STATS_A_BLOCKED);
ZTDNS_STAT(audited, ZTDNS_STATS_A_AUDITED);
ZTDNS_STAT(malformed, ZTDNS_STATS_A_MALFORMED);
ZTDNS_STAT(inserts, ZTDNS_STATS_A_INSERTS);
ZTDNS_STAT(insert_full, ZTDNS_STATS_A_INSERT_FULL);
ZTDNS_STAT(expired, ZTDNS_STATS_A_EXPIRED);
ZTDNS_STAT(evicted, ZTDNS_STATS_A_EVICTED);
ZTDNS_STAT(events_dropped, ZTDNS_STATS_A_EVENTS_DROPPED);
ZTDNS_STAT(entries, 0);

static struct attribute *ztdns_stat_attrs[] = {
	&ztdns_stat_packets.attr.attr,
	&ztdns_stat_permitted.attr.attr,
	&ztdns_stat_blocked.attr.attr,
	&ztdns_stat_audited.attr.attr,
	&ztdns_stat_malformed.attr.attr,
	&ztdns_stat_inserts.attr.attr,
	&ztdns_stat_insert_full.attr.attr,
	&ztdns_stat_expired.attr.attr,
	&ztdns_stat_evicted.attr.attr,
	&ztdns_stat_events_dropped.attr.attr,
	&ztdns_stat_entries.attr.attr,
	NULL
};

static const struct attribute_group ztdns_stat_group = {
	.attrs = ztdns_stat_attrs,
};

/* /sys/module/ztdns, with a reference; built in, it exists for the params. */
static struct kobject *ztdns_module_kobj(void)
{
#ifdef MODULE
	return kobject_get(&THIS_MODULE->mkobj.kobj);
#else
	return kset_find_obj(module_kset, KBUILD_MODNAME);
#endif
}

int __init ztdns_sysfs_init(void)
{
	struct kobject *parent = ztdns_module_kobj();
	int ret;

	if (!parent)
		return -ENOENT;
	ztdns_stats_kobj = kobject_create_and_add("stats", parent);
	kobject_put(parent);	/* the child holds its own reference */
	if (!ztdns_stats_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(ztdns_stats_kobj, &ztdns_stat_group);
	if (ret)
		kobject_put(ztdns_stats_kobj);
	return ret;
}

void ztdns_sysfs_uninit(void)
{
	sysfs_remove_group(ztdns_stats_kobj, &ztdns_stat_group);
	kobject_put(ztdns_stats_kobj);
}
