/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ZTDNS_ENTRIES_H
#define _ZTDNS_ENTRIES_H

#include <linux/in6.h>
#include <linux/mutex.h>
#include <linux/rhashtable.h>
#include <linux/types.h>

enum {
	ZTDNS_FAM_IPV4,
	ZTDNS_FAM_IPV6,
	ZTDNS_FAM_MAX
};

union ztdns_addr {
	__be32 ip4;
	struct in6_addr ip6;
	u8 b[16];
};

struct ztdns_entry {
	struct rhash_head node;
	u64 expires;		/* ns, coarse boot time */
	u64 last_use;		/* ns; 0: no packet yet */
	union ztdns_addr addr;	/* the key: 4 or 16 bytes */
	struct rcu_head rcu;
};

/* The dynamic entries of one namespace; writers hold its mutex. */
struct ztdns_entries {
	struct rhashtable ht[ZTDNS_FAM_MAX];
	unsigned int count;	/* READ_ONCE() outside the mutex */
	u32 generation;		/* bumped by every change, for dumps */
};

/* One address of a batch. */
struct ztdns_entry_req {
	union ztdns_addr addr;
	u32 ttl;		/* seconds, clamped */
	u8 fam;			/* ZTDNS_FAM_* */
};

bool ztdns_entry_live(const struct ztdns_entry *e, u64 now, u64 grace);
bool ztdns_entries_hit(struct ztdns_entries *es, int fam, const void *addr,
		       u64 now, u64 grace);
int ztdns_entries_init(struct ztdns_entries *es);
void ztdns_entries_destroy(struct ztdns_entries *es);
int ztdns_entries_add(struct ztdns_entries *es,
		      const struct ztdns_entry_req *reqs, unsigned int n,
		      unsigned int max, u64 now, u64 grace, struct mutex *lock);
int ztdns_entries_del(struct ztdns_entries *es,
		      const struct ztdns_entry_req *reqs, unsigned int n,
		      unsigned int *bad, struct mutex *lock);
unsigned int ztdns_entries_reap(struct ztdns_entries *es, u64 now, u64 grace, struct mutex *lock);
unsigned int ztdns_entries_flush(struct ztdns_entries *es, struct mutex *lock);
unsigned int ztdns_entry_size(void);

int ztdns_entries_module_init(void);
void ztdns_entries_module_uninit(void);

#endif /* _ZTDNS_ENTRIES_H */
