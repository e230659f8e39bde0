// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit cases for hooks.c: the decision order as a table over a namespace
 * state made by hand, and the parser on short and odd packets.
 */

#include <kunit/test.h>
#include <linux/inet.h>

struct decide_case {
	const char *name;
	u8 fam;
	const char *daddr;
	u8 proto;
	u16 sport, dport;
	bool has_ports, has_icmp, out_lo;
	u8 icmp_type;
	u8 hop;			/* hop limit (0: 64) */
	bool dhcp, on_link;	/* what the parser would have found */
	enum ztdns_rule want;
};

#define V4 ZTDNS_FAM_IPV4
#define V6 ZTDNS_FAM_IPV6
#define UDP(s, d) IPPROTO_UDP, .sport = s, .dport = d, .has_ports = true
#define TCP(d) IPPROTO_TCP, .sport = 40000, .dport = d, .has_ports = true
#define ICMP6(t) IPPROTO_ICMPV6, .has_icmp = true, .icmp_type = t
#define DHCP4 UDP(68, 67), .dhcp = true
#define DHCP6 UDP(546, 547), .dhcp = true

static const struct decide_case decide_cases[] = {
	{ "v4 loopback address", V4, "127.0.0.9", TCP(80), .want = ZTDNS_RULE_LOOPBACK },
	{ "v4 loopback device", V4, "203.0.113.99", TCP(80), .out_lo = true,
	  .want = ZTDNS_RULE_LOOPBACK },
	{ "v6 loopback", V6, "::1", TCP(80), .want = ZTDNS_RULE_LOOPBACK },
	{ "dhcp client", V4, "255.255.255.255", DHCP4, .want = ZTDNS_RULE_DHCP },
	{ "dhcp not a client message", V4, "255.255.255.255", UDP(68, 67),
	  .want = ZTDNS_RULE_NONE },
	{ "dhcp on-link unicast", V4, "192.0.2.67", DHCP4, .on_link = true,
	  .want = ZTDNS_RULE_DHCP },
	{ "dhcp off-link unicast", V4, "203.0.113.67", DHCP4, .want = ZTDNS_RULE_NONE },
	{ "dhcp server direction", V4, "255.255.255.255", UDP(67, 68),
	  .want = ZTDNS_RULE_NONE },
	{ "dhcp over tcp", V4, "255.255.255.255", IPPROTO_TCP, 68, 67, true,
	  .want = ZTDNS_RULE_NONE },
	{ "dhcpv6 client", V6, "ff02::1:2", DHCP6, .want = ZTDNS_RULE_DHCP },
	{ "dhcpv6 off-link unicast", V6, "2001:db8:9::547", DHCP6, .want = ZTDNS_RULE_NONE },
	{ "dhcpv6 ports on v4", V4, "192.0.2.1", UDP(546, 547), .want = ZTDNS_RULE_NONE },
	{ "ndp router solicitation", V6, "ff02::2", ICMP6(133), .hop = 255,
	  .want = ZTDNS_RULE_NDP },
	{ "ndp neighbour solicitation", V6, "ff02::1:ff00:1", ICMP6(135), .hop = 255,
	  .want = ZTDNS_RULE_NDP },
	{ "ndp solicitation hop limit 64", V6, "ff02::1:ff00:1", ICMP6(135),
	  .want = ZTDNS_RULE_NONE },
	{ "ndp advertisement on-link", V6, "2001:db8::9", ICMP6(136), .hop = 255,
	  .on_link = true, .want = ZTDNS_RULE_NDP },
	{ "ndp advertisement link-local", V6, "fe80::9", ICMP6(136), .hop = 255,
	  .want = ZTDNS_RULE_NDP },
	{ "ndp solicitation off-link", V6, "2001:db8:9::1", ICMP6(135), .hop = 255,
	  .want = ZTDNS_RULE_NONE },
	{ "ndp router advertisement", V6, "ff02::1", ICMP6(134), .hop = 255,
	  .want = ZTDNS_RULE_NONE },
	{ "ndp redirect", V6, "fe80::1", ICMP6(137), .hop = 255, .want = ZTDNS_RULE_NONE },
	{ "mld v2 report", V6, "ff02::16", ICMP6(143), .hop = 1, .want = ZTDNS_RULE_NDP },
	{ "mld v1 report", V6, "ff02::1:ff00:1", ICMP6(131), .hop = 1,
	  .want = ZTDNS_RULE_NDP },
	{ "mld report hop limit 2", V6, "ff02::16", ICMP6(143), .hop = 2,
	  .want = ZTDNS_RULE_NONE },
	{ "mld report site scope", V6, "ff05::16", ICMP6(143), .hop = 1,
	  .want = ZTDNS_RULE_NONE },
	{ "mld report unicast", V6, "2001:db8:9::1", ICMP6(143), .hop = 1,
	  .want = ZTDNS_RULE_NONE },
	{ "icmpv6 138 is not ndp", V6, "ff02::2", ICMP6(138), .want = ZTDNS_RULE_NONE },
	{ "icmpv6 echo", V6, "2001:db8:9::1", ICMP6(128), .want = ZTDNS_RULE_NONE },
	{ "icmp type 135 on v4", V4, "192.0.2.200", IPPROTO_ICMP, .has_icmp = true,
	  .icmp_type = 135, .want = ZTDNS_RULE_NONE },
	{ "server tcp", V4, "192.0.2.53", TCP(853), .want = ZTDNS_RULE_SERVER },
	{ "server udp", V4, "192.0.2.53", UDP(40000, 853), .want = ZTDNS_RULE_SERVER },
	{ "server other port", V4, "192.0.2.53", TCP(443), .want = ZTDNS_RULE_NONE },
	{ "server without ports", V4, "192.0.2.53", IPPROTO_UDP,
	  .want = ZTDNS_RULE_NONE },
	{ "server over sctp", V4, "192.0.2.53", IPPROTO_SCTP, 1, 853, true,
	  .want = ZTDNS_RULE_NONE },
	{ "server v6", V6, "2001:db8::53", TCP(853), .want = ZTDNS_RULE_SERVER },
	{ "subnet", V4, "198.51.100.200", TCP(443), .want = ZTDNS_RULE_SUBNET },
	{ "subnet neighbour", V4, "198.51.101.1", TCP(443), .want = ZTDNS_RULE_NONE },
	{ "subnet without ports", V4, "198.51.100.1", IPPROTO_UDP,
	  .want = ZTDNS_RULE_SUBNET },
	{ "subnet v6", V6, "2001:db8:1:ffff::1", UDP(1, 53), .want = ZTDNS_RULE_SUBNET },
	{ "entry", V4, "203.0.113.7", TCP(443), .want = ZTDNS_RULE_ENTRY },
	{ "entry neighbour", V4, "203.0.113.8", TCP(443), .want = ZTDNS_RULE_NONE },
	{ "entry v6", V6, "2001:db8:2::7", TCP(443), .want = ZTDNS_RULE_ENTRY },
	{ "entry v4 key as v6", V6, "::ffff:203.0.113.7", TCP(443),
	  .want = ZTDNS_RULE_NONE },
};

