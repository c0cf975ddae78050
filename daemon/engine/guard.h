/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Guest memory accesses that survive the guest's memory vanishing. A client's
 * DMA memory is a file the client still controls: it can ftruncate() it after
 * DMA_MAP, and the next access to the lost pages raises SIGBUS in the engine
 * thread. Every access to guest memory therefore goes through these helpers,
 * which turn that SIGBUS into -EFAULT (and a failsafe for the guest that did
 * it) instead of a dead daemon. A SIGBUS anywhere else still takes the
 * previous handler's path: a real bug must not be swallowed.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Install the process-wide SIGBUS handler (idempotent, thread-safe). */
int guard_init(void);

/* memmove() that returns -EFAULT if the memory faults; 0 otherwise. */
int guarded_memmove(void *dst, const void *src, size_t n);
/* Fill n bytes (n % 4 == 0) with a 32-bit little-endian pattern. */
int guarded_fill32(void *dst, uint32_t pattern, size_t n);
/* rows rows of width bytes; pitches may be negative-free only (callers order overlapping rows). */
int guarded_blit(uint8_t *dst, size_t dst_pitch, const uint8_t *src, size_t src_pitch, size_t width,
                 size_t rows, int row_step);
