/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of vfio.h. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>

#include "fileio.h"
#include "log.h"
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
        /* No VFIO on the host at all: the device has no node anyone could hold, whatever sysfs says. One
         * stat, where reading the device's links costs three lookups in sysfs on every destroy. */
        if (access(dev_vfio_dir, F_OK) < 0 && errno == ENOENT) {
                *ret = TAKE_PTR(v);
                return 0;
        }
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
        /* Nobody holds a node that does not exist (no vfio driver on the device, no /dev/vfio): one stat
         * each instead of reading every descriptor of every process, the cost of an in-use check. */
        bool any = false;
        for (char *const *p = paths; *p && !any; p++)
                any = access(*p, F_OK) >= 0 || errno != ENOENT;
        if (!any)
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

/* ---- binding ---- */

int pci_read_binding(const char *sysfs_root, const char *bdf, char **ret_driver, char **ret_override) {
        _cleanup_free_ char *path = NULL, *driver = NULL, *override = NULL;
        _cleanup_close_ int dfd = -1;
        int r;

        if (!sysfs_name_is_valid(bdf))
                return -EINVAL;
        path = sysfs_path(sysfs_root, SYSFS_PCI_DEVICES "/%s", bdf);
        if (!path)
                return -ENOMEM;
        dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return errno == ENOENT ? -ENODEV : negative_errno();
        r = sysfs_read_link_name_at(dfd, "driver", &driver);
        if (r < 0 && r != -ENOENT)
                return r;
        if (ret_override) {
                r = read_attr_at(dfd, "driver_override", &override);
                if (r < 0 && r != -ENOENT)
                        return r;
                if (override && (streq(override, "(null)") || isempty(override))) {
                        free(override);
                        override = NULL;
                }
                *ret_override = TAKE_PTR(override);
        }
        if (ret_driver)
                *ret_driver = TAKE_PTR(driver);
        return 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int vfio_group_members(const char *sysfs_root, const char *bdf, int *ret_group, char ***ret_members) {
        _cleanup_free_ char *dev = NULL, *group = NULL, *dir = NULL;
        _cleanup_strv_free_ char **v = calloc(1, sizeof(char *));
        unsigned g;
        DIR *d;
        int r;

        if (!v)
                return -ENOMEM;
        if (!sysfs_name_is_valid(bdf))
                return -EINVAL;
        dev = sysfs_path(sysfs_root, SYSFS_PCI_DEVICES "/%s", bdf);
        if (!dev)
                return -ENOMEM;
        _cleanup_free_ char *link = NULL;
        if (asprintf(&link, "%s/iommu_group", dev) < 0)
                return -ENOMEM;
        r = sysfs_read_link_name_at(AT_FDCWD, link, &group);
        if (r < 0)
                return r == -ENOENT && access(dev, F_OK) < 0 ? -ENODEV : r;
        if (safe_atou(group, &g) < 0 || g > INT32_MAX)
                return -EINVAL;
        dir = sysfs_path(sysfs_root, SYSFS_IOMMU_GROUPS "/%u/devices", g);
        if (!dir)
                return -ENOMEM;
        d = opendir(dir);
        if (!d)
                return negative_errno();
        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_name[0] == '.' || !sysfs_name_is_valid(de->d_name))
                        continue;
                r = strv_extend(&v, de->d_name);
                if (r < 0) {
                        closedir(d);
                        return r;
                }
        }
        closedir(d);
        qsort(v, strv_length(v), sizeof(char *), cmp_str);
        if (ret_group)
                *ret_group = (int) g;
        *ret_members = TAKE_PTR(v);
        return 0;
}

bool pci_is_bridge(const char *sysfs_root, const char *bdf) {
        _cleanup_free_ char *path = sysfs_path(sysfs_root, SYSFS_PCI_DEVICES "/%s/class", bdf);
        unsigned long long c;

        return path && read_attr_u64(path, 16, &c) >= 0 && (c >> 8) == 0x0604;
}

static bool driver_is_vfio_viable(const char *driver) {
        return !driver || streq(driver, VFIO_PCI_DRIVER) || streq(driver, "pci-stub");
}