static void decide_desc(const struct decide_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(decide, decide_cases, decide_desc);

static void decide_addr(u8 fam, const char *s, union ztdns_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (fam == V4)
		in4_pton(s, -1, a->b, -1, NULL);
	else
		in6_pton(s, -1, a->b, -1, NULL);
}

struct decide_fixture {
	struct ztdns_net zn;
	u64 now;
};

static int decide_init(struct kunit *test)
{
	struct decide_fixture *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	struct ztdns_server srv = { .port = 853 };
	struct ztdns_entry_req reqs[2] = { { .ttl = 60, .fam = V4 },
					   { .ttl = 60, .fam = V6 } };
	union ztdns_addr a;
	unsigned int evicted;
	int ret;

	if (!f)
		return -ENOMEM;
	test->priv = f;
	f->zn.own = ztdns_params;
	f->zn.own.mode = ZTDNS_MODE_ENFORCE;
	f->zn.own.allow_dhcp = true;
	f->zn.own.allow_ndp = true;
	f->zn.own.grace = 30;
	f->zn.cfg = &f->zn.own;
	f->now = 1000 * NSEC_PER_SEC;
	mutex_init(&f->zn.lock);
	ztdns_lpm_init(&f->zn.subnets[V4], 32);
	ztdns_lpm_init(&f->zn.subnets[V6], 128);
	ret = ztdns_entries_init(&f->zn.entries);
	if (ret)
		return ret;
	ret = ztdns_flows_init(&f->zn.flows);
	if (ret)
		return ret;

	mutex_lock(&f->zn.lock);
	decide_addr(V4, "192.0.2.53", &srv.addr);
	srv.fam = V4;
	ret = ztdns_add_server(&f->zn, &srv);
	decide_addr(V6, "2001:db8::53", &srv.addr);
	srv.fam = V6;
	ret = ret ?: ztdns_add_server(&f->zn, &srv);
	decide_addr(V4, "198.51.100.0", &a);
	ret = ret ?: ztdns_lpm_insert(&f->zn.subnets[V4], a.b, 24, &f->zn.lock);
	decide_addr(V6, "2001:db8:1::", &a);
	ret = ret ?: ztdns_lpm_insert(&f->zn.subnets[V6], a.b, 48, &f->zn.lock);
	decide_addr(V4, "203.0.113.7", &reqs[0].addr);
	decide_addr(V6, "2001:db8:2::7", &reqs[1].addr);
	ret = ret ?: ztdns_entries_add(&f->zn.entries, reqs, 2, 10, f->now, 0,
				       &f->zn.lock, &evicted);
	mutex_unlock(&f->zn.lock);
	return ret;
}

static void decide_exit(struct kunit *test)
{
	struct decide_fixture *f = test->priv;

	mutex_lock(&f->zn.lock);
	ztdns_flush_servers(&f->zn);
	ztdns_lpm_free(&f->zn.subnets[V4], &f->zn.lock);
	ztdns_lpm_free(&f->zn.subnets[V6], &f->zn.lock);
	mutex_unlock(&f->zn.lock);
	synchronize_rcu();
	ztdns_entries_destroy(&f->zn.entries);
	ztdns_flows_destroy(&f->zn.flows);
}

static const struct decide_case *
decide_find(struct kunit *test, const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(decide_cases); i++)
		if (!strcmp(decide_cases[i].name, name))
			return &decide_cases[i];
	KUNIT_FAIL(test, "no case '%s'", name);
	return &decide_cases[0];
}

