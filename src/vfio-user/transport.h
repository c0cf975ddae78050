/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfio-user framing over an AF_UNIX stream socket, with file descriptors as
 * SCM_RIGHTS. It works on blocking sockets (the client) and non-blocking ones
 * (the engine), keeps its place across partial reads, bounds the message size
 * and the descriptors per message, and closes every descriptor it was given
 * that nobody took.
 *
 * Read-ahead (the engine): one recvmsg() fills a buffer of VFU_RX_BUF_SIZE
 * bytes and as many whole messages as it holds are framed from it; a message
 * larger than the buffer gets its own payload buffer, the buffered part is
 * copied into it and the rest is read straight into it, exactly, never past
 * its end. Exact reads (the client): header, then exactly the payload it
 * announces, nothing of the next message.
 *
 * Which message a descriptor belongs to, with several messages in one read:
 * Linux (net/unix/af_unix.c) attaches the descriptors of a sendmsg() to the
 * first skb it queues, never merges skbs of different sendmsg() calls, and
 * unix_stream_read_generic() ends a read right after the skb whose
 * descriptors it took (or inside it, when the buffer is full). So the
 * descriptors one recvmsg() returns came with the skb that holds its LAST
 * byte, and they belong to the message that contains that byte, as long as a
 * sendmsg() that carries descriptors holds bytes of one message only (QEMU,
 * libvfio-user and our client send each message with its descriptors in the
 * first sendmsg() of that message). That is the rule applied here; in exact
 * mode it is the old one (a read never holds bytes of two messages).
 *
 * Bytes read ahead are invisible to poll(): the owner of a non-blocking
 * socket must come back to a receiver with vfu_rx_ready() true without
 * waiting for the socket (the engine keeps a count of such connections).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vfio-user/protocol.h"

/* The most descriptors one message may carry here, whatever was negotiated. */
#define VFU_RX_MAX_FDS 16u
/* Messages up to this size (header included) are framed in place, without a copy or an allocation. */
#define VFU_RX_BUF_SIZE 4096u

struct vfu_rx {
        /* limits and mode, set by the owner */
        uint32_t max_size; /* whole message, header included */
        unsigned max_fds;
        bool read_ahead; /* read as much as the buffer takes (else exactly the current message) */

        /* bytes received and not consumed, buf[start, end): the current message starts at start */
        uint8_t buf[VFU_RX_BUF_SIZE];
        size_t start, end;
        bool drained; /* read-ahead: the last read was short; no read until vfu_rx_readable() */
        bool hangup;  /* the peer is gone: read on to its EOF whatever the reads return */

        /* descriptors of a later message than the current one: they came with byte pending_at - 1 */
        int pending[VFU_RX_MAX_FDS];
        unsigned npending;
        bool pending_dropped;
        size_t pending_at;

        /* the message being received */
        bool have_hdr;
        bool complete;
        struct vfu_hdr hdr;
        uint8_t *payload; /* in buf, or big */
        uint8_t *big;     /* the payload of a message larger than buf */
        size_t big_have;

        int fds[VFU_RX_MAX_FDS];
        unsigned nfds;
        bool fds_dropped; /* more descriptors came than max_fds (they were closed) */
};

void vfu_rx_init(struct vfu_rx *rx, uint32_t max_size, unsigned max_fds, bool read_ahead);
/*
 * Done with the current message: a complete one is consumed (closing the descriptors nobody
 * took); an incomplete one (after an error) takes everything buffered with it, since the
 * stream cannot be framed past it.
 */
void vfu_rx_reset(struct vfu_rx *rx);
/* Drop everything: the message, what is buffered, every descriptor. */
void vfu_rx_done(struct vfu_rx *rx);

/*
 * Read towards one complete message. Returns 1 when rx holds a complete
 * message (rx->hdr, payload of rx->hdr.size - 16 bytes, rx->fds), -EAGAIN when
 * more bytes are needed and the socket has none yet (in read-ahead mode also
 * when the last read was short: the socket was empty then; the owner waits for
 * it to be readable and calls vfu_rx_readable()), 0 when the peer closed the
 * connection at a message boundary, -ECONNRESET when it closed inside a
 * message, -EBADMSG when the header cannot be framed (size < 16: nothing after
 * it can be trusted), -E2BIG when the announced size exceeds max_size (rx->hdr
 * is valid for an error reply), or another -errno from recvmsg(). Messages
 * already buffered are returned before anything the socket says (EOF included).
 * After 1, the owner takes the descriptors it needs (setting them to -1) and
 * calls vfu_rx_reset().
 */
int vfu_rx_step(struct vfu_rx *rx, int fd);

/* The socket is readable (poll said so): the next step may read even after a short read. */
static inline void vfu_rx_readable(struct vfu_rx *rx) {
        rx->drained = false;
}

/*
 * The peer hung up (poll said EPOLLHUP): what it sent is all in the socket, so steps read on to
 * the EOF instead of stopping after a short read. Then its disconnect is seen in the same wake-up
 * as its last bytes, before anything that came after it (a new client on the listening socket).
 */
static inline void vfu_rx_hangup(struct vfu_rx *rx) {
        rx->hangup = true;
        rx->drained = false;
}

/* Will the next vfu_rx_step() return without reading: a whole message, or a bad header, is buffered? */
bool vfu_rx_ready(const struct vfu_rx *rx);

static inline const uint8_t *vfu_rx_payload(const struct vfu_rx *rx) {
        return rx->payload;
}
static inline size_t vfu_rx_payload_len(const struct vfu_rx *rx) {
        return rx->hdr.size - VFU_HDR_SIZE;
}

/*
 * One sendmsg() of iov with fds attached (MSG_NOSIGNAL: a closed peer is
 * -EPIPE, never a signal). Returns the bytes sent, which may be fewer than
 * asked on a non-blocking socket; the descriptors went with the first byte.
 */
ssize_t vfu_send_iov(int fd, const struct iovec *iov, int iovcnt, const int *fds, unsigned nfds);

/* Blocking: send a whole message (header + payload + fds), looping over short writes. */
int vfu_send_msg(int fd, const struct vfu_hdr *hdr, const void *payload, size_t len, const int *fds,
                 unsigned nfds);

/* Close the descriptors in fds[0..n) that are >= 0 and set them to -1. */
void vfu_close_fds(int *fds, unsigned n);
