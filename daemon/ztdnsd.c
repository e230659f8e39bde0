// SPDX-License-Identifier: GPL-2.0
/*
 * ztdnsd: the DNS-over-TLS stub resolver of ztdns.  main() sets up in a
 * line (configuration, kernel, TLS, cache, listeners, privileges), then
 * runs the event loop until SIGTERM or SIGINT; ztdnsd.h maps the files.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <syslog.h>
#include <unistd.h>

#include <cap-ng.h>
#include <systemd/sd-daemon.h>

#include "build/version.h"
#include "tls.h"
#include "ztdnsd.h"

#define ZT_DEFAULT_CONFIG "/etc/ztdns/ztdnsd.conf"

struct zt_daemon zt;
static bool zt_stop;

static const char zt_usage[] =
"Usage: ztdnsd [-c FILE] [-f] [-v]\n"
"       ztdnsd --check [-c FILE]\n"
"\n"
"ztdnsd is the DNS resolver of a Zero Trust DNS host.  It answers the\n"
"host's queries on loopback, asks only the protective DNS servers of its\n"
"configuration, over DNS-over-TLS (RFC 7858) with the servers' certificates\n"
"or keys verified, and before it returns an answer it has the ztdns kernel\n"
"module allow the answer's addresses for their TTL.  With the module in\n"
"enforce mode, the host can then connect only to addresses its protective\n"
"servers gave it, to the exception subnets, and to the servers themselves.\n"
"\n"
"Options:\n"
"  -c, --config FILE  the configuration file (default " ZT_DEFAULT_CONFIG ")\n"
"  -f, --foreground   stay in the foreground and log to standard error\n"
"                     (otherwise: detach once ready, log to syslog)\n"
"  -v, --verbose      also log connections and debugging detail\n"
"      --check        check the configuration (and read the CA files and\n"
"                     client keys it names), then exit: 0 when it is valid\n"
"  -h, --help         this text\n"
"  -V, --version      the version\n"
"\n"
"At start ztdnsd makes the kernel's protective servers and exception\n"
"subnets those of the configuration (stale ones from an earlier run are\n"
"removed), applies its mode if it sets one, binds its listeners, and then\n"
"drops every privilege but CAP_NET_ADMIN (and changes to its user, if\n"
"one is configured).  When no protective server can be reached, or the\n"
"kernel refuses an answer's addresses, clients get SERVFAIL.  Addresses\n"
"in loopback, private, link-local, multicast and other special-use ranges\n"
"are neither learned from an answer nor left in it unless an allow_subnet\n"
"covers them.\n"
"\n"
"When ztdnsd stops or dies, enforcement stays as it is: entries run out\n"
"and nothing new is allowed until it runs again (fail closed).\n"
"\n"
"Signals: SIGTERM, SIGINT stop; SIGUSR1 logs the counters.\n"
"\n"
"Exit status: 0 on a clean stop or a valid --check; 1 when the\n"
"configuration is invalid or setup fails (the log says why, the file\n"
"and line for a configuration error); 2 for a usage error.\n"
"\n"
"Configuration: see the README (section \"ztdnsd\"); in short\n"
"  [daemon]  listen, user, mode, min_ttl, max_ttl, cache_size,\n"
"            allow_subnet\n"
"  [server]  address, port, auth_name, ca_file, pin, client_cert,\n"
"            client_key   (repeatable: one section per server)\n";

static void zt_log_stats(void)
{
	const struct zt_stats *s = &zt.stats;

	zt_log(LOG_INFO,
	       "queries %llu, cache hits %llu, answers %llu, servfail %llu, dropped %llu, upstream errors %llu, kernel errors %llu, not learned (rebinding) %llu, TCP clients closed by limits %llu; cached %zu",
	       (unsigned long long)s->queries,
	       (unsigned long long)s->cache_hits,
	       (unsigned long long)s->answers,
	       (unsigned long long)s->servfail,
	       (unsigned long long)s->dropped,
	       (unsigned long long)s->upstream_errors,
	       (unsigned long long)s->kernel_errors,
	       (unsigned long long)s->rebind_skipped,
	       (unsigned long long)s->tcp_closed,
	       zt_cache_count(zt.cache));
}

static void zt_signal_event(struct zt_io *io, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	while (read(io->fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			zt_log_stats();
		else
			zt_stop = true;
	}
}

static const struct zt_io_ops zt_signal_ops = {
	.event = zt_signal_event,
};

/*
 * Keep CAP_NET_ADMIN (the ztdns family wants it for every request) and
 * nothing else, as the configured user if there is one; empty the bounding
 * set too when allowed (CAP_SETPCAP: not under systemd, whose unit bounds
 * it already).
 */
static int zt_drop_privileges(void)
{
	struct passwd *pw = NULL;
	bool setpcap;
	int ret;

	if (zt.cfg.user) {
		pw = getpwnam(zt.cfg.user);
		if (!pw) {
			zt_log(LOG_ERR, "unknown user '%s'", zt.cfg.user);
			return -ENOENT;
		}
	}
	capng_get_caps_process();
	setpcap = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	capng_clear(CAPNG_SELECT_BOTH);
	capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
		     CAP_NET_ADMIN);
	if (pw && pw->pw_uid != getuid())
		ret = capng_change_id(pw->pw_uid, pw->pw_gid,
				      CAPNG_DROP_SUPP_GRP |
				      CAPNG_CLEAR_BOUNDING);
	else
		ret = capng_apply(setpcap ? CAPNG_SELECT_BOTH :
				  CAPNG_SELECT_CAPS);
	if (ret) {
		zt_log(LOG_ERR, "cannot drop privileges (libcap-ng: %d)", ret);
		return -EPERM;
	}
	if (!getuid())
		zt_log(LOG_WARNING,
		       "running as root (with CAP_NET_ADMIN only): set 'user' in [daemon] to run as another user");
	return 0;
}

