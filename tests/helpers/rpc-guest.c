/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Guests for the RPC-mode suites (tests/integration/vgpud-rpc.bats), built on
 * the project's guest driver (src/vfio-user/guest.h):
 *
 *   rpc-guest load SOCKET SECONDS      keep the engine busy with copies in VRAM for SECONDS
 *   rpc-guest garbage SOCKET           send 64 KiB of garbage bytes, then hang up
 *   rpc-guest dma-outside SOCKET SECS  a COPY from outside the DMA mappings; prints the
 *                                      device's error status, then holds the connection
 *   rpc-guest config SOCKET            print the identity in the config space a guest reads
 *
 * Exit status 0 when the guest saw what it expected (load: every fence
 * completed; dma-outside: the device reported an ADDRESS violation).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "vfio-user/guest.h"

#define CHUNK (UINT64_C(1) << 20)

static uint64_t mono_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static int open_guest(const char *socket, struct rpcgpu_guest **ret) {
        struct rpcgpu_guest_params p = {.ram_size = RPCGPU_GUEST_DATA_OFFSET + 2 * CHUNK};
        int r = rpcgpu_guest_open(socket, &p, ret);
        if (r < 0)
                fprintf(stderr, "rpc-guest: cannot attach to %s: %s\n", socket, strerror(-r));
        return r;
}

/*
 * Keep the engine busy as tests/engine/test-engine-quota.c does: each round is
 * a batch of 64 copies of 4 MiB inside VRAM and a fence, four rounds queued at
 * any time, so the queue never runs dry while this process waits for a CPU.
 * The instance's VRAM must be at least 16 MiB.
 */
#define IN_FLIGHT 4
#define COPIES    64
static int do_load(const char *socket, unsigned seconds) {
        _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = NULL;
        uint64_t end = mono_ms() + seconds * 1000ull, fences[IN_FLIGHT] = {};
        unsigned long rounds = 0;
        unsigned at = 0;
        size_t nb = 0;
        int r;

        if (open_guest(socket, &g) < 0)
                return 1;
        uint32_t *batch = (uint32_t *) (g->ram + RPCGPU_GUEST_DATA_OFFSET);
        for (int i = 0; i < COPIES; i++)
                nb += rpcgpu_cmd_copy(batch + nb, RPCGPU_F_DST_VRAM | RPCGPU_F_SRC_VRAM,
                                      (8u << 20) + (i % 8) * 65536, 0, 4 << 20);
        while (mono_ms() < end) {
                uint32_t cmd[16];
                uint64_t fence = g->next_fence++;
                size_t n = rpcgpu_cmd_batch_start(cmd, 0, rpcgpu_guest_iova(g, RPCGPU_GUEST_DATA_OFFSET),
                                                  (uint32_t) nb * 4);
                n += rpcgpu_cmd_fence(cmd + n, RPCGPU_F_FENCE_IRQ, fence, 0);
                if ((r = rpcgpu_guest_submit(g, cmd, n)) < 0 ||
                    (fences[at] && (r = rpcgpu_guest_wait_fence(g, fences[at], 20000)) < 0)) {
                        fprintf(stderr, "rpc-guest: load: %s\n", strerror(-r));
                        return 1;
                }
                fences[at] = fence;
                at = (at + 1) % IN_FLIGHT;
                rounds++;
        }
        printf("load: %lu rounds of 256 MiB\n", rounds);
        return 0;
}

static int do_garbage(const char *path) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        uint8_t buf[4096];
        uint32_t x = 0x12345678;

        if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
                return 1;
        memcpy(sa.sun_path, path, strlen(path));
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                perror("rpc-guest: connect");
                return 1;
        }
        for (int k = 0; k < 16; k++) {
                for (size_t i = 0; i < sizeof(buf); i++) {
                        x = x * 1103515245u + 12345u; /* deterministic junk, headers included */
                        buf[i] = (uint8_t) (x >> 16);
                }
                if (send(fd, buf, sizeof(buf), MSG_NOSIGNAL) < 0)
                        break; /* the engine hung up on us: that is its right */
        }
        return 0;
}

static int do_dma_outside(const char *socket, unsigned hold) {
        _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = NULL;
        uint32_t cmds[8], status = 0;
        size_t n;
        uint64_t fence;
        int r;

        if (open_guest(socket, &g) < 0)
                return 1;
        /* 64 KiB read from far past the end of guest RAM */
        n = rpcgpu_cmd_copy(cmds, 0, rpcgpu_guest_iova(g, RPCGPU_GUEST_DATA_OFFSET),
                            RPCGPU_GUEST_RAM_IOVA + (UINT64_C(1) << 40), 65536);
        if ((r = rpcgpu_guest_submit(g, cmds, n)) < 0 || (r = rpcgpu_guest_fence(g, &fence)) < 0)
                return 1;
        r = rpcgpu_guest_wait_fence(g, fence, 5000);
        if (r != -EIO) {
                fprintf(stderr, "rpc-guest: expected failsafe, got %d\n", r);
                return 1;
        }
        if (rpcgpu_guest_read32(g, RPCGPU_REG_ERROR_STATUS, &status) < 0)
                return 1;
        printf("error_status %u\n", status);
        fflush(stdout);
        sleep(hold);
        return status == RPCGPU_ERR_ADDRESS ? 0 : 1;
}

static int do_config(const char *sock) {
        _cleanup_(vfu_client_freep) struct vfu_client *c = NULL;
        uint8_t cfg[64];
        int r;

        if ((r = vfu_client_connect(sock, &c)) < 0 || (r = vfu_client_negotiate(c)) < 0 ||
            (r = vfu_client_region_read(c, VFU_PCI_CONFIG_REGION, 0, cfg, sizeof(cfg))) < 0) {
                fprintf(stderr, "rpc-guest: %s: %s\n", sock, strerror(-r));
                return 1;
        }
        printf("id %02x%02x:%02x%02x class %02x%02x%02x subsystem %02x%02x:%02x%02x\n", cfg[1], cfg[0],
               cfg[3], cfg[2], cfg[11], cfg[10], cfg[9], cfg[0x2d], cfg[0x2c], cfg[0x2f], cfg[0x2e]);
        return 0;
}

int main(int argc, char *argv[]) {
        if (argc == 4 && streq(argv[1], "load"))
                return do_load(argv[2], (unsigned) atoi(argv[3]));
        if (argc == 3 && streq(argv[1], "config"))
                return do_config(argv[2]);
        if (argc == 3 && streq(argv[1], "garbage"))
                return do_garbage(argv[2]);
        if (argc == 4 && streq(argv[1], "dma-outside"))
                return do_dma_outside(argv[2], (unsigned) atoi(argv[3]));
        fprintf(stderr, "usage: rpc-guest load SOCKET SECONDS | garbage SOCKET | dma-outside SOCKET SECONDS "
                        "| config "
                        "SOCKET\n");
        return 2;
}
