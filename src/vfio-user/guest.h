/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A guest driver for the RPC vGPU, over the vfio-user client: it does what a
 * VM with QEMU's vfio-user-pci and a driver for this device would do. It
 * negotiates, checks the device's identity in config space, shares a memfd
 * as guest RAM through DMA_MAP, maps the VRAM BAR, wires an MSI (or MSI-X)
 * vector to an eventfd, enables bus mastering, programs the ring at the start
 * of guest RAM, and then submits commands and waits for fences. The tests,
 * the benchmarks and `vgpuctl probe` drive the device through it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vfio-user/client.h"
#include "vfio-user/rpc-cmd.h"
#include "vfio-user/rpc-gpu.h"

#define RPCGPU_GUEST_RAM_IOVA  0x100000000ull /* guest RAM appears at 4 GiB */
#define RPCGPU_GUEST_RING_SIZE 65536u         /* the ring: the first bytes of guest RAM */

/* How guest RAM reaches the device: QEMU's three set-ups. */
enum rpcgpu_guest_ram {
        RPCGPU_RAM_MEMFD,   /* a shared memfd, DMA_MAP with its fd (memory-backend-memfd,share=on) */
        RPCGPU_RAM_PRIVATE, /* anonymous memory, DMA_MAP without fd (QEMU's default RAM) */
        RPCGPU_RAM_FILE,    /* a file in ram_dir, DMA_MAP with its fd (memory-backend-file,share=on) */
};

struct rpcgpu_guest_params {
        uint64_t ram_size; /* bytes of guest RAM, a multiple of 4 KiB > ring size */
        bool msix;         /* wire MSI-X vectors 0 (fence) and 1 (error) instead of MSI */
        enum rpcgpu_guest_ram ram;
        const char *ram_dir; /* RPCGPU_RAM_FILE: where the (unlinked) file is made */
};

struct rpcgpu_guest {
        struct vfu_client *client;
        int ram_fd;
        uint8_t *ram;
        uint64_t ram_size;
        uint8_t *vram;
        size_t vram_size;
        int irq_fd;       /* MSI, or MSI-X vector 0 */
        int error_irq_fd; /* MSI-X vector 1, or -1 */
        uint32_t ring_size;
        uint32_t tail;
        uint64_t next_fence;
};

int rpcgpu_guest_open(const char *socket, const struct rpcgpu_guest_params *params,
                      struct rpcgpu_guest **ret);
void rpcgpu_guest_close(struct rpcgpu_guest *g);
static inline void rpcgpu_guest_closep(struct rpcgpu_guest **g) {
        if (*g)
                rpcgpu_guest_close(*g);
}

/* The DMA address of a byte of guest RAM. */
static inline uint64_t rpcgpu_guest_iova(const struct rpcgpu_guest *g, uint64_t ram_offset) {
        return RPCGPU_GUEST_RAM_IOVA + ram_offset;
}
/* Guest RAM past the ring, where commands' data can live. */
#define RPCGPU_GUEST_DATA_OFFSET RPCGPU_GUEST_RING_SIZE

int rpcgpu_guest_read32(struct rpcgpu_guest *g, uint32_t reg, uint32_t *ret);
int rpcgpu_guest_read64(struct rpcgpu_guest *g, uint32_t reg, uint64_t *ret);
int rpcgpu_guest_write32(struct rpcgpu_guest *g, uint32_t reg, uint32_t value);

/* Copy ndwords of commands into the ring (waiting for room) and ring the doorbell. */
int rpcgpu_guest_submit(struct rpcgpu_guest *g, const uint32_t *cmds, size_t ndwords);
/* Submit a FENCE with an interrupt; *ret is the value it will signal. */
int rpcgpu_guest_fence(struct rpcgpu_guest *g, uint64_t *ret);
/*
 * Wait (interrupt-driven) until the FENCE register reaches value. -EIO if the
 * device entered failsafe instead, -ETIMEDOUT after timeout_ms.
 */
int rpcgpu_guest_wait_fence(struct rpcgpu_guest *g, uint64_t value, int timeout_ms);
/* Wait for one signal on an interrupt eventfd: 1, or 0 on timeout. */
int rpcgpu_guest_wait_irq(int fd, int timeout_ms);
/* The same, serving the device's DMA requests meanwhile (guest RAM it reaches by messages). */
int rpcgpu_guest_wait_irq_serving(struct rpcgpu_guest *g, int fd, int timeout_ms);
