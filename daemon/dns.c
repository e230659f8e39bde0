// SPDX-License-Identifier: GPL-2.0
/*
 * DNS messages for ztdnsd; dns.h says what every function promises.
 *
 * Theory of operation.  A reply comes from a server that TLS
 * authenticates but that the kernel's allow list must not blindly trust,
 * and a query from any local process, so every byte is read through two
 * bounded walkers.  zt_name_read() reads one name: a compression pointer
 * must lead to the start of a label of a name read before (struct
 * zt_msg), and to labels that end before the labels holding it, so
 * pointer targets strictly decrease and no loop, forward or self
 * reference can exist (RFC 9267), and at most ZT_DNS_MAX_PTRS pointers
 * and ZT_DNS_NAME_MAX bytes of labels bound the work per name.  So a name
 * is made of labels of its own and bytes of names read before, never of a
 * question's or record's fixed fields nor of opaque RDATA: zt_dns_age()
 * rewrites TTLs, and must not thereby rewrite names.  zt_rr_read() reads
 * one record, checks that its RDATA lies in the message and that the
 * RDATA of the types read here (A and AAAA of class IN, and the types
 * that hold names, zt_rdata_names[]) is exactly what the type holds.
 * Every function walks all the records the header counts and wants the
 * message to end right after them, so a count larger than the records
 * present, an RDLENGTH beyond the end or trailing bytes all make
 * -EBADMSG.
 *
 * The CNAME chain of a reply starts at the question's name.  A pass over
 * the answer section appends the target of a CNAME owned by the chain's
 * last name unless the target is already on the chain; passes repeat
 * until one appends nothing.  So the records may come in any order, a
 * loop simply ends the chain, and as a chain of more than
 * ZT_DNS_MAX_CNAMES links is refused it takes at most ZT_DNS_MAX_CNAMES
 * + 1 passes over at most 64 KiB.  A pass then finds the lowest TTL of
 * all the answer records owned by a name of the chain (whatever their
 * type, RRSIGs included: they are all in the cached reply), and of the
 * CNAME records owned by each: these bound the lifetime of every name
 * after it on the chain.  A last pass takes the A and AAAA records owned
 * by a name of the chain, each with the lowest of its own TTL and of the
 * CNAME records that led to its name.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "dns.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define ZT_DNS_QR		0x8000
#define ZT_DNS_OPCODE		0x7800
#define ZT_DNS_TC		0x0200
#define ZT_DNS_RD		0x0100
#define ZT_DNS_RA		0x0080
#define ZT_DNS_CD		0x0010
#define ZT_DNS_RCODE		0x000f
#define ZT_DNS_DO		0x8000	/* in the TTL field of an OPT record */
#define ZT_DNS_OPT_LEN		11	/* an OPT record without options */
#define ZT_DNS_OPT_PADDING	12	/* RFC 7830 */
#define ZT_DNS_TYPE_ANY		255
#define ZT_DNS_TTL_MAX		0x7fffffff	/* RFC 2181, section 8 */

/*
 * A message being read, and a bit for the start of each label of the names
 * read so far (their own labels, not those they point to): the only places
 * a compression pointer may lead to.
 */
struct zt_msg {
	const uint8_t *b;
	size_t len;
	uint8_t labels[ZT_DNS_MSG_MAX / 8 + 1];
};

