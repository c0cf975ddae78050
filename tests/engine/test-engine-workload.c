/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Integration: a guest's life on the RPC vGPU. Each test opens the device as
 * a VM's driver would (negotiate, map guest RAM, mmap VRAM, wire interrupts,
 * program the ring), submits work, waits for the fence interrupt and checks
 * the results byte for byte, including the bytes that must not change.
 *
 * The whole set runs three times, once for each way QEMU gives guest RAM to
 * the device: a shared memfd (mapped by the engine), private RAM mapped
 * without a descriptor, and a file on an ordinary filesystem (both reached
 * through DMA_READ/DMA_WRITE, which the client answers).
 */
#include "common.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/eventfd.h>
#include <sys/vfs.h>

static struct test_server server;
static const char *sock;

#define RAM_SIZE  (8u << 20)
#define VRAM_MIB  16u
#define DATA      RPCGPU_GUEST_DATA_OFFSET
#define FENCE_IRQ RPCGPU_F_FENCE_IRQ

static int setup(void **state) {
        return test_server_start(&server, NULL);
}

static int teardown(void **state) {
        return test_server_stop(&server) == 0 ? 0 : -1;
}

static int setup_instance(void **state) {
        sock = test_server_add(&server, UUID_A, VRAM_MIB, 0, 0);
        return sock ? 0 : -1;
}

static enum rpcgpu_guest_ram ram_mode;

static int setup_memfd(void **state) {
        ram_mode = RPCGPU_RAM_MEMFD;
        return setup_instance(state);
}

static int setup_private(void **state) {
        ram_mode = RPCGPU_RAM_PRIVATE;
        return setup_instance(state);
}

static int setup_file(void **state) {
        ram_mode = RPCGPU_RAM_FILE;
        return setup_instance(state);
}

static int remove_instance(void **state) {
        return test_server_cmd(&server, NULL, 0, "remove %s", UUID_A);
}

/* RPCGPU_RAM_FILE: the build directory, which must be an ordinary filesystem (checked in main). */
#define FILE_RAM_DIR "."

static struct rpcgpu_guest *open_guest(bool msix) {
        struct rpcgpu_guest_params p = {
                .ram_size = RAM_SIZE, .msix = msix, .ram = ram_mode, .ram_dir = FILE_RAM_DIR};
        struct rpcgpu_guest *g = NULL;
        assert_int_equal(rpcgpu_guest_open(sock, &p, &g), 0);
        /* Memory the engine must not map is reached through messages, not refused. */
        assert_int_equal(test_server_stat(&server, UUID_A, "dma_remote_maps"),
                         ram_mode == RPCGPU_RAM_MEMFD ? 0 : 1);
        assert_int_equal(test_server_stat(&server, UUID_A, "dma_refused"), 0);
        return g;
}

/* Submit cmds followed by a fence with an interrupt; wait for it. */
static void run(struct rpcgpu_guest *g, const uint32_t *cmds, size_t n) {
        uint64_t fence;
        if (n)
                assert_int_equal(rpcgpu_guest_submit(g, cmds, n), 0);
        assert_int_equal(rpcgpu_guest_fence(g, &fence), 0);
        assert_int_equal(rpcgpu_guest_wait_fence(g, fence, 10000), 0);
}

static uint32_t reg(struct rpcgpu_guest *g, uint32_t r) {
        uint32_t v;
        assert_int_equal(rpcgpu_guest_read32(g, r, &v), 0);
        return v;
}

static void assert_bytes(const uint8_t *p, uint8_t v, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (p[i] != v)
                        fail_msg("byte %zu is %#x, expected %#x", i, p[i], v);
}

