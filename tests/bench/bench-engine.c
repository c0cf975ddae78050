/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Benchmarks of the mediation engine (issue 7). Not part of `make check`:
 * run tests/bench/run-engine-bench, which builds without sanitizers at -O2.
 *
 *   bench-engine mmio     BAR0 read round trip vs a raw UNIX-socket ping-pong of the same sizes,
 *                         interleaved pair by pair on one CPU, 5 runs: median and spread of the ratios
 *   bench-engine copy     COPY of 64 MiB through the engine vs memcpy in this process
 *   bench-engine parser   command decode + address checks, and the whole fetch/decode/run path
 *   bench-engine shares   two saturating instances at fixed shares 70/30, per 1 s window
 *   bench-engine flood    a computing guest's engine time while two others flood BAR0 reads
 *   bench-engine memory   memory and descriptors per idle instance
 *   bench-engine all
 *
 * Everything runs in this process: the engine through its public API on
 * temporary sockets, guests through the client library, exactly as in the
 * integration tests. Figures are printed, never asserted.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "device.h"
#include "engine.h"
#include "log.h"
#include "macro.h"
#include "vfio-user/codec.h"
#include "vfio-user/guest.h"

static char dir[64];
static unsigned next_uuid;

static uint64_t now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

static uint64_t percentile(uint64_t *v, size_t n, double p) {
        qsort(v, n, sizeof(*v), cmp_u64);
        return v[(size_t) (p * (double) (n - 1))];
}

static void die(int r, const char *what) {
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", what, strerror(-r));
                exit(1);
        }
}

/* An instance on e with a fresh uuid; returns its socket path. */
static const char *add_instance(struct engine *e, uint64_t vram, unsigned share, char *uuid_out) {
        static char paths[512][128];
        unsigned id = next_uuid++;
        char *path = paths[id % 512];
        char uuid[40];
        snprintf(uuid, sizeof(uuid), "%08x-0000-4000-8000-000000000000", id);
        snprintf(path, 128, "%s/%s.sock", dir, uuid);
        struct engine_instance_params p = {
                .uuid = uuid,
                .vram_size = vram,
                .share = share,
                .weight = 1,
                .socket_path = path,
                .socket_uid = (uid_t) -1,
                .socket_gid = (gid_t) -1,
        };
        die(engine_add_instance(e, &p), "add instance");
        if (uuid_out)
                strcpy(uuid_out, uuid);
        return path;
}

struct load {
        const char *sock;
        atomic_bool stop;
        int error;
};
static void *saturate(void *arg);

/* --- mmio ----------------------------------------------------------------------------------- */

static void *echo(void *arg) {
        int fd = (int) (intptr_t) arg;
        uint8_t buf[64];
        for (;;) {
                ssize_t n = recv(fd, buf, 32, MSG_WAITALL);
                if (n != 32)
                        return NULL;
                if (send(fd, buf, 36, MSG_NOSIGNAL) != 36)
                        return NULL;
        }
}

/* One run of interleaved trials: an engine BAR0 read and a raw ping-pong of the same sizes, the order
 * alternating pair by pair so that neither always goes first. Per run: the median of the pairs' ratios, and
 * p99 over p99 of the same trials. */
struct mmio_run {
        double ratio_p50, ratio_p99;
        uint64_t p50, p99, r50, r99;
};

