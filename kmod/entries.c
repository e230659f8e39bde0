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
 * where last_use is the time of the last packet that hit it (none yet:
 * ZTDNS_UNUSED and the time it was added).
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
 * Re-adding an address extends its expiry, never shortens it.  Every
 * entry is born live: its TTL is at least one second wherever it enters
 * (netlink.c clamps it), so an entry of a batch cannot be dead before the
 * batch ends.  Writers (add, delete, flush, reap) hold the namespace's
 * mutex, which also keeps the count exact for the max_entries limit; a
 * batch add is all or nothing: every change is logged and undone in
 * reverse if a later address of the batch fails.  A reaper removes dead
 * entries every ZTDNS_REAP_INTERVAL (less often for a large table;
 * netns.c), in chunks, dropping the mutex between them.  Removed entries
 * are freed after an RCU grace period.
 *
 * A full table
 * ------------
 * Anyone who can resolve names can fill the table, so a full table must
 * not lock out the next answer.  A batch that does not fit evicts, before
 * it changes anything, as many entries as it lacks room for, chosen from
 * a window of the table that starts at a random bucket:
 *
 *	rank 0   dead (not yet reaped)
 *	rank 1   never carried a packet, or idle for longer than grace:
 *	         least recently active first (added, or its last packet)
 *	never    carried a packet within the last grace seconds, or an
 *	         address of the batch itself
 *
 * The window holds ZTDNS_EVICT_SCAN entries per entry wanted (and at least
 * ZTDNS_EVICT_MIN): an add costs a bounded amount of work however large
 * the table, never a sweep of it under the mutex.  If the window holds too
 * few candidates the batch fails with ENOSPC and nothing changed.  So a
 * flood of answers pushes out other answers that nobody used, oldest
 * first, but never a destination in use: a connection that carried a
 * packet in the last grace seconds keeps its entry.  The others go by
 * the time they were last active (added, or their last packet), not by
 * their expiry, and unused and idle ones alike: whoever floods chooses the
 * TTLs of its answers and may send a packet to each, and either would
 * otherwise make another user's fresh answer, resolved a moment before its
 * connect, the first to go.  Adding an unused address again counts as
 * adding it now.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bsearch.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/sort.h>

#include "entries.h"

/* Entries examined per reaper chunk before the mutex is dropped. */
#define ZTDNS_REAP_CHUNK 4096

/* The eviction window: entries looked at per entry wanted, and at least. */
#define ZTDNS_EVICT_SCAN 8
#define ZTDNS_EVICT_MIN 64

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
	/* Cannot fail for an entry that is in the table; never free twice. */
	if (WARN_ON(fam == ZTDNS_FAM_IPV4 ?
		    rhashtable_remove_fast(&es->ht[fam], &e->node, ztdns_params4) :
		    rhashtable_remove_fast(&es->ht[fam], &e->node, ztdns_params6)))
		return;
	WRITE_ONCE(es->count, es->count - 1);
	call_rcu(&e->rcu, ztdns_entry_free_rcu);
}

/*
 * Remove the entries that match (all, or the dead ones), walking in chunks
 * and dropping the mutex between them so that netlink writers get a turn.
 */
static unsigned int ztdns_entries_sweep(struct ztdns_entries *es, bool all,
					u64 now, u64 grace, struct mutex *lock)
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
			if (++seen % ZTDNS_REAP_CHUNK)
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
	u64 old_last, new_last;	/* last_use, if the batch wrote it */
	u8 fam;
};

static void ztdns_entries_undo(struct ztdns_entries *es,
			       struct ztdns_undo *undo, unsigned int n)
{
	while (n--) {
		if (undo[n].old_expires == U64_MAX) {
			ztdns_entry_remove(es, undo[n].fam, undo[n].e);
			continue;
		}
		WRITE_ONCE(undo[n].e->expires, undo[n].old_expires);
		/* Unless a packet hit it since: that use stands. */
		if (undo[n].new_last)
			cmpxchg64(&undo[n].e->last_use, undo[n].new_last,
				  undo[n].old_last);
	}
}

