// SPDX-License-Identifier: GPL-2.0
/*
 * ztdnsctl: configure and inspect the ztdns kernel module of the current
 * network namespace (run it under "ip netns exec" for another).
 *
 * Every word is checked before netlink is opened, so that a usage error
 * never reaches the kernel.
 *
 * Exit status: 0 on success, 1 on failure, 2 on a usage error.
 */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "build/version.h"
#include "ctlargs.h"
#include "nl.h"
#include "parse.h"
#include "uapi/linux/ztdns.h"

#define EXIT_USAGE 2
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define STR_(x) #x
#define STR(x) STR_(x)

#define DEFAULT_TTL ZT_CTL_DEFAULT_TTL
#define MAX_TTL ZT_CTL_MAX_TTL

struct subcommand;

/* What every subcommand gets besides its words. */
struct ctl {
	const struct subcommand *sc;	/* the one running */
	bool json;			/* --json */
};

/* One line of "ztdnsctl help", and its *_main function. */
struct subcommand {
	const char *name;
	const char *verb;	/* the second word ("allow add"), or NULL */
	int (*fn)(const struct ctl *c, int argc, char **argv);
	int min_args, max_args;	/* words after the name and the verb */
	const char *args;	/* their synopsis */
	const char *help;
};

/* One netlink request and what reads its replies. */
struct request {
	unsigned char cmd;		/* ZTDNS_CMD_* */
	int flags;			/* NLM_F_DUMP, or 0 */
	int (*fill)(struct nl_msg *msg, void *arg);	/* may be NULL */
	ztnl_reply_fn reply;		/* may be NULL */
	void *arg;			/* for fill and reply */
};

static int synopsis(char *buf, size_t size, const struct subcommand *sc)
{
	return snprintf(buf, size, "%s%s%s%s%s", sc->name,
			sc->verb ? " " : "", sc->verb ? sc->verb : "",
			*sc->args ? " " : "", sc->args);
}

/* The usage line of the subcommand at hand, after a usage error. */
static int usage_hint(const struct ctl *c)
{
	char buf[128];

	synopsis(buf, sizeof(buf), c->sc);
	fprintf(stderr, "Usage: ztdnsctl %s\n", buf);
	return EXIT_USAGE;
}

/* A usage error about one word, e.g. "invalid port '0': want 1 to 65535". */
static int bad_word(const struct ctl *c, const struct zt_ctl_err *e)
{
	fprintf(stderr, "ztdnsctl: %s%s%s '%s'%s%s\n", e->what,
		e->key ? " " : "", e->key ? e->key : "", e->word,
		e->want ? ": want " : "", e->want ? e->want : "");
	return usage_hint(c);
}

static const char *name_or_number(const char *name, unsigned int v,
				  char *buf, size_t size)
{
	if (name)
		return name;
	snprintf(buf, size, "%u", v);
	return buf;
}

typedef size_t (*escape_fn)(char *dst, size_t size, const char *src,
			    size_t len);

/* @len bytes of @s, through an escaper of parse.c. */
static void print_escaped(escape_fn escape, const char *s, size_t len)
{
	size_t n = escape(NULL, 0, s, len);
	char small[128], *buf = small;

	if (n >= sizeof(small))
		buf = malloc(n + 1);
	if (!buf)
		return;
	escape(buf, n + 1, s, len);
	fputs(buf, stdout);
	if (buf != small)
		free(buf);
}

/* The text of a string attribute, which need not end with a NUL. */
static size_t attr_strlen(struct nlattr *a)
{
	return strnlen(nla_data(a), nla_len(a));
}

static int ctl_open(struct ztnl *nl)
{
	int ret = ztnl_open(nl);

	if (ret)
		fprintf(stderr, "ztdnsctl: %s\n", ztnl_strerror(nl, ret));
	return ret;
}

static void ctl_error(const struct ctl *c, const struct ztnl *nl, int err)
{
	fprintf(stderr, "ztdnsctl: %s%s%s: %s\n", c->sc->name,
		c->sc->verb ? " " : "", c->sc->verb ? c->sc->verb : "",
		ztnl_strerror(nl, err));
}

/* Open the family, send one request, read its replies: the exit status. */
static int ctl_request(const struct ctl *c, const struct request *r)
{
	struct nl_msg *msg;
	struct ztnl nl;
	int ret;

	if (ctl_open(&nl))
		return 1;
	msg = ztnl_msg(&nl, r->cmd, r->flags);
	if (!msg) {
		ret = -ENOMEM;
		goto out;
	}
	ret = r->fill ? r->fill(msg, r->arg) : 0;
	if (ret) {
		nlmsg_free(msg);
		goto out;
	}
	ret = ztnl_send(&nl, msg, r->reply, r->arg);
out:
	if (ret)
		ctl_error(c, &nl, ret);
	ztnl_close(&nl);
	return ret ? 1 : 0;
}

/* --- configuration: status, mode, set --- */

static void print_cfg(const struct ctl *c, const struct zt_cfg_field *f,
		      struct nlattr *a, const char *sep)
{
	uint32_t v = f->kind == ZT_CFG_U32 ? nla_get_u32(a) : nla_get_u8(a);
	char buf[16];

	if (!c->json)
		printf("%-12s ", f->name);
	else
		printf("%s\"%s\":", sep, f->name);
	if (f->kind == ZT_CFG_MODE)
		printf(c->json ? "\"%s\"" : "%s",
		       name_or_number(zt_mode_name(v), v, buf, sizeof(buf)));
	else if (f->kind == ZT_CFG_BOOL && c->json)
		printf("%s", v ? "true" : "false");
	else if (f->kind == ZT_CFG_BOOL)
		printf("%s", v ? "yes" : "no");
	else
		printf("%u", v);
	if (!c->json)
		putchar('\n');
}

