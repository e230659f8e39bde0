// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit cases for entries.c, with the clock passed in: expiry and grace
 * edges, extension, the entry limit, batches all or nothing.  The module's
 * init has made the entry cache before the suites run.
 */

#include <kunit/test.h>

#define S(x) ((u64)(x) * NSEC_PER_SEC)
#define T0 S(1000)	/* an arbitrary start */

struct entries_fixture {
	struct ztdns_entries es;
	struct mutex lock;	/* the namespace's writer lock, as in netns.h */
};

static int entries_test_init(struct kunit *test)
{
	struct entries_fixture *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	test->priv = f;
	return ztdns_entries_init(&f->es);
}

static void entries_test_exit(struct kunit *test)
{
	struct entries_fixture *f = test->priv;

	synchronize_rcu();
	ztdns_entries_destroy(&f->es);
}

static struct ztdns_entry_req v4(u8 last, u32 ttl)
{
	struct ztdns_entry_req r = { .fam = ZTDNS_FAM_IPV4, .ttl = ttl };

	r.addr.ip4 = htonl(0xc0000200 | last);	/* 192.0.2.last */
	return r;
}

static struct ztdns_entry_req v6(u8 last, u32 ttl)
{
	struct ztdns_entry_req r = { .fam = ZTDNS_FAM_IPV6, .ttl = ttl };

	r.addr.ip6.s6_addr[0] = 0x20;
	r.addr.ip6.s6_addr[1] = 0x01;
	r.addr.ip6.s6_addr[2] = 0x0d;
	r.addr.ip6.s6_addr[3] = 0xb8;
	r.addr.ip6.s6_addr[15] = last;
	return r;
}

static bool hit(struct entries_fixture *f, const struct ztdns_entry_req *r,
		u64 now, u64 grace)
{
	bool ret;

	rcu_read_lock();
	ret = ztdns_entries_hit(&f->es, r->fam, &r->addr, now, grace);
	rcu_read_unlock();
	return ret;
}

static int add_evicting(struct entries_fixture *f,
			const struct ztdns_entry_req *r, unsigned int n,
			unsigned int max, u64 now, unsigned int *evicted)
{
	int ret;

	mutex_lock(&f->lock);
	ret = ztdns_entries_add(&f->es, r, n, max, now, S(30), &f->lock,
				evicted);
	mutex_unlock(&f->lock);
	return ret;
}

static int add(struct entries_fixture *f, const struct ztdns_entry_req *r,
	       unsigned int n, unsigned int max, u64 now)
{
	unsigned int evicted;

	return add_evicting(f, r, n, max, now, &evicted);
}

static struct ztdns_entry *find(struct entries_fixture *f,
				const struct ztdns_entry_req *r)
{
	struct ztdns_entry *e;

	rcu_read_lock();
	e = ztdns_entry_find(&f->es, r->fam, &r->addr);
	rcu_read_unlock();
	return e;
}

static void ztdns_test_entries_expiry(struct kunit *test)
{
	struct entries_fixture *f = test->priv;
	struct ztdns_entry_req a = v4(1, 5), b = v4(2, 5), c = v6(3, 5);

	KUNIT_ASSERT_EQ(test, add(f, &a, 1, 10, T0), 0);
	KUNIT_ASSERT_EQ(test, add(f, &b, 1, 10, T0), 0);
	KUNIT_ASSERT_EQ(test, add(f, &c, 1, 10, T0), 0);
	/* Never used: live until the TTL, not one nanosecond longer. */
	KUNIT_EXPECT_TRUE(test, hit(f, &a, T0 + S(5) - 1, S(30)));
	KUNIT_EXPECT_FALSE(test, hit(f, &b, T0 + S(5), S(30)));
	/* A packet to a dead entry does not revive it. */
	KUNIT_EXPECT_FALSE(test, hit(f, &b, T0 + S(5) + 1, S(3600)));
	KUNIT_EXPECT_EQ(test, find(f, &b)->last_use, ZTDNS_UNUSED | T0);
	/* Same for IPv6. */
	KUNIT_EXPECT_TRUE(test, hit(f, &c, T0, S(30)));
	KUNIT_EXPECT_FALSE(test, hit(f, &c, T0 + S(30), S(30)));
}

