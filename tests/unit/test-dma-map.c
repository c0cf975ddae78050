/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of daemon/engine/dma-map.c with real memfds: ranges, overlaps, permissions, limits, fds. */

#include "unit.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "dma-map.h"
#include "macro.h"

static int memfd(size_t size) {
        int fd = memfd_create("t", MFD_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, (off_t) size), 0);
        return fd;
}

static int add(struct dma_map *m, int fd, uint64_t off, uint64_t addr, uint64_t size, uint32_t flags) {
        struct vfu_dma_map req = {.argsz = 32, .flags = flags, .offset = off, .addr = addr, .size = size};
        return dma_map_add(m, &req, fd, NULL);
}

static void test_translate(void **state) {
        struct dma_map m;
        _cleanup_close_ int fd = memfd(1 << 20);
        uint8_t *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        const uint32_t R = VFU_DMA_FLAG_READ, W = VFU_DMA_FLAG_WRITE;

        dma_map_init(&m, 16, 1ull << 40);
        assert_int_equal(add(&m, fd, 0x1000, 0x100000, 0x4000, R | W), 0);
        assert_int_equal(add(&m, fd, 0x8000, 0x200000, 0x1000, R), 0);
        assert_int_equal(add(&m, -1, 0, 0x300000, 0x1000, R | W), 0);

        uint8_t *h = dma_map_translate(&m, 0x100010, 16, R | W);
        assert_non_null(h);
        h[0] = 0x5a;
        assert_int_equal(p[0x1010], 0x5a); /* the file offset is honoured */
        assert_non_null(dma_map_translate(&m, 0x100000, 0x4000, R));
        assert_null(dma_map_translate(&m, 0x100000, 0x4001, R));     /* one byte past the end */
        assert_null(dma_map_translate(&m, 0xfffff, 2, R));           /* starts before */
        assert_null(dma_map_translate(&m, 0x104000, 1, R));          /* just after */
        assert_null(dma_map_translate(&m, 0x100000, 0, R));          /* empty is never valid */
        assert_null(dma_map_translate(&m, UINT64_MAX, 2, R));        /* wraps */
        assert_non_null(dma_map_translate(&m, 0x200000, 0x1000, R)); /* read-only: reads */
        assert_null(dma_map_translate(&m, 0x200000, 4, W));          /* ... but no writes */
        assert_null(dma_map_translate(&m, 0x300000, 4, R));          /* known but not accessible */
        assert_null(dma_map_translate(&m, 0x103000, 0x102000, R));   /* spans two mappings */
        assert_null(dma_map_translate(&m, 0, 1, R));

        dma_map_done(&m);
        munmap(p, 1 << 20);
}

