/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ZTDNS_FLOWS_H
#define _ZTDNS_FLOWS_H

#include <linux/atomic.h>
#include <linux/rhashtable-types.h>
#include <linux/types.h>

#include "entries.h"

/* A flow seen from this host: local and remote end, protocol. */
struct ztdns_flow_key {
	union ztdns_addr laddr, raddr;
	__be16 lport, rport;
	u8 fam;			/* ZTDNS_FAM_* */
	u8 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	u8 pad[2];		/* zero: the key is hashed whole */
};

/* The flows a peer opened to this host, whose replies may leave. */
struct ztdns_flows {
	struct rhashtable ht;
	atomic_t count;
	unsigned int max;	/* ZTDNS_MAX_FLOWS; smaller in KUnit */
};

/* What a packet of a noted flow is, for its renewal. */
enum ztdns_flow_pkt {
	ZTDNS_FLOW_SYNACK,	/* a listener's SYN-ACK */
	ZTDNS_FLOW_DATA,	/* anything else of the accepted socket; UDP */
	ZTDNS_FLOW_CLOSE,	/* a FIN or RST */
};

/* At most this many flows per namespace (flows.c: when full). */
#define ZTDNS_MAX_FLOWS 65536

int ztdns_flows_init(struct ztdns_flows *fl);
void ztdns_flows_destroy(struct ztdns_flows *fl);
bool ztdns_flows_note(struct ztdns_flows *fl, const struct ztdns_flow_key *k,
		      u64 now);
bool ztdns_flows_reply(struct ztdns_flows *fl, const struct ztdns_flow_key *k,
		       u64 now, enum ztdns_flow_pkt what);
void ztdns_flows_peer_close(struct ztdns_flows *fl,
			    const struct ztdns_flow_key *k, u64 now);
unsigned int ztdns_flows_reap(struct ztdns_flows *fl, u64 now);

int ztdns_flows_module_init(void);
void ztdns_flows_module_uninit(void);

#endif /* _ZTDNS_FLOWS_H */
