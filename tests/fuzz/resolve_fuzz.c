// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target of the upstream reply path of ztdnsd, as resolve.c and
 * upstream.c run it (daemon/answer.c): a reply is matched by ID and
 * question to one of the queries in flight, its addresses are filtered
 * (anti-rebinding) and clamped for the kernel, it is cached, shaped for
 * the client; then a cache hit some time later ages it, and it is learned
 * and shaped again.
 *
 * Input: 8 bytes of knobs, then the reply.
 *
 *   0  bit 0 RD, 1 EDNS, 2 DO, 3 TCP, 4 the query is in flight,
 *      5-6 where among the decoys, 7 one more decoy
 *   1  2: the client's UDP size (with EDNS)
 *   3  min_ttl, 4: max_ttl - min_ttl, in 256 s
 *   5  6: seconds until the cache hit (its tenths, in fact)
 *   7  which allowed subnets the configuration has
 *
 * The client asked the reply's own question (the fixed one when the reply
 * has none to take).  Besides the sanitizers it checks, against a naive
 * reading of the messages of its own: a reply answers only a query of its
 * ID and question; the addresses sent to the kernel are exactly those of
 * the CNAME chain that no special range refuses, each with a TTL within
 * [min_ttl, max_ttl] and at most the lowest TTL along its chain (or
 * min_ttl), and none when the client's reply cannot be made (too many
 * records to hide); the client's reply parses, carries the client's ID, fits its
 * limit, has no refused address in any section and exactly the learned
 * addresses on its chain; the cache keeps the reply as long as it may and
 * no longer, and a hit differs from the reply in its TTLs only, each
 * lowered by the time spent, and teaches the same addresses.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/answer.h"
#include "daemon/cache.h"
#include "daemon/rebind.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)
#define KNOBS 8
#define MAX_RECORDS (ZT_DNS_MSG_MAX / 11 + 1)
#define TTL_MAX 0x7fffffffu

/* --- a naive reader of messages that dns.c accepted, for the checks --- */

struct rec {
	uint8_t name[ZT_DNS_NAME_MAX];	/* lowercase */
	unsigned int name_len;
	uint16_t type, class;
	uint32_t ttl;
	size_t ttl_off, rdata;
	uint16_t rdlen;
	unsigned int section;		/* 0 answer, 1 authority, 2 additional */
};

struct view {
	struct zt_dns_question q;	/* the first question, if any */
	bool has_q;
	unsigned int n;
	struct rec r[MAX_RECORDS];
};

static struct view up_view, out_view, hit_view;

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* The name at @off, decompressed; return: the offset after it. */
static size_t read_name(const uint8_t *m, size_t len, size_t off,
			uint8_t *out, unsigned int *out_len)
{
	size_t pos = off, after = 0;
	unsigned int n = 0, hops = 0, i;

	for (;;) {
		CHECK(pos < len);
		if (m[pos] >= 0xc0) {
			CHECK(pos + 1 < len && ++hops < 128);
			if (!after)
				after = pos + 2;
			pos = (m[pos] & 0x3f) << 8 | m[pos + 1];
			continue;
		}
		CHECK(m[pos] <= 63 && pos + 1 + m[pos] <= len &&
		      n + 1 + m[pos] <= ZT_DNS_NAME_MAX);
		for (i = 0; i <= m[pos]; i++) {
			uint8_t c = m[pos + i];

			out[n + i] = i && c >= 'A' && c <= 'Z' ? c + 32 : c;
		}
		n += 1 + m[pos];
		if (!m[pos])
			break;
		pos += 1 + m[pos];
	}
	*out_len = n;
	return after ? after : pos + 1;
}

static void read_view(const uint8_t *m, size_t len, struct view *v)
{
	unsigned int i, qd = get16(m + 4), an = get16(m + 6),
		     ns = get16(m + 8), name_len;
	size_t off = ZT_DNS_HDR_LEN;
	struct rec *r;

	v->has_q = qd > 0;
	v->n = 0;
	for (i = 0; i < qd; i++) {
		off = read_name(m, len, off, v->q.name, &name_len);
		CHECK(len - off >= 4);
		v->q.name_len = (uint8_t)name_len;
		v->q.qtype = get16(m + off);
		v->q.qclass = get16(m + off + 2);
		off += 4;
	}
	for (i = 0; i < (unsigned int)an + ns + get16(m + 10); i++) {
		CHECK(v->n < MAX_RECORDS);
		r = &v->r[v->n++];
		off = read_name(m, len, off, r->name, &r->name_len);
		CHECK(len - off >= 10);
		r->type = get16(m + off);
		r->class = get16(m + off + 2);
		r->ttl = get32(m + off + 4);
		r->ttl_off = off + 4;
		r->rdlen = get16(m + off + 8);
		r->rdata = off + 10;
		r->section = i < an ? 0 : i < an + ns ? 1 : 2;
		off = r->rdata + r->rdlen;
		CHECK(off <= len);
	}
	CHECK(off == len);
}

