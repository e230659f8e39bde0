/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The arguments of ztdnsctl's commands, checked before netlink is opened:
 * what each command takes from its words (or "allow load" from a line),
 * or which word is wrong and what would do.  Pure functions, no netlink
 * and no I/O: tests/fuzz/ctl_fuzz.c calls them on any words.
 *
 * Parsers return 0 or a negative errno (-EINVAL for a wrong word, -EDOM
 * for a subnet with host bits set) and then fill in the error.
 */
#ifndef ZTDNS_CTLARGS_H
#define ZTDNS_CTLARGS_H

#include <stdbool.h>
#include <stdint.h>

#include "parse.h"
#include "uapi/linux/ztdns.h"

#define ZT_CTL_STR_(x) #x
#define ZT_CTL_STR(x) ZT_CTL_STR_(x)

/* The TTL of "allow add" without "ttl SECONDS", and of "allow load". */
#define ZT_CTL_DEFAULT_TTL 300

/* The longest TTL, grace, min_ttl or max_ttl the kernel takes: 7 days. */
#define ZT_CTL_MAX_TTL ZTDNS_TTL_LIMIT

#define ZT_CTL_WANT_ADDR "an IPv4 or IPv6 address"
#define ZT_CTL_WANT_TTL "seconds, 0 to " ZT_CTL_STR(ZT_CTL_MAX_TTL)

/* A usage error: "ztdnsctl: WHAT [KEY] 'WORD'[: want WANT]". */
struct zt_ctl_err {
	const char *what;	/* "invalid address", "unexpected word"... */
	const char *key;	/* the setting a value is for, or NULL */
	const char *word;	/* the word at fault */
	const char *want;	/* what would do, or NULL */
};

enum zt_cfg_kind { ZT_CFG_MODE, ZT_CFG_U8, ZT_CFG_BOOL, ZT_CFG_U32 };

/* A setting of the module, as "status" shows it and "set" takes it. */
struct zt_cfg_field {
	const char *name;
	int attr;		/* ZTDNS_A_* */
	enum zt_cfg_kind kind;
	uint32_t max;		/* the largest value "set" takes; 0: it can't */
	const char *want;	/* what "set" takes */
};

#define ZT_CFG_NFIELDS 9
extern const struct zt_cfg_field zt_cfg_fields[ZT_CFG_NFIELDS];

/* The setting called @name, or NULL. */
const struct zt_cfg_field *zt_cfg_find(const char *name);

/* "allow add ADDR [ttl SECONDS]", "allow del ADDR", a line of a file. */
struct zt_ctl_entry {
	struct zt_addr addr;
	uint32_t ttl;		/* ZT_CTL_DEFAULT_TTL unless given */
};

/* "server add|del ADDR [port PORT]" */
struct zt_ctl_server {
	struct zt_addr addr;
	uint16_t port;		/* ZTDNS_DEFAULT_SERVER_PORT unless given */
};

/* "subnet add|del ADDR[/LEN]" */
struct zt_ctl_subnet {
	struct zt_addr addr;
	unsigned int plen;
};

/* "set KEY VALUE [KEY VALUE]...": each setting at most once. */
struct zt_ctl_set {
	unsigned int n;
	struct {
		const struct zt_cfg_field *f;
		uint32_t v;
	} set[ZT_CFG_NFIELDS];
};

/* @argc words, 1 to 3: ADDR [ttl SECONDS]. */
int zt_ctl_parse_entry(int argc, char **argv, struct zt_ctl_entry *e,
		       struct zt_ctl_err *err);

/*
 * A line of "allow load": "ADDR [TTL]", blank, or a comment ('#' starts
 * one); the line is split in place.  Return: 1 for an entry, 0 for none,
 * or -EINVAL.
 */
int zt_ctl_parse_line(char *line, struct zt_ctl_entry *e,
		      struct zt_ctl_err *err);

/* @argc words, 1 to 3: ADDR [port PORT]. */
int zt_ctl_parse_server(int argc, char **argv, struct zt_ctl_server *s,
			struct zt_ctl_err *err);

/*
 * ADDR[/LEN].  On -EDOM, @s holds the network the word meant: its address
 * with the host bits cleared.
 */
int zt_ctl_parse_subnet(const char *word, struct zt_ctl_subnet *s,
			struct zt_ctl_err *err);

/* @argc words, KEY VALUE pairs. */
int zt_ctl_parse_set(int argc, char **argv, struct zt_ctl_set *s,
		     struct zt_ctl_err *err);

/* Return: the enum ztdns_mode, or -EINVAL. */
int zt_ctl_parse_mode(const char *word, struct zt_ctl_err *err);

#endif /* ZTDNS_CTLARGS_H */
