// SPDX-License-Identifier: GPL-2.0
/*
 * probe: send one packet and say whether LOCAL_OUT let it out.
 *
 *   probe tcp ADDR PORT [--sport N]      non-blocking connect (a SYN)
 *   probe udp ADDR PORT [--sport N] [--dev IF] [--bcast] [--lsrr HOP]
 *                                        --lsrr: IPv4 loose source routing
 *                                        through HOP (the packet's
 *                                        destination) on to ADDR
 *   probe dhcp ADDR [--dev IF] [--bcast] [--junk]
 *                                        a DHCP client message (68 -> 67:
 *                                        BOOTREQUEST with the magic cookie;
 *                                        546 -> 547: SOLICIT), or --junk of
 *                                        the same size and ports
 *   probe icmp6 ADDR TYPE --dev IF [--hop N]
 *                                        a raw ICMPv6 message of that type,
 *                                        hop limit N (default 255)
 *   probe rh6 ADDR SEGMENT --sl N        UDP from 2001:db8::1 to ADDR with a
 *                                        segment routing header naming
 *                                        SEGMENT, N segments left
 *   probe trunc-udp ADDR                 IPv4 with a UDP header cut short
 *
 * Prints "pass" (exit 0) when the packet left, "blocked" (exit 1) when the
 * kernel refused it with EPERM, "refused" (exit 1) when it refused a TCP
 * SYN with ECONNREFUSED, "error ..." (exit 2) otherwise.  No timing: a
 * refused packet fails its system call at once.  In C rather than Python
 * because the VM tests run it hundreds of times under emulation.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct opts {
	const char *kind, *addr, *dev, *lsrr, *seg;
	int port, sport, bcast, hop, sl, junk;
};

union sa {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

static void pton(int family, const char *s, void *dst)
{
	if (!s || inet_pton(family, s, dst) != 1) {
		fprintf(stderr, "probe: bad address %s\n", s ? s : "(none)");
		exit(2);
	}
}

static socklen_t dest(const struct opts *o, int port, union sa *d)
{
	memset(d, 0, sizeof(*d));
	if (inet_pton(AF_INET, o->addr, &d->in.sin_addr) == 1) {
		d->in.sin_family = AF_INET;
		d->in.sin_port = htons(port);
		return sizeof(d->in);
	}
	if (inet_pton(AF_INET6, o->addr, &d->in6.sin6_addr) != 1) {
		fprintf(stderr, "probe: bad address %s\n", o->addr);
		exit(2);
	}
	d->in6.sin6_family = AF_INET6;
	d->in6.sin6_port = htons(port);
	if (o->dev)
		d->in6.sin6_scope_id = if_nametoindex(o->dev);
	return sizeof(d->in6);
}

static int bind_port(int fd, int family, int port)
{
	union sa b = { 0 };
	int one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	b.sa.sa_family = family;
	if (family == AF_INET)
		b.in.sin_port = htons(port);
	else
		b.in6.sin6_port = htons(port);
	return bind(fd, &b.sa, family == AF_INET ? sizeof(b.in) : sizeof(b.in6));
}

/* Returns 0 when the packet left, else the errno. */
static int probe(const struct opts *o)
{
	static const char msg[] = "ztdns";
	union sa d;
	socklen_t len = dest(o, o->port, &d);
	int fd, one = 1;

	if (!strcmp(o->kind, "tcp")) {
		fd = socket(d.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd < 0 || (o->sport && bind_port(fd, d.sa.sa_family, o->sport)))
			return errno;
		if (connect(fd, &d.sa, len) && errno != EINPROGRESS)
			return errno;
		return 0;
	}
	if (!strcmp(o->kind, "udp")) {
		fd = socket(d.sa.sa_family, SOCK_DGRAM, 0);
		if (fd < 0)
			return errno;
		if (o->bcast)
			setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
		if (o->dev && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o->dev,
					 strlen(o->dev)))
			return errno;
		if (o->sport && bind_port(fd, d.sa.sa_family, o->sport))
			return errno;
		if (o->lsrr) {
			/* NOP, then LSRR: length 7, pointer 4, the hop. */
			unsigned char opt[8] = { 1, 131, 7, 4 };

			pton(AF_INET, o->lsrr, opt + 4);
			if (setsockopt(fd, IPPROTO_IP, IP_OPTIONS, opt, sizeof(opt)))
				return errno;
		}
		return sendto(fd, msg, sizeof(msg), 0, &d.sa, len) < 0 ? errno : 0;
	}
	if (!strcmp(o->kind, "dhcp")) {
		unsigned char m[300] = { 0 };
		int v4 = inet_pton(AF_INET, o->addr, m) == 1;

		len = dest(o, v4 ? 67 : 547, &d);
		memset(m, 0, sizeof(m));
		if (!o->junk && v4) {
			m[0] = 1;		/* BOOTREQUEST */
			m[1] = 1;		/* Ethernet */
			m[2] = 6;
			memcpy(m + 236, "\x63\x82\x53\x63", 4);
			m[240] = 255;		/* end */
		} else if (!o->junk) {
			m[0] = 1;		/* SOLICIT */
		} else {
			memset(m, 'x', sizeof(m));
		}
		fd = socket(d.sa.sa_family, SOCK_DGRAM, 0);
		if (fd < 0)
			return errno;
		if (o->bcast)
			setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
		if (o->dev && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o->dev,
					 strlen(o->dev)))
			return errno;
		if (bind_port(fd, d.sa.sa_family, v4 ? 68 : 546))
			return errno;
		return sendto(fd, m, v4 ? sizeof(m) : 4, 0, &d.sa, len) < 0 ?
		       errno : 0;
	}
	if (!strcmp(o->kind, "rh6")) {
		/* IPv6 (40), SRH with one segment (8 + 16), UDP (8). */
		unsigned char p[72] = { 0x60, 0, 0, 0, 0, 32, 43, 64 };

		len = dest(o, 0, &d);
		inet_pton(AF_INET6, "2001:db8::1", p + 8);
		memcpy(p + 24, &d.in6.sin6_addr, 16);
		p[40] = IPPROTO_UDP;	/* next header */
		p[41] = 2;		/* length in 8 bytes, less the first 8 */
		p[42] = 4;		/* segment routing */
		p[43] = o->sl;		/* segments left */
		p[44] = 0;		/* last entry */
		pton(AF_INET6, o->seg, p + 48);
		p[64] = 0x9c;
		p[65] = 0x40;
		p[67] = 53;
		p[69] = 8;
		d.in6.sin6_port = 0;
		fd = socket(AF_INET6, SOCK_RAW, IPPROTO_RAW);
		if (fd < 0)
			return errno;
		return sendto(fd, p, sizeof(p), 0, &d.sa, len) < 0 ? errno : 0;
	}
	if (!strcmp(o->kind, "icmp6")) {
		unsigned char m[24] = { (unsigned char)o->port };

		int hop = o->hop ? o->hop : 255;

		len = dest(o, 0, &d);
		fd = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
		if (fd < 0 || !o->dev ||
		    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o->dev, strlen(o->dev)))
			return fd < 0 ? errno : EINVAL;
		setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hop, sizeof(hop));
		setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hop, sizeof(hop));
		return sendto(fd, m, sizeof(m), 0, &d.sa, len) < 0 ? errno : 0;
	}
	if (!strcmp(o->kind, "trunc-udp")) {
		/* A 20-byte IP header and 3 bytes of UDP header; the kernel
		 * fills in the source, the total length and the checksum.
		 */
		unsigned char p[23] = { 0x45, 0, 0, 0, 0, 0, 0, 0, 64, IPPROTO_UDP };

		len = dest(o, 0, &d);
		memcpy(p + 16, &d.in.sin_addr, 4);
		p[20] = 0x9c;
		p[21] = 0x40;
		p[22] = 0x03;
		fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
		if (fd < 0)
			return errno;
		return sendto(fd, p, sizeof(p), 0, &d.sa, len) < 0 ? errno : 0;
	}
	fprintf(stderr, "probe: unknown kind %s\n", o->kind);
	exit(2);
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	int i, err;

	if (argc < 3) {
		fprintf(stderr, "usage: probe tcp|udp|dhcp|icmp6|rh6|trunc-udp ADDR [PORT|TYPE|SEGMENT] [options]\n");
		return 2;
	}
	o.kind = argv[1];
	o.addr = argv[2];
	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--sport") && i + 1 < argc)
			o.sport = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--dev") && i + 1 < argc)
			o.dev = argv[++i];
		else if (!strcmp(argv[i], "--bcast"))
			o.bcast = 1;
		else if (!strcmp(argv[i], "--junk"))
			o.junk = 1;
		else if (!strcmp(argv[i], "--lsrr") && i + 1 < argc)
			o.lsrr = argv[++i];
		else if (!strcmp(argv[i], "--hop") && i + 1 < argc)
			o.hop = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--sl") && i + 1 < argc)
			o.sl = atoi(argv[++i]);
		else if (!strcmp(o.kind, "rh6") && !o.seg)
			o.seg = argv[i];
		else
			o.port = atoi(argv[i]);
	}
	err = probe(&o);
	if (!err) {
		puts("pass");
		return 0;
	}
	if (err == EPERM) {
		puts("blocked");
		return 1;
	}
	if (err == ECONNREFUSED) {
		puts("refused");
		return 1;
	}
	printf("error %s\n", strerror(err));
	return 2;
}