static int config_cb(struct nl_msg *msg, void *arg)
{
	struct nla_policy policy[ZTDNS_A_MAX + 1] = { 0 };
	struct nlattr *tb[ZTDNS_A_MAX + 1];
	const struct ctl *c = arg;
	const char *sep = "";
	size_t i;

	for (i = 0; i < ARRAY_SIZE(zt_cfg_fields); i++)
		policy[zt_cfg_fields[i].attr].type =
			zt_cfg_fields[i].kind == ZT_CFG_U32 ? NLA_U32 : NLA_U8;
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, ZTDNS_A_MAX, policy) < 0)
		return NL_SKIP;
	if (c->json)
		putchar('{');
	for (i = 0; i < ARRAY_SIZE(zt_cfg_fields); i++) {
		if (!tb[zt_cfg_fields[i].attr])
			continue;
		print_cfg(c, &zt_cfg_fields[i], tb[zt_cfg_fields[i].attr], sep);
		sep = ",";
	}
	if (c->json)
		puts("}");
	return NL_OK;
}

static int status_main(const struct ctl *c, int argc, char **argv)
{
	struct request r = {
		.cmd = ZTDNS_CMD_GET_CONFIG,
		.reply = config_cb,
		.arg = (void *)c,
	};

	(void)argc;
	(void)argv;
	return ctl_request(c, &r);
}

static int config_fill(struct nl_msg *msg, void *arg)
{
	const struct zt_ctl_set *r = arg;
	unsigned int i;
	int ret;

	for (i = 0; i < r->n; i++) {
		if (r->set[i].f->kind == ZT_CFG_U32)
			ret = nla_put_u32(msg, r->set[i].f->attr, r->set[i].v);
		else
			ret = nla_put_u8(msg, r->set[i].f->attr, r->set[i].v);
		if (ret)
			return -EMSGSIZE;
	}
	return 0;
}

static int config_send(const struct ctl *c, struct zt_ctl_set *cr)
{
	struct request r = {
		.cmd = ZTDNS_CMD_SET_CONFIG,
		.fill = config_fill,
		.arg = cr,
	};

	return ctl_request(c, &r);
}

static int mode_main(const struct ctl *c, int argc, char **argv)
{
	struct zt_ctl_set r = { 0 };
	struct zt_ctl_err err;
	int mode;

	(void)argc;
	mode = zt_ctl_parse_mode(argv[0], &err);
	if (mode < 0)
		return bad_word(c, &err);
	r.set[0].f = zt_cfg_find("mode");
	r.set[0].v = mode;
	r.n = 1;
	return config_send(c, &r);
}

/* The settings of one SET_CONFIG, all applied or none. */
static int set_main(const struct ctl *c, int argc, char **argv)
{
	struct zt_ctl_set r;
	struct zt_ctl_err err;

	if (zt_ctl_parse_set(argc, argv, &r, &err))
		return bad_word(c, &err);
	return config_send(c, &r);
}

/* --- lists: one JSON array, filled as the dump goes --- */

/* Dumps of a table that keeps changing under them, before giving up. */
#define LIST_TRIES 5

struct list {
	const struct ctl *c;
	FILE *out;		/* the output of the try at hand, kept back */
	unsigned int n;		/* items printed */
};

static void list_item(struct list *l)
{
	if (l->c->json)
		fputc(l->n ? ',' : '[', l->out);
	l->n++;
}

/* Close the array: when @whole, or else (after an error) once opened. */
static void list_end(struct list *l, bool whole)
{
	if (l->c->json && l->n)
		fputs("]\n", l->out);
	else if (l->c->json && whole)
		fputs("[]\n", l->out);
}

/* Call @fn for each top-level attribute @type of a reply. */
static int each_attr(struct nl_msg *msg, int type,
		     void (*fn)(struct list *l, struct nlattr *a),
		     struct list *l)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct genlmsghdr *g;
	struct nlattr *a;
	int rem;

	if (!genlmsg_valid_hdr(h, 0))
		return NL_SKIP;
	g = genlmsg_hdr(h);
	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0),
			  rem)
		if (nla_type(a) == type)
			fn(l, a);
	return NL_OK;
}

/*
 * One dump, its output kept in *buf (to free) and not printed yet: 0, or a
 * negative errno; -EAGAIN when the table changed during the dump.
 */
static int list_try(struct ztnl *nl, struct list *l, unsigned char cmd,
		    ztnl_reply_fn reply, char **buf)
{
	struct nl_msg *msg;
	size_t size;
	int ret, bad;

	*buf = NULL;
	l->n = 0;
	l->out = open_memstream(buf, &size);
	if (!l->out)
		return -errno;
	msg = ztnl_msg(nl, cmd, NLM_F_DUMP);
	ret = msg ? ztnl_send(nl, msg, reply, l) : -ENOMEM;
	list_end(l, !ret || ret == -EAGAIN);
	bad = ferror(l->out);
	if ((fclose(l->out) || bad) && (!ret || ret == -EAGAIN))
		ret = -ENOMEM;
	return ret;
}

/*
 * Dump a table, starting again while it changes during the dump (the
 * kernel flags NLM_F_DUMP_INTR), so that the list is one consistent
 * picture; after LIST_TRIES tries, the last one is printed with a warning.
 * Return: the exit status.
 */
static int list_send(const struct ctl *c, unsigned char cmd,
		     ztnl_reply_fn reply)
{
	struct list l = { .c = c };
	struct ztnl nl;
	int tries, ret;
	char *buf;

	if (ctl_open(&nl))
		return 1;
	for (tries = 1; ; tries++) {
		ret = list_try(&nl, &l, cmd, reply, &buf);
		if (ret != -EAGAIN || tries == LIST_TRIES)
			break;
		free(buf);
	}
	if (buf)
		fputs(buf, stdout);
	free(buf);
	if (ret == -EAGAIN)
		fprintf(stderr,
			"ztdnsctl: %s %s: the table changed during each of %d dumps: the list may miss or repeat entries\n",
			c->sc->name, c->sc->verb, LIST_TRIES);
	else if (ret)
		ctl_error(c, &nl, ret);
	ztnl_close(&nl);
	return ret ? 1 : 0;
}

