// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of daemon/config.c: a full file and its every value, the
 * defaults, the limits, and each error with the FILE:LINE it must name
 * (and that a failed parse leaves nothing to free); and of the files a
 * [server] names as daemon/tls.c reads them: a client key open to others
 * or not matching its certificate is refused.  Prints each failed case
 * and a count; exits 1 when any failed.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <endian.h>
#include <fcntl.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/tls.h"
#include "uapi/linux/ztdns.h"

#define CHECK_QUOTE_IN	/* the inputs are words: quote them */
#include "check.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* SHA-256 of the bytes 0 to 9, base64; and their first four bytes. */
#define PIN0 "sha256/bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0="
#define PIN1 "sha256/S/USLzRFVMU73i67jNK349FgCtYxw4Wl18ziPHeFRZo="
#define PIN2 "sha256/28G0yQD/5I1XW12lxjgEASX2XbD+PiRJS3bqmGRX2YY="
static const char *const pins[] = {
	PIN0, PIN1, PIN2,
	"sha256/CE/tCLl4r019GWp0RqhrWACeY2thHbFiEbZamq3/KcU=",
	"sha256/5S2cUIxQI0c0TYwHrZHL1gaK/HX/YpLwYqCco4HInnE=",
	"sha256/53uamunjCw29tvUQomTvneeBUB17a5KuiesFnFq3Q9s=",
	"sha256/Z1humPrSfaC5lovAOaHvNMk5ubjlI6i++J1HhgjF7PY=",
	"sha256/yjWHWPbSfmz0UnKTeXenSP2IOR22ec7afce/HwBe6Hk=",
	"sha256/vurXeZTPVzNB7Be1i79+s00nEcmTwdl2sSizGI3Bgpo=",
};

static const unsigned char pin_heads[][4] = {
	{ 0x6e, 0x34, 0x0b, 0x9c }, { 0x4b, 0xf5, 0x12, 0x2f },
	{ 0xdb, 0xc1, 0xb4, 0xc9 },
};

/* A [server] that passes, to follow the [daemon] of a test. */
#define SERVER "[server]\naddress = 192.0.2.53\nauth_name = dns.example\n"

static char err[512];

static void check_addr(const char *what, const struct zt_addr *a,
		       uint16_t port, const char *want)
{
	char buf[ZT_ADDRSTRLEN];

	check_str(what, want, zt_format_addr(buf, sizeof(buf), a, port), want);
}

/* A config that holds nothing: what a failed parse leaves. */
static void check_empty(const char *what, const char *in,
			const struct zt_config *cfg)
{
	static const struct zt_config zero;

	check_int(what, in, !memcmp(cfg, &zero, sizeof(zero)), 1);
}

static int parse(const char *text, struct zt_config *cfg)
{
	return zt_config_parse(text, strlen(text), "t.conf", cfg, err,
			       sizeof(err));
}

static const char full[] =
	"\xef\xbb\xbf; ztdnsd test configuration\n"
	"# a comment\n"
	"[daemon]\n"
	"listen = 127.0.0.1\n"
	"listen = 192.0.2.10:5353\n"
	"listen = [::1]:53\n"
	"listen = fd00::1:53           ; a bare IPv6 address, port 53\n"
	"  listen = [2001:db8::53]:65535\n"
	"user = ztdns\n"
	"mode = enforce\n"
	"min_ttl = 0\n"
	"max_ttl = 604800\n"
	"cache_size = 0\n"
	"allow_subnet = 10.0.0.0/8\n"
	"allow_subnet = fd00::/8\n"
	"\tallow_subnet = 192.0.2.7\n"
	"\n"
	"[server]\n"
	"address = 192.0.2.53\n"
	"auth_name = dns.example\n"
	"ca_file = ca/extra;1 ca.pem ; not ;1\n"
	"pin = " PIN0 "\n"
	"pin = " PIN1 " ; the backup key\n"
	"\n"
	"[server]   ; the second\n"
	"address = 2001:db8::53\n"
	"port: 8853\n"
	"pin=" PIN2 "\n"
	"client_cert = /etc/ztdns/client.crt\n"
	"client_key = client.key";

static void check_full(const char *what, const struct zt_config *cfg)
{
	const struct zt_server_cfg *s = &cfg->servers[0];

	check_int(what, "nlisten", cfg->nlisten, 5);
	check_addr(what, &cfg->listen[0].addr, cfg->listen[0].port,
		   "127.0.0.1:53");
	check_addr(what, &cfg->listen[1].addr, cfg->listen[1].port,
		   "192.0.2.10:5353");
	check_addr(what, &cfg->listen[2].addr, cfg->listen[2].port,
		   "[::1]:53");
	check_addr(what, &cfg->listen[3].addr, cfg->listen[3].port,
		   "[fd00::1:53]:53");
	check_addr(what, &cfg->listen[4].addr, cfg->listen[4].port,
		   "[2001:db8::53]:65535");
	check_str(what, "user", cfg->user, "ztdns");
	check_int(what, "mode", cfg->mode, ZTDNS_MODE_ENFORCE);
	check_int(what, "min_ttl", cfg->min_ttl, 0);
	check_int(what, "max_ttl", cfg->max_ttl, ZTDNS_TTL_LIMIT);
	check_int(what, "cache_size", (long long)cfg->cache_size, 0);
	check_int(what, "nsubnets", cfg->nsubnets, 3);
	check_addr(what, &cfg->subnets[0].addr, 0, "10.0.0.0");
	check_int(what, "subnet plen", cfg->subnets[0].plen, 8);
	check_addr(what, &cfg->subnets[1].addr, 0, "fd00::");
	check_int(what, "subnet plen", cfg->subnets[1].plen, 8);
	check_addr(what, &cfg->subnets[2].addr, 0, "192.0.2.7");
	check_int(what, "subnet plen", cfg->subnets[2].plen, 32);
	check_int(what, "nservers", cfg->nservers, 2);
	check_addr(what, &s->addr, s->port, "192.0.2.53:853");
	check_str(what, "auth_name", s->auth_name, "dns.example");
	check_str(what, "ca_file", s->ca_file, "ca/extra;1 ca.pem");
	check_int(what, "npins", s->npins, 2);
	check_int(what, "pin 0", !memcmp(s->pins[0], pin_heads[0], 4), 1);
	check_int(what, "pin 1", !memcmp(s->pins[1], pin_heads[1], 4), 1);
	check_int(what, "pin 0 end", s->pins[0][31], 0x1d);
	check_str(what, "client_cert", s->client_cert, NULL);
	check_str(what, "client_key", s->client_key, NULL);
	check_int(what, "line", s->line, 18);
	s++;
	check_addr(what, &s->addr, s->port, "[2001:db8::53]:8853");
	check_str(what, "auth_name", s->auth_name, NULL);
	check_str(what, "ca_file", s->ca_file, NULL);
	check_int(what, "npins", s->npins, 1);
	check_int(what, "pin 2", !memcmp(s->pins[0], pin_heads[2], 4), 1);
	check_str(what, "client_cert", s->client_cert,
		  "/etc/ztdns/client.crt");
	check_str(what, "client_key", s->client_key, "client.key");
	check_int(what, "line", s->line, 25);
}

