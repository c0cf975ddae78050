/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest DMA address space (see dma-map.h). */
#include <errno.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "dma-map.h"
#include "macro.h"

void dma_map_init(struct dma_map *m, size_t max_maps, uint64_t max_bytes) {
        *m = (struct dma_map){.max_maps = max_maps, .max_bytes = max_bytes};
}

static void unmap_one(struct dma_mapping *d) {
        if (d->host)
                munmap(d->host, (size_t) d->size);
        d->host = NULL;
}

void dma_map_remove_all(struct dma_map *m) {
        for (size_t i = 0; i < m->n; i++)
                unmap_one(&m->v[i]);
        m->n = 0;
        m->bytes = 0;
}

void dma_map_done(struct dma_map *m) {
        dma_map_remove_all(m);
        free(m->v);
        m->v = NULL;
        m->allocated = 0;
}

/* Index of the first mapping that ends after addr. */
static size_t first_ending_after(const struct dma_map *m, uint64_t addr) {
        size_t lo = 0, hi = m->n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (m->v[mid].addr + (m->v[mid].size - 1) < addr)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static int check_fd(const struct dma_map *m, int fd, uint64_t offset, uint64_t size) {
        struct stat st;
        struct statfs sfs;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if (!m->any_filesystem) {
                if (fstatfs(fd, &sfs) < 0)
                        return -errno;
                if (sfs.f_type != TMPFS_MAGIC && sfs.f_type != HUGETLBFS_MAGIC)
                        return -EINVAL;
        }
        /* Pages past the end of the file would SIGBUS on first touch: refuse them up front. */
        if (st.st_size < 0 || (uint64_t) st.st_size < offset || (uint64_t) st.st_size - offset < size)
                return -EINVAL;
        return 0;
}

int dma_map_add(struct dma_map *m, const struct vfu_dma_map *req, int fd) {
        uint64_t addr = req->addr, size = req->size;
        uint8_t *host = NULL;
        int r;

        if (size == 0 || addr + (size - 1) < addr)
                return -EINVAL;
        if ((addr | size | req->offset) & (DMA_PAGE_SIZE - 1))
                return -EINVAL;
        if (size > SIZE_MAX)
                return -EINVAL;
        if (m->n >= m->max_maps || size > m->max_bytes - m->bytes)
                return -ENOSPC;

        size_t i = first_ending_after(m, addr);
        if (i < m->n && m->v[i].addr <= addr + (size - 1))
                return -EEXIST;

        if (fd >= 0) {
                r = check_fd(m, fd, req->offset, size);
                if (r < 0)
                        return r;
                int prot = ((req->flags & VFU_DMA_FLAG_READ) ? PROT_READ : 0) |
                           ((req->flags & VFU_DMA_FLAG_WRITE) ? PROT_WRITE : 0);
                void *p = mmap(NULL, (size_t) size, prot, MAP_SHARED, fd, (off_t) req->offset);
                if (p == MAP_FAILED)
                        return errno == ENOMEM ? -ENOSPC : -EINVAL;
                host = p;
        }

        if (m->n == m->allocated) {
                size_t na = m->allocated ? m->allocated * 2 : 8;
                struct dma_mapping *v = reallocarray(m->v, na, sizeof(*v));
                if (!v) {
                        if (host)
                                munmap(host, (size_t) size);
                        return -ENOMEM;
                }
                m->v = v;
                m->allocated = na;
        }
        memmove(&m->v[i + 1], &m->v[i], (m->n - i) * sizeof(*m->v));
        m->v[i] = (struct dma_mapping){.addr = addr, .size = size, .prot = req->flags, .host = host};
        m->n++;
        m->bytes += size;
        return 0;
}

int dma_map_remove(struct dma_map *m, uint64_t addr, uint64_t size) {
        if (size == 0 || addr + (size - 1) < addr)
                return -EINVAL;
        size_t i = first_ending_after(m, addr);
        if (i >= m->n || m->v[i].addr > addr + (size - 1))
                return -ENOENT;
        if (m->v[i].addr != addr || m->v[i].size != size)
                return -EINVAL; /* overlaps a mapping without matching it */
        unmap_one(&m->v[i]);
        m->bytes -= size;
        memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(*m->v));
        m->n--;
        return 0;
}