/* --- allow: the entries --- */

static const struct nla_policy entry_policy[ZTDNS_ENTRY_A_MAX + 1] = {
	[ZTDNS_ENTRY_A_FAMILY] = { .type = NLA_U16 },
	[ZTDNS_ENTRY_A_EXPIRES_MS] = { .type = NLA_U64 },
	[ZTDNS_ENTRY_A_IDLE_MS] = { .type = NLA_U64 },
};

/* Whole seconds of milliseconds (rounded up or down), or -1 without. */
static long long attr_secs(struct nlattr *ms, bool up)
{
	unsigned long long v;

	if (!ms)
		return -1;
	v = nla_get_u64(ms);
	return v / 1000 + (up && v % 1000);
}

/* " expires 12s", or ",\"expires\":12"; "-" or null when unknown. */
static void print_secs(struct list *l, const char *name, long long v)
{
	if (l->c->json && v < 0)
		fprintf(l->out, ",\"%s\":null", name);
	else if (l->c->json)
		fprintf(l->out, ",\"%s\":%lld", name, v);
	else if (v < 0)
		fprintf(l->out, " %s -", name);
	else
		fprintf(l->out, " %s %llds", name, v);
}

static void print_entry(struct list *l, struct nlattr *e)
{
	struct nlattr *tb[ZTDNS_ENTRY_A_MAX + 1];
	char buf[ZT_ADDRSTRLEN];
	struct zt_addr a;

	if (nla_parse_nested(tb, ZTDNS_ENTRY_A_MAX, e, entry_policy) < 0 ||
	    ztnl_get_addr(tb[ZTDNS_ENTRY_A_FAMILY], tb[ZTDNS_ENTRY_A_ADDR], &a))
		return;
	zt_format_addr(buf, sizeof(buf), &a, 0);
	list_item(l);
	fprintf(l->out, l->c->json ? "{\"addr\":\"%s\"" : "%s", buf);
	/*
	 * The time left rounds up, the idle time down; an entry no packet
	 * has used yet has no idle time.
	 */
	print_secs(l, "expires", attr_secs(tb[ZTDNS_ENTRY_A_EXPIRES_MS], true));
	print_secs(l, "idle", attr_secs(tb[ZTDNS_ENTRY_A_IDLE_MS], false));
	fputs(l->c->json ? "}" : "\n", l->out);
}

static void print_entries(struct list *l, struct nlattr *entries)
{
	struct nlattr *e;
	int rem;

	nla_for_each_nested(e, entries, rem)
		print_entry(l, e);
}

static int entries_cb(struct nl_msg *msg, void *arg)
{
	return each_attr(msg, ZTDNS_A_ENTRIES, print_entries, arg);
}

struct entry_req {
	struct zt_ctl_entry e;
	bool with_ttl;		/* add only */
};

/*
 * Entry @i of a ZTDNS_A_ENTRIES nest, whole or not at all; without TTL
 * when @ttl is NULL.  The kernel's strict validation wants NLA_F_NESTED
 * on nests.
 */
static int put_entry(struct nl_msg *msg, int i, const struct zt_addr *a,
		     const uint32_t *ttl)
{
	struct nlattr *entry = nla_nest_start(msg, i | NLA_F_NESTED);

	if (!entry)
		return -EMSGSIZE;
	if (ztnl_put_addr(msg, ZTDNS_ENTRY_A_FAMILY, ZTDNS_ENTRY_A_ADDR, a) ||
	    (ttl && nla_put_u32(msg, ZTDNS_ENTRY_A_TTL, *ttl))) {
		nla_nest_cancel(msg, entry);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, entry);
	return 0;
}

static int entry_fill(struct nl_msg *msg, void *arg)
{
	const struct entry_req *r = arg;
	struct nlattr *entries;

	entries = nla_nest_start(msg, ZTDNS_A_ENTRIES | NLA_F_NESTED);
	if (!entries ||
	    put_entry(msg, 0, &r->e.addr, r->with_ttl ? &r->e.ttl : NULL))
		return -EMSGSIZE;
	nla_nest_end(msg, entries);
	return 0;
}

static int entry_send(const struct ctl *c, unsigned char cmd,
		      struct entry_req *er)
{
	struct request r = { .cmd = cmd, .fill = entry_fill, .arg = er };

	return ctl_request(c, &r);
}

static int allow_add_main(const struct ctl *c, int argc, char **argv)
{
	struct entry_req r = { .with_ttl = true };
	struct zt_ctl_err err;

	if (zt_ctl_parse_entry(argc, argv, &r.e, &err))
		return bad_word(c, &err);
	return entry_send(c, ZTDNS_CMD_ADD_ENTRIES, &r);
}

static int allow_del_main(const struct ctl *c, int argc, char **argv)
{
	struct entry_req r = { 0 };
	struct zt_ctl_err err;

	if (zt_ctl_parse_entry(argc, argv, &r.e, &err))
		return bad_word(c, &err);
	return entry_send(c, ZTDNS_CMD_DEL_ENTRIES, &r);
}

static int allow_list_main(const struct ctl *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return list_send(c, ZTDNS_CMD_GET_ENTRIES, entries_cb);
}

static int allow_flush_main(const struct ctl *c, int argc, char **argv)
{
	struct request r = { .cmd = ZTDNS_CMD_FLUSH_ENTRIES };

	(void)argc;
	(void)argv;
	return ctl_request(c, &r);
}

/* --- allow load: the entries of a file, all checked before any is sent --- */

