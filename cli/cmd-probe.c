/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `vgpuctl probe UUID [--size BYTES] [--json]`: attach to an RPC instance's
 * vfio-user socket as a guest would (src/vfio-user/guest.h: negotiate, share
 * a memfd as guest RAM, read config space, map the VRAM BAR, wire MSI), time
 * BAR0 round trips, run a FILL/COPY/FENCE workload through guest RAM and VRAM,
 * wait for the fence interrupt, check every byte, and time large copies.
 * What it measures is printed, never judged: the benchmarks hold the targets.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "bus-names.h"
#include "cli.h"
#include "engine-info.h"
#include "output.h"
#include "parse-util.h"
#include "strutil.h"
#include "vfio-user/guest.h"

#define PROBE_READS        2000
#define PROBE_COPIES       4
#define PROBE_TIMEOUT_MS   10000
#define PROBE_PATTERN      0x5a17c0deu
#define PROBE_DEFAULT_SIZE (UINT64_C(16) << 20)
#define PROBE_MAX_SIZE     (UINT64_C(1) << 30)

typedef struct ProbeResult {
        uint16_t vendor_id, device_id;
        uint8_t revision;
        uint64_t vram_size;
        uint32_t version;
        double p50_us, p99_us;
        uint64_t size;
        uint64_t copy_ns; /* best of PROBE_COPIES */
        bool verified;
} ProbeResult;

static uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

static int probe_latency(struct rpcgpu_guest *g, ProbeResult *res) {
        _cleanup_free_ uint64_t *t = calloc(PROBE_READS, sizeof(*t));
        uint32_t id;
        int r;

        if (!t)
                return -ENOMEM;
        for (size_t k = 0; k < PROBE_READS; k++) {
                uint64_t t0 = now_ns();
                r = rpcgpu_guest_read32(g, RPCGPU_REG_ID, &id);
                if (r < 0)
                        return r;
                t[k] = now_ns() - t0;
                if (id != RPCGPU_ID_MAGIC)
                        return -EIO;
        }
        qsort(t, PROBE_READS, sizeof(*t), cmp_u64);
        res->p50_us = t[PROBE_READS / 2] / 1e3;
        res->p99_us = t[PROBE_READS * 99 / 100] / 1e3;
        return 0;
}

/* Submit cmds and a fence, and wait for its interrupt. -EIO: the device went into failsafe. */
static int run_and_wait(struct rpcgpu_guest *g, const uint32_t *cmds, size_t n) {
        uint64_t fence;
        int r;

        if (n > 0 && (r = rpcgpu_guest_submit(g, cmds, n)) < 0)
                return r;
        if ((r = rpcgpu_guest_fence(g, &fence)) < 0)
                return r;
        return rpcgpu_guest_wait_fence(g, fence, PROBE_TIMEOUT_MS);
}

/*
 * Guest RAM: [ring][A: size][B: size]. FILL A with a pattern, COPY A to VRAM,
 * COPY VRAM to B, fence: B and the VRAM mapping must hold the pattern. Then time
 * COPY A to B.
 */
static int probe_workload(struct rpcgpu_guest *g, ProbeResult *res) {
        uint64_t a = RPCGPU_GUEST_DATA_OFFSET, b = a + res->size;
        uint64_t vsize = MIN(res->size, (uint64_t) g->vram_size);
        uint32_t cmds[32];
        size_t n = 0;
        int r;

        memset(g->ram + b, 0, res->size);
        n += rpcgpu_cmd_fill(cmds + n, 0, rpcgpu_guest_iova(g, a), res->size, PROBE_PATTERN);
        n += rpcgpu_cmd_copy(cmds + n, RPCGPU_F_DST_VRAM, 0, rpcgpu_guest_iova(g, a), vsize);
        n += rpcgpu_cmd_copy(cmds + n, RPCGPU_F_SRC_VRAM, rpcgpu_guest_iova(g, b), 0, vsize);
        r = run_and_wait(g, cmds, n);
        if (r < 0)
                return r;
        res->verified = true;
        for (uint64_t off = 0; off < vsize; off += 4) {
                uint32_t x, y;
                memcpy(&x, g->ram + b + off, 4);
                memcpy(&y, g->vram + off, 4);
                if (x != PROBE_PATTERN || y != PROBE_PATTERN) {
                        res->verified = false;
                        return 0;
                }
        }

        res->copy_ns = UINT64_MAX;
        for (unsigned k = 0; k < PROBE_COPIES; k++) {
                n = rpcgpu_cmd_copy(cmds, 0, rpcgpu_guest_iova(g, b), rpcgpu_guest_iova(g, a), res->size);
                uint64_t t0 = now_ns();
                r = run_and_wait(g, cmds, n);
                if (r < 0)
                        return r;
                res->copy_ns = MIN(res->copy_ns, now_ns() - t0);
        }
        /* the copies moved the pattern too: every byte of B */
        for (uint64_t off = 0; off < res->size; off += 4) {
                uint32_t x;
                memcpy(&x, g->ram + b + off, 4);
                if (x != PROBE_PATTERN) {
                        res->verified = false;
                        break;
                }
        }
        return 0;
}

