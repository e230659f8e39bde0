/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ZTDNS_NETLINK_H
#define _ZTDNS_NETLINK_H

#include <linux/sched.h>
#include <net/net_namespace.h>

struct ztdns_pkt;

/* A verdict worth telling the "events" group. */
struct ztdns_event {
	const struct ztdns_pkt *pkt;
	u8 verdict;		/* enum ztdns_verdict */
	u32 uid;
	pid_t pid;
	char comm[TASK_COMM_LEN];
};

void ztdns_nl_event(struct net *net, const struct ztdns_event *ev);
int ztdns_genl_init(void);
void ztdns_genl_uninit(void);

#endif /* _ZTDNS_NETLINK_H */