/*
 * The longest ADD_ENTRIES request: the length of an attribute, the
 * ZTDNS_A_ENTRIES nest included, has 16 bits.
 */
#define LOAD_MSG_MAX (NLMSG_HDRLEN + GENL_HDRLEN + UINT16_MAX)

struct load {
	const char *name;		/* of the file, for messages */
	struct zt_ctl_entry *e;		/* the entries of the whole file */
	size_t n, room;
};

/* A bad word of line @lineno: the exit status of a usage error. */
static int load_bad(const struct load *l, unsigned long lineno,
		    const char *what, const char *word, const char *want)
{
	char buf[64];
	bool cut;

	/* The bytes of the file may be anything: escape them, and cut. */
	cut = zt_text_escape(buf, sizeof(buf), word, strlen(word)) >=
	      sizeof(buf);
	fprintf(stderr, "ztdnsctl: %s:%lu: %s '%s%s': want %s\n", l->name,
		lineno, what, buf, cut ? "..." : "", want);
	return EXIT_USAGE;
}

static int load_append(struct load *l, const struct zt_ctl_entry *e)
{
	struct zt_ctl_entry *p;
	size_t room;

	if (l->n == l->room) {
		room = l->room ? 2 * l->room : 1024;
		p = reallocarray(l->e, room, sizeof(*p));
		if (!p) {
			fprintf(stderr, "ztdnsctl: %s: out of memory\n",
				l->name);
			return 1;
		}
		l->e = p;
		l->room = room;
	}
	l->e[l->n++] = *e;
	return 0;
}

/* "ADDR [TTL]", a blank line or a comment: 0, or the exit status. */
static int load_line(struct load *l, char *line, unsigned long lineno)
{
	struct zt_ctl_entry e;
	struct zt_ctl_err err;
	int ret;

	ret = zt_ctl_parse_line(line, &e, &err);
	if (ret < 0)
		return load_bad(l, lineno, err.what, err.word, err.want);
	return ret ? load_append(l, &e) : 0;
}

/* Every line of @f into @l: 0, or the exit status of the first error. */
static int load_read(struct load *l, FILE *f)
{
	unsigned long lineno = 0;
	char *line = NULL;
	size_t size = 0;
	ssize_t len;
	int ret = 0;

	for (;;) {
		errno = 0;
		len = getline(&line, &size, f);
		if (len < 0)
			break;
		lineno++;
		if (memchr(line, '\0', len)) {
			fprintf(stderr,
				"ztdnsctl: %s:%lu: a NUL byte: want text\n",
				l->name, lineno);
			ret = EXIT_USAGE;
		} else {
			ret = load_line(l, line, lineno);
		}
		if (ret)
			break;
	}
	if (len < 0 && (errno || ferror(f))) {
		fprintf(stderr, "ztdnsctl: cannot read '%s': %s\n", l->name,
			strerror(errno ? errno : EIO));
		ret = EXIT_USAGE;
	}
	free(line);
	return ret;
}

/*
 * Put the entries from *next on into @msg, as many as it has room for,
 * and move *next past them: 0, or -EMSGSIZE when not even one fits.
 */
static int load_fill(struct nl_msg *msg, const struct load *l, size_t *next)
{
	struct nlattr *entries;
	size_t i;

	entries = nla_nest_start(msg, ZTDNS_A_ENTRIES | NLA_F_NESTED);
	if (!entries)
		return -EMSGSIZE;
	for (i = *next; i < l->n; i++)
		if (put_entry(msg, i - *next, &l->e[i].addr, &l->e[i].ttl))
			break;
	if (i == *next || nla_nest_end(msg, entries))
		return -EMSGSIZE;
	*next = i;
	return 0;
}

/*
 * One ADD_ENTRIES of at most @max bytes, from entry *done on; the kernel
 * takes it all or nothing.  Return: 0 with *done moved past it, or a
 * negative errno.
 */
static int load_batch(struct ztnl *nl, const struct load *l, int max,
		      size_t *done)
{
	struct nl_msg *msg;
	size_t next = *done;
	int ret;

	msg = ztnl_msg_size(nl, ZTDNS_CMD_ADD_ENTRIES, 0, max);
	if (!msg)
		return -ENOMEM;
	ret = load_fill(msg, l, &next);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	ret = ztnl_send(nl, msg, NULL, NULL);
	if (!ret)
		*done = next;
	return ret;
}

/* Send the entries, stopping at the first refusal: the exit status. */
static int load_send(const struct ctl *c, const struct load *l)
{
	struct ztnl nl;
	size_t done = 0;
	int max, ret;

	if (ctl_open(&nl))
		return 1;
	max = ztnl_sndbuf(&nl, LOAD_MSG_MAX);
	ret = max < 0 ? max : 0;
	while (!ret && done < l->n)
		ret = load_batch(&nl, l, max, &done);
	if (ret)
		fprintf(stderr,
			"ztdnsctl: allow load: %s: %zu of %zu addresses loaded\n",
			ztnl_strerror(&nl, ret), done, l->n);
	else if (c->json)
		printf("{\"loaded\":%zu}\n", done);
	ztnl_close(&nl);
	return ret ? 1 : 0;
}

static int allow_load_main(const struct ctl *c, int argc, char **argv)
{
	struct load l = { .name = argv[0] };
	FILE *f = stdin;
	int ret;

	(void)argc;
	if (!strcmp(argv[0], "-"))
		l.name = "<stdin>";
	else
		f = fopen(argv[0], "re");
	if (!f) {
		fprintf(stderr, "ztdnsctl: cannot read '%s': %s\n", argv[0],
			strerror(errno));
		return usage_hint(c);
	}
	ret = load_read(&l, f);
	if (f != stdin)
		fclose(f);
	if (!ret)
		ret = load_send(c, &l);
	free(l.e);
	return ret;
}

