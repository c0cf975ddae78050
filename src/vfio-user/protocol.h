/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vfio-user wire format: message header, command numbers and the payload
 * layouts of every message vgpud sends or accepts, as defined by QEMU's
 * docs/interop/vfio-user.rst (protocol 0.0, the version QEMU 10.x speaks).
 * Everything is host byte order and naturally aligned; the structs describe
 * layout only and are filled with memcpy() by codec.c, never by casting a
 * receive buffer, so that a short or misaligned buffer cannot be misread.
 */
#pragma once

#include <stdint.h>

#define VFU_MAJOR 0
#define VFU_MINOR 0

enum vfu_command {
        VFU_CMD_VERSION = 1,
        VFU_CMD_DMA_MAP = 2,
        VFU_CMD_DMA_UNMAP = 3,
        VFU_CMD_DEVICE_GET_INFO = 4,
        VFU_CMD_DEVICE_GET_REGION_INFO = 5,
        VFU_CMD_DEVICE_GET_REGION_IO_FDS = 6,
        VFU_CMD_DEVICE_GET_IRQ_INFO = 7,
        VFU_CMD_DEVICE_SET_IRQS = 8,
        VFU_CMD_REGION_READ = 9,
        VFU_CMD_REGION_WRITE = 10,
        VFU_CMD_DMA_READ = 11,
        VFU_CMD_DMA_WRITE = 12,
        VFU_CMD_DEVICE_RESET = 13,
        VFU_CMD_DIRTY_PAGES = 14,
        VFU_CMD_REGION_WRITE_MULTI = 15,
        VFU_CMD_DEVICE_FEATURE = 16,
        VFU_CMD_MIG_DATA_READ = 17,
        VFU_CMD_MIG_DATA_WRITE = 18,
        VFU_CMD_MAX,
};

/* Header flags. */
#define VFU_FLAG_TYPE_MASK 0x0fu
#define VFU_TYPE_COMMAND   0x0u
#define VFU_TYPE_REPLY     0x1u
#define VFU_FLAG_NO_REPLY  0x10u
#define VFU_FLAG_ERROR     0x20u
#define VFU_FLAGS_KNOWN    (VFU_FLAG_TYPE_MASK | VFU_FLAG_NO_REPLY | VFU_FLAG_ERROR)

struct vfu_hdr {
        uint16_t msg_id;
        uint16_t command;
        uint32_t size; /* whole message, header included */
        uint32_t flags;
        uint32_t error; /* positive errno on error replies */
};
#define VFU_HDR_SIZE 16u
_Static_assert(sizeof(struct vfu_hdr) == VFU_HDR_SIZE, "vfio-user header is 16 bytes");

/* VERSION: followed by a NUL-terminated JSON capabilities object. */
struct vfu_version {
        uint16_t major;
        uint16_t minor;
};
#define VFU_VERSION_SIZE 4u

/* DMA_MAP; one fd in the same sendmsg() when the range is mappable. */
#define VFU_DMA_FLAG_READ  0x1u
#define VFU_DMA_FLAG_WRITE 0x2u
struct vfu_dma_map {
        uint32_t argsz;
        uint32_t flags;
        uint64_t offset; /* into the fd */
        uint64_t addr;
        uint64_t size;
};
#define VFU_DMA_MAP_SIZE 32u

#define VFU_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP 0x1u
#define VFU_DMA_UNMAP_FLAG_ALL              0x2u
struct vfu_dma_unmap {
        uint32_t argsz;
        uint32_t flags;
        uint64_t addr;
        uint64_t size;
};
#define VFU_DMA_UNMAP_SIZE 24u

#define VFU_DEVICE_FLAG_RESET 0x1u
#define VFU_DEVICE_FLAG_PCI   0x2u
struct vfu_device_info {
        uint32_t argsz;
        uint32_t flags;
        uint32_t num_regions;
        uint32_t num_irqs;
};
#define VFU_DEVICE_INFO_SIZE 16u

#define VFU_REGION_FLAG_READ  0x1u
#define VFU_REGION_FLAG_WRITE 0x2u
#define VFU_REGION_FLAG_MMAP  0x4u
#define VFU_REGION_FLAG_CAPS  0x8u
struct vfu_region_info {
        uint32_t argsz;
        uint32_t flags;
        uint32_t index;
        uint32_t cap_offset;
        uint64_t size;
        uint64_t offset;
};
#define VFU_REGION_INFO_SIZE 32u

