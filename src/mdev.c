/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of mdev.h. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "attr-cache.h"
#include "fileio.h"
#include "mdev.h"
#include "parse-util.h"
#include "strutil.h"
#include "sysfs.h"
#include "type.h"

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Entry names of a directory that pass filter, sorted. ENOENT: empty list. */
static int list_dir(const char *path, bool (*filter)(const char *name), char ***ret) {
        _cleanup_strv_free_ char **v = NULL;
        DIR *d = opendir(path);
        int r = 0;

        if (!d) {
                if (errno != ENOENT)
                        return negative_errno();
        } else {
                for (struct dirent *de; (de = readdir(d));) {
                        if (!filter(de->d_name))
                                continue;
                        r = strv_extend(&v, de->d_name);
                        if (r < 0)
                                break;
                }
                closedir(d);
                if (r < 0)
                        return r;
        }
        if (!v) {
                v = calloc(1, sizeof(char *));
                if (!v)
                        return -ENOMEM;
        }
        qsort(v, strv_length(v), sizeof(char *), cmp_str);
        *ret = TAKE_PTR(v);
        return 0;
}

int mdev_list_parents(const char *sysfs_root, char ***ret) {
        _cleanup_free_ char *p = sysfs_path(sysfs_root, SYSFS_MDEV_BUS);
        if (!p)
                return -ENOMEM;
        return list_dir(p, sysfs_name_is_valid, ret);
}

