/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The core of the host model (host.h): operations and their announcements, links between the objects,
 * construction and lookups, GPUs, mdev parents and their types, instances, and the public refresh and
 * remove functions. Availability is in host-availability.c, PCI functions as parents and instances in
 * host-function.c, vgpud's software GPUs in host-software.c, uevents and the full scan in
 * host-uevent.c; host-internal.h is what they share, and says how an operation works. It stays one
 * file at some 800 lines because what is left is one concept, the model's objects and their links:
 * splitting GPUs, parents or instances apart would put each half of a merge in another file.
 */
#include <fcntl.h>
#include <libudev.h>

#include "alias.h"
#include "attr-cache.h"
#include "host-internal.h"
#include "log.h"
#include "mdev.h"
#include "pci.h"
#include "strutil.h"
#include "sysfs.h"
#include "type.h"

static void emit(struct vgpu_host *h, enum host_event ev, enum host_object kind, void *object) {
        if (h->on_event)
                h->on_event(h, ev, kind, object, h->userdata);
}

/* Queue ADDED/CHANGED for the end of the operation; a CHANGED after an ADDED is implied. */
void op_defer(struct op *o, enum host_event ev, enum host_object kind, void *object) {
        o->changed = true;
        for (size_t i = 0; i < o->n_events; i++)
                if (o->events[i].object == object)
                        return;
        struct pending_event *n = realloc(o->events, (o->n_events + 1) * sizeof(*n));
        if (!n)
                return; /* the model is right; only a notification is lost */
        o->events = n;
        o->events[o->n_events++] = (struct pending_event){ev, kind, object};
}

/* Announce a removal now, while the object is valid, and drop its queued events. */
void op_removed(struct op *o, enum host_object kind, void *object) {
        size_t j = 0;

        o->changed = true;
        for (size_t i = 0; i < o->n_events; i++)
                if (o->events[i].object != object)
                        o->events[j++] = o->events[i];
        o->n_events = j;
        emit(o->h, HOST_EVENT_REMOVED, kind, object);
}

/* ---- links ---- */

void relink(struct op *o) {
        struct vgpu_host *h = o->h;
        _cleanup_free_ unsigned *old = calloc(h->n_gpus + h->n_parents + 1, sizeof(unsigned));

        for (size_t i = 0; i < h->n_gpus; i++) {
                struct vgpu_gpu *g = h->gpus[i];
                if (old)
                        old[i] = g->n_instances;
                g->pf = g->physfn[0] ? strmap_get(h->gpu_by_bdf, g->physfn) : NULL;
                g->parent = strmap_get(h->parent_by_name, g->bdf);
                g->n_instances = 0;
        }
        for (size_t i = 0; i < h->n_parents; i++) {
                struct vgpu_parent *p = h->parents[i];
                if (old)
                        old[h->n_gpus + i] = p->n_instances;
                p->device = strmap_get(h->gpu_by_bdf, p->name);
                p->gpu = p->device ? (p->device->pf ?: p->device) : NULL;
                p->n_instances = 0;
                for (size_t j = 0; j < p->n_types; j++)
                        p->types[j]->parent = p;
        }
        for (size_t i = 0; i < h->n_instances; i++) {
                struct vgpu_instance *in = h->instances[i];
                in->parent = in->parent_name ? strmap_get(h->parent_by_name, in->parent_name) : NULL;
                in->type = in->parent && in->type_id ? parent_find_type(in->parent, in->type_id) : NULL;
                in->gpu = in->parent ? in->parent->gpu : NULL;
                if (!in->parent)
                        continue;
                in->parent->n_instances++;
                if (in->parent->device)
                        in->parent->device->n_instances++;
                if (in->gpu && in->gpu != in->parent->device)
                        in->gpu->n_instances++;
        }
        if (!old)
                return;
        for (size_t i = 0; i < h->n_gpus; i++)
                if (old[i] != h->gpus[i]->n_instances)
                        op_defer(o, HOST_EVENT_CHANGED, HOST_OBJECT_GPU, h->gpus[i]);
        for (size_t i = 0; i < h->n_parents; i++)
                if (old[h->n_gpus + i] != h->parents[i]->n_instances)
                        op_defer(o, HOST_EVENT_CHANGED, HOST_OBJECT_PARENT, h->parents[i]);
}