static void mmio_run(struct rpcgpu_guest *g, int fd, int n, uint64_t *rt, uint64_t *raw, double *ratio,
                     struct mmio_run *out) {
        uint8_t req[32] = {}, rep[64];

        for (int i = 0; i < n; i++) {
                uint64_t t[3];
                uint32_t v;
                for (int k = 0; k < 2; k++) {
                        bool engine = (k == 0) == (i % 2 == 0);
                        uint64_t t0 = now();
                        if (engine)
                                die(rpcgpu_guest_read32(g, RPCGPU_REG_ID, &v), "bar0 read");
                        else if (send(fd, req, 32, MSG_NOSIGNAL) != 32 ||
                                 recv(fd, rep, 36, MSG_WAITALL) != 36)
                                die(-EIO, "ping-pong");
                        t[engine ? 0 : 1] = now() - t0;
                }
                rt[i] = t[0];
                raw[i] = t[1];
                ratio[i] = (double) t[0] / (double) (t[1] ? t[1] : 1);
        }
        qsort(ratio, (size_t) n, sizeof(double), cmp_double);
        out->ratio_p50 = ratio[n / 2];
        out->p50 = percentile(rt, (size_t) n, 0.5);
        out->p99 = percentile(rt, (size_t) n, 0.99);
        out->r50 = percentile(raw, (size_t) n, 0.5);
        out->r99 = percentile(raw, (size_t) n, 0.99);
        out->ratio_p99 = (double) out->p99 / (double) out->r99;
}

/* Every thread of the process (this one, the engine's, the echo thread: created after this, they inherit
 * it) on one CPU, the one this process runs on. Why: a wake-up across CPUs costs several times one on the
 * same CPU, and which case the engine's thread and the echo thread each fall into changed from run to run
 * (ratios of 0.4x and 4.7x minutes apart). On one CPU both paths pay the same kind of switch. BENCH_PIN=0
 * leaves the threads where the scheduler puts them. */
static int pin_to_one_cpu(void) {
        const char *env = getenv("BENCH_PIN");
        int cpu = sched_getcpu();
        cpu_set_t set;

        if ((env && streq(env, "0")) || cpu < 0)
                return -1;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        return sched_setaffinity(0, sizeof(set), &set) < 0 ? -1 : cpu;
}

static void bench_mmio(void) {
        const char *n_env =
                getenv("BENCH_MMIO_N"); /* pairs per run (default 20000), e.g. fewer under strace */
        const int N = n_env && atoi(n_env) > 0 ? atoi(n_env) : 20000, RUNS = 5;
        struct engine_params ep = {.name = "bench"};
        struct engine *e;
        struct rpcgpu_guest *g = NULL;
        struct rpcgpu_guest_params gp = {.ram_size = 1 << 20};
        uint64_t *rt = calloc(N, sizeof(uint64_t)), *raw = calloc(N, sizeof(uint64_t));
        double *ratio = calloc(N, sizeof(double)), p50s[5], p99s[5];
        struct mmio_run runs[5], warm;
        int sv[2];
        pthread_t t;

        int cpu = pin_to_one_cpu();
        die(engine_new(&ep, &e), "engine");
        die(rpcgpu_guest_open(add_instance(e, 16 << 20, 0, NULL), &gp, &g), "guest");
        /* Raw ping-pong: the same 32-byte request and 36-byte reply, a thread echoing with plain recv/send.
         */
        die(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ? -errno : 0, "socketpair");
        pthread_create(&t, NULL, echo, (void *) (intptr_t) sv[1]);

        mmio_run(g, sv[0], N, rt, raw, ratio, &warm); /* warm-up */
        for (int r = 0; r < RUNS; r++) {
                mmio_run(g, sv[0], N, rt, raw, ratio, &runs[r]);
                p50s[r] = runs[r].ratio_p50;
                p99s[r] = runs[r].ratio_p99;
                printf("mmio run %d: BAR0 read p50 %.2f us, p99 %.2f us; raw ping-pong p50 %.2f us, p99 "
                       "%.2f us; "
                       "median of pair ratios %.2fx, p99/p99 %.2fx\n",
                       r + 1, runs[r].p50 / 1e3, runs[r].p99 / 1e3, runs[r].r50 / 1e3, runs[r].r99 / 1e3,
                       runs[r].ratio_p50, runs[r].ratio_p99);
        }
        qsort(p50s, RUNS, sizeof(double), cmp_double);
        qsort(p99s, RUNS, sizeof(double), cmp_double);
        printf("mmio: engine / raw ping-pong over %d runs of %d interleaved pairs (%s): p50 %.2fx "
               "(%.2f-%.2f), "
               "p99 %.2fx (%.2f-%.2f) (target <= 1.5x)\n",
               RUNS, N, cpu >= 0 ? "all threads on one CPU" : "not pinned", p50s[RUNS / 2], p50s[0],
               p50s[RUNS - 1], p99s[RUNS / 2], p99s[0], p99s[RUNS - 1]);
        close(sv[0]);
        pthread_join(t, NULL);
        close(sv[1]);

        /* The same reads while another instance keeps the engine busy with 4 MiB copies. */
        struct load l = {.sock = add_instance(e, 16 << 20, 0, NULL)};
        pthread_t tl;
        pthread_create(&tl, NULL, saturate, &l);
        struct timespec warmup = {0, 200000000L};
        nanosleep(&warmup, NULL);
        for (int i = 0; i < N / 4; i++) {
                uint32_t v;
                uint64_t t0 = now();
                die(rpcgpu_guest_read32(g, RPCGPU_REG_ID, &v), "bar0 read");
                rt[i] = now() - t0;
        }
        atomic_store(&l.stop, true);
        pthread_join(tl, NULL);
        printf("mmio: the same read while another instance saturates the engine: p50 %.2f us, p99 %.2f us\n",
               percentile(rt, N / 4, 0.5) / 1e3, percentile(rt, N / 4, 0.99) / 1e3);

        rpcgpu_guest_close(g);
        engine_free(e);
        free(rt);
        free(raw);
        free(ratio);
        /* The other benchmarks run where the scheduler puts them. */
        if (cpu >= 0) {
                cpu_set_t all;
                CPU_ZERO(&all);
                for (int c = 0; c < CPU_SETSIZE; c++)
                        CPU_SET(c, &all);
                (void) sched_setaffinity(0, sizeof(all), &all);
        }
}

