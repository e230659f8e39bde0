// SPDX-License-Identifier: GPL-2.0
/*
 * A query's life in ztdnsd: from the cache or from a protective server,
 * through the kernel, to the client.
 *
 * The order is the point of Zero Trust DNS: the addresses of an answer are
 * allowed in the kernel, and the kernel has acknowledged it, before the
 * client sees the answer; so the client's next connect() to them passes,
 * and nothing it was not told about does.  An answer whose addresses the
 * kernel refuses becomes SERVFAIL.  Addresses in special-use ranges
 * (rebind.h) are neither learned nor left in the client's answer unless
 * an allowed subnet covers them.  A cache hit renews the entries with the
 * TTLs left.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "answer.h"
#include "ztdnsd.h"

static uint8_t zt_hit[ZT_DNS_MSG_MAX];	/* a reply from the cache */
static uint8_t zt_out[ZT_DNS_MSG_MAX];	/* the reply to the client */
static struct zt_dns_reply zt_cached;

/* An address zt_answer_learn() keeps from the kernel and the client. */
static void zt_refused(const struct zt_addr *a, const char *special,
		       void *arg)
{
	char name[ZT_DNS_NAME_MAX * 4 + 16], addr[ZT_ADDRSTRLEN];
	const struct zt_query *q = arg;

	zt.stats.rebind_skipped++;
	if (zt_log_ratelimit())
		zt_log(LOG_NOTICE,
		       "neither learning nor answering %s for %s: %s address outside the allowed subnets",
		       zt_format_addr(addr, sizeof(addr), a, 0),
		       zt_dns_question_str(name, sizeof(name), &q->dq.q),
		       special);
}

/* Allow the first @n addresses of @r; 0 or a negative errno. */
static int zt_learn(struct zt_query *q, const struct zt_dns_reply *r,
		    unsigned int n)
{
	char name[ZT_DNS_NAME_MAX * 4 + 16], err[256];
	int ret;

	ret = zt_kernel_allow(r->addrs, n, err, sizeof(err));
	if (ret) {
		zt.stats.kernel_errors++;
		if (zt_log_ratelimit())
			zt_log(LOG_ERR, "the kernel refused %u address%s for %s: %s",
			       n, n == 1 ? "" : "es",
			       zt_dns_question_str(name, sizeof(name), &q->dq.q),
			       err);
	}
	return ret;
}

/*
 * Shape, learn, maybe cache, answer; @store: the reply came from
 * upstream.  Nothing is learned for a reply the client does not get.
 */
static void zt_answer(struct zt_query *q, const uint8_t *msg, size_t len,
		      struct zt_dns_reply *r, bool store)
{
	struct zt_answer a;
	int out;

	out = zt_answer_make(&zt.cfg, zt_out, sizeof(zt_out), msg, len,
			     &q->dq, q->tcp != NULL, r, zt_refused, q, &a);
	if (out < 0) {
		zt_resolve_fail(q, "cannot shape the reply for the client");
		return;
	}
	if (zt_learn(q, r, a.nallow)) {
		zt_resolve_fail(q, NULL);
		return;
	}
	if (store && a.cache)
		zt_cache_put(zt.cache, &q->dq, msg, len, a.cache_ttl,
			     zt_now_ms());
	zt.stats.answers++;
	zt_client_send(q, zt_out, out);
}

void zt_resolve(struct zt_query *q)
{
	uint64_t now = zt_now_ms();
	int len;

	zt.stats.queries++;
	q->deadline_ms = q->start_ms + ZT_QUERY_DEADLINE_MS;
	len = zt_cache_get(zt.cache, &q->dq, zt_hit, sizeof(zt_hit), now);
	if (len > 0 && !zt_dns_parse_reply(zt_hit, len, &q->dq.q,
					   &zt_cached)) {
		zt.stats.cache_hits++;
		zt_answer(q, zt_hit, len, &zt_cached, false);
		return;
	}
	zt_upstream_submit(q);
}

void zt_resolve_answer(struct zt_query *q, const uint8_t *msg, size_t len,
		       struct zt_dns_reply *r)
{
	zt_answer(q, msg, len, r, true);
}

void zt_resolve_fail(struct zt_query *q, const char *why)
{
	char name[ZT_DNS_NAME_MAX * 4 + 16];
	int len;

	zt.stats.servfail++;
	if (why && zt_log_ratelimit())
		zt_log(LOG_NOTICE, "%s: SERVFAIL: %s",
		       zt_dns_question_str(name, sizeof(name), &q->dq.q), why);
	len = zt_dns_error_reply(zt_out, sizeof(zt_out), &q->dq,
				 ZT_DNS_RCODE_SERVFAIL);
	zt_client_send(q, zt_out, len > 0 ? len : 0);
}
