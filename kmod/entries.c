// SPDX-License-Identifier: GPL-2.0
/*
 * Dynamic allow entries: the exact addresses that the protective resolver
 * returned, each with an expiry.
 *
 * Theory of operation
 * -------------------
 * Entries are exact IPv4 or IPv6 addresses, up to max_entries (a million
 * by default) per namespace, looked up on every outbound packet that no
 * other rule passed.  A longest-prefix trie would spend one dependent
 * memory load per branching bit (about 20 at a million random addresses);
 * an exact address needs no prefix match, so the entries live in one
 * resizable RCU hash table per family (rhashtable): a lookup reads the
 * bucket pointer and the entry, two dependent loads at any size.  The
 * lookup is written out in entries.h so that it inlines into the hook with
 * the family's hash and compare (make bench measures it).  The exception
 * subnets, which need longest-prefix match and are few, have their trie in
 * lpm.c.
 *
 * Time is the coarse boot-time clock in nanoseconds (it counts suspend, as
 * a TTL does).  An entry is live while
 *
 *	now < max(expires, last_use + grace)
 *
 * where last_use is the time of the last packet that hit it (0: none yet).
 * A connection that keeps talking therefore outlives the TTL, and an idle
 * one is cut grace seconds after its last packet or at the TTL, whichever
 * is later.  A hit on a live entry refreshes last_use at most every
 * ZTDNS_TOUCH_NS, so a busy entry's cache line is not written per packet.
 * A hit on a dead entry does not revive it.
 *
 *	insert ttl=5                 packets                    grace=30
 *	|------ expires ------|  | | |  ...  |  (idle)  |------------------|
 *	0                     5  6 7 8      20                            50
 *	                                    last packet      dead from here
 *
 * Re-adding an address extends its expiry, never shortens it.  Writers
 * (add, delete, flush, reap) hold the namespace's mutex, which also keeps
 * the count exact for the max_entries limit; a batch add is all or
 * nothing: every change is logged and undone in reverse if a later address
 * of the batch fails.  A reaper removes dead entries every
 * ZTDNS_REAP_INTERVAL (less often for a large table; netns.c), in chunks,
 * dropping the mutex between them; an add that finds the table full reaps
 * first.  Removed entries are freed after an RCU grace period.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/socket.h>

#include "entries.h"

/* Entries examined per reaper chunk before the mutex is dropped. */
#define ZTDNS_REAP_CHUNK 4096

static struct kmem_cache *ztdns_entry_cache __ro_after_init;

static int ztdns_cmp4(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct ztdns_entry *e = obj;

	return e->addr.ip4 != *(const __be32 *)arg->key;
}

static int ztdns_cmp6(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct ztdns_entry *e = obj;

	return !ipv6_addr_equal(&e->addr.ip6, arg->key);
}

static const struct rhashtable_params ztdns_params4 = {
	.head_offset = offsetof(struct ztdns_entry, node),
	.key_offset = offsetof(struct ztdns_entry, addr),
	.key_len = sizeof(__be32),
	.hashfn = ztdns_hash4,
	.obj_cmpfn = ztdns_cmp4,
	.automatic_shrinking = true,
};

static const struct rhashtable_params ztdns_params6 = {
	.head_offset = offsetof(struct ztdns_entry, node),
	.key_offset = offsetof(struct ztdns_entry, addr),
	.key_len = sizeof(struct in6_addr),
	.hashfn = ztdns_hash6,
	.obj_cmpfn = ztdns_cmp6,
	.automatic_shrinking = true,
};

/* The lookup of the writers, out of line. */
static noinline struct ztdns_entry *
ztdns_entry_get(struct ztdns_entries *es, int fam, const void *key)
{
	if (fam == ZTDNS_FAM_IPV4)
		return ztdns_entry_find(es, ZTDNS_FAM_IPV4, key);
	return ztdns_entry_find(es, ZTDNS_FAM_IPV6, key);
}

/**
 * ztdns_entries_init() - make empty tables
 * @es: the entries of a namespace
 *
 * Return: 0 or -ENOMEM.
 */
int ztdns_entries_init(struct ztdns_entries *es)
{
	int ret;

	es->count = 0;
	es->generation = 1;
	ret = rhashtable_init(&es->ht[ZTDNS_FAM_IPV4], &ztdns_params4);
	if (ret)
		return ret;
	ret = rhashtable_init(&es->ht[ZTDNS_FAM_IPV6], &ztdns_params6);
	if (ret)
		rhashtable_destroy(&es->ht[ZTDNS_FAM_IPV4]);
	return ret;
}

