/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PCI functions as vgpud sees them: addresses (BDF) and reading one display
 * function from sysfs — ids, driver, IOMMU group, NUMA node, SR-IOV
 * capability and links (virtfn<N>/physfn), and NVIDIA's vendor-specific VFIO
 * directory on a VF.
 */
#pragma once

#include "model.h"

/* "0000:3b:00.0", "3b:00.0" or upper-case forms into the kernel's form. -EINVAL otherwise. */
int pci_bdf_normalize(const char *s, char out[static PCI_BDF_MAX]);
/* A GPU's address: a PCI address as pci_bdf_normalize() makes it, or the device name of a virtual mdev
 * parent (model.h: virtual_device) as it is. -EINVAL for anything else. */
int gpu_address_normalize(const char *s, char out[static PCI_BDF_MAX]);
/* Exactly "dddd:bb:ss.f" (hex, either case; slot <= 0x1f, function <= 7) into its numbers; any output
 * pointer may be NULL. -EINVAL otherwise. For places (libvirt XML, rule checks) that need the full form. */
int pci_address_parse(const char *s, unsigned *domain, unsigned *bus, unsigned *slot, unsigned *function);

static inline bool pci_class_is_display(uint32_t class_code) {
        return (class_code >> 16) == 0x03;
}

/* Processing accelerators (class 0x12): compute GPUs and AI accelerators that are not display-class. */
static inline bool pci_class_is_accelerator(uint32_t class_code) {
        return (class_code >> 16) == 0x12;
}

/* Read the PCI function <root>/bus/pci/devices/<bdf>, whatever its class: which functions are GPUs
 * is the host model's decision (host_set_pci_ids()). -ENODEV when it does not exist. */
int pci_read_gpu(const char *sysfs_root, const char *bdf, struct vgpu_gpu **ret);

/* One "vendor:device" pair ("10de:1eb8", hex). -EINVAL otherwise. */
int pci_id_parse(const char *s, uint32_t *ret);

/* Fill g->vendor_name and g->model_name from udev's hardware database
 * (pci.ids); left NULL when hwdb is NULL or has no entry. */
struct udev_hwdb;
int pci_lookup_names(struct udev_hwdb *hwdb, struct vgpu_gpu *g);

/* The board name within a model name: "Tesla T4" from "TU104GL [Tesla T4]", else the whole name. */
char *pci_board_name(const char *model_name);

void gpu_free(struct vgpu_gpu *g);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct vgpu_gpu *, gpu_free);

/* Do the fields read from sysfs differ? (links are not compared) */
bool gpu_equal(const struct vgpu_gpu *a, const struct vgpu_gpu *b);
/* Move the sysfs fields of src into dst (keeping dst's links); src is left empty. */
void gpu_take_fields(struct vgpu_gpu *dst, struct vgpu_gpu *src);
