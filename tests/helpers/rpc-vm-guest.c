/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rpc-vm-guest: a guest driver for the RPC vGPU that runs inside a VM (tests/vm/rpc-qemu.bats),
 * built static so that it needs nothing of the guest's userland. It finds the device by its ids
 * and class and drives it from user space the way a kernel driver would, in one of two ways:
 *
 *   --access vfio (default): the guest's own VFIO. The device is bound to vfio-pci
 *     (driver_override), its IOMMU group put in a type1 container, the ring and data buffer
 *     mapped with VFIO_IOMMU_MAP_DMA at an IOVA this program chooses (the guest's vIOMMU
 *     translates it; QEMU tells vgpud with DMA_MAP), BAR0 and BAR2 mapped through the device fd,
 *     bus mastering set in its config region, and MSI-X vectors 0 (fence) and 1 (error) wired to
 *     eventfds with VFIO_DEVICE_SET_IRQS: fences and failsafe are waited for as interrupts.
 *   --access sysfs: no VFIO; BARs through the sysfs resource files, the buffer's guest-physical
 *     address from /proc/self/pagemap (an IOMMU in pass-through mode), completion polled on the
 *     FENCE and STATUS registers. Chosen explicitly, never as a fallback.
 *
 *   rpc-vm-guest [--access vfio|sysfs] [--vendor 0x1af4 --device 0x10f0 --class 0x038000] workload
 *   rpc-vm-guest ... hostile
 *   rpc-vm-guest ... bench      (QEMU started with -device edu as well)
 *   rpc-vm-guest ... share SECONDS SYNC-DIR NAME
 *
 * workload: FILL, COPY RAM -> VRAM -> RAM, BLIT, FENCE with write-back, a nested batch, checked
 * byte for byte, then a device reset; prints BAR0 read round trip p50/p99, doorbell-to-fence
 * latency and COPY bandwidth. hostile: a COPY from outside the buffers mapped for the device, a
 * sensitive command and ring garbage must each leave the device in failsafe with the right
 * ERROR_STATUS (and, with VFIO, raise the error interrupt), and a reset must recover it. bench:
 * figures with a reference beside each (tests/bench/rpc-qemu-bench): BAR0 read round trip against
 * the ID register of QEMU's own edu device, device COPY against memcpy by the guest's CPU. share:
 * two VMs at once measure the work each gets (tests/vm/rpc-share.bats; see share() below).
 * Exit status 0 when everything checked out; each failure is printed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/vfio.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "vfio-user/rpc-cmd.h"
#include "vfio-user/rpc-gpu.h"

#define HUGE_SIZE (2u << 20)
#define RING_SIZE 4096u

static volatile uint32_t *bar0;
static uint8_t *vram;
static uint64_t vram_size;
static uint8_t *ram;     /* the huge page */
static uint64_t ram_dma; /* its device address: an IOVA (VFIO) or guest-physical (sysfs) */
static uint32_t tail;
static uint64_t next_fence = 1;
static int failures;

#define CHECK(cond, ...)                                                                                    \
        do {                                                                                                \
                if (!(cond)) {                                                                              \
                        printf("FAIL: " __VA_ARGS__);                                                       \
                        printf("\n");                                                                       \
                        failures++;                                                                         \
                }                                                                                           \
        } while (0)

static uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

static uint32_t rd(uint32_t off) {
        return bar0[off / 4];
}

static void wr(uint32_t off, uint32_t v) {
        bar0[off / 4] = v;
}

static unsigned long read_hex(const char *dir, const char *file) {
        char path[512];
        unsigned long long v;
        snprintf(path, sizeof(path), "%s/%s", dir, file);
        return read_attr_u64(path, 16, &v) < 0 ? ~0ul : (unsigned long) v;
}

#define ANY_CLASS (~0ul)

static int find_device(unsigned long vendor, unsigned long device, unsigned long class, char *ret,
                       size_t size) {
        DIR *d = opendir("/sys/bus/pci/devices");
        struct dirent *e;
        int found = -ENODEV;
        if (!d)
                return -errno;
        while ((e = readdir(d))) {
                char dir[300];
                if (e->d_name[0] == '.')
                        continue;
                snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", e->d_name);
                if (read_hex(dir, "vendor") == vendor && read_hex(dir, "device") == device &&
                    (class == ANY_CLASS || read_hex(dir, "class") == class)) {
                        snprintf(ret, size, "%s", dir);
                        found = 0;
                        break;
                }
        }
        closedir(d);
        return found;
}

/* --- Device access -------------------------------------------------------------------------------
 * Each way in (VFIO, sysfs) fills the globals above: bar0, vram/vram_size, ram/ram_dma; the rest
 * of the program only uses submit(), fence_wait(), wait_failsafe() and device_reset().
 */
enum access { ACCESS_VFIO, ACCESS_SYSFS };
static enum access access_mode = ACCESS_VFIO;

/* A 2 MiB huge page for the ring and the data: one page, so one IOMMU mapping (and one DMA_MAP). */
static int alloc_huge_page(void) {
        void *p = mmap(NULL, HUGE_SIZE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_LOCKED, -1, 0);
        if (p == MAP_FAILED) {
                printf("no 2 MiB huge page (echo 2 > /proc/sys/vm/nr_hugepages): %s\n", strerror(errno));
                return -errno;
        }
        ram = p;
        memset(ram, 0, HUGE_SIZE);
        return 0;
}

/* sysfs: BAR n's size from the "resource" file (one "start end flags" line per BAR), then its
 * mapping through resourceN. */
