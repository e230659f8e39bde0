// SPDX-License-Identifier: GPL-2.0
/*
 * Module parameters.  Each is set at insmod/modprobe time and can be changed
 * by root under /sys/module/ztdns/parameters/; a value that does not parse
 * is refused with EINVAL and the old value stays.  The knobs are those of
 * the initial network namespace; max_entries and netns_mode apply to all.
 *
 * servers= and subnets= are lists for the initial namespace, so that one
 * modprobe.d line enforces from boot, before any daemon runs:
 *
 *   options ztdns mode=enforce servers=192.0.2.53,[2001:db8::53]:853
 *           subnets=10.0.0.0/8,fd00::/8
 *
 * Writing either at run time replaces that list of the initial namespace.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/inet.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <uapi/linux/ztdns.h>

#include "netns.h"
#include "params.h"

struct ztdns_config ztdns_params = {
	.mode = ZTDNS_MODE_AUDIT,
	.log = ZTDNS_LOG_BLOCKS,
	.allow_dhcp = true,
	.allow_ndp = true,
	.grace = 60,
	.min_ttl = 5,
	.max_ttl = 86400,
	.max_entries = 1048576,
};

u8 ztdns_netns_mode = ZTDNS_MODE_OFF;
u32 ztdns_events_per_sec = 1000;

#define ZTDNS_LIST_MAX 1024
static char ztdns_servers_param[ZTDNS_LIST_MAX];
static char ztdns_subnets_param[ZTDNS_LIST_MAX];

/* Whether the initial namespace exists: set and read under the param lock. */
static bool ztdns_ready;

static const char *const ztdns_mode_names[] = {
	[ZTDNS_MODE_OFF] = "off",
	[ZTDNS_MODE_AUDIT] = "audit",
	[ZTDNS_MODE_ENFORCE] = "enforce",
};

/**
 * ztdns_mode_parse() - parse a mode name
 * @s: "off", "audit" or "enforce", optionally followed by one newline
 *
 * Return: the enum ztdns_mode value, or -EINVAL.
 */
int ztdns_mode_parse(const char *s)
{
	int i;

	if (!s)
		return -EINVAL;
	i = sysfs_match_string(ztdns_mode_names, s);
	return i < 0 ? -EINVAL : i;
}

/**
 * ztdns_mode_name() - the name of a mode
 * @mode: an enum ztdns_mode value
 *
 * Return: its name, or "invalid" for a value out of range.
 */
const char *ztdns_mode_name(u8 mode)
{
	return mode <= ZTDNS_MODE_MAX ? ztdns_mode_names[mode] : "invalid";
}

static int ztdns_param_set_mode(const char *val, const struct kernel_param *kp)
{
	int mode = ztdns_mode_parse(val);

	if (mode < 0)
		return mode;
	if (kp->arg == &ztdns_params.mode && ztdns_ready)
		return ztdns_set_mode(ztdns_init_pernet(), mode);
	WRITE_ONCE(*(u8 *)kp->arg, mode);
	return 0;
}

static int ztdns_param_get_mode(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n",
			 ztdns_mode_name(READ_ONCE(*(u8 *)kp->arg)));
}

static const struct kernel_param_ops ztdns_mode_ops = {
	.set = ztdns_param_set_mode,
	.get = ztdns_param_get_mode,
};

/* A u32 in [min, max]; min_ttl and max_ttl also keep min_ttl <= max_ttl. */
static int ztdns_param_set_u32(const char *val, const struct kernel_param *kp)
{
	u32 v, lo = 0, hi = U32_MAX;
	int ret = kstrtou32(val, 10, &v);

	if (ret)
		return -EINVAL;
	if (kp->arg == &ztdns_params.grace) {
		hi = ZTDNS_MAX_GRACE;
	} else if (kp->arg == &ztdns_params.min_ttl) {
		hi = READ_ONCE(ztdns_params.max_ttl);
	} else if (kp->arg == &ztdns_params.max_ttl) {
		lo = READ_ONCE(ztdns_params.min_ttl);
		hi = ZTDNS_MAX_TTL;
	} else if (kp->arg == &ztdns_params.max_entries) {
		lo = 1;
	} else if (kp->arg == &ztdns_events_per_sec) {
		lo = 1;
		hi = 1000000;
	}
	if (v < lo || v > hi)
		return -EINVAL;
	WRITE_ONCE(*(u32 *)kp->arg, v);
	return 0;
}

static const struct kernel_param_ops ztdns_u32_ops = {
	.set = ztdns_param_set_u32,
	.get = param_get_uint,
};