static void test_fill_fence_msi(void **state) {
        _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = open_guest(false);
        uint32_t cmd[16];
        size_t n = 0;

        memset(g->ram + DATA, 0xee, 3 * 4096);
        n += rpcgpu_cmd_fill(cmd + n, 0, rpcgpu_guest_iova(g, DATA + 4096), 4096, 0x01020304);
        assert_int_equal(rpcgpu_guest_submit(g, cmd, n), 0);
        uint64_t fence;
        assert_int_equal(rpcgpu_guest_fence(g, &fence), 0);
        /* The MSI eventfd fires for the fence. */
        assert_int_equal(rpcgpu_guest_wait_irq_serving(g, g->irq_fd, 5000), 1);
        assert_int_equal(rpcgpu_guest_wait_fence(g, fence, 5000), 0);
        assert_int_equal(reg(g, RPCGPU_REG_INT_STATUS) & RPCGPU_INT_FENCE, RPCGPU_INT_FENCE);
        assert_int_equal(rpcgpu_guest_write32(g, RPCGPU_REG_INT_STATUS, RPCGPU_INT_FENCE), 0);
        assert_int_equal(reg(g, RPCGPU_REG_INT_STATUS), 0);

        assert_bytes(g->ram + DATA, 0xee, 4096);
        for (size_t i = 0; i < 4096; i += 4) {
                uint32_t v;
                memcpy(&v, g->ram + DATA + 4096 + i, 4);
                assert_int_equal(v, 0x01020304);
        }
        assert_bytes(g->ram + DATA + 8192, 0xee, 4096);
        assert_int_equal(reg(g, RPCGPU_REG_RING_HEAD), reg(g, RPCGPU_REG_RING_TAIL));
        assert_int_equal(test_server_stat(&server, UUID_A, "fences"), 1);
        assert_int_equal(test_server_stat(&server, UUID_A, "commands"), 2);
        assert_int_equal(test_server_stat(&server, UUID_A, "bytes"), 4096);
        uint64_t reads, writes;
        vfu_client_dma_served(g->client, &reads, &writes);
        if (ram_mode == RPCGPU_RAM_MEMFD)
                assert_true(reads == 0 && writes == 0);
        else
                assert_true(reads > 0 &&
                            writes > 0); /* the ring was read and the FILL written by messages */
        assert_int_equal(test_server_stat(&server, UUID_A, "protocol_errors"), 0);
}

/* RAM -> VRAM -> RAM, and VRAM seen through the client's mmap. */
static void test_copy_through_vram(void **state) {
        _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = open_guest(false);
        uint32_t cmd[32];
        size_t n = 0;

        for (size_t i = 0; i < 65536; i++)
                g->ram[DATA + i] = (uint8_t) (i * 7);
        n += rpcgpu_cmd_copy(cmd + n, RPCGPU_F_DST_VRAM, 1 << 20, rpcgpu_guest_iova(g, DATA), 65536);
        n += rpcgpu_cmd_copy(cmd + n, RPCGPU_F_SRC_VRAM, rpcgpu_guest_iova(g, DATA + 65536), 1 << 20, 65536);
        run(g, cmd, n);
        assert_memory_equal(g->vram + (1 << 20), g->ram + DATA, 65536);
        assert_memory_equal(g->ram + DATA + 65536, g->ram + DATA, 65536);
        /* VRAM to VRAM */
        n = rpcgpu_cmd_copy(cmd, RPCGPU_F_DST_VRAM | RPCGPU_F_SRC_VRAM, 0, 1 << 20, 4096);
        run(g, cmd, n);
        assert_memory_equal(g->vram, g->ram + DATA, 4096);
}

/* Several MiB: runs in chunks, still one command, and overlapping copies behave like memmove. */
static void test_large_and_overlapping_copy(void **state) {
        _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = open_guest(false);
        const size_t big = 5u << 20;
        uint32_t cmd[16];
        uint8_t *ref = malloc(big);

        for (size_t i = 0; i < big; i++)
                ref[i] = (uint8_t) (i ^ (i >> 9));
        memcpy(g->vram, ref, big);
        run(g, cmd, rpcgpu_cmd_copy(cmd, RPCGPU_F_DST_VRAM | RPCGPU_F_SRC_VRAM, 8u << 20, 0, big));
        assert_memory_equal(g->vram + (8u << 20), ref, big);

        /* Destination above the source, overlapping by most of the range. */
        run(g, cmd, rpcgpu_cmd_copy(cmd, RPCGPU_F_DST_VRAM | RPCGPU_F_SRC_VRAM, 4096, 0, big));
        assert_memory_equal(g->vram + 4096, ref, big);
        /* And below. */
        memcpy(g->vram, ref, big);
        run(g, cmd, rpcgpu_cmd_copy(cmd, RPCGPU_F_DST_VRAM | RPCGPU_F_SRC_VRAM, 0, 4096, big - 4096));
        assert_memory_equal(g->vram, ref + 4096, big - 4096);
        free(ref);
}

