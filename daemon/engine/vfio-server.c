/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vfio-user server: one handler per command, in a table that also says
 * how many descriptors each command may carry and whether it is allowed
 * before VERSION. Handlers decode with codec.c (malformed is -EINVAL before
 * anything happens), act on the instance's device, and fill the reply; the
 * connection sends it, or an error reply carrying the -errno they return.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "engine-internal.h"
#include "log.h"
#include "macro.h"
#include "vfio-user/codec.h"

/* The region info reply of BAR2: the struct, then a sparse-mmap capability with one area. */
#define SPARSE_CAP_SIZE (VFU_CAP_HEADER_SIZE + VFU_SPARSE_MMAP_SIZE + VFU_SPARSE_AREA_SIZE)

static uint32_t max_xfer(const struct instance *inst) {
        return (uint32_t) inst->engine->server_caps.max_data_xfer_size;
}

static int handle_version(struct conn *c, struct instance *inst, const struct conn_msg *m, struct reply *r) {
        struct vfu_version v;
        struct vfu_caps client;
        const char *json;
        size_t json_len;
        char caps[512];
        int n, err;

        if (conn_negotiated(c))
                return -EINVAL; /* once per connection */
        err = vfu_decode_version(m->payload, m->len, &v, &json, &json_len);
        if (err < 0)
                return err;
        if (v.major != VFU_MAJOR)
                return -ENOTSUP;
        vfu_caps_init_defaults(&client);
        if (json) {
                err = vfu_caps_parse(json, json_len, &client);
                if (err < 0)
                        return err;
        }
        n = vfu_caps_format(&inst->engine->server_caps, caps, sizeof(caps));
        if (n < 0)
                return n;
        uint8_t *p = reply_alloc(r, VFU_VERSION_SIZE + (size_t) n + 1);
        if (!p)
                return -ENOMEM;
        /* Our minor is 0, which is <= anything a client proposes with major 0. */
        struct vfu_version rv = {.major = VFU_MAJOR, .minor = VFU_MINOR};
        vfu_put(p, rv);
        memcpy(p + VFU_VERSION_SIZE, caps, (size_t) n + 1);
        conn_set_negotiated(c, &client);
        return 0;
}

static int handle_dma_map(struct conn *c, struct instance *inst, const struct conn_msg *m, struct reply *r) {
        struct vfu_dma_map req;
        int err = vfu_decode_dma_map(m->payload, m->len, &req);
        if (err < 0) {
                inst->dma_refused++;
                log_warning("%s: DMA_MAP refused: malformed (size, argsz or flags)", inst->uuid);
                return err;
        }
        /* The mapping keeps its own reference to the file: the fd itself is closed with the message. */
        bool remote = false;
        err = dma_map_add(&inst->dev.dma, &req, m->nfds ? m->fds[0] : -1, &remote);
        if (err < 0) {
                /* QEMU sends its maps without waiting for the reply: the log is where this is seen. */
                inst->dma_refused++;
                log_warning("%s: DMA_MAP of 0x%" PRIx64 "+0x%" PRIx64 " refused: %s", inst->uuid, req.addr,
                            req.size, dma_map_refusal(err));
                /* On the wire an unusable descriptor is an invalid argument, whatever the reason. */
                return err == -EBADF || err == -ERANGE ? -EINVAL : err;
        }
        if (remote)
                log_info("%s: DMA_MAP of 0x%" PRIx64 "+0x%" PRIx64 " %s: reached through DMA_READ/DMA_WRITE",
                         inst->uuid, req.addr, req.size,
                         m->nfds ? "on a file the engine does not map (not tmpfs/hugetlbfs)"
                                 : "without a file");
        return 0;
}

static int handle_dma_unmap(struct conn *c, struct instance *inst, const struct conn_msg *m,
                            struct reply *r) {
        struct vfu_dma_unmap req;
        int err = vfu_decode_dma_unmap(m->payload, m->len, &req);
        if (err < 0)
                return err;
        if (req.flags & VFU_DMA_UNMAP_FLAG_ALL)
                dma_map_remove_all(&inst->dev.dma);
        else {
                uint64_t removed;
                err = dma_map_remove(&inst->dev.dma, req.addr, req.size, &removed);
                if (err < 0)
                        return err;
        }
        /* Work in flight re-checks its addresses at its next step, so nothing uses the unmapped range after
         * this. */
        uint8_t *p = reply_alloc(r, VFU_DMA_UNMAP_SIZE);
        if (!p)
                return -ENOMEM;
        vfu_put(p, req);
        return 0;
}

static int handle_device_info(struct conn *c, struct instance *inst, const struct conn_msg *m,
                              struct reply *r) {
        struct vfu_device_info req;
        int err = vfu_decode_device_info(m->payload, m->len, &req);
        if (err < 0)
                return err;
        struct vfu_device_info info = {
                .argsz = VFU_DEVICE_INFO_SIZE,
                .flags = VFU_DEVICE_FLAG_RESET | VFU_DEVICE_FLAG_PCI,
                .num_regions = VFU_PCI_NUM_REGIONS,
                .num_irqs = VFU_PCI_NUM_IRQS,
        };
        uint8_t *p = reply_alloc(r, VFU_DEVICE_INFO_SIZE);
        if (!p)
                return -ENOMEM;
        vfu_put(p, info);
        return 0;
}