static struct ztdns_pkt decide_pkt(const struct decide_case *c)
{
	struct ztdns_pkt p = {
		.fam = c->fam, .proto = c->proto, .sport = c->sport,
		.dport = c->dport, .has_ports = c->has_ports,
		.has_icmp = c->has_icmp, .icmp_type = c->icmp_type,
		.hop_limit = c->hop ?: 64, .dhcp_client = c->dhcp,
		.on_link = c->on_link,
	};

	decide_addr(c->fam, c->daddr, &p.daddr);
	return p;
}

static void ztdns_test_decide(struct kunit *test)
{
	const struct decide_case *c = test->param_value;
	struct decide_fixture *f = test->priv;
	struct ztdns_pkt p = decide_pkt(c);

	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, ztdns_decide(&f->zn, &p, NULL, c->out_lo, f->now), c->want);
	rcu_read_unlock();
}

/* The knobs and the clock change the answers they should, and only those. */
static void ztdns_test_decide_knobs(struct kunit *test)
{
	struct decide_fixture *f = test->priv;
	struct ztdns_pkt dhcp = decide_pkt(decide_find(test, "dhcp client"));
	struct ztdns_pkt ndp = decide_pkt(decide_find(test, "ndp router solicitation"));
	struct ztdns_pkt entry = decide_pkt(decide_find(test, "entry"));
	struct ztdns_pkt lo = decide_pkt(decide_find(test, "v4 loopback address"));

	rcu_read_lock();
	f->zn.own.allow_dhcp = false;
	KUNIT_EXPECT_EQ(test, ztdns_decide(&f->zn, &dhcp, NULL, false, f->now), ZTDNS_RULE_NONE);
	KUNIT_EXPECT_EQ(test, ztdns_decide(&f->zn, &ndp, NULL, false, f->now), ZTDNS_RULE_NDP);
	f->zn.own.allow_ndp = false;
	KUNIT_EXPECT_EQ(test, ztdns_decide(&f->zn, &ndp, NULL, false, f->now), ZTDNS_RULE_NONE);
	KUNIT_EXPECT_EQ(test, ztdns_decide(&f->zn, &lo, NULL, false, f->now), ZTDNS_RULE_LOOPBACK);
	/* TTL 60 s, never used: gone at 60 s. */
	KUNIT_EXPECT_EQ(test, ztdns_decide(&f->zn, &entry, NULL, false,
					   f->now + 60 * NSEC_PER_SEC - 1),
			ZTDNS_RULE_ENTRY);
	KUNIT_EXPECT_EQ(test, ztdns_decide(&f->zn, &entry, NULL, false,
					   f->now + 60 * NSEC_PER_SEC + 30 * NSEC_PER_SEC),
			ZTDNS_RULE_NONE);
	rcu_read_unlock();
}

