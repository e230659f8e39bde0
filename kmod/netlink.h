/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ZTDNS_NETLINK_H
#define _ZTDNS_NETLINK_H

int ztdns_genl_init(void);
void ztdns_genl_uninit(void);

#endif /* _ZTDNS_NETLINK_H */
