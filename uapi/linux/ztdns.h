/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * ztdns: Zero Trust DNS for Linux -- generic netlink interface.
 *
 * The family is "ztdns", version ZTDNS_GENL_VERSION.  Every operation,
 * dumps included, needs CAP_NET_ADMIN in the initial user namespace (root
 * in a user namespace of its own, a container's, cannot change its
 * policy), and acts on the network namespace of the socket.
 * Rejections carry an extended-ack message.  The ABI only grows by
 * appending: new commands and attributes go at the end of their enum.
 *
 * Addresses are given as ZTDNS_*_A_FAMILY (u16, AF_INET or AF_INET6) and
 * ZTDNS_*_A_ADDR (4 or 16 bytes, network byte order); the length must match
 * the family.  Times are seconds unless the name says otherwise.
 *
 * ZTDNS_CMD_GET_CONFIG
 *   request:  (nothing)
 *   reply:    ZTDNS_A_MODE, ZTDNS_A_GRACE, ZTDNS_A_MIN_TTL, ZTDNS_A_MAX_TTL,
 *             ZTDNS_A_LOG, ZTDNS_A_MAX_ENTRIES, ZTDNS_A_ALLOW_DHCP,
 *             ZTDNS_A_ALLOW_NDP, ZTDNS_A_NUM_ENTRIES
 *
 * ZTDNS_CMD_SET_CONFIG
 *   request:  any of ZTDNS_A_MODE, ZTDNS_A_GRACE, ZTDNS_A_MIN_TTL,
 *             ZTDNS_A_MAX_TTL, ZTDNS_A_LOG, ZTDNS_A_ALLOW_DHCP,
 *             ZTDNS_A_ALLOW_NDP; all are checked before any is applied.
 *
 * ZTDNS_CMD_ADD_ENTRIES                  all or nothing
 *   request:  ZTDNS_A_ENTRIES: NLA_NESTED
 *               0: NLA_NESTED
 *                 ZTDNS_ENTRY_A_FAMILY, ZTDNS_ENTRY_A_ADDR,
 *                 ZTDNS_ENTRY_A_TTL (at most ZTDNS_TTL_LIMIT; clamped to
 *                 [min_ttl, max_ttl])
 *               1: NLA_NESTED ...
 *             An address already present keeps the later of its expiry
 *             and the new one.  A full table (max_entries) first evicts
 *             dead, unused and idle entries (never one that carried a
 *             packet in the last grace seconds); when too few may go it
 *             refuses the whole batch with ENOSPC and evicts nothing.  A
 *             batch that fails after evicting (ENOMEM) keeps the
 *             evictions.
 *
 * ZTDNS_CMD_DEL_ENTRIES                  as ADD_ENTRIES, without TTL; all or
 *                                        nothing (ENOENT if one is absent)
 * ZTDNS_CMD_FLUSH_ENTRIES                request: (nothing)
 *
 * ZTDNS_CMD_GET_ENTRIES                  dump (NLM_F_DUMP)
 *   reply:    one message per batch of entries:
 *             ZTDNS_A_ENTRIES: NLA_NESTED
 *               0: NLA_NESTED
 *                 ZTDNS_ENTRY_A_FAMILY, ZTDNS_ENTRY_A_ADDR,
 *                 ZTDNS_ENTRY_A_EXPIRES_MS (time left until the TTL ends),
 *                 ZTDNS_ENTRY_A_IDLE_MS (time since the last packet;
 *                 absent while no packet used the entry)
 *
 * ZTDNS_CMD_ADD_SUBNET / ZTDNS_CMD_DEL_SUBNET
 *   request:  ZTDNS_A_SUBNET: NLA_NESTED
 *               ZTDNS_SUBNET_A_FAMILY, ZTDNS_SUBNET_A_ADDR (host bits
 *               clear), ZTDNS_SUBNET_A_PREFIX_LEN (u8, at most 32 or 128)
 * ZTDNS_CMD_GET_SUBNETS                  dump; replies as the request above
 *
 * ZTDNS_CMD_ADD_SERVER / ZTDNS_CMD_DEL_SERVER
 *   request:  ZTDNS_A_SERVER: NLA_NESTED
 *               ZTDNS_SERVER_A_FAMILY, ZTDNS_SERVER_A_ADDR,
 *               ZTDNS_SERVER_A_PORT (u16, host byte order, not 0; default
 *               ZTDNS_DEFAULT_SERVER_PORT)
 *             A packet to the address and port, TCP or UDP, passes.
 * ZTDNS_CMD_GET_SERVERS                  dump; replies as the request above
 *
 * ZTDNS_CMD_GET_STATS
 *   reply:    ZTDNS_A_STATS: NLA_NESTED, ZTDNS_STATS_A_* (u64 each)
 *
 * ZTDNS_CMD_EVENT                        sent to multicast group "events"
 *   ZTDNS_A_EVENT: NLA_NESTED
 *     ZTDNS_EVENT_A_VERDICT (u8, enum ztdns_verdict), ZTDNS_EVENT_A_FAMILY,
 *     ZTDNS_EVENT_A_PROTO (u8, IPPROTO_*), ZTDNS_EVENT_A_SADDR,
 *     ZTDNS_EVENT_A_DADDR, ZTDNS_EVENT_A_SPORT, ZTDNS_EVENT_A_DPORT
 *     (u16, 0 without ports), ZTDNS_EVENT_A_UID (u32; absent when the
 *     packet has no socket with an owner), ZTDNS_EVENT_A_PID (u32),
 *     ZTDNS_EVENT_A_COMM (string)
 *   Joining the group needs CAP_NET_ADMIN in the user namespace that owns
 *   the network namespace (a container's root reads its own namespace's
 *   events; the commands need it in the initial one): events name other
 *   users' processes and destinations.  At most events_per_sec
 *   (a module parameter, 1000 by default) events a second per namespace
 *   are sent; ZTDNS_STATS_A_EVENTS_DROPPED counts the rest.
 */
