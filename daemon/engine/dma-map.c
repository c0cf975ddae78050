/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest DMA address space (see dma-map.h). */
#include <errno.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
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
        m->remote = 0;
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

/* 0: map it; 1: a file the engine must not map, served by messages; < 0: refused. */
static int check_fd(const struct dma_map *m, int fd, uint64_t offset, uint64_t size) {
        struct stat st;
        struct statfs sfs;

        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADF;
        /* Pages past the end of the file would SIGBUS on first touch (or fail in the client): refuse. */
        if (st.st_size < 0 || (uint64_t) st.st_size < offset || (uint64_t) st.st_size - offset < size)
                return -ERANGE;
        if (!m->any_filesystem) {
                if (fstatfs(fd, &sfs) < 0)
                        return negative_errno();
                if (sfs.f_type != TMPFS_MAGIC && sfs.f_type != HUGETLBFS_MAGIC)
                        return 1;
        }
        return 0;
}

const char *dma_map_refusal(int err) {
        switch (err) {
        case -EINVAL:
                return "malformed range (zero, wrapping, not 4 KiB aligned, or unknown flags)";
        case -EBADF:
                return "the descriptor is not a regular file";
        case -ERANGE:
                return "the file is shorter than the mapped range";
        case -EEXIST:
                return "overlaps an existing mapping";
        case -ENOSPC:
                return "too many mappings or bytes for one client";
        case -ENOMEM:
                return "out of memory";
        default:
                return strerror(-err); /* fstat/fstatfs of the descriptor failed */
        }
}

bool dma_map_remote(const struct dma_map *m, uint64_t addr, uint64_t len, uint32_t prot) {
        if (len == 0 || addr + (len - 1) < addr || m->remote == 0)
                return false;
        size_t i = first_ending_after(m, addr);
        if (i >= m->n)
                return false;
        const struct dma_mapping *d = &m->v[i];
        if (d->host || addr < d->addr || addr - d->addr >= d->size || len > d->size - (addr - d->addr))
                return false;
        return (d->prot & prot) == prot;
}

int dma_map_add(struct dma_map *m, const struct vfu_dma_map *req, int fd, bool *remote) {
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

        r = fd >= 0 ? check_fd(m, fd, req->offset, size) : 1;
        if (r < 0)
                return r;
        if (r == 0) {
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
        if (!host)
                m->remote++;
        if (remote)
                *remote = !host;
        return 0;
}

int dma_map_remove(struct dma_map *m, uint64_t addr, uint64_t size, uint64_t *removed) {
        *removed = 0;
        if (size == 0 || addr + (size - 1) < addr)
                return -EINVAL;
        uint64_t last = addr + (size - 1);
        size_t i = first_ending_after(m, addr), j = i;
        /* [i, j): the mappings the range touches; each must lie wholly inside it. */
        while (j < m->n && m->v[j].addr <= last)
                j++;
        if (i < j && (m->v[i].addr < addr || m->v[j - 1].addr + (m->v[j - 1].size - 1) > last))
                return -EINVAL; /* would cut a mapping in two */
        for (size_t k = i; k < j; k++) {
                if (!m->v[k].host)
                        m->remote--;
                m->bytes -= m->v[k].size;
                *removed += m->v[k].size;
                unmap_one(&m->v[k]);
        }
        memmove(&m->v[i], &m->v[j], (m->n - j) * sizeof(*m->v));
        m->n -= j - i;
        return 0;
}