/* --- subnet: the prefixes always allowed --- */

static const struct nla_policy subnet_policy[ZTDNS_SUBNET_A_MAX + 1] = {
	[ZTDNS_SUBNET_A_FAMILY] = { .type = NLA_U16 },
	[ZTDNS_SUBNET_A_PREFIX_LEN] = { .type = NLA_U8 },
};

static void print_subnet(struct list *l, struct nlattr *s)
{
	struct nlattr *tb[ZTDNS_SUBNET_A_MAX + 1];
	char buf[ZT_ADDRSTRLEN];
	unsigned int plen;
	struct zt_addr a;

	if (nla_parse_nested(tb, ZTDNS_SUBNET_A_MAX, s, subnet_policy) < 0 ||
	    ztnl_get_addr(tb[ZTDNS_SUBNET_A_FAMILY], tb[ZTDNS_SUBNET_A_ADDR], &a) ||
	    !tb[ZTDNS_SUBNET_A_PREFIX_LEN])
		return;
	plen = nla_get_u8(tb[ZTDNS_SUBNET_A_PREFIX_LEN]);
	zt_format_addr(buf, sizeof(buf), &a, 0);
	list_item(l);
	if (l->c->json)
		fprintf(l->out, "{\"addr\":\"%s\",\"prefix_len\":%u}", buf,
			plen);
	else
		fprintf(l->out, "%s/%u\n", buf, plen);
}

static int subnets_cb(struct nl_msg *msg, void *arg)
{
	return each_attr(msg, ZTDNS_A_SUBNET, print_subnet, arg);
}

static int subnet_fill(struct nl_msg *msg, void *arg)
{
	const struct zt_ctl_subnet *r = arg;
	struct nlattr *nest;

	nest = nla_nest_start(msg, ZTDNS_A_SUBNET | NLA_F_NESTED);
	if (!nest ||
	    ztnl_put_addr(msg, ZTDNS_SUBNET_A_FAMILY, ZTDNS_SUBNET_A_ADDR,
		     &r->addr) ||
	    nla_put_u8(msg, ZTDNS_SUBNET_A_PREFIX_LEN, r->plen))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/* CIDR, checked, then sent with @cmd: the exit status. */
static int subnet_send(const struct ctl *c, unsigned char cmd,
		       const char *cidr)
{
	struct zt_ctl_subnet sr;
	struct request r = { .cmd = cmd, .fill = subnet_fill, .arg = &sr };
	char buf[ZT_ADDRSTRLEN];
	struct zt_ctl_err err;
	int ret;

	ret = zt_ctl_parse_subnet(cidr, &sr, &err);
	if (ret == -EDOM) {
		fprintf(stderr,
			"ztdnsctl: host bits set in '%s': did you mean %s/%u?\n",
			cidr, zt_format_addr(buf, sizeof(buf), &sr.addr, 0),
			sr.plen);
		return usage_hint(c);
	}
	if (ret)
		return bad_word(c, &err);
	return ctl_request(c, &r);
}

static int subnet_add_main(const struct ctl *c, int argc, char **argv)
{
	(void)argc;
	return subnet_send(c, ZTDNS_CMD_ADD_SUBNET, argv[0]);
}

static int subnet_del_main(const struct ctl *c, int argc, char **argv)
{
	(void)argc;
	return subnet_send(c, ZTDNS_CMD_DEL_SUBNET, argv[0]);
}

static int subnet_list_main(const struct ctl *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return list_send(c, ZTDNS_CMD_GET_SUBNETS, subnets_cb);
}

/* --- server: the protective DNS servers --- */

static const struct nla_policy server_policy[ZTDNS_SERVER_A_MAX + 1] = {
	[ZTDNS_SERVER_A_FAMILY] = { .type = NLA_U16 },
	[ZTDNS_SERVER_A_PORT] = { .type = NLA_U16 },
};

static void print_server(struct list *l, struct nlattr *s)
{
	struct nlattr *tb[ZTDNS_SERVER_A_MAX + 1];
	char buf[ZT_ADDRSTRLEN];
	unsigned int port = 0;
	struct zt_addr a;

	if (nla_parse_nested(tb, ZTDNS_SERVER_A_MAX, s, server_policy) < 0 ||
	    ztnl_get_addr(tb[ZTDNS_SERVER_A_FAMILY], tb[ZTDNS_SERVER_A_ADDR], &a))
		return;
	if (tb[ZTDNS_SERVER_A_PORT])
		port = nla_get_u16(tb[ZTDNS_SERVER_A_PORT]);
	list_item(l);
	if (l->c->json)
		fprintf(l->out, "{\"addr\":\"%s\",\"port\":%u}",
			zt_format_addr(buf, sizeof(buf), &a, 0), port);
	else
		fprintf(l->out, "%s\n",
			zt_format_addr(buf, sizeof(buf), &a, port));
}

static int servers_cb(struct nl_msg *msg, void *arg)
{
	return each_attr(msg, ZTDNS_A_SERVER, print_server, arg);
}

static int server_fill(struct nl_msg *msg, void *arg)
{
	const struct zt_ctl_server *r = arg;
	struct nlattr *nest;

	nest = nla_nest_start(msg, ZTDNS_A_SERVER | NLA_F_NESTED);
	if (!nest ||
	    ztnl_put_addr(msg, ZTDNS_SERVER_A_FAMILY, ZTDNS_SERVER_A_ADDR,
		     &r->addr) ||
	    nla_put_u16(msg, ZTDNS_SERVER_A_PORT, r->port))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/* ADDR [port N], checked, then sent with @cmd: the exit status. */
static int server_send(const struct ctl *c, unsigned char cmd, int argc,
		       char **argv)
{
	struct zt_ctl_server sr;
	struct request r = { .cmd = cmd, .fill = server_fill, .arg = &sr };
	struct zt_ctl_err err;

	if (zt_ctl_parse_server(argc, argv, &sr, &err))
		return bad_word(c, &err);
	return ctl_request(c, &r);
}

static int server_add_main(const struct ctl *c, int argc, char **argv)
{
	return server_send(c, ZTDNS_CMD_ADD_SERVER, argc, argv);
}

static int server_del_main(const struct ctl *c, int argc, char **argv)
{
	return server_send(c, ZTDNS_CMD_DEL_SERVER, argc, argv);
}

static int server_list_main(const struct ctl *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return list_send(c, ZTDNS_CMD_GET_SERVERS, servers_cb);
}

/* --- stats --- */

static const char *const stat_names[ZTDNS_STATS_A_MAX + 1] = {
	[ZTDNS_STATS_A_PACKETS] = "packets",
	[ZTDNS_STATS_A_PERMITTED] = "permitted",
	[ZTDNS_STATS_A_BLOCKED] = "blocked",
	[ZTDNS_STATS_A_AUDITED] = "audited",
	[ZTDNS_STATS_A_MALFORMED] = "malformed",
	[ZTDNS_STATS_A_INSERTS] = "inserts",
	[ZTDNS_STATS_A_INSERT_FULL] = "insert_full",
	[ZTDNS_STATS_A_EXPIRED] = "expired",
	[ZTDNS_STATS_A_EVICTED] = "evicted",
	[ZTDNS_STATS_A_EVENTS_DROPPED] = "events_dropped",
};

static int stats_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[ZTDNS_A_MAX + 1], *st[ZTDNS_STATS_A_MAX + 1];
	struct nla_policy policy[ZTDNS_STATS_A_MAX + 1] = { 0 };
	const struct ctl *c = arg;
	const char *sep = "";
	int i;

	for (i = 1; i <= ZTDNS_STATS_A_MAX; i++)
		policy[i].type = stat_names[i] ? NLA_U64 : NLA_UNSPEC;
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, ZTDNS_A_MAX, NULL) < 0 ||
	    !tb[ZTDNS_A_STATS] ||
	    nla_parse_nested(st, ZTDNS_STATS_A_MAX, tb[ZTDNS_A_STATS],
			     policy) < 0)
		return NL_SKIP;
	if (c->json)
		putchar('{');
	for (i = 1; i <= ZTDNS_STATS_A_MAX; i++) {
		unsigned long long v;

		if (!stat_names[i] || !st[i])
			continue;
		v = (unsigned long long)nla_get_u64(st[i]);
		if (c->json)
			printf("%s\"%s\":%llu", sep, stat_names[i], v);
		else
			printf("%-12s %llu\n", stat_names[i], v);
		sep = ",";
	}
	if (c->json)
		puts("}");
	return NL_OK;
}

