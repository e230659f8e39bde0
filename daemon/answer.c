// SPDX-License-Identifier: GPL-2.0
/*
 * What ztdnsd makes of an upstream reply; answer.h says what each function
 * promises.
 */

#include <errno.h>

#include "answer.h"
#include "rebind.h"

int zt_answer_match(const uint8_t *msg, size_t len, uint16_t id,
		    const struct zt_dns_question *q, struct zt_dns_reply *r)
{
	if (len < ZT_DNS_HDR_LEN || (uint16_t)(msg[0] << 8 | msg[1]) != id)
		return -ENOMSG;
	return zt_dns_parse_reply(msg, len, q, r);
}

static uint32_t zt_clamp_ttl(const struct zt_config *cfg, uint32_t ttl)
{
	if (ttl < cfg->min_ttl)
		return cfg->min_ttl;
	if (ttl > cfg->max_ttl)
		return cfg->max_ttl;
	return ttl;
}

unsigned int zt_answer_learn(const struct zt_config *cfg,
			     struct zt_dns_reply *r,
			     void (*refused)(const struct zt_addr *a,
					     const char *special, void *arg),
			     void *arg)
{
	const char *special;
	unsigned int i, n = 0;

	for (i = 0; i < r->naddrs; i++) {
		special = zt_rebind_refused(cfg->subnets, cfg->nsubnets,
					    &r->addrs[i].addr);
		if (special) {
			if (refused)
				refused(&r->addrs[i].addr, special, arg);
			continue;
		}
		r->addrs[n].addr = r->addrs[i].addr;
		r->addrs[n].ttl = zt_clamp_ttl(cfg, r->addrs[i].ttl);
		n++;
	}
	return n;
}

bool zt_answer_cache_ttl(const struct zt_config *cfg,
			 const struct zt_dns_reply *r, uint32_t *ttl)
{
	*ttl = r->cache_ttl < cfg->max_ttl ? r->cache_ttl : cfg->max_ttl;
	return !r->truncated && (r->rcode == ZT_DNS_RCODE_NOERROR ||
				 r->rcode == ZT_DNS_RCODE_NXDOMAIN);
}

/* The client sees no address of the ranges zt_answer_learn() refuses. */
static bool zt_hide(const struct zt_addr *a, void *arg)
{
	const struct zt_config *cfg = arg;

	return zt_rebind_refused(cfg->subnets, cfg->nsubnets, a);
}

int zt_answer_client(const struct zt_config *cfg, uint8_t *out, size_t size,
		     const uint8_t *msg, size_t len,
		     const struct zt_dns_query *dq, bool tcp)
{
	size_t limit = ZT_DNS_MSG_MAX;

	if (!tcp)
		limit = dq->udp_size > ZT_DNS_UDP_PLAIN ? dq->udp_size :
			ZT_DNS_UDP_PLAIN;
	return zt_dns_client_reply(out, size, msg, len, dq, limit, zt_hide,
				   (void *)cfg);
}

int zt_answer_make(const struct zt_config *cfg, uint8_t *out, size_t size,
		   const uint8_t *msg, size_t len,
		   const struct zt_dns_query *dq, bool tcp,
		   struct zt_dns_reply *r,
		   void (*refused)(const struct zt_addr *a,
				   const char *special, void *arg),
		   void *arg, struct zt_answer *a)
{
	int n = zt_answer_client(cfg, out, size, msg, len, dq, tcp);

	if (n < 0)
		return n;
	a->nallow = zt_answer_learn(cfg, r, refused, arg);
	a->cache = zt_answer_cache_ttl(cfg, r, &a->cache_ttl);
	return n;
}
