/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Integration: the malicious guest. Every test attacks one instance the way
 * a hostile VM or a broken client could, then the teardown proves the damage
 * is contained: the client is gone, the engine holds no descriptor more than
 * before the attack, a new guest on the same instance works, and nothing
 * outside the guest's own mappings changed (canaries around the DMA window).
 */
#include "common.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>

static struct test_server server;
static const char *sock;
static unsigned fd_baseline;

#define RAM_SIZE  (8u << 20)
#define DMA_SIZE  (6u << 20)            /* only this much of guest RAM is DMA-mapped */
#define CANARY    (RAM_SIZE - DMA_SIZE) /* the rest: the engine must never touch it */
#define RO_IOVA   0x200000000ull
#define VRAM_MIB  4u
#define DATA      RPCGPU_GUEST_DATA_OFFSET
#define IOVA(off) (RPCGPU_GUEST_RAM_IOVA + (off))

static int setup(void **state) {
        static const char *const args[] = {"--max-dma-maps", "64", "--stall-ms", "300", NULL};
        return test_server_start(&server, args);
}

static int teardown(void **state) {
        return test_server_stop(&server) == 0 ? 0 : -1;
}

static int setup_instance(void **state) {
        sock = test_server_add(&server, UUID_A, VRAM_MIB, 0, 0);
        if (!sock)
                return -1;
        fd_baseline = count_fds(server.pid);
        return 0;
}

/*
 * After every attack: the attacker is disconnected (the test closed it), the
 * engine is back to its descriptor count, and a well-behaved guest still gets
 * its work done on the same instance.
 */
static int check_contained(void **state) {
        int r = 0;
        if (test_server_wait_stat(&server, UUID_A, "connected", 0, 3000) != 0)
                r = -1;
        for (int i = 0; i < 100 && count_fds(server.pid) != fd_baseline; i++)
                usleep(10000);
        if (count_fds(server.pid) != fd_baseline) {
                fprintf(stderr, "# descriptor leak: %u open, %u before\n", count_fds(server.pid),
                        fd_baseline);
                r = -1;
        }
        struct rpcgpu_guest_params p = {.ram_size = 1 << 20};
        struct rpcgpu_guest *g = NULL;
        uint64_t fence;
        if (rpcgpu_guest_open(sock, &p, &g) < 0 || rpcgpu_guest_fence(g, &fence) < 0 ||
            rpcgpu_guest_wait_fence(g, fence, 5000) < 0) {
                fprintf(stderr, "# the instance no longer serves a good guest\n");
                r = -1;
        }
        rpcgpu_guest_close(g);
        if (test_server_wait_stat(&server, UUID_A, "connected", 0, 3000) != 0 ||
            count_fds(server.pid) != fd_baseline)
                r = -1;
        if (test_server_cmd(&server, NULL, 0, "remove %s", UUID_A) < 0)
                r = -1;
        return r;
}

/* A guest whose DMA window covers only part of its RAM; the rest is filled with a canary. */
static struct rpcgpu_guest *open_guest(void) {
        struct rpcgpu_guest_params p = {.ram_size = RAM_SIZE};
        struct rpcgpu_guest *g = NULL;
        assert_int_equal(rpcgpu_guest_open(sock, &p, &g), 0);
        assert_int_equal(vfu_client_dma_unmap(g->client, 0, 0, VFU_DMA_UNMAP_FLAG_ALL), 0);
        assert_int_equal(vfu_client_dma_map(g->client, g->ram_fd, 0, RPCGPU_GUEST_RAM_IOVA, DMA_SIZE,
                                            VFU_DMA_FLAG_READ | VFU_DMA_FLAG_WRITE),
                         0);
        memset(g->ram + DMA_SIZE, 0xc5, CANARY);
        memset(g->vram, 0x3c, g->vram_size);
        return g;
}

static void assert_canary(struct rpcgpu_guest *g) {
        for (size_t i = 0; i < CANARY; i++)
                if (g->ram[DMA_SIZE + i] != 0xc5)
                        fail_msg("canary byte %zu outside the DMA window changed", i);
}

/* Consume interrupts that already came (fences nobody waited for), so that the next wait sees a new one. */
static void drain_irq(struct rpcgpu_guest *g) {
        while (rpcgpu_guest_wait_irq(g->irq_fd, 0) == 1)
                ;
}

static uint32_t reg(struct rpcgpu_guest *g, uint32_t r) {
        uint32_t v;
        assert_int_equal(rpcgpu_guest_read32(g, r, &v), 0);
        return v;
}

