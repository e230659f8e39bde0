/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ZTDNS_PARAMS_H
#define _ZTDNS_PARAMS_H

#include <linux/types.h>
#include <uapi/linux/ztdns.h>

#include "entries.h"

/*
 * The policy knobs of one network namespace.  The initial namespace's are
 * the module parameters themselves, so that /sys/module/ztdns/parameters/
 * and netlink show and change the same values.  Readers on the packet path
 * use READ_ONCE(); writers use WRITE_ONCE().
 */
struct ztdns_config {
	u8 mode;		/* enum ztdns_mode */
	u8 log;			/* enum ztdns_log_level */
	bool allow_dhcp;
	bool allow_ndp;
	u32 grace;		/* seconds */
	u32 min_ttl;		/* seconds */
	u32 max_ttl;		/* seconds */
	u32 max_entries;
};

#define ZTDNS_MAX_GRACE ZTDNS_TTL_LIMIT
#define ZTDNS_MAX_TTL ZTDNS_TTL_LIMIT

extern struct ztdns_config ztdns_params;
extern u8 ztdns_netns_mode;
extern u32 ztdns_events_per_sec;

int ztdns_mode_parse(const char *s);
const char *ztdns_mode_name(u8 mode);
int ztdns_params_apply_lists(void);
void ztdns_params_ready(bool ready);
bool ztdns_params_dhcp_server(u8 fam, const union ztdns_addr *addr);
void ztdns_params_uninit(void);

#endif /* _ZTDNS_PARAMS_H */