static void ztdns_test_entries_grace(struct kunit *test)
{
	struct entries_fixture *f = test->priv;
	struct ztdns_entry_req a = v4(1, 5), b = v4(2, 5), c = v4(3, 5);
	u64 t;

	KUNIT_ASSERT_EQ(test, add(f, &a, 1, 10, T0), 0);
	KUNIT_ASSERT_EQ(test, add(f, &b, 1, 10, T0), 0);
	KUNIT_ASSERT_EQ(test, add(f, &c, 1, 10, T0), 0);
	/* A connection that keeps talking every 10 s outlives its TTL. */
	for (t = T0; t <= T0 + S(120); t += S(10)) {
		KUNIT_EXPECT_TRUE(test, hit(f, &a, t, S(30)));
		KUNIT_EXPECT_TRUE(test, hit(f, &b, t, S(30)));
	}
	/* Last packets at T0+120 s: live until T0+150 s, exclusive. */
	KUNIT_EXPECT_TRUE(test, hit(f, &a, T0 + S(150) - 1, S(30)));
	KUNIT_EXPECT_FALSE(test, hit(f, &b, T0 + S(150), S(30)));
	/* Grace never shortens the TTL: a packet at 1 s, grace 1 s. */
	KUNIT_EXPECT_TRUE(test, hit(f, &c, T0 + S(1), S(1)));
	KUNIT_EXPECT_TRUE(test, hit(f, &c, T0 + S(5) - 1, S(1)));
}

static void ztdns_test_entries_touch(struct kunit *test)
{
	struct entries_fixture *f = test->priv;
	struct ztdns_entry_req a = v4(1, 60);

	KUNIT_ASSERT_EQ(test, add(f, &a, 1, 10, T0), 0);
	KUNIT_EXPECT_TRUE(test, hit(f, &a, T0 + 1, S(30)));
	KUNIT_EXPECT_EQ(test, find(f, &a)->last_use, T0 + 1);
	/* Within ZTDNS_TOUCH_NS no write. */
	KUNIT_EXPECT_TRUE(test, hit(f, &a, T0 + ZTDNS_TOUCH_NS, S(30)));
	KUNIT_EXPECT_EQ(test, find(f, &a)->last_use, T0 + 1);
	KUNIT_EXPECT_TRUE(test, hit(f, &a, T0 + 1 + ZTDNS_TOUCH_NS, S(30)));
	KUNIT_EXPECT_EQ(test, find(f, &a)->last_use, T0 + 1 + ZTDNS_TOUCH_NS);
}

static void ztdns_test_entries_extend(struct kunit *test)
{
	struct entries_fixture *f = test->priv;
	struct ztdns_entry_req a = v4(1, 100), shorter = v4(1, 10),
			       longer = v4(1, 200);

	KUNIT_ASSERT_EQ(test, add(f, &a, 1, 10, T0), 0);
	KUNIT_ASSERT_EQ(test, add(f, &shorter, 1, 10, T0 + S(50)), 0);
	KUNIT_EXPECT_EQ(test, find(f, &a)->expires, T0 + S(100));
	KUNIT_ASSERT_EQ(test, add(f, &longer, 1, 10, T0 + S(50)), 0);
	KUNIT_EXPECT_EQ(test, find(f, &a)->expires, T0 + S(250));
	KUNIT_EXPECT_EQ(test, f->es.count, 1U);
}