static void test_blit(void **state) {
        _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = open_guest(false);
        const uint32_t w = 100, h = 50, spitch = 128, dpitch = 256;
        uint32_t cmd[16];

        for (uint32_t i = 0; i < spitch * h; i++)
                g->ram[DATA + i] = (uint8_t) (i % 251);
        memset(g->vram, 0x11, dpitch * h + 4096);
        run(g, cmd,
            rpcgpu_cmd_blit(cmd, RPCGPU_F_DST_VRAM, 0, dpitch, rpcgpu_guest_iova(g, DATA), spitch, w, h));
        for (uint32_t y = 0; y < h; y++) {
                assert_memory_equal(g->vram + y * dpitch, g->ram + DATA + y * spitch, w);
                assert_bytes(g->vram + y * dpitch + w, 0x11,
                             dpitch - w); /* the rest of each row is untouched */
        }
        assert_bytes(g->vram + dpitch * h, 0x11, 4096);
        assert_int_equal(test_server_stat(&server, UUID_A, "bytes"), w * h);
}

/* The ring nests batch buffers (RAM and VRAM), and a batch may end by running out. */
static void test_batches(void **state) {
        _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = open_guest(false);
        uint32_t *b1 = (uint32_t *) (g->ram + DATA), *b2 = (uint32_t *) (g->vram + 65536);
        uint32_t cmd[16];
        size_t n1 = 0, n2 = 0;

        /* batch 2 (in VRAM): a fill, then it just ends */
        n2 += rpcgpu_cmd_fill(b2 + n2, 0, rpcgpu_guest_iova(g, DATA + 8192), 256, 0xabababab);
        /* batch 1 (in RAM): nop, call batch 2, fill, end */
        n1 += rpcgpu_cmd_nop(b1 + n1, 3);
        n1 += rpcgpu_cmd_batch_start(b1 + n1, RPCGPU_F_SRC_VRAM, 65536, (uint32_t) n2 * 4);
        n1 += rpcgpu_cmd_fill(b1 + n1, 0, rpcgpu_guest_iova(g, DATA + 8192 + 256), 256, 0xcdcdcdcd);
        n1 += rpcgpu_cmd_batch_end(b1 + n1);
        n1 += rpcgpu_cmd_fill(b1 + n1, 0, rpcgpu_guest_iova(g, DATA + 8192 + 512), 256,
                              0xefefefef); /* after END */

        run(g, cmd, rpcgpu_cmd_batch_start(cmd, 0, rpcgpu_guest_iova(g, DATA), (uint32_t) n1 * 4));
        assert_bytes(g->ram + DATA + 8192, 0xab, 256);
        assert_bytes(g->ram + DATA + 8192 + 256, 0xcd, 256);
        assert_bytes(g->ram + DATA + 8192 + 512, 0, 256); /* never reached */
        assert_int_equal(reg(g, RPCGPU_REG_STATUS), 0);
}

static void test_fence_write_back(void **state) {
        _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = open_guest(false);
        uint32_t cmd[16];
        uint64_t v;

        size_t n = rpcgpu_cmd_fence(cmd, RPCGPU_F_FENCE_WRITE, 0x1122334455667788ull,
                                    rpcgpu_guest_iova(g, DATA));
        n += rpcgpu_cmd_fence(cmd + n, RPCGPU_F_FENCE_WRITE | RPCGPU_F_DST_VRAM, 42, 64);
        run(g, cmd, n);
        /* FENCE holds the largest value above, past run()'s own fence: wait for the ring to drain. */
        for (int i = 0; i < 5000 && reg(g, RPCGPU_REG_RING_HEAD) != reg(g, RPCGPU_REG_RING_TAIL); i++)
                usleep(1000);
        assert_int_equal(reg(g, RPCGPU_REG_RING_HEAD), reg(g, RPCGPU_REG_RING_TAIL));
        memcpy(&v, g->ram + DATA, 8);
        assert_int_equal(v, 0x1122334455667788ull);
        memcpy(&v, g->vram + 64, 8);
        assert_int_equal(v, 42);
}

