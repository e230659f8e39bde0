// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of daemon/parse.c: good and bad words for every parser,
 * exact outputs for every formatter.  Prints each failed case and a count;
 * exits 1 when any failed.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/parse.h"
#include "uapi/linux/ztdns.h"

#define CHECK_QUOTE_IN	/* the inputs are words: quote them */
#include "check.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct addr_case {
	const char *in;
	int ret;
	int family;
	unsigned char bytes[16];
};

#define BAD_ADDR(s, err) { s, err, 0, { 0 } }

static const struct addr_case addr_cases[] = {
	{ "192.0.2.1", 0, AF_INET, { 192, 0, 2, 1 } },
	{ "0.0.0.0", 0, AF_INET, { 0 } },
	{ "255.255.255.255", 0, AF_INET, { 255, 255, 255, 255 } },
	{ "::", 0, AF_INET6, { 0 } },
	{ "::1", 0, AF_INET6, { [15] = 1 } },
	{ "2001:db8::7", 0, AF_INET6, { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 } },
	{ "2001:DB8:0:0:0:0:0:FF", 0, AF_INET6,
	  { 0x20, 0x01, 0x0d, 0xb8, [15] = 0xff } },
	{ "::ffff:192.0.2.1", 0, AF_INET6,
	  { [10] = 0xff, 0xff, 192, 0, 2, 1 } },
	BAD_ADDR("", -EINVAL),
	BAD_ADDR("1.2.3", -EINVAL),
	BAD_ADDR("1.2.3.4.5", -EINVAL),
	BAD_ADDR("256.1.1.1", -EINVAL),
	BAD_ADDR("1.2.3.-4", -EINVAL),
	BAD_ADDR("01.2.3.4", -EINVAL),
	BAD_ADDR("0x7f.0.0.1", -EINVAL),
	BAD_ADDR(" 1.2.3.4", -EINVAL),
	BAD_ADDR("1.2.3.4 ", -EINVAL),
	BAD_ADDR("1.2.3.4x", -EINVAL),
	BAD_ADDR("1.2.3.4/32", -EINVAL),
	BAD_ADDR("1.2.3.4:53", -EINVAL),
	BAD_ADDR("fe80::1%eth0", -EINVAL),
	BAD_ADDR("fe80::1%1", -EINVAL),
	BAD_ADDR("[::1]", -EINVAL),
	BAD_ADDR("1::2::3", -EINVAL),
	BAD_ADDR("12345::", -EINVAL),
	BAD_ADDR("::1:", -EINVAL),
	BAD_ADDR("localhost", -EINVAL),
};

static void test_addr(void)
{
	const struct addr_case *t;
	struct zt_addr a;
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(addr_cases); i++) {
		t = &addr_cases[i];
		ret = zt_parse_addr(t->in, &a);
		check_int("zt_parse_addr", t->in, ret, t->ret);
		if (ret || t->ret)
			continue;
		check_int("zt_parse_addr family", t->in, a.family, t->family);
		check_bytes("zt_parse_addr", t->in, a.bytes, t->bytes,
			    sizeof(a.bytes));
	}
}

struct cidr_case {
	const char *in;
	int ret;
	unsigned int plen;	/* on 0 and -EDOM */
	int family;
	unsigned char bytes[16];
};

#define BAD_CIDR(s, err) { s, err, 0, 0, { 0 } }

