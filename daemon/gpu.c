/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Implementation of gpu.h: keeping the GPU and type objects in line with the
 * library's model, and announcing every difference on the bus.
 */
#include <ctype.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "backend.h"
#include "bus-names.h"
#include "gpu.h"
#include "hashmap.h"
#include "host.h"
#include "instance.h"
#include "log.h"
#include "manager.h"
#include "pci.h"
#include "placement.h"
#include "rpc.h"
#include "sched.h"
#include "strutil.h"
#include "sysfs.h"
#include "vendor.h"

static bool gpu_address_is_pci(const char *address) {
        char bdf[PCI_BDF_MAX];
        return pci_bdf_normalize(address, bdf) >= 0;
}

int gpu_id_from_address(const char *address, char **ret) {
        unsigned n;
        char *id;

        /* vgpud's software GPUs (host.h): "rpcN" for ffff:NN:00.0 */
        if (host_is_software_address(address) && sscanf(address, HOST_SOFTWARE_DOMAIN ":%x:", &n) == 1)
                return asprintf(ret, "rpc%u", n) < 0 ? -ENOMEM : 0;
        /* a virtual mdev parent (model.h): "dev_<name>" */
        if (asprintf(&id, "%s_%s", gpu_address_is_pci(address) ? "pci" : "dev", address) < 0)
                return -ENOMEM;
        for (char *p = id; *p; p++)
                if (!isalnum((unsigned char) *p))
                        *p = '_'; /* what an object path element may hold */
        *ret = id;
        return 0;
}

GpuObject *manager_find_gpu(Manager *m, const char *address_or_id) {
        char bdf[PCI_BDF_MAX];
        size_t i = 0;
        const char *k;
        void *v;

        if (startswith(address_or_id, "pci_") || startswith(address_or_id, "dev_") ||
            startswith(address_or_id, "rpc")) {
                while (strmap_iterate(m->gpus, &i, &k, &v))
                        if (streq(((GpuObject *) v)->id, address_or_id))
                                return v;
                return NULL;
        }
        if (gpu_address_normalize(address_or_id, bdf) < 0)
                return NULL;
        return strmap_get(m->gpus, bdf);
}

GpuObject *manager_find_gpu_by_path(Manager *m, const char *path) {
        return strmap_get(m->gpu_paths, path);
}

TypeObject *manager_find_type_by_path(Manager *m, const char *path) {
        return strmap_get(m->type_paths, path);
}

TypeObject *gpu_object_find_type(GpuObject *g, const char *type_id) {
        for (size_t i = 0; i < g->n_types; i++)
                if (streq(g->types[i]->id, type_id))
                        return g->types[i];
        return NULL;
}

/* The mdev parents on this physical GPU: itself and its VFs. Looked up through the GPU's own links, so
 * that reading a type on a host with many GPUs does not walk every parent. Returns how many there are. */
size_t gpu_object_parents(GpuObject *g, struct vgpu_parent **ret, size_t max) {
        struct vgpu_host *h = g->manager->host;
        size_t n = 0;

        if (!g->gpu)
                return 0;
        if (g->gpu->parent && n < max)
                ret[n++] = g->gpu->parent;
        for (char **vf = g->gpu->sriov.vfs; vf && *vf && n < max; vf++) {
                struct vgpu_gpu *d = host_find_gpu(h, *vf);
                if (d && d->parent)
                        ret[n++] = d->parent;
        }
        return n;
}

size_t gpu_object_type_members(GpuObject *g, const char *type_id, struct vgpu_type **ret, size_t max) {
        struct vgpu_parent *parents[GPU_PARENTS_MAX];
        size_t np = gpu_object_parents(g, parents, ELEMENTSOF(parents)), n = 0;

        for (size_t i = 0; i < np; i++) {
                struct vgpu_type *t = parent_find_type(parents[i], type_id);
                if (!t)
                        continue;
                if (n < max)
                        ret[n] = t;
                n++;
        }
        return n;
}

