/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PCI drivers and binding, after drivers/pci/pci-driver.c and
 * drivers/base/{bus,dd}.c: the match rules (driver_override first, dynamic
 * ids, the static table), bind/unbind/new_id/remove_id with their errno
 * values, /sys/bus/pci/drivers_probe, and /sys/module entries for the
 * drivers a profile loads. What each driver does on probe is its ops table.
 */
#include "sim-util.h"
#include "sim.h"

#define PCI_ANY_ID 0xffffffffu

/* ---- the drivers a profile can load ---- */

static bool match_nvidia(const struct pci_dev *dev) {
        return dev->vendor == 0x10de && dev->class >> 16 == 0x03;
}

static bool match_intel_gpu(const struct pci_dev *dev) {
        return dev->vendor == 0x8086 && dev->class >> 16 == 0x03;
}

static bool match_hda(const struct pci_dev *dev) {
        return dev->class >> 8 == 0x0403;
}

static bool match_nvme(const struct pci_dev *dev) {
        return dev->class == 0x010802;
}

static bool match_none(const struct pci_dev *dev) {
        return false;
}

static int probe_nothing(struct sim *sim, struct pci_dev *dev) {
        return 0;
}

static void remove_nothing(struct sim *sim, struct pci_dev *dev) {
}

static int nvidia_probe(struct sim *sim, struct pci_dev *dev) {
        const struct dev_spec *s = dev->spec;
        if (!dev->physfn && s->kind == VGPU_NVIDIA_MDEV)
                return mdev_parent_register(sim, dev, dev, &nvidia_mdev_ops, s->types);
        if (dev->physfn && s->kind == VGPU_NVIDIA_MDEV_SRIOV)
                return mdev_parent_register(sim, dev, dev->physfn, &nvidia_mdev_ops, s->types);
        if (dev->physfn && s->kind == VGPU_NVIDIA_VFIO)
                nvidia_vfio_register(sim, dev);
        return 0;
}

static void nvidia_remove(struct sim *sim, struct pci_dev *dev) {
        if (dev->parent)
                mdev_parent_unregister(sim, dev);
        if (dev->physfn && dev->spec->kind == VGPU_NVIDIA_VFIO)
                nvidia_vfio_unregister(sim, dev);
        /* A PF driver disables SR-IOV in its remove(), taking the VFs away. */
        if (dev->vfs)
                sriov_disable(sim, dev);
}

static int sriov_configure_generic(struct sim *sim, struct pci_dev *pf, unsigned n) {
        if (n == 0) {
                /* The kernel would block until a VM lets go of a VF (or of an mdev on one); refusing is
                 * observable and safe. */
                for (unsigned i = 0; i < pf->numvfs; i++)
                        if (pf->vfs[i] && pf->vfs[i]->open)
                                return -EBUSY;
                for (struct mdev *m = sim->mdevs; m; m = m->next)
                        if (m->open && m->type->parent->dev && m->type->parent->dev->physfn == pf)
                                return -EBUSY;
                sriov_disable(sim, pf);
                return 0;
        }
        return sriov_enable(sim, pf, n);
}

static int i915_probe(struct sim *sim, struct pci_dev *dev) {
        if (!dev->physfn && dev->spec->kind == VGPU_GVTG)
                return mdev_parent_register(sim, dev, dev, &gvtg_mdev_ops, dev->spec->types);
        return 0;
}

static void i915_remove(struct sim *sim, struct pci_dev *dev) {
        if (dev->parent)
                mdev_parent_unregister(sim, dev);
        if (dev->vfs)
                sriov_disable(sim, dev);
}

/* vfio-pci's sriov_configure refuses unless loaded with enable_sriov=1 (it is not). */
static int vfio_pci_sriov_configure(struct sim *sim, struct pci_dev *pf, unsigned n) {
        return -ENOENT;
}

static void nvme_remove(struct sim *sim, struct pci_dev *dev) {
        if (dev->vfs)
                sriov_disable(sim, dev);
}

