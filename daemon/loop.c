// SPDX-License-Identifier: GPL-2.0
/*
 * ztdnsd's event loop: one epoll set, and I/O objects that cannot be freed
 * under it.
 *
 * One epoll_wait() returns a batch of events, each naming an object by
 * pointer; handling one event may close other objects of the same batch
 * (an answer to a TCP client that has reset fails to send, and closes it,
 * while that client's own error event waits further down the batch).  So,
 * as unbound's comm points and libevent's deferred callbacks do, nothing is
 * freed during a batch:
 *
 *   zt_io_close()    takes the object out of epoll, closes its descriptor
 *                    and marks it dead: later events of the batch for it
 *                    are skipped.  Its owner may still use its memory.
 *   zt_io_release()  queues a dead object for its ops->free, which runs
 *                    after the batch (zt_io_dispatch()), never inside it.
 *
 * An owner that still holds references to a dead object (a TCP client
 * with queries in flight) releases it once the last one is gone.
 */

#include <errno.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "ztdnsd.h"

#define ZT_BATCH	64

static int zt_epoll = -1;
static struct zt_io *zt_released;	/* dead, freed after the batch */

uint64_t zt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int zt_io_add(struct zt_io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	return epoll_ctl(zt_epoll, EPOLL_CTL_ADD, io->fd, &ev) ? -errno : 0;
}

int zt_io_mod(struct zt_io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	if (io->dead)
		return -EBADF;
	return epoll_ctl(zt_epoll, EPOLL_CTL_MOD, io->fd, &ev) ? -errno : 0;
}

/**
 * zt_io_close() - out of the loop, descriptor closed, memory kept
 * @io: an object added with zt_io_add(); closing it again does nothing
 */
void zt_io_close(struct zt_io *io)
{
	if (io->dead)
		return;
	epoll_ctl(zt_epoll, EPOLL_CTL_DEL, io->fd, NULL);
	close(io->fd);
	io->fd = -1;
	io->dead = true;
}

/**
 * zt_io_release() - free @io, once the current batch is over
 * @io: an object of the loop; closed here if it is not yet
 */
void zt_io_release(struct zt_io *io)
{
	zt_io_close(io);
	if (io->released)
		return;
	io->released = true;
	io->next_released = zt_released;
	zt_released = io;
}

/* Free what was released; never while a batch may name it. */
static void zt_io_reap(void)
{
	struct zt_io *io;

	while ((io = zt_released)) {
		zt_released = io->next_released;
		io->ops->free(io);
	}
}

/**
 * zt_io_dispatch() - wait up to @timeout_ms, then handle one batch
 * @timeout_ms: as epoll_wait()'s
 *
 * Events of an object that died earlier in the batch are skipped; what
 * was released is freed at the end.
 *
 * Return: the number of events, or a negative errno (-EINTR included).
 */
int zt_io_dispatch(int timeout_ms)
{
	struct epoll_event ev[ZT_BATCH];
	struct zt_io *io;
	int i, n;

	n = epoll_wait(zt_epoll, ev, ZT_BATCH, timeout_ms);
	if (n < 0)
		n = -errno;
	for (i = 0; i < n; i++) {
		io = ev[i].data.ptr;
		if (!io->dead)
			io->ops->event(io, ev[i].events);
	}
	zt_io_reap();
	return n;
}

int zt_loop_init(void)
{
	zt_epoll = epoll_create1(EPOLL_CLOEXEC);
	return zt_epoll < 0 ? -errno : 0;
}

/* Free what is still released (at exit, after every owner closed). */
void zt_loop_uninit(void)
{
	zt_io_reap();
	if (zt_epoll >= 0)
		close(zt_epoll);
	zt_epoll = -1;
}
