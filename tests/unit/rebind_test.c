// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of daemon/rebind.c: the first and last address of every
 * special range and the addresses just outside it, IPv4-mapped and NAT64
 * addresses, and subnet cover.  Prints each failed case and a count;
 * exits 1 when any failed.
 */

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/rebind.h"

#define CHECK_QUOTE_IN	/* the inputs are words: quote them */
#include "check.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct zt_addr addr(const char *s)
{
	struct zt_addr a;

	if (zt_parse_addr(s, &a)) {
		printf("FAIL bad test address \"%s\"\n", s);
		failures++;
	}
	return a;
}

struct special_case {
	const char *addr;
	const char *name;	/* NULL: may be learned */
};

static const struct special_case special_cases[] = {
	{ "0.0.0.0", "unspecified" },
	{ "0.255.255.255", "unspecified" },
	{ "1.0.0.0", NULL },
	{ "9.255.255.255", NULL },
	{ "10.0.0.0", "private" },
	{ "10.255.255.255", "private" },
	{ "11.0.0.0", NULL },
	{ "100.63.255.255", NULL },
	{ "100.64.0.0", "shared" },
	{ "100.127.255.255", "shared" },
	{ "100.128.0.0", NULL },
	{ "126.255.255.255", NULL },
	{ "127.0.0.0", "loopback" },
	{ "127.0.0.1", "loopback" },
	{ "127.255.255.255", "loopback" },
	{ "128.0.0.0", NULL },
	{ "169.253.255.255", NULL },
	{ "169.254.0.0", "link-local" },
	{ "169.254.255.255", "link-local" },
	{ "169.255.0.0", NULL },
	{ "172.15.255.255", NULL },
	{ "172.16.0.0", "private" },
	{ "172.31.255.255", "private" },
	{ "172.32.0.0", NULL },
	{ "191.255.255.255", NULL },
	{ "192.0.0.0", "ietf-protocol" },
	{ "192.0.0.255", "ietf-protocol" },
	{ "192.0.1.0", NULL },
	/* Documentation ranges: public on purpose (see rebind.c). */
	{ "192.0.2.0", NULL },
	{ "192.0.2.255", NULL },
	{ "198.51.100.1", NULL },
	{ "203.0.113.1", NULL },
	{ "192.167.255.255", NULL },
	{ "192.168.0.0", "private" },
	{ "192.168.255.255", "private" },
	{ "192.169.0.0", NULL },
	{ "198.17.255.255", NULL },
	{ "198.18.0.0", "benchmarking" },
	{ "198.19.255.255", "benchmarking" },
	{ "198.20.0.0", NULL },
	{ "8.8.8.8", NULL },
	{ "223.255.255.255", NULL },
	{ "224.0.0.0", "multicast" },
	{ "239.255.255.255", "multicast" },
	{ "240.0.0.0", "reserved" },
	{ "255.255.255.254", "reserved" },
	{ "255.255.255.255", "broadcast" },
	{ "::", "unspecified" },
	{ "::1", "loopback" },
	{ "::2", "ipv4-compatible" },
	{ "::10.0.0.1", "ipv4-compatible" },
	{ "::255.255.255.255", "ipv4-compatible" },
	{ "::1:0:0", NULL },
	{ "ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL },
	{ "100::", "discard" },
	{ "100::ffff:ffff:ffff:ffff", "discard" },
	{ "100:0:0:1::", NULL },
	{ "2001:db8::1", NULL },
	{ "2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL },
	{ "2002::", "6to4" },
	{ "2002:c000:201::1", "6to4" },
	{ "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "6to4" },
	{ "2003::", NULL },
	{ "2606:4700:4700::1111", NULL },
	{ "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL },
	{ "fc00::", "unique-local" },
	{ "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "unique-local" },
	{ "fe00::", NULL },
	{ "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL },
	{ "fe80::", "link-local" },
	{ "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "link-local" },
	{ "fec0::", "site-local" },
	{ "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "site-local" },
	{ "ff00::", "multicast" },
	{ "ff02::1", "multicast" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "multicast" },
	/* IPv4-mapped and NAT64: the name of the embedded address. */
	{ "::ffff:0.0.0.0", "unspecified" },
	{ "::ffff:10.1.2.3", "private" },
	{ "::ffff:127.0.0.1", "loopback" },
	{ "::ffff:169.254.169.254", "link-local" },
	{ "::ffff:255.255.255.255", "broadcast" },
	{ "::ffff:192.0.2.1", NULL },
	{ "::ffff:8.8.8.8", NULL },
	{ "::fffe:127.0.0.1", NULL },
	{ "::1:ffff:127.0.0.1", NULL },
	{ "64:ff9b::192.168.1.1", "private" },
	{ "64:ff9b::100.64.0.1", "shared" },
	{ "64:ff9b::224.0.0.1", "multicast" },
	{ "64:ff9b::198.51.100.7", NULL },
	{ "64:ff9b:0:1::", NULL },
	{ "64:ff9a::127.0.0.1", NULL },
	/* Local-use NAT64 (RFC 8215): whatever it embeds, wherever. */
	{ "64:ff9b:1::", "nat64-local" },
	{ "64:ff9b:1::127.0.0.1", "nat64-local" },
	{ "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", "nat64-local" },
	{ "64:ff9b:2::", NULL },
};

static void test_special(void)
{
	const struct special_case *t;
	struct zt_addr a;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(special_cases); i++) {
		t = &special_cases[i];
		a = addr(t->addr);
		check_str("zt_addr_special", t->addr, zt_addr_special(&a),
			  t->name);
	}
	memset(&a, 0, sizeof(a));
	check_str("zt_addr_special", "AF_UNSPEC", zt_addr_special(&a), NULL);
}

struct cover_case {
	const char *addr;
	int covered;
};

static const char *const cover_subnets[] = {
	"10.0.0.0/8", "192.168.1.0/24", "172.16.0.0/12", "192.0.2.1/32",
	"fd00:1:2::/48", "fe80::/10", "2001:db8:0:1::1/128", "100.64.0.0/10",
	"198.18.0.0/15",
};

static const struct cover_case cover_cases[] = {
	{ "10.0.0.0", 1 },
	{ "10.255.255.255", 1 },
	{ "11.0.0.0", 0 },
	{ "9.255.255.255", 0 },
	{ "192.168.1.0", 1 },
	{ "192.168.1.255", 1 },
	{ "192.168.2.0", 0 },
	{ "192.168.0.255", 0 },
	{ "172.31.255.255", 1 },
	{ "172.32.0.0", 0 },
	{ "192.0.2.1", 1 },
	{ "192.0.2.2", 0 },
	{ "192.0.2.0", 0 },
	{ "100.127.255.255", 1 },
	{ "100.128.0.0", 0 },
	{ "198.19.255.255", 1 },
	{ "198.20.0.0", 0 },
	{ "fd00:1:2::", 1 },
	{ "fd00:1:2:ffff:ffff:ffff:ffff:ffff", 1 },
	{ "fd00:1:3::", 0 },
	{ "fd00:1:1:ffff:ffff:ffff:ffff:ffff", 0 },
	{ "febf::1", 1 },
	{ "fec0::1", 0 },
	{ "2001:db8:0:1::1", 1 },
	{ "2001:db8:0:1::2", 0 },
	/* By family: a mapped address is not covered by its IPv4 subnet. */
	{ "::ffff:10.0.0.1", 0 },
	{ "::a00:1", 0 },
};

static void test_covers(void)
{
	struct zt_subnet s[ARRAY_SIZE(cover_subnets)];
	struct zt_subnet all = { .plen = 0 };
	const struct cover_case *t;
	struct zt_addr a;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cover_subnets); i++)
		if (zt_parse_cidr(cover_subnets[i], &s[i].addr, &s[i].plen)) {
			printf("FAIL bad test subnet \"%s\"\n",
			       cover_subnets[i]);
			failures++;
		}
	for (i = 0; i < ARRAY_SIZE(cover_cases); i++) {
		t = &cover_cases[i];
		a = addr(t->addr);
		check_int("zt_subnet_covers", t->addr,
			  zt_subnet_covers(s, ARRAY_SIZE(s), &a), t->covered);
	}
	a = addr("10.0.0.1");
	check_int("zt_subnet_covers none", "10.0.0.1",
		  zt_subnet_covers(s, 0, &a), 0);
	check_int("zt_subnet_covers last only", "10.0.0.1",
		  zt_subnet_covers(s + 1, ARRAY_SIZE(s) - 1, &a), 0);
	all.addr = addr("0.0.0.0");
	check_int("zt_subnet_covers 0.0.0.0/0", "10.0.0.1",
		  zt_subnet_covers(&all, 1, &a), 1);
	a = addr("::1");
	check_int("zt_subnet_covers 0.0.0.0/0", "::1",
		  zt_subnet_covers(&all, 1, &a), 0);
	all.addr = addr("::");
	check_int("zt_subnet_covers ::/0", "::1",
		  zt_subnet_covers(&all, 1, &a), 1);
}

/* Kept from the kernel and from the client: loopback too. */
static void test_refused(void)
{
	static const struct special_case cases[] = {
		{ "127.0.0.1", "loopback" },
		{ "::1", "loopback" },
		{ "::ffff:127.0.0.1", "loopback" },
		{ "192.168.1.7", NULL },	/* covered */
		{ "192.168.2.7", "private" },
		{ "fd00:1:2::7", NULL },	/* covered */
		{ "fe80::1", "link-local" },
		{ "64:ff9b:1::7", "nat64-local" },
		{ "192.0.2.7", NULL },
		{ "2001:db8::7", NULL },
	};
	struct zt_subnet s[2];
	struct zt_addr a;
	size_t i;

	zt_parse_cidr("192.168.1.0/24", &s[0].addr, &s[0].plen);
	zt_parse_cidr("fd00:1:2::/48", &s[1].addr, &s[1].plen);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		a = addr(cases[i].addr);
		check_str("zt_rebind_refused", cases[i].addr,
			  zt_rebind_refused(s, ARRAY_SIZE(s), &a),
			  cases[i].name);
	}
	/* An allowed subnet may cover loopback too. */
	zt_parse_cidr("127.0.0.0/8", &s[0].addr, &s[0].plen);
	a = addr("127.0.0.53");
	check_str("zt_rebind_refused", "127.0.0.53 in 127.0.0.0/8",
		  zt_rebind_refused(s, 1, &a), NULL);
}

int main(void)
{
	test_special();
	test_covers();
	test_refused();
	return check_done("rebind_test");
}
