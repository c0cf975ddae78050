/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfio-user framing and descriptor passing (see transport.h). */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "macro.h"
#include "vfio-user/codec.h"
#include "vfio-user/transport.h"

void vfu_close_fds(int *fds, unsigned n) {
        for (unsigned i = 0; i < n; i++)
                if (fds[i] >= 0) {
                        close(fds[i]);
                        fds[i] = -1;
                }
}

void vfu_rx_init(struct vfu_rx *rx, uint32_t max_size, unsigned max_fds, bool read_ahead) {
        *rx = (struct vfu_rx){
                .max_size = max_size, .max_fds = MIN(max_fds, VFU_RX_MAX_FDS), .read_ahead = read_ahead};
        for (unsigned i = 0; i < VFU_RX_MAX_FDS; i++)
                rx->fds[i] = rx->pending[i] = -1;
}

static void drop_pending(struct vfu_rx *rx) {
        vfu_close_fds(rx->pending, rx->npending);
        rx->npending = 0;
        rx->pending_dropped = false;
}

void vfu_rx_reset(struct vfu_rx *rx) {
        vfu_close_fds(rx->fds, rx->nfds);
        if (rx->complete && !rx->big)
                rx->start += rx->hdr.size;
        else if (!rx->complete) {
                /* Given up inside a message: nothing after it can be framed. */
                rx->start = rx->end = 0;
                drop_pending(rx);
        }
        if (rx->start == rx->end)
                rx->start = rx->end = 0;
        free(rx->big);
        rx->big = NULL;
        rx->big_have = 0;
        rx->payload = NULL;
        rx->have_hdr = false;
        rx->complete = false;
        rx->nfds = 0;
        rx->fds_dropped = false;
        memset(&rx->hdr, 0, sizeof(rx->hdr));
}

void vfu_rx_done(struct vfu_rx *rx) {
        rx->complete = false; /* so that reset drops what is buffered too */
        vfu_rx_reset(rx);
}

/* The descriptors received so far belong to the current message: move them to it, up to max_fds. */
static void claim_pending(struct vfu_rx *rx) {
        for (unsigned i = 0; i < rx->npending; i++) {
                if (rx->nfds < rx->max_fds)
                        rx->fds[rx->nfds++] = rx->pending[i];
                else {
                        close(rx->pending[i]);
                        rx->fds_dropped = true;
                }
                rx->pending[i] = -1;
        }
        rx->fds_dropped = rx->fds_dropped || rx->pending_dropped;
        rx->npending = 0;
        rx->pending_dropped = false;
}

/* Keep descriptors up to max_fds; close the rest at once so that a flood cannot pile them up. */
static void take_cmsg_fds(struct vfu_rx *rx, struct msghdr *mh) {
        if (mh->msg_flags & MSG_CTRUNC)
                rx->pending_dropped = true; /* the kernel closed what did not fit */
        for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                const unsigned char *data = CMSG_DATA(c);
                for (size_t i = 0; i < n; i++) {
                        int fd;
                        memcpy(&fd, data + i * sizeof(int), sizeof(int));
                        if (rx->npending < rx->max_fds)
                                rx->pending[rx->npending++] = fd;
                        else {
                                close(fd);
                                rx->pending_dropped = true;
                        }
                }
        }
}

/* One recvmsg() into buf; its descriptors become pending (the caller knows whose they are). */
static ssize_t recv_some(struct vfu_rx *rx, int fd, void *buf, size_t len) {
        /* Room for one descriptor more than allowed, so that "too many" is seen, not silently cut. */
        union {
                struct cmsghdr align;
                uint8_t buf[CMSG_SPACE(sizeof(int) * (VFU_RX_MAX_FDS + 1))];
        } ctrl;
        struct iovec iov = {.iov_base = buf, .iov_len = len};
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = ctrl.buf,
                .msg_controllen = CMSG_SPACE(sizeof(int) * (rx->max_fds + 1)),
        };
        ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
        if (n < 0)
                return -errno;
        take_cmsg_fds(rx, &mh);
        /* A short read means the socket had no more (or a read stopped at descriptors, and the
         * socket stays readable): poll, not another recvmsg(), says when there is more. */
        if (rx->read_ahead && !rx->hangup && (size_t) n < len)
                rx->drained = true;
        return n;
}

/* Read more of the current message (and, reading ahead, of those after it). */
static ssize_t read_more(struct vfu_rx *rx, int fd) {
        if (rx->big) {
                size_t plen = rx->hdr.size - VFU_HDR_SIZE;
                ssize_t n = recv_some(rx, fd, rx->big + rx->big_have, plen - rx->big_have);
                if (n > 0)
                        rx->big_have += (size_t) n;
                return n;
        }
        size_t have = rx->end - rx->start;
        if (rx->start > 0) {
                /* What is left is the start of one message: move it to the front. */
                memmove(rx->buf, rx->buf + rx->start, have);
                rx->start = 0;
                rx->end = have;
        }
        size_t want = rx->read_ahead ? VFU_RX_BUF_SIZE - rx->end
                                     : (rx->have_hdr ? rx->hdr.size : VFU_HDR_SIZE) - have;
        ssize_t n = recv_some(rx, fd, rx->buf + rx->end, want);
        if (n > 0) {
                rx->end += (size_t) n;
                rx->pending_at = rx->end;
        }
        return n;
}