int vfio_group_check_viable(const char *sysfs_root, const char *bdf, char *const *also,
                            struct vgpu_error *err) {
        _cleanup_strv_free_ char **members = NULL;
        int group, r;

        r = vfio_group_members(sysfs_root, bdf, &group, &members);
        if (r == -ENOENT)
                return vgpu_error_set(err, ENOENT, NULL,
                                      "%s has no IOMMU group: VFIO cannot use it (is the IOMMU enabled, "
                                      "intel_iommu=on or amd_iommu=on?).",
                                      bdf);
        if (r < 0)
                return vgpu_error_set(err, r, NULL, "Cannot read the IOMMU group of %s.", bdf);
        for (char **m = members; *m; m++) {
                _cleanup_free_ char *driver = NULL;
                if (streq(*m, bdf) || strv_contains(also, *m) || pci_is_bridge(sysfs_root, *m))
                        continue;
                r = pci_read_binding(sysfs_root, *m, &driver, NULL);
                if (r == -ENODEV)
                        continue; /* left the group while we looked */
                if (r < 0)
                        return vgpu_error_set(err, r, NULL, "Cannot read the driver of %s.", *m);
                if (driver_is_vfio_viable(driver))
                        continue;
                _cleanup_free_ char *path = sysfs_path(sysfs_root, SYSFS_PCI_DEVICES "/%s/driver", *m);
                return vgpu_error_set(err, EBUSY, path,
                                      "%s shares IOMMU group %d with %s and is bound to %s: VFIO can use "
                                      "the group only when every member is bound to vfio-pci or pci-stub "
                                      "or to no driver. Bind %s to vfio-pci as well, or unbind it from %s.",
                                      *m, group, bdf, driver, *m, driver);
        }
        return 0;
}

static int write_device_attr(const char *sysfs_root, const char *bdf, const char *name, const char *value,
                             char **ret_path) {
        _cleanup_free_ char *path = sysfs_path(sysfs_root, SYSFS_PCI_DEVICES "/%s/%s", bdf, name);
        if (!path)
                return -ENOMEM;
        int r = write_attr(path, value);
        if (ret_path)
                *ret_path = TAKE_PTR(path);
        return r;
}

static int write_bus_attr(const char *sysfs_root, const char *rel, const char *bdf, char **ret_path) {
        _cleanup_free_ char *path = sysfs_path(sysfs_root, "%s", rel);
        if (!path)
                return -ENOMEM;
        int r = write_attr(path, bdf);
        if (ret_path)
                *ret_path = TAKE_PTR(path);
        return r;
}

static int driver_file(const char *driver, const char *file, char **ret) {
        if (!sysfs_name_is_valid(driver))
                return -EINVAL;
        return asprintf(ret, SYSFS_PCI_DRIVERS "/%s/%s", driver, file) < 0 ? -ENOMEM : 0;
}

/* Put the override back and let the kernel probe the device again (after a failed bind). */
static void restore_binding(const char *sysfs_root, const char *bdf, const char *override) {
        _cleanup_free_ char *driver = NULL;

        (void) write_device_attr(sysfs_root, bdf, "driver_override", override ?: "\n", NULL);
        if (pci_read_binding(sysfs_root, bdf, &driver, NULL) >= 0 && !driver)
                (void) write_bus_attr(sysfs_root, SYSFS_PCI_DRIVERS_PROBE, bdf, NULL);
}

