/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of binding.h. */
#include <json-c/json.h>
#include <stdarg.h>

#include "binding.h"
#include "devfile.h"
#include "error.h"
#include "pci.h"
#include "record.h"
#include "strutil.h"
#include "sysfs.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_object *, json_object_put);

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

static int add(struct json_object *o, const char *key, struct json_object *v) {
        if (!v || json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

/* JSON null is a NULL json_object in json-c. */
static int add_nullable(struct json_object *o, const char *key, const char *s) {
        if (!s)
                return json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
        return add(o, key, json_object_new_string(s));
}

int binding_to_json(const struct vgpu_binding *b, char **ret) {
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();

        if (!o)
                return -ENOMEM;
        if (add(o, "version", json_object_new_int(BINDING_VERSION)) < 0 ||
            add(o, "device", json_object_new_string(b->device)) < 0 ||
            add_nullable(o, "original_driver", b->original_driver) < 0 ||
            add_nullable(o, "original_override", b->original_override) < 0 ||
            add(o, "persistent", json_object_new_boolean(b->persistent)) < 0 ||
            add(o, "instance", json_object_new_string(b->instance)) < 0)
                return -ENOMEM;
        if (b->bound_with[0] && add(o, "bound_with", json_object_new_string(b->bound_with)) < 0)
                return -ENOMEM;
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s || asprintf(ret, "%s\n", s) < 0)
                return -ENOMEM;
        return 0;
}

/* A string value without NUL bytes, or null when nullable. */
static int get_string(struct json_object *v, const char *key, bool nullable, const char **ret,
                      char **ret_error) {
        if (nullable && json_object_is_type(v, json_type_null)) {
                *ret = NULL;
                return 0;
        }
        if (!json_object_is_type(v, json_type_string))
                return reason_set(ret_error, -EINVAL, "\"%s\" must be a string%s", key,
                                  nullable ? " or null" : "");
        *ret = json_object_get_string(v);
        if (strlen(*ret) != (size_t) json_object_get_string_len(v))
                return reason_set(ret_error, -EINVAL, "\"%s\" contains a NUL character", key);
        return 0;
}

int binding_from_json(const char *text, size_t len, struct vgpu_binding **ret, char **ret_error) {
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        _cleanup_(binding_freep) struct vgpu_binding *b = NULL;
        bool have_version = false, have_device = false;
        int k;

        *ret_error = NULL;
        k = json_parse_document(text, len, &o, ret_error);
        if (k < 0)
                return k;
        if (!json_object_is_type(o, json_type_object))
                return reason_set(ret_error, -EINVAL, "the document must be a JSON object");
        b = calloc(1, sizeof(*b));
        if (!b)
                return -ENOMEM;
        json_object_object_foreach(o, key, v) {
                const char *s;
                if (streq(key, "version")) {
                        if (!json_object_is_type(v, json_type_int) ||
                            json_object_get_int64(v) != BINDING_VERSION)
                                return reason_set(ret_error, -EINVAL, "\"version\" must be %d",
                                                  BINDING_VERSION);
                        have_version = true;
                } else if (streq(key, "device") || streq(key, "bound_with")) {
                        char *dst = streq(key, "device") ? b->device : b->bound_with;
                        if ((k = get_string(v, key, false, &s, ret_error)) < 0)
                                return k;
                        if (pci_bdf_normalize(s, dst) < 0)
                                return reason_set(ret_error, -EINVAL, "\"%s\" is not a PCI address: \"%s\"",
                                                  key, s);
                        have_device = have_device || streq(key, "device");
                } else if (streq(key, "original_driver") || streq(key, "original_override")) {
                        char **dst =
                                streq(key, "original_driver") ? &b->original_driver : &b->original_override;
                        if ((k = get_string(v, key, true, &s, ret_error)) < 0)
                                return k;
                        if (s && !sysfs_name_is_valid(s))
                                return reason_set(ret_error, -EINVAL, "\"%s\" is not a driver name", key);
                        if (s && !(*dst = strdup(s)))
                                return -ENOMEM;
                } else if (streq(key, "persistent")) {
                        if (!json_object_is_type(v, json_type_boolean))
                                return reason_set(ret_error, -EINVAL,
                                                  "\"persistent\" must be true or false");
                        b->persistent = json_object_get_boolean(v);
                } else if (streq(key, "instance")) {
                        if ((k = get_string(v, key, false, &s, ret_error)) < 0)
                                return k;
                        if (*s && uuid_normalize(s, b->instance) < 0)
                                return reason_set(ret_error, -EINVAL, "\"instance\" is not a UUID: \"%s\"",
                                                  s);
                } else
                        return reason_set(ret_error, -EINVAL, "unknown key \"%s\"", key);
        }
        if (!have_version)
                return reason_set(ret_error, -EINVAL, "missing \"version\"");
        if (!have_device)
                return reason_set(ret_error, -EINVAL, "missing \"device\"");
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