static bool name_eq(const uint8_t *a, unsigned int alen, const uint8_t *b,
		    unsigned int blen)
{
	unsigned int i;

	if (alen != blen)
		return false;
	for (i = 0; i < alen; i++) {
		uint8_t x = a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i];
		uint8_t y = b[i] >= 'A' && b[i] <= 'Z' ? b[i] + 32 : b[i];

		if (x != y)
			return false;
	}
	return true;
}

static uint32_t ttl_of(uint32_t ttl)
{
	return ttl > TTL_MAX ? 0 : ttl;
}

static uint32_t min32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* The addresses of the chain of @qn, and the lowest TTL along each. */
struct chain_addrs {
	unsigned int n;
	struct zt_dns_addr a[ZT_DNS_MAX_ADDRS];
};

static void chain_addrs(const uint8_t *m, const struct view *v,
			const struct zt_dns_question *qn,
			struct chain_addrs *out)
{
	static uint8_t names[ZT_DNS_MAX_CNAMES + 2][ZT_DNS_NAME_MAX];
	unsigned int lens[ZT_DNS_MAX_CNAMES + 2], n = 1, i, k, len;
	uint32_t along[ZT_DNS_MAX_CNAMES + 2];
	uint8_t target[ZT_DNS_NAME_MAX];
	const struct rec *r;
	bool grew;
	int family;

	memcpy(names[0], qn->name, qn->name_len);
	lens[0] = qn->name_len;
	along[0] = UINT32_MAX;
	do {
		grew = false;
		for (i = 0; i < v->n && v->r[i].section == 0; i++) {
			r = &v->r[i];
			if (r->type != ZT_DNS_TYPE_CNAME ||
			    r->class != ZT_DNS_CLASS_IN ||
			    !name_eq(r->name, r->name_len, names[n - 1],
				     lens[n - 1]))
				continue;
			read_name(m, r->rdata + r->rdlen, r->rdata, target,
				  &len);
			for (k = 0; k < n; k++)
				if (name_eq(names[k], lens[k], target, len))
					break;
			if (k < n)
				continue;
			CHECK(n < ZT_DNS_MAX_CNAMES + 2);
			memcpy(names[n], target, len);
			lens[n] = len;
			along[n] = min32(along[n - 1], ttl_of(r->ttl));
			n++;
			grew = true;
		}
	} while (grew);

	out->n = 0;
	for (i = 0; i < v->n && v->r[i].section == 0; i++) {
		r = &v->r[i];
		if (r->class != ZT_DNS_CLASS_IN)
			continue;
		if (r->type == ZT_DNS_TYPE_A && qn->qtype != ZT_DNS_TYPE_AAAA)
			family = AF_INET;
		else if (r->type == ZT_DNS_TYPE_AAAA &&
			 qn->qtype != ZT_DNS_TYPE_A)
			family = AF_INET6;
		else
			continue;
		for (k = 0; k < n; k++)
			if (name_eq(names[k], lens[k], r->name, r->name_len))
				break;
		if (k == n)
			continue;
		CHECK(out->n < ZT_DNS_MAX_ADDRS);
		CHECK(!zt_addr_set(&out->a[out->n].addr, family, m + r->rdata,
				   r->rdlen));
		out->a[out->n].ttl = min32(along[k], ttl_of(r->ttl));
		out->n++;
	}
}

static bool addr_eq(const struct zt_addr *a, const struct zt_addr *b)
{
	return a->family == b->family && !memcmp(a->bytes, b->bytes, 16);
}

/* --- the path --- */

static struct zt_config cfg;
static struct zt_cache *cache;
static uint8_t query[ZT_DNS_MSG_MAX], out[ZT_DNS_MSG_MAX];
static uint8_t hit[ZT_DNS_MSG_MAX];
static struct zt_dns_reply reply, again, scratch;
static struct chain_addrs ref, got;

/* The allowed subnets byte 7 picks from. */
static const char *const subnets[8] = {
	"10.0.0.0/8", "127.0.0.1", "192.168.0.0/16", "fc00::/7",
	"::ffff:0.0.0.0/96", "169.254.0.0/16", "fe80::/10", "0.0.0.0/0",
};