static const struct pci_driver_ops nvidia_ops = {
        .match = match_nvidia,
        .probe = nvidia_probe,
        .remove = nvidia_remove,
        .sriov_configure = sriov_configure_generic,
        .enables = true,
};
static const struct pci_driver_ops i915_ops = {
        .match = match_intel_gpu,
        .probe = i915_probe,
        .remove = i915_remove,
        .sriov_configure = sriov_configure_generic,
        .enables = true,
};
/* nvme: an NVMe controller's driver with pci_sriov_configure_simple (QEMU's emulated PF). */
static const struct pci_driver_ops nvme_ops = {
        .match = match_nvme,
        .probe = probe_nothing,
        .remove = nvme_remove,
        .sriov_configure = sriov_configure_generic,
        .enables = true,
};
static const struct pci_driver_ops vfio_pci_ops = {
        .match = match_none,
        .probe = probe_nothing,
        .remove = remove_nothing,
        .sriov_configure = vfio_pci_sriov_configure,
};
static const struct pci_driver_ops stub_ops = {
        .match = match_none,
        .probe = probe_nothing,
        .remove = remove_nothing,
};
static const struct pci_driver_ops hda_ops = {
        .match = match_hda,
        .probe = probe_nothing,
        .remove = remove_nothing,
        .enables = true,
};

static const struct {
        const char *name, *module;
        const struct pci_driver_ops *ops;
} driver_catalog[] = {
        {"nvidia", "nvidia", &nvidia_ops},
        {"i915", "i915", &i915_ops},
        {"vfio-pci", "vfio_pci", &vfio_pci_ops},
        {"pci-stub", "pci_stub", &stub_ops},
        {"snd_hda_intel", "snd_hda_intel", &hda_ops},
        {"nvme", "nvme", &nvme_ops},
};

/* ---- matching and binding ---- */

static bool dynid_match(const struct pci_dynid *id, const struct pci_dev *dev) {
        return (id->vendor == PCI_ANY_ID || id->vendor == dev->vendor) &&
               (id->device == PCI_ANY_ID || id->device == dev->device) &&
               (id->subvendor == PCI_ANY_ID || id->subvendor == dev->subvendor) &&
               (id->subdevice == PCI_ANY_ID || id->subdevice == dev->subdevice) &&
               !((id->class ^ dev->class) & id->class_mask);
}

/* pci_match_device(): an override names the only driver allowed, and that driver always matches. */
bool pci_driver_matches(const struct pci_driver *drv, const struct pci_dev *dev) {
        if (dev->driver_override && !streq(dev->driver_override, drv->name))
                return false;
        for (const struct pci_dynid *id = drv->dynids; id; id = id->next)
                if (dynid_match(id, dev))
                        return true;
        if (drv->ops->match(dev))
                return true;
        return dev->driver_override != NULL;
}

/* pci_device_can_probe(): a VF binds only when its PF allows autoprobe or an override names a driver. */
bool pci_dev_can_probe(const struct pci_dev *dev) {
        return !dev->physfn || dev->physfn->autoprobe || dev->driver_override;
}

int pci_dev_bind(struct sim *sim, struct pci_dev *dev, struct pci_driver *drv) {
        if (dev->driver)
                return -EBUSY;
        if (!pci_dev_can_probe(dev))
                return -ENODEV;
        _cleanup_free_ char *dev_path = pci_dev_path(dev), *drv_path = node_path(drv->dir);
        dev->driver = drv;
        node_link(dev->dir, "driver", drv_path);
        node_link(drv->dir, dev->name, dev_path);
        int r = drv->ops->probe(sim, dev);
        if (r < 0) {
                node_remove_child(dev->dir, "driver");
                node_remove_child(drv->dir, dev->name);
                dev->driver = NULL;
                return r;
        }
        /* A driver that enables the function sets up its MSI/MSI-X vectors (nvme, nvidia, i915). */
        if (drv->ops->enables)
                node_dir(dev->dir, "msi_irqs");
        uevent_send(sim, dev->dir, "bind", NULL);
        return 0;
}

void pci_dev_unbind(struct sim *sim, struct pci_dev *dev) {
        struct pci_driver *drv = dev->driver;
        if (!drv)
                return;
        node_remove_child(dev->dir, "driver");
        node_remove_child(drv->dir, dev->name);
        drv->ops->remove(sim, dev);
        node_remove_child(dev->dir, "msi_irqs");
        dev->driver = NULL;
        uevent_send(sim, dev->dir, "unbind", NULL);
}

void pci_dev_attach(struct sim *sim, struct pci_dev *dev) {
        if (dev->driver || !pci_dev_can_probe(dev))
                return;
        for (struct pci_driver *drv = sim->drivers; drv; drv = drv->next)
                if (pci_driver_matches(drv, dev) && pci_dev_bind(sim, dev, drv) == 0)
                        return;
}

