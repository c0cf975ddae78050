/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PCI functions: the device directory under /sys/devices/pci<dom>:<bus>/ with
 * its identity attributes, a binary config space (header, PM/MSI/PCIe
 * capabilities and, on a PF, the SR-IOV extended capability) that lspci
 * decodes, driver_override, uevent, and the links from /sys/bus/pci/devices
 * and to the IOMMU group. Adding and removing a function sends add/remove
 * uevents like a hot-plug would.
 */
#include <endian.h>

#include "sim-util.h"
#include "sim.h"

char *pci_dev_path(const struct pci_dev *dev) {
        return node_path(dev->dir);
}

struct pci_dev *pci_dev_find(struct sim *sim, const char *name) {
        char buf[32];
        size_t len = strlen(name);
        if (len > 0 && name[len - 1] == '\n')
                len--;
        if (len == 0 || len >= sizeof(buf))
                return NULL;
        memcpy(buf, name, len);
        buf[len] = '\0';
        struct node *l = node_child(node_lookup(sim->root, "/bus/pci/devices"), buf);
        return l ? l->obj : NULL;
}

char *pci_dev_uevent_env(struct pci_dev *dev) {
        _cleanup_free_ char *drv = dev->driver ? xasprintf("DRIVER=%s\n", dev->driver->name) : xstrdup("");
        return xasprintf("%sPCI_CLASS=%X\nPCI_ID=%04X:%04X\nPCI_SUBSYS_ID=%04X:%04X\nPCI_SLOT_NAME=%s\n"
                         "MODALIAS=pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n",
                         drv, dev->class, dev->vendor, dev->device, dev->subvendor, dev->subdevice,
                         dev->name, dev->vendor, dev->device, dev->subvendor, dev->subdevice,
                         dev->class >> 16, (dev->class >> 8) & 0xff, dev->class & 0xff);
}

static int driver_override_show(struct sim *sim, struct node *n, char *buf, size_t size) {
        struct pci_dev *dev = n->obj;
        /* The kernel prints a NULL override with %s: "(null)", which driverctl relies on. */
        return snprintf(buf, size, "%s\n", dev->driver_override ?: "(null)");
}

static int driver_override_store(struct sim *sim, struct node *n, const char *buf, size_t len) {
        struct pci_dev *dev = n->obj;
        if (len >= 4096 - 1)
                return -EINVAL;
        /* Like driver_set_override(): stop at a NUL or newline; empty or "\n" clears. */
        size_t l = strnlen(buf, len);
        const char *nl = memchr(buf, '\n', l);
        if (nl)
                l = (size_t) (nl - buf);
        free(dev->driver_override);
        dev->driver_override = l ? strndup(buf, l) : NULL;
        return 0;
}

static const struct attr_ops driver_override_ops = {
        .show = driver_override_show,
        .store = driver_override_store,
};

static ssize_t config_read(struct sim *sim, struct node *n, char *buf, size_t size, off_t off) {
        struct pci_dev *dev = n->obj;
        /* pci_read_config(): without CAP_SYS_ADMIN only the first 64 bytes are readable. */
        size_t limit = sim->caller_privileged ? dev->config_size : 64;
        if (off < 0 || (size_t) off >= limit)
                return 0;
        size_t len = MIN(size, limit - (size_t) off);
        memcpy(buf, dev->config + off, len);
        return (ssize_t) len;
}

/* Only the command register is writable here; the rest of the header is read-only in hardware. */
static ssize_t config_write(struct sim *sim, struct node *n, const char *buf, size_t size, off_t off) {
        struct pci_dev *dev = n->obj;
        /* sysfs_kf_bin_write(): nothing fits at or past the end of a sized binary attribute. */
        if (off < 0 || (size_t) off >= dev->config_size)
                return -EFBIG;
        size_t len = MIN(size, dev->config_size - (size_t) off);
        for (size_t i = 0; i < len; i++) {
                size_t at = (size_t) off + i;
                if (at == 0x04)
                        dev->config[at] = (unsigned char) (buf[i] & 0x07);
        }
        return (ssize_t) len;
}

static const struct attr_ops config_ops = {
        .read = config_read,
        .write = config_write,
};

/* Reading resource: BAR0 16 MiB registers, BAR1 256 MiB prefetchable 64-bit, BAR3 32 MiB; 13 lines. */
static void bar_layout(const struct pci_dev *dev, unsigned long long bar[3]) {
        unsigned long long slot = (unsigned long long) dev->domain << 40 |
                                  (unsigned long long) dev->bus << 20 |
                                  (unsigned long long) dev->devfn << 12;
        bar[0] = 0xc0000000ULL + ((unsigned long long) (dev->bus * 256 + dev->devfn) << 24 & 0x3fffffffULL);
        bar[1] = 0x38000000000ULL + (slot << 8 & 0xffffffffffULL);
        bar[2] = bar[1] + 0x10000000ULL;
}

