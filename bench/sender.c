// SPDX-License-Identifier: GPL-2.0
/*
 * sender: send UDP packets round-robin to a list of addresses, as fast as
 * one thread can, and report the rate in the guest's own time.
 *
 *   sender [-n PACKETS | -t SECONDS] [-b BATCH] [-w WARMUP] [-p PORT]
 *          [-l LEN] [-m] FILE
 *
 * FILE ("-" for standard input) holds one address a line, all IPv4 or all
 * IPv6; anything after the address on a line is ignored, so a ztdnsctl
 * "allow load" file serves as it is.  The default mode sends with
 * sendmmsg(), BATCH messages a call (64), each to the next address of the
 * list.  -m (the miss path) sends with one sendto() a packet instead and
 * expects refusals: a packet a LOCAL_OUT hook drops fails with EPERM.
 *
 * First WARMUP packets (default: one round of the list) go out untimed,
 * then PACKETS packets (default 100000) or as many as fit in SECONDS of
 * CLOCK_MONOTONIC.  Prints one line:
 *
 *   sent=N eperm=N errors=N ns=N pps=X
 *
 * sent counts packets the kernel took, eperm those refused with EPERM,
 * errors any other failure; ns is the time the timed part took and pps
 * (sent + eperm) / ns * 1e9.  Exit status 0, or 1 when any packet failed
 * with another error than EPERM, 2 on a usage error.
 *
 * Under QEMU with -icount shift=0 one guest nanosecond is one instruction,
 * so 1e9 / pps is the number of instructions a packet costs.
 */

#define _GNU_SOURCE	/* sendmmsg() */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 1024

union sa {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

struct dests {
	union sa *a;
	size_t n, cap;
	int family;
	socklen_t len;
};

struct counts {
	unsigned long long sent, eperm, errors;
};

static void bad_usage(void)
{
	fprintf(stderr,
		"usage: sender [-n PACKETS | -t SECONDS] [-b BATCH] [-w WARMUP]\n"
		"              [-p PORT] [-l LEN] [-m] FILE\n");
	exit(2);
}

static unsigned long long parse_num(const char *s, unsigned long long max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v > max) {
		fprintf(stderr, "sender: bad number '%s'\n", s);
		bad_usage();
	}
	return v;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void add_dest(struct dests *d, const char *s, int port)
{
	union sa a = { 0 };
	socklen_t len;
	int family;

	if (inet_pton(AF_INET, s, &a.in.sin_addr) == 1) {
		family = AF_INET;
		a.in.sin_family = AF_INET;
		a.in.sin_port = htons(port);
		len = sizeof(a.in);
	} else if (inet_pton(AF_INET6, s, &a.in6.sin6_addr) == 1) {
		family = AF_INET6;
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons(port);
		len = sizeof(a.in6);
	} else {
		fprintf(stderr, "sender: bad address '%s'\n", s);
		exit(2);
	}
	if (d->n && family != d->family) {
		fprintf(stderr, "sender: IPv4 and IPv6 mixed in one list\n");
		exit(2);
	}
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 1024;
		d->a = realloc(d->a, d->cap * sizeof(*d->a));
		if (!d->a) {
			perror("sender: realloc");
			exit(1);
		}
	}
	d->family = family;
	d->len = len;
	d->a[d->n++] = a;
}

static void read_dests(struct dests *d, const char *path, int port)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char line[256], *tok, *save;

	if (!f) {
		perror(path);
		exit(2);
	}
	while (fgets(line, sizeof(line), f)) {
		tok = strtok_r(line, " \t\r\n", &save);
		if (tok && *tok != '#')
			add_dest(d, tok, port);
	}
	if (f != stdin)
		fclose(f);
	if (!d->n) {
		fprintf(stderr, "sender: no addresses in %s\n", path);
		exit(2);
	}
}

/*
 * Send @count packets with sendmmsg() (or, when @count is 0, batches until
 * @deadline), continuing the round at *@next.  A call that sends fewer than
 * asked stopped at a message that failed: the next call starts there, fails
 * at once with that message's error, which is counted, and the message is
 * skipped.
 */