static const struct cidr_case cidr_cases[] = {
	{ "192.0.2.0/24", 0, 24, AF_INET, { 192, 0, 2, 0 } },
	{ "192.0.2.1", 0, 32, AF_INET, { 192, 0, 2, 1 } },
	{ "192.0.2.1/32", 0, 32, AF_INET, { 192, 0, 2, 1 } },
	{ "0.0.0.0/0", 0, 0, AF_INET, { 0 } },
	{ "10.0.0.0/7", 0, 7, AF_INET, { 10 } },
	{ "10.0.0.0/008", 0, 8, AF_INET, { 10 } },
	{ "::/0", 0, 0, AF_INET6, { 0 } },
	{ "::1", 0, 128, AF_INET6, { [15] = 1 } },
	{ "2001:db8::/32", 0, 32, AF_INET6, { 0x20, 0x01, 0x0d, 0xb8 } },
	{ "2001:db8::/29", 0, 29, AF_INET6, { 0x20, 0x01, 0x0d, 0xb8 } },
	{ "192.0.2.1/24", -EDOM, 24, AF_INET, { 192, 0, 2, 1 } },
	{ "10.0.0.0/6", -EDOM, 6, AF_INET, { 10 } },
	{ "11.0.0.0/7", -EDOM, 7, AF_INET, { 11 } },
	{ "0.0.0.1/0", -EDOM, 0, AF_INET, { 0, 0, 0, 1 } },
	{ "2001:db8::1/64", -EDOM, 64, AF_INET6,
	  { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } },
	{ "2001:db8::/28", -EDOM, 28, AF_INET6, { 0x20, 0x01, 0x0d, 0xb8 } },
	BAD_CIDR("192.0.2.0/33", -ERANGE),
	BAD_CIDR("::/129", -ERANGE),
	BAD_CIDR("192.0.2.0/4294967296", -ERANGE),
	BAD_CIDR("", -EINVAL),
	BAD_CIDR("/24", -EINVAL),
	BAD_CIDR("192.0.2.0/", -EINVAL),
	BAD_CIDR("192.0.2.0/+24", -EINVAL),
	BAD_CIDR("192.0.2.0/-1", -EINVAL),
	BAD_CIDR("192.0.2.0/ 24", -EINVAL),
	BAD_CIDR("192.0.2.0 /24", -EINVAL),
	BAD_CIDR("192.0.2.0/24 ", -EINVAL),
	BAD_CIDR("192.0.2.0/24/8", -EINVAL),
	BAD_CIDR("192.0.2.0/0x18", -EINVAL),
	BAD_CIDR("192.0.2/24", -EINVAL),
	BAD_CIDR("fe80::%eth0/64", -EINVAL),
	BAD_CIDR("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255x/128", -EINVAL),
};

static void test_cidr(void)
{
	const struct cidr_case *t;
	unsigned int plen;
	struct zt_addr a;
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(cidr_cases); i++) {
		t = &cidr_cases[i];
		plen = 999;
		ret = zt_parse_cidr(t->in, &a, &plen);
		check_int("zt_parse_cidr", t->in, ret, t->ret);
		if (ret != t->ret || (ret && ret != -EDOM))
			continue;
		check_int("zt_parse_cidr plen", t->in, plen, t->plen);
		check_int("zt_parse_cidr family", t->in, a.family, t->family);
		check_bytes("zt_parse_cidr", t->in, a.bytes, t->bytes,
			    sizeof(a.bytes));
	}
}

static void test_mask(void)
{
	static const unsigned char v4[16] = { 192, 0, 2, 64 };
	static const unsigned char v6[16] = {
		0x20, 0x01, 0x0d, 0xb8, 0xab, 0xcd, 0x10,
	};
	static const unsigned char zero[16];
	struct zt_addr a;
	unsigned int plen;

	zt_parse_addr("192.0.2.77", &a);
	zt_addr_mask(&a, 26);
	check_bytes("zt_addr_mask", "192.0.2.77/26", a.bytes, v4, 16);
	zt_parse_addr("2001:db8:abcd:1234::1", &a);
	zt_addr_mask(&a, 52);
	check_bytes("zt_addr_mask", "2001:db8:abcd:1234::1/52", a.bytes, v6,
		    16);
	zt_parse_addr("255.255.255.255", &a);
	zt_addr_mask(&a, 0);
	check_bytes("zt_addr_mask", "255.255.255.255/0", a.bytes, zero, 16);
	/* A masked prefix parses clean. */
	check_int("zt_parse_cidr", "192.0.2.77/26",
		  zt_parse_cidr("192.0.2.77/26", &a, &plen), -EDOM);
	zt_addr_mask(&a, plen);
	check_bytes("zt_addr_mask", "192.0.2.77/26", a.bytes, v4, 16);
}

struct u32_case {
	const char *in;
	int ret;
	unsigned long long v;
};