static int probe_identity(struct rpcgpu_guest *g, ProbeResult *res) {
        uint8_t cfg[16];
        int r;

        r = vfu_client_region_read(g->client, VFU_PCI_CONFIG_REGION, 0, cfg, sizeof(cfg));
        if (r < 0)
                return r;
        res->vendor_id = (uint16_t) (cfg[0] | cfg[1] << 8);
        res->device_id = (uint16_t) (cfg[2] | cfg[3] << 8);
        res->revision = cfg[8];
        if ((r = rpcgpu_guest_read32(g, RPCGPU_REG_VERSION, &res->version)) < 0 ||
            (r = rpcgpu_guest_read64(g, RPCGPU_REG_VRAM_SIZE_LO, &res->vram_size)) < 0)
                return r;
        return 0;
}

static int probe_report(Cli *c, const char *uuid, const char *socket, const ProbeResult *res) {
        double gbps = res->copy_ns ? res->size / (double) res->copy_ns : 0;

        if (c->json) {
                _cleanup_(json_object_putp) json_object *j = json_object_new_object();
                char id[16];
                snprintf(id, sizeof(id), "%04x:%04x", res->vendor_id, res->device_id);
                json_object_object_add(j, "uuid", json_string(uuid));
                json_object_object_add(j, "socket", json_string(socket));
                json_object_object_add(j, "pci_id", json_string(id));
                json_object_object_add(j, "vram_bytes", json_object_new_uint64(res->vram_size));
                json_object_object_add(j, "bar0_read_p50_us", json_object_new_double(res->p50_us));
                json_object_object_add(j, "bar0_read_p99_us", json_object_new_double(res->p99_us));
                json_object_object_add(j, "bar0_reads", json_object_new_int(PROBE_READS));
                json_object_object_add(j, "copy_bytes", json_object_new_uint64(res->size));
                json_object_object_add(j, "copy_ns", json_object_new_uint64(res->copy_ns));
                json_object_object_add(j, "copy_gb_per_s", json_object_new_double(gbps));
                json_object_object_add(j, "verified", json_object_new_boolean(res->verified));
                int k = json_print(j);
                return k != EXIT_OK ? k : res->verified ? EXIT_OK : EXIT_FAILED;
        }
        printf("Instance:   %s\n", uuid);
        printf("Socket:     %s\n", socket);
        printf("Device:     %04x:%04x rev %u, version %u.%u, VRAM %" PRIu64 " MiB\n", res->vendor_id,
               res->device_id, res->revision, res->version >> 16, res->version & 0xffff,
               res->vram_size >> 20);
        printf("BAR0 read:  p50 %.1f us, p99 %.1f us (%d round trips)\n", res->p50_us, res->p99_us,
               PROBE_READS);
        printf("Workload:   FILL, COPY to VRAM and back, FENCE with MSI: %s\n",
               res->verified ? "verified" : "WRONG DATA");
        printf("Bandwidth:  COPY of %" PRIu64 " MiB in guest RAM: %.2f GB/s (best of %d)\n", res->size >> 20,
               gbps, PROBE_COPIES);
        if (!res->verified)
                fprintf(stderr, "%s: the device returned wrong data\n", c->program);
        return res->verified ? EXIT_OK : EXIT_FAILED;
}