struct pci_driver *pci_driver_find(struct sim *sim, const char *name) {
        for (struct pci_driver *drv = sim->drivers; drv; drv = drv->next)
                if (streq(drv->name, name))
                        return drv;
        return NULL;
}

/* ---- driver attributes ---- */

static int bind_store(struct sim *sim, struct node *n, const char *buf, size_t len) {
        struct pci_driver *drv = n->obj;
        struct pci_dev *dev = pci_dev_find(sim, buf);
        if (!dev || !pci_driver_matches(drv, dev))
                return -ENODEV;
        return pci_dev_bind(sim, dev, drv);
}

static int unbind_store(struct sim *sim, struct node *n, const char *buf, size_t len) {
        struct pci_driver *drv = n->obj;
        struct pci_dev *dev = pci_dev_find(sim, buf);
        if (!dev || dev->driver != drv)
                return -ENODEV;
        /*
         * vfio-pci's remove() waits until the user (the VM) releases the device;
         * the write blocks meanwhile, as it does on a real host.
         */
        if (dev->open && streq(drv->name, "vfio-pci")) {
                char name[16];
                uint64_t gen = sim->generation;
                snprintf(name, sizeof(name), "%s", dev->name);
                while ((dev = pci_dev_find(sim, name)) && dev->open && dev->driver == drv &&
                       gen == sim->generation)
                        pthread_cond_wait(&sim->changed, &sim->lock);
                if (!dev || gen != sim->generation)
                        return -ENODEV;
                if (dev->driver != drv)
                        return 0;
        }
        pci_dev_unbind(sim, dev);
        return 0;
}

static int new_id_store(struct sim *sim, struct node *n, const char *buf, size_t len) {
        struct pci_driver *drv = n->obj;
        unsigned vendor, device, subvendor = PCI_ANY_ID, subdevice = PCI_ANY_ID, class = 0, class_mask = 0;
        unsigned long driver_data = 0;
        int fields = sscanf(buf, "%x %x %x %x %x %x %lx", &vendor, &device, &subvendor, &subdevice, &class,
                            &class_mask, &driver_data);
        if (fields < 2)
                return -EINVAL;
        if (fields != 7) {
                struct pci_dev probe = {
                        .vendor = (uint16_t) vendor,
                        .device = (uint16_t) device,
                        .subvendor = (uint16_t) subvendor,
                        .subdevice = (uint16_t) subdevice,
                        .class = class,
                };
                if (pci_driver_matches(drv, &probe))
                        return -EEXIST;
        }
        if (driver_data != 0)
                return -EINVAL; /* no id_table entry carries driver_data here */
        struct pci_dynid *id = xmalloc0(sizeof(*id));
        *id = (struct pci_dynid){vendor, device, subvendor, subdevice, class, class_mask, NULL};
        struct pci_dynid **tail = &drv->dynids;
        while (*tail)
                tail = &(*tail)->next;
        *tail = id;
        /* driver_attach(): every unbound device that now matches is probed. */
        for (struct pci_dev *dev = sim->devs; dev; dev = dev->next)
                if (!dev->driver && pci_driver_matches(drv, dev) && pci_dev_can_probe(dev))
                        (void) pci_dev_bind(sim, dev, drv);
        return 0;
}

static int remove_id_store(struct sim *sim, struct node *n, const char *buf, size_t len) {
        struct pci_driver *drv = n->obj;
        unsigned vendor, device, subvendor = PCI_ANY_ID, subdevice = PCI_ANY_ID, class = 0, class_mask = 0;
        int fields = sscanf(buf, "%x %x %x %x %x %x", &vendor, &device, &subvendor, &subdevice, &class,
                            &class_mask);
        if (fields < 2)
                return -EINVAL;
        for (struct pci_dynid **pp = &drv->dynids; *pp; pp = &(*pp)->next) {
                struct pci_dynid *id = *pp;
                if (id->vendor == vendor && id->device == device &&
                    (subvendor == PCI_ANY_ID || id->subvendor == subvendor) &&
                    (subdevice == PCI_ANY_ID || id->subdevice == subdevice) &&
                    !((id->class ^ class) & class_mask)) {
                        *pp = id->next;
                        free(id);
                        return 0;
                }
        }
        return -ENODEV;
}