/* reg-write is emulated by default: the value lands in the instance's own engine registers. */
static void test_sensitive_emulated(void **state) {
        _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = open_guest(false);
        uint32_t cmd[8];

        run(g, cmd, rpcgpu_cmd_reg_write(cmd, 5, 0xdeadbeef));
        assert_int_equal(reg(g, RPCGPU_REG_ENGINE_REGS + 5 * 4), 0xdeadbeef);
        assert_int_equal(reg(g, RPCGPU_REG_STATUS), 0);
}

static void test_msix_vectors(void **state) {
        _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = open_guest(true);
        uint32_t cmd[8];

        run(g, cmd, 0);
        assert_int_equal(rpcgpu_guest_wait_irq_serving(g, g->error_irq_fd, 0), 0); /* no error yet */
        /* A violation raises the error vector, not the fence vector. */
        cmd[0] = RPCGPU_CMD(0x7f, 0, 1);
        assert_int_equal(rpcgpu_guest_submit(g, cmd, 1), 0);
        assert_int_equal(rpcgpu_guest_wait_irq_serving(g, g->error_irq_fd, 5000), 1);
        assert_int_equal(reg(g, RPCGPU_REG_ERROR_STATUS), RPCGPU_ERR_UNKNOWN_COMMAND);
        assert_int_equal(rpcgpu_guest_write32(g, RPCGPU_REG_RESET, 1), 0);
        g->tail = 0; /* the reset starts the ring over */
        run(g, cmd, 0);
}

/* INTx: level-triggered, fires once, stays masked until the client unmasks. */
static void test_intx(void **state) {
        _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = open_guest(false);
        _cleanup_close_ int intx = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        const uint32_t trigger = VFU_IRQ_SET_DATA_NONE | VFU_IRQ_SET_ACTION_TRIGGER;
        const uint32_t unmask = VFU_IRQ_SET_DATA_NONE | VFU_IRQ_SET_ACTION_UNMASK;
        uint32_t cmd[8];
        uint64_t fence;

        assert_int_equal(vfu_client_set_irqs(g->client, VFU_PCI_MSI_IRQ, trigger, 0, 0, NULL, 0, NULL), 0);
        assert_int_equal(vfu_client_set_irqs(g->client, VFU_PCI_INTX_IRQ,
                                             VFU_IRQ_SET_DATA_EVENTFD | VFU_IRQ_SET_ACTION_TRIGGER, 0, 1,
                                             &intx, 1, NULL),
                         0);
        assert_int_equal(rpcgpu_guest_fence(g, &fence), 0);
        assert_int_equal(rpcgpu_guest_wait_irq_serving(g, intx, 5000), 1);
        assert_int_equal(rpcgpu_guest_wait_fence(g, fence, 5000), 0);
        /* Still asserted and automasked: a second fence does not fire again. */
        assert_int_equal(rpcgpu_guest_fence(g, &fence), 0);
        assert_int_equal(rpcgpu_guest_wait_fence(g, fence, 5000), 0);
        assert_int_equal(rpcgpu_guest_wait_irq_serving(g, intx, 100), 0);
        /* Unmask while the line is still high: fires at once. */
        assert_int_equal(vfu_client_set_irqs(g->client, VFU_PCI_INTX_IRQ, unmask, 0, 1, NULL, 0, NULL), 0);
        assert_int_equal(rpcgpu_guest_wait_irq_serving(g, intx, 5000), 1);
        /* The driver acknowledges (W1C), unmasks; the next fence fires again. */
        assert_int_equal(rpcgpu_guest_write32(g, RPCGPU_REG_INT_STATUS, RPCGPU_INT_FENCE), 0);
        assert_int_equal(vfu_client_set_irqs(g->client, VFU_PCI_INTX_IRQ, unmask, 0, 1, NULL, 0, NULL), 0);
        assert_int_equal(rpcgpu_guest_wait_irq_serving(g, intx, 100), 0);
        assert_int_equal(rpcgpu_guest_fence(g, &fence), 0);
        assert_int_equal(rpcgpu_guest_wait_irq_serving(g, intx, 5000), 1);
        assert_int_equal(rpcgpu_guest_wait_fence(g, fence, 5000), 0);
        assert_int_equal(rpcgpu_guest_write32(g, RPCGPU_REG_INT_STATUS, RPCGPU_INT_FENCE), 0);

        /*
         * QEMU with KVM's resampling irqfd: the unmask is an eventfd the end of interrupt signals. The
         * line is automasked after it fired; signalling the eventfd unmasks it, and it fires again while
         * it is still high.
         */
        _cleanup_close_ int resample = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        assert_int_equal(vfu_client_set_irqs(g->client, VFU_PCI_INTX_IRQ,
                                             VFU_IRQ_SET_DATA_EVENTFD | VFU_IRQ_SET_ACTION_UNMASK, 0, 1,
                                             &resample, 1, NULL),
                         0);
        assert_int_equal(vfu_client_set_irqs(g->client, VFU_PCI_INTX_IRQ, unmask, 0, 1, NULL, 0, NULL), 0);
        assert_int_equal(rpcgpu_guest_fence(g, &fence), 0);
        assert_int_equal(rpcgpu_guest_wait_irq_serving(g, intx, 5000), 1);
        assert_int_equal(rpcgpu_guest_wait_fence(g, fence, 5000), 0);
        assert_int_equal(rpcgpu_guest_wait_irq_serving(g, intx, 100), 0); /* automasked */
        uint64_t one = 1;
        assert_int_equal(write(resample, &one, 8), 8); /* EOI with the line still high */
        assert_int_equal(rpcgpu_guest_wait_irq_serving(g, intx, 5000), 1);
        assert_int_equal(test_server_stat(&server, UUID_A, "protocol_errors"), 0);
        (void) cmd;
}

