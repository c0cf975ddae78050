/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The rpc backend (backend.h): vgpud's mediation engine serves the instance over a vfio-user socket. Its
 * declared properties live here with the other backends'; its operations are the engine's, in
 * daemon/rpc.c, because the engine (daemon/engine/) is not part of this library. They are referenced
 * weakly so that programs without the engine (the library's tests and tools) link: there they are NULL,
 * and no software GPU exists to call them on. Its types and instances are put into the model by the
 * daemon (host.h, software GPUs), so it reads none.
 */
#include "backend.h"

static enum sched_vendor rpc_sched_vendor(const struct vgpu_type *t) {
        return SCHED_VENDOR_RPC; /* vgpud's own scheduler, whatever the type */
}

const struct backend_ops backend_rpc = {
        .kind = VGPU_BACKEND_RPC,
        .device_kind = VGPU_DEVICE_VFIO_USER,
        .create = rpc_engine_create,
        .destroy = rpc_engine_destroy,
        .in_use = rpc_engine_in_use,
        .sched_vendor = rpc_sched_vendor,
};
