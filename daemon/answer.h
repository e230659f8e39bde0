/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What ztdnsd makes of an upstream reply, without I/O: whether it answers
 * a query in flight, which of its addresses the kernel is to allow and
 * for how long, how long the cache keeps it, and the reply the client
 * gets.  resolve.c and upstream.c call these around the kernel, the
 * cache and the sockets; tests/fuzz/resolve_fuzz.c calls them the same
 * way on any bytes.
 */
#ifndef ZTDNS_ANSWER_H
#define ZTDNS_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dns.h"

/**
 * zt_answer_match() - whether a reply answers the query sent as @id for @q
 * @msg, @len: the reply, at least a header
 * @id: the upstream ID the query went with
 * @q: its question
 * @r: filled in by zt_dns_parse_reply() when the ID is @id
 *
 * Return: -ENOMSG when it is not the reply to that query (another ID, or
 * the same ID and another question), else what zt_dns_parse_reply()
 * says: 0 for an answer to use, -EPROTO for a reply without a question
 * (an error of the server's, for whatever query has the ID), -EBADMSG or
 * -E2BIG.
 */
int zt_answer_match(const uint8_t *msg, size_t len, uint16_t id,
		    const struct zt_dns_question *q, struct zt_dns_reply *r);

/**
 * zt_answer_learn() - the addresses of @r the kernel is to allow
 * @cfg: its allowed subnets, min_ttl and max_ttl
 * @r: the parsed reply; its first addresses become those to allow
 * @refused: called for each address zt_rebind_refused() keeps out, with
 *	     the name of its range; may be NULL
 * @arg: passed to @refused
 *
 * The addresses of special ranges no allowed subnet covers are left out;
 * the others keep their order, their TTLs clamped to [min_ttl, max_ttl].
 * Return: how many are to be allowed: the first of r->addrs.
 */
unsigned int zt_answer_learn(const struct zt_config *cfg,
			     struct zt_dns_reply *r,
			     void (*refused)(const struct zt_addr *a,
					     const char *special, void *arg),
			     void *arg);

/**
 * zt_answer_cache_ttl() - whether and how long to cache an upstream reply
 * @cfg: its max_ttl bounds the time
 * @r: the parsed reply
 * @ttl: the seconds, when to cache; 0 drops what the cache has
 *
 * What is final is cached: answers, NXDOMAIN and NODATA, not truncated.
 * Return: whether to cache it.
 */
bool zt_answer_cache_ttl(const struct zt_config *cfg,
			 const struct zt_dns_reply *r, uint32_t *ttl);

/**
 * zt_answer_client() - the reply a client gets (zt_dns_client_reply())
 * @cfg: its allowed subnets: the addresses zt_answer_learn() leaves out
 *	 are hidden from the client too
 * @out, @size: where it goes
 * @msg, @len: the upstream or cached reply, parsed already
 * @dq: the client's query
 * @tcp: the client asked over TCP: no limit but 65535 bytes
 *
 * Return: its length, or a negative errno.
 */
int zt_answer_client(const struct zt_config *cfg, uint8_t *out, size_t size,
		     const uint8_t *msg, size_t len,
		     const struct zt_dns_query *dq, bool tcp);

/* What ztdnsd does with a reply, besides sending the client its own. */
struct zt_answer {
	unsigned int nallow;	/* addresses to allow: the first of r->addrs */
	bool cache;		/* whether to cache the reply ... */
	uint32_t cache_ttl;	/* ... for so long (zt_answer_cache_ttl()) */
};

/**
 * zt_answer_make() - the client's reply, then what to allow and cache
 * @cfg, @out, @size, @msg, @len, @dq, @tcp: as zt_answer_client()
 * @r: the parsed reply: zt_answer_learn() rewrites its addresses
 * @refused, @arg: as zt_answer_learn()
 * @a: filled in on success
 *
 * The client's reply comes first: a reply that cannot be shaped for the
 * client (too many records to leave out) teaches the kernel nothing, so
 * that no address is allowed that the client was not told.
 * Return: the length of the client's reply, or a negative errno.
 */
int zt_answer_make(const struct zt_config *cfg, uint8_t *out, size_t size,
		   const uint8_t *msg, size_t len,
		   const struct zt_dns_query *dq, bool tcp,
		   struct zt_dns_reply *r,
		   void (*refused)(const struct zt_addr *a,
				   const char *special, void *arg),
		   void *arg, struct zt_answer *a);

#endif /* ZTDNS_ANSWER_H */