/* Detach; the parent exits once the child says it is ready (or failed). */
static int zt_daemonize(int *ready_fd)
{
	int p[2];
	char c = 1;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(p[1]);
		_exit(read(p[0], &c, 1) == 1 && c == 0 ? 0 : 1);
	}
	close(p[0]);
	setsid();
	*ready_fd = p[1];
	return 0;
}

static void zt_ready(int ready_fd)
{
	char addr[ZT_ADDRSTRLEN], list[ZT_CFG_MAX_LISTEN * ZT_ADDRSTRLEN];
	const char c = 0;
	size_t off = 0;
	unsigned int i;

	for (i = 0; i < zt.cfg.nlisten && off < sizeof(list); i++)
		off += snprintf(list + off, sizeof(list) - off, "%s%s",
				i ? " " : "",
				zt_format_addr(addr, sizeof(addr),
					       &zt.cfg.listen[i].addr,
					       zt.cfg.listen[i].port));
	zt_log(LOG_INFO,
	       "ztdnsd %s ready: listening on %s (udp, tcp); %u protective server%s; cache %zu",
	       ZTDNS_VERSION, list, zt.cfg.nservers,
	       zt.cfg.nservers == 1 ? "" : "s", zt.cfg.cache_size);
	sd_notify(0, "READY=1\nSTATUS=answering");
	if (ready_fd >= 0) {
		if (write(ready_fd, &c, 1) != 1)
			zt_log(LOG_WARNING, "cannot tell the parent we are ready");
		close(ready_fd);
		if (!freopen("/dev/null", "r", stdin) ||
		    !freopen("/dev/null", "w", stdout) ||
		    !freopen("/dev/null", "w", stderr))
			zt_log(LOG_WARNING, "cannot detach standard streams");
	}
}

static void zt_loop(void)
{
	uint64_t now, next, t;

	while (!zt_stop) {
		now = zt_now_ms();
		next = zt_upstream_tick(now);
		t = zt_client_tick(now);
		if (t < next)
			next = t;
		zt_io_dispatch(next > now ? (int)(next - now) : 0);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "check", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = ZT_DEFAULT_CONFIG;
	bool foreground = false, check = false;
	struct zt_io sig_io = { .fd = -1, .ops = &zt_signal_ops };
	int ready_fd = -1, o, ret;
	char err[512];
	sigset_t sigs;

	while ((o = getopt_long(argc, argv, "c:fvhV", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'v':
			zt.verbose = true;
			break;
		case 'C':
			check = true;
			break;
		case 'h':
			fputs(zt_usage, stdout);
			return 0;
		case 'V':
			printf("ztdnsd %s\n", ZTDNS_VERSION);
			return 0;
		default:
			fputs(zt_usage, stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ztdnsd: unexpected argument '%s'\n\n%s",
			argv[optind], zt_usage);
		return 2;
	}

	zt_log_init(false, zt.verbose);
	if (zt_config_load(path, &zt.cfg, err, sizeof(err))) {
		zt_log(LOG_ERR, "%s", err);
		return 1;
	}
	if (check) {
		ret = zt_upstream_init(err, sizeof(err));
		if (ret)
			zt_log(LOG_ERR, "%s", err);
		else
			printf("%s: valid\n", path);
		zt_upstream_uninit();
		zt_config_free(&zt.cfg);
		return ret ? 1 : 0;
	}

	ret = 1;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGUSR1);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sig_io.fd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (zt_loop_init() || sig_io.fd < 0 || zt_io_add(&sig_io, EPOLLIN)) {
		zt_log(LOG_ERR, "cannot set up the event loop: %s",
		       strerror(errno));
		goto err_loop;
	}
	if (zt_kernel_open(err, sizeof(err))) {
		zt_log(LOG_ERR, "%s", err);
		goto err_loop;
	}
	if (zt_kernel_setup(err, sizeof(err))) {
		zt_log(LOG_ERR, "kernel setup: %s", err);
		goto err_kernel;
	}
	if (zt_upstream_init(err, sizeof(err))) {
		zt_log(LOG_ERR, "%s", err);
		goto err_kernel;
	}
	zt.cache = zt_cache_new(zt.cfg.cache_size);
	if (!zt.cache) {
		zt_log(LOG_ERR, "out of memory for the cache");
		goto err_upstream;
	}
	if (zt_client_init())
		goto err_cache;
	if (zt_drop_privileges())
		goto err_client;
	if (!foreground) {
		if (zt_daemonize(&ready_fd)) {
			zt_log(LOG_ERR, "cannot detach: %s", strerror(errno));
			goto err_client;
		}
		zt_log_init(true, zt.verbose);
	}
	zt_ready(ready_fd);
	zt_loop();
	sd_notify(0, "STOPPING=1");
	zt_log(LOG_INFO, "stopping; the kernel's entries stay until they expire");
	zt_log_stats();
	ret = 0;

err_client:
	/* Fail the queries in flight while their clients can hear it. */
	zt_upstream_uninit();
	zt_client_uninit();
err_cache:
	zt_cache_free(zt.cache);
err_upstream:
	zt_upstream_uninit();
err_kernel:
	zt_kernel_close();
err_loop:
	if (sig_io.fd >= 0)
		close(sig_io.fd);
	zt_loop_uninit();
	zt_config_free(&zt.cfg);
	return ret;
}
