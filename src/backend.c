/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The backend registry and kind names (backend.h, backend-kind.h). */
#include "backend.h"
#include "string-table.h"

static const char *const kind_names[_VGPU_BACKEND_MAX] = {
        [VGPU_BACKEND_MDEV] = "mdev",
        [VGPU_BACKEND_VF] = "vf",
        [VGPU_BACKEND_NVIDIA_VFIO] = "nvidia-vfio",
        [VGPU_BACKEND_RPC] = "rpc",
};

DEFINE_STRING_TABLE(backend_kind, enum vgpu_backend_kind, kind_names, _VGPU_BACKEND_MAX,
                    _VGPU_BACKEND_INVALID)

const struct backend_ops *backend_get(enum vgpu_backend_kind kind) {
        static const struct backend_ops *const table[_VGPU_BACKEND_MAX] = {
                [VGPU_BACKEND_MDEV] = &backend_mdev,
                [VGPU_BACKEND_VF] = &backend_vf,
                [VGPU_BACKEND_NVIDIA_VFIO] = &backend_nvidia_vfio,
        };
        return kind >= 0 && kind < _VGPU_BACKEND_MAX ? table[kind] : NULL;
}

void device_ref_done(struct vgpu_device_ref *d) {
        free(d->socket_path);
        d->socket_path = NULL;
}
