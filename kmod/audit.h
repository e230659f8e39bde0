/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ZTDNS_AUDIT_H
#define _ZTDNS_AUDIT_H

#include <linux/skbuff.h>

struct ztdns_net;
struct ztdns_pkt;

void ztdns_audit(struct ztdns_net *zn, const struct ztdns_pkt *p, u8 verdict,
		 const struct sk_buff *skb);
void ztdns_audit_summary(struct ztdns_net *zn);

#endif /* _ZTDNS_AUDIT_H */
