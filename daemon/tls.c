// SPDX-License-Identifier: GPL-2.0
/*
 * The TLS layer of ztdnsd's upstream connections, on mbedTLS 2.28; tls.h
 * says what a trusted peer is.  Nothing outside this file sees mbedTLS.
 *
 * Trust is checked in mbedTLS's verify callback, called for each
 * certificate of the chain, the leaf (depth 0) last:
 *   - auth_name set: the chain must verify against the CA file and the
 *     leaf must carry the name (mbedtls_ssl_set_hostname); the flags
 *     mbedTLS computed are kept;
 *   - pins only: the chain's own flags are cleared (a pinned key needs no
 *     CA, as in stubby), and only the pin decides;
 *   - pins set: the leaf's SubjectPublicKeyInfo must hash to a pin, else
 *     the handshake fails with "SPKI pin mismatch".
 * A resumed session skips the callback: it was verified when it was made,
 * and it is only offered to the server it came from (one context each).
 *
 * A client key must be private, as ssh wants its keys: a regular file
 * owned by root or by ztdnsd's user (the one it runs as, or the one it
 * changes to: ztls_set_user()), with no group or other permission bits,
 * and, if it has a POSIX ACL, no entry that lets another user or a group
 * read or write it.  (systemd hands a LoadCredential= file to a
 * DynamicUser= service either as the file's owner, mode 0400, or, where
 * the file system has ACLs, through an entry for the service's uid; the
 * group bits then show the ACL's mask.)
 * It must also be the key of the client certificate.
 */

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "tls.h"

struct ztls_ctx {
	mbedtls_ssl_config conf;
	mbedtls_x509_crt ca;
	mbedtls_x509_crt own_cert;
	mbedtls_pk_context own_key;
	char *auth_name;
	unsigned int npins;
	uint8_t pins[ZT_CFG_MAX_PINS][32];
	bool have_session;
	mbedtls_ssl_session session;	/* the last one, for resumption */
};

struct ztls_conn {
	struct ztls_ctx *ctx;
	mbedtls_ssl_context ssl;
	int fd;
	bool done;
	bool pin_failed;
	bool resumed;
	char err[160];
};

static mbedtls_entropy_context ztls_entropy;
static mbedtls_ctr_drbg_context ztls_drbg;
static bool ztls_drbg_ready;

static int ztls_rng_init(void)
{
	static const char pers[] = "ztdnsd";

	if (ztls_drbg_ready)
		return 0;
	mbedtls_entropy_init(&ztls_entropy);
	mbedtls_ctr_drbg_init(&ztls_drbg);
	if (mbedtls_ctr_drbg_seed(&ztls_drbg, mbedtls_entropy_func,
				  &ztls_entropy, (const unsigned char *)pers,
				  sizeof(pers) - 1))
		return -EIO;
	ztls_drbg_ready = true;
	return 0;
}

static void ztls_strerror(int ret, char *buf, size_t size)
{
	char msg[128];

	mbedtls_strerror(ret, msg, sizeof(msg));
	snprintf(buf, size, "%s (-0x%04x)", msg, (unsigned int)-ret);
}

static int ztls_verify(void *arg, mbedtls_x509_crt *crt, int depth,
		       uint32_t *flags)
{
	struct ztls_conn *c = arg;
	struct ztls_ctx *ctx = c->ctx;
	uint8_t hash[32];
	unsigned int i;

	if (!ctx->auth_name)
		*flags = 0;
	if (depth != 0 || !ctx->npins)
		return 0;
	if (mbedtls_sha256_ret(crt->pk_raw.p, crt->pk_raw.len, hash, 0))
		return MBEDTLS_ERR_X509_FATAL_ERROR;
	for (i = 0; i < ctx->npins; i++)
		if (!memcmp(hash, ctx->pins[i], sizeof(hash)))
			return 0;
	c->pin_failed = true;
	*flags |= MBEDTLS_X509_BADCERT_OTHER;
	return 0;
}

#define ZTLS_KEY_MAX	(64 * 1024)	/* bytes of a key file */
#define ZTLS_ACL_MAX	32		/* entries of its ACL we read */

static uid_t ztls_user = (uid_t)-1;	/* the user ztdnsd changes to */

void ztls_set_user(uid_t uid)
{
	ztls_user = uid;
}

/* Whether @uid is ztdnsd's user, now or after it changes user. */
static bool ztls_uid_ours(uid_t uid)
{
	return uid == geteuid() || (ztls_user != (uid_t)-1 && uid == ztls_user);
}

/*
 * Who but the owner and us may read or write the key file @fd of @mode:
 * others by the mode's bits; the group by them too, unless the file has
 * a POSIX ACL (its group bits are then the ACL's mask): then any group,
 * or any user but us, that an entry lets read or write.  NULL: nobody.
 */
