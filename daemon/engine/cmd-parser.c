/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The table-driven command parser (see cmd-parser.h and docs/engine.md, "Command set"). */
#include <errno.h>
#include <string.h>

#include "cmd-parser.h"
#include "macro.h"

static inline uint64_t u64_at(const uint32_t *dw, unsigned i) {
        return (uint64_t) dw[i] | ((uint64_t) dw[i + 1] << 32);
}

/* NOP */
static void decode_nop(const uint32_t *dw, struct cmd *c) {
}

/* FENCE value(2) addr(2) */
static void decode_fence(const uint32_t *dw, struct cmd *c) {
        c->u.fence.value = u64_at(dw, 1);
        c->u.fence.addr = u64_at(dw, 3);
}

static enum rpcgpu_error check_fence(const struct cmd *c) {
        if ((c->flags & RPCGPU_F_FENCE_WRITE) && (c->u.fence.addr & 7))
                return RPCGPU_ERR_BAD_OPERAND;
        /* Without WRITE the address means nothing; a VRAM flag on nothing is a mistake worth reporting. */
        if (!(c->flags & RPCGPU_F_FENCE_WRITE) && (c->flags & RPCGPU_F_DST_VRAM))
                return RPCGPU_ERR_BAD_FLAGS;
        return RPCGPU_ERR_NONE;
}

static enum rpcgpu_error resolve_fence(const struct cmd *c, const struct addr_space *as,
                                       struct cmd_target *t) {
        if (!(c->flags & RPCGPU_F_FENCE_WRITE))
                return RPCGPU_ERR_NONE;
        return as_target(as, c->flags & RPCGPU_F_DST_VRAM, c->u.fence.addr, 8, VFU_DMA_FLAG_WRITE, &t->dst,
                         &t->dst_remote)
                       ? RPCGPU_ERR_NONE
                       : RPCGPU_ERR_ADDRESS;
}

/* COPY dst(2) src(2) size(2) */
static void decode_copy(const uint32_t *dw, struct cmd *c) {
        c->u.copy.dst = u64_at(dw, 1);
        c->u.copy.src = u64_at(dw, 3);
        c->u.copy.size = u64_at(dw, 5);
}

static enum rpcgpu_error resolve_copy(const struct cmd *c, const struct addr_space *as,
                                      struct cmd_target *t) {
        if (c->u.copy.size == 0)
                return RPCGPU_ERR_NONE;
        uint8_t *src;
        bool ok = as_target(as, c->flags & RPCGPU_F_DST_VRAM, c->u.copy.dst, c->u.copy.size,
                            VFU_DMA_FLAG_WRITE, &t->dst, &t->dst_remote) &&
                  as_target(as, c->flags & RPCGPU_F_SRC_VRAM, c->u.copy.src, c->u.copy.size,
                            VFU_DMA_FLAG_READ, &src, &t->src_remote);
        t->src = ok ? src : NULL;
        return ok ? RPCGPU_ERR_NONE : RPCGPU_ERR_ADDRESS;
}

/* FILL dst(2) size(2) pattern */
static void decode_fill(const uint32_t *dw, struct cmd *c) {
        c->u.fill.dst = u64_at(dw, 1);
        c->u.fill.size = u64_at(dw, 3);
        c->u.fill.pattern = dw[5];
}

static enum rpcgpu_error check_fill(const struct cmd *c) {
        return c->u.fill.size % 4 ? RPCGPU_ERR_BAD_OPERAND : RPCGPU_ERR_NONE;
}

static enum rpcgpu_error resolve_fill(const struct cmd *c, const struct addr_space *as,
                                      struct cmd_target *t) {
        if (c->u.fill.size == 0)
                return RPCGPU_ERR_NONE;
        return as_target(as, c->flags & RPCGPU_F_DST_VRAM, c->u.fill.dst, c->u.fill.size, VFU_DMA_FLAG_WRITE,
                         &t->dst, &t->dst_remote)
                       ? RPCGPU_ERR_NONE
                       : RPCGPU_ERR_ADDRESS;
}