static int stats_main(const struct ctl *c, int argc, char **argv)
{
	struct request r = {
		.cmd = ZTDNS_CMD_GET_STATS,
		.reply = stats_cb,
		.arg = (void *)c,
	};

	(void)argc;
	(void)argv;
	return ctl_request(c, &r);
}

/* --- monitor: the events of the multicast group --- */

static const struct nla_policy event_policy[ZTDNS_EVENT_A_MAX + 1] = {
	[ZTDNS_EVENT_A_VERDICT] = { .type = NLA_U8 },
	[ZTDNS_EVENT_A_FAMILY] = { .type = NLA_U16 },
	[ZTDNS_EVENT_A_PROTO] = { .type = NLA_U8 },
	[ZTDNS_EVENT_A_SPORT] = { .type = NLA_U16 },
	[ZTDNS_EVENT_A_DPORT] = { .type = NLA_U16 },
	[ZTDNS_EVENT_A_UID] = { .type = NLA_U32 },
	[ZTDNS_EVENT_A_PID] = { .type = NLA_U32 },
};

/* An event, its optional attributes left as attributes (or NULL). */
struct event {
	unsigned int verdict, proto;
	struct zt_addr saddr, daddr;
	unsigned int sport, dport;	/* 0 without ports */
	struct nlattr *uid, *pid, *comm;
};

static int event_parse(struct nl_msg *msg, struct event *ev)
{
	struct nlattr *tb[ZTDNS_A_MAX + 1], *e[ZTDNS_EVENT_A_MAX + 1];
	struct nlmsghdr *h = nlmsg_hdr(msg);

	if (genlmsg_parse(h, 0, tb, ZTDNS_A_MAX, NULL) < 0 ||
	    genlmsg_hdr(h)->cmd != ZTDNS_CMD_EVENT || !tb[ZTDNS_A_EVENT] ||
	    nla_parse_nested(e, ZTDNS_EVENT_A_MAX, tb[ZTDNS_A_EVENT],
			     event_policy) < 0 ||
	    !e[ZTDNS_EVENT_A_VERDICT] || !e[ZTDNS_EVENT_A_PROTO] ||
	    ztnl_get_addr(e[ZTDNS_EVENT_A_FAMILY], e[ZTDNS_EVENT_A_SADDR],
		      &ev->saddr) ||
	    ztnl_get_addr(e[ZTDNS_EVENT_A_FAMILY], e[ZTDNS_EVENT_A_DADDR],
		      &ev->daddr))
		return -EINVAL;
	ev->verdict = nla_get_u8(e[ZTDNS_EVENT_A_VERDICT]);
	ev->proto = nla_get_u8(e[ZTDNS_EVENT_A_PROTO]);
	ev->sport = e[ZTDNS_EVENT_A_SPORT] ?
		    nla_get_u16(e[ZTDNS_EVENT_A_SPORT]) : 0;
	ev->dport = e[ZTDNS_EVENT_A_DPORT] ?
		    nla_get_u16(e[ZTDNS_EVENT_A_DPORT]) : 0;
	ev->uid = e[ZTDNS_EVENT_A_UID];
	ev->pid = e[ZTDNS_EVENT_A_PID];
	ev->comm = e[ZTDNS_EVENT_A_COMM];
	return 0;
}