size_t gpu_object_count_instances(GpuObject *g, uint64_t *ret_hash) {
        uint64_t hash = 0;
        size_t n = 0, i = 0;
        const char *k;
        void *v;

        while (strmap_iterate(g->manager->instances, &i, &k, &v)) {
                Instance *in = v;
                if (!streq_ptr(instance_gpu_address(in), g->address))
                        continue;
                n++;
                /* Order-independent fingerprint of the set, to notice a swap at equal count. */
                uint64_t x = 1469598103934665603ULL;
                for (const char *c = in->uuid; *c; c++)
                        x = (x ^ (unsigned char) *c) * 1099511628211ULL;
                hash ^= x;
        }
        if (ret_hash)
                *ret_hash = hash;
        return n;
}

const char *gpu_object_hosted_type(GpuObject *g) {
        size_t i = 0;
        const char *k;
        void *v;

        /* Only NVIDIA's drivers pin a GPU to the type of its first vGPU; GVT-g mixes types in one pool. */
        while (strmap_iterate(g->manager->instances, &i, &k, &v)) {
                Instance *in = v;
                if (!in->live || !in->live->type || !streq_ptr(instance_gpu_address(in), g->address))
                        continue;
                const struct vgpu_type *t = in->live->type;
                if (t->vendor && streq(t->vendor->name, "nvidia"))
                        return vgpu_type_display_name(t);
                return "";
        }
        return "";
}

static TypeObject *type_object_free(TypeObject *t) {
        if (!t)
                return NULL;
        free(t->id);
        free(t->path);
        free(t->unavailable_reason);
        free(t);
        return NULL;
}

void gpu_object_free(GpuObject *g) {
        if (!g)
                return;
        for (size_t i = 0; i < g->n_types; i++)
                type_object_free(g->types[i]);
        free(g->types);
        free(g->id);
        free(g->path);
        free(g->vendor);
        free(g->name);
        free(g->last_driver);
        free(g->last_hosted_type);
        gpu_sched_free(g->sched);
        free(g);
}

static int gpu_object_new(Manager *m, const char *address, GpuObject **ret) {
        GpuObject *g = calloc(1, sizeof(*g));
        int r;

        if (!g)
                return -ENOMEM;
        g->manager = m;
        snprintf(g->address, sizeof(g->address), "%s", address);
        r = gpu_id_from_address(address, &g->id);
        if (r < 0 || asprintf(&g->path, VGPUD_GPU_PREFIX "/%s", g->id) < 0) {
                gpu_object_free(g);
                return -ENOMEM;
        }
        r = strmap_put(m->gpus, g->address, g);
        if (r < 0) {
                gpu_object_free(g);
                return r;
        }
        r = strmap_put(m->gpu_paths, g->path, g);
        if (r < 0) {
                strmap_remove(m->gpus, g->address);
                gpu_object_free(g);
                return r;
        }
        *ret = g;
        return 0;
}

int manager_ensure_gpu(Manager *m, const char *address, GpuObject **ret) {
        char bdf[PCI_BDF_MAX];
        GpuObject *g;
        int r;

        r = gpu_address_normalize(address, bdf);
        if (r < 0)
                return r;
        g = strmap_get(m->gpus, bdf);
        if (!g) {
                r = gpu_object_new(m, bdf, &g);
                if (r < 0)
                        return r;
        }
        if (ret)
                *ret = g;
        return 0;
}

/* Vendor and board names (the library reads them from udev's hwdb), kept while the GPU is absent. */
static void gpu_object_update_identity(GpuObject *g) {
        const struct vgpu_gpu *d = g->gpu;

        if (!d)
                return;
        if (g->vendor && g->vendor_id == d->vendor_id && g->device_id == d->device_id &&
            g->subsystem_vendor_id == d->subsystem_vendor_id &&
            g->subsystem_device_id == d->subsystem_device_id)
                return;
        g->vendor_id = d->vendor_id;
        g->device_id = d->device_id;
        g->subsystem_vendor_id = d->subsystem_vendor_id;
        g->subsystem_device_id = d->subsystem_device_id;
        free(g->vendor);
        free(g->name);
        g->vendor = d->vendor_name ? strdup(d->vendor_name) : NULL;
        g->name = d->model_name ? pci_board_name(d->model_name) : NULL;
        /* Unknown to the database: the ids, so that the field is never empty. */
        if (!g->vendor)
                (void) asprintf(&g->vendor, "vendor %04x", d->vendor_id);
        if (!g->name)
                (void) asprintf(&g->name, "device %04x:%04x", d->vendor_id, d->device_id);
}

