// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink façade for ztdnsctl and ztdnsd.  Every function returns
 * 0 or a negative errno; after a kernel rejection nl->errmsg holds the
 * extended-ack message the kernel gave with it.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "nl.h"
#include "uapi/linux/ztdns.h"

struct ztnl_req {
	struct ztnl *nl;
	ztnl_reply_fn fn;
	void *arg;
	int err;
	int done;
	int intr;	/* a reply flagged NLM_F_DUMP_INTR */
};

static int ztnl_nlerr(int err)
{
	switch (-err) {
	case NLE_PERM:
		return -EPERM;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_DUMP_INTR:
		return -EAGAIN;
	case NLE_MSGSIZE:
		return -EMSGSIZE;
	default:
		return -EIO;
	}
}

/**
 * ztnl_open() - connect to the ztdns family of the current netns
 * @nl: filled in on success
 *
 * Return: 0, -ENOENT when the family is not registered (the module is not
 * loaded), or another negative errno.
 */
int ztnl_open(struct ztnl *nl)
{
	int one = 1;
	int ret;

	memset(nl, 0, sizeof(*nl));
	nl->sock = nl_socket_alloc();
	if (!nl->sock)
		return -ENOMEM;
	ret = genl_connect(nl->sock);
	if (ret < 0) {
		ret = ztnl_nlerr(ret);
		goto err_sock;
	}
	/* Ask for the kernel's extack messages, without the echoed request. */
	setsockopt(nl_socket_get_fd(nl->sock), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sock), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));
	nl->family = genl_ctrl_resolve(nl->sock, ZTDNS_GENL_NAME);
	if (nl->family < 0) {
		ret = -ENOENT;
		goto err_sock;
	}
	return 0;

err_sock:
	nl_socket_free(nl->sock);
	nl->sock = NULL;
	return ret;
}

/**
 * ztnl_resolve() - look the family up again, after the module was reloaded
 * @nl: an open façade
 *
 * A reloaded module registers its family anew, under a new id: requests
 * to the old one fail with -ENOENT (or reach another family).
 *
 * Return: 1 when the id changed (@nl now uses the new one), 0 when it did
 * not, -ENOENT when the family is not registered.
 */
int ztnl_resolve(struct ztnl *nl)
{
	int family = genl_ctrl_resolve(nl->sock, ZTDNS_GENL_NAME);

	if (family < 0)
		return -ENOENT;
	if (family == nl->family)
		return 0;
	nl->family = family;
	return 1;
}

void ztnl_close(struct ztnl *nl)
{
	nl_socket_free(nl->sock);
	nl->sock = NULL;
}

/**
 * ztnl_msg_size() - a new request of the ztdns family, of a given room
 * @nl: an open façade
 * @cmd: ZTDNS_CMD_*
 * @flags: extra NLM_F_* flags (NLM_F_DUMP for dumps)
 * @size: the most bytes the whole message may take, headers included;
 *	0 for libnl's default (a page)
 *
 * Attributes that would take the message past @size fail with
 * -NLE_NOMEM, so that a caller can fill it to the brim.
 *
 * Return: the message, or NULL when out of memory.
 */
struct nl_msg *ztnl_msg_size(struct ztnl *nl, unsigned char cmd, int flags,
			     size_t size)
{
	struct nl_msg *msg = size ? nlmsg_alloc_size(size) : nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			 flags | NLM_F_REQUEST | NLM_F_ACK, cmd,
			 ZTDNS_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* ztnl_msg_size() of libnl's default size. */
struct nl_msg *ztnl_msg(struct ztnl *nl, unsigned char cmd, int flags)
{
	return ztnl_msg_size(nl, cmd, flags, 0);
}

/*
 * netlink_sendmsg() refuses a message longer than the socket's send buffer
 * less this much; libnl sets the buffer to 64 KiB (32 KiB, doubled by the
 * kernel), which leaves a 64 KiB request a few bytes short.
 */
#define ZTNL_SNDBUF_SLACK 32

static int ztnl_get_sndbuf(int fd)
{
	socklen_t len = sizeof(int);
	int size;

	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, &len))
		return -errno;
	return size;
}

/**
 * ztnl_sndbuf() - make room in the socket for requests of @size bytes
 * @nl: an open façade
 * @size: the largest request the caller means to send
 *
 * Grows the send buffer with SO_SNDBUFFORCE (as root), or else with
 * SO_SNDBUF up to the net.core.wmem_max of the system.
 *
 * Return: the length of the longest request the socket now takes: @size,
 * or less when the buffer could not grow that far (the caller then sends
 * smaller requests); or a negative errno.
 */
