/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfio-user framing over an AF_UNIX stream socket, with file descriptors as
 * SCM_RIGHTS. The receiver reads the 16-byte header first and then exactly the
 * payload the header announces, so that descriptors (which the kernel attaches
 * to the first byte of the sendmsg() that carried them) can only arrive with
 * the bytes of the message they belong to. It works on blocking sockets (the
 * client) and non-blocking ones (the engine), keeps its place across partial
 * reads, bounds the message size and the descriptors per message, and closes
 * every descriptor it was given that nobody took.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vfio-user/protocol.h"

/* The most descriptors one message may carry here, whatever was negotiated. */
#define VFU_RX_MAX_FDS 16u
/* Payloads up to this size live inside struct vfu_rx: small messages cost no allocation. */
#define VFU_RX_INLINE 256u

struct vfu_rx {
        /* limits, set by the owner */
        uint32_t max_size; /* whole message, header included */
        unsigned max_fds;

        /* the message being received */
        uint8_t hdr_buf[VFU_HDR_SIZE];
        size_t hdr_have;
        struct vfu_hdr hdr;
        uint8_t *payload; /* inline_buf or heap */
        size_t payload_have;
        uint8_t inline_buf[VFU_RX_INLINE];

        int fds[VFU_RX_MAX_FDS];
        unsigned nfds;
        bool fds_dropped; /* more descriptors came than max_fds (they were closed) */
};

void vfu_rx_init(struct vfu_rx *rx, uint32_t max_size, unsigned max_fds);
/* Drops the partial message and closes its descriptors. */
void vfu_rx_reset(struct vfu_rx *rx);

/*
 * Read towards one complete message. Returns 1 when rx holds a complete
 * message (rx->hdr, payload of rx->hdr.size - 16 bytes, rx->fds), -EAGAIN when
 * the socket has no more bytes yet, 0 when the peer closed the connection at a
 * message boundary, -ECONNRESET when it closed inside a message, -EBADMSG when
 * the header cannot be framed (size < 16: nothing after it can be trusted),
 * -E2BIG when the announced size exceeds max_size (rx->hdr is valid for an
 * error reply), or another -errno from recvmsg(). After 1, the owner takes
 * the descriptors it needs (setting them to -1) and calls vfu_rx_reset().
 */
int vfu_rx_step(struct vfu_rx *rx, int fd);

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
