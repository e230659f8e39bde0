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

void ztnl_close(struct ztnl *nl)
{
	nl_socket_free(nl->sock);
	nl->sock = NULL;
}

/**
 * ztnl_msg() - a new request of the ztdns family
 * @nl: an open façade
 * @cmd: ZTDNS_CMD_*
 * @flags: extra NLM_F_* flags (NLM_F_DUMP for dumps)
 *
 * Return: the message, or NULL when out of memory.
 */
struct nl_msg *ztnl_msg(struct ztnl *nl, unsigned char cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

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

static int ztnl_valid_cb(struct nl_msg *msg, void *arg)
{
	struct ztnl_req *req = arg;

	return req->fn ? req->fn(msg, req->arg) : NL_OK;
}

static int ztnl_finish_cb(struct nl_msg *msg, void *arg)
{
	struct ztnl_req *req = arg;

	(void)msg;
	req->done = 1;
	return NL_STOP;
}

/* The extack message follows the (possibly capped) echoed request. */
static void ztnl_extack(struct ztnl *nl, struct nlmsgerr *e)
{
	struct nlmsghdr *h = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off = sizeof(*e);

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (NLMSG_HDRLEN + off > h->nlmsg_len)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)e + off),
		      h->nlmsg_len - NLMSG_HDRLEN - off, NULL) < 0)
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(nl->errmsg, sizeof(nl->errmsg), "%s",
			 (char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
}

static int ztnl_error_cb(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct ztnl_req *req = arg;

	(void)who;
	req->err = e->error;
	if (e->error)
		ztnl_extack(req->nl, e);
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
 * Return: 0, or the negative errno the kernel answered with.
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
	nl_cb_err(cb, NL_CB_CUSTOM, ztnl_error_cb, &req);

	ret = nl_send_auto(nl->sock, msg);
	nlmsg_free(msg);
	if (ret < 0) {
		ret = ztnl_nlerr(ret);
		goto out;
	}
	ret = 0;
	while (!req.done) {
		ret = nl_recvmsgs(nl->sock, cb);
		if (ret < 0 && !req.err) {
			ret = ztnl_nlerr(ret);
			goto out;
		}
	}
	ret = req.err;
out:
	nl_cb_put(cb);
	return ret;
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