/* Submit cmds; the device must refuse them with err, enter failsafe and raise the error interrupt. */
static void expect_violation(struct rpcgpu_guest *g, const uint32_t *cmds, size_t n, enum rpcgpu_error err) {
        uint64_t before = test_server_stat(&server, UUID_A, "violations");
        /* No fence: the only interrupt that can come is the error's. */
        drain_irq(g);
        assert_int_equal(rpcgpu_guest_submit(g, cmds, n), 0);
        assert_int_equal(rpcgpu_guest_wait_irq(g->irq_fd, 5000), 1);
        assert_int_equal(reg(g, RPCGPU_REG_ERROR_STATUS), err);
        assert_int_equal(reg(g, RPCGPU_REG_STATUS), RPCGPU_STATUS_FAILSAFE);
        assert_true(reg(g, RPCGPU_REG_INT_STATUS) & RPCGPU_INT_ERROR);
        assert_int_equal(test_server_stat(&server, UUID_A, "violations"), before + 1);
        assert_string_equal(test_server_state(&server, UUID_A), "failsafe");
        /* Back to work: reset the engine, acknowledge, restart the ring. */
        assert_int_equal(rpcgpu_guest_write32(g, RPCGPU_REG_RESET, 1), 0);
        assert_int_equal(rpcgpu_guest_write32(g, RPCGPU_REG_INT_STATUS, ~0u), 0);
        g->tail = 0;
        assert_int_equal(reg(g, RPCGPU_REG_ERROR_STATUS), 0);
        assert_string_equal(test_server_state(&server, UUID_A), "idle");
}

static void expect_ok(struct rpcgpu_guest *g, const uint32_t *cmds, size_t n) {
        uint64_t fence;
        if (n)
                assert_int_equal(rpcgpu_guest_submit(g, cmds, n), 0);
        assert_int_equal(rpcgpu_guest_fence(g, &fence), 0);
        assert_int_equal(rpcgpu_guest_wait_fence(g, fence, 5000), 0);
}

static void test_dma_outside_mappings(void **state) {
        _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = open_guest();
        uint32_t c[16];

        /* from, to, across the end of the window, from nowhere at all */
        expect_violation(g, c, rpcgpu_cmd_copy(c, 0, IOVA(DATA), IOVA(DMA_SIZE), 4096), RPCGPU_ERR_ADDRESS);
        expect_violation(g, c, rpcgpu_cmd_copy(c, 0, IOVA(DMA_SIZE), IOVA(DATA), 4096), RPCGPU_ERR_ADDRESS);
        expect_violation(g, c, rpcgpu_cmd_fill(c, 0, IOVA(DMA_SIZE - 4096), 8192, 0), RPCGPU_ERR_ADDRESS);
        expect_violation(g, c, rpcgpu_cmd_copy(c, 0, 0x1000, IOVA(DATA), 16), RPCGPU_ERR_ADDRESS);
        expect_violation(g, c, rpcgpu_cmd_fence(c, RPCGPU_F_FENCE_WRITE, 1, IOVA(DMA_SIZE)),
                         RPCGPU_ERR_ADDRESS);
        expect_violation(g, c, rpcgpu_cmd_blit(c, 0, IOVA(DMA_SIZE - 8192), 4096, IOVA(DATA), 4096, 64, 3),
                         RPCGPU_ERR_ADDRESS);
        /* The refused fill started inside the window: not one byte of it was written. */
        for (size_t i = DMA_SIZE - 4096; i < DMA_SIZE; i++)
                assert_int_equal(g->ram[i], 0);
        assert_canary(g);
        expect_ok(g, c, rpcgpu_cmd_fill(c, 0, IOVA(DMA_SIZE - 4096), 4096, 0x01010101));
        assert_canary(g);
}

static void test_read_only_mapping(void **state) {
        _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = open_guest();
        _cleanup_close_ int ro = new_memfd(1 << 20);
        uint8_t *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
        uint32_t c[16];

        memset(p, 0x42, 1 << 20);
        assert_int_equal(vfu_client_dma_map(g->client, ro, 0, RO_IOVA, 1 << 20, VFU_DMA_FLAG_READ), 0);
        expect_violation(g, c, rpcgpu_cmd_copy(c, 0, RO_IOVA, IOVA(DATA), 4096), RPCGPU_ERR_ADDRESS);
        expect_violation(g, c, rpcgpu_cmd_fence(c, RPCGPU_F_FENCE_WRITE, 7, RO_IOVA), RPCGPU_ERR_ADDRESS);
        for (size_t i = 0; i < 1 << 20; i++)
                assert_int_equal(p[i], 0x42);
        /* Reading from it is what it is for. */
        expect_ok(g, c, rpcgpu_cmd_copy(c, 0, IOVA(DATA), RO_IOVA, 4096));
        assert_int_equal(g->ram[DATA + 4095], 0x42);
        munmap(p, 1 << 20);
}