/* One resource record, as zt_rr_read() found it. */
struct zt_rr {
	uint8_t name[ZT_DNS_NAME_MAX];	/* owner, uncompressed, lowercase */
	unsigned int name_len;
	uint16_t type;
	uint16_t class;
	uint32_t ttl;
	size_t rdata;			/* offset of the RDATA */
	uint16_t rdlen;
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static uint32_t zt_min(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* A TTL with the top bit set counts as 0 (RFC 2181). */
static uint32_t zt_ttl(uint32_t ttl)
{
	return ttl > ZT_DNS_TTL_MAX ? 0 : ttl;
}

static uint8_t zt_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Wire form names, ASCII letters compared without case. */
static bool zt_name_eq(const uint8_t *a, size_t alen, const uint8_t *b,
		       size_t blen)
{
	size_t i;

	if (alen != blen)
		return false;
	for (i = 0; i < alen; i++)
		if (zt_lower(a[i]) != zt_lower(b[i]))
			return false;
	return true;
}

/* Start reading the @len bytes of @msg, which must hold a header. */
static int zt_msg_init(struct zt_msg *m, const uint8_t *msg, size_t len)
{
	if (len < ZT_DNS_HDR_LEN || len > ZT_DNS_MSG_MAX)
		return -EBADMSG;
	m->b = msg;
	m->len = len;
	memset(m->labels, 0, len / 8 + 1);
	return 0;
}

static bool zt_msg_label(const struct zt_msg *m, size_t off)
{
	return m->labels[off / 8] & 1 << (off % 8);
}

/*
 * Read the name at *@off into @out (NULL to only check it) and move *@off
 * past it.  Its own labels end before @end; a pointer leads to a label of
 * a name read before, and to labels that end before the labels holding
 * it.  Return: its length in wire form, or -EBADMSG.
 */
static int zt_name_read(struct zt_msg *m, size_t end, size_t *off,
			uint8_t *out)
{
	size_t pos = *off, seg = *off, n = 0, c, i;
	unsigned int ptrs = 0;

	for (;;) {
		if (pos >= end)
			return -EBADMSG;
		c = m->b[pos];
		if (c >= 0xc0) {
			if (pos + 2 > end || ++ptrs > ZT_DNS_MAX_PTRS)
				return -EBADMSG;
			if (ptrs == 1)
				*off = pos + 2;
			end = seg;
			seg = pos = (c & 0x3f) << 8 | m->b[pos + 1];
			if (!zt_msg_label(m, pos))
				return -EBADMSG;
			continue;
		}
		/* 0x40 and 0x80 are label types nobody uses. */
		if (c > 63 || n + 1 + c > ZT_DNS_NAME_MAX || pos + 1 + c > end)
			return -EBADMSG;
		if (!ptrs)
			m->labels[pos / 8] |= 1 << (pos % 8);
		if (out)
			for (i = 0; i <= c; i++)
				out[n + i] = zt_lower(m->b[pos + i]);
		n += 1 + c;
		pos += 1 + c;
		if (!c)
			break;
	}
	if (!ptrs)
		*off = pos;
	return (int)n;
}

/*
 * The types whose RDATA holds names, which later names may point to: RFC
 * 1035's, those RFC 3597 (section 4) wants decompressed, and later ones
 * whose names are not compressed but are still pointed to.  Their RDATA
 * is @skip bytes, @strings character-strings, @names names, then exactly
 * @tail bytes, or any number (ZT_TAIL_ANY).
 */
struct zt_rdata_names {
	uint16_t type;
	uint8_t skip, strings, names;
	int tail;
};

#define ZT_TAIL_ANY	(-1)

static const struct zt_rdata_names zt_rdata_names[] = {
	{ 2, 0, 0, 1, 0 },			/* NS */
	{ 3, 0, 0, 1, 0 },			/* MD */
	{ 4, 0, 0, 1, 0 },			/* MF */
	{ ZT_DNS_TYPE_CNAME, 0, 0, 1, 0 },
	{ ZT_DNS_TYPE_SOA, 0, 0, 2, 20 },	/* then SERIAL to MINIMUM */
	{ 7, 0, 0, 1, 0 },			/* MB */
	{ 8, 0, 0, 1, 0 },			/* MG */
	{ 9, 0, 0, 1, 0 },			/* MR */
	{ 12, 0, 0, 1, 0 },			/* PTR */
	{ 14, 0, 0, 2, 0 },			/* MINFO */
	{ 15, 2, 0, 1, 0 },			/* MX */
	{ 17, 0, 0, 2, 0 },			/* RP */
	{ 18, 2, 0, 1, 0 },			/* AFSDB */
	{ 21, 2, 0, 1, 0 },			/* RT */
	{ 24, 18, 0, 1, ZT_TAIL_ANY },		/* SIG */
	{ 26, 2, 0, 2, 0 },			/* PX */
	{ 30, 0, 0, 1, ZT_TAIL_ANY },		/* NXT */
	{ 33, 6, 0, 1, 0 },			/* SRV */
	{ 35, 4, 3, 1, 0 },			/* NAPTR */
	{ 36, 2, 0, 1, 0 },			/* KX */
	{ 39, 0, 0, 1, 0 },			/* DNAME */
	{ 46, 18, 0, 1, ZT_TAIL_ANY },		/* RRSIG */
	{ 47, 0, 0, 1, ZT_TAIL_ANY },		/* NSEC */
	{ 64, 2, 0, 1, ZT_TAIL_ANY },		/* SVCB */
	{ 65, 2, 0, 1, ZT_TAIL_ANY },		/* HTTPS */
};

static const struct zt_rdata_names *zt_rdata_names_of(uint16_t type)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(zt_rdata_names); i++)
		if (zt_rdata_names[i].type == type)
			return &zt_rdata_names[i];
	return NULL;
}

