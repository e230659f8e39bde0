// SPDX-License-Identifier: GPL-2.0
/*
 * The LOCAL_OUT hooks and the decision they make for each packet.  They run
 * before raw and conntrack, so a refused packet never creates conntrack
 * state, and they see the destination the application chose, before any
 * DNAT.
 *
 * The decision, in this order:
 *   mode off                                  accept, unseen
 *   loopback destination or output device     accept
 *   a live dynamic entry (exact address)                   accept
 *   DHCPv4 client (UDP 68 -> 67), DHCPv6 client (UDP 546 -> 547)
 *                                             accept if allow_dhcp
 *   NDP (ICMPv6 types 133 to 137)             accept if allow_ndp
 *   a protective DNS server (address, port; TCP or UDP)    accept
 *   an exception subnet (longest-prefix match)             accept
 *   anything else                             audit: log, accept
 *                                             enforce: log, drop
 * Every rule accepts, so the order decides only which rule a log line of
 * log=all names for a packet that two rules pass; it puts the common
 * cases first: loopback, then the entries, which most packets hit.
 *
 * A dropped packet fails its sendmsg() with EPERM, but TCP ignores that
 * error on a SYN and would retry until connect() timed out, so a refused
 * SYN is dropped with ECONNREFUSED: connect() fails at once.
 *
 * Packets are read with skb_header_pointer(), never trusted to be linear.
 * What cannot be classified fails closed: an IP header that does not parse
 * is refused whatever its addresses, and a transport header that is cut
 * short or absent (a non-first fragment) has no ports, so it can match
 * only the address rules (subnets and entries), never DHCP or a server.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netdevice.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/ipv6.h>
#include <uapi/linux/ztdns.h>

#include "audit.h"
#include "hooks.h"
#include "netns.h"

#define ZTDNS_HOOK_PRIORITY (NF_IP_PRI_RAW - 10)

/**
 * ztdns_parse() - classify an outbound packet
 * @skb: the packet, network header set
 * @fam: ZTDNS_FAM_IPV4 or ZTDNS_FAM_IPV6
 * @p: filled in
 *
 * Inlined into the hook, as ztdns_decide() is: on the packet path every
 * call and return counts.
 *
 * Return: true, or false for an IP header that does not parse (then only
 * @p->fam is set).
 */
static __always_inline bool ztdns_parse(const struct sk_buff *skb, int fam,
					struct ztdns_pkt *p)
{
	unsigned int off = skb_network_offset(skb);
	const struct tcphdr *tcph;
	struct tcphdr _tcph;
	__be16 _ports[2];
	const __be16 *ports;
	u8 _type;
	const u8 *type;
	int thoff;

	memset(p, 0, sizeof(*p));
	p->fam = fam;
	if (fam == ZTDNS_FAM_IPV4) {
		const struct iphdr *iph;
		struct iphdr _iph;

		iph = skb_header_pointer(skb, off, sizeof(_iph), &_iph);
		if (!iph || iph->version != 4 || iph->ihl < 5)
			return false;
		p->saddr.ip4 = iph->saddr;
		p->daddr.ip4 = iph->daddr;
		p->proto = iph->protocol;
		if (iph->frag_off & htons(IP_OFFSET))
			return true;	/* no transport header */
		thoff = off + iph->ihl * 4;
	} else {
		const struct ipv6hdr *ip6h;
		struct ipv6hdr _ip6h;
		__be16 frag_off = 0;
		u8 nexthdr;

		ip6h = skb_header_pointer(skb, off, sizeof(_ip6h), &_ip6h);
		if (!ip6h || ip6h->version != 6)
			return false;
		p->saddr.ip6 = ip6h->saddr;
		p->daddr.ip6 = ip6h->daddr;
		nexthdr = ip6h->nexthdr;
		thoff = off + sizeof(_ip6h);
		/* The common upper layers need no walk. */
		if (nexthdr != IPPROTO_TCP && nexthdr != IPPROTO_UDP &&
		    nexthdr != IPPROTO_ICMPV6) {
			thoff = ipv6_skip_exthdr(skb, thoff, &nexthdr, &frag_off);
			if (thoff < 0)
				return true;	/* extension headers cut short */
		}
		p->proto = nexthdr;
		if (frag_off & htons(IP6_OFFSET)) {
			/* Stopped at a non-first fragment: its next header. */
			type = skb_header_pointer(skb, thoff, sizeof(_type), &_type);
			if (type)
				p->proto = *type;
			return true;
		}
	}