static void test_full(void)
{
	struct zt_config cfg;
	char crlf[2 * sizeof(full)], *d;
	const char *p;

	check_int("full", "ret", parse(full, &cfg), 0);
	check_str("full", "err", err, "");
	check_full("full", &cfg);
	zt_config_free(&cfg);
	check_empty("zt_config_free", "full", &cfg);

	for (p = full, d = crlf; *p; p++) {
		if (*p == '\n')
			*d++ = '\r';
		*d++ = *p;
	}
	*d = '\0';
	check_int("full crlf", "ret", parse(crlf, &cfg), 0);
	check_full("full crlf", &cfg);
	zt_config_free(&cfg);
}

static void test_defaults(void)
{
	struct zt_config cfg;
	const struct zt_server_cfg *s = &cfg.servers[0];

	check_int("defaults", "ret", parse(SERVER, &cfg), 0);
	check_int("defaults", "nlisten", cfg.nlisten, 2);
	check_addr("defaults", &cfg.listen[0].addr, cfg.listen[0].port,
		   "127.0.0.1:53");
	check_addr("defaults", &cfg.listen[1].addr, cfg.listen[1].port,
		   "[::1]:53");
	check_str("defaults", "user", cfg.user, NULL);
	check_int("defaults", "mode", cfg.mode, -1);
	check_int("defaults", "min_ttl", cfg.min_ttl, ZT_CFG_DEFAULT_MIN_TTL);
	check_int("defaults", "max_ttl", cfg.max_ttl, ZT_CFG_DEFAULT_MAX_TTL);
	check_int("defaults", "cache_size", (long long)cfg.cache_size,
		  ZT_CFG_DEFAULT_CACHE);
	check_int("defaults", "nsubnets", cfg.nsubnets, 0);
	check_int("defaults", "nservers", cfg.nservers, 1);
	check_addr("defaults", &s->addr, s->port, "192.0.2.53:853");
	check_str("defaults", "ca_file", s->ca_file, ZT_CFG_DEFAULT_CA);
	check_int("defaults", "npins", s->npins, 0);
	check_int("defaults", "line", s->line, 1);
	zt_config_free(&cfg);

	/* Pins alone, no auth_name; an empty [daemon]; mode off. */
	check_int("pins only", "ret",
		  parse("[daemon]\nmode = off\n[server]\naddress = ::1\n"
			"pin = " PIN0 "\n", &cfg), 0);
	check_int("pins only", "mode", cfg.mode, ZTDNS_MODE_OFF);
	check_str("pins only", "auth_name", cfg.servers[0].auth_name, NULL);
	check_int("pins only", "npins", cfg.servers[0].npins, 1);
	check_str("pins only", "ca_file", cfg.servers[0].ca_file, NULL);
	zt_config_free(&cfg);
}

/* Files that parse; each is complete. */
static const char *const good_cases[] = {
	/* Only the TTL given is checked against the other's default. */
	"[daemon]\nmin_ttl = 86400\n" SERVER,
	"[daemon]\nmax_ttl = 5\n" SERVER,
	"[daemon]\nmin_ttl = 7\nmax_ttl = 7\n" SERVER,
	"[daemon]\ncache_size = 1000000\nmode = audit\n" SERVER,
	"[daemon]\nlisten = 0.0.0.0:1\nlisten = [::]:65535\nlisten = ::\n"
	SERVER,
	"[daemon]\nallow_subnet = 0.0.0.0/0\nallow_subnet = ::/0\n" SERVER,
	/* Same address, another port; same port, another address. */
	SERVER "[server]\naddress = 192.0.2.53\nport = 8853\n"
	"auth_name = b.example\n"
	"[server]\naddress = 192.0.2.54\nauth_name = dns.example\n",
	/* Host names at their limits. */
	"[server]\naddress = 192.0.2.1\nauth_name = a\n",
	"[server]\naddress = 192.0.2.1\nauth_name = x-1.EXAMPLE.org\n",
	"[server]\naddress = 192.0.2.1\nauth_name = 1.2.3.4\n",
	"[server]\naddress = 192.0.2.1\nauth_name = "
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n",
	/* Comments and blanks everywhere; ':' for '='; no final newline. */
	"; one\n# two\n\n  \r\n\t[server] # three\n\taddress : 192.0.2.1\n"
	"auth_name=dns.example\n  ; four\n",
	"[server]\r\naddress = 192.0.2.1\r\nauth_name = dns.example",
	/* An indented line is a line of its own, not a continuation. */
	"[server]\naddress = 192.0.2.1\n    auth_name = dns.example\n"
	"    pin = " PIN0 "\n",
	/* The same server twice is fine as IPv4 and IPv4-mapped IPv6. */
	SERVER "[server]\naddress = ::ffff:192.0.2.53\nauth_name = a.b\n",
};

static void test_good(void)
{
	struct zt_config cfg;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good_cases); i++) {
		check_int("good", good_cases[i], parse(good_cases[i], &cfg),
			  0);
		check_str("good err", good_cases[i], err, "");
		zt_config_free(&cfg);
	}
}

