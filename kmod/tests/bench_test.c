// SPDX-License-Identifier: GPL-2.0
/*
 * Lookup cost: nanoseconds per lookup of an exact IPv4 or IPv6 address in
 *
 *   ztdns  the allow-entry table, through ztdns_entries_hit() under
 *          rcu_read_lock(), from another translation unit and with the
 *          clock already read, as the LOCAL_OUT hook calls it;
 *   bpf    the kernel's BPF LPM trie, /32 or /128 keys, through
 *          trie_map_ops.map_lookup_elem() under rcu_read_lock();
 *   floor  the memory floor: an ideal open-addressing hash written here,
 *          keys inline, linear probing, a power-of-two table at load at
 *          most 0.5, and the entry table's hash (jhash2 of the address);
 *   jhash  that hash alone, with no table: what hashing costs.
 *
 * Each case makes n random distinct addresses from a fixed seed (n = 10,
 * 10k and 1M; 10 and 1000 in the smoke suite), puts them in the three
 * tables, and times the same two query streams on each: random picks of the
 * n addresses (hits) and random addresses outside the set (misses).  A
 * stream holds max(4096, 2n) keys, rounded up to a power of two, so that at
 * 1M its lookups spread over the whole table; it is read in order, so its
 * own loads are prefetched.  A measurement warms up with 8192 lookups,
 * sizes its chunks to about 20 us (64 to 8192 lookups), times each chunk
 * with ktime_get_ns() for at least 50 ms and 512 chunks, and reports the
 * median chunk: UML's clock is the host's, and a chunk during which the
 * host ran something else is an outlier that a total would count.  It
 * checks the number of hits, which also keeps the compiler from dropping
 * lookups.  The lookups of a stream do not depend on each other, so the
 * CPU overlaps consecutive ones, cache misses included: the figure is the
 * cost per lookup in a stream of packets, not the latency of one alone.
 * One line per measurement, which scripts/bench-lookup parses:
 *
 *	bench lookup impl=ztdns family=4 n=10000 kind=hit ns=42.10
 *
 * The entry table is filled through ztdns_entries_add() in batches, each
 * followed by the table's deferred resize (UML has one CPU, and the worker
 * would otherwise run only when this thread sleeps), so it is measured at
 * its steady size; every entry then sees one packet, so the timed hits do
 * not write last_use, as in a steady flow.  On UML the kernel is a host
 * process: its caches and memory are real, but all of its memory is mapped
 * with 4 KiB pages.  TLB misses therefore weigh more at 1M than in a real
 * kernel, most for the slab objects of the entry table and the trie, which
 * a real kernel reaches through its huge-page direct map.
 */

#include <kunit/test.h>
#include <linux/bpf.h>
#include <linux/jhash.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/prandom.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/workqueue.h>
#include <asm/unaligned.h>

#include "../entries.h"

#define BENCH_NS	(50 * NSEC_PER_MSEC)	/* per measurement, at least */
#define BENCH_CHUNK_NS	(20 * NSEC_PER_USEC)	/* per timed chunk, about */
#define BENCH_CHUNK_MIN	64U			/* lookups per chunk */
#define BENCH_CHUNK_MAX	8192U
#define BENCH_CHUNKS	8192U			/* per measurement, at most */
#define BENCH_BATCH	4096U			/* addresses per ztdns batch */
#define BENCH_NOW	(1000 * NSEC_PER_SEC)	/* the clock, read once */
#define BENCH_GRACE	(30 * NSEC_PER_SEC)
#define BENCH_TTL	3600
#define BENCH_SEED	0x7a74646e73ULL
#define BENCH_HASH_RND	0x9e3779b9		/* the floor's jhash seed */

struct bench_param {
	int family;		/* 4 or 6 */
	unsigned int n;		/* addresses in the set */
};

/* An IPv6 slot of the floor table; all zero: empty. */
struct bench_slot6 {
	u64 w[2];
};

/*
 * A key is laid out as the BPF LPM trie reads it, a u32 prefix length and
 * then the address; the other tables read the address at offset 4.
 */