static const struct u32_case u32_cases[] = {
	{ "0", 0, 0 },
	{ "1", 0, 1 },
	{ "300", 0, 300 },
	{ "007", 0, 7 },
	{ "4294967295", 0, 4294967295ULL },
	{ "4294967296", -ERANGE, 0 },
	{ "99999999999999999999999", -ERANGE, 0 },
	{ "", -EINVAL, 0 },
	{ "-", -EINVAL, 0 },
	{ "-1", -EINVAL, 0 },
	{ "+1", -EINVAL, 0 },
	{ " 1", -EINVAL, 0 },
	{ "1 ", -EINVAL, 0 },
	{ "1x", -EINVAL, 0 },
	{ "0x10", -EINVAL, 0 },
	{ "1.5", -EINVAL, 0 },
	{ "1e3", -EINVAL, 0 },
};

static void test_u32(void)
{
	const struct u32_case *t;
	uint32_t v;
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(u32_cases); i++) {
		t = &u32_cases[i];
		v = 12345;
		ret = zt_parse_u32(t->in, &v);
		check_int("zt_parse_u32", t->in, ret, t->ret);
		check_int("zt_parse_u32 value", t->in, v, ret ? 12345 : t->v);
	}
}

static const struct u32_case port_cases[] = {
	{ "1", 0, 1 },
	{ "53", 0, 53 },
	{ "853", 0, 853 },
	{ "65535", 0, 65535 },
	{ "0", -ERANGE, 0 },
	{ "65536", -ERANGE, 0 },
	{ "70000", -ERANGE, 0 },
	{ "4294967296", -ERANGE, 0 },
	{ "", -EINVAL, 0 },
	{ "-1", -EINVAL, 0 },
	{ "domain", -EINVAL, 0 },
	{ "53/udp", -EINVAL, 0 },
};

static void test_port(void)
{
	const struct u32_case *t;
	uint16_t port;
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(port_cases); i++) {
		t = &port_cases[i];
		port = 7;
		ret = zt_parse_port(t->in, &port);
		check_int("zt_parse_port", t->in, ret, t->ret);
		check_int("zt_parse_port value", t->in, port, ret ? 7 : t->v);
	}
}

struct split_case {
	const char *in;
	unsigned int max;
	unsigned int n;
	const char *words[3];
};

static const struct split_case split_cases[] = {
	{ "", 3, 0, { NULL } },
	{ " \t\r\n", 3, 0, { NULL } },
	{ "# a comment", 3, 0, { NULL } },
	{ "  #192.0.2.1 60", 3, 0, { NULL } },
	{ "192.0.2.1", 3, 1, { "192.0.2.1" } },
	{ "192.0.2.1\n", 3, 1, { "192.0.2.1" } },
	{ " 2001:db8::1\t60\r\n", 3, 2, { "2001:db8::1", "60" } },
	{ "192.0.2.1 60 # the web", 3, 2, { "192.0.2.1", "60" } },
	{ "192.0.2.1#60", 3, 1, { "192.0.2.1#60" } },
	{ "192.0.2.1 6#0", 3, 2, { "192.0.2.1", "6#0" } },
	{ "a  b\vc\fd e", 3, 3, { "a", "b", "c" } },
	{ "a b c", 2, 2, { "a", "b" } },
	{ "a b", 0, 0, { NULL } },
};

static void test_split(void)
{
	const struct split_case *t;
	char line[64], *words[3];
	unsigned int i, j, n;

	for (i = 0; i < ARRAY_SIZE(split_cases); i++) {
		t = &split_cases[i];
		snprintf(line, sizeof(line), "%s", t->in);
		n = zt_split_words(line, words, t->max);
		check_int("zt_split_words", t->in, n, t->n);
		for (j = 0; j < n && j < t->n; j++)
			check_str("zt_split_words word", t->in, words[j],
				  t->words[j]);
	}
}