static int resource_show(struct sim *sim, struct node *n, char *buf, size_t size) {
        struct pci_dev *dev = n->obj;
        unsigned long long bar[3];
        bar_layout(dev, bar);
        size_t len = 0;
        for (int i = 0; i < 13; i++) {
                unsigned long long start = 0, end = 0, flags = 0;
                if (i == 0) {
                        start = bar[0];
                        end = start + 0xffffff;
                        flags = 0x40200;
                } else if (i == 1) {
                        start = bar[1];
                        end = start + 0xfffffff;
                        flags = 0x14220c;
                } else if (i == 3) {
                        start = bar[2];
                        end = start + 0x1ffffff;
                        flags = 0x14220c;
                }
                len += (size_t) snprintf(buf + len, size - len, "0x%016llx 0x%016llx 0x%016llx\n", start,
                                         start ? end : 0, flags);
        }
        return (int) len;
}

static const struct attr_ops resource_ops = {.show = resource_show};

/* enable: pci_enable_device() was called, by a driver's probe or by vfio-pci for its user. */
static int enable_show(struct sim *sim, struct node *n, char *buf, size_t size) {
        struct pci_dev *dev = n->obj;
        bool on = (dev->driver && dev->driver->ops->enables) || dev->open;
        return snprintf(buf, size, "%u\n", on ? 1u : 0u);
}

static const struct attr_ops enable_ops = {.show = enable_show};

static int pci_uevent_show(struct sim *sim, struct node *n, char *buf, size_t size) {
        _cleanup_free_ char *env = pci_dev_uevent_env(n->obj);
        return snprintf(buf, size, "%s", env);
}

static int pci_uevent_store(struct sim *sim, struct node *n, const char *buf, size_t len) {
        return uevent_synth(sim, n->parent, buf, len);
}

static const struct attr_ops pci_uevent_ops = {.show = pci_uevent_show, .store = pci_uevent_store};

/* remove_store(): a soft hot-remove; /sys/bus/pci/rescan finds the function again. */
static int remove_store(struct sim *sim, struct node *n, const char *buf, size_t len) {
        unsigned long long v;
        if (kstrtoull(buf, len, 0, &v) < 0)
                return -EINVAL;
        if (v)
                pci_dev_remove(sim, n->obj);
        return 0;
}

static const struct attr_ops remove_ops = {.store = remove_store};

static void put16(unsigned char *c, size_t at, uint16_t v) {
        c[at] = (unsigned char) v;
        c[at + 1] = (unsigned char) (v >> 8);
}

static void put32(unsigned char *c, size_t at, uint32_t v) {
        put16(c, at, (uint16_t) v);
        put16(c, at + 2, (uint16_t) (v >> 16));
}

static void config_build(struct pci_dev *dev, bool multifunction) {
        unsigned char *c = dev->config;
        unsigned long long bar[3];
        bar_layout(dev, bar);
        dev->config_size = 4096;
        memset(c, 0, sizeof(dev->config));
        /* A VF reads 0xffff in its own ID registers (SR-IOV spec); tools use the sysfs files. */
        put16(c, 0x00, dev->physfn ? 0xffff : dev->vendor);
        put16(c, 0x02, dev->physfn ? 0xffff : dev->device);
        put16(c, 0x04, dev->physfn ? 0x0006 : 0x0007);
        put16(c, 0x06, 0x0010); /* capabilities list */
        c[0x08] = dev->revision;
        c[0x09] = dev->class & 0xff;
        c[0x0a] = (dev->class >> 8) & 0xff;
        c[0x0b] = (dev->class >> 16) & 0xff;
        c[0x0e] = multifunction ? 0x80 : 0x00;
        if (!dev->physfn) { /* VF BARs live in the PF's SR-IOV capability */
                put32(c, 0x10, (uint32_t) bar[0]);
                put32(c, 0x14, (uint32_t) bar[1] | 0x0c);
                put32(c, 0x18, (uint32_t) (bar[1] >> 32));
                put32(c, 0x1c, (uint32_t) bar[2] | 0x0c);
                put32(c, 0x20, (uint32_t) (bar[2] >> 32));
        }
        put16(c, 0x2c, dev->subvendor);
        put16(c, 0x2e, dev->subdevice);
        c[0x34] = 0x60;
        c[0x3c] = dev->physfn ? 0 : 11;
        c[0x3d] = dev->physfn ? 0 : 1;
        /* Power management capability */
        c[0x60] = 0x01;
        c[0x61] = 0x68;
        put16(c, 0x62, 0x0003);
        /* MSI: 64-bit, one vector */
        c[0x68] = 0x05;
        c[0x69] = 0x78;
        put16(c, 0x6a, 0x0080);
        /* PCI Express endpoint, capability version 2 */
        c[0x78] = 0x10;
        c[0x79] = 0x00;
        put16(c, 0x7a, 0x0002);
        put32(c, 0x7c, 0x00008fe0); /* devcap: 512B payload, FLR */
        put32(c, 0x84, 0x00437d04); /* linkcap: 16GT/s x16 */
        put16(c, 0x8a, 0x1104);     /* linksta: 16GT/s x16 */
        if (dev->spec->sriov && !dev->physfn) {
                const struct dev_spec *s = dev->spec;
                /* SR-IOV extended capability at 0x100 */
                put32(c, 0x100, 0x0010 | 1u << 16);
                put32(c, 0x104, 0);                      /* capabilities */
                put16(c, 0x108, 0);                      /* control (VF enable updated by sriov.c) */
                put16(c, 0x10c, (uint16_t) s->totalvfs); /* initial VFs */
                put16(c, 0x10e, (uint16_t) s->totalvfs); /* total VFs */
                put16(c, 0x110, 0);                      /* num VFs */
                put16(c, 0x114, (uint16_t) s->offset);
                put16(c, 0x116, (uint16_t) s->stride);
                put16(c, 0x11a, s->vf_device);
                put32(c, 0x11c, 0x553); /* supported page sizes */
                put32(c, 0x120, 1);     /* system page size 4K */
        }
}

