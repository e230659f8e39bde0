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
	const struct kernel_param kp = { .arg = &v };	/* not ztdns_params */

	KUNIT_EXPECT_EQ(test, ztdns_param_set_mode("bogus", &kp), -EINVAL);
	KUNIT_EXPECT_EQ(test, v, ZTDNS_MODE_AUDIT);
	KUNIT_EXPECT_EQ(test, ztdns_param_set_mode("enforce\n", &kp), 0);
	KUNIT_EXPECT_EQ(test, v, ZTDNS_MODE_ENFORCE);
}

static void ztdns_test_param_u32(struct kunit *test)
{
	struct ztdns_config saved = ztdns_params;
	struct kernel_param kp = { .arg = &ztdns_params.min_ttl };

	ztdns_params.min_ttl = 5;
	ztdns_params.max_ttl = 100;
	KUNIT_EXPECT_EQ(test, ztdns_param_set_u32("101", &kp), -EINVAL);
	KUNIT_EXPECT_EQ(test, ztdns_param_set_u32("-1", &kp), -EINVAL);
	KUNIT_EXPECT_EQ(test, ztdns_param_set_u32("7x", &kp), -EINVAL);
	KUNIT_EXPECT_EQ(test, ztdns_params.min_ttl, 5U);
	KUNIT_EXPECT_EQ(test, ztdns_param_set_u32("100\n", &kp), 0);
	KUNIT_EXPECT_EQ(test, ztdns_params.min_ttl, 100U);
	kp.arg = &ztdns_params.max_ttl;
	KUNIT_EXPECT_EQ(test, ztdns_param_set_u32("99", &kp), -EINVAL);
	KUNIT_EXPECT_EQ(test, ztdns_params.max_ttl, 100U);
	kp.arg = &ztdns_params.max_entries;
	KUNIT_EXPECT_EQ(test, ztdns_param_set_u32("0", &kp), -EINVAL);
	kp.arg = &ztdns_params.grace;
	KUNIT_EXPECT_EQ(test, ztdns_param_set_u32("604801", &kp), -EINVAL);
	ztdns_params = saved;
}

static void ztdns_test_param_items(struct kunit *test)
{
	static const struct {
		const char *in;
		bool server;
		int ret;
		u8 fam;
		u16 num;
	} cases[] = {
		{ "192.0.2.53", true, 0, ZTDNS_FAM_IPV4, 853 },
		{ "192.0.2.53:53", true, 0, ZTDNS_FAM_IPV4, 53 },
		{ "[2001:db8::53]:8853", true, 0, ZTDNS_FAM_IPV6, 8853 },
		{ "2001:db8::53", true, 0, ZTDNS_FAM_IPV6, 853 },
		{ "192.0.2.53:0", true, -EINVAL },
		{ "192.0.2.53:65536", true, -EINVAL },
		{ "[2001:db8::53", true, -EINVAL },
		{ "192.0.2", true, -EINVAL },
		{ "example.org", true, -EINVAL },
		{ "198.51.100.0/24", false, 0, ZTDNS_FAM_IPV4, 24 },
		{ "198.51.100.1", false, 0, ZTDNS_FAM_IPV4, 32 },
		{ "0.0.0.0/0", false, 0, ZTDNS_FAM_IPV4, 0 },
		{ "2001:db8::/32", false, 0, ZTDNS_FAM_IPV6, 32 },
		{ "198.51.100.1/24", false, -EINVAL },	/* host bits */
		{ "198.51.100.0/33", false, -EINVAL },
		{ "2001:db8::/129", false, -EINVAL },
		{ "198.51.100.0/", false, -EINVAL },
	};
	union ztdns_addr addr;
	unsigned int i;
	u16 num;
	u8 fam;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		int ret = ztdns_parse_item(cases[i].in, strlen(cases[i].in),
					   cases[i].server, &addr, &fam, &num);

		KUNIT_EXPECT_EQ_MSG(test, ret, cases[i].ret, "%s", cases[i].in);
		if (ret || cases[i].ret)
			continue;
		KUNIT_EXPECT_EQ_MSG(test, fam, cases[i].fam, "%s", cases[i].in);
		KUNIT_EXPECT_EQ_MSG(test, num, cases[i].num, "%s", cases[i].in);
	}
	/* A list is checked whole: one bad item fails it. */
	KUNIT_EXPECT_EQ(test, ztdns_apply_list("192.0.2.1,[2001:db8::1]:53", true,
					       NULL), 0);
	KUNIT_EXPECT_EQ(test, ztdns_apply_list("192.0.2.1,,x", true, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, ztdns_apply_list("10.0.0.0/8,fd00::/8\n", false,
					       NULL), 0);
	KUNIT_EXPECT_EQ(test, ztdns_apply_list("10.0.0.0/8,fd00::1/8", false,
					       NULL), -EINVAL);
}