/* The RDATA of the types read here must hold exactly what they say. */
static int zt_rdata_check(struct zt_msg *m, size_t end,
			  const struct zt_rr *rr)
{
	const struct zt_rdata_names *f;
	size_t p = rr->rdata;
	unsigned int i;

	switch (rr->type) {
	case ZT_DNS_TYPE_A:
		return rr->class != ZT_DNS_CLASS_IN || rr->rdlen == 4 ?
		       0 : -EBADMSG;
	case ZT_DNS_TYPE_AAAA:
		return rr->class != ZT_DNS_CLASS_IN || rr->rdlen == 16 ?
		       0 : -EBADMSG;
	}
	f = zt_rdata_names_of(rr->type);
	if (!f)
		return 0;
	if (end - p < f->skip)
		return -EBADMSG;
	p += f->skip;
	for (i = 0; i < f->strings; i++) {
		if (p == end || end - p < 1u + m->b[p])
			return -EBADMSG;
		p += 1u + m->b[p];
	}
	for (i = 0; i < f->names; i++)
		if (zt_name_read(m, end, &p, NULL) < 0)
			return -EBADMSG;
	if (f->tail == ZT_TAIL_ANY)
		return 0;
	return end - p == (size_t)f->tail ? 0 : -EBADMSG;
}

/* Read the record at *@off and move *@off past it.  Return: 0, -EBADMSG. */
static int zt_rr_read(struct zt_msg *m, size_t *off, struct zt_rr *rr)
{
	size_t p = *off;
	int n = zt_name_read(m, m->len, &p, rr->name);

	if (n < 0 || m->len - p < 10)
		return -EBADMSG;
	rr->name_len = (unsigned int)n;
	rr->type = get16(m->b + p);
	rr->class = get16(m->b + p + 2);
	rr->ttl = get32(m->b + p + 4);
	rr->rdlen = get16(m->b + p + 8);
	rr->rdata = p + 10;
	if (m->len - rr->rdata < rr->rdlen)
		return -EBADMSG;
	*off = rr->rdata + rr->rdlen;
	return zt_rdata_check(m, *off, rr);
}

static int zt_question_read(struct zt_msg *m, size_t *off,
			    struct zt_dns_question *q)
{
	int n = zt_name_read(m, m->len, off, q->name);

	if (n < 0 || m->len - *off < 4)
		return -EBADMSG;
	q->name_len = (uint8_t)n;
	q->qtype = get16(m->b + *off);
	q->qclass = get16(m->b + *off + 2);
	*off += 4;
	return 0;
}

/* Skip the questions: *@off is then the first record. */
static int zt_skip_questions(struct zt_msg *m, size_t *off)
{
	struct zt_dns_question q;
	unsigned int i;

	*off = ZT_DNS_HDR_LEN;
	for (i = 0; i < get16(m->b + 4); i++)
		if (zt_question_read(m, off, &q))
			return -EBADMSG;
	return 0;
}

/* Records in the answer, authority and additional sections. */
static unsigned int zt_nrecords(const uint8_t *msg)
{
	return get16(msg + 6) + get16(msg + 8) + get16(msg + 10);
}

static uint8_t *zt_put_question(uint8_t *p, const struct zt_dns_question *q)
{
	memcpy(p, q->name, q->name_len);
	p += q->name_len;
	put16(p, q->qtype);
	put16(p + 2, q->qclass);
	return p + 4;
}

/* Our OPT record, @rdlen bytes of options to follow. */
static uint8_t *zt_put_opt(uint8_t *p, bool dnssec_ok, uint8_t ext_rcode,
			   uint16_t rdlen)
{
	p[0] = 0;
	put16(p + 1, ZT_DNS_TYPE_OPT);
	put16(p + 3, ZT_DNS_EDNS_SIZE);
	put32(p + 5, (uint32_t)ext_rcode << 24 | (dnssec_ok ? ZT_DNS_DO : 0));
	put16(p + 9, rdlen);
	return p + ZT_DNS_OPT_LEN;
}