static void *map_resource(const char *dir, int n, size_t *size) {
        char path[512], line[128];
        unsigned long long start = 0, end = 0;
        snprintf(path, sizeof(path), "%s/resource", dir);
        FILE *f = fopen(path, "re");
        for (int i = 0; f && i <= n; i++)
                if (!fgets(line, sizeof(line), f) || sscanf(line, "%llx %llx", &start, &end) != 2)
                        end = start = 0;
        if (f)
                fclose(f);
        if (end <= start) {
                errno = ENODEV;
                return NULL;
        }
        *size = (size_t) (end - start + 1);
        snprintf(path, sizeof(path), "%s/resource%d", dir, n);
        int fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        void *p = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
        return p == MAP_FAILED ? NULL : p;
}

/* sysfs: memory decoding and bus mastering, as a driver's pci_set_master() does. */
static int sysfs_enable_device(const char *dir) {
        char path[512];
        uint16_t cmd;
        snprintf(path, sizeof(path), "%s/config", dir);
        int fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0 || pread(fd, &cmd, 2, 4) != 2)
                return -errno;
        cmd |= 0x6;
        int r = pwrite(fd, &cmd, 2, 4) == 2 ? 0 : -errno;
        close(fd);
        return r;
}

/* sysfs: the huge page's guest-physical address from pagemap (the IOMMU passes it through). */
static int sysfs_open(const char *dir) {
        size_t size0, size2;
        if (sysfs_enable_device(dir) < 0 || !(bar0 = map_resource(dir, 0, &size0)) ||
            !(vram = map_resource(dir, 2, &size2))) {
                printf("cannot map the BARs of %s through sysfs: %s\n", dir, strerror(errno));
                return -1;
        }
        vram_size = size2;
        if (alloc_huge_page() < 0)
                return -1;
        int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
        uint64_t entry;
        if (fd < 0 || pread(fd, &entry, 8, (off_t) ((uintptr_t) ram / 4096 * 8)) != 8)
                return -errno;
        close(fd);
        if (!(entry & (1ull << 63)) || (entry & ((1ull << 55) - 1)) == 0) {
                printf("pagemap shows no frame (not root?)\n");
                return -EPERM;
        }
        ram_dma = (entry & ((1ull << 55) - 1)) * 4096;
        printf("access: sysfs resource files, polling; buffer at guest-physical %#" PRIx64 "\n", ram_dma);
        return 0;
}

/* VFIO: where the buffer goes in the device's address space. Far above guest RAM (1 GiB here), so
 * that only the vIOMMU's translation can make it reach the buffer, and 2 MiB aligned so that the
 * guest's IOMMU driver can use one large page. */
#define VFIO_IOVA 0x4000000000ull /* 256 GiB */

static int vfio_container = -1, vfio_group = -1, vfio_device = -1;
static int irq_fd[RPCGPU_MSIX_VECTORS] = {-1, -1}; /* MSI-X vector 0 fence, 1 error */
static bool vfio_reset_offered;

static int write_in(const char *dir, const char *attr, const char *value) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, attr);
        return write_attr(path, value);
}

static int current_driver(const char *dir, char *ret, size_t size) {
        char path[512], link[512];
        snprintf(path, sizeof(path), "%s/driver", dir);
        ssize_t k = readlink(path, link, sizeof(link) - 1);
        if (k < 0)
                return -errno;
        link[k] = 0;
        snprintf(ret, size, "%s", strrchr(link, '/') + 1);
        return 0;
}

/* vfio-pci takes the device as an administrator would: driver_override, unbind, probe. */
static int vfio_bind(const char *dir, const char *bdf) {
        char drv[128];
        int r;
        if (current_driver(dir, drv, sizeof(drv)) == 0 && !strcmp(drv, "vfio-pci"))
                return 0;
        if ((r = write_in(dir, "driver_override", "vfio-pci")) < 0) {
                printf("cannot set driver_override of %s: %s\n", bdf, strerror(-r));
                return r;
        }
        if (current_driver(dir, drv, sizeof(drv)) == 0 && (r = write_in(dir, "driver/unbind", bdf)) < 0) {
                printf("cannot unbind %s from %s: %s\n", bdf, drv, strerror(-r));
                return r;
        }
        (void) write_in("/sys/bus/pci", "drivers_probe", bdf);
        if (current_driver(dir, drv, sizeof(drv)) < 0 || strcmp(drv, "vfio-pci") != 0) {
                printf("vfio-pci did not take %s (is the vfio-pci module loaded? is the device in an IOMMU "
                       "group?)\n",
                       bdf);
                return -ENODEV;
        }
        return 0;
}

static void *vfio_map_region(unsigned index, uint64_t *size) {
        struct vfio_region_info ri = {.argsz = sizeof(ri), .index = index};
        if (ioctl(vfio_device, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0)
                return NULL;
        if (!(ri.flags & VFIO_REGION_INFO_FLAG_MMAP) || ri.size == 0) {
                errno = ENOTSUP;
                return NULL;
        }
        /* BAR0: the registers' page only; the MSI-X table page after it belongs to the kernel. */
        *size = index == VFIO_PCI_BAR0_REGION_INDEX && ri.size > 4096 ? 4096 : ri.size;
        void *p = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_SHARED, vfio_device, (off_t) ri.offset);
        return p == MAP_FAILED ? NULL : p;
}

