/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guest-visible ABI of vgpud's RPC-mode vGPU: the PCI identity, the BAR0
 * register map, the command encoding and the error codes. It is the contract
 * between the engine (daemon/engine, the device) and anything that drives the
 * device as a guest driver would (the tests, the benchmarks, `vgpuctl probe`).
 * docs/engine.md explains every item; keep the two in step.
 *
 * All registers are 32 bits, little-endian, and may also be read as 64 bits at
 * an 8-byte aligned offset (both halves at once: FENCE, statistics).
 */
#pragma once

#include <stdint.h>

/*
 * PCI identity. 1af4:10f0 is in the range QEMU's docs/specs/pci-ids.rst keeps
 * "available for experimental usage without registration"; Linux's virtio-pci
 * matches vendor 1af4 but declines device ids outside 0x1000-0x107f, so no
 * guest driver binds it. Class 0x0380 ("display controller, other") keeps VGA
 * arbitration and vgacon away. A shipped product must register its own id.
 */
#define RPCGPU_VENDOR_ID        0x1af4u
#define RPCGPU_DEVICE_ID        0x10f0u
#define RPCGPU_SUBSYS_VENDOR_ID 0x1af4u
#define RPCGPU_SUBSYS_ID        0x0001u
#define RPCGPU_REVISION         0x01u
#define RPCGPU_CLASS_CODE       0x038000u /* base 03 display, sub 80 other, prog-if 00 */

/* BAR0: 8 KiB of trapped registers; the MSI-X table and PBA live in its upper half. */
#define RPCGPU_BAR0_SIZE         0x2000u
#define RPCGPU_MSIX_TABLE_OFFSET 0x1000u
#define RPCGPU_MSIX_PBA_OFFSET   0x1800u
#define RPCGPU_MSIX_VECTORS      2u /* vector 0: fence, vector 1: error */

/* BAR2: VRAM, shared memory the client may mmap (sparse-mmap capability + fd). */
#define RPCGPU_VRAM_MIN (1ull << 20)
#define RPCGPU_VRAM_MAX (16ull << 30)

#define RPCGPU_ID_MAGIC 0x55504756u /* "VGPU" in memory order */
#define RPCGPU_VERSION  0x00010000u /* 1.0 */

enum rpcgpu_reg {
        RPCGPU_REG_ID = 0x000,           /* RO RPCGPU_ID_MAGIC */
        RPCGPU_REG_VERSION = 0x004,      /* RO major << 16 | minor */
        RPCGPU_REG_CAPS = 0x008,         /* RO RPCGPU_CAP_* */
        RPCGPU_REG_VRAM_SIZE_LO = 0x010, /* RO bytes */
        RPCGPU_REG_VRAM_SIZE_HI = 0x014,
        RPCGPU_REG_RING_BASE_LO = 0x020, /* RW guest (DMA) address of the ring */
        RPCGPU_REG_RING_BASE_HI = 0x024,
        RPCGPU_REG_RING_SIZE = 0x028, /* RW bytes: power of two, RING_MIN..RING_MAX */
        RPCGPU_REG_RING_HEAD = 0x02c, /* RO byte offset of the next command the engine will finish */
        RPCGPU_REG_RING_TAIL = 0x030, /* RW doorbell: byte offset just past the last submitted command */
        RPCGPU_REG_FENCE_LO = 0x040,  /* RO value of the last completed FENCE */
        RPCGPU_REG_FENCE_HI = 0x044,
        RPCGPU_REG_INT_STATUS = 0x050,    /* RW1C RPCGPU_INT_* */
        RPCGPU_REG_INT_MASK = 0x054,      /* RW 1 = cause masked */
        RPCGPU_REG_ERROR_STATUS = 0x060,  /* RO RPCGPU_ERR_*, 0 = none */
        RPCGPU_REG_ERROR_CMD = 0x064,     /* RO header dword of the offending command */
        RPCGPU_REG_ERROR_ADDR_LO = 0x068, /* RO offending address (or ring offset) */
        RPCGPU_REG_ERROR_ADDR_HI = 0x06c,
        RPCGPU_REG_RESET = 0x070,            /* WO any non-zero value resets the engine, ends failsafe */
        RPCGPU_REG_STATUS = 0x074,           /* RO RPCGPU_STATUS_* */
        RPCGPU_REG_ADDRESS_SPACE_LO = 0x078, /* RO value of the last emulated SET_ADDRESS_SPACE */
        RPCGPU_REG_ADDRESS_SPACE_HI = 0x07c,
        RPCGPU_REG_STAT_COMMANDS = 0x100, /* RO 64-bit counters (LO at the offset, HI at +4) */
        RPCGPU_REG_STAT_BYTES = 0x108,
        RPCGPU_REG_STAT_BUSY_NS = 0x110,
        RPCGPU_REG_STAT_FENCES = 0x118,
        RPCGPU_REG_STAT_VIOLATIONS = 0x120,
        RPCGPU_REG_ENGINE_REGS = 0x400, /* RO 64 emulated engine registers, written by REG_WRITE */
};
#define RPCGPU_ENGINE_REGS 64u

