// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of daemon/cache.c: replies in and out at times the test
 * chooses, the TTLs they come back with, expiry, replacement and both
 * bounds.  Prints each failed case and a count; exits 1 when any failed.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/cache.h"
#include "check.h"

#define T_A	ZT_DNS_TYPE_A
#define T_AAAA	ZT_DNS_TYPE_AAAA

/* A message: the bytes and the question it is for. */
struct msg {
	uint8_t b[8192];
	size_t len;
	struct zt_dns_query q;
};

static void put(struct msg *m, const void *p, size_t n)
{
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

static void put16(struct msg *m, unsigned int v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), v & 0xff };

	put(m, b, 2);
}

/* The header and question of a query or reply for "@label.example". */
static void start(struct msg *m, unsigned int flags, const char *label,
		  unsigned int type, unsigned int an, unsigned int ar)
{
	uint8_t n = (uint8_t)strlen(label);

	m->len = 0;
	put16(m, 0x4444);
	put16(m, flags);
	put16(m, 1);
	put16(m, an);
	put16(m, 0);
	put16(m, ar);
	put(m, &n, 1);
	put(m, label, n);
	put(m, "\7example", 9);
	put16(m, type);
	put16(m, ZT_DNS_CLASS_IN);
}

/*
 * The reply to "@label.example A": one A record with @ttl, and as many
 * bytes of an opaque additional record as make it @len bytes long (at
 * least 72).  Its question is that of the query, through the parser.
 */
static void reply(struct msg *m, const char *label, unsigned int type,
		  uint32_t ttl, size_t len)
{
	static const uint8_t a[] = { 0xc0, 12, 0, T_A, 0, 1 };
	uint8_t t[4] = { (uint8_t)(ttl >> 24), (uint8_t)(ttl >> 16),
			 (uint8_t)(ttl >> 8), (uint8_t)ttl };
	size_t fill;

	start(m, 0x0100, label, type, 0, 0);
	check_int("parse_query", label, zt_dns_parse_query(m->b, m->len,
		  &m->q), 0);
	start(m, 0x8180, label, type, 1, 1);
	put(m, a, sizeof(a));
	put(m, t, 4);
	put(m, "\0\4\300\0\2\1", 6);
	fill = len - m->len - 11;
	put(m, "\0\377\0\0\1\0\0\0\0", 9);
	put16(m, (unsigned int)fill);
	memset(m->b + m->len, 0, fill);
	m->len += fill;
}

/* The TTL of the A record of a reply() that came out of the cache. */
static long long a_ttl(const uint8_t *b)
{
	size_t at = 12 + 1 + b[12] + 9 + 4 + 6;

	return (long long)b[at] << 24 | b[at + 1] << 16 | b[at + 2] << 8 |
	       b[at + 3];
}

/* The query of @m (RD set), with the DO bit @dnssec_ok. */
static const struct zt_dns_query *query(const struct msg *m, bool dnssec_ok)
{
	static struct zt_dns_query q;

	q = m->q;
	q.dnssec_ok = dnssec_ok;
	return &q;
}

static int get(struct zt_cache *c, const struct msg *m, bool dnssec_ok,
	       uint8_t *out, uint64_t now)
{
	return zt_cache_get(c, query(m, dnssec_ok), out, 8192, now);
}

static int put_reply(struct zt_cache *c, const struct msg *m, bool dnssec_ok,
		     uint32_t ttl, uint64_t now)
{
	return zt_cache_put(c, query(m, dnssec_ok), m->b, m->len, ttl, now);
}

