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
 *   a reply in a flow the peer opened (flows.c): a listener's
 *   SYN-ACK, the accepted socket's packets, UDP back to a sender
 *                                             accept
 *   a live dynamic entry (exact address)                   accept
 *   a DHCPv4 client message (UDP 68 -> 67, BOOTREQUEST with the magic
 *   cookie) or DHCPv6 client message (UDP 546 -> 547), to broadcast,
 *   ff02::1:2, an on-link address (IPv4: in a subnet of the output
 *   device; IPv6: link-local) or a dhcp_servers address
 *                                             accept if allow_dhcp
 *   NDP (ICMPv6 133, 135, 136; hop limit 255; to multicast, link-local or
 *   on-link), MLD (130 to 132, 143; hop limit 1; to ff02::/16)
 *                                             accept if allow_ndp
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
 * A source-routed packet (IPv4 LSRR or SSRR, an IPv6 routing header with
 * segments left) goes on from its destination to addresses the policy
 * never saw: it passes no rule.
 *
 * Packets are read with skb_header_pointer(), never trusted to be linear.
 * What cannot be classified fails closed: an IP header that does not parse
 * is refused whatever its addresses, and a transport header that is cut
 * short or absent (a non-first fragment) has no ports, so it can match
 * only the address rules (subnets and entries), never DHCP or a server.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/icmpv6.h>
#include <linux/inetdevice.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netdevice.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/inet_sock.h>
#include <net/ip.h>
#include <net/ip6_fib.h>
#include <net/route.h>
#include <net/ipv6.h>
#include <net/request_sock.h>
#include <uapi/linux/ztdns.h>

#include "audit.h"
#include "flows.h"
#include "hooks.h"
#include "netns.h"
#include "params.h"

#define ZTDNS_HOOK_PRIORITY (NF_IP_PRI_RAW - 10)

/*
 * On a local link: routed without a gateway, and in a subnet of an address
 * of the output device (IPv4: or the peer of a point-to-point address): a
 * device route alone ("default dev wg0") reaches the whole internet
 * without a gateway.  (A host whose address is a /32 with its gateway on a
 * device route renews its lease by broadcast, or by unicast once
 * dhcp_servers names the server.)
 */
static noinline bool ztdns_on_link(const struct sk_buff *skb,
				   const struct ztdns_pkt *p)
{
	const struct dst_entry *dst = skb_dst(skb);
	const struct in_ifaddr *ifa;
	struct in_device *in_dev;

	if (!dst || !dst->dev)
		return false;
	if (p->fam == ZTDNS_FAM_IPV6)
		return IS_ENABLED(CONFIG_IPV6) &&
		       !(((const struct rt6_info *)dst)->rt6i_flags & RTF_GATEWAY) &&
		       ipv6_chk_prefix(&p->daddr.ip6, dst->dev);
	if (((const struct rtable *)dst)->rt_uses_gateway)
		return false;
	in_dev = __in_dev_get_rcu(dst->dev);
	if (!in_dev)
		return false;
	in_dev_for_each_ifa_rcu(ifa, in_dev)
		if (inet_ifa_match(p->daddr.ip4, ifa))
			return true;
	return false;
}

/*
 * IPv4 options: loose or strict source routing sends the packet on to
 * addresses the policy never saw, so it marks the packet; options that do
 * not parse make the packet unparsable.
 */
static noinline bool ztdns_parse_ip_options(const struct sk_buff *skb,
					    unsigned int off, u8 ihl,
					    struct ztdns_pkt *p)
{
	unsigned int len = ihl * 4 - sizeof(struct iphdr), i = 0;
	u8 _opt[MAX_IPOPTLEN];
	const u8 *opt;

	opt = skb_header_pointer(skb, off + sizeof(struct iphdr), len, _opt);
	if (!opt)
		return false;
	while (i < len) {
		if (opt[i] == IPOPT_END)
			break;
		if (opt[i] == IPOPT_NOOP) {
			i++;
			continue;
		}
		if (i + 1 >= len || opt[i + 1] < 2 || i + opt[i + 1] > len)
			return false;
		if (opt[i] == IPOPT_LSRR || opt[i] == IPOPT_SSRR)
			p->src_routed = true;
		i += opt[i + 1];
	}
	return true;
}

