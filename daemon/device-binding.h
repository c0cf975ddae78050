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

/* At start-up (blocking): apply the persistent bindings to the devices that are present. */
int manager_bindings_start(Manager *m);

/* The method handlers (registered by bus-manager.c). */
int method_bind_device(sd_bus_message *call, void *userdata, sd_bus_error *e);
int method_unbind_device(sd_bus_message *call, void *userdata, sd_bus_error *e);
