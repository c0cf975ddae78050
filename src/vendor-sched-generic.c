/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A GPU whose driver's scheduler vgpud knows nothing about (a plain SR-IOV
 * GPU, mtty, an unknown mdev driver). Whatever the driver does is its own
 * business: vgpud records best-effort (it promises nothing) and refuses
 * every setting it could neither pass on nor enforce, rather than keep a
 * policy that nobody applies.
 */
#include "vendor-sched.h"

static int generic_render(const struct quota_gpu *g, const struct sched_settings *s,
                          struct quota_rendering *ret) {
        return quota_appendf(
                &ret->note,
                "vgpud knows no scheduler setting for the driver of GPU %s: its instances share "
                "the GPU as the driver decides.\n",
                strna(g->address));
}

const struct sched_vendor_ops vendor_sched_generic = {
        .vendor = SCHED_VENDOR_GENERIC,
        .scheduler = "a driver whose scheduler vgpud cannot configure",
        .policies = SCHED_POLICY_BIT(SCHED_POLICY_BEST_EFFORT),
        .default_policy = SCHED_POLICY_BEST_EFFORT,
        .render = generic_render,
};
