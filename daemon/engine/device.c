/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The device model's regions and state changes: config space, the BAR0
 * register file (docs/engine.md, "Register map"), BAR2 VRAM, interrupts
 * causes, failsafe and the kinds of reset (engine reset through the RESET
 * register, DEVICE_RESET from the client or a function-level reset from the
 * guest, and a disconnect).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "device.h"
#include "macro.h"

uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

static void regs_power_on(struct device *d) {
        exec_reset(&d->exec);
        dma_io_cancel(&d->io);
        d->ring_base = 0;
        d->ring_size = 0;
        d->ring_head = d->ring_tail = 0;
        d->fence = 0;
        d->int_status = 0;
        d->int_mask = 0;
        d->error_status = d->error_cmd = 0;
        d->error_addr = 0;
        d->address_space = 0;
        memset(d->engine_regs, 0, sizeof(d->engine_regs));
        memset(d->msix, 0, sizeof(d->msix));
        /* MSI-X vectors start masked (vector control bit 0), as the PCI spec requires. */
        for (unsigned v = 0; v < RPCGPU_MSIX_VECTORS; v++)
                d->msix[v * 16 + 12] = 1;
        d->failsafe = false;
}

void device_init(struct device *d, uint64_t vram_size, const struct pci_identity *identity,
                 const struct sensitive_policy *sensitive, const struct exec_backend_ops *backend,
                 size_t max_dma_maps, uint64_t max_dma_bytes) {
        memset(d, 0, sizeof(*d));
        d->identity = identity ? *identity : pci_identity_default;
        d->vram_size = vram_size;
        d->vram = VRAM_NULL;
        d->sensitive = sensitive;
        d->backend = backend;
        dma_map_init(&d->dma, max_dma_maps, max_dma_bytes);
        dma_io_init(&d->io);
        irq_init(&d->irq);
        pci_config_init(&d->cfg, vram_size, &d->identity);
        regs_power_on(d);
}

void device_done(struct device *d) {
        device_disconnect(d);
        dma_map_done(&d->dma);
        dma_io_done(&d->io);
}

int device_connect(struct device *d, const char *name) {
        vram_destroy(&d->vram);
        int r = vram_create(&d->vram, name, d->vram_size);
        if (r < 0)
                return r;
        pci_config_init(&d->cfg, d->vram_size, &d->identity);
        regs_power_on(d);
        irq_done(&d->irq);
        /* BAR0's statistics are the guest's own: a new client sees nothing of the previous one's work. */
        memset(&d->stats, 0, sizeof(d->stats));
        return 0;
}

void device_disconnect(struct device *d) {
        exec_free(&d->exec);
        dma_map_remove_all(&d->dma);
        irq_done(&d->irq);
        vram_destroy(&d->vram);
        pci_config_init(&d->cfg, d->vram_size, &d->identity);
        regs_power_on(d);
}

void device_reset(struct device *d) {
        exec_free(&d->exec);
        pci_config_init(&d->cfg, d->vram_size, &d->identity);
        regs_power_on(d);
        irq_set_intx_level(&d->irq, false);
}

/* RESET register: the engine only; config space and BAR programming stay. */
static void engine_reset(struct device *d) {
        exec_free(&d->exec);
        dma_io_cancel(&d->io);
        d->ring_head = d->ring_tail = 0;
        d->int_status = 0;
        d->error_status = d->error_cmd = 0;
        d->error_addr = 0;
        d->failsafe = false;
        irq_set_intx_level(&d->irq, false);
}

static void update_intx(struct device *d) {
        bool level = (d->int_status & ~d->int_mask) != 0 &&
                     !(pci_config_command(&d->cfg) & PCI_CFG_COMMAND_INTX_DISABLE);
        irq_set_intx_level(&d->irq, level);
}

void device_raise(struct device *d, uint32_t causes) {
        d->int_status |= causes;
        uint32_t deliver = causes & ~d->int_mask;
        if (deliver & RPCGPU_INT_FENCE)
                irq_edge(&d->irq, 0);
        if (deliver & RPCGPU_INT_ERROR)
                irq_edge(&d->irq, 1);
        update_intx(d);
}

