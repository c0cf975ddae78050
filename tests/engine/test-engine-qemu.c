/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Integration with the real client: QEMU (>= 10.1.1, from tests/vm/qemu-root)
 * with its vfio-user-pci device against the engine, driven through QEMU's
 * qtest protocol instead of a guest kernel. qtest is QEMU's own test
 * accelerator: no CPU runs, and this program does what a guest driver would,
 * through QEMU: PCI configuration cycles on 0xcf8/0xcfc (QEMU's emulated
 * config space, forwarded to the engine), loads and stores in guest-physical
 * memory (QEMU's RAM: a shared memfd, its default private RAM, or a file on
 * a disk filesystem), and MMIO on the BARs (QEMU sends REGION_READ/WRITE, or
 * maps the VRAM the engine handed over). So every message here is QEMU's,
 * with QEMU's timing, layouts and quirks, at the cost of no boot.
 *
 * Checked for each RAM set-up: the workload's bytes (FILL, COPY through VRAM,
 * BLIT, nested batches, FENCE write-back), no protocol error and no refused
 * DMA_MAP, QEMU's stderr free of warnings ("Could not enable error
 * recovery"...), and a second QEMU after the first one sees a device in its
 * power-on state. The six QEMU runs take about two seconds (no boot).
 *
 * Debugging: QEMU_TEST_ONLY=test_private_ram runs one case, QTEST_TRACE=1
 * prints every qtest exchange, QTEST_LOG=FILE keeps QEMU's own qtest log.
 */
#include "common.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#define GUEST_RAM_MIB 128u
#define VRAM_MIB      16u
#define BAR0_GPA      0xc0000000ull /* above q35's MMCONFIG window (0xb0000000, 256 MiB) */
#define BAR2_GPA      0xc1000000ull /* VRAM: naturally aligned for 16 MiB */
#define RING_GPA      0x00100000ull
#define RING_BYTES    4096u
#define DATA_GPA      0x00200000ull
#define FENCE_GPA     0x00300000ull

enum ram_setup { RAM_MEMFD, RAM_PRIVATE, RAM_FILE };

static struct test_server server;
static char qemu_words[32][512];
static unsigned n_qemu_words;
static pid_t running_qemu; /* killed by the clean-up when an assertion ends a test early */

struct qemu {
        pid_t pid;
        int listen_fd, fd;
        FILE *in;
        char sock[300], err_path[300], ram_path[256];
        unsigned dev; /* PCI device number of the vGPU on bus 0 */
};

/* The QEMU of tests/vm/qemu-root (built once, cached): its command prefix, one word per line. */
static int find_qemu(void) {
        const char *src = getenv("VGPU_TEST_SRCDIR");
        char cmd[1024], line[512];
        /* Build the root if it is missing (cached afterwards; needs root and the host's archive). */
        snprintf(cmd, sizeof(cmd),
                 "q='%s/tests/vm/qemu-root'; $q command 2>/dev/null || { $q build >&2 && $q command; }",
                 src ? src : ".");
        FILE *p = popen(cmd, "r");
        if (!p)
                return -errno;
        while (n_qemu_words < 24 && fgets(line, sizeof(line), p)) {
                line[strcspn(line, "\n")] = 0;
                snprintf(qemu_words[n_qemu_words++], sizeof(qemu_words[0]), "%s", line);
        }
        if (pclose(p) != 0 || n_qemu_words == 0) {
                fprintf(stderr,
                        "test-engine-qemu: no QEMU with vfio-user-pci: tests/vm/qemu-root build (as root, "
                        "with mmdebstrap and the host's apt archive) failed; its message is above\n");
                return -ENOENT;
        }
        return 0;
}

static int setup(void **state) {
        int r = find_qemu();
        if (r < 0)
                return r;
        return test_server_start(&server, NULL);
}

static int teardown(void **state) {
        return test_server_stop(&server) == 0 ? 0 : -1;
}