static int kind_rank(enum host_object k) {
        switch (k) {
        case HOST_OBJECT_GPU:
                return 0;
        case HOST_OBJECT_PARENT:
                return 1;
        case HOST_OBJECT_TYPE_GROUP:
                return 2;
        case HOST_OBJECT_TYPE:
                return 3;
        case HOST_OBJECT_INSTANCE:
        default:
                return 4;
        }
}

int op_end(struct op *o) {
        struct vgpu_host *h = o->h;
        int r = 0;

        relink(o);
        if (o->types_changed) {
                struct alias_changes c;
                r = alias_rebuild(h, &c);
                if (r >= 0) {
                        for (size_t i = 0; i < c.n_removed; i++) {
                                op_removed(o, HOST_OBJECT_TYPE_GROUP, c.removed[i]);
                                type_group_free(c.removed[i]);
                        }
                        for (size_t i = 0; i < c.n_added; i++)
                                op_defer(o, HOST_EVENT_ADDED, HOST_OBJECT_TYPE_GROUP, c.added[i]);
                        for (size_t i = 0; i < c.n_changed; i++)
                                op_defer(o, HOST_EVENT_CHANGED, HOST_OBJECT_TYPE_GROUP, c.changed[i]);
                        alias_changes_done(&c);
                }
        } else
                /* availability moved without a regroup: keep the sums right */
                for (size_t i = 0; i < h->n_groups; i++) {
                        unsigned a = type_group_available(h->groups[i]);
                        if (a != h->groups[i]->available) {
                                h->groups[i]->available = a;
                                op_defer(o, HOST_EVENT_CHANGED, HOST_OBJECT_TYPE_GROUP, h->groups[i]);
                        }
                }

        for (int rank = 0; rank <= 4; rank++)
                for (size_t i = 0; i < o->n_events; i++)
                        if (kind_rank(o->events[i].kind) == rank)
                                emit(h, o->events[i].ev, o->events[i].kind, o->events[i].object);
        free(o->events);

        /* After the announcements, so the handler sees the model as it is now; parents parked for freeing
         * are gone and need no numbers. */
        for (size_t i = 0; i < o->n_stale; i++) {
                bool dead = false;
                for (size_t j = 0; j < o->n_dead_parents && !dead; j++)
                        dead = o->dead_parents[j] == o->stale[i];
                if (!dead && h->on_availability_stale)
                        h->on_availability_stale(h, o->stale[i], h->availability_userdata);
        }
        free(o->stale);

        for (size_t i = 0; i < o->n_dead_instances; i++)
                instance_free(o->dead_instances[i]);
        for (size_t i = 0; i < o->n_dead_types; i++)
                type_free(o->dead_types[i]);
        for (size_t i = 0; i < o->n_dead_parents; i++) {
                free(o->dead_parents[i]->name);
                free(o->dead_parents[i]->types);
                free(o->dead_parents[i]);
        }
        for (size_t i = 0; i < o->n_dead_gpus; i++)
                gpu_free(o->dead_gpus[i]);
        free(o->dead_instances);
        free(o->dead_types);
        free(o->dead_parents);
        free(o->dead_gpus);
        if (r < 0)
                return r;
        return o->changed ? 1 : 0;
}

void op_begin(struct op *o, struct vgpu_host *h) {
        *o = (struct op){.h = h};
}

/* ---- construction ---- */

/* Availability attributes kept open (attr-cache.h): 15 GPUs' worth of 17 types, well inside the
 * default limit of 1,024 descriptors. */
#define HOST_AVAIL_CACHE_MAX 256