static void send_mmsg(int fd, struct dests *d, size_t *next,
		      struct mmsghdr *msgs, struct iovec *iov,
		      unsigned int batch, unsigned long long count,
		      uint64_t deadline, struct counts *c)
{
	unsigned long long done = 0;
	unsigned int i, want;
	int r;

	for (;;) {
		if (count) {
			if (done >= count)
				break;
			want = count - done < batch ? count - done : batch;
		} else {
			if (now_ns() >= deadline)
				break;
			want = batch;
		}
		for (i = 0; i < want; i++) {
			struct msghdr *h = &msgs[i].msg_hdr;

			memset(h, 0, sizeof(*h));
			h->msg_name = &d->a[(*next + i) % d->n];
			h->msg_namelen = d->len;
			h->msg_iov = iov;
			h->msg_iovlen = 1;
		}
		r = sendmmsg(fd, msgs, want, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPERM)
				c->eperm++;
			else
				c->errors++;
			r = 1;
		} else {
			c->sent += r;
		}
		*next = (*next + r) % d->n;
		done += r;
	}
}

/* The miss path: one sendto() a packet, counting refusals. */
static void send_each(int fd, struct dests *d, size_t *next,
		      const struct iovec *iov, unsigned long long count,
		      uint64_t deadline, struct counts *c)
{
	unsigned long long done;

	for (done = 0; count ? done < count : now_ns() < deadline; done++) {
		if (sendto(fd, iov->iov_base, iov->iov_len, 0,
			   &d->a[*next].sa, d->len) >= 0)
			c->sent++;
		else if (errno == EPERM)
			c->eperm++;
		else
			c->errors++;
		*next = (*next + 1) % d->n;
	}
}

int main(int argc, char **argv)
{
	static char payload[65507];
	unsigned long long count = 100000, warmup = ~0ULL;
	unsigned int batch = 64, port = 9, len = 16;
	struct counts c = { 0 }, w = { 0 };
	struct dests d = { 0 };
	double seconds = 0, pps;
	struct mmsghdr *msgs;
	int opt, fd, miss = 0;
	uint64_t t0, t1;
	struct iovec iov;
	size_t next = 0;
	char *end;

	while ((opt = getopt(argc, argv, "n:t:b:w:p:l:m")) != -1) {
		switch (opt) {
		case 'n':
			count = parse_num(optarg, ~0ULL);
			break;
		case 't':
			seconds = strtod(optarg, &end);
			if (end == optarg || *end || seconds <= 0)
				bad_usage();
			count = 0;
			break;
		case 'b':
			batch = parse_num(optarg, MAX_BATCH);
			break;
		case 'w':
			warmup = parse_num(optarg, ~0ULL);
			break;
		case 'p':
			port = parse_num(optarg, 65535);
			break;
		case 'l':
			len = parse_num(optarg, sizeof(payload));
			break;
		case 'm':
			miss = 1;
			break;
		default:
			bad_usage();
		}
	}
	if (optind != argc - 1 || !batch || (!count && seconds <= 0))
		bad_usage();
	read_dests(&d, argv[optind], port);
	if (warmup == ~0ULL)
		warmup = d.n;

	fd = socket(d.family, SOCK_DGRAM, 0);
	msgs = calloc(batch, sizeof(*msgs));
	if (fd < 0 || !msgs) {
		perror("sender: socket");
		return 1;
	}
	memset(payload, 'z', len);
	iov.iov_base = payload;
	iov.iov_len = len;

	if (warmup) {
		if (miss)
			send_each(fd, &d, &next, &iov, warmup, 0, &w);
		else
			send_mmsg(fd, &d, &next, msgs, &iov, batch, warmup, 0,
				  &w);
	}
	t0 = now_ns();
	if (miss)
		send_each(fd, &d, &next, &iov, count,
			  t0 + (uint64_t)(seconds * 1e9), &c);
	else
		send_mmsg(fd, &d, &next, msgs, &iov, batch, count,
			  t0 + (uint64_t)(seconds * 1e9), &c);
	t1 = now_ns();

	pps = (double)(c.sent + c.eperm) * 1e9 / (double)(t1 - t0);
	printf("sent=%llu eperm=%llu errors=%llu ns=%llu pps=%.1f\n",
	       c.sent, c.eperm, c.errors, (unsigned long long)(t1 - t0), pps);
	if (w.errors || c.errors) {
		fprintf(stderr, "sender: %llu packets failed (not EPERM)\n",
			w.errors + c.errors);
		return 1;
	}
	return 0;
}
