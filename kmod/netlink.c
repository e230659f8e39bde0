// SPDX-License-Identifier: GPL-2.0
/*
 * The "ztdns" generic netlink family; uapi/linux/ztdns.h documents it.
 * Every operation needs CAP_NET_ADMIN (GENL_ADMIN_PERM) and acts on the
 * network namespace of the requesting socket.  Each operation has its own
 * strict policy; every rejection carries an extack message.  Dumps resume
 * where the previous message ended and flag NLM_F_DUMP_INTR when the table
 * changed under them, so that userspace can start again.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/socket.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include <uapi/linux/ztdns.h>

#include "hooks.h"
#include "netlink.h"

/*
 * The events group is for admins only: Linux 6.7 or a stable kernel with
 * its backport (Debian's 6.1 has it).  An older one would let anyone read.
 */
#ifndef GENL_MCAST_CAP_NET_ADMIN
#error "ztdns needs GENL_MCAST_CAP_NET_ADMIN (Linux 6.7, or its stable backport)"
#endif
#include "netns.h"
#include "params.h"

static struct genl_family ztdns_genl_family;

/*
 * Whether events may be sent: cleared, and a grace period waited for,
 * before the family goes, since the hooks outlive it at module exit.
 */
static bool ztdns_genl_up;

static struct netlink_range_validation ztdns_ttl_range = {
	.max = ZTDNS_MAX_TTL,
};

static struct netlink_range_validation ztdns_grace_range = {
	.max = ZTDNS_MAX_GRACE,
};

static const struct nla_policy ztdns_entry_policy[ZTDNS_ENTRY_A_MAX + 1] = {
	[ZTDNS_ENTRY_A_FAMILY] = { .type = NLA_U16 },
	[ZTDNS_ENTRY_A_ADDR] = NLA_POLICY_RANGE(NLA_BINARY, 4, 16),
	[ZTDNS_ENTRY_A_TTL] = NLA_POLICY_FULL_RANGE(NLA_U32, &ztdns_ttl_range),
};

static const struct nla_policy ztdns_entry_del_policy[ZTDNS_ENTRY_A_MAX + 1] = {
	[ZTDNS_ENTRY_A_FAMILY] = { .type = NLA_U16 },
	[ZTDNS_ENTRY_A_ADDR] = NLA_POLICY_RANGE(NLA_BINARY, 4, 16),
};

static const struct nla_policy ztdns_subnet_policy[ZTDNS_SUBNET_A_MAX + 1] = {
	[ZTDNS_SUBNET_A_FAMILY] = { .type = NLA_U16 },
	[ZTDNS_SUBNET_A_ADDR] = NLA_POLICY_RANGE(NLA_BINARY, 4, 16),
	[ZTDNS_SUBNET_A_PREFIX_LEN] = NLA_POLICY_MAX(NLA_U8, 128),
};

