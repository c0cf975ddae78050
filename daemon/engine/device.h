/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The RPC vGPU device model: what one instance looks like to its guest.
 * Regions (config space, BAR0 registers, BAR2 VRAM), interrupts, the DMA
 * address space the client granted, and the execution state of its command
 * ring. device.c implements the regions and reset/failsafe semantics,
 * exec.c the command execution. All of it runs on the engine thread of the
 * instance's software GPU; nothing here locks.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "cmd-parser.h"
#include "dma-io.h"
#include "dma-map.h"
#include "irq.h"
#include "pci-config.h"
#include "sensitive.h"
#include "vfio-user/protocol.h"
#include "vfio-user/rpc-gpu.h"
#include "vram.h"

/* Bytes of command stream copied from guest memory at a time, per nesting level. */
#define EXEC_WINDOW 16384u
/* The largest piece of a COPY/FILL/BLIT done between two scheduling checks. */
#define EXEC_CHUNK (256u << 10)

/* A command stream being read: the ring (wrapping, ends at the tail) or a batch buffer. */
struct exec_stream {
        bool ring;
        bool vram;
        uint64_t base;      /* guest address (or VRAM offset) of the buffer */
        uint32_t size;      /* bytes in the buffer */
        uint64_t pos, end;  /* linear stream positions; a ring offset is pos % size */
        uint64_t win_start; /* linear position of win[0] */
        uint32_t win_len;
        uint8_t *win; /* EXEC_WINDOW bytes, host copy of the stream */
};

struct exec_state {
        struct exec_stream s[1 + RPCGPU_BATCH_DEPTH]; /* s[0] is the ring */
        unsigned depth;
        uint32_t budget;       /* commands left for the current top-level batch */
        bool in_command;       /* a COPY/FILL/BLIT/FENCE is partly done */
        bool complete_pending; /* its last chunk went out as DMA_WRITE: complete it once acknowledged */
        struct cmd cur;
        uint64_t done;    /* bytes (or rows, for BLIT) of cur already done */
        uint8_t *windows; /* allocated on first use, freed when the engine resets */
};

struct device_stats {
        uint64_t commands;
        uint64_t bytes;
        uint64_t busy_ns;
        uint64_t fences;
        uint64_t violations;
};

struct device {
        uint64_t vram_size;
        struct pci_identity identity;
        struct pci_config cfg;
        struct vram vram;
        struct dma_map dma;
        struct dma_io io; /* remote mappings: DMA_READ/DMA_WRITE to the client */
        struct irq_state irq;
        const struct sensitive_policy *sensitive;
        const struct exec_backend_ops *backend;
        bool vram_no_mmap; /* BAR2 by messages only (engine_instance_params) */

        /* BAR0 */
        uint64_t ring_base;
        uint32_t ring_size, ring_head, ring_tail;
        uint64_t fence;
        uint32_t int_status, int_mask;
        uint32_t error_status, error_cmd;
        uint64_t error_addr;
        uint64_t address_space;
        uint32_t engine_regs[RPCGPU_ENGINE_REGS];
        uint8_t msix[RPCGPU_BAR0_SIZE - RPCGPU_MSIX_TABLE_OFFSET];
        bool failsafe;

        struct exec_state exec;
        struct device_stats stats;
};

void device_init(struct device *d, uint64_t vram_size, const struct pci_identity *identity,
                 const struct sensitive_policy *sensitive, const struct exec_backend_ops *backend,
                 size_t max_dma_maps, uint64_t max_dma_bytes);
/* Release everything (client session and VRAM). */
void device_done(struct device *d);

/* A client connected: a fresh VRAM, the device in its power-on state. */
int device_connect(struct device *d, const char *name);
/* The client is gone: its mappings, interrupts and VRAM go with it. */
void device_disconnect(struct device *d);
/* DEVICE_RESET: engine and config space to power-on state; mappings and interrupt fds stay (VFIO). */
void device_reset(struct device *d);

/* Region description for DEVICE_GET_REGION_INFO; *mmap_fd is the region's fd or -1 (not owned). */
int device_region_info(const struct device *d, uint32_t index, struct vfu_region_info *ret, int *mmap_fd);
int device_region_read(struct device *d, uint32_t region, uint64_t off, void *buf, uint32_t count);
int device_region_write(struct device *d, uint32_t region, uint64_t off, const void *buf, uint32_t count);

/* The guest is in failsafe from now on: why, where, and an error interrupt. */
void device_violation(struct device *d, enum rpcgpu_error err, uint32_t cmd_header, uint64_t addr);
/* Set interrupt cause(s) and deliver what is not masked. */
void device_raise(struct device *d, uint32_t causes);

/* Has queued work (not failsafe). */
bool device_busy(const struct device *d);
/* Has queued work and may run now (not failsafe, bus mastering on, no DMA reply awaited). */
bool device_runnable(const struct device *d);
/*
 * Execute until idle, failsafe, `deadline` (CLOCK_MONOTONIC ns) passes, or
 * `yield` (if not NULL) says that I/O is waiting, checked at command or
 * chunk boundaries after at least one step. Returns the (wall) ns spent;
 * accounting it in stats.busy_ns is the caller's business.
 */
uint64_t device_exec(struct device *d, uint64_t deadline, bool (*yield)(void *userdata), void *userdata);
/* Drop all execution state (ring restart, engine reset, failsafe). */
void exec_reset(struct exec_state *x);
void exec_free(struct exec_state *x);

uint64_t now_ns(void);