void device_violation(struct device *d, enum rpcgpu_error err, uint32_t cmd_header, uint64_t addr) {
        d->error_status = err;
        d->error_cmd = cmd_header;
        d->error_addr = addr;
        d->failsafe = true;
        d->stats.violations++;
        exec_reset(&d->exec);
        dma_io_cancel(&d->io);       /* replies to what is in flight are dropped when they come */
        d->ring_head = d->ring_tail; /* what was queued is dropped, not run later */
        device_raise(d, RPCGPU_INT_ERROR);
}

bool device_busy(const struct device *d) {
        const struct exec_state *x = &d->exec;
        return !d->failsafe && (x->in_command || x->depth > 0 || x->s[0].pos != x->s[0].end);
}

bool device_runnable(const struct device *d) {
        /* Waiting for the client's DMA replies is busy, but nothing to run until they are in. */
        return device_busy(d) && (pci_config_command(&d->cfg) & PCI_CFG_COMMAND_MASTER) &&
               !dma_io_busy(&d->io);
}

/* BAR0 register file. */

static uint32_t reg_read(const struct device *d, uint32_t off) {
        const uint64_t stats[] = {d->stats.commands, d->stats.bytes, d->stats.busy_ns, d->stats.fences,
                                  d->stats.violations};

        if (off >= RPCGPU_REG_ENGINE_REGS && off < RPCGPU_REG_ENGINE_REGS + 4 * RPCGPU_ENGINE_REGS)
                return d->engine_regs[(off - RPCGPU_REG_ENGINE_REGS) / 4];
        if (off >= RPCGPU_REG_STAT_COMMANDS && off < RPCGPU_REG_STAT_COMMANDS + 8 * ELEMENTSOF(stats)) {
                uint64_t v = stats[(off - RPCGPU_REG_STAT_COMMANDS) / 8];
                return (off & 4) ? (uint32_t) (v >> 32) : (uint32_t) v;
        }
        switch (off) {
        case RPCGPU_REG_ID:
                return RPCGPU_ID_MAGIC;
        case RPCGPU_REG_VERSION:
                return RPCGPU_VERSION;
        case RPCGPU_REG_CAPS:
                return RPCGPU_CAPS_ALL;
        case RPCGPU_REG_VRAM_SIZE_LO:
                return (uint32_t) d->vram_size;
        case RPCGPU_REG_VRAM_SIZE_HI:
                return (uint32_t) (d->vram_size >> 32);
        case RPCGPU_REG_RING_BASE_LO:
                return (uint32_t) d->ring_base;
        case RPCGPU_REG_RING_BASE_HI:
                return (uint32_t) (d->ring_base >> 32);
        case RPCGPU_REG_RING_SIZE:
                return d->ring_size;
        case RPCGPU_REG_RING_HEAD:
                return d->ring_head;
        case RPCGPU_REG_RING_TAIL:
                return d->ring_tail;
        case RPCGPU_REG_FENCE_LO:
                return (uint32_t) d->fence;
        case RPCGPU_REG_FENCE_HI:
                return (uint32_t) (d->fence >> 32);
        case RPCGPU_REG_INT_STATUS:
                return d->int_status;
        case RPCGPU_REG_INT_MASK:
                return d->int_mask;
        case RPCGPU_REG_ERROR_STATUS:
                return d->error_status;
        case RPCGPU_REG_ERROR_CMD:
                return d->error_cmd;
        case RPCGPU_REG_ERROR_ADDR_LO:
                return (uint32_t) d->error_addr;
        case RPCGPU_REG_ERROR_ADDR_HI:
                return (uint32_t) (d->error_addr >> 32);
        case RPCGPU_REG_STATUS:
                return (device_busy(d) && (pci_config_command(&d->cfg) & PCI_CFG_COMMAND_MASTER)
                                ? RPCGPU_STATUS_BUSY
                                : 0) |
                       (d->failsafe ? RPCGPU_STATUS_FAILSAFE : 0);
        case RPCGPU_REG_ADDRESS_SPACE_LO:
                return (uint32_t) d->address_space;
        case RPCGPU_REG_ADDRESS_SPACE_HI:
                return (uint32_t) (d->address_space >> 32);
        default:
                return 0; /* unassigned offsets read as zero */
        }
}

