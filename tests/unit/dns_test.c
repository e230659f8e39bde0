// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of daemon/dns.c: messages assembled by hand, good and
 * malformed, through every function of dns.h.  Prints each failed case
 * and a count; exits 1 when any failed.
 *
 * "dns_test DIR" also writes the good replies it builds, and a few hostile
 * ones, into DIR, as the seed corpus of tests/fuzz/dns_fuzz
 * (tests/fuzz/corpus/dns).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/dns.h"
#include "check.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define QR	0x8000
#define OPCODE(n) ((n) << 11)
#define AA	0x0400
#define TC	0x0200
#define RD	0x0100
#define RA	0x0080
#define AD	0x0020
#define CD	0x0010
#define DO	0x8000

#define T_A	ZT_DNS_TYPE_A
#define T_NS	2
#define T_CNAME	ZT_DNS_TYPE_CNAME
#define T_SOA	ZT_DNS_TYPE_SOA
#define T_MX	15
#define T_TXT	16
#define T_AAAA	ZT_DNS_TYPE_AAAA
#define T_OPT	ZT_DNS_TYPE_OPT
#define T_SRV	33
#define T_RRSIG	46
#define T_HTTPS	65
#define T_ANY	255
#define T_PRIV	65280			/* opaque RDATA */
#define C_IN	ZT_DNS_CLASS_IN

static const char *seed_dir;

/* A message under construction. */
struct msg {
	uint8_t b[ZT_DNS_MSG_MAX + 16];
	size_t len;
};

static void put8(struct msg *m, unsigned int v)
{
	if (m->len < sizeof(m->b))
		m->b[m->len++] = (uint8_t)v;
}