static void ztdns_test_entries_limit(struct kunit *test)
{
	struct entries_fixture *f = test->priv;
	struct ztdns_entry_req r[4] = { v4(1, 100), v4(2, 60), v6(3, 100),
					v4(4, 100) };
	unsigned int i, evicted = 99;

	KUNIT_ASSERT_EQ(test, add(f, r, 3, 3, T0), 0);
	/* All three in use: none may go, so a new address does not fit. */
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_TRUE(test, hit(f, &r[i], T0 + S(1), S(30)));
	KUNIT_EXPECT_EQ(test, add_evicting(f, &r[3], 1, 3, T0 + S(2),
					   &evicted), -ENOSPC);
	KUNIT_EXPECT_EQ(test, evicted, 0U);
	KUNIT_EXPECT_EQ(test, f->es.count, 3U);
	KUNIT_EXPECT_NULL(test, find(f, &r[3]));
	/* Extending an existing entry needs no room. */
	KUNIT_EXPECT_EQ(test, add(f, &r[0], 1, 3, T0 + S(2)), 0);
	KUNIT_EXPECT_TRUE(test, hit(f, &r[0], T0 + S(5), S(30)));
	KUNIT_EXPECT_TRUE(test, hit(f, &r[2], T0 + S(5), S(30)));
	/* Idle for longer than grace (not dead), they may go: the least
	 * recently used first.
	 */
	KUNIT_EXPECT_EQ(test, add_evicting(f, &r[3], 1, 3, T0 + S(40),
					   &evicted), 0);
	KUNIT_EXPECT_EQ(test, evicted, 1U);
	KUNIT_EXPECT_EQ(test, f->es.count, 3U);
	KUNIT_EXPECT_NOT_NULL(test, find(f, &r[3]));
	KUNIT_EXPECT_NULL(test, find(f, &r[1]));
}

/*
 * A full table: never-used and idle entries go, least recently active
 * first; an entry used within grace, or one the batch extends, never goes.
 */
static void ztdns_test_entries_evict(struct kunit *test)
{
	struct entries_fixture *f = test->priv;
	struct ztdns_entry_req r[6] = { v4(1, 50), v4(2, 20), v6(3, 30),
					v4(4, 40), v4(5, 10), v6(6, 60) };
	struct ztdns_entry_req batch[3] = { v4(4, 10), v6(7, 10), v4(8, 10) };
	unsigned int evicted;

	KUNIT_ASSERT_EQ(test, add(f, r, 4, 4, T0), 0);
	/* 192.0.2.1 in use; 192.0.2.2 idle since T0+1 s. */
	KUNIT_EXPECT_TRUE(test, hit(f, &r[1], T0 + S(1), S(30)));
	KUNIT_EXPECT_TRUE(test, hit(f, &r[0], T0 + S(5), S(30)));
	/* Two new ones: the never-used 2001:db8::3 (30 s) and 192.0.2.4
	 * (40 s) are the candidates, but the batch extends 192.0.2.4.
	 */
	KUNIT_EXPECT_EQ(test, add_evicting(f, batch, 3, 4, T0 + S(6),
					   &evicted), -ENOSPC);
	KUNIT_EXPECT_EQ(test, f->es.count, 4U);
	KUNIT_EXPECT_EQ(test, find(f, &r[3])->expires, T0 + S(40));
	/* Past 192.0.2.2's grace it may go too. */
	KUNIT_EXPECT_EQ(test, add_evicting(f, batch, 3, 4, T0 + S(32),
					   &evicted), 0);
	KUNIT_EXPECT_EQ(test, evicted, 2U);
	KUNIT_EXPECT_EQ(test, f->es.count, 4U);
	KUNIT_EXPECT_NULL(test, find(f, &r[1]));
	KUNIT_EXPECT_NULL(test, find(f, &r[2]));
	KUNIT_EXPECT_NOT_NULL(test, find(f, &r[0]));
	KUNIT_EXPECT_NOT_NULL(test, find(f, &r[3]));
	KUNIT_EXPECT_NOT_NULL(test, find(f, &batch[1]));
	KUNIT_EXPECT_NOT_NULL(test, find(f, &batch[2]));
	/* A batch larger than the table never fits. */
	KUNIT_EXPECT_EQ(test, add(f, r, 6, 4, T0 + S(100)), -ENOSPC);
}

