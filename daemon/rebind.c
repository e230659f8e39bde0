// SPDX-License-Identifier: GPL-2.0
/*
 * Anti-rebinding: the special-use address ranges (the IANA special-purpose
 * address registries, RFC 6890 and its successors) that an answer of a
 * public resolver must not make reachable, and the allowed subnets that
 * make an exception.
 *
 * The documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24
 * and 2001:db8::/32) are deliberately not special: they route nowhere, so
 * learning them opens nothing, and the tests use them as public hosts.
 */

#include <string.h>
#include <sys/socket.h>

#include "rebind.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct zt_range {
	unsigned char prefix[16];
	unsigned int plen;
	const char *name;
};

/* Broadcast lies inside 240.0.0.0/4, so it comes first. */
static const struct zt_range zt_special4[] = {
	{ { 255, 255, 255, 255 }, 32, "broadcast" },
	{ { 0 }, 8, "unspecified" },		/* "this network" */
	{ { 10 }, 8, "private" },
	{ { 100, 64 }, 10, "shared" },
	{ { 127 }, 8, "loopback" },
	{ { 169, 254 }, 16, "link-local" },
	{ { 172, 16 }, 12, "private" },
	{ { 192, 0, 0 }, 24, "ietf-protocol" },
	{ { 192, 168 }, 16, "private" },
	{ { 198, 18 }, 15, "benchmarking" },
	{ { 224 }, 4, "multicast" },
	{ { 240 }, 4, "reserved" },
};

/* :: and ::1 lie inside ::/96, so they come first. */
static const struct zt_range zt_special6[] = {
	{ { 0 }, 128, "unspecified" },
	{ { [15] = 1 }, 128, "loopback" },
	{ { 0 }, 96, "ipv4-compatible" },	/* deprecated, RFC 4291 */
	{ { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 }, 48, "nat64-local" },
	{ { 0x01 }, 64, "discard" },		/* 100::/64, RFC 6666 */
	{ { 0x20, 0x02 }, 16, "6to4" },		/* deprecated, RFC 7526 */
	{ { 0xfe, 0x80 }, 10, "link-local" },
	{ { 0xfe, 0xc0 }, 10, "site-local" },
	{ { 0xfc }, 7, "unique-local" },
	{ { 0xff }, 8, "multicast" },
};

/* Prefixes whose last 32 bits are an IPv4 address: mapped, NAT64. */
static const struct zt_range zt_embed4[] = {
	{ { [10] = 0xff, [11] = 0xff }, 96, NULL },
	{ { 0x00, 0x64, 0xff, 0x9b }, 96, NULL },
};

/* Whether the first @plen bits of @a and @p are the same. */
static bool zt_prefix_match(const unsigned char *a, const unsigned char *p,
			    unsigned int plen)
{
	unsigned int full = plen / 8, rest = plen % 8;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));

	if (memcmp(a, p, full))
		return false;
	return !rest || !((a[full] ^ p[full]) & mask);
}

static const struct zt_range *zt_range_find(const struct zt_range *r,
					     size_t n,
					     const unsigned char *bytes)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (zt_prefix_match(bytes, r[i].prefix, r[i].plen))
			return &r[i];
	return NULL;
}

static const char *zt_range_name(const struct zt_range *r, size_t n,
				 const unsigned char *bytes)
{
	r = zt_range_find(r, n, bytes);
	return r ? r->name : NULL;
}

/*
 * An IPv6 address that embeds an IPv4 address (::ffff:0:0/96, 64:ff9b::/96)
 * reaches that IPv4 address, so it is named as that address is.
 */
const char *zt_addr_special(const struct zt_addr *a)
{
	if (a->family == AF_INET)
		return zt_range_name(zt_special4, ARRAY_SIZE(zt_special4),
				     a->bytes);
	if (a->family != AF_INET6)
		return NULL;
	if (zt_range_find(zt_embed4, ARRAY_SIZE(zt_embed4), a->bytes))
		return zt_range_name(zt_special4, ARRAY_SIZE(zt_special4),
				     a->bytes + 12);
	return zt_range_name(zt_special6, ARRAY_SIZE(zt_special6), a->bytes);
}

bool zt_subnet_covers(const struct zt_subnet *s, size_t n,
		      const struct zt_addr *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i].addr.family == a->family &&
		    zt_prefix_match(a->bytes, s[i].addr.bytes, s[i].plen))
			return true;
	return false;
}

const char *zt_rebind_refused(const struct zt_subnet *s, size_t n,
			      const struct zt_addr *a)
{
	const char *special = zt_addr_special(a);

	return special && !zt_subnet_covers(s, n, a) ? special : NULL;
}
