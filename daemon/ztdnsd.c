// SPDX-License-Identifier: GPL-2.0
/*
 * ztdnsd: the DNS-over-TLS stub resolver of ztdns.  main() sets up in a
 * line (configuration, TLS, cache, listeners, privileges) and only then
 * gives the kernel its servers, subnets and mode, so that a setup that
 * fails changes nothing there; it runs the event loop until SIGTERM or
 * SIGINT, and reloads the configuration on SIGHUP (zt_reload()).
 * ztdnsd.h maps the files.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
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
static bool zt_reload_pending;
static const char *zt_config_path = ZT_DEFAULT_CONFIG;

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
"At start ztdnsd reads its CA files and keys, binds its listeners, drops\n"
"every privilege but CAP_NET_ADMIN (and changes to its user, if one is\n"
"configured), and only then makes the kernel's protective servers and\n"
"exception subnets those of the configuration (stale ones from an earlier\n"
"run are removed) and applies its mode if it sets one: a setup that fails\n"
"leaves the kernel as it was.  When no protective server can be reached,\n"
"or the kernel refuses an answer's addresses, clients get SERVFAIL.\n"
"Addresses in loopback, private, link-local, multicast and other\n"
"special-use ranges are neither learned from an answer nor left in it\n"
"unless an allow_subnet covers them.  A listen address other than\n"
"loopback is warned of: other hosts could then have this host allow\n"
"what they resolve.\n"
"\n"
"When ztdnsd stops or dies, enforcement stays as it is: entries run out\n"
"and nothing new is allowed until it runs again (fail closed).\n"
"\n"
"Signals: SIGTERM, SIGINT stop; SIGUSR1 logs the counters; SIGHUP reloads\n"
"the configuration: the new one (servers, CA files, pins, client keys,\n"
"subnets, TTLs, cache size, mode) replaces the running one only when all\n"
"of it is valid, else it is refused (logged) and the running one stays.\n"
"Queries in flight are sent again to the new servers.  listen and user\n"
"need a restart.\n"
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
	       "queries %llu, cache hits %llu, answers %llu, servfail %llu, dropped %llu, upstream errors %llu, kernel errors %llu, not learned (rebinding) %llu, TCP clients closed by limits %llu, displaced by newer queries %llu; cached %zu",
	       (unsigned long long)s->queries,
	       (unsigned long long)s->cache_hits,
	       (unsigned long long)s->answers,
	       (unsigned long long)s->servfail,
	       (unsigned long long)s->dropped,
	       (unsigned long long)s->upstream_errors,
	       (unsigned long long)s->kernel_errors,
	       (unsigned long long)s->rebind_skipped,
	       (unsigned long long)s->tcp_closed,
	       (unsigned long long)s->jostled,
	       zt_cache_count(zt.cache));
}

static void zt_signal_event(struct zt_io *io, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	while (read(io->fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			zt_log_stats();
		else if (si.ssi_signo == SIGHUP)
			zt_reload_pending = true;
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

/* The user ztdnsd changes to may own its client keys (tls.c). */
static void zt_key_user(const struct zt_config *cfg)
{
	struct passwd *pw;

	pw = cfg->user ? getpwnam(cfg->user) : NULL;
	if (pw)
		ztls_set_user(pw->pw_uid);
}

/* A listener on another address than loopback serves other hosts too. */
static void zt_warn_listen(const struct zt_config *cfg)
{
	char addr[ZT_ADDRSTRLEN];
	unsigned int i;

	for (i = 0; i < cfg->nlisten; i++)
		if (!zt_listen_loopback(&cfg->listen[i]))
			zt_log(LOG_WARNING,
			       "listen %s is not a loopback address: other hosts can ask ztdnsd, and the kernel allows what they resolve on this host",
			       zt_format_addr(addr, sizeof(addr),
					      &cfg->listen[i].addr,
					      cfg->listen[i].port));
}

static bool zt_same_listen(const struct zt_config *a,
			   const struct zt_config *b)
{
	const struct zt_listen *x, *y;
	unsigned int i;

	if (a->nlisten != b->nlisten)
		return false;
	for (i = 0; i < a->nlisten; i++) {
		x = &a->listen[i];
		y = &b->listen[i];
		if (x->port != y->port || x->addr.family != y->addr.family ||
		    memcmp(x->addr.bytes, y->addr.bytes,
			   zt_addr_len(x->addr.family)))
			return false;
	}
	return true;
}

