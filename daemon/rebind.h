/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Anti-rebinding: which answer addresses ztdnsd may hand to the kernel and
 * to the client.  A public resolver's answer must not open the way to the
 * host itself, its LAN or multicast (DNS rebinding): such addresses are
 * neither learned nor shown to the client, unless an allowed subnet of the
 * configuration covers them (as unbound's private-address removes them
 * from answers).  Loopback is among them although the kernel always lets
 * it through: only keeping it from the client protects local services.
 */
#ifndef ZTDNS_REBIND_H
#define ZTDNS_REBIND_H

#include <stdbool.h>
#include <stddef.h>

#include "parse.h"

struct zt_subnet {
	struct zt_addr addr;		/* host bits clear */
	unsigned int plen;
};

/*
 * The name of the special range @a lies in ("loopback", "private",
 * "link-local", "multicast", "unspecified", "shared" (100.64.0.0/10),
 * "unique-local" (fc00::/7), "site-local" (fec0::/10), "reserved"
 * (240.0.0.0/4), "broadcast" (255.255.255.255), "ietf-protocol"
 * (192.0.0.0/24), "benchmarking" (198.18.0.0/15), "ipv4-compatible"
 * (::/96), "nat64-local" (64:ff9b:1::/48), "discard" (100::/64), "6to4"
 * (2002::/16)), or NULL for an address that may be learned.  An
 * IPv4-mapped (::ffff:0:0/96) or NAT64 (64:ff9b::/96) address has the
 * name of the IPv4 address it embeds.
 */
const char *zt_addr_special(const struct zt_addr *a);

/* Whether one of the @n subnets contains @a. */
bool zt_subnet_covers(const struct zt_subnet *s, size_t n,
		      const struct zt_addr *a);

/*
 * Whether an answer's address @a is kept from the kernel and the client:
 * the name of its special range when none of the @n subnets covers it,
 * else NULL.
 */
const char *zt_rebind_refused(const struct zt_subnet *s, size_t n,
			      const struct zt_addr *a);

#endif /* ZTDNS_REBIND_H */