#ifndef _UAPI_LINUX_ZTDNS_H
#define _UAPI_LINUX_ZTDNS_H

#define ZTDNS_GENL_NAME "ztdns"
#define ZTDNS_GENL_VERSION 1
#define ZTDNS_GENL_MCGRP_EVENTS "events"

/* Default port of a protective server endpoint: DNS over TLS. */
#define ZTDNS_DEFAULT_SERVER_PORT 853

/* The longest TTL, grace, min_ttl and max_ttl accepted: a week. */
#define ZTDNS_TTL_LIMIT 604800

enum ztdns_mode {
	ZTDNS_MODE_OFF,		/* every packet passes, nothing is logged */
	ZTDNS_MODE_AUDIT,	/* would-be blocks are logged, then pass */
	ZTDNS_MODE_ENFORCE,	/* would-be blocks are logged and dropped */
	__ZTDNS_MODE_MAX
};

#define ZTDNS_MODE_MAX (__ZTDNS_MODE_MAX - 1)

enum ztdns_log_level {
	ZTDNS_LOG_NONE,		/* nothing */
	ZTDNS_LOG_BLOCKS,	/* blocks (and audit-mode would-be blocks) */
	ZTDNS_LOG_ALL,		/* blocks and permits */
	__ZTDNS_LOG_MAX
};

#define ZTDNS_LOG_MAX (__ZTDNS_LOG_MAX - 1)

enum ztdns_verdict {
	ZTDNS_VERDICT_BLOCK,	/* dropped (enforce) */
	ZTDNS_VERDICT_AUDIT,	/* would have been dropped, passed (audit) */
	ZTDNS_VERDICT_PERMIT,	/* allowed by a rule (log level 2 only) */
	__ZTDNS_VERDICT_MAX
};

enum ztdns_cmd {
	ZTDNS_CMD_UNSPEC,
	ZTDNS_CMD_GET_CONFIG,
	ZTDNS_CMD_SET_CONFIG,
	ZTDNS_CMD_ADD_ENTRIES,
	ZTDNS_CMD_DEL_ENTRIES,
	ZTDNS_CMD_FLUSH_ENTRIES,
	ZTDNS_CMD_GET_ENTRIES,
	ZTDNS_CMD_ADD_SUBNET,
	ZTDNS_CMD_DEL_SUBNET,
	ZTDNS_CMD_GET_SUBNETS,
	ZTDNS_CMD_ADD_SERVER,
	ZTDNS_CMD_DEL_SERVER,
	ZTDNS_CMD_GET_SERVERS,
	ZTDNS_CMD_GET_STATS,
	ZTDNS_CMD_EVENT,
	__ZTDNS_CMD_MAX
};

#define ZTDNS_CMD_MAX (__ZTDNS_CMD_MAX - 1)

enum ztdns_attr {
	ZTDNS_A_UNSPEC,
	ZTDNS_A_MODE,		/* u8, enum ztdns_mode */
	ZTDNS_A_GRACE,		/* u32 */
	ZTDNS_A_MIN_TTL,	/* u32 */
	ZTDNS_A_MAX_TTL,	/* u32 */
	ZTDNS_A_LOG,		/* u8, enum ztdns_log_level */
	ZTDNS_A_MAX_ENTRIES,	/* u32, read only (module parameter) */
	ZTDNS_A_ALLOW_DHCP,	/* u8, 0 or 1 */
	ZTDNS_A_ALLOW_NDP,	/* u8, 0 or 1 */
	ZTDNS_A_NUM_ENTRIES,	/* u32, read only */
	ZTDNS_A_ENTRIES,	/* nested array of nested ZTDNS_ENTRY_A_* */
	ZTDNS_A_SUBNET,		/* nested ZTDNS_SUBNET_A_* */
	ZTDNS_A_SERVER,		/* nested ZTDNS_SERVER_A_* */
	ZTDNS_A_STATS,		/* nested ZTDNS_STATS_A_* */
	ZTDNS_A_EVENT,		/* nested ZTDNS_EVENT_A_* */
	ZTDNS_A_PAD,
	__ZTDNS_A_MAX
};

