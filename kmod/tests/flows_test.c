// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit cases for flows.c, with the clock passed in: a noted flow lets its
 * replies out, and only its own; a listener's flow that never carried a
 * reply lives ZTDNS_FLOW_SYN_IDLE, an established one much longer, and a
 * FIN or RST shortens it; the reaper removes what expired; a full table
 * evicts claims, never a flow in use.
 */

#include <kunit/test.h>

#define FS(x) ((u64)(x) * NSEC_PER_SEC)
#define FT0 FS(1000)

static int flows_test_init(struct kunit *test)
{
	struct ztdns_flows *fl = kunit_kzalloc(test, sizeof(*fl), GFP_KERNEL);

	if (!fl)
		return -ENOMEM;
	test->priv = fl;
	return ztdns_flows_init(fl);
}

static void flows_test_exit(struct kunit *test)
{
	synchronize_rcu();
	ztdns_flows_destroy(test->priv);
}

static struct ztdns_flow_key flow(u8 proto, u16 rport)
{
	struct ztdns_flow_key k = {
		.fam = ZTDNS_FAM_IPV6, .proto = proto,
		.lport = htons(443), .rport = htons(rport),
	};

	k.laddr.ip6.s6_addr[0] = 0x20;
	k.laddr.ip6.s6_addr[1] = 0x01;
	k.laddr.ip6.s6_addr[15] = 1;
	k.raddr = k.laddr;
	k.raddr.ip6.s6_addr[15] = 2;
	return k;
}

static bool reply(struct ztdns_flows *fl, const struct ztdns_flow_key *k,
		  u64 now, bool closing)
{
	bool ret;

	rcu_read_lock();
	ret = ztdns_flows_reply(fl, k, now,
				closing ? ZTDNS_FLOW_CLOSE : ZTDNS_FLOW_DATA);
	rcu_read_unlock();
	return ret;
}

static bool note(struct ztdns_flows *fl, const struct ztdns_flow_key *k,
		 u64 now)
{
	bool ret;

	rcu_read_lock();
	ret = ztdns_flows_note(fl, k, now);
	rcu_read_unlock();
	return ret;
}