/* block tcp 10.0.0.2:41234 -> 192.0.2.7:443 uid=1000 pid=812 comm=curl */
static void event_print_text(const struct event *ev)
{
	char s[ZT_ADDRSTRLEN], d[ZT_ADDRSTRLEN], v[16], p[16];

	printf("%s %s %s -> %s",
	       name_or_number(zt_verdict_name(ev->verdict), ev->verdict,
			      v, sizeof(v)),
	       name_or_number(zt_proto_name(ev->proto), ev->proto,
			      p, sizeof(p)),
	       zt_format_addr(s, sizeof(s), &ev->saddr, ev->sport),
	       zt_format_addr(d, sizeof(d), &ev->daddr, ev->dport));
	if (ev->uid)
		printf(" uid=%u", nla_get_u32(ev->uid));
	if (ev->pid)
		printf(" pid=%u", nla_get_u32(ev->pid));
	if (ev->comm) {
		fputs(" comm=", stdout);
		print_escaped(zt_text_escape, nla_data(ev->comm),
			      attr_strlen(ev->comm));
	}
	putchar('\n');
}

static void event_print_json(const struct event *ev)
{
	char s[ZT_ADDRSTRLEN], d[ZT_ADDRSTRLEN], v[16], p[16];

	printf("{\"verdict\":\"%s\",\"proto\":\"%s\","
	       "\"saddr\":\"%s\",\"sport\":%u,"
	       "\"daddr\":\"%s\",\"dport\":%u",
	       name_or_number(zt_verdict_name(ev->verdict), ev->verdict,
			      v, sizeof(v)),
	       name_or_number(zt_proto_name(ev->proto), ev->proto,
			      p, sizeof(p)),
	       zt_format_addr(s, sizeof(s), &ev->saddr, 0), ev->sport,
	       zt_format_addr(d, sizeof(d), &ev->daddr, 0), ev->dport);
	if (ev->uid)
		printf(",\"uid\":%u", nla_get_u32(ev->uid));
	if (ev->pid)
		printf(",\"pid\":%u", nla_get_u32(ev->pid));
	if (ev->comm) {
		fputs(",\"comm\":\"", stdout);
		print_escaped(zt_json_escape, nla_data(ev->comm),
			      attr_strlen(ev->comm));
		putchar('"');
	}
	puts("}");
}

static int event_cb(struct nl_msg *msg, void *arg)
{
	const struct ctl *c = arg;
	struct event ev;

	if (event_parse(msg, &ev))
		return NL_SKIP;
	if (c->json)
		event_print_json(&ev);
	else
		event_print_text(&ev);
	fflush(stdout);
	return NL_OK;
}

