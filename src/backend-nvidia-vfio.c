/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The nvidia-vfio backend: NVIDIA's vendor-specific VFIO (vGPU 17 and later,
 * Ada/Hopper/Blackwell). Every VF of the GPU stays bound to the nvidia
 * driver, which is the VF's VFIO driver; the VF's nvidia/creatable_vgpu_types
 * lists the types it can take now, and writing a type id to
 * nvidia/current_vgpu_type makes the VF that vGPU (0 makes it a bare VF
 * again). The VF is then assigned to the VM as a plain PCI hostdev, so the
 * instance's device is the VF's address.
 *
 * Create writes 0 first, as Proxmox does, then the type; it never clears a
 * type that someone else set (that VF is taken). The driver refuses to clear
 * a type while the VF is open; that refusal is reported as "in use". Type
 * ids are unique per physical GPU only: the host model groups the types of
 * several GPUs by name.
 */
#include <sys/stat.h>

#include "backend.h"
#include "fileio.h"
#include "parse-util.h"
#include "pci.h"
#include "strutil.h"
#include "sysfs.h"
#include "type.h"
#include "vendor-nvidia.h"
#include "vendor.h"
#include "vfio.h"

static char *nvidia_file(const struct backend_ctx *ctx, const char *bdf, const char *name) {
        return sysfs_path(ctx->sysfs_root, SYSFS_PCI_DEVICES "/%s/" SYSFS_NVIDIA_DIR "/%s", bdf, name);
}

static int read_current(const struct backend_ctx *ctx, const char *bdf, unsigned *ret) {
        _cleanup_free_ char *path = nvidia_file(ctx, bdf, "current_vgpu_type"), *s = NULL;
        int r;

        if (!path)
                return -ENOMEM;
        r = read_attr(path, &s);
        if (r == -ENOENT)
                return -ENODEV; /* no VF, or not on the nvidia driver */
        if (r < 0)
                return r;
        return nvidia_parse_current_type(s, ret);
}

static int read_creatable(const struct backend_ctx *ctx, const char *bdf, struct nvidia_vfio_type **ret,
                          size_t *ret_n) {
        _cleanup_free_ char *path = nvidia_file(ctx, bdf, "creatable_vgpu_types"), *s = NULL;
        int r;

        if (!path)
                return -ENOMEM;
        r = read_attr(path, &s);
        if (r == -ENOENT)
                return -ENODEV;
        if (r < 0)
                return r;
        return nvidia_parse_creatable_types(s, ret, ret_n);
}

static int new_type(unsigned id, const char *name, unsigned available, struct vgpu_type **ret) {
        _cleanup_(type_freep) struct vgpu_type *t = NULL;
        char buf[16];
        int r;

        snprintf(buf, sizeof(buf), "%u", id);
        r = type_new(buf, VGPU_BACKEND_NVIDIA_VFIO, &t);
        if (r < 0)
                return r;
        t->vendor = &vendor_nvidia; /* numeric ids: vendor_for_type() cannot tell */
        r = type_set_info(t, name, NULL, "vfio-pci");
        if (r < 0)
                return r;
        t->available = available;
        *ret = TAKE_PTR(t);
        return 0;
}

static int cmp_type(const void *a, const void *b) {
        return strcmp((*(struct vgpu_type *const *) a)->id, (*(struct vgpu_type *const *) b)->id);
}

/* The types being collected, released by scope unless handed out. */
struct type_list {
        struct vgpu_type **v;
        size_t n;
};

static void type_list_done(struct type_list *l) {
        for (size_t i = 0; i < l->n; i++)
                type_free(l->v[i]);
        free(l->v);
}

static int nvidia_vfio_read_types(const struct backend_ctx *ctx, const char *parent, struct vgpu_type ***ret,
                                  size_t *ret_n, struct vgpu_error_list *problems) {
        _cleanup_free_ struct nvidia_vfio_type *creatable = NULL;
        _cleanup_(type_list_done) struct type_list l = {};
        size_t n_creatable = 0;
        unsigned current = 0;
        bool listed = false;
        int r;

        if (!sysfs_name_is_valid(parent))
                return -EINVAL;
        r = read_current(ctx, parent, &current);
        if (r == -ENODEV)
                return r;
        if (r < 0)
                (void) vgpu_error_list_add(problems, r, NULL, "cannot read current_vgpu_type of %s", parent);
        r = read_creatable(ctx, parent, &creatable, &n_creatable);
        if (r == -ENODEV)
                return r;
        if (r < 0) {
                (void) vgpu_error_list_add(problems, r, NULL, "cannot parse creatable_vgpu_types of %s",
                                           parent);
                n_creatable = 0;
        }
        l.v = calloc(n_creatable + 2, sizeof(*l.v));
        if (!l.v)
                return -ENOMEM;
        for (size_t i = 0; i < n_creatable; i++) {
                bool dup = false;
                for (size_t k = 0; k < i && !dup; k++)
                        dup = creatable[k].id == creatable[i].id;
                if (dup)
                        continue;
                listed = listed || creatable[i].id == current;
                r = new_type(creatable[i].id, creatable[i].name, 1, &l.v[l.n]);
                if (r < 0)
                        return r;
                l.n++;
        }
        /* The VF's own vGPU: the driver lists nothing more once one exists, but it is a type of this
         * VF all the same (without a name here: the host model knows it from the other VFs). */
        if (current != 0 && !listed) {
                r = new_type(current, NULL, 0, &l.v[l.n]);
                if (r < 0)
                        return r;
                l.n++;
        }
        if (l.n > 0)
                qsort(l.v, l.n, sizeof(*l.v), cmp_type);
        *ret = TAKE_PTR(l.v);
        *ret_n = l.n;
        l.n = 0;
        return 0;
}