static int cmp_type_ids(const void *a, const void *b) {
        return strverscmp(*(char *const *) a, *(char *const *) b);
}

/* The raw type ids offered on the GPU by any of its parents, sorted. */
static int gpu_collect_type_ids(GpuObject *g, char ***ret) {
        struct vgpu_parent *parents[GPU_PARENTS_MAX];
        size_t np = gpu_object_parents(g, parents, ELEMENTSOF(parents));
        char **ids = NULL;
        int r;

        for (size_t i = 0; i < np; i++) {
                struct vgpu_parent *p = parents[i];
                for (size_t k = 0; k < p->n_types; k++) {
                        r = strv_extend_unique(&ids, p->types[k]->id);
                        if (r < 0) {
                                strv_free(ids);
                                return r;
                        }
                }
        }
        if (ids)
                qsort(ids, strv_length(ids), sizeof(char *), cmp_type_ids);
        *ret = ids;
        return 0;
}

static int type_object_new(GpuObject *g, const char *id, TypeObject **ret) {
        Manager *m = g->manager;
        _cleanup_free_ char *prefix = NULL;
        TypeObject *t = calloc(1, sizeof(*t));
        int r;

        if (!t)
                return -ENOMEM;
        t->gpu = g;
        t->id = strdup(id);
        t->unavailable_reason = strdup("");
        if (!t->id || !t->unavailable_reason || asprintf(&prefix, "%s/type", g->path) < 0) {
                type_object_free(t);
                return -ENOMEM;
        }
        /* Type ids hold characters a path cannot ("i915-GVTg_V5_4"): escape them. */
        r = sd_bus_path_encode(prefix, id, &t->path);
        if (r < 0) {
                type_object_free(t);
                return r;
        }
        r = strmap_put(m->type_paths, t->path, t);
        if (r < 0) {
                type_object_free(t);
                return r;
        }
        *ret = t;
        return 0;
}

/* Why Available is 0 on this GPU, in the vendor rules' words. */
static char *type_unavailable_reason(TypeObject *t, struct vgpu_type *member) {
        _cleanup_free_ char *why = NULL;
        char *reason = NULL;

        if (!member->group)
                return strdup("");
        if (backend_device_kind(member->backend) == VGPU_DEVICE_VFIO_USER)
                return rpc_unavailable_reason(t->gpu->manager,
                                              member); /* no driver to quote: vgpud's rules */
        int r = placement_unavailable_reason(t->gpu->manager->host, member->group, t->gpu->address, &why);
        if (r < 0 || !why)
                return strdup(r == -ENOMEM ? "" : "no instance of this type can be created now");
        if (asprintf(&reason, "GPU %s %s", t->gpu->address, why) < 0)
                return NULL;
        return reason;
}

static void emit_changed(Manager *m, const char *path, const char *iface, char **names) {
        if (m->bus && names && names[0])
                (void) sd_bus_emit_properties_changed_strv(m->bus, path, iface, names);
}

static void emit_added(Manager *m, const char *path) {
        if (m->bus)
                (void) sd_bus_emit_object_added(m->bus, path);
}

static void emit_removed(Manager *m, const char *path) {
        if (m->bus)
                (void) sd_bus_emit_object_removed(m->bus, path);
}

static int type_object_sync(TypeObject *t, bool *ret_changed) {
        struct vgpu_type *members[128];
        size_t n = gpu_object_type_members(t->gpu, t->id, members, ELEMENTSOF(members));
        unsigned available = 0;
        char *names[3] = {};
        size_t k = 0;

        n = MIN(n, ELEMENTSOF(members));
        for (size_t i = 0; i < n; i++)
                available += members[i]->available;
        _cleanup_free_ char *reason =
                available > 0 || n == 0 ? strdup("") : type_unavailable_reason(t, members[0]);
        if (!reason)
                return -ENOMEM;

        if (available != t->available) {
                t->available = available;
                names[k++] = (char *) "Available";
        }
        if (!streq(reason, t->unavailable_reason)) {
                free(t->unavailable_reason);
                t->unavailable_reason = TAKE_PTR(reason);
                names[k++] = (char *) "UnavailableReason";
        }
        if (t->published)
                emit_changed(t->gpu->manager, t->path, VGPUD_TYPE_IFACE, names);
        *ret_changed = k > 0;
        return 0;
}