/* One qtest command; the answer line (without "OK ") into ret if not NULL. */
static void qt(struct qemu *q, char *ret, size_t size, const char *fmt, ...) {
        char cmd[4096], line[8192];
        va_list ap;
        va_start(ap, fmt);
        int len = vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        assert_true(len > 0 && (size_t) len < sizeof(cmd));
        assert_true(dprintf(q->fd, "%s\n", cmd) > 0);
        for (;;) {
                assert_non_null(fgets(line, sizeof(line), q->in));
                if (strncmp(line, "IRQ ", 4) != 0)
                        break; /* asynchronous interrupt notices are not answers */
        }
        line[strcspn(line, "\n")] = 0;
        if (getenv("QTEST_TRACE"))
                fprintf(stderr, "QT %s -> %.60s\n", cmd, line);
        if (strncmp(line, "OK", 2) != 0)
                fail_msg("qtest '%s' answered '%s'", cmd, line);
        if (ret)
                snprintf(ret, size, "%s", line[2] ? line + 3 : "");
}

static uint64_t qt_num(struct qemu *q, const char *fmt, ...) {
        char cmd[256], ans[64];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        qt(q, ans, sizeof(ans), "%s", cmd);
        return strtoull(ans, NULL, 0);
}

static uint32_t cfg_read32(struct qemu *q, unsigned dev, unsigned reg) {
        qt(q, NULL, 0, "outl 0xcf8 0x%x", 0x80000000u | dev << 11 | reg);
        return (uint32_t) qt_num(q, "inl 0xcfc");
}

static void cfg_write32(struct qemu *q, unsigned dev, unsigned reg, uint32_t v) {
        qt(q, NULL, 0, "outl 0xcf8 0x%x", 0x80000000u | dev << 11 | reg);
        qt(q, NULL, 0, "outl 0xcfc 0x%x", v);
}

static uint32_t bar0_rd(struct qemu *q, uint32_t off) {
        return (uint32_t) qt_num(q, "readl 0x%llx", (unsigned long long) (BAR0_GPA + off));
}

static void bar0_wr(struct qemu *q, uint32_t off, uint32_t v) {
        qt(q, NULL, 0, "writel 0x%llx 0x%x", (unsigned long long) (BAR0_GPA + off), v);
}

/* Guest memory through QEMU (its own RAM, whatever backs it). */
static void mem_write(struct qemu *q, uint64_t gpa, const void *buf, size_t n) {
        const uint8_t *p = buf;
        for (size_t done = 0; done < n;) {
                size_t k = MIN(n - done, (size_t) 1024);
                char hex[2 * 1024 + 1];
                for (size_t i = 0; i < k; i++)
                        sprintf(hex + 2 * i, "%02x", p[done + i]);
                qt(q, NULL, 0, "write 0x%llx 0x%zx 0x%s", (unsigned long long) (gpa + done), k, hex);
                done += k;
        }
}

static void mem_read(struct qemu *q, uint64_t gpa, void *buf, size_t n) {
        uint8_t *p = buf;
        for (size_t done = 0; done < n;) {
                size_t k = MIN(n - done, (size_t) 1024);
                char ans[2 * 1024 + 8];
                qt(q, ans, sizeof(ans), "read 0x%llx 0x%zx", (unsigned long long) (gpa + done), k);
                assert_true(strncmp(ans, "0x", 2) == 0 && strlen(ans) == 2 + 2 * k);
                for (size_t i = 0; i < k; i++) {
                        unsigned v;
                        sscanf(ans + 2 + 2 * i, "%2x", &v);
                        p[done + i] = (uint8_t) v;
                }
                done += k;
        }
}

/* QEMU's stderr so far, for failure messages. */
static const char *qemu_err(const struct qemu *q) {
        static char msg[4096];
        msg[0] = 0;
        FILE *f = fopen(q->err_path, "re");
        if (f) {
                size_t k = fread(msg, 1, sizeof(msg) - 1, f);
                msg[k] = 0;
                fclose(f);
        }
        return msg;
}

