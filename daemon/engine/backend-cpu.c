/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The CPU execution backend: memmove/memset-speed copy, fill and blit through
 * the SIGBUS guard. glibc picks the fastest string routines this CPU has
 * (AVX2/ERMS, non-temporal stores for large copies), so nothing hand-written
 * would beat it.
 */
#include <string.h>

#include "backend.h"
#include "guard.h"

static int cpu_copy(uint8_t *dst, const uint8_t *src, size_t n) {
        return guarded_memmove(dst, src, n);
}

static int cpu_fill(uint8_t *dst, uint32_t pattern, size_t n) {
        return guarded_fill32(dst, pattern, n);
}

static int cpu_blit(uint8_t *dst, size_t dst_pitch, const uint8_t *src, size_t src_pitch, size_t width,
                    size_t rows, int row_step) {
        return guarded_blit(dst, dst_pitch, src, src_pitch, width, rows, row_step);
}

static int cpu_store64(uint8_t *dst, uint64_t value) {
        return guarded_memmove(dst, &value, sizeof(value));
}

const struct exec_backend_ops backend_cpu = {
        .name = "cpu",
        .copy = cpu_copy,
        .fill = cpu_fill,
        .blit = cpu_blit,
        .store64 = cpu_store64,
};