void pci_config_set_numvfs(struct pci_dev *pf, unsigned n) {
        if (!pf->spec->sriov || pf->physfn)
                return;
        put16(pf->config, 0x108, n ? 0x0009 : 0); /* VF enable + VF MSE */
        put16(pf->config, 0x110, (uint16_t) n);
}

struct pci_dev *pci_dev_add(struct sim *sim, const struct dev_spec *spec, const char *name,
                            struct pci_dev *physfn, unsigned vf_index) {
        struct pci_dev *dev = xmalloc0(sizeof(*dev));
        snprintf(dev->name, sizeof(dev->name), "%s", name);
        (void) pci_address_parse(name, &dev->domain, &dev->bus, &dev->devfn);
        dev->spec = spec;
        dev->physfn = physfn;
        dev->vf_index = vf_index;
        dev->vendor = spec->vendor;
        dev->device = physfn ? spec->vf_device : spec->device;
        dev->subvendor = spec->subvendor;
        dev->subdevice = spec->subdevice;
        dev->class = spec->class;
        dev->revision = spec->revision;
        dev->autoprobe = true;
        if (!physfn && spec->kind == VGPU_GVTG) {
                dev->gpu.low_free_mb = spec->pool_low_mb;
                dev->gpu.high_free_mb = spec->pool_high_mb;
                dev->gpu.fence_free = spec->pool_fence;
        }

        /* Functions hang under their root bus or their bridge, VFs beside their PF. */
        struct node *bus_dir;
        struct pci_dev *bridge = !physfn && spec->upstream[0] ? pci_dev_find(sim, spec->upstream) : NULL;
        if (physfn)
                bus_dir = physfn->dir->parent;
        else if (bridge)
                bus_dir = bridge->dir;
        else {
                char root[32];
                snprintf(root, sizeof(root), "pci%04x:%02x", dev->domain, dev->bus);
                bus_dir = node_dir(node_dir(sim->root, "devices"), root);
                if (!node_child(bus_dir, "uevent")) {
                        node_const(bus_dir, "uevent", "%s", "");
                        node_dir(bus_dir, "power");
                }
        }
        dev->dir = node_dir(bus_dir, name);
        struct node *d = dev->dir;

        bool multifunction = false;
        if (!physfn && (dev->devfn & 7) == 0) {
                char sibling[16];
                snprintf(sibling, sizeof(sibling), "%.10s.1", name);
                multifunction = profile_find_dev(sim->profile, sibling) != NULL;
        }
        config_build(dev, multifunction || (dev->devfn & 7) != 0);

        node_const(d, "vendor", "0x%04x\n", dev->vendor);
        node_const(d, "device", "0x%04x\n", dev->device);
        node_const(d, "subsystem_vendor", "0x%04x\n", dev->subvendor);
        node_const(d, "subsystem_device", "0x%04x\n", dev->subdevice);
        node_const(d, "class", "0x%06x\n", dev->class);
        node_const(d, "revision", "0x%02x\n", dev->revision);
        node_const(d, "irq", "%u\n", physfn ? 0u : 16u + (dev->bus % 100));
        /* Writable in the kernel (with CAP_SYS_ADMIN); here the modes are right, the writes refused. */
        node_const(d, "numa_node", "%d\n", spec->numa_node)->mode = 0644;
        node_const(d, "local_cpulist", "%s", sim->host_cpu[0]);
        node_const(d, "local_cpus", "%s", "1\n");
        node_attr(d, "enable", 0644, &enable_ops, dev, 0);
        node_const(d, "dma_mask_bits", "64\n");
        node_const(d, "consistent_dma_mask_bits", "64\n");
        node_const(d, "d3cold_allowed", "1\n")->mode = 0644;
        node_const(d, "msi_bus", "1\n")->mode = 0644;
        node_const(d, "broken_parity_status", "0\n")->mode = 0644;
        node_const(d, "ari_enabled", "0\n");
        node_const(d, "power_state", "D0\n");
        node_const(d, "reset_method", "flr\n")->mode = 0644;
        node_attr(d, "reset", 0200, NULL, NULL, 0);
        node_dir(d, "link");
        node_const(d, "current_link_speed", "16.0 GT/s PCIe\n");
        node_const(d, "current_link_width", "16\n");
        node_const(d, "max_link_speed", "16.0 GT/s PCIe\n");
        node_const(d, "max_link_width", "16\n");
        node_const(d, "modalias", "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n", dev->vendor, dev->device,
                   dev->subvendor, dev->subdevice, dev->class >> 16, (dev->class >> 8) & 0xff,
                   dev->class & 0xff);
        node_attr(d, "resource", 0444, &resource_ops, dev, 0);
        struct node *cfg = node_attr(d, "config", 0644, &config_ops, dev, 0);
        cfg->size = dev->config_size;
        node_attr(d, "driver_override", 0644, &driver_override_ops, dev, 0);
        node_attr(d, "uevent", 0644, &pci_uevent_ops, dev, 0);
        if (!physfn) { /* VFs come and go with sriov_numvfs */
                node_attr(d, "remove", 0220, &remove_ops, dev, 0);
                node_attr(d, "rescan", 0200, NULL, NULL, 0);
        } else
                node_attr(d, "sriov_vf_msix_count", 0200, NULL, NULL, 0);
        node_const(node_dir(d, "power"), "control", "on\n");
        node_link(d, "subsystem", "/bus/pci");
        if (physfn) {
                _cleanup_free_ char *pf_path = pci_dev_path(physfn), *vf_path = pci_dev_path(dev);
                char virtfn[32];
                snprintf(virtfn, sizeof(virtfn), "virtfn%u", vf_index);
                node_link(d, "physfn", pf_path);
                node_link(physfn->dir, virtfn, vf_path);
        }

        _cleanup_free_ char *path = pci_dev_path(dev);
        struct node *bus_link = node_link(node_dir_p(sim->root, "bus/pci/devices"), name, path);
        bus_link->obj = dev;

        /* A PF takes its fixed group (a GPU and its audio function share one); a VF gets its own. */
        if (!sim->profile->no_iommu) {
                dev->group = iommu_group_get(sim, physfn ? -1 : spec->iommu_group);
                iommu_group_add(sim, dev->group, d, name);
                /* The IOMMU unit translating for the function (an Intel VT-d's DMAR unit). */
                node_dir_p(sim->root, "devices/virtual/iommu/dmar0");
                node_link(d, "iommu", "/devices/virtual/iommu/dmar0");
        }

        if (spec->sriov && !physfn)
                sriov_init(sim, dev);

        dev->prev = sim->devs_tail;
        if (sim->devs_tail)
                sim->devs_tail->next = dev;
        else
                sim->devs = dev;
        sim->devs_tail = dev;

        uevent_send(sim, d, "add", NULL);
        return dev;
}

void pci_dev_remove(struct sim *sim, struct pci_dev *dev) {
        if (dev->vfs)
                sriov_disable(sim, dev);
        if (dev->driver)
                pci_dev_unbind(sim, dev);
        uevent_send(sim, dev->dir, "remove", NULL);
        iommu_group_del(sim, dev->group, dev->dir, dev->name);
        node_remove_child(node_lookup(sim->root, "/bus/pci/devices"), dev->name);
        if (dev->physfn) {
                char virtfn[32];
                snprintf(virtfn, sizeof(virtfn), "virtfn%u", dev->vf_index);
                node_remove_child(dev->physfn->dir, virtfn);
        }
        node_remove(dev->dir);
        if (dev->prev)
                dev->prev->next = dev->next;
        else
                sim->devs = dev->next;
        if (dev->next)
                dev->next->prev = dev->prev;
        else
                sim->devs_tail = dev->prev;
        free(dev->driver_override);
        free(dev->vfs);
        free(dev);
}
