/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of daemon/engine/cmd-parser.c and sensitive.c: every command
 * decoded field by field, every way a command can be refused, and the
 * address checks against a real DMA map and VRAM.
 */

#include "unit.h"

#include <sys/mman.h>

#include "cmd-parser.h"
#include "macro.h"
#include "sensitive.h"
#include "vfio-user/guest.h"

static void test_decode_every_command(void **state) {
        uint32_t dw[16];
        struct cmd c;

        rpcgpu_cmd_nop(dw, 5);
        assert_int_equal(cmd_decode(dw, 5, &c), RPCGPU_ERR_NONE);
        assert_int_equal(c.len, 5);
        assert_int_equal(c.opcode, RPCGPU_OP_NOP);

        rpcgpu_cmd_fence(dw, RPCGPU_F_FENCE_IRQ | RPCGPU_F_FENCE_WRITE, 0x1122334455667788ull, 0x1000);
        assert_int_equal(cmd_decode(dw, 5, &c), RPCGPU_ERR_NONE);
        assert_int_equal(c.u.fence.value, 0x1122334455667788ull);
        assert_int_equal(c.u.fence.addr, 0x1000);
        assert_int_equal(c.flags, RPCGPU_F_FENCE_IRQ | RPCGPU_F_FENCE_WRITE);

        rpcgpu_cmd_copy(dw, RPCGPU_F_DST_VRAM, 0x100000000ull, 0x200000000ull, 0x300000000ull);
        assert_int_equal(cmd_decode(dw, 7, &c), RPCGPU_ERR_NONE);
        assert_int_equal(c.u.copy.dst, 0x100000000ull);
        assert_int_equal(c.u.copy.src, 0x200000000ull);
        assert_int_equal(c.u.copy.size, 0x300000000ull);

        rpcgpu_cmd_fill(dw, 0, 0x40, 64, 0xcafef00d);
        assert_int_equal(cmd_decode(dw, 6, &c), RPCGPU_ERR_NONE);
        assert_int_equal(c.u.fill.pattern, 0xcafef00d);
        assert_int_equal(c.u.fill.size, 64);

        rpcgpu_cmd_blit(dw, RPCGPU_F_SRC_VRAM, 1, 256, 2, 128, 100, 50);
        assert_int_equal(cmd_decode(dw, 9, &c), RPCGPU_ERR_NONE);
        assert_int_equal(c.u.blit.dst_pitch, 256);
        assert_int_equal(c.u.blit.src_pitch, 128);
        assert_int_equal(c.u.blit.width, 100);
        assert_int_equal(c.u.blit.height, 50);

        rpcgpu_cmd_batch_start(dw, 0, 0xabc000, 4096);
        assert_int_equal(cmd_decode(dw, 4, &c), RPCGPU_ERR_NONE);
        assert_int_equal(c.u.batch.addr, 0xabc000);
        assert_int_equal(c.u.batch.size, 4096);

        rpcgpu_cmd_batch_end(dw);
        assert_int_equal(cmd_decode(dw, 1, &c), RPCGPU_ERR_NONE);
        rpcgpu_cmd_reg_write(dw, 63, 7);
        assert_int_equal(cmd_decode(dw, 3, &c), RPCGPU_ERR_NONE);
        assert_int_equal(c.u.reg.index, 63);
        rpcgpu_cmd_set_address_space(dw, 0x123456789ull);
        assert_int_equal(cmd_decode(dw, 3, &c), RPCGPU_ERR_NONE);
        assert_int_equal(c.u.as.base, 0x123456789ull);
        rpcgpu_cmd_priv_mmio_write(dw, 0xfed00000, 9);
        assert_int_equal(cmd_decode(dw, 4, &c), RPCGPU_ERR_NONE);
        assert_int_equal(c.u.mmio.value, 9);
        assert_true(cmd_desc(RPCGPU_OP_PRIV_MMIO_WRITE)->sensitive);
        assert_false(cmd_desc(RPCGPU_OP_PRIV_MMIO_WRITE)->emulatable);
}