/* Memory decoding and bus mastering through the config region (vfio-pci leaves them to the user). */
static int vfio_enable_device(void) {
        struct vfio_region_info ri = {.argsz = sizeof(ri), .index = VFIO_PCI_CONFIG_REGION_INDEX};
        uint16_t cmd;
        if (ioctl(vfio_device, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0 ||
            pread(vfio_device, &cmd, 2, (off_t) ri.offset + 4) != 2)
                return -errno;
        cmd |= 0x6;
        return pwrite(vfio_device, &cmd, 2, (off_t) ri.offset + 4) == 2 ? 0 : -errno;
}

/* MSI-X vectors 0 and 1 to eventfds: the guest kernel programs the device's MSI-X table, QEMU
 * passes its own eventfds to vgpud with SET_IRQS. */
static int vfio_setup_msix(void) {
        struct vfio_irq_info ii = {.argsz = sizeof(ii), .index = VFIO_PCI_MSIX_IRQ_INDEX};
        if (ioctl(vfio_device, VFIO_DEVICE_GET_IRQ_INFO, &ii) < 0)
                return -errno;
        if (ii.count < RPCGPU_MSIX_VECTORS) {
                printf("MSI-X offers %u vectors, the vGPU has %u\n", ii.count, RPCGPU_MSIX_VECTORS);
                return -ENODEV;
        }
        char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t) * RPCGPU_MSIX_VECTORS];
        struct vfio_irq_set *set = (struct vfio_irq_set *) buf;
        *set = (struct vfio_irq_set){.argsz = sizeof(buf),
                                     .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
                                     .index = VFIO_PCI_MSIX_IRQ_INDEX,
                                     .start = 0,
                                     .count = RPCGPU_MSIX_VECTORS};
        for (unsigned v = 0; v < RPCGPU_MSIX_VECTORS; v++) {
                if ((irq_fd[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
                        return -errno;
                memcpy(set->data + v * sizeof(int32_t), &irq_fd[v], sizeof(int32_t));
        }
        return ioctl(vfio_device, VFIO_DEVICE_SET_IRQS, set) < 0 ? -errno : 0;
}

static int vfio_open(const char *dir) {
        const char *bdf = strrchr(dir, '/') + 1;
        char path[512], link[512];
        int r;

        if ((r = vfio_bind(dir, bdf)) < 0)
                return r;
        snprintf(path, sizeof(path), "%s/iommu_group", dir);
        ssize_t k = readlink(path, link, sizeof(link) - 1);
        if (k < 0) {
                printf("%s has no IOMMU group: boot the guest with an IOMMU (intel_iommu=on)\n", bdf);
                return -ENODEV;
        }
        link[k] = 0;
        snprintf(path, sizeof(path), "/dev/vfio/%s", strrchr(link, '/') + 1);
        if ((vfio_container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC)) < 0 ||
            (vfio_group = open(path, O_RDWR | O_CLOEXEC)) < 0) {
                printf("cannot open /dev/vfio/vfio or %s: %s\n", path, strerror(errno));
                return -errno;
        }
        struct vfio_group_status gs = {.argsz = sizeof(gs)};
        if (ioctl(vfio_container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
            !ioctl(vfio_container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU)) {
                printf("the guest's VFIO offers no type1v2 IOMMU\n");
                return -ENOTSUP;
        }
        if (ioctl(vfio_group, VFIO_GROUP_GET_STATUS, &gs) < 0 || !(gs.flags & VFIO_GROUP_FLAGS_VIABLE)) {
                printf("IOMMU group %s is not viable: another device in it has a driver other than "
                       "vfio-pci\n",
                       path);
                return -EBUSY;
        }
        if (ioctl(vfio_group, VFIO_GROUP_SET_CONTAINER, &vfio_container) < 0 ||
            ioctl(vfio_container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0 ||
            (vfio_device = ioctl(vfio_group, VFIO_GROUP_GET_DEVICE_FD, bdf)) < 0) {
                printf("VFIO set-up of %s failed: %s\n", bdf, strerror(errno));
                return -errno;
        }
        struct vfio_device_info di = {.argsz = sizeof(di)};
        if (ioctl(vfio_device, VFIO_DEVICE_GET_INFO, &di) < 0)
                return -errno;
        vfio_reset_offered = di.flags & VFIO_DEVICE_FLAGS_RESET;

        uint64_t size0;
        if (!(bar0 = vfio_map_region(VFIO_PCI_BAR0_REGION_INDEX, &size0)) ||
            !(vram = vfio_map_region(VFIO_PCI_BAR2_REGION_INDEX, &vram_size))) {
                printf("cannot mmap the BARs through the VFIO device: %s\n", strerror(errno));
                return -errno;
        }
        if ((r = vfio_enable_device()) < 0) {
                printf("cannot enable bus mastering through the VFIO config region: %s\n", strerror(-r));
                return r;
        }
        if ((r = vfio_setup_msix()) < 0) {
                printf("VFIO_DEVICE_SET_IRQS for MSI-X failed: %s\n", strerror(-r));
                return r;
        }
        if ((r = alloc_huge_page()) < 0)
                return r;
        struct vfio_iommu_type1_dma_map map = {.argsz = sizeof(map),
                                               .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
                                               .vaddr = (uintptr_t) ram,
                                               .iova = VFIO_IOVA,
                                               .size = HUGE_SIZE};
        if (ioctl(vfio_container, VFIO_IOMMU_MAP_DMA, &map) < 0) {
                printf("VFIO_IOMMU_MAP_DMA at IOVA %#llx failed: %s\n", (unsigned long long) VFIO_IOVA,
                       strerror(errno));
                return -errno;
        }
        ram_dma = VFIO_IOVA;
        printf("access: VFIO type1 (group %s), MSI-X %u vectors on eventfds, VFIO_DEVICE_RESET %s; buffer "
               "at "
               "IOVA %#" PRIx64 "\n",
               strrchr(link, '/') + 1, RPCGPU_MSIX_VECTORS, vfio_reset_offered ? "offered" : "not offered",
               ram_dma);
        return 0;
}

static int access_open(const char *dir) {
        return access_mode == ACCESS_VFIO ? vfio_open(dir) : sysfs_open(dir);
}

static void drain(int fd) {
        uint64_t n;
        while (read(fd, &n, 8) == 8)
                ;
}

/* Wait for an interrupt on vector v, up to timeout_ns: true if it came. */
static bool wait_irq(unsigned v, uint64_t timeout_ns) {
        struct pollfd p = {.fd = irq_fd[v], .events = POLLIN};
        uint64_t n;
        int r = poll(&p, 1, (int) (timeout_ns / 1000000));
        return r == 1 && read(irq_fd[v], &n, 8) == 8;
}

static void submit(const uint32_t *cmds, size_t ndw) {
        size_t bytes = ndw * 4;
        for (size_t i = 0; i < bytes; i++)
                ram[(tail + i) % RING_SIZE] = ((const uint8_t *) cmds)[i];
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        tail = (uint32_t) ((tail + bytes) % RING_SIZE);
        wr(RPCGPU_REG_RING_TAIL, tail);
}

static uint64_t fence_value(void) {
        return rd(RPCGPU_REG_FENCE_LO) | (uint64_t) rd(RPCGPU_REG_FENCE_HI) << 32;
}

/* Submit a FENCE and wait until it signals (or the device fails): ns from the doorbell to the
 * fence seen, or 0 on failure. The FENCE register holds the value of the last FENCE run, whatever
 * it was (the workload's write-back FENCE of 0xfeedfacecafebeef too), so the wait is for this one's
 * value exactly: "at least v" was true at once after that FENCE, and a poll that came before the
 * engine had run the next one checked results that were not there yet. With VFIO the FENCE raises MSI-X
 * vector 0 and the wait sleeps on its eventfd; the error vector ends it early. With sysfs the registers are
 * polled. */
static uint64_t fence_wait(void) {
        uint32_t cmd[8];
        uint64_t v = next_fence++, t0;
        if (access_mode == ACCESS_VFIO) {
                drain(irq_fd[0]);
                t0 = now_ns();
                submit(cmd, rpcgpu_cmd_fence(cmd, RPCGPU_F_FENCE_IRQ, v, 0));
                struct pollfd p[2] = {{.fd = irq_fd[0], .events = POLLIN},
                                      {.fd = irq_fd[1], .events = POLLIN}};
                while (now_ns() - t0 < 30000000000ull) {
                        if (poll(p, 2, 1000) < 0 || p[1].revents)
                                return 0;
                        if (p[0].revents) {
                                drain(irq_fd[0]);
                                if (fence_value() == v) {
                                        wr(RPCGPU_REG_INT_STATUS, RPCGPU_INT_FENCE);
                                        return now_ns() - t0;
                                }
                        }
                }
                return 0;
        }
        t0 = now_ns();
        submit(cmd, rpcgpu_cmd_fence(cmd, 0, v, 0));
        for (;;) {
                if (fence_value() == v)
                        return now_ns() - t0;
                if (rd(RPCGPU_REG_STATUS) & RPCGPU_STATUS_FAILSAFE)
                        return 0;
                if (now_ns() - t0 > 30000000000ull)
                        return 0;
        }
}

/* Wait for failsafe: the error interrupt (VFIO) or the STATUS register (sysfs). */
static bool wait_failsafe(void) {
        if (access_mode == ACCESS_VFIO && !wait_irq(1, 10000000000ull))
                return false;
        uint64_t t0 = now_ns();
        while (!(rd(RPCGPU_REG_STATUS) & RPCGPU_STATUS_FAILSAFE) && now_ns() - t0 < 10000000000ull)
                ;
        return rd(RPCGPU_REG_STATUS) & RPCGPU_STATUS_FAILSAFE;
}

/* The device's RESET register, or VFIO_DEVICE_RESET (a function reset by the guest's kernel) when
 * asked for and offered. Either way the ring starts over at 0. */
static void device_reset(bool vfio_reset) {
        if (vfio_reset) {
                if (ioctl(vfio_device, VFIO_DEVICE_RESET) < 0)
                        printf("FAIL: VFIO_DEVICE_RESET: %s\n", strerror(errno)), failures++;
        } else {
                wr(RPCGPU_REG_RESET, 1);
        }
        tail = 0;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

static void program_ring(void) {
        tail = 0;
        wr(RPCGPU_REG_RING_BASE_LO, (uint32_t) ram_dma);
        wr(RPCGPU_REG_RING_BASE_HI, (uint32_t) (ram_dma >> 32));
        wr(RPCGPU_REG_RING_SIZE, RING_SIZE);
}

static void workload(void) {
        const uint64_t data = ram_dma + 65536; /* past the ring */
        uint8_t *d = ram + 65536;
        uint32_t cmd[64], *b1 = (uint32_t *) (ram + 0x1f0000);
        size_t n = 0, n1 = 0;

        for (unsigned i = 0; i < 65536; i++)
                d[i] = (uint8_t) (i * 13 + 5);
        n += rpcgpu_cmd_fill(cmd + n, 0, data + 0x40000, 8192, 0x5a5a5a5a);
        n += rpcgpu_cmd_copy(cmd + n, RPCGPU_F_DST_VRAM, 0, data, 65536);
        n += rpcgpu_cmd_copy(cmd + n, RPCGPU_F_SRC_VRAM, data + 0x20000, 0, 65536);
        n += rpcgpu_cmd_blit(cmd + n, 0, data + 0x60000, 256, data, 128, 100, 32);
        n += rpcgpu_cmd_fence(cmd + n, RPCGPU_F_FENCE_WRITE, 0xfeedfacecafebeefull, data + 0x70000);
        submit(cmd, n);
        CHECK(fence_wait() > 0, "the first batch of work did not complete (ERROR_STATUS %u)",
              rd(RPCGPU_REG_ERROR_STATUS));
        for (unsigned i = 0; i < 8192; i++)
                CHECK(d[0x40000 + i] == 0x5a, "FILL byte %u is %#x", i, d[0x40000 + i]);
        CHECK(memcmp(vram, d, 65536) == 0, "COPY to VRAM differs");
        CHECK(memcmp(d + 0x20000, d, 65536) == 0, "COPY back from VRAM differs");
        for (unsigned r = 0; r < 32; r++) {
                CHECK(memcmp(d + 0x60000 + r * 256, d + r * 128, 100) == 0, "BLIT row %u differs", r);
                for (unsigned i = 100; i < 256; i++)
                        CHECK(d[0x60000 + r * 256 + i] == 0, "BLIT wrote past row %u's width", r);
        }
        uint64_t fv;
        memcpy(&fv, d + 0x70000, 8);
        CHECK(fv == 0xfeedfacecafebeefull, "FENCE write-back %#" PRIx64, fv);

        /* A nested batch: ring -> batch in RAM -> batch in VRAM. */
        uint32_t *b2 = (uint32_t *) (vram + 0x100000);
        size_t n2 = rpcgpu_cmd_fill(b2, 0, data + 0x80000, 256, 0x11111111);
        n1 += rpcgpu_cmd_batch_start(b1 + n1, RPCGPU_F_SRC_VRAM, 0x100000, (uint32_t) n2 * 4);
        n1 += rpcgpu_cmd_fill(b1 + n1, 0, data + 0x80100, 256, 0x22222222);
        n1 += rpcgpu_cmd_batch_end(b1 + n1);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        n = rpcgpu_cmd_batch_start(cmd, 0, ram_dma + 0x1f0000, (uint32_t) n1 * 4);
        submit(cmd, n);
        CHECK(fence_wait() > 0, "the nested batch did not complete");
        for (unsigned i = 0; i < 512; i++)
                CHECK(d[0x80000 + i] == (i < 256 ? 0x11 : 0x22), "nested batch byte %u is %#x", i,
                      d[0x80000 + i]);

        /* Figures: BAR0 round trips, doorbell to fence, COPY bandwidth (VRAM to VRAM, 8 MiB). */
        enum { N = 2000 };
        static uint64_t t[N];
        for (int i = 0; i < N; i++) {
                uint64_t t0 = now_ns();
                (void) rd(RPCGPU_REG_ID);
                t[i] = now_ns() - t0;
        }
        qsort(t, N, sizeof(t[0]), cmp_u64);
        printf("BAR0 read: p50 %.1f us, p99 %.1f us (%d reads)\n", t[N / 2] / 1e3, t[N * 99 / 100] / 1e3, N);
        for (int i = 0; i < 100; i++)
                t[i] = fence_wait();
        qsort(t, 100, sizeof(t[0]), cmp_u64);
        printf("doorbell to fence: p50 %.1f us, p99 %.1f us (100 fences, %s)\n", t[50] / 1e3, t[99] / 1e3,
               access_mode == ACCESS_VFIO ? "MSI-X interrupt" : "polled");
        uint64_t size = vram_size / 2 > (8u << 20) ? 8u << 20 : vram_size / 2;
        n = rpcgpu_cmd_copy(cmd, RPCGPU_F_DST_VRAM | RPCGPU_F_SRC_VRAM, vram_size / 2, 0, size);
        uint64_t t0 = now_ns();
        submit(cmd, n);
        uint64_t waited = fence_wait();
        CHECK(waited > 0, "the bandwidth COPY did not complete");
        printf("COPY VRAM to VRAM: %" PRIu64 " MiB in %.2f ms, %.2f GB/s\n", size >> 20,
               (now_ns() - t0) / 1e6, size / (double) (now_ns() - t0));
        n = rpcgpu_cmd_copy(cmd, RPCGPU_F_DST_VRAM, 0, data, 65536);
        t0 = now_ns();
        for (int i = 0; i < 16; i++)
                submit(cmd, n);
        CHECK(fence_wait() > 0, "the RAM to VRAM copies did not complete");
        printf("COPY RAM to VRAM: 16 x 64 KiB in %.2f ms, %.3f GB/s\n", (now_ns() - t0) / 1e6,
               (16 << 16) / (double) (now_ns() - t0));

        /* Device reset: HEAD and TAIL back to 0, the ring keeps its base and size. */
        device_reset(false);
        CHECK(rd(RPCGPU_REG_RING_HEAD) == 0 && rd(RPCGPU_REG_RING_TAIL) == 0, "RESET left HEAD %u TAIL %u",
              rd(RPCGPU_REG_RING_HEAD), rd(RPCGPU_REG_RING_TAIL));
        CHECK(fence_wait() > 0, "no work after RESET");
}

/* The device must be in failsafe for err (with VFIO: announced by the error interrupt); then a
 * reset (the RESET register, or VFIO_DEVICE_RESET) must end it and work must run again. */
static void expect_failsafe(uint32_t err, const char *what, bool vfio_reset) {
        CHECK(wait_failsafe(), "%s: no failsafe%s", what,
              access_mode == ACCESS_VFIO ? " (or no error interrupt)" : "");
        CHECK(rd(RPCGPU_REG_ERROR_STATUS) == err, "%s: ERROR_STATUS %u, expected %u", what,
              rd(RPCGPU_REG_ERROR_STATUS), err);
        printf("%s: failsafe%s, ERROR_STATUS %u, ERROR_ADDR %#x\n", what,
               access_mode == ACCESS_VFIO ? " (error interrupt)" : "", rd(RPCGPU_REG_ERROR_STATUS),
               rd(RPCGPU_REG_ERROR_ADDR_LO));
        device_reset(vfio_reset);
        if (vfio_reset)
                program_ring(); /* a function reset clears the ring registers too */
        CHECK(!(rd(RPCGPU_REG_STATUS) & RPCGPU_STATUS_FAILSAFE), "%s: %s did not end failsafe", what,
              vfio_reset ? "VFIO_DEVICE_RESET" : "RESET");
        CHECK(fence_wait() > 0, "%s: no work after %s", what, vfio_reset ? "VFIO_DEVICE_RESET" : "RESET");
        printf("%s: %s ended failsafe\n", what, vfio_reset ? "VFIO_DEVICE_RESET" : "the RESET register");
}

static void hostile(void) {
        uint32_t cmd[16];
        /* Far outside every mapping the device was given (with VFIO: an IOVA nothing is mapped at). */
        submit(cmd, rpcgpu_cmd_copy(cmd, RPCGPU_F_DST_VRAM, 0, 0x7f0000000000ull, 4096));
        expect_failsafe(RPCGPU_ERR_ADDRESS, "COPY from outside the device's mappings", false);
        submit(cmd, rpcgpu_cmd_priv_mmio_write(cmd, 0xfee00000, 1));
        expect_failsafe(RPCGPU_ERR_SENSITIVE, "PRIV_MMIO_WRITE",
                        access_mode == ACCESS_VFIO && vfio_reset_offered);
        cmd[0] = 0xdeadbeef;
        submit(cmd, 1);
        expect_failsafe(RPCGPU_ERR_UNKNOWN_COMMAND, "ring garbage", false);
}

/* --- bench: issue 15's figures, each against a reference measured beside it in this guest --- */

static void percentiles(uint64_t *t, size_t n, double *p50, double *p99) {
        qsort(t, n, sizeof(t[0]), cmp_u64);
        *p50 = t[n / 2] / 1e3;
        *p99 = t[n * 99 / 100] / 1e3;
}

/* The ID register of QEMU's own edu device (1234:11e8, emulated inside QEMU: no socket hop). */
static volatile uint32_t *map_edu(void) {
        char dir[300];
        size_t size;
        if (find_device(0x1234, 0x11e8, ANY_CLASS, dir, sizeof(dir)) < 0) {
                printf("no QEMU edu device (1234:11e8) in this guest: start QEMU with -device edu\n");
                return NULL;
        }
        volatile uint32_t *edu = NULL;
        if (sysfs_enable_device(dir) < 0 || !(edu = map_resource(dir, 0, &size))) {
                printf("cannot map edu's BAR0 through sysfs: %s\n", strerror(errno));
                return NULL;
        }
        if ((edu[0] & 0xff) != 0xed) {
                printf("edu's ID register reads %#x\n", edu[0]);
                return NULL;
        }
        return edu;
}

/* ns for a device COPY of size bytes (flags, dst, src), doorbell to fence; the best of three. */
static uint64_t time_copy(uint32_t flags, uint64_t dst, uint64_t src, uint64_t size) {
        uint64_t best = UINT64_MAX;
        for (int i = 0; i < 3; i++) {
                uint32_t cmd[8];
                size_t n = rpcgpu_cmd_copy(cmd, flags, dst, src, size);
                uint64_t t0 = now_ns();
                submit(cmd, n);
                if (fence_wait() == 0) {
                        printf("FAIL: the bench COPY did not complete\n");
                        failures++;
                        return 1;
                }
                best = now_ns() - t0 < best ? now_ns() - t0 : best;
        }
        return best;
}

/* ns for a memcpy by this guest's CPU; the best of three. */
static uint64_t time_memcpy(void *dst, const void *src, size_t size) {
        uint64_t best = UINT64_MAX;
        for (int i = 0; i < 3; i++) {
                uint64_t t0 = now_ns();
                memcpy(dst, src, size);
                __atomic_thread_fence(__ATOMIC_SEQ_CST);
                best = now_ns() - t0 < best ? now_ns() - t0 : best;
        }
        return best;
}

static void bench(void) {
        volatile uint32_t *edu = map_edu();
        if (!edu) {
                failures++;
                return;
        }
        /* Alternated in blocks, so that a change in the machine's load hits both sides alike. */
        enum { N = 4000, BLOCK = 100 };
        static uint64_t tv[N], te[N];
        for (int b = 0; b < N; b += BLOCK) {
                for (int i = b; i < b + BLOCK; i++) {
                        uint64_t t0 = now_ns();
                        (void) rd(RPCGPU_REG_ID);
                        tv[i] = now_ns() - t0;
                }
                for (int i = b; i < b + BLOCK; i++) {
                        uint64_t t0 = now_ns();
                        (void) edu[0];
                        te[i] = now_ns() - t0;
                }
        }
        double v50, v99, e50, e99;
        percentiles(tv, N, &v50, &v99);
        percentiles(te, N, &e50, &e99);
        printf("bench: MMIO read, vGPU BAR0 over vfio-user: p50 %.1f us, p99 %.1f us (%d reads)\n", v50, v99,
               N);
        printf("bench: MMIO read, QEMU's edu (emulated in QEMU): p50 %.1f us, p99 %.1f us (%d reads)\n", e50,
               e99, N);
        printf("bench: ratio MMIO read vfio-user / QEMU-emulated: p50 %.1fx, p99 %.1fx\n", v50 / e50,
               v99 / e99);

        /* COPY by the device against memcpy by the guest's CPU, same sizes. */
        const uint64_t big = vram_size / 2 > (8u << 20) ? 8u << 20 : vram_size / 2;
        uint8_t *a = malloc(big), *b2 = malloc(big);
        if (!a || !b2) {
                printf("FAIL: no memory for the memcpy reference\n");
                failures++;
                return;
        }
        memset(a, 0x5a, big);
        memset(b2, 0, big);
        uint64_t dev = time_copy(RPCGPU_F_DST_VRAM | RPCGPU_F_SRC_VRAM, big, 0, big);
        uint64_t cpu = time_memcpy(b2, a, big);
        printf("bench: COPY VRAM to VRAM %" PRIu64 " MiB: %.3f GB/s; guest memcpy RAM to RAM: %.3f GB/s; "
               "device/memcpy %.2fx\n",
               big >> 20, big / (double) dev, big / (double) cpu, (double) cpu / dev);
        const uint64_t small = 1u << 20; /* in the DMA buffer, after the ring */
        uint64_t dev2 = time_copy(RPCGPU_F_DST_VRAM, 0, ram_dma + 65536, small);
        uint64_t cpu2 = time_memcpy(vram, ram + 65536, small);
        printf("bench: COPY RAM to VRAM 1 MiB: %.3f GB/s; guest memcpy RAM to the VRAM mapping: %.3f GB/s; "
               "device/memcpy %.2fx\n",
               small / (double) dev2, small / (double) cpu2, (double) cpu2 / dev2);
        free(a);
        free(b2);
}

/*
 * share: keep the device busy with large COPYs from VRAM to VRAM, which the engine executes on the
 * host while this guest sleeps, and count the bytes it completes in a measurement window. Two VMs
 * run this at once on one GPU (tests/vm/rpc-share.bats); they agree on the window through files in
 * a directory both share with the host: each writes NAME.ready once its queue runs, the host
 * writes "go" when both are ready, each measures for its own SECONDS and writes NAME.done, and
 * keeps the device busy until the host writes "stop" (so that both windows see both VMs' load).
 * Completion is read from a FENCE write-back in guest RAM, not from BAR0: a BAR0 read is a message
 * the engine answers and charges to this instance, which would take from the work it measures (a
 * STATUS read every millisecond cost each guest about 2 % of the engine: 71.5 % instead of 70 %).
 */
#define SHARE_COPY_MAX (4u << 20)
#define SHARE_INFLIGHT 64u       /* copy + fence pairs of 48 bytes: 3 KiB of the 4 KiB ring */
#define SHARE_FENCE    0x100000u /* offset of the fence write-back in the huge page */

static volatile uint64_t *share_fence;
static uint64_t share_submitted, share_copy;

/* Refill the queue to SHARE_INFLIGHT once half of it is done: one doorbell per half queue. */
static void share_refill(void) {
        static uint32_t cmd[SHARE_INFLIGHT * 12];
        uint64_t done = *share_fence;
        size_t n = 0;
        if (share_submitted - done > SHARE_INFLIGHT / 2)
                return;
        while (share_submitted - done < SHARE_INFLIGHT) {
                n += rpcgpu_cmd_copy(cmd + n, RPCGPU_F_DST_VRAM | RPCGPU_F_SRC_VRAM, vram_size / 2, 0,
                                     share_copy);
                n += rpcgpu_cmd_fence(cmd + n, RPCGPU_F_FENCE_WRITE, ++share_submitted,
                                      ram_dma + SHARE_FENCE);
        }
        submit(cmd, n);
}

static bool share_file_exists(const char *dir, const char *file) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, file);
        return access(path, F_OK) == 0;
}

static int share_file_create(const char *dir, const char *file) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, file);
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
                printf("FAIL: cannot create %s: %s\n", path, strerror(errno));
                return -errno;
        }
        close(fd);
        return 0;
}