struct bench {
	int family;
	int fam;		/* ZTDNS_FAM_* */
	unsigned int alen;	/* address bytes: 4 or 16 */
	unsigned int stride;	/* key bytes: 4 + alen */
	unsigned int n;
	unsigned int nq;	/* keys per query stream, a power of two */
	u8 *set;		/* the n keys */
	u8 *hit;		/* query streams */
	u8 *miss;
	struct rnd_state rnd;
	void *slots;		/* the floor: u32 or struct bench_slot6 */
	u32 mask;		/* slots - 1 */
	struct ztdns_entries es;
	bool es_ready;
	struct mutex lock;	/* the namespace's writer lock */
	struct bpf_map *map;
	u64 chunk_ns[BENCH_CHUNKS];	/* the times of one measurement */
};

static u8 *bench_key(const struct bench *b, u8 *keys, unsigned int i)
{
	return keys + (size_t)i * b->stride;
}

/* The floor; the address is 4-byte aligned. */
static bool floor4_find(struct bench *b, const u8 *key)
{
	const u32 *slots = b->slots;
	u32 addr = *(const u32 *)(key + 4);
	u32 i = jhash2((const u32 *)(key + 4), 1, BENCH_HASH_RND) & b->mask;

	for (;; i = (i + 1) & b->mask) {
		if (slots[i] == addr)
			return true;
		if (!slots[i])
			return false;
	}
}

static bool floor6_find(struct bench *b, const u8 *key)
{
	const struct bench_slot6 *slots = b->slots;
	u64 w0 = get_unaligned((const u64 *)(key + 4));
	u64 w1 = get_unaligned((const u64 *)(key + 12));
	u32 i = jhash2((const u32 *)(key + 4), 4, BENCH_HASH_RND) & b->mask;

	for (;; i = (i + 1) & b->mask) {
		if (slots[i].w[0] == w0 && slots[i].w[1] == w1)
			return true;
		if (!(slots[i].w[0] | slots[i].w[1]))
			return false;
	}
}

static bool floor_find(struct bench *b, const u8 *key)
{
	return b->alen == 4 ? floor4_find(b, key) : floor6_find(b, key);
}

/* Insert into the floor; false if the address is there already. */
static bool floor_add(struct bench *b, const u8 *key)
{
	u32 i = jhash2((const u32 *)(key + 4), b->alen / 4, BENCH_HASH_RND);

	if (floor_find(b, key))
		return false;
	for (;; i++) {
		i &= b->mask;
		if (b->alen == 4) {
			u32 *slots = b->slots;

			if (slots[i])
				continue;
			slots[i] = *(const u32 *)(key + 4);
		} else {
			struct bench_slot6 *slots = b->slots;

			if (slots[i].w[0] | slots[i].w[1])
				continue;
			slots[i].w[0] = get_unaligned((const u64 *)(key + 4));
			slots[i].w[1] = get_unaligned((const u64 *)(key + 12));
		}
		return true;
	}
}

static bool ztdns4_find(struct bench *b, const u8 *key)
{
	bool ret;

	rcu_read_lock();
	ret = ztdns_entries_hit(&b->es, ZTDNS_FAM_IPV4, key + 4, BENCH_NOW,
				BENCH_GRACE);
	rcu_read_unlock();
	return ret;
}

static bool ztdns6_find(struct bench *b, const u8 *key)
{
	bool ret;

	rcu_read_lock();
	ret = ztdns_entries_hit(&b->es, ZTDNS_FAM_IPV6, key + 4, BENCH_NOW,
				BENCH_GRACE);
	rcu_read_unlock();
	return ret;
}

static bool bpf_find(struct bench *b, const u8 *key)
{
	void *value;

	rcu_read_lock();
	value = trie_map_ops.map_lookup_elem(b->map, (void *)key);
	rcu_read_unlock();
	return value;
}

/* The hash alone; one bit of it, so that it cannot be dropped. */
static bool jhash4_find(struct bench *b, const u8 *key)
{
	return jhash2((const u32 *)(key + 4), 1, BENCH_HASH_RND) & 1;
}

static bool jhash6_find(struct bench *b, const u8 *key)
{
	return jhash2((const u32 *)(key + 4), 4, BENCH_HASH_RND) & 1;
}

