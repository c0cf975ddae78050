/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A guest driver for the RPC vGPU (see guest.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>

#include "macro.h"
#include "vfio-user/guest.h"

static uint64_t mono_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

int rpcgpu_guest_read32(struct rpcgpu_guest *g, uint32_t reg, uint32_t *ret) {
        return vfu_client_region_read(g->client, VFU_PCI_BAR0_REGION, reg, ret, 4);
}

int rpcgpu_guest_read64(struct rpcgpu_guest *g, uint32_t reg, uint64_t *ret) {
        return vfu_client_region_read(g->client, VFU_PCI_BAR0_REGION, reg, ret, 8);
}

int rpcgpu_guest_write32(struct rpcgpu_guest *g, uint32_t reg, uint32_t value) {
        return vfu_client_region_write(g->client, VFU_PCI_BAR0_REGION, reg, &value, 4, false);
}

/*
 * The PCI ids are a type's choice ([rpc-type] vendor_id, ...): the device is recognised by its
 * register file, BAR0's ID and major version.
 */
static int check_identity(struct vfu_client *c) {
        uint32_t id, version;
        int r = vfu_client_region_read(c, VFU_PCI_BAR0_REGION, RPCGPU_REG_ID, &id, 4);
        if (r < 0)
                return r;
        r = vfu_client_region_read(c, VFU_PCI_BAR0_REGION, RPCGPU_REG_VERSION, &version, 4);
        if (r < 0)
                return r;
        if (id != RPCGPU_ID_MAGIC || version >> 16 != RPCGPU_VERSION >> 16)
                return -ENODEV;
        return 0;
}

static int enable_bus_master(struct vfu_client *c) {
        uint16_t cmd;
        int r = vfu_client_region_read(c, VFU_PCI_CONFIG_REGION, 4, &cmd, 2);
        if (r < 0)
                return r;
        cmd |= 0x0006; /* memory space, bus master */
        return vfu_client_region_write(c, VFU_PCI_CONFIG_REGION, 4, &cmd, 2, false);
}

int rpcgpu_guest_open(const char *socket, const struct rpcgpu_guest_params *params,
                      struct rpcgpu_guest **ret) {
        _cleanup_(rpcgpu_guest_closep) struct rpcgpu_guest *g = NULL;
        struct vfu_device_info info;
        void *vram;
        int r;

        if (params->ram_size <= RPCGPU_GUEST_RING_SIZE || params->ram_size % 4096)
                return -EINVAL;
        g = calloc(1, sizeof(*g));
        if (!g)
                return -ENOMEM;
        g->ram_fd = g->irq_fd = g->error_irq_fd = -1;
        g->ring_size = RPCGPU_GUEST_RING_SIZE;
        g->next_fence = 1;

        if ((r = vfu_client_connect(socket, &g->client)) < 0 || (r = vfu_client_negotiate(g->client)) < 0 ||
            (r = vfu_client_device_info(g->client, &info)) < 0)
                return r;
        if (!(info.flags & VFU_DEVICE_FLAG_PCI) || info.num_regions < VFU_PCI_NUM_REGIONS ||
            info.num_irqs < VFU_PCI_NUM_IRQS)
                return -ENODEV;
        if ((r = check_identity(g->client)) < 0)
                return r;

        /*
         * Guest RAM as QEMU has it: a memfd shared through DMA_MAP (memory-backend-memfd), a file on a
         * real filesystem (memory-backend-file, libvirt's file-backed shared memory), or private memory
         * mapped without a descriptor (QEMU's default), which the device reaches through DMA_READ and
         * DMA_WRITE that this client answers.
         */
        void *ram;
        if (params->ram == RPCGPU_RAM_PRIVATE) {
                ram = mmap(NULL, params->ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                           0);
        } else {
                if (params->ram == RPCGPU_RAM_FILE) {
                        g->ram_fd = open(params->ram_dir ? params->ram_dir : "/var/tmp",
                                         O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
                } else
                        g->ram_fd = memfd_create("rpcgpu-guest-ram", MFD_CLOEXEC);
                if (g->ram_fd < 0 || ftruncate(g->ram_fd, (off_t) params->ram_size) < 0)
                        return -errno;
                ram = mmap(NULL, params->ram_size, PROT_READ | PROT_WRITE, MAP_SHARED, g->ram_fd, 0);
        }
        if (ram == MAP_FAILED)
                return -errno;
        g->ram = ram;
        g->ram_size = params->ram_size;
        vfu_client_set_dma_memory(g->client, RPCGPU_GUEST_RAM_IOVA, g->ram, g->ram_size);
        r = vfu_client_dma_map(g->client, g->ram_fd, 0, RPCGPU_GUEST_RAM_IOVA, params->ram_size,
                               VFU_DMA_FLAG_READ | VFU_DMA_FLAG_WRITE);
        if (r < 0)
                return r;
        r = vfu_client_mmap_region(g->client, VFU_PCI_BAR2_REGION, &vram, &g->vram_size);
        if (r < 0)
                return r;
        g->vram = vram;

        g->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (g->irq_fd < 0)
                return -errno;
        if (params->msix) {
                g->error_irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
                if (g->error_irq_fd < 0)
                        return -errno;
                int fds[2] = {g->irq_fd, g->error_irq_fd};
                r = vfu_client_set_irqs(g->client, VFU_PCI_MSIX_IRQ,
                                        VFU_IRQ_SET_DATA_EVENTFD | VFU_IRQ_SET_ACTION_TRIGGER, 0, 2, fds, 2,
                                        NULL);
        } else
                r = vfu_client_set_irqs(g->client, VFU_PCI_MSI_IRQ,
                                        VFU_IRQ_SET_DATA_EVENTFD | VFU_IRQ_SET_ACTION_TRIGGER, 0, 1,
                                        &g->irq_fd, 1, NULL);
        if (r < 0)
                return r;
        if ((r = enable_bus_master(g->client)) < 0)
                return r;
        if ((r = rpcgpu_guest_write32(g, RPCGPU_REG_RING_BASE_LO, (uint32_t) RPCGPU_GUEST_RAM_IOVA)) < 0 ||
            (r = rpcgpu_guest_write32(g, RPCGPU_REG_RING_BASE_HI,
                                      (uint32_t) (RPCGPU_GUEST_RAM_IOVA >> 32))) < 0 ||
            (r = rpcgpu_guest_write32(g, RPCGPU_REG_RING_SIZE, g->ring_size)) < 0)
                return r;
        *ret = TAKE_PTR(g);
        return 0;
}

void rpcgpu_guest_close(struct rpcgpu_guest *g) {
        if (!g)
                return;
        vfu_client_free(g->client);
        if (g->vram)
                munmap(g->vram, g->vram_size);
        if (g->ram)
                munmap(g->ram, g->ram_size);
        if (g->ram_fd >= 0)
                close(g->ram_fd);
        if (g->irq_fd >= 0)
                close(g->irq_fd);
        if (g->error_irq_fd >= 0)
                close(g->error_irq_fd);
        free(g);
}

int rpcgpu_guest_submit(struct rpcgpu_guest *g, const uint32_t *cmds, size_t ndwords) {
        size_t bytes = ndwords * 4;
        uint64_t deadline = mono_ms() + 10000;
        int r;

        if (bytes >= g->ring_size)
                return -E2BIG;
        for (;;) {
                uint32_t head;
                r = rpcgpu_guest_read32(g, RPCGPU_REG_RING_HEAD, &head);
                if (r < 0)
                        return r;
                uint32_t used = (g->tail - head) & (g->ring_size - 1);
                if (g->ring_size - 4 - used >= bytes)
                        break;
                if (mono_ms() > deadline)
                        return -ETIMEDOUT;
                struct timespec ts = {0, 50000};
                nanosleep(&ts, NULL);
        }
        /* The ring is the start of guest RAM: write the commands, wrapping at its end. */
        size_t first = MIN(bytes, (size_t) (g->ring_size - g->tail));
        memcpy(g->ram + g->tail, cmds, first);
        memcpy(g->ram, (const uint8_t *) cmds + first, bytes - first);
        g->tail = (uint32_t) ((g->tail + bytes) & (g->ring_size - 1));
        return rpcgpu_guest_write32(g, RPCGPU_REG_RING_TAIL, g->tail);
}

int rpcgpu_guest_fence(struct rpcgpu_guest *g, uint64_t *ret) {
        uint32_t cmd[8];
        uint64_t v = g->next_fence++;
        size_t n = rpcgpu_cmd_fence(cmd, RPCGPU_F_FENCE_IRQ, v, 0);
        int r = rpcgpu_guest_submit(g, cmd, n);
        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

int rpcgpu_guest_wait_irq(int fd, int timeout_ms) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        uint64_t v;
        int r = poll(&p, 1, timeout_ms);
        if (r < 0)
                return -errno;
        if (r == 0)
                return 0;
        if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
                return -errno;
        return 1;
}

int rpcgpu_guest_wait_irq_serving(struct rpcgpu_guest *g, int fd, int timeout_ms) {
        uint64_t deadline = mono_ms() + (uint64_t) timeout_ms;
        for (;;) {
                struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
                                      {.fd = vfu_client_fd(g->client), .events = POLLIN}};
                uint64_t now = mono_ms(), v;
                int r = poll(p, 2, now >= deadline ? 0 : (int) (deadline - now));
                if (r < 0)
                        return -errno;
                if (p[1].revents) {
                        r = vfu_client_serve(g->client, 0);
                        if (r < 0)
                                return r;
                }
                if (p[0].revents & POLLIN) {
                        if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
                                return -errno;
                        return 1;
                }
                if (r == 0 || mono_ms() >= deadline)
                        return 0;
        }
}

int rpcgpu_guest_wait_fence(struct rpcgpu_guest *g, uint64_t value, int timeout_ms) {
        uint64_t deadline = mono_ms() + (uint64_t) timeout_ms;
        for (;;) {
                uint64_t fence;
                uint32_t status;
                int r = rpcgpu_guest_read64(g, RPCGPU_REG_FENCE_LO, &fence);
                if (r < 0)
                        return r;
                if (fence >= value)
                        return 0;
                r = rpcgpu_guest_read32(g, RPCGPU_REG_STATUS, &status);
                if (r < 0)
                        return r;
                if (status & RPCGPU_STATUS_FAILSAFE)
                        return -EIO;
                uint64_t now = mono_ms();
                if (now >= deadline)
                        return -ETIMEDOUT;
                r = rpcgpu_guest_wait_irq_serving(g, g->irq_fd, (int) MIN(deadline - now, 100u));
                if (r < 0)
                        return r;
        }
}
