// SPDX-License-Identifier: GPL-2.0
/*
 * ztdnsd's log: one line per event, to standard error in the foreground
 * (systemd's journal takes it from there) or to syslog once daemonized.
 * LOG_DEBUG lines only with -v.
 */

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "ztdnsd.h"

static bool zt_log_syslog;
static bool zt_log_verbose;

void zt_log_init(bool to_syslog, bool verbose)
{
	zt_log_syslog = to_syslog;
	zt_log_verbose = verbose;
	if (to_syslog)
		openlog("ztdnsd", LOG_PID, LOG_DAEMON);
}

void zt_log(int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio == LOG_DEBUG && !zt_log_verbose)
		return;
	va_start(ap, fmt);
	if (zt_log_syslog) {
		vsyslog(prio, fmt, ap);
	} else {
		fputs("ztdnsd: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}

/*
 * Whether a per-query line may be logged: at most 20 in 5 s, so that a
 * flood of bad queries or a dead server does not flood the log; the count
 * of lines held back is logged with the next one that passes.
 */
bool zt_log_ratelimit(void)
{
	static uint64_t start;
	static unsigned int n, missed;
	uint64_t now = zt_now_ms();

	if (now - start >= 5000) {
		if (missed)
			zt_log(LOG_NOTICE, "%u log lines suppressed", missed);
		start = now;
		n = 0;
		missed = 0;
	}
	if (n < 20) {
		n++;
		return true;
	}
	missed++;
	return false;
}
