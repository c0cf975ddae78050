/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of vfio.h. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>

#include "fileio.h"
#include "parse-util.h"
#include "strutil.h"
#include "sysfs.h"
#include "vfio.h"

int vfio_device_nodes(const char *dev_path, const char *dev_vfio_dir, char ***ret) {
        _cleanup_strv_free_ char **v = calloc(1, sizeof(char *));
        _cleanup_free_ char *group = NULL, *cdev_dir = NULL;
        _cleanup_close_ int dfd = -1;
        char *node;
        int r;

        if (!v)
                return -ENOMEM;
        dfd = open(dev_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return errno == ENOENT ? -ENODEV : negative_errno();

        r = sysfs_read_link_name_at(dfd, "iommu_group", &group);
        if (r >= 0) {
                if (asprintf(&node, "%s/%s", dev_vfio_dir, group) < 0 || strv_consume(&v, node) < 0)
                        return -ENOMEM;
        } else if (r != -ENOENT)
                return r;

        if (asprintf(&cdev_dir, "%s/vfio-dev", dev_path) < 0)
                return -ENOMEM;
        DIR *d = opendir(cdev_dir);
        if (d) {
                for (struct dirent *de; (de = readdir(d));) {
                        if (!startswith(de->d_name, "vfio") || !sysfs_name_is_valid(de->d_name))
                                continue;
                        if (asprintf(&node, "%s/devices/%s", dev_vfio_dir, de->d_name) < 0 ||
                            strv_consume(&v, node) < 0) {
                                closedir(d);
                                return -ENOMEM;
                        }
                }
                closedir(d);
        }
        *ret = TAKE_PTR(v);
        return 0;
}

static int pid_holds(int proc_fd, const char *pid, char *const *paths) {
        _cleanup_free_ char *fd_dir = NULL;
        int found = 0;

        if (asprintf(&fd_dir, "%s/fd", pid) < 0)
                return -ENOMEM;
        int dfd = openat(proc_fd, fd_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return 0; /* gone, or not ours to look at */
        DIR *d = fdopendir(dfd);
        if (!d) {
                close(dfd);
                return 0;
        }
        for (struct dirent *de; !found && (de = readdir(d));) {
                char target[PATH_MAX];
                if (de->d_name[0] == '.')
                        continue;
                ssize_t k = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
                if (k < 0)
                        continue;
                target[k] = 0;
                found = strv_contains(paths, target);
        }
        closedir(d);
        return found;
}

int proc_find_holder(const char *proc_root, char *const *paths, pid_t *ret_pid) {
        _cleanup_close_ int proc_fd = -1;
        DIR *d;
        int r = 0;

        if (!paths || !*paths)
                return 0;
        proc_fd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (proc_fd < 0)
                return negative_errno();
        d = opendir(proc_root);
        if (!d)
                return negative_errno();
        for (struct dirent *de; r == 0 && (de = readdir(d));) {
                unsigned pid;
                if (safe_atou(de->d_name, &pid) < 0 || pid == 0)
                        continue;
                r = pid_holds(proc_fd, de->d_name, paths);
                if (r > 0)
                        *ret_pid = (pid_t) pid;
        }
        closedir(d);
        return r;
}

int proc_comm(const char *proc_root, pid_t pid, char **ret) {
        _cleanup_free_ char *p = NULL;
        if (asprintf(&p, "%s/%d/comm", proc_root, (int) pid) < 0)
                return -ENOMEM;
        return read_attr(p, ret);
}
