/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Decoding and validation of vfio-user messages. Every decoder takes the
 * payload (the bytes after the header) and its exact length, checks that the
 * length is what this message must have, that argsz agrees with it, and that
 * flags carry only defined bits; only then does it fill the host struct. What
 * a field's value means for a particular device (is this region index valid?)
 * is the device's business; what makes a message malformed is decided here,
 * once, for the server and the client alike.
 *
 * Errors: -EINVAL malformed, -E2BIG larger than allowed, -ENOTSUP a defined
 * feature this implementation does not offer.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vfio-user/protocol.h"

_Static_assert(sizeof(struct vfu_version) == VFU_VERSION_SIZE, "layout");
_Static_assert(sizeof(struct vfu_dma_map) == VFU_DMA_MAP_SIZE, "layout");
_Static_assert(sizeof(struct vfu_dma_unmap) == VFU_DMA_UNMAP_SIZE, "layout");
_Static_assert(sizeof(struct vfu_device_info) == VFU_DEVICE_INFO_SIZE, "layout");
_Static_assert(sizeof(struct vfu_region_info) == VFU_REGION_INFO_SIZE, "layout");
_Static_assert(sizeof(struct vfu_cap_header) == VFU_CAP_HEADER_SIZE, "layout");
_Static_assert(sizeof(struct vfu_sparse_mmap) == VFU_SPARSE_MMAP_SIZE, "layout");
_Static_assert(sizeof(struct vfu_sparse_area) == VFU_SPARSE_AREA_SIZE, "layout");
_Static_assert(sizeof(struct vfu_region_io_fds) == VFU_REGION_IO_FDS_SIZE, "layout");
_Static_assert(sizeof(struct vfu_irq_info) == VFU_IRQ_INFO_SIZE, "layout");
_Static_assert(sizeof(struct vfu_irq_set) == VFU_IRQ_SET_SIZE, "layout");
_Static_assert(sizeof(struct vfu_region_rw) == VFU_REGION_RW_SIZE, "layout");
_Static_assert(sizeof(struct vfu_write_one) == VFU_WRITE_ONE_SIZE, "layout");

/* Header */
void vfu_hdr_decode(const void *buf16, struct vfu_hdr *ret);
void vfu_hdr_encode(void *buf16, const struct vfu_hdr *h);
/* Framing check: size in [16, max_size], only defined flag bits, type command or reply. */
int vfu_hdr_check(const struct vfu_hdr *h, uint32_t max_size);
static inline bool vfu_hdr_is_reply(const struct vfu_hdr *h) {
        return (h->flags & VFU_FLAG_TYPE_MASK) == VFU_TYPE_REPLY;
}
const char *vfu_command_name(uint16_t command); /* "DMA_MAP", or NULL when unknown */

/* VERSION: *json points into p (NUL excluded) or is NULL when no capabilities were sent. */
int vfu_decode_version(const void *p, size_t len, struct vfu_version *ret, const char **json,
                       size_t *json_len);

/* DMA_MAP: READ and/or WRITE, size > 0, no wrap-around of address or file offset. */
int vfu_decode_dma_map(const void *p, size_t len, struct vfu_dma_map *ret);
/* DMA_UNMAP: flags 0 or ALL; without ALL size > 0 and no wrap-around. Dirty bitmaps: -ENOTSUP. */
int vfu_decode_dma_unmap(const void *p, size_t len, struct vfu_dma_unmap *ret);
/* DEVICE_GET_INFO / GET_REGION_INFO / GET_REGION_IO_FDS / GET_IRQ_INFO requests: argsz covers the struct. */
int vfu_decode_device_info(const void *p, size_t len, struct vfu_device_info *ret);
int vfu_decode_region_info(const void *p, size_t len, struct vfu_region_info *ret);
int vfu_decode_region_io_fds(const void *p, size_t len, struct vfu_region_io_fds *ret);
int vfu_decode_irq_info(const void *p, size_t len, struct vfu_irq_info *ret);
/* SET_IRQS: exactly one DATA and one ACTION flag; DATA_BOOL carries count bytes (*bools). */
int vfu_decode_irq_set(const void *p, size_t len, struct vfu_irq_set *ret, const uint8_t **bools);
/* REGION_READ request (no data) and REGION_WRITE request (count bytes of data); count <= max_xfer. */
int vfu_decode_region_read(const void *p, size_t len, uint32_t max_xfer, struct vfu_region_rw *ret);
int vfu_decode_region_write(const void *p, size_t len, uint32_t max_xfer, struct vfu_region_rw *ret,
                            const uint8_t **data);
/* REGION_WRITE_MULTI: 1..200 entries, each 1..8 bytes; *entries points at the first entry. */
int vfu_decode_write_multi(const void *p, size_t len, uint64_t *count, const uint8_t **entries);
void vfu_write_multi_entry(const uint8_t *entries, uint64_t i, struct vfu_write_one *ret);

/* Replies the client reads */
int vfu_decode_device_info_reply(const void *p, size_t len, struct vfu_device_info *ret);
/* Region info reply; caps (if any) are the bytes after the struct, validated by vfu_find_sparse_mmap(). */
int vfu_decode_region_info_reply(const void *p, size_t len, struct vfu_region_info *ret);
int vfu_decode_irq_info_reply(const void *p, size_t len, struct vfu_irq_info *ret);
int vfu_decode_region_read_reply(const void *p, size_t len, uint32_t want, struct vfu_region_rw *ret,
                                 const uint8_t **data);
/*
 * Walk a region info reply's capability chain (info = the reply payload) and
 * return the sparse-mmap areas: *areas points at nr_areas entries of 16 bytes.
 * Loops, out-of-range offsets and short chains are -EINVAL; no sparse cap: -ENOENT.
 */
int vfu_find_sparse_mmap(const void *info, size_t len, uint32_t *nr_areas, const uint8_t **areas);
void vfu_sparse_area_get(const uint8_t *areas, uint32_t i, struct vfu_sparse_area *ret);

/* Copy a struct onto the wire (layouts match the wire, see the asserts above). */
#define vfu_put(buf, s) memcpy((buf), &(s), sizeof(s))
