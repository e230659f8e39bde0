/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ZTDNS_SYSFS_H
#define _ZTDNS_SYSFS_H

int ztdns_sysfs_init(void);
void ztdns_sysfs_uninit(void);

#endif /* _ZTDNS_SYSFS_H */