int ztnl_sndbuf(struct ztnl *nl, int size)
{
	int fd = nl_socket_get_fd(nl->sock);
	int want = size + ZTNL_SNDBUF_SLACK;
	int have;

	have = ztnl_get_sndbuf(fd);
	if (have >= 0 && have < want &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)))
		/* Not root: as far as net.core.wmem_max lets it grow. */
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
	have = ztnl_get_sndbuf(fd);
	if (have < 0)
		return have;
	have -= ZTNL_SNDBUF_SLACK;
	return have < size ? have : size;
}

static int ztnl_valid_cb(struct nl_msg *msg, void *arg)
{
	struct ztnl_req *req = arg;

	return req->fn ? req->fn(msg, req->arg) : NL_OK;
}

/*
 * The extack attributes of @h follow @off bytes of its payload; keep the
 * message, the one the user needs to read.
 */
static void ztnl_extack(struct ztnl *nl, const struct nlmsghdr *h, size_t off)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	const char *s;

	off = NLMSG_ALIGN(off);
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS) ||
	    h->nlmsg_len < NLMSG_HDRLEN + off)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)nlmsg_data(h) + off),
		      h->nlmsg_len - NLMSG_HDRLEN - off, NULL) < 0 ||
	    !tb[NLMSGERR_ATTR_MSG])
		return;
	s = nla_data(tb[NLMSGERR_ATTR_MSG]);
	snprintf(nl->errmsg, sizeof(nl->errmsg), "%.*s",
		 (int)strnlen(s, nla_len(tb[NLMSGERR_ATTR_MSG])), s);
}

/*
 * The end of a request: its ack, or the NLMSG_DONE of a dump, which
 * carries the dump's error (an int) and then its extack attributes.
 */
static int ztnl_finish_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct ztnl_req *req = arg;
	int err;

	if (h->nlmsg_type == NLMSG_DONE &&
	    nlmsg_datalen(h) >= (int)sizeof(err)) {
		memcpy(&err, nlmsg_data(h), sizeof(err));
		if (err < 0) {
			req->err = err;
			ztnl_extack(req->nl, h, sizeof(err));
		}
	}
	req->done = 1;
	return NL_STOP;
}

/* The table changed during the dump: read on to its end, then say so. */
static int ztnl_dump_intr_cb(struct nl_msg *msg, void *arg)
{
	struct ztnl_req *req = arg;

	(void)msg;
	req->intr = 1;
	return NL_OK;
}

static int ztnl_error_cb(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *h = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct ztnl_req *req = arg;
	size_t off = sizeof(*e);

	(void)who;
	req->err = e->error;
	/* Unless capped, the whole request is echoed before the TLVs. */
	if (e->error && !(h->nlmsg_flags & NLM_F_CAPPED) &&
	    e->msg.nlmsg_len >= NLMSG_HDRLEN)
		off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
	if (e->error)
		ztnl_extack(req->nl, h, off);
	req->done = 1;
	return NL_STOP;
}

/**
 * ztnl_send() - send a request and read its replies up to the ack
 * @nl: an open façade
 * @msg: the request; consumed
 * @fn: called for each reply message (may be NULL)
 * @arg: passed to @fn
 *
 * A dump (NLM_F_DUMP) answers with any number of multi-part messages, each
 * passed to @fn, up to an NLMSG_DONE that may carry the dump's error; the
 * kernel sends no ack after it.
 *
 * Return: 0, or the negative errno the kernel answered with; -EAGAIN when
 * the dump was interrupted by a change (NLM_F_DUMP_INTR).
 */
int ztnl_send(struct ztnl *nl, struct nl_msg *msg, ztnl_reply_fn fn, void *arg)
{
	struct ztnl_req req = { .nl = nl, .fn = fn, .arg = arg };
	struct nl_cb *cb;
	int ret;

	nl->errmsg[0] = '\0';
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, ztnl_valid_cb, &req);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, ztnl_finish_cb, &req);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, ztnl_finish_cb, &req);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, ztnl_dump_intr_cb, &req);
	nl_cb_err(cb, NL_CB_CUSTOM, ztnl_error_cb, &req);

	ret = nl_send_auto(nl->sock, msg);
	nlmsg_free(msg);
	if (ret < 0) {
		ret = ztnl_nlerr(ret);
		goto out;
	}
	while (!req.done) {
		ret = nl_recvmsgs(nl->sock, cb);
		if (ret == -NLE_DUMP_INTR) {
			req.intr = 1;	/* libnl's own check, at the dump's end */
		} else if (ret < 0 && !req.err) {
			ret = ztnl_nlerr(ret);
			goto out;
		}
	}
	ret = req.err;
	if (!ret && req.intr) {
		snprintf(nl->errmsg, sizeof(nl->errmsg),
			 "the kernel's table changed during the dump, try again");
		ret = -EAGAIN;
	}