/* BLIT dst(2) src(2) dst_pitch src_pitch width height */
static void decode_blit(const uint32_t *dw, struct cmd *c) {
        c->u.blit.dst = u64_at(dw, 1);
        c->u.blit.src = u64_at(dw, 3);
        c->u.blit.dst_pitch = dw[5];
        c->u.blit.src_pitch = dw[6];
        c->u.blit.width = dw[7];
        c->u.blit.height = dw[8];
}

uint64_t blit_span(uint32_t pitch, uint32_t width, uint32_t height) {
        if (height == 0 || width == 0)
                return 0;
        /* At most (2^32-1)^2 + 2^32: fits in 64 bits, no overflow possible. */
        return (uint64_t) pitch * (height - 1) + width;
}

static enum rpcgpu_error check_blit(const struct cmd *c) {
        /* Rows must not overlap themselves: a row is at most one pitch wide. */
        if (c->u.blit.width > c->u.blit.dst_pitch || c->u.blit.width > c->u.blit.src_pitch)
                return RPCGPU_ERR_BAD_OPERAND;
        return RPCGPU_ERR_NONE;
}

static enum rpcgpu_error resolve_blit(const struct cmd *c, const struct addr_space *as,
                                      struct cmd_target *t) {
        uint64_t dspan = blit_span(c->u.blit.dst_pitch, c->u.blit.width, c->u.blit.height);
        uint64_t sspan = blit_span(c->u.blit.src_pitch, c->u.blit.width, c->u.blit.height);
        if (dspan == 0)
                return RPCGPU_ERR_NONE;
        uint8_t *src;
        bool ok = as_target(as, c->flags & RPCGPU_F_DST_VRAM, c->u.blit.dst, dspan, VFU_DMA_FLAG_WRITE,
                            &t->dst, &t->dst_remote) &&
                  as_target(as, c->flags & RPCGPU_F_SRC_VRAM, c->u.blit.src, sspan, VFU_DMA_FLAG_READ, &src,
                            &t->src_remote);
        t->src = ok ? src : NULL;
        return ok ? RPCGPU_ERR_NONE : RPCGPU_ERR_ADDRESS;
}

/* BATCH_START addr(2) size */
static void decode_batch(const uint32_t *dw, struct cmd *c) {
        c->u.batch.addr = u64_at(dw, 1);
        c->u.batch.size = dw[3];
}

static enum rpcgpu_error check_batch(const struct cmd *c) {
        if (c->u.batch.size == 0 || c->u.batch.size % 4 || c->u.batch.size > RPCGPU_BATCH_MAX)
                return RPCGPU_ERR_BAD_OPERAND;
        return RPCGPU_ERR_NONE;
}

static enum rpcgpu_error resolve_batch(const struct cmd *c, const struct addr_space *as,
                                       struct cmd_target *t) {
        uint8_t *src;
        bool ok = as_target(as, c->flags & RPCGPU_F_SRC_VRAM, c->u.batch.addr, c->u.batch.size,
                            VFU_DMA_FLAG_READ, &src, &t->src_remote);
        t->src = src;
        return ok ? RPCGPU_ERR_NONE : RPCGPU_ERR_ADDRESS;
}

/* REG_WRITE index value */
static void decode_reg(const uint32_t *dw, struct cmd *c) {
        c->u.reg.index = dw[1];
        c->u.reg.value = dw[2];
}

static enum rpcgpu_error check_reg(const struct cmd *c) {
        return c->u.reg.index < RPCGPU_ENGINE_REGS ? RPCGPU_ERR_NONE : RPCGPU_ERR_BAD_OPERAND;
}

/* SET_ADDRESS_SPACE base(2) */
static void decode_as(const uint32_t *dw, struct cmd *c) {
        c->u.as.base = u64_at(dw, 1);
}

/* PRIV_MMIO_WRITE addr(2) value */
static void decode_mmio(const uint32_t *dw, struct cmd *c) {
        c->u.mmio.addr = u64_at(dw, 1);
        c->u.mmio.value = dw[3];
}