static void test_overlaps_and_alignment(void **state) {
        struct dma_map m;
        _cleanup_close_ int fd = memfd(1 << 20);
        const uint32_t RW = VFU_DMA_FLAG_READ | VFU_DMA_FLAG_WRITE;

        dma_map_init(&m, 16, 1ull << 40);
        assert_int_equal(add(&m, fd, 0, 0x10000, 0x10000, RW), 0);
        assert_int_equal(add(&m, fd, 0, 0x10000, 0x10000, RW), -EEXIST);    /* same */
        assert_int_equal(add(&m, fd, 0, 0xf000, 0x2000, RW), -EEXIST);      /* left edge */
        assert_int_equal(add(&m, fd, 0, 0x1f000, 0x2000, RW), -EEXIST);     /* right edge */
        assert_int_equal(add(&m, fd, 0, 0x12000, 0x1000, RW), -EEXIST);     /* inside */
        assert_int_equal(add(&m, fd, 0, 0x0, 0x40000, RW), -EEXIST);        /* around */
        assert_int_equal(add(&m, fd, 0, 0xf000, 0x1000, RW), 0);            /* touching on the left */
        assert_int_equal(add(&m, fd, 0, 0x20000, 0x1000, RW), 0);           /* touching on the right */
        assert_int_equal(add(&m, fd, 0, 0x40800, 0x1000, RW), -EINVAL);     /* address */
        assert_int_equal(add(&m, fd, 0, 0x40000, 0x800, RW), -EINVAL);      /* size */
        assert_int_equal(add(&m, fd, 0x800, 0x40000, 0x1000, RW), -EINVAL); /* file offset */
        assert_int_equal(add(&m, fd, 0, 0x40000, 0, RW), -EINVAL);
        assert_int_equal(add(&m, fd, 0, UINT64_MAX - 0xfff, 0x2000, RW), -EINVAL);
        assert_int_equal(m.n, 3);

        /* Removal takes whole mappings, as the kernel's type1 IOMMU: none is fine, a cut is not. */
        uint64_t removed;
        assert_int_equal(dma_map_remove(&m, 0x30000, 0x1000, &removed), 0); /* nothing there */
        assert_int_equal(removed, 0);
        assert_int_equal(dma_map_remove(&m, 0x10000, 0x1000, &removed), -EINVAL);  /* the start of one */
        assert_int_equal(dma_map_remove(&m, 0x8000, 0x10000, &removed), -EINVAL);  /* across an edge */
        assert_int_equal(dma_map_remove(&m, 0x10000, 0x10001, &removed), -EINVAL); /* into the next */
        assert_int_equal(m.n, 3);
        assert_int_equal(dma_map_remove(&m, 0x10000, 0x10000, &removed), 0);
        assert_int_equal(removed, 0x10000);
        assert_null(dma_map_translate(&m, 0x10000, 1, VFU_DMA_FLAG_READ));
        assert_non_null(dma_map_translate(&m, 0xf000, 1, VFU_DMA_FLAG_READ));
        assert_int_equal(dma_map_remove(&m, 0, 0, &removed), -EINVAL);
        assert_int_equal(dma_map_remove(&m, UINT64_MAX - 0xfff, 0x2000, &removed), -EINVAL);
        /* A range around several (QEMU's chunks of the whole space when a guest vIOMMU switches domains). */
        assert_int_equal(add(&m, fd, 0, 0x30000, 0x1000, RW), 0);
        assert_int_equal(dma_map_remove(&m, 0, 0x100000, &removed), 0);
        assert_int_equal(removed, 0x3000);
        assert_int_equal(m.n, 0);
        assert_int_equal(m.bytes, 0);
        dma_map_remove_all(&m);
        assert_int_equal(m.n, 0);
        assert_int_equal(m.bytes, 0);
        dma_map_done(&m);
}

static void test_limits(void **state) {
        struct dma_map m;
        _cleanup_close_ int fd = memfd(1 << 20);
        const uint32_t R = VFU_DMA_FLAG_READ;

        dma_map_init(&m, 4, 0x3000);
        assert_int_equal(add(&m, fd, 0, 0x1000, 0x1000, R), 0);
        assert_int_equal(add(&m, fd, 0, 0x3000, 0x2000, R), 0);
        assert_int_equal(add(&m, fd, 0, 0x9000, 0x1000, R), -ENOSPC); /* bytes */
        assert_int_equal(dma_map_remove(&m, 0x3000, 0x2000, &(uint64_t){0}), 0);
        assert_int_equal(add(&m, fd, 0, 0x9000, 0x1000, R), 0); /* room again */
        dma_map_done(&m);

        dma_map_init(&m, 2, 1ull << 40);
        assert_int_equal(add(&m, -1, 0, 0x10000, 0x1000, R), 0);
        assert_int_equal(add(&m, -1, 0, 0x20000, 0x1000, R), 0);
        assert_int_equal(add(&m, -1, 0, 0x40000, 0x1000, R), -ENOSPC); /* count */
        dma_map_done(&m);
}