int host_new(const char *sysfs_root, struct vgpu_host **ret) {
        struct vgpu_host *h = calloc(1, sizeof(*h));

        if (!h)
                return -ENOMEM;
        h->sysfs_root = strdup(sysfs_root ?: SYSFS_ROOT);
        h->gpu_by_bdf = strmap_new();
        h->parent_by_name = strmap_new();
        h->instance_by_uuid = strmap_new();
        h->group_by_key = strmap_new();
        h->alias_index = strmap_new();
        h->instance_by_device = strmap_new();
        h->claim_by_uuid = strmap_new();
        h->claim_by_device = strmap_new();
        h->vfio_type_names = strmap_new();
        if (attr_cache_new(HOST_AVAIL_CACHE_MAX, &h->avail_cache) < 0)
                h->avail_cache = NULL;
        if (!h->avail_cache || !h->sysfs_root || !h->gpu_by_bdf || !h->parent_by_name ||
            !h->instance_by_uuid || !h->group_by_key || !h->alias_index || !h->instance_by_device ||
            !h->claim_by_uuid || !h->claim_by_device || !h->vfio_type_names) {
                host_free(h);
                return -ENOMEM;
        }
        *ret = h;
        return 0;
}

int host_set_pci_ids(struct vgpu_host *h, const uint32_t *ids, size_t n) {
        uint32_t *copy = NULL;

        if (n > 0) {
                copy = malloc(n * sizeof(*ids));
                if (!copy)
                        return -ENOMEM;
                memcpy(copy, ids, n * sizeof(*ids));
        }
        free(h->pci_ids);
        h->pci_ids = copy;
        h->n_pci_ids = n;
        return 0;
}

int host_set_binding_dir(struct vgpu_host *h, const char *dir) {
        char *copy = NULL;

        if (dir && !(copy = strdup(dir)))
                return -ENOMEM;
        free(h->binding_dir);
        h->binding_dir = copy;
        return 0;
}

/* A function the model keeps as a GPU (host_set_pci_ids()). */
static bool host_manages_function(const struct vgpu_host *h, const struct vgpu_gpu *g) {
        uint32_t id = (uint32_t) g->vendor_id << 16 | g->device_id;

        if (pci_class_is_display(g->class_code) || pci_class_is_accelerator(g->class_code))
                return true;
        for (size_t i = 0; i < h->n_pci_ids; i++)
                if (h->pci_ids[i] == id)
                        return true;
        /* A VF of a managed PF (igb's VFs have a device id of their own) */
        return vgpu_gpu_is_vf(g) && strmap_get(h->gpu_by_bdf, g->physfn);
}

void host_free(struct vgpu_host *h) {
        if (!h)
                return;
        for (size_t i = 0; i < h->n_instances; i++)
                instance_free(h->instances[i]);
        for (size_t i = 0; i < h->n_parents; i++) {
                mdev_types_free(h->parents[i]->types, h->parents[i]->n_types);
                free(h->parents[i]->name);
                free(h->parents[i]);
        }
        for (size_t i = 0; i < h->n_gpus; i++)
                gpu_free(h->gpus[i]);
        for (size_t i = 0; i < h->n_groups; i++)
                type_group_free(h->groups[i]);
        alias_index_free(h);
        attr_cache_free(h->avail_cache);
        free(h->instances);
        free(h->parents);
        free(h->gpus);
        free(h->pci_ids);
        free(h->groups);
        strv_free(h->unsettled);
        strmap_free(h->gpu_by_bdf);
        strmap_free(h->parent_by_name);
        strmap_free(h->instance_by_uuid);
        strmap_free(h->group_by_key);
        strmap_free(h->alias_index);
        claims_free(h);
        strmap_free(h->instance_by_device);
        if (h->hwdb)
                udev_hwdb_unref(h->hwdb);
        if (h->udev)
                udev_unref(h->udev);
        free(h->sysfs_root);
        free(h->binding_dir);
        free(h);
}

void host_set_event_handler(struct vgpu_host *h, host_event_fn fn, void *userdata) {
        h->on_event = fn;
        h->userdata = userdata;
}

/* ---- lookups ---- */

struct vgpu_gpu *host_find_gpu(const struct vgpu_host *h, const char *bdf) {
        char n[PCI_BDF_MAX];
        if (gpu_address_normalize(bdf, n) < 0)
                return NULL;
        return strmap_get(h->gpu_by_bdf, n);
}

struct vgpu_parent *host_find_parent(const struct vgpu_host *h, const char *name) {
        char n[PCI_BDF_MAX];
        struct vgpu_parent *p;

        if (!name)
                return NULL;
        p = strmap_get(h->parent_by_name, name);
        if (!p && pci_bdf_normalize(name, n) >= 0)
                p = strmap_get(h->parent_by_name, n);
        return p;
}

