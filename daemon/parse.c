// SPDX-License-Identifier: GPL-2.0
/*
 * The words of ztdnsctl; parse.h says what every function promises.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "parse.h"
#include "uapi/linux/ztdns.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const zt_modes[] = {
	[ZTDNS_MODE_OFF] = "off",
	[ZTDNS_MODE_AUDIT] = "audit",
	[ZTDNS_MODE_ENFORCE] = "enforce",
};

static const char *const zt_verdicts[] = {
	[ZTDNS_VERDICT_BLOCK] = "block",
	[ZTDNS_VERDICT_AUDIT] = "audit",
	[ZTDNS_VERDICT_PERMIT] = "permit",
};

/**
 * zt_addr_len() - the length of an address of a family
 * @family: AF_INET or AF_INET6
 *
 * Return: 4, 16, or 0 for any other family.
 */
size_t zt_addr_len(int family)
{
	if (family == AF_INET)
		return sizeof(struct in_addr);
	if (family == AF_INET6)
		return sizeof(struct in6_addr);
	return 0;
}

/**
 * zt_sockaddr() - a socket address for an address and a port
 * @ss: filled in (zeroed first)
 * @a: the address
 * @port: host byte order
 *
 * Return: the length of the sockaddr_in or sockaddr_in6 in @ss.
 */
socklen_t zt_sockaddr(struct sockaddr_storage *ss, const struct zt_addr *a,
		      uint16_t port)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr = a->v4;
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	sin6->sin6_addr = a->v6;
	return sizeof(*sin6);
}

/**
 * zt_addr_set() - an address from a family and bytes (as netlink gives them)
 * @a: filled in on success
 * @family: AF_INET or AF_INET6
 * @data: the address, network byte order
 * @len: must be the length of an address of @family
 *
 * Return: 0, or -EINVAL for another family or a wrong length.
 */
int zt_addr_set(struct zt_addr *a, int family, const void *data, size_t len)
{
	if (!zt_addr_len(family) || len != zt_addr_len(family))
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	a->family = family;
	memcpy(a->bytes, data, len);
	return 0;
}

/**
 * zt_parse_addr() - parse an IPv4 or IPv6 address
 * @s: dotted quad or RFC 4291 text; no scope ("%eth0"), prefix or port
 * @a: filled in on success
 *
 * Return: 0 or -EINVAL.
 */
int zt_parse_addr(const char *s, struct zt_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->v4) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a->v6) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

/* The bits of byte @i of an address that lie after a prefix of @plen. */
static unsigned char zt_host_mask(size_t i, unsigned int plen)
{
	if (i * 8 >= plen)
		return 0xff;
	if (i * 8 + 8 <= plen)
		return 0;
	return 0xff >> (plen - i * 8);
}

/**
 * zt_addr_mask() - clear the host bits of an address
 * @a: the address
 * @plen: the prefix length to keep, at most 32 or 128
 */
void zt_addr_mask(struct zt_addr *a, unsigned int plen)
{
	size_t i;

	for (i = 0; i < zt_addr_len(a->family); i++)
		a->bytes[i] &= ~zt_host_mask(i, plen);
}

static int zt_has_host_bits(const struct zt_addr *a, unsigned int plen)
{
	size_t i;

	for (i = 0; i < zt_addr_len(a->family); i++)
		if (a->bytes[i] & zt_host_mask(i, plen))
			return 1;
	return 0;
}

/**
 * zt_parse_cidr() - parse "ADDR/LEN", or a bare address (a host prefix)
 * @s: the word
 * @a: the address, filled in on success and on -EDOM
 * @plen: the prefix length, filled in on success and on -EDOM
 *
 * LEN is decimal, 0 to 32 for IPv4 and 0 to 128 for IPv6.
 *
 * Return: 0, -EINVAL (malformed), -ERANGE (LEN too long for the family)
 * or -EDOM (bits set after the prefix: zt_addr_mask() gives the network).
 */
