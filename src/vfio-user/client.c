/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The synchronous vfio-user client (see client.h). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "macro.h"
#include "vfio-user/client.h"
#include "vfio-user/codec.h"

/* Large enough for a region info reply with capabilities. */
#define CLIENT_REGION_INFO_ARGSZ 4096u

struct vfu_client {
        int fd;
        uint16_t next_id;
        struct vfu_caps server;
        bool negotiated;
        struct vfu_rx rx;
        uint64_t dma_iova, dma_size;
        uint8_t *dma_host;
        uint64_t dma_reads, dma_writes;
};

void vfu_client_set_dma_memory(struct vfu_client *c, uint64_t iova, void *host, uint64_t size) {
        c->dma_iova = iova;
        c->dma_host = host;
        c->dma_size = size;
}

void vfu_client_dma_served(const struct vfu_client *c, uint64_t *reads, uint64_t *writes) {
        *reads = c->dma_reads;
        *writes = c->dma_writes;
}

static uint8_t *dma_host(struct vfu_client *c, uint64_t addr, uint64_t len) {
        if (!c->dma_host || len == 0 || addr < c->dma_iova || addr - c->dma_iova > c->dma_size ||
            len > c->dma_size - (addr - c->dma_iova))
                return NULL;
        return c->dma_host + (addr - c->dma_iova);
}

/* Answer one DMA_READ/DMA_WRITE from the server as QEMU does (hw/vfio-user/pci.c). */
static int serve_request(struct vfu_client *c, const struct vfu_reply *m) {
        struct vfu_hdr h = {.msg_id = m->hdr.msg_id, .command = m->hdr.command, .flags = VFU_TYPE_REPLY};
        uint64_t addr = 0;
        uint64_t count = 0;
        int err = 0;
        _cleanup_free_ uint8_t *out = NULL;
        size_t out_len = 0;

        if (m->nfds > 0 || m->len < 16)
                err = EINVAL;
        else {
                memcpy(&addr, m->payload, 8);
                memcpy(&count, m->payload + 8, 8);
        }
        if (!err && m->hdr.command == VFU_CMD_DMA_READ) {
                uint8_t *src = dma_host(c, addr, count);
                if (count > (1u << 20))
                        err = E2BIG;
                else if (!src)
                        err = EFAULT;
                else {
                        out_len = 16 + (size_t) count; /* count <= 1 MiB: checked above */
                        out = calloc(1, out_len);
                        if (!out)
                                return -ENOMEM;
                        memcpy(out, m->payload, 16);
                        memcpy(out + 16, src, count);
                        c->dma_reads++;
                }
        } else if (!err && m->hdr.command == VFU_CMD_DMA_WRITE) {
                uint8_t *dst = dma_host(c, addr, count);
                if (count > m->len - 16)
                        err = E2BIG;
                else if (!dst)
                        err = EFAULT;
                else {
                        memcpy(dst, m->payload + 16, count);
                        c->dma_writes++;
                }
        } else if (!err)
                err = ENOSYS;
        if (err) {
                h.flags |= VFU_FLAG_ERROR;
                h.error = (uint32_t) err;
                out_len = 0;
        }
        h.size = (uint32_t) (VFU_HDR_SIZE + out_len);
        if (m->hdr.flags & VFU_FLAG_NO_REPLY)
                return 0;
        return vfu_send_msg(c->fd, &h, out, out_len, NULL, 0);
}

static bool is_dma_request(const struct vfu_reply *m) {
        return !vfu_hdr_is_reply(&m->hdr) &&
               (m->hdr.command == VFU_CMD_DMA_READ || m->hdr.command == VFU_CMD_DMA_WRITE);
}

void vfu_reply_done(struct vfu_reply *r) {
        free(r->payload);
        r->payload = NULL;
        vfu_close_fds(r->fds, r->nfds);
        r->nfds = 0;
}

