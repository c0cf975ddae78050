/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of assignment.h. */
#include <stddef.h>

#include "assignment.h"
#include "error.h"
#include "fileio.h"
#include "json-codec.h"
#include "libvirt-xml.h"
#include "strutil.h"

bool domain_name_is_valid(const char *name) {
        return !isempty(name) && !strchr(name, '/') && libvirt_xml_text_is_valid(name, DOMAIN_NAME_MAX);
}

void assignments_free(struct assignment *v, size_t n) {
        for (size_t i = 0; v && i < n; i++)
                free(v[i].domain);
        free(v);
}

/* The file: its one key besides "version" is the list. */
struct assignments_doc {
        struct assignment *v;
        size_t n;
};

#define A struct assignment

static const JsonField assignment_fields[] = {
        JSON_NAME("uuid", A, uuid, JSON_REQUIRED, uuid_normalize, "is not a UUID"),
        JSON_STRING("domain", A, domain, JSON_REQUIRED, domain_name_is_valid,
                    "must be a domain name (printable, no '/')"),
        JSON_BOOL("started", A, started),
};
#undef A

static const JsonCodec assignment_codec = {
        .fields = assignment_fields,
        .n_fields = ELEMENTSOF(assignment_fields),
};

/* An instance is held by one domain at most. */
static int doc_check(const void *obj, char **ret_problem) {
        const struct assignments_doc *d = obj;

        for (size_t i = 0; i < d->n; i++)
                for (size_t k = 0; k < i; k++)
                        if (streq(d->v[k].uuid, d->v[i].uuid))
                                return reason_set(ret_problem, 0, "instance %s is assigned twice",
                                                  d->v[i].uuid);
        return 0;
}

static const JsonField doc_fields[] = {
        JSON_ARRAY("assignments", struct assignments_doc, v, n, 0, &assignment_codec),
};

static const JsonCodec doc_codec = {
        .version = ASSIGNMENTS_VERSION,
        .fields = doc_fields,
        .n_fields = ELEMENTSOF(doc_fields),
        .check = doc_check,
};

int assignments_to_json(const struct assignment *v, size_t n, char **ret) {
        const struct assignments_doc d = {(struct assignment *) v, n};
        return json_codec_format(&doc_codec, &d, true, ret);
}

int assignments_from_json(const char *text, size_t len, struct assignment **ret, size_t *ret_n,
                          char **ret_error) {
        struct assignments_doc d = {};
        int r;

        r = json_codec_parse(&doc_codec, text, len, &d, ret_error);
        if (r >= 0 && !d.v && !(d.v = calloc(1, sizeof(*d.v)))) /* none: still a vector, of nothing */
                r = -ENOMEM;
        if (r < 0) {
                assignments_free(d.v, d.n);
                return r;
        }
        *ret = d.v;
        *ret_n = d.n;
        return 0;
}

int assignments_save(const char *path, const struct assignment *v, size_t n, struct vgpu_error *err) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = assignments_to_json(v, n, &text);
        if (r < 0)
                return r;
        r = write_file_atomic(path, text, strlen(text), 0644);
        if (r < 0)
                return vgpu_error_set(err, r, path, "Cannot write which domains hold which instances.");
        return 0;
}

int assignments_load(const char *path, struct assignment **ret, size_t *ret_n, struct vgpu_error *err) {
        _cleanup_free_ char *text = NULL, *why = NULL;
        size_t len;
        int r;

        r = read_full_file(path, ASSIGNMENTS_MAX, &text, &len);
        if (r == -ENOENT)
                return r;
        if (r < 0)
                return vgpu_error_set(err, r, path, "Cannot read which domains hold which instances.");
        r = assignments_from_json(text, len, ret, ret_n, &why);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return vgpu_error_set(err, EINVAL, path, "Corrupt assignments file, ignored: %s.",
                                      strna(why));
        return 0;
}