/*
 * Keep the queue full, sleeping 1 ms between looks, until FILE appears in DIR (or, with FILE NULL,
 * until the clock passes until_ns); every whole second of a measurement, the copies completed go
 * to per_second. 0, or -ETIMEDOUT / -EIO with the reason printed.
 */
static int share_run(const char *dir, const char *file, uint64_t until_ns, uint64_t *per_second,
                     size_t nsec) {
        const struct timespec ms = {.tv_nsec = 1000000};
        uint64_t start = now_ns(), last_check = 0, last_done = *share_fence, last_progress = start;
        uint64_t second = start + 1000000000ull, second_done = last_done;
        size_t s = 0;
        for (;;) {
                uint64_t t = now_ns(), done = *share_fence;
                if (done != last_done) {
                        last_done = done;
                        last_progress = t;
                }
                if (per_second && t >= second && s < nsec) {
                        per_second[s++] = done - second_done;
                        second_done = done;
                        second += 1000000000ull;
                }
                if (!file && t >= until_ns)
                        return 0;
                /* A look at the shared directory is a 9p round trip: every 10 ms is enough. */
                if (file && t - last_check >= 10000000ull) {
                        last_check = t;
                        if (share_file_exists(dir, file))
                                return 0;
                }
                /* BAR0 only when nothing completes for a second: each read costs this guest engine time. */
                if (t - last_progress > 1000000000ull && rd(RPCGPU_REG_STATUS) & RPCGPU_STATUS_FAILSAFE) {
                        printf("FAIL: share: the device went to failsafe (ERROR_STATUS %u)\n",
                               rd(RPCGPU_REG_ERROR_STATUS));
                        return -EIO;
                }
                if (t - last_progress > 30000000000ull) {
                        printf("FAIL: share: no COPY completed for 30 s (%" PRIu64 " of %" PRIu64 " done)\n",
                               done, share_submitted);
                        return -ETIMEDOUT;
                }
                if (file && t - start > 600000000000ull) {
                        printf("FAIL: share: %s/%s did not appear in 600 s\n", dir, file);
                        return -ETIMEDOUT;
                }
                share_refill();
                nanosleep(&ms, NULL);
        }
}

