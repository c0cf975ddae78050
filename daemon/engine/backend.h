/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The execution backend: what turns checked commands into work. The engine
 * hands it host pointers that cmd_resolve() has already confined to the
 * guest's own mappings or VRAM, one bounded chunk at a time; the backend only
 * moves bytes. Every operation returns 0 or -EFAULT when guest memory
 * vanished under it (see guard.h). The CPU backend is the only one today; a
 * hardware backend would implement the same table.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct exec_backend_ops {
        const char *name;
        /* n bytes; the regions may overlap (memmove semantics) */
        int (*copy)(uint8_t *dst, const uint8_t *src, size_t n);
        /* n bytes (a multiple of 4) of a 32-bit pattern */
        int (*fill)(uint8_t *dst, uint32_t pattern, size_t n);
        /* rows of width bytes; row_step > 0 top-down, < 0 bottom-up (for overlapping rectangles) */
        int (*blit)(uint8_t *dst, size_t dst_pitch, const uint8_t *src, size_t src_pitch, size_t width,
                    size_t rows, int row_step);
        /* one 64-bit store (fence write-back) */
        int (*store64)(uint8_t *dst, uint64_t value);
};

extern const struct exec_backend_ops backend_cpu;