static int ztdns_param_set_log(const char *val, const struct kernel_param *kp)
{
	u8 v;

	if (kstrtou8(val, 10, &v) || v > ZTDNS_LOG_MAX)
		return -EINVAL;
	WRITE_ONCE(*(u8 *)kp->arg, v);
	return 0;
}

static const struct kernel_param_ops ztdns_log_ops = {
	.set = ztdns_param_set_log,
	.get = param_get_byte,
};

/*
 * Parse one list item: "ADDR", "ADDR:PORT" or "[ADDR6]:PORT" for servers;
 * "ADDR/LEN" or "ADDR" for subnets (host bits must be clear).
 */
static int ztdns_parse_item(const char *s, size_t len, bool server,
			    union ztdns_addr *addr, u8 *fam, u16 *num)
{
	char buf[64], *sep;
	const char *end;

	if (!len || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(addr, 0, sizeof(*addr));

	if (server) {
		*num = ZTDNS_DEFAULT_SERVER_PORT;
		if (buf[0] == '[') {
			sep = strchr(buf, ']');
			if (!sep)
				return -EINVAL;
			*sep++ = '\0';
			if (*sep && (*sep != ':' || kstrtou16(sep + 1, 10, num)))
				return -EINVAL;
			memmove(buf, buf + 1, strlen(buf + 1) + 1);
		} else if (strchr(buf, '.')) {
			sep = strchr(buf, ':');
			if (sep) {
				*sep = '\0';
				if (kstrtou16(sep + 1, 10, num))
					return -EINVAL;
			}
		}
		if (!*num)
			return -EINVAL;
	} else {
		sep = strchr(buf, '/');
		*num = strchr(buf, ':') ? 128 : 32;
		if (sep) {
			*sep = '\0';
			if (kstrtou16(sep + 1, 10, num) ||
			    *num > (strchr(buf, ':') ? 128 : 32))
				return -EINVAL;
		}
	}

	if (in4_pton(buf, -1, addr->b, '\0', &end))
		*fam = ZTDNS_FAM_IPV4;
	else if (in6_pton(buf, -1, addr->b, '\0', &end))
		*fam = ZTDNS_FAM_IPV6;
	else
		return -EINVAL;
	if (!server) {
		unsigned int i;

		if (*fam == ZTDNS_FAM_IPV4 && *num > 32)
			return -EINVAL;
		for (i = *num; i < 128; i++)
			if ((addr->b[i / 8] >> (7 - i % 8)) & 1)
				return -EINVAL;	/* host bits set */
	}
	return 0;
}

/*
 * Parse a whole list; with zn, replace the namespace's list with it: built
 * aside, then published at once, so that readers see the old list or the
 * new one, never an empty or partial one.
 */
static int ztdns_apply_list(const char *val, bool server, struct ztdns_net *zn)
{
	struct ztdns_server *srvs = NULL;
	struct ztdns_lpm tries[ZTDNS_FAM_MAX];
	union ztdns_addr addr;
	const char *p = val;
	unsigned int n = 0;
	int ret = 0, fam_i;
	u16 num;
	u8 fam;

	if (zn && server) {
		srvs = kcalloc(ZTDNS_MAX_SERVERS, sizeof(*srvs), GFP_KERNEL);
		if (!srvs)
			return -ENOMEM;
	}
	ztdns_lpm_init(&tries[ZTDNS_FAM_IPV4], 32);
	ztdns_lpm_init(&tries[ZTDNS_FAM_IPV6], 128);
	if (zn)
		mutex_lock(&zn->lock);
	while (*p && *p != '\n') {
		size_t len = strcspn(p, ",\n");

		ret = ztdns_parse_item(p, len, server, &addr, &fam, &num);
		if (!ret && server && n >= ZTDNS_MAX_SERVERS)
			ret = -EINVAL;
		if (ret)
			break;
		if (zn && server) {
			srvs[n] = (struct ztdns_server){
				.addr = addr, .port = num, .fam = fam,
			};
		} else if (zn) {
			ret = ztdns_lpm_insert(&tries[fam], addr.b, num,
					       &zn->lock);
			if (ret && ret != -EEXIST)
				break;
			ret = 0;
		}
		n++;
		p += len;
		if (*p == ',')
			p++;
	}
	if (zn && !ret && server) {
		ret = ztdns_set_servers(zn, srvs, n);
	} else if (zn && !ret) {
		for (fam_i = 0; fam_i < ZTDNS_FAM_MAX; fam_i++)
			ztdns_lpm_replace(&zn->subnets[fam_i], &tries[fam_i],
					  &zn->lock);
		zn->subnets_gen++;
	} else if (zn) {
		for (fam_i = 0; fam_i < ZTDNS_FAM_MAX; fam_i++)
			ztdns_lpm_free(&tries[fam_i], &zn->lock);
	}
	if (zn)
		mutex_unlock(&zn->lock);
	kfree(srvs);
	return ret;
}

static int ztdns_param_set_list(const char *val, const struct kernel_param *kp)
{
	bool server = kp->arg == ztdns_servers_param;
	int ret;

	if (strlen(val) >= ZTDNS_LIST_MAX)
		return -EINVAL;
	/* Check the whole list before anything changes. */
	ret = ztdns_apply_list(val, server, NULL);
	if (ret)
		return ret;
	if (ztdns_ready) {
		ret = ztdns_apply_list(val, server, ztdns_init_pernet());
		if (ret)
			return ret;
		pr_info("%s replaced: %s\n", server ? "servers" : "subnets", val);
	}
	strscpy(kp->arg, val, ZTDNS_LIST_MAX);
	strim(kp->arg);
	return 0;
}

static int ztdns_param_get_list(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n", (char *)kp->arg);
}

static const struct kernel_param_ops ztdns_list_ops = {
	.set = ztdns_param_set_list,
	.get = ztdns_param_get_list,
};

/*
 * dhcp_servers: the addresses a DHCP client message may go to beyond the
 * link (a relayed network's unicast renew), for every namespace.  Replaced
 * whole; read under RCU on the packet path.
 */
struct ztdns_dhcp_servers {
	struct rcu_head rcu;
	unsigned int n;
	struct ztdns_server s[];
};

#define ZTDNS_MAX_DHCP_SERVERS 16
static char ztdns_dhcp_param[ZTDNS_LIST_MAX];
static struct ztdns_dhcp_servers __rcu *ztdns_dhcp_servers;
static DEFINE_MUTEX(ztdns_dhcp_lock);
/* Set by ztdns_params_uninit(): the file outlives module_exit a moment. */
static bool ztdns_dhcp_gone;

/**
 * ztdns_params_dhcp_server() - whether dhcp_servers names an address
 * @fam: ZTDNS_FAM_*
 * @addr: the address
 *
 * Context: under rcu_read_lock().
 * Return: true if it does.
 */
bool ztdns_params_dhcp_server(u8 fam, const union ztdns_addr *addr)
{
	const struct ztdns_dhcp_servers *ds = rcu_dereference(ztdns_dhcp_servers);
	unsigned int i;

	for (i = 0; ds && i < ds->n; i++)
		if (ds->s[i].fam == fam &&
		    !memcmp(&ds->s[i].addr, addr, fam == ZTDNS_FAM_IPV4 ? 4 : 16))
			return true;
	return false;
}

static int ztdns_param_set_dhcp(const char *val, const struct kernel_param *kp)
{
	struct ztdns_dhcp_servers *new, *old;
	const char *p = val;
	u16 cidr;
	int ret;

	if (strlen(val) >= ZTDNS_LIST_MAX)
		return -EINVAL;
	new = kzalloc(struct_size(new, s, ZTDNS_MAX_DHCP_SERVERS), GFP_KERNEL);
	if (!new)
		return -ENOMEM;
	while (*p && *p != '\n') {
		size_t len = strcspn(p, ",\n");
		struct ztdns_server *srv = &new->s[new->n];

		/* An address: a subnet item without a shorter prefix. */
		ret = new->n >= ZTDNS_MAX_DHCP_SERVERS ? -EINVAL :
		      ztdns_parse_item(p, len, false, &srv->addr, &srv->fam, &cidr);
		if (!ret && cidr != (srv->fam == ZTDNS_FAM_IPV4 ? 32 : 128))
			ret = -EINVAL;
		if (ret) {
			kfree(new);
			return ret;
		}
		new->n++;
		p += len;
		if (*p == ',')
			p++;
	}
	mutex_lock(&ztdns_dhcp_lock);
	if (ztdns_dhcp_gone) {
		mutex_unlock(&ztdns_dhcp_lock);
		kfree(new);
		return -ENODEV;
	}
	old = rcu_replace_pointer(ztdns_dhcp_servers, new,
				  lockdep_is_held(&ztdns_dhcp_lock));
	mutex_unlock(&ztdns_dhcp_lock);
	if (old)
		kfree_rcu(old, rcu);
	strscpy(kp->arg, val, ZTDNS_LIST_MAX);
	strim(kp->arg);
	return 0;
}

static const struct kernel_param_ops ztdns_dhcp_ops = {
	.set = ztdns_param_set_dhcp,
	.get = ztdns_param_get_list,
};

/**
 * ztdns_params_uninit() - free what the parameters hold
 */
void ztdns_params_uninit(void)
{
	struct ztdns_dhcp_servers *old;

	mutex_lock(&ztdns_dhcp_lock);
	old = rcu_replace_pointer(ztdns_dhcp_servers, NULL,
				  lockdep_is_held(&ztdns_dhcp_lock));
	/* A write between module_exit and the removal of its file. */
	ztdns_dhcp_gone = true;
	mutex_unlock(&ztdns_dhcp_lock);
	/* No hook runs any more; a write since queued its own free. */
	kfree(old);
}

/**
 * ztdns_params_apply_lists() - install servers= and subnets= in init_net
 *
 * Return: 0 or a negative errno.
 */
int ztdns_params_apply_lists(void)
{
	int ret;

	ret = ztdns_apply_list(ztdns_servers_param, true, ztdns_init_pernet());
	if (ret)
		return ret;
	return ztdns_apply_list(ztdns_subnets_param, false, ztdns_init_pernet());
}

/**
 * ztdns_params_ready() - whether writes reach the initial namespace
 * @ready: true once its state exists, false before it goes
 */
void ztdns_params_ready(bool ready)
{
	kernel_param_lock(THIS_MODULE);
	ztdns_ready = ready;
	kernel_param_unlock(THIS_MODULE);
}

module_param_cb(mode, &ztdns_mode_ops, &ztdns_params.mode, 0644);
MODULE_PARM_DESC(mode, "initial namespace: off, audit or enforce (default audit)");
module_param_cb(netns_mode, &ztdns_mode_ops, &ztdns_netns_mode, 0644);
MODULE_PARM_DESC(netns_mode, "mode of namespaces created later (default off)");
module_param_cb(grace, &ztdns_u32_ops, &ztdns_params.grace, 0644);
MODULE_PARM_DESC(grace, "seconds an entry outlives its TTL after its last packet (default 60)");
module_param_cb(min_ttl, &ztdns_u32_ops, &ztdns_params.min_ttl, 0644);
MODULE_PARM_DESC(min_ttl, "shortest TTL of an entry, seconds (default 5)");
module_param_cb(max_ttl, &ztdns_u32_ops, &ztdns_params.max_ttl, 0644);
MODULE_PARM_DESC(max_ttl, "longest TTL of an entry, seconds (default 86400)");
module_param_cb(max_entries, &ztdns_u32_ops, &ztdns_params.max_entries, 0644);
MODULE_PARM_DESC(max_entries, "allow entries per namespace (default 1048576)");
module_param_cb(log, &ztdns_log_ops, &ztdns_params.log, 0644);
MODULE_PARM_DESC(log, "kernel log: 0 none, 1 blocks, 2 blocks and permits (default 1)");
module_param_cb(events_per_sec, &ztdns_u32_ops, &ztdns_events_per_sec, 0644);
MODULE_PARM_DESC(events_per_sec,
		 "events sent to the \"events\" group per second and namespace, at most (default 1000)");
module_param_named(allow_dhcp, ztdns_params.allow_dhcp, bool, 0644);
MODULE_PARM_DESC(allow_dhcp, "pass DHCP and DHCPv6 client packets (default Y)");
module_param_named(allow_ndp, ztdns_params.allow_ndp, bool, 0644);
MODULE_PARM_DESC(allow_ndp, "pass NDP (ICMPv6 133, 135, 136 and MLD) (default Y)");
module_param_cb(servers, &ztdns_list_ops, ztdns_servers_param, 0644);
MODULE_PARM_DESC(servers, "protective DNS servers, addr[:port] list (port 853)");
module_param_cb(subnets, &ztdns_list_ops, ztdns_subnets_param, 0644);
MODULE_PARM_DESC(subnets, "exception subnets, CIDR list");
module_param_cb(dhcp_servers, &ztdns_dhcp_ops, ztdns_dhcp_param, 0644);
MODULE_PARM_DESC(dhcp_servers,
		 "DHCP servers off the link a client message may go to: ADDR,... (default none)");

#if IS_ENABLED(CONFIG_ZTDNS_KUNIT_TEST)
#include "tests/params_test.c"
#endif
