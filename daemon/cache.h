/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The answer cache: upstream replies (positive and negative) by question,
 * each for the TTL zt_dns_parse_reply() gave it.  Bounded twice: at most
 * max_entries replies and max_entries * ZT_CACHE_AVG_BYTES bytes of them;
 * the least recently used reply goes first.  Time is given by the caller
 * (milliseconds of CLOCK_MONOTONIC), so the tests control it.
 */
#ifndef ZTDNS_CACHE_H
#define ZTDNS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns.h"

#define ZT_CACHE_AVG_BYTES 1024

struct zt_cache;

/* A cache of at most @max_entries replies; 0 makes one that keeps none. */
struct zt_cache *zt_cache_new(size_t max_entries);
void zt_cache_free(struct zt_cache *c);

/*
 * Replies are keyed by what was asked upstream: the question of the
 * client's query @q and what zt_dns_asked() says of it (RD, DO; not CD).
 */

/*
 * Store (or replace) the reply to @q for @ttl seconds from @now_ms.  A
 * @ttl of 0 stores nothing.  Return: 0, or -ENOMEM (the cache is then
 * unchanged).
 */
int zt_cache_put(struct zt_cache *c, const struct zt_dns_query *q,
		 const uint8_t *msg, size_t len, uint32_t ttl, uint64_t now_ms);

/*
 * Copy the live reply to @q into @out with its TTLs lowered by the whole
 * seconds it spent in the cache (zt_dns_age()).  An expired reply is
 * dropped.  Return: its length, -ENOENT, or -ENOSPC.
 */
int zt_cache_get(struct zt_cache *c, const struct zt_dns_query *q,
		 uint8_t *out, size_t size, uint64_t now_ms);

size_t zt_cache_count(const struct zt_cache *c);
size_t zt_cache_bytes(const struct zt_cache *c);

#endif /* ZTDNS_CACHE_H */