/* dhcp_servers: whole addresses only, at most 16; a bad list changes nothing. */
static void ztdns_test_param_dhcp(struct kunit *test)
{
	char buf[ZTDNS_LIST_MAX];
	const struct kernel_param kp = { .arg = buf };
	union ztdns_addr a4 = {}, a6 = {}, other = {};
	char many[ZTDNS_LIST_MAX] = "";
	int i;

	in4_pton("198.51.100.67", -1, a4.b, -1, NULL);
	in6_pton("2001:db8::547", -1, a6.b, -1, NULL);
	in4_pton("198.51.100.68", -1, other.b, -1, NULL);
	KUNIT_ASSERT_EQ(test, ztdns_param_set_dhcp("198.51.100.67,2001:db8::547\n",
						   &kp), 0);
	rcu_read_lock();
	KUNIT_EXPECT_TRUE(test, ztdns_params_dhcp_server(ZTDNS_FAM_IPV4, &a4));
	KUNIT_EXPECT_TRUE(test, ztdns_params_dhcp_server(ZTDNS_FAM_IPV6, &a6));
	KUNIT_EXPECT_FALSE(test, ztdns_params_dhcp_server(ZTDNS_FAM_IPV4, &other));
	KUNIT_EXPECT_FALSE(test, ztdns_params_dhcp_server(ZTDNS_FAM_IPV6, &a4));
	rcu_read_unlock();
	KUNIT_EXPECT_STREQ(test, buf, "198.51.100.67,2001:db8::547");
	KUNIT_EXPECT_EQ(test, ztdns_param_set_dhcp("198.51.100.0/24", &kp), -EINVAL);
	KUNIT_EXPECT_EQ(test, ztdns_param_set_dhcp("198.51.100.67,x", &kp), -EINVAL);
	for (i = 0; i < 17; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
			 "%s192.0.2.%d", i ? "," : "", i + 1);
	KUNIT_EXPECT_EQ(test, ztdns_param_set_dhcp(many, &kp), -EINVAL);
	rcu_read_lock();
	KUNIT_EXPECT_TRUE(test, ztdns_params_dhcp_server(ZTDNS_FAM_IPV4, &a4));
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, ztdns_param_set_dhcp("", &kp), 0);
	rcu_read_lock();
	KUNIT_EXPECT_FALSE(test, ztdns_params_dhcp_server(ZTDNS_FAM_IPV4, &a4));
	rcu_read_unlock();
}

static struct kunit_case ztdns_params_cases[] = {
	KUNIT_CASE(ztdns_test_mode_parse),
	KUNIT_CASE(ztdns_test_mode_name),
	KUNIT_CASE(ztdns_test_param_set_keeps_old),
	KUNIT_CASE(ztdns_test_param_u32),
	KUNIT_CASE(ztdns_test_param_items),
	KUNIT_CASE(ztdns_test_param_dhcp),
	{}
};

static struct kunit_suite ztdns_params_suite = {
	.name = "ztdns-params",
	.test_cases = ztdns_params_cases,
};

kunit_test_suite(ztdns_params_suite);
