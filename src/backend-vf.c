/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vf backend: a whole SR-IOV VF (or any PCI function) handed to a VM,
 * which means bound to vfio-pci with its IOMMU group viable. The type is the
 * function's identity ("vf-8086-56c0": a whole VF of that vendor and
 * device); there is one instance per function, and its device is the
 * function's address, which libvirt assigns as a PCI hostdev.
 *
 * Create checks the group first (a refusal names the member that blocks),
 * notes what the function was bound to (binding.h, when the context has a
 * binding directory) and binds it; destroy gives it back to exactly that. A
 * function that was already bound to vfio-pci on request (vgpuctl bind,
 * driverctl) is used as it is and left bound when the instance goes.
 *
 * With a binding directory the note is also what makes the function the
 * instance: a function bound on request is on vfio-pci whether or not an
 * instance was started on it, so its driver alone cannot say whether the
 * instance that a definition keeps it for is created or stopped. Every create
 * notes the instance (on a function bound on request too: "on_request"), every
 * destroy takes it out again, and a function is the instance while it is on
 * vfio-pci and its note names it.
 */
#include <sys/stat.h>

#include "backend.h"
#include "binding.h"
#include "fileio.h"
#include "pci.h"
#include "strutil.h"
#include "sysfs.h"
#include "type.h"
#include "vendor.h"
#include "vfio.h"

static char *function_path(const struct backend_ctx *ctx, const char *bdf) {
        return sysfs_path(ctx->sysfs_root, SYSFS_PCI_DEVICES "/%s", bdf);
}

/* "vf-<vendor>-<device>" of a function, from its sysfs ids. */
static int function_type_id(const struct backend_ctx *ctx, const char *bdf, char **ret) {
        _cleanup_free_ char *vendor = NULL, *device = NULL;
        unsigned long long v, d;
        int r;

        vendor = sysfs_path(ctx->sysfs_root, SYSFS_PCI_DEVICES "/%s/vendor", bdf);
        device = sysfs_path(ctx->sysfs_root, SYSFS_PCI_DEVICES "/%s/device", bdf);
        if (!vendor || !device)
                return -ENOMEM;
        r = read_attr_u64(vendor, 16, &v);
        if (r >= 0)
                r = read_attr_u64(device, 16, &d);
        if (r == -ENOENT)
                return -ENODEV;
        if (r < 0)
                return r;
        if (v > 0xffff || d > 0xffff)
                return -EINVAL;
        return asprintf(ret, "vf-%04llx-%04llx", v, d) < 0 ? -ENOMEM : 0;
}

static int vf_read_types(const struct backend_ctx *ctx, const char *parent, struct vgpu_type ***ret,
                         size_t *ret_n, struct vgpu_error_list *problems) {
        _cleanup_(type_freep) struct vgpu_type *t = NULL;
        _cleanup_free_ char *id = NULL;
        struct vgpu_type **v;
        int r;

        if (!sysfs_name_is_valid(parent))
                return -EINVAL;
        r = function_type_id(ctx, parent, &id);
        if (r < 0)
                return r;
        r = type_new(id, VGPU_BACKEND_VF, &t);
        if (r < 0)
                return r;
        t->vendor = &vendor_vf;
        r = type_set_info(t, NULL, NULL, "vfio-pci");
        if (r < 0)
                return r;
        t->available = 1; /* one instance per function; the host model knows whether it is taken */
        v = calloc(2, sizeof(*v));
        if (!v)
                return -ENOMEM;
        v[0] = TAKE_PTR(t);
        *ret = v;
        *ret_n = 1;
        return 0;
}

/* The function a create uses: the parent itself, or for a PF with VFs its first VF of the type that
 * is not bound to vfio-pci yet. */