int zt_dns_parse_query(const uint8_t *msg, size_t len, struct zt_dns_query *q)
{
	unsigned int i, an_ns, nrr;
	size_t off = ZT_DNS_HDR_LEN;
	struct zt_msg m;
	struct zt_rr rr;
	int ret;

	memset(q, 0, sizeof(*q));
	q->udp_size = ZT_DNS_UDP_PLAIN;
	if (zt_msg_init(&m, msg, len))
		return -EBADMSG;
	q->id = get16(msg);
	q->flags = get16(msg + 2);
	if (q->flags & ZT_DNS_QR)
		return -EBADMSG;
	if (q->flags & ZT_DNS_OPCODE)
		return -ENOTSUP;
	if (get16(msg + 4) != 1)
		return -EPROTO;
	ret = zt_question_read(&m, &off, &q->q);
	if (ret)
		return ret;
	an_ns = get16(msg + 6) + get16(msg + 8);
	nrr = zt_nrecords(msg);
	for (i = 0; i < nrr; i++) {
		int err = zt_rr_read(&m, &off, &rr);

		if (err)
			return err;
		if (i < an_ns || rr.type != ZT_DNS_TYPE_OPT || q->edns) {
			ret = -ENOTSUP;
			continue;
		}
		if (rr.name_len != 1)
			return -EBADMSG;
		q->edns = true;
		q->dnssec_ok = rr.ttl & ZT_DNS_DO;
		if (rr.class > ZT_DNS_UDP_PLAIN)
			q->udp_size = rr.class;
	}
	return off == len ? ret : -EBADMSG;
}

unsigned int zt_dns_asked(const struct zt_dns_query *q)
{
	return (q->flags & ZT_DNS_RD ? ZT_DNS_ASK_RD : 0) |
	       (q->dnssec_ok ? ZT_DNS_ASK_DO : 0);
}

int zt_dns_build_query(uint8_t *out, size_t size, const struct zt_dns_query *q,
		       uint16_t id, unsigned int pad)
{
	size_t n = ZT_DNS_HDR_LEN + q->q.name_len + 4 + ZT_DNS_OPT_LEN;
	unsigned int asked = zt_dns_asked(q);
	size_t padlen = 0;
	uint8_t *p;

	if (pad) {
		/* The option's code and length count too. */
		n += 4;
		padlen = (pad - n % pad) % pad;
		n += padlen;
	}
	if (n > size || n > ZT_DNS_MSG_MAX)
		return -ENOSPC;
	memset(out, 0, ZT_DNS_HDR_LEN);
	put16(out, id);
	put16(out + 2, asked & ZT_DNS_ASK_RD ? ZT_DNS_RD : 0);
	put16(out + 4, 1);
	put16(out + 10, 1);
	p = zt_put_question(out + ZT_DNS_HDR_LEN, &q->q);
	p = zt_put_opt(p, asked & ZT_DNS_ASK_DO, 0,
		       pad ? (uint16_t)(4 + padlen) : 0);
	if (pad) {
		put16(p, ZT_DNS_OPT_PADDING);
		put16(p + 2, (uint16_t)padlen);
		memset(p + 4, 0, padlen);
	}
	return (int)n;
}

/*
 * Take the address of an A or AAAA record for @r.  A query for A takes
 * only A, one for AAAA only AAAA, and any other both: the client may
 * connect to either.
 */
static int zt_take_addr(struct zt_dns_reply *r, uint16_t qtype,
			const uint8_t *msg, const struct zt_rr *rr,
			uint32_t ttl)
{
	struct zt_dns_addr *a;
	int family;

	if (rr->class != ZT_DNS_CLASS_IN)
		return 0;
	if (rr->type == ZT_DNS_TYPE_A && qtype != ZT_DNS_TYPE_AAAA)
		family = AF_INET;
	else if (rr->type == ZT_DNS_TYPE_AAAA && qtype != ZT_DNS_TYPE_A)
		family = AF_INET6;
	else
		return 0;
	if (r->naddrs == ZT_DNS_MAX_ADDRS)
		return -E2BIG;
	a = &r->addrs[r->naddrs++];
	zt_addr_set(&a->addr, family, msg + rr->rdata, rr->rdlen);
	a->ttl = zt_min(ttl, zt_ttl(rr->ttl));
	return 0;
}

/* The index of @name on the chain, or -1. */
static int zt_chain_find(const struct zt_dns_question *chain, unsigned int n,
			 const uint8_t *name, size_t len)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (zt_name_eq(chain[i].name, chain[i].name_len, name, len))
			return (int)i;
	return -1;
}

