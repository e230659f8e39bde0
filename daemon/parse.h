/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The words of ztdnsctl: addresses, prefixes, ports, numbers and mode
 * names in, and the words of a line; addresses and escaped strings out.
 * Pure functions, no netlink
 * and no I/O, so that tests/unit/parse_test.c checks them on any host.
 *
 * Parsers return 0 or a negative errno: -EINVAL for a malformed word,
 * -ERANGE for a well-formed number out of range, -EDOM for a prefix with
 * host bits set.  They never accept leading or trailing junk.
 */
#ifndef ZTDNS_PARSE_H
#define ZTDNS_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* An IPv4 or IPv6 address, in network byte order. */
struct zt_addr {
	int family;			/* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
		unsigned char bytes[16];
	};
};

/* Room for "[IPv6]:port" or "IPv6/len", and the NUL. */
#define ZT_ADDRSTRLEN (INET6_ADDRSTRLEN + 8)

size_t zt_addr_len(int family);
socklen_t zt_sockaddr(struct sockaddr_storage *ss, const struct zt_addr *a,
		      uint16_t port);
int zt_addr_set(struct zt_addr *a, int family, const void *data, size_t len);
int zt_parse_addr(const char *s, struct zt_addr *a);
int zt_parse_cidr(const char *s, struct zt_addr *a, unsigned int *plen);
void zt_addr_mask(struct zt_addr *a, unsigned int plen);
int zt_parse_u32(const char *s, uint32_t *v);
int zt_parse_port(const char *s, uint16_t *port);
int zt_parse_mode(const char *s);
unsigned int zt_split_words(char *s, char **words, unsigned int max);
const char *zt_mode_name(unsigned int mode);
const char *zt_verdict_name(unsigned int verdict);
const char *zt_proto_name(unsigned int proto);
char *zt_format_addr(char *buf, size_t size, const struct zt_addr *a,
		     uint16_t port);
size_t zt_json_escape(char *dst, size_t size, const char *src, size_t len);
size_t zt_text_escape(char *dst, size_t size, const char *src, size_t len);

#endif /* ZTDNS_PARSE_H */