/*
 * What a reload cannot change (the listeners are bound, the user is
 * changed): said, and kept as it is in @next.
 */
static void zt_keep_fixed(struct zt_config *next)
{
	struct zt_config *cfg = &zt.cfg;

	if (!zt_same_listen(next, cfg)) {
		zt_log(LOG_WARNING,
		       "reload: a new listen takes a restart; the listeners stay as they are");
		next->nlisten = cfg->nlisten;
		memcpy(next->listen, cfg->listen, sizeof(cfg->listen));
	}
	if ((next->user || cfg->user) &&
	    (!next->user || !cfg->user || strcmp(next->user, cfg->user))) {
		zt_log(LOG_WARNING,
		       "reload: a new user takes a restart; ztdnsd stays the user it is");
		free(next->user);
		next->user = cfg->user ? strdup(cfg->user) : NULL;
	}
}

/*
 * SIGHUP: read the file again and build all of it aside (TLS contexts,
 * an empty cache, the kernel's new servers and subnets, the mode); only
 * when every step worked does it replace the running configuration, and
 * only then are the stale servers and subnets removed from the kernel.  A
 * failure undoes what the kernel got and leaves the rest as it was.
 */
static void zt_reload(void)
{
	static struct zt_config next;
	struct zt_cache *cache = NULL;
	char err[512], undo[256];

	sd_notifyf(0, "RELOADING=1\nSTATUS=reloading %s\nMONOTONIC_USEC=%" PRIu64,
		   zt_config_path, zt_now_ms() * 1000);
	zt_log(LOG_INFO, "SIGHUP: reloading %s", zt_config_path);
	if (zt_config_load(zt_config_path, &next, err, sizeof(err)))
		goto refuse;
	zt_warn_listen(&next);
	zt_keep_fixed(&next);
	if (zt_upstream_prepare(&next, err, sizeof(err)))
		goto refuse_cfg;
	/*
	 * A new, empty cache: the answers of the old servers, shaped by the
	 * old subnets, are not the new configuration's verdicts.
	 */
	cache = zt_cache_new(next.cache_size);
	if (!cache) {
		snprintf(err, sizeof(err), "out of memory for the cache");
		goto refuse_upstream;
	}
	if (zt_kernel_sync(&next, &zt.cfg, err, sizeof(err)))
		goto refuse_kernel;
	if (next.mode >= 0 && zt_kernel_set_mode(next.mode, err, sizeof(err)))
		goto refuse_kernel;

	zt_config_free(&zt.cfg);
	zt.cfg = next;
	memset(&next, 0, sizeof(next));
	zt_upstream_commit();
	zt_cache_free(zt.cache);
	zt.cache = cache;
	if (zt_kernel_sync(&zt.cfg, NULL, err, sizeof(err)))
		zt_log(LOG_WARNING, "reload: removing stale kernel settings: %s",
		       err);
	zt_log(LOG_INFO, "reloaded %s: %u protective server%s; cache %zu",
	       zt_config_path, zt.cfg.nservers,
	       zt.cfg.nservers == 1 ? "" : "s", zt.cfg.cache_size);
	goto out;

refuse_kernel:
	/* What the new file added to the kernel goes again. */
	if (zt_kernel_sync(&zt.cfg, NULL, undo, sizeof(undo)))
		zt_log(LOG_WARNING, "reload: undoing kernel settings: %s",
		       undo);
	zt_cache_free(cache);
refuse_upstream:
	zt_upstream_abort();
refuse_cfg:
	zt_config_free(&next);
refuse:
	zt_log(LOG_ERR, "reload refused, the running configuration stays: %s",
	       err);
out:
	sd_notify(0, "READY=1\nSTATUS=answering");
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
		if (zt_reload_pending) {
			zt_reload_pending = false;
			zt_reload();
		}
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
	zt_config_path = path;
	if (zt_config_load(path, &zt.cfg, err, sizeof(err))) {
		zt_log(LOG_ERR, "%s", err);
		return 1;
	}
	zt_warn_listen(&zt.cfg);
	zt_key_user(&zt.cfg);
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
	sigaddset(&sigs, SIGHUP);
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
	/* Last: a setup that failed before leaves the kernel as it was. */
	if (zt_kernel_setup(err, sizeof(err))) {
		zt_log(LOG_ERR, "kernel setup: %s", err);
		goto err_client;
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
