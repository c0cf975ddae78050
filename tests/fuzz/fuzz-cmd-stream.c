/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness: the command parser and execution. The input is a guest
 * command stream: it is decoded and checked command by command straight from
 * memory (cmd_decode/cmd_resolve against DMA mappings and VRAM), and it is
 * also the content of guest RAM with the ring pointing at it, so the whole
 * execution path runs on it: windowed fetch, nested batches (which may point
 * back into the input), the sensitive-instruction list, chunked copies,
 * fences and failsafe. Canaries around the DMA window must survive.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "device.h"
#include "log.h"

#define RAM_SIZE (512u << 10)
#define WINDOW   (128u << 10) /* what the device may touch: the start of RAM; the rest is canary */
#define RAM_IOVA 0x100000000ull

static struct device dev;
static struct sensitive_policy policy;
static int ram_fd;
static uint8_t *ram;
static uint8_t canary[RAM_SIZE - WINDOW];
static struct dma_map parser_dma;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
        log_setup("fuzz-cmd-stream");
        log_set_max_level(LOG_CRIT);
        if (sensitive_policy_parse("set-address-space=emulate", &policy) < 0)
                abort();
        ram_fd = memfd_create("guest-ram", MFD_CLOEXEC);
        if (ram_fd < 0 || ftruncate(ram_fd, RAM_SIZE) < 0)
                abort();
        ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, ram_fd, 0);
        if (ram == MAP_FAILED)
                abort();
        memset(canary, 0xc5, sizeof(canary));
        dma_map_init(&parser_dma, 4, 1ull << 40);
        struct vfu_dma_map rw = {.argsz = 32, .flags = 3, .addr = RAM_IOVA, .size = WINDOW};
        struct vfu_dma_map ro = {
                .argsz = 32, .flags = 1, .offset = WINDOW, .addr = RAM_IOVA + (1 << 30), .size = WINDOW};
        if (dma_map_add(&parser_dma, &rw, ram_fd, NULL) < 0 ||
            dma_map_add(&parser_dma, &ro, ram_fd, NULL) < 0)
                abort();
        /* One connected device for the whole run; each input starts from a device reset. */
        device_init(&dev, 1 << 20, NULL, &policy, &backend_cpu, 16, 1ull << 40);
        if (device_connect(&dev, "fuzz") < 0)
                abort();
        return 0;
}

static void reg(uint32_t off, uint32_t v) {
        device_region_write(&dev, VFU_PCI_BAR0_REGION, off, &v, 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        size_t ring = RPCGPU_RING_MIN;
        while (ring < size && ring < WINDOW) /* the ring lies inside the DMA window */
                ring *= 2;
        size = size < ring - 4 ? size : ring - 4;

        /* 1. The parser alone, straight from the input. */
        uint32_t *dw = malloc(size + 4);
        memcpy(dw, data, size);
        uint8_t vram[4096];
        struct addr_space as = {.dma = &parser_dma, .vram = vram, .vram_size = sizeof(vram)};
        for (size_t at = 0; at < size / 4;) {
                struct cmd c;
                struct cmd_target t;
                if (cmd_decode(dw + at, size / 4 - at, &c) != RPCGPU_ERR_NONE)
                        break;
                (void) cmd_resolve(&c, &as, &t);
                at += c.len;
        }
        free(dw);

        /* 2. The device: guest RAM is [window | canary], the ring at the window's start holds the input. */
        memset(ram, 0, WINDOW);
        memcpy(ram + WINDOW, canary, sizeof(canary));
        memcpy(ram, data, size);
        device_reset(&dev);
        dma_map_remove_all(&dev.dma);
        memset(dev.vram.base, 0, 65536);
        struct vfu_dma_map m = {.argsz = 32, .flags = 3, .addr = RAM_IOVA, .size = WINDOW};
        if (dma_map_add(&dev.dma, &m, ram_fd, NULL) < 0)
                abort();
        uint16_t cmd = PCI_CFG_COMMAND_MASTER | PCI_CFG_COMMAND_MEMORY;
        device_region_write(&dev, VFU_PCI_CONFIG_REGION, PCI_CFG_COMMAND, &cmd, 2);
        reg(RPCGPU_REG_RING_BASE_LO, (uint32_t) RAM_IOVA);
        reg(RPCGPU_REG_RING_BASE_HI, (uint32_t) (RAM_IOVA >> 32));
        reg(RPCGPU_REG_RING_SIZE, (uint32_t) ring);
        reg(RPCGPU_REG_RING_TAIL, (uint32_t) (size & ~3u));
        /* One short turn, as the scheduler would give: every stream is finite (batch budget), but a
         * fuzz input should take a fraction of a millisecond, not the seconds a maximal batch tree takes. */
        if (device_runnable(&dev))
                device_exec(&dev, now_ns() + 100000, NULL, NULL);
        if (memcmp(ram + WINDOW, canary, sizeof(canary)) != 0) {
                fprintf(stderr, "guest memory outside the DMA window changed\n");
                abort();
        }
        return 0;
}
