// SPDX-License-Identifier: GPL-2.0
/*
 * DNS-over-TLS to the protective servers (RFC 7858, RFC 7766).
 *
 * Each server has at most one connection, kept open while it is used and
 * closed after ZT_IDLE_MS without a query.  Queries are pipelined on it:
 * each gets an ID unique on the connection, and replies are matched by ID
 * and then by question, in whatever order they come.  Queries are padded
 * (RFC 8467, 128-byte blocks).
 *
 * Every query is written as soon as the connection is ready: the pipeline
 * (ZT_PIPELINE) is as deep as ztdnsd's limit of queries in flight
 * (ZT_MAX_QUERIES, client.c), so none waits behind another.  A protective
 * server is a recursive resolver: a name whose authoritative server is
 * silent keeps it busy for seconds, and anyone on the host may ask for
 * such names.  With a shallower pipeline (128, once) those queries filled
 * it and every other query of the host waited behind them until its
 * deadline: SERVFAIL, and in enforce mode no connection to a new name.
 * RFC 7766 (6.2.1.1) lets a client pipeline and a server answer out of
 * order, so nothing is gained by holding queries back; the cost is
 * bounded by ZT_MAX_QUERIES (an ID each, out of 65536, and 514 bytes of
 * output at most while they are being written).  What ztdnsd cannot
 * change is a server that reads only so many queries of a connection at
 * a time: the queries behind the held ones then wait inside the server,
 * and move to the next server after ZT_QUERY_TIMEOUT_MS.  And since a
 * flood of held names can fill ztdnsd's table of queries in flight, a new
 * query at that limit displaces the oldest one that has waited
 * ZT_JOSTLE_MS (client.c), as unbound's jostle-timeout does, rather than
 * being dropped: the flood cannot keep a query out unless it sends more
 * than ZT_MAX_QUERIES queries per ZT_JOSTLE_MS.  A query that leaves a
 * connection early (its deadline, or displaced) frees its ID; a late
 * answer to it is dropped, unless a new query has its ID and its
 * question (then it answers that one).
 *
 * A query goes to the first server, in the configuration's order, that is
 * not backing off.  A server backs off when a connection to it fails
 * before it is ready (TCP, TLS, trust), for 1 s doubling to 60 s until it
 * answers again; its queries move to the next server.  A query whose
 * attempt takes longer than ZT_QUERY_TIMEOUT_MS also moves on when another
 * server is usable.  When every server is backing off, a query waits for
 * the first to come back, if that is before its deadline.  A query still
 * unanswered at its deadline fails (SERVFAIL).
 *
 * A server may close a ready connection at any time (RFC 7766, 6.2.3):
 * that is no failure.  The queries it had not answered are sent again on
 * a new connection, at once; only a server that closes ZT_REDIAL_MAX + 1
 * connections in a row with queries in flight and no answer between them
 * backs off.  A TLS session is resumed on reconnection when the server
 * allows it.
 *
 * A reload (SIGHUP) builds the new servers' TLS contexts aside
 * (zt_upstream_prepare(): CA files, client keys); only when every one is
 * valid are they swapped in (zt_upstream_commit()).  The old connections
 * then close and every query they or the wait list held is sent again to
 * the new servers, with its deadline kept: none fails for the reload.
 */

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <syslog.h>
#include <unistd.h>

#include "answer.h"
#include "tls.h"
#include "ztdnsd.h"

#define ZT_IDLE_MS		10000
#define ZT_CONNECT_MS		3000
#define ZT_PIPELINE		ZT_MAX_QUERIES	/* see above */
#define ZT_BACKOFF_MIN_MS	1000
#define ZT_BACKOFF_MAX_MS	60000
#define ZT_REDIAL_MAX		2

enum zt_conn_state { ZT_CONNECTING, ZT_HANDSHAKE, ZT_READY };

struct zt_server;