static const struct attr_ops bind_ops = {.store = bind_store};
static const struct attr_ops unbind_ops = {.store = unbind_store};
static const struct attr_ops new_id_ops = {.store = new_id_store};
static const struct attr_ops remove_id_ops = {.store = remove_id_store};

/* /sys/bus/pci/drivers_probe: bus_rescan_devices_helper() on one device. */
static int drivers_probe_store(struct sim *sim, struct node *n, const char *buf, size_t len) {
        struct pci_dev *dev = pci_dev_find(sim, buf);
        if (!dev)
                return -ENODEV;
        pci_dev_attach(sim, dev);
        return 0;
}

static const struct attr_ops drivers_probe_ops = {.store = drivers_probe_store};

/* /sys/bus/pci/rescan: functions removed through their remove file come back; unplugged ones do not. */
static int rescan_store(struct sim *sim, struct node *n, const char *buf, size_t len) {
        unsigned long long v;
        if (kstrtoull(buf, len, 0, &v) < 0)
                return -EINVAL;
        for (size_t i = 0; v && i < sim->profile->n_devs; i++)
                if (!sim->unplugged[i] && !pci_dev_find(sim, sim->profile->devs[i].address))
                        sim_plug(sim, &sim->profile->devs[i]);
        return 0;
}

static const struct attr_ops rescan_ops = {.store = rescan_store};

void pci_drivers_register(struct sim *sim) {
        struct node *bus = node_dir_p(sim->root, "bus/pci");
        node_dir(bus, "devices");
        struct node *drivers = node_dir(bus, "drivers");
        node_attr(bus, "drivers_probe", 0200, &drivers_probe_ops, NULL, 0);
        node_const(bus, "drivers_autoprobe", "1\n")->mode = 0644;
        node_attr(bus, "rescan", 0200, &rescan_ops, NULL, 0);
        node_const(bus, "resource_alignment", "\n")->mode = 0644;
        node_attr(bus, "uevent", 0200, NULL, NULL, 0);
        node_dir(bus, "slots");
        node_dir(node_dir_p(sim->root, "class"), "pci_bus");

        struct pci_driver **tail = &sim->drivers;
        for (size_t i = 0; i < sim->profile->n_drivers; i++)
                for (size_t k = 0; k < ELEMENTSOF(driver_catalog); k++) {
                        if (!streq(sim->profile->drivers[i], driver_catalog[k].name) ||
                            pci_driver_find(sim, driver_catalog[k].name))
                                continue;
                        struct pci_driver *drv = xmalloc0(sizeof(*drv));
                        drv->name = xstrdup(driver_catalog[k].name);
                        drv->module = xstrdup(driver_catalog[k].module);
                        drv->ops = driver_catalog[k].ops;
                        drv->dir = node_dir(drivers, drv->name);
                        node_attr(drv->dir, "bind", 0200, &bind_ops, drv, 0);
                        node_attr(drv->dir, "unbind", 0200, &unbind_ops, drv, 0);
                        node_attr(drv->dir, "new_id", 0200, &new_id_ops, drv, 0);
                        node_attr(drv->dir, "remove_id", 0200, &remove_id_ops, drv, 0);
                        node_attr(drv->dir, "uevent", 0200, NULL, NULL, 0);
                        _cleanup_free_ char *mod_path = xasprintf("/module/%s", drv->module);
                        _cleanup_free_ char *drv_path = node_path(drv->dir);
                        node_link(drv->dir, "module", mod_path);
                        struct node *mod = node_dir_p(sim->root, mod_path);
                        _cleanup_free_ char *link = xasprintf("pci:%s", drv->name);
                        node_link(node_dir(mod, "drivers"), link, drv_path);
                        node_const(mod, "uevent", "%s", "");
                        if (streq(drv->name, "vfio-pci")) {
                                struct node *par = node_dir(mod, "parameters");
                                node_const(par, "enable_sriov", "N\n");
                                node_const(par, "disable_idle_d3", "N\n");
                                node_const(par, "disable_vga", "N\n");
                        }
                        *tail = drv;
                        tail = &drv->next;
                }
}

void pci_drivers_free(struct sim *sim) {
        while (sim->drivers) {
                struct pci_driver *drv = sim->drivers;
                sim->drivers = drv->next;
                while (drv->dynids) {
                        struct pci_dynid *id = drv->dynids;
                        drv->dynids = id->next;
                        free(id);
                }
                free(drv->name);
                free(drv->module);
                free(drv);
        }
}
