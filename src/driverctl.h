/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * driverctl's persistent driver overrides: /etc/driverctl.d/pci-<bdf>, one
 * line with the driver's name, which driverctl's udev rule applies when the
 * device appears (driverctl@.service, `driverctl load-override`). vgpud writes
 * its persistent vfio-pci bindings in this format, so `driverctl
 * list-overrides` shows them and `driverctl unset-override` undoes them, and
 * it reads overrides that driverctl made. The directory is configurable so
 * that tests use their own.
 */
#pragma once

#include "error.h"
#include "model.h"

#define DRIVERCTL_DIR "/etc/driverctl.d"

/* The driver of bdf's override file; -ENOENT when there is none, -EINVAL when it is not one name. */
int driverctl_read(const char *dir, const char *bdf, char **ret_driver, struct vgpu_error *err);
/* Write (atomically) the override of bdf to driver, creating dir when missing. */
int driverctl_save(const char *dir, const char *bdf, const char *driver, struct vgpu_error *err);
/* Remove the override file; -ENOENT when there is none. */
int driverctl_delete(const char *dir, const char *bdf, struct vgpu_error *err);
/* The addresses that have an override file (pci-<bdf>), sorted; a missing dir is an empty list. */
int driverctl_list(const char *dir, char ***ret);