out:
	nl_cb_put(cb);
	return ret;
}

/**
 * ztnl_subscribe() - join a multicast group of the family, for ztnl_recv()
 * @nl: an open façade, used for nothing else afterwards
 * @group: ZTDNS_GENL_MCGRP_*
 *
 * Notifications come unasked, so their sequence numbers are not checked;
 * the socket stops blocking, for a poll() on ztnl_fd().
 *
 * Return: 0, -ENOENT when the module has no such group, or another
 * negative errno.
 */
int ztnl_subscribe(struct ztnl *nl, const char *group)
{
	int grp, ret;

	grp = genl_ctrl_resolve_grp(nl->sock, ZTDNS_GENL_NAME, group);
	if (grp < 0) {
		snprintf(nl->errmsg, sizeof(nl->errmsg),
			 "the module has no multicast group \"%s\"", group);
		return -ENOENT;
	}
	ret = nl_socket_add_membership(nl->sock, grp);
	if (ret < 0)
		return ztnl_nlerr(ret);
	nl_socket_disable_seq_check(nl->sock);
	ret = nl_socket_set_nonblocking(nl->sock);
	if (ret < 0)
		return ztnl_nlerr(ret);
	return 0;
}

/* The socket's file descriptor, to poll() for ztnl_recv(). */
int ztnl_fd(const struct ztnl *nl)
{
	return nl_socket_get_fd(nl->sock);
}

/**
 * ztnl_recv() - read what a subscribed socket has, without waiting
 * @nl: a façade after ztnl_subscribe()
 * @fn: called for each message
 * @arg: passed to @fn
 *
 * Return: 0 (also when nothing was waiting), -ENOBUFS when the socket's
 * buffer overran and notifications were lost (reading may go on), or
 * another negative errno.
 */
int ztnl_recv(struct ztnl *nl, ztnl_reply_fn fn, void *arg)
{
	int ret;

	ret = nl_socket_modify_cb(nl->sock, NL_CB_VALID, NL_CB_CUSTOM, fn, arg);
	if (ret < 0)
		return ztnl_nlerr(ret);
	errno = 0;
	ret = nl_recvmsgs_default(nl->sock);
	if (ret >= 0 || ret == -NLE_AGAIN)
		return 0;
	/* libnl reports the kernel's ENOBUFS as out of memory. */
	if (ret == -NLE_NOMEM && errno == ENOBUFS)
		return -ENOBUFS;
	return ztnl_nlerr(ret);
}

/**
 * ztnl_strerror() - a sentence for an error of ztnl_open() or ztnl_send()
 * @nl: the façade (for the kernel's extack message)
 * @err: a negative errno
 *
 * Return: a static or @nl-owned string.
 */
const char *ztnl_strerror(const struct ztnl *nl, int err)
{
	if (err == -EPERM)
		return "permission denied: ztdns needs CAP_NET_ADMIN (run as root)";
	if (err == -ENOENT && !nl->sock)
		return "module not loaded: the ztdns generic netlink family is absent (modprobe ztdns)";
	if (nl->errmsg[0])
		return nl->errmsg;
	return strerror(-err);
}

/**
 * ztnl_get_addr() - an address from a FAMILY and an ADDR attribute
 * @family: the u16 family attribute, or NULL
 * @addr: the address attribute, or NULL
 * @a: filled in on success
 *
 * Return: 0, or -EINVAL when one is missing or they do not agree.
 */
int ztnl_get_addr(struct nlattr *family, struct nlattr *addr,
		  struct zt_addr *a)
{
	if (!family || !addr)
		return -EINVAL;
	return zt_addr_set(a, nla_get_u16(family), nla_data(addr),
			   nla_len(addr));
}

/* Put @a as a FAMILY and an ADDR attribute.  Return: 0 or -EMSGSIZE. */
int ztnl_put_addr(struct nl_msg *msg, int family_attr, int addr_attr,
		  const struct zt_addr *a)
{
	if (nla_put_u16(msg, family_attr, a->family) ||
	    nla_put(msg, addr_attr, zt_addr_len(a->family), a->bytes))
		return -EMSGSIZE;
	return 0;
}