int zt_dns_parse_reply(const uint8_t *msg, size_t len,
		       const struct zt_dns_question *q, struct zt_dns_reply *r)
{
	/* The names of the chain, and room for one too many. */
	struct zt_dns_question chain[ZT_DNS_MAX_CNAMES + 2];
	/* The lowest TTL of the CNAME records before each name. */
	uint32_t reach[ZT_DNS_MAX_CNAMES + 2];
	uint32_t ttl = UINT32_MAX, neg = UINT32_MAX;
	unsigned int i, j, n = 1, an, ns, nrr;
	bool positive = false, grew;
	size_t off = ZT_DNS_HDR_LEN, an_off, p;
	struct zt_msg m;
	struct zt_rr rr;
	uint16_t flags;
	int ret, k;

	memset(r, 0, sizeof(*r));
	if (zt_msg_init(&m, msg, len))
		return -EBADMSG;
	r->id = get16(msg);
	flags = get16(msg + 2);
	r->rcode = flags & ZT_DNS_RCODE;
	r->truncated = flags & ZT_DNS_TC;
	if (!(flags & ZT_DNS_QR))
		return -ENOMSG;
	/* A server's FORMERR or REFUSED may come without the question. */
	if (!get16(msg + 4)) {
		nrr = zt_nrecords(msg);
		for (i = 0; i < nrr; i++)
			if (zt_rr_read(&m, &off, &rr))
				return -EBADMSG;
		return off == len ? -EPROTO : -EBADMSG;
	}
	if (get16(msg + 4) != 1)
		return -ENOMSG;
	ret = zt_question_read(&m, &off, &chain[0]);
	if (ret)
		return ret;
	if (chain[0].qtype != q->qtype || chain[0].qclass != q->qclass ||
	    !zt_name_eq(chain[0].name, chain[0].name_len, q->name,
			q->name_len))
		return -ENOMSG;

	/* Every record must be sound; the SOA of a negative answer. */
	an = get16(msg + 6);
	ns = get16(msg + 8);
	nrr = zt_nrecords(msg);
	an_off = off;
	for (i = 0; i < nrr; i++) {
		ret = zt_rr_read(&m, &off, &rr);
		if (ret)
			return ret;
		if (i >= an && i < an + ns && rr.type == ZT_DNS_TYPE_SOA)
			neg = zt_min(neg, zt_min(zt_ttl(rr.ttl),
				zt_ttl(get32(msg + off - 4))));
	}
	if (off != len)
		return -EBADMSG;

	/* The records were checked above: zt_rr_read() cannot fail now. */
	do {
		grew = false;
		off = an_off;
		for (i = 0; i < an; i++) {
			zt_rr_read(&m, &off, &rr);
			if (rr.type != ZT_DNS_TYPE_CNAME ||
			    rr.class != ZT_DNS_CLASS_IN ||
			    !zt_name_eq(rr.name, rr.name_len, chain[n - 1].name,
					chain[n - 1].name_len))
				continue;
			p = rr.rdata;
			chain[n].name_len = (uint8_t)zt_name_read(&m, off, &p,
							chain[n].name);
			if (zt_chain_find(chain, n, chain[n].name,
					  chain[n].name_len) >= 0)
				continue;
			if (n++ == ZT_DNS_MAX_CNAMES + 1)
				return -E2BIG;
			grew = true;
		}
	} while (grew);

	for (i = 0; i < n; i++)
		reach[i] = UINT32_MAX;
	off = an_off;
	for (i = 0; i < an; i++) {
		zt_rr_read(&m, &off, &rr);
		k = zt_chain_find(chain, n, rr.name, rr.name_len);
		if (k < 0)
			continue;
		ttl = zt_min(ttl, zt_ttl(rr.ttl));
		if (rr.type == q->qtype || q->qtype == ZT_DNS_TYPE_ANY)
			positive = true;
		if (rr.type == ZT_DNS_TYPE_CNAME && rr.class == ZT_DNS_CLASS_IN)
			for (j = (unsigned int)k + 1; j < n; j++)
				reach[j] = zt_min(reach[j], zt_ttl(rr.ttl));
	}
	off = an_off;
	for (i = 0; i < an; i++) {
		zt_rr_read(&m, &off, &rr);
		k = zt_chain_find(chain, n, rr.name, rr.name_len);
		if (k < 0)
			continue;
		ret = zt_take_addr(r, q->qtype, msg, &rr, reach[k]);
		if (ret)
			return ret;
	}

	/* A negative answer lives as long as its SOA says (RFC 2308). */
	if (r->rcode == ZT_DNS_RCODE_NXDOMAIN ||
	    (r->rcode == ZT_DNS_RCODE_NOERROR && !positive))
		ttl = neg == UINT32_MAX ? 0 : zt_min(ttl, neg);
	else if (r->rcode != ZT_DNS_RCODE_NOERROR)
		ttl = 0;
	r->cache_ttl = r->truncated ? 0 : ttl;
	return 0;
}

