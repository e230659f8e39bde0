// SPDX-License-Identifier: GPL-2.0
/*
 * A longest-prefix-match trie for IPv4 or IPv6 prefixes, read under RCU
 * without locks and written under one mutex.  It holds the exception
 * subnets; the dynamic entries, which are exact addresses and may number a
 * million, live in a hash table instead (entries.c).
 *
 * Theory of operation
 * -------------------
 * The trie is binary and path-compressed, as WireGuard's allowedips: every
 * node stores a whole prefix (key with host bits cleared, and its length
 * cidr), and a node exists only where a prefix was inserted ("value" nodes)
 * or where two subtrees part ("glue" nodes).  A child's prefix always
 * extends its parent's; child[b] holds the prefixes whose bit number cidr
 * (counting from the most significant, from 0) is b.
 *
 * Inserting 192.0.2.0/24, 192.0.2.128/25 and 198.51.100.0/24 gives
 *
 *                 192.0.0.0/5  (glue: 192 = 11000000, 198 = 11000110)
 *                 /          \
 *     192.0.2.0/24 (value)    198.51.100.0/24 (value)
 *           \
 *       192.0.2.128/25 (value, child[1]: bit 24 of .128 is 1)
 *
 * Lookup walks from the root while the node's prefix matches the key,
 * remembering the last value node; at most one node per distinct prefix
 * length on the path, and with a few hundred subnets a handful of nodes.
 *
 * Insert finds the deepest node whose prefix covers the new one.  If that
 * node is the prefix itself, it becomes a value node.  Otherwise the child
 * on the key's side is empty (the new node goes there), or it is covered by
 * the new prefix (the new node goes between), or the two part at a common
 * prefix shorter than both (a glue node for that prefix takes both).  A new
 * node is fully initialised before rcu_assign_pointer() publishes it, so a
 * concurrent reader sees either the old or the new trie.
 *
 * Remove turns the value node into glue, then unlinks it if it has at most
 * one child (the child takes its place), and unlinks a glue parent left
 * with one child the same way.  Unlinked nodes are freed after a grace
 * period.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "lpm.h"

struct ztdns_lpm_node {
	struct ztdns_lpm_node __rcu *child[2];
	u8 key[16] __aligned(8);	/* host bits cleared */
	u8 cidr;
	bool value;			/* an inserted prefix, not glue */
	/* Below: writers only. */
	struct ztdns_lpm_node *parent;
	struct rcu_head rcu;
};

static struct kmem_cache *ztdns_lpm_cache __ro_after_init;

/* Big-endian loads of possibly unaligned keys (memcpy compiles to a load). */
static u32 ztdns_lpm_be32(const u8 *p)
{
	__be32 v;

	memcpy(&v, p, sizeof(v));
	return be32_to_cpu(v);
}

static u64 ztdns_lpm_be64(const u8 *p)
{
	__be64 v;

	memcpy(&v, p, sizeof(v));
	return be64_to_cpu(v);
}

/* Number of leading bits that a and b share, at most bits. */
static u8 ztdns_lpm_common(const u8 *a, const u8 *b, u8 bits)
{
	u64 x;

	if (bits == 32) {
		u32 y = ztdns_lpm_be32(a) ^ ztdns_lpm_be32(b);

		return y ? 32 - fls(y) : 32;
	}
	x = ztdns_lpm_be64(a) ^ ztdns_lpm_be64(b);
	if (x)
		return 64 - fls64(x);
	x = ztdns_lpm_be64(a + 8) ^ ztdns_lpm_be64(b + 8);
	return x ? 128 - fls64(x) : 128;
}

static bool ztdns_lpm_matches(const struct ztdns_lpm_node *n, const u8 *key,
			      u8 bits)
{
	return ztdns_lpm_common(n->key, key, bits) >= n->cidr;
}

/* The bit of key that follows a prefix of length cidr (< bits). */
static unsigned int ztdns_lpm_bit(const u8 *key, u8 cidr)
{
	return (key[cidr / 8] >> (7 - cidr % 8)) & 1;
}