static void test_names(void)
{
	check_int("zt_parse_mode", "off", zt_parse_mode("off"),
		  ZTDNS_MODE_OFF);
	check_int("zt_parse_mode", "audit", zt_parse_mode("audit"),
		  ZTDNS_MODE_AUDIT);
	check_int("zt_parse_mode", "enforce", zt_parse_mode("enforce"),
		  ZTDNS_MODE_ENFORCE);
	check_int("zt_parse_mode", "enforced", zt_parse_mode("enforced"),
		  -EINVAL);
	check_int("zt_parse_mode", "Enforce", zt_parse_mode("Enforce"),
		  -EINVAL);
	check_int("zt_parse_mode", "of", zt_parse_mode("of"), -EINVAL);
	check_int("zt_parse_mode", "", zt_parse_mode(""), -EINVAL);
	check_int("zt_parse_mode", "2", zt_parse_mode("2"), -EINVAL);
	check_str("zt_mode_name", "0", zt_mode_name(0), "off");
	check_str("zt_mode_name", "2", zt_mode_name(2), "enforce");
	check_str("zt_mode_name", "3", zt_mode_name(3), NULL);
	check_str("zt_verdict_name", "0", zt_verdict_name(0), "block");
	check_str("zt_verdict_name", "1", zt_verdict_name(1), "audit");
	check_str("zt_verdict_name", "2", zt_verdict_name(2), "permit");
	check_str("zt_verdict_name", "3", zt_verdict_name(3), NULL);
	check_str("zt_proto_name", "6", zt_proto_name(6), "tcp");
	check_str("zt_proto_name", "17", zt_proto_name(17), "udp");
	check_str("zt_proto_name", "1", zt_proto_name(1), "icmp");
	check_str("zt_proto_name", "58", zt_proto_name(58), "icmpv6");
	check_str("zt_proto_name", "47", zt_proto_name(47), NULL);
	check_str("zt_proto_name", "0", zt_proto_name(0), NULL);
}

static void test_addr_set(void)
{
	static const unsigned char b[16] = { 192, 0, 2, 1 };
	struct zt_addr a;

	check_int("zt_addr_set", "inet/4", zt_addr_set(&a, AF_INET, b, 4), 0);
	check_int("zt_addr_set family", "inet/4", a.family, AF_INET);
	check_bytes("zt_addr_set", "inet/4", a.bytes, b, 16);
	check_int("zt_addr_set", "inet6/16",
		  zt_addr_set(&a, AF_INET6, b, 16), 0);
	check_int("zt_addr_set", "inet/16", zt_addr_set(&a, AF_INET, b, 16),
		  -EINVAL);
	check_int("zt_addr_set", "inet6/4", zt_addr_set(&a, AF_INET6, b, 4),
		  -EINVAL);
	check_int("zt_addr_set", "inet/0", zt_addr_set(&a, AF_INET, b, 0),
		  -EINVAL);
	check_int("zt_addr_set", "unix/4", zt_addr_set(&a, AF_UNIX, b, 4),
		  -EINVAL);
	check_int("zt_addr_len", "inet", zt_addr_len(AF_INET), 4);
	check_int("zt_addr_len", "inet6", zt_addr_len(AF_INET6), 16);
	check_int("zt_addr_len", "unspec", zt_addr_len(AF_UNSPEC), 0);
}

struct format_case {
	const char *addr;
	unsigned int port;
	const char *out;
};

static const struct format_case format_cases[] = {
	{ "192.0.2.7", 0, "192.0.2.7" },
	{ "192.0.2.7", 443, "192.0.2.7:443" },
	{ "10.0.0.2", 65535, "10.0.0.2:65535" },
	{ "2001:db8::7", 0, "2001:db8::7" },
	{ "2001:db8::7", 853, "[2001:db8::7]:853" },
	{ "::", 1, "[::]:1" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535,
	  "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535" },
};

static void test_format(void)
{
	const struct format_case *t;
	char buf[ZT_ADDRSTRLEN];
	struct zt_addr a;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(format_cases); i++) {
		t = &format_cases[i];
		if (zt_parse_addr(t->addr, &a)) {
			check_str("zt_format_addr", t->addr, "unparsed", t->out);
			continue;
		}
		check_str("zt_format_addr", t->addr,
			  zt_format_addr(buf, sizeof(buf), &a, t->port), t->out);
	}
}

