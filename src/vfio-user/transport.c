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

void vfu_rx_init(struct vfu_rx *rx, uint32_t max_size, unsigned max_fds) {
        *rx = (struct vfu_rx){.max_size = max_size, .max_fds = MIN(max_fds, VFU_RX_MAX_FDS)};
        rx->payload = rx->inline_buf;
        for (unsigned i = 0; i < VFU_RX_MAX_FDS; i++)
                rx->fds[i] = -1;
}

void vfu_rx_reset(struct vfu_rx *rx) {
        vfu_close_fds(rx->fds, rx->nfds);
        if (rx->payload != rx->inline_buf)
                free(rx->payload);
        rx->payload = rx->inline_buf;
        rx->hdr_have = 0;
        rx->payload_have = 0;
        rx->nfds = 0;
        rx->fds_dropped = false;
        memset(&rx->hdr, 0, sizeof(rx->hdr));
}

/* Keep descriptors up to max_fds; close the rest at once so that a flood cannot pile them up. */
static void take_cmsg_fds(struct vfu_rx *rx, struct msghdr *mh) {
        if (mh->msg_flags & MSG_CTRUNC)
                rx->fds_dropped = true; /* the kernel closed what did not fit */
        for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                const unsigned char *data = CMSG_DATA(c);
                for (size_t i = 0; i < n; i++) {
                        int fd;
                        memcpy(&fd, data + i * sizeof(int), sizeof(int));
                        if (rx->nfds < rx->max_fds)
                                rx->fds[rx->nfds++] = fd;
                        else {
                                close(fd);
                                rx->fds_dropped = true;
                        }
                }
        }
}

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
        return n;
}

int vfu_rx_step(struct vfu_rx *rx, int fd) {
        while (rx->hdr_have < VFU_HDR_SIZE) {
                ssize_t n = recv_some(rx, fd, rx->hdr_buf + rx->hdr_have, VFU_HDR_SIZE - rx->hdr_have);
                if (n == -EINTR)
                        continue;
                if (n < 0)
                        return (int) n;
                if (n == 0)
                        return rx->hdr_have == 0 && rx->nfds == 0 ? 0 : -ECONNRESET;
                rx->hdr_have += (size_t) n;
                if (rx->hdr_have == VFU_HDR_SIZE) {
                        vfu_hdr_decode(rx->hdr_buf, &rx->hdr);
                        if (rx->hdr.size < VFU_HDR_SIZE)
                                return -EBADMSG;
                        if (rx->hdr.size > rx->max_size)
                                return -E2BIG;
                        size_t plen = rx->hdr.size - VFU_HDR_SIZE;
                        if (plen > VFU_RX_INLINE) {
                                rx->payload = malloc(plen);
                                if (!rx->payload) {
                                        rx->payload = rx->inline_buf;
                                        return -ENOMEM;
                                }
                        }
                }
        }

        size_t plen = rx->hdr.size - VFU_HDR_SIZE;
        while (rx->payload_have < plen) {
                ssize_t n = recv_some(rx, fd, rx->payload + rx->payload_have, plen - rx->payload_have);
                if (n == -EINTR)
                        continue;
                if (n < 0)
                        return (int) n;
                if (n == 0)
                        return -ECONNRESET;
                rx->payload_have += (size_t) n;
        }
        return 1;
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