struct bad_case {
	const char *text;
	const char *want;	/* in the message */
};

static const struct bad_case bad_cases[] = {
	/* The file's shape. */
	{ "", "t.conf: no [server] section" },
	{ "[daemon]\nuser = x\n", "t.conf: no [server] section" },
	{ "[foo]\n", "t.conf:1: unknown section 'foo'" },
	{ SERVER "\n[Server]\n", "t.conf:5: unknown section 'Server'" },
	{ "[ server ]\n", "t.conf:1: unknown section ' server '" },
	{ "[]\n", "t.conf:1: unknown section ''" },
	{ "[\x7f\\]\n", "t.conf:1: unknown section '\\x7f\\\\'" },
	{ "[server\n", "t.conf:1: invalid section header '[server'" },
	{ "[server] x\n", "t.conf:1: invalid section header '[server] x'" },
	{ "[server]]\n", "t.conf:1: invalid section header '[server]]'" },
	{ "[daemon]\n" SERVER "[daemon]\n",
	  "t.conf:5: second [daemon] section (the first is on line 1)" },
	{ "user = x\n" SERVER, "t.conf:1: key 'user': outside any section" },
	{ "[server]\naddress 192.0.2.1\n",
	  "t.conf:2: expected [section] or key = value" },
	{ "[server]\n\n\nauth_name", "t.conf:4: expected [section] or key" },
	/* The first error wins, though libinih reads on after its own. */
	{ "[server]\nbogus\nport = 0\n", "t.conf:2: expected [section]" },
	{ "[server]\n= 1\n", "t.conf:2: key '': unknown key in [server]" },
	{ "[daemon]\nfoo = 1\n",
	  "t.conf:2: key 'foo': unknown key in [daemon]" },
	{ "[daemon]\nport = 1\n",
	  "t.conf:2: key 'port': unknown key in [daemon]" },
	{ "[server]\nlisten = ::1\n",
	  "t.conf:2: key 'listen': unknown key in [server]" },
	{ "[server]\nPort = 853\n",
	  "t.conf:2: key 'Port': unknown key in [server]" },
	{ "[server]\nfo\x01o = 1\n",
	  "t.conf:2: key 'fo\\x01o': unknown key in [server]" },
	/* A value spread over lines is two lines. */
	{ "[server]\nauth_name = dns.example\n  address = 192.0.2.1\n"
	  "  pin = x\n", "t.conf:4: key 'pin': invalid pin 'x'" },
	/* Keys given twice. */
	{ "[daemon]\nuser = a\n\nuser = b\n",
	  "t.conf:4: key 'user': given twice (first on line 2)" },
	{ "[daemon]\nmode = off\nmode = off\n", "t.conf:3: key 'mode': given" },
	{ "[daemon]\nmin_ttl = 1\nmin_ttl = 1\n", "t.conf:3: key 'min_ttl'" },
	{ "[daemon]\nmax_ttl = 1\nmax_ttl = 1\n", "t.conf:3: key 'max_ttl'" },
	{ "[daemon]\ncache_size = 1\ncache_size = 1\n",
	  "t.conf:3: key 'cache_size': given twice" },
	{ SERVER "port = 853\nport = 853\n",
	  "t.conf:5: key 'port': given twice (first on line 4)" },
	{ SERVER "address = 192.0.2.53\n", "t.conf:4: key 'address': given" },
	{ SERVER "auth_name = a\n", "t.conf:4: key 'auth_name': given twice" },
	{ SERVER "ca_file = a\nca_file = a\n", "t.conf:5: key 'ca_file'" },
	{ SERVER "client_cert = a\nclient_cert = a\n",
	  "t.conf:5: key 'client_cert': given twice" },
	{ SERVER "client_key = a\nclient_key = a\n",
	  "t.conf:5: key 'client_key': given twice" },
	/* A key of one [server] may be given again in the next. */
	{ SERVER SERVER, "t.conf:4: [server] 192.0.2.53:853 is also the one "
	  "on line 1" },
	{ SERVER "[server]\naddress = 192.0.2.54\n[server]\n"
	  "address = 192.0.2.54\nport = 853\npin = " PIN0 "\n",
	  "t.conf:4: [server] needs auth_name or pin" },
	/* Missing values. */
	{ "[daemon]\nuser =\n", "t.conf:2: key 'user': missing value" },
	{ "[daemon]\nuser = ; nobody\n",
	  "t.conf:2: key 'user': missing value" },
	{ "[daemon]\nlisten =\n", "t.conf:2: key 'listen': missing value" },
	{ SERVER "ca_file =\t\r\n", "t.conf:4: key 'ca_file': missing value" },
	{ SERVER "client_cert=\n", "t.conf:4: key 'client_cert': missing" },
	/* listen */
	{ "[daemon]\nlisten = localhost\n", "t.conf:2: key 'listen': "
	  "'localhost' is not ADDR, ADDR:PORT or [ADDR6]:PORT" },
	{ "[daemon]\nlisten = 127.0.0.1:0\n",
	  "t.conf:2: key 'listen': port out of range in '127.0.0.1:0'" },
	{ "[daemon]\nlisten = [::1]:65536\n",
	  "key 'listen': port out of range in '[::1]:65536'" },
	{ "[daemon]\nlisten = 127.0.0.1:\n", "'127.0.0.1:' is not ADDR" },
	{ "[daemon]\nlisten = 127.0.0.1:x\n", "'127.0.0.1:x' is not ADDR" },
	{ "[daemon]\nlisten = 127.0.0.1:+53\n", "'127.0.0.1:+53' is not" },
	{ "[daemon]\nlisten = 1.2.3.4:53:53\n", "'1.2.3.4:53:53' is not" },
	{ "[daemon]\nlisten = [127.0.0.1]:53\n", "'[127.0.0.1]:53' is not" },
	{ "[daemon]\nlisten = [::1]\n", "'[::1]' is not" },
	{ "[daemon]\nlisten = [::1]53\n", "'[::1]53' is not" },
	{ "[daemon]\nlisten = [::1:53\n", "'[::1:53' is not" },
	{ "[daemon]\nlisten = ::ffff:1.2.3.4:53\n", "'::ffff:1.2.3.4:53' is" },
	{ "[daemon]\nlisten = fe80::1%eth0\n", "'fe80::1%eth0' is not" },
	{ "[daemon]\nlisten = [0000:0000:0000:0000:0000:0000:0000:0000:0]:53\n",
	  "'[0000:0000:0000:0000:0000:0000:0000:0000:0]:53' is not" },
	{ "[daemon]\nlisten = 127.0.0.1 53\n", "'127.0.0.1 53' is not" },
	/* mode */
	{ "[daemon]\nmode = enforced\n",
	  "t.conf:2: key 'mode': invalid mode 'enforced' (off, audit or "
	  "enforce)" },
	{ "[daemon]\nmode = 2\n", "key 'mode': invalid mode '2'" },
	{ "[daemon]\nmode = \x1b[31m\n", "invalid mode '\\x1b[31m'" },
	{ "[daemon]\nmode = off # not a comment\n",
	  "invalid mode 'off # not a comment'" },
	/* TTLs */
	{ "[daemon]\nmin_ttl = -1\n",
	  "t.conf:2: key 'min_ttl': invalid number '-1'" },
	{ "[daemon]\nmin_ttl = 0x10\n", "key 'min_ttl': invalid number" },
	{ "[daemon]\nmax_ttl = 604801\n",
	  "t.conf:2: key 'max_ttl': '604801' is over 604800" },
	{ "[daemon]\nmax_ttl = 4294967296\n", "'4294967296' is over 604800" },
	{ "[daemon]\nmax_ttl = 60\nmin_ttl = 120\n" SERVER,
	  "t.conf:3: key 'min_ttl': min_ttl 120 is over max_ttl 60" },
	{ "[daemon]\nmin_ttl = 120\n\nmax_ttl = 60\n" SERVER,
	  "t.conf:4: key 'max_ttl': min_ttl 120 is over max_ttl 60" },
	{ SERVER "[daemon]\nmin_ttl = 86401\n",
	  "t.conf:5: key 'min_ttl': min_ttl 86401 is over max_ttl 86400" },
	{ "[daemon]\nmax_ttl = 4\n" SERVER,
	  "t.conf:2: key 'max_ttl': min_ttl 5 is over max_ttl 4" },
	/* cache_size */
	{ "[daemon]\ncache_size = 1000001\n",
	  "t.conf:2: key 'cache_size': '1000001' is over 1000000" },
	{ "[daemon]\ncache_size = 1k\n", "key 'cache_size': invalid number" },
	/* allow_subnet */
	{ "[daemon]\nallow_subnet = 10.0.0.1/8\n",
	  "t.conf:2: key 'allow_subnet': host bits set in '10.0.0.1/8'" },
	{ "[daemon]\nallow_subnet = fd00::1/8\n", "host bits set in" },
	{ "[daemon]\nallow_subnet = 10.0.0.0/33\n",
	  "key 'allow_subnet': prefix length too long in '10.0.0.0/33'" },
	{ "[daemon]\nallow_subnet = ::/129\n", "prefix length too long" },
	{ "[daemon]\nallow_subnet = 10.0.0.0/\n",
	  "key 'allow_subnet': invalid subnet '10.0.0.0/'" },
	{ "[daemon]\nallow_subnet = lan/8\n", "invalid subnet 'lan/8'" },
	/* address and port */
	{ "[server]\naddress = dns.example\n",
	  "t.conf:2: key 'address': 'dns.example' is not an IP address" },
	{ "[server]\naddress = 192.0.2.1:853\n", "'192.0.2.1:853' is not an" },
	{ "[server]\naddress = [::1]\n", "'[::1]' is not an IP address" },
	{ "[server]\nport = 0\n",
	  "t.conf:2: key 'port': invalid port '0' (1 to 65535)" },
	{ "[server]\nport = 65536\n", "invalid port '65536'" },
	{ "[server]\nport = 853 # DoT\n", "invalid port '853 # DoT'" },
	/* auth_name */
	{ "[server]\nauth_name = *.example\n",
	  "t.conf:2: key 'auth_name': invalid DNS name '*.example'" },
	{ "[server]\nauth_name = dns.example.\n", "name 'dns.example.'" },
	{ "[server]\nauth_name = .example\n", "name '.example'" },
	{ "[server]\nauth_name = dns..example\n", "name 'dns..example'" },
	{ "[server]\nauth_name = -dns.example\n", "name '-dns.example'" },
	{ "[server]\nauth_name = dns-.example\n", "name 'dns-.example'" },
	{ "[server]\nauth_name = dns_1.example\n", "name 'dns_1.example'" },
	{ "[server]\nauth_name = dns.example x\n", "name 'dns.example x'" },
	{ "[server]\nauth_name = d\xc3\xa9.example\n",
	  "name 'd\\xc3\\xa9.example'" },
	{ "[server]\nauth_name = "
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
	  "example\n", "t.conf:2: key 'auth_name': invalid DNS name" },
	/* pin */
	{ "[server]\npin = bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\n",
	  "t.conf:2: key 'pin': invalid pin 'bjQLnP" },
	{ "[server]\npin = "
	  "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n",
	  "key 'pin': invalid pin "
	  "'sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==' (sha256/ and "
	  "the base64 of 32 bytes)" },
	{ "[server]\npin = "
	  "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
	  "key 'pin': invalid pin" },
	{ "[server]\npin = "
	  "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
	  "key 'pin': invalid pin" },
	{ "[server]\npin = "
	  "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
	  "key 'pin': invalid pin" },
	{ "[server]\npin = "
	  "sha256/AAAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAA=\n",
	  "key 'pin': invalid pin" },
	{ "[server]\npin = "
	  "sha256/AAAAAAAAAAAAAAAAAAAAA*AAAAAAAAAAAAAAAAAAAAA=\n",
	  "key 'pin': invalid pin" },
	{ "[server]\npin = "
	  "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=A\n",
	  "key 'pin': invalid pin" },
	{ "[server]\npin = "
	  "SHA256/bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\n",
	  "key 'pin': invalid pin" },
	{ "[server]\npin = "
	  "sha1/bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\n",
	  "key 'pin': invalid pin" },
	{ "[server]\npin = sha256/\n", "key 'pin': invalid pin 'sha256/'" },
	{ "[server]\npin = sha25\n", "key 'pin': invalid pin 'sha25'" },
	{ "[server]\npin = " PIN0 "\npin = " PIN1 "\npin = " PIN0 "\n",
	  "t.conf:4: key 'pin': duplicate pin '" PIN0 "'" },
	/* The ends of a [server]: its header's line, or its key's. */
	{ "[server]\nauth_name = dns.example\n",
	  "t.conf:1: [server] needs address" },
	{ "[server]\n", "t.conf:1: [server] needs address" },
	{ "[server]\n[server]\n", "t.conf:1: [server] needs address" },
	{ "[server]\n[server\n", "t.conf:1: [server] needs address" },
	{ "[server]\naddress = 192.0.2.1\nca_file = /ca\n",
	  "t.conf:1: [server] needs auth_name or pin" },
	/* A CA file pins alone would ignore. */
	{ "[server]\naddress = 192.0.2.1\npin = " PIN0 "\nca_file = /ca\n",
	  "t.conf:4: key 'ca_file': given without auth_name: with pins alone "
	  "no CA is used" },
	{ "[server]\naddress = 192.0.2.1\nca_file = " ZT_CFG_DEFAULT_CA "\n"
	  "pin = " PIN0 "\n[daemon]\n", "t.conf:3: key 'ca_file': given "
	  "without auth_name" },
	{ SERVER "\n[server]\naddress = 192.0.2.1\n[daemon]\n",
	  "t.conf:5: [server] needs auth_name or pin" },
	{ SERVER "client_cert = c.pem\n\n",
	  "t.conf:4: key 'client_cert': given without client_key" },
	{ SERVER "client_key = k.pem\n[daemon]\n",
	  "t.conf:4: key 'client_key': given without client_cert" },
	{ "[server]\naddress = 2001:db8::1\nport = 8853\npin = " PIN0 "\n"
	  "[server]\nport = 8853\naddress = 2001:DB8:0::1\nauth_name = a\n",
	  "t.conf:5: [server] [2001:db8::1]:8853 is also the one on line 1" },
	{ "[server]\naddress = 192.0.2.1\n\357\273\277auth_name = a\n",
	  "t.conf:3: key '\\xef\\xbb\\xbfauth_name': unknown key in [server]" },
};

