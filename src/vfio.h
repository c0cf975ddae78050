/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VFIO device nodes and who holds them. A vGPU is "in use" when a process
 * (QEMU) has its VFIO node open: the group node /dev/vfio/<group>, or the
 * per-device cdev /dev/vfio/devices/vfioX on kernels with iommufd. Destroying
 * it then would pull the device from under a running VM, so backends check
 * first and name the process. (Binding and IOMMU-group viability join this
 * file with SR-IOV passthrough.)
 */
#pragma once

#include <sys/types.h>

#include "macro.h"

/* The VFIO nodes of the device whose sysfs directory is dev_path: the group
 * node (from its iommu_group link) and the cdev (from vfio-dev/vfioX), under
 * dev_vfio_dir (DEV_VFIO_DIR). An empty list when it has neither. */
int vfio_device_nodes(const char *dev_path, const char *dev_vfio_dir, char ***ret);

/* A process that has one of paths open, from <proc_root>/<pid>/fd: 1 with
 * *ret_pid set, 0 if none. Processes we may not inspect are skipped. */
int proc_find_holder(const char *proc_root, char *const *paths, pid_t *ret_pid);

/* The command name of pid (<proc_root>/<pid>/comm), for messages. */
int proc_comm(const char *proc_root, pid_t pid, char **ret);
