/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ZTDNS_ENTRIES_H
#define _ZTDNS_ENTRIES_H

#include <linux/in6.h>
#include <linux/jhash.h>
#include <linux/mutex.h>
#include <linux/rhashtable.h>
#include <linux/types.h>
#include <net/ipv6.h>

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
	u64 last_use;		/* ns; ZTDNS_UNUSED | added: no packet yet */
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

/*
 * In last_use: no packet yet; the rest is when the address was last added,
 * the order in which unused entries are evicted.  The first hit replaces
 * it: now - last_use is then at least 2^63, well past ZTDNS_TOUCH_NS.
 */
#define ZTDNS_UNUSED BIT_ULL(63)

/* Minimum interval between two writes of an entry's last_use. */
#define ZTDNS_TOUCH_NS (NSEC_PER_SEC / 4)

/*
 * The tables hash with jhash and a per-table random seed (the resolver's
 * answers are not trusted to be spread well); the functions are the
 * family's, so the packet path can inline them.
 */
static __always_inline u32 ztdns_hash4(const void *key, u32 len, u32 seed)
{
	return jhash_1word((__force u32)*(const __be32 *)key, seed);
}

static __always_inline u32 ztdns_hash6(const void *key, u32 len, u32 seed)
{
	return jhash2(key, sizeof(struct in6_addr) / sizeof(u32), seed);
}

/*
 * The lookup: __rhashtable_lookup() of include/linux/rhashtable.h with the
 * family's hash and compare written in.  rhashtable_lookup() itself is
 * left out of line by GCC, and then hashes through a function pointer (a
 * retpoline) and compares with memcmp() of a length read from the table;
 * this compiles to a jhash of the address, one bucket load and a chain
 * walk comparing one word (IPv4) or two (IPv6).
 */
static __always_inline struct ztdns_entry *
ztdns_entry_find(struct ztdns_entries *es, int fam, const void *key)
{
	struct rhashtable *ht = &es->ht[fam];
	struct rhash_lock_head __rcu *const *bkt;
	struct bucket_table *tbl;
	struct rhash_head *he;
	unsigned int hash;

	tbl = rht_dereference_rcu(ht->tbl, ht);
restart:
	hash = fam == ZTDNS_FAM_IPV4 ? ztdns_hash4(key, 4, tbl->hash_rnd) :
				       ztdns_hash6(key, 16, tbl->hash_rnd);
	hash = rht_bucket_index(tbl, hash);
	bkt = rht_bucket(tbl, hash);
	do {
		rht_for_each_rcu_from(he, rht_ptr_rcu(bkt), tbl, hash) {
			struct ztdns_entry *e;

			e = container_of(he, struct ztdns_entry, node);
			if (fam == ZTDNS_FAM_IPV4 ?
			    e->addr.ip4 == *(const __be32 *)key :
			    ipv6_addr_equal(&e->addr.ip6, key))
				return e;
		}
		/* An entry moved to another chain while we walked: again. */
	} while (he != RHT_NULLS_MARKER(bkt));

	/* A resize in progress: the entry may be in the new table. */
	smp_rmb();
	tbl = rht_dereference_rcu(tbl->future_tbl, ht);
	if (unlikely(tbl))
		goto restart;
	return NULL;
}

/**
 * ztdns_entry_live() - whether an entry still allows traffic
 * @e: the entry
 * @now: the current time (ns, coarse boot time)
 * @grace: the grace period (ns)
 *
 * Return: true if live.
 */
static inline bool ztdns_entry_live(const struct ztdns_entry *e, u64 now,
				    u64 grace)
{
	u64 last = READ_ONCE(e->last_use);

	return now < READ_ONCE(e->expires) ||
	       (!(last & ZTDNS_UNUSED) && now < last + grace);
}

/**
 * ztdns_entries_hit() - look up a destination and note the use
 * @es: the entries of a namespace
 * @fam: ZTDNS_FAM_IPV4 or ZTDNS_FAM_IPV6
 * @addr: the address (4 or 16 bytes, network order)
 * @now: the current time (ns)
 * @grace: the grace period (ns)
 *
 * Inline: on the packet path every call counts.
 *
 * Context: under rcu_read_lock(); the packet path.
 * Return: true if a live entry allows @addr.
 */
static __always_inline bool ztdns_entries_hit(struct ztdns_entries *es,
					      int fam, const void *addr,
					      u64 now, u64 grace)
{
	struct ztdns_entry *e;

	/* Two copies of the lookup, each with its family constant. */
	if (fam == ZTDNS_FAM_IPV4)
		e = ztdns_entry_find(es, ZTDNS_FAM_IPV4, addr);
	else
		e = ztdns_entry_find(es, ZTDNS_FAM_IPV6, addr);
	if (!e || !ztdns_entry_live(e, now, grace))
		return false;
	if (now - READ_ONCE(e->last_use) >= ZTDNS_TOUCH_NS)
		WRITE_ONCE(e->last_use, now);
	return true;
}

int ztdns_entries_init(struct ztdns_entries *es);
void ztdns_entries_destroy(struct ztdns_entries *es);
int ztdns_entries_add(struct ztdns_entries *es,
		      const struct ztdns_entry_req *reqs, unsigned int n,
		      unsigned int max, u64 now, u64 grace, struct mutex *lock,
		      unsigned int *evicted);
int ztdns_entries_del(struct ztdns_entries *es,
		      const struct ztdns_entry_req *reqs, unsigned int n,
		      unsigned int *bad, struct mutex *lock);
unsigned int ztdns_entries_reap(struct ztdns_entries *es, u64 now,
				u64 grace, struct mutex *lock);
unsigned int ztdns_entries_flush(struct ztdns_entries *es, struct mutex *lock);
void ztdns_entries_walk_start(struct rhashtable_iter *it, u32 *restarts);
struct ztdns_entry *ztdns_entries_walk_peek(struct rhashtable_iter *it,
					    u32 *restarts);
unsigned int ztdns_entry_size(void);

int ztdns_entries_module_init(void);
void ztdns_entries_module_uninit(void);

#endif /* _ZTDNS_ENTRIES_H */
