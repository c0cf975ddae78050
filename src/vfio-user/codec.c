/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfio-user message decoding and validation (see codec.h for the rules). */
#include <errno.h>

#include "macro.h"
#include "vfio-user/codec.h"

void vfu_hdr_decode(const void *buf16, struct vfu_hdr *ret) {
        memcpy(ret, buf16, VFU_HDR_SIZE);
}

void vfu_hdr_encode(void *buf16, const struct vfu_hdr *h) {
        memcpy(buf16, h, VFU_HDR_SIZE);
}

int vfu_hdr_check(const struct vfu_hdr *h, uint32_t max_size) {
        if (h->size < VFU_HDR_SIZE)
                return -EINVAL;
        if (h->size > max_size)
                return -E2BIG;
        if (h->flags & ~VFU_FLAGS_KNOWN)
                return -EINVAL;
        uint32_t type = h->flags & VFU_FLAG_TYPE_MASK;
        if (type != VFU_TYPE_COMMAND && type != VFU_TYPE_REPLY)
                return -EINVAL;
        return 0;
}

const char *vfu_command_name(uint16_t command) {
        static const char *const names[VFU_CMD_MAX] = {
                [VFU_CMD_VERSION] = "VERSION",
                [VFU_CMD_DMA_MAP] = "DMA_MAP",
                [VFU_CMD_DMA_UNMAP] = "DMA_UNMAP",
                [VFU_CMD_DEVICE_GET_INFO] = "DEVICE_GET_INFO",
                [VFU_CMD_DEVICE_GET_REGION_INFO] = "DEVICE_GET_REGION_INFO",
                [VFU_CMD_DEVICE_GET_REGION_IO_FDS] = "DEVICE_GET_REGION_IO_FDS",
                [VFU_CMD_DEVICE_GET_IRQ_INFO] = "DEVICE_GET_IRQ_INFO",
                [VFU_CMD_DEVICE_SET_IRQS] = "DEVICE_SET_IRQS",
                [VFU_CMD_REGION_READ] = "REGION_READ",
                [VFU_CMD_REGION_WRITE] = "REGION_WRITE",
                [VFU_CMD_DMA_READ] = "DMA_READ",
                [VFU_CMD_DMA_WRITE] = "DMA_WRITE",
                [VFU_CMD_DEVICE_RESET] = "DEVICE_RESET",
                [VFU_CMD_DIRTY_PAGES] = "DIRTY_PAGES",
                [VFU_CMD_REGION_WRITE_MULTI] = "REGION_WRITE_MULTI",
                [VFU_CMD_DEVICE_FEATURE] = "DEVICE_FEATURE",
                [VFU_CMD_MIG_DATA_READ] = "MIG_DATA_READ",
                [VFU_CMD_MIG_DATA_WRITE] = "MIG_DATA_WRITE",
        };
        return command < VFU_CMD_MAX ? names[command] : NULL;
}

static bool wraps(uint64_t start, uint64_t size) {
        return size > 0 && start + (size - 1) < start;
}

int vfu_decode_version(const void *p, size_t len, struct vfu_version *ret, const char **json,
                       size_t *json_len) {
        if (len < VFU_VERSION_SIZE)
                return -EINVAL;
        memcpy(ret, p, VFU_VERSION_SIZE);
        *json = NULL;
        *json_len = 0;
        if (len == VFU_VERSION_SIZE)
                return 0;
        /* The capabilities are a C string that fills the rest of the message exactly. */
        const char *s = (const char *) p + VFU_VERSION_SIZE;
        size_t n = len - VFU_VERSION_SIZE;
        if (s[n - 1] != 0 || memchr(s, 0, n - 1))
                return -EINVAL;
        *json = s;
        *json_len = n - 1;
        return 0;
}

int vfu_decode_dma_map(const void *p, size_t len, struct vfu_dma_map *ret) {
        struct vfu_dma_map m;
        if (len != VFU_DMA_MAP_SIZE)
                return -EINVAL;
        memcpy(&m, p, sizeof(m));
        if (m.argsz != VFU_DMA_MAP_SIZE)
                return -EINVAL;
        if (m.flags & ~(VFU_DMA_FLAG_READ | VFU_DMA_FLAG_WRITE))
                return -EINVAL;
        if (!(m.flags & (VFU_DMA_FLAG_READ | VFU_DMA_FLAG_WRITE)))
                return -EINVAL;
        if (m.size == 0 || wraps(m.addr, m.size) || wraps(m.offset, m.size))
                return -EINVAL;
        *ret = m;
        return 0;
}

