/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The mdev backend: create writes the UUID to the type's `create` (one
 * write), then the vendor attributes in order into the new device's
 * directory, and removes the device again if one of them fails — mdevctl's
 * semantics, so definitions behave the same under both tools. Destroy writes
 * "1" to `remove`. Errors name the sysfs file and say what the errno means
 * there (the kernel's own answer is terse: a bare EINVAL is what users of
 * mdevctl complain about).
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "attr-cache.h"
#include "backend.h"
#include "fileio.h"
#include "mdev.h"
#include "strutil.h"
#include "sysfs.h"
#include "vfio.h"

static const char *create_hint(int error) {
        switch (error) {
        case EEXIST:
                return "this UUID is already used by another mdev";
        case ENOSPC:
                return "the parent has no room left for this type";
        case EINVAL:
                return "the driver rejected the UUID or cannot create this type now (on NVIDIA: another "
                       "type "
                       "already exists on this GPU)";
        case ENODEV:
                return "the parent is going away";
        case EBUSY:
        case EAGAIN:
                return "the driver is busy; try again";
        default:
                return NULL;
        }
}

static int mdev_create(const struct backend_ctx *ctx, const struct backend_create *req, char **ret_device,
                       struct vgpu_error *err) {
        _cleanup_free_ char *parent_dir = NULL, *type_dir = NULL, *create = NULL, *create_rel = NULL,
                            *dev = NULL, *device = NULL, *key = NULL;
        _cleanup_close_ int parent_fd = -1;
        char uuid[UUID_STRING_MAX];
        int r;

        if (!sysfs_name_is_valid(req->parent))
                return vgpu_error_set(err, EINVAL, NULL, "Invalid parent device name \"%s\".",
                                      strna(req->parent));
        if (!sysfs_name_is_valid(req->type_id))
                return vgpu_error_set(err, EINVAL, NULL, "Invalid type id \"%s\".", strna(req->type_id));
        if (uuid_normalize(req->uuid, uuid) < 0)
                return vgpu_error_set(err, EINVAL, NULL, "Invalid UUID \"%s\".", strna(req->uuid));
        for (size_t i = 0; i < req->n_attrs; i++)
                if (!attr_name_is_valid(req->attrs[i].name))
                        return vgpu_error_set(
                                err, EINVAL, NULL,
                                "Invalid attribute name \"%s\": it must be a path inside the device "
                                "directory.",
                                req->attrs[i].name);

        /* Everything relative to the parent's device directory, opened as a path only (no open of the
         * directory itself): one walk of the path through class/mdev_bus (each component a lookup, on
         * FUSE a round trip each) instead of one per step, and the new device is its child. */
        parent_dir = sysfs_path(ctx->sysfs_root, SYSFS_MDEV_BUS "/%s", req->parent);
        if (!parent_dir || asprintf(&type_dir, "%s/" SYSFS_MDEV_TYPES "/%s", parent_dir, req->type_id) < 0 ||
            asprintf(&create, "%s/create", type_dir) < 0 ||
            asprintf(&create_rel, SYSFS_MDEV_TYPES "/%s/create", req->type_id) < 0)
                return -ENOMEM;
        /* Kept open between creates (the key is under the parent's name: attr_cache_forget_under() when it
         * goes away). */
        if (asprintf(&key, "%s/.", req->parent) < 0)
                return -ENOMEM;
        parent_fd = attr_cache_dir(ctx->cache, key, parent_dir);
        if (parent_fd < 0)
                return vgpu_error_set(err, ENODEV, NULL, "%s is not a registered mdev parent.", req->parent);

        r = write_attr_at(parent_fd, create_rel, uuid);
        if (r == -ENOENT && ctx->cache) {
                /* A kept directory of a parent that went away and came back finds nothing: open it anew. */
                attr_cache_forget(ctx->cache, key);
                close(parent_fd);
                parent_fd = attr_cache_dir(ctx->cache, key, parent_dir);
                if (parent_fd < 0)
                        return vgpu_error_set(err, ENODEV, NULL, "%s is not a registered mdev parent.",
                                              req->parent);
                r = write_attr_at(parent_fd, create_rel, uuid);
        }
        /* No separate check that the type is offered: a type that is not there has no create file. */
        if (r == -ENOENT) {
                if (faccessat(parent_fd, SYSFS_MDEV_TYPES, F_OK, 0) < 0)
                        return vgpu_error_set(err, ENODEV, NULL, "%s is not a registered mdev parent.",
                                              req->parent);
                return vgpu_error_set(err, ENOENT, type_dir, "Parent %s does not offer type %s.",
                                      req->parent, req->type_id);
        }
        /* No room, in the mdev core's words: it answers EUSERS when it keeps the count itself (a driver
         * that sets mdev_driver.get_available, mdpy), ENOSPC comes from drivers that keep their own. */
        if (r == -EUSERS)
                return vgpu_error_set(err, ENOSPC, create,
                                      "Cannot create mdev %s of type %s on %s: the mdev core counts no room "
                                      "left for this type (EUSERS).",
                                      uuid, req->type_id, req->parent);
        if (r < 0) {
                const char *hint = create_hint(-r);
                return vgpu_error_set(err, r, create, "Cannot create mdev %s of type %s on %s%s%s.", uuid,
                                      req->type_id, req->parent, hint ? ": " : "", strempty(hint));
        }

        dev = sysfs_path(ctx->sysfs_root, SYSFS_MDEV_DEVICES "/%s", uuid);
        if (!dev)
                return -ENOMEM;
        for (size_t i = 0; i < req->n_attrs; i++) {
                _cleanup_free_ char *path = NULL, *rel = NULL, *remove = NULL;
                if (asprintf(&path, "%s/%s", dev, req->attrs[i].name) < 0 ||
                    asprintf(&rel, "%s/%s", uuid, req->attrs[i].name) < 0 ||
                    asprintf(&remove, "%s/remove", uuid) < 0)
                        r = -ENOMEM;
                else
                        r = write_attr_at(parent_fd, rel, req->attrs[i].value);
                if (r >= 0)
                        continue;
                int k = remove ? write_attr_at(parent_fd, remove, "1") : -ENOMEM;
                if (k < 0)
                        return vgpu_error_set(err, r, path,
                                              "Cannot set attribute %s of mdev %s, and removing the device "
                                              "again failed too (%s): it is left on %s.",
                                              req->attrs[i].name, uuid, strerror(-k), req->parent);
                return vgpu_error_set(
                        err, r, path,
                        "Cannot set attribute %s of mdev %s to \"%s\"; the device was removed again.",
                        req->attrs[i].name, uuid, req->attrs[i].value);
        }

        /* Read back while the parent is at hand (the caller's read_instance would walk bus/mdev/devices and
         * the device's link back here). Not there any more (removed at once by someone else): the caller
         * looks. */
        if (req->ret_instance)
                (void) mdev_read_created(parent_fd, req->parent, req->type_id, uuid, req->ret_instance);

        device = strdup(uuid);
        if (!device)
                return -ENOMEM;
        *ret_device = TAKE_PTR(device);
        return 0;
}