int vfu_client_connect(const char *path, struct vfu_client **ret) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        _cleanup_close_ int fd = -1;
        struct vfu_client *c;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->fd = TAKE_FD(fd);
        vfu_caps_init_defaults(&c->server);
        /* Until negotiated, replies are small; afterwards the server's transfer size bounds them. */
        /* Exact reads: a caller may poll the socket for the next message (guest.c), so none waits in rx. */
        vfu_rx_init(&c->rx, VFU_HDR_SIZE + CLIENT_REGION_INFO_ARGSZ + 4096, VFU_RX_MAX_FDS, false);
        vfu_client_set_timeout_ms(c, 10000);
        *ret = c;
        return 0;
}

void vfu_client_free(struct vfu_client *c) {
        if (!c)
                return;
        vfu_rx_done(&c->rx);
        if (c->fd >= 0)
                close(c->fd);
        free(c);
}

int vfu_client_fd(const struct vfu_client *c) {
        return c->fd;
}

int vfu_client_set_timeout_ms(struct vfu_client *c, unsigned ms) {
        struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
        if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
            setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
                return -errno;
        return 0;
}

const struct vfu_caps *vfu_client_server_caps(const struct vfu_client *c) {
        return &c->server;
}

int vfu_client_recv(struct vfu_client *c, struct vfu_reply *ret) {
        int r;

        for (;;) {
                r = vfu_rx_step(&c->rx, c->fd);
                if (r == -EINTR)
                        continue;
                break;
        }
        if (r == -EAGAIN)
                r = -ETIMEDOUT; /* blocking socket: SO_RCVTIMEO expired */
        if (r == 0)
                r = -ECONNRESET;
        if (r < 0) {
                vfu_rx_reset(&c->rx);
                return r;
        }
        *ret = (struct vfu_reply){.hdr = c->rx.hdr, .len = vfu_rx_payload_len(&c->rx)};
        if (ret->len > 0) {
                ret->payload = malloc(ret->len);
                if (!ret->payload) {
                        vfu_rx_reset(&c->rx);
                        return -ENOMEM;
                }
                memcpy(ret->payload, vfu_rx_payload(&c->rx), ret->len);
        }
        for (unsigned i = 0; i < c->rx.nfds; i++) {
                ret->fds[i] = c->rx.fds[i];
                c->rx.fds[i] = -1;
        }
        ret->nfds = c->rx.nfds;
        c->rx.nfds = 0;
        vfu_rx_reset(&c->rx);
        return 0;
}

int vfu_client_request(struct vfu_client *c, uint16_t command, uint32_t flags, const void *payload,
                       size_t len, const int *fds, unsigned nfds, struct vfu_reply *ret) {
        struct vfu_hdr h = {
                .msg_id = c->next_id++,
                .command = command,
                .size = (uint32_t) (VFU_HDR_SIZE + len),
                .flags = flags,
        };
        struct vfu_reply reply = {};
        int r;

        if (len > UINT32_MAX - VFU_HDR_SIZE)
                return -E2BIG;
        r = vfu_send_msg(c->fd, &h, payload, len, fds, nfds);
        if (r < 0)
                return r == -EAGAIN ? -ETIMEDOUT : r;
        if (flags & VFU_FLAG_NO_REPLY) {
                if (ret)
                        *ret = (struct vfu_reply){};
                return 0;
        }

        for (;;) {
                r = vfu_client_recv(c, &reply);
                if (r < 0)
                        return r;
                if (!is_dma_request(&reply))
                        break;
                /* The server reaches guest memory while we wait, as it does with QEMU. */
                r = serve_request(c, &reply);
                vfu_reply_done(&reply);
                if (r < 0)
                        return r;
        }
        /* The server answers in order: anything else means the stream cannot be trusted. */
        if (!vfu_hdr_is_reply(&reply.hdr) || reply.hdr.msg_id != h.msg_id || reply.hdr.command != command) {
                vfu_reply_done(&reply);
                return -EPROTO;
        }
        if (reply.hdr.flags & VFU_FLAG_ERROR) {
                int e = reply.hdr.error ? (int) reply.hdr.error : EIO;
                vfu_reply_done(&reply);
                return e > 0 && e < 4096 ? -e : -EIO;
        }
        if (ret)
                *ret = reply;
        else
                vfu_reply_done(&reply);
        return 0;
}