int vfu_decode_dma_unmap(const void *p, size_t len, struct vfu_dma_unmap *ret) {
        struct vfu_dma_unmap u;
        if (len != VFU_DMA_UNMAP_SIZE)
                return -EINVAL;
        memcpy(&u, p, sizeof(u));
        if (u.argsz < VFU_DMA_UNMAP_SIZE)
                return -EINVAL;
        if (u.flags & VFU_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP)
                return -ENOTSUP;
        if (u.flags & ~VFU_DMA_UNMAP_FLAG_ALL)
                return -EINVAL;
        /* With ALL the range means nothing (QEMU fills it in); without it, it must be a real range. */
        if (!(u.flags & VFU_DMA_UNMAP_FLAG_ALL) && (u.size == 0 || wraps(u.addr, u.size)))
                return -EINVAL;
        *ret = u;
        return 0;
}

/* The four "query" requests: a fixed struct whose argsz says how much reply the client can take. */
static int decode_query(const void *p, size_t len, void *ret, size_t size) {
        uint32_t argsz;
        if (len != size)
                return -EINVAL;
        memcpy(&argsz, p, sizeof(argsz));
        if (argsz < size)
                return -EINVAL;
        memcpy(ret, p, size);
        return 0;
}

int vfu_decode_device_info(const void *p, size_t len, struct vfu_device_info *ret) {
        return decode_query(p, len, ret, sizeof(*ret));
}

int vfu_decode_region_info(const void *p, size_t len, struct vfu_region_info *ret) {
        return decode_query(p, len, ret, sizeof(*ret));
}

int vfu_decode_region_io_fds(const void *p, size_t len, struct vfu_region_io_fds *ret) {
        int r = decode_query(p, len, ret, sizeof(*ret));
        if (r < 0)
                return r;
        return ret->flags ? -EINVAL : 0;
}

int vfu_decode_irq_info(const void *p, size_t len, struct vfu_irq_info *ret) {
        return decode_query(p, len, ret, sizeof(*ret));
}

static bool one_bit(uint32_t v) {
        return v && !(v & (v - 1));
}

int vfu_decode_irq_set(const void *p, size_t len, struct vfu_irq_set *ret, const uint8_t **bools) {
        struct vfu_irq_set s;
        if (len < VFU_IRQ_SET_SIZE)
                return -EINVAL;
        memcpy(&s, p, sizeof(s));
        if (s.argsz != len)
                return -EINVAL;
        if (s.flags & ~(VFU_IRQ_SET_DATA_MASK | VFU_IRQ_SET_ACTION_MASK_ALL))
                return -EINVAL;
        if (!one_bit(s.flags & VFU_IRQ_SET_DATA_MASK) || !one_bit(s.flags & VFU_IRQ_SET_ACTION_MASK_ALL))
                return -EINVAL;
        if (s.start + s.count < s.start)
                return -EINVAL;
        *bools = NULL;
        if (s.flags & VFU_IRQ_SET_DATA_BOOL) {
                if (len - VFU_IRQ_SET_SIZE != s.count)
                        return -EINVAL;
                *bools = (const uint8_t *) p + VFU_IRQ_SET_SIZE;
        } else if (len != VFU_IRQ_SET_SIZE)
                return -EINVAL;
        *ret = s;
        return 0;
}

int vfu_decode_region_read(const void *p, size_t len, uint32_t max_xfer, struct vfu_region_rw *ret) {
        struct vfu_region_rw rw;
        if (len != VFU_REGION_RW_SIZE)
                return -EINVAL;
        memcpy(&rw, p, sizeof(rw));
        if (rw.count > max_xfer)
                return -E2BIG;
        if (wraps(rw.offset, rw.count))
                return -EINVAL;
        *ret = rw;
        return 0;
}

int vfu_decode_region_write(const void *p, size_t len, uint32_t max_xfer, struct vfu_region_rw *ret,
                            const uint8_t **data) {
        struct vfu_region_rw rw;
        if (len < VFU_REGION_RW_SIZE)
                return -EINVAL;
        memcpy(&rw, p, sizeof(rw));
        if (rw.count > max_xfer)
                return -E2BIG;
        if (len - VFU_REGION_RW_SIZE != rw.count)
                return -EINVAL; /* the count field must describe the data that came */
        if (wraps(rw.offset, rw.count))
                return -EINVAL;
        *ret = rw;
        *data = (const uint8_t *) p + VFU_REGION_RW_SIZE;
        return 0;
}