/* --- copy ----------------------------------------------------------------------------------- */

static void bench_copy(void) {
        const size_t size = 64u << 20;
        struct engine_params ep = {.name = "bench"};
        struct engine *e;
        struct rpcgpu_guest *g = NULL;
        struct rpcgpu_guest_params gp = {.ram_size = 2 * size + (1 << 20)};
        uint64_t best_engine = UINT64_MAX, best_memcpy = UINT64_MAX, best_chunked = UINT64_MAX;

        die(engine_new(&ep, &e), "engine");
        die(rpcgpu_guest_open(add_instance(e, 16 << 20, 0, NULL), &gp, &g), "guest");
        uint8_t *src = g->ram + (1 << 20), *dst = src + size;
        memset(src, 0x5a, size);
        memset(dst, 0, size); /* both buffers faulted in for everyone */

        for (int i = 0; i < 7; i++) {
                uint32_t cmd[16];
                uint64_t fence;
                size_t n = rpcgpu_cmd_copy(cmd, 0, rpcgpu_guest_iova(g, 2 * (1 << 20) + size - (1 << 20)),
                                           rpcgpu_guest_iova(g, 1 << 20), size);
                uint64_t t0 = now();
                die(rpcgpu_guest_submit(g, cmd, n), "submit");
                die(rpcgpu_guest_fence(g, &fence), "fence");
                die(rpcgpu_guest_wait_fence(g, fence, 10000), "wait");
                best_engine = MIN(best_engine, now() - t0);

                t0 = now();
                memcpy(dst, src, size);
                best_memcpy = MIN(best_memcpy, now() - t0);

                t0 = now();
                for (size_t o = 0; o < size; o += EXEC_CHUNK)
                        memcpy(dst + o, src + o, EXEC_CHUNK);
                best_chunked = MIN(best_chunked, now() - t0);
        }
        if (memcmp(dst, src, size) != 0)
                die(-EIO, "copy result");
        double ge = size / (best_engine / 1e9) / 1e9, gm = size / (best_memcpy / 1e9) / 1e9,
               gc = size / (best_chunked / 1e9) / 1e9;
        printf("copy: 64 MiB COPY through the engine (doorbell to fence, 3 MMIO round trips included) "
               "%.2f GB/s; memcpy of 64 MiB in one call %.2f GB/s (%.0f %%); memcpy in %u KiB pieces %.2f "
               "GB/s "
               "(%.0f %%) (target >= 90 %%)\n",
               ge, gm, 100 * ge / gm, EXEC_CHUNK >> 10, gc, 100 * ge / gc);
        rpcgpu_guest_close(g);
        engine_free(e);
}