static bool ring_size_valid(uint32_t size) {
        return size >= RPCGPU_RING_MIN && size <= RPCGPU_RING_MAX && !(size & (size - 1));
}

/* Re-programming the ring starts it over: nothing queued survives. */
static void ring_restart(struct device *d) {
        exec_reset(&d->exec);
        dma_io_cancel(&d->io);
        d->ring_head = d->ring_tail = 0;
}

static void doorbell(struct device *d, uint32_t tail) {
        struct exec_stream *ring = &d->exec.s[0];

        if (d->failsafe)
                return; /* a failed engine ignores its doorbell until reset */
        if (!ring_size_valid(d->ring_size) || tail >= d->ring_size || tail % 4) {
                device_violation(d, RPCGPU_ERR_RING, 0, tail);
                return;
        }
        d->ring_tail = tail;
        ring->ring = true;
        ring->vram = false;
        ring->base = d->ring_base;
        ring->size = d->ring_size;
        /* Linear end: the bytes from the read position up to the new tail, modulo the ring. */
        uint32_t at = (uint32_t) (ring->pos % d->ring_size);
        ring->end = ring->pos + ((tail - at) & (d->ring_size - 1));
}

static void reg_write(struct device *d, uint32_t off, uint32_t v) {
        switch (off) {
        case RPCGPU_REG_RING_BASE_LO:
                d->ring_base = (d->ring_base & ~0xffffffffull) | v;
                ring_restart(d);
                break;
        case RPCGPU_REG_RING_BASE_HI:
                d->ring_base = (d->ring_base & 0xffffffffull) | ((uint64_t) v << 32);
                ring_restart(d);
                break;
        case RPCGPU_REG_RING_SIZE:
                d->ring_size = v;
                ring_restart(d);
                break;
        case RPCGPU_REG_RING_TAIL:
                doorbell(d, v);
                break;
        case RPCGPU_REG_INT_STATUS:
                d->int_status &= ~v;
                update_intx(d);
                break;
        case RPCGPU_REG_INT_MASK:
                d->int_mask = v & (RPCGPU_INT_FENCE | RPCGPU_INT_ERROR);
                update_intx(d);
                break;
        case RPCGPU_REG_RESET:
                if (v)
                        engine_reset(d);
                break;
        default:
                break; /* read-only and unassigned registers ignore writes */
        }
}

static int bar0_read(struct device *d, uint64_t off, void *buf, uint32_t count) {
        if (off >= RPCGPU_MSIX_TABLE_OFFSET) {
                memcpy(buf, d->msix + (off - RPCGPU_MSIX_TABLE_OFFSET), count);
                return 0;
        }
        /* Registers: 1, 2, 4 or 8 bytes, naturally aligned (what a CPU load produces). */
        if ((count != 1 && count != 2 && count != 4 && count != 8) || off % count)
                return -EINVAL;
        uint32_t q = (uint32_t) off & ~7u;
        uint64_t v = reg_read(d, q) | ((uint64_t) reg_read(d, q + 4) << 32);
        v >>= 8 * (off - q);
        memcpy(buf, &v, count); /* little-endian host */
        return 0;
}

static int bar0_write(struct device *d, uint64_t off, const void *buf, uint32_t count) {
        if (off >= RPCGPU_MSIX_TABLE_OFFSET) {
                memcpy(d->msix + (off - RPCGPU_MSIX_TABLE_OFFSET), buf, count);
                return 0;
        }
        if ((count != 4 && count != 8) || off % count)
                return -EINVAL;
        uint32_t lo, hi;
        memcpy(&lo, buf, 4);
        reg_write(d, (uint32_t) off, lo);
        if (count == 8) {
                memcpy(&hi, (const uint8_t *) buf + 4, 4);
                reg_write(d, (uint32_t) off + 4, hi);
        }
        return 0;
}