static void test_round_trip(void)
{
	static struct msg m, m2, big;
	static uint8_t out[8192];
	struct zt_cache *c = zt_cache_new(4);

	reply(&m, "www", T_A, 300, 100);
	check_int("put", "round trip", put_reply(c, &m, false, 300, 1000), 0);
	check_int("count", "round trip", (long long)zt_cache_count(c), 1);
	check_int("bytes", "round trip", (long long)zt_cache_bytes(c), 100);
	check_int("get", "round trip", get(c, &m, false, out, 1000), 100);
	check_int("same bytes", "round trip", !memcmp(out, m.b, m.len), 1);
	check_int("get", "other DO bit", get(c, &m, true, out, 1000),
		  -ENOENT);
	check_int("get", "59.999 s later", get(c, &m, false, out, 60999),
		  100);
	check_int("A TTL", "59.999 s later", a_ttl(out), 241);
	check_int("get", "60 s later", get(c, &m, false, out, 61000), 100);
	check_int("A TTL", "60 s later", a_ttl(out), 240);
	check_int("get", "last ms", get(c, &m, false, out, 300999), 100);
	check_int("A TTL", "last ms", a_ttl(out), 1);
	check_int("get", "too small",
		  zt_cache_get(c, &m.q, out, 99, 1000), -ENOSPC);
	check_int("count", "too small", (long long)zt_cache_count(c), 1);
	check_int("get", "expired", get(c, &m, false, out, 301000), -ENOENT);
	check_int("count", "expired", (long long)zt_cache_count(c), 0);
	check_int("bytes", "expired", (long long)zt_cache_bytes(c), 0);

	/* The cached TTL may be shorter than the records' (clamped). */
	check_int("put", "short TTL", put_reply(c, &m, false, 5, 0), 0);
	check_int("get", "short TTL", get(c, &m, false, out, 4000), 100);
	check_int("A TTL", "short TTL", a_ttl(out), 296);
	check_int("get", "short TTL expired", get(c, &m, false, out, 5000),
		  -ENOENT);

	/* Replaced in place; DO is part of the key. */
	reply(&m2, "www", T_A, 600, 200);
	check_int("put", "first", put_reply(c, &m, false, 300, 0), 0);
	check_int("put", "DO", put_reply(c, &m, true, 300, 0), 0);
	check_int("put", "replace", put_reply(c, &m2, false, 600, 0), 0);
	check_int("count", "replace", (long long)zt_cache_count(c), 2);
	check_int("bytes", "replace", (long long)zt_cache_bytes(c), 300);
	check_int("get", "replace", get(c, &m, false, out, 400000), 200);
	check_int("A TTL", "replace", a_ttl(out), 200);
	check_int("get", "DO kept", get(c, &m, true, out, 0), 100);
	check_int("put", "TTL 0", put_reply(c, &m, true, 0, 0), 0);
	check_int("get", "TTL 0 drops", get(c, &m, true, out, 0), -ENOENT);
	check_int("count", "TTL 0", (long long)zt_cache_count(c), 1);

	/* Bigger than the byte budget (4 KiB): not kept, nothing lost. */
	reply(&big, "big", T_A, 60, 4097);
	check_int("put", "too big", put_reply(c, &big, false, 60, 0), 0);
	check_int("get", "too big", get(c, &big, false, out, 0), -ENOENT);
	check_int("count", "too big", (long long)zt_cache_count(c), 1);
	reply(&big, "big", T_A, 60, 4095);
	check_int("put", "4095 bytes", put_reply(c, &big, false, 60, 0), 0);
	check_int("count", "4095 bytes", (long long)zt_cache_count(c), 1);
	check_int("bytes", "4095 bytes", (long long)zt_cache_bytes(c), 4095);
	zt_cache_free(c);
}

static void test_key(void)
{
	static struct msg lower, upper, aaaa;
	static uint8_t out[8192];
	struct zt_cache *c = zt_cache_new(8);
	struct zt_dns_query q;

	reply(&lower, "www", T_A, 60, 100);
	reply(&upper, "WwW", T_A, 60, 120);
	reply(&aaaa, "www", T_AAAA, 60, 140);
	check_int("put", "lower", put_reply(c, &lower, false, 60, 0), 0);
	check_int("get", "upper through the parser",
		  get(c, &upper, false, out, 0), 100);
	check_int("put", "AAAA", put_reply(c, &aaaa, false, 60, 0), 0);
	check_int("get", "AAAA", get(c, &aaaa, false, out, 0), 140);
	check_int("get", "A", get(c, &lower, false, out, 0), 100);
	/* A question not from the parser still meets its key. */
	q = lower.q;
	q.q.name[1] = 'W';
	check_int("get", "upper by hand",
		  zt_cache_get(c, &q, out, sizeof(out), 0), 100);
	q.q.qclass = 3;
	check_int("get", "other class",
		  zt_cache_get(c, &q, out, sizeof(out), 0), -ENOENT);

	/*
	 * The key is what went upstream: CD never does, so a query with CD
	 * meets the reply to one without; RD does, so one without RD,
	 * asked upstream without, does not.
	 */
	q = lower.q;
	q.flags |= 0x0010;
	check_int("get", "CD", zt_cache_get(c, &q, out, sizeof(out), 0), 100);
	q.flags = 0;
	check_int("get", "no RD", zt_cache_get(c, &q, out, sizeof(out), 0),
		  -ENOENT);
	check_int("put", "no RD", zt_cache_put(c, &q, upper.b, upper.len, 60,
		  0), 0);
	check_int("get", "no RD", zt_cache_get(c, &q, out, sizeof(out), 0),
		  120);
	check_int("get", "RD kept", get(c, &lower, false, out, 0), 100);
	zt_cache_free(c);
}