/* An eviction candidate: lower ranks go first (see the theory above). */
struct ztdns_victim {
	u64 rank;
	struct ztdns_entry *e;
	u8 fam;
};

static int ztdns_victim_cmp(const void *a, const void *b)
{
	const struct ztdns_victim *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->e == y->e ? 0 : x->e < y->e ? -1 : 1;
}

/* By entry, then rank: the sightings of one entry next to each other. */
static int ztdns_victim_entry_cmp(const void *a, const void *b)
{
	const struct ztdns_victim *x = a, *y = b;

	if (x->e != y->e)
		return x->e < y->e ? -1 : 1;
	return x->rank == y->rank ? 0 : x->rank < y->rank ? -1 : 1;
}

static int ztdns_req_cmp(const void *a, const void *b)
{
	const struct ztdns_entry_req *x = a, *y = b;

	if (x->fam != y->fam)
		return x->fam < y->fam ? -1 : 1;
	return memcmp(&x->addr, &y->addr, sizeof(x->addr));
}

static int ztdns_ptr_cmp(const void *a, const void *b)
{
	const struct ztdns_entry *x = *(const struct ztdns_entry **)a;
	const struct ztdns_entry *y = *(const struct ztdns_entry **)b;

	return x == y ? 0 : x < y ? -1 : 1;
}

#define ZTDNS_RANK_MASK (BIT_ULL(62) - 1)

/*
 * The rank of an entry for eviction, or U64_MAX if it must stay: it
 * carried a packet within the last grace seconds.
 */
static u64 ztdns_victim_rank(const struct ztdns_entry *e, u64 now, u64 grace)
{
	u64 last = READ_ONCE(e->last_use);

	if (!ztdns_entry_live(e, now, grace))
		return 0;
	if (!(last & ZTDNS_UNUSED) && now < last + grace)
		return U64_MAX;
	/* Least recently active first: added, or its last packet. */
	return BIT_ULL(62) | min(last & ~ZTDNS_UNUSED, ZTDNS_RANK_MASK);
}

/*
 * Look at up to @budget entries of one family from a random bucket on, and
 * note those that may go.  Under rcu_read_lock(); the entries stay valid
 * after it since only the mutex holder removes entries.
 */
static void ztdns_victims_scan(struct ztdns_entries *es, int fam,
			       struct ztdns_entry **keep, unsigned int nkeep,
			       u64 now, u64 grace, unsigned int budget,
			       struct ztdns_victim *v, unsigned int *nv)
{
	struct rhashtable *ht = &es->ht[fam];
	const struct bucket_table *tbl;
	unsigned int b, i, seen = 0;
	struct rhash_head *he;

	tbl = rht_dereference_rcu(ht->tbl, ht);
	b = get_random_u32_below(tbl->size);
	for (i = 0; i < tbl->size && seen < budget; i++, b = (b + 1) % tbl->size) {
		rht_for_each_rcu_from(he, rht_ptr_rcu(rht_bucket(tbl, b)), tbl, b) {
			struct ztdns_entry *e;
			u64 rank;

			e = container_of(he, struct ztdns_entry, node);
			if (seen++ == budget)
				break;
			rank = ztdns_victim_rank(e, now, grace);
			if (rank == U64_MAX ||
			    (nkeep && bsearch(&e, keep, nkeep, sizeof(*keep),
					      ztdns_ptr_cmp)))
				continue;
			v[(*nv)++] = (struct ztdns_victim){ rank, e, fam };
		}
	}
}

/*
 * Make room for @want new entries by evicting others, or change nothing:
 * @keep (sorted) are the entries the batch extends.
 *
 * Return: 0, -ENOSPC if too few entries may go, or -ENOMEM.
 */