static void test_wraparound_and_bounds(void **state) {
        _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = open_guest();
        const uint64_t vram = (uint64_t) VRAM_MIB << 20;
        uint32_t c[16];

        expect_violation(g, c, rpcgpu_cmd_copy(c, 0, 0xfffffffffffff000ull, IOVA(DATA), 0x2000),
                         RPCGPU_ERR_ADDRESS);
        expect_violation(g, c, rpcgpu_cmd_copy(c, 0, IOVA(DATA), IOVA(DATA), UINT64_MAX),
                         RPCGPU_ERR_ADDRESS);
        expect_violation(g, c, rpcgpu_cmd_fill(c, RPCGPU_F_DST_VRAM, vram - 4, 8, 0), RPCGPU_ERR_ADDRESS);
        expect_violation(g, c, rpcgpu_cmd_fill(c, RPCGPU_F_DST_VRAM, UINT64_MAX - 3, 4, 0),
                         RPCGPU_ERR_ADDRESS);
        expect_violation(g, c, rpcgpu_cmd_copy(c, RPCGPU_F_SRC_VRAM, IOVA(DATA), vram, 1),
                         RPCGPU_ERR_ADDRESS);
        /* A blit whose last row lands past the VRAM: rows * pitch is what counts. */
        expect_violation(
                g, c, rpcgpu_cmd_blit(c, RPCGPU_F_DST_VRAM, 0, 0xffffffff, IOVA(DATA), 64, 64, 0xffffffff),
                RPCGPU_ERR_ADDRESS);
        expect_violation(g, c, rpcgpu_cmd_blit(c, RPCGPU_F_DST_VRAM, 0, 32, IOVA(DATA), 64, 64, 2),
                         RPCGPU_ERR_BAD_OPERAND);
        for (size_t i = 0; i < vram; i++)
                if (g->vram[i] != 0x3c)
                        fail_msg("VRAM byte %zu changed", i);
        assert_canary(g);
}

static void test_dma_map_abuse(void **state) {
        _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = open_guest();
        const uint32_t rw = VFU_DMA_FLAG_READ | VFU_DMA_FLAG_WRITE;
        struct vfu_client *c = g->client;
        uint32_t cmd[8];

        assert_int_equal(vfu_client_dma_map(c, g->ram_fd, 0, IOVA(4096), 4096, rw), -EEXIST);
        assert_int_equal(vfu_client_dma_map(c, g->ram_fd, 0, IOVA(DMA_SIZE - 4096), 8192, rw), -EEXIST);
        assert_int_equal(vfu_client_dma_map(c, g->ram_fd, 0, IOVA(0) - 4096, 8192, rw), -EEXIST);
        /* Unmaps as the kernel's type1: nothing there is fine; cutting the mapping is not. */
        assert_int_equal(vfu_client_dma_unmap(c, 0x7000000, 4096, 0), 0);
        assert_int_equal(vfu_client_dma_unmap(c, IOVA(0), 4096, 0), -EINVAL);
        assert_int_equal(vfu_client_dma_unmap(c, IOVA(0) - 4096, DMA_SIZE, 0), -EINVAL);
        assert_int_equal(vfu_client_dma_map(c, g->ram_fd, 0, UINT64_MAX - 4095, 8192, rw), -EINVAL);
        assert_int_equal(vfu_client_dma_map(c, g->ram_fd, 1, 0x10000000, 4096, rw), -EINVAL);
        assert_int_equal(vfu_client_dma_map(c, g->ram_fd, UINT64_MAX - 4095, 0x10000000, 4096, rw), -EINVAL);
        /* The per-connection limit (64 here): the 65th mapping is refused, nothing else breaks. */
        int i;
        for (i = 1; i < 64; i++)
                assert_int_equal(
                        vfu_client_dma_map(c, g->ram_fd, 0, 0x10000000 + (uint64_t) i * 0x10000, 4096, rw),
                        0);
        assert_int_equal(vfu_client_dma_map(c, g->ram_fd, 0, 0x10000000, 4096, rw), -ENOSPC);
        assert_int_equal(test_server_stat(&server, UUID_A, "dma_maps"), 64);
        expect_ok(g, cmd, rpcgpu_cmd_fill(cmd, 0, 0x10000000 + 0x10000, 4096, 0x09090909));
        assert_int_equal(g->ram[0], 0x09); /* those mappings all alias the start of RAM */
}

