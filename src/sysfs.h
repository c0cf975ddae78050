/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one place that names the kernel's file interfaces vgpud reads and
 * writes. Paths below the sysfs root are relative so that every function
 * that touches sysfs takes the root as a parameter (the host model carries
 * it): in production and inside vgpu-sim it is SYSFS_ROOT, "/sys" (the
 * simulator mounts its tree there); a unit test may point it at a directory
 * of its own. libvirt's and libudev's view is always /sys.
 */
#pragma once

#include "macro.h"

#define SYSFS_ROOT "/sys"

/* directories below the sysfs root */
#define SYSFS_PCI_DEVICES       "bus/pci/devices" /* <bdf> -> ../../../devices/... */
#define SYSFS_PCI_DRIVERS       "bus/pci/drivers" /* <driver>/{bind,unbind} */
#define SYSFS_PCI_DRIVERS_PROBE "bus/pci/drivers_probe"
#define SYSFS_MDEV_BUS          "class/mdev_bus"      /* <parent> -> the parent device */
#define SYSFS_MDEV_DEVICES      "bus/mdev/devices"    /* <uuid> -> <parent-dev>/<uuid> */
#define SYSFS_IOMMU_GROUPS      "kernel/iommu_groups" /* <N>/devices/<dev> */

/* below a device directory */
#define SYSFS_MDEV_TYPES "mdev_supported_types" /* parent: <type-id>/ */
#define SYSFS_NVIDIA_DIR "nvidia"               /* NVIDIA vendor-specific VFIO on a VF */

/* outside sysfs: the nodes and process table the in-use checks look at */
#define DEV_VFIO_DIR "/dev/vfio"
#define PROC_ROOT    "/proc"

/* root "/" fmt..., e.g. sysfs_path(root, SYSFS_MDEV_BUS "/%s", parent). NULL on OOM. */
char *sysfs_path(const char *root, const char *fmt, ...) _printf_(2, 3);

/* A name that is safe to put into a path as one component: non-empty, not
 * "." or "..", no '/', printable ASCII only, at most 255 bytes. Everything
 * that comes from a user or a file passes this before it reaches a path. */
bool sysfs_name_is_valid(const char *s);

/* basename of the target of a symlink (e.g. <dev>/driver -> .../vfio-pci),
 * relative to dirfd (AT_FDCWD for a path); -EINVAL if it is not a valid name. */
int sysfs_read_link_name_at(int dirfd, const char *name, char **ret);
