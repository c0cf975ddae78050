/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Implementation of host.h. Every mutation runs as one "operation": objects
 * are read from sysfs and merged into the model; removed objects are
 * announced at once (still valid) and parked until the operation ends;
 * then links are recomputed, type groups rebuilt, ADDED/CHANGED announced
 * (GPUs, parents, groups, types, instances, in that order, so a listener
 * always finds an object's container first), and parked objects freed.
 * Listeners therefore never see a dangling pointer.
 */
#include <fcntl.h>
#include <libudev.h>

#include "alias.h"
#include "backend.h"
#include "hashmap.h"
#include "host.h"
#include "mdev.h"
#include "pci.h"
#include "strutil.h"
#include "sysfs.h"
#include "type.h"
#include "vfio-user/rpc-gpu.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev *, udev_unref);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_enumerate *, udev_enumerate_unref);

/* ---- sorted pointer arrays, one set of helpers per object kind ---- */

#define DEFINE_SORTED_ARRAY(name, type, keyfield)                                                           \
        _unused_ static size_t name##_lower_bound(type *const *a, size_t n, const char *key) {              \
                size_t lo = 0, hi = n;                                                                      \
                while (lo < hi) {                                                                           \
                        size_t mid = lo + (hi - lo) / 2;                                                    \
                        if (strcmp(a[mid]->keyfield, key) < 0)                                              \
                                lo = mid + 1;                                                               \
                        else                                                                                \
                                hi = mid;                                                                   \
                }                                                                                           \
                return lo;                                                                                  \
        }                                                                                                   \
        _unused_ static int name##_insert(type ***a, size_t *n, type *obj) {                                \
                size_t pos = name##_lower_bound(*a, *n, obj->keyfield);                                     \
                type **na = realloc(*a, (*n + 1) * sizeof(type *));                                         \
                if (!na)                                                                                    \
                        return -ENOMEM;                                                                     \
                memmove(na + pos + 1, na + pos, (*n - pos) * sizeof(type *));                               \
                na[pos] = obj;                                                                              \
                *a = na;                                                                                    \
                (*n)++;                                                                                     \
                return 0;                                                                                   \
        }                                                                                                   \
        _unused_ static void name##_remove(type **a, size_t *n, type *obj) {                                \
                size_t pos = name##_lower_bound(a, *n, obj->keyfield);                                      \
                if (pos < *n && a[pos] == obj) {                                                            \
                        memmove(a + pos, a + pos + 1, (*n - pos - 1) * sizeof(type *));                     \
                        (*n)--;                                                                             \
                }                                                                                           \
        }

DEFINE_SORTED_ARRAY(gpus, struct vgpu_gpu, bdf)
DEFINE_SORTED_ARRAY(parents, struct vgpu_parent, name)
DEFINE_SORTED_ARRAY(instances, struct vgpu_instance, uuid)
DEFINE_SORTED_ARRAY(types, struct vgpu_type, id)

/* ---- operations: deferred events and parked objects ---- */

struct pending_event {
        enum host_event ev;
        enum host_object kind;
        void *object;
};

struct op {
        struct vgpu_host *h;
        struct pending_event *events;
        size_t n_events;
        /* parked until the end of the operation */
        struct vgpu_gpu **dead_gpus;
        size_t n_dead_gpus;
        struct vgpu_parent **dead_parents;
        size_t n_dead_parents;
        struct vgpu_type **dead_types;
        size_t n_dead_types;
        struct vgpu_instance **dead_instances;
        size_t n_dead_instances;
        bool types_changed;
        bool changed; /* anything at all: the return value of refresh functions */
        /* parents whose availability is stale, for the handler (host_set_availability_handler) */
        struct vgpu_parent **stale;
        size_t n_stale;
};

static void emit(struct vgpu_host *h, enum host_event ev, enum host_object kind, void *object) {
        if (h->on_event)
                h->on_event(h, ev, kind, object, h->userdata);
}

