// SPDX-License-Identifier: GPL-2.0
/* KUnit cases for params.c; included from it to reach its static functions. */

#include <kunit/test.h>

static void ztdns_test_mode_parse(struct kunit *test)
{
	static const struct {
		const char *in;
		int out;
	} cases[] = {
		{ "off", ZTDNS_MODE_OFF },
		{ "audit", ZTDNS_MODE_AUDIT },
		{ "enforce", ZTDNS_MODE_ENFORCE },
		{ "enforce\n", ZTDNS_MODE_ENFORCE },	/* echo enforce > ... */
		{ "", -EINVAL },
		{ "\n", -EINVAL },
		{ "Enforce", -EINVAL },
		{ "enforced", -EINVAL },
		{ "enforce\n\n", -EINVAL },
		{ " off", -EINVAL },
		{ "2", -EINVAL },
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		KUNIT_EXPECT_EQ_MSG(test, ztdns_mode_parse(cases[i].in),
				    cases[i].out, "input \"%s\"", cases[i].in);
	KUNIT_EXPECT_EQ(test, ztdns_mode_parse(NULL), -EINVAL);
}

static void ztdns_test_mode_name(struct kunit *test)
{
	int m;

	for (m = 0; m <= ZTDNS_MODE_MAX; m++)
		KUNIT_EXPECT_EQ(test, ztdns_mode_parse(ztdns_mode_name(m)), m);
	KUNIT_EXPECT_STREQ(test, ztdns_mode_name(ZTDNS_MODE_MAX + 1), "invalid");
}

static void ztdns_test_param_set_keeps_old(struct kunit *test)
{
	u8 v = ZTDNS_MODE_AUDIT;
	const struct kernel_param kp = { .arg = &v };

	KUNIT_EXPECT_EQ(test, ztdns_param_set_mode("bogus", &kp), -EINVAL);
	KUNIT_EXPECT_EQ(test, v, ZTDNS_MODE_AUDIT);
	KUNIT_EXPECT_EQ(test, ztdns_param_set_mode("enforce\n", &kp), 0);
	KUNIT_EXPECT_EQ(test, v, ZTDNS_MODE_ENFORCE);
}

static struct kunit_case ztdns_params_cases[] = {
	KUNIT_CASE(ztdns_test_mode_parse),
	KUNIT_CASE(ztdns_test_mode_name),
	KUNIT_CASE(ztdns_test_param_set_keeps_old),
	{}
};

static struct kunit_suite ztdns_params_suite = {
	.name = "ztdns-params",
	.test_cases = ztdns_params_cases,
};

kunit_test_suite(ztdns_params_suite);
