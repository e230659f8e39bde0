// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target of what ztdnsctl parses (daemon/ctlargs.c, parse.c):
 * the first byte picks a command, the rest is its words, separated by NUL
 * bytes (as argv), or one line of "allow load".  Besides the sanitizers it
 * checks that a word taken parses back to the same from its formatted
 * form (parse(format(x)) == x: addresses, prefixes, ports, TTLs, modes,
 * settings), that what is taken is within its bounds, that a refusal
 * names one of the words, and that the escapes of parse.c are reversible
 * and print nothing raw.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/ctlargs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)
#define MAX_WORDS 16

static char buf[4096 + 1];
static char *words[MAX_WORDS];
static int nwords;

static bool addr_eq(const struct zt_addr *a, const struct zt_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->bytes, b->bytes, zt_addr_len(a->family));
}

/* A refusal says what, and names a word of the input. */
static void check_err(const struct zt_ctl_err *err, const char *lo,
		      const char *hi)
{
	CHECK(err->what && *err->what && err->word);
	CHECK(err->word >= lo && err->word < hi);
}

/* The formatted address parses back to itself. */
static void addr_round_trip(const struct zt_addr *a)
{
	char text[ZT_ADDRSTRLEN];
	struct zt_addr back;

	CHECK(zt_addr_len(a->family));
	zt_format_addr(text, sizeof(text), a, 0);
	CHECK(zt_parse_addr(text, &back) == 0 && addr_eq(a, &back));
}