/* A random address, never all zero, with the prefix length of a host. */
static void bench_rand_key(struct bench *b, u8 *key)
{
	*(u32 *)key = b->alen * 8;
	do
		prandom_bytes_state(&b->rnd, key + 4, b->alen);
	while (!memchr_inv(key + 4, 0, b->alen));
}

static int bench_make_keys(struct bench *b)
{
	unsigned int i, size = roundup_pow_of_two(2 * b->n);
	size_t slot = b->alen == 4 ? sizeof(u32) : sizeof(struct bench_slot6);

	b->mask = size - 1;
	b->slots = kvcalloc(size, slot, GFP_KERNEL);
	b->set = kvmalloc_array(b->n, b->stride, GFP_KERNEL);
	b->hit = kvmalloc_array(b->nq, b->stride, GFP_KERNEL);
	b->miss = kvmalloc_array(b->nq, b->stride, GFP_KERNEL);
	if (!b->slots || !b->set || !b->hit || !b->miss)
		return -ENOMEM;

	for (i = 0; i < b->n; i++) {
		u8 *key = bench_key(b, b->set, i);

		do
			bench_rand_key(b, key);
		while (!floor_add(b, key));
	}
	for (i = 0; i < b->nq; i++) {
		u32 pick = ((u64)prandom_u32_state(&b->rnd) * b->n) >> 32;

		memcpy(bench_key(b, b->hit, i), bench_key(b, b->set, pick),
		       b->stride);
	}
	for (i = 0; i < b->nq; i++) {
		u8 *key = bench_key(b, b->miss, i);

		do
			bench_rand_key(b, key);
		while (floor_find(b, key));
	}
	return 0;
}

/* Wait for the table's deferred resize, until it no longer requeues. */
static void bench_settle(struct rhashtable *ht)
{
	while (flush_work(&ht->run_work))
		cond_resched();
}

static int bench_fill_ztdns(struct bench *b)
{
	struct ztdns_entry_req *reqs;
	unsigned int i, j, cnt, evicted;
	int ret = 0;

	reqs = kvcalloc(BENCH_BATCH, sizeof(*reqs), GFP_KERNEL);
	if (!reqs)
		return -ENOMEM;
	for (i = 0; i < b->n && !ret; i += cnt) {
		cnt = min(b->n - i, BENCH_BATCH);
		for (j = 0; j < cnt; j++) {
			memcpy(reqs[j].addr.b, bench_key(b, b->set, i + j) + 4,
			       b->alen);
			reqs[j].ttl = BENCH_TTL;
			reqs[j].fam = b->fam;
		}
		mutex_lock(&b->lock);
		ret = ztdns_entries_add(&b->es, reqs, cnt, b->n, BENCH_NOW,
					BENCH_GRACE, &b->lock, &evicted);
		mutex_unlock(&b->lock);
		bench_settle(&b->es.ht[b->fam]);
	}
	kvfree(reqs);
	return ret;
}

/*
 * A packet to every entry, as a flow has sent: a hit writes the entry's
 * last_use at most every 250 ms (ZTDNS_TOUCH_NS), and the clock here stands
 * still, so the lookups timed after this only read, as in a steady stream.
 */
static void bench_touch(struct bench *b)
{
	unsigned int i;

	rcu_read_lock();
	for (i = 0; i < b->n; i++)
		ztdns_entries_hit(&b->es, b->fam, bench_key(b, b->set, i) + 4,
				  BENCH_NOW, BENCH_GRACE);
	rcu_read_unlock();
}

/* The entry table's shape after its last resize: not parsed, for a reader. */
static void bench_table_info(struct kunit *test, struct bench *b)
{
	struct rhashtable *ht = &b->es.ht[b->fam];
	const struct bucket_table *tbl;

	rcu_read_lock();
	tbl = rht_dereference_rcu(ht->tbl, ht);
	kunit_info(test,
		   "bench table family=%d n=%u buckets=%u nested=%u resizing=%d\n",
		   b->family, b->n, tbl->size, tbl->nest,
		   !!rcu_access_pointer(tbl->future_tbl));
	rcu_read_unlock();
}