static int pick_function(const struct backend_ctx *ctx, const char *parent, const char *type_id,
                         char out[static PCI_BDF_MAX], struct vgpu_error *err) {
        _cleanup_(gpu_freep) struct vgpu_gpu *g = NULL;
        int r;

        r = pci_read_gpu(ctx->sysfs_root, parent, &g);
        if (r == -ENODEV)
                return vgpu_error_set(err, ENODEV, NULL, "No PCI device %s on this host.", parent);
        if (r < 0)
                return vgpu_error_set(err, r, NULL, "Cannot read PCI device %s.", parent);
        if (!g || vgpu_gpu_is_vf(g) || strv_length(g->sriov.vfs) == 0)
                return pci_bdf_normalize(parent, out) < 0
                               ? vgpu_error_set(err, EINVAL, NULL, "Invalid PCI address \"%s\".", parent)
                               : 0;
        for (char **vf = g->sriov.vfs; *vf; vf++) {
                _cleanup_free_ char *id = NULL, *driver = NULL;
                if (function_type_id(ctx, *vf, &id) < 0 || !streq(id, type_id))
                        continue;
                if (pci_read_binding(ctx->sysfs_root, *vf, &driver, NULL) < 0 ||
                    streq_ptr(driver, VFIO_PCI_DRIVER))
                        continue;
                snprintf(out, PCI_BDF_MAX, "%s", *vf);
                return 0;
        }
        return vgpu_error_set(err, ENOSPC, NULL, "Every VF of %s is bound to vfio-pci already.", parent);
}

/* The instance takes a function that is on vfio-pci on request: noted as its instance (what makes it the
 * instance, see above), keeping what a runtime binding's note says it had, so that the binding stays when
 * the instance goes. Without such a note the function had vfio-pci and goes back to nothing else. */
static int note_on_request(const struct backend_ctx *ctx, const char *bdf, const char *uuid,
                           const char *override, struct vgpu_error *err) {
        _cleanup_(binding_freep) struct vgpu_binding *note = NULL;
        struct vgpu_error ignored = {};
        int r;

        if (!ctx->binding_dir)
                return 0;
        r = binding_load(ctx->binding_dir, bdf, &note, &ignored);
        vgpu_error_clear(&ignored);
        if (r >= 0 && note->instance[0])
                return vgpu_error_set(err, EBUSY, NULL, "%s is used by instance %s already.", bdf,
                                      note->instance);
        if (r < 0) {
                binding_free(TAKE_PTR(note));
                r = binding_new(bdf, &note);
                if (r < 0)
                        return r;
                note->original_driver = strdup(VFIO_PCI_DRIVER);
                if (!note->original_driver)
                        return -ENOMEM;
                note->original_override = override ? strdup(override) : NULL;
                if (override && !note->original_override)
                        return -ENOMEM;
        }
        note->on_request = true;
        if (uuid_normalize(uuid, note->instance) < 0)
                return vgpu_error_set(err, EINVAL, NULL, "Invalid UUID \"%s\".", strna(uuid));
        return binding_save(ctx->binding_dir, note, err);
}