int vfu_client_serve(struct vfu_client *c, int timeout_ms) {
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        int served = 0;

        for (;;) {
                int r = poll(&p, 1, served ? 0 : timeout_ms);
                if (r < 0)
                        return -errno;
                if (r == 0)
                        return served;
                struct vfu_reply m;
                r = vfu_client_recv(c, &m);
                if (r < 0)
                        return r;
                if (!is_dma_request(&m)) {
                        vfu_reply_done(&m);
                        return -EPROTO;
                }
                r = serve_request(c, &m);
                vfu_reply_done(&m);
                if (r < 0)
                        return r;
                served++;
        }
}

int vfu_client_negotiate(struct vfu_client *c) {
        static const char proposal[] = VFU_QEMU_PROPOSAL;
        uint8_t buf[VFU_VERSION_SIZE + sizeof(proposal)];
        struct vfu_version v = {.major = VFU_MAJOR, .minor = VFU_MINOR}, got;
        struct vfu_reply reply = {};
        const char *json;
        size_t json_len;
        struct vfu_caps caps;
        int r;

        vfu_put(buf, v);
        memcpy(buf + VFU_VERSION_SIZE, proposal, sizeof(proposal)); /* with its NUL, as QEMU sends it */
        r = vfu_client_request(c, VFU_CMD_VERSION, 0, buf, sizeof(buf), NULL, 0, &reply);
        if (r < 0)
                return r;
        r = vfu_decode_version(reply.payload, reply.len, &got, &json, &json_len);
        if (r >= 0 && (got.major != VFU_MAJOR || got.minor > VFU_MINOR))
                r = -EPROTONOSUPPORT;
        if (r >= 0 && !json)
                r = -EPROTO; /* QEMU insists on a capabilities string */
        if (r >= 0)
                r = vfu_caps_parse(json, json_len, &caps);
        if (r >= 0)
                r = vfu_caps_check_server_reply(&caps);
        if (r >= 0 && reply.nfds > 0)
                r = -EPROTO;
        vfu_reply_done(&reply);
        if (r < 0)
                return r;

        c->server = caps;
        c->negotiated = true;
        uint64_t max = VFU_HDR_SIZE + VFU_REGION_RW_SIZE + caps.max_data_xfer_size;
        c->rx.max_size = (uint32_t) MAX(max, (uint64_t) c->rx.max_size);
        return 0;
}

int vfu_client_dma_map(struct vfu_client *c, int fd, uint64_t offset, uint64_t addr, uint64_t size,
                       uint32_t flags) {
        struct vfu_dma_map m = {
                .argsz = VFU_DMA_MAP_SIZE, .flags = flags, .offset = offset, .addr = addr, .size = size};
        uint8_t buf[VFU_DMA_MAP_SIZE];
        vfu_put(buf, m);
        return vfu_client_request(c, VFU_CMD_DMA_MAP, 0, buf, sizeof(buf), fd >= 0 ? &fd : NULL, fd >= 0,
                                  NULL);
}

int vfu_client_dma_unmap(struct vfu_client *c, uint64_t addr, uint64_t size, uint32_t flags) {
        struct vfu_dma_unmap u = {.argsz = VFU_DMA_UNMAP_SIZE, .flags = flags, .addr = addr, .size = size};
        uint8_t buf[VFU_DMA_UNMAP_SIZE];
        struct vfu_reply reply = {};
        int r;

        vfu_put(buf, u);
        r = vfu_client_request(c, VFU_CMD_DMA_UNMAP, 0, buf, sizeof(buf), NULL, 0, &reply);
        if (r < 0)
                return r;
        r = reply.len == VFU_DMA_UNMAP_SIZE && reply.nfds == 0 ? 0 : -EPROTO;
        vfu_reply_done(&reply);
        return r;
}

