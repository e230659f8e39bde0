// SPDX-License-Identifier: GPL-2.0
/*
 * The audit trail: one rate-limited kernel log line per refused (or, in
 * audit mode, would-be refused) packet, and with log level 2 per permitted
 * one, e.g.
 *
 *   ztdns: block tcp 10.0.0.2:41234 -> 192.0.2.7:443 uid=1000 pid=812 comm=curl
 *
 * and the same as an event on the "events" multicast group, for whoever
 * listens (ztdnsctl monitor).  The process is the one sending when the
 * packet is sent from process context (connect(), sendto()); a packet sent
 * from softirq context (a retransmission) shows pid=0 comm=-.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/in.h>
#include <linux/sched.h>
#include <net/sock.h>
#include <uapi/linux/ztdns.h>

#include "audit.h"
#include "hooks.h"
#include "netlink.h"
#include "netns.h"

static const char *const ztdns_verdict_names[] = {
	[ZTDNS_VERDICT_BLOCK] = "block",
	[ZTDNS_VERDICT_AUDIT] = "audit",
	[ZTDNS_VERDICT_PERMIT] = "permit",
};

static const char *ztdns_proto_name(u8 proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_UDPLITE:
		return "udplite";
	}
	snprintf(buf, len, "proto-%u", proto);
	return buf;
}

/**
 * ztdns_audit() - log a verdict and send it as an event
 * @zn: the namespace
 * @p: the packet, parsed (addresses zero if it did not parse)
 * @verdict: an enum ztdns_verdict value
 * @skb: the packet, for its socket's owner
 */
void ztdns_audit(struct ztdns_net *zn, const struct ztdns_pkt *p, u8 verdict,
		 const struct sk_buff *skb)
{
	struct ztdns_event ev = { .pkt = p, .verdict = verdict };
	u8 level = READ_ONCE(zn->cfg->log);
	char pbuf[16];

	ev.uid = from_kuid_munged(&init_user_ns, sock_net_uid(zn->net, skb->sk));
	if (in_task()) {
		ev.pid = task_tgid_nr(current);
		get_task_comm(ev.comm, current);
	} else {
		strscpy(ev.comm, "-", sizeof(ev.comm));
	}
	ztdns_nl_event(zn->net, &ev);

	if (level == ZTDNS_LOG_NONE ||
	    (verdict == ZTDNS_VERDICT_PERMIT && level < ZTDNS_LOG_ALL) ||
	    !__ratelimit(&zn->log_rs))
		return;
	if (p->fam == ZTDNS_FAM_IPV4)
		pr_info("%s %s %pI4:%u -> %pI4:%u uid=%u pid=%d comm=%s\n",
			ztdns_verdict_names[verdict],
			ztdns_proto_name(p->proto, pbuf, sizeof(pbuf)),
			&p->saddr.ip4, p->sport, &p->daddr.ip4, p->dport,
			ev.uid, ev.pid, ev.comm);
	else
		pr_info("%s %s [%pI6c]:%u -> [%pI6c]:%u uid=%u pid=%d comm=%s\n",
			ztdns_verdict_names[verdict],
			ztdns_proto_name(p->proto, pbuf, sizeof(pbuf)),
			&p->saddr.ip6, p->sport, &p->daddr.ip6, p->dport,
			ev.uid, ev.pid, ev.comm);
}