static void test_lru(void)
{
	static struct msg m[5];
	static uint8_t out[8192];
	static const char *const names[] = { "a", "b", "c", "d", "e" };
	struct zt_cache *c = zt_cache_new(2);
	unsigned int i;
	char in[32];

	for (i = 0; i < 5; i++)
		reply(&m[i], names[i], T_A, 60, i < 3 ? 100 : 1000);

	/* By count: a, b; a used; c pushes b out. */
	check_int("put", "a", put_reply(c, &m[0], false, 60, 0), 0);
	check_int("put", "b", put_reply(c, &m[1], false, 60, 0), 0);
	check_int("get", "a", get(c, &m[0], false, out, 0), 100);
	check_int("put", "c", put_reply(c, &m[2], false, 60, 0), 0);
	check_int("count", "by count", (long long)zt_cache_count(c), 2);
	check_int("get", "b evicted", get(c, &m[1], false, out, 0), -ENOENT);
	check_int("get", "a kept", get(c, &m[0], false, out, 0), 100);
	check_int("get", "c kept", get(c, &m[2], false, out, 0), 100);

	/* d and e (1000 bytes each) fit in 2 KiB; d grown pushes e out. */
	check_int("put", "d", put_reply(c, &m[3], false, 60, 0), 0);
	check_int("put", "e", put_reply(c, &m[4], false, 60, 0), 0);
	check_int("count", "d and e", (long long)zt_cache_count(c), 2);
	check_int("bytes", "d and e", (long long)zt_cache_bytes(c), 2000);
	check_int("get", "c evicted", get(c, &m[2], false, out, 0), -ENOENT);
	reply(&m[3], "d", T_A, 60, 1500);
	check_int("put", "d bigger", put_reply(c, &m[3], false, 60, 0), 0);
	check_int("count", "d bigger", (long long)zt_cache_count(c), 1);
	check_int("bytes", "d bigger", (long long)zt_cache_bytes(c), 1500);
	check_int("get", "d bigger", get(c, &m[3], false, out, 0), 1500);
	zt_cache_free(c);

	/* By bytes alone: room for 4 replies but 4 KiB, and 3 of 1500. */
	c = zt_cache_new(4);
	for (i = 0; i < 3; i++) {
		reply(&m[i], names[i], T_A, 60, 1500);
		check_int("put", names[i], put_reply(c, &m[i], false, 60, 0),
			  0);
	}
	check_int("count", "by bytes", (long long)zt_cache_count(c), 2);
	check_int("bytes", "by bytes", (long long)zt_cache_bytes(c), 3000);
	check_int("get", "a evicted", get(c, &m[0], false, out, 0), -ENOENT);
	check_int("get", "b kept", get(c, &m[1], false, out, 0), 1500);
	zt_cache_free(c);

	/* Many more replies than room: the bounds hold throughout. */
	c = zt_cache_new(100);
	for (i = 0; i < 1000; i++) {
		snprintf(in, sizeof(in), "n%u", i);
		reply(&m[0], in, T_A, 60, 72 + i % 500);
		put_reply(c, &m[0], false, 60, i);
		if (zt_cache_count(c) > 100 || zt_cache_bytes(c) > 102400)
			break;
	}
	check_int("count", "many", (long long)zt_cache_count(c), 100);
	check_int("bytes bounded", "many", zt_cache_bytes(c) <= 102400, 1);
	check_int("get", "last of many", get(c, &m[0], false, out, 1000),
		  (int)m[0].len);
	zt_cache_free(c);
}

static void test_empty(void)
{
	static struct msg m;
	static uint8_t out[8192];
	struct zt_cache *c = zt_cache_new(0);

	reply(&m, "www", T_A, 60, 100);
	check_int("new", "0", c != NULL, 1);
	check_int("put", "size 0", put_reply(c, &m, false, 60, 0), 0);
	check_int("count", "size 0", (long long)zt_cache_count(c), 0);
	check_int("get", "size 0", get(c, &m, false, out, 0), -ENOENT);
	zt_cache_free(c);
	zt_cache_free(NULL);
}

int main(void)
{
	test_round_trip();
	test_key();
	test_lru();
	test_empty();
	return check_done("cache_test");
}
