/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Intel GVT-g, after drivers/gpu/drm/i915/gvt/{vgpu,aperture_gm}.c: every
 * type draws from one pool of low (aperture) and high graphics memory and
 * fence registers, so types mix and each create lowers every count;
 * available_instances = min(low_free/low, high_free/high, fence_free/fence);
 * no room is ENOSPC.
 */
#include "sim-util.h"
#include "sim.h"

static unsigned gvtg_available(struct sim *sim, struct mdev_type *t) {
        const struct gpu_state *g = &t->parent->gpu->gpu;
        const struct vgpu_type *ty = t->type;
        unsigned n = g->low_free_mb / ty->low_gm_mb;
        n = MIN(n, g->high_free_mb / ty->high_gm_mb);
        return MIN(n, g->fence_free / ty->fence);
}

static int gvtg_create(struct sim *sim, struct mdev_type *t) {
        if (gvtg_available(sim, t) == 0)
                return -ENOSPC;
        struct gpu_state *g = &t->parent->gpu->gpu;
        g->low_free_mb -= t->type->low_gm_mb;
        g->high_free_mb -= t->type->high_gm_mb;
        g->fence_free -= t->type->fence;
        g->created++;
        return 0;
}

static void gvtg_destroy(struct sim *sim, struct mdev_type *t) {
        struct gpu_state *g = &t->parent->gpu->gpu;
        g->low_free_mb += t->type->low_gm_mb;
        g->high_free_mb += t->type->high_gm_mb;
        g->fence_free += t->type->fence;
        g->created--;
}

static int gvtg_remove_check(struct sim *sim, struct mdev *m) {
        return m->open ? -EBUSY : 0;
}

static int gvtg_description(const struct vgpu_type *t, char *buf, size_t size) {
        return snprintf(buf, size,
                        "low_gm_size: %uMB\nhigh_gm_size: %uMB\nfence: %u\nresolution: %s\nweight: %u\n",
                        t->low_gm_mb, t->high_gm_mb, t->fence, t->resolution, t->weight);
}

const struct mdev_parent_ops gvtg_mdev_ops = {
        .driver = "i915",
        .available = gvtg_available,
        .create = gvtg_create,
        .destroy = gvtg_destroy,
        .remove_check = gvtg_remove_check,
        .description = gvtg_description,
};
