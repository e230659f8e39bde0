// SPDX-License-Identifier: GPL-2.0
/*
 * ztdnsd's side facing the host's applications: UDP and TCP listeners on
 * the configured (loopback) addresses, and TCP clients with RFC 7766
 * framing, several queries per connection, answered as they complete.
 *
 * Bounded under a flood: at most ZT_MAX_QUERIES queries in flight,
 * ZT_TCP_PIPELINE queries per TCP client (it is not read meanwhile) and
 * ZT_TCP_OUT_MAX bytes waiting for it.  At ZT_MAX_QUERIES, a new query
 * displaces the oldest in flight (SERVFAIL at once) if that one has waited
 * ZT_JOSTLE_MS or more; else the new one is dropped and counted.  Names
 * that the protective server holds thus cannot keep every slot: a query
 * that got one keeps it for ZT_JOSTLE_MS at least, and until every query
 * that came before it is answered or displaced.  (unbound's jostle-timeout,
 * for the same reason; unbound keeps half its slots out of the jostle, for
 * queries that may run long; here every query ends within
 * ZT_QUERY_DEADLINE_MS, so none needs that shelter.)
 *
 * TCP slots are bounded and cannot be held for free (RFC 7766 §6.2.3):
 *
 *   ZT_MAX_TCP clients in all, ZT_TCP_PER_SOURCE of one address.  A
 *	newcomer beyond either limit closes the connection (of that address,
 *	or of any) idle the longest, else the one whose query has been
 *	arriving the longest; only when each has queries in flight or
 *	answers to write is the newcomer closed instead.
 *   ZT_TCP_MSG_MS: a query arrives whole within this of its first byte.
 *   ZT_TCP_STALL_MS: answers waiting, and none of their bytes taken by
 *	the client for this long: closed.
 *   ZT_TCP_IDLE_MS: no query in flight, none arriving, nothing to write:
 *	closed.  Only a whole query or a whole answer restarts it.
 */

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <syslog.h>
#include <unistd.h>

#include "ztdnsd.h"

#define ZT_MAX_TCP		256
#define ZT_TCP_PIPELINE		64
#define ZT_TCP_OUT_MAX		(256 * 1024)
#define ZT_TCP_IDLE_MS		10000
#define ZT_TCP_MSG_MS		5000
#define ZT_TCP_STALL_MS		5000
#define ZT_TCP_PER_SOURCE	64
#define ZT_UDP_BURST		64	/* datagrams per wakeup */

struct zt_listener {
	struct zt_io io;
	bool tcp;
};

/*
 * A TCP client.  Closing it (zt_tcp_close()) takes it off the list of live
 * clients at once; its memory lives on while queries of it are in flight
 * (they name it), and is released to the loop with the last of them.
 */
struct zt_tcp_client {
	struct zt_io io;		/* io.dead: the socket is gone */
	struct zt_tcp_client *prev, *next;	/* live clients only */
	struct zt_addr src;		/* the client's address */
	unsigned int pending;		/* queries in flight */
	uint64_t last_ms;		/* last whole query or answer: idle since */
	uint64_t msg_ms;		/* first byte of the query arriving */
	uint64_t write_ms;		/* last progress writing answers */
	uint8_t *out;
	size_t out_len, out_cap;
	size_t in_len;
	uint8_t in[2 + ZT_DNS_MSG_MAX];
};

static struct zt_listener zt_listeners[2 * ZT_CFG_MAX_LISTEN];
static unsigned int zt_nlisteners;
static struct zt_tcp_client *zt_tcp_clients;
static unsigned int zt_ntcp;
/* Every query in flight, in order of arrival (age_prev, age_next). */
static struct zt_query *zt_oldest, *zt_newest;
static uint8_t zt_udp_buf[ZT_DNS_MSG_MAX];

/*
 * At the limit: fail the oldest query in flight if it has waited
 * ZT_JOSTLE_MS, to make room.  It is with upstream.c (or waiting for a
 * server): nothing else keeps a query across events.  Its answer may
 * close a TCP client (a write error), the one being read included.
 */