static int vf_create(const struct backend_ctx *ctx, const struct backend_create *req, char **ret_device,
                     struct vgpu_error *err) {
        _cleanup_(binding_freep) struct vgpu_binding *note = NULL;
        _cleanup_free_ char *id = NULL, *driver = NULL, *override = NULL, *device = NULL;
        char bdf[PCI_BDF_MAX];
        int r;

        if (!req->parent || !sysfs_name_is_valid(req->parent))
                return vgpu_error_set(err, EINVAL, NULL, "Invalid PCI address \"%s\".", strna(req->parent));
        if (req->n_attrs > 0)
                return vgpu_error_set(err, EINVAL, NULL,
                                      "A whole VF has no vendor attributes to set (got \"%s\").",
                                      req->attrs[0].name);
        r = pick_function(ctx, req->parent, strempty(req->type_id), bdf, err);
        if (r < 0)
                return r;
        r = function_type_id(ctx, bdf, &id);
        if (r == -ENODEV)
                return vgpu_error_set(err, ENODEV, NULL, "No PCI device %s on this host.", bdf);
        if (r < 0)
                return vgpu_error_set(err, r, NULL, "Cannot read the ids of %s.", bdf);
        if (!streq_ptr(req->type_id, id))
                return vgpu_error_set(err, EINVAL, NULL, "%s is a %s, not a %s.", bdf, id,
                                      strna(req->type_id));

        r = vfio_group_check_viable(ctx->sysfs_root, bdf, NULL, err);
        if (r < 0)
                return r;
        r = pci_read_binding(ctx->sysfs_root, bdf, &driver, &override);
        if (r < 0)
                return vgpu_error_set(err, r, NULL, "Cannot read the driver of %s.", bdf);
        if (streq_ptr(driver, VFIO_PCI_DRIVER)) {
                r = note_on_request(ctx, bdf, req->uuid, override, err);
                if (r < 0)
                        return r;
        } else {
                if (ctx->binding_dir) {
                        /* Noted before binding: a crash in between still knows what to give it back to. */
                        r = binding_new(bdf, &note);
                        if (r < 0)
                                return r;
                        note->original_driver = TAKE_PTR(driver);
                        note->original_override = TAKE_PTR(override);
                        if (uuid_normalize(req->uuid, note->instance) < 0)
                                return vgpu_error_set(err, EINVAL, NULL, "Invalid UUID \"%s\".",
                                                      strna(req->uuid));
                        r = binding_save(ctx->binding_dir, note, err);
                        if (r < 0)
                                return r;
                }
                r = vfio_bind(ctx->sysfs_root, bdf, err);
                if (r < 0) {
                        if (ctx->binding_dir)
                                (void) binding_delete(ctx->binding_dir, bdf, NULL);
                        return r;
                }
        }
        device = strdup(bdf);
        if (!device)
                return -ENOMEM;
        *ret_device = TAKE_PTR(device);
        return 0;
}

static int vf_destroy(const struct backend_ctx *ctx, const char *device, struct vgpu_error *err) {
        _cleanup_(binding_freep) struct vgpu_binding *note = NULL;
        _cleanup_free_ char *driver = NULL;
        char bdf[PCI_BDF_MAX];
        int r;

        if (pci_bdf_normalize(device, bdf) < 0)
                return vgpu_error_set(err, EINVAL, NULL, "Invalid PCI address \"%s\".", strna(device));
        r = pci_read_binding(ctx->sysfs_root, bdf, &driver, NULL);
        if (r == -ENODEV)
                return vgpu_error_set(err, ENODEV, NULL, "No PCI device %s on this host.", bdf);
        if (r < 0)
                return vgpu_error_set(err, r, NULL, "Cannot read the driver of %s.", bdf);
        if (ctx->binding_dir) {
                r = binding_load(ctx->binding_dir, bdf, &note, err);
                if (r < 0 && r != -ENOENT)
                        return r;
                vgpu_error_clear(err);
        }
        if (!streq_ptr(driver, VFIO_PCI_DRIVER)) {
                /* Taken from vfio-pci behind our back: the instance is gone already. */
                if (note && note->on_request)
                        (void) binding_drop_instance(ctx->binding_dir, note, NULL);
                else if (note && note->instance[0])
                        (void) binding_delete(ctx->binding_dir, bdf, NULL);
                return vgpu_error_set(err, ENODEV, NULL, "%s is not bound to vfio-pci.", bdf);
        }
        /* bound on request: it stays bound */
        if (note && note->on_request)
                return binding_drop_instance(ctx->binding_dir, note, err);
        if (ctx->binding_dir && !(note && note->instance[0]))
                return 0; /* bound on request, not for an instance: it stays bound */
        r = vfio_unbind(ctx->sysfs_root, bdf, note ? note->original_driver : NULL,
                        note ? note->original_override : NULL, err);
        if (r < 0)
                return r;
        if (note)
                (void) binding_delete(ctx->binding_dir, bdf, NULL);
        return 0;
}

