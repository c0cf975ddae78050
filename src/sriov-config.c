/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of sriov-config.h. */
#include <json-c/json.h>
#include <stdarg.h>

#include "devfile.h"
#include "error.h"
#include "pci.h"
#include "record.h"
#include "sriov-config.h"
#include "strutil.h"
#include "sysfs.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_object *, json_object_put);

#define SRIOV_CONFIG_VERSION 1

void sriov_config_free(struct vgpu_sriov_config *c) {
        if (!c)
                return;
        free(c->driver);
        free(c);
}

void sriov_configs_free(struct vgpu_sriov_config **v, size_t n) {
        for (size_t i = 0; i < n; i++)
                sriov_config_free(v[i]);
        free(v);
}

static int add(struct json_object *o, const char *key, struct json_object *v) {
        if (!v || json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

int sriov_config_to_json(const struct vgpu_sriov_config *c, char **ret) {
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();

        if (!o)
                return -ENOMEM;
        if (add(o, "version", json_object_new_int(SRIOV_CONFIG_VERSION)) < 0 ||
            add(o, "device", json_object_new_string(c->device)) < 0 ||
            add(o, "num_vfs", json_object_new_int64(c->num_vfs)) < 0 ||
            add(o, "autoprobe", json_object_new_boolean(c->autoprobe)) < 0 ||
            (c->driver && add(o, "driver", json_object_new_string(c->driver)) < 0))
                return -ENOMEM;
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s || asprintf(ret, "%s\n", s) < 0)
                return -ENOMEM;
        return 0;
}

int sriov_config_from_json(const char *text, size_t len, struct vgpu_sriov_config **ret, char **ret_error) {
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        _cleanup_(sriov_config_freep) struct vgpu_sriov_config *c = NULL;
        bool have_version = false, have_device = false, have_num = false;
        int k;

        *ret_error = NULL;
        k = json_parse_document(text, len, &o, ret_error);
        if (k < 0)
                return k;
        if (!json_object_is_type(o, json_type_object))
                return reason_set(ret_error, -EINVAL, "the document must be a JSON object");
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->autoprobe = true;
        json_object_object_foreach(o, key, v) {
                if (streq(key, "version")) {
                        if (!json_object_is_type(v, json_type_int) ||
                            json_object_get_int64(v) != SRIOV_CONFIG_VERSION)
                                return reason_set(ret_error, -EINVAL, "\"version\" must be %d",
                                                  SRIOV_CONFIG_VERSION);
                        have_version = true;
                } else if (streq(key, "device") || streq(key, "driver")) {
                        if (!json_object_is_type(v, json_type_string))
                                return reason_set(ret_error, -EINVAL, "\"%s\" must be a string", key);
                        const char *s = json_object_get_string(v);
                        if (strlen(s) != (size_t) json_object_get_string_len(v))
                                return reason_set(ret_error, -EINVAL, "\"%s\" contains a NUL character",
                                                  key);
                        if (streq(key, "device")) {
                                if (pci_bdf_normalize(s, c->device) < 0)
                                        return reason_set(ret_error, -EINVAL,
                                                          "\"device\" is not a PCI address: \"%s\"", s);
                                have_device = true;
                        } else {
                                if (!sysfs_name_is_valid(s))
                                        return reason_set(ret_error, -EINVAL,
                                                          "\"driver\" is not a driver name");
                                free(c->driver);
                                if (!(c->driver = strdup(s)))
                                        return -ENOMEM;
                        }
                } else if (streq(key, "num_vfs")) {
                        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
                            json_object_get_int64(v) > UINT16_MAX)
                                return reason_set(ret_error, -EINVAL,
                                                  "\"num_vfs\" must be an integer from 0 to 65535");
                        c->num_vfs = (unsigned) json_object_get_int64(v);
                        have_num = true;
                } else if (streq(key, "autoprobe")) {
                        if (!json_object_is_type(v, json_type_boolean))
                                return reason_set(ret_error, -EINVAL, "\"autoprobe\" must be true or false");
                        c->autoprobe = json_object_get_boolean(v);
                } else
                        return reason_set(ret_error, -EINVAL, "unknown key \"%s\"", key);
        }
        if (!have_version)
                return reason_set(ret_error, -EINVAL, "missing \"version\"");
        if (!have_device)
                return reason_set(ret_error, -EINVAL, "missing \"device\"");
        if (!have_num)
                return reason_set(ret_error, -EINVAL, "missing \"num_vfs\"");
        *ret = TAKE_PTR(c);
        return 0;
}

static char *config_dir(const char *state_dir) {
        char *d;
        return asprintf(&d, "%s/" SRIOV_CONFIG_DIR, state_dir) < 0 ? NULL : d;
}

int sriov_config_save(const char *state_dir, const struct vgpu_sriov_config *c, struct vgpu_error *err) {
        _cleanup_free_ char *dir = config_dir(state_dir), *text = NULL;
        int r;

        if (!dir)
                return -ENOMEM;
        r = sriov_config_to_json(c, &text);
        if (r < 0)
                return r;
        return devfile_write(dir, c->device, text, err);
}

int sriov_config_delete(const char *state_dir, const char *bdf, struct vgpu_error *err) {
        _cleanup_free_ char *dir = config_dir(state_dir);
        int r;

        if (!dir)
                return -ENOMEM;
        r = devfile_delete(dir, bdf, err);
        if (r == -ENOENT)
                vgpu_error_clear(err);
        return r;
}

int sriov_config_load_all(const char *state_dir, struct vgpu_sriov_config ***ret, size_t *ret_n,
                          struct vgpu_error_list *problems) {
        _cleanup_free_ char *dir = config_dir(state_dir);
        _cleanup_strv_free_ char **names = NULL;
        struct vgpu_sriov_config **v;
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
                _cleanup_free_ char *text = NULL, *why = NULL, *path = devfile_path(dir, *s);
                struct vgpu_error e = {};
                r = devfile_read(dir, *s, &text, &e);
                if (r >= 0) {
                        r = sriov_config_from_json(text, strlen(text), &v[n], &why);
                        if (r == -EINVAL)
                                (void) vgpu_error_list_add(problems, EINVAL, path,
                                                           "Corrupt SR-IOV configuration, ignored: %s.",
                                                           strna(why));
                        else if (r >= 0 && !streq(v[n]->device, *s)) {
                                (void) vgpu_error_list_add(
                                        problems, EINVAL, path,
                                        "Corrupt SR-IOV configuration, ignored: it names %s.", v[n]->device);
                                sriov_config_free(v[n]);
                                v[n] = NULL;
                                r = -EINVAL;
                        }
                } else
                        (void) vgpu_error_list_take(problems, &e);
                if (r == -ENOMEM) {
                        sriov_configs_free(v, n);
                        return r;
                }
                if (r >= 0)
                        n++;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}
