/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ZTDNS_HOOKS_H
#define _ZTDNS_HOOKS_H

struct ztdns_net;

int ztdns_hooks_register(struct ztdns_net *zn);
void ztdns_hooks_unregister(struct ztdns_net *zn);

#endif /* _ZTDNS_HOOKS_H */