static void ztdns_entry_free(void *ptr, void *arg)
{
	kmem_cache_free(ztdns_entry_cache, ptr);
}

/**
 * ztdns_entries_destroy() - free the tables and every entry
 * @es: the entries of a namespace
 *
 * Context: no reader may still see the tables (after a grace period).
 */
void ztdns_entries_destroy(struct ztdns_entries *es)
{
	rhashtable_free_and_destroy(&es->ht[ZTDNS_FAM_IPV4], ztdns_entry_free, NULL);
	rhashtable_free_and_destroy(&es->ht[ZTDNS_FAM_IPV6], ztdns_entry_free, NULL);
	es->count = 0;
}

static void ztdns_entry_free_rcu(struct rcu_head *rcu)
{
	kmem_cache_free(ztdns_entry_cache,
			container_of(rcu, struct ztdns_entry, rcu));
}

static void ztdns_entry_remove(struct ztdns_entries *es, int fam,
			       struct ztdns_entry *e)
{
	/* Cannot fail for an entry that is in the table. */
	WARN_ON(fam == ZTDNS_FAM_IPV4 ?
		rhashtable_remove_fast(&es->ht[fam], &e->node, ztdns_params4) :
		rhashtable_remove_fast(&es->ht[fam], &e->node, ztdns_params6));
	WRITE_ONCE(es->count, es->count - 1);
	call_rcu(&e->rcu, ztdns_entry_free_rcu);
}

/*
 * Remove the entries that match (all, or the dead ones).  With may_drop,
 * walk in chunks and drop the mutex between them so that netlink writers
 * get a turn.
 */
static unsigned int ztdns_entries_sweep(struct ztdns_entries *es, bool all,
					u64 now, u64 grace, bool may_drop,
					struct mutex *lock)
{
	unsigned int removed = 0, seen = 0;
	struct rhashtable_iter it;
	struct ztdns_entry *e;
	int fam;

	for (fam = 0; fam < ZTDNS_FAM_MAX; fam++) {
		rhashtable_walk_enter(&es->ht[fam], &it);
		rhashtable_walk_start(&it);
		while ((e = rhashtable_walk_next(&it))) {
			if (IS_ERR(e))	/* -EAGAIN: a resize; go on */
				continue;
			if (all || !ztdns_entry_live(e, now, grace)) {
				ztdns_entry_remove(es, fam, e);
				removed++;
			}
			if (!may_drop || ++seen % ZTDNS_REAP_CHUNK)
				continue;
			rhashtable_walk_stop(&it);
			mutex_unlock(lock);
			cond_resched();
			mutex_lock(lock);
			rhashtable_walk_start(&it);
		}
		rhashtable_walk_stop(&it);
		rhashtable_walk_exit(&it);
	}
	if (removed)
		es->generation++;
	return removed;
}

/* One change of a batch, to be undone if a later one fails. */
struct ztdns_undo {
	struct ztdns_entry *e;
	u64 old_expires;	/* U64_MAX: e was new */
	u8 fam;
};

static void ztdns_entries_undo(struct ztdns_entries *es,
			       struct ztdns_undo *undo, unsigned int n)
{
	while (n--) {
		if (undo[n].old_expires == U64_MAX)
			ztdns_entry_remove(es, undo[n].fam, undo[n].e);
		else
			WRITE_ONCE(undo[n].e->expires, undo[n].old_expires);
	}
}

/**
 * ztdns_entries_add() - add or extend a batch of entries, all or nothing
 * @es: the entries of a namespace
 * @reqs: the addresses, with their TTLs already clamped
 * @n: how many
 * @max: max_entries
 * @now: the current time (ns)
 * @grace: the grace period (ns), for reaping when full
 * @lock: the namespace's mutex, held
 *
 * Return: 0; -ENOSPC if the batch does not fit, -ENOMEM; on error nothing
 * changed.
 */