static const struct nla_policy ztdns_server_policy[ZTDNS_SERVER_A_MAX + 1] = {
	[ZTDNS_SERVER_A_FAMILY] = { .type = NLA_U16 },
	[ZTDNS_SERVER_A_ADDR] = NLA_POLICY_RANGE(NLA_BINARY, 4, 16),
	[ZTDNS_SERVER_A_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
};

static const struct nla_policy ztdns_none_policy[ZTDNS_A_MAX + 1] = {
};

static const struct nla_policy ztdns_set_config_policy[ZTDNS_A_MAX + 1] = {
	[ZTDNS_A_MODE] = NLA_POLICY_MAX(NLA_U8, ZTDNS_MODE_MAX),
	[ZTDNS_A_GRACE] = NLA_POLICY_FULL_RANGE(NLA_U32, &ztdns_grace_range),
	[ZTDNS_A_MIN_TTL] = NLA_POLICY_FULL_RANGE(NLA_U32, &ztdns_ttl_range),
	[ZTDNS_A_MAX_TTL] = NLA_POLICY_FULL_RANGE(NLA_U32, &ztdns_ttl_range),
	[ZTDNS_A_LOG] = NLA_POLICY_MAX(NLA_U8, ZTDNS_LOG_MAX),
	[ZTDNS_A_ALLOW_DHCP] = NLA_POLICY_MAX(NLA_U8, 1),
	[ZTDNS_A_ALLOW_NDP] = NLA_POLICY_MAX(NLA_U8, 1),
};

static const struct nla_policy ztdns_add_entries_policy[ZTDNS_A_MAX + 1] = {
	[ZTDNS_A_ENTRIES] = NLA_POLICY_NESTED_ARRAY(ztdns_entry_policy),
};

static const struct nla_policy ztdns_del_entries_policy[ZTDNS_A_MAX + 1] = {
	[ZTDNS_A_ENTRIES] = NLA_POLICY_NESTED_ARRAY(ztdns_entry_del_policy),
};

static const struct nla_policy ztdns_subnet_op_policy[ZTDNS_A_MAX + 1] = {
	[ZTDNS_A_SUBNET] = NLA_POLICY_NESTED(ztdns_subnet_policy),
};

static const struct nla_policy ztdns_server_op_policy[ZTDNS_A_MAX + 1] = {
	[ZTDNS_A_SERVER] = NLA_POLICY_NESTED(ztdns_server_policy),
};

static struct ztdns_net *ztdns_info_net(struct genl_info *info)
{
	return ztdns_pernet(genl_info_net(info));
}

/*
 * An address from a FAMILY and an ADDR attribute: the family must be
 * AF_INET or AF_INET6 and the length must be its own.
 */
static int ztdns_nl_addr(struct nlattr *fam, struct nlattr *addr,
			 union ztdns_addr *out, u8 *zfam,
			 struct netlink_ext_ack *extack)
{
	if (!fam || !addr) {
		NL_SET_ERR_MSG(extack, "address or its family missing");
		return -EINVAL;
	}
	switch (nla_get_u16(fam)) {
	case AF_INET:
		*zfam = ZTDNS_FAM_IPV4;
		break;
	case AF_INET6:
		*zfam = ZTDNS_FAM_IPV6;
		break;
	default:
		NL_SET_ERR_MSG_ATTR(extack, fam, "unknown address family");
		return -EAFNOSUPPORT;
	}
	if (nla_len(addr) != (*zfam == ZTDNS_FAM_IPV4 ? 4 : 16)) {
		NL_SET_ERR_MSG_ATTR(extack, addr,
				    "address length does not match its family");
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	nla_memcpy(out, addr, sizeof(*out));
	return 0;
}

static int ztdns_put_addr(struct sk_buff *skb, int fam_type, int addr_type,
			  u8 zfam, const union ztdns_addr *addr)
{
	bool v4 = zfam == ZTDNS_FAM_IPV4;

	if (nla_put_u16(skb, fam_type, v4 ? AF_INET : AF_INET6) ||
	    nla_put(skb, addr_type, v4 ? 4 : 16, addr))
		return -EMSGSIZE;
	return 0;
}

/* A reply with the header of cmd; the caller fills and sends it. */
static struct sk_buff *ztdns_reply_new(struct genl_info *info, u8 cmd,
				       void **hdr)
{
	struct sk_buff *msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);

	if (!msg)
		return NULL;
	*hdr = genlmsg_put_reply(msg, info, &ztdns_genl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static int ztdns_nl_get_config(struct sk_buff *skb, struct genl_info *info)
{
	const struct ztdns_net *zn = ztdns_info_net(info);
	const struct ztdns_config *cfg = zn->cfg;
	struct sk_buff *msg;
	void *hdr;

	msg = ztdns_reply_new(info, ZTDNS_CMD_GET_CONFIG, &hdr);
	if (!msg)
		return -ENOMEM;
	if (nla_put_u8(msg, ZTDNS_A_MODE, READ_ONCE(cfg->mode)) ||
	    nla_put_u32(msg, ZTDNS_A_GRACE, READ_ONCE(cfg->grace)) ||
	    nla_put_u32(msg, ZTDNS_A_MIN_TTL, READ_ONCE(cfg->min_ttl)) ||
	    nla_put_u32(msg, ZTDNS_A_MAX_TTL, READ_ONCE(cfg->max_ttl)) ||
	    nla_put_u8(msg, ZTDNS_A_LOG, READ_ONCE(cfg->log)) ||
	    nla_put_u32(msg, ZTDNS_A_MAX_ENTRIES,
			READ_ONCE(ztdns_params.max_entries)) ||
	    nla_put_u8(msg, ZTDNS_A_ALLOW_DHCP, READ_ONCE(cfg->allow_dhcp)) ||
	    nla_put_u8(msg, ZTDNS_A_ALLOW_NDP, READ_ONCE(cfg->allow_ndp)) ||
	    nla_put_u32(msg, ZTDNS_A_NUM_ENTRIES, READ_ONCE(zn->entries.count))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int ztdns_nl_set_config(struct sk_buff *skb, struct genl_info *info)
{
	struct ztdns_net *zn = ztdns_info_net(info);
	struct ztdns_config *cfg = zn->cfg;
	bool is_params = cfg == &ztdns_params;
	struct nlattr **a = info->attrs;
	u32 min_ttl, max_ttl;
	int ret;

	/*
	 * In the initial namespace these are the module parameters: their
	 * lock too, so that min_ttl <= max_ttl holds across both ways of
	 * writing them.
	 */
	if (is_params)
		kernel_param_lock(THIS_MODULE);
	mutex_lock(&zn->lock);
	min_ttl = a[ZTDNS_A_MIN_TTL] ? nla_get_u32(a[ZTDNS_A_MIN_TTL]) :
				       READ_ONCE(cfg->min_ttl);
	max_ttl = a[ZTDNS_A_MAX_TTL] ? nla_get_u32(a[ZTDNS_A_MAX_TTL]) :
				       READ_ONCE(cfg->max_ttl);
	if (min_ttl > max_ttl) {
		mutex_unlock(&zn->lock);
		if (is_params)
			kernel_param_unlock(THIS_MODULE);
		NL_SET_ERR_MSG(info->extack, "min_ttl would exceed max_ttl");
		return -EINVAL;
	}
	/* The mode first: the one change that can still fail. */
	ret = a[ZTDNS_A_MODE] ? ztdns_set_mode(zn, nla_get_u8(a[ZTDNS_A_MODE])) : 0;
	if (ret) {
		mutex_unlock(&zn->lock);
		if (is_params)
			kernel_param_unlock(THIS_MODULE);
		if (ret == -EBUSY)
			NL_SET_ERR_MSG(info->extack, "the module is being removed");
		else
			NL_SET_ERR_MSG(info->extack, "cannot set the namespace up");
		return ret;
	}
	WRITE_ONCE(cfg->min_ttl, min_ttl);
	WRITE_ONCE(cfg->max_ttl, max_ttl);
	if (a[ZTDNS_A_GRACE])
		WRITE_ONCE(cfg->grace, nla_get_u32(a[ZTDNS_A_GRACE]));
	if (a[ZTDNS_A_LOG])
		WRITE_ONCE(cfg->log, nla_get_u8(a[ZTDNS_A_LOG]));
	if (a[ZTDNS_A_ALLOW_DHCP])
		WRITE_ONCE(cfg->allow_dhcp, nla_get_u8(a[ZTDNS_A_ALLOW_DHCP]));
	if (a[ZTDNS_A_ALLOW_NDP])
		WRITE_ONCE(cfg->allow_ndp, nla_get_u8(a[ZTDNS_A_ALLOW_NDP]));
	mutex_unlock(&zn->lock);
	if (is_params)
		kernel_param_unlock(THIS_MODULE);
	return 0;
}

/* Parse ZTDNS_A_ENTRIES into an array; with_ttl for adds (TTL clamped). */
static struct ztdns_entry_req *ztdns_nl_entries(struct ztdns_net *zn,
						struct genl_info *info,
						const struct nla_policy *pol,
						bool with_ttl, unsigned int *n)
{
	struct nlattr *list = info->attrs[ZTDNS_A_ENTRIES], *attr;
	struct nlattr *tb[ZTDNS_ENTRY_A_MAX + 1];
	u32 min_ttl = READ_ONCE(zn->cfg->min_ttl);
	u32 max_ttl = READ_ONCE(zn->cfg->max_ttl);
	struct ztdns_entry_req *reqs;
	unsigned int i = 0;
	int rem, ret;

	*n = 0;
	if (!list) {
		NL_SET_ERR_MSG(info->extack, "no entries given");
		return ERR_PTR(-EINVAL);
	}
	nla_for_each_nested(attr, list, rem)
		(*n)++;
	if (!*n) {
		NL_SET_ERR_MSG(info->extack, "no entries given");
		return ERR_PTR(-EINVAL);
	}
	reqs = kvcalloc(*n, sizeof(*reqs), GFP_KERNEL);
	if (!reqs)
		return ERR_PTR(-ENOMEM);
	nla_for_each_nested(attr, list, rem) {
		struct ztdns_entry_req *r = &reqs[i++];

		ret = nla_parse_nested(tb, ZTDNS_ENTRY_A_MAX, attr, pol,
				       info->extack);
		if (!ret)
			ret = ztdns_nl_addr(tb[ZTDNS_ENTRY_A_FAMILY],
					    tb[ZTDNS_ENTRY_A_ADDR], &r->addr,
					    &r->fam, info->extack);
		if (!ret && with_ttl && !tb[ZTDNS_ENTRY_A_TTL]) {
			NL_SET_ERR_MSG_ATTR(info->extack, attr, "entry without TTL");
			ret = -EINVAL;
		}
		if (ret) {
			kvfree(reqs);
			return ERR_PTR(ret);
		}
		/* Never born dead: at least a second, whatever min_ttl. */
		if (with_ttl)
			r->ttl = max(min(max(nla_get_u32(tb[ZTDNS_ENTRY_A_TTL]),
					     min_ttl), max_ttl), 1U);
	}
	return reqs;
}

static int ztdns_nl_add_entries(struct sk_buff *skb, struct genl_info *info)
{
	struct ztdns_net *zn = ztdns_info_net(info);
	unsigned int n, max, evicted = 0;
	struct ztdns_entry_req *reqs;
	int ret;

	reqs = ztdns_nl_entries(zn, info, ztdns_entry_policy, true, &n);
	if (IS_ERR(reqs))
		return PTR_ERR(reqs);
	mutex_lock(&zn->lock);
	/* Entries in a namespace that is still off: it needs its tables. */
	ret = ztdns_net_activate(zn);
	if (ret) {
		mutex_unlock(&zn->lock);
		kvfree(reqs);
		NL_SET_ERR_MSG(info->extack, "cannot set the namespace up");
		return ret;
	}
	max = READ_ONCE(ztdns_params.max_entries);	/* global */
	ret = ztdns_entries_add(&zn->entries, reqs, n, max, ztdns_now(),
				(u64)READ_ONCE(zn->cfg->grace) * NSEC_PER_SEC,
				&zn->lock, &evicted);
	mutex_unlock(&zn->lock);
	kvfree(reqs);
	if (evicted)
		this_cpu_add(zn->stats->c[ZTDNS_STATS_A_EVICTED], evicted);
	if (ret == -ENOSPC) {
		this_cpu_add(zn->stats->c[ZTDNS_STATS_A_INSERT_FULL], n);
		NL_SET_ERR_MSG(info->extack, "allow table full (max_entries)");
	} else if (!ret) {
		this_cpu_add(zn->stats->c[ZTDNS_STATS_A_INSERTS], n);
	}
	return ret;
}

static int ztdns_nl_del_entries(struct sk_buff *skb, struct genl_info *info)
{
	struct ztdns_net *zn = ztdns_info_net(info);
	struct ztdns_entry_req *reqs;
	unsigned int n, bad = 0;
	int ret;

	reqs = ztdns_nl_entries(zn, info, ztdns_entry_del_policy, false, &n);
	if (IS_ERR(reqs))
		return PTR_ERR(reqs);
	mutex_lock(&zn->lock);
	ret = -ENOENT;
	if (ztdns_net_active(zn))
		ret = ztdns_entries_del(&zn->entries, reqs, n, &bad, &zn->lock);
	mutex_unlock(&zn->lock);
	kvfree(reqs);
	if (ret == -ENOENT)
		NL_SET_ERR_MSG(info->extack, "no entry for an address given");
	return ret;
}

static int ztdns_nl_flush_entries(struct sk_buff *skb, struct genl_info *info)
{
	struct ztdns_net *zn = ztdns_info_net(info);
	unsigned int n;

	mutex_lock(&zn->lock);
	n = 0;
	if (ztdns_net_active(zn))
		n = ztdns_entries_flush(&zn->entries, &zn->lock);
	mutex_unlock(&zn->lock);
	pr_info("flushed %u allow entries (netns %u)\n", n, zn->net->ns.inum);
	return 0;
}

/* Where an entries dump stands between two messages. */
struct ztdns_dump_ctx {
	struct rhashtable_iter it;
	int fam;
	u32 resets;	/* walks restarted by a resize: the dump is inconsistent */
};

static int ztdns_dump_entries_start(struct netlink_callback *cb)
{
	struct ztdns_net *zn = ztdns_pernet(sock_net(cb->skb->sk));
	struct ztdns_dump_ctx *ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);

	if (!ctx)
		return -ENOMEM;
	/* A namespace that never became active has no tables: empty. */
	if (ztdns_net_active(zn))
		rhashtable_walk_enter(&zn->entries.ht[ZTDNS_FAM_IPV4], &ctx->it);
	else
		ctx->fam = ZTDNS_FAM_MAX;
	cb->args[0] = (long)ctx;
	return 0;
}

static int ztdns_dump_entries_done(struct netlink_callback *cb)
{
	struct ztdns_dump_ctx *ctx = (void *)cb->args[0];

	if (ctx) {
		if (ctx->fam < ZTDNS_FAM_MAX)
			rhashtable_walk_exit(&ctx->it);
		kfree(ctx);
	}
	return 0;
}

static int ztdns_put_entry(struct sk_buff *skb, int fam,
			   const struct ztdns_entry *e, u64 now)
{
	u64 expires = READ_ONCE(e->expires), last = READ_ONCE(e->last_use);
	struct nlattr *nest = nla_nest_start(skb, 0);

	if (!nest ||
	    ztdns_put_addr(skb, ZTDNS_ENTRY_A_FAMILY, ZTDNS_ENTRY_A_ADDR, fam,
			   &e->addr) ||
	    nla_put_u64_64bit(skb, ZTDNS_ENTRY_A_EXPIRES_MS,
			      expires > now ? div_u64(expires - now, NSEC_PER_MSEC) : 0,
			      ZTDNS_ENTRY_A_PAD) ||
	    (!(last & ZTDNS_UNUSED) &&
	     nla_put_u64_64bit(skb, ZTDNS_ENTRY_A_IDLE_MS,
			       now > last ? div_u64(now - last, NSEC_PER_MSEC) : 0,
			       ZTDNS_ENTRY_A_PAD))) {
		if (nest)
			nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int ztdns_dump_entries(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct ztdns_net *zn = ztdns_pernet(sock_net(skb->sk));
	struct ztdns_dump_ctx *ctx = (void *)cb->args[0];
	struct ztdns_entry *e;
	struct nlattr *list;
	unsigned int put = 0;
	u64 now = ztdns_now();
	void *hdr;

	if (ctx->fam >= ZTDNS_FAM_MAX)
		return 0;
	cb->seq = READ_ONCE(zn->entries.generation) + ctx->resets;
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &ztdns_genl_family, NLM_F_MULTI, ZTDNS_CMD_GET_ENTRIES);
	if (!hdr)
		return -EMSGSIZE;
	genl_dump_check_consistent(cb, hdr);
	list = nla_nest_start(skb, ZTDNS_A_ENTRIES);
	if (!list)
		goto cancel;

	while (ctx->fam < ZTDNS_FAM_MAX) {
		ztdns_entries_walk_start(&ctx->it, &ctx->resets);
		while ((e = ztdns_entries_walk_peek(&ctx->it, &ctx->resets))) {
			if (ztdns_put_entry(skb, ctx->fam, e, now))
				break;
			put++;
			rhashtable_walk_next(&ctx->it);
		}
		rhashtable_walk_stop(&ctx->it);
		if (e)		/* the message is full */
			break;
		rhashtable_walk_exit(&ctx->it);
		if (++ctx->fam < ZTDNS_FAM_MAX)
			rhashtable_walk_enter(&zn->entries.ht[ctx->fam], &ctx->it);
	}
	if (!put)
		goto cancel;
	nla_nest_end(skb, list);
	genlmsg_end(skb, hdr);
	return skb->len;

cancel:
	genlmsg_cancel(skb, hdr);
	/* Nothing fitted although the walk goes on: an entry too large. */
	return ctx->fam < ZTDNS_FAM_MAX ? -EMSGSIZE : 0;
}

static int ztdns_nl_subnet(struct genl_info *info, union ztdns_addr *addr,
			   u8 *fam, u8 *cidr)
{
	struct nlattr *tb[ZTDNS_SUBNET_A_MAX + 1];
	union ztdns_addr masked;
	unsigned int bits;
	int ret;

	if (!info->attrs[ZTDNS_A_SUBNET]) {
		NL_SET_ERR_MSG(info->extack, "no subnet given");
		return -EINVAL;
	}
	ret = nla_parse_nested(tb, ZTDNS_SUBNET_A_MAX, info->attrs[ZTDNS_A_SUBNET],
			       ztdns_subnet_policy, info->extack);
	if (ret)
		return ret;
	ret = ztdns_nl_addr(tb[ZTDNS_SUBNET_A_FAMILY], tb[ZTDNS_SUBNET_A_ADDR],
			    addr, fam, info->extack);
	if (ret)
		return ret;
	bits = *fam == ZTDNS_FAM_IPV4 ? 32 : 128;
	if (!tb[ZTDNS_SUBNET_A_PREFIX_LEN]) {
		NL_SET_ERR_MSG(info->extack, "subnet without prefix length");
		return -EINVAL;
	}
	*cidr = nla_get_u8(tb[ZTDNS_SUBNET_A_PREFIX_LEN]);
	if (*cidr > bits) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[ZTDNS_SUBNET_A_PREFIX_LEN],
				    "prefix length beyond the address");
		return -EINVAL;
	}
	memset(&masked, 0, sizeof(masked));
	memcpy(&masked, addr, *cidr / 8);
	if (*cidr % 8)
		masked.b[*cidr / 8] = addr->b[*cidr / 8] & (0xff << (8 - *cidr % 8));
	if (memcmp(&masked, addr, sizeof(masked))) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[ZTDNS_SUBNET_A_ADDR],
				    "host bits set after the prefix");
		return -EINVAL;
	}
	return 0;
}

/* ADD_SUBNET and DEL_SUBNET: the same request, the trie changed two ways. */
static int ztdns_nl_subnet_op(struct sk_buff *skb, struct genl_info *info)
{
	bool add = info->genlhdr->cmd == ZTDNS_CMD_ADD_SUBNET;
	struct ztdns_net *zn = ztdns_info_net(info);
	union ztdns_addr addr;
	u8 fam, cidr;
	int ret;

	ret = ztdns_nl_subnet(info, &addr, &fam, &cidr);
	if (ret)
		return ret;
	mutex_lock(&zn->lock);
	if (add)
		ret = ztdns_lpm_insert(&zn->subnets[fam], addr.b, cidr, &zn->lock);
	else
		ret = ztdns_lpm_remove(&zn->subnets[fam], addr.b, cidr, &zn->lock);
	if (!ret)
		zn->subnets_gen++;
	mutex_unlock(&zn->lock);
	if (ret == -EEXIST)
		NL_SET_ERR_MSG(info->extack, "subnet already present");
	else if (ret == -ENOENT)
		NL_SET_ERR_MSG(info->extack, "no such subnet");
	return ret;
}

/* A subnets dump walks both tries, skipping what earlier messages held. */
struct ztdns_subnet_walk {
	struct sk_buff *skb;
	struct netlink_callback *cb;
	u8 fam;
	long idx;
};

static int ztdns_dump_one_subnet(const u8 *key, u8 cidr, void *arg)
{
	struct ztdns_subnet_walk *w = arg;
	struct nlattr *nest;
	void *hdr;

	if (w->idx++ < w->cb->args[0])
		return 0;
	hdr = genlmsg_put(w->skb, NETLINK_CB(w->cb->skb).portid,
			  w->cb->nlh->nlmsg_seq, &ztdns_genl_family,
			  NLM_F_MULTI, ZTDNS_CMD_GET_SUBNETS);
	if (!hdr)
		return -EMSGSIZE;
	genl_dump_check_consistent(w->cb, hdr);
	nest = nla_nest_start(w->skb, ZTDNS_A_SUBNET);
	if (!nest ||
	    ztdns_put_addr(w->skb, ZTDNS_SUBNET_A_FAMILY, ZTDNS_SUBNET_A_ADDR,
			   w->fam, (const union ztdns_addr *)key) ||
	    nla_put_u8(w->skb, ZTDNS_SUBNET_A_PREFIX_LEN, cidr)) {
		genlmsg_cancel(w->skb, hdr);
		return -EMSGSIZE;
	}
	nla_nest_end(w->skb, nest);
	genlmsg_end(w->skb, hdr);
	w->cb->args[0] = w->idx;
	return 0;
}

static int ztdns_dump_subnets(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct ztdns_net *zn = ztdns_pernet(sock_net(skb->sk));
	struct ztdns_subnet_walk w = { .skb = skb, .cb = cb };
	int ret = 0;

	mutex_lock(&zn->lock);
	cb->seq = zn->subnets_gen;
	for (w.fam = 0; w.fam < ZTDNS_FAM_MAX && !ret; w.fam++)
		ret = ztdns_lpm_walk(&zn->subnets[w.fam], ztdns_dump_one_subnet,
				     &w, &zn->lock);
	mutex_unlock(&zn->lock);
	return skb->len;
}

static int ztdns_nl_server(struct genl_info *info, struct ztdns_server *srv)
{
	struct nlattr *tb[ZTDNS_SERVER_A_MAX + 1];
	int ret;

	if (!info->attrs[ZTDNS_A_SERVER]) {
		NL_SET_ERR_MSG(info->extack, "no server given");
		return -EINVAL;
	}
	ret = nla_parse_nested(tb, ZTDNS_SERVER_A_MAX, info->attrs[ZTDNS_A_SERVER],
			       ztdns_server_policy, info->extack);
	if (ret)
		return ret;
	memset(srv, 0, sizeof(*srv));
	ret = ztdns_nl_addr(tb[ZTDNS_SERVER_A_FAMILY], tb[ZTDNS_SERVER_A_ADDR],
			    &srv->addr, &srv->fam, info->extack);
	if (ret)
		return ret;
	srv->port = tb[ZTDNS_SERVER_A_PORT] ? nla_get_u16(tb[ZTDNS_SERVER_A_PORT]) :
					       ZTDNS_DEFAULT_SERVER_PORT;
	return 0;
}

/* ADD_SERVER and DEL_SERVER: the same request, the list changed two ways. */
static int ztdns_nl_server_op(struct sk_buff *skb, struct genl_info *info)
{
	bool add = info->genlhdr->cmd == ZTDNS_CMD_ADD_SERVER;
	struct ztdns_net *zn = ztdns_info_net(info);
	struct ztdns_server srv;
	int ret;

	ret = ztdns_nl_server(info, &srv);
	if (ret)
		return ret;
	mutex_lock(&zn->lock);
	ret = add ? ztdns_add_server(zn, &srv) : ztdns_del_server(zn, &srv);
	mutex_unlock(&zn->lock);
	if (ret == -EEXIST)
		NL_SET_ERR_MSG(info->extack, "server already present");
	else if (ret == -ENOSPC)
		NL_SET_ERR_MSG(info->extack, "too many servers");
	else if (ret == -ENOENT)
		NL_SET_ERR_MSG(info->extack, "no such server");
	return ret;
}

static int ztdns_dump_servers(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct ztdns_net *zn = ztdns_pernet(sock_net(skb->sk));
	const struct ztdns_servers *ss;
	struct nlattr *nest;
	void *hdr;
	long i;

	mutex_lock(&zn->lock);
	cb->seq = zn->servers_gen;
	ss = rcu_dereference_protected(zn->servers, lockdep_is_held(&zn->lock));
	for (i = cb->args[0]; ss && i < ss->n; i++) {
		const struct ztdns_server *s = &ss->s[i];

		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &ztdns_genl_family,
				  NLM_F_MULTI, ZTDNS_CMD_GET_SERVERS);
		if (!hdr)
			break;
		genl_dump_check_consistent(cb, hdr);
		nest = nla_nest_start(skb, ZTDNS_A_SERVER);
		if (!nest ||
		    ztdns_put_addr(skb, ZTDNS_SERVER_A_FAMILY,
				   ZTDNS_SERVER_A_ADDR, s->fam, &s->addr) ||
		    nla_put_u16(skb, ZTDNS_SERVER_A_PORT, s->port)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		nla_nest_end(skb, nest);
		genlmsg_end(skb, hdr);
	}
	cb->args[0] = i;
	mutex_unlock(&zn->lock);
	return skb->len;
}

static int ztdns_nl_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	const struct ztdns_net *zn = ztdns_info_net(info);
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;
	int i;

	msg = ztdns_reply_new(info, ZTDNS_CMD_GET_STATS, &hdr);
	if (!msg)
		return -ENOMEM;
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

/**
 * ztdns_nl_event_wanted() - whether the "events" group has listeners
 * @zn: the namespace
 *
 * Return: true if an event of @zn would reach someone.
 */
bool ztdns_nl_event_wanted(struct ztdns_net *zn)
{
	return READ_ONCE(ztdns_genl_up) &&
	       genl_has_listeners(&ztdns_genl_family, zn->net, 0);
}

/* The exact size of an event's message. */
static size_t ztdns_event_size(const struct ztdns_event *ev)
{
	size_t alen = ev->pkt->fam == ZTDNS_FAM_IPV4 ? 4 : 16;

	return nla_total_size(0) +			/* ZTDNS_A_EVENT */
	       nla_total_size(sizeof(u8)) +		/* VERDICT */
	       nla_total_size(sizeof(u16)) +		/* FAMILY */
	       2 * nla_total_size(alen) +		/* SADDR, DADDR */
	       nla_total_size(sizeof(u8)) +		/* PROTO */
	       2 * nla_total_size(sizeof(u16)) +	/* SPORT, DPORT */
	       nla_total_size(sizeof(u32)) +		/* UID */
	       nla_total_size(sizeof(u32)) +		/* PID */
	       nla_total_size(strnlen(ev->comm, TASK_COMM_LEN - 1) + 1);
}

/**
 * ztdns_nl_event() - tell the "events" group of a verdict
 * @zn: the namespace the packet left from
 * @ev: what happened, with its owner filled in
 *
 * At most events_per_sec per namespace; what the limit or memory
 * holds back is counted in ZTDNS_STATS_A_EVENTS_DROPPED.  The group is
 * for CAP_NET_ADMIN only: events name other users' processes and peers.
 *
 * Context: any (the packet path).
 */
void ztdns_nl_event(struct ztdns_net *zn, const struct ztdns_event *ev)
{
	const struct ztdns_pkt *p = ev->pkt;
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;

	/* The parameter may have changed; a racy write of a bound is benign. */
	if (unlikely(READ_ONCE(zn->event_rs.burst) !=
		     READ_ONCE(ztdns_events_per_sec)))
		WRITE_ONCE(zn->event_rs.burst, READ_ONCE(ztdns_events_per_sec));
	if (!__ratelimit(&zn->event_rs))
		goto drop;
	msg = genlmsg_new(ztdns_event_size(ev), GFP_ATOMIC);
	if (!msg)
		goto drop;
	hdr = genlmsg_put(msg, 0, 0, &ztdns_genl_family, 0, ZTDNS_CMD_EVENT);
	if (!hdr)
		goto err;
	nest = nla_nest_start(msg, ZTDNS_A_EVENT);
	if (!nest ||
	    nla_put_u8(msg, ZTDNS_EVENT_A_VERDICT, ev->verdict) ||
	    ztdns_put_addr(msg, ZTDNS_EVENT_A_FAMILY, ZTDNS_EVENT_A_SADDR,
			   p->fam, &p->saddr) ||
	    nla_put(msg, ZTDNS_EVENT_A_DADDR, p->fam == ZTDNS_FAM_IPV4 ? 4 : 16,
		    &p->daddr) ||
	    nla_put_u8(msg, ZTDNS_EVENT_A_PROTO, p->proto) ||
	    nla_put_u16(msg, ZTDNS_EVENT_A_SPORT, p->sport) ||
	    nla_put_u16(msg, ZTDNS_EVENT_A_DPORT, p->dport) ||
	    (ev->has_uid && nla_put_u32(msg, ZTDNS_EVENT_A_UID, ev->uid)) ||
	    nla_put_u32(msg, ZTDNS_EVENT_A_PID, ev->pid) ||
	    nla_put_string(msg, ZTDNS_EVENT_A_COMM, ev->comm))
		goto err;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&ztdns_genl_family, zn->net, msg, 0, 0,
				GFP_ATOMIC);
	return;
err:
	/* The size is exact: this would be a bug. */
	WARN_ON_ONCE(1);
	nlmsg_free(msg);
drop:
	ztdns_count(zn, ZTDNS_STATS_A_EVENTS_DROPPED);
}

