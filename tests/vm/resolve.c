// SPDX-License-Identifier: GPL-2.0
/*
 * resolve: ask a DNS server (ztdnsd) and connect at once to what it said,
 * the way an application does; for the VM tests, many rounds in a row.
 *
 *   resolve [-s ADDR] [-p PORT] [-T] [-n ROUNDS] [-c PORT] NAME TYPE
 *
 * NAME may hold one %d, replaced by the round (0 .. ROUNDS-1); TYPE is A
 * or AAAA.  Each round sends one query (UDP, or TCP with -T) and, with -c,
 * connects over TCP to every address of the answer (blocking, 5 s at
 * most), right after the reply arrives.  One round prints the answer's
 * rcode and addresses ("NOERROR 198.51.100.10"), and "connect ADDR: ok" or
 * the error per address; several print one summary line:
 *
 *   rounds 1000 answered 1000 connected 1000 failed 0 p50_us 812 p99_us 2210
 *
 * with the query's round-trip time percentiles (never asserted by the
 * tests).  Exit status 0 when every round was answered NOERROR with at
 * least one address and every connect succeeded, 1 otherwise, 2 on a
 * usage error.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "daemon/dns.h"

static struct zt_dns_reply reply;

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The wire form of a dotted name; 0 or -1. */
static int wire_name(const char *s, struct zt_dns_question *q)
{
	size_t len, off = 0;
	const char *dot;

	while (*s) {
		dot = strchr(s, '.');
		len = dot ? (size_t)(dot - s) : strlen(s);
		if (!len || len > 63 || off + len + 2 > ZT_DNS_NAME_MAX)
			return -1;
		q->name[off++] = len;
		memcpy(q->name + off, s, len);
		off += len;
		s += len + (dot ? 1 : 0);
	}
	q->name[off++] = 0;
	q->name_len = off;
	return 0;
}

static int connect_to(const struct zt_addr *a, uint16_t port, char *err,
		      size_t errsize)
{
	struct sockaddr_storage ss;
	socklen_t len = zt_sockaddr(&ss, a, port), elen = sizeof(int);
	struct pollfd p;
	int fd, e = 0;

	fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, len) &&
	    errno != EINPROGRESS) {
		e = errno;
	} else {
		p.fd = fd;
		p.events = POLLOUT;
		if (poll(&p, 1, 5000) != 1)
			e = ETIMEDOUT;
		else
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen);
	}
	close(fd);
	if (e)
		snprintf(err, errsize, "%s", strerror(e));
	return e ? -1 : 0;
}

/* One query; the reply's length, or -1. */
static int ask(const struct sockaddr_storage *srv, socklen_t slen, bool tcp,
	       const struct zt_dns_query *dq, uint8_t *buf, size_t size)
{
	uint8_t q[2 + 512];
	struct pollfd p;
	ssize_t n, got = 0;
	size_t want = 0;
	int fd, len;

	len = zt_dns_build_query(q + 2, sizeof(q) - 2, dq, dq->id, 0);
	if (len < 0)
		return -1;
	fd = socket(srv->ss_family, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)srv, slen))
		goto err;
	q[0] = len >> 8;
	q[1] = len;
	if (send(fd, tcp ? q : q + 2, tcp ? len + 2 : len, 0) < 0)
		goto err;
	p.fd = fd;
	p.events = POLLIN;
	for (;;) {
		if (poll(&p, 1, 6000) != 1)
			goto err;
		n = recv(fd, buf + got, size - got, 0);
		if (n <= 0)
			goto err;
		if (!tcp) {
			close(fd);
			return n;
		}
		got += n;
		if (got >= 2)
			want = 2 + (buf[0] << 8 | buf[1]);
		if (want && (size_t)got >= want) {
			memmove(buf, buf + 2, want - 2);
			close(fd);
			return want - 2;
		}
	}
err:
	if (fd >= 0)
		close(fd);
	return -1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: resolve [-s ADDR] [-p PORT] [-T] [-n ROUNDS] [-c PORT] NAME A|AAAA\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static uint8_t buf[2 + ZT_DNS_MSG_MAX];
	unsigned int rounds = 1, i, j, answered = 0, connected = 0, failed = 0;
	const char *server = "127.0.0.1";
	char name[300], addr[ZT_ADDRSTRLEN], err[128];
	struct sockaddr_storage srv;
	struct zt_dns_query dq = { 0 };
	uint16_t port = 53, cport = 0;
	bool tcp = false, ok;
	uint64_t *rtt, t;
	struct zt_addr sa;
	socklen_t slen;
	int o, len;

	while ((o = getopt(argc, argv, "s:p:Tn:c:")) != -1) {
		switch (o) {
		case 's':
			server = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'T':
			tcp = true;
			break;
		case 'n':
			rounds = strtoul(optarg, NULL, 10);
			break;
		case 'c':
			cport = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2 || !rounds || zt_parse_addr(server, &sa))
		usage();
	if (!strcmp(argv[optind + 1], "A"))
		dq.q.qtype = ZT_DNS_TYPE_A;
	else if (!strcmp(argv[optind + 1], "AAAA"))
		dq.q.qtype = ZT_DNS_TYPE_AAAA;
	else
		usage();
	dq.q.qclass = ZT_DNS_CLASS_IN;
	dq.flags = 0x0100;	/* RD */
	slen = zt_sockaddr(&srv, &sa, port);
	rtt = calloc(rounds, sizeof(*rtt));
	if (!rtt)
		return 1;

	for (i = 0; i < rounds; i++) {
		snprintf(name, sizeof(name), argv[optind], i);
		if (wire_name(name, &dq.q))
			usage();
		dq.id = rand();
		t = now_us();
		len = ask(&srv, slen, tcp, &dq, buf, sizeof(buf));
		rtt[i] = now_us() - t;
		ok = len > 0 && !zt_dns_parse_reply(buf, len, &dq.q, &reply) &&
		     reply.id == dq.id;
		if (rounds == 1) {
			if (!ok) {
				fprintf(stderr, "no valid reply\n");
				return 1;
			}
			printf("%s", reply.rcode == 0 ? "NOERROR" :
			       reply.rcode == 2 ? "SERVFAIL" :
			       reply.rcode == 3 ? "NXDOMAIN" : "RCODE");
			for (j = 0; j < reply.naddrs; j++)
				printf(" %s", zt_format_addr(addr, sizeof(addr),
							     &reply.addrs[j].addr,
							     0));
			printf("\n");
		}
		if (!ok || reply.rcode || !reply.naddrs) {
			if (rounds > 1)
				printf("round %u: %s: no address\n", i, name);
			failed++;
			continue;
		}
		answered++;
		for (j = 0; cport && j < reply.naddrs; j++) {
			zt_format_addr(addr, sizeof(addr),
				       &reply.addrs[j].addr, 0);
			if (connect_to(&reply.addrs[j].addr, cport, err,
				       sizeof(err))) {
				printf("round %u: connect %s: %s\n", i, addr,
				       err);
				failed++;
				break;
			}
			if (rounds == 1)
				printf("connect %s: ok\n", addr);
		}
		if (cport && j == reply.naddrs)
			connected++;
	}
	if (rounds > 1) {
		qsort(rtt, rounds, sizeof(*rtt), cmp_u64);
		printf("rounds %u answered %u connected %u failed %u p50_us %llu p99_us %llu\n",
		       rounds, answered, connected, failed,
		       (unsigned long long)rtt[rounds / 2],
		       (unsigned long long)rtt[rounds * 99 / 100]);
	}
	return failed ? 1 : 0;
}
