// SPDX-License-Identifier: GPL-2.0
/*
 * Inbound flows: the connections and datagrams a peer opened to this host,
 * whose replies may leave whatever their destination.
 *
 * Theory of operation
 * -------------------
 * Zero Trust DNS restricts the connections a host opens; the replies of
 * connections it accepts are not its business.  At LOCAL_OUT the only
 * sign of a reply is state, so this file keeps, per namespace, a hash of
 * flows (local address and port, remote address and port, protocol) that
 * the peer started, each with an expiry:
 *
 * TCP.  A hook at LOCAL_IN notes each SYN that arrives from a network
 * device (not loopback, where a local process could have forged its source
 * with IP_FREEBIND) for ZTDNS_FLOW_SYN_IDLE.  A SYN-ACK of that flow
 * passes if the kernel sent it for a listener: from a request socket
 * (TCP_NEW_SYN_RECV) or, with a SYN cookie under a flood, from no socket;
 * no process can send either.  A later packet of the flow passes if it
 * comes from a full TCP socket and carries no SYN: that is the socket the
 * listener created (accept()), once a listener's SYN-ACK of that flow
 * left (a SYN noted on the ends of an outbound connection makes no reply
 * of it), and not while the socket is still in SYN_RECV (a Fast Open child
 * of a SYN the peer may have forged).  An outbound connect() cannot pass itself
 * off as one, even from a listener's port (SO_REUSEPORT) to the address
 * and port a peer connected from: its first packet is a SYN from a full
 * socket, judged by its destination like every packet; refused, the
 * socket never sends anything else.  A simultaneous open answers with a
 * SYN-ACK from a full socket, judged the same way.  Each packet of the
 * accepted socket renews the flow for ZTDNS_FLOW_TCP_IDLE (as conntrack
 * keeps an established connection); a FIN or RST, either way, shortens
 * that to ZTDNS_FLOW_FIN_IDLE for good.
 *
 *	peer                        host (enforcing)
 *	SYN  ------------------->   LOCAL_IN: noted; listener: request socket
 *	     <-------------------   SYN-ACK (request socket, noted): passes
 *	ACK  ------------------->   accept(): child socket
 *	     <-------------------   data (child, no SYN, noted flow): passes
 *
 * UDP.  The hook at LOCAL_IN notes every datagram delivered to this host
 * from a network device; a datagram from that local port back to the
 * peer's address and port passes for ZTDNS_FLOW_UDP_IDLE after the last
 * one the peer sent (conntrack's udp_timeout).  That is what a DNS, NTP or syslog server needs.
 *
 * Not covered, and documented: a sender who can forge source addresses can
 * open a UDP return path to the forged address, for a local port it sent
 * to, for ZTDNS_FLOW_UDP_IDLE (the same holds for any stateful firewall's
 * "ct state established" rule); TCP needs the three-way handshake, which
 * an off-path forger cannot complete.  A socket made with TCP_REPAIR (which
 * needs CAP_NET_ADMIN) can send without a SYN.  ICMP errors and resets the
 * kernel sends for closed ports are judged by their destination.
 *
 * Only what a network device delivered to this host alone (PACKET_HOST)
 * is noted: a reply to a broadcast or multicast datagram leaves from
 * another address than the one it came to, and a copy of the host's own
 * broadcast looped back on a device (PACKET_LOOPBACK) is no peer's.
 *
 * The table holds at most ZTDNS_MAX_FLOWS flows.  When it is full, a new
 * flow takes the place of one that is only a claim (conntrack's
 * early_drop of flows not yet assured): a TCP flow whose accepted socket
 * never sent (a SYN, answered or not) or a UDP flow nothing ever answered,
 * the one of them nearest its expiry among a few flows in the buckets
 * from the new key's on (its hash has a secret seed: a remote sender
 * cannot aim it).  A flood of SYNs or datagrams from anywhere, spoofed or
 * not, then evicts other claims, never a connection in use or a UDP flow
 * the host answered; to keep a real client's handshake out it must
 * replace the whole table within that handshake's round trip.  If no claim is found, the flow is
 * not noted and its replies are judged by their destination (fail closed).
 * The reaper removes expired flows.  Writers are the packet path on any
 * CPU: rhashtable's bucket locks order them; the one whose removal
 * succeeds frees the flow, after an RCU grace period.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/rhashtable.h>
#include <linux/slab.h>

#include "flows.h"

#define ZTDNS_FLOW_SYN_IDLE (75 * NSEC_PER_SEC)
#define ZTDNS_FLOW_TCP_IDLE (5ULL * 24 * 3600 * NSEC_PER_SEC)
#define ZTDNS_FLOW_FIN_IDLE (120 * NSEC_PER_SEC)
#define ZTDNS_FLOW_UDP_IDLE (30 * NSEC_PER_SEC)
/* Minimum interval between two writes of a flow's expiry. */
#define ZTDNS_FLOW_TOUCH_NS NSEC_PER_SEC
/* A full table looks at this many flows for a claim to evict ... */
#define ZTDNS_FLOW_EVICT_SEEN 8
/* ... in this many buckets at most. */
#define ZTDNS_FLOW_EVICT_RANGE 64

