// SPDX-License-Identifier: GPL-2.0
/*
 * ztdnsd's configuration file; config.h gives the format and the rules.
 *
 * libinih splits lines and keys from values, but Debian builds it without
 * line numbers for the handler and without a call at a section header.  So
 * our reader, which libinih calls for each line in order before the
 * handler sees that line, counts the lines and parses section headers
 * itself.  It also hands libinih every line without its leading blanks:
 * an indented line is then a line of its own, never the continuation of a
 * multi-line value (Debian's INI_ALLOW_MULTILINE).  What libinih would
 * quietly take or cut is an error here: a NUL byte, a line longer than its
 * buffer (INI_MAX_LINE: 199 bytes in Debian's build), junk after a section
 * header, and (as the handler is not called for it) a line that is neither
 * a header nor KEY = VALUE.
 *
 * Comments, as libinih has them: a line whose first non-blank is ';' or
 * '#', and the rest of a key line from a ';' that follows a blank.  An
 * inline '#' is part of the value.  The first line may start with a UTF-8
 * byte order mark.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ini.h>
#include <mbedtls/base64.h>

#include "config.h"
#include "uapi/linux/ztdns.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define ZT_CFG_MAX_CACHE	1000000
#define ZT_CFG_MAX_FILE		(1 << 20)	/* bytes of a file */
#define ZT_CFG_MAX_KEYS		8		/* keys of a section */
#define ZT_PIN_PREFIX		"sha256/"
#define ZT_PIN_LEN		32		/* SHA-256 */
#define ZT_PIN_B64_LEN		44		/* its base64 */
#define ZT_BLANKS		" \t\r\v\f"
#define ZT_QUOTE_SIZE		1024		/* an escaped line fits */

struct zt_cfg_ctx;

/* A key of a section: its parser, and whether it may be given again. */
struct zt_key {
	const char *name;
	bool repeat;
	int (*parse)(struct zt_cfg_ctx *c, const char *key, const char *v);
};

struct zt_section {
	const char *name;
	const struct zt_key *keys;
	size_t nkeys;
	int (*start)(struct zt_cfg_ctx *c);	/* at its header */
	int (*finish)(struct zt_cfg_ctx *c);	/* at the next, or at EOF */
};

struct zt_cfg_ctx {
	struct zt_config *cfg;
	const char *name;		/* of the file, in messages */
	const char *pos, *end;		/* the text not read yet */
	unsigned int line;		/* the line libinih has */
	unsigned int pending;		/* a key line not handled yet, or 0 */
	const struct zt_section *sect;	/* NULL before the first header */
	unsigned int daemon_line;	/* of the [daemon] header, or 0 */
	unsigned int seen[ZT_CFG_MAX_KEYS]; /* line of each key of sect */
	char *err;
	size_t errsize;
	int ret;
	char quoted[ZT_QUOTE_SIZE];
};

/* Keys by their index in the tables below, for seen[]. */
enum { ZT_KEY_MIN_TTL = 3, ZT_KEY_MAX_TTL = 4 };
enum { ZT_KEY_CA_FILE = 3, ZT_KEY_CLIENT_CERT = 5, ZT_KEY_CLIENT_KEY = 6 };

/* @n bytes of @s escaped for a message; one at a time. */
static const char *zt_qn(struct zt_cfg_ctx *c, const char *s, size_t n)
{
	zt_text_escape(c->quoted, sizeof(c->quoted), s, n);
	return c->quoted;
}

static const char *zt_q(struct zt_cfg_ctx *c, const char *s)
{
	return zt_qn(c, s, strlen(s));
}

/*
 * Record the first error: "NAME:LINE: key 'KEY': " and the message, with
 * no LINE when it is 0 and no key when @key is NULL.  Return: -EINVAL, or
 * the error recorded before.
 */
static int zt_err(struct zt_cfg_ctx *c, unsigned int line, const char *key,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int zt_err(struct zt_cfg_ctx *c, unsigned int line, const char *key,
		  const char *fmt, ...)
{
	char k[ZT_QUOTE_SIZE];
	va_list ap;
	size_t n;

	if (c->ret)
		return c->ret;
	c->ret = -EINVAL;
	if (line)
		n = (size_t)snprintf(c->err, c->errsize, "%s:%u: ", c->name,
				     line);
	else
		n = (size_t)snprintf(c->err, c->errsize, "%s: ", c->name);
	if (key && n < c->errsize) {
		zt_text_escape(k, sizeof(k), key, strlen(key));
		n += (size_t)snprintf(c->err + n, c->errsize - n, "key '%s': ",
				      k);
	}
	if (n < c->errsize) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errsize - n, fmt, ap);
		va_end(ap);
	}
	return c->ret;
}