struct vgpu_instance *host_find_instance(const struct vgpu_host *h, const char *uuid) {
        char n[UUID_STRING_MAX];
        if (uuid_normalize(uuid, n) < 0)
                return NULL;
        return strmap_get(h->instance_by_uuid, n);
}

struct vgpu_type_group *host_find_group(const struct vgpu_host *h, const char *key) {
        return key ? strmap_get(h->group_by_key, key) : NULL;
}

struct vgpu_type *parent_find_type(const struct vgpu_parent *p, const char *type_id) {
        size_t pos = types_lower_bound(p->types, p->n_types, type_id);
        return pos < p->n_types && streq(p->types[pos]->id, type_id) ? p->types[pos] : NULL;
}

void gpu_types_free(struct vgpu_gpu_type *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i].members);
        free(v);
}

static int cmp_gpu_type(const void *a, const void *b) {
        return strcmp(((const struct vgpu_gpu_type *) a)->id, ((const struct vgpu_gpu_type *) b)->id);
}

int host_gpu_types(const struct vgpu_host *h, const struct vgpu_gpu *gpu, const struct vgpu_parent *parent,
                   struct vgpu_gpu_type **ret, size_t *ret_n) {
        struct vgpu_gpu_type *v = NULL;
        size_t n = 0;

        for (size_t i = 0; i < h->n_parents; i++) {
                const struct vgpu_parent *p = h->parents[i];
                if (gpu ? p->gpu != gpu : p != parent)
                        continue;
                for (size_t j = 0; j < p->n_types; j++) {
                        struct vgpu_type *t = p->types[j];
                        struct vgpu_gpu_type *gt = NULL;
                        for (size_t k = 0; k < n && !gt; k++)
                                if (streq(v[k].id, t->id))
                                        gt = &v[k];
                        if (!gt) {
                                struct vgpu_gpu_type *nv = realloc(v, (n + 1) * sizeof(*nv));
                                if (!nv) {
                                        gpu_types_free(v, n);
                                        return -ENOMEM;
                                }
                                v = nv;
                                gt = &v[n++];
                                *gt = (struct vgpu_gpu_type){.id = t->id, .group = t->group};
                        }
                        struct vgpu_type **nm = realloc(gt->members, (gt->n_members + 1) * sizeof(*nm));
                        if (!nm) {
                                gpu_types_free(v, n);
                                return -ENOMEM;
                        }
                        gt->members = nm;
                        gt->members[gt->n_members++] = t;
                        gt->available += t->available;
                }
        }
        if (n > 0)
                qsort(v, n, sizeof(*v), cmp_gpu_type);
        *ret = v;
        *ret_n = n;
        return 0;
}

struct vgpu_gpu *host_next_physical_gpu(const struct vgpu_host *h, size_t *i) {
        while (*i < h->n_gpus) {
                struct vgpu_gpu *g = h->gpus[(*i)++];
                if (!vgpu_gpu_is_vf(g))
                        return g;
        }
        return NULL;
}

/* ---- GPUs ---- */

int gpu_remove(struct op *o, struct vgpu_gpu *g) {
        struct vgpu_host *h = o->h;
        int r = PARK(o, dead_gpus, g);
        if (r < 0)
                return r;
        op_removed(o, HOST_OBJECT_GPU, g);
        gpus_remove(h->gpus, &h->n_gpus, g);
        strmap_remove(h->gpu_by_bdf, g->bdf);
        return 0;
}

int gpu_add(struct op *o, struct vgpu_gpu **g) {
        struct vgpu_host *h = o->h;
        int r = strmap_put(h->gpu_by_bdf, (*g)->bdf, *g);

        if (r < 0)
                return r;
        r = gpus_insert(&h->gpus, &h->n_gpus, *g);
        if (r < 0) {
                strmap_remove(h->gpu_by_bdf, (*g)->bdf);
                return r;
        }
        op_defer(o, HOST_EVENT_ADDED, HOST_OBJECT_GPU, TAKE_PTR(*g));
        return 0;
}