static void test_decode_refusals(void **state) {
        uint32_t dw[70] = {};
        struct cmd c;

        assert_int_equal(cmd_decode(dw, 0, &c), RPCGPU_ERR_TRUNCATED);
        for (unsigned op = 0; op < 256; op++) {
                dw[0] = RPCGPU_CMD(op, 0, 1);
                if (!cmd_desc((uint8_t) op)->name)
                        assert_int_equal(cmd_decode(dw, 1, &c), RPCGPU_ERR_UNKNOWN_COMMAND);
        }
        dw[0] = RPCGPU_CMD(RPCGPU_OP_NOP, 0, 0);
        assert_int_equal(cmd_decode(dw, 70, &c), RPCGPU_ERR_BAD_LENGTH);
        dw[0] = RPCGPU_CMD(RPCGPU_OP_NOP, 0, 65);
        assert_int_equal(cmd_decode(dw, 70, &c), RPCGPU_ERR_BAD_LENGTH);
        dw[0] = RPCGPU_CMD(RPCGPU_OP_COPY, 0, 8);
        assert_int_equal(cmd_decode(dw, 70, &c), RPCGPU_ERR_BAD_LENGTH);
        dw[0] = RPCGPU_CMD(RPCGPU_OP_COPY, 0, 7);
        assert_int_equal(cmd_decode(dw, 6, &c), RPCGPU_ERR_TRUNCATED);
        dw[0] = RPCGPU_CMD(RPCGPU_OP_BATCH_END, RPCGPU_F_DST_VRAM, 1);
        assert_int_equal(cmd_decode(dw, 1, &c), RPCGPU_ERR_BAD_FLAGS);
        dw[0] = RPCGPU_CMD(RPCGPU_OP_FILL, RPCGPU_F_SRC_VRAM, 6);
        assert_int_equal(cmd_decode(dw, 6, &c), RPCGPU_ERR_BAD_FLAGS);
        dw[0] = RPCGPU_CMD(RPCGPU_OP_COPY, 0x80, 7);
        assert_int_equal(cmd_decode(dw, 7, &c), RPCGPU_ERR_BAD_FLAGS);

        /* operand rules */
        rpcgpu_cmd_fill(dw, 0, 0, 6, 0);
        assert_int_equal(cmd_decode(dw, 6, &c), RPCGPU_ERR_BAD_OPERAND);
        rpcgpu_cmd_blit(dw, 0, 0, 64, 0, 128, 65, 1);
        assert_int_equal(cmd_decode(dw, 9, &c), RPCGPU_ERR_BAD_OPERAND);
        rpcgpu_cmd_blit(dw, 0, 0, 128, 0, 64, 65, 1);
        assert_int_equal(cmd_decode(dw, 9, &c), RPCGPU_ERR_BAD_OPERAND);
        rpcgpu_cmd_batch_start(dw, 0, 0, 0);
        assert_int_equal(cmd_decode(dw, 4, &c), RPCGPU_ERR_BAD_OPERAND);
        rpcgpu_cmd_batch_start(dw, 0, 0, 10);
        assert_int_equal(cmd_decode(dw, 4, &c), RPCGPU_ERR_BAD_OPERAND);
        rpcgpu_cmd_batch_start(dw, 0, 0, RPCGPU_BATCH_MAX + 4);
        assert_int_equal(cmd_decode(dw, 4, &c), RPCGPU_ERR_BAD_OPERAND);
        rpcgpu_cmd_fence(dw, RPCGPU_F_FENCE_WRITE, 1, 4);
        assert_int_equal(cmd_decode(dw, 5, &c), RPCGPU_ERR_BAD_OPERAND);
        rpcgpu_cmd_fence(dw, RPCGPU_F_DST_VRAM, 1, 8);
        assert_int_equal(cmd_decode(dw, 5, &c), RPCGPU_ERR_BAD_FLAGS);
        rpcgpu_cmd_reg_write(dw, RPCGPU_ENGINE_REGS, 1);
        assert_int_equal(cmd_decode(dw, 3, &c), RPCGPU_ERR_BAD_OPERAND);
}

/* Guest RAM: a read-write window at 0x10000 and a read-only one at 0x40000; 64 KiB of VRAM. */
struct world {
        struct dma_map dma;
        uint8_t *ram;
        uint8_t vram[65536];
        struct addr_space as;
        int fd;
};

static int world_setup(void **state) {
        struct world *w = calloc(1, sizeof(*w));
        w->fd = memfd_create("ram", MFD_CLOEXEC);
        assert_int_equal(ftruncate(w->fd, 0x20000), 0);
        dma_map_init(&w->dma, 8, 1ull << 40);
        struct vfu_dma_map rw = {.argsz = 32, .flags = 3, .addr = 0x10000, .size = 0x10000};
        struct vfu_dma_map ro = {
                .argsz = 32, .flags = 1, .offset = 0x10000, .addr = 0x40000, .size = 0x10000};
        assert_int_equal(dma_map_add(&w->dma, &rw, w->fd, NULL), 0);
        assert_int_equal(dma_map_add(&w->dma, &ro, w->fd, NULL), 0);
        w->as = (struct addr_space){.dma = &w->dma, .vram = w->vram, .vram_size = sizeof(w->vram)};
        *state = w;
        return 0;
}