static int handle_region_info(struct conn *c, struct instance *inst, const struct conn_msg *m,
                              struct reply *r) {
        struct vfu_region_info req, info;
        int fd, err;

        err = vfu_decode_region_info(m->payload, m->len, &req);
        if (err < 0)
                return err;
        err = device_region_info(&inst->dev, req.index, &info, &fd);
        if (err < 0)
                return err;
        if ((info.flags & VFU_REGION_FLAG_MMAP) && (fd < 0 || conn_client_caps(c)->max_msg_fds < 1)) {
                /* No VRAM fd or a client that takes no descriptors: the region is reachable by messages
                 * only. */
                info.flags &= ~(VFU_REGION_FLAG_MMAP | VFU_REGION_FLAG_CAPS);
                fd = -1;
        }
        if (!(info.flags & VFU_REGION_FLAG_CAPS)) {
                uint8_t *p = reply_alloc(r, VFU_REGION_INFO_SIZE);
                if (!p)
                        return -ENOMEM;
                vfu_put(p, info);
                return 0;
        }

        /*
         * If the capabilities don't fit, say how much room they need (argsz) and send neither them nor
         * the CAPS flag nor the fd: the client asks again with more room. QEMU refuses a reply that has
         * CAPS with a cap_offset outside the struct, which is what the kernel's VFIO would send here.
         */
        info.argsz = VFU_REGION_INFO_SIZE + SPARSE_CAP_SIZE;
        if (req.argsz < info.argsz) {
                info.flags &= ~VFU_REGION_FLAG_CAPS;
                info.cap_offset = 0;
                uint8_t *p = reply_alloc(r, VFU_REGION_INFO_SIZE);
                if (!p)
                        return -ENOMEM;
                vfu_put(p, info);
                return 0;
        }
        info.cap_offset = VFU_REGION_INFO_SIZE;
        uint8_t *p = reply_alloc(r, info.argsz);
        if (!p)
                return -ENOMEM;
        struct vfu_cap_header ch = {
                .id = VFU_CAP_SPARSE_MMAP, .version = VFU_CAP_SPARSE_MMAP_VERSION, .next = 0};
        struct vfu_sparse_mmap sm = {.nr_areas = 1};
        struct vfu_sparse_area area = {.offset = 0, .size = info.size};
        vfu_put(p, info);
        vfu_put(p + VFU_REGION_INFO_SIZE, ch);
        vfu_put(p + VFU_REGION_INFO_SIZE + VFU_CAP_HEADER_SIZE, sm);
        vfu_put(p + VFU_REGION_INFO_SIZE + VFU_CAP_HEADER_SIZE + VFU_SPARSE_MMAP_SIZE, area);
        r->fd = fd;
        return 0;
}

static int handle_region_io_fds(struct conn *c, struct instance *inst, const struct conn_msg *m,
                                struct reply *r) {
        struct vfu_region_io_fds req;
        int err = vfu_decode_region_io_fds(m->payload, m->len, &req);
        if (err < 0)
                return err;
        if (req.index >= VFU_PCI_NUM_REGIONS)
                return -EINVAL;
        /* No ioeventfds: every access comes as a message. */
        struct vfu_region_io_fds info = {.argsz = VFU_REGION_IO_FDS_SIZE, .index = req.index, .count = 0};
        uint8_t *p = reply_alloc(r, VFU_REGION_IO_FDS_SIZE);
        if (!p)
                return -ENOMEM;
        vfu_put(p, info);
        return 0;
}

static int handle_irq_info(struct conn *c, struct instance *inst, const struct conn_msg *m,
                           struct reply *r) {
        struct vfu_irq_info req, info;
        int err = vfu_decode_irq_info(m->payload, m->len, &req);
        if (err < 0)
                return err;
        err = irq_info(req.index, &info);
        if (err < 0)
                return err;
        uint8_t *p = reply_alloc(r, VFU_IRQ_INFO_SIZE);
        if (!p)
                return -ENOMEM;
        vfu_put(p, info);
        return 0;
}

static int handle_set_irqs(struct conn *c, struct instance *inst, const struct conn_msg *m,
                           struct reply *r) {
        struct vfu_irq_set req;
        const uint8_t *bools;
        int err = vfu_decode_irq_set(m->payload, m->len, &req, &bools);
        if (err < 0)
                return err;
        /* The unmask eventfd may be replaced or closed: out of the epoll set first, back in after. */
        instance_unwatch_unmask(inst);
        err = irq_set(&inst->dev.irq, &req, bools, m->fds, m->nfds);
        instance_watch_unmask(inst);
        return err;
}