int gpu_refresh(struct op *o, const char *bdf) {
        struct vgpu_host *h = o->h;
        _cleanup_(gpu_freep) struct vgpu_gpu *n = NULL;
        struct vgpu_gpu *old;
        char name[PCI_BDF_MAX];
        int r;

        r = pci_bdf_normalize(bdf, name);
        if (r < 0)
                return r;
        if (host_is_software_address(name))
                return 0; /* vgpud's own: nothing in sysfs to read */
        old = strmap_get(h->gpu_by_bdf, name);
        r = pci_read_gpu(h->sysfs_root, name, &n);
        if (r == -ENODEV || (r >= 0 && !host_manages_function(h, n)))
                return old ? gpu_remove(o, old) : 0;
        if (r < 0)
                return r;
        if (!h->udev && (h->udev = udev_new()))
                h->hwdb = udev_hwdb_new(h->udev); /* NULL without a database: names stay unknown */
        r = pci_lookup_names(h->hwdb, n);
        if (r < 0)
                return r;
        if (old) {
                if (!gpu_equal(old, n)) {
                        gpu_take_fields(old, n);
                        op_defer(o, HOST_EVENT_CHANGED, HOST_OBJECT_GPU, old);
                }
                return 0;
        }
        return gpu_add(o, &n);
}

/* ---- parents and their types ---- */

/* An mdev parent that is no PCI function stands as a GPU of its own, named by its device name, so that
 * its types are listed, placed and created like any GPU's. A name too long for an address has none. */
static int virtual_gpu_ensure(struct op *o, const char *name) {
        struct vgpu_host *h = o->h;
        _cleanup_(gpu_freep) struct vgpu_gpu *g = NULL;
        _cleanup_free_ char *dev = NULL;
        _cleanup_close_ int dfd = -1;
        char bdf[PCI_BDF_MAX];
        int r;

        if (pci_bdf_normalize(name, bdf) >= 0 || strlen(name) >= PCI_BDF_MAX ||
            strmap_get(h->gpu_by_bdf, name))
                return 0;
        g = calloc(1, sizeof(*g));
        if (!g)
                return -ENOMEM;
        strcpy(g->bdf, name);
        g->virtual_device = true;
        g->iommu_group = -1;
        g->numa_node = -1;
        dev = sysfs_path(h->sysfs_root, SYSFS_MDEV_BUS "/%s", name);
        if (!dev)
                return -ENOMEM;
        dfd = open(dev, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
                r = sysfs_read_link_name_at(dfd, "driver", &g->driver);
                if (r < 0 && r != -ENOENT)
                        return r;
        }
        /* The sample drivers bind no driver: the parent's own name says what it is. */
        if (!(g->model_name = strdup(name)))
                return -ENOMEM;
        return gpu_add(o, &g);
}

int parent_remove(struct op *o, struct vgpu_parent *p) {
        struct vgpu_host *h = o->h;
        struct vgpu_gpu *virt = strmap_get(h->gpu_by_bdf, p->name);
        size_t parked = o->n_dead_types;
        int r = 0;

        if (virt && virt->virtual_device && (r = gpu_remove(o, virt)) < 0)
                return r;
        /* Its attributes are not read again: an open one would keep the kernel's node of a device that is
         * gone, and (on a plain directory, as in the unit tests) go on reading what it last said. */
        attr_cache_forget_under(h->avail_cache, p->name);

        for (size_t i = 0; i < p->n_types && r >= 0; i++)
                r = PARK(o, dead_types, p->types[i]);
        if (r >= 0)
                r = PARK(o, dead_parents, p);
        if (r < 0) {
                o->n_dead_types = parked; /* nothing is freed that is still in the model */
                return r;
        }
        for (size_t i = 0; i < p->n_types; i++)
                op_removed(o, HOST_OBJECT_TYPE, p->types[i]);
        op_removed(o, HOST_OBJECT_PARENT, p);
        p->n_types = 0;
        parents_remove(h->parents, &h->n_parents, p);
        strmap_remove(h->parent_by_name, p->name);
        o->types_changed = true;
        return 0;
}

