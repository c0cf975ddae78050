/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading mediated devices from sysfs: the parents registered in
 * class/mdev_bus, the types each offers (mdev_supported_types/<id>/ with
 * device_api, available_instances, name, description) and the mdev
 * instances in bus/mdev/devices (parent, type, IOMMU group, driver). Writing
 * (create/remove) is backend-mdev.c's job.
 */
#pragma once

#include "error.h"
#include "model.h"

/* Names in <root>/class/mdev_bus, sorted. A missing directory is an empty list. */
int mdev_list_parents(const char *sysfs_root, char ***ret);
/* Is name a registered parent (its mdev_supported_types is there)? */
bool mdev_parent_is_registered(const char *sysfs_root, const char *name);

/* The types of a parent, sorted by id, with live availability. A type
 * directory that is incomplete (no device_api or available_instances) or
 * vanishes mid-read is skipped and reported in problems (if non-NULL).
 * -ENODEV when the parent is not registered. */
int mdev_read_types(const char *sysfs_root, const char *parent, struct vgpu_type ***ret, size_t *ret_n,
                    struct vgpu_error_list *problems);
void mdev_types_free(struct vgpu_type **types, size_t n);

int mdev_read_available(const char *sysfs_root, const char *parent, const char *type_id, unsigned *ret);

/* One type's available_instances as mdev_read_availability() found it. */
struct mdev_available {
        const char *type_id; /* in: the raw type id */
        unsigned available;  /* out */
        int error;           /* out: 0, or -errno for this type alone (-ENODEV: the type is gone) */
};
/* The available_instances of several types of one parent, each read relative to the parent's
 * mdev_supported_types directory: one walk of the long path through class/mdev_bus instead of one per
 * type (every component of a sysfs path is a lookup; on FUSE a round trip each), and with a cache
 * (attr-cache.h; NULL: none) not even that: the attributes stay open and are read again with pread().
 * A type that cannot be read gets its own error and the others are still read. -ENODEV when the parent
 * is not registered. */
struct attr_cache;
int mdev_read_availability(const char *sysfs_root, struct attr_cache *cache, const char *parent,
                           struct mdev_available *v, size_t n);

/* UUIDs in <root>/bus/mdev/devices, sorted; names that are not UUIDs are skipped. */
int mdev_list_instances(const char *sysfs_root, char ***ret);
/* Read one mdev; -ENODEV when it does not exist, -EAGAIN when it is there without its mdev_type link: not
 * finished. Linux (mdev_device_create()) announces the device ("add") and binds its driver before it links
 * the type, and no uevent follows the link; an mdev being removed loses the link first. */
int mdev_read_instance(const char *sysfs_root, const char *uuid, struct vgpu_instance **ret);
/* Read an mdev just created under parent (parent_fd: the parent's device directory, e.g. O_PATH) with
 * the type it was created as: its directory is the parent's child, so this is one lookup and the links,
 * where mdev_read_instance() walks bus/mdev/devices and follows the device's link back. */
int mdev_read_created(int parent_fd, const char *parent, const char *type_id, const char *uuid,
                      struct vgpu_instance **ret);

void instance_free(struct vgpu_instance *i);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct vgpu_instance *, instance_free);
bool instance_equal(const struct vgpu_instance *a, const struct vgpu_instance *b);
/* Move src's sysfs fields into dst, keeping dst's links. */
void instance_take_fields(struct vgpu_instance *dst, struct vgpu_instance *src);