/* Print events until a signal arrives on @sfd: 0, or a negative errno. */
static int monitor_loop(const struct ctl *c, struct ztnl *nl, int sfd)
{
	struct pollfd pfd[2] = {
		{ .fd = ztnl_fd(nl), .events = POLLIN },
		{ .fd = sfd, .events = POLLIN },
	};
	int ret;

	for (;;) {
		if (poll(pfd, ARRAY_SIZE(pfd), -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (pfd[1].revents)
			return 0;
		if (!pfd[0].revents)
			continue;
		ret = ztnl_recv(nl, event_cb, (void *)c);
		if (ret == -ENOBUFS)
			fprintf(stderr,
				"ztdnsctl: monitor: events lost (receive buffer overrun)\n");
		else if (ret)
			return ret;
	}
}

static int monitor_main(const struct ctl *c, int argc, char **argv)
{
	struct ztnl nl;
	sigset_t mask;
	int sfd, ret;

	(void)argc;
	(void)argv;
	/* SIGINT and SIGTERM come through a descriptor, to end the loop. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL)) {
		perror("ztdnsctl: sigprocmask");
		return 1;
	}
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		perror("ztdnsctl: signalfd");
		return 1;
	}
	ret = ctl_open(&nl);
	if (ret)
		goto out_sfd;
	ret = ztnl_subscribe(&nl, ZTDNS_GENL_MCGRP_EVENTS);
	if (!ret)
		ret = monitor_loop(c, &nl, sfd);
	if (ret)
		ctl_error(c, &nl, ret);
	ztnl_close(&nl);
out_sfd:
	close(sfd);
	return ret ? 1 : 0;
}

/* Each takes between min_args and max_args words after its name (and verb). */
static const struct subcommand subcommands[] = {
	{ "status", NULL, status_main, 0, 0, "",
	  "the configuration and the number of entries" },
	{ "mode", NULL, mode_main, 1, 1, "off|audit|enforce",
	  "set the mode" },
	{ "set", NULL, set_main, 1, 2 * ARRAY_SIZE(zt_cfg_fields),
	  "KEY VALUE [KEY VALUE]...", "change settings, all or none" },
	{ "allow", "add", allow_add_main, 1, 3, "ADDR [ttl SECONDS]",
	  "allow an address (ttl " STR(DEFAULT_TTL) " by default)" },
	{ "allow", "load", allow_load_main, 1, 1, "FILE",
	  "allow the addresses of a file (- for stdin)" },
	{ "allow", "del", allow_del_main, 1, 1, "ADDR",
	  "remove an allowed address" },
	{ "allow", "list", allow_list_main, 0, 0, "",
	  "the allowed addresses, time left and idle" },
	{ "allow", "flush", allow_flush_main, 0, 0, "",
	  "remove every allowed address" },
	{ "subnet", "add", subnet_add_main, 1, 1, "ADDR[/LEN]",
	  "always allow a subnet" },
	{ "subnet", "del", subnet_del_main, 1, 1, "ADDR[/LEN]",
	  "remove a subnet" },
	{ "subnet", "list", subnet_list_main, 0, 0, "", "the subnets" },
	{ "server", "add", server_add_main, 1, 3, "ADDR [port PORT]",
	  "add a protective DNS server, port "
	  STR(ZTDNS_DEFAULT_SERVER_PORT) " by default" },
	{ "server", "del", server_del_main, 1, 3, "ADDR [port PORT]",
	  "remove a protective DNS server" },
	{ "server", "list", server_list_main, 0, 0, "", "the servers" },
	{ "stats", NULL, stats_main, 0, 0, "", "the counters" },
	{ "monitor", NULL, monitor_main, 0, 0, "",
	  "print the events (blocks...) until interrupted" },
};

#define SHORT_USAGE "Usage: ztdnsctl [--json] COMMAND [ARGS]...\n"

static int usage(FILE *f)
{
	char buf[128];
	size_t i;

	fprintf(f, SHORT_USAGE "\n"
		"Commands, on the network namespace ztdnsctl runs in:\n");
	for (i = 0; i < ARRAY_SIZE(subcommands); i++) {
		if (synopsis(buf, sizeof(buf), &subcommands[i]) > 28)
			fprintf(f, "  %s\n  %-28s  %s\n", buf, "",
				subcommands[i].help);
		else
			fprintf(f, "  %-28s  %s\n", buf, subcommands[i].help);
	}
	fprintf(f, "  %-28s  %s\n", "help", "this text");
	fprintf(f, "\n"
		"KEY: grace, min_ttl, max_ttl (seconds); log (0 none, 1 blocks,\n"
		"     2 all); allow_dhcp, allow_ndp (0 or 1).\n"
		"ADDR: IPv4 or IPv6.  A subnet without /LEN is one address.\n"
		"FILE: one \"ADDR [TTL]\" per line, TTL in seconds (0 to "
		STR(MAX_TTL) ", " STR(DEFAULT_TTL) "\n"
		"      by default); '#' starts a comment.  Every line is checked\n"
		"      before any is sent; each request of up to 64 KiB is all or\n"
		"      nothing.\n\n"
		"Options:\n"
		"  -j, --json    print JSON: one object, an array for lists,\n"
		"                one object per line for monitor\n"
		"  -h, --help    this text\n"
		"  --version     the version\n\n"
		"Exit status: 0 success, 1 failure, 2 usage error.\n");
	return f == stderr ? EXIT_USAGE : 0;
}

/* The usage lines of the subcommands called @name. */
static void usage_group(const char *name)
{
	const char *prefix = "Usage:";
	char buf[128];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(subcommands); i++) {
		if (strcmp(name, subcommands[i].name))
			continue;
		synopsis(buf, sizeof(buf), &subcommands[i]);
		fprintf(stderr, "%s ztdnsctl %s\n", prefix, buf);
		prefix = "      ";
	}
}

/*
 * The subcommand of the first words; NULL after printing why not.
 * *words is how many words its name takes.
 */
static const struct subcommand *find_subcommand(int argc, char **argv,
						int *words)
{
	bool named = false;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(subcommands); i++) {
		const struct subcommand *sc = &subcommands[i];

		if (strcmp(argv[0], sc->name))
			continue;
		named = true;
		*words = sc->verb ? 2 : 1;
		if (!sc->verb || (argc > 1 && !strcmp(argv[1], sc->verb)))
			return sc;
	}
	if (!named) {
		fprintf(stderr, "ztdnsctl: unknown command '%s'\n" SHORT_USAGE
			"'ztdnsctl help' lists the commands.\n", argv[0]);
		return NULL;
	}
	if (argc > 1)
		fprintf(stderr, "ztdnsctl: unknown command '%s %s'\n",
			argv[0], argv[1]);
	else
		fprintf(stderr, "ztdnsctl: '%s' needs a subcommand\n", argv[0]);
	usage_group(argv[0]);
	return NULL;
}

/* The options before the command; return: -1 to go on, or an exit status. */
static int parse_options(struct ctl *c, int *argc, char ***argv)
{
	for (; *argc && (*argv)[0][0] == '-'; (*argc)--, (*argv)++) {
		const char *opt = (*argv)[0];

		if (!strcmp(opt, "--help") || !strcmp(opt, "-h"))
			return usage(stdout);
		if (!strcmp(opt, "--version")) {
			printf("ztdnsctl %s\n", ZTDNS_VERSION);
			return 0;
		}
		if (strcmp(opt, "--json") && strcmp(opt, "-j")) {
			fprintf(stderr, "ztdnsctl: unknown option '%s'\n" SHORT_USAGE
				"'ztdnsctl help' lists the commands.\n", opt);
			return EXIT_USAGE;
		}
		c->json = true;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct ctl c = { 0 };
	int ret, words;

	argv++, argc--;
	ret = parse_options(&c, &argc, &argv);
	if (ret >= 0)
		return ret;
	if (!argc)
		return usage(stderr);
	if (!strcmp(argv[0], "help"))
		return usage(stdout);
	c.sc = find_subcommand(argc, argv, &words);
	if (!c.sc)
		return EXIT_USAGE;
	argc -= words;
	argv += words;
	if (argc < c.sc->min_args || argc > c.sc->max_args) {
		fprintf(stderr, "ztdnsctl: %s%s%s: wrong number of arguments\n",
			c.sc->name, c.sc->verb ? " " : "",
			c.sc->verb ? c.sc->verb : "");
		return usage_hint(&c);
	}
	ret = c.sc->fn(&c, argc, argv);
	if ((fflush(stdout) || ferror(stdout)) && !ret) {
		fprintf(stderr, "ztdnsctl: writing the output failed\n");
		ret = 1;
	}
	return ret;
}
