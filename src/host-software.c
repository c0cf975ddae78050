/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgpud's software GPUs in the host model (host.h): the mediation engine's RPC parents, their types and
 * instances, which the daemon puts into the model (nothing of them is in sysfs).
 */
#include "host-internal.h"
#include "mdev.h"
#include "pci.h"
#include "strutil.h"
#include "type.h"
#include "uuid.h"
#include "vfio-user/rpc-gpu.h"

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

        if ((r = gpu_add(o, g)) < 0)
                return r;
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
        r = instance_merge(&o, TAKE_PTR(n), false);
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