static void test_bad(void)
{
	struct zt_config cfg;
	const struct bad_case *t;
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		t = &bad_cases[i];
		ret = parse(t->text, &cfg);
		check_int("bad", t->text, ret, -EINVAL);
		check_empty("bad leaves nothing", t->text, &cfg);
		checks++;
		if (strstr(err, t->want))
			continue;
		failures++;
		printf("FAIL bad(\"%s\"): message \"%s\" lacks \"%s\"\n",
		       t->text, err, t->want);
	}
}

/* What zt_config_parse() says of @text, which has @len bytes. */
static void check_msg(const char *what, const char *text, size_t len,
		      const char *want)
{
	struct zt_config cfg;

	check_int(what, "ret", zt_config_parse(text, len, "t.conf", &cfg, err,
					       sizeof(err)), -EINVAL);
	check_str(what, "err", err, want);
	check_empty(what, "cfg", &cfg);
}

static void test_nul(void)
{
	static const char text[] = SERVER "pin = " PIN0 "\0\n";
	struct zt_config cfg;
	char small[16];

	check_msg("NUL byte", text, sizeof(text) - 1, "t.conf:4: NUL byte");
	check_msg("NUL byte at the end", "[server]\n\0", 10,
		  "t.conf:2: NUL byte");
	check_msg("the whole message", "[server]\nport = 0\n", 18,
		  "t.conf:2: key 'port': invalid port '0' (1 to 65535)");
	check_int("small err", "ret", zt_config_parse("[x]", 3, "t.conf", &cfg,
						      small, sizeof(small)),
		  -EINVAL);
	check_str("small err", "err", small, "t.conf:1: unkno");
	check_int("no err", "ret", zt_config_parse("[x]", 3, "t.conf", &cfg,
						   NULL, 0), -EINVAL);
	check_empty("no err", "cfg", &cfg);
}