int vfu_client_device_info(struct vfu_client *c, struct vfu_device_info *ret) {
        struct vfu_device_info q = {.argsz = VFU_DEVICE_INFO_SIZE};
        uint8_t buf[VFU_DEVICE_INFO_SIZE];
        struct vfu_reply reply = {};
        int r;

        vfu_put(buf, q);
        r = vfu_client_request(c, VFU_CMD_DEVICE_GET_INFO, 0, buf, sizeof(buf), NULL, 0, &reply);
        if (r < 0)
                return r;
        r = vfu_decode_device_info_reply(reply.payload, reply.len, ret);
        if (r >= 0 && reply.nfds > 0)
                r = -EPROTO;
        vfu_reply_done(&reply);
        return r;
}

int vfu_client_region_info(struct vfu_client *c, uint32_t index, struct vfu_region_info *ret, int *ret_fd,
                           uint8_t **ret_raw, size_t *ret_raw_len) {
        struct vfu_region_info q = {.argsz = CLIENT_REGION_INFO_ARGSZ, .index = index};
        uint8_t buf[VFU_REGION_INFO_SIZE];
        struct vfu_reply reply = {};
        int r;

        vfu_put(buf, q);
        r = vfu_client_request(c, VFU_CMD_DEVICE_GET_REGION_INFO, 0, buf, sizeof(buf), NULL, 0, &reply);
        if (r < 0)
                return r;
        r = vfu_decode_region_info_reply(reply.payload, reply.len, ret);
        if (r >= 0 && (reply.len > CLIENT_REGION_INFO_ARGSZ || ret->index != index || reply.nfds > 1))
                r = -EPROTO;
        if (r < 0) {
                vfu_reply_done(&reply);
                return r;
        }
        if (ret_fd) {
                *ret_fd = reply.nfds ? reply.fds[0] : -1;
                reply.fds[0] = -1;
        }
        if (ret_raw) {
                *ret_raw = TAKE_PTR(reply.payload);
                *ret_raw_len = reply.len;
        }
        vfu_reply_done(&reply);
        return 0;
}

int vfu_client_irq_info(struct vfu_client *c, uint32_t index, struct vfu_irq_info *ret) {
        struct vfu_irq_info q = {.argsz = VFU_IRQ_INFO_SIZE, .index = index};
        uint8_t buf[VFU_IRQ_INFO_SIZE];
        struct vfu_reply reply = {};
        int r;

        vfu_put(buf, q);
        r = vfu_client_request(c, VFU_CMD_DEVICE_GET_IRQ_INFO, 0, buf, sizeof(buf), NULL, 0, &reply);
        if (r < 0)
                return r;
        r = vfu_decode_irq_info_reply(reply.payload, reply.len, ret);
        if (r >= 0 && (ret->index != index || reply.nfds > 0))
                r = -EPROTO;
        vfu_reply_done(&reply);
        return r;
}

int vfu_client_set_irqs(struct vfu_client *c, uint32_t index, uint32_t flags, uint32_t start, uint32_t count,
                        const int *fds, unsigned nfds, const uint8_t *bools) {
        size_t extra = (flags & VFU_IRQ_SET_DATA_BOOL) ? count : 0;
        _cleanup_free_ uint8_t *buf = malloc(VFU_IRQ_SET_SIZE + extra);
        struct vfu_irq_set s = {
                .argsz = (uint32_t) (VFU_IRQ_SET_SIZE + extra),
                .flags = flags,
                .index = index,
                .start = start,
                .count = count,
        };

        if (!buf)
                return -ENOMEM;
        vfu_put(buf, s);
        if (extra)
                memcpy(buf + VFU_IRQ_SET_SIZE, bools, extra);
        return vfu_client_request(c, VFU_CMD_DEVICE_SET_IRQS, 0, buf, VFU_IRQ_SET_SIZE + extra, fds, nfds,
                                  NULL);
}