static void entry(void)
{
	char ttl[16], text[ZT_ADDRSTRLEN], kw[] = "ttl";
	char *argv[3] = { text, kw, ttl };
	struct zt_ctl_entry e, back;
	struct zt_ctl_err err;

	if (nwords < 1 || nwords > 3)
		return;
	if (zt_ctl_parse_entry(nwords, words, &e, &err)) {
		check_err(&err, buf, buf + sizeof(buf));
		return;
	}
	CHECK(e.ttl <= ZT_CTL_MAX_TTL);
	CHECK(nwords == 3 || e.ttl == ZT_CTL_DEFAULT_TTL);
	addr_round_trip(&e.addr);
	zt_format_addr(text, sizeof(text), &e.addr, 0);
	snprintf(ttl, sizeof(ttl), "%u", e.ttl);
	CHECK(zt_ctl_parse_entry(3, argv, &back, &err) == 0);
	CHECK(addr_eq(&e.addr, &back.addr) && e.ttl == back.ttl);
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

static void line(void)
{
	char copy[sizeof(buf)], text[ZT_ADDRSTRLEN + 16];
	struct zt_ctl_entry e, back;
	struct zt_ctl_err err;
	size_t i;
	int ret;

	memcpy(copy, buf, sizeof(buf));
	ret = zt_ctl_parse_line(buf, &e, &err);
	CHECK(ret == 0 || ret == 1 || ret == -EINVAL);
	if (ret < 0) {
		check_err(&err, buf, buf + sizeof(buf));
		CHECK(err.want);
		return;
	}
	if (!ret) {
		/* Nothing but blanks, then maybe a comment. */
		for (i = 0; copy[i] && blank(copy[i]); i++)
			;
		CHECK(!copy[i] || copy[i] == '#');
		return;
	}
	CHECK(e.ttl <= ZT_CTL_MAX_TTL);
	addr_round_trip(&e.addr);
	zt_format_addr(text, ZT_ADDRSTRLEN, &e.addr, 0);
	snprintf(text + strlen(text), 16, " %u # again", e.ttl);
	CHECK(zt_ctl_parse_line(text, &back, &err) == 1);
	CHECK(addr_eq(&e.addr, &back.addr) && e.ttl == back.ttl);
}

static void server(void)
{
	char port[8], text[ZT_ADDRSTRLEN], kw[] = "port";
	char *argv[3] = { text, kw, port };
	struct zt_ctl_server s, back;
	struct zt_ctl_err err;

	if (nwords < 1 || nwords > 3)
		return;
	if (zt_ctl_parse_server(nwords, words, &s, &err)) {
		check_err(&err, buf, buf + sizeof(buf));
		return;
	}
	CHECK(s.port);
	CHECK(nwords == 3 || s.port == ZTDNS_DEFAULT_SERVER_PORT);
	addr_round_trip(&s.addr);
	zt_format_addr(text, sizeof(text), &s.addr, 0);
	snprintf(port, sizeof(port), "%u", s.port);
	CHECK(zt_ctl_parse_server(3, argv, &back, &err) == 0);
	CHECK(addr_eq(&s.addr, &back.addr) && s.port == back.port);
}

static void subnet(void)
{
	char text[ZT_ADDRSTRLEN];
	struct zt_ctl_subnet s, back;
	struct zt_ctl_err err;
	struct zt_addr net;
	int ret;

	if (nwords != 1)
		return;
	ret = zt_ctl_parse_subnet(words[0], &s, &err);
	CHECK(ret == 0 || ret == -EINVAL || ret == -EDOM);
	if (ret)
		check_err(&err, buf, buf + sizeof(buf));
	if (ret == -EINVAL)
		return;
	/* Taken, or the network it meant: no host bits, LEN in range. */
	CHECK(s.plen <= zt_addr_len(s.addr.family) * 8);
	net = s.addr;
	zt_addr_mask(&net, s.plen);
	CHECK(addr_eq(&net, &s.addr));
	if (!strchr(words[0], '/'))
		CHECK(!ret && s.plen == zt_addr_len(s.addr.family) * 8);
	zt_format_addr(text, ZT_ADDRSTRLEN, &s.addr, 0);
	snprintf(text + strlen(text), sizeof(text) - strlen(text), "/%u",
		 s.plen);
	CHECK(zt_ctl_parse_subnet(text, &back, &err) == 0);
	CHECK(addr_eq(&s.addr, &back.addr) && s.plen == back.plen);
}

static void set(void)
{
	char values[ZT_CFG_NFIELDS][16], *argv[2 * ZT_CFG_NFIELDS];
	struct zt_ctl_set s, back;
	struct zt_ctl_err err;
	unsigned int i, j;

	if (nwords > 2 * ZT_CFG_NFIELDS)
		return;
	if (zt_ctl_parse_set(nwords, words, &s, &err)) {
		check_err(&err, buf, buf + sizeof(buf));
		return;
	}
	CHECK(s.n * 2 == (unsigned int)nwords);
	for (i = 0; i < s.n; i++) {
		CHECK(s.set[i].f && s.set[i].f->max &&
		      s.set[i].v <= s.set[i].f->max);
		for (j = 0; j < i; j++)
			CHECK(s.set[j].f != s.set[i].f);
		argv[2 * i] = (char *)s.set[i].f->name;
		snprintf(values[i], sizeof(values[i]), "%u", s.set[i].v);
		argv[2 * i + 1] = values[i];
	}
	CHECK(zt_ctl_parse_set((int)s.n * 2, argv, &back, &err) == 0);
	CHECK(back.n == s.n);
	for (i = 0; i < s.n; i++)
		CHECK(back.set[i].f == s.set[i].f &&
		      back.set[i].v == s.set[i].v);
}

static void mode(void)
{
	struct zt_ctl_err err;
	int m;

	if (nwords != 1)
		return;
	m = zt_ctl_parse_mode(words[0], &err);
	if (m < 0) {
		check_err(&err, buf, buf + sizeof(buf));
		return;
	}
	CHECK(m <= ZTDNS_MODE_ENFORCE && zt_mode_name((unsigned int)m));
	CHECK(zt_ctl_parse_mode(zt_mode_name((unsigned int)m), &err) == m);
}

/* The text escape, undone; return: the bytes. */
static size_t unescape(const char *s, char *out)
{
	size_t n = 0;
	unsigned int v;

	while (*s) {
		if (*s != '\\') {
			out[n++] = *s++;
			continue;
		}
		if (s[1] == '\\') {
			out[n++] = '\\';
			s += 2;
			continue;
		}
		CHECK(s[1] == 'x' && sscanf(s + 2, "%2x", &v) == 1);
		out[n++] = (char)v;
		s += 4;
	}
	return n;
}

static void escapes(const uint8_t *data, size_t size)
{
	/* Room for the longest escape of every byte: JSON's "\u00ff". */
	static char out[6 * sizeof(buf) + 1], part[256], back[sizeof(buf)];
	size_t n, i, cut = size ? data[0] : 0;

	n = zt_text_escape(out, sizeof(out), (const char *)data, size);
	CHECK(n < sizeof(out) && strlen(out) == n);
	for (i = 0; i < n; i++)
		CHECK(out[i] >= 0x20 && out[i] < 0x7f);
	CHECK(unescape(out, back) == size && !memcmp(back, data, size));
	/* Cut short, it stops before an escape rather than in one. */
	CHECK(zt_text_escape(part, cut, (const char *)data, size) == n);
	if (cut) {
		CHECK(strlen(part) < cut && !strncmp(part, out, strlen(part)));
		i = unescape(part, back);
		CHECK(i <= size && !memcmp(back, data, i));
	}

	n = zt_json_escape(out, sizeof(out), (const char *)data, size);
	CHECK(n < sizeof(out) && strlen(out) == n);
	for (i = 0; i < n; i++) {
		CHECK((unsigned char)out[i] >= 0x20 && out[i] != 0x7f);
		if (out[i] == '"')
			CHECK(i && out[i - 1] == '\\');
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i, len = size - 1;

	if (!size || len > sizeof(buf) - 1)
		return 0;
	memcpy(buf, data + 1, len);
	buf[len] = '\0';
	/* The words, as argv: a trailing NUL ends the last one. */
	nwords = 0;
	for (i = 0; nwords < MAX_WORDS;) {
		words[nwords++] = buf + i;
		i += strlen(buf + i) + 1;
		if (i >= len)
			break;
	}
	switch (data[0] % 7) {
	case 0:
		entry();
		break;
	case 1:
		line();
		break;
	case 2:
		server();
		break;
	case 3:
		subnet();
		break;
	case 4:
		set();
		break;
	case 5:
		mode();
		break;
	default:
		escapes(data + 1, size - 1);
		break;
	}
	return 0;
}
