/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Backends: one ops table per way of providing a vGPU (backend-kind.h):
 * mdev (backend-mdev.c), vf (backend-vf.c: a whole VF or PCI function bound
 * to vfio-pci) and nvidia-vfio (backend-nvidia-vfio.c: a VF with a vGPU type
 * set through nvidia/current_vgpu_type); rpc plugs into the same table.
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
};
#define BACKEND_CTX_DEFAULT ((struct backend_ctx){SYSFS_ROOT, DEV_VFIO_DIR, PROC_ROOT, NULL})

struct backend_create {
        const char *parent;  /* mdev: parent device; vf / nvidia-vfio: the VF (or the PF: a free VF is
                              * picked);  rpc: software GPU */
        const char *type_id; /* raw type id */
        const char *uuid;    /* the instance's UUID (the mdev's name) */
        const struct vgpu_attr *attrs; /* written in order after create */
        size_t n_attrs;
};

/* What a VM is given: libvirt's <hostdev> source. */
enum vgpu_device_kind {
        VGPU_DEVICE_MDEV,      /* <hostdev type='mdev'><source><address uuid=.../> */
        VGPU_DEVICE_PCI,       /* <hostdev type='pci'><source><address domain=... /> */
        VGPU_DEVICE_VFIO_USER, /* a vfio-user socket */
};

struct vgpu_device_ref {
        enum vgpu_device_kind kind;
        char uuid[UUID_STRING_MAX]; /* MDEV */
        char bdf[PCI_BDF_MAX];      /* PCI */
        char *socket_path;          /* VFIO_USER; free with device_ref_done() */
};
void device_ref_done(struct vgpu_device_ref *d);

struct backend_ops {
        enum vgpu_backend_kind kind;

        /* The types a parent offers, with live availability, sorted by id. */
        int (*read_types)(const struct backend_ctx *ctx, const char *parent, struct vgpu_type ***ret,
                          size_t *ret_n, struct vgpu_error_list *problems);
        /* Create the instance; *ret_device names what it yields (mdev: the
         * UUID; vf/nvidia-vfio: the VF's BDF). A failure leaves nothing behind. */
        int (*create)(const struct backend_ctx *ctx, const struct backend_create *req, char **ret_device,
                      struct vgpu_error *err);
        /* Destroy it; -ENODEV if it is not there. */
        int (*destroy)(const struct backend_ctx *ctx, const char *device, struct vgpu_error *err);
        /* 1 if the device exists, 0 if not. */
        int (*exists)(const struct backend_ctx *ctx, const char *device);
        /* What libvirt assigns for this device. */
        int (*device_ref)(const struct backend_ctx *ctx, const char *device, struct vgpu_device_ref *ret);
        /* 1 with *ret_pid if a process holds the device open, 0 if not. */
        int (*in_use)(const struct backend_ctx *ctx, const char *device, pid_t *ret_pid,
                      struct vgpu_error *err);
};

extern const struct backend_ops backend_mdev;
extern const struct backend_ops backend_vf;
extern const struct backend_ops backend_nvidia_vfio;

/* The ops of a kind; NULL while that backend is not built yet. */
const struct backend_ops *backend_get(enum vgpu_backend_kind kind);