static void test_fd_checks(void **state) {
        struct dma_map m;
        _cleanup_close_ int fd = memfd(0x4000);
        _cleanup_close_ int ro = -1, disk = -1;
        int pipefd[2];
        char path[64];
        const uint32_t R = VFU_DMA_FLAG_READ, RW = R | VFU_DMA_FLAG_WRITE;

        dma_map_init(&m, 16, 1ull << 40);
        assert_int_equal(add(&m, fd, 0x2000, 0x10000, 0x3000, R), -ERANGE); /* past the end of the file */
        assert_int_equal(add(&m, fd, 0x2000, 0x10000, 0x2000, R), 0);
        assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
        assert_int_equal(add(&m, pipefd[0], 0, 0x20000, 0x1000, R), -EBADF);
        close(pipefd[0]);
        close(pipefd[1]);
        /* A read-only descriptor cannot be mapped for writing. */
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        ro = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(ro >= 0);
        assert_int_equal(add(&m, ro, 0, 0x20000, 0x1000, RW), -EINVAL);
        assert_int_equal(add(&m, ro, 0, 0x20000, 0x1000, R), 0);
        /*
         * A file on a disk filesystem: page faults there could wait on I/O, so it is not mapped but
         * recorded as remote (reached through DMA_READ/DMA_WRITE): no pointer, a permission-checked range.
         */
        disk = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        assert_true(disk >= 0);
        bool remote = false;
        struct vfu_dma_map req = {
                .argsz = VFU_DMA_MAP_SIZE, .flags = R, .offset = 0, .addr = 0x30000, .size = 0x1000};
        assert_int_equal(dma_map_add(&m, &req, disk, &remote), 0);
        assert_true(remote);
        assert_int_equal(m.remote, 1);
        assert_null(dma_map_translate(&m, 0x30000, 0x1000, R));
        assert_true(dma_map_remote(&m, 0x30000, 0x1000, R));
        assert_true(dma_map_remote(&m, 0x30800, 0x800, R));
        assert_false(dma_map_remote(&m, 0x30800, 0x801, R));   /* past its end */
        assert_false(dma_map_remote(&m, 0x30000, 0x1000, RW)); /* not granted */
        assert_false(dma_map_remote(&m, 0x20000, 0x1000, R));  /* an ordinary mapping */
        /* Without a descriptor (QEMU's private RAM): remote too. */
        req.addr = 0x40000;
        assert_int_equal(dma_map_add(&m, &req, -1, &remote), 0);
        assert_true(remote);
        assert_int_equal(m.remote, 2);
        assert_int_equal(dma_map_remove(&m, 0x30000, 0x1000, &(uint64_t){0}), 0);
        assert_int_equal(m.remote, 1);
        m.any_filesystem = true;
        assert_int_equal(
                dma_map_add(&m,
                            &(struct vfu_dma_map){
                                    .argsz = VFU_DMA_MAP_SIZE, .flags = R, .addr = 0x50000, .size = 0x1000},
                            disk, &remote),
                0);
        assert_false(remote);
        dma_map_done(&m);
}

/* Many mappings added in a scrambled order stay sorted and individually reachable. */
static void test_many(void **state) {
        struct dma_map m;
        _cleanup_close_ int fd = memfd(0x1000);
        unsigned order[200];

        dma_map_init(&m, 200, 1ull << 40);
        for (unsigned i = 0; i < 200; i++)
                order[i] = (i * 73) % 200;
        for (unsigned i = 0; i < 200; i++)
                assert_int_equal(add(&m, fd, 0, 0x100000ull * order[i], 0x1000, VFU_DMA_FLAG_READ), 0);
        for (unsigned i = 1; i < m.n; i++)
                assert_true(m.v[i - 1].addr < m.v[i].addr);
        for (unsigned i = 0; i < 200; i++) {
                assert_non_null(dma_map_translate(&m, 0x100000ull * i + 0xfff, 1, VFU_DMA_FLAG_READ));
                assert_null(dma_map_translate(&m, 0x100000ull * i + 0x1000, 1, VFU_DMA_FLAG_READ));
        }
        dma_map_done(&m);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_translate), cmocka_unit_test(test_overlaps_and_alignment),
                cmocka_unit_test(test_limits),    cmocka_unit_test(test_fd_checks),
                cmocka_unit_test(test_many),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
