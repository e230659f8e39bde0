// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit cases for lpm.c: the trie against a naive reference (a flat array
 * searched exhaustively) on random inserts, removes and lookups, IPv4 and
 * IPv6, every prefix length from /0 up, keys with host bits set; as
 * WireGuard's allowedips selftest does.  The module's init has made the
 * node cache before the suites run.
 */

#include <kunit/test.h>
#include <linux/prandom.h>

#define LPM_REF_MAX 1024

struct lpm_ref {
	u8 key[LPM_REF_MAX][16];
	u8 cidr[LPM_REF_MAX];
	unsigned int n;
	unsigned int walked;
	u8 bits;
};

static bool lpm_ref_covers(const u8 *prefix, u8 cidr, const u8 *key)
{
	unsigned int i;

	for (i = 0; i < cidr; i++)
		if (((prefix[i / 8] ^ key[i / 8]) >> (7 - i % 8)) & 1)
			return false;
	return true;
}

static int lpm_ref_find(const struct lpm_ref *r, const u8 *key, u8 cidr)
{
	unsigned int i;

	for (i = 0; i < r->n; i++)
		if (r->cidr[i] == cidr && lpm_ref_covers(r->key[i], cidr, key))
			return i;
	return -1;
}

static int lpm_ref_lookup(const struct lpm_ref *r, const u8 *key)
{
	int best = -1;
	unsigned int i;

	for (i = 0; i < r->n; i++)
		if (r->cidr[i] > best && lpm_ref_covers(r->key[i], r->cidr[i], key))
			best = r->cidr[i];
	return best;
}

/* A key near one of a few bases, so that prefixes nest and part often. */
static void lpm_rand_key(struct rnd_state *rs, u8 bits, u8 *key)
{
	static const u8 bases[4][16] = {
		{ 192, 0, 2, 0 },
		{ 198, 51, 100, 0 },
		{ 0x20, 0x01, 0x0d, 0xb8 },
		{ 203, 0, 113, 128, 0xfe, 0x80 },
	};
	unsigned int keep = prandom_u32_state(rs) % (bits + 1), i;

	memcpy(key, bases[prandom_u32_state(rs) % 4], 16);
	for (i = keep; i < bits; i++)
		if (prandom_u32_state(rs) & 1)
			key[i / 8] ^= 0x80 >> (i % 8);
}

static int lpm_count_cb(const u8 *key, u8 cidr, void *arg)
{
	struct lpm_ref *r = arg;
	unsigned int i;

	/* Every walked prefix must be in the reference, host bits clear. */
	if (lpm_ref_find(r, key, cidr) < 0)
		return -ENOENT;
	for (i = cidr; i < r->bits; i++)
		if ((key[i / 8] >> (7 - i % 8)) & 1)
			return -EINVAL;	/* host bits must be clear */
	r->walked++;
	return 0;
}

static void lpm_random_family(struct kunit *test, u8 bits)
{
	static DEFINE_MUTEX(lock);
	struct lpm_ref *r;
	struct rnd_state rs;
	struct ztdns_lpm t;
	unsigned int op;
	u8 key[16];

	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->bits = bits;
	prandom_seed_state(&rs, 0x2d75 + bits);
	ztdns_lpm_init(&t, bits);

	mutex_lock(&lock);
	for (op = 0; op < 30000; op++) {
		unsigned int what = prandom_u32_state(&rs) % 8;
		u8 cidr = prandom_u32_state(&rs) % (bits + 1);
		int want, got, i;

		memset(key, 0, sizeof(key));
		lpm_rand_key(&rs, bits, key);
		if (what < 3 && r->n < LPM_REF_MAX) {
			i = lpm_ref_find(r, key, cidr);
			got = ztdns_lpm_insert(&t, key, cidr, &lock);
			KUNIT_ASSERT_EQ(test, got, i >= 0 ? -EEXIST : 0);
			if (i < 0) {
				memcpy(r->key[r->n], key, 16);
				r->cidr[r->n++] = cidr;
			}
		} else if (what < 5) {
			/* Half the removes hit a present prefix. */
			if (r->n && (prandom_u32_state(&rs) & 1)) {
				i = prandom_u32_state(&rs) % r->n;
				memcpy(key, r->key[i], 16);
				cidr = r->cidr[i];
				/* Host bits set must not matter. */
				if (cidr < bits)
					key[bits / 8 - 1] ^= (cidr < bits - 8) ? 0xff : 0;
			}
			i = lpm_ref_find(r, key, cidr);
			got = ztdns_lpm_remove(&t, key, cidr, &lock);
			KUNIT_ASSERT_EQ(test, got, i >= 0 ? 0 : -ENOENT);
			if (i >= 0) {
				r->n--;
				memcpy(r->key[i], r->key[r->n], 16);
				r->cidr[i] = r->cidr[r->n];
			}
		} else {
			want = lpm_ref_lookup(r, key);
			rcu_read_lock();
			got = ztdns_lpm_lookup(&t, key);
			rcu_read_unlock();
			KUNIT_ASSERT_EQ_MSG(test, got, want, "lookup %*phC, op %u",
					    bits / 8, key, op);
		}
		KUNIT_ASSERT_EQ(test, t.count, r->n);
		if (op % 1000 == 0) {
			r->walked = 0;
			KUNIT_ASSERT_EQ(test, ztdns_lpm_walk(&t, lpm_count_cb, r, &lock), 0);
			KUNIT_ASSERT_EQ(test, r->walked, r->n);
		}
	}
	ztdns_lpm_free(&t, &lock);
	mutex_unlock(&lock);
	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, ztdns_lpm_lookup(&t, key), -1);
	rcu_read_unlock();
}

