/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ZTDNS_NETLINK_H
#define _ZTDNS_NETLINK_H

#include <linux/sched.h>
#include <net/net_namespace.h>

struct ztdns_net;
struct ztdns_pkt;

/* A verdict worth telling the "events" group. */
struct ztdns_event {
	const struct ztdns_pkt *pkt;
	u8 verdict;		/* enum ztdns_verdict */
	bool has_uid;		/* false: no full socket, no owner */
	u32 uid;
	pid_t pid;
	char comm[TASK_COMM_LEN];
};

bool ztdns_nl_event_wanted(struct ztdns_net *zn);
void ztdns_nl_event(struct ztdns_net *zn, const struct ztdns_event *ev);
int ztdns_genl_init(void);
void ztdns_genl_uninit(void);

#endif /* _ZTDNS_NETLINK_H */