/* Merge freshly read types into p: same id keeps its object (and identity). */
int parent_merge_types(struct op *o, struct vgpu_parent *p, struct vgpu_type **fresh, size_t n_fresh) {
        struct vgpu_type **merged = calloc(n_fresh + 1, sizeof(*merged));
        size_t n = 0, parked = o->n_dead_types;

        if (!merged)
                return -ENOMEM;
        /* park the types that are gone first, so nothing below can fail half-way */
        for (size_t i = 0; i < p->n_types; i++) {
                bool kept = false;
                for (size_t j = 0; j < n_fresh && !kept; j++)
                        kept = streq(p->types[i]->id, fresh[j]->id);
                if (!kept && PARK(o, dead_types, p->types[i]) < 0) {
                        o->n_dead_types = parked;
                        free(merged);
                        return -ENOMEM;
                }
        }
        for (size_t i = 0; i < p->n_types; i++) {
                bool kept = false;
                for (size_t j = 0; j < n_fresh && !kept; j++)
                        kept = streq(p->types[i]->id, fresh[j]->id);
                if (!kept) {
                        op_removed(o, HOST_OBJECT_TYPE, p->types[i]);
                        o->types_changed = true;
                }
        }
        for (size_t j = 0; j < n_fresh; j++) {
                struct vgpu_type *old = parent_find_type(p, fresh[j]->id);
                if (!old) {
                        fresh[j]->parent = p;
                        merged[n++] = fresh[j];
                        fresh[j] = NULL;
                        op_defer(o, HOST_EVENT_ADDED, HOST_OBJECT_TYPE, merged[n - 1]);
                        o->types_changed = true;
                        continue;
                }
                if (!type_equal(old, fresh[j])) {
                        bool regroup = !streq_ptr(old->name, fresh[j]->name);
                        /* swap the derived data in; fresh[j] takes the old strings to be freed */
                        struct vgpu_type tmp = *old;
                        *old = *fresh[j];
                        old->parent = tmp.parent;
                        old->group = tmp.group;
                        *fresh[j] = tmp;
                        fresh[j]->group = NULL;
                        op_defer(o, HOST_EVENT_CHANGED, HOST_OBJECT_TYPE, old);
                        /* aliases or identity may differ now */
                        o->types_changed = o->types_changed || regroup ||
                                           !streq_ptr(old->description, fresh[j]->description);
                }
                merged[n++] = old;
        }
        free(p->types);
        p->types = merged;
        p->n_types = n;
        return 0;
}

int parent_refresh(struct op *o, const char *name, struct vgpu_error_list *problems) {
        struct vgpu_host *h = o->h;
        struct vgpu_parent *p = strmap_get(h->parent_by_name, name);
        struct vgpu_type **fresh = NULL;
        size_t n_fresh = 0;
        int r;

        if (!sysfs_name_is_valid(name))
                return -EINVAL;
        if (host_is_software_address(name))
                return 0;
        if (p && backend_device_kind(p->backend) != VGPU_DEVICE_MDEV) {
                /* A function that is a vf/nvidia-vfio parent, unless it registers as an mdev parent now. */
                if (!mdev_parent_is_registered(h->sysfs_root, name))
                        return pci_parent_refresh(o, name);
                r = parent_remove(o, p);
                if (r < 0)
                        return r;
                p = NULL;
        }
        r = mdev_read_types(h->sysfs_root, name, &fresh, &n_fresh, problems);
        if (r == -ENODEV) {
                r = p ? parent_remove(o, p) : 0;
                /* no longer an mdev parent: it may be a function of another backend now */
                return r < 0 ? r : pci_parent_refresh(o, name);
        }
        if (r < 0)
                return r;
        h->types_generation++;

        if (!p) {
                p = calloc(1, sizeof(*p));
                if (!p || !(p->name = strdup(name))) {
                        free(p);
                        mdev_types_free(fresh, n_fresh);
                        return -ENOMEM;
                }
                if ((r = strmap_put(h->parent_by_name, p->name, p)) < 0 ||
                    (r = parents_insert(&h->parents, &h->n_parents, p)) < 0) {
                        strmap_remove(h->parent_by_name, p->name);
                        free(p->name);
                        free(p);
                        mdev_types_free(fresh, n_fresh);
                        return r;
                }
                op_defer(o, HOST_EVENT_ADDED, HOST_OBJECT_PARENT, p);
        }
        r = parent_merge_types(o, p, fresh, n_fresh);
        mdev_types_free(fresh, n_fresh); /* what was not taken over */
        return r < 0 ? r : virtual_gpu_ensure(o, name);
}