static void share(double seconds, const char *dir, const char *name) {
        char ready[256], done_file[256];
        uint64_t per_second[600] = {0};
        size_t nsec = (size_t) seconds < 600 ? (size_t) seconds : 600;

        share_copy = vram_size / 2 < SHARE_COPY_MAX ? vram_size / 2 : SHARE_COPY_MAX;
        share_fence = (volatile uint64_t *) (ram + SHARE_FENCE);
        *share_fence = 0;
        snprintf(ready, sizeof(ready), "%s.ready", name);
        snprintf(done_file, sizeof(done_file), "%s.done", name);

        /* Warm up: the queue has run for a second before this guest says it is ready. */
        share_refill();
        if (share_run(dir, NULL, now_ns() + 1000000000ull, NULL, 0) < 0 ||
            share_file_create(dir, ready) < 0 || share_run(dir, "go", 0, NULL, 0) < 0) {
                failures++;
                return;
        }
        uint64_t t0 = now_ns(), d0 = *share_fence;
        if (share_run(dir, NULL, t0 + (uint64_t) (seconds * 1e9), per_second, nsec) < 0) {
                failures++;
                return;
        }
        uint64_t t1 = now_ns(), d1 = *share_fence;
        printf("share %s: %" PRIu64 " COPYs of %" PRIu64 " KiB, %" PRIu64 " bytes in %.3f s (%.1f MB/s)\n",
               name, d1 - d0, share_copy >> 10, (d1 - d0) * share_copy, (t1 - t0) / 1e9,
               (d1 - d0) * share_copy / ((t1 - t0) / 1e3));
        printf("share %s: COPYs per second:", name);
        for (size_t i = 0; i < nsec; i++)
                printf(" %" PRIu64, per_second[i]);
        printf("\n");
        if (share_file_create(dir, done_file) < 0 || share_run(dir, "stop", 0, NULL, 0) < 0) {
                failures++;
                return;
        }
        /* Drain: what is queued completes before this guest leaves. */
        uint64_t t = now_ns();
        while (*share_fence < share_submitted && now_ns() - t < 30000000000ull)
                ;
        CHECK(*share_fence == share_submitted, "share: %" PRIu64 " of %" PRIu64 " COPYs done at the end",
              *share_fence, share_submitted);
}