static void setup(uint8_t pick, uint32_t min_ttl, uint32_t max_ttl)
{
	unsigned int i;

	memset(&cfg, 0, sizeof(cfg));
	for (i = 0; i < 8; i++) {
		struct zt_subnet *s = &cfg.subnets[cfg.nsubnets];

		if (!(pick & 1 << i))
			continue;
		CHECK(zt_parse_cidr(subnets[i], &s->addr, &s->plen) == 0);
		cfg.nsubnets++;
	}
	cfg.min_ttl = min_ttl;
	cfg.max_ttl = max_ttl;
}

/* The reply's first question if it is plain, as a client would ask it. */
static void client_question(const uint8_t *m, size_t len,
			    struct zt_dns_question *q)
{
	static const struct zt_dns_question fixed = {
		.name = "\3www\7example\3com",
		.name_len = 17,
		.qtype = ZT_DNS_TYPE_A,
		.qclass = ZT_DNS_CLASS_IN,
	};
	size_t off = ZT_DNS_HDR_LEN, n = 0;

	*q = fixed;
	if (len < ZT_DNS_HDR_LEN || !get16(m + 4))
		return;
	while (off < len && m[off] && m[off] <= 63) {
		n += 1 + m[off];
		off += 1 + m[off];
	}
	if (off >= len || m[off] || n + 1 > ZT_DNS_NAME_MAX || len - off < 5)
		return;
	memcpy(q->name, m + ZT_DNS_HDR_LEN, n + 1);
	q->name_len = (uint8_t)(n + 1);
	q->qtype = get16(m + off + 1);
	q->qclass = get16(m + off + 3);
}

/* The client's query as bytes, parsed as client.c would. */
static void client_query(const uint8_t *k, const struct zt_dns_question *q,
			 struct zt_dns_query *dq)
{
	size_t n = ZT_DNS_HDR_LEN;

	memset(query, 0, ZT_DNS_HDR_LEN);
	query[0] = 0x12;
	query[1] = k[6];
	query[2] = k[0] & 1;			/* RD */
	query[5] = 1;
	memcpy(query + n, q->name, q->name_len);
	n += q->name_len;
	query[n++] = q->qtype >> 8;
	query[n++] = q->qtype & 0xff;
	query[n++] = q->qclass >> 8;
	query[n++] = q->qclass & 0xff;
	if (k[0] & 2) {
		query[11] = 1;
		query[n++] = 0;
		query[n++] = 0;
		query[n++] = ZT_DNS_TYPE_OPT;
		query[n++] = k[1];
		query[n++] = k[2];
		query[n++] = 0;
		query[n++] = 0;
		query[n++] = k[0] & 4 ? 0x80 : 0;
		query[n++] = 0;
		query[n++] = 0;
		query[n++] = 0;
	}
	CHECK(zt_dns_parse_query(query, n, dq) == 0);
}

/*
 * What the client gets from @m: a reply that parses, is the client's,
 * fits, hides every refused address and shows exactly the @nlearned
 * learned ones on the chain.
 */
static void check_out(int n, const struct zt_dns_query *dq, bool tcp,
		      const struct zt_dns_addr *learned, unsigned int nlearned)
{
	size_t limit = tcp ? ZT_DNS_MSG_MAX :
		       dq->udp_size > ZT_DNS_UDP_PLAIN ? dq->udp_size :
		       ZT_DNS_UDP_PLAIN;
	unsigned int i;

	CHECK(n > 0 && (size_t)n <= limit);
	CHECK(zt_dns_parse_reply(out, (size_t)n, &dq->q, &scratch) == 0);
	CHECK(get16(out) == dq->id && (out[2] & 0x80) &&
	      (out[2] & 1) == (dq->flags >> 8 & 1));
	read_view(out, (size_t)n, &out_view);
	for (i = 0; i < out_view.n; i++) {
		const struct rec *r = &out_view.r[i];
		struct zt_addr a;
		int family = r->type == ZT_DNS_TYPE_A ? AF_INET : AF_INET6;

		if (r->class != ZT_DNS_CLASS_IN ||
		    (r->type != ZT_DNS_TYPE_A && r->type != ZT_DNS_TYPE_AAAA))
			continue;
		CHECK(!zt_addr_set(&a, family, out + r->rdata, r->rdlen));
		CHECK(!zt_rebind_refused(cfg.subnets, cfg.nsubnets, &a));
	}
	/* Cut short for the client (TC): it asks again over TCP. */
	if ((out[2] & 0x02) && !get16(out + 6))
		return;
	chain_addrs(out, &out_view, &dq->q, &got);
	CHECK(got.n == nlearned);
	for (i = 0; i < nlearned; i++)
		CHECK(addr_eq(&got.a[i].addr, &learned[i].addr));
}