int ztdns_entries_add(struct ztdns_entries *es,
		      const struct ztdns_entry_req *reqs, unsigned int n,
		      unsigned int max, u64 now, u64 grace, struct mutex *lock)
{
	struct ztdns_undo *undo;
	bool reaped = false;
	unsigned int i;
	int ret = 0;

	lockdep_assert_held(lock);
	undo = kvmalloc_array(n, sizeof(*undo), GFP_KERNEL);
	if (!undo)
		return -ENOMEM;

	for (i = 0; i < n; i++) {
		const struct ztdns_entry_req *r = &reqs[i];
		u64 expires = now + (u64)r->ttl * NSEC_PER_SEC;
		struct ztdns_entry *e;

		rcu_read_lock();
		e = ztdns_entry_get(es, r->fam, &r->addr);
		rcu_read_unlock();
		if (e) {
			undo[i] = (struct ztdns_undo){ e, e->expires, r->fam };
			if (expires > e->expires)
				WRITE_ONCE(e->expires, expires);
			continue;
		}
		if (es->count >= max && !reaped) {
			/* Without dropping the mutex: undo holds entries. */
			ztdns_entries_sweep(es, false, now, grace, false, lock);
			reaped = true;
		}
		if (es->count >= max) {
			ret = -ENOSPC;
			break;
		}
		e = kmem_cache_zalloc(ztdns_entry_cache, GFP_KERNEL);
		if (!e) {
			ret = -ENOMEM;
			break;
		}
		memcpy(&e->addr, &r->addr, sizeof(e->addr));
		e->expires = expires;
		ret = r->fam == ZTDNS_FAM_IPV4 ?
			rhashtable_insert_fast(&es->ht[r->fam], &e->node,
					       ztdns_params4) :
			rhashtable_insert_fast(&es->ht[r->fam], &e->node,
					       ztdns_params6);
		if (ret) {
			kmem_cache_free(ztdns_entry_cache, e);
			break;
		}
		WRITE_ONCE(es->count, es->count + 1);
		undo[i] = (struct ztdns_undo){ e, U64_MAX, r->fam };
	}
	if (ret)
		ztdns_entries_undo(es, undo, i);
	else
		es->generation++;
	kvfree(undo);
	return ret;
}

/**
 * ztdns_entries_del() - delete a batch of entries, all or nothing
 * @es: the entries of a namespace
 * @reqs: the addresses (TTLs ignored)
 * @n: how many
 * @bad: set to the index of the first address without an entry
 * @lock: the namespace's mutex, held
 *
 * Return: 0, or -ENOENT (nothing deleted) with *bad set to the index of
 * the first address that has no entry.
 */
int ztdns_entries_del(struct ztdns_entries *es,
		      const struct ztdns_entry_req *reqs, unsigned int n,
		      unsigned int *bad, struct mutex *lock)
{
	struct ztdns_entry *e;
	unsigned int i;

	lockdep_assert_held(lock);
	rcu_read_lock();
	for (i = 0; i < n; i++) {
		if (!ztdns_entry_get(es, reqs[i].fam, &reqs[i].addr)) {
			rcu_read_unlock();
			*bad = i;
			return -ENOENT;
		}
	}
	rcu_read_unlock();
	for (i = 0; i < n; i++) {
		rcu_read_lock();
		e = ztdns_entry_get(es, reqs[i].fam, &reqs[i].addr);
		rcu_read_unlock();
		if (e)	/* NULL only for an address given twice */
			ztdns_entry_remove(es, reqs[i].fam, e);
	}
	es->generation++;
	return 0;
}

/**
 * ztdns_entries_reap() - remove the dead entries
 * @es: the entries of a namespace
 * @now: the current time (ns)
 * @grace: the grace period (ns)
 * @lock: the namespace's mutex, held; dropped and retaken between chunks
 *
 * Return: how many were removed.
 */
unsigned int ztdns_entries_reap(struct ztdns_entries *es, u64 now, u64 grace,
				struct mutex *lock)
{
	lockdep_assert_held(lock);
	return ztdns_entries_sweep(es, false, now, grace, true, lock);
}

/**
 * ztdns_entries_flush() - remove every entry
 * @es: the entries of a namespace
 * @lock: the namespace's mutex, held; dropped and retaken between chunks
 *
 * Return: how many were removed.
 */
unsigned int ztdns_entries_flush(struct ztdns_entries *es, struct mutex *lock)
{
	unsigned int removed = 0;

	lockdep_assert_held(lock);
	/* A walk may miss entries across a resize: repeat until empty. */
	while (es->count)
		removed += ztdns_entries_sweep(es, true, 0, 0, true, lock);
	return removed;
}

/**
 * ztdns_entry_size() - the slab object size of one entry
 *
 * Return: bytes.
 */
unsigned int ztdns_entry_size(void)
{
	return kmem_cache_size(ztdns_entry_cache);
}

int __init ztdns_entries_module_init(void)
{
	ztdns_entry_cache = KMEM_CACHE(ztdns_entry, 0);
	return ztdns_entry_cache ? 0 : -ENOMEM;
}

void ztdns_entries_module_uninit(void)
{
	rcu_barrier();
	kmem_cache_destroy(ztdns_entry_cache);
}

#if IS_ENABLED(CONFIG_ZTDNS_KUNIT_TEST)
#include "tests/entries_test.c"
#endif