static int zt_nomem(struct zt_cfg_ctx *c)
{
	zt_err(c, c->line, NULL, "%s", strerror(ENOMEM));
	c->ret = -ENOMEM;
	return c->ret;
}

static struct zt_server_cfg *zt_server(struct zt_cfg_ctx *c)
{
	return &c->cfg->servers[c->cfg->nservers - 1];
}

static int zt_set_str(struct zt_cfg_ctx *c, char **field, const char *v)
{
	*field = strdup(v);
	return *field ? 0 : zt_nomem(c);
}

/* A number from 0 to @max. */
static int zt_set_u32(struct zt_cfg_ctx *c, const char *key, const char *v,
		      uint32_t max, uint32_t *out)
{
	uint32_t n;
	int ret;

	ret = zt_parse_u32(v, &n);
	if (ret == -EINVAL)
		return zt_err(c, c->line, key, "invalid number '%s'",
			      zt_q(c, v));
	if (ret || n > max)
		return zt_err(c, c->line, key, "'%s' is over %u", zt_q(c, v),
			      max);
	*out = n;
	return 0;
}

/*
 * ADDR (the port stays as it is), IPv4:PORT or [IPv6]:PORT.  Return: 0,
 * -EINVAL or -ERANGE (port 0 or over 65535).
 */
static int zt_parse_endpoint(const char *s, struct zt_addr *a,
			     uint16_t *port)
{
	char buf[INET6_ADDRSTRLEN];
	bool bracket = *s == '[';
	const char *colon;
	size_t n;

	if (!zt_parse_addr(s, a))
		return 0;
	if (bracket) {
		colon = strstr(s, "]:");
		if (colon)
			colon++;
	} else {
		colon = strrchr(s, ':');
	}
	if (!colon)
		return -EINVAL;
	n = (size_t)(colon - s) - 2 * bracket;
	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s + bracket, n);
	buf[n] = '\0';
	if (zt_parse_addr(buf, a) || (a->family == AF_INET6) != bracket)
		return -EINVAL;
	return zt_parse_port(colon + 1, port);
}

static int zt_key_listen(struct zt_cfg_ctx *c, const char *key, const char *v)
{
	struct zt_config *cfg = c->cfg;
	struct zt_listen *l = &cfg->listen[cfg->nlisten];
	int ret;

	if (cfg->nlisten == ZT_CFG_MAX_LISTEN)
		return zt_err(c, c->line, key, "more than %d addresses",
			      ZT_CFG_MAX_LISTEN);
	l->port = 53;
	ret = zt_parse_endpoint(v, &l->addr, &l->port);
	if (ret == -ERANGE)
		return zt_err(c, c->line, key, "port out of range in '%s'",
			      zt_q(c, v));
	if (ret)
		return zt_err(c, c->line, key,
			      "'%s' is not ADDR, ADDR:PORT or [ADDR6]:PORT",
			      zt_q(c, v));
	cfg->nlisten++;
	return 0;
}

static int zt_key_user(struct zt_cfg_ctx *c, const char *key, const char *v)
{
	(void)key;
	return zt_set_str(c, &c->cfg->user, v);
}

static int zt_key_mode(struct zt_cfg_ctx *c, const char *key, const char *v)
{
	int mode = zt_parse_mode(v);

	if (mode < 0)
		return zt_err(c, c->line, key,
			      "invalid mode '%s' (off, audit or enforce)",
			      zt_q(c, v));
	c->cfg->mode = mode;
	return 0;
}

static int zt_key_min_ttl(struct zt_cfg_ctx *c, const char *key,
			  const char *v)
{
	return zt_set_u32(c, key, v, ZTDNS_TTL_LIMIT, &c->cfg->min_ttl);
}

static int zt_key_max_ttl(struct zt_cfg_ctx *c, const char *key,
			  const char *v)
{
	return zt_set_u32(c, key, v, ZTDNS_TTL_LIMIT, &c->cfg->max_ttl);
}