/* Why a guest could not attach, in words. */
static int probe_error(Cli *c, const char *uuid, const char *socket, const char *step, int r) {
        if (r == -ECONNRESET || r == -EPIPE || r == -ENOTCONN)
                fprintf(stderr,
                        "%s: %s: the engine closed the connection while %s: another client (a VM) "
                        "holds the socket %s\n",
                        c->program, uuid, step, socket);
        else if (r == -EIO)
                fprintf(stderr,
                        "%s: %s: the device went into failsafe while %s ('vgpuctl show %s' says why)\n",
                        c->program, uuid, step, uuid);
        else
                fprintf(stderr, "%s: %s: %s failed: %s\n", c->program, uuid, step, strerror(-r));
        return r == -ECONNREFUSED || r == -ENOENT ? EXIT_NOT_FOUND
               : r == -ECONNRESET                 ? EXIT_REFUSED
                                                  : EXIT_FAILED;
}

int cmd_probe(Cli *c, int argc, char *argv[]) {
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"json", no_argument, NULL, 'J'},
                {"size", required_argument, NULL, 's'},
                {},
        };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(engine_info_done) EngineInfo engine = {.measured_share = -1};
        _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = NULL;
        _cleanup_free_ char *path = NULL, *backend = NULL;
        ProbeResult res = {.size = PROBE_DEFAULT_SIZE};
        sd_bus *bus;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "hs:", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        return command_help("probe");
                case 'J':
                        c->json = true;
                        break;
                case 's':
                        if (parse_size(optarg, &res.size) < 0 || res.size < 4096 ||
                            res.size > PROBE_MAX_SIZE || res.size % 4096)
                                return cli_usage_error(
                                        c, "probe",
                                        "--size must be a multiple of 4K between 4K and 1G, not '%s'",
                                        optarg);
                        break;
                default:
                        return cli_usage_error(c, "probe", "unknown option");
                }
        if (argc - optind != 1)
                return cli_usage_error(c, "probe", "expected one UUID");
        const char *uuid = argv[optind];

        r = cli_get_instance(c, uuid, &path);
        if (r != EXIT_OK)
                return r;
        r = cli_bus(c, &bus);
        if (r != EXIT_OK)
                return r;
        r = sd_bus_get_property_string(bus, VGPUD_BUS_NAME, path, VGPUD_INSTANCE_IFACE, "Backend", &error,
                                       &backend);
        if (r < 0)
                return cli_report_error(c, uuid, &error, r);
        if (!streq(backend, "rpc")) {
                fprintf(stderr,
                        "%s: %s is not an RPC instance (backend %s): only vgpud's own device can be "
                        "probed\n",
                        c->program, uuid, backend);
                return EXIT_REFUSED;
        }
        r = engine_info_fetch(bus, path, &error, &engine);
        if (r < 0)
                return cli_report_error(c, uuid, &error, r);
        if (isempty(engine.state)) {
                fprintf(stderr, "%s: %s is not created ('vgpuctl start %s')\n", c->program, uuid, uuid);
                return EXIT_REFUSED;
        }
        if (!streq(engine.state, "disconnected")) {
                fprintf(stderr, "%s: %s: the socket %s is busy: a client (a VM) is attached to it\n",
                        c->program, uuid, engine.socket_path);
                return EXIT_REFUSED;
        }

        struct rpcgpu_guest_params p = {.ram_size = RPCGPU_GUEST_DATA_OFFSET + 2 * res.size};
        r = rpcgpu_guest_open(engine.socket_path, &p, &g);
        if (r < 0)
                return probe_error(c, uuid, engine.socket_path, "attaching", r);
        if ((r = probe_identity(g, &res)) < 0)
                return probe_error(c, uuid, engine.socket_path, "reading the device's identity", r);
        if ((r = probe_latency(g, &res)) < 0)
                return probe_error(c, uuid, engine.socket_path, "timing BAR0 reads", r);
        if ((r = probe_workload(g, &res)) < 0)
                return probe_error(c, uuid, engine.socket_path, "running the workload", r);
        return probe_report(c, uuid, engine.socket_path, &res);
}