	switch (p->proto) {
	case IPPROTO_TCP:
		tcph = skb_header_pointer(skb, thoff, sizeof(_tcph), &_tcph);
		if (!tcph)
			break;
		p->sport = ntohs(tcph->source);
		p->dport = ntohs(tcph->dest);
		p->tcp_flags = tcp_flag_byte(tcph);
		p->has_ports = true;
		break;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
		ports = skb_header_pointer(skb, thoff, sizeof(_ports), _ports);
		if (!ports)
			break;
		p->sport = ntohs(ports[0]);
		p->dport = ntohs(ports[1]);
		p->has_ports = true;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		type = skb_header_pointer(skb, thoff, sizeof(_type), &_type);
		if (!type)
			break;
		p->icmp_type = *type;
		p->has_icmp = true;
		break;
	}
	return true;
}

static __always_inline bool ztdns_is_server(const struct ztdns_net *zn,
					    const struct ztdns_pkt *p)
{
	const struct ztdns_servers *ss;
	const struct ztdns_server *s;
	unsigned int i;

	if (!p->has_ports ||
	    (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP))
		return false;
	ss = rcu_dereference(zn->servers);
	for (i = 0; ss && i < ss->n; i++) {
		s = &ss->s[i];
		if (s->fam != p->fam || s->port != p->dport)
			continue;
		if (p->fam == ZTDNS_FAM_IPV4 ? s->addr.ip4 == p->daddr.ip4 :
		    ipv6_addr_equal(&s->addr.ip6, &p->daddr.ip6))
			return true;
	}
	return false;
}

static bool ztdns_is_loopback(const struct ztdns_pkt *p)
{
	if (p->fam == ZTDNS_FAM_IPV4)
		return ipv4_is_loopback(p->daddr.ip4);
	return ipv6_addr_loopback(&p->daddr.ip6);
}

/**
 * ztdns_decide() - the rule that passes a packet, if any
 * @zn: the namespace (its mode is not off)
 * @p: the packet, parsed
 * @out_loopback: the output device is a loopback device
 * @now: the time to judge the entries by (ns), or 0 to read the clock,
 *	 which is then read only for a packet that reaches the entries
 *
 * Context: under rcu_read_lock().
 * Return: the enum ztdns_rule that passes it, or ZTDNS_RULE_NONE.
 */
static __always_inline enum ztdns_rule
ztdns_decide(struct ztdns_net *zn, const struct ztdns_pkt *p,
	     bool out_loopback, u64 now)
{
	const struct ztdns_config *cfg = zn->cfg;

	if (out_loopback || ztdns_is_loopback(p))
		return ZTDNS_RULE_LOOPBACK;
	/* The common case next: one hash lookup, whatever the packet. */
	if (ztdns_entries_hit(&zn->entries, p->fam, &p->daddr,
			      now ?: ztdns_now(),
			      (u64)READ_ONCE(cfg->grace) * NSEC_PER_SEC))
		return ZTDNS_RULE_ENTRY;
	if (READ_ONCE(cfg->allow_dhcp) && p->has_ports &&
	    p->proto == IPPROTO_UDP &&
	    ((p->fam == ZTDNS_FAM_IPV4 && p->sport == 68 && p->dport == 67) ||
	     (p->fam == ZTDNS_FAM_IPV6 && p->sport == 546 && p->dport == 547)))
		return ZTDNS_RULE_DHCP;
	if (READ_ONCE(cfg->allow_ndp) && p->fam == ZTDNS_FAM_IPV6 &&
	    p->has_icmp && p->proto == IPPROTO_ICMPV6 &&
	    p->icmp_type >= NDISC_ROUTER_SOLICITATION &&
	    p->icmp_type <= NDISC_REDIRECT)
		return ZTDNS_RULE_NDP;
	if (ztdns_is_server(zn, p))
		return ZTDNS_RULE_SERVER;
	if (rcu_access_pointer(zn->subnets[p->fam].root) &&
	    ztdns_lpm_lookup(&zn->subnets[p->fam], p->daddr.b) >= 0)
		return ZTDNS_RULE_SUBNET;
	return ZTDNS_RULE_NONE;
}