struct zt_conn {
	struct zt_io io;
	struct zt_server *srv;
	struct ztls_conn *tls;
	enum zt_conn_state state;
	uint64_t since_ms;		/* connect start, or last activity */
	struct zt_query *head, *tail;	/* written ones first, in order */
	struct zt_query *unsent;	/* the first not written, or NULL */
	unsigned int nsent;		/* the first nsent of the list */
	unsigned int nqueries;
	uint8_t ids[65536 / 8];		/* the IDs of the written ones */
	uint8_t *out;			/* framed queries to write */
	size_t out_len, out_cap;
	size_t retry_len;		/* a write to repeat with this length */
	size_t in_len;
	uint8_t in[2 + ZT_DNS_MSG_MAX];
};

struct zt_server {
	struct zt_addr addr;
	uint16_t port;
	char name[ZT_ADDRSTRLEN + 260];	/* "ADDR:PORT (auth_name)", logs */
	struct ztls_ctx *tls;
	struct zt_conn *conn;
	uint64_t down_until_ms;
	unsigned int backoff_ms;
	unsigned int drops;		/* closed in flight, since an answer */
};

static struct zt_server zt_servers[ZT_CFG_MAX_SERVERS];
static unsigned int zt_nservers;
/* The servers of a reload, until they are swapped in or dropped. */
static struct zt_server zt_next[ZT_CFG_MAX_SERVERS];
static unsigned int zt_nnext;
static struct zt_dns_reply zt_reply;	/* one at a time: one thread */
/* Queries waiting for a server to come back from its backoff, in order. */
static struct zt_query *zt_wait_head, *zt_wait_tail;

static const struct zt_io_ops zt_conn_ops;
static void zt_submit(struct zt_query *q, uint64_t now, int avoid);
static bool zt_wait(struct zt_query *q);

static void zt_conn_link(struct zt_conn *c, struct zt_query *q)
{
	q->next = NULL;
	q->prev = c->tail;
	if (c->tail)
		c->tail->next = q;
	else
		c->head = q;
	c->tail = q;
	if (!c->unsent)
		c->unsent = q;
	q->conn = c;
	c->nqueries++;
}

static bool zt_id_used(const struct zt_conn *c, uint16_t id)
{
	return c->ids[id / 8] & (1 << (id % 8));
}

static void zt_id_set(struct zt_conn *c, uint16_t id, bool used)
{
	if (used)
		c->ids[id / 8] |= 1 << (id % 8);
	else
		c->ids[id / 8] &= ~(1 << (id % 8));
}

static void zt_conn_unlink(struct zt_conn *c, struct zt_query *q)
{
	if (c->unsent == q)
		c->unsent = q->next;
	if (q->prev)
		q->prev->next = q->next;
	else
		c->head = q->next;
	if (q->next)
		q->next->prev = q->prev;
	else
		c->tail = q->prev;
	q->prev = NULL;
	q->next = NULL;
	q->conn = NULL;
	c->nqueries--;
	if (q->sent) {
		c->nsent--;
		zt_id_set(c, q->up_id, false);
	}
	q->sent = false;
}

/* Frame the next waiting queries into the output, up to ZT_PIPELINE. */
static void zt_conn_fill(struct zt_conn *c)
{
	struct zt_query *q;
	uint16_t id;
	int len;

	for (q = c->unsent; q && c->nsent < ZT_PIPELINE; q = c->unsent) {
		if (c->out_cap - c->out_len < 2 + 512) {
			size_t cap = c->out_cap ? c->out_cap * 2 : 4096;
			uint8_t *out = realloc(c->out, cap);

			if (!out)
				return;	/* tried again at the next reply */
			c->out = out;
			c->out_cap = cap;
		}
		do {
			if (getrandom(&id, sizeof(id), 0) != sizeof(id))
				id = rand();
		} while (zt_id_used(c, id));
		len = zt_dns_build_query(c->out + c->out_len + 2, 512, &q->dq,
					 id, ZT_DNS_PAD_QUERY);
		if (len < 0) {
			zt_conn_unlink(c, q);
			zt_resolve_fail(q, "query too large");
			return;
		}
		c->out[c->out_len] = len >> 8;
		c->out[c->out_len + 1] = len;
		c->out_len += 2 + len;
		q->up_id = id;
		q->sent = true;
		zt_id_set(c, id, true);
		c->nsent++;
		c->unsent = q->next;
	}
}