/* --- parser --------------------------------------------------------------------------------- */

static size_t make_stream(uint32_t *s, size_t max_dw, uint64_t ram, uint64_t *bytes_out) {
        size_t n = 0;
        unsigned i = 0;
        while (n + 16 < max_dw) {
                switch (i++ % 6) {
                case 0:
                        n += rpcgpu_cmd_copy(s + n, 0, ram + 64, ram + 4096, 0);
                        break;
                case 1:
                        n += rpcgpu_cmd_fill(s + n, RPCGPU_F_DST_VRAM, 128, 0, 0);
                        break;
                case 2:
                        n += rpcgpu_cmd_blit(s + n, RPCGPU_F_DST_VRAM, 0, 256, ram, 256, 64, 0);
                        break;
                case 3:
                        n += rpcgpu_cmd_nop(s + n, 2);
                        break;
                case 4:
                        n += rpcgpu_cmd_reg_write(s + n, i % 64, i);
                        break;
                default:
                        n += rpcgpu_cmd_fence(s + n, 0, i, 0);
                        break;
                }
        }
        *bytes_out = n * 4;
        return n;
}

static void bench_parser(void) {
        const size_t DW = 1u << 20; /* a 4 MiB command stream */
        uint32_t *s = malloc(DW * 4);
        struct dma_map dma;
        int fd = memfd_create("ram", MFD_CLOEXEC);
        uint8_t *vram = calloc(1, 1 << 20);
        uint64_t bytes, ncmd = 0;

        ftruncate(fd, 16 << 20);
        dma_map_init(&dma, 64, 1ull << 40);
        for (int i = 0; i < 16; i++) { /* a realistic handful of guest RAM mappings */
                struct vfu_dma_map m = {.argsz = 32,
                                        .flags = 3,
                                        .offset = (uint64_t) i << 20,
                                        .addr = 0x100000000ull + ((uint64_t) i << 24),
                                        .size = 1 << 20};
                die(dma_map_add(&dma, &m, fd, NULL), "map");
        }
        /* Zero-sized operands keep the measurement on the parser, not on memmove. */
        size_t n = make_stream(s, DW, 0x100000000ull + (5ull << 24), &bytes);
        struct addr_space as = {.dma = &dma, .vram = vram, .vram_size = 1 << 20};
        uint64_t best = UINT64_MAX;
        for (int round = 0; round < 5; round++) {
                uint64_t t0 = now();
                ncmd = 0;
                for (size_t at = 0; at < n;) {
                        struct cmd c;
                        struct cmd_target t;
                        if (cmd_decode(s + at, n - at, &c) != RPCGPU_ERR_NONE)
                                die(-EINVAL, "decode");
                        if (cmd_resolve(&c, &as, &t) != RPCGPU_ERR_NONE)
                                die(-EINVAL, "resolve");
                        at += c.len;
                        ncmd++;
                }
                best = MIN(best, now() - t0);
        }
        printf("parser: decode + address checks %.2f GB/s of command stream (%.0f M commands/s, 16 "
               "mappings) "
               "(target >= 2 GB/s)\n",
               bytes / (best / 1e9) / 1e9, ncmd / (best / 1e9) / 1e6);

        /* The whole path inside the engine: fetch from guest memory through the window, decode, run. */
        struct sensitive_policy pol;
        struct device d;
        sensitive_policy_default(&pol);
        device_init(&d, 1 << 20, NULL, &pol, &backend_cpu, 64, 1ull << 40);
        die(device_connect(&d, "bench"), "connect");
        struct vfu_dma_map m = {.argsz = 32, .flags = 3, .addr = 0x100000000ull, .size = 1 << 20};
        die(dma_map_add(&d.dma, &m, fd, NULL), "map");
        uint8_t *ring = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        size_t rn = make_stream((uint32_t *) ring, (RPCGPU_RING_MAX - 4096) / 4, 0x100000000ull, &bytes);
        uint16_t cmdreg = 6;
        uint32_t v;
        device_region_write(&d, VFU_PCI_CONFIG_REGION, 4, &cmdreg, 2);
        best = UINT64_MAX;
        for (int round = 0; round < 5; round++) {
                v = 0x100000000ull & 0xffffffff;
                device_region_write(&d, VFU_PCI_BAR0_REGION, RPCGPU_REG_RING_BASE_LO, &v, 4);
                v = 1;
                device_region_write(&d, VFU_PCI_BAR0_REGION, RPCGPU_REG_RING_BASE_HI, &v, 4);
                v = RPCGPU_RING_MAX;
                device_region_write(&d, VFU_PCI_BAR0_REGION, RPCGPU_REG_RING_SIZE, &v, 4);
                v = (uint32_t) rn * 4;
                uint64_t t0 = now();
                device_region_write(&d, VFU_PCI_BAR0_REGION, RPCGPU_REG_RING_TAIL, &v, 4);
                while (device_runnable(&d))
                        device_exec(&d, UINT64_MAX, NULL, NULL);
                best = MIN(best, now() - t0);
                if (d.failsafe)
                        die(-EIO, "stream refused");
        }
        printf("parser: the engine's whole path (copy out of guest memory, decode, check, run) %.2f GB/s of "
               "command stream\n",
               bytes / (best / 1e9) / 1e9);
        munmap(ring, 1 << 20);
        device_done(&d);
        dma_map_done(&dma);
        close(fd);
        free(vram);
        free(s);
}