static int world_teardown(void **state) {
        struct world *w = *state;
        dma_map_done(&w->dma);
        close(w->fd);
        free(w);
        return 0;
}

static enum rpcgpu_error resolve(struct world *w, const uint32_t *dw, size_t n, struct cmd_target *t) {
        struct cmd c;
        enum rpcgpu_error e = cmd_decode(dw, n, &c);
        assert_int_equal(e, RPCGPU_ERR_NONE);
        return cmd_resolve(&c, &w->as, t);
}

static void test_resolve_addresses(void **state) {
        struct world *w = *state;
        struct cmd_target t;
        uint32_t dw[16];
        const uint8_t V = RPCGPU_F_DST_VRAM, S = RPCGPU_F_SRC_VRAM;

        size_t n = rpcgpu_cmd_copy(dw, 0, 0x10000, 0x40000, 0x10000);
        assert_int_equal(resolve(w, dw, n, &t), RPCGPU_ERR_NONE);
        assert_ptr_equal(t.dst, dma_map_translate(&w->dma, 0x10000, 1, 1));
        n = rpcgpu_cmd_copy(dw, 0, 0x40000, 0x10000, 16); /* into the read-only window */
        assert_int_equal(resolve(w, dw, n, &t), RPCGPU_ERR_ADDRESS);
        n = rpcgpu_cmd_copy(dw, 0, 0x10000, 0x10000, 0x10001); /* one byte too many */
        assert_int_equal(resolve(w, dw, n, &t), RPCGPU_ERR_ADDRESS);
        n = rpcgpu_cmd_copy(dw, 0, 0x1fff0, 0x40000, 0x20); /* crosses into unmapped */
        assert_int_equal(resolve(w, dw, n, &t), RPCGPU_ERR_ADDRESS);
        n = rpcgpu_cmd_copy(dw, 0, UINT64_MAX - 7, 0x10000, 16);
        assert_int_equal(resolve(w, dw, n, &t), RPCGPU_ERR_ADDRESS);
        n = rpcgpu_cmd_copy(dw, 0, 0x99999999, 0x99999999, 0); /* nothing to touch, nothing to check */
        assert_int_equal(resolve(w, dw, n, &t), RPCGPU_ERR_NONE);
        n = rpcgpu_cmd_copy(dw, V | S, 0, 32768, 32768);
        assert_int_equal(resolve(w, dw, n, &t), RPCGPU_ERR_NONE);
        assert_ptr_equal(t.dst, w->vram);
        n = rpcgpu_cmd_copy(dw, V, 32769, 0x10000, 32768);
        assert_int_equal(resolve(w, dw, n, &t), RPCGPU_ERR_ADDRESS);
        n = rpcgpu_cmd_copy(dw, S, 0x10000, 65536, 1);
        assert_int_equal(resolve(w, dw, n, &t), RPCGPU_ERR_ADDRESS);

        n = rpcgpu_cmd_fill(dw, V, 65532, 4, 0);
        assert_int_equal(resolve(w, dw, n, &t), RPCGPU_ERR_NONE);
        n = rpcgpu_cmd_fill(dw, V, 65532, 8, 0);
        assert_int_equal(resolve(w, dw, n, &t), RPCGPU_ERR_ADDRESS);
        n = rpcgpu_cmd_fill(dw, 0, 0x40000, 4, 0);
        assert_int_equal(resolve(w, dw, n, &t), RPCGPU_ERR_ADDRESS);

        n = rpcgpu_cmd_fence(dw, RPCGPU_F_FENCE_WRITE, 1, 0x1fff8);
        assert_int_equal(resolve(w, dw, n, &t), RPCGPU_ERR_NONE);
        n = rpcgpu_cmd_fence(dw, RPCGPU_F_FENCE_WRITE, 1, 0x40000);
        assert_int_equal(resolve(w, dw, n, &t), RPCGPU_ERR_ADDRESS);
        n = rpcgpu_cmd_fence(dw, 0, 1, 0x999);
        assert_int_equal(resolve(w, dw, n, &t), RPCGPU_ERR_NONE); /* the address is unused without WRITE */

        n = rpcgpu_cmd_batch_start(dw, 0, 0x40000, 0x10000);
        assert_int_equal(resolve(w, dw, n, &t), RPCGPU_ERR_NONE); /* batches only need read access */
        n = rpcgpu_cmd_batch_start(dw, S, 65536 - 8, 16);
        assert_int_equal(resolve(w, dw, n, &t), RPCGPU_ERR_ADDRESS);
}

