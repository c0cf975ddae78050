/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of record.h. */
#include <json-c/json.h>
#include <stddef.h>

#include "error.h"
#include "pci.h"
#include "record.h"
#include "sysfs.h"

int record_new(const char *uuid, enum vgpu_backend_kind backend, const char *type_id,
               struct vgpu_record **ret) {
        _cleanup_(record_freep) struct vgpu_record *r = calloc(1, sizeof(*r));

        if (!r)
                return -ENOMEM;
        if (uuid_normalize(uuid, r->uuid) < 0)
                return -EINVAL;
        r->backend = backend;
        r->type_id = strdup(type_id);
        if (!r->type_id)
                return -ENOMEM;
        r->quota.share = r->quota.weight = -1;
        *ret = TAKE_PTR(r);
        return 0;
}

void record_free(struct vgpu_record *r) {
        if (!r)
                return;
        free(r->type_id);
        free(r->type_name);
        free(r->parent);
        attrs_free(r->attrs, r->n_attrs);
        free(r->owner_domain);
        free(r);
}

void records_free(struct vgpu_record **v, size_t n) {
        for (size_t i = 0; i < n; i++)
                record_free(v[i]);
        free(v);
}

static int dup_opt(const char *s, char **ret) {
        *ret = s ? strdup(s) : NULL;
        return !s || *ret ? 0 : -ENOMEM;
}

int record_copy(const struct vgpu_record *r, struct vgpu_record **ret) {
        _cleanup_(record_freep) struct vgpu_record *c = calloc(1, sizeof(*c));

        if (!c)
                return -ENOMEM;
        *c = *r;
        c->type_id = c->type_name = c->parent = c->owner_domain = NULL;
        c->attrs = NULL;
        c->n_attrs = 0;
        if (dup_opt(r->type_id, &c->type_id) < 0 || dup_opt(r->type_name, &c->type_name) < 0 ||
            dup_opt(r->parent, &c->parent) < 0 || dup_opt(r->owner_domain, &c->owner_domain) < 0 ||
            attrs_copy(r->attrs, r->n_attrs, &c->attrs) < 0)
                return -ENOMEM;
        c->n_attrs = r->n_attrs;
        *ret = TAKE_PTR(c);
        return 0;
}

/* type_name, owner_domain: shown to people, so text they can read. */
static bool printable_text(const char *s) {
        if (isempty(s))
                return false;
        for (; *s; s++)
                if ((unsigned char) *s < ' ' || *s == 0x7f)
                        return false;
        return true;
}

static int backend_from_string(const char *s) {
        return backend_kind_from_string(s);
}

static const char *backend_to_string(int k) {
        return backend_kind_to_string(k);
}

/* ---- attributes: [{"name": "value"}, ...], in order (mdevctl's form too) ---- */

static struct vgpu_attr **attrs_of(void *obj, const JsonField *f) {
        return (struct vgpu_attr **) ((char *) obj + f->offset);
}

static size_t *n_attrs_of(void *obj, const JsonField *f) {
        return (size_t *) ((char *) obj + f->count_offset);
}

