/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DNS messages, as much of RFC 1035 as a forwarding stub needs: the
 * question of a client's query, the query ztdnsd sends upstream, and the
 * addresses an upstream reply proves for the queried name.
 *
 * Everything here reads untrusted bytes and is bounded: a message is at
 * most ZT_DNS_MSG_MAX bytes, a name at most 255 bytes on the wire, a name
 * follows at most ZT_DNS_MAX_PTRS compression pointers and each pointer
 * must point backwards (RFC 9267), to the start of a label of a name read
 * before (never into a question's or record's fixed fields or opaque
 * RDATA) and to labels that end before the labels holding it, a CNAME
 * chain has at most ZT_DNS_MAX_CNAMES links, and a reply yields at most
 * ZT_DNS_MAX_ADDRS addresses.  Pure functions, no I/O:
 * tests/unit/dns_test.c and tests/fuzz/dns_fuzz.c drive them on any host.
 *
 * Functions return a length or 0, or a negative errno: -EBADMSG for bytes
 * that are not a well-formed message (names and messages beyond their
 * bounds included), -ENOMSG for a reply that does not answer the question,
 * -ENOSPC when the output does not fit, -E2BIG when a reply crosses the
 * CNAME or address bound.
 */
#ifndef ZTDNS_DNS_H
#define ZTDNS_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse.h"

#define ZT_DNS_MSG_MAX		65535
#define ZT_DNS_HDR_LEN		12
#define ZT_DNS_NAME_MAX		255	/* wire form, with the root label */
#define ZT_DNS_MAX_PTRS		16	/* compression pointers per name */
#define ZT_DNS_MAX_CNAMES	16	/* CNAME links followed */
#define ZT_DNS_MAX_ADDRS	256	/* addresses taken from one reply */
#define ZT_DNS_MAX_EDITS	512	/* to shape one reply for a client */
#define ZT_DNS_UDP_PLAIN	512	/* a UDP reply without EDNS(0) */
#define ZT_DNS_EDNS_SIZE	1232	/* the UDP size ztdnsd advertises */
#define ZT_DNS_PAD_QUERY	128	/* RFC 8467 block length, queries */
#define ZT_DNS_PAD_REPLY	468	/* RFC 8467 block length, replies */

#define ZT_DNS_TYPE_A		1
#define ZT_DNS_TYPE_CNAME	5
#define ZT_DNS_TYPE_SOA		6
#define ZT_DNS_TYPE_AAAA	28
#define ZT_DNS_TYPE_OPT		41
#define ZT_DNS_CLASS_IN		1

#define ZT_DNS_RCODE_NOERROR	0
#define ZT_DNS_RCODE_FORMERR	1
#define ZT_DNS_RCODE_SERVFAIL	2
#define ZT_DNS_RCODE_NXDOMAIN	3
#define ZT_DNS_RCODE_NOTIMP	4
#define ZT_DNS_RCODE_REFUSED	5

/* The one question of a message. */
struct zt_dns_question {
	uint8_t name[ZT_DNS_NAME_MAX];	/* wire form, uncompressed, lowercase */
	uint8_t name_len;		/* bytes of @name, root label included */
	uint16_t qtype;
	uint16_t qclass;
};

/* A client's query, as zt_dns_parse_query() found it. */
struct zt_dns_query {
	uint16_t id;
	uint16_t flags;			/* header flags word, host order */
	struct zt_dns_question q;
	bool edns;			/* the query had an OPT record */
	bool dnssec_ok;			/* ... with the DO bit */
	uint16_t udp_size;		/* its UDP payload size; 512 without */
};

/* One address an answer proves for the queried name. */
struct zt_dns_addr {
	struct zt_addr addr;
	/*
	 * The lowest TTL of its record and of the CNAME records that led
	 * to its owner; 2^31 or more counts as 0 (RFC 2181).  Not clamped.
	 */
	uint32_t ttl;
};

/* What zt_dns_parse_reply() found in an upstream reply. */
struct zt_dns_reply {
	uint16_t id;
	uint8_t rcode;
	bool truncated;			/* TC bit */
	/*
	 * Seconds the whole reply may be cached: the smallest TTL of the
	 * answer records owned by the queried name or its CNAME chain, and
	 * for a negative answer (NXDOMAIN, or no record of the queried type)
	 * of the SOA record's TTL and MINIMUM too (RFC 2308); 0 for a
	 * negative answer without SOA, a truncated reply or another rcode.
	 * A TTL of 2^31 or more counts as 0 (RFC 2181).
	 */
	uint32_t cache_ttl;
	unsigned int naddrs;
	struct zt_dns_addr addrs[ZT_DNS_MAX_ADDRS];
};