/* Copy the first cidr bits of src to dst, clearing the rest. */
static void ztdns_lpm_mask(u8 *dst, const u8 *src, u8 cidr, u8 bits)
{
	unsigned int full = cidr / 8;

	memset(dst, 0, 16);
	memcpy(dst, src, full);
	if (cidr % 8)
		dst[full] = src[full] & (0xff << (8 - cidr % 8));
}

/**
 * ztdns_lpm_init() - make an empty trie
 * @t: the trie
 * @bits: 32 for IPv4, 128 for IPv6
 */
void ztdns_lpm_init(struct ztdns_lpm *t, u8 bits)
{
	RCU_INIT_POINTER(t->root, NULL);
	t->bits = bits;
	t->count = 0;
}

/**
 * ztdns_lpm_lookup() - the longest inserted prefix that covers an address
 * @t: the trie
 * @key: the address, t->bits / 8 bytes in network order
 *
 * Context: under rcu_read_lock().
 * Return: the prefix length of the longest match, or -1 if none.
 */
int ztdns_lpm_lookup(const struct ztdns_lpm *t, const u8 *key)
{
	const struct ztdns_lpm_node *n = rcu_dereference(t->root);
	int found = -1;

	while (n && ztdns_lpm_matches(n, key, t->bits)) {
		if (n->value)
			found = n->cidr;
		if (n->cidr == t->bits)
			break;
		n = rcu_dereference(n->child[ztdns_lpm_bit(key, n->cidr)]);
	}
	return found;
}

static struct ztdns_lpm_node *ztdns_lpm_deref(struct ztdns_lpm_node __rcu *const *p,
					      struct mutex *lock)
{
	return rcu_dereference_protected(*p, lockdep_is_held(lock));
}

static struct ztdns_lpm_node __rcu **ztdns_lpm_slot(struct ztdns_lpm *t,
						    struct ztdns_lpm_node *parent,
						    const u8 *key)
{
	return parent ? &parent->child[ztdns_lpm_bit(key, parent->cidr)] : &t->root;
}

static struct ztdns_lpm_node *ztdns_lpm_node_new(const u8 *key, u8 cidr,
						 u8 bits, bool value)
{
	struct ztdns_lpm_node *n;

	/* Charged to whoever adds the subnet: a container's root may. */
	n = kmem_cache_zalloc(ztdns_lpm_cache, GFP_KERNEL_ACCOUNT);
	if (!n)
		return NULL;
	ztdns_lpm_mask(n->key, key, cidr, bits);
	n->cidr = cidr;
	n->value = value;
	return n;
}

/* Hang child below parent (NULL: the root), on the side its key says. */
static void ztdns_lpm_link(struct ztdns_lpm *t, struct ztdns_lpm_node *parent,
			   struct ztdns_lpm_node *child)
{
	child->parent = parent;
	rcu_assign_pointer(*ztdns_lpm_slot(t, parent, child->key), child);
}

/**
 * ztdns_lpm_insert() - insert a prefix
 * @t: the trie
 * @key: the address, t->bits / 8 bytes; bits beyond cidr are ignored
 * @cidr: the prefix length, 0 to t->bits
 * @lock: the mutex that serialises writers, held
 *
 * Return: 0, -EEXIST if the prefix is already there, -EINVAL for a bad
 * length, or -ENOMEM.
 */
int ztdns_lpm_insert(struct ztdns_lpm *t, const u8 *key, u8 cidr,
		     struct mutex *lock)
{
	struct ztdns_lpm_node *parent = NULL, *down, *n, *glue;
	u8 common;

	lockdep_assert_held(lock);
	if (cidr > t->bits)
		return -EINVAL;

	/* The deepest node whose prefix covers the new one. */
	down = ztdns_lpm_deref(&t->root, lock);
	while (down && down->cidr <= cidr &&
	       ztdns_lpm_matches(down, key, t->bits)) {
		if (down->cidr == cidr) {
			if (down->value)
				return -EEXIST;
			down->value = true;	/* glue becomes value */
			t->count++;
			return 0;
		}
		parent = down;
		down = ztdns_lpm_deref(ztdns_lpm_slot(t, parent, key), lock);
	}