/* Add and remove type objects to match the parents' types; refresh the cached numbers. */
static int gpu_object_sync_types(GpuObject *g) {
        Manager *m = g->manager;
        char **ids = NULL;
        int r;

        r = gpu_collect_type_ids(g, &ids);
        if (r < 0)
                return r;

        /* Gone: announce while still findable, then drop. */
        for (size_t i = 0; i < g->n_types;) {
                TypeObject *t = g->types[i];
                if (strv_contains(ids, t->id)) {
                        i++;
                        continue;
                }
                if (t->published)
                        emit_removed(m, t->path);
                strmap_remove(m->type_paths, t->path);
                type_object_free(t);
                memmove(g->types + i, g->types + i + 1, (g->n_types - i - 1) * sizeof(TypeObject *));
                g->n_types--;
                g->types_changed = true;
        }

        for (size_t i = 0; ids && ids[i]; i++) {
                TypeObject *t = gpu_object_find_type(g, ids[i]);
                bool changed;
                if (!t) {
                        TypeObject **n = realloc(g->types, (g->n_types + 1) * sizeof(TypeObject *));
                        if (!n) {
                                strv_free(ids);
                                return -ENOMEM;
                        }
                        g->types = n;
                        r = type_object_new(g, ids[i], &t);
                        if (r < 0) {
                                strv_free(ids);
                                return r;
                        }
                        g->types[g->n_types++] = t;
                        g->types_changed = true;
                }
                r = type_object_sync(t, &changed);
                if (r < 0)
                        log_warning_errno(r, "Failed to refresh type %s on %s: %m", t->id, g->address);
                if (!t->published) {
                        t->published = true;
                        /* A new GPU announces its types after itself (manager_sync_gpus). */
                        if (g->published)
                                emit_added(m, t->path);
                }
        }
        strv_free(ids);

        /* Keep the order stable for Types and the enumerator. */
        for (size_t i = 1; i < g->n_types; i++)
                for (size_t j = i; j > 0 && strverscmp(g->types[j - 1]->id, g->types[j]->id) > 0; j--) {
                        TypeObject *tmp = g->types[j];
                        g->types[j] = g->types[j - 1];
                        g->types[j - 1] = tmp;
                }
        return 0;
}

static void gpu_object_emit_changes(GpuObject *g) {
        Manager *m = g->manager;
        const char *names[16];
        size_t k = 0;
        uint64_t hash;

        const char *driver = g->gpu ? strempty(g->gpu->driver) : "";
        if (!streq_ptr(driver, g->last_driver)) {
                free(g->last_driver);
                g->last_driver = strdup(driver);
                names[k++] = "Driver";
        }
        bool present = g->gpu != NULL;
        if (present != g->last_present) {
                g->last_present = present;
                names[k++] = "Present";
        }
        unsigned num_vfs = g->gpu ? g->gpu->sriov.num_vfs : 0;
        if (num_vfs != g->last_num_vfs) {
                g->last_num_vfs = num_vfs;
                names[k++] = "SriovNumVfs";
        }
        const char *hosted = gpu_object_hosted_type(g);
        if (!streq_ptr(hosted, g->last_hosted_type)) {
                free(g->last_hosted_type);
                g->last_hosted_type = strdup(hosted);
                names[k++] = "HostedType";
        }
        if (g->types_changed) {
                g->types_changed = false;
                names[k++] = "Types";
                names[k++] = "Backends";
        }
        size_t n_instances = gpu_object_count_instances(g, &hash);
        if (n_instances != g->last_n_instances || hash != g->last_instances_hash) {
                g->last_n_instances = (unsigned) n_instances;
                g->last_instances_hash = hash;
                names[k++] = "Instances";
        }
        gpu_sched_sync(g, names, &k);
        names[k] = NULL;
        emit_changed(m, g->path, VGPUD_GPU_IFACE, (char **) names);
}

