/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inside the host model (host.h), shared by its files: host.c (the model core: operations, links, GPUs,
 * mdev parents and types, instances, the public refresh and remove), host-availability.c (the numbers
 * of instances each type can still take), host-function.c (PCI functions as parents and instances: vf,
 * nvidia-vfio and vgpud's claims), host-software.c (vgpud's software GPUs) and host-uevent.c (uevents
 * and the full scan). Not for use outside them.
 *
 * Every mutation runs as one "operation" (struct op): objects are read from sysfs and merged into the
 * model; removed objects are announced at once (still valid) and parked until the operation ends; then
 * links are recomputed, type groups rebuilt, ADDED/CHANGED announced (GPUs, parents, groups, types,
 * instances, in that order, so a listener always finds an object's container first), and parked objects
 * freed. Listeners therefore never see a dangling pointer.
 */
#pragma once

#include "backend.h"
#include "hashmap.h"
#include "host.h"

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

/* Operations (host.c). op_end() returns 1 if the model changed, 0 if not, or -errno. */
void op_begin(struct op *o, struct vgpu_host *h);
int op_end(struct op *o);
/* Queue ADDED/CHANGED for the end of the operation; a CHANGED after an ADDED is implied. */
void op_defer(struct op *o, enum host_event ev, enum host_object kind, void *object);
/* Announce a removal now, while the object is valid, and drop its queued events. */
void op_removed(struct op *o, enum host_object kind, void *object);
void relink(struct op *o);

/* The model core's steps (host.c): each merges what sysfs says now into the model. */
int gpu_refresh(struct op *o, const char *bdf);
int gpu_remove(struct op *o, struct vgpu_gpu *g);
/* Put *g into the model and announce it; the model owns it then (*g is NULL). */
int gpu_add(struct op *o, struct vgpu_gpu **g);
int parent_refresh(struct op *o, const char *name, struct vgpu_error_list *problems);
int parent_remove(struct op *o, struct vgpu_parent *p);
/* Merge freshly read types into p: same id keeps its object (and identity). */
int parent_merge_types(struct op *o, struct vgpu_parent *p, struct vgpu_type **fresh, size_t n_fresh);
/* Set one type's number; announce it if it moved. */
void type_set_available(struct op *o, struct vgpu_type *t, unsigned a);
int instance_refresh(struct op *o, const char *uuid);
int instance_remove(struct op *o, struct vgpu_instance *in);
/* Put a freshly read instance into the model: add it, or move its fields into the model's copy. */
int instance_merge(struct op *o, struct vgpu_instance *fresh, bool by_device);

/* Availability (host-availability.c): read again (or name stale) every parent on the physical GPU of the
 * parent named, after an instance on it came, changed or went. */
void refresh_availability_around(struct op *o, const char *parent_name);

/* PCI functions (host-function.c). */
/* The function's own fields, then its role as a vf/nvidia-vfio parent and instance. */
int function_refresh(struct op *o, const char *bdf);
/* Its role as a parent (and then as an instance). */
int pci_parent_refresh(struct op *o, const char *bdf);
/* Its role as an instance. */
int device_instance_refresh(struct op *o, const char *bdf);
void claims_free(struct vgpu_host *h);
