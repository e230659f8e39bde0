/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the files of ztdnsd share: the event loop, the daemon's state and
 * the life of a query.
 *
 *   loop.c      the epoll loop; I/O objects freed only between batches
 *   client.c    UDP and TCP listeners, client connections (RFC 7766)
 *   resolve.c   a query's life: cache, upstream, kernel, answer
 *   answer.c    what a reply means, without I/O (answer.h)
 *   upstream.c  DNS-over-TLS connections to the protective servers
 *   kernel.c    the ztdns generic-netlink family: setup and allow entries
 *   tls.c       mbedTLS behind tls.h
 *
 * One thread, one epoll loop: no locks.  A query is owned by resolve.c
 * from zt_resolve() until zt_resolve_done() frees it.
 */
#ifndef ZTDNS_ZTDNSD_H
#define ZTDNS_ZTDNSD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cache.h"
#include "config.h"
#include "dns.h"
#include "nl.h"

#define ZT_MAX_QUERIES		4096	/* in flight, all clients */
#define ZT_JOSTLE_MS		500	/* at that limit, older ones make room */
#define ZT_QUERY_TIMEOUT_MS	2000	/* one upstream attempt */
#define ZT_QUERY_DEADLINE_MS	5000	/* then SERVFAIL */

struct zt_io;

/* What an object of the loop is: how it handles events, how it is freed. */
struct zt_io_ops {
	void (*event)(struct zt_io *io, uint32_t events);
	void (*free)(struct zt_io *io);	/* after the batch (loop.c) */
};

/* A file descriptor in the loop (loop.c); embedded first in its owner. */
struct zt_io {
	int fd;				/* -1 once closed */
	const struct zt_io_ops *ops;
	bool dead;			/* closed: its events are skipped */
	bool released;			/* queued to be freed */
	struct zt_io *next_released;
};

int zt_loop_init(void);
void zt_loop_uninit(void);
int zt_io_dispatch(int timeout_ms);
int zt_io_add(struct zt_io *io, uint32_t events);
int zt_io_mod(struct zt_io *io, uint32_t events);
void zt_io_close(struct zt_io *io);
void zt_io_release(struct zt_io *io);
uint64_t zt_now_ms(void);

struct zt_tcp_client;
struct zt_conn;

/* A client's query, from its arrival to its answer. */
struct zt_query {
	struct zt_dns_query dq;		/* what the client asked */
	uint64_t start_ms;		/* arrival */
	uint64_t deadline_ms;		/* SERVFAIL after this */
	/* Every query in flight, oldest first; owned by client.c. */
	struct zt_query *age_prev, *age_next;
	/* Where the answer goes: a UDP listener and peer, or a TCP client. */
	int udp_fd;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	struct zt_tcp_client *tcp;
	/* Upstream state, owned by upstream.c. */
	uint16_t up_id;
	int server;			/* index of the server it went to */
	unsigned int tries;
	uint64_t try_deadline_ms;
	bool sent;			/* written to the server */
	struct zt_conn *conn;		/* the connection it is on, or NULL */
	struct zt_query *prev, *next;
};

struct zt_stats {
	uint64_t queries, cache_hits, answers, servfail, upstream_errors;
	uint64_t kernel_errors, rebind_skipped, dropped, tcp_closed;
	uint64_t jostled;
};

struct zt_daemon {
	struct zt_config cfg;
	struct ztnl nl;
	struct zt_cache *cache;
	struct zt_stats stats;
	unsigned int nqueries;
	bool verbose;
};

extern struct zt_daemon zt;

/*
 * resolve.c: zt_resolve() takes a query that client.c filled in; it ends
 * with zt_client_send(), which frees it.
 */
void zt_resolve(struct zt_query *q);
void zt_resolve_answer(struct zt_query *q, const uint8_t *msg, size_t len,
		       struct zt_dns_reply *r);
void zt_resolve_fail(struct zt_query *q, const char *why);

/* client.c */
int zt_client_init(void);
void zt_client_uninit(void);
void zt_client_send(struct zt_query *q, const uint8_t *msg, size_t len);
uint64_t zt_client_tick(uint64_t now);

/* upstream.c */
int zt_upstream_init(char *err, size_t errsize);
void zt_upstream_uninit(void);
int zt_upstream_prepare(const struct zt_config *cfg, char *err,
			size_t errsize);
void zt_upstream_abort(void);
void zt_upstream_commit(void);
void zt_upstream_submit(struct zt_query *q);
void zt_upstream_cancel(struct zt_query *q);
uint64_t zt_upstream_tick(uint64_t now);

/* kernel.c */
int zt_kernel_open(char *err, size_t errsize);
int zt_kernel_setup(char *err, size_t errsize);
int zt_kernel_sync(const struct zt_config *cfg, const struct zt_config *also,
		   char *err, size_t errsize);
int zt_kernel_set_mode(int mode, char *err, size_t errsize);
int zt_kernel_allow(const struct zt_dns_addr *addrs, unsigned int n,
		    char *err, size_t errsize);
void zt_kernel_close(void);

/* log.c */
void zt_log_init(bool to_syslog, bool verbose);
void zt_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool zt_log_ratelimit(void);

#endif /* ZTDNS_ZTDNSD_H */