int zt_parse_cidr(const char *s, struct zt_addr *a, unsigned int *plen)
{
	const char *slash = strchr(s, '/');
	char buf[INET6_ADDRSTRLEN];
	unsigned int max;
	uint32_t len;
	size_t n;
	int ret;

	n = slash ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (zt_parse_addr(buf, a))
		return -EINVAL;
	max = zt_addr_len(a->family) * 8;
	if (!slash) {
		*plen = max;
		return 0;
	}
	ret = zt_parse_u32(slash + 1, &len);
	if (ret == -EINVAL)
		return ret;
	if (ret || len > max)
		return -ERANGE;
	*plen = len;
	return zt_has_host_bits(a, len) ? -EDOM : 0;
}

/**
 * zt_parse_u32() - parse an unsigned decimal number of 32 bits
 * @s: digits only: no sign, space, or "0x"
 * @v: filled in on success
 *
 * Return: 0, -EINVAL (empty or not all digits) or -ERANGE (over 2^32 - 1).
 */
int zt_parse_u32(const char *s, uint32_t *v)
{
	uint64_t n = 0;
	const char *p;

	if (!*s)
		return -EINVAL;
	for (p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return -EINVAL;
	for (p = s; *p; p++) {
		n = n * 10 + (uint64_t)(*p - '0');
		if (n > UINT32_MAX)
			return -ERANGE;
	}
	*v = (uint32_t)n;
	return 0;
}

/**
 * zt_parse_port() - parse a TCP or UDP port
 * @s: decimal, 1 to 65535
 * @port: filled in on success, host byte order
 *
 * Return: 0, -EINVAL or -ERANGE.
 */
int zt_parse_port(const char *s, uint16_t *port)
{
	uint32_t v;
	int ret;

	ret = zt_parse_u32(s, &v);
	if (ret)
		return ret;
	if (!v || v > UINT16_MAX)
		return -ERANGE;
	*port = (uint16_t)v;
	return 0;
}

/**
 * zt_parse_mode() - parse a mode name
 * @s: "off", "audit" or "enforce"
 *
 * Return: the enum ztdns_mode, or -EINVAL.
 */
int zt_parse_mode(const char *s)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(zt_modes); i++)
		if (!strcmp(s, zt_modes[i]))
			return (int)i;
	return -EINVAL;
}

static int zt_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

/**
 * zt_split_words() - split a line of a file into its words, in place
 * @s: the line, NUL-terminated; the blank after each word becomes a NUL
 * @words: filled with pointers into @s
 * @max: the room in @words
 *
 * Words are separated by blanks (space, tab, CR, LF, VT, FF).  A word that
 * starts with '#' starts a comment, which ends the line; a '#' inside a
 * word is part of it.  Whatever follows word @max is left alone, so that
 * a caller wanting fewer words can pass one more and name the first extra.
 *
 * Return: the number of words, at most @max; 0 for a blank or comment line.
 */
unsigned int zt_split_words(char *s, char **words, unsigned int max)
{
	unsigned int n = 0;

	while (n < max) {
		while (zt_is_blank(*s))
			s++;
		if (!*s || *s == '#')
			break;
		words[n++] = s;
		while (*s && !zt_is_blank(*s))
			s++;
		if (!*s)
			break;
		*s++ = '\0';
	}
	return n;
}

/* Return: the name of an enum ztdns_mode, or NULL if unknown. */
const char *zt_mode_name(unsigned int mode)
{
	return mode < ARRAY_SIZE(zt_modes) ? zt_modes[mode] : NULL;
}

/* Return: the name of an enum ztdns_verdict, or NULL if unknown. */
const char *zt_verdict_name(unsigned int verdict)
{
	return verdict < ARRAY_SIZE(zt_verdicts) ? zt_verdicts[verdict] : NULL;
}

/* Return: the name of an IPPROTO_* the hooks classify, or NULL. */
const char *zt_proto_name(unsigned int proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	default:
		return NULL;
	}
}

/**
 * zt_format_addr() - an address, with its port if any, as text
 * @buf: the output, ZT_ADDRSTRLEN bytes are enough
 * @size: of @buf
 * @a: the address
 * @port: host byte order; 0 for the address alone
 *
 * "192.0.2.1", "192.0.2.1:853", "2001:db8::1" or "[2001:db8::1]:853".
 *
 * Return: @buf.
 */