static const char *ztls_key_exposed(int fd, mode_t mode)
{
	struct {
		struct posix_acl_xattr_header h;
		struct posix_acl_xattr_entry e[ZTLS_ACL_MAX];
	} acl;
	const unsigned int rw = ACL_READ | ACL_WRITE;
	unsigned int i, n, mask = rw, perm;
	ssize_t len;

	if (mode & 007)
		return "others";
	len = fgetxattr(fd, "system.posix_acl_access", &acl, sizeof(acl));
	if (len < 0 && errno == ERANGE)
		return "the users of its long ACL";
	if (len < 0)
		return mode & 070 ? "its group" : NULL;
	if ((size_t)len < sizeof(acl.h) ||
	    le32toh(acl.h.a_version) != POSIX_ACL_XATTR_VERSION)
		return "the users of an ACL ztdnsd cannot read";
	n = (len - sizeof(acl.h)) / sizeof(acl.e[0]);
	for (i = 0; i < n; i++)
		if (le16toh(acl.e[i].e_tag) == ACL_MASK)
			mask = le16toh(acl.e[i].e_perm);
	for (i = 0; i < n; i++) {
		perm = le16toh(acl.e[i].e_perm) & rw;
		switch (le16toh(acl.e[i].e_tag)) {
		case ACL_USER:
			if ((perm & mask) &&
			    !ztls_uid_ours(le32toh(acl.e[i].e_id)))
				return "another user (ACL)";
			break;
		case ACL_GROUP_OBJ:
		case ACL_GROUP:
			if (perm & mask)
				return "a group (ACL)";
			break;
		}
	}
	return NULL;
}

/*
 * Read the private key file @path into @key: private (see the top of the
 * file), at most ZTLS_KEY_MAX bytes, parsed.  Return: 0, or -1 with @err
 * set.
 */
static int ztls_load_key(mbedtls_pk_context *key, const char *path,
			 char *err, size_t errsize)
{
	unsigned char *buf = NULL;
	const char *who;
	struct stat st;
	size_t len = 0;
	char msg[160];
	ssize_t n;
	int fd, ret = -1;

	/* O_NONBLOCK: a FIFO there must not block the loop (a reload). */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st)) {
		snprintf(err, errsize, "cannot read client key '%s': %s", path,
			 strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errsize, "client key '%s' is not a regular file",
			 path);
		goto out;
	}
	if (st.st_uid && !ztls_uid_ours(st.st_uid)) {
		snprintf(err, errsize,
			 "client key '%s' belongs to user %u: it must belong to root or to ztdnsd's user",
			 path, (unsigned int)st.st_uid);
		goto out;
	}
	who = ztls_key_exposed(fd, st.st_mode);
	if (who) {
		snprintf(err, errsize,
			 "client key '%s' is open to %s (mode %04o): it must be private to ztdnsd's user (chmod 600)",
			 path, who, (unsigned int)(st.st_mode & 07777));
		goto out;
	}
	if (!st.st_size || st.st_size > ZTLS_KEY_MAX) {
		snprintf(err, errsize, "client key '%s' is %s", path,
			 st.st_size ? "too large" : "empty");
		goto out;
	}
	buf = malloc(ZTLS_KEY_MAX + 1);
	if (!buf) {
		snprintf(err, errsize, "out of memory");
		goto out;
	}
	while (len < ZTLS_KEY_MAX &&
	       (n = read(fd, buf + len, ZTLS_KEY_MAX - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errsize, "cannot read client key '%s': %s",
				 path, strerror(errno));
			goto out;
		}
		len += n;
	}
	buf[len] = '\0';
	/* mbedTLS wants a PEM key with its NUL, a DER one without. */
	ret = mbedtls_pk_parse_key(key, buf,
				   len + !!strstr((char *)buf, "-----BEGIN "),
				   NULL, 0);
	if (ret) {
		ztls_strerror(ret, msg, sizeof(msg));
		snprintf(err, errsize, "cannot read client key '%s': %s", path,
			 msg);
		ret = -1;
	}
out:
	if (buf) {
		mbedtls_platform_zeroize(buf, ZTLS_KEY_MAX + 1);
		free(buf);
	}
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * The CA file decides who may speak for the protective server: a regular
 * file (not a FIFO that would block the loop) that only root or ztdnsd's
 * user can write.  Return: 0, or -1 with @err set.
 */