/*
 * A reply being shaped for a client.  Leaving out a record moves what
 * follows it back, and writing out the labels a pointer led to (when they
 * were left out) moves it forth: each such edit is kept, in the order of
 * the old bytes, so that the pointers after it move with their targets.
 */
struct zt_edit {
	uint16_t from, to;		/* the old bytes [from, to) */
	int32_t shift;			/* new offset - old, from @to on */
};

struct zt_shape {
	struct zt_msg m;
	uint8_t *out;
	size_t size, n;
	struct zt_edit edits[ZT_DNS_MAX_EDITS];
	unsigned int nedits;
};

static int zt_shape_put(struct zt_shape *s, const uint8_t *p, size_t n)
{
	if (s->size - s->n < n)
		return -ENOSPC;
	memcpy(s->out + s->n, p, n);
	s->n += n;
	return 0;
}

/* The old bytes [@from, @to) were left out, or rewritten up to s->n. */
static int zt_shape_edit(struct zt_shape *s, size_t from, size_t to)
{
	struct zt_edit *e;

	if (s->nedits == ZT_DNS_MAX_EDITS)
		return -E2BIG;
	e = &s->edits[s->nedits++];
	e->from = (uint16_t)from;
	e->to = (uint16_t)to;
	e->shift = (int32_t)s->n - (int32_t)to;
	return 0;
}