int main(int argc, char *argv[]) {
        unsigned long vendor = RPCGPU_VENDOR_ID, device = RPCGPU_DEVICE_ID, class = RPCGPU_CLASS_CODE;
        char dir[300];
        int i;

        setvbuf(stdout, NULL, _IOLBF, 0);
        for (i = 1; i + 1 < argc && argv[i][0] == '-'; i += 2) {
                if (!strcmp(argv[i], "--vendor"))
                        vendor = strtoul(argv[i + 1], NULL, 16);
                else if (!strcmp(argv[i], "--device"))
                        device = strtoul(argv[i + 1], NULL, 16);
                else if (!strcmp(argv[i], "--class"))
                        class = strtoul(argv[i + 1], NULL, 16);
                else if (!strcmp(argv[i], "--access") && !strcmp(argv[i + 1], "vfio"))
                        access_mode = ACCESS_VFIO;
                else if (!strcmp(argv[i], "--access") && !strcmp(argv[i + 1], "sysfs"))
                        access_mode = ACCESS_SYSFS;
                else
                        break;
        }
        if (i >= argc ||
            (strcmp(argv[i], "workload") && strcmp(argv[i], "hostile") && strcmp(argv[i], "bench") &&
             (strcmp(argv[i], "share") || i + 3 >= argc || atof(argv[i + 1]) <= 0))) {
                fprintf(stderr,
                        "usage: rpc-vm-guest [--access vfio|sysfs] [--vendor V --device D --class C] "
                        "workload|hostile|bench\n"
                        "       rpc-vm-guest [...] share SECONDS SYNC-DIR NAME\n");
                return 2;
        }
        if (find_device(vendor, device, class, dir, sizeof(dir)) < 0) {
                printf("no %04lx:%04lx class %06lx in this guest\n", vendor, device, class);
                return 1;
        }
        printf("device %s %04lx:%04lx\n", strrchr(dir, '/') + 1, vendor, device);
        if (access_open(dir) < 0)
                return 1;
        if (rd(RPCGPU_REG_ID) != RPCGPU_ID_MAGIC) {
                printf("BAR0 ID reads %#x, not the vGPU's\n", rd(RPCGPU_REG_ID));
                return 1;
        }
        /* What the previous VM left: nothing (docs/engine.md, the power-on state of each client). */
        printf("at start: commands %u fences %u violations %u fence %u ring size %u error %u engine reg %u "
               "VRAM[0] %#x\n",
               rd(RPCGPU_REG_STAT_COMMANDS), rd(RPCGPU_REG_STAT_FENCES), rd(RPCGPU_REG_STAT_VIOLATIONS),
               rd(RPCGPU_REG_FENCE_LO), rd(RPCGPU_REG_RING_SIZE), rd(RPCGPU_REG_ERROR_STATUS),
               rd(RPCGPU_REG_ENGINE_REGS), vram[0]);
        program_ring();
        if (!strcmp(argv[i], "workload"))
                workload();
        else if (!strcmp(argv[i], "bench"))
                bench();
        else if (!strcmp(argv[i], "share"))
                share(atof(argv[i + 1]), argv[i + 2], argv[i + 3]);
        else
                hostile();
        printf("%s: %s\n", argv[i], failures ? "FAILED" : "verified");
        return failures ? 1 : 0;
}