/*
 * Regression: unused entries went soonest expiry first, so a flood of
 * answers with long TTLs made another user's fresh answer, resolved just
 * before its connect, the first victim.  They now go least recently added
 * first, whatever their TTL; adding one again counts as adding it now.
 */
static void ztdns_test_entries_evict_oldest(struct kunit *test)
{
	struct entries_fixture *f = test->priv;
	struct ztdns_entry_req flood1 = v4(1, 86400), mine = v4(2, 5);
	struct ztdns_entry_req flood2 = v6(3, 86400), flood3 = v4(4, 86400);
	struct ztdns_entry_req flood4 = v6(5, 86400);
	unsigned int evicted;

	KUNIT_ASSERT_EQ(test, add(f, &flood1, 1, 2, T0), 0);
	KUNIT_ASSERT_EQ(test, add(f, &mine, 1, 2, T0 + S(1)), 0);
	KUNIT_EXPECT_EQ(test, add_evicting(f, &flood2, 1, 2, T0 + S(2),
					   &evicted), 0);
	KUNIT_EXPECT_EQ(test, evicted, 1U);
	KUNIT_EXPECT_NULL(test, find(f, &flood1));
	KUNIT_EXPECT_NOT_NULL(test, find(f, &mine));
	/* Mine is the oldest now; asked again, it is the newest. */
	KUNIT_EXPECT_EQ(test, add(f, &mine, 1, 2, T0 + S(3)), 0);
	KUNIT_EXPECT_EQ(test, find(f, &mine)->last_use, ZTDNS_UNUSED | (T0 + S(3)));
	KUNIT_EXPECT_EQ(test, add_evicting(f, &flood3, 1, 2, T0 + S(4),
					   &evicted), 0);
	KUNIT_EXPECT_NULL(test, find(f, &flood2));
	KUNIT_EXPECT_NOT_NULL(test, find(f, &mine));
	/* Used, it stays for grace; a later add does not make it unused. */
	KUNIT_EXPECT_TRUE(test, hit(f, &mine, T0 + S(4), S(30)));
	KUNIT_EXPECT_EQ(test, add(f, &mine, 1, 2, T0 + S(5)), 0);
	KUNIT_EXPECT_EQ(test, find(f, &mine)->last_use, T0 + S(4));
	KUNIT_EXPECT_EQ(test, add_evicting(f, &flood4, 1, 2, T0 + S(6),
					   &evicted), 0);
	KUNIT_EXPECT_NULL(test, find(f, &flood3));
	KUNIT_EXPECT_NOT_NULL(test, find(f, &mine));
}

/*
 * Regression (attacker review): the flooder sent one packet to each of its
 * addresses right after resolving it.  Idle past grace, its entries ranked
 * after every unused one, however fresh: another user's answer, resolved
 * a moment before its connect, went first.  Unused and idle entries now
 * go least recently active first, alike.
 */
static void ztdns_test_entries_evict_touched(struct kunit *test)
{
	struct entries_fixture *f = test->priv;
	struct ztdns_entry_req flood1 = v4(1, 86400), victim = v4(2, 3600);
	struct ztdns_entry_req flood2 = v4(3, 86400);
	unsigned int evicted;

	KUNIT_ASSERT_EQ(test, add(f, &flood1, 1, 2, T0), 0);
	KUNIT_ASSERT_TRUE(test, hit(f, &flood1, T0, S(30)));
	KUNIT_ASSERT_EQ(test, add(f, &victim, 1, 2, T0 + S(31)), 0);
	KUNIT_EXPECT_EQ(test, add_evicting(f, &flood2, 1, 2, T0 + S(31) + 1,
					   &evicted), 0);
	KUNIT_EXPECT_EQ(test, evicted, 1U);
	KUNIT_EXPECT_NOT_NULL(test, find(f, &victim));
	KUNIT_EXPECT_NULL(test, find(f, &flood1));
}

