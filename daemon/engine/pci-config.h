/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PCI configuration space of the RPC vGPU (256 bytes, conventional PCI
 * header type 0): identity, command/status, BAR0 (32-bit MMIO registers),
 * BAR2 (64-bit prefetchable VRAM), and a capability list with MSI (one
 * 64-bit vector), MSI-X (RPCGPU_MSIX_VECTORS, table and PBA in BAR0) and
 * Advanced Features with function-level reset (what lets a guest's
 * vfio-pci offer VFIO_DEVICE_RESET: a conventional function on the root bus
 * has no other reset method a kernel can use).
 * Writes go through a per-byte write mask, so read-only fields stay what
 * they are and BAR sizing (write all ones, read the mask back) works.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCI_CONFIG_SIZE 256u

/* Offsets used outside this file. */
#define PCI_CFG_COMMAND              0x04
#define PCI_CFG_COMMAND_MEMORY       0x0002u
#define PCI_CFG_COMMAND_MASTER       0x0004u
#define PCI_CFG_COMMAND_INTX_DISABLE 0x0400u
#define PCI_CFG_CAP_MSI              0x40
#define PCI_CFG_CAP_MSIX             0x50
#define PCI_CFG_MSIX_FLAGS           (PCI_CFG_CAP_MSIX + 2)
#define PCI_CFG_MSIX_ENABLE          0x8000u
#define PCI_CFG_CAP_AF               0x60
#define PCI_CFG_AF_CTRL              (PCI_CFG_CAP_AF + 4)
#define PCI_CFG_AF_CTRL_FLR          0x01u

struct pci_config {
        uint8_t data[PCI_CONFIG_SIZE];
        uint8_t wmask[PCI_CONFIG_SIZE];
};

/* What the guest identifies the device by. */
struct pci_identity {
        uint16_t vendor, device, subsys_vendor, subsys;
        uint32_t class_code; /* base class << 16 | subclass << 8 | programming interface */
};
/* rpc-gpu.h's identity: 1af4:10f0, subsystem 1af4:0001, class 0x038000. */
extern const struct pci_identity pci_identity_default;

/* vram_size: a power of two >= 1 MiB (BAR2 is sized by it); id NULL: the default identity. */
void pci_config_init(struct pci_config *c, uint64_t vram_size, const struct pci_identity *id);
/* -EINVAL if [off, off+n) is not inside config space. */
int pci_config_read(const struct pci_config *c, uint64_t off, void *buf, size_t n);
int pci_config_write(struct pci_config *c, uint64_t off, const void *buf, size_t n);
uint16_t pci_config_command(const struct pci_config *c);
/* Does a write of [off, off+n) initiate a function-level reset (AF control, bit 0)? The bit itself
 * always reads 0, as the PCI spec says. */
bool pci_config_flr_requested(uint64_t off, const void *buf, size_t n);