#define ZTDNS_DO(_cmd, _fn, _pol) {					\
	.cmd = _cmd, .doit = _fn, .policy = _pol,			\
	.maxattr = ZTDNS_A_MAX, .flags = GENL_ADMIN_PERM,		\
}

#define ZTDNS_DUMP(_cmd, _fn) {						\
	.cmd = _cmd, .dumpit = _fn, .policy = ztdns_none_policy,	\
	.maxattr = ZTDNS_A_MAX, .flags = GENL_ADMIN_PERM,		\
}

static const struct genl_ops ztdns_genl_ops[] = {
	ZTDNS_DO(ZTDNS_CMD_GET_CONFIG, ztdns_nl_get_config, ztdns_none_policy),
	ZTDNS_DO(ZTDNS_CMD_SET_CONFIG, ztdns_nl_set_config,
		 ztdns_set_config_policy),
	ZTDNS_DO(ZTDNS_CMD_ADD_ENTRIES, ztdns_nl_add_entries,
		 ztdns_add_entries_policy),
	ZTDNS_DO(ZTDNS_CMD_DEL_ENTRIES, ztdns_nl_del_entries,
		 ztdns_del_entries_policy),
	ZTDNS_DO(ZTDNS_CMD_FLUSH_ENTRIES, ztdns_nl_flush_entries,
		 ztdns_none_policy),
	{
		.cmd = ZTDNS_CMD_GET_ENTRIES,
		.start = ztdns_dump_entries_start,
		.dumpit = ztdns_dump_entries,
		.done = ztdns_dump_entries_done,
		.policy = ztdns_none_policy,
		.maxattr = ZTDNS_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	ZTDNS_DO(ZTDNS_CMD_ADD_SUBNET, ztdns_nl_subnet_op,
		 ztdns_subnet_op_policy),
	ZTDNS_DO(ZTDNS_CMD_DEL_SUBNET, ztdns_nl_subnet_op,
		 ztdns_subnet_op_policy),
	ZTDNS_DUMP(ZTDNS_CMD_GET_SUBNETS, ztdns_dump_subnets),
	ZTDNS_DO(ZTDNS_CMD_ADD_SERVER, ztdns_nl_server_op,
		 ztdns_server_op_policy),
	ZTDNS_DO(ZTDNS_CMD_DEL_SERVER, ztdns_nl_server_op,
		 ztdns_server_op_policy),
	ZTDNS_DUMP(ZTDNS_CMD_GET_SERVERS, ztdns_dump_servers),
	ZTDNS_DO(ZTDNS_CMD_GET_STATS, ztdns_nl_get_stats, ztdns_none_policy),
};

static const struct genl_multicast_group ztdns_genl_mcgrps[] = {
	{ .name = ZTDNS_GENL_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

static struct genl_family ztdns_genl_family __ro_after_init = {
	.name = ZTDNS_GENL_NAME,
	.version = ZTDNS_GENL_VERSION,
	.maxattr = ZTDNS_A_MAX,
	.netnsok = true,
	/* Every operation takes its namespace's mutex: no global lock. */
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = ztdns_genl_ops,
	.n_ops = ARRAY_SIZE(ztdns_genl_ops),
	.mcgrps = ztdns_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(ztdns_genl_mcgrps),
};

int __init ztdns_genl_init(void)
{
	int ret = genl_register_family(&ztdns_genl_family);

	if (!ret)
		WRITE_ONCE(ztdns_genl_up, true);
	return ret;
}

void ztdns_genl_uninit(void)
{
	/* The hooks run under RCU: none sends an event after this. */
	WRITE_ONCE(ztdns_genl_up, false);
	synchronize_rcu();
	genl_unregister_family(&ztdns_genl_family);
}
