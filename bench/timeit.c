// SPDX-License-Identifier: GPL-2.0
/*
 * timeit: run a command and write what it took to a file.
 *
 *   timeit [-t SECONDS] OUT COMMAND [ARG]...
 *
 * The time runs on CLOCK_MONOTONIC from just before the fork to the
 * return of wait4(), so that neither the shell nor "ip netns exec" nor
 * timeit's own start is in it (in the benchmark's VM, where every exec
 * reads its binary over 9p, they cost seconds).  OUT gets one line:
 *
 *   STATUS SECONDS USER SYS MAXRSS_KB
 *
 * STATUS is the command's exit status, or 128 + the signal that ended
 * it, or 124 when it ran out of SECONDS and was killed (SECONDS is then
 * what it ran); USER, SYS and MAXRSS_KB come from its rusage.  timeit
 * exits with STATUS, or 127 when the command could not run, 2 on a usage
 * error.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t child;

static void on_alarm(int sig)
{
	(void)sig;
	kill(child, SIGKILL);
}

static double secs(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

static double tv_secs(const struct timeval *tv)
{
	return tv->tv_sec + tv->tv_usec / 1e6;
}

static int usage(void)
{
	fprintf(stderr, "usage: timeit [-t SECONDS] OUT COMMAND [ARG]...\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	unsigned long limit = 0;
	struct timespec t0, t1;
	struct rusage ru;
	int opt, st, status;
	char *end;
	FILE *out;

	while ((opt = getopt(argc, argv, "+t:")) != -1) {
		if (opt != 't')
			return usage();
		errno = 0;
		limit = strtoul(optarg, &end, 10);
		if (errno || end == optarg || *end || limit > 86400)
			return usage();
	}
	if (argc - optind < 2)
		return usage();
	out = fopen(argv[optind], "we");
	if (!out) {
		perror(argv[optind]);
		return 2;
	}
	sigaction(SIGALRM, &sa, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	child = fork();
	if (child < 0) {
		perror("fork");
		return 127;
	}
	if (!child) {
		execvp(argv[optind + 1], argv + optind + 1);
		fprintf(stderr, "timeit: %s: %s\n", argv[optind + 1],
			strerror(errno));
		_exit(127);
	}
	alarm(limit);
	while (wait4(child, &st, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("wait4");
			return 127;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (limit && status == 128 + SIGKILL && secs(&t0, &t1) >= limit)
		status = 124;	/* killed by on_alarm() */
	fprintf(out, "%d %.4f %.3f %.3f %ld\n", status, secs(&t0, &t1),
		tv_secs(&ru.ru_utime), tv_secs(&ru.ru_stime), ru.ru_maxrss);
	if (fclose(out)) {
		perror(argv[optind]);
		return 127;
	}
	return status;
}
