/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mediated devices, after drivers/vfio/mdev/mdev_{core,sysfs}.c: a parent's
 * mdev_supported_types/<type>/ directories, the create store (length, UUID
 * syntax, uniqueness across every parent, then the vendor's verdict),
 * devices with mdev_type/iommu_group links and a remove store, the
 * /sys/class/mdev_bus and /sys/bus/mdev views, and the MDEV_STATE change
 * uevents on parent (un)registration. Vendor rules live in the parent's ops.
 */
#include <ctype.h>

#include "sim-util.h"
#include "sim.h"

#define MDEV_DRIVER "vfio_mdev"

static int type_name_show(struct sim *sim, struct node *n, char *buf, size_t size) {
        struct mdev_type *t = n->obj;
        return snprintf(buf, size, "%s\n", t->type->name);
}

static int type_description_show(struct sim *sim, struct node *n, char *buf, size_t size) {
        struct mdev_type *t = n->obj;
        return t->parent->ops->description(t->type, buf, size);
}

static int type_available_show(struct sim *sim, struct node *n, char *buf, size_t size) {
        struct mdev_type *t = n->obj;
        return snprintf(buf, size, "%u\n", t->parent->ops->available(sim, t));
}

/* uuid_is_valid(): 8-4-4-4-12 hex digits; upper case is accepted and printed lower case. */
static int uuid_parse(const char *s, char out[37]) {
        for (int i = 0; i < 36; i++) {
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (s[i] != '-')
                                return -EINVAL;
                } else if (!isxdigit((unsigned char) s[i]))
                        return -EINVAL;
                out[i] = (char) tolower((unsigned char) s[i]);
        }
        out[36] = '\0';
        return 0;
}

static char *mdev_uevent_env(struct mdev *m) {
        return xasprintf("%sMDEV_TYPE=%s\n", m->bound ? "DRIVER=" MDEV_DRIVER "\n" : "", m->type->type->id);
}

static int mdev_remove_store(struct sim *sim, struct node *n, const char *buf, size_t len) {
        struct mdev *m = n->obj;
        unsigned long long v;
        int r = kstrtoull(buf, len, 0, &v);
        if (r < 0)
                return r == -ERANGE ? -ERANGE : -EINVAL;
        if (v == 0)
                return 0;
        return mdev_remove(sim, m);
}

static const struct attr_ops mdev_remove_ops = {.store = mdev_remove_store};

static int mdev_uevent_show(struct sim *sim, struct node *n, char *buf, size_t size) {
        _cleanup_free_ char *env = mdev_uevent_env(n->obj);
        return snprintf(buf, size, "%s", env);
}

static int mdev_uevent_store(struct sim *sim, struct node *n, const char *buf, size_t len) {
        return uevent_synth(sim, n->parent, buf, len);
}

static const struct attr_ops mdev_uevent_ops = {.show = mdev_uevent_show, .store = mdev_uevent_store};

static int type_create_store(struct sim *sim, struct node *n, const char *buf, size_t len) {
        struct mdev_type *t = n->obj;
        char name[37];
        /* The kernel checks the length only; the 37th byte (usually a newline) is never looked at. */
        if (len < 36 || len > 37)
                return -EINVAL;
        if (uuid_parse(buf, name) < 0)
                return -EINVAL;
        if (mdev_find(sim, name))
                return -EEXIST;
        int r = t->parent->ops->create(sim, t);
        if (r < 0)
                return r;

        struct mdev *m = xmalloc0(sizeof(*m));
        memcpy(m->name, name, sizeof(m->name));
        m->type = t;
        m->dir = node_dir(t->parent->dev->dir, name);
        _cleanup_free_ char *type_path = node_path(t->dir), *mdev_path = node_path(m->dir);
        node_link(m->dir, "mdev_type", type_path);
        node_attr(m->dir, "remove", 0200, &mdev_remove_ops, m, 0);
        node_attr(m->dir, "uevent", 0644, &mdev_uevent_ops, m, 0);
        node_link(m->dir, "subsystem", "/bus/mdev");
        node_dir(m->dir, "power");
        m->group = iommu_group_get(sim, -1);
        iommu_group_add(sim, m->group, m->dir, name);
        node_link(t->devices, name, mdev_path);
        struct node *bus_link = node_link(node_dir_p(sim->root, "bus/mdev/devices"), name, mdev_path);
        bus_link->obj = m;
        t->parent->n_created++;
        m->next = sim->mdevs;
        if (sim->mdevs)
                sim->mdevs->prev = m;
        sim->mdevs = m;
        sim->n_mdevs++;
        /* The kernel announces the device, then its binding to the mdev driver. */
        node_link(m->dir, "driver", "/bus/mdev/drivers/" MDEV_DRIVER);
        node_link(node_dir_p(sim->root, "bus/mdev/drivers/" MDEV_DRIVER), name, mdev_path);
        uevent_send(sim, m->dir, "add", NULL);
        m->bound = true;
        uevent_send(sim, m->dir, "bind", NULL);
        return 0;
}

