/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The four ways vgpud can provide a vGPU instance. Every type, instance and
 * record says which one it uses; backend.h has the operations of each.
 */
#pragma once

#include "macro.h"

enum vgpu_backend_kind {
        VGPU_BACKEND_MDEV,        /* kernel mediated device (NVIDIA pre-Ada, GVT-g, any mdev driver) */
        VGPU_BACKEND_VF,          /* an SR-IOV VF (or any PCI function) bound to vfio-pci */
        VGPU_BACKEND_NVIDIA_VFIO, /* NVIDIA vendor-specific VFIO: a VF + nvidia/current_vgpu_type */
        VGPU_BACKEND_RPC,         /* served by vgpud's mediation engine over vfio-user */
        _VGPU_BACKEND_MAX,
        _VGPU_BACKEND_INVALID = -EINVAL,
};

/* vf and nvidia-vfio: the instance is a PCI function, named by its address (the parent) rather than
 * by its UUID. */
static inline bool backend_kind_is_pci_function(enum vgpu_backend_kind k) {
        return k == VGPU_BACKEND_VF || k == VGPU_BACKEND_NVIDIA_VFIO;
}

/* "mdev", "vf", "nvidia-vfio", "rpc"; NULL if out of range. */
const char *backend_kind_to_string(enum vgpu_backend_kind k);
/* -EINVAL for anything else. */
enum vgpu_backend_kind backend_kind_from_string(const char *s);