/* The verdict on a packet of a namespace whose mode is not off. */
static __always_inline unsigned int ztdns_judge(struct ztdns_net *zn,
						struct sk_buff *skb,
						const struct nf_hook_state *state,
						int fam, u8 mode)
{
	struct ztdns_pkt p;
	enum ztdns_rule rule;

	/* No count of packets: it is PERMITTED + AUDITED + BLOCKED. */
	if (!ztdns_parse(skb, fam, &p)) {
		ztdns_count(zn, ZTDNS_STATS_A_MALFORMED);
		rule = ZTDNS_RULE_NONE;
	} else {
		rule = ztdns_decide(zn, &p, state->out &&
				    (state->out->flags & IFF_LOOPBACK), 0);
	}
	if (rule != ZTDNS_RULE_NONE) {
		ztdns_count(zn, ZTDNS_STATS_A_PERMITTED);
		if (rule != ZTDNS_RULE_LOOPBACK &&
		    READ_ONCE(zn->cfg->log) >= ZTDNS_LOG_ALL)
			ztdns_audit(zn, &p, ZTDNS_VERDICT_PERMIT, skb);
		return NF_ACCEPT;
	}
	if (mode == ZTDNS_MODE_AUDIT) {
		ztdns_count(zn, ZTDNS_STATS_A_AUDITED);
		ztdns_audit(zn, &p, ZTDNS_VERDICT_AUDIT, skb);
		return NF_ACCEPT;
	}
	ztdns_count(zn, ZTDNS_STATS_A_BLOCKED);
	ztdns_audit(zn, &p, ZTDNS_VERDICT_BLOCK, skb);
	/*
	 * TCP ignores every error of its SYN but this one, so a connect()
	 * would hang until it times out; refuse it at once instead.  Other
	 * packets fail their sendmsg() with EPERM.
	 */
	if (p.proto == IPPROTO_TCP && p.has_ports &&
	    (p.tcp_flags & (TCPHDR_SYN | TCPHDR_ACK)) == TCPHDR_SYN)
		return NF_DROP_ERR(-ECONNREFUSED);
	return NF_DROP;
}

/*
 * The hook, compiled once per family so that @fam is a constant.  Mode off
 * returns before the packet's state is even declared: a stack variable is
 * zeroed where it comes into scope (CONFIG_INIT_STACK_ALL_ZERO).
 */
static __always_inline unsigned int ztdns_hook(void *priv, struct sk_buff *skb,
					       const struct nf_hook_state *state,
					       int fam)
{
	struct ztdns_net *zn = priv;
	u8 mode = READ_ONCE(zn->cfg->mode);

	if (mode == ZTDNS_MODE_OFF)
		return NF_ACCEPT;
	return ztdns_judge(zn, skb, state, fam, mode);
}

static unsigned int ztdns_hook4(void *priv, struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	return ztdns_hook(priv, skb, state, ZTDNS_FAM_IPV4);
}

static unsigned int ztdns_hook6(void *priv, struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	return ztdns_hook(priv, skb, state, ZTDNS_FAM_IPV6);
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
			.hook = pfs[i] == NFPROTO_IPV4 ? ztdns_hook4 :
							 ztdns_hook6,
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

#if IS_ENABLED(CONFIG_ZTDNS_KUNIT_TEST)
#include "tests/hooks_test.c"
#endif