static const struct cmd_desc table[256] = {
        [RPCGPU_OP_NOP] = {.name = "nop",
                           .min_len = 1,
                           .max_len = RPCGPU_CMD_MAX_DWORDS,
                           .decode = decode_nop},
        [RPCGPU_OP_FENCE] = {.name = "fence",
                             .min_len = 5,
                             .max_len = 5,
                             .flags = RPCGPU_F_DST_VRAM | RPCGPU_F_FENCE_IRQ | RPCGPU_F_FENCE_WRITE,
                             .decode = decode_fence,
                             .check = check_fence,
                             .resolve = resolve_fence},
        [RPCGPU_OP_COPY] = {.name = "copy",
                            .min_len = 7,
                            .max_len = 7,
                            .flags = RPCGPU_F_DST_VRAM | RPCGPU_F_SRC_VRAM,
                            .decode = decode_copy,
                            .resolve = resolve_copy},
        [RPCGPU_OP_FILL] = {.name = "fill",
                            .min_len = 6,
                            .max_len = 6,
                            .flags = RPCGPU_F_DST_VRAM,
                            .decode = decode_fill,
                            .check = check_fill,
                            .resolve = resolve_fill},
        [RPCGPU_OP_BLIT] = {.name = "blit",
                            .min_len = 9,
                            .max_len = 9,
                            .flags = RPCGPU_F_DST_VRAM | RPCGPU_F_SRC_VRAM,
                            .decode = decode_blit,
                            .check = check_blit,
                            .resolve = resolve_blit},
        [RPCGPU_OP_BATCH_START] = {.name = "batch-start",
                                   .min_len = 4,
                                   .max_len = 4,
                                   .flags = RPCGPU_F_SRC_VRAM,
                                   .decode = decode_batch,
                                   .check = check_batch,
                                   .resolve = resolve_batch},
        [RPCGPU_OP_BATCH_END] = {.name = "batch-end", .min_len = 1, .max_len = 1, .decode = decode_nop},
        [RPCGPU_OP_REG_WRITE] = {.name = "reg-write",
                                 .min_len = 3,
                                 .max_len = 3,
                                 .sensitive = true,
                                 .emulatable = true,
                                 .decode = decode_reg,
                                 .check = check_reg},
        [RPCGPU_OP_SET_ADDRESS_SPACE] = {.name = "set-address-space",
                                         .min_len = 3,
                                         .max_len = 3,
                                         .sensitive = true,
                                         .emulatable = true,
                                         .decode = decode_as},
        [RPCGPU_OP_PRIV_MMIO_WRITE] = {.name = "priv-mmio-write",
                                       .min_len = 4,
                                       .max_len = 4,
                                       .sensitive = true,
                                       .emulatable = false,
                                       .decode = decode_mmio},
};

const struct cmd_desc *cmd_desc(uint8_t opcode) {
        return &table[opcode];
}

int cmd_opcode_by_name(const char *name) {
        for (unsigned i = 0; i < ELEMENTSOF(table); i++)
                if (table[i].name && streq(table[i].name, name))
                        return (int) i;
        return -ENOENT;
}

enum rpcgpu_error cmd_decode(const uint32_t *dw, size_t avail, struct cmd *ret) {
        if (avail == 0)
                return RPCGPU_ERR_TRUNCATED;
        uint32_t h = dw[0];
        const struct cmd_desc *d = &table[RPCGPU_CMD_OPCODE(h)];
        uint16_t len = (uint16_t) RPCGPU_CMD_LEN(h);
        uint8_t flags = (uint8_t) RPCGPU_CMD_FLAGS(h);

        if (!d->name)
                return RPCGPU_ERR_UNKNOWN_COMMAND;
        if (len < d->min_len || len > d->max_len)
                return RPCGPU_ERR_BAD_LENGTH;
        if (len > avail)
                return RPCGPU_ERR_TRUNCATED;
        if (flags & ~d->flags)
                return RPCGPU_ERR_BAD_FLAGS;

        ret->header = h;
        ret->opcode = (uint8_t) RPCGPU_CMD_OPCODE(h);
        ret->flags = flags;
        ret->len = len;
        d->decode(dw, ret);
        return d->check ? d->check(ret) : RPCGPU_ERR_NONE;
}

enum rpcgpu_error cmd_resolve(const struct cmd *c, const struct addr_space *as, struct cmd_target *ret) {
        const struct cmd_desc *d = &table[c->opcode];
        *ret = (struct cmd_target){};
        return d->resolve ? d->resolve(c, as, ret) : RPCGPU_ERR_NONE;
}
