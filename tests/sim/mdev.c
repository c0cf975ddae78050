/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mediated devices, after drivers/vfio/mdev/mdev_{core,sysfs}.c: a parent's
 * mdev_supported_types/<type>/ directories, the create store (length, UUID
 * syntax, uniqueness across every parent, then the vendor's verdict),
 * devices with mdev_type/iommu_group links and a remove store, the
 * /sys/class/mdev_bus and /sys/bus/mdev views, and the MDEV_STATE change
 * uevents on parent (un)registration. Vendor rules live in the parent's ops;
 * a parent whose ops leave the count out is counted here, as the kernel's
 * mdev core does for an mdev_driver without get_available (EUSERS when full).
 * Parents are PCI functions (a GPU, a VF) or virtual devices (the kernel's
 * sample drivers, /sys/devices/virtual/<drv>/<drv>).
 */
#include <ctype.h>

#include "sim-util.h"
#include "sim.h"

/* The mdev driver of the NVIDIA and GVT-g profiles: the vfio_mdev of kernels before 5.16. */
#define MDEV_DRIVER_LEGACY "vfio_mdev"

static int type_name_show(struct sim *sim, struct node *n, char *buf, size_t size) {
        struct mdev_type *t = n->obj;
        return snprintf(buf, size, "%s\n", t->type->name);
}

static int type_description_show(struct sim *sim, struct node *n, char *buf, size_t size) {
        struct mdev_type *t = n->obj;
        return t->parent->ops->description(t->type, buf, size);
}

static unsigned type_available(struct sim *sim, struct mdev_type *t) {
        struct mdev_parent *p = t->parent;
        if (p->ops->available)
                return p->ops->available(sim, t);
        /* The core's count is the parent's: every type shows what is left of max_instances. */
        return p->n_created < p->max_instances ? p->max_instances - p->n_created : 0;
}

static int type_available_show(struct sim *sim, struct node *n, char *buf, size_t size) {
        struct mdev_type *t = n->obj;
        return snprintf(buf, size, "%u\n", type_available(sim, t));
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

/* The mdev bus adds no keys of its own (Linux 6.1): only DRIVER while bound. */
static char *mdev_uevent_env(struct mdev *m) {
        return m->bound ? xasprintf("DRIVER=%s\n", m->type->parent->mdev_driver) : xstrdup("");
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

/* Is the mdev that a create in its window made (serial) still there? */
static bool created(struct sim *sim, const char *name, uint64_t serial) {
        struct mdev *m = mdev_find(sim, name);
        return m && m->serial == serial;
}

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
        struct mdev_parent *p = t->parent;
        if (!p->ops->create) {
                /* mdev_device_create(): the core takes one of the parent's instances or refuses. */
                if (p->n_created >= p->max_instances)
                        return -EUSERS;
        } else {
                int r = p->ops->create(sim, t);
                if (r < 0)
                        return r;
        }

        struct mdev *m = xmalloc0(sizeof(*m));
        memcpy(m->name, name, sizeof(m->name));
        m->serial = ++sim->mdev_serial;
        m->type = t;
        m->dir = node_dir(p->dir, name);
        _cleanup_free_ char *mdev_path = node_path(m->dir);
        node_attr(m->dir, "remove", 0200, &mdev_remove_ops, m, 0);
        node_attr(m->dir, "uevent", 0644, &mdev_uevent_ops, m, 0);
        node_link(m->dir, "subsystem", "/bus/mdev");
        node_dir(m->dir, "power");
        m->group = iommu_group_get(sim, -1);
        iommu_group_add(sim, m->group, m->dir, name);
        struct node *bus_link = node_link(node_dir_p(sim->root, "bus/mdev/devices"), name, mdev_path);
        bus_link->obj = m;
        t->parent->n_created++;
        m->next = sim->mdevs;
        if (sim->mdevs)
                sim->mdevs->prev = m;
        sim->mdevs = m;
        sim->n_mdevs++;
        /* The kernel announces the device (device_add()), then binds it to the mdev driver, and only then
         * links it with its type (mdev_create_sysfs_files()), announcing nothing more. */
        _cleanup_free_ char *drv_path = xasprintf("/bus/mdev/drivers/%s", p->mdev_driver);
        node_link(m->dir, "driver", drv_path);
        node_link(node_dir_p(sim->root, drv_path), name, mdev_path);
        uevent_send(sim, m->dir, "add", NULL);
        m->bound = true;
        uevent_send(sim, m->dir, "bind", NULL);
        if (sim->mdev_settle_ms > 0) {
                /* The window made visible: readers and writers go on meanwhile (the wait drops the lock);
                 * ctl mdev-settle 0 ends it early. */
                uint64_t gen = sim->generation, serial = m->serial;
                struct timespec end;
                clock_gettime(CLOCK_REALTIME, &end);
                end.tv_sec += sim->mdev_settle_ms / 1000;
                end.tv_nsec += (long) (sim->mdev_settle_ms % 1000) * 1000000L;
                if (end.tv_nsec >= 1000000000L) {
                        end.tv_sec++;
                        end.tv_nsec -= 1000000000L;
                }
                while (sim->mdev_settle_ms > 0 && gen == sim->generation && created(sim, name, serial) &&
                       pthread_cond_timedwait(&sim->changed, &sim->lock, &end) != ETIMEDOUT)
                        ;
                /* Its parent may have gone meanwhile, and the device with it (another may have its name
                 * now): nothing from before the wait is trusted but the serial. */
                if (gen != sim->generation || !created(sim, name, serial))
                        return -ENODEV;
                m = mdev_find(sim, name);
                t = m->type;
                free(mdev_path);
                mdev_path = node_path(m->dir);
        }
        _cleanup_free_ char *type_path = node_path(t->dir);
        node_link(t->devices, name, mdev_path);
        node_link(m->dir, "mdev_type", type_path);
        m->active = true;
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
        /* mdev_device_remove_common(): the type links go first, then the device (unbind, remove). */
        node_remove_child(m->dir, "mdev_type");
        node_remove_child(t->devices, m->name);
        m->bound = false;
        node_remove_child(m->dir, "driver");
        uevent_send(sim, m->dir, "unbind", NULL);
        uevent_send(sim, m->dir, "remove", NULL);
        _cleanup_free_ char *drv_path = xasprintf("/bus/mdev/drivers/%s", t->parent->mdev_driver);
        node_remove_child(node_lookup(sim->root, drv_path), m->name);
        node_remove_child(node_lookup(sim->root, "/bus/mdev/devices"), m->name);
        iommu_group_del(sim, m->group, m->dir, m->name);
        node_remove(m->dir);
        if (t->parent->ops->destroy)
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
        pthread_cond_broadcast(&sim->changed); /* a create waiting in its window may have lost its device */
}

int mdev_remove(struct sim *sim, struct mdev *m) {
        if (!m->active)
                return -EAGAIN; /* mdev_device_remove(): not created to the end yet */
        int r = m->type->parent->ops->remove_check ? m->type->parent->ops->remove_check(sim, m) : 0;
        if (r < 0)
                return r;
        mdev_destroy(sim, m);
        return 0;
}

/* The mdev bus driver's directory, as the driver's module registers it. */
static void mdev_driver_dir(struct sim *sim, const char *name) {
        _cleanup_free_ char *path = xasprintf("bus/mdev/drivers/%s", name);
        struct node *d = node_dir_p(sim->root, path);
        if (node_child(d, "bind"))
                return;
        _cleanup_free_ char *module = xasprintf("/module/%s", name);
        node_attr(d, "bind", 0200, NULL, NULL, 0);
        node_attr(d, "unbind", 0200, NULL, NULL, 0);
        node_attr(d, "uevent", 0200, NULL, NULL, 0);
        node_link(d, "module", module);
        node_dir_p(sim->root, module);
}

static struct mdev_parent *parent_register(struct sim *sim, struct node *dir, const char *name,
                                           const struct mdev_parent_ops *ops,
                                           const struct type_catalog *types, const char *mdev_driver) {
        struct mdev_parent *p = xmalloc0(sizeof(*p));
        p->dir = dir;
        snprintf(p->name, sizeof(p->name), "%s", name);
        p->ops = ops;
        p->mdev_driver = mdev_driver;
        mdev_driver_dir(sim, mdev_driver);
        p->n_types = types->n_types;
        p->types = xmalloc0(p->n_types * sizeof(*p->types));
        struct node *tdir = node_dir(dir, "mdev_supported_types");
        for (size_t i = 0; i < p->n_types; i++) {
                struct mdev_type *t = &p->types[i];
                char probe[8];
                t->parent = p;
                t->type = &types->types[i];
                t->dir = node_dir(tdir, t->type->id);
                node_attr(t->dir, "name", 0444, &type_name_ops, t, 0);
                if (ops->description && ops->description(t->type, probe, sizeof(probe)) != -ENOENT)
                        node_attr(t->dir, "description", 0444, &type_description_ops, t, 0);
                node_const(t->dir, "device_api", "%s\n", t->type->device_api);
                node_attr(t->dir, "available_instances", 0444, &type_available_ops, t, 0);
                node_attr(t->dir, "create", 0200, &type_create_ops, t, 0);
                t->devices = node_dir(t->dir, "devices");
        }
        _cleanup_free_ char *path = node_path(dir);
        node_link(node_dir_p(sim->root, "class/mdev_bus"), name, path);
        uevent_send(sim, dir, "change", "MDEV_STATE=registered\n");
        return p;
}

static void parent_unregister(struct sim *sim, struct mdev_parent *p) {
        node_remove_child(node_lookup(sim->root, "/class/mdev_bus"), p->name);
        /* mdev_unregister_parent() removes every child device, in use or not. */
        for (struct mdev *m = sim->mdevs, *next; m; m = next) {
                next = m->next;
                if (m->type->parent == p)
                        mdev_destroy(sim, m);
        }
        node_remove_child(p->dir, "mdev_supported_types");
        uevent_send(sim, p->dir, "change", "MDEV_STATE=unregistered\n");
        free(p->types);
        free(p);
}

int mdev_parent_register(struct sim *sim, struct pci_dev *dev, struct pci_dev *gpu,
                         const struct mdev_parent_ops *ops, const struct type_catalog *types) {
        if (dev->parent)
                return -EEXIST;
        dev->parent = parent_register(sim, dev->dir, dev->name, ops, types, MDEV_DRIVER_LEGACY);
        dev->parent->dev = dev;
        dev->parent->gpu = gpu;
        return 0;
}

void mdev_parent_unregister(struct sim *sim, struct pci_dev *dev) {
        if (!dev->parent)
                return;
        parent_unregister(sim, dev->parent);
        dev->parent = NULL;
}

/*
 * The kernel's sample drivers: each module makes a class and one device of its name under
 * /sys/devices/virtual, then registers it as an mdev parent with its own mdev driver.
 */
void virt_parents_add(struct sim *sim) {
        struct virt_dev **tail = &sim->virts;
        for (size_t i = 0; i < sim->profile->n_parents; i++) {
                const struct parent_spec *s = &sim->profile->parents[i];
                struct virt_dev *v = xmalloc0(sizeof(*v));
                v->spec = s;
                v->pool_free = s->pool;
                _cleanup_free_ char *rel = xasprintf("devices/virtual/%s/%s", s->name, s->name),
                                    *class = xasprintf("/class/%s", s->name);
                v->dir = node_dir_p(sim->root, rel);
                node_dir(v->dir, "power");
                node_link(v->dir, "subsystem", class);
                struct node *u = node_const(v->dir, "uevent", "%s", "");
                u->mode = 0644;
                _cleanup_free_ char *path = node_path(v->dir);
                node_link(node_dir_p(sim->root, class), s->name, path);
                _cleanup_free_ char *module = xasprintf("module/%s", s->name);
                node_dir_p(sim->root, module);
                v->parent = parent_register(sim, v->dir, s->name,
                                            s->core_counted ? &sample_core_mdev_ops : &sample_mdev_ops,
                                            s->types, s->name);
                v->parent->max_instances = s->max_instances;
                v->parent->driver_data = v;
                *tail = v;
                tail = &v->next;
        }
}

void virt_parents_remove(struct sim *sim) {
        while (sim->virts) {
                struct virt_dev *v = sim->virts;
                sim->virts = v->next;
                parent_unregister(sim, v->parent);
                free(v);
        }
}
