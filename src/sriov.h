/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SR-IOV on a physical function: changing the number of enabled VFs the way
 * the kernel wants it (drivers/pci/iov.c refuses a change between two
 * non-zero counts with EBUSY, so every change goes through 0), the
 * sriov_drivers_autoprobe setting that decides whether new VFs bind to a
 * driver, and the addresses a PF gives its VFs (routing id + offset +
 * stride * i), which tell which PF a VF address that is not there yet
 * belongs to. Reading the PF's state is pci.c's job (struct vgpu_gpu.sriov).
 */
#pragma once

#include "error.h"
#include "model.h"

/* The address of VF index (0-based) of pf. -EINVAL for a bad address, -ERANGE past the bus. */
int sriov_vf_address(const char *pf, unsigned offset, unsigned stride, unsigned index,
                     char out[static PCI_BDF_MAX]);
/* Which VF of pf (one of total) vf would be: its index, or -ENOENT. */
int sriov_vf_index(const char *pf, unsigned offset, unsigned stride, unsigned total, const char *vf);

/* Should VFs of this PF bind to a driver by themselves? NVIDIA's VFs are useful only to the
 * vendor driver (mdev parents or vendor VFIO), so yes; other VFs are passed through whole and go
 * to vfio-pci on demand, so no probe of the host driver on each of them. */
bool sriov_autoprobe_default(const struct vgpu_gpu *pf);

/* Enable num_vfs VFs on pf (0 disables). A change between two non-zero counts writes 0 first.
 * autoprobe: 0 or 1 is written to sriov_drivers_autoprobe before VFs are enabled (it applies to
 * VFs enabled afterwards), -1 leaves it; when the VFs are disabled, it goes back to the kernel's
 * default (1), so that VFs enabled later by other means probe as the kernel would have them. If enabling
 * fails after the old VFs were disabled, the old count is restored (best effort) and err says both. Returns
 * 1 if the count changed, 0 if it was already num_vfs. Errors are the kernel's: ERANGE (more than
 * sriov_totalvfs), ENOENT (no PF driver, or one that cannot enable VFs), EBUSY (VFs in use), each with a
 * sentence. */
int sriov_set_num_vfs(const char *sysfs_root, const char *pf, unsigned num_vfs, int autoprobe,
                      struct vgpu_error *err);