static void ztdns_test_flows_tcp(struct kunit *test)
{
	struct ztdns_flows *fl = test->priv;
	struct ztdns_flow_key a = flow(IPPROTO_TCP, 40000),
			      b = flow(IPPROTO_TCP, 40001),
			      udp = flow(IPPROTO_UDP, 40000);

	KUNIT_EXPECT_FALSE(test, reply(fl, &a, FT0, false));
	KUNIT_ASSERT_TRUE(test, note(fl, &a, FT0));
	/* SYN-ACK retransmissions keep a flow that never established. */
	rcu_read_lock();
	KUNIT_EXPECT_TRUE(test, ztdns_flows_reply(fl, &a, FT0 + FS(60),
						  ZTDNS_FLOW_SYNACK));
	rcu_read_unlock();
	KUNIT_ASSERT_TRUE(test, note(fl, &b, FT0));
	KUNIT_EXPECT_TRUE(test, note(fl, &a, FT0));	/* again: no copy */
	KUNIT_EXPECT_EQ(test, atomic_read(&fl->count), 2);
	/* Noted, but no listener answered its SYN: nothing is a reply. */
	KUNIT_EXPECT_FALSE(test, reply(fl, &b, FT0 + FS(1), false));
	/* Another protocol or port is another flow. */
	KUNIT_EXPECT_FALSE(test, reply(fl, &udp, FT0, false));
	/* Never answered: gone after the SYN-ACK retries. */
	KUNIT_EXPECT_FALSE(test, reply(fl, &b, FT0 + ZTDNS_FLOW_SYN_IDLE, false));
	/* Established: lives on while it talks, days if idle. */
	KUNIT_EXPECT_TRUE(test, reply(fl, &a, FT0 + FS(1), false));
	KUNIT_EXPECT_TRUE(test, reply(fl, &a, FT0 + FS(3600), false));
	KUNIT_EXPECT_TRUE(test, reply(fl, &a, FT0 + FS(3600) + ZTDNS_FLOW_TCP_IDLE - FS(2),
				      false));
	/* A FIN: two minutes more at most. */
	KUNIT_EXPECT_TRUE(test, reply(fl, &a, FT0 + FS(7200), true));
	KUNIT_EXPECT_TRUE(test, reply(fl, &a, FT0 + FS(7200 + 119), true));
	/* The last ACK after the FIN does not renew it by days. */
	KUNIT_EXPECT_TRUE(test, reply(fl, &a, FT0 + FS(7200 + 119), false));
	KUNIT_EXPECT_FALSE(test, reply(fl, &a, FT0 + FS(7200 + 121), false));
	/* Expired, not yet reaped: a new SYN on the same ends starts anew. */
	KUNIT_EXPECT_TRUE(test, note(fl, &a, FT0 + FS(7200 + 121)));
	KUNIT_EXPECT_FALSE(test, reply(fl, &a, FT0 + FS(7200 + 122), false));
	rcu_read_lock();
	KUNIT_EXPECT_TRUE(test, ztdns_flows_reply(fl, &a, FT0 + FS(7200 + 122),
						  ZTDNS_FLOW_SYNACK));
	rcu_read_unlock();
	KUNIT_EXPECT_TRUE(test, reply(fl, &a, FT0 + FS(7200 + 122), false));
	KUNIT_EXPECT_TRUE(test, reply(fl, &a, FT0 + FS(7200 + 122), true));
	KUNIT_EXPECT_EQ(test, ztdns_flows_reap(fl, FT0 + FS(7200 + 300)), 2U);
	KUNIT_EXPECT_EQ(test, atomic_read(&fl->count), 0);
	KUNIT_EXPECT_FALSE(test, reply(fl, &a, FT0 + FS(7200 + 300), false));
}

static void ztdns_test_flows_udp(struct kunit *test)
{
	struct ztdns_flows *fl = test->priv;
	struct ztdns_flow_key a = flow(IPPROTO_UDP, 5353);

	KUNIT_ASSERT_TRUE(test, note(fl, &a, FT0));
	KUNIT_EXPECT_TRUE(test, reply(fl, &a, FT0 + FS(29), false));
	/* What leaves does not renew it; what the peer sends does. */
	KUNIT_EXPECT_FALSE(test, reply(fl, &a, FT0 + FS(31), false));
	KUNIT_EXPECT_TRUE(test, note(fl, &a, FT0 + FS(40)));
	KUNIT_EXPECT_TRUE(test, reply(fl, &a, FT0 + FS(69), false));
	KUNIT_EXPECT_FALSE(test, reply(fl, &a, FT0 + FS(71), false));
	KUNIT_EXPECT_EQ(test, ztdns_flows_reap(fl, FT0 + FS(100)), 1U);
}

/* A peer's FIN or RST ends the flow soon, whatever leaves after it. */
static void ztdns_test_flows_peer_close(struct kunit *test)
{
	struct ztdns_flows *fl = test->priv;
	struct ztdns_flow_key a = flow(IPPROTO_TCP, 40000);

	KUNIT_ASSERT_TRUE(test, note(fl, &a, FT0));
	rcu_read_lock();
	KUNIT_EXPECT_TRUE(test, ztdns_flows_reply(fl, &a, FT0, ZTDNS_FLOW_SYNACK));
	ztdns_flows_peer_close(fl, &a, FT0 + FS(10));
	rcu_read_unlock();
	KUNIT_EXPECT_TRUE(test, reply(fl, &a, FT0 + FS(20), false));
	KUNIT_EXPECT_FALSE(test, reply(fl, &a, FT0 + FS(131), false));
}