/* Write "1" to the device's remove, from its parent's kept directory: two lookups where bus/mdev/devices
 * is five and the device's link back. -ENOENT when that finds nothing (a stale directory, another
 * parent, the device gone): the caller asks bus/mdev/devices. */
static int remove_under_parent(const struct backend_ctx *ctx, const char *uuid) {
        _cleanup_free_ char *key = NULL, *dir = NULL, *rel = NULL;

        if (!ctx->cache || !ctx->parent || !sysfs_name_is_valid(ctx->parent))
                return -ENOENT;
        if (asprintf(&key, "%s/.", ctx->parent) < 0 || asprintf(&rel, "%s/remove", uuid) < 0 ||
            !(dir = sysfs_path(ctx->sysfs_root, SYSFS_MDEV_BUS "/%s", ctx->parent)))
                return -ENOMEM;
        _cleanup_close_ int fd = attr_cache_dir(ctx->cache, key, dir);
        if (fd < 0)
                return -ENOENT;
        int r = write_attr_at(fd, rel, "1");
        if (r == -ENOENT)
                attr_cache_forget(ctx->cache, key); /* stale, or not here: the next one opens it anew */
        return r;
}

static int mdev_destroy(const struct backend_ctx *ctx, const char *device, struct vgpu_error *err) {
        _cleanup_free_ char *dev = NULL, *remove = NULL;
        char uuid[UUID_STRING_MAX];
        int r;

        if (uuid_normalize(device, uuid) < 0)
                return vgpu_error_set(err, EINVAL, NULL, "Invalid UUID \"%s\".", strna(device));
        dev = sysfs_path(ctx->sysfs_root, SYSFS_MDEV_DEVICES "/%s", uuid);
        if (!dev || asprintf(&remove, "%s/remove", dev) < 0)
                return -ENOMEM;
        r = remove_under_parent(ctx, uuid);
        /* No separate existence check: a device that is not there has no remove file either. */
        if (r == -ENOENT)
                r = write_attr(remove, "1");
        if (r == -ENOENT)
                return vgpu_error_set(err, ENODEV, dev, "No mdev %s on this host.", uuid);
        if (r < 0)
                return vgpu_error_set(err, r, remove, "Cannot remove mdev %s%s.", uuid,
                                      r == -EBUSY || r == -EAGAIN ? ": the driver says it is in use" : "");
        return 0;
}