/* An address given several times in a batch needs one place, not more. */
static void ztdns_test_entries_batch_dups(struct kunit *test)
{
	struct entries_fixture *f = test->priv;
	struct ztdns_entry_req old = v4(1, 100);
	struct ztdns_entry_req dups[3] = { v4(2, 10), v4(2, 20), v4(2, 30) };
	unsigned int evicted = 99;

	KUNIT_ASSERT_EQ(test, add(f, &old, 1, 2, T0), 0);
	KUNIT_EXPECT_EQ(test, add_evicting(f, dups, 3, 2, T0, &evicted), 0);
	KUNIT_EXPECT_EQ(test, evicted, 0U);
	KUNIT_EXPECT_EQ(test, f->es.count, 2U);
	KUNIT_EXPECT_EQ(test, find(f, &dups[0])->expires, T0 + S(30));
	KUNIT_EXPECT_NOT_NULL(test, find(f, &old));
}

/*
 * Regression: a batch whose TTL is 0 (min_ttl=0) met a full table.  The
 * first address was inserted already dead, the in-batch sweep freed it, and
 * the undo of the failing batch removed it again: a double free, a count
 * that underflowed and a flush that never ended.  Entries are now born
 * live and a batch never sweeps.
 */
static void ztdns_test_entries_born_dead(struct kunit *test)
{
	struct entries_fixture *f = test->priv;
	struct ztdns_entry_req live = v4(1, 5), more = v4(9, 5);
	struct ztdns_entry_req batch[3] = { v4(2, 0), v4(3, 0), v4(4, 0) };

	KUNIT_ASSERT_EQ(test, add(f, &live, 1, 2, T0), 0);
	KUNIT_EXPECT_TRUE(test, hit(f, &live, T0, S(30)));
	KUNIT_EXPECT_EQ(test, add(f, batch, 3, 2, T0), -ENOSPC);
	KUNIT_EXPECT_EQ(test, f->es.count, 1U);
	KUNIT_EXPECT_NULL(test, find(f, &batch[0]));
	/* A TTL of 0 lives a second. */
	KUNIT_EXPECT_EQ(test, add(f, batch, 1, 2, T0), 0);
	KUNIT_EXPECT_TRUE(test, hit(f, &batch[0], T0 + S(1) - 1, 0));
	KUNIT_EXPECT_EQ(test, f->es.count, 2U);
	mutex_lock(&f->lock);
	KUNIT_EXPECT_EQ(test, ztdns_entries_flush(&f->es, &f->lock), 2U);
	mutex_unlock(&f->lock);
	KUNIT_EXPECT_EQ(test, add(f, &more, 1, 2, T0), 0);
	KUNIT_EXPECT_EQ(test, f->es.count, 1U);
}

/* Regression: a dead entry "extended" to expire now, then a full batch. */
static void ztdns_test_entries_extend_dead(struct kunit *test)
{
	struct entries_fixture *f = test->priv;
	struct ztdns_entry_req a = v4(1, 5), b = v4(2, 100);
	struct ztdns_entry_req batch[3] = { v4(1, 0), v4(3, 0), v4(4, 0) };

	KUNIT_ASSERT_EQ(test, add(f, &a, 1, 2, T0), 0);
	KUNIT_ASSERT_EQ(test, add(f, &b, 1, 2, T0), 0);
	KUNIT_EXPECT_TRUE(test, hit(f, &b, T0 + S(5), S(30)));
	/* 192.0.2.1 is dead at T0+5 s; the batch renews it and wants two
	 * places where one may be made at most (192.0.2.2 is in use).
	 */
	KUNIT_EXPECT_EQ(test, add(f, batch, 3, 2, T0 + S(5)), -ENOSPC);
	KUNIT_EXPECT_EQ(test, f->es.count, 2U);
	KUNIT_EXPECT_EQ(test, find(f, &a)->expires, T0 + S(5));
	mutex_lock(&f->lock);
	KUNIT_EXPECT_EQ(test, ztdns_entries_flush(&f->es, &f->lock), 2U);
	mutex_unlock(&f->lock);
}

