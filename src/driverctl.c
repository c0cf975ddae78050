/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of driverctl.h. */
#include <dirent.h>

#include "driverctl.h"
#include "fileio.h"
#include "pci.h"
#include "strutil.h"
#include "sysfs.h"

#define DRIVERCTL_FILE_MAX 256

static char *override_path(const char *dir, const char *bdf) {
        char n[PCI_BDF_MAX];
        char *p;

        if (pci_bdf_normalize(bdf, n) < 0)
                return NULL;
        /* driverctl names the file "<bus>-<device>" with the device as the kernel spells it */
        if (asprintf(&p, "%s/pci-%s", dir, n) < 0)
                return NULL;
        return p;
}

int driverctl_read(const char *dir, const char *bdf, char **ret_driver, struct vgpu_error *err) {
        _cleanup_free_ char *path = override_path(dir, bdf), *text = NULL;
        size_t len;
        int r;

        if (!path)
                return vgpu_error_set(err, EINVAL, NULL, "Invalid PCI address \"%s\".", strna(bdf));
        r = read_full_file(path, DRIVERCTL_FILE_MAX, &text, &len);
        if (r == -ENOENT)
                return -ENOENT;
        if (r < 0)
                return vgpu_error_set(err, r, path, "Cannot read driverctl's override of %s.", bdf);
        /* "vfio-pci\n": one name, as `echo "$drv" >` writes it */
        while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
                text[--len] = 0;
        if (!sysfs_name_is_valid(text))
                return vgpu_error_set(err, EINVAL, path, "driverctl's override of %s is not a driver name.",
                                      bdf);
        *ret_driver = TAKE_PTR(text);
        return 0;
}

int driverctl_save(const char *dir, const char *bdf, const char *driver, struct vgpu_error *err) {
        _cleanup_free_ char *path = override_path(dir, bdf), *text = NULL;
        int r;

        if (!path)
                return vgpu_error_set(err, EINVAL, NULL, "Invalid PCI address \"%s\".", strna(bdf));
        if (!sysfs_name_is_valid(driver))
                return vgpu_error_set(err, EINVAL, NULL, "Invalid driver name \"%s\".", strna(driver));
        if (asprintf(&text, "%s\n", driver) < 0)
                return -ENOMEM;
        r = mkdir_p(dir, 0755);
        if (r < 0)
                return vgpu_error_set(err, r, dir, "Cannot create driverctl's directory.");
        r = write_file_atomic(path, text, strlen(text), 0644);
        if (r < 0)
                return vgpu_error_set(err, r, path, "Cannot write driverctl's override of %s.", bdf);
        return 0;
}

int driverctl_delete(const char *dir, const char *bdf, struct vgpu_error *err) {
        _cleanup_free_ char *path = override_path(dir, bdf);

        if (!path)
                return vgpu_error_set(err, EINVAL, NULL, "Invalid PCI address \"%s\".", strna(bdf));
        if (unlink(path) < 0) {
                if (errno == ENOENT)
                        return -ENOENT;
                return vgpu_error_set(err, errno, path, "Cannot remove driverctl's override of %s.", bdf);
        }
        return 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int driverctl_list(const char *dir, char ***ret) {
        _cleanup_strv_free_ char **v = calloc(1, sizeof(char *));
        DIR *d;
        int r = 0;

        if (!v)
                return -ENOMEM;
        d = opendir(dir);
        if (!d) {
                if (errno != ENOENT)
                        return negative_errno();
                *ret = TAKE_PTR(v);
                return 0;
        }
        for (struct dirent *de; r >= 0 && (de = readdir(d));) {
                char bdf[PCI_BDF_MAX];
                const char *name = de->d_name + 4;
                /* other buses (driverctl handles only pci today) and strangers are not ours */
                if (strncmp(de->d_name, "pci-", 4) != 0 || pci_bdf_normalize(name, bdf) < 0 ||
                    !streq(name, bdf))
                        continue;
                r = strv_extend(&v, bdf);
        }
        closedir(d);
        if (r < 0)
                return r;
        qsort(v, strv_length(v), sizeof(char *), cmp_str);
        *ret = TAKE_PTR(v);
        return 0;
}