static int mdev_in_use(const struct backend_ctx *ctx, const char *device, pid_t *ret_pid,
                       struct vgpu_error *err) {
        _cleanup_free_ char *dev = NULL, *comm = NULL;
        _cleanup_strv_free_ char **nodes = NULL;
        char uuid[UUID_STRING_MAX];
        pid_t pid;
        int r;

        if (uuid_normalize(device, uuid) < 0)
                return vgpu_error_set(err, EINVAL, NULL, "Invalid UUID \"%s\".", strna(device));
        dev = sysfs_path(ctx->sysfs_root, SYSFS_MDEV_DEVICES "/%s", uuid);
        if (!dev)
                return -ENOMEM;
        r = vfio_device_nodes(dev, ctx->dev_vfio_dir, &nodes);
        if (r < 0)
                return vgpu_error_set(err, r, dev, "Cannot look up the VFIO nodes of mdev %s.", uuid);
        r = proc_find_holder(ctx->proc_root, nodes, &pid);
        if (r < 0)
                return vgpu_error_set(err, r, ctx->proc_root, "Cannot look for processes using mdev %s.",
                                      uuid);
        if (r == 0)
                return 0;
        (void) proc_comm(ctx->proc_root, pid, &comm);
        if (ret_pid)
                *ret_pid = pid;
        vgpu_error_set(err, EBUSY, nodes[0], "mdev %s is in use by process %d (%s).", uuid, (int) pid,
                       strna(comm));
        return 1;
}

static int mdev_read_types_op(const struct backend_ctx *ctx, const char *parent, struct vgpu_type ***ret,
                              size_t *ret_n, struct vgpu_error_list *problems) {
        return mdev_read_types(ctx->sysfs_root, parent, ret, ret_n, problems);
}

static int mdev_read_instance_op(const struct backend_ctx *ctx, const char *device,
                                 struct vgpu_instance **ret) {
        return mdev_read_instance(ctx->sysfs_root, device, ret);
}

const struct backend_ops backend_mdev = {
        .kind = VGPU_BACKEND_MDEV,
        .device_kind = VGPU_DEVICE_MDEV,
        .read_types = mdev_read_types_op,
        .create = mdev_create,
        .destroy = mdev_destroy,
        .in_use = mdev_in_use,
        .read_instance = mdev_read_instance_op,
};
