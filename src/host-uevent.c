/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host model (host.h) from what the kernel tells: uevents merged into the model one by one, and the
 * full scan that enumerates everything (and forgets what is gone).
 */
#include <libudev.h>

#include "host-internal.h"
#include "mdev.h"
#include "pci.h"
#include "strutil.h"
#include "uuid.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev *, udev_unref);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_enumerate *, udev_enumerate_unref);

/* ---- uevents ---- */

int host_handle_uevent(struct vgpu_host *h, const struct host_uevent *ev) {
        const char *action = ev->action, *name = ev->sysname;
        int r;

        if (!action || !name || !ev->subsystem)
                return 0;

        /* a parent registering/unregistering: any subsystem (PCI GPUs, mtty, ...) */
        if (ev->mdev_state) {
                if (streq(ev->mdev_state, "registered"))
                        return host_refresh_parent(h, name);
                if (streq(ev->mdev_state, "unregistered"))
                        return host_remove_parent(h, name);
        }

        if (streq(ev->subsystem, "mdev")) {
                if (!uuid_is_valid(name))
                        return 0;
                if (streq(action, "remove")) {
                        const struct vgpu_instance *in = host_find_instance(h, name);
                        /* udevd orders events per device path only: the remove of an earlier mdev with
                         * this UUID on another parent can come after the add of the new one. */
                        if (in && ev->parent && in->parent_name && !streq(in->parent_name, ev->parent))
                                return 0;
                        return host_remove_instance(h, name);
                }
                return host_refresh_instance(h, name);
        }

        if (streq(ev->subsystem, "pci")) {
                char bdf[PCI_BDF_MAX], pf[PCI_BDF_MAX] = "";
                struct vgpu_gpu *known;
                if (pci_bdf_normalize(name, bdf) < 0)
                        return 0;
                known = host_find_gpu(h, bdf);
                if (known)
                        strcpy(pf, known->physfn);
                if (streq(action, "remove"))
                        r = host_remove_gpu(h, bdf);
                else {
                        r = host_refresh_gpu(h, bdf);
                        if (r < 0)
                                return r;
                        /* an add of a device that is already a parent (a coldplugged parent sends no
                         * separate MDEV_STATE event), or a change that dropped it */
                        if (mdev_parent_is_registered(h->sysfs_root, bdf) || host_find_parent(h, bdf)) {
                                int k = host_refresh_parent(h, bdf);
                                if (k < 0)
                                        return k;
                                r = r || k;
                        }
                        known = host_find_gpu(h, bdf);
                        if (known && !pf[0])
                                strcpy(pf, known->physfn);
                }
                /* a VF coming or going changes its PF's list of VFs */
                if (r >= 0 && pf[0]) {
                        int k = host_refresh_gpu(h, pf);
                        if (k < 0)
                                return k;
                        r = r || k;
                }
                return r;
        }
        return 0;
}

int host_handle_udev_device(struct vgpu_host *h, struct udev_device *d) {
        const char *devpath = udev_device_get_devpath(d);
        _cleanup_free_ char *parent = NULL;
        struct host_uevent ev = {
                .action = udev_device_get_action(d),
                .subsystem = udev_device_get_subsystem(d),
                .sysname = udev_device_get_sysname(d),
                .mdev_state = udev_device_get_property_value(d, "MDEV_STATE"),
        };
        const char *last = devpath ? strrchr(devpath, '/') : NULL;
        if (last && last > devpath) {
                const char *p = last;
                while (p > devpath && p[-1] != '/')
                        p--;
                parent = strndup(p, (size_t) (last - p));
                if (!parent)
                        return -ENOMEM;
                ev.parent = parent;
        }
        return host_handle_uevent(h, &ev);
}

/* ---- full scan ---- */

static const char *basename_of(const char *path) {
        const char *s = strrchr(path, '/');
        return s ? s + 1 : path;
}

static int enumerate(struct udev *udev, const char *subsystem, char ***ret) {
        _cleanup_(udev_enumerate_unrefp) struct udev_enumerate *e = udev_enumerate_new(udev);
        _cleanup_strv_free_ char **names = calloc(1, sizeof(char *));
        struct udev_list_entry *item;
        int r;

        if (!e || !names)
                return -ENOMEM;
        r = udev_enumerate_add_match_subsystem(e, subsystem);
        if (r < 0)
                return r;
        r = udev_enumerate_scan_devices(e);
        if (r < 0)
                return r;
        udev_list_entry_foreach(item, udev_enumerate_get_list_entry(e)) {
                r = strv_extend(&names, basename_of(udev_list_entry_get_name(item)));
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(names);
        return 0;
}

int host_scan(struct vgpu_host *h, struct udev *udev, struct vgpu_error_list *problems) {
        _cleanup_(udev_unrefp) struct udev *own = NULL;
        _cleanup_strv_free_ char **pci = NULL, **parents = NULL, **mdevs = NULL;
        struct op o;
        int r;

        if (!udev) {
                udev = own = udev_new();
                if (!udev)
                        return -ENOMEM;
        }
        /* PCI functions through libudev; mdev parents and devices from their sysfs directories:
         * libudev's enumerator reads every device's uevent file and links, which for a thousand
         * mdevs costs seconds and tells us nothing the directory listing does not. */
        if ((r = enumerate(udev, "pci", &pci)) < 0 || (r = mdev_list_instances(h->sysfs_root, &mdevs)) < 0 ||
            (r = mdev_list_parents(h->sysfs_root, &parents)) < 0)
                return r;

        op_begin(&o, h);
        for (char **n = pci; *n; n++)
                if ((r = function_refresh(&o, *n)) < 0 && r != -EINVAL)
                        (void) vgpu_error_list_add(problems, r, NULL, "cannot read PCI device %s", *n);
        for (char **n = parents; *n; n++)
                if ((r = parent_refresh(&o, *n, problems)) < 0)
                        (void) vgpu_error_list_add(problems, r, NULL, "cannot read mdev parent %s", *n);
        for (char **n = mdevs; *n; n++)
                if ((r = instance_refresh(&o, *n)) < 0)
                        (void) vgpu_error_list_add(problems, r, NULL, "cannot read mdev %s", *n);

        /* a rescan also forgets what is gone (after a lost uevent, say) */
        for (size_t i = h->n_instances; i > 0; i--)
                if (backend_device_kind(h->instances[i - 1]->backend) == VGPU_DEVICE_MDEV &&
                    !strv_contains(mdevs, h->instances[i - 1]->uuid))
                        (void) instance_remove(&o, h->instances[i - 1]);
        for (size_t i = h->n_parents; i > 0; i--)
                if (backend_device_kind(h->parents[i - 1]->backend) == VGPU_DEVICE_MDEV &&
                    !strv_contains(parents, h->parents[i - 1]->name))
                        (void) parent_remove(&o, h->parents[i - 1]);
        for (size_t i = h->n_gpus; i > 0; i--)
                if (!strv_contains(pci, h->gpus[i - 1]->bdf) && !h->gpus[i - 1]->virtual_device &&
                    !host_is_software_address(h->gpus[i - 1]->bdf)) {
                        _cleanup_free_ char *name = strdup(h->gpus[i - 1]->bdf);
                        (void) gpu_remove(&o, h->gpus[i - 1]);
                        if (name)
                                (void) pci_parent_refresh(&o, name); /* its vf/nvidia-vfio role goes too */
                }

        r = op_end(&o);
        return r < 0 ? r : 0;
}