int vfu_client_region_read(struct vfu_client *c, uint32_t region, uint64_t offset, void *buf,
                           uint32_t count) {
        struct vfu_region_rw q = {.offset = offset, .region = region, .count = count};
        uint8_t req[VFU_REGION_RW_SIZE];
        struct vfu_reply reply = {};
        struct vfu_region_rw got;
        const uint8_t *data;
        int r;

        if (count > c->server.max_data_xfer_size)
                return -E2BIG;
        vfu_put(req, q);
        r = vfu_client_request(c, VFU_CMD_REGION_READ, 0, req, sizeof(req), NULL, 0, &reply);
        if (r < 0)
                return r;
        r = vfu_decode_region_read_reply(reply.payload, reply.len, count, &got, &data);
        if (r >= 0 && (got.count != count || got.region != region || got.offset != offset || reply.nfds))
                r = -EPROTO;
        if (r >= 0)
                memcpy(buf, data, count);
        vfu_reply_done(&reply);
        return r;
}

int vfu_client_region_write(struct vfu_client *c, uint32_t region, uint64_t offset, const void *buf,
                            uint32_t count, bool posted) {
        struct vfu_region_rw q = {.offset = offset, .region = region, .count = count};
        uint8_t small[VFU_REGION_RW_SIZE + 64];
        _cleanup_free_ uint8_t *big = NULL;
        uint8_t *req = small;

        if (count > c->server.max_data_xfer_size)
                return -E2BIG;
        if (count > 64) {
                big = malloc(VFU_REGION_RW_SIZE + (size_t) count);
                if (!big)
                        return -ENOMEM;
                req = big;
        }
        vfu_put(req, q);
        memcpy(req + VFU_REGION_RW_SIZE, buf, count);
        return vfu_client_request(c, VFU_CMD_REGION_WRITE, posted ? VFU_FLAG_NO_REPLY : 0, req,
                                  VFU_REGION_RW_SIZE + (size_t) count, NULL, 0, NULL);
}

int vfu_client_reset(struct vfu_client *c) {
        return vfu_client_request(c, VFU_CMD_DEVICE_RESET, 0, NULL, 0, NULL, 0, NULL);
}

int vfu_client_mmap_region(struct vfu_client *c, uint32_t index, void **ret, size_t *ret_size) {
        _cleanup_free_ uint8_t *raw = NULL;
        _cleanup_close_ int fd = -1;
        struct vfu_region_info ri;
        struct vfu_sparse_area area;
        const uint8_t *areas;
        uint32_t nr;
        size_t raw_len;
        int r;

        r = vfu_client_region_info(c, index, &ri, &fd, &raw, &raw_len);
        if (r < 0)
                return r;
        if (!(ri.flags & VFU_REGION_FLAG_MMAP) || fd < 0)
                return -ENOTSUP;
        r = vfu_find_sparse_mmap(raw, raw_len, &nr, &areas);
        if (r == -ENOENT) {
                area = (struct vfu_sparse_area){.offset = 0, .size = ri.size};
        } else if (r < 0)
                return r;
        else {
                if (nr == 0)
                        return -ENOTSUP;
                vfu_sparse_area_get(areas, 0, &area);
        }
        if (area.size == 0 || area.offset > ri.size || area.size > ri.size - area.offset ||
            ri.offset + area.offset < ri.offset || area.size > SIZE_MAX)
                return -EPROTO;

        int prot = ((ri.flags & VFU_REGION_FLAG_READ) ? PROT_READ : 0) |
                   ((ri.flags & VFU_REGION_FLAG_WRITE) ? PROT_WRITE : 0);
        void *p = mmap(NULL, (size_t) area.size, prot, MAP_SHARED, fd, (off_t) (ri.offset + area.offset));
        if (p == MAP_FAILED)
                return -errno;
        *ret = p;
        *ret_size = (size_t) area.size;
        return 0;
}
