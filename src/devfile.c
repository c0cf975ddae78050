/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of devfile.h. */
#include <dirent.h>

#include "devfile.h"
#include "fileio.h"
#include "pci.h"
#include "strutil.h"

char *devfile_path(const char *dir, const char *bdf) {
        char n[PCI_BDF_MAX];
        char *p;

        if (pci_bdf_normalize(bdf, n) < 0)
                return NULL;
        if (asprintf(&p, "%s/%s.json", dir, n) < 0)
                return NULL;
        return p;
}

int devfile_write(const char *dir, const char *bdf, const char *text, struct vgpu_error *err) {
        _cleanup_free_ char *path = devfile_path(dir, bdf);
        int r;

        if (!path)
                return vgpu_error_set(err, EINVAL, NULL, "Invalid PCI address \"%s\".", strna(bdf));
        r = mkdir_p(dir, 0755);
        if (r < 0)
                return vgpu_error_set(err, r, dir, "Cannot create the directory.");
        r = write_file_atomic(path, text, strlen(text), 0644);
        if (r < 0)
                return vgpu_error_set(err, r, path, "Cannot write the state of %s.", bdf);
        return 0;
}

int devfile_read(const char *dir, const char *bdf, char **ret_text, struct vgpu_error *err) {
        _cleanup_free_ char *path = devfile_path(dir, bdf);
        int r;

        if (!path)
                return vgpu_error_set(err, EINVAL, NULL, "Invalid PCI address \"%s\".", strna(bdf));
        r = read_full_file(path, DEVFILE_MAX, ret_text, NULL);
        if (r == -EFBIG)
                return vgpu_error_set(err, EFBIG, path, "Larger than %d bytes; not a state file.",
                                      DEVFILE_MAX);
        if (r < 0)
                return vgpu_error_set(err, r, path, "Cannot read the state of %s.", bdf);
        return 0;
}

int devfile_delete(const char *dir, const char *bdf, struct vgpu_error *err) {
        _cleanup_free_ char *path = devfile_path(dir, bdf);

        if (!path)
                return vgpu_error_set(err, EINVAL, NULL, "Invalid PCI address \"%s\".", strna(bdf));
        if (unlink(path) < 0)
                return vgpu_error_set(err, errno, path, "Cannot remove the state of %s.", bdf);
        return 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int devfile_list(const char *dir, char ***ret, struct vgpu_error_list *problems) {
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
                _cleanup_free_ char *path = NULL, *name = NULL;
                char bdf[PCI_BDF_MAX];

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                if (strstr(de->d_name, ".json.tmp.")) {
                        int k = unlink(path) < 0 ? negative_errno() : 0;
                        (void) vgpu_error_list_add(
                                problems, k, path,
                                k < 0 ? "Temporary file of an interrupted write; cannot "
                                        "remove it."
                                      : "Temporary file of an interrupted write, removed.");
                        continue;
                }
                name = strdup(de->d_name);
                if (!name) {
                        r = -ENOMEM;
                        break;
                }
                if (!endswith(name, ".json") ||
                    (name[strlen(name) - 5] = 0, pci_bdf_normalize(name, bdf) < 0) || !streq(name, bdf)) {
                        (void) vgpu_error_list_add(
                                problems, 0, path,
                                "Not a state file (expected <pci address>.json), ignored.");
                        continue;
                }
                r = strv_extend(&v, bdf);
        }
        closedir(d);
        if (r < 0)
                return r;
        qsort(v, strv_length(v), sizeof(char *), cmp_str);
        *ret = TAKE_PTR(v);
        return 0;
}