char *zt_format_addr(char *buf, size_t size, const struct zt_addr *a,
		     uint16_t port)
{
	char ip[INET6_ADDRSTRLEN];

	if (!inet_ntop(a->family, a->bytes, ip, sizeof(ip)))
		snprintf(ip, sizeof(ip), "?");
	if (!port)
		snprintf(buf, size, "%s", ip);
	else if (a->family == AF_INET6)
		snprintf(buf, size, "[%s]:%u", ip, port);
	else
		snprintf(buf, size, "%s:%u", ip, port);
	return buf;
}

/*
 * An output buffer that takes whole pieces only: once a piece does not fit,
 * nothing more is written (so an escape is never cut in half), but the
 * length needed is still counted, as snprintf() does.
 */
struct zt_buf {
	char *dst;
	size_t size;
	size_t pos;	/* bytes written */
	size_t need;	/* bytes of the whole output */
};

static void zt_put(struct zt_buf *b, const void *p, size_t n)
{
	if (b->pos == b->need && b->pos + n < b->size) {
		memcpy(b->dst + b->pos, p, n);
		b->pos += n;
	}
	b->need += n;
}

static size_t zt_end(struct zt_buf *b)
{
	if (b->size)
		b->dst[b->pos] = '\0';
	return b->need;
}

/* The length of the well-formed UTF-8 sequence at @s (RFC 3629), or 0. */
static size_t zt_utf8_len(const unsigned char *s, size_t len)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t i, n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;	/* overlong */
	else if (s[0] == 0xed)
		hi = 0x9f;	/* surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90;	/* overlong */
	else if (s[0] == 0xf4)
		hi = 0x8f;	/* beyond U+10FFFF */
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* The short JSON escape of @c, or 0. */
static char zt_json_short(unsigned char c)
{
	switch (c) {
	case '"':
		return '"';
	case '\\':
		return '\\';
	case '\b':
		return 'b';
	case '\f':
		return 'f';
	case '\n':
		return 'n';
	case '\r':
		return 'r';
	case '\t':
		return 't';
	default:
		return 0;
	}
}

/**
 * zt_json_escape() - the body of a JSON string (without the quotes)
 * @dst: the output, NUL-terminated when @size is not 0
 * @size: of @dst
 * @src: any bytes, NULs included
 * @len: of @src
 *
 * Quotes, backslashes, control characters and DEL are escaped; well-formed
 * UTF-8 is copied; any other byte becomes the code point of the same value
 * ("\u00ff"), so the output is always valid JSON.  An escape that does not
 * fit is left out whole, with everything after it.
 *
 * Return: the length of the whole output, as snprintf() does.
 */
size_t zt_json_escape(char *dst, size_t size, const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *)src;
	struct zt_buf b = { .dst = dst, .size = size };
	char esc[8];
	size_t i, n;

	for (i = 0; i < len; i += n) {
		n = 1;
		if (zt_json_short(s[i])) {
			esc[0] = '\\';
			esc[1] = zt_json_short(s[i]);
			zt_put(&b, esc, 2);
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			zt_put(&b, esc, snprintf(esc, sizeof(esc), "\\u%04x",
						 s[i]));
		} else {
			n = zt_utf8_len(s + i, len - i);
			if (n) {
				zt_put(&b, s + i, n);
				continue;
			}
			n = 1;
			zt_put(&b, esc, snprintf(esc, sizeof(esc), "\\u%04x",
						 s[i]));
		}
	}
	return zt_end(&b);
}

/**
 * zt_text_escape() - bytes made safe for one line of a terminal
 * @dst: the output, NUL-terminated when @size is not 0
 * @size: of @dst
 * @src: any bytes
 * @len: of @src
 *
 * Printable ASCII passes, a backslash doubles, any other byte becomes
 * "\xNN".  An escape that does not fit is left out whole.
 *
 * Return: the length of the whole output, as snprintf() does.
 */
size_t zt_text_escape(char *dst, size_t size, const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *)src;
	struct zt_buf b = { .dst = dst, .size = size };
	char esc[8];
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\\')
			zt_put(&b, "\\\\", 2);
		else if (s[i] >= 0x20 && s[i] < 0x7f)
			zt_put(&b, s + i, 1);
		else
			zt_put(&b, esc, snprintf(esc, sizeof(esc), "\\x%02x",
						 s[i]));
	}
	return zt_end(&b);
}
