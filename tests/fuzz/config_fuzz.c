// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target of daemon/config.c: any bytes as a configuration file.
 * Besides the sanitizers' findings, it traps when a parse breaks a promise
 * of config.h: a failed parse that leaves something to free or says
 * nothing, or a config that passes with values out of their bounds.
 */

#include <stdint.h>
#include <string.h>

#include "daemon/config.h"
#include "uapi/linux/ztdns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct zt_config *cfg)
{
	const struct zt_server_cfg *s;
	unsigned int i;

	if (!cfg->nlisten || cfg->nlisten > ZT_CFG_MAX_LISTEN ||
	    cfg->nsubnets > ZT_CFG_MAX_SUBNETS || !cfg->nservers ||
	    cfg->nservers > ZT_CFG_MAX_SERVERS ||
	    cfg->mode > ZTDNS_MODE_ENFORCE || cfg->min_ttl > cfg->max_ttl ||
	    cfg->max_ttl > ZTDNS_TTL_LIMIT || (cfg->user && !*cfg->user))
		__builtin_trap();
	for (i = 0; i < cfg->nlisten; i++)
		if (!cfg->listen[i].port ||
		    !zt_addr_len(cfg->listen[i].addr.family))
			__builtin_trap();
	for (s = cfg->servers; s < cfg->servers + cfg->nservers; s++)
		if (!zt_addr_len(s->addr.family) || !s->port ||
		    !s->auth_name != !s->ca_file ||
		    (!s->auth_name && !s->npins) ||
		    s->npins > ZT_CFG_MAX_PINS ||
		    !s->client_cert != !s->client_key)
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct zt_config zero;
	struct zt_config cfg;
	char err[256];

	if (zt_config_parse((const char *)data, size, "fuzz", &cfg, err,
			    sizeof(err))) {
		if (memcmp(&cfg, &zero, sizeof(cfg)) ||
		    strncmp(err, "fuzz:", 5))
			__builtin_trap();
		return 0;
	}
	check(&cfg);
	zt_config_free(&cfg);
	return 0;
}