/*
 * An IPv6 routing header with segments left, anywhere in the chain: the
 * destination is a hop.  Headers that cannot be read count as routed
 * (fail closed).
 */
static noinline bool ztdns_ipv6_src_routed(const struct sk_buff *skb)
{
	unsigned int off = skb_network_offset(skb) + sizeof(struct ipv6hdr);
	const struct ipv6hdr *ip6h;
	struct ipv6hdr _ip6h;
	u8 nexthdr, _h[4];
	const u8 *h;
	int i;

	ip6h = skb_header_pointer(skb, skb_network_offset(skb), sizeof(_ip6h),
				  &_ip6h);
	if (!ip6h)
		return true;
	nexthdr = ip6h->nexthdr;
	for (i = 0; i < 16 && ipv6_ext_hdr(nexthdr) && nexthdr != NEXTHDR_NONE;
	     i++) {
		h = skb_header_pointer(skb, off, sizeof(_h), _h);
		if (!h)
			return true;
		if (nexthdr == NEXTHDR_ROUTING && h[3])
			return true;
		if (nexthdr == NEXTHDR_FRAGMENT) {
			/* A later fragment carries no header of the chain. */
			if (((h[2] << 8) | h[3]) & ~0x7)
				return false;
			off += 8;
		} else if (nexthdr == NEXTHDR_AUTH) {
			off += (h[1] + 2) << 2;
		} else {
			off += (h[1] + 1) << 3;
		}
		nexthdr = h[0];
	}
	/* More headers than any real packet has: refuse. */
	return i == 16;
}

/*
 * A DHCP client message: a BOOTREQUEST with the magic cookie (RFC 2131),
 * or a DHCPv6 message type that a client sends (RFC 8415).
 */
static noinline void ztdns_parse_dhcp(const struct sk_buff *skb, int thoff,
				      struct ztdns_pkt *p)
{
	int data = thoff + sizeof(struct udphdr);
	__be32 _cookie;
	const __be32 *cookie;
	const u8 *type;
	u8 _type;

