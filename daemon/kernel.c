// SPDX-License-Identifier: GPL-2.0
/*
 * ztdnsd and the ztdns module: once everything else is set up, make the
 * kernel's protective servers and exception subnets those of the
 * configuration (adding what is missing before removing what is stale, so
 * that an enforcing host never loses its resolver), then apply the mode;
 * afterwards, one ADD_ENTRIES request per answer, all of its addresses or
 * none.  A reload adds the new servers and subnets, sets the mode, swaps
 * the configuration in, and only then removes what is stale.
 *
 * The module may be reloaded under ztdnsd: its family then has a new id,
 * and it has forgotten the servers, subnets and mode.  A request that
 * fails as if the family were gone looks the family up again; when it has
 * a new id, the setup is done again and the request sent once more.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "uapi/linux/ztdns.h"
#include "ztdnsd.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Both nests number FAMILY, ADDR, then PORT or PREFIX_LEN alike. */
_Static_assert((int)ZTDNS_SERVER_A_FAMILY == (int)ZTDNS_SUBNET_A_FAMILY &&
	       (int)ZTDNS_SERVER_A_ADDR == (int)ZTDNS_SUBNET_A_ADDR &&
	       (int)ZTDNS_SERVER_A_PORT == (int)ZTDNS_SUBNET_A_PREFIX_LEN,
	       "server and subnet nests differ");

/* A server endpoint or a subnet, as the kernel lists them. */
struct zt_kobj {
	struct zt_addr addr;
	unsigned int n;			/* port, or prefix length */
};

struct zt_klist {
	int attr;			/* ZTDNS_A_SERVER or ZTDNS_A_SUBNET */
	unsigned int count;
	struct zt_kobj o[1024];
	bool overflow;
};

int zt_kernel_open(char *err, size_t errsize)
{
	int ret = ztnl_open(&zt.nl);

	if (ret)
		snprintf(err, errsize, "%s", ztnl_strerror(&zt.nl, ret));
	return ret;
}

void zt_kernel_close(void)
{
	ztnl_close(&zt.nl);
}

static int zt_klist_cb(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *g = genlmsg_hdr(nlmsg_hdr(msg));
	struct nlattr *tb[ZTDNS_SERVER_A_MAX + 1], *a;
	struct zt_klist *l = arg;
	struct zt_kobj *o;
	int rem;

	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0),
			  rem) {
		if (nla_type(a) != l->attr)
			continue;
		if (l->count == ARRAY_SIZE(l->o)) {
			l->overflow = true;
			break;
		}
		o = &l->o[l->count];
		if (nla_parse_nested(tb, ZTDNS_SERVER_A_MAX, a, NULL) < 0 ||
		    ztnl_get_addr(tb[ZTDNS_SERVER_A_FAMILY],
				  tb[ZTDNS_SERVER_A_ADDR], &o->addr) ||
		    !tb[ZTDNS_SERVER_A_PORT])
			continue;
		o->n = l->attr == ZTDNS_A_SERVER ?
		       nla_get_u16(tb[ZTDNS_SERVER_A_PORT]) :
		       nla_get_u8(tb[ZTDNS_SUBNET_A_PREFIX_LEN]);
		l->count++;
	}
	return NL_OK;
}