static void test_ring_pointers(void **state) {
        _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = open_guest();
        uint64_t v0 = test_server_stat(&server, UUID_A, "violations");

        /* tail past the ring, tail not dword aligned */
        assert_int_equal(rpcgpu_guest_write32(g, RPCGPU_REG_RING_TAIL, g->ring_size), 0);
        assert_int_equal(reg(g, RPCGPU_REG_ERROR_STATUS), RPCGPU_ERR_RING);
        assert_int_equal(reg(g, RPCGPU_REG_ERROR_ADDR_LO), g->ring_size);
        assert_int_equal(rpcgpu_guest_write32(g, RPCGPU_REG_RESET, 1), 0);
        assert_int_equal(rpcgpu_guest_write32(g, RPCGPU_REG_RING_TAIL, 6), 0);
        assert_int_equal(reg(g, RPCGPU_REG_ERROR_STATUS), RPCGPU_ERR_RING);
        assert_int_equal(rpcgpu_guest_write32(g, RPCGPU_REG_RESET, 1), 0);
        /* a ring size that is not a power of two */
        assert_int_equal(rpcgpu_guest_write32(g, RPCGPU_REG_RING_SIZE, 3000), 0);
        assert_int_equal(rpcgpu_guest_write32(g, RPCGPU_REG_RING_TAIL, 16), 0);
        assert_int_equal(reg(g, RPCGPU_REG_ERROR_STATUS), RPCGPU_ERR_RING);
        assert_int_equal(rpcgpu_guest_write32(g, RPCGPU_REG_RESET, 1), 0);
        /* a ring in unmapped memory, and one that runs off the end of its mapping: found when the
         * engine fetches, after the doorbell; the interrupts of the refusals above are consumed first */
        drain_irq(g);
        assert_int_equal(rpcgpu_guest_write32(g, RPCGPU_REG_RING_SIZE, 4096), 0);
        assert_int_equal(rpcgpu_guest_write32(g, RPCGPU_REG_RING_BASE_HI, 0), 0);
        assert_int_equal(rpcgpu_guest_write32(g, RPCGPU_REG_RING_TAIL, 16), 0);
        assert_int_equal(rpcgpu_guest_wait_irq(g->irq_fd, 5000), 1);
        assert_int_equal(reg(g, RPCGPU_REG_ERROR_STATUS), RPCGPU_ERR_RING);
        assert_int_equal(rpcgpu_guest_write32(g, RPCGPU_REG_RESET, 1), 0);
        drain_irq(g);
        assert_int_equal(rpcgpu_guest_write32(g, RPCGPU_REG_RING_BASE_HI, 1), 0);
        assert_int_equal(rpcgpu_guest_write32(g, RPCGPU_REG_RING_BASE_LO, DMA_SIZE - 2048), 0);
        assert_int_equal(rpcgpu_guest_write32(g, RPCGPU_REG_RING_TAIL, 16), 0);
        assert_int_equal(rpcgpu_guest_wait_irq(g->irq_fd, 5000), 1);
        assert_int_equal(reg(g, RPCGPU_REG_ERROR_STATUS), RPCGPU_ERR_RING);
        assert_int_equal(test_server_stat(&server, UUID_A, "violations"), v0 + 5);
        /* A failed engine ignores its doorbell until reset. */
        assert_int_equal(rpcgpu_guest_write32(g, RPCGPU_REG_RING_TAIL, 1), 0);
        assert_int_equal(test_server_stat(&server, UUID_A, "violations"), v0 + 5);
        assert_canary(g);
}

static void test_batch_loops(void **state) {
        _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = open_guest();
        uint32_t *b = (uint32_t *) (g->ram + DATA);
        uint32_t c[16];

        /* A batch that calls itself: stopped at the nesting limit. */
        rpcgpu_cmd_batch_start(b, 0, IOVA(DATA), 16);
        expect_violation(g, c, rpcgpu_cmd_batch_start(c, 0, IOVA(DATA), 16), RPCGPU_ERR_BATCH_DEPTH);

        /*
         * A fan-out tree inside the depth limit: four levels of 256 calls each would be 256^4
         * commands. The per-submission budget stops it after RPCGPU_BATCH_BUDGET of them.
         */
        const unsigned fan = 256;
        uint32_t *level[4];
        for (unsigned l = 0; l < 4; l++)
                level[l] = (uint32_t *) (g->ram + DATA + l * 8192);
        for (unsigned i = 0; i < fan; i++) {
                for (unsigned l = 0; l < 3; l++)
                        rpcgpu_cmd_batch_start(level[l] + 4 * i, 0, IOVA(DATA + (l + 1) * 8192), fan * 16);
                rpcgpu_cmd_nop(level[3] + 4 * i, 4);
        }
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        expect_violation(g, c, rpcgpu_cmd_batch_start(c, 0, IOVA(DATA), fan * 16), RPCGPU_ERR_BATCH_BUDGET);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        assert_true(t1.tv_sec - t0.tv_sec < 10);

        expect_violation(g, c, rpcgpu_cmd_batch_end(c), RPCGPU_ERR_BATCH_END);
        expect_violation(g, c, rpcgpu_cmd_batch_start(c, 0, IOVA(DATA), 0), RPCGPU_ERR_BAD_OPERAND);
        expect_violation(g, c, rpcgpu_cmd_batch_start(c, 0, IOVA(DATA), 6), RPCGPU_ERR_BAD_OPERAND);
        expect_violation(g, c, rpcgpu_cmd_batch_start(c, 0, IOVA(DATA), RPCGPU_BATCH_MAX + 4),
                         RPCGPU_ERR_BAD_OPERAND);
        expect_violation(g, c, rpcgpu_cmd_batch_start(c, 0, IOVA(DMA_SIZE - 8), 16), RPCGPU_ERR_ADDRESS);
        /* A command that runs past the end of its batch. */
        rpcgpu_cmd_nop(b, 1);
        rpcgpu_cmd_copy(b + 1, 0, IOVA(DATA), IOVA(DATA), 4);
        expect_violation(g, c, rpcgpu_cmd_batch_start(c, 0, IOVA(DATA), 12), RPCGPU_ERR_TRUNCATED);
        assert_canary(g);
}