/* Drop a GPU object: its types first (InterfacesRemoved for each), then itself. */
static void gpu_object_drop(GpuObject *g) {
        Manager *m = g->manager;

        for (size_t i = 0; i < g->n_types; i++) {
                if (g->types[i]->published)
                        emit_removed(m, g->types[i]->path);
                strmap_remove(m->type_paths, g->types[i]->path);
        }
        if (g->published)
                emit_removed(m, g->path);
        strmap_remove(m->gpu_paths, g->path);
        strmap_remove(m->gpus, g->address);
        gpu_object_free(g);
}

void manager_mark_all_gpus_dirty(Manager *m) {
        m->sync_all_gpus = true;
        manager_schedule_sync(m);
}

void manager_mark_gpu_dirty(Manager *m, const char *address) {
        GpuObject *g = address ? strmap_get(m->gpus, address) : NULL;
        /* Unknown (a new GPU, a parent that is no GPU): look at everything once. */
        if (!g)
                m->sync_all_gpus = true;
        else
                g->dirty = true;
        manager_schedule_sync(m);
}

void manager_gpu_removed(Manager *m, struct vgpu_gpu *gpu) {
        size_t i = 0;
        const char *k;
        void *v;

        while (strmap_iterate(m->gpus, &i, &k, &v))
                if (((GpuObject *) v)->gpu == gpu)
                        ((GpuObject *) v)->gpu = NULL;
}

int manager_sync_gpus(Manager *m) {
        struct vgpu_gpu *d;
        GpuObject *g;
        size_t i = 0;
        const char *k;
        void *v;
        int r;

        /* Every physical GPU of the model has an object (new ones only appear with sync_all_gpus). */
        bool all = m->sync_all_gpus;
        m->sync_all_gpus = false;
        for (size_t j = 0; all && (d = host_next_physical_gpu(m->host, &j));) {
                r = manager_ensure_gpu(m, d->bdf, &g);
                if (r < 0)
                        return log_error_errno(r, "Failed to add GPU %s: %m", d->bdf);
                g->gpu = d;
        }

        /* Collect first: dropping an object changes the map under the iterator. */
        size_t n = strmap_size(m->gpus);
        _cleanup_free_ GpuObject **objs = calloc(n ?: 1, sizeof(GpuObject *));
        if (!objs)
                return -ENOMEM;
        n = 0;
        while (strmap_iterate(m->gpus, &i, &k, &v))
                objs[n++] = v;

        for (size_t j = 0; j < n; j++) {
                g = objs[j];
                /* Only what changed: with 64 GPUs, each type's UnavailableReason is a placement run. */
                if (!all && g->published && !g->dirty)
                        continue;
                g->dirty = false;
                if (g->gpu && host_find_gpu(m->host, g->address) != g->gpu)
                        g->gpu = NULL;
                /* Absent and nothing refers to it: it goes. Absent with instances: it stays, Present=false.
                 */
                if (!g->gpu && gpu_object_count_instances(g, NULL) == 0) {
                        gpu_object_drop(g);
                        continue;
                }
                gpu_object_update_identity(g);
                r = gpu_object_sync_types(g);
                if (r < 0)
                        log_warning_errno(r, "Failed to refresh the types of GPU %s: %m", g->address);
                if (!g->published) {
                        g->published = true;
                        /* Baseline for change detection: what InterfacesAdded announces. */
                        g->types_changed = false;
                        g->last_present = g->gpu != NULL;
                        free(g->last_driver);
                        g->last_driver = strdup(g->gpu ? strempty(g->gpu->driver) : "");
                        g->last_num_vfs = g->gpu ? g->gpu->sriov.num_vfs : 0;
                        free(g->last_hosted_type);
                        g->last_hosted_type = strdup(gpu_object_hosted_type(g));
                        g->last_n_instances =
                                (unsigned) gpu_object_count_instances(g, &g->last_instances_hash);
                        gpu_sched_sync(g, NULL, NULL);
                        emit_added(m, g->path);
                        for (size_t t = 0; t < g->n_types; t++)
                                emit_added(m, g->types[t]->path);
                } else
                        gpu_object_emit_changes(g);
        }
        return 0;
}
