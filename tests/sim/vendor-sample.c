/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's sample mdev drivers (samples/vfio-mdev/ in Linux 6.1), the
 * parents a VM with a stock kernel offers (tests/vm/vgpu-vm). mtty and
 * mbochs keep their own count: every type draws its cost from one pool (24
 * serial ports; mbochs' max_mbytes of video memory), available_instances is
 * what is left divided by the cost, and a create that does not fit is ENOSPC.
 * mdpy leaves the count to the mdev core (max_instances for the whole parent,
 * EUSERS when none is left; mdev.c), as the core does for every mdev_driver
 * without get_available; GVT-g and NVIDIA keep their own counts
 * (vendor-gvtg.c, vendor-nvidia.c).
 */
#include "sim-util.h"
#include "sim.h"

static struct virt_dev *parent_virt(struct mdev_type *t) {
        return t->parent->driver_data;
}

static unsigned sample_available(struct sim *sim, struct mdev_type *t) {
        return parent_virt(t)->pool_free / t->type->cost;
}

static int sample_create(struct sim *sim, struct mdev_type *t) {
        struct virt_dev *v = parent_virt(t);
        if (v->pool_free < t->type->cost)
                return -ENOSPC;
        v->pool_free -= t->type->cost;
        return 0;
}

static void sample_destroy(struct sim *sim, struct mdev_type *t) {
        parent_virt(t)->pool_free += t->type->cost;
}

static int sample_remove_check(struct sim *sim, struct mdev *m) {
        return m->open ? -EBUSY : 0;
}

/* Only drivers with a show_description callback (mdpy, mbochs) have the file; mtty has none. */
static int sample_description(const struct vgpu_type *t, char *buf, size_t size) {
        if (!t->description)
                return -ENOENT;
        return snprintf(buf, size, "%s\n", t->description);
}

const struct mdev_parent_ops sample_mdev_ops = {
        .driver = "sample",
        .available = sample_available,
        .create = sample_create,
        .destroy = sample_destroy,
        .remove_check = sample_remove_check,
        .description = sample_description,
};

/* No available/create/destroy: the mdev core counts (mdev.c), as for the kernel's mdpy. */
const struct mdev_parent_ops sample_core_mdev_ops = {
        .driver = "sample",
        .remove_check = sample_remove_check,
        .description = sample_description,
};
