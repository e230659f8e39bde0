// SPDX-License-Identifier: GPL-2.0
/*
 * insert: the round trip of a single insert as ztdnsd sees it, repeated.
 *
 *   insert [-4 | -6] [-n COUNT] [-t TTL] [-w WARMUP]
 *
 * Each insert is what zt_kernel_allow() does for an answer of one address:
 * build one ZTDNS_CMD_ADD_ENTRIES request holding one entry, send it and
 * wait for the kernel's ack, through the same façade (daemon/nl.c).  The
 * time of each, on CLOCK_MONOTONIC, runs from before the message is built
 * to the return of ztnl_send().  COUNT (default 10000) distinct addresses
 * go in, each once: 198.18.0.0 upwards for IPv4 (the benchmarking range,
 * so at most 131072), 2001:db8:200:: upwards for IPv6; first WARMUP
 * (default 100) more, untimed, from the end of the range.  Prints one line:
 *
 *   inserts=N p50_us=X p99_us=X max_us=X mean_us=X
 *
 * Exit status 0, 1 when the kernel refused an insert (the message says
 * why), 2 on a usage error.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/nl.h"
#include "uapi/linux/ztdns.h"

#define V4_ROOM (1u << 17)	/* 198.18.0.0/15 */

static void addr_of(struct zt_addr *a, int fam, uint32_t i)
{
	uint32_t v;

	memset(a, 0, sizeof(*a));
	a->family = fam == 4 ? AF_INET : AF_INET6;
	if (fam == 4) {
		v = htonl((198u << 24 | 18u << 16) + i);
		memcpy(a->bytes, &v, 4);
		return;
	}
	/* 2001:db8:200::/48, the index in the last 32 bits. */
	a->bytes[0] = 0x20;
	a->bytes[1] = 0x01;
	a->bytes[2] = 0x0d;
	a->bytes[3] = 0xb8;
	a->bytes[4] = 0x02;
	v = htonl(i);
	memcpy(a->bytes + 12, &v, 4);
}

/* One ADD_ENTRIES of one address, as zt_kernel_allow() sends it. */
static int insert_one(struct ztnl *nl, const struct zt_addr *a, uint32_t ttl)
{
	struct nlattr *entries, *e;
	struct nl_msg *msg;

	msg = ztnl_msg_size(nl, ZTDNS_CMD_ADD_ENTRIES, 0, 64 + 48);
	if (!msg)
		return -ENOMEM;
	entries = nla_nest_start(msg, ZTDNS_A_ENTRIES | NLA_F_NESTED);
	if (!entries)
		goto err_size;
	e = nla_nest_start(msg, 0 | NLA_F_NESTED);
	if (!e ||
	    ztnl_put_addr(msg, ZTDNS_ENTRY_A_FAMILY, ZTDNS_ENTRY_A_ADDR, a) ||
	    nla_put_u32(msg, ZTDNS_ENTRY_A_TTL, ttl))
		goto err_size;
	nla_nest_end(msg, e);
	nla_nest_end(msg, entries);
	return ztnl_send(nl, msg, NULL, NULL);

err_size:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The nearest-rank percentile @p of the sorted @v[@n], in microseconds. */
static double pct_us(const uint64_t *v, size_t n, double p)
{
	size_t k = (size_t)(p / 100 * n + 0.999999);

	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1] / 1e3;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: insert [-4 | -6] [-n COUNT] [-t TTL] [-w WARMUP]\n");
	return 2;
}

static int parse_count(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || end == s || *end ? -1 : 0;
}

int main(int argc, char **argv)
{
	unsigned long count = 10000, warmup = 100, ttl = 300;
	struct zt_addr a;
	struct ztnl nl;
	uint64_t *t, t0, sum = 0;
	int fam = 4, opt, ret = 0;
	size_t i;

	while ((opt = getopt(argc, argv, "46n:t:w:")) != -1) {
		switch (opt) {
		case '4':
		case '6':
			fam = opt - '0';
			break;
		case 'n':
			if (parse_count(optarg, &count) || !count)
				return usage();
			break;
		case 't':
			if (parse_count(optarg, &ttl) || ttl > UINT32_MAX)
				return usage();
			break;
		case 'w':
			if (parse_count(optarg, &warmup))
				return usage();
			break;
		default:
			return usage();
		}
	}
	if (optind != argc)
		return usage();
	if (fam == 4 && count + warmup > V4_ROOM) {
		fprintf(stderr, "insert: at most %u IPv4 addresses\n", V4_ROOM);
		return 2;
	}
	t = calloc(count, sizeof(*t));
	if (!t) {
		fprintf(stderr, "insert: out of memory\n");
		return 1;
	}
	ret = ztnl_open(&nl);
	if (ret) {
		fprintf(stderr, "insert: %s\n", ztnl_strerror(&nl, ret));
		free(t);
		return 1;
	}
	for (i = 0; !ret && i < warmup; i++) {
		addr_of(&a, fam, (fam == 4 ? V4_ROOM : UINT32_MAX) - 1 - i);
		ret = insert_one(&nl, &a, ttl);
	}
	for (i = 0; !ret && i < count; i++) {
		t0 = now_ns();
		addr_of(&a, fam, i);
		ret = insert_one(&nl, &a, ttl);
		t[i] = now_ns() - t0;
		sum += t[i];
	}
	if (ret) {
		fprintf(stderr, "insert: %s\n", ztnl_strerror(&nl, ret));
		ret = 1;
		goto out;
	}
	qsort(t, count, sizeof(*t), cmp_u64);
	printf("inserts=%lu p50_us=%.1f p99_us=%.1f max_us=%.1f mean_us=%.1f\n",
	       count, pct_us(t, count, 50), pct_us(t, count, 99),
	       t[count - 1] / 1e3, sum / 1e3 / count);
out:
	ztnl_close(&nl);
	free(t);
	return ret;
}