static void test_malformed_commands(void **state) {
        _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = open_guest();
        uint32_t c[16];

        c[0] = RPCGPU_CMD(0x99, 0, 1);
        expect_violation(g, c, 1, RPCGPU_ERR_UNKNOWN_COMMAND);
        c[0] = RPCGPU_CMD(RPCGPU_OP_NOP, 0, 0);
        expect_violation(g, c, 1, RPCGPU_ERR_BAD_LENGTH);
        rpcgpu_cmd_fence(c, 0, 1, 0);
        c[0] = RPCGPU_CMD(RPCGPU_OP_FENCE, 0, 4);
        expect_violation(g, c, 5, RPCGPU_ERR_BAD_LENGTH);
        c[0] = RPCGPU_CMD(RPCGPU_OP_NOP, 0, 65);
        expect_violation(g, c, 1, RPCGPU_ERR_BAD_LENGTH);
        rpcgpu_cmd_copy(c, RPCGPU_F_FENCE_IRQ, IOVA(DATA), IOVA(DATA), 4);
        expect_violation(g, c, 7, RPCGPU_ERR_BAD_FLAGS);
        rpcgpu_cmd_fence(c, RPCGPU_F_DST_VRAM, 1, 0);
        expect_violation(g, c, 5, RPCGPU_ERR_BAD_FLAGS);
        expect_violation(g, c, rpcgpu_cmd_fill(c, 0, IOVA(DATA), 6, 0), RPCGPU_ERR_BAD_OPERAND);
        expect_violation(g, c, rpcgpu_cmd_fence(c, RPCGPU_F_FENCE_WRITE, 1, IOVA(DATA) + 4),
                         RPCGPU_ERR_BAD_OPERAND);
        /* Only part of a command before the doorbell's tail. */
        rpcgpu_cmd_copy(c, 0, IOVA(DATA), IOVA(DATA), 4);
        memcpy(g->ram + g->tail, c, 12);
        g->tail += 12;
        drain_irq(g);
        assert_int_equal(rpcgpu_guest_write32(g, RPCGPU_REG_RING_TAIL, g->tail), 0);
        assert_int_equal(rpcgpu_guest_wait_irq(g->irq_fd, 5000), 1);
        assert_int_equal(reg(g, RPCGPU_REG_ERROR_STATUS), RPCGPU_ERR_TRUNCATED);
        assert_canary(g);
}

static void test_sensitive_blocked(void **state) {
        _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = open_guest();
        uint32_t c[16];

        expect_violation(g, c, rpcgpu_cmd_priv_mmio_write(c, 0xfed00000, 1), RPCGPU_ERR_SENSITIVE);
        expect_violation(g, c, rpcgpu_cmd_set_address_space(c, 0x1000), RPCGPU_ERR_SENSITIVE);
        expect_violation(g, c, rpcgpu_cmd_reg_write(c, RPCGPU_ENGINE_REGS, 1), RPCGPU_ERR_BAD_OPERAND);
        /* The commands before a refused one ran; the ones after it did not. */
        size_t n = rpcgpu_cmd_fill(c, 0, IOVA(DATA), 4, 0x11111111);
        n += rpcgpu_cmd_priv_mmio_write(c + n, 0, 0);
        n += rpcgpu_cmd_fill(c + n, 0, IOVA(DATA + 4), 4, 0x22222222);
        expect_violation(g, c, n, RPCGPU_ERR_SENSITIVE);
        assert_int_equal(g->ram[DATA], 0x11);
        assert_int_equal(g->ram[DATA + 4], 0);
        assert_int_equal(reg(g, RPCGPU_REG_ADDRESS_SPACE_LO), 0);
}

/* One instance in failsafe, its neighbour keeps working; both kinds of reset bring it back. */
static void test_failsafe_isolated(void **state) {
        _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = open_guest();
        const char *sock_b = test_server_add(&server, UUID_B, 4, 0, 0);
        struct rpcgpu_guest_params p = {.ram_size = 1 << 20};
        struct rpcgpu_guest *gb = NULL;
        uint32_t c[16], cb[16];
        uint64_t fence;

        assert_non_null(sock_b);
        assert_int_equal(rpcgpu_guest_open(sock_b, &p, &gb), 0);
        c[0] = RPCGPU_CMD(0xff, 0xff, 0xffff);
        drain_irq(g);
        assert_int_equal(rpcgpu_guest_submit(g, c, 1), 0);
        assert_int_equal(rpcgpu_guest_wait_irq(g->irq_fd, 5000), 1);
        assert_int_equal(reg(g, RPCGPU_REG_STATUS), RPCGPU_STATUS_FAILSAFE);

        /* The failed guest's later work is ignored; B's runs. */
        assert_int_equal(rpcgpu_guest_submit(g, c, rpcgpu_cmd_fill(c, 0, IOVA(DATA), 4096, 0x77777777)), 0);
        assert_int_equal(rpcgpu_guest_fence(gb, &fence), 0);
        assert_int_equal(
                rpcgpu_guest_submit(gb, cb, rpcgpu_cmd_fill(cb, RPCGPU_F_DST_VRAM, 0, 4096, 0x55555555)), 0);
        assert_int_equal(rpcgpu_guest_fence(gb, &fence), 0);
        assert_int_equal(rpcgpu_guest_wait_fence(gb, fence, 5000), 0);
        assert_int_equal(gb->vram[100], 0x55);
        assert_int_equal(g->ram[DATA], 0);
        assert_string_equal(test_server_state(&server, UUID_B), "idle");
        assert_int_equal(test_server_stat(&server, UUID_B, "violations"), 0);

        /* DEVICE_RESET ends failsafe too (the driver must program the ring again). */
        assert_int_equal(vfu_client_reset(g->client), 0);
        assert_int_equal(reg(g, RPCGPU_REG_STATUS), 0);
        assert_string_equal(test_server_state(&server, UUID_A), "idle");
        rpcgpu_guest_close(gb);
        assert_int_equal(test_server_cmd(&server, NULL, 0, "remove %s", UUID_B), 0);
}

