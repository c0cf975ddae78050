/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of attr.h. */
#include "attr.h"

static bool component_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
               c == '.' || c == '-';
}

bool attr_name_is_valid(const char *name) {
        size_t n, start = 0;

        if (isempty(name))
                return false;
        n = strlen(name);
        if (n > 255)
                return false;
        for (size_t i = 0; i <= n; i++) {
                if (i < n && name[i] != '/') {
                        if (!component_char(name[i]))
                                return false;
                        continue;
                }
                size_t len = i - start;
                if (len == 0 || (len == 1 && name[start] == '.') ||
                    (len == 2 && name[start] == '.' && name[start + 1] == '.'))
                        return false;
                start = i + 1;
        }
        return true;
}

int attrs_add(struct vgpu_attr **attrs, size_t *n, const char *name, const char *value) {
        struct vgpu_attr *v = realloc(*attrs, (*n + 1) * sizeof(*v));
        char *a, *b;

        if (!v)
                return -ENOMEM;
        *attrs = v;
        a = strdup(name);
        b = strdup(value);
        if (!a || !b) {
                free(a);
                free(b);
                return -ENOMEM;
        }
        v[*n] = (struct vgpu_attr){a, b};
        (*n)++;
        return 0;
}

int attrs_copy(const struct vgpu_attr *src, size_t n, struct vgpu_attr **ret) {
        struct vgpu_attr *v = NULL;
        size_t k = 0;

        for (size_t i = 0; i < n; i++)
                if (attrs_add(&v, &k, src[i].name, src[i].value) < 0) {
                        attrs_free(v, k);
                        return -ENOMEM;
                }
        *ret = v;
        return 0;
}

void attrs_free(struct vgpu_attr *attrs, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(attrs[i].name);
                free(attrs[i].value);
        }
        free(attrs);
}

bool attrs_equal(const struct vgpu_attr *a, size_t na, const struct vgpu_attr *b, size_t nb) {
        if (na != nb)
                return false;
        for (size_t i = 0; i < na; i++)
                if (!streq(a[i].name, b[i].name) || !streq(a[i].value, b[i].value))
                        return false;
        return true;
}

int attr_parse_assignment(const char *s, struct vgpu_attr *ret) {
        const char *eq = s ? strchr(s, '=') : NULL;
        char *name, *value;

        if (!eq || eq == s)
                return -EINVAL;
        name = strndup(s, (size_t) (eq - s));
        value = strdup(eq + 1);
        if (!name || !value) {
                free(name);
                free(value);
                return -ENOMEM;
        }
        if (!attr_name_is_valid(name)) {
                free(name);
                free(value);
                return -EINVAL;
        }
        *ret = (struct vgpu_attr){name, value};
        return 0;
}