/* The header at start is decoded: a message larger than buf moves to its own payload buffer. */
static int begin_message(struct vfu_rx *rx) {
        vfu_hdr_decode(rx->buf + rx->start, &rx->hdr);
        if (rx->hdr.size < VFU_HDR_SIZE)
                return -EBADMSG;
        if (rx->hdr.size > rx->max_size)
                return -E2BIG;
        if (rx->hdr.size > VFU_RX_BUF_SIZE) {
                size_t plen = rx->hdr.size - VFU_HDR_SIZE, have = rx->end - rx->start - VFU_HDR_SIZE;
                rx->big = malloc(plen);
                if (!rx->big)
                        return -ENOMEM;
                /* All of buf is this message's (it is larger): so are the descriptors that came with it. */
                memcpy(rx->big, rx->buf + rx->start + VFU_HDR_SIZE, have);
                rx->big_have = have;
                rx->start = rx->end = 0;
        }
        rx->have_hdr = true;
        return 0;
}

int vfu_rx_step(struct vfu_rx *rx, int fd) {
        for (;;) {
                size_t have = rx->end - rx->start;
                if (!rx->have_hdr && have >= VFU_HDR_SIZE) {
                        int r = begin_message(rx);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (rx->have_hdr &&
                    (rx->big ? rx->big_have == rx->hdr.size - VFU_HDR_SIZE : have >= rx->hdr.size)) {
                        if (rx->big)
                                claim_pending(rx);
                        else if (rx->npending > 0 && rx->pending_at <= rx->start + rx->hdr.size)
                                claim_pending(rx); /* its last byte came with them */
                        rx->payload = rx->big ?: rx->buf + rx->start + VFU_HDR_SIZE;
                        rx->complete = true;
                        return 1;
                }
                /* Incomplete, so every byte read since it began is its own, and every descriptor. */
                claim_pending(rx);
                if (rx->drained)
                        return -EAGAIN;
                ssize_t n = read_more(rx, fd);
                if (n == -EINTR)
                        continue;
                if (n < 0)
                        return (int) n;
                if (n == 0) {
                        bool boundary = rx->start == rx->end && !rx->have_hdr && rx->nfds == 0;
                        return boundary ? 0 : -ECONNRESET;
                }
        }
}

bool vfu_rx_ready(const struct vfu_rx *rx) {
        size_t have = rx->end - rx->start;
        struct vfu_hdr h;

        if (rx->big || have < VFU_HDR_SIZE)
                return false;
        if (rx->have_hdr)
                h = rx->hdr;
        else
                vfu_hdr_decode(rx->buf + rx->start, &h);
        return h.size < VFU_HDR_SIZE || h.size > rx->max_size || have >= h.size;
}

ssize_t vfu_send_iov(int fd, const struct iovec *iov, int iovcnt, const int *fds, unsigned nfds) {
        union {
                struct cmsghdr align;
                uint8_t buf[CMSG_SPACE(sizeof(int) * VFU_RX_MAX_FDS)];
        } ctrl;
        struct msghdr mh = {.msg_iov = (struct iovec *) iov, .msg_iovlen = (size_t) iovcnt};

        if (nfds > VFU_RX_MAX_FDS)
                return -EINVAL;
        if (nfds > 0) {
                memset(&ctrl, 0, sizeof(ctrl));
                mh.msg_control = ctrl.buf;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
                memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
        }
        for (;;) {
                ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL);
                if (n >= 0)
                        return n;
                if (errno != EINTR)
                        return -errno;
        }
}

int vfu_send_msg(int fd, const struct vfu_hdr *hdr, const void *payload, size_t len, const int *fds,
                 unsigned nfds) {
        uint8_t hbuf[VFU_HDR_SIZE];
        struct iovec iov[2];
        size_t total = VFU_HDR_SIZE + len, sent = 0;

        vfu_hdr_encode(hbuf, hdr);
        while (sent < total) {
                int cnt = 0;
                if (sent < VFU_HDR_SIZE) {
                        iov[cnt++] = (struct iovec){hbuf + sent, VFU_HDR_SIZE - sent};
                        if (len)
                                iov[cnt++] = (struct iovec){(void *) payload, len};
                } else
                        iov[cnt++] =
                                (struct iovec){(uint8_t *) payload + (sent - VFU_HDR_SIZE), total - sent};
                ssize_t n = vfu_send_iov(fd, iov, cnt, sent == 0 ? fds : NULL, sent == 0 ? nfds : 0);
                if (n < 0)
                        return (int) n;
                sent += (size_t) n;
        }
        return 0;
}
