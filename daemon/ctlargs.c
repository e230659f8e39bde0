// SPDX-License-Identifier: GPL-2.0
/*
 * The arguments of ztdnsctl's commands; ctlargs.h says what each function
 * promises.
 */

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "ctlargs.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define WANT_SETTING "grace, min_ttl, max_ttl, log, allow_dhcp or allow_ndp"

const struct zt_cfg_field zt_cfg_fields[ZT_CFG_NFIELDS] = {
	{ "mode", ZTDNS_A_MODE, ZT_CFG_MODE, 0, NULL },
	{ "grace", ZTDNS_A_GRACE, ZT_CFG_U32, ZT_CTL_MAX_TTL, ZT_CTL_WANT_TTL },
	{ "min_ttl", ZTDNS_A_MIN_TTL, ZT_CFG_U32, ZT_CTL_MAX_TTL,
	  ZT_CTL_WANT_TTL },
	{ "max_ttl", ZTDNS_A_MAX_TTL, ZT_CFG_U32, ZT_CTL_MAX_TTL,
	  ZT_CTL_WANT_TTL },
	{ "log", ZTDNS_A_LOG, ZT_CFG_U8, ZTDNS_LOG_MAX, "0, 1 or 2" },
	{ "max_entries", ZTDNS_A_MAX_ENTRIES, ZT_CFG_U32, 0, NULL },
	{ "allow_dhcp", ZTDNS_A_ALLOW_DHCP, ZT_CFG_BOOL, 1, "0 or 1" },
	{ "allow_ndp", ZTDNS_A_ALLOW_NDP, ZT_CFG_BOOL, 1, "0 or 1" },
	{ "entries", ZTDNS_A_NUM_ENTRIES, ZT_CFG_U32, 0, NULL },
};

const struct zt_cfg_field *zt_cfg_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(zt_cfg_fields); i++)
		if (!strcmp(name, zt_cfg_fields[i].name))
			return &zt_cfg_fields[i];
	return NULL;
}

static int zt_ctl_bad(struct zt_ctl_err *err, const char *what,
		      const char *word, const char *want)
{
	err->what = what;
	err->key = NULL;
	err->word = word;
	err->want = want;
	return -EINVAL;
}

/*
 * The optional "KEY VALUE" after the first word (allow add, server
 * add|del); *value is NULL without it.
 */
static int zt_ctl_opt_value(int argc, char **argv, const char *key,
			    const char **value, struct zt_ctl_err *err)
{
	*value = NULL;
	if (argc < 2)
		return 0;
	if (strcmp(argv[1], key))
		return zt_ctl_bad(err, "unexpected word", argv[1], key);
	if (argc < 3)
		return zt_ctl_bad(err, "missing value after", argv[1], NULL);
	*value = argv[2];
	return 0;
}

static int zt_ctl_parse_ttl(const char *word, uint32_t *ttl,
			    struct zt_ctl_err *err)
{
	if (zt_parse_u32(word, ttl) || *ttl > ZT_CTL_MAX_TTL)
		return zt_ctl_bad(err, "invalid ttl", word, ZT_CTL_WANT_TTL);
	return 0;
}

int zt_ctl_parse_entry(int argc, char **argv, struct zt_ctl_entry *e,
		       struct zt_ctl_err *err)
{
	const char *ttl;
	int ret;

	e->ttl = ZT_CTL_DEFAULT_TTL;
	if (zt_parse_addr(argv[0], &e->addr))
		return zt_ctl_bad(err, "invalid address", argv[0],
				  ZT_CTL_WANT_ADDR);
	ret = zt_ctl_opt_value(argc, argv, "ttl", &ttl, err);
	if (ret || !ttl)
		return ret;
	return zt_ctl_parse_ttl(ttl, &e->ttl, err);
}

int zt_ctl_parse_line(char *line, struct zt_ctl_entry *e,
		      struct zt_ctl_err *err)
{
	char *w[3];
	unsigned int n;

	e->ttl = ZT_CTL_DEFAULT_TTL;
	n = zt_split_words(line, w, ARRAY_SIZE(w));
	if (!n)
		return 0;
	if (zt_parse_addr(w[0], &e->addr))
		return zt_ctl_bad(err, "invalid address", w[0],
				  ZT_CTL_WANT_ADDR);
	if (n > 1 && zt_ctl_parse_ttl(w[1], &e->ttl, err))
		return -EINVAL;
	if (n > 2)
		return zt_ctl_bad(err, "unexpected word", w[2], "ADDR [TTL]");
	return 1;
}

int zt_ctl_parse_server(int argc, char **argv, struct zt_ctl_server *s,
			struct zt_ctl_err *err)
{
	const char *port;
	int ret;

	s->port = ZTDNS_DEFAULT_SERVER_PORT;
	if (zt_parse_addr(argv[0], &s->addr))
		return zt_ctl_bad(err, "invalid address", argv[0],
				  ZT_CTL_WANT_ADDR);
	ret = zt_ctl_opt_value(argc, argv, "port", &port, err);
	if (ret || !port)
		return ret;
	if (zt_parse_port(port, &s->port))
		return zt_ctl_bad(err, "invalid port", port, "1 to 65535");
	return 0;
}

int zt_ctl_parse_subnet(const char *word, struct zt_ctl_subnet *s,
			struct zt_ctl_err *err)
{
	int ret = zt_parse_cidr(word, &s->addr, &s->plen);

	if (ret == -EDOM) {
		zt_addr_mask(&s->addr, s->plen);
		zt_ctl_bad(err, "host bits set in", word, NULL);
		return -EDOM;
	}
	if (ret == -ERANGE)
		return zt_ctl_bad(err, "invalid prefix length in", word,
				  "0 to 32 for IPv4, 0 to 128 for IPv6");
	if (ret)
		return zt_ctl_bad(err, "invalid subnet", word,
				  "ADDR/LEN or ADDR");
	return 0;
}

/* One "KEY VALUE" of "set". */
static int zt_ctl_set_one(struct zt_ctl_set *s, const char *key,
			  const char *value, struct zt_ctl_err *err)
{
	const struct zt_cfg_field *f = zt_cfg_find(key);
	unsigned int i;
	uint32_t v;

	if (!f || !f->max)
		return zt_ctl_bad(err, "unknown setting", key, WANT_SETTING);
	for (i = 0; i < s->n; i++)
		if (s->set[i].f == f)
			return zt_ctl_bad(err, "duplicate setting", key, NULL);
	if (zt_parse_u32(value, &v) || v > f->max) {
		zt_ctl_bad(err, "invalid", value, f->want);
		err->key = key;
		return -EINVAL;
	}
	s->set[s->n].f = f;
	s->set[s->n].v = v;
	s->n++;
	return 0;
}

int zt_ctl_parse_set(int argc, char **argv, struct zt_ctl_set *s,
		     struct zt_ctl_err *err)
{
	int i, ret;

	s->n = 0;
	if (argc % 2)
		return zt_ctl_bad(err, "missing value after", argv[argc - 1],
				  NULL);
	for (i = 0; i < argc; i += 2) {
		ret = zt_ctl_set_one(s, argv[i], argv[i + 1], err);
		if (ret)
			return ret;
	}
	return 0;
}

int zt_ctl_parse_mode(const char *word, struct zt_ctl_err *err)
{
	int mode = zt_parse_mode(word);

	if (mode < 0)
		return zt_ctl_bad(err, "invalid mode", word,
				  "off, audit or enforce");
	return mode;
}
