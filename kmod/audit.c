// SPDX-License-Identifier: GPL-2.0
/*
 * The audit trail: one rate-limited kernel log line per refused (or, in
 * audit mode, would-be refused) packet, and with log level 2 per permitted
 * one, e.g.
 *
 *   ztdns: block tcp 10.0.0.2:41234 -> 192.0.2.7:443 uid=1000 pid=812 comm=curl
 *
 * and the same as an event on the "events" multicast group, for whoever
 * listens (ztdnsctl monitor; CAP_NET_ADMIN only).  The process is the one
 * sending when the packet is sent from process context (connect(),
 * sendto()); a packet sent from softirq context (a retransmission) shows
 * pid=0 comm=-.  The uid is the owner of the packet's socket, or of the
 * listener for a SYN-ACK; a packet with no socket, or the kernel's own (a
 * reset, a time-wait ACK, an ICMP error), shows uid=-.  Lines beyond the
 * rate limit (10 per 5 s per namespace) are counted and summarised; events
 * have their own limit (netlink.c).
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

/*
 * The owner of a packet's socket, if it has a full one.  A SYN-ACK carries
 * a request socket and a time-wait ACK a time-wait one, both far smaller
 * than struct sock: sk_uid must not be read there.  A request socket's
 * listener is its owner; a packet without a socket has none.
 */
static bool ztdns_skb_uid(struct net *net, const struct sk_buff *skb, u32 *uid)
{
	const struct sock *sk = skb_to_full_sk(skb);

	/* The kernel's own sockets (resets, time-wait ACKs) have no owner. */
	if (!sk || !sk_fullsock(sk) || sk->sk_kern_sock)
		return false;
	*uid = from_kuid_munged(&init_user_ns, sock_net_uid(net, sk));
	return true;
}

/* Fill in who sent the packet: only once something will use it. */
static void ztdns_event_owner(struct ztdns_net *zn, struct ztdns_event *ev,
			      const struct sk_buff *skb)
{
	if (ev->comm[0])
		return;
	ev->has_uid = ztdns_skb_uid(zn->net, skb, &ev->uid);
	if (in_task()) {
		ev->pid = task_tgid_nr(current);
		get_task_comm(ev->comm, current);
	} else {
		strscpy(ev->comm, "-", sizeof(ev->comm));
	}
}

/**
 * ztdns_audit_summary() - log how many audit lines the rate limit held back
 * @zn: the namespace
 *
 * Called before the next line that is logged, and by the reaper, so that a
 * burst that ends is summarised too.
 */
void ztdns_audit_summary(struct ztdns_net *zn)
{
	int n = atomic_xchg(&zn->log_suppressed, 0);

	if (n)
		pr_info("%d audit lines suppressed (netns %u)\n", n,
			zn->net->ns.inum);
}

/**
 * ztdns_audit() - log a verdict and send it as an event
 * @zn: the namespace
 * @p: the packet, parsed (addresses zero if it did not parse)
 * @verdict: an enum ztdns_verdict value
 * @skb: the packet, for its socket's owner
 *
 * The owner and the command are looked up only for a line that the rate
 * limit lets through or an event that someone will receive.
 */
void ztdns_audit(struct ztdns_net *zn, const struct ztdns_pkt *p, u8 verdict,
		 const struct sk_buff *skb)
{
	struct ztdns_event ev = { .pkt = p, .verdict = verdict };
	u8 level = READ_ONCE(zn->cfg->log);
	char pbuf[16], ubuf[12];

	if (ztdns_nl_event_wanted(zn)) {
		ztdns_event_owner(zn, &ev, skb);
		ztdns_nl_event(zn, &ev);
	}

	if (level == ZTDNS_LOG_NONE ||
	    (verdict == ZTDNS_VERDICT_PERMIT && level < ZTDNS_LOG_ALL))
		return;
	if (!__ratelimit(&zn->log_rs)) {
		atomic_inc(&zn->log_suppressed);
		return;
	}
	ztdns_audit_summary(zn);
	ztdns_event_owner(zn, &ev, skb);
	if (ev.has_uid)
		snprintf(ubuf, sizeof(ubuf), "%u", ev.uid);
	else
		strscpy(ubuf, "-", sizeof(ubuf));
	if (p->fam == ZTDNS_FAM_IPV4)
		pr_info("%s %s %pI4:%u -> %pI4:%u uid=%s pid=%d comm=%s\n",
			ztdns_verdict_names[verdict],
			ztdns_proto_name(p->proto, pbuf, sizeof(pbuf)),
			&p->saddr.ip4, p->sport, &p->daddr.ip4, p->dport,
			ubuf, ev.pid, ev.comm);
	else
		pr_info("%s %s [%pI6c]:%u -> [%pI6c]:%u uid=%s pid=%d comm=%s\n",
			ztdns_verdict_names[verdict],
			ztdns_proto_name(p->proto, pbuf, sizeof(pbuf)),
			&p->saddr.ip6, p->sport, &p->daddr.ip6, p->dport,
			ubuf, ev.pid, ev.comm);
}