/* --- shares --------------------------------------------------------------------------------- */

static void *saturate(void *arg) {
        struct load *l = arg;
        struct rpcgpu_guest_params p = {.ram_size = 1 << 20};
        struct rpcgpu_guest *g = NULL;
        uint64_t fences[4] = {};
        unsigned at = 0;

        l->error = rpcgpu_guest_open(l->sock, &p, &g);
        if (l->error < 0)
                return NULL;
        uint32_t *batch = (uint32_t *) (g->ram + RPCGPU_GUEST_DATA_OFFSET);
        size_t nb = 0;
        for (int i = 0; i < 64; i++)
                nb += rpcgpu_cmd_copy(batch + nb, RPCGPU_F_DST_VRAM | RPCGPU_F_SRC_VRAM,
                                      (8u << 20) + (i % 8) * 65536, 0, 4 << 20);
        while (!atomic_load(&l->stop)) {
                uint32_t cmd[16];
                uint64_t fence = g->next_fence++;
                size_t n = rpcgpu_cmd_batch_start(cmd, 0, rpcgpu_guest_iova(g, RPCGPU_GUEST_DATA_OFFSET),
                                                  (uint32_t) nb * 4);
                n += rpcgpu_cmd_fence(cmd + n, RPCGPU_F_FENCE_IRQ, fence, 0);
                if ((l->error = rpcgpu_guest_submit(g, cmd, n)) < 0)
                        break;
                if (fences[at] && (l->error = rpcgpu_guest_wait_fence(g, fences[at], 20000)) < 0)
                        break;
                fences[at] = fence;
                at = (at + 1) % 4;
        }
        rpcgpu_guest_close(g);
        return NULL;
}