	n = ztdns_lpm_node_new(key, cidr, t->bits, true);
	if (!n)
		return -ENOMEM;
	if (!down) {
		ztdns_lpm_link(t, parent, n);
		t->count++;
		return 0;
	}

	common = min(cidr, ztdns_lpm_common(down->key, n->key, t->bits));
	if (common == cidr) {
		/* The new prefix covers down: it goes in between. */
		rcu_assign_pointer(n->child[ztdns_lpm_bit(down->key, cidr)], down);
		down->parent = n;
		ztdns_lpm_link(t, parent, n);
		t->count++;
		return 0;
	}

	/* They part after common bits: a glue node takes both. */
	glue = ztdns_lpm_node_new(key, common, t->bits, false);
	if (!glue) {
		kmem_cache_free(ztdns_lpm_cache, n);
		return -ENOMEM;
	}
	rcu_assign_pointer(glue->child[ztdns_lpm_bit(down->key, common)], down);
	rcu_assign_pointer(glue->child[ztdns_lpm_bit(n->key, common)], n);
	down->parent = glue;
	n->parent = glue;
	ztdns_lpm_link(t, parent, glue);
	t->count++;
	return 0;
}

static void ztdns_lpm_free_rcu(struct rcu_head *rcu)
{
	kmem_cache_free(ztdns_lpm_cache,
			container_of(rcu, struct ztdns_lpm_node, rcu));
}

/* Unlink a glue node with at most one child; its child takes its place. */
static void ztdns_lpm_unlink(struct ztdns_lpm *t, struct ztdns_lpm_node *n,
			     struct mutex *lock)
{
	struct ztdns_lpm_node *c0 = ztdns_lpm_deref(&n->child[0], lock);
	struct ztdns_lpm_node *c1 = ztdns_lpm_deref(&n->child[1], lock);
	struct ztdns_lpm_node *child = c0 ? c0 : c1;

	if (child)
		child->parent = n->parent;
	rcu_assign_pointer(*ztdns_lpm_slot(t, n->parent, n->key), child);
	call_rcu(&n->rcu, ztdns_lpm_free_rcu);
}

static bool ztdns_lpm_full(const struct ztdns_lpm_node *n, struct mutex *lock)
{
	return ztdns_lpm_deref(&n->child[0], lock) &&
	       ztdns_lpm_deref(&n->child[1], lock);
}

/**
 * ztdns_lpm_remove() - remove a prefix
 * @t: the trie
 * @key: the address; bits beyond cidr are ignored
 * @cidr: the prefix length
 * @lock: the mutex that serialises writers, held
 *
 * Return: 0, or -ENOENT if the prefix was not inserted.
 */
int ztdns_lpm_remove(struct ztdns_lpm *t, const u8 *key, u8 cidr,
		     struct mutex *lock)
{
	struct ztdns_lpm_node *n = ztdns_lpm_deref(&t->root, lock);
	struct ztdns_lpm_node *parent;

	lockdep_assert_held(lock);
	if (cidr > t->bits)
		return -ENOENT;
	while (n && n->cidr < cidr && ztdns_lpm_matches(n, key, t->bits))
		n = ztdns_lpm_deref(ztdns_lpm_slot(t, n, key), lock);
	if (!n || n->cidr != cidr || !n->value ||
	    !ztdns_lpm_matches(n, key, t->bits))
		return -ENOENT;

	n->value = false;
	t->count--;
	if (ztdns_lpm_full(n, lock))
		return 0;
	parent = n->parent;
	ztdns_lpm_unlink(t, n, lock);
	if (parent && !parent->value && !ztdns_lpm_full(parent, lock))
		ztdns_lpm_unlink(t, parent, lock);
	return 0;
}

static struct ztdns_lpm_node *ztdns_lpm_first_child(struct ztdns_lpm_node *n,
						    struct mutex *lock)
{
	struct ztdns_lpm_node *c = ztdns_lpm_deref(&n->child[0], lock);

