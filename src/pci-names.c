/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pci_lookup_names() of pci.h, on its own: the only part of pci.c that needs libudev. Why a file of its
 * own: vgpuctl parses PCI addresses (pci.c) and would otherwise load libudev, and what it needs, at every
 * start. */
#include <libudev.h>

#include "pci.h"
#include "strutil.h"

int pci_lookup_names(struct udev_hwdb *hwdb, struct vgpu_gpu *g) {
        struct udev_list_entry *e;
        char modalias[64];

        if (!hwdb)
                return 0;
        /* the device's modalias: subsystem-specific entries win over the plain ones */
        snprintf(modalias, sizeof(modalias), "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X", g->vendor_id,
                 g->device_id, g->subsystem_vendor_id, g->subsystem_device_id, (g->class_code >> 16) & 0xff,
                 (g->class_code >> 8) & 0xff, g->class_code & 0xff);
        udev_list_entry_foreach(e, udev_hwdb_get_properties_list_entry(hwdb, modalias, 0)) {
                const char *name = udev_list_entry_get_name(e), *value = udev_list_entry_get_value(e);
                char **dst = streq(name, "ID_VENDOR_FROM_DATABASE")  ? &g->vendor_name
                             : streq(name, "ID_MODEL_FROM_DATABASE") ? &g->model_name
                                                                     : NULL;
                if (!dst || !value)
                        continue;
                free(*dst);
                *dst = strdup(value);
                if (!*dst)
                        return -ENOMEM;
        }
        return 0;
}