/* ---- instances ---- */

int instance_remove(struct op *o, struct vgpu_instance *in) {
        struct vgpu_host *h = o->h;
        int r = PARK(o, dead_instances, in);
        if (r < 0)
                return r;
        op_removed(o, HOST_OBJECT_INSTANCE, in);
        instances_remove(h->instances, &h->n_instances, in);
        strmap_remove(h->instance_by_uuid, in->uuid);
        if (in->device)
                strmap_remove(h->instance_by_device, in->device);
        return 0;
}

/* Put a freshly read instance into the model: add it, or move its fields into the model's copy.
 * by_device: also index it by its device (a PCI function as instance, found by its BDF). */
int instance_merge(struct op *o, struct vgpu_instance *fresh, bool by_device) {
        struct vgpu_host *h = o->h;
        _cleanup_(instance_freep) struct vgpu_instance *n = fresh;
        struct vgpu_instance *old = strmap_get(h->instance_by_uuid, n->uuid);
        int r;

        if (old) {
                if (!instance_equal(old, n)) {
                        instance_take_fields(old, n);
                        op_defer(o, HOST_EVENT_CHANGED, HOST_OBJECT_INSTANCE, old);
                }
                return 0;
        }
        r = strmap_put(h->instance_by_uuid, n->uuid, n);
        if (r < 0)
                return r;
        if (by_device)
                r = strmap_put(h->instance_by_device, n->device, n);
        if (r >= 0)
                r = instances_insert(&h->instances, &h->n_instances, n);
        if (r < 0) {
                strmap_remove(h->instance_by_uuid, n->uuid);
                if (by_device)
                        strmap_remove(h->instance_by_device, n->device);
                return r;
        }
        op_defer(o, HOST_EVENT_ADDED, HOST_OBJECT_INSTANCE, n);
        TAKE_PTR(n);
        return 0;
}

int instance_refresh(struct op *o, const char *uuid) {
        struct vgpu_host *h = o->h;
        struct vgpu_instance *n = NULL, *old;
        char u[UUID_STRING_MAX];
        int r;

        r = uuid_normalize(uuid, u);
        if (r < 0)
                return r;
        old = strmap_get(h->instance_by_uuid, u);
        if (old && backend_device_kind(old->backend) == VGPU_DEVICE_VFIO_USER)
                return 0; /* the daemon sets RPC instances (host_set_software_instance) */
        /* A PCI function as instance: read the function (and its parent role) again. */
        const struct host_claim *c = strmap_get(h->claim_by_uuid, u);
        if (c || (old && old->device)) {
                _cleanup_free_ char *dev = strdup(c ? c->device : old->device);
                if (!dev)
                        return -ENOMEM;
                r = function_refresh(o, dev);
                /* claimed for another function now: the old one goes */
                if (r >= 0 && (old = strmap_get(h->instance_by_uuid, u)) && old->device &&
                    !streq(old->device, dev))
                        r = function_refresh(o, old->device);
                return r;
        }
        r = mdev_read_instance(h->sysfs_root, u, &n);
        /* Not finished: kept as it was (absent, or as last read) until host_settle() finds it done. */
        if (r == -EAGAIN)
                return strv_extend_unique(&h->unsettled, u);
        strv_remove(h->unsettled, u);
        if (r == -ENODEV)
                return old ? instance_remove(o, old) : 0;
        if (r < 0)
                return r;
        return instance_merge(o, n, false);
}

/* ---- public refresh/remove ---- */

int host_refresh_gpu(struct vgpu_host *h, const char *bdf) {
        struct op o;
        op_begin(&o, h);
        int r = function_refresh(&o, bdf);
        int k = op_end(&o);
        return r < 0 ? r : k;
}

int host_refresh_parent(struct vgpu_host *h, const char *name) {
        struct op o;
        op_begin(&o, h);
        int r = parent_refresh(&o, name, NULL);
        int k = op_end(&o);
        return r < 0 ? r : k;
}

