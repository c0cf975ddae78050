/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PCI functions as parents and instances in the host model (host.h, host-internal.h): the backends whose
 * instance is a PCI function (device_kind PCI in backend.h: vf, nvidia-vfio). What differs between them
 * is asked of their ops (function_offers, function_is_instance, ...); this file keeps the model's side:
 * the function's parent role and types, vgpud's claims, and the instance the function is.
 */
#include "host-internal.h"
#include "mdev.h"
#include "pci.h"
#include "strutil.h"
#include "type.h"
#include "uuid.h"

/* ---- PCI functions as parents and instances (vf, nvidia-vfio) ----
 *
 * A VF passed through whole, or a VF with NVIDIA vendor-specific VFIO, is a parent (it offers
 * types: "a whole VF", the vGPU types it can take now) and, once vgpud has made it so, an instance
 * itself. The function carries no UUID: vgpud claims it for an instance (host_claim_device), and the
 * model shows that instance when the function is in the backend's state (bound to vfio-pci; the vGPU
 * type set). A claimed function is reserved: its types show no room for anyone else. A vGPU on a VF
 * that nobody claimed (made with sriov-manage, Proxmox, by hand) is an instance too, named by a
 * UUID derived from the VF's address, so that it can be seen, defined and destroyed. */

/* The backend whose parent the function is (its function_offers op), or NULL. */
static const struct backend_ops *function_backend(const struct vgpu_gpu *g) {
        const struct backend_ops *b;

        for (int k = 0; (b = backend_next(&k));)
                if (b->function_offers && b->function_offers(g))
                        return b;
        return NULL;
}

static const struct backend_ops *backend_of(enum vgpu_backend_kind k) {
        static const struct backend_ops none = {.kind = _VGPU_BACKEND_INVALID,
                                                .device_kind = _VGPU_DEVICE_KIND_INVALID};
        return backend_get(k) ?: &none;
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
                if (backend_of(t->backend)->type_names_per_gpu && g->physfn[0]) {
                        if (t->name)
                                *ret_learned |= vfio_type_name_learn(h, g->physfn, t->id, t->name);
                        else if (vfio_type_name(h, g->physfn, t->id))
                                r = type_set_info(t, vfio_type_name(h, g->physfn, t->id), t->description,
                                                  t->device_api);
                } else if (backend_of(t->backend)->type_named_after_board && !t->name && g->model_name) {
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
                if (!backend_of(p->backend)->type_names_per_gpu || !p->device ||
                    !streq(p->device->physfn, pf))
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

int pci_parent_refresh(struct op *o, const char *bdf) {
        struct vgpu_host *h = o->h;
        struct vgpu_gpu *g = strmap_get(h->gpu_by_bdf, bdf);
        struct vgpu_parent *p = strmap_get(h->parent_by_name, bdf);
        const struct host_claim *claim = strmap_get(h->claim_by_device, bdf);
        const struct backend_ops *offered = g ? function_backend(g) : NULL;
        struct vgpu_type **fresh = NULL;
        size_t n_fresh = 0;
        bool learned = false;
        int r;

        if (host_is_software_address(bdf))
                return 0; /* vgpud's own (rpc.c): nothing in sysfs */
        if (p && backend_of(p->backend)->device_kind == VGPU_DEVICE_MDEV)
                return device_instance_refresh(o, bdf); /* an mdev parent: parent_refresh() has it */
        if (offered && mdev_parent_is_registered(h->sysfs_root, bdf))
                offered = NULL; /* about to be an mdev parent: its registration says so */
        if (p && (!offered || p->backend != offered->kind)) {
                r = parent_remove(o, p);
                if (r < 0)
                        return r;
                p = NULL;
        }
        if (offered) {
                struct backend_ctx ctx = BACKEND_CTX_DEFAULT;
                ctx.sysfs_root = h->sysfs_root;
                r = offered->read_types(&ctx, bdf, &fresh, &n_fresh, NULL);
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
                                p->backend = offered->kind;
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
                bool held = !claim && offered->function_held && offered->function_held(g);
                if (!streq(p->reserved_by, reserved) || held != p->held) {
                        snprintf(p->reserved_by, sizeof(p->reserved_by), "%s", reserved);
                        p->held = held;
                        op_defer(o, HOST_EVENT_CHANGED, HOST_OBJECT_PARENT, p);
                }
                if (learned)
                        pci_types_rename(o, g->physfn);
        }
        return device_instance_refresh(o, bdf);
}

/* Is the function in the state that makes it claim's instance? */
static bool claim_matches(const struct vgpu_host *h, const struct host_claim *c, const struct vgpu_gpu *g) {
        const struct backend_ops *b = backend_of(c->backend);
        struct backend_ctx ctx = BACKEND_CTX_DEFAULT;

        ctx.sysfs_root = h->sysfs_root;
        ctx.binding_dir = h->binding_dir;
        return b->function_is_instance && b->function_is_instance(&ctx, g, c->uuid, c->type_id);
}

/* The backend of a function that is an instance although nobody claimed it, or NULL. */
static const struct backend_ops *unclaimed_instance_backend(const struct vgpu_gpu *g) {
        const struct backend_ops *b;

        for (int k = 0; (b = backend_next(&k));)
                if (b->function_unclaimed_instance && b->function_unclaimed_instance(g))
                        return b;
        return NULL;
}

int device_instance_refresh(struct op *o, const char *bdf) {
        struct vgpu_host *h = o->h;
        _cleanup_(instance_freep) struct vgpu_instance *n = NULL;
        struct vgpu_gpu *g = strmap_get(h->gpu_by_bdf, bdf);
        const struct host_claim *claim = strmap_get(h->claim_by_device, bdf);
        struct vgpu_instance *old = strmap_get(h->instance_by_device, bdf);
        char uuid[UUID_STRING_MAX] = "", type_id[16];
        const struct backend_ops *backend = NULL, *unclaimed;
        int r;

        if (g && claim && claim_matches(h, claim, g)) {
                memcpy(uuid, claim->uuid, sizeof(uuid));
                backend = backend_of(claim->backend);
        } else if (g && (unclaimed = unclaimed_instance_backend(g))) {
                /* named by a UUID derived from the backend and the function: "nvidia-vfio:<bdf>" */
                _cleanup_free_ char *name = NULL;
                if (asprintf(&name, "%s:%s", backend_kind_to_string(unclaimed->kind), g->bdf) < 0)
                        return -ENOMEM;
                uuid_derive(name, uuid);
                backend = unclaimed;
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
        n->backend = backend->kind;
        n->iommu_group = g->iommu_group;
        backend->function_type_id(g, type_id, sizeof(type_id));
        if (!(n->device = strdup(g->bdf)) || !(n->parent_name = strdup(g->bdf)) ||
            !(n->type_id = strdup(type_id)) || (g->driver && !(n->driver = strdup(g->driver))))
                return -ENOMEM;
        /* old, if any, is the instance by this UUID too (a different one was removed above) */
        return instance_merge(o, TAKE_PTR(n), true);
}

/* The function's own fields, then its role as a vf/nvidia-vfio parent and instance. */
int function_refresh(struct op *o, const char *bdf) {
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

void claims_free(struct vgpu_host *h) {
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
            backend_device_kind(backend) != VGPU_DEVICE_PCI)
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