int vfio_bind(const char *sysfs_root, const char *bdf, struct vgpu_error *err) {
        _cleanup_free_ char *driver = NULL, *override = NULL, *vfio = NULL, *unbind = NULL, *path = NULL,
                            *now = NULL;
        int r;

        r = pci_read_binding(sysfs_root, bdf, &driver, &override);
        if (r == -ENODEV)
                return vgpu_error_set(err, ENODEV, NULL, "No PCI device %s on this host.", bdf);
        if (r < 0)
                return vgpu_error_set(err, r, NULL, "Cannot read the driver of %s.", bdf);
        if (streq_ptr(driver, VFIO_PCI_DRIVER))
                return 0;
        vfio = sysfs_path(sysfs_root, SYSFS_PCI_DRIVERS "/" VFIO_PCI_DRIVER);
        if (!vfio)
                return -ENOMEM;
        if (access(vfio, F_OK) < 0)
                return vgpu_error_set(
                        err, ENOENT, vfio,
                        "The vfio-pci driver is not loaded (modprobe vfio-pci), so %s cannot be "
                        "bound to it.",
                        bdf);

        r = write_device_attr(sysfs_root, bdf, "driver_override", VFIO_PCI_DRIVER, &path);
        if (r < 0)
                return vgpu_error_set(err, r, path, "Cannot set the driver override of %s.", bdf);
        if (driver) {
                free(path);
                path = NULL;
                r = driver_file(driver, "unbind", &unbind);
                if (r >= 0)
                        r = write_bus_attr(sysfs_root, unbind, bdf, &path);
                if (r < 0) {
                        restore_binding(sysfs_root, bdf, override);
                        return vgpu_error_set(err, r, path, "Cannot unbind %s from %s; nothing was changed.",
                                              bdf, driver);
                }
        }
        free(path);
        path = NULL;
        r = write_bus_attr(sysfs_root, SYSFS_PCI_DRIVERS_PROBE, bdf, &path);
        if (r >= 0)
                r = pci_read_binding(sysfs_root, bdf, &now, NULL);
        if (r >= 0 && !streq_ptr(now, VFIO_PCI_DRIVER))
                r = -ENODEV;
        if (r < 0) {
                restore_binding(sysfs_root, bdf, override);
                return vgpu_error_set(err, r, path, "vfio-pci did not take %s; it was given back to %s.",
                                      bdf, driver ?: "no driver");
        }
        return 1;
}

int vfio_unbind(const char *sysfs_root, const char *bdf, const char *original_driver,
                const char *original_override, struct vgpu_error *err) {
        _cleanup_free_ char *driver = NULL, *path = NULL, *now = NULL;
        int r;

        r = pci_read_binding(sysfs_root, bdf, &driver, NULL);
        if (r == -ENODEV)
                return vgpu_error_set(err, ENODEV, NULL, "No PCI device %s on this host.", bdf);
        if (r < 0)
                return vgpu_error_set(err, r, NULL, "Cannot read the driver of %s.", bdf);

        r = write_device_attr(sysfs_root, bdf, "driver_override", original_override ?: "\n", &path);
        if (r < 0)
                return vgpu_error_set(err, r, path, "Cannot reset the driver override of %s.", bdf);
        if (!streq_ptr(driver, VFIO_PCI_DRIVER) && driver)
                return 0; /* someone gave it to another driver already: that is not ours to undo */
        if (driver) {
                free(path);
                path = sysfs_path(sysfs_root, SYSFS_PCI_DRIVERS "/" VFIO_PCI_DRIVER "/unbind");
                if (!path)
                        return -ENOMEM;
                r = write_attr(path, bdf);
                if (r < 0)
                        return vgpu_error_set(err, r, path, "Cannot unbind %s from vfio-pci%s.", bdf,
                                              r == -EBUSY ? ": it is in use" : "");
        }
        free(path);
        path = NULL;
        r = write_bus_attr(sysfs_root, SYSFS_PCI_DRIVERS_PROBE, bdf, &path);
        if (r < 0)
                return vgpu_error_set(err, r, path, "%s left vfio-pci but could not be probed again.", bdf);
        if (!original_driver || streq(original_driver, VFIO_PCI_DRIVER))
                return 0;
        r = pci_read_binding(sysfs_root, bdf, &now, NULL);
        if (r < 0 || streq_ptr(now, original_driver) || now)
                return 0; /* the probe brought it back, or gave it to a driver we leave alone */
        _cleanup_free_ char *bind = NULL;
        r = driver_file(original_driver, "bind", &bind);
        if (r >= 0) {
                free(path);
                path = NULL;
                r = write_bus_attr(sysfs_root, bind, bdf, &path);
        }
        if (r < 0)
                log_warning_errno(r, "%s left vfio-pci, but binding it back to %s failed: %m", bdf,
                                  original_driver);
        return 0;
}

int vfio_device_holder(const char *dev_path, const char *dev_vfio_dir, const char *proc_root, pid_t *ret_pid,
                       char **ret_node) {
        _cleanup_strv_free_ char **nodes = NULL;
        pid_t pid;
        int r;

        r = vfio_device_nodes(dev_path, dev_vfio_dir, &nodes);
        if (r < 0)
                return r;
        r = proc_find_holder(proc_root, nodes, &pid);
        if (r <= 0)
                return r;
        if (ret_pid)
                *ret_pid = pid;
        if (ret_node)
                *ret_node = nodes[0] ? strdup(nodes[0]) : NULL;
        return 1;
}