static int zt_key_cache_size(struct zt_cfg_ctx *c, const char *key,
			     const char *v)
{
	uint32_t n;

	if (zt_set_u32(c, key, v, ZT_CFG_MAX_CACHE, &n))
		return c->ret;
	c->cfg->cache_size = n;
	return 0;
}

static int zt_key_subnet(struct zt_cfg_ctx *c, const char *key, const char *v)
{
	struct zt_config *cfg = c->cfg;
	struct zt_subnet *s = &cfg->subnets[cfg->nsubnets];

	if (cfg->nsubnets == ZT_CFG_MAX_SUBNETS)
		return zt_err(c, c->line, key, "more than %d subnets",
			      ZT_CFG_MAX_SUBNETS);
	switch (zt_parse_cidr(v, &s->addr, &s->plen)) {
	case 0:
		cfg->nsubnets++;
		return 0;
	case -ERANGE:
		return zt_err(c, c->line, key,
			      "prefix length too long in '%s'", zt_q(c, v));
	case -EDOM:
		return zt_err(c, c->line, key, "host bits set in '%s'",
			      zt_q(c, v));
	default:
		return zt_err(c, c->line, key, "invalid subnet '%s'",
			      zt_q(c, v));
	}
}

static int zt_key_address(struct zt_cfg_ctx *c, const char *key,
			  const char *v)
{
	if (zt_parse_addr(v, &zt_server(c)->addr))
		return zt_err(c, c->line, key,
			      "'%s' is not an IP address", zt_q(c, v));
	return 0;
}

static int zt_key_port(struct zt_cfg_ctx *c, const char *key, const char *v)
{
	if (zt_parse_port(v, &zt_server(c)->port))
		return zt_err(c, c->line, key,
			      "invalid port '%s' (1 to 65535)", zt_q(c, v));
	return 0;
}

static bool zt_is_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9');
}

/*
 * A host name: labels of 1 to 63 letters, digits and hyphens, not starting
 * or ending with a hyphen, joined by dots; 253 bytes at most, no final dot.
 */