static bool synack(struct ztdns_flows *fl, const struct ztdns_flow_key *k,
		   u64 now)
{
	bool ret;

	rcu_read_lock();
	ret = ztdns_flows_reply(fl, k, now, ZTDNS_FLOW_SYNACK);
	rcu_read_unlock();
	return ret;
}

/*
 * A full table: a new flow takes the place of a claim (a SYN whose socket
 * never sent, a datagram never answered), never of a flow in use.
 */
static void ztdns_test_flows_full(struct kunit *test)
{
	struct ztdns_flows *fl = test->priv;
	struct ztdns_flow_key k[6], u = flow(IPPROTO_UDP, 53);
	unsigned int i;

	fl->max = 4;
	for (i = 0; i < ARRAY_SIZE(k); i++)
		k[i] = flow(IPPROTO_TCP, 40000 + i);
	for (i = 0; i < 3; i++) {	/* k0-k2 connections in use */
		KUNIT_ASSERT_TRUE(test, note(fl, &k[i], FT0));
		KUNIT_ASSERT_TRUE(test, synack(fl, &k[i], FT0));
		KUNIT_ASSERT_TRUE(test, reply(fl, &k[i], FT0, false));
	}
	KUNIT_ASSERT_TRUE(test, note(fl, &k[3], FT0));	/* a SYN, answered */
	KUNIT_ASSERT_TRUE(test, synack(fl, &k[3], FT0));

	/* Full: k4 takes k3's place. */
	KUNIT_EXPECT_TRUE(test, note(fl, &k[4], FT0 + FS(1)));
	KUNIT_EXPECT_EQ(test, atomic_read(&fl->count), 4);
	KUNIT_EXPECT_FALSE(test, synack(fl, &k[3], FT0 + FS(1)));
	KUNIT_EXPECT_TRUE(test, synack(fl, &k[4], FT0 + FS(1)));
	KUNIT_EXPECT_TRUE(test, reply(fl, &k[4], FT0 + FS(1), false));

	/* No claim left: the new flow is not noted, those in use stay. */
	KUNIT_EXPECT_FALSE(test, note(fl, &k[5], FT0 + FS(2)));
	KUNIT_EXPECT_FALSE(test, note(fl, &u, FT0 + FS(2)));
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_TRUE(test, reply(fl, &k[i], FT0 + FS(2), false));
	KUNIT_EXPECT_EQ(test, atomic_read(&fl->count), 4);

	/* An expired flow goes first, even one that was in use. */
	KUNIT_EXPECT_TRUE(test, reply(fl, &k[0], FT0 + FS(3), true));
	KUNIT_EXPECT_TRUE(test, note(fl, &u, FT0 + FS(3) + ZTDNS_FLOW_FIN_IDLE));
	KUNIT_EXPECT_FALSE(test, reply(fl, &k[0], FT0 + FS(4) + ZTDNS_FLOW_FIN_IDLE,
				       false));
	/* A UDP flow the host answered is in use too. */
	KUNIT_EXPECT_TRUE(test, reply(fl, &u, FT0 + FS(4) + ZTDNS_FLOW_FIN_IDLE,
				      false));
	KUNIT_EXPECT_FALSE(test, note(fl, &k[5], FT0 + FS(5) + ZTDNS_FLOW_FIN_IDLE));
	KUNIT_EXPECT_EQ(test, atomic_read(&fl->count), 4);
}

static struct kunit_case ztdns_flows_cases[] = {
	KUNIT_CASE(ztdns_test_flows_tcp),
	KUNIT_CASE(ztdns_test_flows_udp),
	KUNIT_CASE(ztdns_test_flows_peer_close),
	KUNIT_CASE(ztdns_test_flows_full),
	{}
};

static struct kunit_suite ztdns_flows_suite = {
	.name = "ztdns-flows",
	.init = flows_test_init,
	.exit = flows_test_exit,
	.test_cases = ztdns_flows_cases,
};

kunit_test_suite(ztdns_flows_suite);
