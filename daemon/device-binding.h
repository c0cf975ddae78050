/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Manager.BindDevice and Manager.UnbindDevice: a PCI function (and, when
 * asked, the rest of its IOMMU group) bound to vfio-pci on request, its
 * original driver noted (binding.h) and given back on unbind. A persistent
 * binding is also written in driverctl's format, so that `driverctl
 * list-overrides` shows it and driverctl's own rule applies it on a host
 * that runs it; vgpud applies persistent bindings itself at start-up, after
 * the VFs are restored and before the instances are joined. An override that
 * driverctl made (to vfio-pci) is honoured the same way and can be undone
 * with UnbindDevice.
 */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

typedef struct Manager Manager;
struct vgpu_error;

/* At start-up (blocking): apply the persistent bindings to the devices that are present. */
int manager_bindings_start(Manager *m);
/* At start-up, once the instances are joined with the host: the notes of this boot that name an instance
 * which does not live on the function (a create or destroy a crash cut short) are undone and dropped. */
void manager_bindings_reconcile(Manager *m);

/* On a worker, after an SR-IOV count change brought a PF's VFs (back): bind those that a persistent
 * binding or driverctl's vfio-pci override names, as at start-up (the kernel forgets a VF's override
 * when the VF goes). Each one bound goes to *bound (may be NULL). The first failure is returned, with
 * err; the other VFs are still bound. */
int bindings_apply_to_vfs(const char *sysfs_root, const char *state_dir, const char *driverctl_dir,
                          const char *pf, char ***bound, struct vgpu_error *err);

/* The method handlers (registered by bus-manager.c). */
int method_bind_device(sd_bus_message *call, void *userdata, sd_bus_error *e);
int method_unbind_device(sd_bus_message *call, void *userdata, sd_bus_error *e);
