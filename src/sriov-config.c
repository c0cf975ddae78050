/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of sriov-config.h. */
#include <stddef.h>

#include "devfile.h"
#include "error.h"
#include "json-codec.h"
#include "pci.h"
#include "sriov-config.h"
#include "strutil.h"
#include "sysfs.h"

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

#define C struct vgpu_sriov_config

static const JsonField config_fields[] = {
        JSON_NAME("device", C, device, JSON_REQUIRED, pci_bdf_normalize, "is not a PCI address"),
        JSON_UINT("num_vfs", C, num_vfs, JSON_REQUIRED, 0, UINT16_MAX, 0),
        JSON_BOOL("autoprobe", C, autoprobe),
        JSON_STRING("driver", C, driver, JSON_OMIT_UNSET, sysfs_name_is_valid, "is not a driver name"),
};
#undef C

static const JsonCodec config_codec = {
        .version = SRIOV_CONFIG_VERSION,
        .fields = config_fields,
        .n_fields = ELEMENTSOF(config_fields),
};

int sriov_config_to_json(const struct vgpu_sriov_config *c, char **ret) {
        return json_codec_format(&config_codec, c, true, ret);
}

int sriov_config_from_json(const char *text, size_t len, struct vgpu_sriov_config **ret, char **ret_error) {
        _cleanup_(sriov_config_freep) struct vgpu_sriov_config *c = calloc(1, sizeof(*c));
        int k;

        *ret_error = NULL;
        if (!c)
                return -ENOMEM;
        c->autoprobe = true; /* the kernel's default */
        k = json_codec_parse(&config_codec, text, len, c, ret_error);
        if (k < 0)
                return k;
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
