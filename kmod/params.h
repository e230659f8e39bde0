/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ZTDNS_PARAMS_H
#define _ZTDNS_PARAMS_H

#include <linux/types.h>

/*
 * The policy knobs of one network namespace.  The initial namespace's are
 * the module parameters themselves, so that /sys/module/ztdns/parameters/
 * and netlink show and change the same values.  Readers on the packet path
 * use READ_ONCE(); writers use WRITE_ONCE().
 */
struct ztdns_config {
	u8 mode;		/* enum ztdns_mode */
};

extern struct ztdns_config ztdns_params;
extern u8 ztdns_netns_mode;

int ztdns_mode_parse(const char *s);
const char *ztdns_mode_name(u8 mode);

#endif /* _ZTDNS_PARAMS_H */
