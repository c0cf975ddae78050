/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's GPU and type objects: what /org/vgpud1/gpu/<id> and
 * /org/vgpud1/gpu/<id>/type/<enc> show. A GpuObject stands for a physical
 * GPU (a PF or a GPU without SR-IOV) and outlives its hardware while
 * instances still refer to it (Present=false after a hot-unplug). A
 * TypeObject is one raw type id on one GPU, merged over every mdev parent of
 * that GPU (the PF and its VFs); its numbers come from the library's model,
 * its availability and the reason for 0 are cached at each sync so that
 * reads cost nothing and PropertiesChanged is sent only for real changes.
 */
#pragma once

#include "macro.h"
#include "model.h"

typedef struct Manager Manager;
typedef struct GpuObject GpuObject;
typedef struct GpuSched GpuSched;

typedef struct TypeObject {
        GpuObject *gpu;
        char *id; /* raw type id */
        char *path;
        unsigned available;       /* cached at sync */
        char *unavailable_reason; /* cached at sync, "" when available */
        bool published;
} TypeObject;

struct GpuObject {
        Manager *manager;
        char address[PCI_BDF_MAX];
        char *id;             /* "pci_0000_3b_00_0" */
        char *path;           /* "/org/vgpud1/gpu/pci_0000_3b_00_0" */
        struct vgpu_gpu *gpu; /* the library's GPU; NULL while absent */

        /* identity, kept while the GPU is absent */
        uint16_t vendor_id, device_id, subsystem_vendor_id, subsystem_device_id;
        char *vendor, *name;

        TypeObject **types; /* sorted by id */
        size_t n_types;

        /* what was last announced, to emit only changes */
        char *last_driver;
        bool last_present;
        unsigned last_num_vfs;
        char *last_hosted_type;
        unsigned last_n_instances;
        uint64_t last_instances_hash;
        bool types_changed;
        bool published;
        bool dirty; /* the model changed under it: sync it next time */

        GpuSched *sched; /* its scheduler (sched.h) */
};

/* GPU object ids and paths: "0000:3b:00.0" <-> "pci_0000_3b_00_0". */
int gpu_id_from_address(const char *address, char **ret);

GpuObject *manager_find_gpu(Manager *m, const char *address_or_id);
GpuObject *manager_find_gpu_by_path(Manager *m, const char *path);
TypeObject *manager_find_type_by_path(Manager *m, const char *path);
TypeObject *gpu_object_find_type(GpuObject *g, const char *type_id);

#define GPU_PARENTS_MAX 512 /* a PF and its VFs: SR-IOV allows at most 256 functions per bus */

/* The mdev parents on this physical GPU: itself and its VFs; returns how many there are. */
size_t gpu_object_parents(GpuObject *g, struct vgpu_parent **ret, size_t max);

/* The library's types on this GPU with this id, one per mdev parent (PF and VFs). */
size_t gpu_object_type_members(GpuObject *g, const char *type_id, struct vgpu_type **ret, size_t max);
/* The instances (daemon objects) on this GPU. */
size_t gpu_object_count_instances(GpuObject *g, uint64_t *ret_hash);
/* "GRID T4-1B" when the one-type-per-GPU rule pins the GPU to a type, "" otherwise. */
const char *gpu_object_hosted_type(GpuObject *g);

/* Bring the GPU and type objects in line with the model (the dirty ones, or all after
 * manager_mark_all_gpus_dirty); emit the differences. */
int manager_sync_gpus(Manager *m);
/* Something on this GPU (a BDF; NULL: unknown) changed. */
void manager_mark_gpu_dirty(Manager *m, const char *address);
void manager_mark_all_gpus_dirty(Manager *m);
/* A GPU the model is about to free: forget the pointer now, sync later. */
void manager_gpu_removed(Manager *m, struct vgpu_gpu *gpu);
/* Make sure a GPU object exists for an address (e.g. of a definition whose GPU is absent). */
int manager_ensure_gpu(Manager *m, const char *address, GpuObject **ret);

void gpu_object_free(GpuObject *g);
