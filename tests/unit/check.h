/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The checks the host unit tests share.  Each check counts itself and,
 * when it fails, prints "FAIL what(in): got ..., want ..."; check_done()
 * prints "NAME: N checks, M failed" and returns the exit status, 1 when
 * any failed.  A test whose inputs are words rather than descriptions
 * defines CHECK_QUOTE_IN before including this, for "FAIL what("in"): ...".
 */
#ifndef ZTDNS_TESTS_CHECK_H
#define ZTDNS_TESTS_CHECK_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#ifdef CHECK_QUOTE_IN
#define CHECK_CASE "FAIL %s(\"%s\"): "
#else
#define CHECK_CASE "FAIL %s(%s): "
#endif

/* What ran and what failed; a test counts its own ad hoc checks here too. */
static unsigned int checks, failures;

static inline void check_int(const char *what, const char *in, long long got,
			     long long want)
{
	checks++;
	if (got == want)
		return;
	failures++;
	printf(CHECK_CASE "got %lld, want %lld\n", what, in, got, want);
}

/* Equal strings, or both NULL. */
static inline void check_str(const char *what, const char *in,
			     const char *got, const char *want)
{
	checks++;
	if ((!got && !want) || (got && want && !strcmp(got, want)))
		return;
	failures++;
	printf(CHECK_CASE "got \"%s\", want \"%s\"\n", what, in,
	       got ? got : "(null)", want ? want : "(null)");
}

/* @len bytes, printed in hex when they differ. */
static inline void check_bytes(const char *what, const char *in,
			       const unsigned char *got,
			       const unsigned char *want, size_t len)
{
	size_t i;

	checks++;
	if (!memcmp(got, want, len))
		return;
	failures++;
	printf(CHECK_CASE "got", what, in);
	for (i = 0; i < len; i++)
		printf(" %02x", got[i]);
	printf(", want");
	for (i = 0; i < len; i++)
		printf(" %02x", want[i]);
	putchar('\n');
}

/* The summary line; the test's exit status. */
static inline int check_done(const char *name)
{
	printf("%s: %u checks, %u failed\n", name, checks, failures);
	return failures ? 1 : 0;
}

#endif /* ZTDNS_TESTS_CHECK_H */