static void zt_conn_events(struct zt_conn *c)
{
	uint32_t ev = EPOLLIN;

	if (c->state == ZT_CONNECTING || c->out_len)
		ev |= EPOLLOUT;
	zt_io_mod(&c->io, ev);
}

/* After the loop's batch: the connection may be named in it. */
static void zt_conn_free(struct zt_io *io)
{
	struct zt_conn *c = (struct zt_conn *)io;

	free(c->out);
	free(c);
}

/* Off the server and out of the loop; freed after the batch. */
static void zt_conn_release(struct zt_conn *c)
{
	ztls_conn_free(c->tls);
	c->tls = NULL;
	c->srv->conn = NULL;
	zt_io_release(&c->io);
}

/*
 * Close @c; its queries go to another server (or the same, anew).  With a
 * @why, the server failed: log it and back off.  Without, the attempt
 * does not count against the queries' tries.
 */
static void zt_conn_close(struct zt_conn *c, const char *why)
{
	struct zt_server *s = c->srv;
	uint64_t now = zt_now_ms();
	struct zt_query *list, *q, *n;

	if (why) {
		if (!s->backoff_ms)
			s->backoff_ms = ZT_BACKOFF_MIN_MS;
		else if (s->backoff_ms < ZT_BACKOFF_MAX_MS)
			s->backoff_ms *= 2;
		s->down_until_ms = now + s->backoff_ms;
		zt_log(LOG_WARNING, "server %s: %s; retrying in %u s", s->name,
		       why, s->backoff_ms / 1000);
		zt.stats.upstream_errors++;
	}
	/* Detach the queries first: a resubmission may reopen this server. */
	list = c->head;
	for (q = list; q; q = q->next) {
		q->sent = false;
		q->conn = NULL;
	}
	c->head = NULL;
	zt_conn_release(c);
	for (q = list; q; q = n) {
		n = q->next;
		q->prev = NULL;
		q->next = NULL;
		if (!why)
			q->tries--;
		zt_submit(q, now, -1);
	}
}

/*
 * The server ended ready connection @c, or it broke (@why).  Nothing in
 * flight: closed, no harm done.  Queries in flight: sent again on a new
 * connection at once, unless the server keeps closing without answering.
 */
static void zt_conn_drop(struct zt_conn *c, const char *why)
{
	struct zt_server *s = c->srv;

	if (c->nsent && ++s->drops > ZT_REDIAL_MAX) {
		zt_conn_close(c, why);
		return;
	}
	if (c->nsent)
		zt_log(LOG_DEBUG,
		       "server %s: %s with %u quer%s in flight; sending %s again",
		       s->name, why, c->nsent, c->nsent == 1 ? "y" : "ies",
		       c->nsent == 1 ? "it" : "them");
	zt_conn_close(c, NULL);
}

