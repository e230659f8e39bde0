/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small façade over libnl-genl for the ztdns family: one request, one
 * answer (or a dump), and the kernel's extack message kept for the caller;
 * or a subscription to a multicast group and the notifications it brings.
 */
#ifndef ZTDNS_NL_H
#define ZTDNS_NL_H

#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "parse.h"

struct ztnl {
	struct nl_sock *sock;
	int family;
	char errmsg[256];	/* the kernel's extack message of the last error */
};

/* Called for each reply message; return NL_OK to go on. */
typedef int (*ztnl_reply_fn)(struct nl_msg *msg, void *arg);

int ztnl_open(struct ztnl *nl);
int ztnl_resolve(struct ztnl *nl);
void ztnl_close(struct ztnl *nl);
struct nl_msg *ztnl_msg(struct ztnl *nl, unsigned char cmd, int flags);
struct nl_msg *ztnl_msg_size(struct ztnl *nl, unsigned char cmd, int flags,
			     size_t size);
int ztnl_sndbuf(struct ztnl *nl, int size);
int ztnl_send(struct ztnl *nl, struct nl_msg *msg, ztnl_reply_fn fn, void *arg);
int ztnl_subscribe(struct ztnl *nl, const char *group);
int ztnl_fd(const struct ztnl *nl);
int ztnl_recv(struct ztnl *nl, ztnl_reply_fn fn, void *arg);
const char *ztnl_strerror(const struct ztnl *nl, int err);
int ztnl_get_addr(struct nlattr *family, struct nlattr *addr,
		  struct zt_addr *a);
int ztnl_put_addr(struct nl_msg *msg, int family_attr, int addr_attr,
		  const struct zt_addr *a);

#endif /* ZTDNS_NL_H */