static char big[64 * 1024];

/* Append to big[]. */
static void add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void add(const char *fmt, ...)
{
	size_t n = strlen(big);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(big + n, sizeof(big) - n, fmt, ap);
	va_end(ap);
}

static void check_big(const char *what, const char *want)
{
	struct zt_config cfg;
	int ret;

	ret = parse(big, &cfg);
	if (!want) {
		check_int(what, "ret", ret, 0);
		check_str(what, "err", err, "");
		zt_config_free(&cfg);
		return;
	}
	check_int(what, "ret", ret, -EINVAL);
	check_str(what, "err", err, want);
	check_empty(what, "cfg", &cfg);
}

static void test_limits(void)
{
	unsigned int i;

	*big = '\0';
	for (i = 0; i < ZT_CFG_MAX_SERVERS; i++)
		add("[server]\naddress = 192.0.2.%u\nauth_name = a%u\n"
		    "client_cert = c\nclient_key = k\nca_file = ca\n", i, i);
	check_big("16 servers", NULL);
	add("[server]\n");
	check_big("17 servers",
		  "t.conf:97: more than 16 [server] sections");

	strcpy(big, "[daemon]\n");
	for (i = 0; i < ZT_CFG_MAX_LISTEN; i++)
		add("listen = 127.0.0.%u:%u\n", i, 1000 + i);
	add(SERVER);
	check_big("16 listen", NULL);
	add("[daemon]\nlisten = ::1\n");
	check_big("second daemon", "t.conf:21: second [daemon] section "
		  "(the first is on line 1)");
	big[strlen(big) - strlen("[daemon]\nlisten = ::1\n")] = '\0';
	big[strlen(big) - strlen(SERVER)] = '\0';
	add("listen = ::1\n");
	check_big("17 listen",
		  "t.conf:18: key 'listen': more than 16 addresses");

	strcpy(big, "[daemon]\n");
	for (i = 0; i < ZT_CFG_MAX_SUBNETS; i++)
		add("allow_subnet = 10.%u.%u.0/24\n", i / 256, i % 256);
	add(SERVER);
	check_big("256 subnets", NULL);
	big[strlen(big) - strlen(SERVER)] = '\0';
	add("allow_subnet = fd00::/8\n");
	check_big("257 subnets",
		  "t.conf:258: key 'allow_subnet': more than 256 subnets");

	strcpy(big, "[server]\naddress = ::1\n");
	for (i = 0; i < ZT_CFG_MAX_PINS; i++)
		add("pin = %s\n", pins[i]);
	check_big("8 pins", NULL);
	add("pin = %s\n", pins[ZT_CFG_MAX_PINS]);
	check_big("9 pins", "t.conf:11: key 'pin': more than 8 pins");
}