static void ztdns_test_lpm_random_ipv4(struct kunit *test)
{
	lpm_random_family(test, 32);
}

static void ztdns_test_lpm_random_ipv6(struct kunit *test)
{
	lpm_random_family(test, 128);
}

static void ztdns_test_lpm_fixed(struct kunit *test)
{
	static DEFINE_MUTEX(lock);
	static const u8 net24[4] = { 192, 0, 2, 77 };	/* host bits set */
	static const u8 in24[4] = { 192, 0, 2, 1 };
	static const u8 net25[4] = { 192, 0, 2, 128 };
	static const u8 in25[4] = { 192, 0, 2, 200 };
	static const u8 other[4] = { 198, 51, 100, 7 };
	static const u8 zero[4];
	struct ztdns_lpm t;

	ztdns_lpm_init(&t, 32);
	mutex_lock(&lock);
	KUNIT_EXPECT_EQ(test, ztdns_lpm_insert(&t, net24, 33, &lock), -EINVAL);
	KUNIT_EXPECT_EQ(test, ztdns_lpm_insert(&t, net24, 24, &lock), 0);
	KUNIT_EXPECT_EQ(test, ztdns_lpm_insert(&t, in24, 24, &lock), -EEXIST);
	KUNIT_EXPECT_EQ(test, ztdns_lpm_insert(&t, net25, 25, &lock), 0);
	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, ztdns_lpm_lookup(&t, in24), 24);
	KUNIT_EXPECT_EQ(test, ztdns_lpm_lookup(&t, in25), 25);
	KUNIT_EXPECT_EQ(test, ztdns_lpm_lookup(&t, other), -1);
	rcu_read_unlock();
	/* /0 covers everything; removing it leaves the rest. */
	KUNIT_EXPECT_EQ(test, ztdns_lpm_insert(&t, other, 0, &lock), 0);
	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, ztdns_lpm_lookup(&t, other), 0);
	KUNIT_EXPECT_EQ(test, ztdns_lpm_lookup(&t, in25), 25);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, ztdns_lpm_remove(&t, zero, 0, &lock), 0);
	KUNIT_EXPECT_EQ(test, ztdns_lpm_remove(&t, zero, 0, &lock), -ENOENT);
	KUNIT_EXPECT_EQ(test, ztdns_lpm_remove(&t, in24, 23, &lock), -ENOENT);
	KUNIT_EXPECT_EQ(test, ztdns_lpm_remove(&t, in24, 24, &lock), 0);
	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, ztdns_lpm_lookup(&t, in24), -1);
	KUNIT_EXPECT_EQ(test, ztdns_lpm_lookup(&t, in25), 25);
	KUNIT_EXPECT_EQ(test, ztdns_lpm_lookup(&t, other), -1);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, t.count, 1U);
	ztdns_lpm_free(&t, &lock);
	mutex_unlock(&lock);
}

static struct kunit_case ztdns_lpm_cases[] = {
	KUNIT_CASE(ztdns_test_lpm_fixed),
	KUNIT_CASE(ztdns_test_lpm_random_ipv4),
	KUNIT_CASE(ztdns_test_lpm_random_ipv6),
	{}
};

static struct kunit_suite ztdns_lpm_suite = {
	.name = "ztdns-lpm",
	.test_cases = ztdns_lpm_cases,
};

kunit_test_suite(ztdns_lpm_suite);
