/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of pci-names.h. */
#include <libudev.h>

#include "pci-names.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_hwdb *, udev_hwdb_unref)

int pci_names_lookup(struct udev *udev, uint16_t vendor, uint16_t device, uint16_t subvendor,
                     uint16_t subdevice, uint32_t class_code, PciNames *ret) {
        _cleanup_(udev_hwdb_unrefp) struct udev_hwdb *hwdb = udev_hwdb_new(udev);
        struct udev_list_entry *e;
        char modalias[96];
        PciNames n = {};

        if (!hwdb)
                return -ENOENT; /* no hwdb.bin on this system: names stay unknown */
        snprintf(modalias, sizeof(modalias), "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X", vendor, device,
                 subvendor, subdevice, (class_code >> 16) & 0xff, (class_code >> 8) & 0xff,
                 class_code & 0xff);
        udev_list_entry_foreach(e, udev_hwdb_get_properties_list_entry(hwdb, modalias, 0)) {
                const char *k = udev_list_entry_get_name(e), *v = udev_list_entry_get_value(e);
                char **dst = streq(k, "ID_VENDOR_FROM_DATABASE")  ? &n.vendor
                             : streq(k, "ID_MODEL_FROM_DATABASE") ? &n.model
                                                                  : NULL;
                if (!dst || !v)
                        continue;
                free(*dst);
                *dst = strdup(v);
                if (!*dst) {
                        pci_names_done(&n);
                        return -ENOMEM;
                }
        }
        *ret = n;
        return 0;
}

void pci_names_done(PciNames *n) {
        free(n->vendor);
        free(n->model);
        *n = (PciNames){};
}

char *pci_board_name(const char *model) {
        if (!model)
                return NULL;
        const char *open = strrchr(model, '[');
        const char *close = open ? strchr(open, ']') : NULL;
        if (open && close && close > open + 1)
                return strndup(open + 1, (size_t) (close - open - 1));
        return strdup(model);
}