static int ztls_check_ca(const char *path, char *err, size_t errsize)
{
	struct stat st;

	if (stat(path, &st)) {
		snprintf(err, errsize, "cannot read CA file '%s': %s", path,
			 strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errsize, "CA file '%s' is not a regular file",
			 path);
		return -1;
	}
	if ((st.st_mode & 022) || (st.st_uid && !ztls_uid_ours(st.st_uid))) {
		snprintf(err, errsize,
			 "CA file '%s' can be changed by others (owner %u, mode %04o): it must be writable by root or ztdnsd's user alone",
			 path, (unsigned int)st.st_uid,
			 (unsigned int)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

/**
 * ztls_ctx_new() - the TLS configuration for one protective server
 * @s: the server's section of the configuration
 * @err: why it failed ("cannot read CA file '...': ...")
 * @errsize: size of @err
 *
 * Reads the CA file (when an auth_name asks for chain verification) and
 * the client certificate and key, which must be private and match the
 * certificate.  Return: the context, or NULL.
 */
struct ztls_ctx *ztls_ctx_new(const struct zt_server_cfg *s, char *err,
			      size_t errsize)
{
	struct ztls_ctx *ctx;
	char msg[160];
	int ret;

	if (ztls_rng_init()) {
		snprintf(err, errsize, "cannot seed the random generator");
		return NULL;
	}
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	mbedtls_ssl_config_init(&ctx->conf);
	mbedtls_x509_crt_init(&ctx->ca);
	mbedtls_x509_crt_init(&ctx->own_cert);
	mbedtls_pk_init(&ctx->own_key);
	mbedtls_ssl_session_init(&ctx->session);
	ctx->npins = s->npins;
	memcpy(ctx->pins, s->pins, sizeof(ctx->pins));

	ret = mbedtls_ssl_config_defaults(&ctx->conf, MBEDTLS_SSL_IS_CLIENT,
					  MBEDTLS_SSL_TRANSPORT_STREAM,
					  MBEDTLS_SSL_PRESET_DEFAULT);
	if (ret)
		goto err_mbedtls;
	/* TLS 1.2 or newer (RFC 8310 section 9): "3.3" is TLS 1.2. */
	mbedtls_ssl_conf_min_version(&ctx->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_rng(&ctx->conf, mbedtls_ctr_drbg_random, &ztls_drbg);
	mbedtls_ssl_conf_authmode(&ctx->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_session_tickets(&ctx->conf,
					 MBEDTLS_SSL_SESSION_TICKETS_ENABLED);

	if (s->auth_name) {
		ctx->auth_name = strdup(s->auth_name);
		if (!ctx->auth_name) {
			snprintf(err, errsize, "out of memory");
			goto err;
		}
		if (ztls_check_ca(s->ca_file, err, errsize))
			goto err;
		ret = mbedtls_x509_crt_parse_file(&ctx->ca, s->ca_file);
		if (ret < 0) {
			ztls_strerror(ret, msg, sizeof(msg));
			snprintf(err, errsize, "cannot read CA file '%s': %s",
				 s->ca_file, msg);
			goto err;
		}
	}
	mbedtls_ssl_conf_ca_chain(&ctx->conf, &ctx->ca, NULL);

	if (s->client_cert) {
		ret = mbedtls_x509_crt_parse_file(&ctx->own_cert,
						  s->client_cert);
		if (ret) {
			ztls_strerror(ret, msg, sizeof(msg));
			snprintf(err, errsize,
				 "cannot read client certificate '%s': %s",
				 s->client_cert, msg);
			goto err;
		}
		if (ztls_load_key(&ctx->own_key, s->client_key, err,
				  errsize))
			goto err;
		if (mbedtls_pk_check_pair(&ctx->own_cert.pk, &ctx->own_key)) {
			snprintf(err, errsize,
				 "client key '%s' is not the key of client certificate '%s'",
				 s->client_key, s->client_cert);
			goto err;
		}
		ret = mbedtls_ssl_conf_own_cert(&ctx->conf, &ctx->own_cert,
						&ctx->own_key);
		if (ret)
			goto err_mbedtls;
	}
	return ctx;

err_mbedtls:
	ztls_strerror(ret, msg, sizeof(msg));
	snprintf(err, errsize, "TLS setup: %s", msg);
err:
	ztls_ctx_free(ctx);
	return NULL;
}

void ztls_ctx_free(struct ztls_ctx *ctx)
{
	if (!ctx)
		return;
	mbedtls_ssl_session_free(&ctx->session);
	mbedtls_pk_free(&ctx->own_key);
	mbedtls_x509_crt_free(&ctx->own_cert);
	mbedtls_x509_crt_free(&ctx->ca);
	mbedtls_ssl_config_free(&ctx->conf);
	free(ctx->auth_name);
	free(ctx);
}

static int ztls_send(void *arg, const unsigned char *buf, size_t len)
{
	struct ztls_conn *c = arg;
	ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);

	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EINTR)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	return MBEDTLS_ERR_NET_SEND_FAILED;
}

static int ztls_recv(void *arg, unsigned char *buf, size_t len)
{
	struct ztls_conn *c = arg;
	ssize_t n = recv(c->fd, buf, len, 0);

	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EINTR)
		return MBEDTLS_ERR_SSL_WANT_READ;
	return MBEDTLS_ERR_NET_RECV_FAILED;
}

/**
 * ztls_conn_new() - a TLS client session on a connected socket
 * @ctx: the server's context
 * @fd: a non-blocking TCP socket, connected or connecting
 *
 * Offers the context's last session for resumption.  Return: the
 * connection, or NULL when out of memory.
 */
struct ztls_conn *ztls_conn_new(struct ztls_ctx *ctx, int fd)
{
	struct ztls_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->ctx = ctx;
	c->fd = fd;
	mbedtls_ssl_init(&c->ssl);
	if (mbedtls_ssl_setup(&c->ssl, &ctx->conf))
		goto err;
	/* Also the SNI; NULL (pins only) checks no name. */
	if (mbedtls_ssl_set_hostname(&c->ssl, ctx->auth_name))
		goto err;
	mbedtls_ssl_set_verify(&c->ssl, ztls_verify, c);
	mbedtls_ssl_set_bio(&c->ssl, c, ztls_send, ztls_recv, NULL);
	if (ctx->have_session)
		mbedtls_ssl_set_session(&c->ssl, &ctx->session);
	return c;
err:
	mbedtls_ssl_free(&c->ssl);
	free(c);
	return NULL;
}

void ztls_conn_free(struct ztls_conn *c)
{
	if (!c)
		return;
	if (c->done)
		mbedtls_ssl_close_notify(&c->ssl);
	mbedtls_ssl_free(&c->ssl);
	free(c);
}

/* A ZTLS_* code for an mbedTLS error, with its text kept. */
static int ztls_fail(struct ztls_conn *c, int ret)
{
	uint32_t flags;
	char info[128];

	switch (ret) {
	case MBEDTLS_ERR_SSL_WANT_READ:
		return ZTLS_WANT_READ;
	case MBEDTLS_ERR_SSL_WANT_WRITE:
		return ZTLS_WANT_WRITE;
	case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
	case MBEDTLS_ERR_SSL_CONN_EOF:
	case 0:
		snprintf(c->err, sizeof(c->err), "closed by the server");
		return ZTLS_CLOSED;
	case MBEDTLS_ERR_NET_RECV_FAILED:
	case MBEDTLS_ERR_NET_SEND_FAILED:
		snprintf(c->err, sizeof(c->err), "%s", strerror(errno));
		return ZTLS_ERROR;
	case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED:
		if (c->pin_failed) {
			snprintf(c->err, sizeof(c->err),
				 "certificate: SPKI pin mismatch");
			return ZTLS_ERROR;
		}
		flags = mbedtls_ssl_get_verify_result(&c->ssl);
		mbedtls_x509_crt_verify_info(info, sizeof(info), "", flags);
		info[strcspn(info, "\n")] = '\0';
		snprintf(c->err, sizeof(c->err), "certificate: %s", info);
		return ZTLS_ERROR;
	}
	ztls_strerror(ret, c->err, sizeof(c->err));
	return ZTLS_ERROR;
}

int ztls_handshake(struct ztls_conn *c)
{
	int ret;

	if (c->done)
		return 0;
	ret = mbedtls_ssl_handshake(&c->ssl);
	if (ret)
		return ztls_fail(c, ret);
	c->done = true;
	/* TLS 1.2 resumption (by ID or ticket) reuses the master secret. */
	c->resumed = c->ctx->have_session &&
		     !memcmp(c->ssl.session->master, c->ctx->session.master,
			     sizeof(c->ctx->session.master));
	/* Keep this session for the next connection. */
	mbedtls_ssl_session_free(&c->ctx->session);
	mbedtls_ssl_session_init(&c->ctx->session);
	c->ctx->have_session =
		!mbedtls_ssl_get_session(&c->ssl, &c->ctx->session);
	return 0;
}

int ztls_read(struct ztls_conn *c, void *buf, size_t len)
{
	int ret = mbedtls_ssl_read(&c->ssl, buf, len);

	return ret > 0 ? ret : ztls_fail(c, ret);
}

int ztls_write(struct ztls_conn *c, const void *buf, size_t len)
{
	int ret = mbedtls_ssl_write(&c->ssl, buf, len);

	return ret > 0 ? ret : ztls_fail(c, ret);
}

bool ztls_pending(const struct ztls_conn *c)
{
	return mbedtls_ssl_get_bytes_avail(&c->ssl) > 0;
}

bool ztls_resumed(const struct ztls_conn *c)
{
	return c->resumed;
}

const char *ztls_error(const struct ztls_conn *c)
{
	return c->err[0] ? c->err : "no error";
}