static void ztdns_test_entries_batch(struct kunit *test)
{
	struct entries_fixture *f = test->priv;
	struct ztdns_entry_req old[2] = { v4(1, 10), v4(2, 10) };
	struct ztdns_entry_req batch[4] = { v4(1, 1000), v4(5, 10), v6(6, 10),
					    v4(7, 10) };
	unsigned int bad = 99;
	u32 gen;

	KUNIT_ASSERT_EQ(test, add(f, old, 2, 4, T0), 0);
	/* Both in use, so neither may be evicted. */
	KUNIT_EXPECT_TRUE(test, hit(f, &old[0], T0, S(30)));
	KUNIT_EXPECT_TRUE(test, hit(f, &old[1], T0, S(30)));
	gen = f->es.generation;
	/* Three new entries do not fit in two free places: nothing changes,
	 * not even the extension of 192.0.2.1 the batch starts with.
	 */
	KUNIT_EXPECT_EQ(test, add(f, batch, 4, 4, T0), -ENOSPC);
	KUNIT_EXPECT_EQ(test, f->es.count, 2U);
	KUNIT_EXPECT_EQ(test, find(f, &old[0])->expires, T0 + S(10));
	KUNIT_EXPECT_NULL(test, find(f, &batch[1]));
	KUNIT_EXPECT_NULL(test, find(f, &batch[2]));
	KUNIT_EXPECT_EQ(test, f->es.generation, gen);
	/* It fits with room for five. */
	KUNIT_EXPECT_EQ(test, add(f, batch, 4, 5, T0), 0);
	KUNIT_EXPECT_EQ(test, f->es.count, 5U);
	KUNIT_EXPECT_EQ(test, find(f, &old[0])->expires, T0 + S(1000));

	/* Delete is all or nothing too. */
	mutex_lock(&f->lock);
	batch[3] = v4(200, 0);
	KUNIT_EXPECT_EQ(test, ztdns_entries_del(&f->es, batch, 4, &bad,
						&f->lock), -ENOENT);
	KUNIT_EXPECT_EQ(test, bad, 3U);
	KUNIT_EXPECT_EQ(test, f->es.count, 5U);
	KUNIT_EXPECT_EQ(test, ztdns_entries_del(&f->es, batch, 3, &bad,
						&f->lock), 0);
	KUNIT_EXPECT_EQ(test, f->es.count, 2U);
	KUNIT_EXPECT_EQ(test, ztdns_entries_flush(&f->es, &f->lock), 2U);
	KUNIT_EXPECT_EQ(test, f->es.count, 0U);
	mutex_unlock(&f->lock);
	KUNIT_EXPECT_NULL(test, find(f, &old[1]));
}

static void ztdns_test_entries_reap(struct kunit *test)
{
	struct entries_fixture *f = test->priv;
	struct ztdns_entry_req r[3] = { v4(1, 10), v6(2, 20), v4(3, 10) };

	KUNIT_ASSERT_EQ(test, add(f, r, 3, 10, T0), 0);
	KUNIT_EXPECT_TRUE(test, hit(f, &r[2], T0 + S(9), S(30)));
	mutex_lock(&f->lock);
	/* At 15 s only 192.0.2.1 is dead (192.0.2.3 is in its grace). */
	KUNIT_EXPECT_EQ(test, ztdns_entries_reap(&f->es, T0 + S(15), S(30),
						 &f->lock), 1U);
	/* At 38 s the IPv6 one is dead too; 192.0.2.3 lives until 39 s. */
	KUNIT_EXPECT_EQ(test, ztdns_entries_reap(&f->es, T0 + S(38), S(30),
						 &f->lock), 1U);
	KUNIT_EXPECT_EQ(test, ztdns_entries_reap(&f->es, T0 + S(38), S(30),
						 &f->lock), 0U);
	mutex_unlock(&f->lock);
	KUNIT_EXPECT_EQ(test, f->es.count, 1U);
	KUNIT_EXPECT_NOT_NULL(test, find(f, &r[2]));
}