static int ztdns_entries_evict(struct ztdns_entries *es, unsigned int want,
			       struct ztdns_entry **keep, unsigned int nkeep,
			       u64 now, u64 grace, unsigned int *evicted)
{
	unsigned int budget, total, nv = 0, i, got = 0;
	struct ztdns_victim *v;
	int fam;

	total = atomic_read(&es->ht[ZTDNS_FAM_IPV4].nelems) +
		atomic_read(&es->ht[ZTDNS_FAM_IPV6].nelems);
	if (want > total)
		return -ENOSPC;
	budget = max(want * ZTDNS_EVICT_SCAN, ZTDNS_EVICT_MIN);
	v = kvmalloc_array(budget + ZTDNS_FAM_MAX, sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	rcu_read_lock();
	for (fam = 0; fam < ZTDNS_FAM_MAX; fam++) {
		unsigned int n = atomic_read(&es->ht[fam].nelems);

		/* Each family's share of the window, by its size. */
		if (n)
			ztdns_victims_scan(es, fam, keep, nkeep, now, grace,
					   div_u64((u64)budget * n, total) + 1,
					   v, &nv);
	}
	rcu_read_unlock();
	/*
	 * A walk across a rehash may see an entry twice, with two ranks if a
	 * packet touched it in between: keep one sighting of each, then
	 * order them by rank.
	 */
	sort(v, nv, sizeof(*v), ztdns_victim_entry_cmp, NULL);
	for (i = 0; i < nv; i++)
		if (!i || v[i].e != v[i - 1].e)
			v[got++] = v[i];
	sort(v, got, sizeof(*v), ztdns_victim_cmp, NULL);
	if (got < want) {
		kvfree(v);
		return -ENOSPC;
	}
	for (i = 0; i < want; i++)
		ztdns_entry_remove(es, v[i].fam, v[i].e);
	*evicted = want;
	kvfree(v);
	return 0;
}

/**
 * ztdns_entries_add() - add or extend a batch of entries, all or nothing
 * @es: the entries of a namespace
 * @reqs: the addresses, with their TTLs already clamped (at least 1 s)
 * @n: how many
 * @max: max_entries
 * @now: the current time (ns)
 * @grace: the grace period (ns), which protects used entries from eviction
 * @lock: the namespace's mutex, held
 * @evicted: set to how many entries were evicted to make room
 *
 * Return: 0; -ENOSPC if the batch does not fit even after eviction,
 * -ENOMEM; on error nothing changed but for evictions.
 */
int ztdns_entries_add(struct ztdns_entries *es,
		      const struct ztdns_entry_req *reqs, unsigned int n,
		      unsigned int max, u64 now, u64 grace, struct mutex *lock,
		      unsigned int *evicted)
{
	unsigned int i, nfound = 0, nnew = 0, fresh = 0;
	struct ztdns_entry_req *news;
	struct ztdns_entry **found;
	struct ztdns_undo *undo;
	int ret = 0;

	lockdep_assert_held(lock);
	*evicted = 0;
	found = kvmalloc_array(n, sizeof(*found), GFP_KERNEL);
	news = kvmalloc_array(n, sizeof(*news), GFP_KERNEL);
	undo = kvmalloc_array(n, sizeof(*undo), GFP_KERNEL);
	if (!found || !news || !undo) {
		ret = -ENOMEM;
		goto out;
	}

	/* What exists already; the rest, each address once, needs room. */
	rcu_read_lock();
	for (i = 0; i < n; i++) {
		struct ztdns_entry *e = ztdns_entry_get(es, reqs[i].fam,
							&reqs[i].addr);

		if (e)
			found[nfound++] = e;
		else
			news[nnew++] = reqs[i];
	}
	rcu_read_unlock();
	sort(news, nnew, sizeof(*news), ztdns_req_cmp, NULL);
	for (i = 0; i < nnew; i++)
		if (!i || ztdns_req_cmp(&news[i], &news[i - 1]))
			fresh++;
	/*
	 * More new addresses than the table holds, or a table already over
	 * a lowered max_entries: no eviction makes room (the reaper trims
	 * the dead).
	 */
	if (fresh > max || es->count > max) {
		ret = -ENOSPC;
		goto out;
	}
	if (es->count + fresh > max) {
		sort(found, nfound, sizeof(*found), ztdns_ptr_cmp, NULL);
		ret = ztdns_entries_evict(es, es->count + fresh - max,
					  found, nfound, now, grace, evicted);
		if (ret)
			goto out;
	}

	for (i = 0; i < n; i++) {
		const struct ztdns_entry_req *r = &reqs[i];
		u64 expires = now + (u64)max(r->ttl, 1U) * NSEC_PER_SEC;
		struct ztdns_entry *e;

		rcu_read_lock();
		e = ztdns_entry_get(es, r->fam, &r->addr);
		rcu_read_unlock();
		if (e) {
			u64 last = READ_ONCE(e->last_use);

			undo[i] = (struct ztdns_undo){ e, e->expires, 0, 0, r->fam };
			if (expires > e->expires)
				WRITE_ONCE(e->expires, expires);
			/* Added again: as new, unless a packet hits it meanwhile. */
			if ((last & ZTDNS_UNUSED) &&
			    cmpxchg64(&e->last_use, last, ZTDNS_UNUSED | now) == last) {
				undo[i].old_last = last;
				undo[i].new_last = ZTDNS_UNUSED | now;
			}
			continue;
		}
		/* Room was made above; this guards the count all the same. */
		if (es->count >= max) {
			ret = -ENOSPC;
			break;
		}
		e = kmem_cache_zalloc(ztdns_entry_cache, GFP_KERNEL_ACCOUNT);
		if (!e) {
			ret = -ENOMEM;
			break;
		}
		memcpy(&e->addr, &r->addr, sizeof(e->addr));
		e->expires = expires;
		e->last_use = ZTDNS_UNUSED | now;
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
		undo[i] = (struct ztdns_undo){ e, U64_MAX, 0, 0, r->fam };
	}
	if (ret)
		ztdns_entries_undo(es, undo, i);
out:
	if (!ret || *evicted)
		es->generation++;
	kvfree(undo);
	kvfree(news);
	kvfree(found);
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
	return ztdns_entries_sweep(es, false, now, grace, lock);
}

/**
 * ztdns_entries_walk_start() - resume a walk of a table, as a dump does
 * @it: the walk, entered on one of the tables and stopped
 * @restarts: counts the times the walk went back to the first bucket
 *
 * A resize that ends while the walk is stopped makes it start over in the
 * new table: what it returns next may repeat what it returned before, and
 * the caller must say so (a dump sets NLM_F_DUMP_INTR).
 */
void ztdns_entries_walk_start(struct rhashtable_iter *it, u32 *restarts)
{
	if (rhashtable_walk_start_check(it) == -EAGAIN)
		(*restarts)++;
}

/**
 * ztdns_entries_walk_peek() - the entry a started walk stands at
 * @it: the walk, started
 * @restarts: as for ztdns_entries_walk_start(): a resize during the walk
 *
 * Return: the entry (rhashtable_walk_next() passes it), or NULL at the
 * end of the table.
 */
struct ztdns_entry *ztdns_entries_walk_peek(struct rhashtable_iter *it,
					    u32 *restarts)
{
	struct ztdns_entry *e;

	while (IS_ERR(e = rhashtable_walk_peek(it)))
		(*restarts)++;
	return e;
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
	unsigned int removed = 0, pass;

	lockdep_assert_held(lock);
	/*
	 * A walk may miss entries across a resize: repeat, a few times; adds
	 * that land while the mutex is dropped between chunks may stay.
	 */
	for (pass = 0; es->count && pass < 4; pass++)
		removed += ztdns_entries_sweep(es, true, 0, 0, lock);
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
	ztdns_entry_cache = KMEM_CACHE(ztdns_entry, SLAB_ACCOUNT);
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