/* A masked cause sets its status bit but sends nothing. */
static void test_interrupt_mask(void **state) {
        _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = open_guest(false);
        uint64_t fence;

        assert_int_equal(rpcgpu_guest_write32(g, RPCGPU_REG_INT_MASK, RPCGPU_INT_FENCE), 0);
        assert_int_equal(rpcgpu_guest_fence(g, &fence), 0);
        assert_int_equal(rpcgpu_guest_wait_fence(g, fence, 5000), 0);
        assert_int_equal(rpcgpu_guest_wait_irq_serving(g, g->irq_fd, 100), 0);
        assert_int_equal(reg(g, RPCGPU_REG_INT_STATUS), RPCGPU_INT_FENCE);
}

/* Enough small commands to wrap the 64 KiB ring several times; commands straddle its end. */
static void test_ring_wraps(void **state) {
        _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = open_guest(false);
        uint32_t cmd[64];

        for (unsigned round = 0; round < 600; round++) {
                size_t n = 0;
                n += rpcgpu_cmd_fill(cmd + n, 0, rpcgpu_guest_iova(g, DATA + (round % 64) * 64), 64, round);
                n += rpcgpu_cmd_nop(cmd + n, 1 + round % 7);
                n += rpcgpu_cmd_copy(cmd + n, RPCGPU_F_DST_VRAM, (round % 64) * 64,
                                     rpcgpu_guest_iova(g, DATA + (round % 64) * 64), 64);
                assert_int_equal(rpcgpu_guest_submit(g, cmd, n), 0);
        }
        run(g, cmd, 0);
        for (unsigned slot = 0; slot < 64; slot++) {
                unsigned last = slot + 64 * ((599 - slot) / 64); /* the last round that wrote this slot */
                uint32_t v;
                memcpy(&v, g->vram + slot * 64, 4);
                assert_int_equal(v, last);
        }
        assert_true(test_server_stat(&server, UUID_A, "commands") >= 1800);
}

