/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Availability in the host model (host.h): the number of instances each type can still take. A create or
 * destroy changes the numbers of the other types on the same physical GPU too (NVIDIA's one-type rule,
 * GVT-g's shared pool), so after a change every parent of that GPU is read again: at once (mdev numbers;
 * functions whose offer moves with the GPU, backend.h's reread_functions_with_gpu, read whole), or, with
 * an availability handler set, named stale for the caller to read elsewhere and apply.
 */
#include "host-internal.h"
#include "mdev.h"
#include "strutil.h"

void host_set_availability_handler(struct vgpu_host *h, host_parent_fn fn, void *userdata) {
        h->on_availability_stale = fn;
        h->availability_userdata = userdata;
}

/* Set one type's number; announce it if it moved. */
void type_set_available(struct op *o, struct vgpu_type *t, unsigned a) {
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
                if (backend_device_kind(p->types[j]->backend) == VGPU_DEVICE_MDEV)
                        v[n++].type_id = p->types[j]->id;
        if (n == 0)
                return 0;
        r = mdev_read_availability(o->h->sysfs_root, o->h->avail_cache, p->name, v, n);
        if (r < 0)
                return r; /* going away: its own uevent will say so */
        for (size_t j = 0; j < n; j++)
                if (v[j].error == 0)
                        type_set_available(o, parent_find_type(p, v[j].type_id), v[j].available);
        return 0;
}

/* A function whose offer changes with its GPU's other vGPUs: read again whole (backend.h). */
static bool rereads_function(const struct vgpu_parent *p) {
        const struct backend_ops *b = backend_get(p->backend);
        return b && b->reread_functions_with_gpu;
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
                if (rereads_function(p)) {
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
                if (rereads_function(p)) {
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

/* The parent an instance is on, by name, before and after a refresh. */
void refresh_availability_around(struct op *o, const char *parent_name) {
        struct vgpu_parent *p = parent_name ? strmap_get(o->h->parent_by_name, parent_name) : NULL;
        if (!p)
                return;
        relink(o); /* p->gpu must be current */
        if (o->h->on_availability_stale)
                availability_stale(o, p);
        else
                (void) availability_refresh(o, p);
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
                if (t && backend_device_kind(t->backend) == VGPU_DEVICE_MDEV)
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
