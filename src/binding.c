/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of binding.h. */
#include <stddef.h>

#include "binding.h"
#include "devfile.h"
#include "error.h"
#include "json-codec.h"
#include "pci.h"
#include "strutil.h"
#include "sysfs.h"
#include "vfio.h"

#define BINDING_VERSION 1

int binding_new(const char *device, struct vgpu_binding **ret) {
        struct vgpu_binding *b = calloc(1, sizeof(*b));

        if (!b)
                return -ENOMEM;
        if (pci_bdf_normalize(device, b->device) < 0) {
                free(b);
                return -EINVAL;
        }
        *ret = b;
        return 0;
}

void binding_free(struct vgpu_binding *b) {
        if (!b)
                return;
        free(b->original_driver);
        free(b->original_override);
        free(b);
}

void bindings_free(struct vgpu_binding **v, size_t n) {
        for (size_t i = 0; i < n; i++)
                binding_free(v[i]);
        free(v);
}

/* "instance": "" when the device was bound on request, else the vf instance's UUID. */
static int instance_normalize(const char *s, char *ret) {
        if (!*s) {
                ret[0] = 0;
                return 0;
        }
        return uuid_normalize(s, ret);
}

#define B struct vgpu_binding

static const JsonField binding_fields[] = {
        JSON_NAME("device", B, device, JSON_REQUIRED, pci_bdf_normalize, "is not a PCI address"),
        /* null: it had none (written so, not left out: the note says what was there) */
        JSON_STRING("original_driver", B, original_driver, JSON_NULLABLE | JSON_WRITE_NULL,
                    sysfs_name_is_valid, "is not a driver name"),
        JSON_STRING("original_override", B, original_override, JSON_NULLABLE | JSON_WRITE_NULL,
                    sysfs_name_is_valid, "is not a driver name"),
        JSON_BOOL("persistent", B, persistent),
        JSON_NAME("instance", B, instance, 0, instance_normalize, "is not a UUID"),
        JSON_BOOL("on_request", B, on_request),
        JSON_NAME("bound_with", B, bound_with, JSON_OMIT_UNSET, pci_bdf_normalize, "is not a PCI address"),
};
#undef B

static const JsonCodec binding_codec = {
        .version = BINDING_VERSION,
        .fields = binding_fields,
        .n_fields = ELEMENTSOF(binding_fields),
};

int binding_to_json(const struct vgpu_binding *b, char **ret) {
        return json_codec_format(&binding_codec, b, true, ret);
}

int binding_from_json(const char *text, size_t len, struct vgpu_binding **ret, char **ret_error) {
        _cleanup_(binding_freep) struct vgpu_binding *b = calloc(1, sizeof(*b));
        int k;

        *ret_error = NULL;
        if (!b)
                return -ENOMEM;
        k = json_codec_parse(&binding_codec, text, len, b, ret_error);
        if (k < 0)
                return k;
        *ret = TAKE_PTR(b);
        return 0;
}

static char *bindings_dir(const char *base_dir) {
        char *d;
        return asprintf(&d, "%s/" BINDINGS_DIR, base_dir) < 0 ? NULL : d;
}

int binding_save(const char *base_dir, const struct vgpu_binding *b, struct vgpu_error *err) {
        _cleanup_free_ char *dir = bindings_dir(base_dir), *text = NULL;
        int r;

        if (!dir)
                return -ENOMEM;
        r = binding_to_json(b, &text);
        if (r < 0)
                return r;
        return devfile_write(dir, b->device, text, err);
}

int binding_load(const char *base_dir, const char *bdf, struct vgpu_binding **ret, struct vgpu_error *err) {
        _cleanup_free_ char *dir = bindings_dir(base_dir), *text = NULL, *why = NULL, *path = NULL;
        _cleanup_(binding_freep) struct vgpu_binding *b = NULL;
        char n[PCI_BDF_MAX];
        int r;

        if (!dir)
                return -ENOMEM;
        if (pci_bdf_normalize(bdf, n) < 0)
                return vgpu_error_set(err, EINVAL, NULL, "Invalid PCI address \"%s\".", strna(bdf));
        path = devfile_path(dir, n);
        if (!path)
                return -ENOMEM;
        r = devfile_read(dir, n, &text, NULL);
        if (r == -ENOENT)
                return -ENOENT;
        if (r < 0)
                return vgpu_error_set(err, r, path, "Cannot read the binding note of %s.", n);
        r = binding_from_json(text, strlen(text), &b, &why);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return vgpu_error_set(err, EINVAL, path, "Corrupt binding note, ignored: %s.", strna(why));
        if (!streq(b->device, n))
                return vgpu_error_set(err, EINVAL, path, "Corrupt binding note, ignored: it names %s.",
                                      b->device);
        *ret = TAKE_PTR(b);
        return 0;
}

int binding_delete(const char *base_dir, const char *bdf, struct vgpu_error *err) {
        _cleanup_free_ char *dir = bindings_dir(base_dir);
        int r;

        if (!dir)
                return -ENOMEM;
        r = devfile_delete(dir, bdf, err);
        if (r == -ENOENT)
                vgpu_error_clear(err);
        return r;
}

int binding_drop_instance(const char *base_dir, struct vgpu_binding *note, struct vgpu_error *err) {
        if (streq_ptr(note->original_driver, VFIO_PCI_DRIVER)) {
                int r = binding_delete(base_dir, note->device, err);
                return r == -ENOENT ? 0 : r;
        }
        note->instance[0] = 0;
        note->on_request = false;
        return binding_save(base_dir, note, err);
}

int binding_load_all(const char *base_dir, struct vgpu_binding ***ret, size_t *ret_n,
                     struct vgpu_error_list *problems) {
        _cleanup_free_ char *dir = bindings_dir(base_dir);
        _cleanup_strv_free_ char **names = NULL;
        struct vgpu_binding **v = NULL;
        size_t n = 0;
        int r;

        if (!dir)
                return -ENOMEM;
        r = devfile_list(dir, &names, problems);
        if (r < 0)
                return r;
        v = calloc(strv_length(names) + 1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        for (char **s = names; *s; s++) {
                struct vgpu_error e = {};
                r = binding_load(base_dir, *s, &v[n], &e);
                if (r == -ENOMEM) {
                        bindings_free(v, n);
                        return r;
                }
                if (r < 0) {
                        (void) vgpu_error_list_take(problems, &e);
                        continue;
                }
                n++;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}