/* BAR0 statistics agree with the engine's counters. */
static void test_device_statistics(void **state) {
        _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = open_guest(false);
        uint32_t cmd[16];
        uint64_t v;

        size_t n = rpcgpu_cmd_fill(cmd, RPCGPU_F_DST_VRAM, 0, 8192, 0);
        run(g, cmd, n);
        assert_int_equal(rpcgpu_guest_read64(g, RPCGPU_REG_STAT_BYTES, &v), 0);
        assert_int_equal(v, 8192);
        assert_int_equal(rpcgpu_guest_read64(g, RPCGPU_REG_STAT_COMMANDS, &v), 0);
        assert_int_equal(v, 2);
        assert_int_equal(rpcgpu_guest_read64(g, RPCGPU_REG_STAT_FENCES, &v), 0);
        assert_int_equal(v, 1);
        assert_int_equal(rpcgpu_guest_read64(g, RPCGPU_REG_STAT_BUSY_NS, &v), 0);
        assert_true(v > 0);
}

/*
 * The next client (the next VM) gets the device in its power-on state: every BAR0 register,
 * the statistics counters, the MSI-X table, VRAM and the interrupt state; nothing of the
 * previous tenant is visible. The host's counters keep counting across clients.
 */
static void test_next_client_power_on(void **state) {
        uint8_t first[RPCGPU_BAR0_SIZE], second[RPCGPU_BAR0_SIZE];
        {
                _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = open_guest(true);
                uint32_t cmd[32];
                size_t n = 0;
                /* Leave traces everywhere: counters, fence, engine registers, masks, VRAM, a failsafe. */
                n += rpcgpu_cmd_fill(cmd + n, RPCGPU_F_DST_VRAM, 0, 65536, 0xabcdabcd);
                n += rpcgpu_cmd_reg_write(cmd + n, 3, 0x5eed);
                run(g, cmd, n);
                assert_int_equal(rpcgpu_guest_write32(g, RPCGPU_REG_INT_MASK, RPCGPU_INT_ERROR), 0);
                n = rpcgpu_cmd_copy(cmd, 0, 0x10, 0x20, 4); /* outside every mapping: failsafe */
                assert_int_equal(rpcgpu_guest_submit(g, cmd, n), 0);
                for (int i = 0; i < 500 && !(reg(g, RPCGPU_REG_STATUS) & RPCGPU_STATUS_FAILSAFE); i++)
                        usleep(2000);
                assert_int_equal(reg(g, RPCGPU_REG_ERROR_STATUS), RPCGPU_ERR_ADDRESS);
                uint64_t v;
                assert_int_equal(rpcgpu_guest_read64(g, RPCGPU_REG_STAT_COMMANDS, &v), 0);
                assert_true(v >= 3);
                assert_int_equal(reg(g, RPCGPU_REG_ENGINE_REGS + 12), 0x5eed);
                for (uint32_t off = 0; off < RPCGPU_BAR0_SIZE; off += 4)
                        assert_int_equal(rpcgpu_guest_read32(g, off, (uint32_t *) (first + off)), 0);
        }
        assert_int_equal(test_server_wait_stat(&server, UUID_A, "connected", 0, 2000), 0);
        uint64_t host_commands = test_server_stat(&server, UUID_A, "commands");
        assert_true(host_commands >= 3);

        /* A raw client reads BAR0 before doing anything: the power-on values. */
        _cleanup_(vfu_client_freep) struct vfu_client *c = raw_client(sock);
        for (uint32_t off = 0; off < RPCGPU_BAR0_SIZE; off += 4)
                assert_int_equal(vfu_client_region_read(c, VFU_PCI_BAR0_REGION, off, second + off, 4), 0);
        for (uint32_t off = 0; off < RPCGPU_MSIX_TABLE_OFFSET; off += 4) {
                uint32_t v;
                memcpy(&v, second + off, 4);
                switch (off) {
                case RPCGPU_REG_ID:
                        assert_int_equal(v, RPCGPU_ID_MAGIC);
                        break;
                case RPCGPU_REG_VERSION:
                case RPCGPU_REG_CAPS:
                case RPCGPU_REG_VRAM_SIZE_LO:
                case RPCGPU_REG_VRAM_SIZE_HI:
                        assert_memory_equal(first + off, second + off, 4); /* identity, not state */
                        break;
                case RPCGPU_REG_STAT_BUSY_NS:
                case RPCGPU_REG_STAT_BUSY_NS + 4:
                        /* Already counts the new client's own messages (VERSION, these reads). */
                        break;
                default:
                        if (v != 0)
                                fail_msg("BAR0 register 0x%03x reads 0x%x for the next client", off, v);
                }
        }
        /* MSI-X: every vector masked again, its address and data cleared. */
        for (unsigned vec = 0; vec < RPCGPU_MSIX_VECTORS; vec++) {
                uint32_t ctl;
                memcpy(&ctl, second + RPCGPU_MSIX_TABLE_OFFSET + vec * 16 + 12, 4);
                assert_int_equal(ctl, 1);
        }
        /* VRAM is a new, zeroed memfd. */
        void *vram;
        size_t size;
        assert_int_equal(vfu_client_mmap_region(c, VFU_PCI_BAR2_REGION, &vram, &size), 0);
        assert_bytes(vram, 0, 65536);
        munmap(vram, size);
        /* The host still sees the first tenant's work. */
        assert_int_equal(test_server_stat(&server, UUID_A, "commands"), host_commands);
        assert_int_equal(test_server_stat(&server, UUID_A, "violations"), 1);
}