static int vf_in_use(const struct backend_ctx *ctx, const char *device, pid_t *ret_pid,
                     struct vgpu_error *err) {
        _cleanup_free_ char *dev = NULL, *node = NULL, *comm = NULL;
        char bdf[PCI_BDF_MAX];
        pid_t pid;
        int r;

        if (pci_bdf_normalize(device, bdf) < 0)
                return vgpu_error_set(err, EINVAL, NULL, "Invalid PCI address \"%s\".", strna(device));
        dev = function_path(ctx, bdf);
        if (!dev)
                return -ENOMEM;
        r = vfio_device_holder(dev, ctx->dev_vfio_dir, ctx->proc_root, &pid, &node);
        if (r == -ENODEV)
                return 0;
        if (r < 0)
                return vgpu_error_set(err, r, ctx->proc_root, "Cannot look for processes using %s.", bdf);
        if (r == 0)
                return 0;
        (void) proc_comm(ctx->proc_root, pid, &comm);
        if (ret_pid)
                *ret_pid = pid;
        vgpu_error_set(err, EBUSY, node, "%s is in use by process %d (%s).", bdf, (int) pid, strna(comm));
        return 1;
}

#define PCI_VENDOR_AMD    0x1002
#define PCI_VENDOR_NVIDIA 0x10de

/* AMD's MxGPU schedules the VFs of its GPUs (GIM). */
static enum sched_vendor vf_sched_vendor(const struct vgpu_type *t) {
        const struct vgpu_gpu *gpu = t->parent ? t->parent->gpu : NULL;
        return gpu && gpu->vendor_id == PCI_VENDOR_AMD ? SCHED_VENDOR_AMD : _SCHED_VENDOR_INVALID;
}

/* A VF passed through whole. NVIDIA's VFs are useful only with a vGPU type (mdev parents or vendor
 * VFIO), never bare. */
static bool vf_function_offers(const struct vgpu_gpu *g) {
        return !g->nvidia_vfio && vgpu_gpu_is_vf(g) && g->vendor_id != PCI_VENDOR_NVIDIA;
}

/* On vfio-pci, and with a binding directory noted for the instance (see the top of the file). */
static bool vf_function_is_instance(const struct backend_ctx *ctx, const struct vgpu_gpu *g,
                                    const char *uuid, const char *type_id) {
        _cleanup_(binding_freep) struct vgpu_binding *note = NULL;
        struct vgpu_error ignored = {};

        if (!streq_ptr(g->driver, VFIO_PCI_DRIVER))
                return false;
        if (!ctx->binding_dir)
                return true;
        int r = binding_load(ctx->binding_dir, g->bdf, &note, &ignored);
        vgpu_error_clear(&ignored);
        return r >= 0 && streq_ptr(note->instance, uuid);
}

/* On vfio-pci and no instance's: someone bound it for a use of their own (a VM of theirs, a
 * definition that names it). */
static bool vf_function_held(const struct vgpu_gpu *g) {
        return streq_ptr(g->driver, VFIO_PCI_DRIVER);
}

static void vf_function_type_id(const struct vgpu_gpu *g, char *buf, size_t size) {
        snprintf(buf, size, "vf-%04x-%04x", g->vendor_id, g->device_id);
}

const struct backend_ops backend_vf = {
        .kind = VGPU_BACKEND_VF,
        .device_kind = VGPU_DEVICE_PCI,
        .type_named_after_board = true,
        .read_types = vf_read_types,
        .create = vf_create,
        .destroy = vf_destroy,
        .in_use = vf_in_use,
        .sched_vendor = vf_sched_vendor,
        .function_offers = vf_function_offers,
        .function_is_instance = vf_function_is_instance,
        .function_held = vf_function_held,
        .function_type_id = vf_function_type_id,
};
