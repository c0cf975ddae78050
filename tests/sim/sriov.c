/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SR-IOV, after drivers/pci/iov.c: the sriov_* attributes of a PF, the
 * sriov_numvfs store with the kernel's order of checks and errno values, VFs
 * appearing at PF routing id + offset + stride * i with their own IOMMU
 * groups, physfn/virtfnN links, and sriov_drivers_autoprobe deciding whether
 * new VFs are probed.
 */
#include "sim-util.h"
#include "sim.h"

static int numvfs_show(struct sim *sim, struct node *n, char *buf, size_t size) {
        struct pci_dev *pf = n->obj;
        return snprintf(buf, size, "%u\n", pf->numvfs);
}

/* sriov_numvfs_store(): parse, range, no-op, driver, disable, busy, enable. */
static int numvfs_store(struct sim *sim, struct node *n, const char *buf, size_t len) {
        struct pci_dev *pf = n->obj;
        uint16_t want;
        /* Linux 6.1 answers EINVAL for anything kstrtou16 refuses, 70000 included. */
        if (kstrtou16(buf, len, 0, &want) < 0)
                return -EINVAL;
        if (want > pf->spec->totalvfs)
                return -ERANGE;
        if (want == pf->numvfs)
                return 0;
        if (!pf->driver || !pf->driver->ops->sriov_configure)
                return -ENOENT;
        if (want == 0)
                return pf->driver->ops->sriov_configure(sim, pf, 0);
        if (pf->numvfs)
                return -EBUSY;
        return pf->driver->ops->sriov_configure(sim, pf, want);
}

static int autoprobe_show(struct sim *sim, struct node *n, char *buf, size_t size) {
        struct pci_dev *pf = n->obj;
        return snprintf(buf, size, "%u\n", pf->autoprobe ? 1u : 0u);
}

static int autoprobe_store(struct sim *sim, struct node *n, const char *buf, size_t len) {
        struct pci_dev *pf = n->obj;
        bool v;
        int r = kstrtobool(buf, len, &v);
        if (r < 0)
                return r;
        pf->autoprobe = v;
        return 0;
}

static const struct attr_ops numvfs_ops = {.show = numvfs_show, .store = numvfs_store};
static const struct attr_ops autoprobe_ops = {.show = autoprobe_show, .store = autoprobe_store};

void sriov_init(struct sim *sim, struct pci_dev *pf) {
        const struct dev_spec *s = pf->spec;
        node_const(pf->dir, "sriov_totalvfs", "%u\n", s->totalvfs);
        node_attr(pf->dir, "sriov_numvfs", 0644, &numvfs_ops, pf, 0);
        node_const(pf->dir, "sriov_offset", "%u\n", s->offset);
        node_const(pf->dir, "sriov_stride", "%u\n", s->stride);
        node_const(pf->dir, "sriov_vf_device", "%x\n", s->vf_device);
        node_attr(pf->dir, "sriov_drivers_autoprobe", 0644, &autoprobe_ops, pf, 0);
        node_const(pf->dir, "sriov_vf_total_msix", "0\n");
}

int sriov_enable(struct sim *sim, struct pci_dev *pf, unsigned n) {
        const struct dev_spec *s = pf->spec;
        unsigned rid = pf->bus << 8 | pf->devfn;
        pf->vfs = xmalloc0(n * sizeof(*pf->vfs));
        pf->numvfs = n;
        pci_config_set_numvfs(pf, n);
        for (unsigned i = 0; i < n; i++) {
                unsigned vf_rid = rid + s->offset + s->stride * i;
                char name[16];
                snprintf(name, sizeof(name), "%04x:%02x:%02x.%u", pf->domain, vf_rid >> 8 & 0xff,
                         vf_rid >> 3 & 0x1f, vf_rid & 7);
                pf->vfs[i] = pci_dev_add(sim, s, name, pf, i);
                /* pci_iov_sysfs_link() announces the physfn link with a change event. */
                uevent_send(sim, pf->vfs[i]->dir, "change", NULL);
                /* pci_bus_add_device() -> device_attach(), which honours autoprobe. */
                pci_dev_attach(sim, pf->vfs[i]);
        }
        /* sriov_enable() ends with a change event on the PF. */
        uevent_send(sim, pf->dir, "change", NULL);
        return 0;
}

void sriov_disable(struct sim *sim, struct pci_dev *pf) {
        /* sriov_del_vfs() removes VFs first to last (measured on Linux 6.1: tests/vm/kernel/). */
        for (unsigned i = 0; i < pf->numvfs; i++)
                if (pf->vfs[i])
                        pci_dev_remove(sim, pf->vfs[i]);
        free(pf->vfs);
        pf->vfs = NULL;
        pf->numvfs = 0;
        pci_config_set_numvfs(pf, 0);
}
