/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Backends: one ops table per way of providing a vGPU (backend-kind.h):
 * mdev (backend-mdev.c), vf (backend-vf.c: a whole VF or PCI function bound
 * to vfio-pci), nvidia-vfio (backend-nvidia-vfio.c: a VF with a vGPU type
 * set through nvidia/current_vgpu_type) and rpc (daemon/rpc.c: vgpud's
 * mediation engine). Everything that differs between them is here, as an
 * operation or a declared property; the rest of vgpud asks backend_get()
 * and never compares backend kinds.
 *
 * The operations take plain strings, never model objects, so the daemon can
 * run them on its host-operation worker thread while the main loop keeps the
 * model; afterwards it refreshes the model (host.h) on the main thread.
 * Failures return -errno and, when err is given, the sysfs path involved and
 * a sentence saying what failed and what the errno usually means there.
 */
#pragma once

#include <sys/types.h>

#include "attr.h"
#include "backend-kind.h"
#include "error.h"
#include "model.h"
#include "quota.h"
#include "sysfs.h"

/* Where the backends find the kernel's interfaces (sysfs.h defaults). */
struct backend_ctx {
        const char *sysfs_root;   /* SYSFS_ROOT */
        const char *dev_vfio_dir; /* DEV_VFIO_DIR */
        const char *proc_root;    /* PROC_ROOT */
        struct Rpc *rpc;          /* rpc: vgpud's software GPUs (daemon/rpc.h), NULL elsewhere */
        /* vf: where the driver a VF had before its instance bound it to vfio-pci is noted
         * (binding.h), so that destroying the instance gives it back exactly. NULL: no notes;
         * destroy then lets the kernel probe the VF again. */
        const char *binding_dir;
        /* Directories and attributes kept open (attr-cache.h; the host's), NULL: none. mdev: the parent's
         * directory, which a create otherwise reaches through class/mdev_bus, a lookup per component. */
        struct attr_cache *cache;
        /* mdev destroy: the parent the model knows the device under, NULL if none: with the cache, the
         * device is reached from the parent's kept directory (bus/mdev/devices otherwise). */
        const char *parent;
};
#define BACKEND_CTX_DEFAULT ((struct backend_ctx){SYSFS_ROOT, DEV_VFIO_DIR, PROC_ROOT, NULL})

struct backend_create {
        const char *parent;  /* mdev: parent device; vf / nvidia-vfio: the VF (or the PF: a free VF is
                              * picked);  rpc: software GPU */
        const char *type_id; /* raw type id */
        const char *uuid;    /* the instance's UUID (the mdev's name) */
        const struct vgpu_attr *attrs; /* written in order after create */
        size_t n_attrs;
        /* Optional: where a backend that can read the new device back cheaply while creating it puts it
         * (as read_instance() would); left NULL otherwise. */
        struct vgpu_instance **ret_instance;
};

struct backend_ops {
        enum vgpu_backend_kind kind;

        /* ---- declared properties ---- */

        /* What a VM is given, which decides how the model knows the instance:
         * - MDEV: an mdev on the mdev bus. The model reads it (and its parent's types) from sysfs; the
         *   types' numbers are the kernel's available_instances (mdev_read_availability()), and the
         *   operations on it cause uevents; mdevctl can hold its definition.
         * - PCI: the PCI function itself, which has no UUID. The ops take the function's address (the
         *   instance's parent) as the device; vgpud claims the function for the instance
         *   (host_claim_device()) and makes the claims again from its records.
         * - VFIO_USER: a socket of vgpud's own engine. Nothing of it is in sysfs: the daemon puts the
         *   software GPUs, their types and instances into the model. */
        enum vgpu_device_kind device_kind;
        /* What a function offers changes with the other vGPUs of its GPU (nvidia-vfio): after a change on
         * the GPU its functions are read again as parents, rather than their numbers alone. */
        bool reread_functions_with_gpu;
        /* The functions of a physical GPU share their types' names (nvidia-vfio: a VF with a vGPU lists
         * no types, so its own type's name comes from what the GPU's other VFs listed). */
        bool type_names_per_gpu;
        /* A type without a name is named after the function's board, "<board> VF" (vf: a whole VF). */
        bool type_named_after_board;

