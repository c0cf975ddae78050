/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCI configuration space of the RPC vGPU (see pci-config.h). */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "pci-config.h"
#include "vfio-user/rpc-gpu.h"

static void put16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) v;
        p[1] = (uint8_t) (v >> 8);
}

static void put32(uint8_t *p, uint32_t v) {
        put16(p, (uint16_t) v);
        put16(p + 2, (uint16_t) (v >> 16));
}

const struct pci_identity pci_identity_default = {
        .vendor = RPCGPU_VENDOR_ID,
        .device = RPCGPU_DEVICE_ID,
        .subsys_vendor = RPCGPU_SUBSYS_VENDOR_ID,
        .subsys = RPCGPU_SUBSYS_ID,
        .class_code = RPCGPU_CLASS_CODE,
};

void pci_config_init(struct pci_config *c, uint64_t vram_size, const struct pci_identity *id) {
        memset(c, 0, sizeof(*c));
        uint8_t *d = c->data, *w = c->wmask;
        if (!id)
                id = &pci_identity_default;
        uint32_t class_code = id->class_code;

        put16(d + 0x00, id->vendor);
        put16(d + 0x02, id->device);
        /* command: memory space, bus master, parity response, SERR, INTx disable */
        put16(w + 0x04, 0x0546);
        put16(d + 0x06, 0x0010); /* status: capability list */
        d[0x08] = RPCGPU_REVISION;
        d[0x09] = (uint8_t) class_code;
        d[0x0a] = (uint8_t) (class_code >> 8);
        d[0x0b] = (uint8_t) (class_code >> 16);
        w[0x0c] = 0xff; /* cache line size */
        d[0x0e] = 0x00; /* header type 0, single function */

        /* BAR0: 32-bit non-prefetchable memory, RPCGPU_BAR0_SIZE bytes. */
        put32(w + 0x10, ~(RPCGPU_BAR0_SIZE - 1));
        /* BAR2/3: 64-bit prefetchable memory, the VRAM. */
        uint64_t mask = ~(vram_size - 1);
        put32(d + 0x18, 0x0c);
        put32(w + 0x18, (uint32_t) mask & ~0x0fu);
        put32(w + 0x1c, (uint32_t) (mask >> 32));

        put16(d + 0x2c, id->subsys_vendor);
        put16(d + 0x2e, id->subsys);
        d[0x34] = PCI_CFG_CAP_MSI;
        w[0x3c] = 0xff; /* interrupt line */
        d[0x3d] = 0x01; /* INTA */

        /* MSI: 64-bit address, one vector; enable, address and data are the OS's to write. */
        d[PCI_CFG_CAP_MSI + 0] = 0x05;
        d[PCI_CFG_CAP_MSI + 1] = PCI_CFG_CAP_MSIX;
        put16(d + PCI_CFG_CAP_MSI + 2, 0x0080);
        put16(w + PCI_CFG_CAP_MSI + 2, 0x0001);
        put32(w + PCI_CFG_CAP_MSI + 4, 0xfffffffc);
        put32(w + PCI_CFG_CAP_MSI + 8, 0xffffffff);
        put16(w + PCI_CFG_CAP_MSI + 12, 0xffff);

        /* MSI-X: table and PBA in BAR0; enable and function mask are writable. */
        d[PCI_CFG_CAP_MSIX + 0] = 0x11;
        d[PCI_CFG_CAP_MSIX + 1] = PCI_CFG_CAP_AF;
        put16(d + PCI_CFG_MSIX_FLAGS, RPCGPU_MSIX_VECTORS - 1);
        put16(w + PCI_CFG_MSIX_FLAGS, 0xc000);
        put32(d + PCI_CFG_CAP_MSIX + 4, RPCGPU_MSIX_TABLE_OFFSET | 0);
        put32(d + PCI_CFG_CAP_MSIX + 8, RPCGPU_MSIX_PBA_OFFSET | 0);

        /* Advanced Features: length 6, transactions-pending and FLR supported; control and status
         * read 0 (a reset completes before the write's reply, so nothing is ever pending). */
        d[PCI_CFG_CAP_AF + 0] = 0x13;
        d[PCI_CFG_CAP_AF + 1] = 0x00;
        d[PCI_CFG_CAP_AF + 2] = 6;
        d[PCI_CFG_CAP_AF + 3] = 0x03;
}

int pci_config_read(const struct pci_config *c, uint64_t off, void *buf, size_t n) {
        if (off > PCI_CONFIG_SIZE || n > PCI_CONFIG_SIZE - off)
                return -EINVAL;
        memcpy(buf, c->data + off, n);
        return 0;
}

int pci_config_write(struct pci_config *c, uint64_t off, const void *buf, size_t n) {
        const uint8_t *v = buf;
        if (off > PCI_CONFIG_SIZE || n > PCI_CONFIG_SIZE - off)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                size_t o = (size_t) off + i;
                c->data[o] = (uint8_t) ((c->data[o] & ~c->wmask[o]) | (v[i] & c->wmask[o]));
        }
        return 0;
}

bool pci_config_flr_requested(uint64_t off, const void *buf, size_t n) {
        return off <= PCI_CFG_AF_CTRL && PCI_CFG_AF_CTRL - off < n &&
               (((const uint8_t *) buf)[PCI_CFG_AF_CTRL - off] & PCI_CFG_AF_CTRL_FLR);
}

uint16_t pci_config_command(const struct pci_config *c) {
        return (uint16_t) (c->data[PCI_CFG_COMMAND] | (c->data[PCI_CFG_COMMAND + 1] << 8));
}
