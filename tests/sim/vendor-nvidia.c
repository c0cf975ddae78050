/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * NVIDIA's vGPU rules. On mdev: one type per physical GPU (every other type
 * shows 0 once a vGPU exists; in heterogeneous mode every type of the same
 * framebuffer size stays), a type's count is max_instance - created, a
 * refused create is EINVAL (what the NVIDIA driver returns, mdevctl issue
 * #115), remove while a VM holds the device is EBUSY; with SR-IOV each VF is
 * its own parent offering 0 or 1. Vendor-specific VFIO (vGPU 17+): every VF
 * bound to nvidia has nvidia/creatable_vgpu_types and current_vgpu_type.
 */
#include "sim-util.h"
#include "sim.h"

/* How many more vGPUs of type t the physical GPU can take under the narrowing rule. */
static unsigned gpu_room(const struct pci_dev *gpu, const struct vgpu_type *t) {
        const struct gpu_state *g = &gpu->gpu;
        if (g->created == 0)
                return t->max_instance;
        bool allowed =
                g->current == t || (gpu->spec->heterogeneous && g->current && g->current->fb_mb == t->fb_mb);
        if (!allowed || g->created >= t->max_instance)
                return 0;
        return t->max_instance - g->created;
}

static void gpu_take(struct pci_dev *gpu, const struct vgpu_type *t) {
        if (gpu->gpu.created++ == 0)
                gpu->gpu.current = t;
}

static void gpu_release(struct pci_dev *gpu) {
        if (gpu->gpu.created > 0 && --gpu->gpu.created == 0)
                gpu->gpu.current = NULL;
}

static unsigned nvidia_available(struct sim *sim, struct mdev_type *t) {
        struct mdev_parent *p = t->parent;
        unsigned room = gpu_room(p->gpu, t->type);
        if (p->dev != p->gpu) /* a VF parent hosts at most one vGPU */
                return p->n_created == 0 && room > 0 ? 1 : 0;
        return room;
}

static int nvidia_create(struct sim *sim, struct mdev_type *t) {
        if (nvidia_available(sim, t) == 0)
                return -EINVAL;
        gpu_take(t->parent->gpu, t->type);
        return 0;
}

static void nvidia_destroy(struct sim *sim, struct mdev_type *t) {
        gpu_release(t->parent->gpu);
}

static int nvidia_remove_check(struct sim *sim, struct mdev *m) {
        return m->open ? -EBUSY : 0;
}

static int nvidia_description(const struct vgpu_type *t, char *buf, size_t size) {
        return snprintf(buf, size,
                        "num_heads=%u, frl_config=%u, framebuffer=%uM, max_resolution=%s, max_instance=%u\n",
                        t->heads, t->frl, t->fb_mb, t->max_resolution, t->max_instance);
}

const struct mdev_parent_ops nvidia_mdev_ops = {
        .driver = "nvidia",
        .available = nvidia_available,
        .create = nvidia_create,
        .destroy = nvidia_destroy,
        .remove_check = nvidia_remove_check,
        .description = nvidia_description,
};

/* ---- vendor-specific VFIO ---- */

static bool vf_can_create(const struct pci_dev *vf, const struct vgpu_type *t) {
        return !vf->vf_vgpu && gpu_room(vf->physfn, t) > 0;
}

static int creatable_show(struct sim *sim, struct node *n, char *buf, size_t size) {
        struct pci_dev *vf = n->obj;
        const struct type_catalog *c = vf->spec->types;
        size_t len = (size_t) snprintf(buf, size, "ID    : vGPU Name\n");
        for (size_t i = 0; i < c->n_types && len < size; i++)
                if (vf_can_create(vf, &c->types[i]))
                        len += (size_t) snprintf(buf + len, size - len, "%-5u : %s\n", c->types[i].number,
                                                 c->types[i].name);
        return (int) MIN(len, size);
}

static int current_show(struct sim *sim, struct node *n, char *buf, size_t size) {
        struct pci_dev *vf = n->obj;
        return snprintf(buf, size, "%u\n", vf->vf_vgpu ? vf->vf_vgpu->number : 0u);
}

static int current_store(struct sim *sim, struct node *n, const char *buf, size_t len) {
        struct pci_dev *vf = n->obj;
        int id;
        int r = kstrtoint(buf, len, 10, &id);
        if (r < 0)
                return -EINVAL;
        if (id == 0) {
                if (!vf->vf_vgpu)
                        return 0;
                if (vf->open)
                        return -EBUSY;
                vf->vf_vgpu = NULL;
                gpu_release(vf->physfn);
                return 0;
        }
        if (vf->vf_vgpu)
                return -EBUSY; /* a type is set: write 0 first, as Proxmox does */
        const struct vgpu_type *t = id > 0 ? catalog_find_number(vf->spec->types, (unsigned) id) : NULL;
        if (!t || !vf_can_create(vf, t))
                return -EINVAL;
        vf->vf_vgpu = t;
        gpu_take(vf->physfn, t);
        return 0;
}

static const struct attr_ops creatable_ops = {.show = creatable_show};
static const struct attr_ops current_ops = {.show = current_show, .store = current_store};

void nvidia_vfio_register(struct sim *sim, struct pci_dev *vf) {
        struct node *d = node_dir(vf->dir, "nvidia");
        node_attr(d, "creatable_vgpu_types", 0444, &creatable_ops, vf, 0);
        node_attr(d, "current_vgpu_type", 0644, &current_ops, vf, 0);
}

void nvidia_vfio_unregister(struct sim *sim, struct pci_dev *vf) {
        if (vf->vf_vgpu) {
                vf->vf_vgpu = NULL;
                gpu_release(vf->physfn);
        }
        node_remove_child(vf->dir, "nvidia");
}