        /* ---- operations ---- */

        /* The types a parent offers, with live availability, sorted by id. */
        int (*read_types)(const struct backend_ctx *ctx, const char *parent, struct vgpu_type ***ret,
                          size_t *ret_n, struct vgpu_error_list *problems);
        /* Create the instance; *ret_device names what it yields (mdev: the
         * UUID; vf/nvidia-vfio: the VF's BDF). A failure leaves nothing behind. */
        int (*create)(const struct backend_ctx *ctx, const struct backend_create *req, char **ret_device,
                      struct vgpu_error *err);
        /* Destroy it; -ENODEV if it is not there. */
        int (*destroy)(const struct backend_ctx *ctx, const char *device, struct vgpu_error *err);
        /* 1 with *ret_pid if a process holds the device open, 0 if not. */
        int (*in_use)(const struct backend_ctx *ctx, const char *device, pid_t *ret_pid,
                      struct vgpu_error *err);
        /* Optional: read the instance as the model keeps it (host_adopt_instance()), right after create,
         * on the thread that created it; -ENODEV if it is not there. Without it the daemon reads the
         * model's copy on its main thread (host_refresh_instance()). */
        int (*read_instance)(const struct backend_ctx *ctx, const char *device, struct vgpu_instance **ret);
        /* Optional: the scheduler that shares the GPU among the instances of type t, when the backend
         * decides it (rpc: vgpud's engine; nvidia-vfio: NVIDIA's vGPU manager; vf: AMD's GIM on AMD
         * GPUs); _SCHED_VENDOR_INVALID, or no op: the type's vendor rules decide. */
        enum sched_vendor (*sched_vendor)(const struct vgpu_type *t);

        /* ---- PCI functions as parents and instances (device_kind PCI; NULL elsewhere) ---- */

        /* Does the function offer this backend's types (is it one of its parents)? */
        bool (*function_offers)(const struct vgpu_gpu *g);
        /* Is the function in the state that makes it the instance uuid of type_id (vf: bound to vfio-pci,
         * and with ctx->binding_dir its note names uuid; nvidia-vfio: that vGPU type set)? */
        bool (*function_is_instance)(const struct backend_ctx *ctx, const struct vgpu_gpu *g,
                                     const char *uuid, const char *type_id);
        /* Optional: is the function an instance although nobody claimed it (nvidia-vfio: a vGPU set by
         * other tools)? It is then named by uuid_derive("<backend>:<address>"). */
        bool (*function_unclaimed_instance)(const struct vgpu_gpu *g);
        /* Optional: is the function held by its administrator (vf: bound to vfio-pci on request, by
         * `vgpuctl bind` or driverctl), so that only a create that names it may take it? Asked of a
         * function no instance claims. */
        bool (*function_held)(const struct vgpu_gpu *g);
        /* The type id of the function as an instance now, into buf. */
        void (*function_type_id)(const struct vgpu_gpu *g, char *buf, size_t size);
};

extern const struct backend_ops backend_mdev;
extern const struct backend_ops backend_vf;
extern const struct backend_ops backend_nvidia_vfio;
extern const struct backend_ops backend_rpc;

/* The rpc backend's operations are the engine's, in daemon/rpc.c (backend-rpc.c says why they are not
 * here); outside vgpud they are NULL. ctx->rpc is the daemon's Rpc. */
int rpc_engine_create(const struct backend_ctx *ctx, const struct backend_create *req, char **ret_device,
                      struct vgpu_error *err) __attribute__((weak));
int rpc_engine_destroy(const struct backend_ctx *ctx, const char *device, struct vgpu_error *err)
        __attribute__((weak));
int rpc_engine_in_use(const struct backend_ctx *ctx, const char *device, pid_t *ret_pid,
                      struct vgpu_error *err) __attribute__((weak));

/* The ops of a kind; NULL for an invalid kind. */
const struct backend_ops *backend_get(enum vgpu_backend_kind kind);
/* Every backend this program includes, in kind order: for (k = 0; (b = backend_next(&k));) ... */
const struct backend_ops *backend_next(int *k);
