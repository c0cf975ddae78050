/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of error.h. */
#include <stdarg.h>

#include "error.h"
#include "strutil.h"

static int error_setv(struct vgpu_error *e, int error, const char *path, const char *fmt, va_list ap)
        _printf_(4, 0);
static int error_setv(struct vgpu_error *e, int error, const char *path, const char *fmt, va_list ap) {
        if (error < 0)
                error = -error;
        if (!e)
                return -error;
        vgpu_error_clear(e);
        e->error = error;
        e->path = path ? strdup(path) : NULL;
        if (fmt && vasprintf(&e->message, fmt, ap) < 0)
                e->message = NULL;
        return -error;
}

int vgpu_error_set(struct vgpu_error *e, int error, const char *path, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = error_setv(e, error, path, fmt, ap);
        va_end(ap);
        return r;
}

int reason_set(char **ret_reason, int error, const char *fmt, ...) {
        va_list ap;
        char *s;
        int k;

        if (!ret_reason)
                return error;
        va_start(ap, fmt);
        k = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        free(*ret_reason);
        *ret_reason = s;
        return error;
}

void vgpu_error_clear(struct vgpu_error *e) {
        if (!e)
                return;
        free(e->path);
        free(e->message);
        *e = (struct vgpu_error){};
}

char *vgpu_error_to_string(const struct vgpu_error *e) {
        struct strbuf b = {};

        if (e->message)
                strbuf_append(&b, e->message);
        /* a message that already names the file (config errors: "file:line: ...") needs it once */
        bool path_shown = e->path && e->message && strstr(e->message, e->path);
        if ((e->path && !path_shown) || e->error) {
                strbuf_append(&b, e->message ? " (" : "");
                if (e->path && !path_shown)
                        strbuf_appendf(&b, "%s%s", e->path, e->error ? ": " : "");
                if (e->error)
                        strbuf_append(&b, strerror(e->error));
                strbuf_append(&b, e->message ? ")" : "");
        }
        return strbuf_steal(&b);
}

int vgpu_error_list_take(struct vgpu_error_list *l, struct vgpu_error *e) {
        struct vgpu_error *n;

        if (!l) { /* the caller did not ask for details */
                vgpu_error_clear(e);
                return 0;
        }
        n = realloc(l->items, (l->n + 1) * sizeof(*n));
        if (!n) {
                vgpu_error_clear(e);
                return -ENOMEM;
        }
        l->items = n;
        l->items[l->n++] = *e;
        *e = (struct vgpu_error){};
        return 0;
}

int vgpu_error_list_add(struct vgpu_error_list *l, int error, const char *path, const char *fmt, ...) {
        struct vgpu_error e = {};
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = error_setv(&e, error, path, fmt, ap);
        va_end(ap);
        (void) vgpu_error_list_take(l, &e);
        return r;
}

void vgpu_error_list_clear(struct vgpu_error_list *l) {
        for (size_t i = 0; i < l->n; i++)
                vgpu_error_clear(&l->items[i]);
        free(l->items);
        *l = (struct vgpu_error_list){};
}