	type = skb_header_pointer(skb, data, sizeof(_type), &_type);
	if (!type)
		return;
	if (p->fam == ZTDNS_FAM_IPV4) {
		cookie = skb_header_pointer(skb, data + 236, sizeof(_cookie),
					    &_cookie);
		p->dhcp_client = *type == 1 && cookie &&
				 *cookie == htonl(0x63825363);
	} else {
		switch (*type) {
		case 1:		/* SOLICIT */
		case 3:		/* REQUEST */
		case 4:		/* CONFIRM */
		case 5:		/* RENEW */
		case 6:		/* REBIND */
		case 8:		/* RELEASE */
		case 9:		/* DECLINE */
		case 11:	/* INFORMATION-REQUEST */
			p->dhcp_client = true;
		}
	}
	if (p->dhcp_client)
		p->on_link = ztdns_on_link(skb, p);
}

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
		p->hop_limit = iph->ttl;
		if (unlikely(iph->ihl > 5) &&
		    !ztdns_parse_ip_options(skb, off, iph->ihl, p))
			return false;
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
		p->hop_limit = ip6h->hop_limit;
		nexthdr = ip6h->nexthdr;
		thoff = off + sizeof(_ip6h);
		/* The common upper layers need no walk. */
		if (nexthdr != IPPROTO_TCP && nexthdr != IPPROTO_UDP &&
		    nexthdr != IPPROTO_ICMPV6) {
			p->src_routed = ztdns_ipv6_src_routed(skb);
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
		if (unlikely(p->proto == IPPROTO_UDP &&
			     p->sport == (fam == ZTDNS_FAM_IPV4 ? 68 : 546) &&
			     p->dport == (fam == ZTDNS_FAM_IPV4 ? 67 : 547)))
			ztdns_parse_dhcp(skb, thoff, p);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		type = skb_header_pointer(skb, thoff, sizeof(_type), &_type);
		if (!type)
			break;
		p->icmp_type = *type;
		p->has_icmp = true;
		if (fam == ZTDNS_FAM_IPV6 && *type >= ICMPV6_MGM_QUERY &&
		    *type <= NDISC_REDIRECT)
			p->on_link = ztdns_on_link(skb, p);
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

/*
 * A TCP Fast Open server sends its SYN-ACK from the child socket it made
 * for the SYN: in SYN_RECV, with the request still attached.
 */
static bool ztdns_tfo_child(const struct sock *sk)
{
	return sk_fullsock(sk) && sk->sk_protocol == IPPROTO_TCP &&
	       sk->sk_type == SOCK_STREAM && sk->sk_state == TCP_SYN_RECV &&
	       rcu_access_pointer(tcp_sk(sk)->fastopen_rsk);
}

/*
 * Only the kernel sends a SYN-ACK from a request socket (a listener's, for
 * a SYN it received), from none (a SYN cookie) or from a Fast Open child;
 * a SYN-ACK of another full socket is a simultaneous open, which an
 * outbound connect() may cause.  A reply of an accepted TCP connection
 * comes from a full socket and carries no SYN.  See flows.c.
 */
static __always_inline bool ztdns_maybe_reply(const struct ztdns_pkt *p,
					      const struct sock *sk)
{
	if (!p->has_ports)
		return false;
	if (p->proto == IPPROTO_UDP)
		return true;
	if (p->proto != IPPROTO_TCP)
		return false;
	if ((p->tcp_flags & (TCPHDR_SYN | TCPHDR_ACK)) ==
	    (TCPHDR_SYN | TCPHDR_ACK))
		return !sk || sk->sk_state == TCP_NEW_SYN_RECV ||
		       ztdns_tfo_child(sk);
	/*
	 * A TCP socket, or the kernel's own (resets and time-wait ACKs), not
	 * a raw socket crafting TCP.
	 */
	return !(p->tcp_flags & TCPHDR_SYN) && sk && sk_fullsock(sk) &&
	       (sk->sk_type == SOCK_STREAM || sk->sk_kern_sock) &&
	       sk->sk_state != TCP_SYN_RECV;
}

/* A flow, local end first: the packet's source (out) or destination. */
static void ztdns_flow_key(const struct ztdns_pkt *p, bool out,
			   struct ztdns_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	k->laddr = out ? p->saddr : p->daddr;
	k->raddr = out ? p->daddr : p->saddr;
	k->lport = htons(out ? p->sport : p->dport);
	k->rport = htons(out ? p->dport : p->sport);
	k->fam = p->fam;
	k->proto = p->proto;
}

static noinline bool ztdns_is_reply(struct ztdns_net *zn,
				    const struct ztdns_pkt *p, u64 now)
{
	enum ztdns_flow_pkt what = ZTDNS_FLOW_DATA;
	struct ztdns_flow_key k;

	if (!atomic_read(&zn->flows.count))
		return false;
	if (p->proto == IPPROTO_TCP && (p->tcp_flags & TCPHDR_SYN))
		what = ZTDNS_FLOW_SYNACK;
	else if (p->proto == IPPROTO_TCP &&
		 (p->tcp_flags & (TCPHDR_FIN | TCPHDR_RST)))
		what = ZTDNS_FLOW_CLOSE;
	ztdns_flow_key(p, true, &k);
	return ztdns_flows_reply(&zn->flows, &k, now, what);
}

/*
 * Where a DHCP client message may go: broadcast or an on-link address (a
 * server or relay on the link, a unicast renew); for DHCPv6,
 * All_DHCP_Relay_Agents_and_Servers or a link-local address (a device
 * route or an IPsec policy can make any IPv6 address look on-link); or a
 * server the administrator named in dhcp_servers (a relayed network's
 * renew).
 */
static bool ztdns_dhcp_dest(const struct ztdns_pkt *p)
{
	static const struct in6_addr all_servers = {
		.s6_addr = { 0xff, 0x02, [13] = 0x01, [15] = 0x02 },
	};

	if (p->fam == ZTDNS_FAM_IPV4 ?
	    p->daddr.ip4 == htonl(INADDR_BROADCAST) || p->on_link :
	    ipv6_addr_equal(&p->daddr.ip6, &all_servers) ||
	    ipv6_addr_type(&p->daddr.ip6) & IPV6_ADDR_LINKLOCAL)
		return true;
	return ztdns_params_dhcp_server(p->fam, &p->daddr);
}

/*
 * What joining a network needs of ICMPv6: router and neighbour
 * solicitations and neighbour advertisements (not advertisements of a
 * router, nor redirects) with hop limit 255, to a link-scope multicast,
 * link-local or on-link address, so never beyond the link; and MLD reports (and
 * queries) with hop limit 1 to link-scope multicast.
 */
static bool ztdns_is_ndp(const struct ztdns_pkt *p)
{
	const struct in6_addr *d = &p->daddr.ip6;

	switch (p->icmp_type) {
	case NDISC_ROUTER_SOLICITATION:
	case NDISC_NEIGHBOUR_SOLICITATION:
	case NDISC_NEIGHBOUR_ADVERTISEMENT:
		return p->hop_limit == 255 &&
		       ((ipv6_addr_is_multicast(d) &&
			 IPV6_ADDR_MC_SCOPE(d) == IPV6_ADDR_SCOPE_LINKLOCAL) ||
			ipv6_addr_type(d) & IPV6_ADDR_LINKLOCAL || p->on_link);
	case ICMPV6_MGM_QUERY:
	case ICMPV6_MGM_REPORT:
	case ICMPV6_MGM_REDUCTION:
	case ICMPV6_MLD2_REPORT:
		return p->hop_limit == 1 && ipv6_addr_is_multicast(d) &&
		       IPV6_ADDR_MC_SCOPE(d) == IPV6_ADDR_SCOPE_LINKLOCAL;
	}
	return false;
}

/**
 * ztdns_decide() - the rule that passes a packet, if any
 * @zn: the namespace (its mode is not off)
 * @p: the packet, parsed
 * @sk: the packet's socket (skb->sk), or NULL
 * @out_loopback: the output device is a loopback device
 * @now: the time to judge the entries and flows by (ns), or 0 to read
 *	 the clock, which is then read only for a packet past loopback
 *
 * Context: under rcu_read_lock().
 * Return: the enum ztdns_rule that passes it, or ZTDNS_RULE_NONE.
 */
static __always_inline enum ztdns_rule
ztdns_decide(struct ztdns_net *zn, const struct ztdns_pkt *p,
	     const struct sock *sk, bool out_loopback, u64 now)
{
	const struct ztdns_config *cfg = zn->cfg;
	bool reply;

	if (out_loopback || ztdns_is_loopback(p))
		return ZTDNS_RULE_LOOPBACK;
	if (!now)
		now = ztdns_now();
	/* Before the entries: an accepted flow's packets renew it. */
	reply = ztdns_maybe_reply(p, sk);
	if (reply && ztdns_is_reply(zn, p, now))
		return ZTDNS_RULE_INBOUND;
	/* The common case next: one hash lookup, whatever the packet. */
	if (ztdns_entries_hit(&zn->entries, p->fam, &p->daddr, now,
			      (u64)READ_ONCE(cfg->grace) * NSEC_PER_SEC))
		return ZTDNS_RULE_ENTRY;
	if (p->dhcp_client && READ_ONCE(cfg->allow_dhcp) && ztdns_dhcp_dest(p))
		return ZTDNS_RULE_DHCP;
	if (p->has_icmp && p->fam == ZTDNS_FAM_IPV6 &&
	    READ_ONCE(cfg->allow_ndp) && ztdns_is_ndp(p))
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
	} else if (unlikely(p.src_routed)) {
		/* Its destination is only the first hop: never judged by it. */
		rule = ZTDNS_RULE_NONE;
	} else {
		rule = ztdns_decide(zn, &p, skb->sk, state->out &&
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

/*
 * LOCAL_IN: note each TCP SYN and UDP datagram that a network device
 * delivered to this host alone (no broadcast), so that its replies may
 * leave, and a peer's FIN or RST, which ends that (flows.c).  Not what
 * came over loopback: a local process may have forged its source
 * (IP_FREEBIND).  It never refuses anything.
 */
static unsigned int ztdns_hook_in(void *priv, struct sk_buff *skb,
				  const struct nf_hook_state *state, int fam)
{
	struct ztdns_net *zn = priv;
	struct ztdns_flow_key k;
	struct ztdns_pkt p;

	if (READ_ONCE(zn->cfg->mode) == ZTDNS_MODE_OFF ||
	    !state->in || (state->in->flags & IFF_LOOPBACK) ||
	    skb->pkt_type != PACKET_HOST)
		return NF_ACCEPT;
	if (!ztdns_parse(skb, fam, &p) || !p.has_ports ||
	    (p.proto != IPPROTO_UDP && p.proto != IPPROTO_TCP))
		return NF_ACCEPT;
	ztdns_flow_key(&p, false, &k);
	if (p.proto == IPPROTO_UDP ||
	    (p.tcp_flags & (TCPHDR_SYN | TCPHDR_ACK)) == TCPHDR_SYN)
		ztdns_flows_note(&zn->flows, &k, ztdns_now());
	else if (p.tcp_flags & (TCPHDR_FIN | TCPHDR_RST) &&
		 atomic_read(&zn->flows.count))
		ztdns_flows_peer_close(&zn->flows, &k, ztdns_now());
	return NF_ACCEPT;
}

static unsigned int ztdns_hook_in4(void *priv, struct sk_buff *skb,
				   const struct nf_hook_state *state)
{
	return ztdns_hook_in(priv, skb, state, ZTDNS_FAM_IPV4);
}

static unsigned int ztdns_hook_in6(void *priv, struct sk_buff *skb,
				   const struct nf_hook_state *state)
{
	return ztdns_hook_in(priv, skb, state, ZTDNS_FAM_IPV6);
}

/**
 * ztdns_hooks_register() - register the hooks of a namespace
 * @zn: the namespace's state; must outlive the registration
 *
 * LOCAL_OUT decides, IPv4 and IPv6; LOCAL_IN notes inbound SYNs and UDP,
 * last of all, so that what another hook drops is not noted.
 *
 * Return: 0 or a negative errno.
 */
int ztdns_hooks_register(struct ztdns_net *zn)
{
	static const struct {
		nf_hookfn *fn;
		u8 pf;
		u8 hooknum;
		int priority;
	} h[] = {
		{ ztdns_hook4, NFPROTO_IPV4, NF_INET_LOCAL_OUT, ZTDNS_HOOK_PRIORITY },
		{ ztdns_hook6, NFPROTO_IPV6, NF_INET_LOCAL_OUT, ZTDNS_HOOK_PRIORITY },
		{ ztdns_hook_in4, NFPROTO_IPV4, NF_INET_LOCAL_IN, NF_IP_PRI_LAST - 1 },
		{ ztdns_hook_in6, NFPROTO_IPV6, NF_INET_LOCAL_IN, NF_IP6_PRI_LAST - 1 },
	};
	int i;

	BUILD_BUG_ON(ARRAY_SIZE(h) != ARRAY_SIZE(zn->hook_ops));
	for (i = 0; i < ARRAY_SIZE(h); i++) {
		zn->hook_ops[i] = (struct nf_hook_ops) {
			.hook = h[i].fn,
			.priv = zn,
			.pf = h[i].pf,
			.hooknum = h[i].hooknum,
			.priority = h[i].priority,
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
