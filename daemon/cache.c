// SPDX-License-Identifier: GPL-2.0
/*
 * The answer cache; cache.h says what it promises.  A hash table of
 * entries keyed by question and what else was asked upstream
 * (zt_dns_asked()), its bucket array sized once for max_entries, and a
 * list of the entries from the most to the least recently used, whose
 * tail goes first when a bound is crossed.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"

#define ZT_CACHE_MIN_BUCKETS	16
#define ZT_CACHE_KEY_MAX	(ZT_DNS_NAME_MAX + 5)

struct zt_lru {
	struct zt_lru *prev, *next;
};

struct zt_cache_entry {
	struct zt_lru lru;		/* first: see zt_lru_entry() */
	struct zt_cache_entry *hnext;	/* in its bucket */
	uint32_t hash;
	uint8_t key[ZT_CACHE_KEY_MAX];	/* name, type, class, asked */
	size_t key_len;
	uint64_t stored_ms;
	uint64_t expires_ms;
	uint8_t *msg;
	size_t len;
};

struct zt_cache {
	struct zt_cache_entry **buckets;
	size_t mask;			/* buckets - 1, a power of two */
	struct zt_lru lru;		/* next: most recent, prev: least */
	size_t count, bytes;
	size_t max_entries, max_bytes;
};

struct zt_key {
	uint8_t bytes[ZT_CACHE_KEY_MAX];
	size_t len;
	uint32_t hash;
};

static struct zt_cache_entry *zt_lru_entry(struct zt_lru *l)
{
	return (struct zt_cache_entry *)l;
}

static void zt_lru_del(struct zt_lru *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
}

static void zt_lru_add(struct zt_cache *c, struct zt_lru *l)
{
	l->next = c->lru.next;
	l->prev = &c->lru;
	c->lru.next->prev = l;
	c->lru.next = l;
}

/*
 * The key of a query: its question, the name lowercased (as the parser
 * gives it), and what else went upstream.
 */
static void zt_key_make(struct zt_key *k, const struct zt_dns_query *dq)
{
	const struct zt_dns_question *q = &dq->q;
	uint32_t h = 2166136261u;	/* FNV-1a */
	size_t i;

	for (i = 0; i < q->name_len; i++) {
		uint8_t ch = q->name[i];

		k->bytes[i] = ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
	}
	k->bytes[i++] = q->qtype >> 8;
	k->bytes[i++] = q->qtype & 0xff;
	k->bytes[i++] = q->qclass >> 8;
	k->bytes[i++] = q->qclass & 0xff;
	k->bytes[i++] = (uint8_t)zt_dns_asked(dq);
	k->len = i;
	for (i = 0; i < k->len; i++)
		h = (h ^ k->bytes[i]) * 16777619u;
	k->hash = h;
}

static struct zt_cache_entry **zt_bucket(struct zt_cache *c, uint32_t hash)
{
	return &c->buckets[hash & c->mask];
}

static struct zt_cache_entry *zt_find(struct zt_cache *c,
				      const struct zt_key *k)
{
	struct zt_cache_entry *e;

	for (e = *zt_bucket(c, k->hash); e; e = e->hnext)
		if (e->hash == k->hash && e->key_len == k->len &&
		    !memcmp(e->key, k->bytes, k->len))
			return e;
	return NULL;
}

static void zt_remove(struct zt_cache *c, struct zt_cache_entry *e)
{
	struct zt_cache_entry **pp = zt_bucket(c, e->hash);

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	zt_lru_del(&e->lru);
	c->count--;
	c->bytes -= e->len;
	free(e->msg);
	free(e);
}

struct zt_cache *zt_cache_new(size_t max_entries)
{
	size_t n = ZT_CACHE_MIN_BUCKETS;
	struct zt_cache *c;

	if (max_entries > SIZE_MAX / ZT_CACHE_AVG_BYTES)
		return NULL;
	while (n < max_entries)
		n <<= 1;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->buckets = calloc(n, sizeof(*c->buckets));
	if (!c->buckets) {
		free(c);
		return NULL;
	}
	c->mask = n - 1;
	c->lru.next = c->lru.prev = &c->lru;
	c->max_entries = max_entries;
	c->max_bytes = max_entries * ZT_CACHE_AVG_BYTES;
	return c;
}

void zt_cache_free(struct zt_cache *c)
{
	if (!c)
		return;
	while (c->lru.next != &c->lru)
		zt_remove(c, zt_lru_entry(c->lru.next));
	free(c->buckets);
	free(c);
}

/*
 * A reply that is not to be kept (TTL 0, too big) also drops the one
 * stored for its key: it is the newer word on the question.
 */
int zt_cache_put(struct zt_cache *c, const struct zt_dns_query *q,
		 const uint8_t *msg, size_t len, uint32_t ttl, uint64_t now_ms)
{
	struct zt_cache_entry *e;
	struct zt_key k;
	uint8_t *copy;

	zt_key_make(&k, q);
	e = zt_find(c, &k);
	if (!ttl || !len || len > ZT_DNS_MSG_MAX || len > c->max_bytes) {
		if (e)
			zt_remove(c, e);
		return 0;
	}
	copy = malloc(len);
	if (!copy)
		return -ENOMEM;
	if (e) {
		free(e->msg);
		c->bytes -= e->len;
		zt_lru_del(&e->lru);
	} else {
		e = calloc(1, sizeof(*e));
		if (!e) {
			free(copy);
			return -ENOMEM;
		}
		memcpy(e->key, k.bytes, k.len);
		e->key_len = k.len;
		e->hash = k.hash;
		e->hnext = *zt_bucket(c, k.hash);
		*zt_bucket(c, k.hash) = e;
		c->count++;
	}
	memcpy(copy, msg, len);
	e->msg = copy;
	e->len = len;
	e->stored_ms = now_ms;
	e->expires_ms = now_ms + (uint64_t)ttl * 1000;
	c->bytes += len;
	zt_lru_add(c, &e->lru);
	/* The new entry is first and fits alone, so it is never evicted. */
	while (c->count > c->max_entries || c->bytes > c->max_bytes)
		zt_remove(c, zt_lru_entry(c->lru.prev));
	return 0;
}

int zt_cache_get(struct zt_cache *c, const struct zt_dns_query *q,
		 uint8_t *out, size_t size, uint64_t now_ms)
{
	struct zt_cache_entry *e;
	struct zt_key k;
	uint64_t age;

	zt_key_make(&k, q);
	e = zt_find(c, &k);
	if (!e)
		return -ENOENT;
	if (now_ms >= e->expires_ms) {
		zt_remove(c, e);
		return -ENOENT;
	}
	if (e->len > size)
		return -ENOSPC;
	memcpy(out, e->msg, e->len);
	age = now_ms > e->stored_ms ? (now_ms - e->stored_ms) / 1000 : 0;
	/* age < ttl, which fits 32 bits; a message that is not one goes. */
	if (zt_dns_age(out, e->len, (uint32_t)age)) {
		zt_remove(c, e);
		return -ENOENT;
	}
	zt_lru_del(&e->lru);
	zt_lru_add(c, &e->lru);
	return (int)e->len;
}

size_t zt_cache_count(const struct zt_cache *c)
{
	return c->count;
}

size_t zt_cache_bytes(const struct zt_cache *c)
{
	return c->bytes;
}