/**
 * zt_dns_parse_query() - the question of a client's query
 *
 * Accepts a standard query (QR 0, opcode 0) with exactly one question,
 * no answer or authority records, and at most one additional record,
 * an OPT.  Return: 0, -EBADMSG, -EPROTO for a standard query with a
 * question count other than one (FORMERR), or -ENOTSUP for another
 * message ztdnsd does not forward (another opcode, other records: NOTIMP);
 * the header is parsed even then, so that the caller can answer.  For
 * another opcode or a question count other than one, @q->q is left empty
 * (name_len 0).
 */
int zt_dns_parse_query(const uint8_t *msg, size_t len, struct zt_dns_query *q);

#define ZT_DNS_ASK_RD		0x01
#define ZT_DNS_ASK_DO		0x02

/**
 * zt_dns_asked() - what the query sent upstream for @q asks besides its
 * question
 *
 * ZT_DNS_ASK_RD if the client set RD, ZT_DNS_ASK_DO if it set DO.  Never
 * CD: the protective server's DNSSEC verdict is final, and a local process
 * must not get what it refused as bogus.  The cache keys on this, so that
 * a reply serves only queries that would have asked the same.
 */
unsigned int zt_dns_asked(const struct zt_dns_query *q);

/**
 * zt_dns_build_query() - the query ztdnsd sends upstream for @q
 * @out, @size: where it goes
 * @q: the client's query; its question and what zt_dns_asked() says go
 * @id: the upstream ID
 * @pad: pad the message with an EDNS(0) padding option (RFC 7830) to a
 *	 multiple of this many bytes; 0 for none
 *
 * The query always carries an OPT record advertising ZT_DNS_EDNS_SIZE.
 * Return: its length, or -ENOSPC.
 */
int zt_dns_build_query(uint8_t *out, size_t size, const struct zt_dns_query *q,
		       uint16_t id, unsigned int pad);

/**
 * zt_dns_parse_reply() - check an upstream reply and collect its addresses
 * @msg, @len: the reply
 * @q: the question it must answer
 * @r: filled in on success
 *
 * The reply must have QR 1 and the same question (names compared case
 * insensitively).  Addresses are the A and AAAA records of class IN in the
 * answer section whose owner is the queried name or a name reached from it
 * by the answer's CNAME records, in order; records of the authority and
 * additional sections are never used.  The caller checks the ID.
 *
 * A well-formed reply without a question (a server's FORMERR, REFUSED or
 * NOTIMP may have none) answers whatever query has its ID: @r then has
 * its ID and rcode only.
 * Return: 0, -EBADMSG, -ENOMSG, -E2BIG, or -EPROTO for a reply without a
 * question.
 */
int zt_dns_parse_reply(const uint8_t *msg, size_t len,
		       const struct zt_dns_question *q, struct zt_dns_reply *r);

/**
 * zt_dns_client_reply() - the reply a client gets from an upstream reply
 * @out, @size: where it goes
 * @msg, @len: the upstream reply, already checked by zt_dns_parse_reply()
 * @q: the client's query
 * @limit: the largest reply the client can take (UDP: its udp_size, at
 *	   least 512; TCP: 65535)
 * @hide: whether the client may not see an address (of an A or AAAA
 *	  record of class IN, in any section); NULL to hide none
 * @arg: passed to @hide
 *
 * Copies the reply with the client's ID and its RD flag, and without the
 * upstream OPT record (and so without its padding) and the additional
 * records after it, whose compression pointers may lead into it; when the
 * client sent EDNS(0), a plain OPT record of ours ends the message.  The
 * records @hide refuses are left out, the section counts and compression
 * pointers after them set right; leaving out a record, and writing out
 * the labels of a pointer that led into one, is an edit, of which there
 * are at most ZT_DNS_MAX_EDITS.  A reply still longer than @limit becomes
 * a header-and-question reply with TC set.
 * Return: its length, or -EBADMSG, -ENOSPC, or -E2BIG for too many edits.
 */
int zt_dns_client_reply(uint8_t *out, size_t size, const uint8_t *msg,
			size_t len, const struct zt_dns_query *q, size_t limit,
			bool (*hide)(const struct zt_addr *a, void *arg),
			void *arg);

/**
 * zt_dns_error_reply() - a reply with no records and @rcode for @q
 *
 * Carries the client's ID, opcode, question (none if @q->q.name_len is
 * 0), RD and CD flags and an OPT record if the query had one (with the
 * upper bits of @rcode); RA is set.  Return: its length, or -ENOSPC.
 */
int zt_dns_error_reply(uint8_t *out, size_t size, const struct zt_dns_query *q,
		       uint8_t rcode);

/**
 * zt_dns_age() - subtract @elapsed seconds from every TTL in a message
 *
 * For a reply served from the cache; TTLs do not go below 0 and the OPT
 * record's TTL field (extended flags) is left alone.
 * Return: 0 or -EBADMSG.
 */
int zt_dns_age(uint8_t *msg, size_t len, uint32_t elapsed);

/* The question as text ("www.example.com. AAAA"), for logs. */
char *zt_dns_question_str(char *buf, size_t size,
			  const struct zt_dns_question *q);

#endif /* ZTDNS_DNS_H */
