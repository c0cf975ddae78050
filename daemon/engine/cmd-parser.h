/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The command parser: turns dwords the engine has already copied out of
 * guest memory into checked commands. Decoding is driven by one table, indexed
 * by opcode, that says for each command its name, its length rule, the flags
 * it may carry, whether it is sensitive, and how to read and check its
 * operands. Address operands are checked separately by cmd_resolve(), right
 * before each execution step, against the guest's DMA mappings or the
 * instance's VRAM: the mappings can change between steps, a check can't go
 * stale that way.
 *
 * Every function here returns an rpcgpu_error: RPCGPU_ERR_NONE or the reason
 * the command is refused (what the guest reads in ERROR_STATUS).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dma-map.h"
#include "vfio-user/rpc-gpu.h"

struct cmd {
        uint32_t header;
        uint8_t opcode;
        uint8_t flags;
        uint16_t len; /* dwords, header included */
        union {
                struct {
                        uint64_t value, addr;
                } fence;
                struct {
                        uint64_t dst, src, size;
                } copy;
                struct {
                        uint64_t dst, size;
                        uint32_t pattern;
                } fill;
                struct {
                        uint64_t dst, src;
                        uint32_t dst_pitch, src_pitch, width, height;
                } blit;
                struct {
                        uint64_t addr;
                        uint32_t size;
                } batch;
                struct {
                        uint32_t index, value;
                } reg;
                struct {
                        uint64_t base;
                } as;
                struct {
                        uint64_t addr;
                        uint32_t value;
                } mmio;
        } u;
};

/* Where guest addresses point: DMA mappings, or the VRAM when a *_VRAM flag says so. */
struct addr_space {
        const struct dma_map *dma;
        uint8_t *vram;
        uint64_t vram_size;
};

/*
 * Host pointers for one execution step of a command; a side in a remote
 * mapping (dma-map.h) has no pointer but its *_remote flag, and is reached
 * through messages at the command's guest address.
 */
struct cmd_target {
        uint8_t *dst;
        const uint8_t *src;
        bool dst_remote, src_remote;
};

struct cmd_desc {
        const char *name; /* NULL: no such command */
        uint16_t min_len, max_len;
        uint8_t flags; /* the flags this command may carry */
        bool sensitive;
        bool emulatable; /* a sensitive command the engine can emulate rather than only block */
        void (*decode)(const uint32_t *dw, struct cmd *c);
        enum rpcgpu_error (*check)(const struct cmd *c);
        enum rpcgpu_error (*resolve)(const struct cmd *c, const struct addr_space *as, struct cmd_target *t);
};

const struct cmd_desc *cmd_desc(uint8_t opcode);
/* Find a command by name (the sensitive-instruction list uses names): opcode or -ENOENT. */
int cmd_opcode_by_name(const char *name);

/*
 * Decode the command at dw (avail dwords available): header, length rule,
 * flags and operand rules. RPCGPU_ERR_TRUNCATED if its length runs past avail.
 */
enum rpcgpu_error cmd_decode(const uint32_t *dw, size_t avail, struct cmd *ret);

/* Check and translate every address operand of a decoded command for execution. */
enum rpcgpu_error cmd_resolve(const struct cmd *c, const struct addr_space *as, struct cmd_target *ret);

/* One address operand: the whole range in one place, with the permission the access needs, no wrap. */
static inline uint8_t *as_translate(const struct addr_space *as, bool vram, uint64_t addr, uint64_t len,
                                    uint32_t prot) {
        if (!vram)
                return dma_map_translate(as->dma, addr, len, prot);
        if (len == 0 || addr >= as->vram_size || len > as->vram_size - addr)
                return NULL;
        return as->vram + addr;
}

/* as_translate(), or a remote mapping (*remote, NULL pointer): false if neither. */
static inline bool as_target(const struct addr_space *as, bool vram, uint64_t addr, uint64_t len,
                             uint32_t prot, uint8_t **host, bool *remote) {
        *host = as_translate(as, vram, addr, len, prot);
        *remote = !*host && !vram && dma_map_remote(as->dma, addr, len, prot);
        return *host || *remote;
}

/* Bytes a BLIT touches on one side: pitch * (height - 1) + width, or UINT64_MAX on overflow. */
uint64_t blit_span(uint32_t pitch, uint32_t width, uint32_t height);