static void ztdns_test_entries_families(struct kunit *test)
{
	struct entries_fixture *f = test->priv;
	struct ztdns_entry_req a = v4(1, 10), b = v6(1, 10);

	/* The IPv6 key starts with bytes that are not an IPv4 entry. */
	memcpy(b.addr.b, a.addr.b, 4);
	KUNIT_ASSERT_EQ(test, add(f, &a, 1, 10, T0), 0);
	KUNIT_EXPECT_FALSE(test, hit(f, &b, T0, S(30)));
	KUNIT_EXPECT_TRUE(test, hit(f, &a, T0, S(30)));
}

/*
 * A dump stops its walk between two messages; a resize that ends meanwhile
 * sends the walk back to the first bucket, and the dump must know (its
 * entries may repeat: NLM_F_DUMP_INTR).
 */
static void ztdns_test_entries_walk_resize(struct kunit *test)
{
	struct entries_fixture *f = test->priv;
	struct ztdns_entry_req r[64];
	struct rhashtable_iter it;
	unsigned int i, seen = 0;
	u32 restarts = 0;

	for (i = 0; i < ARRAY_SIZE(r); i++)
		r[i] = v4(i, 60);
	KUNIT_ASSERT_EQ(test, add(f, r, 2, 1000, T0), 0);
	rhashtable_walk_enter(&f->es.ht[ZTDNS_FAM_IPV4], &it);
	ztdns_entries_walk_start(&it, &restarts);
	KUNIT_EXPECT_NOT_NULL(test, ztdns_entries_walk_peek(&it, &restarts));
	rhashtable_walk_next(&it);
	rhashtable_walk_stop(&it);

	/* The table grows (its worker), the walk stopped. */
	KUNIT_ASSERT_EQ(test, add(f, r + 2, ARRAY_SIZE(r) - 2, 1000, T0), 0);
	flush_work(&f->es.ht[ZTDNS_FAM_IPV4].run_work);

	ztdns_entries_walk_start(&it, &restarts);
	while (ztdns_entries_walk_peek(&it, &restarts)) {
		seen++;
		rhashtable_walk_next(&it);
	}
	rhashtable_walk_stop(&it);
	rhashtable_walk_exit(&it);
	KUNIT_EXPECT_GE(test, restarts, 1U);
	/* Started over: every entry, the one returned before included. */
	KUNIT_EXPECT_EQ(test, seen, ARRAY_SIZE(r));
}

static struct kunit_case ztdns_entries_cases[] = {
	KUNIT_CASE(ztdns_test_entries_expiry),
	KUNIT_CASE(ztdns_test_entries_grace),
	KUNIT_CASE(ztdns_test_entries_touch),
	KUNIT_CASE(ztdns_test_entries_extend),
	KUNIT_CASE(ztdns_test_entries_limit),
	KUNIT_CASE(ztdns_test_entries_evict),
	KUNIT_CASE(ztdns_test_entries_evict_oldest),
	KUNIT_CASE(ztdns_test_entries_evict_touched),
	KUNIT_CASE(ztdns_test_entries_batch_dups),
	KUNIT_CASE(ztdns_test_entries_born_dead),
	KUNIT_CASE(ztdns_test_entries_extend_dead),
	KUNIT_CASE(ztdns_test_entries_batch),
	KUNIT_CASE(ztdns_test_entries_reap),
	KUNIT_CASE(ztdns_test_entries_families),
	KUNIT_CASE(ztdns_test_entries_walk_resize),
	{}
};

static struct kunit_suite ztdns_entries_suite = {
	.name = "ztdns-entries",
	.init = entries_test_init,
	.exit = entries_test_exit,
	.test_cases = ztdns_entries_cases,
};

kunit_test_suite(ztdns_entries_suite);