/* The same for the other transport, through zt_answer_client(). */
static void check_client(const uint8_t *m, size_t len,
			 const struct zt_dns_query *dq, bool tcp,
			 const struct zt_dns_addr *learned,
			 unsigned int nlearned)
{
	int n = zt_answer_client(&cfg, out, sizeof(out), m, len, dq, tcp);

	CHECK(n > 0);
	check_out(n, dq, tcp, learned, nlearned);
}

static uint32_t clamp(uint32_t ttl)
{
	return ttl < cfg.min_ttl ? cfg.min_ttl :
	       ttl > cfg.max_ttl ? cfg.max_ttl : ttl;
}

static void count_refused(const struct zt_addr *a, const char *special,
			  void *arg)
{
	CHECK(special && zt_rebind_refused(cfg.subnets, cfg.nsubnets, a));
	(*(unsigned int *)arg)++;
}

/*
 * What ztdnsd does with @m for @dq over @tcp (zt_answer_make()): the
 * client's reply is checked, and what the kernel gets against @ref.
 * Return: the number of addresses to allow, or -1 when the client's
 * reply could not be made (then nothing is learned).
 */
static int answer(const uint8_t *m, size_t len, const struct zt_dns_query *dq,
		  bool tcp, struct zt_dns_reply *r, struct zt_answer *a)
{
	unsigned int i, j, n, refused = 0;
	int ret;

	a->nallow = UINT32_MAX;
	ret = zt_answer_make(&cfg, out, sizeof(out), m, len, dq, tcp, r,
			     count_refused, &refused, a);
	CHECK(ret > 0 || ret == -E2BIG);
	if (ret < 0) {
		CHECK(a->nallow == UINT32_MAX && !refused);
		return -1;
	}
	n = a->nallow;
	CHECK(n + refused == ref.n && r->naddrs == ref.n);
	for (i = 0, j = 0; i < ref.n; i++) {
		if (zt_rebind_refused(cfg.subnets, cfg.nsubnets,
				      &ref.a[i].addr))
			continue;
		CHECK(j < n && addr_eq(&r->addrs[j].addr, &ref.a[i].addr));
		CHECK(r->addrs[j].ttl >= cfg.min_ttl &&
		      r->addrs[j].ttl <= cfg.max_ttl);
		CHECK(r->addrs[j].ttl == clamp(ref.a[i].ttl));
		j++;
	}
	CHECK(j == n);
	CHECK(a->cache_ttl <= cfg.max_ttl && a->cache_ttl <= r->cache_ttl);
	check_out(ret, dq, tcp, r->addrs, n);
	check_client(m, len, dq, !tcp, r->addrs, n);
	return (int)n;
}

/*
 * Queries in flight on the connection, in the order upstream.c keeps
 * them: maybe the client's, a decoy of another ID and the same question,
 * one of the same ID and another question, maybe two of the client's.
 */
struct pending {
	uint16_t id;
	struct zt_dns_question q;
	bool ours;
};