#define ZTDNS_A_MAX (__ZTDNS_A_MAX - 1)

enum ztdns_entry_attr {
	ZTDNS_ENTRY_A_UNSPEC,
	ZTDNS_ENTRY_A_FAMILY,		/* u16 */
	ZTDNS_ENTRY_A_ADDR,		/* 4 or 16 bytes */
	ZTDNS_ENTRY_A_TTL,		/* u32, add only */
	ZTDNS_ENTRY_A_EXPIRES_MS,	/* u64, dump only */
	ZTDNS_ENTRY_A_IDLE_MS,		/* u64, dump only */
	ZTDNS_ENTRY_A_PAD,
	__ZTDNS_ENTRY_A_MAX
};

#define ZTDNS_ENTRY_A_MAX (__ZTDNS_ENTRY_A_MAX - 1)

enum ztdns_subnet_attr {
	ZTDNS_SUBNET_A_UNSPEC,
	ZTDNS_SUBNET_A_FAMILY,		/* u16 */
	ZTDNS_SUBNET_A_ADDR,		/* 4 or 16 bytes */
	ZTDNS_SUBNET_A_PREFIX_LEN,	/* u8 */
	__ZTDNS_SUBNET_A_MAX
};

#define ZTDNS_SUBNET_A_MAX (__ZTDNS_SUBNET_A_MAX - 1)

enum ztdns_server_attr {
	ZTDNS_SERVER_A_UNSPEC,
	ZTDNS_SERVER_A_FAMILY,		/* u16 */
	ZTDNS_SERVER_A_ADDR,		/* 4 or 16 bytes */
	ZTDNS_SERVER_A_PORT,		/* u16, host byte order */
	__ZTDNS_SERVER_A_MAX
};

#define ZTDNS_SERVER_A_MAX (__ZTDNS_SERVER_A_MAX - 1)

enum ztdns_stats_attr {
	ZTDNS_STATS_A_UNSPEC,
	ZTDNS_STATS_A_PACKETS,		/* packets seen by the hooks */
	ZTDNS_STATS_A_PERMITTED,	/* passed by a rule */
	ZTDNS_STATS_A_BLOCKED,		/* dropped in enforce mode */
	ZTDNS_STATS_A_AUDITED,		/* would-be blocks passed in audit mode */
	ZTDNS_STATS_A_MALFORMED,	/* packets too short to classify */
	ZTDNS_STATS_A_INSERTS,		/* entries added or extended */
	ZTDNS_STATS_A_INSERT_FULL,	/* entries refused with ENOSPC */
	ZTDNS_STATS_A_EXPIRED,		/* entries reaped */
	ZTDNS_STATS_A_PAD,
	ZTDNS_STATS_A_EVICTED,		/* entries evicted for new ones */
	ZTDNS_STATS_A_EVENTS_DROPPED,	/* events not sent: rate limit, memory */
	__ZTDNS_STATS_A_MAX
};

#define ZTDNS_STATS_A_MAX (__ZTDNS_STATS_A_MAX - 1)

enum ztdns_event_attr {
	ZTDNS_EVENT_A_UNSPEC,
	ZTDNS_EVENT_A_VERDICT,		/* u8, enum ztdns_verdict */
	ZTDNS_EVENT_A_FAMILY,		/* u16 */
	ZTDNS_EVENT_A_PROTO,		/* u8 */
	ZTDNS_EVENT_A_SADDR,		/* 4 or 16 bytes */
	ZTDNS_EVENT_A_DADDR,		/* 4 or 16 bytes */
	ZTDNS_EVENT_A_SPORT,		/* u16 */
	ZTDNS_EVENT_A_DPORT,		/* u16 */
	ZTDNS_EVENT_A_UID,		/* u32 */
	ZTDNS_EVENT_A_PID,		/* u32 */
	ZTDNS_EVENT_A_COMM,		/* string */
	__ZTDNS_EVENT_A_MAX
};

#define ZTDNS_EVENT_A_MAX (__ZTDNS_EVENT_A_MAX - 1)

#endif /* _UAPI_LINUX_ZTDNS_H */
