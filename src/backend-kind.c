/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The names of backend and device kinds (backend-kind.h): apart from the registry (backend.c), so that a
 * program that only names kinds (vgpud-libvirt-watch) does not link the backends. */
#include "backend-kind.h"
#include "string-table.h"

static const char *const kind_names[_VGPU_BACKEND_MAX] = {
        [VGPU_BACKEND_MDEV] = "mdev",
        [VGPU_BACKEND_VF] = "vf",
        [VGPU_BACKEND_NVIDIA_VFIO] = "nvidia-vfio",
        [VGPU_BACKEND_RPC] = "rpc",
};

DEFINE_STRING_TABLE(backend_kind, enum vgpu_backend_kind, kind_names, _VGPU_BACKEND_MAX,
                    _VGPU_BACKEND_INVALID)

static const char *const device_kind_names[_VGPU_DEVICE_KIND_MAX] = {
        [VGPU_DEVICE_MDEV] = "mdev",
        [VGPU_DEVICE_PCI] = "pci",
        [VGPU_DEVICE_VFIO_USER] = "vfio-user",
};

const char *vgpu_device_kind_to_string(enum vgpu_device_kind k) {
        return k >= 0 && k < _VGPU_DEVICE_KIND_MAX ? device_kind_names[k] : NULL;
}