struct ztdns_flow {
	struct rhash_head node;
	struct ztdns_flow_key key;
	u64 expires;		/* ns, ztdns_now() */
	bool accepted;		/* TCP: a listener's SYN-ACK left */
	bool established;	/* TCP: the accepted socket has sent */
	bool closing;		/* TCP: a FIN or RST left; never renewed past
				 * ZTDNS_FLOW_FIN_IDLE again
				 */
	bool answered;		/* UDP: a reply left */
	struct rcu_head rcu;
};

static struct kmem_cache *ztdns_flow_cache __ro_after_init;

static const struct rhashtable_params ztdns_flow_params = {
	.head_offset = offsetof(struct ztdns_flow, node),
	.key_offset = offsetof(struct ztdns_flow, key),
	.key_len = sizeof(struct ztdns_flow_key),
	.automatic_shrinking = true,
};

/**
 * ztdns_flows_init() - an empty table
 * @fl: the flows of a namespace
 *
 * Return: 0 or -ENOMEM.
 */
int ztdns_flows_init(struct ztdns_flows *fl)
{
	atomic_set(&fl->count, 0);
	fl->max = ZTDNS_MAX_FLOWS;
	return rhashtable_init(&fl->ht, &ztdns_flow_params);
}

static void ztdns_flow_free(void *ptr, void *arg)
{
	kmem_cache_free(ztdns_flow_cache, ptr);
}

/**
 * ztdns_flows_destroy() - free the table and every flow
 * @fl: the flows of a namespace
 *
 * Context: no hook may still run (after a grace period).
 */
void ztdns_flows_destroy(struct ztdns_flows *fl)
{
	rhashtable_free_and_destroy(&fl->ht, ztdns_flow_free, NULL);
}

static void ztdns_flow_free_rcu(struct rcu_head *rcu)
{
	kmem_cache_free(ztdns_flow_cache,
			container_of(rcu, struct ztdns_flow, rcu));
}

/*
 * Remove @f: the reaper, or a packet evicting it.  Return: whether this
 * call removed it (another one that raced it did not, nor frees it).
 */
static bool ztdns_flow_remove(struct ztdns_flows *fl, struct ztdns_flow *f)
{
	if (rhashtable_remove_fast(&fl->ht, &f->node, ztdns_flow_params))
		return false;
	atomic_dec(&fl->count);
	call_rcu(&f->rcu, ztdns_flow_free_rcu);
	return true;
}

/* A flow that only claims to be one: no socket ever sent on it, or answered. */
static bool ztdns_flow_claim(const struct ztdns_flow *f)
{
	return f->key.proto == IPPROTO_TCP ? !READ_ONCE(f->established) :
					     !READ_ONCE(f->answered);
}

/*
 * A full table: evict the claim nearest its expiry (an expired flow first)
 * among ZTDNS_FLOW_EVICT_SEEN flows, in the buckets from @k's on (at most
 * ZTDNS_FLOW_EVICT_RANGE).  Return: whether one went.
 */