static void qemu_start(struct qemu *q, const char *vgpu_sock, enum ram_setup ram) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        char dev_arg[512], mem_arg[512];
        const char *argv[64];
        unsigned n = 0;

        *q = (struct qemu){.fd = -1, .listen_fd = -1};
        snprintf(q->sock, sizeof(q->sock), "%s/qtest.sock", server.dir);
        snprintf(q->err_path, sizeof(q->err_path), "%s/qemu.err", server.dir);
        (void) unlink(q->sock);
        q->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(q->listen_fd >= 0);
        assert_true(strlen(q->sock) < sizeof(sa.sun_path));
        memcpy(sa.sun_path, q->sock, strlen(q->sock) + 1);
        assert_int_equal(bind(q->listen_fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(listen(q->listen_fd, 1), 0);

        for (unsigned i = 0; i < n_qemu_words; i++)
                argv[n++] = qemu_words[i];
        static char qtest_arg[320];
        snprintf(qtest_arg, sizeof(qtest_arg), "unix:%s", q->sock);
        argv[n++] = "-accel"; /* without it QEMU runs TCG and SeaBIOS would enumerate PCI under our feet */
        argv[n++] = "qtest";
        argv[n++] = "-qtest";
        argv[n++] = qtest_arg;
        argv[n++] = "-qtest-log"; /* its protocol trace would go to stderr, where warnings are looked for */
        argv[n++] = getenv("QTEST_LOG") ? getenv("QTEST_LOG") : "/dev/null";
        argv[n++] = "-display";
        argv[n++] = "none";
        argv[n++] = "-nodefaults";
        argv[n++] = "-m";
        argv[n++] = "128M";
        switch (ram) {
        case RAM_MEMFD:
                snprintf(mem_arg, sizeof(mem_arg), "memory-backend-memfd,id=ram,size=%uM,share=on",
                         GUEST_RAM_MIB);
                break;
        case RAM_FILE:
                /* The build directory: an ordinary filesystem, as libvirt's file-backed memory is. */
                snprintf(q->ram_path, sizeof(q->ram_path), "qemu-guest-ram.%d", (int) getpid());
                snprintf(mem_arg, sizeof(mem_arg),
                         "memory-backend-file,id=ram,size=%uM,mem-path=%s,share=on", GUEST_RAM_MIB,
                         q->ram_path);
                break;
        case RAM_PRIVATE:
                mem_arg[0] = 0;
                break;
        }
        argv[n++] = "-machine";
        argv[n++] = ram == RAM_PRIVATE ? "q35" : "q35,memory-backend=ram";
        if (mem_arg[0]) {
                argv[n++] = "-object";
                argv[n++] = mem_arg;
        }
        snprintf(dev_arg, sizeof(dev_arg),
                 "{\"driver\":\"vfio-user-pci\",\"socket\":{\"path\":\"%s\",\"type\":\"unix\"}}", vgpu_sock);
        argv[n++] = "-device";
        argv[n++] = dev_arg;
        argv[n] = NULL;

        q->pid = fork();
        assert_true(q->pid >= 0);
        if (q->pid == 0) {
                int e = open(q->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (e >= 0)
                        dup2(e, 2);
                if (null >= 0) {
                        dup2(null, 0);
                        dup2(null, 1);
                }
                execvp(argv[0], (char **) argv);
                _exit(127);
        }
        running_qemu = q->pid;
        /* QEMU connects to us once the machine (and the vfio-user device) is realized. */
        struct pollfd p = {.fd = q->listen_fd, .events = POLLIN};
        int ready = 0, status;
        for (int i = 0; i < 600 && ready == 0; i++) {
                ready = poll(&p, 1, 100);
                if (ready == 0 && waitpid(q->pid, &status, WNOHANG) == q->pid)
                        break; /* QEMU is gone: its stderr says why */
        }
        if (ready != 1) {
                char msg[2048] = "";
                FILE *f = fopen(q->err_path, "re");
                if (f) {
                        size_t k = fread(msg, 1, sizeof(msg) - 1, f);
                        msg[k] = 0;
                        fclose(f);
                }
                fail_msg("QEMU did not start: %s", msg);
        }
        q->fd = accept4(q->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        assert_true(q->fd >= 0);
        q->in = fdopen(dup(q->fd), "r");
        assert_non_null(q->in);

        /* Find the vGPU on bus 0 by its identity. */
        q->dev = 32;
        for (unsigned d = 0; d < 32; d++)
                if (cfg_read32(q, d, 0) == (0x10f0u << 16 | 0x1af4u)) {
                        q->dev = d;
                        break;
                }
        if (q->dev == 32)
                fail_msg("no 1af4:10f0 on bus 0; QEMU's stderr: %s", qemu_err(q));
}

/* Whatever QEMU wrote to stderr; a normal start writes nothing. */
static void qemu_stop(struct qemu *q, char *err, size_t size) {
        int status;
        if (q->in)
                fclose(q->in);
        if (q->fd >= 0)
                close(q->fd);
        if (q->listen_fd >= 0)
                close(q->listen_fd);
        kill(q->pid, SIGTERM); /* a clean shutdown, as a VM's end: QEMU closes its vfio-user socket */
        for (int i = 0; i < 500 && waitpid(q->pid, &status, WNOHANG) == 0; i++)
                usleep(10000);
        if (waitpid(q->pid, &status, WNOHANG) == 0) {
                kill(q->pid, SIGKILL);
                waitpid(q->pid, &status, 0);
        }
        running_qemu = 0;
        if (q->ram_path[0])
                (void) unlink(q->ram_path);
        (void) unlink(q->sock);
        err[0] = 0;
        FILE *f = fopen(q->err_path, "re");
        if (f) {
                size_t k = fread(err, 1, size - 1, f);
                err[k] = 0;
                fclose(f);
        }
}

/* BARs at fixed addresses, memory decoding and bus mastering on: what firmware and a driver do. */
static void enable_device(struct qemu *q) {
        cfg_write32(q, q->dev, 0x10, (uint32_t) BAR0_GPA);
        cfg_write32(q, q->dev, 0x18, (uint32_t) BAR2_GPA);
        cfg_write32(q, q->dev, 0x1c, (uint32_t) (BAR2_GPA >> 32));
        cfg_write32(q, q->dev, 0x04, 0x6);
        uint32_t id = bar0_rd(q, RPCGPU_REG_ID);
        if (id != RPCGPU_ID_MAGIC)
                fail_msg("BAR0 ID reads %#x; device %u: command %#x, BAR0 %#x, BAR2 %#x", id, q->dev,
                         cfg_read32(q, q->dev, 0x04), cfg_read32(q, q->dev, 0x10),
                         cfg_read32(q, q->dev, 0x18));
}

static uint32_t ring_tail;

static void submit(struct qemu *q, const uint32_t *cmds, size_t ndw) {
        mem_write(q, RING_GPA + ring_tail, cmds, ndw * 4);
        ring_tail = (uint32_t) ((ring_tail + ndw * 4) % RING_BYTES);
        bar0_wr(q, RPCGPU_REG_RING_TAIL, ring_tail);
}

static void wait_idle(struct qemu *q) {
        for (int i = 0; i < 20000; i++) {
                if (bar0_rd(q, RPCGPU_REG_RING_HEAD) == ring_tail)
                        return;
                usleep(500);
        }
        fail_msg("the ring did not drain: HEAD %u, TAIL %u (register %u), STATUS %#x, ERROR %u; QEMU: %s",
                 bar0_rd(q, RPCGPU_REG_RING_HEAD), ring_tail, bar0_rd(q, RPCGPU_REG_RING_TAIL),
                 bar0_rd(q, RPCGPU_REG_STATUS), bar0_rd(q, RPCGPU_REG_ERROR_STATUS), qemu_err(q));
}

/* The workload of tests/engine/test-engine-workload.c, through QEMU. */
static void workload(struct qemu *q) {
        uint8_t pattern[8192], back[8192];
        uint32_t cmd[64], batch1[32], batch2[16];
        size_t n = 0, n1 = 0, n2 = 0;

        ring_tail = 0;
        bar0_wr(q, RPCGPU_REG_RING_BASE_LO, (uint32_t) RING_GPA);
        bar0_wr(q, RPCGPU_REG_RING_BASE_HI, 0);
        bar0_wr(q, RPCGPU_REG_RING_SIZE, RING_BYTES);

        for (size_t i = 0; i < sizeof(pattern); i++)
                pattern[i] = (uint8_t) (i * 31 + 7);
        mem_write(q, DATA_GPA, pattern, sizeof(pattern));
        /* RAM -> VRAM -> RAM, a FILL, a BLIT of 16 rows of 64 bytes, a FENCE written back. */
        n += rpcgpu_cmd_copy(cmd + n, RPCGPU_F_DST_VRAM, 0x1000, DATA_GPA, sizeof(pattern));
        n += rpcgpu_cmd_copy(cmd + n, RPCGPU_F_SRC_VRAM, DATA_GPA + 0x10000, 0x1000, sizeof(pattern));
        n += rpcgpu_cmd_fill(cmd + n, 0, DATA_GPA + 0x20000, 4096, 0xa5a5a5a5);
        n += rpcgpu_cmd_blit(cmd + n, 0, DATA_GPA + 0x30000, 128, DATA_GPA, 64, 64, 16);
        n += rpcgpu_cmd_fence(cmd + n, RPCGPU_F_FENCE_WRITE, 0x1122334455667788ull, FENCE_GPA);
        submit(q, cmd, n);
        wait_idle(q);
        if (bar0_rd(q, RPCGPU_REG_ERROR_STATUS))
                fail_msg("failsafe: ERROR_STATUS %u, ERROR_CMD %#x, ERROR_ADDR %#x",
                         bar0_rd(q, RPCGPU_REG_ERROR_STATUS), bar0_rd(q, RPCGPU_REG_ERROR_CMD),
                         bar0_rd(q, RPCGPU_REG_ERROR_ADDR_LO));
        mem_read(q, DATA_GPA + 0x10000, back, sizeof(back));
        assert_memory_equal(back, pattern, sizeof(pattern));
        /* VRAM, read through BAR2 (QEMU's mapping of the engine's memfd). */
        uint32_t v = (uint32_t) qt_num(q, "readl 0x%llx", (unsigned long long) (BAR2_GPA + 0x1000 + 4));
        assert_memory_equal(&v, pattern + 4, 4);
        mem_read(q, DATA_GPA + 0x20000, back, 4096);
        for (size_t i = 0; i < 4096; i++)
                assert_int_equal(back[i], 0xa5);
        for (unsigned row = 0; row < 16; row++) {
                mem_read(q, DATA_GPA + 0x30000 + row * 128, back, 128);
                assert_memory_equal(back, pattern + row * 64, 64);
                for (size_t i = 64; i < 128; i++)
                        assert_int_equal(back[i], 0); /* between the rows: untouched */
        }
        uint64_t fence;
        mem_read(q, FENCE_GPA, &fence, 8);
        assert_int_equal(fence, 0x1122334455667788ull);

        /* A nested batch: the ring calls batch 1 in RAM, which calls batch 2 in VRAM. */
        n2 += rpcgpu_cmd_fill(batch2 + n2, 0, DATA_GPA + 0x40000, 256, 0xabababab);
        for (size_t i = 0; i < n2; i++)
                qt(q, NULL, 0, "writel 0x%llx 0x%x", (unsigned long long) (BAR2_GPA + 0x8000 + 4 * i),
                   batch2[i]);
        n1 += rpcgpu_cmd_nop(batch1 + n1, 2);
        n1 += rpcgpu_cmd_batch_start(batch1 + n1, RPCGPU_F_SRC_VRAM, 0x8000, (uint32_t) n2 * 4);
        n1 += rpcgpu_cmd_fill(batch1 + n1, 0, DATA_GPA + 0x40100, 256, 0xcdcdcdcd);
        n1 += rpcgpu_cmd_batch_end(batch1 + n1);
        mem_write(q, DATA_GPA + 0x50000, batch1, n1 * 4);
        n = rpcgpu_cmd_batch_start(cmd, 0, DATA_GPA + 0x50000, (uint32_t) n1 * 4);
        n += rpcgpu_cmd_fence(cmd + n, 0, 77, 0);
        submit(q, cmd, n);
        wait_idle(q);
        assert_int_equal(bar0_rd(q, RPCGPU_REG_FENCE_LO), 77);
        mem_read(q, DATA_GPA + 0x40000, back, 512);
        for (size_t i = 0; i < 512; i++)
                assert_int_equal(back[i], i < 256 ? 0xab : 0xcd);
}

static void check_clean(const char *err) {
        /* QEMU's warnings go to stderr: a normal start and stop write nothing. */
        if (err[0])
                fail_msg("QEMU wrote to stderr: %s", err);
        assert_int_equal(test_server_stat(&server, UUID_A, "protocol_errors"), 0);
        assert_int_equal(test_server_stat(&server, UUID_A, "dma_refused"), 0);
}

static void run_setup(enum ram_setup ram) {
        const char *sock = test_server_add(&server, UUID_A, VRAM_MIB, 0, 0);
        struct qemu q;
        char err[4096];

        assert_non_null(sock);
        qemu_start(&q, sock, ram);
        enable_device(&q);
        /*
         * QEMU maps every RAM region of the guest, fd or not: with a memfd backend its ROMs (BIOS) and
         * the VRAM BAR itself still come without one. RAM is mapped directly only with the memfd.
         */
        assert_true(test_server_stat(&server, UUID_A, "dma_maps") > 0);
        assert_true(test_server_stat(&server, UUID_A, "dma_remote_maps") > 0);
        workload(&q);
        /* QEMU's default RAM and a disk file are reached through DMA_READ/DMA_WRITE, the memfd is not. */
        if (ram == RAM_MEMFD)
                assert_int_equal(test_server_stat(&server, UUID_A, "dma_messages"), 0);
        else
                assert_true(test_server_stat(&server, UUID_A, "dma_messages") > 0);
        uint64_t commands = test_server_stat(&server, UUID_A, "commands");
        assert_true(commands >= 9);
        /* The VRAM BAR is mmap-able: QEMU posts no BAR write (every one waits for its reply). */
        assert_int_equal(test_server_stat(&server, UUID_A, "posted_writes"), 0);
        qemu_stop(&q, err, sizeof(err));
        check_clean(err);
        assert_int_equal(test_server_wait_stat(&server, UUID_A, "connected", 0, 5000), 0);

        /* The next VM: nothing of the first one (counters, registers, VRAM). */
        qemu_start(&q, sock, ram);
        enable_device(&q);
        for (uint32_t off = RPCGPU_REG_RING_BASE_LO; off < RPCGPU_REG_STAT_BUSY_NS; off += 4)
                if (off != RPCGPU_REG_VRAM_SIZE_LO && bar0_rd(&q, off) != 0)
                        fail_msg("the second VM reads 0x%x at BAR0 0x%03x", bar0_rd(&q, off), off);
        assert_int_equal(bar0_rd(&q, RPCGPU_REG_STAT_FENCES), 0);
        assert_int_equal(bar0_rd(&q, RPCGPU_REG_STAT_VIOLATIONS), 0);
        assert_int_equal(qt_num(&q, "readl 0x%llx", (unsigned long long) (BAR2_GPA + 0x1000 + 4)), 0);
        assert_int_equal(bar0_rd(&q, RPCGPU_REG_ENGINE_REGS), 0);
        workload(&q);
        qemu_stop(&q, err, sizeof(err));
        check_clean(err);
        assert_int_equal(test_server_stat(&server, UUID_A, "connections"), 2);
        assert_int_equal(test_server_cmd(&server, NULL, 0, "remove %s", UUID_A), 0);
}

static void test_memfd_ram(void **state) {
        run_setup(RAM_MEMFD);
}

static void test_private_ram(void **state) {
        run_setup(RAM_PRIVATE);
}

static void test_file_ram(void **state) {
        struct statfs sfs;
        if (statfs(".", &sfs) < 0 || sfs.f_type == TMPFS_MAGIC || sfs.f_type == HUGETLBFS_MAGIC)
                fail_msg("the build directory must be on an ordinary filesystem (not tmpfs) for this case");
        run_setup(RAM_FILE);
}

/*
 * Posted writes and REGION_WRITE_MULTI, as QEMU 11 sends them: BAR writes go out with NO_REPLY
 * (unless x-no-posted-writes=on) but only while no region is mmap-able (QEMU's read-after-write
 * guard: one mmap-able region turns posting off for the whole device), so the instance's VRAM is
 * offered without mmap here (vgpud.conf's vram_mmap = no). Once more than 1024 messages wait in
 * QEMU's outgoing queue (VFIO_USER_OUT_HIGH) because the server does not read, it coalesces
 * further posted writes into REGION_WRITE_MULTI messages. The engine is stopped (SIGSTOP) while thousands of
 * doorbells are written, each advancing the tail by one FENCE; after SIGCONT every fence must have run once,
 * in order: one doorbell applied out of order would move the tail backwards, and the engine would
 * run the zeroed rest of the ring (a violation) and count more commands than were written.
 */
#define POSTED_RING_BYTES (128u << 10)
#define POSTED_FENCES     4000u /* 20 bytes each: 80000 of the ring's 131072 bytes */

static void test_posted_writes(void **state) {
        const char *sock = test_server_socket(&server, UUID_A);
        struct qemu q;
        char err[4096];
        static uint32_t ring[POSTED_RING_BYTES / 4];
        size_t n = 0;

        assert_int_equal(
                test_server_cmd(&server, NULL, 0, "add %s %u %s 0 0 vram-no-mmap", UUID_A, VRAM_MIB, sock),
                0);
        qemu_start(&q, sock, RAM_MEMFD);
        enable_device(&q);
        for (uint32_t i = 1; i <= POSTED_FENCES; i++)
                n += rpcgpu_cmd_fence(ring + n, 0, i, 0);
        mem_write(&q, RING_GPA, ring, sizeof(ring));
        bar0_wr(&q, RPCGPU_REG_RING_BASE_LO, (uint32_t) RING_GPA);
        bar0_wr(&q, RPCGPU_REG_RING_BASE_HI, 0);
        bar0_wr(&q, RPCGPU_REG_RING_SIZE, POSTED_RING_BYTES);
        uint64_t posted_before = test_server_stat(&server, UUID_A, "posted_writes");

        assert_int_equal(kill(server.pid, SIGSTOP), 0);
        for (uint32_t i = 1; i <= POSTED_FENCES; i++)
                bar0_wr(&q, RPCGPU_REG_RING_TAIL, i * 20); /* posted: QEMU does not wait */
        assert_int_equal(kill(server.pid, SIGCONT), 0);

        /* A read is not posted: QEMU sends it after every write, the engine answers it after them. */
        for (int i = 0; i < 1000 && bar0_rd(&q, RPCGPU_REG_RING_HEAD) != POSTED_FENCES * 20; i++)
                usleep(1000);
        assert_int_equal(bar0_rd(&q, RPCGPU_REG_ERROR_STATUS), 0);
        assert_int_equal(bar0_rd(&q, RPCGPU_REG_RING_HEAD), POSTED_FENCES * 20);
        assert_int_equal(bar0_rd(&q, RPCGPU_REG_FENCE_LO), POSTED_FENCES);
        assert_int_equal(bar0_rd(&q, RPCGPU_REG_STAT_FENCES), POSTED_FENCES);
        assert_int_equal(bar0_rd(&q, RPCGPU_REG_STAT_COMMANDS), POSTED_FENCES);
        uint64_t posted = test_server_stat(&server, UUID_A, "posted_writes") - posted_before;
        uint64_t multi = test_server_stat(&server, UUID_A, "write_multi");
        fprintf(stderr, "# %u doorbells: %llu posted REGION_WRITEs, %llu REGION_WRITE_MULTI messages\n",
                POSTED_FENCES, (unsigned long long) posted, (unsigned long long) multi);
        assert_true(posted > 0);
        if (multi == 0)
                fail_msg("QEMU sent no REGION_WRITE_MULTI: it coalesces only past 1024 queued messages, and "
                         "the "
                         "socket took %llu of the %u writes (a large net.core.wmem_default?)",
                         (unsigned long long) posted, POSTED_FENCES);
        assert_true(posted < POSTED_FENCES); /* the rest came in the multi messages */
        qemu_stop(&q, err, sizeof(err));
        check_clean(err);
        assert_int_equal(test_server_cmd(&server, NULL, 0, "remove %s", UUID_A), 0);
}

static int cleanup(void **state) {
        (void) kill(server.pid, SIGCONT); /* test_posted_writes may have ended with the server stopped */
        if (running_qemu > 0) {
                kill(running_qemu, SIGKILL);
                waitpid(running_qemu, NULL, 0);
                running_qemu = 0;
        }
        (void) test_server_cmd(&server, NULL, 0, "remove %s", UUID_A);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_memfd_ram, cleanup),
                cmocka_unit_test_teardown(test_private_ram, cleanup),
                cmocka_unit_test_teardown(test_file_ram, cleanup),
                cmocka_unit_test_teardown(test_posted_writes, cleanup),
        };
        if (getenv("QEMU_TEST_ONLY"))
                cmocka_set_test_filter(getenv("QEMU_TEST_ONLY"));
        return cmocka_run_group_tests(tests, setup, teardown);
}