/* libinih's lines have 199 bytes at most; a longer one is not cut. */
static void test_long_lines(void)
{
	char *line;

	strcpy(big, SERVER "client_key = k\n");
	line = big + strlen(big);
	memset(line, 'a', 199);
	memcpy(line, "client_cert = /", strlen("client_cert = /"));
	strcpy(line + 199, "\n");
	check_big("199 bytes", NULL);
	strcpy(line + 199, "a\n");
	check_big("200 bytes", "t.conf:5: line longer than 199 bytes");
	line[200] = '\0';
	check_big("200 bytes at EOF", "t.conf:5: line longer than 199 bytes");
	strcpy(big, "[server]\n");
	line = big + strlen(big);
	memset(line, ';', 1000);
	line[1000] = '\0';
	check_big("long comment", "t.conf:2: line longer than 199 bytes");
}

static void test_load(void)
{
	char dir[] = "/tmp/config_test.XXXXXX", path[64], want[160];
	struct zt_config cfg;
	unsigned int i;
	FILE *f;

	if (!mkdtemp(dir)) {
		printf("FAIL mkdtemp: %s\n", strerror(errno));
		failures++;
		return;
	}
	snprintf(path, sizeof(path), "%s/ztdnsd.conf", dir);
	f = fopen(path, "w");
	fputs(full, f);
	fclose(f);
	check_int("load", "ret", zt_config_load(path, &cfg, err, sizeof(err)),
		  0);
	check_full("load", &cfg);
	zt_config_free(&cfg);

	f = fopen(path, "w");
	fputs("[server]\naddress = ::1\nport = 99999\n", f);
	fclose(f);
	check_int("load bad", "ret",
		  zt_config_load(path, &cfg, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want),
		 "%s:3: key 'port': invalid port '99999' (1 to 65535)", path);
	check_str("load bad", "err", err, want);
	check_empty("load bad", "cfg", &cfg);

	/* Over 1 MiB of comments. */
	f = fopen(path, "w");
	for (i = 0; i < 30000; i++)
		fputs("; ..............................................\n", f);
	fclose(f);
	check_int("load big", "ret",
		  zt_config_load(path, &cfg, err, sizeof(err)), -EFBIG);
	snprintf(want, sizeof(want), "%s: cannot read: %s", path,
		 strerror(EFBIG));
	check_str("load big", "err", err, want);
	check_empty("load big", "cfg", &cfg);
	unlink(path);

	check_int("load missing", "ret",
		  zt_config_load(path, &cfg, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want),
		 "%s: cannot read: No such file or directory", path);
	check_str("load missing", "err", err, want);
	check_empty("load missing", "cfg", &cfg);

	check_int("load directory", "ret",
		  zt_config_load(dir, &cfg, err, sizeof(err)), -EISDIR);
	snprintf(want, sizeof(want), "%s: cannot read: Is a directory", dir);
	check_str("load directory", "err", err, want);
	rmdir(dir);
}

/* ${CREDENTIALS_DIRECTORY} in the paths of files. */
static void test_credentials(void)
{
	static const char text[] =
		"[server]\naddress = 192.0.2.1\nauth_name = a\n"
		"ca_file = ${CREDENTIALS_DIRECTORY}/ca.pem\n"
		"client_cert = /etc/c.pem\n"
		"client_key = ${CREDENTIALS_DIRECTORY}\n";
	struct zt_config cfg;

	unsetenv("CREDENTIALS_DIRECTORY");
	check_int("creds unset", "ret", parse(text, &cfg), -EINVAL);
	check_str("creds unset", "err", err,
		  "t.conf:4: key 'ca_file': '${CREDENTIALS_DIRECTORY}/ca.pem': "
		  "CREDENTIALS_DIRECTORY is not set (ztdnsd was not started "
		  "with systemd's LoadCredential=)");
	check_empty("creds unset", "cfg", &cfg);

	setenv("CREDENTIALS_DIRECTORY", "/run/credentials/ztdnsd.service", 1);
	check_int("creds", "ret", parse(text, &cfg), 0);
	check_str("creds", "ca_file", cfg.servers[0].ca_file,
		  "/run/credentials/ztdnsd.service/ca.pem");
	check_str("creds", "client_cert", cfg.servers[0].client_cert,
		  "/etc/c.pem");
	check_str("creds", "client_key", cfg.servers[0].client_key,
		  "/run/credentials/ztdnsd.service");
	zt_config_free(&cfg);

	check_int("creds twice", "ret",
		  parse("[server]\nclient_key = ${CREDENTIALS_DIRECTORY}/"
			"${CREDENTIALS_DIRECTORY}\n", &cfg), -EINVAL);
	check_str("creds twice", "err", err,
		  "t.conf:2: key 'client_key': '${CREDENTIALS_DIRECTORY}/"
		  "${CREDENTIALS_DIRECTORY}': ${CREDENTIALS_DIRECTORY} more "
		  "than once");
	/* Only that variable, and only in file names. */
	check_int("other variable", "ret",
		  parse("[server]\naddress = 192.0.2.1\nauth_name = a\n"
			"client_cert = ${HOME}/c\n"
			"client_key = $CREDENTIALS_DIRECTORY/k\n", &cfg), 0);
	check_str("other variable", "client_cert", cfg.servers[0].client_cert,
		  "${HOME}/c");
	check_str("other variable", "client_key", cfg.servers[0].client_key,
		  "$CREDENTIALS_DIRECTORY/k");
	zt_config_free(&cfg);
	check_int("creds in auth_name", "ret",
		  parse("[server]\naddress = 192.0.2.1\n"
			"auth_name = ${CREDENTIALS_DIRECTORY}\n", &cfg),
		  -EINVAL);
	check_str("creds in auth_name", "err", err,
		  "t.conf:3: key 'auth_name': invalid DNS name "
		  "'${CREDENTIALS_DIRECTORY}'");
	unsetenv("CREDENTIALS_DIRECTORY");
}