static const struct attr_ops type_name_ops = {.show = type_name_show};
static const struct attr_ops type_description_ops = {.show = type_description_show};
static const struct attr_ops type_available_ops = {.show = type_available_show};
static const struct attr_ops type_create_ops = {.store = type_create_store};

struct mdev *mdev_find(struct sim *sim, const char *uuid) {
        struct node *l = node_child(node_lookup(sim->root, "/bus/mdev/devices"), uuid);
        return l ? l->obj : NULL;
}

static void mdev_destroy(struct sim *sim, struct mdev *m) {
        struct mdev_type *t = m->type;
        m->bound = false;
        uevent_send(sim, m->dir, "unbind", NULL);
        uevent_send(sim, m->dir, "remove", NULL);
        node_remove_child(node_lookup(sim->root, "/bus/mdev/drivers/" MDEV_DRIVER), m->name);
        node_remove_child(node_lookup(sim->root, "/bus/mdev/devices"), m->name);
        node_remove_child(t->devices, m->name);
        iommu_group_del(sim, m->group, m->dir, m->name);
        node_remove(m->dir);
        t->parent->ops->destroy(sim, t);
        t->parent->n_created--;
        if (m->prev)
                m->prev->next = m->next;
        else
                sim->mdevs = m->next;
        if (m->next)
                m->next->prev = m->prev;
        sim->n_mdevs--;
        free(m);
}

int mdev_remove(struct sim *sim, struct mdev *m) {
        int r = m->type->parent->ops->remove_check(sim, m);
        if (r < 0)
                return r;
        mdev_destroy(sim, m);
        return 0;
}

int mdev_parent_register(struct sim *sim, struct pci_dev *dev, struct pci_dev *gpu,
                         const struct mdev_parent_ops *ops, const struct type_catalog *types) {
        if (dev->parent)
                return -EEXIST;
        struct mdev_parent *p = xmalloc0(sizeof(*p));
        p->dev = dev;
        p->gpu = gpu;
        p->ops = ops;
        p->n_types = types->n_types;
        p->types = xmalloc0(p->n_types * sizeof(*p->types));
        struct node *dir = node_dir(dev->dir, "mdev_supported_types");
        for (size_t i = 0; i < p->n_types; i++) {
                struct mdev_type *t = &p->types[i];
                t->parent = p;
                t->type = &types->types[i];
                t->dir = node_dir(dir, t->type->id);
                node_attr(t->dir, "name", 0444, &type_name_ops, t, 0);
                node_attr(t->dir, "description", 0444, &type_description_ops, t, 0);
                node_const(t->dir, "device_api", "%s\n", t->type->device_api);
                node_attr(t->dir, "available_instances", 0444, &type_available_ops, t, 0);
                node_attr(t->dir, "create", 0200, &type_create_ops, t, 0);
                t->devices = node_dir(t->dir, "devices");
        }
        dev->parent = p;
        _cleanup_free_ char *path = pci_dev_path(dev);
        node_link(node_dir_p(sim->root, "class/mdev_bus"), dev->name, path);
        uevent_send(sim, dev->dir, "change", "MDEV_STATE=registered\n");
        return 0;
}

void mdev_parent_unregister(struct sim *sim, struct pci_dev *dev) {
        struct mdev_parent *p = dev->parent;
        if (!p)
                return;
        node_remove_child(node_lookup(sim->root, "/class/mdev_bus"), dev->name);
        /* mdev_unregister_parent() removes every child device, in use or not. */
        for (struct mdev *m = sim->mdevs, *next; m; m = next) {
                next = m->next;
                if (m->type->parent == p)
                        mdev_destroy(sim, m);
        }
        node_remove_child(dev->dir, "mdev_supported_types");
        free(p->types);
        free(p);
        dev->parent = NULL;
        uevent_send(sim, dev->dir, "change", "MDEV_STATE=unregistered\n");
}
