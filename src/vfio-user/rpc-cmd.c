/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The RPC vGPU's command builders (see rpc-cmd.h). */
#include "vfio-user/rpc-cmd.h"

static void put64(uint32_t *out, uint64_t v) {
        out[0] = (uint32_t) v;
        out[1] = (uint32_t) (v >> 32);
}

size_t rpcgpu_cmd_nop(uint32_t *out, unsigned len) {
        out[0] = RPCGPU_CMD(RPCGPU_OP_NOP, 0, len);
        for (unsigned i = 1; i < len; i++)
                out[i] = 0;
        return len;
}

size_t rpcgpu_cmd_fence(uint32_t *out, uint8_t flags, uint64_t value, uint64_t addr) {
        out[0] = RPCGPU_CMD(RPCGPU_OP_FENCE, flags, 5);
        put64(out + 1, value);
        put64(out + 3, addr);
        return 5;
}

size_t rpcgpu_cmd_copy(uint32_t *out, uint8_t flags, uint64_t dst, uint64_t src, uint64_t size) {
        out[0] = RPCGPU_CMD(RPCGPU_OP_COPY, flags, 7);
        put64(out + 1, dst);
        put64(out + 3, src);
        put64(out + 5, size);
        return 7;
}

size_t rpcgpu_cmd_fill(uint32_t *out, uint8_t flags, uint64_t dst, uint64_t size, uint32_t pattern) {
        out[0] = RPCGPU_CMD(RPCGPU_OP_FILL, flags, 6);
        put64(out + 1, dst);
        put64(out + 3, size);
        out[5] = pattern;
        return 6;
}

size_t rpcgpu_cmd_blit(uint32_t *out, uint8_t flags, uint64_t dst, uint32_t dst_pitch, uint64_t src,
                       uint32_t src_pitch, uint32_t width, uint32_t height) {
        out[0] = RPCGPU_CMD(RPCGPU_OP_BLIT, flags, 9);
        put64(out + 1, dst);
        put64(out + 3, src);
        out[5] = dst_pitch;
        out[6] = src_pitch;
        out[7] = width;
        out[8] = height;
        return 9;
}

size_t rpcgpu_cmd_batch_start(uint32_t *out, uint8_t flags, uint64_t addr, uint32_t size) {
        out[0] = RPCGPU_CMD(RPCGPU_OP_BATCH_START, flags, 4);
        put64(out + 1, addr);
        out[3] = size;
        return 4;
}

size_t rpcgpu_cmd_batch_end(uint32_t *out) {
        out[0] = RPCGPU_CMD(RPCGPU_OP_BATCH_END, 0, 1);
        return 1;
}

size_t rpcgpu_cmd_reg_write(uint32_t *out, uint32_t index, uint32_t value) {
        out[0] = RPCGPU_CMD(RPCGPU_OP_REG_WRITE, 0, 3);
        out[1] = index;
        out[2] = value;
        return 3;
}

size_t rpcgpu_cmd_set_address_space(uint32_t *out, uint64_t base) {
        out[0] = RPCGPU_CMD(RPCGPU_OP_SET_ADDRESS_SPACE, 0, 3);
        put64(out + 1, base);
        return 3;
}

size_t rpcgpu_cmd_priv_mmio_write(uint32_t *out, uint64_t addr, uint32_t value) {
        out[0] = RPCGPU_CMD(RPCGPU_OP_PRIV_MMIO_WRITE, 0, 4);
        put64(out + 1, addr);
        out[3] = value;
        return 4;
}