static bool type_listed(const struct nvidia_vfio_type *v, size_t n, unsigned id) {
        for (size_t i = 0; i < n; i++)
                if (v[i].id == id)
                        return true;
        return false;
}

/* The VF a create uses: the parent when it has nvidia/, else a VF of the parent (a PF) that has no
 * vGPU and lists the type. */
static int pick_vf(const struct backend_ctx *ctx, const char *parent, unsigned type,
                   char out[static PCI_BDF_MAX], struct vgpu_error *err) {
        _cleanup_(gpu_freep) struct vgpu_gpu *g = NULL;
        unsigned current;
        int r;

        r = read_current(ctx, parent, &current);
        if (r >= 0)
                return pci_bdf_normalize(parent, out) < 0 ? -EINVAL : 0;
        r = pci_read_gpu(ctx->sysfs_root, parent, &g);
        if (r == -ENODEV)
                return vgpu_error_set(err, ENODEV, NULL, "No PCI device %s on this host.", parent);
        if (r < 0)
                return vgpu_error_set(err, r, NULL, "Cannot read PCI device %s.", parent);
        if (!g || strv_length(g->sriov.vfs) == 0)
                return vgpu_error_set(
                        err, ENODEV, NULL,
                        "%s has no VF with NVIDIA vendor-specific VFIO (nvidia/current_vgpu_type); "
                        "enable its VFs first.",
                        parent);
        for (char **vf = g->sriov.vfs; *vf; vf++) {
                _cleanup_free_ struct nvidia_vfio_type *c = NULL;
                size_t n = 0;
                if (read_current(ctx, *vf, &current) < 0 || current != 0)
                        continue;
                if (read_creatable(ctx, *vf, &c, &n) < 0 || !type_listed(c, n, type))
                        continue;
                snprintf(out, PCI_BDF_MAX, "%s", *vf);
                return 0;
        }
        return vgpu_error_set(err, ENOSPC, NULL, "No VF of %s can take vGPU type %u now.", parent, type);
}

static const char *current_hint(int error) {
        switch (error) {
        case EINVAL:
                return "the driver cannot create this type on the VF now (another type already exists on "
                       "this "
                       "GPU, or no framebuffer is left)";
        case EBUSY:
        case EAGAIN:
                return "the VF is in use (a VM has it open)";
        default:
                return NULL;
        }
}

static int nvidia_vfio_create(const struct backend_ctx *ctx, const struct backend_create *req,
                              char **ret_device, struct vgpu_error *err) {
        _cleanup_free_ char *path = NULL, *device = NULL;
        char vf[PCI_BDF_MAX], buf[16];
        unsigned type, current;
        int r;

        if (!req->parent || !sysfs_name_is_valid(req->parent))
                return vgpu_error_set(err, EINVAL, NULL, "Invalid PCI address \"%s\".", strna(req->parent));
        if (!req->type_id || safe_atou(req->type_id, &type) < 0 || type == 0)
                return vgpu_error_set(err, EINVAL, NULL,
                                      "Invalid NVIDIA vGPU type id \"%s\": a positive decimal number.",
                                      strna(req->type_id));
        if (req->n_attrs > 0)
                return vgpu_error_set(
                        err, EINVAL, NULL,
                        "NVIDIA vendor-specific VFIO has no vendor attributes to set (got \"%s\").",
                        req->attrs[0].name);
        r = pick_vf(ctx, req->parent, type, vf, err);
        if (r < 0)
                return r;
        path = nvidia_file(ctx, vf, "current_vgpu_type");
        if (!path)
                return -ENOMEM;

        r = read_current(ctx, vf, &current);
        if (r < 0)
                return vgpu_error_set(err, r == -ENODEV ? ENODEV : r, path,
                                      "%s has no NVIDIA vendor-specific VFIO (is it on the nvidia driver?).",
                                      vf);
        if (current != 0)
                return vgpu_error_set(err, EBUSY, path, "VF %s already has vGPU type %u.", vf, current);
        r = vfio_group_check_viable(ctx->sysfs_root, vf, NULL, err);
        if (r < 0)
                return r;

        /* 0 first: it clears what a crashed user may have left half-set, and is a no-op otherwise. */
        r = write_attr(path, "0");
        if (r < 0)
                return vgpu_error_set(err, r, path, "Cannot reset the vGPU type of VF %s%s%s.", vf,
                                      current_hint(-r) ? ": " : "", strempty(current_hint(-r)));
        snprintf(buf, sizeof(buf), "%u", type);
        r = write_attr(path, buf);
        if (r < 0) {
                const char *hint = current_hint(-r);
                return vgpu_error_set(err, r, path, "Cannot make VF %s a vGPU of type %u%s%s.", vf, type,
                                      hint ? ": " : "", strempty(hint));
        }
        device = strdup(vf);
        if (!device)
                return -ENOMEM;
        *ret_device = TAKE_PTR(device);
        return 0;
}