static int vram_read(struct device *d, uint64_t off, void *buf, uint32_t count) {
        if (!d->vram.base)
                return -ENODEV;
        memcpy(buf, d->vram.base + off, count);
        return 0;
}

static int vram_write(struct device *d, uint64_t off, const void *buf, uint32_t count) {
        if (!d->vram.base)
                return -ENODEV;
        memcpy(d->vram.base + off, buf, count);
        return 0;
}

static int config_read(struct device *d, uint64_t off, void *buf, uint32_t count) {
        return pci_config_read(&d->cfg, off, buf, count);
}

static int config_write(struct device *d, uint64_t off, const void *buf, uint32_t count) {
        int r = pci_config_write(&d->cfg, off, buf, count);
        if (r < 0)
                return r;
        /* A function-level reset (the guest's VFIO_DEVICE_RESET, pci_reset_function()): as DEVICE_RESET. */
        if (pci_config_flr_requested(off, buf, count))
                device_reset(d);
        else
                update_intx(d); /* the INTx-disable bit may have changed */
        return r;
}

struct region_ops {
        uint32_t flags;
        int (*read)(struct device *d, uint64_t off, void *buf, uint32_t count);
        int (*write)(struct device *d, uint64_t off, const void *buf, uint32_t count);
};

static const struct region_ops regions[VFU_PCI_NUM_REGIONS] = {
        [VFU_PCI_BAR0_REGION] = {VFU_REGION_FLAG_READ | VFU_REGION_FLAG_WRITE, bar0_read, bar0_write},
        [VFU_PCI_BAR2_REGION] = {VFU_REGION_FLAG_READ | VFU_REGION_FLAG_WRITE | VFU_REGION_FLAG_MMAP |
                                         VFU_REGION_FLAG_CAPS,
                                 vram_read, vram_write},
        [VFU_PCI_CONFIG_REGION] = {VFU_REGION_FLAG_READ | VFU_REGION_FLAG_WRITE, config_read, config_write},
};

static uint64_t region_size(const struct device *d, uint32_t index) {
        switch (index) {
        case VFU_PCI_BAR0_REGION:
                return RPCGPU_BAR0_SIZE;
        case VFU_PCI_BAR2_REGION:
                return d->vram_size;
        case VFU_PCI_CONFIG_REGION:
                return PCI_CONFIG_SIZE;
        default:
                return 0;
        }
}

int device_region_info(const struct device *d, uint32_t index, struct vfu_region_info *ret, int *mmap_fd) {
        if (index >= VFU_PCI_NUM_REGIONS)
                return -EINVAL;
        *ret = (struct vfu_region_info){
                .argsz = VFU_REGION_INFO_SIZE,
                .flags = regions[index].flags,
                .index = index,
                .size = region_size(d, index),
        };
        /* Without an fd the server drops the mmap flag and capability (vfio-server.c). */
        *mmap_fd = (regions[index].flags & VFU_REGION_FLAG_MMAP) && !d->vram_no_mmap ? d->vram.fd : -1;
        return 0;
}

static int region_check(const struct device *d, uint32_t region, uint64_t off, uint32_t count) {
        if (region >= VFU_PCI_NUM_REGIONS || !regions[region].read)
                return -EINVAL;
        uint64_t size = region_size(d, region);
        if (count == 0 || off >= size || count > size - off)
                return -EINVAL;
        return 0;
}

int device_region_read(struct device *d, uint32_t region, uint64_t off, void *buf, uint32_t count) {
        int r = region_check(d, region, off, count);
        return r < 0 ? r : regions[region].read(d, off, buf, count);
}

int device_region_write(struct device *d, uint32_t region, uint64_t off, const void *buf, uint32_t count) {
        int r = region_check(d, region, off, count);
        return r < 0 ? r : regions[region].write(d, off, buf, count);
}