static void bench_shares(void) {
        const int windows = 5;
        struct engine_params ep = {.name = "bench", .policy = ENGINE_POLICY_FIXED_SHARE};
        struct engine *e;
        char ua[40], ub[40];
        struct load la = {}, lb = {};
        pthread_t ta, tb;
        double worst = 0;

        die(engine_new(&ep, &e), "engine");
        la.sock = add_instance(e, 16 << 20, 70, ua);
        lb.sock = add_instance(e, 16 << 20, 30, ub);
        pthread_create(&ta, NULL, saturate, &la);
        pthread_create(&tb, NULL, saturate, &lb);
        struct timespec warm = {0, 300000000L};
        nanosleep(&warm, NULL);

        struct engine_instance_stats a0, b0, a1, b1;
        engine_get_stats(e, ua, &a0);
        engine_get_stats(e, ub, &b0);
        uint64_t t0 = now();
        for (int w = 0; w < windows; w++) {
                struct timespec one = {1, 0};
                nanosleep(&one, NULL);
                engine_get_stats(e, ua, &a1);
                engine_get_stats(e, ub, &b1);
                uint64_t t1 = now();
                double span = (double) (t1 - t0);
                double sa = (double) (a1.busy_ns - a0.busy_ns) / span,
                       sb = (double) (b1.busy_ns - b0.busy_ns) / span;
                double rel = sa / (sa + sb);
                printf("shares: window %d: A %.1f %%, B %.1f %% of engine time (A %.1f %% of busy time); "
                       "engine "
                       "reports A %.1f %%, B %.1f %%\n",
                       w + 1, 100 * sa, 100 * sb, 100 * rel, a1.share_ppm / 1e4, b1.share_ppm / 1e4);
                worst = MAX(worst, MAX(fabs(sa - 0.7), fabs(sb - 0.3)));
                a0 = a1;
                b0 = b1;
                t0 = t1;
        }
        printf("shares: fixed 70/30, worst deviation over %d windows of 1 s: %.1f points (target +-2)\n",
               windows, 100 * worst);
        atomic_store(&la.stop, true);
        atomic_store(&lb.stop, true);
        pthread_join(ta, NULL);
        pthread_join(tb, NULL);
        engine_free(e);
}

/* --- flood ---------------------------------------------------------------------------------- */

struct flooder {
        const char *sock;
        atomic_bool stop;
        uint64_t reads;
};

/* A guest that does nothing but MMIO: BAR0 reads pipelined 32 at a time, then their replies. */
static void *flood(void *arg) {
        struct flooder *f = arg;
        struct vfu_client *c = NULL;
        uint8_t batch[32][32];
        if (vfu_client_connect(f->sock, &c) < 0 || vfu_client_negotiate(c) < 0)
                return NULL;
        for (int i = 0; i < 32; i++) {
                struct vfu_hdr h = {.msg_id = (uint16_t) i, .command = VFU_CMD_REGION_READ, .size = 32};
                struct vfu_region_rw rw = {
                        .offset = RPCGPU_REG_ID, .region = VFU_PCI_BAR0_REGION, .count = 4};
                vfu_hdr_encode(batch[i], &h);
                vfu_put(batch[i] + 16, rw);
        }
        while (!atomic_load(&f->stop)) {
                struct iovec iov = {batch, sizeof(batch)};
                if (vfu_send_iov(vfu_client_fd(c), &iov, 1, NULL, 0) != (ssize_t) sizeof(batch))
                        break;
                for (int i = 0; i < 32; i++) {
                        struct vfu_reply r;
                        if (vfu_client_recv(c, &r) < 0) {
                                vfu_client_free(c);
                                return NULL;
                        }
                        vfu_reply_done(&r);
                        f->reads++;
                }
        }
        vfu_client_free(c);
        return NULL;
}