bool mdev_parent_is_registered(const char *sysfs_root, const char *name) {
        _cleanup_free_ char *p = NULL;
        struct stat st;

        if (!sysfs_name_is_valid(name))
                return false;
        p = sysfs_path(sysfs_root, SYSFS_MDEV_BUS "/%s/" SYSFS_MDEV_TYPES, name);
        return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int read_unsigned_at(int dfd, const char *name, unsigned *ret) {
        _cleanup_free_ char *s = NULL;
        int r = read_attr_at(dfd, name, &s);
        if (r < 0)
                return r;
        return safe_atou(s, ret);
}

static int read_optional_at(int dfd, const char *name, char **ret) {
        int r = read_attr_at(dfd, name, ret);
        if (r == -ENOENT) {
                *ret = NULL;
                return 0;
        }
        return r;
}

/* Read one type directory. */
static int read_type(int types_fd, const char *id, const char *dir_path, struct vgpu_type **ret,
                     struct vgpu_error_list *problems) {
        _cleanup_(type_freep) struct vgpu_type *t = NULL;
        _cleanup_free_ char *api = NULL, *name = NULL, *desc = NULL;
        _cleanup_close_ int dfd = openat(types_fd, id, O_PATH | O_DIRECTORY | O_CLOEXEC);
        unsigned avail;
        int r;

        if (dfd < 0)
                return negative_errno();
        r = read_attr_at(dfd, "device_api", &api);
        if (r < 0)
                return vgpu_error_list_add(problems, r, dir_path, "type %s has no readable device_api", id);
        r = read_unsigned_at(dfd, "available_instances", &avail);
        if (r < 0)
                return vgpu_error_list_add(problems, r, dir_path, "type %s has no valid available_instances",
                                           id);
        if ((r = read_optional_at(dfd, "name", &name)) < 0 ||
            (r = read_optional_at(dfd, "description", &desc)) < 0)
                return vgpu_error_list_add(problems, r, dir_path, "cannot read the attributes of type %s",
                                           id);

        r = type_new(id, VGPU_BACKEND_MDEV, &t);
        if (r < 0)
                return r;
        t->available = avail;
        r = type_set_info(t, name, desc, api);
        if (r < 0)
                return r;
        if (t->parse_error && problems)
                (void) vgpu_error_list_add(problems, EINVAL, dir_path, "%s", t->parse_error);
        *ret = TAKE_PTR(t);
        return 0;
}

void mdev_types_free(struct vgpu_type **types, size_t n) {
        for (size_t i = 0; i < n; i++)
                type_free(types[i]);
        free(types);
}

int mdev_read_types(const char *sysfs_root, const char *parent, struct vgpu_type ***ret, size_t *ret_n,
                    struct vgpu_error_list *problems) {
        _cleanup_free_ char *path = NULL;
        _cleanup_strv_free_ char **ids = NULL;
        _cleanup_close_ int fd = -1;
        struct vgpu_type **v;
        size_t n = 0;
        int r;

        if (!sysfs_name_is_valid(parent))
                return -EINVAL;
        path = sysfs_path(sysfs_root, SYSFS_MDEV_BUS "/%s/" SYSFS_MDEV_TYPES, parent);
        if (!path)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ENODEV : negative_errno();
        r = list_dir(path, sysfs_name_is_valid, &ids);
        if (r < 0)
                return r;

        v = calloc(strv_length(ids) + 1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        for (char **id = ids; *id; id++) {
                _cleanup_free_ char *dir_path = NULL;
                if (asprintf(&dir_path, "%s/%s", path, *id) < 0) {
                        mdev_types_free(v, n);
                        return -ENOMEM;
                }
                r = read_type(fd, *id, dir_path, &v[n], problems);
                if (r == -ENOMEM) {
                        mdev_types_free(v, n);
                        return r;
                }
                if (r >= 0)
                        n++;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int mdev_read_available(const char *sysfs_root, const char *parent, const char *type_id, unsigned *ret) {
        _cleanup_free_ char *s = NULL, *p = NULL;
        int r;

        if (!sysfs_name_is_valid(parent) || !sysfs_name_is_valid(type_id))
                return -EINVAL;
        p = sysfs_path(sysfs_root, SYSFS_MDEV_BUS "/%s/" SYSFS_MDEV_TYPES "/%s/available_instances", parent,
                       type_id);
        if (!p)
                return -ENOMEM;
        r = read_attr(p, &s);
        if (r < 0)
                return r == -ENOENT ? -ENODEV : r;
        return safe_atou(s, ret);
}

int mdev_read_availability(const char *sysfs_root, struct attr_cache *cache, const char *parent,
                           struct mdev_available *v, size_t n) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1;

        if (!sysfs_name_is_valid(parent))
                return -EINVAL;
        path = sysfs_path(sysfs_root, SYSFS_MDEV_BUS "/%s/" SYSFS_MDEV_TYPES, parent);
        if (!path)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *rel = NULL, *key = NULL, *s = NULL;
                v[i].error = 0;
                if (!sysfs_name_is_valid(v[i].type_id)) {
                        v[i].error = -EINVAL;
                        continue;
                }
                if (asprintf(&rel, "%s/available_instances", v[i].type_id) < 0 ||
                    asprintf(&key, "%s/%s", parent, rel) < 0)
                        return -ENOMEM;
                int r = attr_cache_read(cache, key, &s);
                if (r < 0 && r != -ENOMEM) {
                        /* Not kept yet, or its descriptor is stale: open it, relative to the types
                         * directory, which is opened once for all the types that need it. */
                        if (fd < 0) {
                                fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
                                if (fd < 0)
                                        return errno == ENOENT ? -ENODEV : negative_errno();
                        }
                        r = attr_cache_open_read(cache, key, fd, rel, &s);
                }
                if (r >= 0)
                        r = safe_atou(s, &v[i].available);
                if (r == -ENOMEM)
                        return r;
                v[i].error = r == -ENOENT ? -ENODEV : MIN(r, 0);
        }
        return 0;
}

int mdev_list_instances(const char *sysfs_root, char ***ret) {
        _cleanup_free_ char *p = sysfs_path(sysfs_root, SYSFS_MDEV_DEVICES);
        if (!p)
                return -ENOMEM;
        return list_dir(p, uuid_is_valid, ret);
}

/* The parent's name from the bus link's target, "../../../devices/.../<parent>/<uuid>":
 * one readlink, where realpath() would walk every component again (costly on FUSE). */
static int parent_from_link(int devices_fd, const char *uuid, char **ret) {
        char target[PATH_MAX];
        ssize_t k = readlinkat(devices_fd, uuid, target, sizeof(target) - 1);

        if (k < 0)
                return errno == ENOENT ? -ENODEV : negative_errno();
        target[k] = 0;
        char *last = strrchr(target, '/');
        if (!last || !streq(last + 1, uuid))
                return -EINVAL;
        *last = 0;
        char *prev = strrchr(target, '/');
        const char *name = prev ? prev + 1 : target;
        if (!sysfs_name_is_valid(name) || streq(name, "devices"))
                return -EINVAL;
        *ret = strdup(name);
        return *ret ? 0 : -ENOMEM;
}

/* The links of an mdev's directory: its IOMMU group and driver, and its type unless the caller knows it. */
static int read_device_links(int dfd, struct vgpu_instance *in) {
        _cleanup_free_ char *group = NULL;
        int r;

        if (!in->type_id) {
                r = sysfs_read_link_name_at(dfd, "mdev_type", &in->type_id);
                if (r < 0)
                        return r == -ENOENT ? -ENODEV : r;
        }
        r = sysfs_read_link_name_at(dfd, "iommu_group", &group);
        if (r >= 0) {
                unsigned g;
                if (safe_atou(group, &g) >= 0 && g <= INT32_MAX)
                        in->iommu_group = (int) g;
        } else if (r != -ENOENT)
                return r;
        r = sysfs_read_link_name_at(dfd, "driver", &in->driver);
        if (r < 0 && r != -ENOENT)
                return r;
        return 0;
}

static int instance_new(const char *uuid, struct vgpu_instance **ret) {
        _cleanup_(instance_freep) struct vgpu_instance *in = calloc(1, sizeof(*in));
        int r;

        if (!in)
                return -ENOMEM;
        r = uuid_normalize(uuid, in->uuid);
        if (r < 0)
                return r;
        in->backend = VGPU_BACKEND_MDEV;
        in->iommu_group = -1;
        *ret = TAKE_PTR(in);
        return 0;
}

int mdev_read_instance(const char *sysfs_root, const char *uuid, struct vgpu_instance **ret) {
        _cleanup_(instance_freep) struct vgpu_instance *in = NULL;
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int devices_fd = -1, dfd = -1;
        int r;

        r = instance_new(uuid, &in);
        if (r < 0)
                return r;
        path = sysfs_path(sysfs_root, SYSFS_MDEV_DEVICES);
        if (!path)
                return -ENOMEM;
        devices_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (devices_fd < 0)
                return errno == ENOENT ? -ENODEV : negative_errno();
        r = parent_from_link(devices_fd, in->uuid, &in->parent_name);
        if (r < 0)
                return r;
        dfd = openat(devices_fd, in->uuid, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return errno == ENOENT ? -ENODEV : negative_errno();
        r = read_device_links(dfd, in);
        /* There, but without its type: not finished (see the header). */
        if (r == -ENODEV)
                return -EAGAIN;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(in);
        return 0;
}

int mdev_read_created(int parent_fd, const char *parent, const char *type_id, const char *uuid,
                      struct vgpu_instance **ret) {
        _cleanup_(instance_freep) struct vgpu_instance *in = NULL;
        _cleanup_close_ int dfd = -1;
        int r;

        r = instance_new(uuid, &in);
        if (r < 0)
                return r;
        in->parent_name = strdup(parent);
        in->type_id = strdup(type_id);
        if (!in->parent_name || !in->type_id)
                return -ENOMEM;
        /* The mdev core makes the device a child of its parent, named by its UUID. */
        dfd = openat(parent_fd, in->uuid, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return errno == ENOENT ? -ENODEV : negative_errno();
        r = read_device_links(dfd, in);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(in);
        return 0;
}

void instance_free(struct vgpu_instance *i) {
        if (!i)
                return;
        free(i->device);
        free(i->parent_name);
        free(i->type_id);
        free(i->driver);
        free(i);
}

bool instance_equal(const struct vgpu_instance *a, const struct vgpu_instance *b) {
        return streq(a->uuid, b->uuid) && a->backend == b->backend && streq_ptr(a->device, b->device) &&
               streq_ptr(a->parent_name, b->parent_name) && streq_ptr(a->type_id, b->type_id) &&
               a->iommu_group == b->iommu_group && streq_ptr(a->driver, b->driver);
}

void instance_take_fields(struct vgpu_instance *dst, struct vgpu_instance *src) {
        free(dst->device);
        free(dst->parent_name);
        free(dst->type_id);
        free(dst->driver);
        dst->backend = src->backend;
        dst->device = TAKE_PTR(src->device);
        dst->parent_name = TAKE_PTR(src->parent_name);
        dst->type_id = TAKE_PTR(src->type_id);
        dst->driver = TAKE_PTR(src->driver);
        dst->iommu_group = src->iommu_group;
}