/* The client shrinks its RAM file under the engine: SIGBUS in the engine becomes the guest's failsafe. */
static void test_guest_memory_vanishes(void **state) {
        _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = open_guest();
        uint32_t c[16];
        size_t n = rpcgpu_cmd_copy(c, RPCGPU_F_DST_VRAM, 0, IOVA(DATA), 65536);

        memcpy(g->ram, c, n * 4);
        drain_irq(g);
        assert_int_equal(ftruncate(g->ram_fd, 0), 0);
        /* g->ram is gone for us too: from here on only registers. */
        assert_int_equal(rpcgpu_guest_write32(g, RPCGPU_REG_RING_TAIL, (uint32_t) n * 4), 0);
        assert_int_equal(rpcgpu_guest_wait_irq(g->irq_fd, 5000), 1);
        assert_int_equal(reg(g, RPCGPU_REG_ERROR_STATUS), RPCGPU_ERR_MEMORY);
        munmap(g->ram, g->ram_size);
        g->ram = NULL;
}

/* Descriptors where none belong, too many, the wrong kind: all closed, none kept. */
static void test_fd_flood(void **state) {
        _cleanup_(vfu_client_freep) struct vfu_client *c = raw_client(sock);
        struct vfu_device_info q = {.argsz = 16};
        uint8_t buf[32];
        int fds[20], pipefd[2];

        for (int i = 0; i < 20; i++)
                fds[i] = eventfd(0, EFD_CLOEXEC);
        vfu_put(buf, q);
        for (int round = 0; round < 300; round++)
                assert_int_equal(vfu_client_request(c, VFU_CMD_DEVICE_GET_INFO, 0, buf, 16, fds, 8, NULL),
                                 -EINVAL);
        assert_true(count_fds(server.pid) <= fd_baseline + 2); /* the connection and its VRAM */
        /* More than max_msg_fds on a command that takes them */
        struct vfu_irq_set s = {.argsz = 20,
                                .flags = VFU_IRQ_SET_DATA_EVENTFD | VFU_IRQ_SET_ACTION_TRIGGER,
                                .index = VFU_PCI_MSIX_IRQ,
                                .count = 2};
        vfu_put(buf, s);
        assert_int_equal(vfu_client_request(c, VFU_CMD_DEVICE_SET_IRQS, 0, buf, 20, fds, 16, NULL), -EINVAL);
        /* Not eventfds */
        assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
        assert_int_equal(vfu_client_set_irqs(c, VFU_PCI_MSIX_IRQ, s.flags, 0, 2, pipefd, 2, NULL), -EINVAL);
        /* Two fds for a DMA_MAP */
        struct vfu_dma_map m = {.argsz = 32, .flags = 3, .addr = 0, .size = 4096};
        vfu_put(buf, m);
        assert_int_equal(vfu_client_request(c, VFU_CMD_DMA_MAP, 0, buf, 32, fds, 2, NULL), -EINVAL);
        /* A VERSION with descriptors */
        assert_int_equal(vfu_client_request(c, VFU_CMD_VERSION, 0, "\0\0\0\0", 4, fds, 1, NULL), -EINVAL);
        assert_true(count_fds(server.pid) <= fd_baseline + 2);
        assert_true(test_server_stat(&server, UUID_A, "protocol_errors") >= 304);
        for (int i = 0; i < 20; i++)
                close(fds[i]);
        close(pipefd[0]);
        close(pipefd[1]);
}

static void test_garbage_bytes(void **state) {
        uint8_t junk[65536];
        unsigned seed = 12345;

        for (int round = 0; round < 8; round++) {
                _cleanup_(vfu_client_freep) struct vfu_client *c = NULL;
                assert_int_equal(vfu_client_connect(sock, &c), 0);
                for (size_t i = 0; i < sizeof(junk); i++)
                        junk[i] = (uint8_t) rand_r(&seed);
                if (round % 2)
                        assert_int_equal(vfu_client_negotiate(c), 0); /* garbage after a good start */
                struct iovec iov = {junk, sizeof(junk)};
                (void) vfu_send_iov(vfu_client_fd(c), &iov, 1, NULL, 0);
                /* The engine answers what it can and drops the client when the stream makes no sense. */
                vfu_client_set_timeout_ms(c, 3000);
                struct vfu_reply r;
                while (vfu_client_recv(c, &r) == 0)
                        vfu_reply_done(&r);
                assert_int_equal(test_server_wait_stat(&server, UUID_A, "connected", 0, 3000), 0);
        }
}

