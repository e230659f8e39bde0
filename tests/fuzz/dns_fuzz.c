// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target of daemon/dns.c: the input as a client's query and as
 * an upstream reply, to a fixed question and to the one in its own
 * question section.  Besides the sanitizers it checks what dns.h promises
 * about outputs: a query built upstream parses back, and a reply that
 * parsed still parses after zt_dns_client_reply() (with or without
 * addresses to hide, none of which is left) and zt_dns_age().
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static uint8_t out[ZT_DNS_MSG_MAX], copy[ZT_DNS_MSG_MAX];
static struct zt_dns_reply r, r2;

/* The first question of @data, uncompressed as in a real reply. */
static bool own_question(const uint8_t *data, size_t size,
			 struct zt_dns_question *q)
{
	size_t off = ZT_DNS_HDR_LEN, n = 0;

	while (off < size && data[off] && data[off] <= 63) {
		n += 1 + data[off];
		off += 1 + data[off];
	}
	if (off >= size || data[off] || n + 1 > ZT_DNS_NAME_MAX ||
	    size - off < 5)
		return false;
	memcpy(q->name, data + ZT_DNS_HDR_LEN, n + 1);
	q->name_len = (uint8_t)(n + 1);
	q->qtype = (uint16_t)(data[off + 1] << 8 | data[off + 2]);
	q->qclass = (uint16_t)(data[off + 3] << 8 | data[off + 4]);
	return true;
}

/* Some addresses to hide: 10/8, 127/8, and IPv6 ones starting with 0. */
static bool hide(const struct zt_addr *a, void *arg)
{
	(void)arg;
	if (a->family == AF_INET)
		return a->bytes[0] == 10 || a->bytes[0] == 127;
	return a->bytes[0] == 0;
}

static void client_reply(const uint8_t *data, size_t size,
			 const struct zt_dns_query *q, size_t limit,
			 bool hiding)
{
	const struct zt_dns_addr *a;
	unsigned int i, j;
	int n;

	n = zt_dns_client_reply(out, sizeof(out), data, size, q, limit,
				hiding ? hide : NULL, NULL);
	CHECK(n > 0 || n == -E2BIG);
	if (n < 0)
		return;
	CHECK(zt_dns_parse_reply(out, (size_t)n, &q->q, &r2) == 0);
	CHECK(r2.naddrs <= r.naddrs);
	/* Unless truncated, the addresses are those not hidden, unchanged. */
	if ((data[2] | out[2]) & 0x02)
		return;
	for (i = 0, j = 0; i < r.naddrs; i++) {
		a = &r.addrs[i];
		if (hiding && hide(&a->addr, NULL))
			continue;
		CHECK(j < r2.naddrs && r2.addrs[j].ttl == a->ttl &&
		      r2.addrs[j].addr.family == a->addr.family &&
		      !memcmp(r2.addrs[j].addr.bytes, a->addr.bytes, 16));
		j++;
	}
	CHECK(j == r2.naddrs);
}

static void reply(const uint8_t *data, size_t size,
		  const struct zt_dns_question *question, uint8_t knobs)
{
	struct zt_dns_query q;
	char text[1100];
	unsigned int i;
	int ret;

	memset(&q, 0, sizeof(q));
	q.q = *question;
	q.id = 0x4242;
	q.flags = knobs & 1 ? 0x0100 : 0;
	q.edns = knobs & 2;
	q.dnssec_ok = knobs & 4;
	zt_dns_question_str(text, knobs & 8 ? 16 : sizeof(text), &q.q);
	ret = zt_dns_parse_reply(data, size, &q.q, &r);
	CHECK(ret == 0 || ret == -EBADMSG || ret == -ENOMSG || ret == -E2BIG ||
	      ret == -EPROTO);
	if (ret)
		return;
	CHECK(r.naddrs <= ZT_DNS_MAX_ADDRS);
	for (i = 0; i < r.naddrs; i++)
		CHECK(r.addrs[i].addr.family == AF_INET ||
		      r.addrs[i].addr.family == AF_INET6);
	client_reply(data, size, &q, ZT_DNS_UDP_PLAIN, false);
	client_reply(data, size, &q, ZT_DNS_MSG_MAX, false);
	client_reply(data, size, &q, ZT_DNS_UDP_PLAIN, true);
	client_reply(data, size, &q, ZT_DNS_MSG_MAX, true);
	memcpy(copy, data, size);
	CHECK(zt_dns_age(copy, size, knobs) == 0);
	CHECK(zt_dns_parse_reply(copy, size, &q.q, &r2) == 0);
	CHECK(r2.naddrs == r.naddrs && r2.cache_ttl <= r.cache_ttl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct zt_dns_question fixed = {
		.name = "\3www\7example\3com",
		.name_len = 17,
		.qtype = ZT_DNS_TYPE_A,
		.qclass = ZT_DNS_CLASS_IN,
	};
	uint8_t knobs = size ? data[size - 1] : 0;
	struct zt_dns_question own;
	struct zt_dns_query q;
	struct zt_dns_query back;
	int ret, n;

	if (size > ZT_DNS_MSG_MAX)
		return 0;
	ret = zt_dns_parse_query(data, size, &q);
	CHECK(ret == 0 || ret == -EBADMSG || ret == -EPROTO ||
	      ret == -ENOTSUP);
	n = zt_dns_error_reply(out, sizeof(out), &q, knobs);
	CHECK(n >= ZT_DNS_HDR_LEN);
	if (q.q.name_len)
		CHECK(zt_dns_parse_reply(out, (size_t)n, &q.q, &r2) == 0);
	if (!ret) {
		CHECK(q.udp_size >= ZT_DNS_UDP_PLAIN);
		n = zt_dns_build_query(out, sizeof(out), &q, 1,
				       knobs & 1 ? ZT_DNS_PAD_QUERY : 0);
		CHECK(n > 0 && (!(knobs & 1) || n % ZT_DNS_PAD_QUERY == 0));
		CHECK(zt_dns_parse_query(out, (size_t)n, &back) == 0);
		CHECK(back.edns && back.dnssec_ok == q.dnssec_ok &&
		      back.q.name_len == q.q.name_len &&
		      !memcmp(back.q.name, q.q.name, q.q.name_len));
	}
	reply(data, size, &fixed, knobs);
	if (own_question(data, size, &own))
		reply(data, size, &own, knobs);
	memcpy(copy, data, size);
	zt_dns_age(copy, size, knobs);
	return 0;
}