static int match(const uint8_t *m, size_t len, const uint8_t *k,
		 const struct zt_dns_question *q, struct zt_dns_reply *r)
{
	struct pending p[4];
	unsigned int np = 0, i, at = k[0] >> 5 & 3;
	uint16_t id = len >= 2 ? get16(m) : 0;
	int ret;

	p[np++] = (struct pending){ (uint16_t)(id ^ 0x8001), *q, false };
	p[np] = (struct pending){ id, *q, false };
	p[np].q.qtype ^= 0x0100;
	np++;
	if (k[0] & 0x80)
		p[np++] = (struct pending){ id ^ 1, *q, false };
	if (k[0] & 0x10) {
		at = at > np ? np : at;
		memmove(p + at + 1, p + at, (np - at) * sizeof(*p));
		p[at] = (struct pending){ id, *q, true };
		np++;
	}
	if (len < ZT_DNS_HDR_LEN)
		return -ENOMSG;
	for (i = 0; i < np; i++) {
		ret = zt_answer_match(m, len, p[i].id, &p[i].q, r);
		if (ret == -ENOMSG)
			continue;
		CHECK(p[i].id == id);
		/* An answer is only ever that of its question. */
		if (!ret) {
			read_view(m, len, &up_view);
			CHECK(up_view.has_q && name_eq(up_view.q.name,
					up_view.q.name_len, p[i].q.name,
					p[i].q.name_len) &&
			      up_view.q.qtype == p[i].q.qtype &&
			      up_view.q.qclass == p[i].q.qclass);
		}
		return p[i].ours ? ret : -ENOMSG;
	}
	return -ENOMSG;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *k = data, *m = data + KNOBS;
	size_t len = size - KNOBS;
	struct zt_dns_question question;
	struct zt_dns_addr learned[ZT_DNS_MAX_ADDRS];
	struct zt_dns_query dq;
	uint32_t min_ttl, elapsed_ms, secs;
	struct zt_answer a;
	unsigned int n, i;
	int ret, hit_len;
	bool tcp;

	if (size < KNOBS || len > ZT_DNS_MSG_MAX)
		return 0;
	zt_cache_free(cache);
	cache = zt_cache_new(64);	/* each input on its own */
	CHECK(cache);
	min_ttl = k[3];
	setup(k[7], min_ttl, min_ttl + (uint32_t)k[4] * 256);
	tcp = k[0] & 8;
	elapsed_ms = (uint32_t)(k[5] << 8 | k[6]) * 100;
	client_question(m, len, &question);
	client_query(k, &question, &dq);

	ret = match(m, len, k, &dq.q, &reply);
	if (ret) {
		n = (unsigned int)zt_dns_error_reply(out, sizeof(out), &dq,
						     ZT_DNS_RCODE_SERVFAIL);
		CHECK(zt_dns_parse_reply(out, n, &dq.q, &again) == 0 &&
		      again.rcode == ZT_DNS_RCODE_SERVFAIL);
		return 0;
	}
	/* The reference: the chain's addresses, by a reading of our own. */
	chain_addrs(m, &up_view, &dq.q, &ref);
	CHECK(reply.naddrs == ref.n);
	for (i = 0; i < ref.n; i++)
		CHECK(addr_eq(&reply.addrs[i].addr, &ref.a[i].addr) &&
		      reply.addrs[i].ttl <= ref.a[i].ttl);
	for (i = 0; i < ref.n; i++)
		ref.a[i].ttl = reply.addrs[i].ttl;	/* dns.c's, unclamped */

	ret = answer(m, len, &dq, tcp, &reply, &a);
	if (ret < 0)
		return 0;	/* SERVFAIL, nothing learned nor cached */
	n = (unsigned int)ret;
	memcpy(learned, reply.addrs, n * sizeof(*learned));
	if (a.cache)
		CHECK(zt_cache_put(cache, &dq, m, len, a.cache_ttl,
				   1000000) == 0);

	/* A cache hit later: live until its TTL, then gone. */
	hit_len = zt_cache_get(cache, &dq, hit, sizeof(hit),
			       1000000 + elapsed_ms);
	if (!a.cache || elapsed_ms >= (uint64_t)a.cache_ttl * 1000) {
		CHECK(hit_len == -ENOENT);
		return 0;
	}
	CHECK(hit_len == (int)len);
	secs = elapsed_ms / 1000;
	read_view(hit, len, &hit_view);
	CHECK(hit_view.n == up_view.n);
	for (i = 0; i < up_view.n; i++) {
		const struct rec *u = &up_view.r[i], *h = &hit_view.r[i];
		uint32_t want = ttl_of(u->ttl) > secs ? ttl_of(u->ttl) - secs :
				0;

		CHECK(u->ttl_off == h->ttl_off && u->type == h->type);
		CHECK(h->ttl == (u->type == ZT_DNS_TYPE_OPT ? u->ttl : want));
		/* Only the TTL changed: no name of it points into it. */
		memcpy(hit + h->ttl_off, m + u->ttl_off, 4);
	}
	CHECK(!memcmp(hit, m, len));
	zt_cache_get(cache, &dq, hit, sizeof(hit), 1000000 + elapsed_ms);
	CHECK(zt_dns_parse_reply(hit, len, &dq.q, &again) == 0);
	CHECK(again.naddrs == ref.n && again.cache_ttl <= reply.cache_ttl);
	for (i = 0; i < ref.n; i++) {
		CHECK(addr_eq(&again.addrs[i].addr, &ref.a[i].addr));
		CHECK(again.addrs[i].ttl == (ref.a[i].ttl > secs ?
					     ref.a[i].ttl - secs : 0));
		ref.a[i].ttl = again.addrs[i].ttl;
	}
	CHECK(answer(hit, len, &dq, tcp, &again, &a) == (int)n);
	for (i = 0; i < n; i++)
		CHECK(again.addrs[i].ttl <= learned[i].ttl);
	return 0;
}
