/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guest's DMA address space as the client described it with DMA_MAP: a
 * sorted set of non-overlapping ranges, each mapped into the engine from the
 * client's file descriptor with exactly the permissions the client granted.
 * dma_map_translate() is the one gate between a guest address in a command
 * and host memory: the whole range must lie inside one mapping, with the
 * permission the access needs, without wrapping around.
 *
 * Only memory files are mapped (memfd, tmpfs, hugetlbfs): a descriptor on a
 * disk or FUSE filesystem would let a page fault in the engine thread wait on
 * I/O the client controls, stalling every instance of this engine. Such a
 * file, and a range the client sent without a descriptor (QEMU's private
 * guest RAM), is a *remote* mapping: known, permission-checked, and reached
 * through DMA_READ/DMA_WRITE messages (dma-io.h) instead of a pointer.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vfio-user/protocol.h"

#define DMA_PAGE_SIZE 4096u

struct dma_mapping {
        uint64_t addr;
        uint64_t size;
        uint32_t prot; /* VFU_DMA_FLAG_READ | VFU_DMA_FLAG_WRITE */
        uint8_t *host; /* NULL: a remote mapping, reached through messages */
};

struct dma_map {
        struct dma_mapping *v;
        size_t n, allocated;
        size_t max_maps;
        uint64_t max_bytes; /* sum of mapped sizes */
        uint64_t bytes;
        unsigned remote;     /* mappings without a host pointer */
        bool any_filesystem; /* tests only: skip the memory-filesystem check */
};

void dma_map_init(struct dma_map *m, size_t max_maps, uint64_t max_bytes);
/* Unmap everything and free the table. */
void dma_map_done(struct dma_map *m);

/*
 * Add a mapping. fd < 0, or a regular file on a filesystem that is not a
 * memory filesystem, records a remote mapping (*remote = true). Errors:
 * -EINVAL misaligned/zero/wrapping range or flags; -EBADF an fd that is not a
 * regular file; -ERANGE a file shorter than offset + size; -EEXIST overlaps an
 * existing mapping; -ENOSPC too many mappings or too many bytes (or mmap
 * refused for lack of address space). The fd is not consumed (the mapping
 * holds its own reference); the caller closes it. dma_map_refusal() words an
 * error for logs and `vgpuctl show`.
 */
int dma_map_add(struct dma_map *m, const struct vfu_dma_map *req, int fd, bool *remote);
const char *dma_map_refusal(int err);
/*
 * Remove every mapping inside [addr, addr+size), as the kernel's VFIO type1 IOMMU does: a range
 * holding none removes nothing and succeeds (QEMU behind a guest vIOMMU unmaps whole address
 * space chunks when the guest switches domains); -EINVAL for an empty or wrapping range or one that
 * would cut a mapping in two (nothing is removed then). *removed: the bytes unmapped.
 */
int dma_map_remove(struct dma_map *m, uint64_t addr, uint64_t size, uint64_t *removed);
void dma_map_remove_all(struct dma_map *m);

/*
 * Is [addr, addr+len) entirely inside one remote mapping granting prot?
 */
bool dma_map_remote(const struct dma_map *m, uint64_t addr, uint64_t len, uint32_t prot);

/*
 * Host address of [addr, addr+len) for an access needing prot, or NULL if the
 * range is not entirely inside one accessible mapping with that permission.
 * len == 0 is never valid: callers skip empty accesses.
 */
static inline uint8_t *dma_map_translate(const struct dma_map *m, uint64_t addr, uint64_t len,
                                         uint32_t prot) {
        size_t lo = 0, hi = m->n;
        if (len == 0 || addr + (len - 1) < addr)
                return NULL;
        /* The last mapping starting at or below addr. */
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (m->v[mid].addr <= addr)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo == 0)
                return NULL;
        const struct dma_mapping *d = &m->v[lo - 1];
        uint64_t off = addr - d->addr;
        if (off >= d->size || len > d->size - off || (d->prot & prot) != prot || !d->host)
                return NULL;
        return d->host + off;
}