	return c ? c : ztdns_lpm_deref(&n->child[1], lock);
}

/**
 * ztdns_lpm_walk() - call fn for each inserted prefix, in key order
 * @t: the trie
 * @fn: returns non-zero to stop the walk
 * @arg: passed to @fn
 * @lock: the mutex that serialises writers, held
 *
 * Return: what @fn returned last.
 */
int ztdns_lpm_walk(struct ztdns_lpm *t,
		   int (*fn)(const u8 *key, u8 cidr, void *arg), void *arg,
		   struct mutex *lock)
{
	struct ztdns_lpm_node *n = ztdns_lpm_deref(&t->root, lock), *c;
	int ret;

	/* Iterative pre-order walk by parent pointers, no stack. */
	while (n) {
		if (n->value) {
			ret = fn(n->key, n->cidr, arg);
			if (ret)
				return ret;
		}
		c = ztdns_lpm_first_child(n, lock);
		if (c) {
			n = c;
			continue;
		}
		/* Climb until a parent has an unvisited right child. */
		for (;;) {
			struct ztdns_lpm_node *p = n->parent;

			if (!p)
				return 0;
			c = ztdns_lpm_deref(&p->child[1], lock);
			if (c && c != n) {
				n = c;
				break;
			}
			n = p;
		}
	}
	return 0;
}

/**
 * ztdns_lpm_free() - remove every prefix
 * @t: the trie
 * @lock: the mutex that serialises writers, held
 *
 * Nodes are freed after a grace period; readers may still walk them, and
 * find them as they were: no node is changed on the way.
 */
void ztdns_lpm_free(struct ztdns_lpm *t, struct mutex *lock)
{
	struct ztdns_lpm_node *n = ztdns_lpm_deref(&t->root, lock);
	struct ztdns_lpm_node *last = NULL, *c0, *c1, *next;

	RCU_INIT_POINTER(t->root, NULL);
	t->count = 0;
	/*
	 * Post-order by parent pointers, knowing where we came from: down
	 * from the parent, up from the first child or up from the second.  A
	 * node is queued for freeing once both subtrees are; only its
	 * address is compared afterwards.
	 */
	while (n) {
		c0 = ztdns_lpm_deref(&n->child[0], lock);
		c1 = ztdns_lpm_deref(&n->child[1], lock);
		if (last == n->parent && (c0 || c1))
			next = c0 ? c0 : c1;
		else if (last && last == c0 && c1)
			next = c1;
		else
			next = NULL;
		last = n;
		if (next) {
			n = next;
			continue;
		}
		n = n->parent;
		call_rcu(&last->rcu, ztdns_lpm_free_rcu);
	}
}

/**
 * ztdns_lpm_replace() - make one trie's prefixes those of another
 * @t: the trie readers see
 * @from: a trie built aside (same bits); left empty
 * @lock: the mutex that serialises writers, held
 *
 * Readers see the old prefixes or the new ones, never a mix or none.
 */
void ztdns_lpm_replace(struct ztdns_lpm *t, struct ztdns_lpm *from,
		       struct mutex *lock)
{
	struct ztdns_lpm old = { .bits = t->bits, .count = t->count };

	RCU_INIT_POINTER(old.root, ztdns_lpm_deref(&t->root, lock));
	rcu_assign_pointer(t->root, ztdns_lpm_deref(&from->root, lock));
	t->count = from->count;
	RCU_INIT_POINTER(from->root, NULL);
	from->count = 0;
	ztdns_lpm_free(&old, lock);
}

int __init ztdns_lpm_module_init(void)
{
	ztdns_lpm_cache = KMEM_CACHE(ztdns_lpm_node, SLAB_ACCOUNT);
	return ztdns_lpm_cache ? 0 : -ENOMEM;
}

void ztdns_lpm_module_uninit(void)
{
	rcu_barrier();
	kmem_cache_destroy(ztdns_lpm_cache);
}

#if IS_ENABLED(CONFIG_ZTDNS_KUNIT_TEST)
#include "tests/lpm_test.c"
#endif