static int bench_fill_bpf(struct bench *b)
{
	union bpf_attr attr = {
		.map_type = BPF_MAP_TYPE_LPM_TRIE,
		.key_size = b->stride,
		.value_size = 1,
		.max_entries = b->n,
		.map_flags = BPF_F_NO_PREALLOC,
	};
	struct bpf_map *map;
	unsigned int i;
	u8 value = 1;
	int ret = 0;

	map = trie_map_ops.map_alloc(&attr);
	if (IS_ERR(map))
		return PTR_ERR(map);
	b->map = map;
	/* As bpf_map_update_value() calls it for the bpf() system call. */
	for (i = 0; i < b->n && !ret; i++) {
		rcu_read_lock();
		ret = trie_map_ops.map_update_elem(map, bench_key(b, b->set, i),
						   &value, BPF_ANY);
		rcu_read_unlock();
		if (i % BENCH_BATCH == BENCH_BATCH - 1)
			cond_resched();
	}
	return ret;
}

static int bench_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * Run @chunk lookups of a stream from *@pos on; return the hits.  Inlined
 * for each lookup function, so that the floor's lookup is inlined too.
 */
static __always_inline u64 bench_chunk(struct bench *b, const u8 *first,
				       const u8 **pos, unsigned int chunk,
				       bool (*find)(struct bench *b,
						    const u8 *key))
{
	const u8 *end = first + (size_t)b->nq * b->stride;
	const u8 *key = *pos;
	unsigned int i;
	u64 found = 0;

	for (i = 0; i < chunk; i++) {
		found += find(b, key);
		key += b->stride;
		if (key == end)
			key = first;
	}
	*pos = key;
	return found;
}

/* Time one lookup function over one query stream and print the line. */
static __always_inline void bench_time(struct kunit *test, struct bench *b,
				       const char *impl, bool miss, bool check,
				       bool (*find)(struct bench *b,
						    const u8 *key))
{
	const u8 *first = miss ? b->miss : b->hit;
	u64 t, best, start, total, found = 0;
	unsigned int i, chunk, chunks = 0;
	const u8 *pos = first;
	u64 t100;

	/* Warm up, and size the chunks to about BENCH_CHUNK_NS. */
	found += bench_chunk(b, first, &pos, BENCH_CHUNK_MAX, find);
	total = BENCH_CHUNK_MAX;
	for (i = 0, best = U64_MAX; i < 3; i++) {
		start = ktime_get_ns();
		found += bench_chunk(b, first, &pos, BENCH_CHUNK_MIN, find);
		best = min(best, ktime_get_ns() - start);
		total += BENCH_CHUNK_MIN;
	}
	chunk = div64_u64(BENCH_CHUNK_NS * BENCH_CHUNK_MIN, max(best, 1ULL));
	chunk = clamp(chunk, BENCH_CHUNK_MIN, BENCH_CHUNK_MAX);

	start = ktime_get_ns();
	do {
		t = ktime_get_ns();
		found += bench_chunk(b, first, &pos, chunk, find);
		b->chunk_ns[chunks++] = ktime_get_ns() - t;
		total += chunk;
	} while (chunks < BENCH_CHUNKS &&
		 (chunks < BENCH_CHUNKS / 16 ||
		  ktime_get_ns() - start < BENCH_NS));

	if (check)
		KUNIT_EXPECT_EQ_MSG(test, found, miss ? 0 : total,
				    "impl=%s family=%d n=%u", impl, b->family,
				    b->n);
	else
		KUNIT_EXPECT_LE(test, found, total);
	/* The median chunk: a chunk that the host preempted is an outlier. */
	sort(b->chunk_ns, chunks, sizeof(*b->chunk_ns), bench_cmp_u64, NULL);
	t100 = div64_u64(b->chunk_ns[chunks / 2] * 100, chunk);
	kunit_info(test,
		   "bench lookup impl=%s family=%d n=%u kind=%s ns=%llu.%02llu\n",
		   impl, b->family, b->n, miss ? "miss" : "hit", t100 / 100,
		   t100 % 100);
}