static bool zt_host_name_ok(const char *s)
{
	size_t label = 0;
	const char *p;

	if (strlen(s) > 253)
		return false;
	for (p = s;; p++) {
		if (!*p || *p == '.') {
			if (!label || p[-1] == '-')
				return false;
			if (!*p)
				return true;
			label = 0;
		} else if (zt_is_alnum(*p) || (*p == '-' && label)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
}

static int zt_key_auth_name(struct zt_cfg_ctx *c, const char *key,
			    const char *v)
{
	if (!zt_host_name_ok(v))
		return zt_err(c, c->line, key, "invalid DNS name '%s'",
			      zt_q(c, v));
	return zt_set_str(c, &zt_server(c)->auth_name, v);
}

/*
 * A file's path; "${CREDENTIALS_DIRECTORY}" in it stands for the directory
 * where systemd put the unit's credentials (LoadCredential=).
 */
static int zt_set_path(struct zt_cfg_ctx *c, const char *key, char **field,
		       const char *v)
{
	const char *at = strstr(v, ZT_CFG_CREDS_VAR), *dir;
	size_t n;

	if (!at)
		return zt_set_str(c, field, v);
	dir = getenv("CREDENTIALS_DIRECTORY");
	if (!dir || !*dir)
		return zt_err(c, c->line, key,
			      "'%s': CREDENTIALS_DIRECTORY is not set (ztdnsd was not started with systemd's LoadCredential=)",
			      zt_q(c, v));
	if (strstr(at + 1, ZT_CFG_CREDS_VAR))
		return zt_err(c, c->line, key, "'%s': %s more than once",
			      zt_q(c, v), ZT_CFG_CREDS_VAR);
	n = strlen(v) - strlen(ZT_CFG_CREDS_VAR) + strlen(dir) + 1;
	*field = malloc(n);
	if (!*field)
		return zt_nomem(c);
	snprintf(*field, n, "%.*s%s%s", (int)(at - v), v, dir,
		 at + strlen(ZT_CFG_CREDS_VAR));
	return 0;
}

static int zt_key_ca_file(struct zt_cfg_ctx *c, const char *key,
			  const char *v)
{
	return zt_set_path(c, key, &zt_server(c)->ca_file, v);
}

/* "sha256/" and the base64 of ZT_PIN_LEN bytes, decoded into @pin. */
static bool zt_parse_pin(const char *s, uint8_t *pin)
{
	const size_t plen = strlen(ZT_PIN_PREFIX);
	size_t len;

	if (strncmp(s, ZT_PIN_PREFIX, plen) ||
	    strlen(s + plen) != ZT_PIN_B64_LEN)
		return false;
	return !mbedtls_base64_decode(pin, ZT_PIN_LEN, &len,
				      (const unsigned char *)s + plen,
				      ZT_PIN_B64_LEN) && len == ZT_PIN_LEN;
}

static int zt_key_pin(struct zt_cfg_ctx *c, const char *key, const char *v)
{
	struct zt_server_cfg *s = zt_server(c);
	uint8_t *pin = s->pins[s->npins];
	unsigned int i;

	if (s->npins == ZT_CFG_MAX_PINS)
		return zt_err(c, c->line, key, "more than %d pins",
			      ZT_CFG_MAX_PINS);
	if (!zt_parse_pin(v, pin))
		return zt_err(c, c->line, key,
			      "invalid pin '%s' (sha256/ and the base64 of 32 bytes)",
			      zt_q(c, v));
	for (i = 0; i < s->npins; i++)
		if (!memcmp(s->pins[i], pin, ZT_PIN_LEN))
			return zt_err(c, c->line, key, "duplicate pin '%s'",
				      zt_q(c, v));
	s->npins++;
	return 0;
}

static int zt_key_client_cert(struct zt_cfg_ctx *c, const char *key,
			      const char *v)
{
	return zt_set_path(c, key, &zt_server(c)->client_cert, v);
}

static int zt_key_client_key(struct zt_cfg_ctx *c, const char *key,
			     const char *v)
{
	return zt_set_path(c, key, &zt_server(c)->client_key, v);
}

static const struct zt_key zt_daemon_keys[] = {
	{ "listen", true, zt_key_listen },
	{ "user", false, zt_key_user },
	{ "mode", false, zt_key_mode },
	[ZT_KEY_MIN_TTL] = { "min_ttl", false, zt_key_min_ttl },
	[ZT_KEY_MAX_TTL] = { "max_ttl", false, zt_key_max_ttl },
	{ "cache_size", false, zt_key_cache_size },
	{ "allow_subnet", true, zt_key_subnet },
};

static const struct zt_key zt_server_keys[] = {
	{ "address", false, zt_key_address },
	{ "port", false, zt_key_port },
	{ "auth_name", false, zt_key_auth_name },
	[ZT_KEY_CA_FILE] = { "ca_file", false, zt_key_ca_file },
	{ "pin", true, zt_key_pin },
	[ZT_KEY_CLIENT_CERT] = { "client_cert", false, zt_key_client_cert },
	[ZT_KEY_CLIENT_KEY] = { "client_key", false, zt_key_client_key },
};

_Static_assert(ARRAY_SIZE(zt_daemon_keys) <= ZT_CFG_MAX_KEYS &&
	       ARRAY_SIZE(zt_server_keys) <= ZT_CFG_MAX_KEYS,
	       "seen[] too small");

static int zt_daemon_start(struct zt_cfg_ctx *c)
{
	if (c->daemon_line)
		return zt_err(c, c->line, NULL,
			      "second [daemon] section (the first is on line %u)",
			      c->daemon_line);
	c->daemon_line = c->line;
	return 0;
}

/* min_ttl <= max_ttl, or an error at the later of the two. */
static int zt_daemon_finish(struct zt_cfg_ctx *c)
{
	unsigned int min = c->seen[ZT_KEY_MIN_TTL];
	unsigned int max = c->seen[ZT_KEY_MAX_TTL];

	if (c->cfg->min_ttl <= c->cfg->max_ttl)
		return 0;
	return zt_err(c, min > max ? min : max,
		      min > max ? "min_ttl" : "max_ttl",
		      "min_ttl %u is over max_ttl %u", c->cfg->min_ttl,
		      c->cfg->max_ttl);
}

static int zt_server_start(struct zt_cfg_ctx *c)
{
	struct zt_config *cfg = c->cfg;

	if (cfg->nservers == ZT_CFG_MAX_SERVERS)
		return zt_err(c, c->line, NULL,
			      "more than %d [server] sections",
			      ZT_CFG_MAX_SERVERS);
	cfg->nservers++;
	zt_server(c)->port = 853;
	zt_server(c)->line = c->line;
	return 0;
}

static int zt_server_finish(struct zt_cfg_ctx *c)
{
	struct zt_server_cfg *s = zt_server(c), *o;
	char ep[ZT_ADDRSTRLEN];

	if (!s->addr.family)
		return zt_err(c, s->line, NULL, "[server] needs address");
	if (!s->auth_name && !s->npins)
		return zt_err(c, s->line, NULL,
			      "[server] needs auth_name or pin");
	/* Pins alone trust the key, not a CA: the file would be ignored. */
	if (s->ca_file && !s->auth_name)
		return zt_err(c, c->seen[ZT_KEY_CA_FILE], "ca_file",
			      "given without auth_name: with pins alone no CA is used");
	if (s->client_cert && !s->client_key)
		return zt_err(c, c->seen[ZT_KEY_CLIENT_CERT], "client_cert",
			      "given without client_key");
	if (s->client_key && !s->client_cert)
		return zt_err(c, c->seen[ZT_KEY_CLIENT_KEY], "client_key",
			      "given without client_cert");
	for (o = c->cfg->servers; o < s; o++)
		if (o->port == s->port &&
		    !memcmp(&o->addr, &s->addr, sizeof(s->addr)))
			return zt_err(c, s->line, NULL,
				      "[server] %s is also the one on line %u",
				      zt_format_addr(ep, sizeof(ep), &s->addr,
						     s->port), o->line);
	if (s->auth_name && !s->ca_file)
		return zt_set_str(c, &s->ca_file, ZT_CFG_DEFAULT_CA);
	return 0;
}

static const struct zt_section zt_sections[] = {
	{ "daemon", zt_daemon_keys, ARRAY_SIZE(zt_daemon_keys),
	  zt_daemon_start, zt_daemon_finish },
	{ "server", zt_server_keys, ARRAY_SIZE(zt_server_keys),
	  zt_server_start, zt_server_finish },
};

/*
 * A header ends the section before it.  "[NAME]", then only blanks or a
 * comment; @s has no leading blanks.
 */
static int zt_cfg_header(struct zt_cfg_ctx *c, const char *s)
{
	const char *end = strchr(s, ']');
	size_t i, n;

	if (c->sect && c->sect->finish(c))
		return c->ret;
	/* strchr() finds the NUL too: nothing after the ']' is fine. */
	if (!end || !strchr(";#", end[1 + strspn(end + 1, ZT_BLANKS)]))
		return zt_err(c, c->line, NULL, "invalid section header '%s'",
			      zt_q(c, s));
	n = (size_t)(end - s - 1);
	for (i = 0; i < ARRAY_SIZE(zt_sections); i++)
		if (strlen(zt_sections[i].name) == n &&
		    !memcmp(zt_sections[i].name, s + 1, n))
			break;
	if (i == ARRAY_SIZE(zt_sections))
		return zt_err(c, c->line, NULL, "unknown section '%s'",
			      zt_qn(c, s + 1, n));
	c->sect = &zt_sections[i];
	memset(c->seen, 0, sizeof(c->seen));
	return c->sect->start(c);
}

/*
 * libinih's reader: the next line of the text, without its leading blanks
 * and line break, into @buf of @size bytes; NULL at the end or on error.
 */
static char *zt_cfg_read(char *buf, int size, void *stream)
{
	struct zt_cfg_ctx *c = stream;
	const char *p = c->pos, *nl;
	size_t n;

	if (c->pending)
		zt_err(c, c->pending, NULL,
		       "expected [section] or key = value");
	if (c->ret || p == c->end)
		return NULL;
	c->line++;
	nl = memchr(p, '\n', (size_t)(c->end - p));
	n = (size_t)((nl ? nl : c->end) - p);
	c->pos = nl ? nl + 1 : c->end;
	if (memchr(p, '\0', n)) {
		zt_err(c, c->line, NULL, "NUL byte");
		return NULL;
	}
	if (n >= (size_t)size) {
		zt_err(c, c->line, NULL, "line longer than %d bytes", size - 1);
		return NULL;
	}
	if (c->line == 1 && n >= 3 && !memcmp(p, "\xef\xbb\xbf", 3)) {
		p += 3;
		n -= 3;
	}
	while (n && strchr(ZT_BLANKS, *p)) {
		p++;
		n--;
	}
	memcpy(buf, p, n);
	buf[n] = '\0';
	if (*buf == '[') {
		if (zt_cfg_header(c, buf))
			return NULL;
	} else if (*buf && !strchr(";#", *buf)) {
		c->pending = c->line;
	}
	return buf;
}

/* libinih's handler, for each KEY = VALUE of the line just read. */
static int zt_cfg_handle(void *user, const char *section, const char *key,
			 const char *v)
{
	struct zt_cfg_ctx *c = user;
	const struct zt_section *sect = c->sect;
	size_t i;

	(void)section;		/* c->sect, from our own reading of it */
	c->pending = 0;
	if (!sect)
		return !zt_err(c, c->line, key, "outside any section");
	for (i = 0; i < sect->nkeys; i++)
		if (!strcmp(key, sect->keys[i].name))
			break;
	if (i == sect->nkeys)
		return !zt_err(c, c->line, key, "unknown key in [%s]",
			       sect->name);
	if (c->seen[i] && !sect->keys[i].repeat)
		return !zt_err(c, c->line, key,
			       "given twice (first on line %u)", c->seen[i]);
	if (!c->seen[i])
		c->seen[i] = c->line;
	if (!*v)
		return !zt_err(c, c->line, key, "missing value");
	return !sect->keys[i].parse(c, key, v);
}

int zt_config_parse(const char *text, size_t len, const char *name,
		    struct zt_config *cfg, char *err, size_t errsize)
{
	static const struct zt_listen listen_default[] = {
		{ { AF_INET, { .bytes = { 127, 0, 0, 1 } } }, 53 },
		{ { AF_INET6, { .bytes = { [15] = 1 } } }, 53 },
	};
	struct zt_cfg_ctx c = {
		.cfg = cfg, .name = name, .pos = text, .end = text + len,
		.err = err, .errsize = errsize,
	};
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = -1;
	cfg->min_ttl = ZT_CFG_DEFAULT_MIN_TTL;
	cfg->max_ttl = ZT_CFG_DEFAULT_MAX_TTL;
	cfg->cache_size = ZT_CFG_DEFAULT_CACHE;
	if (errsize)
		*err = '\0';
	ret = ini_parse_stream(zt_cfg_read, &c, zt_cfg_handle, &c);
	/* A handler's error (recorded already), or one the reader missed. */
	if (ret)
		zt_err(&c, ret > 0 ? (unsigned int)ret : 0, NULL,
		       "libinih error %d", ret);
	if (!c.ret && c.sect)
		c.sect->finish(&c);
	if (!c.ret && !cfg->nservers)
		zt_err(&c, 0, NULL, "no [server] section");
	if (c.ret) {
		zt_config_free(cfg);
		return c.ret;
	}
	if (!cfg->nlisten) {
		memcpy(cfg->listen, listen_default, sizeof(listen_default));
		cfg->nlisten = ARRAY_SIZE(listen_default);
	}
	return 0;
}

int zt_config_load(const char *path, struct zt_config *cfg, char *err,
		   size_t errsize)
{
	char *text = malloc(ZT_CFG_MAX_FILE + 1);
	FILE *f = text ? fopen(path, "re") : NULL;
	size_t len = 0;
	int ret = 0;

	memset(cfg, 0, sizeof(*cfg));
	if (!f) {
		ret = -errno;
	} else {
		len = fread(text, 1, ZT_CFG_MAX_FILE + 1, f);
		if (ferror(f))
			ret = errno ? -errno : -EIO;
		else if (len > ZT_CFG_MAX_FILE)
			ret = -EFBIG;
		fclose(f);
	}
	if (ret)
		snprintf(err, errsize, "%s: cannot read: %s", path,
			 strerror(-ret));
	else
		ret = zt_config_parse(text, len, path, cfg, err, errsize);
	free(text);
	return ret;
}

bool zt_listen_loopback(const struct zt_listen *l)
{
	const char *special = zt_addr_special(&l->addr);

	return special && !strcmp(special, "loopback");
}

void zt_config_free(struct zt_config *cfg)
{
	struct zt_server_cfg *s;

	free(cfg->user);
	for (s = cfg->servers; s < cfg->servers + cfg->nservers; s++) {
		free(s->auth_name);
		free(s->ca_file);
		free(s->client_cert);
		free(s->client_key);
	}
	memset(cfg, 0, sizeof(*cfg));
}
