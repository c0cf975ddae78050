/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of type.h. */
#include "type.h"
#include "strutil.h"
#include "vendor.h"

int type_new(const char *id, enum vgpu_backend_kind backend, struct vgpu_type **ret) {
        struct vgpu_type *t = calloc(1, sizeof(*t));

        if (!t)
                return -ENOMEM;
        t->id = strdup(id);
        if (!t->id) {
                free(t);
                return -ENOMEM;
        }
        t->backend = backend;
        t->vendor = vendor_for_type(id);
        *ret = t;
        return 0;
}

static void type_clear_derived(struct vgpu_type *t) {
        free(t->parse_error);
        free(t->board);
        strv_free(t->aliases);
        free(t->boardless_alias);
        t->parse_error = t->board = t->boardless_alias = NULL;
        t->aliases = NULL;
        t->framebuffer_mb = 0;
        t->heads = t->max_width = t->max_height = t->max_instances = t->weight = 0;
        t->series[0] = 0;
        t->mig = false;
}

void type_free(struct vgpu_type *t) {
        if (!t)
                return;
        type_clear_derived(t);
        free(t->id);
        free(t->name);
        free(t->description);
        free(t->device_api);
        free(t);
}

static int strdup_or_null(const char *s, char **ret) {
        *ret = NULL;
        if (!s)
                return 0;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int type_add_alias(struct vgpu_type *t, const char *raw) {
        _cleanup_free_ char *a = alias_normalize(raw);

        if (!a)
                return -ENOMEM;
        if (isempty(a))
                return 0;
        return strv_extend_unique(&t->aliases, a);
}

int type_set_info(struct vgpu_type *t, const char *name, const char *description, const char *device_api) {
        _cleanup_free_ char *n = NULL, *d = NULL, *api = NULL;
        int r;

        if (strdup_or_null(name, &n) < 0 || strdup_or_null(description, &d) < 0 ||
            strdup_or_null(device_api, &api) < 0)
                return -ENOMEM;
        free(t->name);
        free(t->description);
        free(t->device_api);
        t->name = TAKE_PTR(n);
        t->description = TAKE_PTR(d);
        t->device_api = TAKE_PTR(api);

        type_clear_derived(t);
        r = type_add_alias(t, t->id);
        if (r < 0)
                return r;
        if (t->name) {
                r = type_add_alias(t, t->name);
                if (r < 0)
                        return r;
        }
        r = t->vendor->parse(t);
        if (r == -ENOMEM)
                return r;
        if (r < 0 && !t->parse_error) {
                if (asprintf(&t->parse_error, "cannot parse the %s attributes of type %s: %s",
                             t->vendor->name, t->id, strerror(-r)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

bool type_equal(const struct vgpu_type *a, const struct vgpu_type *b) {
        return streq(a->id, b->id) && a->backend == b->backend && streq_ptr(a->name, b->name) &&
               streq_ptr(a->description, b->description) && streq_ptr(a->device_api, b->device_api) &&
               a->available == b->available;
}

char *type_group_key(const struct vgpu_type *t) {
        char *k;

        if (asprintf(&k, "%s:%s", backend_kind_to_string(t->backend), vgpu_type_display_name(t)) < 0)
                return NULL;
        return k;
}

const char *vgpu_type_display_name(const struct vgpu_type *t) {
        return t->name ?: t->id;
}
