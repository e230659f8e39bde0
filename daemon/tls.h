/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The TLS layer of ztdnsd's upstream connections, with mbedTLS behind it.
 * Non-blocking: every call that would block returns ZTLS_WANT_READ or
 * ZTLS_WANT_WRITE and the event loop calls again when the socket is ready.
 *
 * A peer is trusted when (1) TLS 1.2 or newer was negotiated, (2) if an
 * auth_name is set, the chain verifies against the CA file and the leaf
 * certificate carries that name, and (3) if pins are set, the leaf's
 * SubjectPublicKeyInfo hashes (SHA-256) to one of them.  Nothing else
 * passes: there is no opportunistic mode.
 */
#ifndef ZTDNS_TLS_H
#define ZTDNS_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

#define ZTLS_WANT_READ	(-1001)
#define ZTLS_WANT_WRITE	(-1002)
#define ZTLS_CLOSED	(-1003)		/* the peer closed the session */
#define ZTLS_ERROR	(-1004)		/* ztls_error() says why */

struct ztls_ctx;			/* one per server: trust, session cache */
struct ztls_conn;			/* one per connection */

struct ztls_ctx *ztls_ctx_new(const struct zt_server_cfg *s, char *err,
			      size_t errsize);
void ztls_ctx_free(struct ztls_ctx *ctx);
/*
 * The user ztdnsd will change to ("user" in [daemon]): a client key may
 * belong to it, or be given to it by an ACL, as well as to the user it
 * runs as now.
 */
void ztls_set_user(uid_t uid);

struct ztls_conn *ztls_conn_new(struct ztls_ctx *ctx, int fd);
/* Frees the connection; a session that completed is kept for resumption. */
void ztls_conn_free(struct ztls_conn *c);

/* 0 once the handshake is done and the peer is trusted. */
int ztls_handshake(struct ztls_conn *c);
/* Bytes read or written (> 0), or one of the ZTLS_* codes. */
int ztls_read(struct ztls_conn *c, void *buf, size_t len);
int ztls_write(struct ztls_conn *c, const void *buf, size_t len);
/* Whether decrypted bytes wait to be read (no poll will announce them). */
bool ztls_pending(const struct ztls_conn *c);
bool ztls_resumed(const struct ztls_conn *c);
const char *ztls_error(const struct ztls_conn *c);

#endif /* ZTDNS_TLS_H */