/* Where the label at old offset @off is now, or -1 if it was left out. */
static long zt_shape_where(const struct zt_shape *s, size_t off)
{
	unsigned int lo = 0, hi = s->nedits, mid;
	const struct zt_edit *e;

	/* The last edit starting at or before @off. */
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (s->edits[mid].from <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return (long)off;
	e = &s->edits[lo - 1];
	if (off < e->to)
		return -1;
	return (long)off + e->shift;
}

/*
 * Copy the name at old offset *@off and move *@off past it: its own labels
 * as they are, then its pointer to where the target is now, or, when that
 * was left out (or lies beyond what a pointer reaches), the labels it led
 * to.  The message was checked, names included.
 */
static int zt_shape_name(struct zt_shape *s, size_t *off)
{
	const uint8_t *b = s->m.b;
	size_t start = *off, pos = start, t;
	uint8_t ptr[2];
	long where;
	int ret;

	while (b[pos] && b[pos] < 0xc0)
		pos += 1u + b[pos];
	if (!b[pos]) {
		*off = pos + 1;
		return zt_shape_put(s, b + start, pos + 1 - start);
	}
	*off = pos + 2;
	ret = zt_shape_put(s, b + start, pos - start);
	if (ret)
		return ret;
	t = (b[pos] & 0x3f) << 8 | b[pos + 1];
	where = zt_shape_where(s, t);
	if (where >= 0 && where < 0x4000) {
		ptr[0] = (uint8_t)(0xc0 | where >> 8);
		ptr[1] = where & 0xff;
		return zt_shape_put(s, ptr, 2);
	}
	while (b[t]) {
		if (b[t] >= 0xc0) {
			t = (b[t] & 0x3f) << 8 | b[t + 1];
			continue;
		}
		ret = zt_shape_put(s, b + t, 1u + b[t]);
		if (ret)
			return ret;
		t += 1u + b[t];
	}
	ret = zt_shape_put(s, b + t, 1);
	return ret ? ret : zt_shape_edit(s, pos, pos + 2);
}

/* Copy a record's TYPE to RDATA, the names in its RDATA as names. */
static int zt_shape_rr(struct zt_shape *s, const struct zt_rr *rr)
{
	const struct zt_rdata_names *f = zt_rdata_names_of(rr->type);
	const uint8_t *b = s->m.b;
	size_t p = rr->rdata, end = rr->rdata + rr->rdlen, at, n = 0;
	unsigned int i;
	int ret;

	ret = zt_shape_put(s, b + p - 10, 10);
	if (ret)
		return ret;
	at = s->n;
	if (f) {
		n = f->skip;
		for (i = 0; i < f->strings; i++)
			n += 1u + b[p + n];
	}
	ret = zt_shape_put(s, b + p, n);
	p += n;
	for (i = 0; f && !ret && i < f->names; i++)
		ret = zt_shape_name(s, &p);
	if (!ret)
		ret = zt_shape_put(s, b + p, end - p);
	if (ret)
		return ret;
	if (s->n - at > UINT16_MAX)
		return -ENOSPC;
	put16(s->out + at - 2, (uint16_t)(s->n - at));
	return 0;
}

/* Whether @rr is an address record the client may not see. */
static bool zt_hidden(const struct zt_rr *rr, const uint8_t *msg,
		      bool (*hide)(const struct zt_addr *a, void *arg),
		      void *arg)
{
	struct zt_addr a;
	int family;

	if (!hide || rr->class != ZT_DNS_CLASS_IN)
		return false;
	if (rr->type == ZT_DNS_TYPE_A)
		family = AF_INET;
	else if (rr->type == ZT_DNS_TYPE_AAAA)
		family = AF_INET6;
	else
		return false;
	return zt_addr_set(&a, family, msg + rr->rdata, rr->rdlen) ||
	       hide(&a, arg);
}

/*
 * The upstream OPT record is left out with every record after it: the
 * compression pointers of those may lead into or past it, and additional
 * records are optional anyway.  Servers put their OPT last (but for a
 * TSIG), so in practice nothing else is lost.  The records before it are
 * copied one by one, but those @hide refuses (struct zt_shape).
 */
int zt_dns_client_reply(uint8_t *out, size_t size, const uint8_t *msg,
			size_t len, const struct zt_dns_query *q, size_t limit,
			bool (*hide)(const struct zt_addr *a, void *arg),
			void *arg)
{
	size_t off, start, qend, opt = q->edns ? ZT_DNS_OPT_LEN : 0, n;
	unsigned int i, an, ns, nrr, ncut, count[3];
	struct zt_shape s;
	struct zt_rr rr;
	uint16_t flags;
	int ret = 0;

	if (zt_msg_init(&s.m, msg, len) || zt_skip_questions(&s.m, &off))
		return -EBADMSG;
	qend = off;
	count[0] = an = get16(msg + 6);
	count[1] = ns = get16(msg + 8);
	count[2] = get16(msg + 10);
	nrr = zt_nrecords(msg);
	ncut = nrr;
	for (i = 0; i < nrr; i++) {
		if (zt_rr_read(&s.m, &off, &rr))
			return -EBADMSG;
		if (ncut == nrr && i >= an + ns && rr.type == ZT_DNS_TYPE_OPT) {
			ncut = i;
			count[2] = i - an - ns;
		}
	}
	if (off != len)
		return -EBADMSG;

	s.out = out;
	s.size = size;
	s.n = 0;
	s.nedits = 0;
	ret = zt_shape_put(&s, msg, qend);
	off = qend;
	for (i = 0; !ret && i < ncut; i++) {
		start = off;
		zt_rr_read(&s.m, &off, &rr);
		if (zt_hidden(&rr, msg, hide, arg)) {
			count[i < an ? 0 : i < an + ns ? 1 : 2]--;
			ret = zt_shape_edit(&s, start, off);
			continue;
		}
		ret = zt_shape_name(&s, &start);
		if (!ret)
			ret = zt_shape_rr(&s, &rr);
	}

	flags = (get16(msg + 2) & ~ZT_DNS_RD) | (q->flags & ZT_DNS_RD);
	if (ret && !(ret == -ENOSPC && size >= limit))
		return ret;
	if (ret || s.n + opt > limit) {
		/* Too long for the client: header and question, TC. */
		flags |= ZT_DNS_TC;
		memset(count, 0, sizeof(count));
		n = qend;
		if (n <= size)
			memcpy(out, msg, n);
	} else {
		n = s.n;
	}
	if (n + opt > size)
		return -ENOSPC;
	put16(out, q->id);
	put16(out + 2, flags);
	put16(out + 6, (uint16_t)count[0]);
	put16(out + 8, (uint16_t)count[1]);
	put16(out + 10, (uint16_t)(count[2] + !!opt));
	if (opt)
		zt_put_opt(out + n, q->dnssec_ok, 0, 0);
	return (int)(n + opt);
}

int zt_dns_error_reply(uint8_t *out, size_t size, const struct zt_dns_query *q,
		       uint8_t rcode)
{
	size_t n = ZT_DNS_HDR_LEN;
	uint8_t *p = out + ZT_DNS_HDR_LEN;

	if (q->q.name_len)
		n += q->q.name_len + 4;
	if (q->edns)
		n += ZT_DNS_OPT_LEN;
	if (n > size)
		return -ENOSPC;
	memset(out, 0, ZT_DNS_HDR_LEN);
	put16(out, q->id);
	put16(out + 2, ZT_DNS_QR | ZT_DNS_RA | (rcode & ZT_DNS_RCODE) |
	      (q->flags & (ZT_DNS_OPCODE | ZT_DNS_RD | ZT_DNS_CD)));
	if (q->q.name_len) {
		put16(out + 4, 1);
		p = zt_put_question(p, &q->q);
	}
	if (q->edns) {
		put16(out + 10, 1);
		zt_put_opt(p, q->dnssec_ok, rcode >> 4, 0);
	}
	return (int)n;
}

int zt_dns_age(uint8_t *msg, size_t len, uint32_t elapsed)
{
	unsigned int i, nrr, pass;
	struct zt_msg m;
	struct zt_rr rr;
	uint32_t ttl;
	size_t off;

	if (zt_msg_init(&m, msg, len))
		return -EBADMSG;
	/* Check everything first, so that a bad message is left untouched. */
	for (pass = 0; pass < 2; pass++) {
		if (zt_skip_questions(&m, &off))
			return -EBADMSG;
		nrr = zt_nrecords(msg);
		for (i = 0; i < nrr; i++) {
			if (zt_rr_read(&m, &off, &rr))
				return -EBADMSG;
			ttl = zt_ttl(rr.ttl);
			if (pass && rr.type != ZT_DNS_TYPE_OPT)
				put32(msg + rr.rdata - 6,
				      ttl > elapsed ? ttl - elapsed : 0);
		}
		if (off != len)
			return -EBADMSG;
	}
	return 0;
}

/*
 * Append a short piece to the text in @buf, or, when it does not fit, stop
 * writing: an escape is never cut in half.
 */
static void zt_append(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
	char piece[16];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vsnprintf(piece, sizeof(piece), fmt, ap);
	va_end(ap);
	if (ret < 0 || *n + (size_t)ret >= size) {
		*n = size;
		return;
	}
	memcpy(buf + *n, piece, (size_t)ret + 1);
	*n += (size_t)ret;
}

char *zt_dns_question_str(char *buf, size_t size,
			  const struct zt_dns_question *q)
{
	static const struct {
		uint16_t type;
		const char *name;
	} types[] = {
		{ ZT_DNS_TYPE_A, "A" }, { 2, "NS" },
		{ ZT_DNS_TYPE_CNAME, "CNAME" }, { ZT_DNS_TYPE_SOA, "SOA" },
		{ 12, "PTR" }, { 15, "MX" }, { 16, "TXT" },
		{ ZT_DNS_TYPE_AAAA, "AAAA" }, { 33, "SRV" }, { 64, "SVCB" },
		{ 65, "HTTPS" }, { ZT_DNS_TYPE_ANY, "ANY" },
	};
	size_t n = 0, i = 0, end, t;
	uint8_t c;

	if (!size)
		return buf;
	buf[0] = '\0';
	while (i < q->name_len && q->name[i]) {
		end = i + 1 + q->name[i];
		for (i++; i < end && i < q->name_len; i++) {
			c = q->name[i];
			if (c == '.' || c == '\\')
				zt_append(buf, size, &n, "\\%c", c);
			else if (c < 0x21 || c > 0x7e)
				zt_append(buf, size, &n, "\\%03u", c);
			else
				zt_append(buf, size, &n, "%c", c);
		}
		zt_append(buf, size, &n, ".");
	}
	if (!n)
		zt_append(buf, size, &n, ".");
	for (t = 0; t < ARRAY_SIZE(types); t++)
		if (types[t].type == q->qtype)
			break;
	if (t < ARRAY_SIZE(types))
		zt_append(buf, size, &n, " %s", types[t].name);
	else
		zt_append(buf, size, &n, " TYPE%u", q->qtype);
	if (q->qclass != ZT_DNS_CLASS_IN)
		zt_append(buf, size, &n, " CLASS%u", q->qclass);
	return buf;
}