/*
 * Replies in flows a peer opened: a SYN-ACK without a socket (a SYN
 * cookie's) passes once the peer's SYN was noted; a UDP datagram back to a
 * peer that sent one passes; a TCP packet without a full socket never
 * passes as a reply, nor does a SYN.
 */
static void ztdns_test_decide_inbound(struct kunit *test)
{
	struct decide_fixture *f = test->priv;
	struct ztdns_pkt synack = {
		.fam = V4, .proto = IPPROTO_TCP, .sport = 22, .dport = 40000,
		.has_ports = true, .tcp_flags = TCPHDR_SYN | TCPHDR_ACK,
	};
	struct ztdns_pkt syn, ack, udp;
	struct ztdns_flow_key k = {
		.fam = V4, .proto = IPPROTO_TCP,
		.lport = htons(22), .rport = htons(40000),
	};

	decide_addr(V4, "192.0.2.1", &synack.saddr);
	decide_addr(V4, "203.0.113.99", &synack.daddr);
	syn = synack;
	syn.tcp_flags = TCPHDR_SYN;
	ack = synack;
	ack.tcp_flags = TCPHDR_ACK;
	udp = synack;
	udp.proto = IPPROTO_UDP;
	udp.sport = 53;
	udp.dport = 40001;
	k.laddr = synack.saddr;
	k.raddr = synack.daddr;

	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, ztdns_decide(&f->zn, &synack, NULL, false, f->now),
			ZTDNS_RULE_NONE);
	KUNIT_EXPECT_EQ(test, ztdns_decide(&f->zn, &udp, NULL, false, f->now),
			ZTDNS_RULE_NONE);
	/* The peer's SYN arrived (LOCAL_IN). */
	KUNIT_EXPECT_TRUE(test, ztdns_flows_note(&f->zn.flows, &k, f->now));
	KUNIT_EXPECT_EQ(test, ztdns_decide(&f->zn, &synack, NULL, false, f->now),
			ZTDNS_RULE_INBOUND);
	/* Noted, but without a full socket it is no reply; a SYN never is. */
	KUNIT_EXPECT_EQ(test, ztdns_decide(&f->zn, &ack, NULL, false, f->now),
			ZTDNS_RULE_NONE);
	KUNIT_EXPECT_EQ(test, ztdns_decide(&f->zn, &syn, NULL, false, f->now),
			ZTDNS_RULE_NONE);
	/* A datagram from 203.0.113.99:40001 to port 53 lets the answer out,
	 * for 30 s; to another port, or from another port, nothing.
	 */
	k.proto = IPPROTO_UDP;
	k.lport = htons(53);
	k.rport = htons(40001);
	KUNIT_EXPECT_TRUE(test, ztdns_flows_note(&f->zn.flows, &k, f->now));
	KUNIT_EXPECT_EQ(test, ztdns_decide(&f->zn, &udp, NULL, false, f->now),
			ZTDNS_RULE_INBOUND);
	udp.sport = 54;
	KUNIT_EXPECT_EQ(test, ztdns_decide(&f->zn, &udp, NULL, false, f->now),
			ZTDNS_RULE_NONE);
	udp.sport = 53;
	udp.dport = 40002;
	KUNIT_EXPECT_EQ(test, ztdns_decide(&f->zn, &udp, NULL, false, f->now),
			ZTDNS_RULE_NONE);
	udp.dport = 40001;
	KUNIT_EXPECT_EQ(test, ztdns_decide(&f->zn, &udp, NULL, false,
					   f->now + 31 * NSEC_PER_SEC),
			ZTDNS_RULE_NONE);
	rcu_read_unlock();
}