static struct zt_conn *zt_conn_open(struct zt_server *s, uint64_t now)
{
	struct sockaddr_storage ss;
	struct zt_conn *c;
	int one = 1;
	char why[96];
	socklen_t len;
	int fd;

	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	fd = socket(s->addr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0) {
		free(c);
		return NULL;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	len = zt_sockaddr(&ss, &s->addr, s->port);
	c->srv = s;
	c->io.fd = fd;
	c->io.ops = &zt_conn_ops;
	c->since_ms = now;
	c->state = ZT_CONNECTING;
	s->conn = c;
	if (zt_io_add(&c->io, EPOLLIN | EPOLLOUT)) {
		close(fd);
		s->conn = NULL;
		free(c);
		return NULL;
	}
	if (connect(fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS) {
		snprintf(why, sizeof(why), "connect: %s", strerror(errno));
		zt_conn_close(c, why);
		return NULL;
	}
	return c;
}

/* When the first server backing off comes back (0: none is). */
static uint64_t zt_back_ms(void)
{
	uint64_t t = 0;
	unsigned int i;

	for (i = 0; i < zt_nservers; i++)
		if (!t || zt_servers[i].down_until_ms < t)
			t = zt_servers[i].down_until_ms;
	return t;
}

/* Keep @q until a server comes back, if one does before its deadline. */
static bool zt_wait(struct zt_query *q)
{
	uint64_t back = zt_back_ms();

	if (!back || back >= q->deadline_ms)
		return false;
	q->server = -1;
	q->next = NULL;
	q->prev = zt_wait_tail;
	if (zt_wait_tail)
		zt_wait_tail->next = q;
	else
		zt_wait_head = q;
	zt_wait_tail = q;
	return true;
}

/*
 * Give @q to the first usable server but @avoid (-1: none), or to @avoid
 * when it is the only one; or have it wait for a server backing off; or
 * fail it.
 */
static void zt_submit(struct zt_query *q, uint64_t now, int avoid)
{
	struct zt_server *s;
	unsigned int i;

	if (q->tries > 2 * zt_nservers + 1) {
		zt_resolve_fail(q, "every server failed it");
		return;
	}
	for (i = 0; i < zt_nservers; i++) {
		s = &zt_servers[i];
		if ((int)i == avoid || (s->down_until_ms > now && !s->conn))
			continue;
		/* Opening may fail at once; the server then backs off. */
		if (!s->conn && !zt_conn_open(s, now))
			continue;
		q->server = i;
		q->tries++;
		q->try_deadline_ms = now + ZT_QUERY_TIMEOUT_MS;
		zt_conn_link(s->conn, q);
		if (s->conn->state == ZT_READY) {
			zt_conn_fill(s->conn);
			zt_conn_events(s->conn);
		}
		return;
	}
	if (avoid >= 0)
		zt_submit(q, now, -1);
	else if (!zt_wait(q))
		zt_resolve_fail(q, "no protective server is usable");
}

void zt_upstream_submit(struct zt_query *q)
{
	q->tries = 0;
	q->server = -1;
	zt_submit(q, zt_now_ms(), -1);
}

/**
 * zt_upstream_cancel() - take @q back, unanswered
 * @q: a query given to zt_upstream_submit(), not answered or failed yet
 *
 * Off its connection (its ID freed) or the list of queries waiting for a
 * server; the caller then ends it.
 */
void zt_upstream_cancel(struct zt_query *q)
{
	if (q->conn) {
		zt_conn_unlink(q->conn, q);
		return;
	}
	if (q->prev)
		q->prev->next = q->next;
	else if (zt_wait_head == q)
		zt_wait_head = q->next;
	if (q->next)
		q->next->prev = q->prev;
	else if (zt_wait_tail == q)
		zt_wait_tail = q->prev;
	q->prev = NULL;
	q->next = NULL;
}

/*
 * One framed reply from the server.  A reply without a question (a
 * FORMERR or REFUSED to a query the server did not take) ends the query
 * of its ID at once, rather than at its deadline.
 */
static void zt_conn_reply(struct zt_conn *c, const uint8_t *msg, size_t len)
{
	char why[sizeof(c->srv->name) + 64];
	struct zt_query *q;
	uint16_t id;
	int ret;

	if (len < ZT_DNS_HDR_LEN)
		return;
	id = msg[0] << 8 | msg[1];
	for (q = c->head; q && q->sent; q = q->next) {
		ret = zt_answer_match(msg, len, q->up_id, &q->dq.q, &zt_reply);
		if (ret == -ENOMSG)
			continue;	/* another ID, or another question */
		zt_conn_unlink(c, q);
		/* An answer: the server works. */
		c->srv->drops = 0;
		c->srv->backoff_ms = 0;
		if (ret == -EPROTO) {
			snprintf(why, sizeof(why),
				 "server %s answered RCODE %u without the question",
				 c->srv->name, zt_reply.rcode);
			zt_resolve_fail(q, why);
		} else if (ret == -E2BIG) {
			zt_resolve_fail(q, "reply beyond ztdnsd's bounds");
		} else if (ret) {
			zt_resolve_fail(q, "malformed reply");
		} else {
			zt_resolve_answer(q, msg, len, &zt_reply);
		}
		return;
	}
	zt_log(LOG_DEBUG, "server %s: reply with ID %u matches no query",
	       c->srv->name, id);
}

/* Read what TLS has; return false when @c is gone. */
static bool zt_conn_read(struct zt_conn *c)
{
	size_t want, flen;
	int n;

	for (;;) {
		want = c->in_len < 2 ? 2 :
		       2 + (c->in[0] << 8 | c->in[1]);
		n = ztls_read(c->tls, c->in + c->in_len, want - c->in_len);
		if (n == ZTLS_WANT_READ || n == ZTLS_WANT_WRITE)
			return true;
		if (n < 0) {
			zt_conn_drop(c, ztls_error(c->tls));
			return false;
		}
		c->in_len += n;
		if (c->in_len < 2 || c->in_len < want)
			continue;
		flen = c->in[0] << 8 | c->in[1];
		if (c->in_len < 2 + flen)
			continue;
		c->in_len = 0;
		c->since_ms = zt_now_ms();
		zt_conn_reply(c, c->in + 2, flen);
		zt_conn_fill(c);
	}
}

/* Write what is framed; return false when @c is gone. */
static bool zt_conn_write(struct zt_conn *c)
{
	size_t len;
	int n;

	while (c->out_len) {
		len = c->retry_len ? c->retry_len :
		      (c->out_len < 16384 ? c->out_len : 16384);
		n = ztls_write(c->tls, c->out, len);
		if (n == ZTLS_WANT_WRITE || n == ZTLS_WANT_READ) {
			c->retry_len = len;
			return true;
		}
		c->retry_len = 0;
		if (n < 0) {
			zt_conn_drop(c, ztls_error(c->tls));
			return false;
		}
		memmove(c->out, c->out + n, c->out_len - n);
		c->out_len -= n;
	}
	return true;
}

static void zt_conn_event(struct zt_io *io, uint32_t events)
{
	struct zt_conn *c = (struct zt_conn *)io;
	char why[128];
	socklen_t len = sizeof(int);
	int err = 0, ret;

	if (c->state == ZT_CONNECTING) {
		if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
			snprintf(why, sizeof(why), "connect: %s",
				 strerror(err ? err : errno));
			zt_conn_close(c, why);
			return;
		}
		if (events & (EPOLLHUP | EPOLLERR)) {
			zt_conn_close(c, "connect: connection lost");
			return;
		}
		if (!(events & (EPOLLOUT | EPOLLIN)))
			return;
		c->tls = ztls_conn_new(c->srv->tls, io->fd);
		if (!c->tls) {
			zt_conn_close(c, "out of memory");
			return;
		}
		c->state = ZT_HANDSHAKE;
	}
	if (c->state == ZT_HANDSHAKE) {
		ret = ztls_handshake(c->tls);
		if ((ret == ZTLS_WANT_READ || ret == ZTLS_WANT_WRITE) &&
		    (events & (EPOLLHUP | EPOLLERR))) {
			zt_conn_close(c, "TLS handshake: connection lost");
			return;
		}
		if (ret == ZTLS_WANT_READ || ret == ZTLS_WANT_WRITE) {
			zt_io_mod(io, ret == ZTLS_WANT_READ ? EPOLLIN : EPOLLOUT);
			return;
		}
		if (ret) {
			snprintf(why, sizeof(why), "TLS handshake: %s",
				 ztls_error(c->tls));
			zt_conn_close(c, why);
			return;
		}
		c->state = ZT_READY;
		c->since_ms = zt_now_ms();
		zt_log(LOG_DEBUG, "server %s: connected%s", c->srv->name,
		       ztls_resumed(c->tls) ? ", TLS session resumed" : "");
		zt_conn_fill(c);
	}
	if (!zt_conn_write(c) || !zt_conn_read(c))
		return;
	/* Reported whatever the mask: reading found no end, yet it ended. */
	if (events & (EPOLLHUP | EPOLLERR)) {
		zt_conn_drop(c, "connection lost");
		return;
	}
	zt_conn_events(c);
}

static const struct zt_io_ops zt_conn_ops = {
	.event = zt_conn_event,
	.free = zt_conn_free,
};

/*
 * Waiting queries past their deadline fail; once a server is back, the
 * others are submitted again.  Return: when to look again.
 */
static uint64_t zt_wait_tick(uint64_t now, uint64_t next)
{
	uint64_t back = zt_back_ms();
	struct zt_query *q, *n;

	if (!zt_wait_head)
		return next;
	/* Detached first: a submission may have a query wait again. */
	q = zt_wait_head;
	zt_wait_head = NULL;
	zt_wait_tail = NULL;
	for (; q; q = n) {
		n = q->next;
		q->prev = NULL;
		q->next = NULL;
		if (now >= q->deadline_ms)
			zt_resolve_fail(q, "timed out waiting for a server");
		else if (back <= now)
			zt_submit(q, now, -1);
		else if (!zt_wait(q))
			zt_resolve_fail(q, "no protective server is usable");
	}
	for (q = zt_wait_head; q; q = q->next)
		if (q->deadline_ms < next)
			next = q->deadline_ms;
	back = zt_back_ms();
	if (zt_wait_head && back > now && back < next)
		next = back;
	return next;
}

/*
 * Time passes: queries past their attempt's time move on, past their
 * deadline fail; idle or stuck connections close; waiting queries go to
 * a server back from its backoff.  Return: when to call again, at the
 * latest.
 */
uint64_t zt_upstream_tick(uint64_t now)
{
	uint64_t next = zt_wait_tick(now, now + 1000);
	struct zt_query *q, *n;
	struct zt_conn *c;
	unsigned int i, j;

	for (i = 0; i < zt_nservers; i++) {
		c = zt_servers[i].conn;
		if (!c)
			continue;
		if (c->state != ZT_READY && now >= c->since_ms + ZT_CONNECT_MS) {
			zt_conn_close(c, c->state == ZT_CONNECTING ?
				      "connect: timed out" :
				      "TLS handshake: timed out");
			continue;
		}
		if (c->state == ZT_READY && !c->head &&
		    now >= c->since_ms + ZT_IDLE_MS) {
			zt_log(LOG_DEBUG, "server %s: closing idle connection",
			       c->srv->name);
			zt_conn_release(c);
			continue;
		}
		for (q = c->head; q; q = n) {
			n = q->next;
			if (now >= q->deadline_ms) {
				zt_conn_unlink(c, q);
				zt_resolve_fail(q, "timed out");
				continue;
			}
			if (now >= q->try_deadline_ms) {
				/* Another server, if one is usable. */
				for (j = 0; j < zt_nservers; j++)
					if (j != i &&
					    zt_servers[j].down_until_ms <= now)
						break;
				if (j < zt_nservers) {
					zt_conn_unlink(c, q);
					zt_submit(q, now, i);
					continue;
				}
				q->try_deadline_ms = q->deadline_ms;
			}
			if (q->try_deadline_ms < next)
				next = q->try_deadline_ms;
		}
		/* Room in the pipeline: the queries waiting for it go now. */
		if (c->state == ZT_READY && c->unsent &&
		    c->nsent < ZT_PIPELINE) {
			zt_conn_fill(c);
			zt_conn_events(c);
		}
	}
	return next;
}

static void zt_servers_free(struct zt_server *set, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		ztls_ctx_free(set[i].tls);
		set[i].tls = NULL;
	}
}