static noinline bool ztdns_flows_evict(struct ztdns_flows *fl,
				       const struct ztdns_flow_key *k, u64 now)
{
	struct bucket_table *tbl = rht_dereference_rcu(fl->ht.tbl, &fl->ht);
	struct ztdns_flow *f, *victim = NULL;
	struct rhash_head *pos;
	unsigned int hash, i, range, seen = 0;
	u64 exp, best = U64_MAX;

	hash = rht_key_hashfn(&fl->ht, tbl, k, ztdns_flow_params);
	range = min_t(unsigned int, ZTDNS_FLOW_EVICT_RANGE, tbl->size);
	for (i = 0; i < range && seen < ZTDNS_FLOW_EVICT_SEEN; i++) {
		rht_for_each_entry_rcu(f, pos, tbl, (hash + i) & (tbl->size - 1),
				       node) {
			seen++;
			exp = READ_ONCE(f->expires);
			if ((exp <= now || ztdns_flow_claim(f)) && exp < best) {
				best = exp;
				victim = f;
			}
		}
	}
	return victim && ztdns_flow_remove(fl, victim);
}

static void ztdns_flow_touch(struct ztdns_flow *f, u64 expires)
{
	if (expires > READ_ONCE(f->expires) + ZTDNS_FLOW_TOUCH_NS ||
	    expires < READ_ONCE(f->expires))
		WRITE_ONCE(f->expires, expires);
}

/**
 * ztdns_flows_note() - note a flow that a peer opens: its SYN, or a datagram
 * @fl: the flows of a namespace
 * @k: the flow, local end first
 * @now: the current time (ns)
 *
 * Context: the packet path, under rcu_read_lock().
 * Return: true if the flow is noted (or was), false if the table is full
 * or memory is short.
 */
bool ztdns_flows_note(struct ztdns_flows *fl, const struct ztdns_flow_key *k,
		      u64 now)
{
	u64 idle = k->proto == IPPROTO_TCP ? ZTDNS_FLOW_SYN_IDLE :
					     ZTDNS_FLOW_UDP_IDLE;
	struct ztdns_flow *f, *old;

	f = rhashtable_lookup(&fl->ht, k, ztdns_flow_params);
	if (f && now >= READ_ONCE(f->expires)) {
		/* Expired, not yet reaped: a new flow on the same ends. */
		WRITE_ONCE(f->accepted, false);
		WRITE_ONCE(f->established, false);
		WRITE_ONCE(f->closing, false);
		WRITE_ONCE(f->answered, false);
		WRITE_ONCE(f->expires, now + idle);
		return true;
	}
	if (f) {
		/* A SYN again does not shorten an established flow. */
		if (!READ_ONCE(f->established))
			ztdns_flow_touch(f, now + idle);
		return true;
	}
	if (atomic_inc_return(&fl->count) > fl->max &&
	    !ztdns_flows_evict(fl, k, now))
		goto err_full;
	f = kmem_cache_zalloc(ztdns_flow_cache, GFP_ATOMIC);
	if (!f)
		goto err_full;
	f->key = *k;
	f->expires = now + idle;
	old = rhashtable_lookup_get_insert_fast(&fl->ht, &f->node,
						ztdns_flow_params);
	if (old) {
		/* Another CPU noted it first, or the insert failed. */
		kmem_cache_free(ztdns_flow_cache, f);
		atomic_dec(&fl->count);
		return !IS_ERR(old);
	}
	return true;

err_full:
	atomic_dec(&fl->count);
	return false;
}

/**
 * ztdns_flows_reply() - whether a packet belongs to a flow a peer opened
 * @fl: the flows of a namespace
 * @k: the packet's flow, local end first
 * @now: the current time (ns)
 * @what: a listener's SYN-ACK, a packet of the accepted socket, or its FIN
 *	  or RST (UDP: ZTDNS_FLOW_DATA)
 *
 * Context: the packet path, under rcu_read_lock().
 * Return: true if it does (and the flow is renewed).
 */