/* How much engine time does a guest that does nothing but MMIO take from one that computes? */
static void bench_flood(void) {
        struct engine_params ep = {.name = "bench"};
        struct engine *e;
        char ua[40];
        struct load l = {};
        struct flooder f[2] = {};
        pthread_t tl, tf[2];
        struct timespec second = {1, 0}, warm = {0, 300000000L};
        struct engine_instance_stats s0, s1;

        die(engine_new(&ep, &e), "engine");
        l.sock = add_instance(e, 16 << 20, 0, ua);
        pthread_create(&tl, NULL, saturate, &l);
        nanosleep(&warm, NULL);
        engine_get_stats(e, ua, &s0);
        nanosleep(&second, NULL);
        engine_get_stats(e, ua, &s1);
        double alone = (double) (s1.busy_ns - s0.busy_ns) / 1e9;
        for (int i = 0; i < 2; i++) {
                f[i].sock = add_instance(e, 1 << 20, 0, NULL);
                pthread_create(&tf[i], NULL, flood, &f[i]);
        }
        nanosleep(&warm, NULL);
        engine_get_stats(e, ua, &s0);
        uint64_t r0 = f[0].reads + f[1].reads;
        nanosleep(&second, NULL);
        engine_get_stats(e, ua, &s1);
        uint64_t r1 = f[0].reads + f[1].reads;
        double flooded = (double) (s1.busy_ns - s0.busy_ns) / 1e9;
        printf("flood: a computing guest gets %.1f %% of the engine alone, %.1f %% while two other guests "
               "do "
               "nothing but BAR0 reads (%.0f reads/s)\n",
               100 * alone, 100 * flooded, (double) (r1 - r0));
        for (int i = 0; i < 2; i++) {
                atomic_store(&f[i].stop, true);
                pthread_join(tf[i], NULL);
        }
        atomic_store(&l.stop, true);
        pthread_join(tl, NULL);
        engine_free(e);
}

/* --- memory --------------------------------------------------------------------------------- */

static long status_kib(const char *key) {
        char line[256];
        long v = -1;
        FILE *f = fopen("/proc/self/status", "re");
        size_t kl = strlen(key);
        while (f && fgets(line, sizeof(line), f))
                if (strncmp(line, key, kl) == 0 && line[kl] == ':')
                        v = strtol(line + kl + 1, NULL, 10);
        if (f)
                fclose(f);
        return v;
}

static unsigned nfds(void) {
        unsigned n = 0;
        for (int fd = 0; fd < 65536; fd++)
                n += fcntl(fd, F_GETFD) >= 0;
        return n;
}

static void bench_memory(void) {
        const unsigned N = 200;
        struct engine_params ep = {.name = "bench", .max_instances = N};
        struct engine *e;
        struct vfu_client **clients = calloc(N, sizeof(*clients));
        const char **socks = calloc(N, sizeof(*socks));

        die(engine_new(&ep, &e), "engine");
        long rss0 = status_kib("VmRSS");
        unsigned fd0 = nfds();
        for (unsigned i = 0; i < N; i++)
                socks[i] = add_instance(e, 256 << 20, 0, NULL);
        long rss1 = status_kib("VmRSS");
        unsigned fd1 = nfds();
        for (unsigned i = 0; i < N; i++) {
                die(vfu_client_connect(socks[i], &clients[i]), "connect");
                die(vfu_client_negotiate(clients[i]), "negotiate");
        }
        long rss2 = status_kib("VmRSS");
        unsigned fd2 = nfds();
        printf("memory: idle instance without a client: %.1f KiB RSS, %.1f fds; with a connected idle "
               "client "
               "(256 MiB VRAM mapped, untouched): %.1f KiB RSS more, %.1f fds more (both sides of the "
               "socket)\n",
               (double) (rss1 - rss0) / N, (double) (fd1 - fd0) / N, (double) (rss2 - rss1) / N,
               (double) (fd2 - fd1) / N);
        for (unsigned i = 0; i < N; i++)
                vfu_client_free(clients[i]);
        engine_free(e);
        free(clients);
        free(socks);
}

int main(int argc, char **argv) {
        const char *what = argc > 1 ? argv[1] : "all";

        log_setup("bench-engine");
        log_set_max_level(LOG_WARNING);
        snprintf(dir, sizeof(dir), "/tmp/bench-engine.XXXXXX");
        if (!mkdtemp(dir))
                return 1;
        if (streq(what, "mmio") || streq(what, "all"))
                bench_mmio();
        if (streq(what, "copy") || streq(what, "all"))
                bench_copy();
        if (streq(what, "parser") || streq(what, "all"))
                bench_parser();
        if (streq(what, "shares") || streq(what, "all"))
                bench_shares();
        if (streq(what, "flood") || streq(what, "all"))
                bench_flood();
        if (streq(what, "memory") || streq(what, "all"))
                bench_memory();
        rmdir(dir);
        return 0;
}
