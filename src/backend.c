/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The backend registry (backend.h). */
#include "backend.h"

const struct backend_ops *backend_get(enum vgpu_backend_kind kind) {
        static const struct backend_ops *const table[_VGPU_BACKEND_MAX] = {
                [VGPU_BACKEND_MDEV] = &backend_mdev,
                [VGPU_BACKEND_VF] = &backend_vf,
                [VGPU_BACKEND_NVIDIA_VFIO] = &backend_nvidia_vfio,
                [VGPU_BACKEND_RPC] = &backend_rpc,
        };
        return kind >= 0 && kind < _VGPU_BACKEND_MAX ? table[kind] : NULL;
}

const struct backend_ops *backend_next(int *k) {
        for (; *k < _VGPU_BACKEND_MAX; (*k)++) {
                const struct backend_ops *b = backend_get(*k);
                if (b) {
                        (*k)++;
                        return b;
                }
        }
        return NULL;
}

enum vgpu_device_kind backend_device_kind(enum vgpu_backend_kind k) {
        const struct backend_ops *b = backend_get(k);
        return b ? b->device_kind : _VGPU_DEVICE_KIND_INVALID;
}
