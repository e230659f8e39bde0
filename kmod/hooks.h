/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ZTDNS_HOOKS_H
#define _ZTDNS_HOOKS_H

#include <linux/skbuff.h>

#include "entries.h"

struct ztdns_net;

/* What the hooks read of a packet. */
struct ztdns_pkt {
	union ztdns_addr saddr, daddr;
	u16 sport, dport;	/* host order; valid if has_ports */
	u8 fam;			/* ZTDNS_FAM_* */
	u8 proto;		/* IPPROTO_*; the upper layer for IPv6 */
	u8 icmp_type;		/* valid if has_icmp */
	u8 tcp_flags;		/* valid if has_ports and proto is TCP */
	u8 hop_limit;		/* IPv6 hop limit, IPv4 TTL */
	bool has_ports;
	bool has_icmp;
	bool src_routed;	/* LSRR/SSRR, or a routing header with segments left */
	bool dhcp_client;	/* a DHCP (v6) client message, 68->67 (546->547) */
	bool on_link;		/* routed without a gateway */
};

/* Why a packet passes. */
enum ztdns_rule {
	ZTDNS_RULE_NONE,	/* nothing: refuse (enforce) or log (audit) */
	ZTDNS_RULE_LOOPBACK,
	ZTDNS_RULE_DHCP,
	ZTDNS_RULE_NDP,		/* NDP, and MLD reports */
	ZTDNS_RULE_SERVER,
	ZTDNS_RULE_SUBNET,
	ZTDNS_RULE_ENTRY,
	ZTDNS_RULE_INBOUND,	/* a reply in a flow a peer opened */
};

int ztdns_hooks_register(struct ztdns_net *zn);
void ztdns_hooks_unregister(struct ztdns_net *zn);

#endif /* _ZTDNS_HOOKS_H */