static void put16(struct msg *m, unsigned int v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void put32(struct msg *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

static void put_raw(struct msg *m, const void *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		put8(m, ((const uint8_t *)p)[i]);
}

static void set16(struct msg *m, size_t off, unsigned int v)
{
	m->b[off] = (uint8_t)(v >> 8);
	m->b[off + 1] = v & 0xff;
}

/*
 * "www.example.com" in wire form; "" is the root.  A label "@N" is a
 * compression pointer to offset N and ends the name: "www.@12".
 */
static void put_name(struct msg *m, const char *name)
{
	while (*name) {
		const char *dot = strchrnul(name, '.');

		if (*name == '@') {
			put16(m, 0xc000 | (unsigned int)atoi(name + 1));
			return;
		}
		put8(m, (unsigned int)(dot - name));
		put_raw(m, name, (size_t)(dot - name));
		name = *dot ? dot + 1 : dot;
	}
	put8(m, 0);
}

static size_t name_len(const char *name)
{
	static struct msg t;

	t.len = 0;
	put_name(&t, name);
	return t.len;
}

static void hdr(struct msg *m, unsigned int id, unsigned int flags,
		unsigned int qd, unsigned int an, unsigned int ns,
		unsigned int ar)
{
	m->len = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, ns);
	put16(m, ar);
}

static void question(struct msg *m, const char *name, unsigned int type)
{
	put_name(m, name);
	put16(m, type);
	put16(m, C_IN);
}

/* Type, class, TTL and RDLENGTH, after the owner. */
static void rr_head(struct msg *m, unsigned int type, unsigned int class,
		    uint32_t ttl, unsigned int rdlen)
{
	put16(m, type);
	put16(m, class);
	put32(m, ttl);
	put16(m, rdlen);
}

static void rr_raw(struct msg *m, const char *owner, unsigned int type,
		   uint32_t ttl, const void *rdata, unsigned int rdlen)
{
	put_name(m, owner);
	rr_head(m, type, C_IN, ttl, rdlen);
	put_raw(m, rdata, rdlen);
}

/* An A or AAAA record, by the address's family. */
static void rr_addr(struct msg *m, const char *owner, uint32_t ttl,
		    const char *addr)
{
	int v6 = strchr(addr, ':') != NULL;
	uint8_t b[16];

	inet_pton(v6 ? AF_INET6 : AF_INET, addr, b);
	rr_raw(m, owner, v6 ? T_AAAA : T_A, ttl, b, v6 ? 16 : 4);
}

static void rr_cname(struct msg *m, const char *owner, uint32_t ttl,
		     const char *target)
{
	put_name(m, owner);
	rr_head(m, T_CNAME, C_IN, ttl, (unsigned int)name_len(target));
	put_name(m, target);
}

static void rr_soa(struct msg *m, const char *owner, uint32_t ttl,
		   uint32_t minimum)
{
	put_name(m, owner);
	rr_head(m, T_SOA, C_IN, ttl, (unsigned int)(name_len("ns.example") +
		name_len("host.example") + 20));
	put_name(m, "ns.example");
	put_name(m, "host.example");
	put32(m, 2024010101);
	put32(m, 7200);
	put32(m, 3600);
	put32(m, 1209600);
	put32(m, minimum);
}

/* An OPT record, with a padding option of @padlen bytes unless 0. */
static void rr_opt(struct msg *m, unsigned int udp, uint32_t ttl,
		   unsigned int padlen)
{
	unsigned int i;

	put8(m, 0);
	rr_head(m, T_OPT, udp, ttl, padlen ? padlen + 4 : 0);
	if (!padlen)
		return;
	put16(m, 12);
	put16(m, padlen);
	for (i = 0; i < padlen; i++)
		put8(m, 0);
}

/* A reply to "@name @type" with the counts given, after its question. */
static void reply_start(struct msg *m, const char *name, unsigned int type,
			unsigned int an, unsigned int ns, unsigned int ar)
{
	hdr(m, 0x1234, QR | RD | RA, 1, an, ns, ar);
	question(m, name, type);
}

/* Keep a message as a seed of the fuzzer when asked to. */
static void seed(const char *name, const uint8_t *b, size_t len)
{
	char path[4096];
	FILE *f;

	if (!seed_dir)
		return;
	snprintf(path, sizeof(path), "%s/%s", seed_dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(b, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(2);
	}
}

/* The client's query for "@name @type", as the parser gives it. */
static void query(struct zt_dns_query *q, const char *name, unsigned int type)
{
	static struct msg m;

	hdr(&m, 0xbeef, RD, 1, 0, 0, 0);
	question(&m, name, type);
	check_int("query", name, zt_dns_parse_query(m.b, m.len, q), 0);
}

static int parse_reply(const struct msg *m, const struct zt_dns_query *q,
		       struct zt_dns_reply *r)
{
	return zt_dns_parse_reply(m->b, m->len, &q->q, r);
}

static void check_addr(const char *in, const struct zt_dns_reply *r,
		       unsigned int i, const char *want, uint32_t ttl)
{
	char buf[INET6_ADDRSTRLEN] = "(none)";

	if (i < r->naddrs)
		inet_ntop(r->addrs[i].addr.family, r->addrs[i].addr.bytes,
			  buf, sizeof(buf));
	check_str("addr", in, buf, want);
	if (i < r->naddrs)
		check_int("addr ttl", in, r->addrs[i].ttl, ttl);
}

static void test_query(void)
{
	static struct msg m;
	struct zt_dns_query q;
	unsigned int i;
	char name[300];

	hdr(&m, 0x4242, RD | CD, 1, 0, 0, 0);
	question(&m, "WWW.Example.COM", T_AAAA);
	seed("query-aaaa", m.b, m.len);
	check_int("parse_query", "good", zt_dns_parse_query(m.b, m.len, &q),
		  0);
	check_int("id", "good", q.id, 0x4242);
	check_int("flags", "good", q.flags, RD | CD);
	check_int("name_len", "good", q.q.name_len, 17);
	check_bytes("name", "good lowercased", q.q.name,
		    (const uint8_t *)"\3www\7example\3com", 17);
	check_int("qtype", "good", q.q.qtype, T_AAAA);
	check_int("qclass", "good", q.q.qclass, C_IN);
	check_int("edns", "good", q.edns, 0);
	check_int("udp_size", "good", q.udp_size, 512);

	check_int("parse_query", "trailing byte",
		  zt_dns_parse_query(m.b, m.len + 1, &q), -EBADMSG);
	check_int("parse_query", "no qclass",
		  zt_dns_parse_query(m.b, m.len - 1, &q), -EBADMSG);
	check_int("parse_query", "name cut",
		  zt_dns_parse_query(m.b, 12 + 9, &q), -EBADMSG);
	check_int("parse_query", "header cut", zt_dns_parse_query(m.b, 11, &q),
		  -EBADMSG);
	check_int("parse_query", "empty", zt_dns_parse_query(m.b, 0, &q),
		  -EBADMSG);
	check_int("parse_query", "over 65535",
		  zt_dns_parse_query(m.b, ZT_DNS_MSG_MAX + 1, &q), -EBADMSG);

	hdr(&m, 1, QR | RD, 1, 0, 0, 0);
	question(&m, "example.com", T_A);
	check_int("parse_query", "QR set", zt_dns_parse_query(m.b, m.len, &q),
		  -EBADMSG);

	hdr(&m, 7, OPCODE(4), 1, 0, 0, 0);
	question(&m, "example.com", T_SOA);
	check_int("parse_query", "NOTIFY", zt_dns_parse_query(m.b, m.len, &q),
		  -ENOTSUP);
	check_int("id", "NOTIFY", q.id, 7);
	check_int("flags", "NOTIFY", q.flags, OPCODE(4));
	check_int("name_len", "NOTIFY", q.q.name_len, 0);

	/* Not one question: FORMERR, not NOTIMP. */
	hdr(&m, 8, RD, 0, 0, 0, 0);
	check_int("parse_query", "qdcount 0",
		  zt_dns_parse_query(m.b, m.len, &q), -EPROTO);
	check_int("id", "qdcount 0", q.id, 8);
	hdr(&m, 9, RD, 2, 0, 0, 0);
	question(&m, "a.example", T_A);
	question(&m, "b.example", T_A);
	check_int("parse_query", "qdcount 2",
		  zt_dns_parse_query(m.b, m.len, &q), -EPROTO);
	check_int("name_len", "qdcount 2", q.q.name_len, 0);
	hdr(&m, 10, OPCODE(2), 0, 0, 0, 0);
	check_int("parse_query", "STATUS, qdcount 0",
		  zt_dns_parse_query(m.b, m.len, &q), -ENOTSUP);

	hdr(&m, 1, 0, 1, 0, 0, 0);
	put8(&m, 10);
	put_raw(&m, "short", 5);
	check_int("parse_query", "label overruns",
		  zt_dns_parse_query(m.b, m.len, &q), -EBADMSG);

	hdr(&m, 1, 0, 1, 0, 0, 0);
	put8(&m, 63);
	for (i = 0; i < 63; i++)
		put8(&m, 'a');
	put8(&m, 0);
	put16(&m, T_A);
	put16(&m, C_IN);
	check_int("parse_query", "label 63",
		  zt_dns_parse_query(m.b, m.len, &q), 0);
	m.b[12] = 64;
	put8(&m, 0);
	check_int("parse_query", "label 64",
		  zt_dns_parse_query(m.b, m.len, &q), -EBADMSG);
	m.b[12] = 0x80 | 63;
	check_int("parse_query", "label type 0x80",
		  zt_dns_parse_query(m.b, m.len - 1, &q), -EBADMSG);

	/* 63, 63, 63, 61: 255 bytes; 63, 63, 63, 62: 256. */
	memset(name, 'a', sizeof(name));
	name[63] = name[127] = name[191] = '.';
	name[253] = '\0';
	hdr(&m, 1, 0, 1, 0, 0, 0);
	question(&m, name, T_A);
	check_int("parse_query", "name 255",
		  zt_dns_parse_query(m.b, m.len, &q), 0);
	check_int("name_len", "name 255", q.q.name_len, 255);
	name[253] = 'a';
	name[254] = '\0';
	hdr(&m, 1, 0, 1, 0, 0, 0);
	question(&m, name, T_A);
	check_int("parse_query", "name 256",
		  zt_dns_parse_query(m.b, m.len, &q), -EBADMSG);

	hdr(&m, 1, 0, 1, 0, 0, 0);
	question(&m, "www.@12", T_A);
	check_int("parse_query", "pointer in question",
		  zt_dns_parse_query(m.b, m.len, &q), -EBADMSG);
	hdr(&m, 1, 0, 1, 0, 0, 0);
	question(&m, "www.@4", T_A);
	check_int("parse_query", "pointer into header",
		  zt_dns_parse_query(m.b, m.len, &q), -EBADMSG);

	hdr(&m, 1, RD, 1, 0, 0, 1);
	question(&m, "example.com", T_A);
	rr_opt(&m, 4096, DO, 0);
	seed("query-edns-do", m.b, m.len);
	check_int("parse_query", "OPT DO", zt_dns_parse_query(m.b, m.len, &q),
		  0);
	check_int("edns", "OPT DO", q.edns, 1);
	check_int("dnssec_ok", "OPT DO", q.dnssec_ok, 1);
	check_int("udp_size", "OPT DO", q.udp_size, 4096);
	set16(&m, m.len - 8, 100);
	set16(&m, m.len - 4, 0);
	check_int("parse_query", "OPT 100", zt_dns_parse_query(m.b, m.len, &q),
		  0);
	check_int("udp_size", "OPT 100", q.udp_size, 512);
	check_int("dnssec_ok", "OPT 100", q.dnssec_ok, 0);
	check_int("parse_query", "arcount beyond records",
		  zt_dns_parse_query(m.b, m.len - 11, &q), -EBADMSG);

	hdr(&m, 1, RD, 1, 0, 0, 2);
	question(&m, "example.com", T_A);
	rr_opt(&m, 1232, 0, 0);
	rr_opt(&m, 1232, 0, 0);
	check_int("parse_query", "two OPTs",
		  zt_dns_parse_query(m.b, m.len, &q), -ENOTSUP);
	check_int("name_len", "two OPTs", q.q.name_len, 13);

	hdr(&m, 1, RD, 1, 0, 0, 1);
	question(&m, "example.com", T_A);
	put_name(&m, "x");
	rr_head(&m, T_OPT, 1232, 0, 0);
	check_int("parse_query", "OPT not at root",
		  zt_dns_parse_query(m.b, m.len, &q), -EBADMSG);

	hdr(&m, 1, RD, 1, 1, 0, 0);
	question(&m, "example.com", T_A);
	rr_addr(&m, "@12", 60, "192.0.2.1");
	check_int("parse_query", "answer in query",
		  zt_dns_parse_query(m.b, m.len, &q), -ENOTSUP);
}

static void test_reply_basic(void)
{
	static struct msg m;
	struct zt_dns_query q;
	static struct zt_dns_reply r;

	query(&q, "www.example.com", T_A);
	reply_start(&m, "www.example.com", T_A, 2, 0, 0);
	rr_addr(&m, "@12", 300, "192.0.2.1");
	rr_addr(&m, "@12", 200, "192.0.2.2");
	seed("reply-a", m.b, m.len);
	check_int("parse_reply", "A", parse_reply(&m, &q, &r), 0);
	check_int("id", "A", r.id, 0x1234);
	check_int("rcode", "A", r.rcode, 0);
	check_int("truncated", "A", r.truncated, 0);
	check_int("naddrs", "A", r.naddrs, 2);
	check_addr("A", &r, 0, "192.0.2.1", 300);
	check_addr("A", &r, 1, "192.0.2.2", 200);
	check_int("cache_ttl", "A", r.cache_ttl, 200);
	check_int("parse_reply", "trailing byte",
		  zt_dns_parse_reply(m.b, m.len + 1, &q.q, &r), -EBADMSG);
	check_int("parse_reply", "cut", zt_dns_parse_reply(m.b, m.len - 1,
		  &q.q, &r), -EBADMSG);
	check_int("parse_reply", "header only",
		  zt_dns_parse_reply(m.b, 12, &q.q, &r), -EBADMSG);
	check_int("parse_reply", "header cut",
		  zt_dns_parse_reply(m.b, 11, &q.q, &r), -EBADMSG);
	set16(&m, 2, RD | RA);
	check_int("parse_reply", "QR 0", parse_reply(&m, &q, &r), -ENOMSG);
	set16(&m, 2, QR | TC | RD | RA);
	check_int("parse_reply", "TC", parse_reply(&m, &q, &r), 0);
	check_int("truncated", "TC", r.truncated, 1);
	check_int("cache_ttl", "TC", r.cache_ttl, 0);
	set16(&m, 2, QR | RD | RA | ZT_DNS_RCODE_SERVFAIL);
	check_int("parse_reply", "SERVFAIL", parse_reply(&m, &q, &r), 0);
	check_int("rcode", "SERVFAIL", r.rcode, ZT_DNS_RCODE_SERVFAIL);
	check_int("cache_ttl", "SERVFAIL", r.cache_ttl, 0);
	set16(&m, 6, 3);
	check_int("parse_reply", "ancount beyond records",
		  parse_reply(&m, &q, &r), -EBADMSG);
	set16(&m, 6, 1);
	check_int("parse_reply", "ancount short of records",
		  parse_reply(&m, &q, &r), -EBADMSG);
	set16(&m, 6, 1);
	set16(&m, 8, 1);
	check_int("parse_reply", "nscount takes the second",
		  parse_reply(&m, &q, &r), 0);
	check_int("naddrs", "nscount takes the second", r.naddrs, 1);
	set16(&m, 10, 1);
	check_int("parse_reply", "arcount beyond records",
		  parse_reply(&m, &q, &r), -EBADMSG);

	reply_start(&m, "WwW.ExAmPlE.CoM", T_A, 1, 0, 0);
	rr_addr(&m, "@12", 60, "192.0.2.1");
	seed("reply-a-mixed-case", m.b, m.len);
	check_int("parse_reply", "question case", parse_reply(&m, &q, &r), 0);
	check_int("naddrs", "question case", r.naddrs, 1);
	reply_start(&m, "www.example.com", T_A, 1, 0, 0);
	rr_addr(&m, "WWW.EXAMPLE.COM", 60, "192.0.2.1");
	check_int("parse_reply", "owner case", parse_reply(&m, &q, &r), 0);
	check_int("naddrs", "owner case", r.naddrs, 1);

	reply_start(&m, "www.example.com", T_AAAA, 1, 0, 0);
	rr_addr(&m, "@12", 60, "192.0.2.1");
	check_int("parse_reply", "other type", parse_reply(&m, &q, &r),
		  -ENOMSG);
	reply_start(&m, "www.example.net", T_A, 1, 0, 0);
	rr_addr(&m, "@12", 60, "192.0.2.1");
	check_int("parse_reply", "other name", parse_reply(&m, &q, &r),
		  -ENOMSG);
	reply_start(&m, "www.example.com", T_A, 1, 0, 0);
	set16(&m, m.len - 2, 3);
	rr_addr(&m, "@12", 60, "192.0.2.1");
	check_int("parse_reply", "other class", parse_reply(&m, &q, &r),
		  -ENOMSG);
	/* A reply without a question answers the query of its ID. */
	hdr(&m, 1, QR | ZT_DNS_RCODE_REFUSED, 0, 0, 0, 0);
	check_int("parse_reply", "no question", parse_reply(&m, &q, &r),
		  -EPROTO);
	check_int("rcode", "no question", r.rcode, ZT_DNS_RCODE_REFUSED);
	check_int("id", "no question", r.id, 1);
	hdr(&m, 2, QR | ZT_DNS_RCODE_FORMERR, 0, 0, 0, 1);
	rr_opt(&m, 1232, 0, 0);
	seed("reply-formerr-no-question", m.b, m.len);
	check_int("parse_reply", "FORMERR, no question, OPT",
		  parse_reply(&m, &q, &r), -EPROTO);
	check_int("rcode", "FORMERR, no question, OPT", r.rcode,
		  ZT_DNS_RCODE_FORMERR);
	check_int("parse_reply", "no question, cut",
		  zt_dns_parse_reply(m.b, m.len - 1, &q.q, &r), -EBADMSG);
	set16(&m, 2, ZT_DNS_RCODE_FORMERR);
	check_int("parse_reply", "no question, QR 0", parse_reply(&m, &q, &r),
		  -ENOMSG);
	hdr(&m, 1, QR, 2, 0, 0, 0);
	question(&m, "www.example.com", T_A);
	question(&m, "www.example.com", T_A);
	check_int("parse_reply", "two questions", parse_reply(&m, &q, &r),
		  -ENOMSG);
	check_int("parse_reply", "over 65535", zt_dns_parse_reply(m.b,
		  ZT_DNS_MSG_MAX + 1, &q.q, &r), -EBADMSG);
}

static void test_reply_types(void)
{
	static struct msg m;
	struct zt_dns_query q;
	static struct zt_dns_reply r;
	static const unsigned int types[] = { T_A, T_AAAA, T_ANY, T_HTTPS,
					      T_MX };
	static const unsigned int want[][2] = { { 1, 0 }, { 0, 1 }, { 1, 1 },
						{ 1, 1 }, { 1, 1 } };
	unsigned int i;

	for (i = 0; i < 5; i++) {
		char in[32];

		snprintf(in, sizeof(in), "mixed, qtype %u", types[i]);
		query(&q, "www.example.com", types[i]);
		reply_start(&m, "www.example.com", types[i], 3, 0, 0);
		rr_addr(&m, "@12", 60, "2001:db8::1");
		rr_addr(&m, "@12", 60, "192.0.2.1");
		rr_raw(&m, "@12", T_TXT, 60, "\3abc", 4);
		if (i == 3)
			seed("reply-https-with-a-aaaa", m.b, m.len);
		check_int("parse_reply", in, parse_reply(&m, &q, &r), 0);
		check_int("naddrs", in, r.naddrs, want[i][0] + want[i][1]);
		if (want[i][1])
			check_addr(in, &r, 0, "2001:db8::1", 60);
		if (want[i][0])
			check_addr(in, &r, want[i][1], "192.0.2.1", 60);
	}

	query(&q, "www.example.com", T_AAAA);
	reply_start(&m, "www.example.com", T_AAAA, 2, 0, 0);
	rr_addr(&m, "@12", 3600, "2001:db8::1");
	rr_addr(&m, "@12", 120, "2001:db8::2");
	seed("reply-aaaa", m.b, m.len);
	check_int("parse_reply", "AAAA", parse_reply(&m, &q, &r), 0);
	check_addr("AAAA", &r, 0, "2001:db8::1", 3600);
	check_addr("AAAA", &r, 1, "2001:db8::2", 120);
	check_int("cache_ttl", "AAAA", r.cache_ttl, 120);

	/* Another class: its A records are opaque, never addresses. */
	query(&q, "www.example.com", T_A);
	reply_start(&m, "www.example.com", T_A, 1, 0, 0);
	put_name(&m, "@12");
	rr_head(&m, T_A, 3, 60, 2);
	put16(&m, 0x1234);
	check_int("parse_reply", "CH A", parse_reply(&m, &q, &r), 0);
	check_int("naddrs", "CH A", r.naddrs, 0);

	reply_start(&m, "www.example.com", T_A, 1, 0, 0);
	rr_raw(&m, "@12", T_A, 60, "\300\0\2\1\1", 5);
	check_int("parse_reply", "A rdlength 5", parse_reply(&m, &q, &r),
		  -EBADMSG);
	reply_start(&m, "www.example.com", T_A, 0, 0, 1);
	rr_raw(&m, "@12", T_AAAA, 60, "\300\0\2\1", 4);
	check_int("parse_reply", "AAAA rdlength 4 in additional",
		  parse_reply(&m, &q, &r), -EBADMSG);
	reply_start(&m, "www.example.com", T_A, 1, 0, 0);
	rr_raw(&m, "@12", T_A, 60, "\300\0\2\1", 4);
	m.b[m.len - 5] = 200;
	check_int("parse_reply", "rdlength beyond the end",
		  parse_reply(&m, &q, &r), -EBADMSG);
	reply_start(&m, "www.example.com", T_A, 1, 0, 0);
	put_name(&m, "@12");
	put16(&m, T_A);
	put16(&m, C_IN);
	check_int("parse_reply", "record cut in its fixed part",
		  parse_reply(&m, &q, &r), -EBADMSG);
	reply_start(&m, "www.example.com", T_A, 1, 0, 0);
	put_name(&m, "@12");
	rr_head(&m, T_CNAME, C_IN, 60, 4);
	put_raw(&m, "\1a\0\0", 4);
	check_int("parse_reply", "CNAME with a byte after its name",
		  parse_reply(&m, &q, &r), -EBADMSG);
	reply_start(&m, "www.example.com", T_A, 1, 0, 0);
	put_name(&m, "@12");
	rr_head(&m, T_CNAME, C_IN, 60, 2);
	put_raw(&m, "\3ab", 3);
	check_int("parse_reply", "CNAME name beyond its RDATA",
		  parse_reply(&m, &q, &r), -EBADMSG);
	reply_start(&m, "www.example.com", T_A, 0, 1, 0);
	rr_raw(&m, "example", T_NS, 60, "\2ns\0\0", 5);
	check_int("parse_reply", "NS with a byte after its name",
		  parse_reply(&m, &q, &r), -EBADMSG);
	reply_start(&m, "www.example.com", T_A, 0, 1, 0);
	rr_raw(&m, "example", T_MX, 60, "\0", 1);
	check_int("parse_reply", "MX cut", parse_reply(&m, &q, &r), -EBADMSG);
	reply_start(&m, "www.example.com", T_A, 0, 1, 0);
	put_name(&m, "example.com");
	rr_head(&m, T_SOA, C_IN, 60, 20);
	put_raw(&m, "\0\0", 2);
	put32(&m, 1);
	put32(&m, 2);
	put32(&m, 3);
	put32(&m, 4);
	put16(&m, 0);
	check_int("parse_reply", "SOA cut", parse_reply(&m, &q, &r),
		  -EBADMSG);
}

static void test_reply_cname(void)
{
	static struct msg m;
	struct zt_dns_query q;
	static struct zt_dns_reply r;
	char owner[32], target[32];
	unsigned int i, links;

	query(&q, "www.example.com", T_A);
	reply_start(&m, "www.example.com", T_A, 5, 0, 0);
	rr_cname(&m, "@12", 600, "a.cdn.example");
	rr_cname(&m, "a.cdn.example", 100, "b.cdn.example");
	rr_addr(&m, "b.cdn.example", 300, "192.0.2.7");
	rr_addr(&m, "b.cdn.example", 300, "192.0.2.8");
	rr_addr(&m, "other.example", 5, "192.0.2.66");
	seed("reply-cname-chain", m.b, m.len);
	check_int("parse_reply", "chain", parse_reply(&m, &q, &r), 0);
	check_int("naddrs", "chain", r.naddrs, 2);
	check_addr("chain", &r, 0, "192.0.2.7", 100);
	check_addr("chain", &r, 1, "192.0.2.8", 100);
	check_int("cache_ttl", "chain", r.cache_ttl, 100);

	reply_start(&m, "www.example.com", T_A, 4, 0, 0);
	rr_addr(&m, "b.cdn.example", 300, "192.0.2.7");
	rr_cname(&m, "a.cdn.example", 100, "b.cdn.example");
	rr_addr(&m, "a.cdn.example", 30, "192.0.2.9");
	rr_cname(&m, "@12", 600, "a.cdn.example");
	seed("reply-cname-out-of-order", m.b, m.len);
	check_int("parse_reply", "chain out of order",
		  parse_reply(&m, &q, &r), 0);
	check_int("naddrs", "chain out of order", r.naddrs, 2);
	check_addr("chain out of order", &r, 0, "192.0.2.7", 100);
	check_addr("chain out of order", &r, 1, "192.0.2.9", 30);
	check_int("cache_ttl", "chain out of order", r.cache_ttl, 30);

	/* Compressed names: the target points into the question. */
	reply_start(&m, "www.example.com", T_A, 2, 0, 0);
	rr_cname(&m, "@12", 600, "cdn.@16");
	rr_addr(&m, "@45", 300, "192.0.2.10");
	seed("reply-cname-compressed", m.b, m.len);
	check_int("parse_reply", "compressed chain", parse_reply(&m, &q, &r),
		  0);
	check_addr("compressed chain", &r, 0, "192.0.2.10", 300);

	reply_start(&m, "www.example.com", T_A, 3, 0, 0);
	rr_cname(&m, "@12", 60, "x.example");
	rr_cname(&m, "x.example", 60, "www.example.com");
	rr_addr(&m, "x.example", 60, "192.0.2.11");
	seed("reply-cname-loop", m.b, m.len);
	check_int("parse_reply", "loop", parse_reply(&m, &q, &r), 0);
	check_int("naddrs", "loop", r.naddrs, 1);
	reply_start(&m, "www.example.com", T_A, 1, 0, 0);
	rr_cname(&m, "@12", 60, "@12");
	check_int("parse_reply", "CNAME to itself", parse_reply(&m, &q, &r),
		  0);
	check_int("naddrs", "CNAME to itself", r.naddrs, 0);

	for (links = ZT_DNS_MAX_CNAMES; links <= ZT_DNS_MAX_CNAMES + 1;
	     links++) {
		reply_start(&m, "www.example.com", T_A, links + 1, 0, 0);
		/* Backwards, to make every pass find one link. */
		for (i = links; i-- > 0;) {
			snprintf(owner, sizeof(owner), "c%u.example", i);
			snprintf(target, sizeof(target), "c%u.example", i + 1);
			rr_cname(&m, i ? owner : "www.example.com", 60,
				 target);
		}
		snprintf(owner, sizeof(owner), "c%u.example", links);
		rr_addr(&m, owner, 60, "192.0.2.12");
		if (links > ZT_DNS_MAX_CNAMES)
			seed("reply-cname-too-long", m.b, m.len);
		check_int("parse_reply", links > ZT_DNS_MAX_CNAMES ?
			  "one link too many" : "longest chain",
			  parse_reply(&m, &q, &r),
			  links > ZT_DNS_MAX_CNAMES ? -E2BIG : 0);
		if (links == ZT_DNS_MAX_CNAMES)
			check_int("naddrs", "longest chain", r.naddrs, 1);
	}

	/* Only the answer section counts. */
	reply_start(&m, "www.example.com", T_A, 1, 1, 2);
	rr_cname(&m, "@12", 60, "a.example");
	rr_addr(&m, "a.example", 60, "192.0.2.13");
	rr_cname(&m, "a.example", 60, "b.example");
	rr_addr(&m, "b.example", 60, "192.0.2.14");
	seed("reply-addresses-outside-answer", m.b, m.len);
	check_int("parse_reply", "A in authority/additional",
		  parse_reply(&m, &q, &r), 0);
	check_int("naddrs", "A in authority/additional", r.naddrs, 0);
}

static void test_reply_ttl(void)
{
	static struct msg m;
	struct zt_dns_query q;
	static struct zt_dns_reply r;

	query(&q, "www.example.com", T_A);
	reply_start(&m, "www.example.com", T_A, 3, 0, 0);
	rr_cname(&m, "@12", 100, "a.example");
	rr_addr(&m, "a.example", 0x80000000, "192.0.2.1");
	rr_addr(&m, "a.example", 200, "192.0.2.2");
	check_int("parse_reply", "TTL top bit", parse_reply(&m, &q, &r), 0);
	check_addr("TTL top bit", &r, 0, "192.0.2.1", 0);
	check_int("cache_ttl", "TTL top bit", r.cache_ttl, 0);
	reply_start(&m, "www.example.com", T_AAAA, 2, 0, 0);
	rr_addr(&m, "@12", 0xffffffff, "2001:db8::1");
	rr_addr(&m, "@12", 0x7fffffff, "2001:db8::2");
	query(&q, "www.example.com", T_AAAA);
	check_int("parse_reply", "TTL 2^32 - 1", parse_reply(&m, &q, &r), 0);
	check_addr("TTL 2^32 - 1", &r, 0, "2001:db8::1", 0);
	check_addr("TTL 2^31 - 1", &r, 1, "2001:db8::2", 0x7fffffff);
	query(&q, "www.example.com", T_A);

	hdr(&m, 1, QR | RD | RA | ZT_DNS_RCODE_NXDOMAIN, 1, 0, 1, 0);
	question(&m, "www.example.com", T_A);
	rr_soa(&m, "example.com", 900, 300);
	seed("reply-nxdomain-soa", m.b, m.len);
	check_int("parse_reply", "NXDOMAIN", parse_reply(&m, &q, &r), 0);
	check_int("rcode", "NXDOMAIN", r.rcode, ZT_DNS_RCODE_NXDOMAIN);
	check_int("cache_ttl", "NXDOMAIN, MINIMUM smaller", r.cache_ttl, 300);
	hdr(&m, 1, QR | RD | RA, 1, 0, 1, 0);
	question(&m, "www.example.com", T_A);
	rr_soa(&m, "example.com", 60, 300);
	seed("reply-nodata-soa", m.b, m.len);
	check_int("parse_reply", "NODATA", parse_reply(&m, &q, &r), 0);
	check_int("cache_ttl", "NODATA, TTL smaller", r.cache_ttl, 60);
	hdr(&m, 1, QR | RD | RA, 1, 0, 0, 0);
	question(&m, "www.example.com", T_A);
	check_int("parse_reply", "NODATA without SOA",
		  parse_reply(&m, &q, &r), 0);
	check_int("cache_ttl", "NODATA without SOA", r.cache_ttl, 0);

	reply_start(&m, "www.example.com", T_A, 1, 1, 0);
	rr_cname(&m, "@12", 30, "a.example");
	rr_soa(&m, "example", 600, 600);
	seed("reply-cname-nodata", m.b, m.len);
	check_int("parse_reply", "CNAME to NODATA", parse_reply(&m, &q, &r),
		  0);
	check_int("cache_ttl", "CNAME to NODATA", r.cache_ttl, 30);
	reply_start(&m, "www.example.com", T_A, 1, 0, 0);
	rr_cname(&m, "@12", 30, "a.example");
	check_int("parse_reply", "CNAME to NODATA without SOA",
		  parse_reply(&m, &q, &r), 0);
	check_int("cache_ttl", "CNAME to NODATA without SOA", r.cache_ttl, 0);

	/*
	 * An address lives no longer than the CNAME records that led to it:
	 * a.example's through www's (3600), b.example's through a's (20).
	 */
	reply_start(&m, "www.example.com", T_A, 4, 0, 0);
	rr_addr(&m, "b.example", 300, "192.0.2.2");
	rr_cname(&m, "a.example", 20, "b.example");
	rr_addr(&m, "a.example", 400, "192.0.2.1");
	rr_cname(&m, "@12", 3600, "a.example");
	check_int("parse_reply", "TTL along the chain",
		  parse_reply(&m, &q, &r), 0);
	check_addr("TTL along the chain", &r, 0, "192.0.2.2", 20);
	check_addr("TTL along the chain", &r, 1, "192.0.2.1", 400);
	check_int("cache_ttl", "TTL along the chain", r.cache_ttl, 20);
	reply_start(&m, "www.example.com", T_A, 3, 0, 0);
	rr_cname(&m, "@12", 0x80000000, "a.example");
	rr_cname(&m, "a.example", 20, "b.example");
	rr_addr(&m, "b.example", 300, "192.0.2.2");
	check_int("parse_reply", "TTL top bit along the chain",
		  parse_reply(&m, &q, &r), 0);
	check_addr("TTL top bit along the chain", &r, 0, "192.0.2.2", 0);

	/* A positive answer ignores the SOA; unrelated records too. */
	reply_start(&m, "www.example.com", T_A, 2, 1, 0);
	rr_addr(&m, "@12", 500, "192.0.2.1");
	rr_addr(&m, "x.example", 5, "192.0.2.2");
	rr_soa(&m, "example", 10, 10);
	check_int("parse_reply", "positive", parse_reply(&m, &q, &r), 0);
	check_int("naddrs", "positive", r.naddrs, 1);
	check_int("cache_ttl", "positive", r.cache_ttl, 500);
}

static void test_reply_pointers(void)
{
	static struct msg m;
	struct zt_dns_query q;
	static struct zt_dns_reply r;
	size_t at, to[4];
	char ptr[32];
	unsigned int i, n;

	query(&q, "www.example.com", T_A);
	/* The question ends at 33; the first owner is at 33. */
	reply_start(&m, "www.example.com", T_A, 1, 0, 0);
	rr_addr(&m, "@33", 60, "192.0.2.1");
	check_int("parse_reply", "pointer to itself", parse_reply(&m, &q, &r),
		  -EBADMSG);
	reply_start(&m, "www.example.com", T_A, 1, 0, 0);
	rr_addr(&m, "a.@33", 60, "192.0.2.1");
	check_int("parse_reply", "pointer to its own name",
		  parse_reply(&m, &q, &r), -EBADMSG);
	reply_start(&m, "www.example.com", T_A, 2, 0, 0);
	rr_addr(&m, "@49", 60, "192.0.2.1");	/* the next owner */
	rr_addr(&m, "@33", 60, "192.0.2.2");
	check_int("parse_reply", "two-cycle", parse_reply(&m, &q, &r),
		  -EBADMSG);
	reply_start(&m, "www.example.com", T_A, 2, 0, 0);
	rr_addr(&m, "x.example", 60, "192.0.2.1");
	rr_addr(&m, "@70", 60, "192.0.2.2");
	check_int("parse_reply", "forward pointer", parse_reply(&m, &q, &r),
		  -EBADMSG);
	reply_start(&m, "www.example.com", T_A, 1, 0, 0);
	rr_addr(&m, "@16000", 60, "192.0.2.1");
	check_int("parse_reply", "pointer beyond the end",
		  parse_reply(&m, &q, &r), -EBADMSG);
	reply_start(&m, "www.example.com", T_A, 1, 0, 0);
	rr_addr(&m, "@11", 60, "192.0.2.1");
	check_int("parse_reply", "pointer into the header",
		  parse_reply(&m, &q, &r), -EBADMSG);
	reply_start(&m, "www.example.com", T_A, 1, 0, 0);
	put8(&m, 0xc0);
	check_int("parse_reply", "pointer cut", parse_reply(&m, &q, &r),
		  -EBADMSG);

	/*
	 * Labels reached by a pointer must end before the labels holding
	 * it: here "\2" at 45 would read on into the owner at 46, making
	 * the name \2\1\0 \2\2\1 \0.
	 */
	reply_start(&m, "www.example.com", T_A, 2, 0, 0);
	rr_raw(&m, "@12", T_PRIV, 60, "\2", 1);
	put_raw(&m, "\2\1\0\300\55", 5);
	rr_head(&m, T_A, C_IN, 60, 4);
	put_raw(&m, "\300\0\2\1", 4);
	check_int("parse_reply", "pointed labels run into the name",
		  parse_reply(&m, &q, &r), -EBADMSG);

	/* No name may run through a TTL: aging would change it. */
	reply_start(&m, "www.example.com", T_A, 2, 0, 0);
	rr_raw(&m, "@12", T_PRIV, 0x01780000, "", 0);	/* TTL: \1x\0\0 */
	rr_addr(&m, "@39", 60, "192.0.2.1");
	check_int("parse_reply", "name through a TTL",
		  parse_reply(&m, &q, &r), -EBADMSG);
	check_int("age", "name through a TTL", zt_dns_age(m.b, m.len, 1),
		  -EBADMSG);
	reply_start(&m, "www.example.com", T_A, 1, 0, 0);
	rr_cname(&m, "@12", 0x01780000, "@39");
	check_int("parse_reply", "CNAME through its own TTL",
		  parse_reply(&m, &q, &r), -EBADMSG);
	reply_start(&m, "www.example.com", T_A, 1, 0, 0);
	rr_cname(&m, "@12", 60, "@29");
	check_int("parse_reply", "name through QTYPE",
		  parse_reply(&m, &q, &r), -EBADMSG);

	/*
	 * A pointer whose own two bytes are a TTL: the A record's owner
	 * points at the TXT record's TTL, \300\14, a pointer to the
	 * question; zt_dns_age() would make it the root.  Only a name read
	 * before may be pointed to.
	 */
	reply_start(&m, "www.example.com", T_A, 2, 0, 0);
	rr_raw(&m, "x", T_TXT, 0xc00c0000, "", 0);
	rr_addr(&m, "@40", 60, "192.0.2.1");
	seed("reply-pointer-in-ttl", m.b, m.len);
	check_int("parse_reply", "pointer in a TTL", parse_reply(&m, &q, &r),
		  -EBADMSG);
	check_int("age", "pointer in a TTL", zt_dns_age(m.b, m.len, 1),
		  -EBADMSG);
	reply_start(&m, "www.example.com", T_A, 1, 0, 0);
	rr_cname(&m, "@12", 60, "@31");		/* QCLASS: \0\1 */
	check_int("parse_reply", "pointer to QCLASS", parse_reply(&m, &q, &r),
		  -EBADMSG);
	/* Labels inside a label: "\3\1x\0" holds "\1x\0" at 34. */
	reply_start(&m, "www.example.com", T_A, 2, 0, 0);
	rr_raw(&m, "\1x", T_TXT, 60, "", 0);
	rr_addr(&m, "@34", 60, "192.0.2.1");
	check_int("parse_reply", "pointer into a label",
		  parse_reply(&m, &q, &r), -EBADMSG);
	reply_start(&m, "www.example.com", T_A, 2, 0, 0);
	rr_raw(&m, "@12", T_TXT, 60, "\1x\0", 3);
	rr_addr(&m, "@45", 60, "192.0.2.1");
	check_int("parse_reply", "pointer into a TXT",
		  parse_reply(&m, &q, &r), -EBADMSG);

	/*
	 * Names in the RDATA of the types that hold one may be pointed to,
	 * be they followed by more (RRSIG's signature, HTTPS's parameters)
	 * or not.
	 */
	reply_start(&m, "www.example.com", T_A, 5, 0, 0);
	to[0] = m.len + 12 + 2;
	rr_raw(&m, "@12", T_MX, 60, "\0\12\2mx\300\20", 7);
	to[1] = m.len + 12 + 6;
	rr_raw(&m, "@12", T_SRV, 60, "\0\1\0\2\0\3\3srv\300\20", 12);
	to[2] = m.len + 12 + 18;
	rr_raw(&m, "@12", T_RRSIG, 60, "\0\1\15\2\0\0\0\74\0\0\0\0\0\0\0\0"
	       "\0\1\3sig\300\20\1\2\3", 27);
	to[3] = m.len + 12 + 2;
	rr_raw(&m, "@12", T_HTTPS, 60, "\0\1\3svc\300\20\0\1\0\0", 12);
	at = m.len;
	for (i = 0; i < ARRAY_SIZE(to); i++) {
		m.len = at;
		snprintf(ptr, sizeof(ptr), "@%zu", to[i]);
		rr_addr(&m, ptr, 60, "192.0.2.1");
		check_int("parse_reply", ptr, parse_reply(&m, &q, &r), 0);
	}

	/*
	 * Record k's owner is "a." and a pointer to record k - 1's: it
	 * follows k + 1 pointers, the first to the question.
	 */
	for (n = ZT_DNS_MAX_PTRS; n <= ZT_DNS_MAX_PTRS + 1; n++) {
		reply_start(&m, "www.example.com", T_A, n, 0, 0);
		snprintf(ptr, sizeof(ptr), "a.@12");
		for (i = 0; i < n; i++) {
			at = m.len;
			put_name(&m, ptr);
			rr_head(&m, T_TXT, C_IN, 60, 0);
			snprintf(ptr, sizeof(ptr), "a.@%zu", at);
		}
		if (n == ZT_DNS_MAX_PTRS)
			seed("reply-pointer-chain", m.b, m.len);
		check_int("parse_reply", n > ZT_DNS_MAX_PTRS ?
			  "one pointer too many" : "most pointers",
			  parse_reply(&m, &q, &r),
			  n > ZT_DNS_MAX_PTRS ? -EBADMSG : 0);
	}
}

static void test_reply_bounds(void)
{
	static struct msg m;
	struct zt_dns_query q;
	static struct zt_dns_reply r;
	unsigned int i, n;
	size_t fill;

	query(&q, "www.example.com", T_A);
	for (n = ZT_DNS_MAX_ADDRS; n <= ZT_DNS_MAX_ADDRS + 1; n++) {
		reply_start(&m, "www.example.com", T_A, n, 0, 0);
		for (i = 0; i < n; i++) {
			char a[INET_ADDRSTRLEN + 8];

			snprintf(a, sizeof(a), "10.0.%u.%u", i / 256, i % 256);
			rr_addr(&m, "@12", 60, a);
		}
		if (n > ZT_DNS_MAX_ADDRS)
			seed("reply-too-many-addresses", m.b, m.len);
		check_int("parse_reply", n > ZT_DNS_MAX_ADDRS ?
			  "one address too many" : "most addresses",
			  parse_reply(&m, &q, &r),
			  n > ZT_DNS_MAX_ADDRS ? -E2BIG : 0);
		if (n == ZT_DNS_MAX_ADDRS)
			check_addr("most addresses", &r, n - 1, "10.0.0.255",
				   60);
	}

	/* 65535 bytes: an A record and one big opaque record. */
	reply_start(&m, "www.example.com", T_A, 1, 0, 1);
	rr_addr(&m, "@12", 60, "192.0.2.1");
	fill = ZT_DNS_MSG_MAX - m.len - 11;
	put8(&m, 0);
	rr_head(&m, T_PRIV, C_IN, 60, (unsigned int)fill);
	memset(m.b + m.len, 0xc0, fill);
	m.len += fill;
	check_int("length", "65535 bytes", m.len, ZT_DNS_MSG_MAX);
	check_int("parse_reply", "65535 bytes", parse_reply(&m, &q, &r), 0);
	check_int("naddrs", "65535 bytes", r.naddrs, 1);
	check_int("age", "65535 bytes", zt_dns_age(m.b, m.len, 10), 0);
	check_int("parse_reply", "65536 bytes",
		  zt_dns_parse_reply(m.b, m.len + 1, &q.q, &r), -EBADMSG);
}

static void test_build_query(void)
{
	static const char *const names[] = { "", "a", "www.example.com",
		"a-long-label-to-make-the-name-cross-a-block.example.org",
	};
	static uint8_t out[ZT_DNS_MSG_MAX], out2[ZT_DNS_MSG_MAX];
	static struct msg m;
	struct zt_dns_query q, back;
	unsigned int i, pad, want;
	size_t opt, at;
	char in[96];
	int n;

	for (i = 0; i < 4; i++) {
		for (pad = 0; pad <= ZT_DNS_PAD_REPLY; pad += 128) {
			if (pad == 384)
				pad = ZT_DNS_PAD_REPLY;
			snprintf(in, sizeof(in), "\"%s\" pad %u", names[i],
				 pad);
			hdr(&m, 9, RD | CD | AD | AA, 1, 0, 0, 1);
			question(&m, names[i], T_AAAA);
			rr_opt(&m, 512, i & 1 ? DO : 0, 0);
			check_int("parse_query", in,
				  zt_dns_parse_query(m.b, m.len, &q), 0);
			n = zt_dns_build_query(out, sizeof(out), &q, 0x5151,
					       pad);
			want = 12 + q.q.name_len + 4 + 11;
			if (pad)
				want = (want + 4 + pad - 1) / pad * pad;
			check_int("build_query", in, n, want);
			if (n < 0)
				continue;
			if (i == 2 && pad == ZT_DNS_PAD_QUERY)
				seed("query-padded", out, (size_t)n);
			check_int("parse own query", in,
				  zt_dns_parse_query(out, (size_t)n, &back), 0);
			check_int("id", in, back.id, 0x5151);
			/* CD never: the server's verdict is final. */
			check_int("flags", in, back.flags, RD);
			check_int("edns", in, back.edns, 1);
			check_int("dnssec_ok", in, back.dnssec_ok, i & 1);
			check_int("udp_size", in, back.udp_size,
				  ZT_DNS_EDNS_SIZE);
			check_int("name_len", in, back.q.name_len,
				  q.q.name_len);
			check_bytes("name", in, back.q.name, q.q.name,
				    q.q.name_len);
			check_int("qtype", in, back.q.qtype, T_AAAA);
			/* The OPT's RDLENGTH, then the padding option. */
			opt = 12 + q.q.name_len + 4;
			check_int("OPT rdlength", in,
				  out[opt + 9] << 8 | out[opt + 10],
				  n - (int)opt - 11);
			if (!pad)
				continue;
			check_int("padding code", in,
				  out[opt + 11] << 8 | out[opt + 12], 12);
			check_int("padding length", in,
				  out[opt + 13] << 8 | out[opt + 14],
				  n - (int)opt - 15);
			for (at = opt + 15; at < (size_t)n && !out[at]; at++)
				;
			check_int("padding is zeros", in, at, n);
			check_int("build_query", "one byte short",
				  zt_dns_build_query(out, (size_t)n - 1, &q, 1,
						     pad), -ENOSPC);
		}
	}

	/*
	 * What goes upstream, and what the cache keys on: RD and DO as the
	 * client set them, never CD, so CD=1 asks what CD=0 asks.
	 */
	query(&q, "www.example.com", T_A);
	check_int("asked", "RD", zt_dns_asked(&q), ZT_DNS_ASK_RD);
	q.flags = RD | CD;
	back = q;
	back.flags = RD;
	check_int("asked", "RD CD", zt_dns_asked(&q), ZT_DNS_ASK_RD);
	n = zt_dns_build_query(out, sizeof(out), &q, 1, 0);
	check_int("build_query", "RD CD", n, 12 + 17 + 4 + 11);
	check_int("same query", "CD 1 and 0", n == zt_dns_build_query(out2,
		  sizeof(out2), &back, 1, 0) && !memcmp(out, out2, 44), 1);
	q.flags = CD;
	q.dnssec_ok = true;
	check_int("asked", "CD DO", zt_dns_asked(&q), ZT_DNS_ASK_DO);
	n = zt_dns_build_query(out, sizeof(out), &q, 1, 0);
	check_int("flags", "CD DO", out[2] << 8 | out[3], 0);
	check_int("DO", "CD DO", out[n - 4] << 8 | out[n - 3], DO);
}

/* An upstream reply to "www.example.com A" with the OPT where asked. */
static void upstream_reply(struct msg *m, int opt_first)
{
	reply_start(m, "www.example.com", T_A, 2, 1, 3);
	rr_cname(m, "@12", 300, "a.example");
	rr_addr(m, "a.example", 60, "192.0.2.1");
	rr_raw(m, "example", T_NS, 60, "\2ns\300\57", 5);
	if (opt_first)
		rr_opt(m, 1232, DO, 400);
	rr_addr(m, "ns.example", 60, "192.0.2.53");
	rr_addr(m, "@100", 60, "2001:db8::53");	/* the NS's name */
	if (!opt_first)
		rr_opt(m, 1232, DO, 400);
}

static void test_client_reply(void)
{
	static uint8_t out[ZT_DNS_MSG_MAX];
	static struct msg m;
	static struct zt_dns_reply r;
	struct zt_dns_query q, edns;
	size_t opt_len = 11 + 4 + 400, qend = 12 + 17 + 4;
	int n;

	query(&q, "www.example.com", T_A);
	q.flags = 0;		/* no RD */
	q.id = 0xabcd;
	edns = q;
	edns.edns = true;
	edns.dnssec_ok = true;
	edns.udp_size = 1232;
	upstream_reply(&m, 0);
	seed("reply-opt-padding", m.b, m.len);
	check_int("upstream", "OPT last", parse_reply(&m, &q, &r), 0);
	check_int("naddrs", "OPT last", r.naddrs, 1);

	n = zt_dns_client_reply(out, sizeof(out), m.b, m.len, &q, 512, NULL,
				NULL);
	check_int("client_reply", "no EDNS", n, (int)(m.len - opt_len));
	check_bytes("id", "no EDNS", out, (const uint8_t *)"\xab\xcd", 2);
	check_int("flags", "no EDNS", out[2] << 8 | out[3], QR | RA);
	check_int("arcount", "no EDNS", out[11], 2);
	check_bytes("counts", "no EDNS", out + 4, m.b + 4, 6);
	check_bytes("records", "no EDNS", out + 12, m.b + 12, (size_t)n - 12);
	check_int("parse_reply", "no EDNS",
		  zt_dns_parse_reply(out, (size_t)n, &q.q, &r), 0);
	check_int("naddrs", "no EDNS", r.naddrs, 1);

	n = zt_dns_client_reply(out, sizeof(out), m.b, m.len, &edns, 1232,
				NULL, NULL);
	check_int("client_reply", "EDNS", n, (int)(m.len - opt_len + 11));
	check_int("arcount", "EDNS", out[11], 3);
	check_bytes("OPT", "EDNS", out + n - 11,
		    (const uint8_t *)"\0\0\51\4\320\0\0\200\0\0\0", 11);
	check_int("parse_reply", "EDNS",
		  zt_dns_parse_reply(out, (size_t)n, &q.q, &r), 0);
	check_int("client_reply", "EDNS, one byte short",
		  zt_dns_client_reply(out, (size_t)n - 1, m.b, m.len, &edns,
				      1232, NULL, NULL), -ENOSPC);

	/* The OPT first: what follows goes with it. */
	upstream_reply(&m, 1);
	seed("reply-opt-first", m.b, m.len);
	check_int("upstream", "OPT first", parse_reply(&m, &q, &r), 0);
	n = zt_dns_client_reply(out, sizeof(out), m.b, m.len, &edns, 1232,
				NULL, NULL);
	check_int("client_reply", "OPT first", n,
		  (int)(m.len - opt_len - 26 - 28 + 11));
	check_int("arcount", "OPT first", out[11], 1);
	check_int("parse_reply", "OPT first",
		  zt_dns_parse_reply(out, (size_t)n, &q.q, &r), 0);

	/* Too big for the client: header and question, TC. */
	n = zt_dns_client_reply(out, sizeof(out), m.b, m.len, &edns, 100,
				NULL, NULL);
	check_int("client_reply", "truncated", n, (int)(qend + 11));
	seed("reply-truncated-edns", out, (size_t)n);
	check_int("flags", "truncated", out[2] << 8 | out[3], QR | TC | RA);
	check_bytes("counts", "truncated", out + 4,
		    (const uint8_t *)"\0\1\0\0\0\0\0\1", 8);
	check_int("parse_reply", "truncated",
		  zt_dns_parse_reply(out, (size_t)n, &q.q, &r), 0);
	check_int("truncated", "truncated", r.truncated, 1);
	n = zt_dns_client_reply(out, sizeof(out), m.b, m.len, &q, 100, NULL,
				NULL);
	check_int("client_reply", "truncated, no EDNS", n, (int)qend);
	check_int("arcount", "truncated, no EDNS", out[11], 0);
	check_int("client_reply", "truncated, no room",
		  zt_dns_client_reply(out, qend - 1, m.b, m.len, &q, 100, NULL,
				      NULL),
		  -ENOSPC);
	check_int("client_reply", "cut message",
		  zt_dns_client_reply(out, sizeof(out), m.b, m.len - 1, &q,
				      512, NULL, NULL), -EBADMSG);
	check_int("client_reply", "header cut",
		  zt_dns_client_reply(out, sizeof(out), m.b, 5, &q, 512, NULL,
				      NULL),
		  -EBADMSG);
}

/* The test's rebinding ranges, counting the addresses it is shown. */
static bool hide_test(const struct zt_addr *a, void *arg)
{
	static const uint8_t lo6[16] = { [15] = 1 };

	(*(unsigned int *)arg)++;
	if (a->family == AF_INET)
		return a->bytes[0] == 10 || a->bytes[0] == 127;
	return !memcmp(a->bytes, lo6, sizeof(lo6));
}

static void test_client_hide(void)
{
	static uint8_t out[ZT_DNS_MSG_MAX];
	static struct msg m;
	static struct zt_dns_reply r;
	struct zt_dns_query q;
	unsigned int shown = 0, i;
	char name[16];
	size_t ns, at;
	int n;

	/*
	 * Hidden records go from every section; a pointer after them moves
	 * back by what went: the additional A's owner, the NS's target.
	 */
	query(&q, "www.example.com", T_A);
	reply_start(&m, "www.example.com", T_A, 3, 1, 2);
	rr_addr(&m, "@12", 60, "127.0.0.1");
	rr_addr(&m, "@12", 60, "192.0.2.1");
	rr_addr(&m, "@12", 60, "10.1.2.3");
	ns = m.len + 12;
	rr_raw(&m, "@16", T_NS, 60, "\2ns\300\20", 5);
	snprintf(name, sizeof(name), "@%zu", ns);
	rr_addr(&m, name, 60, "192.0.2.53");
	rr_addr(&m, name, 60, "::1");
	seed("reply-hidden", m.b, m.len);
	n = zt_dns_client_reply(out, sizeof(out), m.b, m.len, &q, 512,
				hide_test, &shown);
	check_int("client_reply", "hidden", n, (int)m.len - 16 - 16 - 28);
	check_int("shown", "hidden", shown, 5);
	check_bytes("counts", "hidden", out + 4,
		    (const uint8_t *)"\0\1\0\1\0\1\0\1", 8);
	check_int("pointer", "hidden", out[n - 16] << 8 | out[n - 15],
		  0xc000 | (int)(ns - 32));
	check_int("parse_reply", "hidden",
		  zt_dns_parse_reply(out, (size_t)n, &q.q, &r), 0);
	check_addr("hidden", &r, 0, "192.0.2.1", 60);
	check_int("naddrs", "hidden", r.naddrs, 1);
	n = zt_dns_client_reply(out, sizeof(out), m.b, m.len, &q, 512, NULL,
				NULL);
	check_int("client_reply", "nothing hidden", n, (int)m.len);
	check_bytes("nothing hidden", "records", out + 12, m.b + 12,
		    m.len - 12);

	/*
	 * A hidden record's owner, a.example, is the name later ones point
	 * to: they get its labels instead.
	 */
	reply_start(&m, "www.example.com", T_A, 3, 0, 0);
	rr_addr(&m, "a.example", 60, "10.0.0.1");
	rr_addr(&m, "@33", 60, "192.0.2.9");
	rr_cname(&m, "@12", 60, "@33");
	seed("reply-hidden-owner", m.b, m.len);
	n = zt_dns_client_reply(out, sizeof(out), m.b, m.len, &q, 512,
				hide_test, &shown);
	check_int("client_reply", "hidden owner", n, (int)m.len - 25 + 9 + 9);
	check_bytes("owner", "hidden owner", out + 33,
		    (const uint8_t *)"\1a\7example\0", 11);
	check_int("parse_reply", "hidden owner",
		  zt_dns_parse_reply(out, (size_t)n, &q.q, &r), 0);
	check_addr("hidden owner", &r, 0, "192.0.2.9", 60);
	check_int("naddrs", "hidden owner", r.naddrs, 1);

	/* The length that counts against the limit is what is left. */
	reply_start(&m, "www.example.com", T_AAAA, 40, 0, 0);
	for (i = 0; i < 39; i++)
		rr_addr(&m, "@12", 60, "::1");
	rr_addr(&m, "@12", 60, "2001:db8::1");
	query(&q, "www.example.com", T_AAAA);
	n = zt_dns_client_reply(out, sizeof(out), m.b, m.len, &q, 512,
				hide_test, &shown);
	check_int("client_reply", "short once hidden", n, 33 + 28);
	check_int("flags", "short once hidden", out[2] << 8 | out[3],
		  QR | RD | RA);

	/* Each hidden record is an edit; there is room for so many. */
	for (i = ZT_DNS_MAX_EDITS; i <= ZT_DNS_MAX_EDITS + 1; i++) {
		reply_start(&m, "www.example.com", T_AAAA, i, 0, 0);
		for (at = 0; at < i; at++)
			rr_addr(&m, "@12", 60, "::1");
		n = zt_dns_client_reply(out, sizeof(out), m.b, m.len, &q,
					ZT_DNS_MSG_MAX, hide_test, &shown);
		check_int("client_reply", i > ZT_DNS_MAX_EDITS ?
			  "one hidden too many" : "most hidden", n,
			  i > ZT_DNS_MAX_EDITS ? -E2BIG : 33);
	}
}

static void test_error_reply(void)
{
	static uint8_t out[512];
	static struct msg m;
	static struct zt_dns_reply r;
	struct zt_dns_query q;
	int n;

	hdr(&m, 0x7777, RD | CD, 1, 0, 0, 1);
	question(&m, "www.example.com", T_A);
	rr_opt(&m, 1232, DO, 0);
	check_int("parse_query", "for error", zt_dns_parse_query(m.b, m.len,
		  &q), 0);
	n = zt_dns_error_reply(out, sizeof(out), &q, ZT_DNS_RCODE_SERVFAIL);
	check_int("error_reply", "SERVFAIL", n, 12 + 17 + 4 + 11);
	seed("reply-servfail-edns", out, (size_t)n);
	check_bytes("header", "SERVFAIL", out,
		    (const uint8_t *)"\x77\x77\x81\x92\0\1\0\0\0\0\0\1", 12);
	check_bytes("OPT", "SERVFAIL", out + n - 11,
		    (const uint8_t *)"\0\0\51\4\320\0\0\200\0\0\0", 11);
	check_int("parse_reply", "SERVFAIL",
		  zt_dns_parse_reply(out, (size_t)n, &q.q, &r), 0);
	check_int("rcode", "SERVFAIL", r.rcode, ZT_DNS_RCODE_SERVFAIL);
	n = zt_dns_error_reply(out, sizeof(out), &q, 16);
	check_int("error_reply", "BADVERS", n, 12 + 17 + 4 + 11);
	check_int("rcode", "BADVERS", out[3] & 0xf, 0);
	check_int("extended rcode", "BADVERS", out[n - 6], 1);
	check_int("error_reply", "one byte short",
		  zt_dns_error_reply(out, (size_t)n - 1, &q, 2), -ENOSPC);

	hdr(&m, 0x1111, OPCODE(5), 1, 0, 0, 0);
	question(&m, "example.com", T_SOA);
	check_int("parse_query", "UPDATE", zt_dns_parse_query(m.b, m.len, &q),
		  -ENOTSUP);
	n = zt_dns_error_reply(out, sizeof(out), &q, ZT_DNS_RCODE_NOTIMP);
	check_int("error_reply", "NOTIMP", n, 12);
	check_bytes("header", "NOTIMP", out,
		    (const uint8_t *)"\x11\x11\xa8\x84\0\0\0\0\0\0\0\0", 12);
}

static void test_age(void)
{
	static struct msg m, copy;
	static struct zt_dns_reply r;
	struct zt_dns_query q;
	size_t soa_ttl;

	query(&q, "www.example.com", T_A);
	reply_start(&m, "www.example.com", T_A, 2, 1, 1);
	rr_cname(&m, "@12", 100, "a.example");
	rr_addr(&m, "a.example", 50, "192.0.2.1");
	soa_ttl = m.len + 9 + 4;
	rr_soa(&m, "example", 1000, 10);
	rr_opt(&m, 1232, DO | 0x01000000, 0);
	copy = m;
	check_int("age", "0", zt_dns_age(m.b, m.len, 0), 0);
	check_bytes("age", "0 changes nothing", m.b, copy.b, m.len);
	check_int("age", "60", zt_dns_age(m.b, m.len, 60), 0);
	check_int("parse_reply", "aged 60", parse_reply(&m, &q, &r), 0);
	check_addr("aged 60", &r, 0, "192.0.2.1", 0);
	check_int("cache_ttl", "aged 60", r.cache_ttl, 0);
	check_bytes("CNAME TTL", "aged 60", m.b + 33 + 2 + 4,
		    (const uint8_t *)"\0\0\0\50", 4);
	check_bytes("SOA TTL", "aged 60", m.b + soa_ttl,
		    (const uint8_t *)"\0\0\3\254", 4);
	check_bytes("OPT TTL", "aged 60", m.b + m.len - 6,
		    (const uint8_t *)"\1\0\200\0", 4);
	check_int("age", "huge", zt_dns_age(m.b, m.len, UINT32_MAX), 0);
	check_bytes("SOA TTL", "aged huge", m.b + soa_ttl,
		    (const uint8_t *)"\0\0\0\0", 4);
	check_bytes("OPT TTL", "aged huge", m.b + m.len - 6,
		    (const uint8_t *)"\1\0\200\0", 4);

	copy = m;
	m.b[m.len - 1] = 1;	/* OPT RDLENGTH beyond the end */
	check_int("age", "bad", zt_dns_age(m.b, m.len, 5), -EBADMSG);
	m.b[m.len - 1] = 0;
	check_bytes("age", "bad changes nothing", m.b, copy.b, m.len);
	check_int("age", "header cut", zt_dns_age(m.b, 7, 5), -EBADMSG);
}

static void test_question_str(void)
{
	static const struct {
		const char *wire;
		unsigned int len, type, class;
		const char *want;
	} cases[] = {
		{ "\3www\7example\3com", 17, T_AAAA, C_IN,
		  "www.example.com. AAAA" },
		{ "", 1, T_NS, C_IN, ". NS" },
		{ "\3a.b\1\\", 7, T_A, C_IN, "a\\.b.\\\\. A" },
		{ "\4a\7 \377", 6, T_TXT, C_IN, "a\\007\\032\\255. TXT" },
		{ "\1x", 3, 65, C_IN, "x. HTTPS" },
		{ "\1x", 3, 64, C_IN, "x. SVCB" },
		{ "\1x", 3, T_ANY, C_IN, "x. ANY" },
		{ "\1x", 3, T_MX, C_IN, "x. MX" },
		{ "\1x", 3, 12, C_IN, "x. PTR" },
		{ "\1x", 3, 33, C_IN, "x. SRV" },
		{ "\1x", 3, T_CNAME, C_IN, "x. CNAME" },
		{ "\1x", 3, T_SOA, C_IN, "x. SOA" },
		{ "\1x", 3, 999, C_IN, "x. TYPE999" },
		{ "\7version\4bind", 14, T_TXT, 3, "version.bind. TXT CLASS3" },
	};
	struct zt_dns_question q;
	char buf[64];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(&q, 0, sizeof(q));
		memcpy(q.name, cases[i].wire, cases[i].len);
		q.name_len = (uint8_t)cases[i].len;
		q.qtype = (uint16_t)cases[i].type;
		q.qclass = (uint16_t)cases[i].class;
		check_str("question_str", cases[i].want,
			  zt_dns_question_str(buf, sizeof(buf), &q),
			  cases[i].want);
	}
	/* Whole pieces only: "a\007" does not fit in 4 bytes. */
	memcpy(q.name, "\2a\7", 4);
	q.name_len = 4;
	q.qtype = T_A;
	check_str("question_str", "short", zt_dns_question_str(buf, 4, &q),
		  "a");
	check_str("question_str", "short", zt_dns_question_str(buf, 1, &q),
		  "");
	buf[0] = 'x';
	check_int("question_str", "size 0",
		  zt_dns_question_str(buf, 0, &q) == buf && buf[0] == 'x', 1);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		seed_dir = argv[1];
	test_query();
	test_reply_basic();
	test_reply_types();
	test_reply_cname();
	test_reply_ttl();
	test_reply_pointers();
	test_reply_bounds();
	test_build_query();
	test_client_reply();
	test_client_hide();
	test_error_reply();
	test_age();
	test_question_str();
	return check_done("dns_test");
}
