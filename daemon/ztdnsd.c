// SPDX-License-Identifier: GPL-2.0
/*
 * ztdnsd: the DNS-over-TLS stub resolver of ztdns.  Not written yet: this
 * placeholder only answers --help and --version, and says so otherwise.
 */

#include <stdio.h>
#include <string.h>

#ifndef ZTDNS_VERSION
#define ZTDNS_VERSION "unknown"
#endif

int main(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("Usage: ztdnsd -c FILE [-f] [-v]\n\n"
		       "The ztdns DNS-over-TLS stub resolver.  Not implemented yet.\n");
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("ztdnsd %s\n", ZTDNS_VERSION);
		return 0;
	}
	fprintf(stderr, "ztdnsd: not implemented yet\n");
	return 1;
}