static bool zt_jostle(uint64_t now)
{
	struct zt_query *q = zt_oldest;

	if (!q || now < q->start_ms + ZT_JOSTLE_MS)
		return false;
	zt_upstream_cancel(q);
	zt.stats.jostled++;
	zt_resolve_fail(q, "displaced by a newer query: too many in flight");
	return true;
}

static struct zt_query *zt_query_new(const uint8_t *msg, size_t len,
				     int *ret)
{
	uint64_t now = zt_now_ms();
	struct zt_query *q;

	if (zt.nqueries >= ZT_MAX_QUERIES && !zt_jostle(now)) {
		zt.stats.dropped++;
		*ret = -ENOBUFS;
		return NULL;
	}
	q = calloc(1, sizeof(*q));
	if (!q) {
		zt.stats.dropped++;
		*ret = -ENOMEM;
		return NULL;
	}
	q->udp_fd = -1;
	q->start_ms = now;
	*ret = zt_dns_parse_query(msg, len, &q->dq);
	q->age_prev = zt_newest;
	if (zt_newest)
		zt_newest->age_next = q;
	else
		zt_oldest = q;
	zt_newest = q;
	zt.nqueries++;
	return q;
}

static void zt_query_free(struct zt_query *q)
{
	if (q->age_prev)
		q->age_prev->age_next = q->age_next;
	else
		zt_oldest = q->age_next;
	if (q->age_next)
		q->age_next->age_prev = q->age_prev;
	else
		zt_newest = q->age_prev;
	zt.nqueries--;
	free(q);
}

/* Answer a query that cannot be forwarded; drop what cannot be answered. */
static void zt_query_reject(struct zt_query *q, int ret)
{
	uint8_t buf[ZT_DNS_HDR_LEN + ZT_DNS_NAME_MAX + 64];
	int len = -EINVAL;

	zt.stats.dropped++;
	if (ret == -EPROTO)
		len = zt_dns_error_reply(buf, sizeof(buf), &q->dq,
					 ZT_DNS_RCODE_FORMERR);
	else if (ret == -ENOTSUP)
		len = zt_dns_error_reply(buf, sizeof(buf), &q->dq,
					 ZT_DNS_RCODE_NOTIMP);
	zt_client_send(q, buf, len > 0 ? len : 0);
}

static void zt_tcp_free(struct zt_io *io)
{
	struct zt_tcp_client *c = (struct zt_tcp_client *)io;

	free(c->out);
	free(c);
}

static void zt_tcp_close(struct zt_tcp_client *c)
{
	if (!c->io.dead) {
		if (c->prev)
			c->prev->next = c->next;
		else
			zt_tcp_clients = c->next;
		if (c->next)
			c->next->prev = c->prev;
		c->prev = NULL;
		c->next = NULL;
		zt_ntcp--;
		zt_io_close(&c->io);
	}
	if (!c->pending)
		zt_io_release(&c->io);
}

static void zt_tcp_events(struct zt_tcp_client *c)
{
	uint32_t ev = 0;

	if (c->pending < ZT_TCP_PIPELINE && c->out_len < ZT_TCP_OUT_MAX)
		ev |= EPOLLIN;
	if (c->out_len)
		ev |= EPOLLOUT;
	zt_io_mod(&c->io, ev);
}

/* Return false when @c is gone. */
static bool zt_tcp_write(struct zt_tcp_client *c)
{
	ssize_t n;

	while (c->out_len) {
		n = send(c->io.fd, c->out, c->out_len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return true;
			zt_tcp_close(c);
			return false;
		}
		memmove(c->out, c->out + n, c->out_len - n);
		c->out_len -= n;
		c->write_ms = zt_now_ms();
		if (!c->out_len)
			c->last_ms = c->write_ms;
	}
	return true;
}