static void test_resolve_blit(void **state) {
        struct world *w = *state;
        struct cmd_target t;
        uint32_t dw[16];
        const uint8_t V = RPCGPU_F_DST_VRAM;

        /* 64 rows of 1 KiB pitch: the last row ends at 63 KiB + width. */
        size_t n = rpcgpu_cmd_blit(dw, V, 0, 1024, 0x10000, 1024, 1024, 64);
        assert_int_equal(resolve(w, dw, n, &t), RPCGPU_ERR_NONE);
        n = rpcgpu_cmd_blit(dw, V, 1, 1024, 0x10000, 1024, 1024, 64);
        assert_int_equal(resolve(w, dw, n, &t), RPCGPU_ERR_ADDRESS);
        n = rpcgpu_cmd_blit(dw, V, 0, UINT32_MAX, 0x10000, UINT32_MAX, 16, UINT32_MAX);
        assert_int_equal(resolve(w, dw, n, &t), RPCGPU_ERR_ADDRESS);
        n = rpcgpu_cmd_blit(dw, V, 0, 16, 0x10000, 16, 16, 0);
        assert_int_equal(resolve(w, dw, n, &t), RPCGPU_ERR_NONE); /* empty */
        assert_int_equal(blit_span(UINT32_MAX, UINT32_MAX, UINT32_MAX),
                         (uint64_t) UINT32_MAX * (UINT32_MAX - 1) + UINT32_MAX);
        assert_int_equal(blit_span(100, 10, 1), 10);
        assert_int_equal(blit_span(100, 0, 5), 0);
}

static void test_sensitive_list(void **state) {
        struct sensitive_policy p;
        char buf[256];

        sensitive_policy_default(&p);
        assert_int_equal(p.action[RPCGPU_OP_REG_WRITE], SENSITIVE_EMULATE);
        assert_int_equal(p.action[RPCGPU_OP_SET_ADDRESS_SPACE], SENSITIVE_BLOCK);
        assert_int_equal(p.action[RPCGPU_OP_PRIV_MMIO_WRITE], SENSITIVE_BLOCK);
        assert_true(sensitive_policy_format(&p, buf, sizeof(buf)) > 0);
        assert_string_equal(buf, "reg-write=emulate,set-address-space=block,priv-mmio-write=block");

        assert_int_equal(sensitive_policy_parse("set-address-space=emulate,reg-write=block", &p), 0);
        assert_int_equal(p.action[RPCGPU_OP_SET_ADDRESS_SPACE], SENSITIVE_EMULATE);
        assert_int_equal(p.action[RPCGPU_OP_REG_WRITE], SENSITIVE_BLOCK);
        assert_int_equal(sensitive_policy_parse(NULL, &p), 0);
        assert_int_equal(p.action[RPCGPU_OP_REG_WRITE], SENSITIVE_EMULATE);
        assert_int_equal(sensitive_policy_parse("", &p), 0);

        static const char *const bad[] = {
                "copy=block",              /* not sensitive */
                "nosuch=block",            /* no such command */
                "priv-mmio-write=emulate", /* cannot be emulated */
                "reg-write=allow",         /* no such action */
                "reg-write",               /* no action */
                "reg-write=block,",        /* trailing comma */
                ",reg-write=block",        /* empty item */
                "reg-write=block,,x=y",
                "reg-write=blockblockblockblockblockblockblockblockblockblockblockblockblock",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (sensitive_policy_parse(bad[i], &p) != -EINVAL)
                        fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(cmd_opcode_by_name("blit"), RPCGPU_OP_BLIT);
        assert_int_equal(cmd_opcode_by_name("BLIT"), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_decode_every_command),
                cmocka_unit_test(test_decode_refusals),
                cmocka_unit_test_setup_teardown(test_resolve_addresses, world_setup, world_teardown),
                cmocka_unit_test_setup_teardown(test_resolve_blit, world_setup, world_teardown),
                cmocka_unit_test(test_sensitive_list),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