static int handle_region_read(struct conn *c, struct instance *inst, const struct conn_msg *m,
                              struct reply *r) {
        struct vfu_region_rw req;
        int err = vfu_decode_region_read(m->payload, m->len, max_xfer(inst), &req);
        if (err < 0)
                return err;
        uint8_t *p = reply_alloc(r, VFU_REGION_RW_SIZE + (size_t) req.count);
        if (!p)
                return -ENOMEM;
        err = device_region_read(&inst->dev, req.region, req.offset, p + VFU_REGION_RW_SIZE, req.count);
        if (err < 0)
                return err;
        vfu_put(p, req);
        return 0;
}

static int handle_region_write(struct conn *c, struct instance *inst, const struct conn_msg *m,
                               struct reply *r) {
        struct vfu_region_rw req;
        const uint8_t *data;
        int err = vfu_decode_region_write(m->payload, m->len, max_xfer(inst), &req, &data);
        if (err < 0)
                return err;
        err = device_region_write(&inst->dev, req.region, req.offset, data, req.count);
        if (err < 0)
                return err;
        uint8_t *p = reply_alloc(r, VFU_REGION_RW_SIZE);
        if (!p)
                return -ENOMEM;
        vfu_put(p, req);
        return 0;
}

static int handle_write_multi(struct conn *c, struct instance *inst, const struct conn_msg *m,
                              struct reply *r) {
        const uint8_t *entries;
        uint64_t n;
        int err = vfu_decode_write_multi(m->payload, m->len, &n, &entries);
        if (err < 0)
                return err;
        for (uint64_t i = 0; i < n; i++) {
                struct vfu_write_one w;
                vfu_write_multi_entry(entries, i, &w);
                err = device_region_write(&inst->dev, w.region, w.offset, w.data, w.count);
                if (err < 0)
                        return err; /* the writes before it stay done, as separate writes would */
        }
        return 0;
}

static int handle_reset(struct conn *c, struct instance *inst, const struct conn_msg *m, struct reply *r) {
        if (m->len != 0)
                return -EINVAL;
        device_reset(&inst->dev);
        return 0;
}

static int handle_wrong_direction(struct conn *c, struct instance *inst, const struct conn_msg *m,
                                  struct reply *r) {
        return -EINVAL; /* DMA_READ/DMA_WRITE go from server to client */
}

static int handle_unsupported(struct conn *c, struct instance *inst, const struct conn_msg *m,
                              struct reply *r) {
        return -ENOTSUP; /* dirty page tracking, device features, migration */
}

struct handler {
        int (*handle)(struct conn *c, struct instance *inst, const struct conn_msg *m, struct reply *r);
        unsigned max_fds; /* UINT_MAX: as many as max_msg_fds */
        bool before_version;
};

static const struct handler handlers[VFU_CMD_MAX] = {
        [VFU_CMD_VERSION] = {handle_version, 0, true},
        [VFU_CMD_DMA_MAP] = {handle_dma_map, 1, false},
        [VFU_CMD_DMA_UNMAP] = {handle_dma_unmap, 0, false},
        [VFU_CMD_DEVICE_GET_INFO] = {handle_device_info, 0, false},
        [VFU_CMD_DEVICE_GET_REGION_INFO] = {handle_region_info, 0, false},
        [VFU_CMD_DEVICE_GET_REGION_IO_FDS] = {handle_region_io_fds, 0, false},
        [VFU_CMD_DEVICE_GET_IRQ_INFO] = {handle_irq_info, 0, false},
        [VFU_CMD_DEVICE_SET_IRQS] = {handle_set_irqs, UINT32_MAX, false},
        [VFU_CMD_REGION_READ] = {handle_region_read, 0, false},
        [VFU_CMD_REGION_WRITE] = {handle_region_write, 0, false},
        [VFU_CMD_DMA_READ] = {handle_wrong_direction, 0, false},
        [VFU_CMD_DMA_WRITE] = {handle_wrong_direction, 0, false},
        [VFU_CMD_DEVICE_RESET] = {handle_reset, 0, false},
        [VFU_CMD_DIRTY_PAGES] = {handle_unsupported, 0, false},
        [VFU_CMD_REGION_WRITE_MULTI] = {handle_write_multi, 0, false},
        [VFU_CMD_DEVICE_FEATURE] = {handle_unsupported, 0, false},
        [VFU_CMD_MIG_DATA_READ] = {handle_unsupported, 0, false},
        [VFU_CMD_MIG_DATA_WRITE] = {handle_unsupported, 0, false},
};

int server_handle(struct conn *c, struct instance *inst, const struct conn_msg *m, struct reply *r) {
        uint16_t cmd = m->hdr->command;

        if (cmd >= VFU_CMD_MAX || !handlers[cmd].handle)
                return -ENOSYS;
        const struct handler *h = &handlers[cmd];
        if (!conn_negotiated(c) && !h->before_version)
                return -EINVAL; /* VERSION comes first */
        if (m->nfds > h->max_fds)
                return -EINVAL; /* descriptors where none belong; closed with the message */
        return h->handle(c, inst, m, r);
}