/* Return false when @c is gone. */
static bool zt_tcp_read(struct zt_tcp_client *c)
{
	struct zt_query *q;
	size_t want, flen;
	ssize_t n;
	int ret;

	while (c->pending < ZT_TCP_PIPELINE && c->out_len < ZT_TCP_OUT_MAX) {
		want = c->in_len < 2 ? 2 : 2 + (c->in[0] << 8 | c->in[1]);
		n = recv(c->io.fd, c->in + c->in_len, want - c->in_len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return true;
		if (n <= 0) {
			zt_tcp_close(c);
			return false;
		}
		if (!c->in_len)
			c->msg_ms = zt_now_ms();
		c->in_len += n;
		if (c->in_len < 2)
			continue;
		flen = c->in[0] << 8 | c->in[1];
		if (c->in_len < 2 + flen)
			continue;
		c->in_len = 0;
		c->last_ms = zt_now_ms();
		q = zt_query_new(c->in + 2, flen, &ret);
		/* Making room answered a query of @c, and the write failed. */
		if (c->io.dead) {
			if (q)
				zt_query_free(q);
			return false;
		}
		if (!q)
			continue;
		q->tcp = c;
		c->pending++;
		/* Answered at once, maybe: @c may be closed, not freed. */
		if (ret)
			zt_query_reject(q, ret);
		else
			zt_resolve(q);
		if (c->io.dead)
			return false;
	}
	return true;
}

static void zt_tcp_event(struct zt_io *io, uint32_t events)
{
	struct zt_tcp_client *c = (struct zt_tcp_client *)io;

	/*
	 * Reset, or shut both ways: nothing reaches the client any more.
	 * epoll reports it whatever the mask, even an empty one (a client
	 * at its pipeline limit): close, or the loop would spin.
	 */
	if (events & (EPOLLHUP | EPOLLERR)) {
		zt_tcp_close(c);
		return;
	}
	if ((events & EPOLLOUT) && !zt_tcp_write(c))
		return;
	if ((events & EPOLLIN) && !zt_tcp_read(c))
		return;
	zt_tcp_events(c);
}

static const struct zt_io_ops zt_tcp_ops = {
	.event = zt_tcp_event,
	.free = zt_tcp_free,
};

static bool zt_addr_eq(const struct zt_addr *a, const struct zt_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->bytes, b->bytes, zt_addr_len(a->family));
}

/*
 * The client to close for a newcomer: of those from @src (of all when
 * NULL), the one idle the longest, else the one whose query has been
 * arriving the longest; never one with queries in flight or answers to
 * write (its own timeouts bound it).  NULL when there is none.
 */
static struct zt_tcp_client *zt_tcp_victim(const struct zt_addr *src)
{
	struct zt_tcp_client *c, *idle = NULL, *slow = NULL;

	for (c = zt_tcp_clients; c; c = c->next) {
		if (c->pending || c->out_len ||
		    (src && !zt_addr_eq(&c->src, src)))
			continue;
		if (!c->in_len) {
			if (!idle || c->last_ms < idle->last_ms)
				idle = c;
		} else if (!slow || c->msg_ms < slow->msg_ms) {
			slow = c;
		}
	}
	return idle ? idle : slow;
}

static unsigned int zt_tcp_count(const struct zt_addr *src)
{
	const struct zt_tcp_client *c;
	unsigned int n = 0;

	for (c = zt_tcp_clients; c; c = c->next)
		n += zt_addr_eq(&c->src, src);
	return n;
}

/* Close @c for @why (a limit or a timeout), and say so. */
static void zt_tcp_drop(struct zt_tcp_client *c, const char *why)
{
	char addr[ZT_ADDRSTRLEN];

	zt.stats.tcp_closed++;
	if (zt.verbose && zt_log_ratelimit())
		zt_log(LOG_DEBUG, "closing TCP client %s: %s",
		       zt_format_addr(addr, sizeof(addr), &c->src, 0), why);
	zt_tcp_close(c);
}