/**
 * zt_upstream_prepare() - the servers of @cfg, aside
 * @cfg: a configuration
 * @err: why a server cannot be used (its CA file or client key ...)
 * @errsize: size of @err
 *
 * Builds every server's TLS context; the running ones are not touched.
 * Return: 0 (then zt_upstream_commit() or zt_upstream_abort()) or -EINVAL.
 */
int zt_upstream_prepare(const struct zt_config *cfg, char *err,
			size_t errsize)
{
	const struct zt_server_cfg *sc;
	char addr[ZT_ADDRSTRLEN];
	struct zt_server *s;
	char why[256];
	unsigned int i;

	zt_upstream_abort();
	for (i = 0; i < cfg->nservers; i++) {
		sc = &cfg->servers[i];
		s = &zt_next[i];
		memset(s, 0, sizeof(*s));
		s->addr = sc->addr;
		s->port = sc->port;
		zt_format_addr(addr, sizeof(addr), &sc->addr, sc->port);
		if (sc->auth_name)
			snprintf(s->name, sizeof(s->name), "%s (%s)", addr,
				 sc->auth_name);
		else
			snprintf(s->name, sizeof(s->name), "%s", addr);
		s->tls = ztls_ctx_new(sc, why, sizeof(why));
		if (!s->tls) {
			snprintf(err, errsize, "server %s: %s", s->name, why);
			zt_upstream_abort();
			return -EINVAL;
		}
		zt_nnext = i + 1;
	}
	return 0;
}