int host_refresh_instance(struct vgpu_host *h, const char *uuid) {
        struct vgpu_instance *in = host_find_instance(h, uuid);
        _cleanup_free_ char *before = in && in->parent_name ? strdup(in->parent_name) : NULL;
        char u[UUID_STRING_MAX];
        struct op o;
        int r;

        r = uuid_normalize(uuid, u);
        if (r < 0)
                return r;
        op_begin(&o, h);
        r = instance_refresh(&o, u);
        /* unfinished: nothing changed, its type's numbers neither */
        if (r >= 0 && !strv_contains(h->unsettled, u)) {
                in = host_find_instance(h, u);
                refresh_availability_around(&o, before);
                if (in && !streq_ptr(before, in->parent_name))
                        refresh_availability_around(&o, in->parent_name);
        }
        int k = op_end(&o);
        return r < 0 ? r : k;
}

char *const *host_unsettled(const struct vgpu_host *h) {
        return h->unsettled;
}

int host_settle(struct vgpu_host *h) {
        _cleanup_strv_free_ char **v = h->unsettled;
        int changed = 0, r = 0;

        h->unsettled = NULL; /* refreshing lists again those still not finished */
        for (char **u = v; u && *u; u++) {
                /* One that cannot be read is left out (its next uevent brings it back); the others go on. */
                int k = host_refresh_instance(h, *u);
                if (k < 0) {
                        log_warning_errno(k,
                                          "Cannot read the unfinished mdev %s again; left out until its "
                                          "next uevent: %m",
                                          *u);
                        if (r == 0)
                                r = k;
                }
                changed = changed || k > 0;
        }
        return r < 0 ? r : changed;
}

int host_adopt_instance(struct vgpu_host *h, struct vgpu_instance *in) {
        _cleanup_(instance_freep) struct vgpu_instance *n = in;
        struct vgpu_instance *old;
        _cleanup_free_ char *before = NULL;
        struct op o;
        int r;

        if (!n || !uuid_is_valid(n->uuid))
                return -EINVAL;
        old = host_find_instance(h, n->uuid);
        if (old && old->parent_name && !(before = strdup(old->parent_name)))
                return -ENOMEM;
        _cleanup_free_ char *after = n->parent_name ? strdup(n->parent_name) : NULL;
        if (n->parent_name && !after)
                return -ENOMEM;

        op_begin(&o, h);
        r = instance_merge(&o, TAKE_PTR(n), false);
        if (r >= 0) {
                refresh_availability_around(&o, before);
                if (!streq_ptr(before, after))
                        refresh_availability_around(&o, after);
        }
        int k = op_end(&o);
        return r < 0 ? r : k;
}

int host_remove_gpu(struct vgpu_host *h, const char *bdf) {
        struct vgpu_gpu *g = host_find_gpu(h, bdf);
        struct vgpu_parent *p = g ? strmap_get(h->parent_by_name, g->bdf) : NULL;
        struct op o;
        int r = 0;

        if (!g)
                return 0;
        op_begin(&o, h);
        _cleanup_free_ char *name = strdup(g->bdf);
        if (!name)
                return -ENOMEM;
        if (p)
                r = parent_remove(&o, p);
        if (r >= 0)
                r = gpu_remove(&o, g);
        if (r >= 0)
                r = device_instance_refresh(&o, name); /* a vf/nvidia-vfio instance goes with it */
        int k = op_end(&o);
        return r < 0 ? r : k;
}

int host_remove_parent(struct vgpu_host *h, const char *name) {
        struct vgpu_parent *p = host_find_parent(h, name);
        struct op o;

        if (!p)
                return 0;
        op_begin(&o, h);
        int r = parent_remove(&o, p);
        int k = op_end(&o);
        return r < 0 ? r : k;
}

int host_remove_instance(struct vgpu_host *h, const char *uuid) {
        struct vgpu_instance *in = host_find_instance(h, uuid);
        _cleanup_free_ char *parent = NULL;
        struct op o;

        if (!in)
                return 0;
        parent = in->parent_name ? strdup(in->parent_name) : NULL;
        op_begin(&o, h);
        int r = instance_remove(&o, in);
        if (r >= 0)
                refresh_availability_around(&o, parent);
        int k = op_end(&o);
        return r < 0 ? r : k;
}