int vfu_decode_write_multi(const void *p, size_t len, uint64_t *count, const uint8_t **entries) {
        uint64_t n;
        if (len < VFU_WRITE_MULTI_SIZE)
                return -EINVAL;
        memcpy(&n, p, sizeof(n));
        if (n == 0 || n > VFU_MULTI_MAX)
                return -EINVAL;
        if (len != VFU_WRITE_MULTI_SIZE + n * VFU_WRITE_ONE_SIZE)
                return -EINVAL;
        const uint8_t *e = (const uint8_t *) p + VFU_WRITE_MULTI_SIZE;
        for (uint64_t i = 0; i < n; i++) {
                struct vfu_write_one w;
                vfu_write_multi_entry(e, i, &w);
                if (w.count == 0 || w.count > VFU_MULTI_DATA || wraps(w.offset, w.count))
                        return -EINVAL;
        }
        *count = n;
        *entries = e;
        return 0;
}

void vfu_write_multi_entry(const uint8_t *entries, uint64_t i, struct vfu_write_one *ret) {
        memcpy(ret, entries + i * VFU_WRITE_ONE_SIZE, VFU_WRITE_ONE_SIZE);
}

int vfu_decode_device_info_reply(const void *p, size_t len, struct vfu_device_info *ret) {
        if (len != VFU_DEVICE_INFO_SIZE)
                return -EINVAL;
        memcpy(ret, p, sizeof(*ret));
        return 0;
}

int vfu_decode_region_info_reply(const void *p, size_t len, struct vfu_region_info *ret) {
        struct vfu_region_info ri;
        if (len < VFU_REGION_INFO_SIZE)
                return -EINVAL;
        memcpy(&ri, p, sizeof(ri));
        if (ri.argsz < VFU_REGION_INFO_SIZE)
                return -EINVAL;
        if ((ri.flags & VFU_REGION_FLAG_CAPS) && ri.argsz <= len &&
            (ri.cap_offset < VFU_REGION_INFO_SIZE || ri.cap_offset >= len))
                return -EINVAL;
        *ret = ri;
        return 0;
}

int vfu_decode_irq_info_reply(const void *p, size_t len, struct vfu_irq_info *ret) {
        if (len != VFU_IRQ_INFO_SIZE)
                return -EINVAL;
        memcpy(ret, p, sizeof(*ret));
        return 0;
}

int vfu_decode_region_read_reply(const void *p, size_t len, uint32_t want, struct vfu_region_rw *ret,
                                 const uint8_t **data) {
        struct vfu_region_rw rw;
        if (len < VFU_REGION_RW_SIZE)
                return -EINVAL;
        memcpy(&rw, p, sizeof(rw));
        if (rw.count > want || len - VFU_REGION_RW_SIZE != rw.count)
                return -EINVAL;
        *ret = rw;
        *data = (const uint8_t *) p + VFU_REGION_RW_SIZE;
        return 0;
}

int vfu_find_sparse_mmap(const void *info, size_t len, uint32_t *nr_areas, const uint8_t **areas) {
        struct vfu_region_info ri;
        const uint8_t *base = info;
        uint32_t off;
        unsigned hops = 0;

        if (len < VFU_REGION_INFO_SIZE)
                return -EINVAL;
        memcpy(&ri, info, sizeof(ri));
        if (!(ri.flags & VFU_REGION_FLAG_CAPS))
                return -ENOENT;
        for (off = ri.cap_offset; off != 0; hops++) {
                struct vfu_cap_header h;
                /* Each cap lies after the struct and inside the reply; a chain longer than the reply loops.
                 */
                if (off < VFU_REGION_INFO_SIZE || off > len || len - off < VFU_CAP_HEADER_SIZE ||
                    hops > len / VFU_CAP_HEADER_SIZE)
                        return -EINVAL;
                memcpy(&h, base + off, sizeof(h));
                if (h.id == VFU_CAP_SPARSE_MMAP) {
                        struct vfu_sparse_mmap sm;
                        size_t body = off + VFU_CAP_HEADER_SIZE;
                        if (h.version != VFU_CAP_SPARSE_MMAP_VERSION || len - body < VFU_SPARSE_MMAP_SIZE)
                                return -EINVAL;
                        memcpy(&sm, base + body, sizeof(sm));
                        body += VFU_SPARSE_MMAP_SIZE;
                        if (sm.nr_areas > (len - body) / VFU_SPARSE_AREA_SIZE)
                                return -EINVAL;
                        *nr_areas = sm.nr_areas;
                        *areas = base + body;
                        return 0;
                }
                off = h.next;
        }
        return -ENOENT;
}

void vfu_sparse_area_get(const uint8_t *areas, uint32_t i, struct vfu_sparse_area *ret) {
        memcpy(ret, areas + (size_t) i * VFU_SPARSE_AREA_SIZE, VFU_SPARSE_AREA_SIZE);
}