/* Region capability chain (struct vfio_info_cap_header and the sparse-mmap cap). */
struct vfu_cap_header {
        uint16_t id;
        uint16_t version;
        uint32_t next;
};
#define VFU_CAP_SPARSE_MMAP         1u
#define VFU_CAP_SPARSE_MMAP_VERSION 1u
struct vfu_sparse_mmap {
        uint32_t nr_areas;
        uint32_t reserved;
};
struct vfu_sparse_area {
        uint64_t offset;
        uint64_t size;
};
#define VFU_CAP_HEADER_SIZE  8u
#define VFU_SPARSE_MMAP_SIZE 8u
#define VFU_SPARSE_AREA_SIZE 16u

struct vfu_region_io_fds {
        uint32_t argsz;
        uint32_t flags;
        uint32_t index;
        uint32_t count;
};
#define VFU_REGION_IO_FDS_SIZE 16u

#define VFU_IRQ_INFO_EVENTFD    0x1u
#define VFU_IRQ_INFO_MASKABLE   0x2u
#define VFU_IRQ_INFO_AUTOMASKED 0x4u
#define VFU_IRQ_INFO_NORESIZE   0x8u
struct vfu_irq_info {
        uint32_t argsz;
        uint32_t flags;
        uint32_t index;
        uint32_t count;
};
#define VFU_IRQ_INFO_SIZE 16u

#define VFU_IRQ_SET_DATA_NONE       0x01u
#define VFU_IRQ_SET_DATA_BOOL       0x02u
#define VFU_IRQ_SET_DATA_EVENTFD    0x04u
#define VFU_IRQ_SET_ACTION_MASK     0x08u
#define VFU_IRQ_SET_ACTION_UNMASK   0x10u
#define VFU_IRQ_SET_ACTION_TRIGGER  0x20u
#define VFU_IRQ_SET_DATA_MASK       0x07u
#define VFU_IRQ_SET_ACTION_MASK_ALL 0x38u
struct vfu_irq_set {
        uint32_t argsz;
        uint32_t flags;
        uint32_t index;
        uint32_t start;
        uint32_t count;
};
#define VFU_IRQ_SET_SIZE 20u

/* REGION_READ / REGION_WRITE: followed by count bytes of data (read reply, write request). */
struct vfu_region_rw {
        uint64_t offset;
        uint32_t region;
        uint32_t count;
};
#define VFU_REGION_RW_SIZE 16u

/* REGION_WRITE_MULTI: wr_cnt, then wr_cnt entries of 24 bytes. */
#define VFU_MULTI_DATA 8u
#define VFU_MULTI_MAX  200u
struct vfu_write_one {
        uint64_t offset;
        uint32_t region;
        uint32_t count;
        uint8_t data[VFU_MULTI_DATA];
};
#define VFU_WRITE_ONE_SIZE   24u
#define VFU_WRITE_MULTI_SIZE 8u

/* PCI region and interrupt indices (linux/vfio.h VFIO_PCI_*). */
enum {
        VFU_PCI_BAR0_REGION = 0,
        VFU_PCI_BAR1_REGION,
        VFU_PCI_BAR2_REGION,
        VFU_PCI_BAR3_REGION,
        VFU_PCI_BAR4_REGION,
        VFU_PCI_BAR5_REGION,
        VFU_PCI_ROM_REGION,
        VFU_PCI_CONFIG_REGION,
        VFU_PCI_VGA_REGION,
        VFU_PCI_NUM_REGIONS,
};
enum {
        VFU_PCI_INTX_IRQ = 0,
        VFU_PCI_MSI_IRQ,
        VFU_PCI_MSIX_IRQ,
        VFU_PCI_ERR_IRQ,
        VFU_PCI_REQ_IRQ,
        VFU_PCI_NUM_IRQS,
};

/* Defaults the specification assumes when a capability is absent. */
#define VFU_DEFAULT_MAX_MSG_FDS        1u
#define VFU_DEFAULT_MAX_DATA_XFER_SIZE (1024u * 1024u)
#define VFU_DEFAULT_MAX_DMA_MAPS       65535u
#define VFU_DEFAULT_PGSIZES            4096u
/* Limits QEMU enforces on a server's reply (hw/vfio-user/proxy.c). */
#define VFU_QEMU_MAX_MSG_FDS        16u
#define VFU_QEMU_MAX_DATA_XFER_SIZE (64u * 1024u * 1024u)