static void test_loopback(void)
{
	static const struct {
		const char *addr;
		bool loopback;
	} cases[] = {
		{ "127.0.0.1", true }, { "127.255.0.53", true },
		{ "::1", true }, { "::ffff:127.0.0.1", true },
		{ "0.0.0.0", false }, { "::", false }, { "192.0.2.1", false },
		{ "10.0.0.1", false }, { "fe80::1", false }, { "::2", false },
		{ "128.0.0.1", false },
	};
	struct zt_listen l = { .port = 53 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		check_int("loopback parse", cases[i].addr,
			  zt_parse_addr(cases[i].addr, &l.addr), 0);
		check_int("loopback", cases[i].addr, zt_listen_loopback(&l),
			  cases[i].loopback);
	}
}

/*
 * Throwaway EC P-256 keys for this test only, and a self-signed
 * certificate (100 years) of the first.
 */
static const char key_a[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgoWOn7u9hItiHahd4\n"
	"3HSYKRKePL99/OsZDOg0h8y1FiChRANCAAQD2xZAN1D79Vc7QcHDlvSgChLH/eTc\n"
	"ujuhTkCT7CTuofqWzVvJYRD8xtqJQg1CHu84y2nUT7RqJuggaYKciYnx\n"
	"-----END PRIVATE KEY-----\n";
static const char cert_a[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBizCCATGgAwIBAgIUYK9mtxeOYIbaK+3JIvtpkLdJ3wAwCgYIKoZIzj0EAwIw\n"
	"GjEYMBYGA1UEAwwPenRkbnMtdW5pdC10ZXN0MCAXDTI2MTIwNzE4MDIxM1oYDzIx\n"
	"MjYxMTEzMTgwMjEzWjAaMRgwFgYDVQQDDA96dGRucy11bml0LXRlc3QwWTATBgcq\n"
	"hkjOPQIBBggqhkjOPQMBBwNCAAQD2xZAN1D79Vc7QcHDlvSgChLH/eTcujuhTkCT\n"
	"7CTuofqWzVvJYRD8xtqJQg1CHu84y2nUT7RqJuggaYKciYnxo1MwUTAdBgNVHQ4E\n"
	"FgQU0OrWtp1NrB9TWTsY5cz9q2ckRaYwHwYDVR0jBBgwFoAU0OrWtp1NrB9TWTsY\n"
	"5cz9q2ckRaYwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiBYRtZ3\n"
	"NLICR3ckoCyAMwaYg/9gD3Fej/cvLPlDP9/QhAIhAMd79PKHDJotWzOa5dbFcD7P\n"
	"b8I88cekWKGVuQ+i0YEM\n"
	"-----END CERTIFICATE-----\n";
static const char key_b[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgsjuIDJNFc2tR5HG5\n"
	"6Unffe8UbqfvAJQFrM0u6L7fMh2hRANCAAS8epDTq+2dF49pRy4dyD17gRr3sWAq\n"
	"+nb9jyK1EJJ+DwM9n5zaQZMGCtNn+etYLyYd8/r2tUd093br3CZ8ZIRe\n"
	"-----END PRIVATE KEY-----\n";

static char tls_dir[64];	/* mkdtemp()'s, in test_tls_files() */

/* DIR/NAME with @text and @mode; its path, until the 4th call after. */
static const char *put(const char *name, const char *text, mode_t mode)
{
	static char path[4][96];
	static unsigned int next;
	char *p = path[next++ % ARRAY_SIZE(path)];
	FILE *f;

	snprintf(p, sizeof(path[0]), "%s/%s", tls_dir, name);
	unlink(p);
	f = fopen(p, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) || chmod(p, mode)) {
		printf("FAIL writing %s: %s\n", p, strerror(errno));
		failures++;
	}
	return p;
}

/* ztls_ctx_new() of @s: NULL (success) or its error, which must hold @want. */
static void check_ctx(const char *what, const struct zt_server_cfg *s,
		      const char *want)
{
	struct ztls_ctx *ctx;
	char e[512] = "";

	ctx = ztls_ctx_new(s, e, sizeof(e));
	ztls_ctx_free(ctx);
	checks++;
	if (!want ? !!ctx : (!ctx && strstr(e, want)))
		return;
	failures++;
	printf("FAIL tls %s: got %s \"%s\", want %s \"%s\"\n", what,
	       ctx ? "success" : "error", e, want ? "error" : "success",
	       want ? want : "");
}

/* A pins-only server with client @cert and @key. */
static void check_tls(const char *what, const char *cert, const char *key,
		      const char *want)
{
	struct zt_server_cfg s = { .npins = 1, .client_cert = (char *)cert,
				   .client_key = (char *)key };

	check_ctx(what, &s, want);
}

/* A server verified by the CA file @ca. */
static void check_ca(const char *what, const char *ca, const char *want)
{
	struct zt_server_cfg s = { .auth_name = "dns.example",
				   .ca_file = (char *)ca };

	check_ctx(what, &s, want);
}

/* Give @path an access ACL: owner rw, user @uid (or group @gid) r. */
static int set_acl(const char *path, int tag, uint32_t id)
{
	struct {
		struct posix_acl_xattr_header h;
		struct posix_acl_xattr_entry e[5];
	} acl = { .h.a_version = htole32(POSIX_ACL_XATTR_VERSION) };
	const uint16_t tags[] = { ACL_USER_OBJ, ACL_GROUP_OBJ, ACL_MASK,
				  ACL_OTHER };
	const uint16_t perms[] = { ACL_READ | ACL_WRITE, 0, ACL_READ, 0 };
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(tags); i++) {
		/* Entries in the kernel's order: USER after USER_OBJ ... */
		if (tags[i] == (tag == ACL_USER ? ACL_GROUP_OBJ : ACL_MASK)) {
			acl.e[n].e_tag = htole16(tag);
			acl.e[n].e_perm = htole16(ACL_READ);
			acl.e[n].e_id = htole32(id);
			n++;
		}
		acl.e[n].e_tag = htole16(tags[i]);
		acl.e[n].e_perm = htole16(perms[i]);
		acl.e[n].e_id = htole32(ACL_UNDEFINED_ID);
		n++;
	}
	return setxattr(path, "system.posix_acl_access", &acl,
			sizeof(acl.h) + n * sizeof(acl.e[0]), 0);
}

static void test_tls_files(void)
{
	char cert[96], want[256];
	const char *key;

	snprintf(tls_dir, sizeof(tls_dir), "/tmp/config_test_tls.XXXXXX");
	if (!mkdtemp(tls_dir)) {
		printf("FAIL mkdtemp: %s\n", strerror(errno));
		failures++;
		return;
	}
	snprintf(cert, sizeof(cert), "%s", put("a.pem", cert_a, 0644));
	key = put("a.key", key_a, 0600);
	check_tls("key of its certificate", cert, key, NULL);
	key = put("a.key", key_a, 0400);
	check_tls("read-only key", cert, key, NULL);

	key = put("a.key", key_a, 0640);
	snprintf(want, sizeof(want),
		 "client key '%s' is open to its group (mode 0640): it must be private to ztdnsd's user (chmod 600)",
		 key);
	check_tls("group-readable key", cert, key, want);
	key = put("a.key", key_a, 0604);
	check_tls("world-readable key", cert, key,
		  "is open to others (mode 0604)");
	key = put("a.key", key_a, 0620);
	check_tls("group-writable key", cert, key, "is open to its group");
	key = put("a.key", key_a, 0601);
	check_tls("key with x for others", cert, key, "is open to others");

	/*
	 * An ACL entry for ztdnsd's own user (how systemd hands a
	 * credential to a DynamicUser=): the group bits show the mask, and
	 * the key is still private.  For another user or a group: open.
	 */
	key = put("a.key", key_a, 0600);
	if (set_acl(key, ACL_USER, geteuid())) {
		printf("SKIP ACL cases: %s\n", strerror(errno));
	} else {
		check_tls("ACL for our user", cert, key, NULL);
		key = put("a.key", key_a, 0600);
		set_acl(key, ACL_USER, geteuid() + 1);
		check_tls("ACL for another user", cert, key,
			  "is open to another user (ACL) (mode 0640)");
		key = put("a.key", key_a, 0600);
		set_acl(key, ACL_GROUP, 0);
		check_tls("ACL for a group", cert, key,
			  "is open to a group (ACL)");
	}

	/*
	 * Another user's key, even private, is that user's: refused, unless
	 * it is the user ztdnsd changes to.  (As root only: chown.)
	 */
	key = put("a.key", key_a, 0600);
	if (geteuid() || chown(key, 4242, -1)) {
		printf("SKIP owner cases: not root\n");
	} else {
		snprintf(want, sizeof(want),
			 "client key '%s' belongs to user 4242: it must belong to root or to ztdnsd's user",
			 key);
		check_tls("another user's key", cert, key, want);
		ztls_set_user(4242);
		check_tls("key of the user ztdnsd changes to", cert, key,
			  NULL);
		ztls_set_user((uid_t)-1);
		if (chown(key, 0, -1) || set_acl(key, ACL_USER, 4242)) {
			printf("SKIP ACL owner cases: %s\n", strerror(errno));
		} else {
			check_tls("root's key with an ACL for another user",
				  cert, key, "is open to another user (ACL)");
			ztls_set_user(4242);
			check_tls("ACL for the user ztdnsd changes to", cert,
				  key, NULL);
			ztls_set_user((uid_t)-1);
		}
	}

	/* A CA file others can change, or a FIFO: refused. */
	check_ca("CA file of root's", put("ca.pem", cert_a, 0644), NULL);
	check_ca("group-writable CA file", put("ca.pem", cert_a, 0664),
		 "can be changed by others (owner 0, mode 0664)");
	check_ca("world-writable CA file", put("ca.pem", cert_a, 0646),
		 "can be changed by others");
	check_ca("CA directory", tls_dir, "is not a regular file");
	snprintf(want, sizeof(want), "%s/fifo", tls_dir);
	if (mkfifo(want, 0600)) {
		printf("SKIP FIFO cases: %s\n", strerror(errno));
	} else {
		check_ca("CA FIFO", want, "is not a regular file");
		check_tls("key FIFO", cert, want, "is not a regular file");
		unlink(want);
	}

	key = put("b.key", key_b, 0600);
	snprintf(want, sizeof(want),
		 "client key '%s' is not the key of client certificate '%s'",
		 key, cert);
	check_tls("another key", cert, key, want);
	key = put("b.key", "", 0600);
	check_tls("empty key", cert, key, "is empty");
	key = put("b.key", "not a key\n", 0600);
	check_tls("not a key", cert, key, "cannot read client key");
	snprintf(want, sizeof(want), "%s/missing.key", tls_dir);
	check_tls("missing key", cert, want,
		  "missing.key': No such file or directory");
	check_tls("directory", cert, tls_dir, "is not a regular file");
	check_tls("certificate as key", cert, put("c.key", cert_a, 0600),
		  "cannot read client key");

	unlink(put("a.pem", "", 0600));
	unlink(put("a.key", "", 0600));
	unlink(put("b.key", "", 0600));
	unlink(put("c.key", "", 0600));
	unlink(put("ca.pem", "", 0600));
	rmdir(tls_dir);
}

int main(void)
{
	test_full();
	test_defaults();
	test_good();
	test_bad();
	test_nul();
	test_limits();
	test_long_lines();
	test_load();
	test_credentials();
	test_loopback();
	test_tls_files();
	return check_done("config_test");
}