/* Drop what zt_upstream_prepare() built. */
void zt_upstream_abort(void)
{
	zt_servers_free(zt_next, zt_nnext);
	zt_nnext = 0;
}

/* Append the queries of @list (linked by next) to @*tail. */
static void zt_collect(struct zt_query ***tail, struct zt_query *list)
{
	struct zt_query *q;

	for (q = list; q; q = q->next) {
		q->sent = false;
		q->conn = NULL;
		**tail = q;
		*tail = &q->next;
	}
	**tail = NULL;
}

/**
 * zt_upstream_commit() - the prepared servers replace the running ones
 *
 * The running connections close; their queries and those waiting for a
 * server go to the new servers, with their deadlines.
 */
void zt_upstream_commit(void)
{
	struct zt_query *list = NULL, **tail = &list, *q, *n;
	uint64_t now = zt_now_ms();
	struct zt_conn *c;
	unsigned int i;

	zt_collect(&tail, zt_wait_head);
	zt_wait_head = NULL;
	zt_wait_tail = NULL;
	for (i = 0; i < zt_nservers; i++) {
		c = zt_servers[i].conn;
		if (!c)
			continue;
		zt_collect(&tail, c->head);
		c->head = NULL;
		c->tail = NULL;
		zt_conn_release(c);
	}
	zt_servers_free(zt_servers, zt_nservers);
	memcpy(zt_servers, zt_next, sizeof(zt_next[0]) * zt_nnext);
	zt_nservers = zt_nnext;
	zt_nnext = 0;
	for (q = list; q; q = n) {
		n = q->next;
		q->prev = NULL;
		q->next = NULL;
		q->tries = 0;
		q->server = -1;
		zt_submit(q, now, -1);
	}
}

/**
 * zt_upstream_init() - the TLS contexts of the configured servers
 * @err: why a server cannot be used (its CA file or client key ...)
 * @errsize: size of @err
 *
 * Return: 0 or -EINVAL.
 */
int zt_upstream_init(char *err, size_t errsize)
{
	int ret = zt_upstream_prepare(&zt.cfg, err, errsize);

	if (!ret)
		zt_upstream_commit();
	return ret;
}

void zt_upstream_uninit(void)
{
	struct zt_conn *c;
	struct zt_query *q;
	unsigned int i;

	zt_upstream_abort();
	while ((q = zt_wait_head)) {
		zt_wait_head = q->next;
		zt_resolve_fail(q, "ztdnsd is stopping");
	}
	zt_wait_tail = NULL;

	for (i = 0; i < zt_nservers; i++) {
		c = zt_servers[i].conn;
		if (c) {
			while ((q = c->head)) {
				zt_conn_unlink(c, q);
				zt_resolve_fail(q, "ztdnsd is stopping");
			}
			zt_conn_release(c);
		}
	}
	zt_servers_free(zt_servers, zt_nservers);
	zt_nservers = 0;
}