/*
 * A long COPY (64 MiB, and through DMA_READ messages when guest RAM is not mapped) does not hold
 * BAR accesses back until it ends: registers are answered while it runs (STATUS reads busy), which
 * is what keeps QEMU's x-msg-timeout from expiring under a busy engine.
 */
static void test_bar_access_during_long_copy(void **state) {
        _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = open_guest(false);
        const uint32_t chunk = 4u << 20;
        uint32_t cmd[16 * 7];
        size_t n = 0;

        for (size_t i = 0; i < chunk; i++)
                g->ram[DATA + i] = (uint8_t) (i * 13 + 1);
        for (unsigned k = 0; k < 16; k++)
                n += rpcgpu_cmd_copy(cmd + n, RPCGPU_F_DST_VRAM, 0, rpcgpu_guest_iova(g, DATA), chunk);
        assert_int_equal(rpcgpu_guest_submit(g, cmd, n), 0);
        unsigned answered_busy = 0;
        for (int i = 0; i < 8; i++)
                answered_busy += (reg(g, RPCGPU_REG_STATUS) & RPCGPU_STATUS_BUSY) != 0;
        assert_true(answered_busy > 0);
        uint64_t fence;
        assert_int_equal(rpcgpu_guest_fence(g, &fence), 0);
        assert_int_equal(rpcgpu_guest_wait_fence(g, fence, 60000), 0);
        assert_memory_equal(g->vram, g->ram + DATA, chunk);
        assert_int_equal(test_server_stat(&server, UUID_A, "bytes"), 16ull * chunk);
}

/* Each test under each RAM set-up: the set-up function picks the mode, the name says which. */
#define MODES(f)                                                                                            \
        {"memfd: " #f, f, setup_memfd, remove_instance, NULL},                                              \
                {"private: " #f, f, setup_private, remove_instance, NULL}, {                                \
                "file: " #f, f, setup_file, remove_instance, NULL                                           \
        }

int main(void) {
        const struct CMUnitTest tests[] = {
                MODES(test_fill_fence_msi),
                MODES(test_copy_through_vram),
                MODES(test_large_and_overlapping_copy),
                MODES(test_blit),
                MODES(test_batches),
                MODES(test_fence_write_back),
                MODES(test_sensitive_emulated),
                MODES(test_msix_vectors),
                MODES(test_intx),
                MODES(test_interrupt_mask),
                MODES(test_ring_wraps),
                MODES(test_device_statistics),
                MODES(test_next_client_power_on),
                MODES(test_bar_access_during_long_copy),
        };
        struct statfs sfs;
        if (statfs(FILE_RAM_DIR, &sfs) < 0 || sfs.f_type == TMPFS_MAGIC || sfs.f_type == HUGETLBFS_MAGIC) {
                fprintf(stderr,
                        "test-engine-workload: the build directory must be on an ordinary filesystem "
                        "(not tmpfs) for the file-backed guest RAM cases\n");
                return 1;
        }
        return cmocka_run_group_tests(tests, setup, teardown);
}