struct escape_case {
	const char *in;
	size_t len;
	const char *out;
};

#define ESC(in, out) { in, sizeof(in) - 1, out }

static const struct escape_case json_cases[] = {
	ESC("", ""),
	ESC("curl", "curl"),
	ESC("a b/c", "a b/c"),
	ESC("a\"b", "a\\\"b"),
	ESC("a\\b", "a\\\\b"),
	ESC("\n\t\r\b\f", "\\n\\t\\r\\b\\f"),
	ESC("\x01\x1f\x7f", "\\u0001\\u001f\\u007f"),
	ESC("\x1b[31m", "\\u001b[31m"),
	ESC("a\0b", "a\\u0000b"),
	ESC("caf\xc3\xa9", "caf\xc3\xa9"),
	ESC("\xe2\x82\xac", "\xe2\x82\xac"),
	ESC("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"),
	ESC("\xff", "\\u00ff"),
	ESC("a\xc3", "a\\u00c3"),
	ESC("\xc3(", "\\u00c3("),
	ESC("\xc0\xaf", "\\u00c0\\u00af"),
	ESC("\xe0\x80\xaf", "\\u00e0\\u0080\\u00af"),
	ESC("\xed\xa0\x80", "\\u00ed\\u00a0\\u0080"),
	ESC("\xf4\x90\x80\x80", "\\u00f4\\u0090\\u0080\\u0080"),
	ESC("\xe2\x82", "\\u00e2\\u0082"),
};

static const struct escape_case text_cases[] = {
	ESC("", ""),
	ESC("curl", "curl"),
	ESC("my prog", "my prog"),
	ESC("a\\b", "a\\\\b"),
	ESC("a\"b", "a\"b"),
	ESC("a\nb", "a\\x0ab"),
	ESC("\x1b[31m", "\\x1b[31m"),
	ESC("\x7f\x80\xff", "\\x7f\\x80\\xff"),
	ESC("caf\xc3\xa9", "caf\\xc3\\xa9"),
	ESC("a\0b", "a\\x00b"),
};

static void test_escape(const char *what,
			size_t (*escape)(char *, size_t, const char *, size_t),
			const struct escape_case *cases, size_t n)
{
	char buf[128];
	size_t i;

	for (i = 0; i < n; i++) {
		check_int(what, cases[i].in,
			  escape(buf, sizeof(buf), cases[i].in, cases[i].len),
			  strlen(cases[i].out));
		check_str(what, cases[i].in, buf, cases[i].out);
		check_int(what, cases[i].in,
			  escape(NULL, 0, cases[i].in, cases[i].len),
			  strlen(cases[i].out));
	}
}

/* A short buffer holds whole escapes only, and always a NUL. */
static void test_escape_short(void)
{
	char buf[8];

	memset(buf, 'x', sizeof(buf));
	check_int("zt_json_escape", "short", zt_json_escape(buf, 3, "a\"", 2),
		  3);
	check_str("zt_json_escape", "short", buf, "a");
	check_int("zt_json_escape", "short",
		  zt_json_escape(buf, 5, "a\"bc", 4), 5);
	check_str("zt_json_escape", "short", buf, "a\\\"b");
	check_int("zt_json_escape", "short",
		  zt_json_escape(buf, 6, "ab\x01", 3), 8);
	check_str("zt_json_escape", "short", buf, "ab");
	check_int("zt_json_escape", "short", zt_json_escape(buf, 1, "a", 1),
		  1);
	check_str("zt_json_escape", "short", buf, "");
	check_int("zt_text_escape", "short",
		  zt_text_escape(buf, 4, "a\nb", 3), 6);
	check_str("zt_text_escape", "short", buf, "a");
}

int main(void)
{
	test_addr();
	test_cidr();
	test_mask();
	test_u32();
	test_port();
	test_split();
	test_names();
	test_addr_set();
	test_format();
	test_escape("zt_json_escape", zt_json_escape, json_cases,
		    ARRAY_SIZE(json_cases));
	test_escape("zt_text_escape", zt_text_escape, text_cases,
		    ARRAY_SIZE(text_cases));
	test_escape_short();
	return check_done("parse_test");
}