/* An skb holding len bytes of data as its network header. */
static struct sk_buff *parse_skb(struct kunit *test, const void *data,
				 unsigned int len)
{
	struct sk_buff *skb = alloc_skb(len + 16, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reserve(skb, 16);
	skb_put_data(skb, data, len);
	skb_reset_network_header(skb);
	return skb;
}

static void ztdns_test_parse(struct kunit *test)
{
	u8 pkt[60] = { 0x45, 0, 0, 28, 0, 0, 0, 0, 64, IPPROTO_UDP, 0, 0,
		       192, 0, 2, 1, 203, 0, 113, 7,
		       0x9c, 0x40, 0x01, 0xbb, 0, 8, 0, 0 };
	u8 pkt6[48] = { 0x60, 0, 0, 0, 0, 8, IPPROTO_FRAGMENT, 64 };
	struct ztdns_pkt p;
	struct sk_buff *skb;

	skb = parse_skb(test, pkt, 28);
	KUNIT_EXPECT_TRUE(test, ztdns_parse(skb, V4, &p));
	KUNIT_EXPECT_TRUE(test, p.has_ports);
	KUNIT_EXPECT_EQ(test, p.sport, 40000);
	KUNIT_EXPECT_EQ(test, p.dport, 443);
	KUNIT_EXPECT_EQ(test, p.daddr.ip4, htonl(0xcb007107));
	kfree_skb(skb);

	/* UDP header cut to two bytes: no ports, addresses still read. */
	skb = parse_skb(test, pkt, 22);
	KUNIT_EXPECT_TRUE(test, ztdns_parse(skb, V4, &p));
	KUNIT_EXPECT_FALSE(test, p.has_ports);
	KUNIT_EXPECT_EQ(test, p.proto, IPPROTO_UDP);
	kfree_skb(skb);

	/* A non-first fragment has no transport header. */
	pkt[6] = 0x00;
	pkt[7] = 0x10;
	skb = parse_skb(test, pkt, 28);
	KUNIT_EXPECT_TRUE(test, ztdns_parse(skb, V4, &p));
	KUNIT_EXPECT_FALSE(test, p.has_ports);
	kfree_skb(skb);

	/* An IP header that does not parse: ihl below 5, or cut short. */
	pkt[0] = 0x44;
	skb = parse_skb(test, pkt, 28);
	KUNIT_EXPECT_FALSE(test, ztdns_parse(skb, V4, &p));
	kfree_skb(skb);
	skb = parse_skb(test, pkt, 12);
	KUNIT_EXPECT_FALSE(test, ztdns_parse(skb, V4, &p));
	kfree_skb(skb);

	/* IPv6, fragment header with offset 8: UDP inside, no ports. */
	pkt6[40] = IPPROTO_UDP;
	pkt6[42] = 0x00;
	pkt6[43] = 0x08;
	skb = parse_skb(test, pkt6, 48);
	KUNIT_EXPECT_TRUE(test, ztdns_parse(skb, V6, &p));
	KUNIT_EXPECT_EQ(test, p.proto, IPPROTO_UDP);
	KUNIT_EXPECT_FALSE(test, p.has_ports);
	kfree_skb(skb);
	/* Its extension header cut short. */
	skb = parse_skb(test, pkt6, 44);
	KUNIT_EXPECT_TRUE(test, ztdns_parse(skb, V6, &p));
	KUNIT_EXPECT_FALSE(test, p.has_ports);
	kfree_skb(skb);
	/* Version 4 in an IPv6 hook. */
	skb = parse_skb(test, pkt, 40);
	KUNIT_EXPECT_FALSE(test, ztdns_parse(skb, V6, &p));
	kfree_skb(skb);
}

static struct kunit_case ztdns_hooks_cases[] = {
	KUNIT_CASE_PARAM(ztdns_test_decide, decide_gen_params),
	KUNIT_CASE(ztdns_test_decide_knobs),
	KUNIT_CASE(ztdns_test_decide_inbound),
	KUNIT_CASE(ztdns_test_parse),
	{}
};

static struct kunit_suite ztdns_hooks_suite = {
	.name = "ztdns-hooks",
	.init = decide_init,
	.exit = decide_exit,
	.test_cases = ztdns_hooks_cases,
};

kunit_test_suite(ztdns_hooks_suite);