/* Room for a client from @src: 0, or -EBUSY when every slot is busy. */
static int zt_tcp_room(const struct zt_addr *src)
{
	struct zt_tcp_client *victim;

	if (zt_tcp_count(src) >= ZT_TCP_PER_SOURCE) {
		victim = zt_tcp_victim(src);
		if (!victim)
			return -EBUSY;
		zt_tcp_drop(victim, "its address has too many connections");
	}
	if (zt_ntcp >= ZT_MAX_TCP) {
		victim = zt_tcp_victim(NULL);
		if (!victim)
			return -EBUSY;
		zt_tcp_drop(victim, "every TCP slot is taken");
	}
	return 0;
}

static void zt_accept(struct zt_listener *l)
{
	struct sockaddr_storage ss;
	struct zt_tcp_client *c;
	struct zt_addr src;
	socklen_t len;
	int fd;

	for (;;) {
		len = sizeof(ss);
		fd = accept4(l->io.fd, (struct sockaddr *)&ss, &len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		memset(&src, 0, sizeof(src));
		if (ss.ss_family == AF_INET6)
			zt_addr_set(&src, AF_INET6,
				    &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
		else
			zt_addr_set(&src, AF_INET,
				    &((struct sockaddr_in *)&ss)->sin_addr, 4);
		if (zt_tcp_room(&src)) {
			zt.stats.dropped++;
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->io.fd = fd;
		c->io.ops = &zt_tcp_ops;
		c->src = src;
		c->last_ms = zt_now_ms();
		if (zt_io_add(&c->io, EPOLLIN)) {
			close(fd);
			free(c);
			continue;
		}
		c->next = zt_tcp_clients;
		if (c->next)
			c->next->prev = c;
		zt_tcp_clients = c;
		zt_ntcp++;
	}
}

static void zt_udp_read(struct zt_listener *l)
{
	struct sockaddr_storage peer;
	socklen_t plen;
	struct zt_query *q;
	unsigned int i;
	ssize_t n;
	int ret;

	for (i = 0; i < ZT_UDP_BURST; i++) {
		plen = sizeof(peer);
		n = recvfrom(l->io.fd, zt_udp_buf, sizeof(zt_udp_buf), 0,
			     (struct sockaddr *)&peer, &plen);
		if (n < 0)
			return;
		q = zt_query_new(zt_udp_buf, n, &ret);
		if (!q)
			continue;
		q->udp_fd = l->io.fd;
		memcpy(&q->peer, &peer, plen);
		q->peer_len = plen;
		if (ret)
			zt_query_reject(q, ret);
		else
			zt_resolve(q);
	}
}

static void zt_listener_event(struct zt_io *io, uint32_t events)
{
	struct zt_listener *l = (struct zt_listener *)io;
	socklen_t len = sizeof(int);
	int err;

	/* A pending error would be reported again and again: take it. */
	if (events & EPOLLERR)
		getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (l->tcp)
		zt_accept(l);
	else
		zt_udp_read(l);
}

static const struct zt_io_ops zt_listener_ops = {
	.event = zt_listener_event,
};

/**
 * zt_client_send() - answer a query and free it
 * @q: the query; freed here
 * @msg: the reply, or NULL with @len 0 to answer nothing
 * @len: its length
 */
void zt_client_send(struct zt_query *q, const uint8_t *msg, size_t len)
{
	struct zt_tcp_client *c = q->tcp;
	size_t cap;
	uint8_t *out;

	if (c) {
		c->pending--;
		if (c->io.dead) {
			if (!c->pending)
				zt_io_release(&c->io);
		} else if (len && c->out_len + 2 + len <= 2 * ZT_TCP_OUT_MAX) {
			cap = c->out_cap ? c->out_cap : 4096;
			while (cap < c->out_len + 2 + len)
				cap *= 2;
			out = cap == c->out_cap ? c->out : realloc(c->out, cap);
			if (out) {
				if (!c->out_len)
					c->write_ms = zt_now_ms();
				c->out = out;
				c->out_cap = cap;
				out[c->out_len] = len >> 8;
				out[c->out_len + 1] = len;
				memcpy(out + c->out_len + 2, msg, len);
				c->out_len += 2 + len;
				if (zt_tcp_write(c))
					zt_tcp_events(c);
			}
		} else {
			zt_tcp_events(c);
		}
	} else if (len) {
		sendto(q->udp_fd, msg, len, MSG_DONTWAIT,
		       (struct sockaddr *)&q->peer, q->peer_len);
	}
	zt_query_free(q);
}

/*
 * Close TCP clients past a deadline: a query not whole ZT_TCP_MSG_MS after
 * its first byte, answers not taken for ZT_TCP_STALL_MS, idle for
 * ZT_TCP_IDLE_MS.  Return: when to look again.
 */
uint64_t zt_client_tick(uint64_t now)
{
	struct zt_tcp_client *c, *n;
	uint64_t next = now + ZT_TCP_IDLE_MS, t;
	const char *why;

	for (c = zt_tcp_clients; c; c = n) {
		n = c->next;
		t = UINT64_MAX;
		why = NULL;
		if (c->in_len) {
			t = c->msg_ms + ZT_TCP_MSG_MS;
			why = "its query did not arrive whole in time";
		}
		if (c->out_len && c->write_ms + ZT_TCP_STALL_MS < t) {
			t = c->write_ms + ZT_TCP_STALL_MS;
			why = "it does not read its answers";
		}
		if (!why && !c->pending) {
			t = c->last_ms + ZT_TCP_IDLE_MS;
			why = "idle";
		}
		if (!why)
			continue;
		if (now >= t && c->in_len + c->out_len)
			zt_tcp_drop(c, why);
		else if (now >= t)
			zt_tcp_close(c);
		else if (t < next)
			next = t;
	}
	return next;
}

static int zt_listen_one(const struct zt_listen *cfg, bool tcp)
{
	struct zt_listener *l = &zt_listeners[zt_nlisteners];
	struct sockaddr_storage ss;
	char buf[ZT_ADDRSTRLEN];
	int one = 1, fd;
	socklen_t len;

	fd = socket(cfg->addr.family, (tcp ? SOCK_STREAM : SOCK_DGRAM) |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto err;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (cfg->addr.family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	len = zt_sockaddr(&ss, &cfg->addr, cfg->port);
	if (bind(fd, (struct sockaddr *)&ss, len) ||
	    (tcp && listen(fd, 128)))
		goto err;
	l->io.fd = fd;
	l->io.ops = &zt_listener_ops;
	l->tcp = tcp;
	if (zt_io_add(&l->io, EPOLLIN))
		goto err;
	zt_nlisteners++;
	return 0;
err:
	zt_log(LOG_ERR, "cannot listen on %s/%s: %s",
	       zt_format_addr(buf, sizeof(buf), &cfg->addr, cfg->port),
	       tcp ? "tcp" : "udp", strerror(errno));
	if (fd >= 0)
		close(fd);
	return -errno;
}

/* Bind every listener; 0, or a negative errno after logging why. */
int zt_client_init(void)
{
	unsigned int i;
	int ret;

	for (i = 0; i < zt.cfg.nlisten; i++) {
		ret = zt_listen_one(&zt.cfg.listen[i], false);
		if (!ret)
			ret = zt_listen_one(&zt.cfg.listen[i], true);
		if (ret) {
			zt_client_uninit();
			return ret;
		}
	}
	return 0;
}

void zt_client_uninit(void)
{
	unsigned int i;

	/* Queries in flight were failed first (zt_upstream_uninit()). */
	while (zt_tcp_clients)
		zt_tcp_close(zt_tcp_clients);
	for (i = 0; i < zt_nlisteners; i++)
		zt_io_close(&zt_listeners[i].io);
	zt_nlisteners = 0;
}