static int nvidia_vfio_destroy(const struct backend_ctx *ctx, const char *device, struct vgpu_error *err) {
        _cleanup_free_ char *path = NULL;
        char vf[PCI_BDF_MAX];
        unsigned current;
        int r;

        if (pci_bdf_normalize(device, vf) < 0)
                return vgpu_error_set(err, EINVAL, NULL, "Invalid PCI address \"%s\".", strna(device));
        path = nvidia_file(ctx, vf, "current_vgpu_type");
        if (!path)
                return -ENOMEM;
        r = read_current(ctx, vf, &current);
        if (r == -ENODEV || (r >= 0 && current == 0))
                return vgpu_error_set(err, ENODEV, path, "VF %s has no vGPU.", vf);
        if (r < 0)
                return vgpu_error_set(err, r, path, "Cannot read the vGPU type of VF %s.", vf);
        r = write_attr(path, "0");
        if (r < 0) {
                const char *hint = current_hint(-r);
                return vgpu_error_set(err, r, path, "Cannot remove vGPU type %u from VF %s%s%s.", current,
                                      vf, hint ? ": " : "", strempty(hint));
        }
        return 0;
}

static int nvidia_vfio_in_use(const struct backend_ctx *ctx, const char *device, pid_t *ret_pid,
                              struct vgpu_error *err) {
        _cleanup_free_ char *dev = NULL, *node = NULL, *comm = NULL;
        char vf[PCI_BDF_MAX];
        pid_t pid;
        int r;

        if (pci_bdf_normalize(device, vf) < 0)
                return vgpu_error_set(err, EINVAL, NULL, "Invalid PCI address \"%s\".", strna(device));
        dev = sysfs_path(ctx->sysfs_root, SYSFS_PCI_DEVICES "/%s", vf);
        if (!dev)
                return -ENOMEM;
        r = vfio_device_holder(dev, ctx->dev_vfio_dir, ctx->proc_root, &pid, &node);
        if (r == -ENODEV)
                return 0;
        if (r < 0)
                return vgpu_error_set(err, r, ctx->proc_root, "Cannot look for processes using VF %s.", vf);
        if (r == 0)
                return 0;
        (void) proc_comm(ctx->proc_root, pid, &comm);
        if (ret_pid)
                *ret_pid = pid;
        vgpu_error_set(err, EBUSY, node, "VF %s is in use by process %d (%s).", vf, (int) pid, strna(comm));
        return 1;
}

/* NVIDIA's vGPU manager schedules them, whatever the type says. */
static enum sched_vendor nvidia_vfio_sched_vendor(const struct vgpu_type *t) {
        return SCHED_VENDOR_NVIDIA;
}

static bool nvidia_vfio_function_offers(const struct vgpu_gpu *g) {
        return g->nvidia_vfio;
}

static void nvidia_vfio_function_type_id(const struct vgpu_gpu *g, char *buf, size_t size) {
        snprintf(buf, size, "%u", g->nvidia_current_type);
}

static bool nvidia_vfio_function_is_instance(const struct backend_ctx *ctx, const struct vgpu_gpu *g,
                                             const char *uuid, const char *type_id) {
        char cur[16];

        nvidia_vfio_function_type_id(g, cur, sizeof(cur));
        return g->nvidia_vfio && g->nvidia_current_type != 0 && streq_ptr(cur, type_id);
}

/* A vGPU that other tools set (sriov-manage, Proxmox, by hand) is an instance too, so that it can be
 * seen, defined and destroyed. */
static bool nvidia_vfio_function_unclaimed_instance(const struct vgpu_gpu *g) {
        return g->nvidia_vfio && g->nvidia_current_type != 0;
}

const struct backend_ops backend_nvidia_vfio = {
        .kind = VGPU_BACKEND_NVIDIA_VFIO,
        .device_kind = VGPU_DEVICE_PCI,
        .reread_functions_with_gpu = true,
        .type_names_per_gpu = true,
        .read_types = nvidia_vfio_read_types,
        .create = nvidia_vfio_create,
        .destroy = nvidia_vfio_destroy,
        .in_use = nvidia_vfio_in_use,
        .sched_vendor = nvidia_vfio_sched_vendor,
        .function_offers = nvidia_vfio_function_offers,
        .function_is_instance = nvidia_vfio_function_is_instance,
        .function_unclaimed_instance = nvidia_vfio_function_unclaimed_instance,
        .function_type_id = nvidia_vfio_function_type_id,
};
