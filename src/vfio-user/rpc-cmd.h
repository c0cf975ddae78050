/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Builders of the RPC vGPU's commands (docs/engine.md, "Command set and encoding"): what a driver
 * writes into the ring or a batch buffer. libc-free and state-free, so that a guest program can be
 * built from this file alone (tests/helpers/rpc-vm-guest, linked static).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vfio-user/rpc-gpu.h"

/* Command builders: write one command at out, return its length in dwords. */
size_t rpcgpu_cmd_nop(uint32_t *out, unsigned len);
size_t rpcgpu_cmd_fence(uint32_t *out, uint8_t flags, uint64_t value, uint64_t addr);
size_t rpcgpu_cmd_copy(uint32_t *out, uint8_t flags, uint64_t dst, uint64_t src, uint64_t size);
size_t rpcgpu_cmd_fill(uint32_t *out, uint8_t flags, uint64_t dst, uint64_t size, uint32_t pattern);
size_t rpcgpu_cmd_blit(uint32_t *out, uint8_t flags, uint64_t dst, uint32_t dst_pitch, uint64_t src,
                       uint32_t src_pitch, uint32_t width, uint32_t height);
size_t rpcgpu_cmd_batch_start(uint32_t *out, uint8_t flags, uint64_t addr, uint32_t size);
size_t rpcgpu_cmd_batch_end(uint32_t *out);
size_t rpcgpu_cmd_reg_write(uint32_t *out, uint32_t index, uint32_t value);
size_t rpcgpu_cmd_set_address_space(uint32_t *out, uint64_t base);
size_t rpcgpu_cmd_priv_mmio_write(uint32_t *out, uint64_t addr, uint32_t value);