static int zt_kobj_send(unsigned char cmd, int attr, const struct zt_kobj *o)
{
	struct nl_msg *msg = ztnl_msg(&zt.nl, cmd, 0);
	struct nlattr *nest;

	if (!msg)
		return -ENOMEM;
	nest = nla_nest_start(msg, attr | NLA_F_NESTED);
	if (!nest ||
	    ztnl_put_addr(msg, ZTDNS_SERVER_A_FAMILY, ZTDNS_SERVER_A_ADDR,
			  &o->addr) ||
	    (attr == ZTDNS_A_SERVER ?
	     nla_put_u16(msg, ZTDNS_SERVER_A_PORT, o->n) :
	     nla_put_u8(msg, ZTDNS_SUBNET_A_PREFIX_LEN, o->n))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return ztnl_send(&zt.nl, msg, NULL, NULL);
}

static bool zt_kobj_in(const struct zt_kobj *o, const struct zt_kobj *set,
		       unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (set[i].n == o->n && set[i].addr.family == o->addr.family &&
		    !memcmp(set[i].addr.bytes, o->addr.bytes,
			    zt_addr_len(o->addr.family)))
			return true;
	return false;
}

/* Make the kernel's list of @attr objects @want (@n of them). */
static int zt_kernel_sync_list(int attr, const struct zt_kobj *want,
			  unsigned int n, char *err, size_t errsize)
{
	static struct zt_klist have;
	const char *what = attr == ZTDNS_A_SERVER ? "server" : "subnet";
	unsigned char add = attr == ZTDNS_A_SERVER ? ZTDNS_CMD_ADD_SERVER :
			    ZTDNS_CMD_ADD_SUBNET;
	char buf[ZT_ADDRSTRLEN];
	struct nl_msg *msg;
	unsigned int i;
	int ret;

	memset(&have, 0, sizeof(have));
	have.attr = attr;
	msg = ztnl_msg(&zt.nl, attr == ZTDNS_A_SERVER ? ZTDNS_CMD_GET_SERVERS :
		       ZTDNS_CMD_GET_SUBNETS, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	ret = ztnl_send(&zt.nl, msg, zt_klist_cb, &have);
	if (!ret && have.overflow)
		ret = -E2BIG;
	if (ret) {
		snprintf(err, errsize, "listing the kernel's %ss: %s", what,
			 ztnl_strerror(&zt.nl, ret));
		return ret;
	}
	for (i = 0; i < n; i++) {
		if (zt_kobj_in(&want[i], have.o, have.count) ||
		    zt_kobj_in(&want[i], want, i))
			continue;
		ret = zt_kobj_send(add, attr, &want[i]);
		if (ret)
			goto err;
	}
	for (i = 0; i < have.count; i++) {
		if (zt_kobj_in(&have.o[i], want, n))
			continue;
		ret = zt_kobj_send(add + 1, attr, &have.o[i]);
		if (ret)
			goto err;
		zt_log(LOG_INFO, "removed stale %s %s from the kernel", what,
		       zt_format_addr(buf, sizeof(buf), &have.o[i].addr,
				      attr == ZTDNS_A_SERVER ? have.o[i].n : 0));
	}
	return 0;
err:
	snprintf(err, errsize, "%s %s: %s", what,
		 zt_format_addr(buf, sizeof(buf),
				i < n ? &want[i].addr : &have.o[i].addr, 0),
		 ztnl_strerror(&zt.nl, ret));
	return ret;
}

/* The servers (@subnets false) or subnets of @cfg into @want. */
static unsigned int zt_kobjs(const struct zt_config *cfg, bool subnets,
			     struct zt_kobj *want)
{
	unsigned int i;

	if (subnets) {
		for (i = 0; i < cfg->nsubnets; i++) {
			want[i].addr = cfg->subnets[i].addr;
			want[i].n = cfg->subnets[i].plen;
		}
		return cfg->nsubnets;
	}
	for (i = 0; i < cfg->nservers; i++) {
		want[i].addr = cfg->servers[i].addr;
		want[i].n = cfg->servers[i].port;
	}
	return cfg->nservers;
}

/**
 * zt_kernel_sync() - the kernel's servers and subnets: those of @cfg
 * @cfg: a configuration
 * @also: NULL, or another whose servers and subnets are kept too (a
 *        reload keeps the running ones until the new ones are in use)
 * @err: what failed, for the log
 * @errsize: its size
 *
 * What is missing is added before what is stale is removed.
 * Return: 0 or a negative errno.
 */
int zt_kernel_sync(const struct zt_config *cfg, const struct zt_config *also,
		   char *err, size_t errsize)
{
	static struct zt_kobj want[2 * ZT_CFG_MAX_SUBNETS];
	unsigned int n;
	int ret;

	n = zt_kobjs(cfg, false, want);
	if (also)
		n += zt_kobjs(also, false, want + n);
	ret = zt_kernel_sync_list(ZTDNS_A_SERVER, want, n, err, errsize);
	if (ret)
		return ret;
	n = zt_kobjs(cfg, true, want);
	if (also)
		n += zt_kobjs(also, true, want + n);
	return zt_kernel_sync_list(ZTDNS_A_SUBNET, want, n, err, errsize);
}

/* Set the module's mode (ZTDNS_MODE_*); 0 or a negative errno. */
int zt_kernel_set_mode(int mode, char *err, size_t errsize)
{
	struct nl_msg *msg;
	int ret;

	msg = ztnl_msg(&zt.nl, ZTDNS_CMD_SET_CONFIG, 0);
	if (!msg)
		return -ENOMEM;
	if (nla_put_u8(msg, ZTDNS_A_MODE, mode)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	ret = ztnl_send(&zt.nl, msg, NULL, NULL);
	if (ret)
		snprintf(err, errsize, "setting mode %s: %s",
			 zt_mode_name(mode), ztnl_strerror(&zt.nl, ret));
	return ret;
}

/**
 * zt_kernel_setup() - the configuration's servers, subnets and mode
 * @err: what failed, for the log
 * @errsize: its size
 *
 * The mode comes last: an enforcing host has its servers first.
 * Return: 0 or a negative errno.
 */
int zt_kernel_setup(char *err, size_t errsize)
{
	int ret = zt_kernel_sync(&zt.cfg, NULL, err, errsize);

	if (ret || zt.cfg.mode < 0)
		return ret;
	return zt_kernel_set_mode(zt.cfg.mode, err, errsize);
}

/*
 * After @ret from a request: whether the module was reloaded (and is now
 * set up again), so that the request is worth sending once more.
 */
static bool zt_kernel_reloaded(int ret)
{
	char err[256];

	if (ret != -ENOENT && ret != -EOPNOTSUPP && ret != -EINVAL)
		return false;
	if (ztnl_resolve(&zt.nl) <= 0)
		return false;
	zt_log(LOG_NOTICE,
	       "the ztdns module was reloaded: setting it up again");
	if (zt_kernel_setup(err, sizeof(err)))
		zt_log(LOG_ERR, "kernel setup: %s", err);
	return true;
}

static int zt_kernel_allow_once(const struct zt_dns_addr *addrs,
				unsigned int n)
{
	struct nlattr *entries, *e;
	struct nl_msg *msg;
	unsigned int i;

	msg = ztnl_msg_size(&zt.nl, ZTDNS_CMD_ADD_ENTRIES, 0, 64 + n * 48);
	if (!msg)
		return -ENOMEM;
	entries = nla_nest_start(msg, ZTDNS_A_ENTRIES | NLA_F_NESTED);
	if (!entries)
		goto err_size;
	for (i = 0; i < n; i++) {
		e = nla_nest_start(msg, i | NLA_F_NESTED);
		if (!e ||
		    ztnl_put_addr(msg, ZTDNS_ENTRY_A_FAMILY,
				  ZTDNS_ENTRY_A_ADDR, &addrs[i].addr) ||
		    nla_put_u32(msg, ZTDNS_ENTRY_A_TTL, addrs[i].ttl))
			goto err_size;
		nla_nest_end(msg, e);
	}
	nla_nest_end(msg, entries);
	return ztnl_send(&zt.nl, msg, NULL, NULL);

err_size:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/**
 * zt_kernel_allow() - allow entries for the addresses of one answer
 * @addrs: the addresses, TTLs already clamped
 * @n: how many (at most ZT_DNS_MAX_ADDRS)
 * @err: the kernel's reason when it refuses
 * @errsize: its size
 *
 * Returns once the kernel has acknowledged the whole batch.
 * Return: 0 or a negative errno (-ENOSPC: table full).
 */
int zt_kernel_allow(const struct zt_dns_addr *addrs, unsigned int n,
		    char *err, size_t errsize)
{
	int ret;

	if (!n)
		return 0;
	ret = zt_kernel_allow_once(addrs, n);
	if (ret && zt_kernel_reloaded(ret))
		ret = zt_kernel_allow_once(addrs, n);
	if (ret == -EMSGSIZE)
		snprintf(err, errsize, "netlink message too large");
	else if (ret)
		snprintf(err, errsize, "%s", ztnl_strerror(&zt.nl, ret));
	return ret;
}