#define RPCGPU_CAP_COPY_FILL (1u << 0)
#define RPCGPU_CAP_BLIT      (1u << 1)
#define RPCGPU_CAP_BATCH     (1u << 2)
#define RPCGPU_CAP_FENCE_MEM (1u << 3)
#define RPCGPU_CAPS_ALL      0x0fu

#define RPCGPU_INT_FENCE (1u << 0)
#define RPCGPU_INT_ERROR (1u << 1)

#define RPCGPU_STATUS_BUSY     (1u << 0) /* commands are pending or executing */
#define RPCGPU_STATUS_FAILSAFE (1u << 1) /* stopped after a violation until reset */

/* Ring and batch limits. */
#define RPCGPU_RING_MIN    4096u
#define RPCGPU_RING_MAX    (1u << 20)
#define RPCGPU_BATCH_MAX   (1u << 20) /* bytes in one batch buffer */
#define RPCGPU_BATCH_DEPTH 4u         /* batches nested inside the ring, at most */
#define RPCGPU_BATCH_BUDGET                                                                                 \
        (1u << 20)                /* commands run for one top-level BATCH_START, nested ones included       \
                                   */
#define RPCGPU_CMD_MAX_DWORDS 64u /* the longest command (NOP padding included) */

/*
 * Command encoding. A command is 1..64 little-endian dwords; the first is the
 * header: opcode in bits 31..24, flags in 23..16, total length in dwords in
 * 15..0. 64-bit operands are two dwords, low first. Addresses are guest DMA
 * addresses unless a *_VRAM flag makes them offsets into the instance's VRAM.
 */
#define RPCGPU_CMD(op, flags, len) (((uint32_t) (op) << 24) | ((uint32_t) (flags) << 16) | (uint32_t) (len))
#define RPCGPU_CMD_OPCODE(h)       ((h) >> 24)
#define RPCGPU_CMD_FLAGS(h)        (((h) >> 16) & 0xffu)
#define RPCGPU_CMD_LEN(h)          ((h) &0xffffu)

enum rpcgpu_opcode {
        RPCGPU_OP_NOP = 0x00,               /* len >= 1; the rest is padding */
        RPCGPU_OP_FENCE = 0x01,             /* len 5: value(2) addr(2) */
        RPCGPU_OP_COPY = 0x02,              /* len 7: dst(2) src(2) size(2) */
        RPCGPU_OP_FILL = 0x03,              /* len 6: dst(2) size(2) pattern(1); size % 4 == 0 */
        RPCGPU_OP_BLIT = 0x04,              /* len 9: dst(2) src(2) dst_pitch src_pitch width_bytes height */
        RPCGPU_OP_BATCH_START = 0x10,       /* len 4: addr(2) size_bytes(1); size % 4 == 0 */
        RPCGPU_OP_BATCH_END = 0x11,         /* len 1 */
        RPCGPU_OP_REG_WRITE = 0x20,         /* len 3: register index, value    (sensitive) */
        RPCGPU_OP_SET_ADDRESS_SPACE = 0x21, /* len 3: page-table base(2) (sensitive) */
        RPCGPU_OP_PRIV_MMIO_WRITE = 0x22,   /* len 4: host address(2), value (sensitive, never emulated) */
};

/* Command flags. */
#define RPCGPU_F_DST_VRAM    (1u << 0)
#define RPCGPU_F_SRC_VRAM    (1u << 1)
#define RPCGPU_F_FENCE_IRQ   (1u << 4) /* FENCE: raise RPCGPU_INT_FENCE when it completes */
#define RPCGPU_F_FENCE_WRITE (1u << 5) /* FENCE: also store the 64-bit value at addr (8-byte aligned) */

/* ERROR_STATUS values: why the instance entered failsafe. */
enum rpcgpu_error {
        RPCGPU_ERR_NONE = 0,
        RPCGPU_ERR_UNKNOWN_COMMAND = 1,
        RPCGPU_ERR_BAD_LENGTH = 2,
        RPCGPU_ERR_BAD_FLAGS = 3,
        RPCGPU_ERR_BAD_OPERAND = 4,
        RPCGPU_ERR_ADDRESS = 5, /* outside the DMA mappings/VRAM, wrong permission or wrap-around */
        RPCGPU_ERR_SENSITIVE = 6,
        RPCGPU_ERR_BATCH_DEPTH = 7,
        RPCGPU_ERR_BATCH_BUDGET = 8,
        RPCGPU_ERR_BATCH_END = 9,  /* BATCH_END in the ring */
        RPCGPU_ERR_TRUNCATED = 10, /* a command runs past the submitted data or its batch */
        RPCGPU_ERR_RING = 11,      /* ring base/size/tail unusable */
        RPCGPU_ERR_MEMORY = 12,    /* guest memory vanished during an access */
        RPCGPU_ERR_MAX,
};