int record_attrs_read(struct json_object *a, void *obj, const JsonField *f, const char *key,
                      char **ret_error) {
        if (!json_object_is_type(a, json_type_array))
                return reason_set(ret_error, -EINVAL, "%s must be an array of {\"name\": \"value\"} objects",
                                  key);
        size_t n = json_object_array_length(a);
        for (size_t i = 0; i < n; i++) {
                struct json_object *one = json_object_array_get_idx(a, i);
                if (!json_object_is_type(one, json_type_object) || json_object_object_length(one) != 1)
                        return reason_set(ret_error, -EINVAL,
                                          "%s[%zu] must be an object with exactly one name", key, i);
                json_object_object_foreach(one, name, value) {
                        _cleanup_free_ char *where = NULL;
                        const char *v;
                        if (asprintf(&where, "%s[%zu].\"%s\"", key, i, name) < 0)
                                return -ENOMEM;
                        int k = json_codec_get_string(value, where, &v, ret_error);
                        if (k < 0)
                                return k;
                        if (!attr_name_is_valid(name))
                                return reason_set(ret_error, -EINVAL,
                                                  "attribute name \"%s\" is not a path inside the device",
                                                  name);
                        if (attrs_add(attrs_of(obj, f), n_attrs_of(obj, f), name, v) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

int record_attrs_write(const void *obj, const JsonField *f, struct json_object **ret) {
        const struct vgpu_attr *attrs = *attrs_of((void *) obj, f);
        size_t n = *n_attrs_of((void *) obj, f);
        struct json_object *a = json_object_new_array();

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                struct json_object *one = json_object_new_object(),
                                   *v = json_object_new_string(attrs[i].value);
                if (!one || !v || json_object_object_add(one, attrs[i].name, v) < 0) {
                        json_object_put(v);
                        json_object_put(one);
                        json_object_put(a);
                        return -ENOMEM;
                }
                if (json_object_array_add(a, one) < 0) {
                        json_object_put(one);
                        json_object_put(a);
                        return -ENOMEM;
                }
        }
        *ret = a;
        return 0;
}

int record_attrs_check(const void *obj, const JsonField *f, const char *key, char **ret_problem) {
        const struct vgpu_attr *attrs = *attrs_of((void *) obj, f);
        size_t n = *n_attrs_of((void *) obj, f);

        for (size_t i = 0; i < n; i++)
                if (!attr_name_is_valid(attrs[i].name))
                        return reason_set(ret_problem, -EINVAL,
                                          "attribute name \"%s\" is not a path inside the device directory",
                                          attrs[i].name);
        return 0;
}

/* ---- the record's table ---- */

typedef __typeof__(((struct vgpu_record *) NULL)->quota) record_quota;

static int quota_check(const void *obj, char **ret_problem) {
        const record_quota *q = obj;

        if (q->share != -1 && q->weight != -1)
                return reason_set(ret_problem, 0, "\"quota\" has both a share and a weight; give one");
        return 0;
}

/* share: percent of engine time; weight: relative; -1 when not given. */
static const JsonField quota_fields[] = {
        JSON_INT("share", record_quota, share, JSON_OMIT_UNSET, 1, 100, -1),
        JSON_INT("weight", record_quota, weight, JSON_OMIT_UNSET, 1, 1000000, -1),
};

static const JsonCodec quota_codec = {
        .fields = quota_fields,
        .n_fields = ELEMENTSOF(quota_fields),
        .check = quota_check,
};

static int record_rules(const void *obj, char **ret_problem) {
        const struct vgpu_record *r = obj;

        if (r->autostart && !r->persistent)
                return reason_set(
                        ret_problem, 0,
                        "\"autostart\" needs \"persistent\": a transient instance cannot come back");
        return 0;
}

#define R struct vgpu_record

static const JsonField record_fields[] = {
        JSON_NAME("uuid", R, uuid, JSON_REQUIRED, uuid_normalize, "is not a UUID"),
        JSON_ENUM("backend", R, backend, JSON_REQUIRED, backend_from_string, backend_to_string,
                  "must be mdev, vf, nvidia-vfio or rpc"),
        JSON_STRING("type", R, type_id, JSON_REQUIRED, sysfs_name_is_valid, "is not a valid type id"),
        JSON_STRING("type_name", R, type_name, JSON_NULLABLE | JSON_OMIT_UNSET, printable_text,
                    "must be a non-empty printable string"),
        JSON_STRING("parent", R, parent, JSON_NULLABLE | JSON_OMIT_UNSET, sysfs_name_is_valid,
                    "is not a valid device name"),
        JSON_NAME("gpu", R, gpu, JSON_NULLABLE | JSON_OMIT_UNSET, gpu_address_normalize,
                  "is not a GPU address like 0000:3b:00.0 (or a virtual parent's device name)"),
        JSON_BOOL("persistent", R, persistent),
        JSON_BOOL("autostart", R, autostart),
        RECORD_ATTRS_FIELD(0),
        JSON_STRING("owner_domain", R, owner_domain, JSON_NULLABLE | JSON_OMIT_UNSET, printable_text,
                    "must be a non-empty printable string"),
        JSON_OBJECT("quota", R, quota, JSON_OMIT_UNSET, &quota_codec),
};
#undef R

static const JsonCodec record_codec = {
        .version = RECORD_VERSION,
        .fields = record_fields,
        .n_fields = ELEMENTSOF(record_fields),
        .check = record_rules,
};

int record_check(const struct vgpu_record *r, char **ret_problem) {
        return json_codec_check(&record_codec, r, ret_problem);
}

int record_to_json(const struct vgpu_record *r, char **ret) {
        return json_codec_format(&record_codec, r, true, ret);
}

int record_from_json(const char *text, size_t len, struct vgpu_record **ret, char **ret_error) {
        _cleanup_(record_freep) struct vgpu_record *r = calloc(1, sizeof(*r));
        int k;

        *ret_error = NULL;
        if (!r)
                return -ENOMEM;
        r->quota.share = r->quota.weight = -1;
        r->origin = RECORD_ORIGIN_VGPUD;
        k = json_codec_parse(&record_codec, text, len, r, ret_error);
        if (k < 0)
                return k;
        *ret = TAKE_PTR(r);
        return 0;
}