static void test_size_fields(void **state) {
        uint8_t buf[64] = {};
        struct vfu_reply r;

        /* Shorter than a header: unframeable, the client is dropped. */
        {
                _cleanup_(vfu_client_freep) struct vfu_client *c = raw_client(sock);
                struct vfu_hdr h = make_hdr(1, VFU_CMD_DEVICE_GET_INFO, 8, 0);
                vfu_hdr_encode(buf, &h);
                send_raw(c, buf, 16, NULL, 0);
                assert_int_equal(vfu_client_recv(c, &r), -ECONNRESET);
        }
        /* Larger than any message may be: E2BIG, then dropped. */
        {
                _cleanup_(vfu_client_freep) struct vfu_client *c = raw_client(sock);
                struct vfu_hdr h = make_hdr(2, VFU_CMD_REGION_WRITE, 0x7fffffff, 0);
                vfu_hdr_encode(buf, &h);
                send_raw(c, buf, 16, NULL, 0);
                assert_int_equal(vfu_client_recv(c, &r), 0);
                assert_int_equal(r.hdr.flags, VFU_TYPE_REPLY | VFU_FLAG_ERROR);
                assert_int_equal(r.hdr.error, E2BIG);
                assert_int_equal(r.hdr.msg_id, 2);
                vfu_reply_done(&r);
                assert_int_equal(vfu_client_recv(c, &r), -ECONNRESET);
        }
        /* Sizes that frame but disagree with the command: refused, the connection goes on. */
        {
                _cleanup_(vfu_client_freep) struct vfu_client *c = raw_client(sock);
                struct vfu_region_rw rw = {.offset = 0, .region = 0, .count = 4};
                vfu_put(buf, rw);
                assert_int_equal(vfu_client_request(c, VFU_CMD_REGION_READ, 0, buf, 24, NULL, 0, NULL),
                                 -EINVAL);
                assert_int_equal(vfu_client_request(c, VFU_CMD_REGION_READ, 0, buf, 8, NULL, 0, NULL),
                                 -EINVAL);
                rw.count = 8; /* says 8 bytes of data, carries 4 */
                vfu_put(buf, rw);
                assert_int_equal(vfu_client_request(c, VFU_CMD_REGION_WRITE, 0, buf, 20, NULL, 0, NULL),
                                 -EINVAL);
                assert_int_equal(vfu_client_request(c, VFU_CMD_DMA_MAP, 0, buf, 31, NULL, 0, NULL), -EINVAL);
                assert_int_equal(
                        vfu_client_request(c, VFU_CMD_DEVICE_GET_REGION_INFO, 0, buf, 33, NULL, 0, NULL),
                        -EINVAL);
                /* Flags the protocol does not define, an ERROR flag on a command, an unknown type. */
                assert_int_equal(vfu_client_request(c, VFU_CMD_DEVICE_RESET, 0x100, NULL, 0, NULL, 0, NULL),
                                 -EINVAL);
                assert_int_equal(
                        vfu_client_request(c, VFU_CMD_DEVICE_RESET, VFU_FLAG_ERROR, NULL, 0, NULL, 0, NULL),
                        -EINVAL);
                assert_int_equal(vfu_client_request(c, VFU_CMD_DEVICE_RESET, 0x7, NULL, 0, NULL, 0, NULL),
                                 -EINVAL);
                assert_int_equal(bar0_read32(c, RPCGPU_REG_ID), RPCGPU_ID_MAGIC);
        }
}

static void test_region_offsets(void **state) {
        _cleanup_(vfu_client_freep) struct vfu_client *c = raw_client(sock);
        uint8_t buf[16];

        for (uint32_t region = 0; region < VFU_PCI_NUM_REGIONS; region++) {
                struct vfu_region_info ri;
                assert_int_equal(vfu_client_region_info(c, region, &ri, NULL, NULL, NULL), 0);
                assert_int_equal(vfu_client_region_read(c, region, ri.size, buf, 4), -EINVAL);
                assert_int_equal(vfu_client_region_read(c, region, UINT64_MAX - 1, buf, 4), -EINVAL);
                assert_int_equal(vfu_client_region_write(c, region, ri.size, buf, 4, false), -EINVAL);
        }
        assert_int_equal(vfu_client_region_read(c, 1000, 0, buf, 4), -EINVAL);
}

/* Replies nobody asked for are dropped with their descriptors; the conversation continues. */
static void test_unsolicited_reply(void **state) {
        _cleanup_(vfu_client_freep) struct vfu_client *c = raw_client(sock);
        _cleanup_close_ int efd = eventfd(0, EFD_CLOEXEC);
        uint8_t buf[32];
        struct vfu_hdr h = make_hdr(77, VFU_CMD_DMA_READ, 32, VFU_TYPE_REPLY);

        vfu_hdr_encode(buf, &h);
        memset(buf + 16, 0xaa, 16);
        for (int i = 0; i < 50; i++)
                send_raw(c, buf, 32, &efd, 1);
        assert_int_equal(bar0_read32(c, RPCGPU_REG_ID), RPCGPU_ID_MAGIC);
        assert_true(count_fds(server.pid) <= fd_baseline + 2);
        assert_true(test_server_stat(&server, UUID_A, "protocol_errors") >= 50);
}