bool ztdns_flows_reply(struct ztdns_flows *fl, const struct ztdns_flow_key *k,
		       u64 now, enum ztdns_flow_pkt what)
{
	struct ztdns_flow *f;

	f = rhashtable_lookup(&fl->ht, k, ztdns_flow_params);
	if (!f || now >= READ_ONCE(f->expires))
		return false;
	if (k->proto != IPPROTO_TCP) {
		/* Renewed by what the peer sends, not by what leaves. */
		if (!READ_ONCE(f->answered))
			WRITE_ONCE(f->answered, true);
		return true;
	}
	if (what == ZTDNS_FLOW_SYNACK) {
		if (!READ_ONCE(f->accepted))
			WRITE_ONCE(f->accepted, true);
		/* A retransmitted SYN-ACK; never shortens an established flow. */
		if (!READ_ONCE(f->established))
			ztdns_flow_touch(f, now + ZTDNS_FLOW_SYN_IDLE);
		return true;
	}
	/*
	 * Only a flow whose SYN a listener answered: a SYN noted on the four
	 * addresses and ports of an outbound connection makes no reply of it.
	 */
	if (!READ_ONCE(f->accepted))
		return false;
	if (what == ZTDNS_FLOW_CLOSE || READ_ONCE(f->closing)) {
		/* After a FIN or RST the last ACKs may renew it, not by days. */
		if (!READ_ONCE(f->closing))
			WRITE_ONCE(f->closing, true);
		ztdns_flow_touch(f, min(READ_ONCE(f->expires),
					now + ZTDNS_FLOW_FIN_IDLE));
	} else {
		if (!READ_ONCE(f->established))
			WRITE_ONCE(f->established, true);
		ztdns_flow_touch(f, now + ZTDNS_FLOW_TCP_IDLE);
	}
	return true;
}

/**
 * ztdns_flows_peer_close() - a peer's FIN or RST for a flow it opened
 * @fl: the flows of a namespace
 * @k: the flow, local end first
 * @now: the current time (ns)
 *
 * Context: the packet path, under rcu_read_lock().
 */
void ztdns_flows_peer_close(struct ztdns_flows *fl,
			    const struct ztdns_flow_key *k, u64 now)
{
	struct ztdns_flow *f = rhashtable_lookup(&fl->ht, k, ztdns_flow_params);

	if (!f)
		return;
	if (!READ_ONCE(f->closing))
		WRITE_ONCE(f->closing, true);
	ztdns_flow_touch(f, min(READ_ONCE(f->expires),
				now + ZTDNS_FLOW_FIN_IDLE));
}

/**
 * ztdns_flows_reap() - remove the expired flows
 * @fl: the flows of a namespace
 * @now: the current time (ns)
 *
 * Context: process context.
 * Return: how many were removed.
 */
unsigned int ztdns_flows_reap(struct ztdns_flows *fl, u64 now)
{
	struct rhashtable_iter it;
	unsigned int removed = 0;
	struct ztdns_flow *f;

	rhashtable_walk_enter(&fl->ht, &it);
	rhashtable_walk_start(&it);
	while ((f = rhashtable_walk_next(&it))) {
		if (IS_ERR(f))	/* -EAGAIN: a resize; go on */
			continue;
		if (now < READ_ONCE(f->expires) || !ztdns_flow_remove(fl, f))
			continue;
		removed++;
		if (removed % 1024)
			continue;
		rhashtable_walk_stop(&it);
		cond_resched();
		rhashtable_walk_start(&it);
	}
	rhashtable_walk_stop(&it);
	rhashtable_walk_exit(&it);
	return removed;
}

int __init ztdns_flows_module_init(void)
{
	ztdns_flow_cache = KMEM_CACHE(ztdns_flow, 0);
	return ztdns_flow_cache ? 0 : -ENOMEM;
}

void ztdns_flows_module_uninit(void)
{
	rcu_barrier();
	kmem_cache_destroy(ztdns_flow_cache);
}

#if IS_ENABLED(CONFIG_ZTDNS_KUNIT_TEST)
#include "tests/flows_test.c"
#endif
