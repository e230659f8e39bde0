/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ZTDNS_LPM_H
#define _ZTDNS_LPM_H

#include <linux/mutex.h>
#include <linux/types.h>

struct ztdns_lpm_node;

/* A longest-prefix-match trie of IPv4 (bits 32) or IPv6 (bits 128) keys. */
struct ztdns_lpm {
	struct ztdns_lpm_node __rcu *root;
	u8 bits;
	unsigned int count;	/* inserted prefixes; writers only */
};

void ztdns_lpm_init(struct ztdns_lpm *t, u8 bits);
int ztdns_lpm_lookup(const struct ztdns_lpm *t, const u8 *key);
int ztdns_lpm_insert(struct ztdns_lpm *t, const u8 *key, u8 cidr, struct mutex *lock);
int ztdns_lpm_remove(struct ztdns_lpm *t, const u8 *key, u8 cidr, struct mutex *lock);
int ztdns_lpm_walk(struct ztdns_lpm *t,
		   int (*fn)(const u8 *key, u8 cidr, void *arg), void *arg, struct mutex *lock);
void ztdns_lpm_free(struct ztdns_lpm *t, struct mutex *lock);
void ztdns_lpm_replace(struct ztdns_lpm *t, struct ztdns_lpm *from, struct mutex *lock);

int ztdns_lpm_module_init(void);
void ztdns_lpm_module_uninit(void);

#endif /* _ZTDNS_LPM_H */