/* A client that stops in the middle of a message, with a descriptor in flight, then leaves. */
static void test_disconnect_mid_message(void **state) {
        for (int round = 0; round < 5; round++) {
                _cleanup_(vfu_client_freep) struct vfu_client *c = raw_client(sock);
                _cleanup_close_ int mfd = new_memfd(4096);
                uint8_t buf[26] = {};
                struct vfu_hdr h = make_hdr(1, VFU_CMD_DMA_MAP, 16 + 32, 0);
                vfu_hdr_encode(buf, &h);
                send_raw(c, buf, round % 2 ? 26 : 10, &mfd, 1);
        }
}

/* One client half-way through a message does not hold up another instance. */
static void test_stalled_client_isolated(void **state) {
        _cleanup_(vfu_client_freep) struct vfu_client *stalled = raw_client(sock);
        const char *sock_b = test_server_add(&server, UUID_B, 4, 0, 0);
        struct rpcgpu_guest_params p = {.ram_size = 1 << 20};
        struct rpcgpu_guest *gb = NULL;
        uint8_t buf[16];
        uint32_t cb[16];
        uint64_t fence;

        assert_non_null(sock_b);
        struct vfu_hdr h = make_hdr(1, VFU_CMD_REGION_WRITE, 16 + 16 + 4096, 0);
        vfu_hdr_encode(buf, &h);
        send_raw(stalled, buf, 16, NULL, 0);
        assert_int_equal(rpcgpu_guest_open(sock_b, &p, &gb), 0);
        for (int i = 0; i < 20; i++) {
                assert_int_equal(
                        rpcgpu_guest_submit(gb, cb, rpcgpu_cmd_fill(cb, RPCGPU_F_DST_VRAM, 0, 65536, i)), 0);
                assert_int_equal(rpcgpu_guest_fence(gb, &fence), 0);
                assert_int_equal(rpcgpu_guest_wait_fence(gb, fence, 5000), 0);
        }
        rpcgpu_guest_close(gb);
        assert_int_equal(test_server_cmd(&server, NULL, 0, "remove %s", UUID_B), 0);
}

static long rss_kib(pid_t pid) {
        char path[64], line[256];
        long v = -1;
        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        FILE *f = fopen(path, "re");
        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "VmRSS: %ld", &v) == 1)
                        break;
        if (f)
                fclose(f);
        return v;
}

/* A client that asks and never reads: it gets one reply's worth of buffer, then it is dropped. */
static void test_unread_replies(void **state) {
        _cleanup_(vfu_client_freep) struct vfu_client *c = raw_client(sock);
        struct vfu_region_rw rw = {.offset = 0, .region = VFU_PCI_BAR2_REGION, .count = 1 << 20};
        uint8_t req[32];
        long rss0 = rss_kib(server.pid);
        int sent = 0;

        struct vfu_hdr h = make_hdr(1, VFU_CMD_REGION_READ, 32, 0);
        vfu_hdr_encode(req, &h);
        vfu_put(req + 16, rw);
        int fl = fcntl(vfu_client_fd(c), F_GETFL);
        fcntl(vfu_client_fd(c), F_SETFL, fl | O_NONBLOCK);
        for (int i = 0; i < 2000; i++) {
                struct iovec iov = {req, 32};
                if (vfu_send_iov(vfu_client_fd(c), &iov, 1, NULL, 0) != 32)
                        break;
                sent++;
        }
        assert_true(sent > 2);
        /* Within the stall timeout (300 ms here) plus a housekeeping tick, the client is gone; meanwhile
         * the engine holds one reply for it, not the thousands of megabytes it asked for. */
        long peak = rss0;
        for (int i = 0; i < 300 && test_server_stat(&server, UUID_A, "connected") != 0; i++) {
                peak = MAX(peak, rss_kib(server.pid));
                usleep(10000);
        }
        assert_int_equal(test_server_stat(&server, UUID_A, "connected"), 0);
        fprintf(stderr,
                "# %d requests (%d MiB of replies) asked; server RSS peaked %ld KiB above its start\n", sent,
                sent, peak - rss0);
        assert_true(peak - rss0 < 16 * 1024);
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, setup_instance, check_contained)
        const struct CMUnitTest tests[] = {
                T(test_dma_outside_mappings),
                T(test_read_only_mapping),
                T(test_wraparound_and_bounds),
                T(test_dma_map_abuse),
                T(test_ring_pointers),
                T(test_batch_loops),
                T(test_malformed_commands),
                T(test_sensitive_blocked),
                T(test_failsafe_isolated),
                T(test_guest_memory_vanishes),
                T(test_fd_flood),
                T(test_garbage_bytes),
                T(test_size_fields),
                T(test_region_offsets),
                T(test_unsolicited_reply),
                T(test_disconnect_mid_message),
                T(test_stalled_client_isolated),
                T(test_unread_replies),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
