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

/* "mdev", "vf", "nvidia-vfio", "rpc"; NULL if out of range. */
const char *backend_kind_to_string(enum vgpu_backend_kind k);
/* -EINVAL for anything else. */
enum vgpu_backend_kind backend_kind_from_string(const char *s);

/* What a VM is given, and so what an instance is: each backend declares one (backend.h). The libvirt
 * XML, the domain XML the hook reads and vgpud's domain list speak of devices in these words. */
enum vgpu_device_kind {
        VGPU_DEVICE_MDEV,      /* an mdev, named by its UUID: <hostdev type='mdev'> */
        VGPU_DEVICE_PCI,       /* a PCI function, named by its address: <hostdev type='pci'> */
        VGPU_DEVICE_VFIO_USER, /* a vfio-user socket served by vgpud, named by its path */
        _VGPU_DEVICE_KIND_MAX,
        _VGPU_DEVICE_KIND_INVALID = -EINVAL,
};

/* "mdev", "pci", "vfio-user"; NULL if out of range. */
const char *vgpu_device_kind_to_string(enum vgpu_device_kind k);
/* The kind the backend k declares; -EINVAL for a kind without a backend in this build. */
enum vgpu_device_kind backend_device_kind(enum vgpu_backend_kind k);
