/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VFIO device nodes and who holds them. A vGPU is "in use" when a process
 * (QEMU) has its VFIO node open: the group node /dev/vfio/<group>, or the
 * per-device cdev /dev/vfio/devices/vfioX on kernels with iommufd. Destroying
 * it then would pull the device from under a running VM, so backends check
 * first and name the process.
 *
 * Binding a PCI function to vfio-pci is the kernel's usual detach:
 * driver_override = vfio-pci (the only driver allowed to take it), unbind
 * from the current driver, drivers_probe; and back: clear the override,
 * unbind, drivers_probe, and bind the original driver explicitly when a
 * probe alone does not bring it back. A device is usable by a VM only when
 * its whole IOMMU group is viable: every member bound to vfio-pci, pci-stub
 * or nothing (PCI bridges exempt); a refusal names the member and its driver.
 */
#pragma once

#include <sys/types.h>

#include "error.h"
#include "macro.h"

#define VFIO_PCI_DRIVER "vfio-pci"

/* The VFIO nodes of the device whose sysfs directory is dev_path: the group
 * node (from its iommu_group link) and the cdev (from vfio-dev/vfioX), under
 * dev_vfio_dir (DEV_VFIO_DIR). An empty list when it has neither, or when
 * dev_vfio_dir does not exist (no VFIO on the host; the device is then not
 * looked at). */
int vfio_device_nodes(const char *dev_path, const char *dev_vfio_dir, char ***ret);

/* A process that has one of paths open, from <proc_root>/<pid>/fd: 1 with
 * *ret_pid set, 0 if none. Processes we may not inspect are skipped. */
int proc_find_holder(const char *proc_root, char *const *paths, pid_t *ret_pid);

/* The command name of pid (<proc_root>/<pid>/comm), for messages. */
int proc_comm(const char *proc_root, pid_t pid, char **ret);

/* The bound driver (NULL: none) and driver_override (NULL when unset, "(null)" in sysfs) of a PCI
 * function. -ENODEV when it does not exist. */
int pci_read_binding(const char *sysfs_root, const char *bdf, char **ret_driver, char **ret_override);

/* Is bdf a PCI bridge (class 0x0604)? Bridges do not make a group unviable. */
bool pci_is_bridge(const char *sysfs_root, const char *bdf);

/* The IOMMU group of bdf and its members (sorted). -ENOENT when it has no group. */
int vfio_group_members(const char *sysfs_root, const char *bdf, int *ret_group, char ***ret_members);

/* Would bdf's IOMMU group be viable for VFIO once bdf and the devices in also (may be NULL) are
 * bound to vfio-pci? 0 if so; -EBUSY with err naming the first member that blocks, its driver and
 * what to do. A device without an IOMMU group cannot be used through VFIO: -ENOENT. */
int vfio_group_check_viable(const char *sysfs_root, const char *bdf, char *const *also,
                            struct vgpu_error *err);

/* Bind bdf to vfio-pci. Returns 1 when it was bound now, 0 when it already was. A failure puts the
 * device back on the driver it had. */
int vfio_bind(const char *sysfs_root, const char *bdf, struct vgpu_error *err);

/* Give bdf back: driver_override := original_override (NULL clears it), unbind from vfio-pci,
 * drivers_probe, then original_driver's bind when the probe did not bring it (NULL: whatever the
 * probe gives, possibly nothing). -ENODEV when the device is gone. */
int vfio_unbind(const char *sysfs_root, const char *bdf, const char *original_driver,
                const char *original_override, struct vgpu_error *err);

/* A process holding the VFIO nodes of the device whose sysfs directory is dev_path: 1 with *ret_pid
 * and *ret_node (the node it holds, may be NULL) set, 0 if none. */
int vfio_device_holder(const char *dev_path, const char *dev_vfio_dir, const char *proc_root, pid_t *ret_pid,
                       char **ret_node);