static void bench_run4(struct kunit *test, struct bench *b, bool miss)
{
	bench_time(test, b, "floor", miss, true, floor4_find);
	bench_time(test, b, "ztdns", miss, true, ztdns4_find);
	bench_time(test, b, "bpf", miss, true, bpf_find);
	bench_time(test, b, "jhash", miss, false, jhash4_find);
}

static void bench_run6(struct kunit *test, struct bench *b, bool miss)
{
	bench_time(test, b, "floor", miss, true, floor6_find);
	bench_time(test, b, "ztdns", miss, true, ztdns6_find);
	bench_time(test, b, "bpf", miss, true, bpf_find);
	bench_time(test, b, "jhash", miss, false, jhash6_find);
}

static void bench_lookup(struct kunit *test)
{
	const struct bench_param *p = test->param_value;
	struct bench *b = test->priv;

	b->family = p->family;
	b->fam = p->family == 4 ? ZTDNS_FAM_IPV4 : ZTDNS_FAM_IPV6;
	b->alen = p->family == 4 ? 4 : 16;
	b->stride = 4 + b->alen;
	b->n = p->n;
	b->nq = roundup_pow_of_two(max(2 * p->n, 4096U));
	/* The same keys in every run and for every table. */
	prandom_seed_state(&b->rnd, BENCH_SEED ^ ((u64)p->family << 32) ^ p->n);

	KUNIT_ASSERT_EQ(test, bench_make_keys(b), 0);
	KUNIT_ASSERT_EQ(test, ztdns_entries_init(&b->es), 0);
	b->es_ready = true;
	KUNIT_ASSERT_EQ(test, bench_fill_ztdns(b), 0);
	KUNIT_ASSERT_EQ(test, READ_ONCE(b->es.count), b->n);
	bench_table_info(test, b);
	KUNIT_ASSERT_EQ(test, bench_fill_bpf(b), 0);
	bench_touch(b);

	if (b->family == 4) {
		bench_run4(test, b, false);
		bench_run4(test, b, true);
	} else {
		bench_run6(test, b, false);
		bench_run6(test, b, true);
	}
}

static int bench_init(struct kunit *test)
{
	struct bench *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);

	if (!b)
		return -ENOMEM;
	mutex_init(&b->lock);
	test->priv = b;
	return 0;
}

static void bench_exit(struct kunit *test)
{
	struct bench *b = test->priv;

	if (b->map)
		trie_map_ops.map_free(b->map);
	if (b->es_ready) {
		synchronize_rcu();
		ztdns_entries_destroy(&b->es);
	}
	kvfree(b->miss);
	kvfree(b->hit);
	kvfree(b->set);
	kvfree(b->slots);
}

static void bench_param_desc(const struct bench_param *p, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "ipv%d n=%u", p->family, p->n);
}

static const struct bench_param bench_full_params[] = {
	{ 4, 10 }, { 4, 10000 }, { 4, 1000000 },
	{ 6, 10 }, { 6, 10000 }, { 6, 1000000 },
};

static const struct bench_param bench_smoke_params[] = {
	{ 4, 10 }, { 4, 1000 },
	{ 6, 10 }, { 6, 1000 },
};

KUNIT_ARRAY_PARAM(bench_full, bench_full_params, bench_param_desc);
KUNIT_ARRAY_PARAM(bench_smoke, bench_smoke_params, bench_param_desc);

static struct kunit_case bench_full_cases[] = {
	KUNIT_CASE_PARAM(bench_lookup, bench_full_gen_params),
	{}
};

static struct kunit_case bench_smoke_cases[] = {
	KUNIT_CASE_PARAM(bench_lookup, bench_smoke_gen_params),
	{}
};

/* scripts/bench-lookup runs one of the two suites by name. */
static struct kunit_suite bench_full_suite = {
	.name = "ztdns-bench-lookup",
	.init = bench_init,
	.exit = bench_exit,
	.test_cases = bench_full_cases,
};

static struct kunit_suite bench_smoke_suite = {
	.name = "ztdns-bench-smoke",
	.init = bench_init,
	.exit = bench_exit,
	.test_cases = bench_smoke_cases,
};

kunit_test_suites(&bench_full_suite, &bench_smoke_suite);