/* Queue ADDED/CHANGED for the end of the operation; a CHANGED after an ADDED is implied. */
static void op_defer(struct op *o, enum host_event ev, enum host_object kind, void *object) {
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
static void op_removed(struct op *o, enum host_object kind, void *object) {
        size_t j = 0;

        o->changed = true;
        for (size_t i = 0; i < o->n_events; i++)
                if (o->events[i].object != object)
                        o->events[j++] = o->events[i];
        o->n_events = j;
        emit(o->h, HOST_EVENT_REMOVED, kind, object);
}

#define PARK(o, field, obj)                                                                                 \
        ({                                                                                                  \
                __typeof__(obj) *_n = realloc((o)->field, ((o)->n_##field + 1) * sizeof(obj));              \
                int _r = -ENOMEM;                                                                           \
                if (_n) {                                                                                   \
                        (o)->field = _n;                                                                    \
                        (o)->field[(o)->n_##field++] = (obj);                                               \
                        _r = 0;                                                                             \
                }                                                                                           \
                _r;                                                                                         \
        })

/* PCI functions that are parents and instances themselves (vf, nvidia-vfio): see further down. */
struct host_claim {
        char uuid[UUID_STRING_MAX];
        char device[PCI_BDF_MAX];
        enum vgpu_backend_kind backend;
        char *type_id;
};
static void op_begin(struct op *o, struct vgpu_host *h);
static int function_refresh(struct op *o, const char *bdf);
static int pci_parent_refresh(struct op *o, const char *bdf);
static int device_instance_refresh(struct op *o, const char *bdf);
static void claims_free(struct vgpu_host *h);

/* ---- links ---- */

static void relink(struct op *o) {
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

static int op_end(struct op *o) {
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

/* ---- construction ---- */

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
        if (!h->sysfs_root || !h->gpu_by_bdf || !h->parent_by_name || !h->instance_by_uuid ||
            !h->group_by_key || !h->alias_index || !h->instance_by_device || !h->claim_by_uuid ||
            !h->claim_by_device || !h->vfio_type_names) {
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
        free(h->instances);
        free(h->parents);
        free(h->gpus);
        free(h->pci_ids);
        free(h->groups);
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
        free(h);
}

void host_set_event_handler(struct vgpu_host *h, host_event_fn fn, void *userdata) {
        h->on_event = fn;
        h->userdata = userdata;
}

void host_set_availability_handler(struct vgpu_host *h, host_parent_fn fn, void *userdata) {
        h->on_availability_stale = fn;
        h->availability_userdata = userdata;
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

static int gpu_remove(struct op *o, struct vgpu_gpu *g) {
        struct vgpu_host *h = o->h;
        int r = PARK(o, dead_gpus, g);
        if (r < 0)
                return r;
        op_removed(o, HOST_OBJECT_GPU, g);
        gpus_remove(h->gpus, &h->n_gpus, g);
        strmap_remove(h->gpu_by_bdf, g->bdf);
        return 0;
}

static int gpu_refresh(struct op *o, const char *bdf) {
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
        r = strmap_put(h->gpu_by_bdf, n->bdf, n);
        if (r < 0)
                return r;
        r = gpus_insert(&h->gpus, &h->n_gpus, n);
        if (r < 0) {
                strmap_remove(h->gpu_by_bdf, n->bdf);
                return r;
        }
        op_defer(o, HOST_EVENT_ADDED, HOST_OBJECT_GPU, n);
        TAKE_PTR(n);
        return 0;
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

        if (pci_bdf_normalize(name, bdf) >= 0 || strlen(name) >= PCI_BDF_MAX || strmap_get(h->gpu_by_bdf, name))
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
        dfd = open(dev, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
                r = sysfs_read_link_name_at(dfd, "driver", &g->driver);
                if (r < 0 && r != -ENOENT)
                        return r;
        }
        /* The sample drivers bind no driver: the parent's own name says what it is. */
        if (!(g->model_name = strdup(name)))
                return -ENOMEM;
        r = strmap_put(h->gpu_by_bdf, g->bdf, g);
        if (r < 0)
                return r;
        r = gpus_insert(&h->gpus, &h->n_gpus, g);
        if (r < 0) {
                strmap_remove(h->gpu_by_bdf, g->bdf);
                return r;
        }
        op_defer(o, HOST_EVENT_ADDED, HOST_OBJECT_GPU, g);
        TAKE_PTR(g);
        return 0;
}

static int parent_remove(struct op *o, struct vgpu_parent *p) {
        struct vgpu_host *h = o->h;
        struct vgpu_gpu *virt = strmap_get(h->gpu_by_bdf, p->name);
        size_t parked = o->n_dead_types;
        int r = 0;

        if (virt && virt->virtual_device && (r = gpu_remove(o, virt)) < 0)
                return r;

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
static int parent_merge_types(struct op *o, struct vgpu_parent *p, struct vgpu_type **fresh,
                              size_t n_fresh) {
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

static int parent_refresh(struct op *o, const char *name, struct vgpu_error_list *problems) {
        struct vgpu_host *h = o->h;
        struct vgpu_parent *p = strmap_get(h->parent_by_name, name);
        struct vgpu_type **fresh = NULL;
        size_t n_fresh = 0;
        int r;

        if (!sysfs_name_is_valid(name))
                return -EINVAL;
        if (host_is_software_address(name))
                return 0;
        if (p && p->backend != VGPU_BACKEND_MDEV) {
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

/* Set one type's number; announce it if it moved. */
static void type_set_available(struct op *o, struct vgpu_type *t, unsigned a) {
        if (a == t->available)
                return;
        t->available = a;
        op_defer(o, HOST_EVENT_CHANGED, HOST_OBJECT_TYPE, t);
}

/* Re-read the numbers of one parent's mdev types, relative to its types directory. */
static int parent_availability_refresh(struct op *o, struct vgpu_parent *p) {
        _cleanup_free_ struct mdev_available *v = calloc(p->n_types + 1, sizeof(*v));
        size_t n = 0;
        int r;

        if (!v)
                return -ENOMEM;
        for (size_t j = 0; j < p->n_types; j++)
                if (p->types[j]->backend == VGPU_BACKEND_MDEV)
                        v[n++].type_id = p->types[j]->id;
        if (n == 0)
                return 0;
        r = mdev_read_availability(o->h->sysfs_root, p->name, v, n);
        if (r < 0)
                return r; /* going away: its own uevent will say so */
        for (size_t j = 0; j < n; j++)
                if (v[j].error == 0)
                        type_set_available(o, parent_find_type(p, v[j].type_id), v[j].available);
        return 0;
}

static bool parent_on_same_gpu(const struct vgpu_parent *p, const struct vgpu_parent *parent) {
        return p == parent || (parent->gpu && p->gpu == parent->gpu);
}

/* NVIDIA vendor VFIO: what each VF lists changes with the GPU's other vGPUs; its VFs are read again as
 * functions, after the walk over the parents (a refresh may add or drop parents). */
static void vendor_vfio_refresh(struct op *o, char **vfs) {
        for (char **vf = vfs; vf && *vf; vf++)
                (void) pci_parent_refresh(o, *vf);
}

static int availability_refresh(struct op *o, struct vgpu_parent *parent) {
        struct vgpu_host *h = o->h;
        _cleanup_strv_free_ char **vfio_vfs = NULL;

        for (size_t i = 0; i < h->n_parents; i++) {
                struct vgpu_parent *p = h->parents[i];
                if (!parent_on_same_gpu(p, parent))
                        continue;
                if (p->backend == VGPU_BACKEND_NVIDIA_VFIO) {
                        if (strv_extend(&vfio_vfs, p->name) < 0)
                                return -ENOMEM;
                        continue;
                }
                (void) parent_availability_refresh(o, p);
        }
        vendor_vfio_refresh(o, vfio_vfs);
        return 0;
}

/* Every parent on parent's physical GPU has stale numbers: tell the handler at the end. */
static void availability_stale(struct op *o, struct vgpu_parent *parent) {
        struct vgpu_host *h = o->h;
        _cleanup_strv_free_ char **vfio_vfs = NULL;

        for (size_t i = 0; i < h->n_parents; i++) {
                struct vgpu_parent *p = h->parents[i];
                bool known = false;
                if (!parent_on_same_gpu(p, parent))
                        continue;
                if (p->backend == VGPU_BACKEND_NVIDIA_VFIO) {
                        /* not mdev numbers: read now (below), not deferred */
                        if (strv_extend(&vfio_vfs, p->name) < 0)
                                return; /* stays stale until the next change */
                        continue;
                }
                for (size_t j = 0; j < o->n_stale && !known; j++)
                        known = o->stale[j] == p;
                if (known)
                        continue;
                struct vgpu_parent **n = realloc(o->stale, (o->n_stale + 1) * sizeof(*n));
                if (!n)
                        return; /* the numbers stay stale until the next change; nothing is wrong */
                o->stale = n;
                o->stale[o->n_stale++] = p;
        }
        vendor_vfio_refresh(o, vfio_vfs);
}

/* ---- instances ---- */

static int instance_remove(struct op *o, struct vgpu_instance *in) {
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

/* Put a freshly read instance into the model: add it, or move its fields into the model's copy. */
static int instance_merge(struct op *o, struct vgpu_instance *fresh) {
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
        r = instances_insert(&h->instances, &h->n_instances, n);
        if (r < 0) {
                strmap_remove(h->instance_by_uuid, n->uuid);
                return r;
        }
        op_defer(o, HOST_EVENT_ADDED, HOST_OBJECT_INSTANCE, n);
        TAKE_PTR(n);
        return 0;
}

static int instance_refresh(struct op *o, const char *uuid) {
        struct vgpu_host *h = o->h;
        struct vgpu_instance *n = NULL, *old;
        char u[UUID_STRING_MAX];
        int r;

        r = uuid_normalize(uuid, u);
        if (r < 0)
                return r;
        old = strmap_get(h->instance_by_uuid, u);
        if (old && old->backend == VGPU_BACKEND_RPC)
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
        if (r == -ENODEV)
                return old ? instance_remove(o, old) : 0;
        if (r < 0)
                return r;
        return instance_merge(o, n);
}

/* The parent an instance is on, by name, before and after a refresh. */
static void refresh_availability_around(struct op *o, const char *parent_name) {
        struct vgpu_parent *p = parent_name ? strmap_get(o->h->parent_by_name, parent_name) : NULL;
        if (!p)
                return;
        relink(o); /* p->gpu must be current */
        if (o->h->on_availability_stale)
                availability_stale(o, p);
        else
                (void) availability_refresh(o, p);
}

/* ---- PCI functions as parents and instances (vf, nvidia-vfio) ----
 *
 * A VF passed through whole, or a VF with NVIDIA vendor-specific VFIO, is a parent (it offers
 * types: "a whole VF", the vGPU types it can take now) and, once vgpud has made it so, an instance
 * itself. The function carries no UUID: vgpud claims it for an instance (host_claim_device), and the
 * model shows that instance when the function is in the backend's state (bound to vfio-pci; the vGPU
 * type set). A claimed function is reserved: its types show no room for anyone else. A vGPU on a VF
 * that nobody claimed (made with sriov-manage, Proxmox, by hand) is an instance too, named by a
 * UUID derived from the VF's address, so that it can be seen, defined and destroyed. */

#define PCI_VENDOR_NVIDIA 0x10de

/* The non-mdev backend a function offers, or -EINVAL. NVIDIA's VFs are useful only with a vGPU
 * type (mdev parents or vendor VFIO), never passed through bare. */
static enum vgpu_backend_kind function_backend(const struct vgpu_gpu *g) {
        if (g->nvidia_vfio)
                return VGPU_BACKEND_NVIDIA_VFIO;
        if (vgpu_gpu_is_vf(g) && g->vendor_id != PCI_VENDOR_NVIDIA)
                return VGPU_BACKEND_VF;
        return _VGPU_BACKEND_INVALID;
}

/* NVIDIA vendor-VFIO type names per physical GPU ("<pf>/<id>" -> name): a VF with a vGPU lists no
 * types, so its own type's name comes from what the GPU's other VFs listed. */
struct type_name {
        char key[PCI_BDF_MAX + 16];
        char *name;
};

static const char *vfio_type_name(struct vgpu_host *h, const char *pf, const char *id) {
        char key[PCI_BDF_MAX + 16];
        snprintf(key, sizeof(key), "%s/%s", pf, id);
        struct type_name *n = strmap_get(h->vfio_type_names, key);
        return n ? n->name : NULL;
}

/* Remember a name; true when it was not known before. */
static bool vfio_type_name_learn(struct vgpu_host *h, const char *pf, const char *id, const char *name) {
        struct type_name *n;
        char key[PCI_BDF_MAX + 16];

        snprintf(key, sizeof(key), "%s/%s", pf, id);
        n = strmap_get(h->vfio_type_names, key);
        if (n && streq(n->name, name))
                return false;
        if (n) {
                char *copy = strdup(name);
                if (!copy)
                        return false;
                free(n->name);
                n->name = copy;
                return true;
        }
        n = calloc(1, sizeof(*n));
        if (!n || !(n->name = strdup(name))) {
                free(n);
                return false;
        }
        memcpy(n->key, key, sizeof(key));
        if (strmap_put(h->vfio_type_names, n->key, n) < 0) {
                free(n->name);
                free(n);
                return false;
        }
        return true;
}

/* Names and availability the backend cannot know: the board of a whole VF, an NVIDIA type's name
 * from the other VFs, "no room" on a function kept for an instance. */
static int pci_types_complete(struct vgpu_host *h, const struct vgpu_gpu *g, const struct host_claim *claim,
                              struct vgpu_type **types, size_t n, bool *ret_learned) {
        *ret_learned = false;
        for (size_t i = 0; i < n; i++) {
                struct vgpu_type *t = types[i];
                int r = 0;
                if (t->backend == VGPU_BACKEND_NVIDIA_VFIO && g->physfn[0]) {
                        if (t->name)
                                *ret_learned |= vfio_type_name_learn(h, g->physfn, t->id, t->name);
                        else if (vfio_type_name(h, g->physfn, t->id))
                                r = type_set_info(t, vfio_type_name(h, g->physfn, t->id), t->description,
                                                  t->device_api);
                } else if (t->backend == VGPU_BACKEND_VF && !t->name && g->model_name) {
                        _cleanup_free_ char *board = pci_board_name(g->model_name), *name = NULL;
                        if (!board || asprintf(&name, "%s VF", board) < 0)
                                return -ENOMEM;
                        r = type_set_info(t, name, t->description, t->device_api);
                }
                if (r < 0)
                        return r;
                if (claim)
                        t->available = 0; /* kept for the claim's instance */
        }
        return 0;
}

/* Another VF of the same GPU told a name: give it to the types that had none. */
static void pci_types_rename(struct op *o, const char *pf) {
        struct vgpu_host *h = o->h;

        for (size_t i = 0; i < h->n_parents; i++) {
                struct vgpu_parent *p = h->parents[i];
                if (p->backend != VGPU_BACKEND_NVIDIA_VFIO || !p->device || !streq(p->device->physfn, pf))
                        continue;
                for (size_t j = 0; j < p->n_types; j++) {
                        struct vgpu_type *t = p->types[j];
                        const char *name = t->name ? NULL : vfio_type_name(h, pf, t->id);
                        if (!name || type_set_info(t, name, t->description, t->device_api) < 0)
                                continue;
                        op_defer(o, HOST_EVENT_CHANGED, HOST_OBJECT_TYPE, t);
                        o->types_changed = true;
                }
        }
}

static int pci_parent_refresh(struct op *o, const char *bdf) {
        struct vgpu_host *h = o->h;
        struct vgpu_gpu *g = strmap_get(h->gpu_by_bdf, bdf);
        struct vgpu_parent *p = strmap_get(h->parent_by_name, bdf);
        const struct host_claim *claim = strmap_get(h->claim_by_device, bdf);
        enum vgpu_backend_kind kind = g ? function_backend(g) : _VGPU_BACKEND_INVALID;
        struct vgpu_type **fresh = NULL;
        size_t n_fresh = 0;
        bool learned = false;
        int r;

        if (host_is_software_address(bdf))
                return 0; /* vgpud's own (rpc.c): nothing in sysfs */
        if (p && p->backend == VGPU_BACKEND_MDEV)
                return device_instance_refresh(o, bdf); /* an mdev parent: parent_refresh() has it */
        if (kind >= 0 && mdev_parent_is_registered(h->sysfs_root, bdf))
                kind = _VGPU_BACKEND_INVALID; /* about to be an mdev parent: its registration says so */
        if (p && p->backend != kind) {
                r = parent_remove(o, p);
                if (r < 0)
                        return r;
                p = NULL;
        }
        if (kind >= 0) {
                struct backend_ctx ctx = BACKEND_CTX_DEFAULT;
                ctx.sysfs_root = h->sysfs_root;
                r = backend_get(kind)->read_types(&ctx, bdf, &fresh, &n_fresh, NULL);
                if (r == -ENODEV) {
                        /* left the backend's state while we looked (a driver unbind): no parent */
                        r = p ? parent_remove(o, p) : 0;
                        return r < 0 ? r : device_instance_refresh(o, bdf);
                }
                if (r < 0)
                        return r;
                r = pci_types_complete(h, g, claim, fresh, n_fresh, &learned);
                if (r >= 0 && !p) {
                        p = calloc(1, sizeof(*p));
                        if (!p || !(p->name = strdup(bdf))) {
                                free(p);
                                r = -ENOMEM;
                        } else {
                                p->backend = kind;
                                if ((r = strmap_put(h->parent_by_name, p->name, p)) < 0 ||
                                    (r = parents_insert(&h->parents, &h->n_parents, p)) < 0) {
                                        strmap_remove(h->parent_by_name, p->name);
                                        free(p->name);
                                        free(p);
                                        p = NULL;
                                } else
                                        op_defer(o, HOST_EVENT_ADDED, HOST_OBJECT_PARENT, p);
                        }
                }
                if (r >= 0)
                        r = parent_merge_types(o, p, fresh, n_fresh);
                mdev_types_free(fresh, n_fresh); /* what was not taken over */
                if (r < 0)
                        return r;
                const char *reserved = claim ? claim->uuid : "";
                if (!streq(p->reserved_by, reserved)) {
                        snprintf(p->reserved_by, sizeof(p->reserved_by), "%s", reserved);
                        op_defer(o, HOST_EVENT_CHANGED, HOST_OBJECT_PARENT, p);
                }
                if (learned)
                        pci_types_rename(o, g->physfn);
        }
        return device_instance_refresh(o, bdf);
}

/* Is the function in the state that makes it claim's instance? */
static bool claim_matches(const struct host_claim *c, const struct vgpu_gpu *g) {
        char cur[16];

        switch (c->backend) {
        case VGPU_BACKEND_VF:
                return streq_ptr(g->driver, "vfio-pci");
        case VGPU_BACKEND_NVIDIA_VFIO:
                snprintf(cur, sizeof(cur), "%u", g->nvidia_current_type);
                return g->nvidia_vfio && g->nvidia_current_type != 0 && streq(cur, c->type_id);
        default:
                return false;
        }
}

static int device_instance_refresh(struct op *o, const char *bdf) {
        struct vgpu_host *h = o->h;
        _cleanup_(instance_freep) struct vgpu_instance *n = NULL;
        struct vgpu_gpu *g = strmap_get(h->gpu_by_bdf, bdf);
        const struct host_claim *claim = strmap_get(h->claim_by_device, bdf);
        struct vgpu_instance *old = strmap_get(h->instance_by_device, bdf);
        char uuid[UUID_STRING_MAX] = "", type_id[16];
        enum vgpu_backend_kind backend = _VGPU_BACKEND_INVALID;
        int r;

        if (g && claim && claim_matches(claim, g)) {
                memcpy(uuid, claim->uuid, sizeof(uuid));
                backend = claim->backend;
        } else if (g && g->nvidia_vfio && g->nvidia_current_type != 0) {
                _cleanup_free_ char *name = NULL;
                if (asprintf(&name, "nvidia-vfio:%s", g->bdf) < 0)
                        return -ENOMEM;
                uuid_derive(name, uuid);
                backend = VGPU_BACKEND_NVIDIA_VFIO;
        }
        if (old && !streq(old->uuid, uuid)) {
                r = instance_remove(o, old);
                if (r < 0)
                        return r;
                old = NULL;
        }
        if (!uuid[0])
                return 0;
        struct vgpu_instance *same = strmap_get(h->instance_by_uuid, uuid);
        if (same && same != old)
                return 0; /* the UUID names an mdev already: the claim is wrong, the mdev stays */

        n = calloc(1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        memcpy(n->uuid, uuid, sizeof(uuid));
        n->backend = backend;
        n->iommu_group = g->iommu_group;
        if (backend == VGPU_BACKEND_VF)
                snprintf(type_id, sizeof(type_id), "vf-%04x-%04x", g->vendor_id, g->device_id);
        else
                snprintf(type_id, sizeof(type_id), "%u", g->nvidia_current_type);
        if (!(n->device = strdup(g->bdf)) || !(n->parent_name = strdup(g->bdf)) ||
            !(n->type_id = strdup(type_id)) || (g->driver && !(n->driver = strdup(g->driver))))
                return -ENOMEM;
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
        r = strmap_put(h->instance_by_device, n->device, n);
        if (r >= 0)
                r = instances_insert(&h->instances, &h->n_instances, n);
        if (r < 0) {
                strmap_remove(h->instance_by_uuid, n->uuid);
                strmap_remove(h->instance_by_device, n->device);
                return r;
        }
        op_defer(o, HOST_EVENT_ADDED, HOST_OBJECT_INSTANCE, n);
        TAKE_PTR(n);
        return 0;
}

/* The function's own fields, then its role as a vf/nvidia-vfio parent and instance. */
static int function_refresh(struct op *o, const char *bdf) {
        char name[PCI_BDF_MAX];
        int r;

        r = pci_bdf_normalize(bdf, name);
        if (r < 0)
                return r;
        r = gpu_refresh(o, name);
        if (r < 0)
                return r;
        return pci_parent_refresh(o, name);
}

static void claim_free(struct host_claim *c) {
        if (!c)
                return;
        free(c->type_id);
        free(c);
}

static void claims_free(struct vgpu_host *h) {
        size_t i = 0;
        const char *k;
        void *v;

        while (h->claim_by_uuid && strmap_iterate(h->claim_by_uuid, &i, &k, &v))
                claim_free(v);
        strmap_free(h->claim_by_uuid);
        strmap_free(h->claim_by_device);
        i = 0;
        while (h->vfio_type_names && strmap_iterate(h->vfio_type_names, &i, &k, &v)) {
                free(((struct type_name *) v)->name);
                free(v);
        }
        strmap_free(h->vfio_type_names);
}

/* Read the function again after its claim changed; it may be gone (claims outlive devices). */
static int claim_changed(struct op *o, const char *bdf) {
        return strmap_get(o->h->gpu_by_bdf, bdf) ? pci_parent_refresh(o, bdf)
                                                 : device_instance_refresh(o, bdf);
}

int host_claim_device(struct vgpu_host *h, const char *uuid, enum vgpu_backend_kind backend,
                      const char *device, const char *type_id) {
        char u[UUID_STRING_MAX], bdf[PCI_BDF_MAX], old_device[PCI_BDF_MAX] = "";
        struct host_claim *c;
        struct op o;
        int r;

        if (uuid_normalize(uuid, u) < 0 || pci_bdf_normalize(device, bdf) < 0 || isempty(type_id) ||
            (backend != VGPU_BACKEND_VF && backend != VGPU_BACKEND_NVIDIA_VFIO))
                return -EINVAL;
        c = strmap_get(h->claim_by_device, bdf);
        if (c && !streq(c->uuid, u))
                return -EBUSY;
        c = strmap_get(h->claim_by_uuid, u);
        if (c && streq(c->device, bdf) && c->backend == backend && streq(c->type_id, type_id))
                return 0;
        _cleanup_free_ char *t = strdup(type_id);
        if (!t)
                return -ENOMEM;
        if (c) {
                strmap_remove(h->claim_by_device, c->device);
                memcpy(old_device, c->device, sizeof(old_device));
        } else {
                c = calloc(1, sizeof(*c));
                if (!c)
                        return -ENOMEM;
                memcpy(c->uuid, u, sizeof(u));
                r = strmap_put(h->claim_by_uuid, c->uuid, c);
                if (r < 0) {
                        free(c);
                        return r;
                }
        }
        free(c->type_id);
        c->type_id = TAKE_PTR(t);
        c->backend = backend;
        memcpy(c->device, bdf, sizeof(bdf));
        r = strmap_put(h->claim_by_device, c->device, c);
        if (r < 0) {
                strmap_remove(h->claim_by_uuid, c->uuid);
                claim_free(c);
                return r;
        }

        op_begin(&o, h);
        r = old_device[0] ? claim_changed(&o, old_device) : 0;
        if (r >= 0)
                r = claim_changed(&o, bdf);
        int k = op_end(&o);
        return r < 0 ? r : k;
}

int host_release_device(struct vgpu_host *h, const char *uuid) {
        char u[UUID_STRING_MAX];
        struct host_claim *c;
        struct op o;

        if (uuid_normalize(uuid, u) < 0)
                return -EINVAL;
        c = strmap_remove(h->claim_by_uuid, u);
        if (!c)
                return 0;
        strmap_remove(h->claim_by_device, c->device);
        op_begin(&o, h);
        int r = claim_changed(&o, c->device);
        int k = op_end(&o);
        claim_free(c);
        return r < 0 ? r : k;
}

const char *host_claimed_device(const struct vgpu_host *h, const char *uuid) {
        char u[UUID_STRING_MAX];
        const struct host_claim *c;

        if (uuid_normalize(uuid, u) < 0)
                return NULL;
        c = strmap_get(h->claim_by_uuid, u);
        return c ? c->device : NULL;
}

/* ---- public refresh/remove ---- */

static void op_begin(struct op *o, struct vgpu_host *h) {
        *o = (struct op){.h = h};
}

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
        struct op o;
        int r;

        op_begin(&o, h);
        r = instance_refresh(&o, uuid);
        if (r >= 0) {
                in = host_find_instance(h, uuid);
                refresh_availability_around(&o, before);
                if (in && !streq_ptr(before, in->parent_name))
                        refresh_availability_around(&o, in->parent_name);
        }
        int k = op_end(&o);
        return r < 0 ? r : k;
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
        r = instance_merge(&o, TAKE_PTR(n));
        if (r >= 0) {
                refresh_availability_around(&o, before);
                if (!streq_ptr(before, after))
                        refresh_availability_around(&o, after);
        }
        int k = op_end(&o);
        return r < 0 ? r : k;
}

int host_apply_availability(struct vgpu_host *h, const char *parent, const struct mdev_available *v,
                            size_t n) {
        struct vgpu_parent *p = host_find_parent(h, parent);
        struct op o;

        if (!p)
                return 0;
        op_begin(&o, h);
        for (size_t i = 0; i < n; i++) {
                struct vgpu_type *t = v[i].error == 0 ? parent_find_type(p, v[i].type_id) : NULL;
                if (t && t->backend == VGPU_BACKEND_MDEV)
                        type_set_available(&o, t, v[i].available);
        }
        return op_end(&o);
}

int host_refresh_availability(struct vgpu_host *h, struct vgpu_parent *parent) {
        struct op o;
        op_begin(&o, h);
        int r = availability_refresh(&o, parent);
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
                if (streq(action, "remove"))
                        return host_remove_instance(h, name);
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
        struct host_uevent ev = {
                .action = udev_device_get_action(d),
                .subsystem = udev_device_get_subsystem(d),
                .sysname = udev_device_get_sysname(d),
                .mdev_state = udev_device_get_property_value(d, "MDEV_STATE"),
        };
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
                if (h->instances[i - 1]->backend == VGPU_BACKEND_MDEV &&
                    !strv_contains(mdevs, h->instances[i - 1]->uuid))
                        (void) instance_remove(&o, h->instances[i - 1]);
        for (size_t i = h->n_parents; i > 0; i--)
                if (h->parents[i - 1]->backend == VGPU_BACKEND_MDEV &&
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

/* ---- software GPUs (the mediation engine's RPC parents) ---- */

bool host_is_software_address(const char *bdf) {
        return bdf && startswith(bdf, HOST_SOFTWARE_DOMAIN ":");
}

static int software_type_new(const struct host_software_type *d, struct vgpu_type **ret) {
        _cleanup_(type_freep) struct vgpu_type *t = NULL;
        int r;

        r = type_new(d->id, VGPU_BACKEND_RPC, &t);
        if (r < 0)
                return r;
        r = type_set_info(t, d->name, d->description, "vfio-user");
        if (r < 0)
                return r;
        t->framebuffer_mb = d->framebuffer_mb;
        t->max_instances = d->max_instances;
        t->available = d->available;
        *ret = TAKE_PTR(t);
        return 0;
}

static int cmp_type_ptr_id(const void *a, const void *b) {
        return strcmp((*(struct vgpu_type *const *) a)->id, (*(struct vgpu_type *const *) b)->id);
}

/* Put g, its parent p and p's types into the model; takes g and p when it succeeds. */
static int software_gpu_insert(struct op *o, struct vgpu_gpu **g, struct vgpu_parent **p,
                               struct vgpu_type **fresh, size_t n_fresh) {
        struct vgpu_host *h = o->h;
        int r;

        if ((r = strmap_put(h->gpu_by_bdf, (*g)->bdf, *g)) < 0)
                return r;
        if ((r = gpus_insert(&h->gpus, &h->n_gpus, *g)) < 0) {
                strmap_remove(h->gpu_by_bdf, (*g)->bdf);
                return r;
        }
        op_defer(o, HOST_EVENT_ADDED, HOST_OBJECT_GPU, TAKE_PTR(*g));
        if ((r = strmap_put(h->parent_by_name, (*p)->name, *p)) < 0)
                return r;
        if ((r = parents_insert(&h->parents, &h->n_parents, *p)) < 0) {
                strmap_remove(h->parent_by_name, (*p)->name);
                return r;
        }
        op_defer(o, HOST_EVENT_ADDED, HOST_OBJECT_PARENT, *p);
        return parent_merge_types(o, TAKE_PTR(*p), fresh, n_fresh);
}

static void parent_freep(struct vgpu_parent **p) {
        if (*p) {
                free((*p)->name);
                free((*p)->types);
                free(*p);
        }
}

int host_add_software_gpu(struct vgpu_host *h, const char *bdf, const char *model_name,
                          const struct host_software_type *types, size_t n_types) {
        _cleanup_(gpu_freep) struct vgpu_gpu *g = NULL;
        _cleanup_(parent_freep) struct vgpu_parent *p = NULL;
        struct vgpu_type **fresh;
        struct op o;
        int r;

        if (!host_is_software_address(bdf) || strlen(bdf) >= PCI_BDF_MAX)
                return -EINVAL;
        if (strmap_get(h->gpu_by_bdf, bdf))
                return -EEXIST;
        g = calloc(1, sizeof(*g));
        if (!g)
                return -ENOMEM;
        snprintf(g->bdf, sizeof(g->bdf), "%s", bdf);
        g->vendor_id = RPCGPU_VENDOR_ID;
        g->device_id = RPCGPU_DEVICE_ID;
        g->subsystem_vendor_id = RPCGPU_SUBSYS_VENDOR_ID;
        g->subsystem_device_id = RPCGPU_SUBSYS_ID;
        g->class_code = RPCGPU_CLASS_CODE;
        g->iommu_group = -1;
        g->numa_node = -1;
        if (!(g->vendor_name = strdup("vgpud")) || !(g->model_name = strdup(model_name)) ||
            !(g->driver = strdup("vgpud")))
                return -ENOMEM;
        p = calloc(1, sizeof(*p));
        if (!p || !(p->name = strdup(bdf)))
                return -ENOMEM;
        p->backend = VGPU_BACKEND_RPC;

        fresh = calloc(n_types + 1, sizeof(*fresh));
        if (!fresh)
                return -ENOMEM;
        for (size_t i = 0; i < n_types; i++) {
                r = software_type_new(&types[i], &fresh[i]);
                if (r < 0) {
                        mdev_types_free(fresh, i);
                        return r;
                }
        }

        /* a parent's types are ordered by id (parent_find_type looks them up by bisection) */
        qsort(fresh, n_types, sizeof(*fresh), cmp_type_ptr_id);
        op_begin(&o, h);
        r = software_gpu_insert(&o, &g, &p, fresh, n_types);
        mdev_types_free(fresh, n_types); /* what was not taken over */
        int k = op_end(&o);
        return r < 0 ? r : k;
}

int host_set_software_instance(struct vgpu_host *h, const char *uuid, const char *parent,
                               const char *type_id) {
        _cleanup_(instance_freep) struct vgpu_instance *n = NULL;
        struct op o;
        int r;

        if (!host_is_software_address(parent) || !strmap_get(h->parent_by_name, parent))
                return -ENODEV;
        n = calloc(1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        r = uuid_normalize(uuid, n->uuid);
        if (r < 0)
                return r;
        if (strmap_get(h->instance_by_uuid, n->uuid))
                return 0;
        n->backend = VGPU_BACKEND_RPC;
        n->iommu_group = -1;
        if (!(n->parent_name = strdup(parent)) || !(n->type_id = strdup(type_id)) ||
            !(n->driver = strdup("vgpud")))
                return -ENOMEM;

        op_begin(&o, h);
        r = strmap_put(h->instance_by_uuid, n->uuid, n);
        if (r >= 0) {
                r = instances_insert(&h->instances, &h->n_instances, n);
                if (r < 0)
                        strmap_remove(h->instance_by_uuid, n->uuid);
                else
                        op_defer(&o, HOST_EVENT_ADDED, HOST_OBJECT_INSTANCE, TAKE_PTR(n));
        }
        int k = op_end(&o);
        return r < 0 ? r : k;
}

int host_set_type_available(struct vgpu_host *h, struct vgpu_type *t, unsigned available) {
        struct op o;

        if (t->available == available)
                return 0;
        op_begin(&o, h);
        t->available = available;
        op_defer(&o, HOST_EVENT_CHANGED, HOST_OBJECT_TYPE, t);
        return op_end(&o);
}
