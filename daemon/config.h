/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ztdnsd's configuration file (INI, parsed by libinih):
 *
 *   [daemon]
 *   listen = 127.0.0.1          repeatable; ADDR, ADDR:PORT or [ADDR6]:PORT
 *   user = ztdns                drop to this user after setup
 *   mode = enforce              off | audit | enforce, applied at start
 *   min_ttl = 5                 clamp of answer TTLs, seconds
 *   max_ttl = 86400
 *   cache_size = 4096           replies cached; 0 disables the cache
 *   allow_subnet = 10.0.0.0/8   repeatable; exception subnets
 *
 *   [server]                    repeatable, one per protective server
 *   address = 192.0.2.53
 *   port = 853
 *   auth_name = dns.example     TLS name checked against the certificate
 *   ca_file = /etc/ssl/certs/ca-certificates.crt   only with auth_name
 *   pin = sha256/BASE64=        repeatable; SPKI SHA-256 pins
 *   client_cert = FILE          with client_key: mutual TLS
 *   client_key = FILE
 *
 * Every error names FILE:LINE and the key.  Unknown sections and keys,
 * a single key given twice, bad values, a [server] with neither auth_name
 * nor pin or without address, client_cert without client_key (or the
 * reverse), a ca_file without auth_name (pins alone use no CA: it would
 * be ignored), no [server] at all: all are errors.  Files named by
 * ca_file, client_cert and client_key are not opened here (tls.c does);
 * "${CREDENTIALS_DIRECTORY}" in their paths is replaced by that variable
 * of the environment (systemd's LoadCredential=), an error when unset.
 */
#ifndef ZTDNS_CONFIG_H
#define ZTDNS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse.h"
#include "rebind.h"

#define ZT_CFG_MAX_LISTEN	16
#define ZT_CFG_MAX_SUBNETS	256
#define ZT_CFG_MAX_SERVERS	16
#define ZT_CFG_MAX_PINS		8
#define ZT_CFG_DEFAULT_CA	"/etc/ssl/certs/ca-certificates.crt"
#define ZT_CFG_DEFAULT_CACHE	4096
#define ZT_CFG_DEFAULT_MIN_TTL	5
#define ZT_CFG_DEFAULT_MAX_TTL	86400
#define ZT_CFG_CREDS_VAR	"${CREDENTIALS_DIRECTORY}"

struct zt_listen {
	struct zt_addr addr;
	uint16_t port;			/* default 53 */
};

struct zt_server_cfg {
	struct zt_addr addr;
	uint16_t port;			/* default 853 */
	char *auth_name;		/* NULL: none (then pins are required) */
	/* With auth_name: ZT_CFG_DEFAULT_CA unless given; else NULL. */
	char *ca_file;
	unsigned int npins;
	uint8_t pins[ZT_CFG_MAX_PINS][32];
	char *client_cert;		/* both or neither */
	char *client_key;
	unsigned int line;		/* line of its [server] header */
};

struct zt_config {
	unsigned int nlisten;		/* default: 127.0.0.1:53 and [::1]:53 */
	struct zt_listen listen[ZT_CFG_MAX_LISTEN];
	char *user;			/* NULL: stay the user we started as */
	int mode;			/* ZTDNS_MODE_*, or -1: leave as it is */
	uint32_t min_ttl, max_ttl;	/* min_ttl <= max_ttl <= ZTDNS_TTL_LIMIT */
	size_t cache_size;
	unsigned int nsubnets;
	struct zt_subnet subnets[ZT_CFG_MAX_SUBNETS];
	unsigned int nservers;		/* at least 1 */
	struct zt_server_cfg servers[ZT_CFG_MAX_SERVERS];
};

/*
 * Parse @path into @cfg.  On error @cfg holds nothing to free and @err
 * says "PATH:LINE: key 'KEY': what is wrong" (or "PATH: ..." for an error
 * of the whole file).  Return: 0, or a negative errno.
 */
int zt_config_load(const char *path, struct zt_config *cfg, char *err,
		   size_t errsize);

/* The same from memory; @name stands for the path in messages. */
int zt_config_parse(const char *text, size_t len, const char *name,
		    struct zt_config *cfg, char *err, size_t errsize);

void zt_config_free(struct zt_config *cfg);

/* Whether @l is a loopback address (ztdnsd warns of any other). */
bool zt_listen_loopback(const struct zt_listen *l);

#endif /* ZTDNS_CONFIG_H */
