/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of record.h. */
#include <ctype.h>
#include <json-c/json.h>
#include <stdarg.h>

#include "error.h"
#include "pci.h"
#include "record.h"
#include "sysfs.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_object *, json_object_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_tokener *, json_tokener_free);

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

static bool printable(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < ' ' || *s == 0x7f)
                        return false;
        return true;
}

int record_check(const struct vgpu_record *r, char **ret_problem) {
        char *p = NULL;
        int k = 0;

        if (!uuid_is_valid(r->uuid))
                k = asprintf(&p, "\"uuid\" is not a UUID");
        else if (!backend_kind_to_string(r->backend))
                k = asprintf(&p, "\"backend\" is not one of mdev, vf, nvidia-vfio, rpc");
        else if (!sysfs_name_is_valid(r->type_id))
                k = asprintf(&p, "\"type\" is not a valid type id");
        else if (r->type_name && (isempty(r->type_name) || !printable(r->type_name)))
                k = asprintf(&p, "\"type_name\" must be a non-empty printable string");
        else if (r->parent && !sysfs_name_is_valid(r->parent))
                k = asprintf(&p, "\"parent\" is not a valid device name");
        else if (r->gpu[0]) {
                char n[PCI_BDF_MAX];
                if (gpu_address_normalize(r->gpu, n) < 0 || !streq(n, r->gpu))
                        k = asprintf(&p, "\"gpu\" is not a GPU address like 0000:3b:00.0 (or a virtual "
                                         "parent's device name)");
        }
        if (!p && k >= 0 && r->autostart && !r->persistent)
                k = asprintf(&p,
                             "\"autostart\" needs \"persistent\": a transient instance cannot come back");
        if (!p && k >= 0 && r->owner_domain && (isempty(r->owner_domain) || !printable(r->owner_domain)))
                k = asprintf(&p, "\"owner_domain\" must be a non-empty printable string");
        if (!p && k >= 0 && r->quota.share != -1 && (r->quota.share < 1 || r->quota.share > 100))
                k = asprintf(&p, "\"quota\".\"share\" must be 1..100 (percent)");
        if (!p && k >= 0 && r->quota.weight != -1 && r->quota.weight < 1)
                k = asprintf(&p, "\"quota\".\"weight\" must be at least 1");
        if (!p && k >= 0 && r->quota.share != -1 && r->quota.weight != -1)
                k = asprintf(&p, "\"quota\" has both a share and a weight; give one");
        for (size_t i = 0; !p && k >= 0 && i < r->n_attrs; i++)
                if (!attr_name_is_valid(r->attrs[i].name))
                        k = asprintf(&p, "attribute name \"%s\" is not a path inside the device directory",
                                     r->attrs[i].name);
        if (k < 0)
                return -ENOMEM;
        *ret_problem = p;
        return 0;
}

/* ---- JSON ---- */

int json_parse_document(const char *text, size_t len, struct json_object **ret, char **ret_error) {
        _cleanup_(json_tokener_freep) struct json_tokener *tok = json_tokener_new_ex(16);
        struct json_object *o;
        size_t end;

        *ret_error = NULL;
        if (!tok)
                return -ENOMEM;
        if (len > INT32_MAX || memchr(text, 0, len)) {
                if (asprintf(ret_error, "not JSON: contains a NUL byte or is too large") < 0)
                        return -ENOMEM;
                return -EINVAL;
        }
        o = json_tokener_parse_ex(tok, text, (int) len);
        enum json_tokener_error e = json_tokener_get_error(tok);
        if (!o && e == json_tokener_continue) {
                if (asprintf(ret_error, "truncated or not JSON: unexpected end of data") < 0)
                        return -ENOMEM;
                return -EINVAL;
        }
        if (!o) {
                if (asprintf(ret_error, "not JSON: %s at offset %zu", json_tokener_error_desc(e),
                             json_tokener_get_parse_end(tok)) < 0)
                        return -ENOMEM;
                return -EINVAL;
        }
        end = json_tokener_get_parse_end(tok);
        for (; end < len; end++)
                if (!isspace((unsigned char) text[end])) {
                        json_object_put(o);
                        if (asprintf(ret_error, "not JSON: unexpected data after the document at offset %zu",
                                     end) < 0)
                                return -ENOMEM;
                        return -EINVAL;
                }
        *ret = o;
        return 0;
}

static int add_string(struct json_object *o, const char *key, const char *v) {
        struct json_object *s = json_object_new_string(v);
        if (!s || json_object_object_add(o, key, s) < 0) {
                json_object_put(s);
                return -ENOMEM;
        }
        return 0;
}

static int add_bool(struct json_object *o, const char *key, bool v) {
        struct json_object *b = json_object_new_boolean(v);
        if (!b || json_object_object_add(o, key, b) < 0) {
                json_object_put(b);
                return -ENOMEM;
        }
        return 0;
}

static int add_int(struct json_object *o, const char *key, int v) {
        struct json_object *b = json_object_new_int(v);
        if (!b || json_object_object_add(o, key, b) < 0) {
                json_object_put(b);
                return -ENOMEM;
        }
        return 0;
}

struct json_object *record_attrs_to_json(const struct vgpu_attr *attrs, size_t n) {
        _cleanup_(json_object_putp) struct json_object *a = json_object_new_array();

        if (!a)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                struct json_object *one = json_object_new_object();
                if (!one || add_string(one, attrs[i].name, attrs[i].value) < 0 ||
                    json_object_array_add(a, one) < 0) {
                        json_object_put(one);
                        return NULL;
                }
        }
        return TAKE_PTR(a);
}

int record_to_json(const struct vgpu_record *r, char **ret) {
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
        struct json_object *attrs;
        int k;

        if (!o)
                return -ENOMEM;
        if (add_int(o, "version", RECORD_VERSION) < 0 || add_string(o, "uuid", r->uuid) < 0 ||
            add_string(o, "backend", backend_kind_to_string(r->backend)) < 0 ||
            add_string(o, "type", r->type_id) < 0)
                return -ENOMEM;
        if (r->type_name && add_string(o, "type_name", r->type_name) < 0)
                return -ENOMEM;
        if (r->parent && add_string(o, "parent", r->parent) < 0)
                return -ENOMEM;
        if (r->gpu[0] && add_string(o, "gpu", r->gpu) < 0)
                return -ENOMEM;
        if (add_bool(o, "persistent", r->persistent) < 0 || add_bool(o, "autostart", r->autostart) < 0)
                return -ENOMEM;
        attrs = record_attrs_to_json(r->attrs, r->n_attrs);
        if (!attrs || json_object_object_add(o, "attrs", attrs) < 0) {
                json_object_put(attrs);
                return -ENOMEM;
        }
        if (r->owner_domain && add_string(o, "owner_domain", r->owner_domain) < 0)
                return -ENOMEM;
        if (r->quota.share != -1 || r->quota.weight != -1) {
                struct json_object *q = json_object_new_object();
                if (!q || (r->quota.share != -1 && add_int(q, "share", r->quota.share) < 0) ||
                    (r->quota.weight != -1 && add_int(q, "weight", r->quota.weight) < 0) ||
                    json_object_object_add(o, "quota", q) < 0) {
                        json_object_put(q);
                        return -ENOMEM;
                }
        }
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s)
                return -ENOMEM;
        k = asprintf(ret, "%s\n", s);
        return k < 0 ? -ENOMEM : 0;
}

static int get_string(struct json_object *v, const char *key, const char **ret, char **ret_error) {
        if (!json_object_is_type(v, json_type_string))
                return reason_set(ret_error, -EINVAL, "\"%s\" must be a string", key);
        *ret = json_object_get_string(v);
        if (strlen(*ret) != (size_t) json_object_get_string_len(v))
                return reason_set(ret_error, -EINVAL, "\"%s\" contains a NUL character", key);
        return 0;
}

int record_attrs_from_json(struct json_object *a, struct vgpu_attr **attrs, size_t *n_attrs,
                           char **ret_error) {
        if (!json_object_is_type(a, json_type_array))
                return reason_set(ret_error, -EINVAL,
                                  "\"attrs\" must be an array of {\"name\": \"value\"} objects");
        size_t n = json_object_array_length(a);
        for (size_t i = 0; i < n; i++) {
                struct json_object *one = json_object_array_get_idx(a, i);
                if (!json_object_is_type(one, json_type_object) || json_object_object_length(one) != 1)
                        return reason_set(ret_error, -EINVAL,
                                          "\"attrs\"[%zu] must be an object with exactly one name", i);
                json_object_object_foreach(one, name, value) {
                        const char *v;
                        int k = get_string(value, name, &v, ret_error);
                        if (k < 0)
                                return k;
                        if (!attr_name_is_valid(name))
                                return reason_set(ret_error, -EINVAL,
                                                  "attribute name \"%s\" is not a path inside the device",
                                                  name);
                        if (attrs_add(attrs, n_attrs, name, v) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

static int quota_from_json(struct json_object *q, struct vgpu_record *r, char **ret_error) {
        if (!json_object_is_type(q, json_type_object))
                return reason_set(ret_error, -EINVAL, "\"quota\" must be an object");
        json_object_object_foreach(q, key, v) {
                int *dst;
                if (streq(key, "share"))
                        dst = &r->quota.share;
                else if (streq(key, "weight"))
                        dst = &r->quota.weight;
                else
                        return reason_set(ret_error, -EINVAL, "unknown key \"quota\".\"%s\"", key);
                if (!json_object_is_type(v, json_type_int))
                        return reason_set(ret_error, -EINVAL, "\"quota\".\"%s\" must be an integer", key);
                int64_t x = json_object_get_int64(v);
                if (x < 1 || x > 1000000)
                        return reason_set(ret_error, -EINVAL, "\"quota\".\"%s\" is out of range", key);
                *dst = (int) x;
        }
        return 0;
}

int record_from_json(const char *text, size_t len, struct vgpu_record **ret, char **ret_error) {
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        _cleanup_(record_freep) struct vgpu_record *r = NULL;
        _cleanup_free_ char *problem = NULL;
        bool have_version = false, have_uuid = false, have_type = false, have_backend = false;
        int k;

        *ret_error = NULL;
        k = json_parse_document(text, len, &o, ret_error);
        if (k < 0)
                return k;
        if (!json_object_is_type(o, json_type_object))
                return reason_set(ret_error, -EINVAL, "the document must be a JSON object");

        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->quota.share = r->quota.weight = -1;
        r->origin = RECORD_ORIGIN_VGPUD;

        json_object_object_foreach(o, key, v) {
                const char *s = NULL;
                if (streq(key, "version")) {
                        if (!json_object_is_type(v, json_type_int) ||
                            json_object_get_int64(v) != RECORD_VERSION)
                                return reason_set(ret_error, -EINVAL, "\"version\" must be %d",
                                                  RECORD_VERSION);
                        have_version = true;
                } else if (streq(key, "uuid")) {
                        if ((k = get_string(v, key, &s, ret_error)) < 0)
                                return k;
                        if (uuid_normalize(s, r->uuid) < 0)
                                return reason_set(ret_error, -EINVAL, "\"uuid\" is not a UUID: \"%s\"", s);
                        have_uuid = true;
                } else if (streq(key, "backend")) {
                        if ((k = get_string(v, key, &s, ret_error)) < 0)
                                return k;
                        r->backend = backend_kind_from_string(s);
                        if (r->backend < 0)
                                return reason_set(
                                        ret_error, -EINVAL,
                                        "\"backend\" must be mdev, vf, nvidia-vfio or rpc, not \"%s\"", s);
                        have_backend = true;
                } else if (streq(key, "type")) {
                        if ((k = get_string(v, key, &s, ret_error)) < 0)
                                return k;
                        if (!(r->type_id = strdup(s)))
                                return -ENOMEM;
                        have_type = true;
                } else if (streq(key, "type_name") || streq(key, "parent") || streq(key, "owner_domain")) {
                        char **dst = streq(key, "type_name") ? &r->type_name
                                     : streq(key, "parent")  ? &r->parent
                                                             : &r->owner_domain;
                        if (json_object_is_type(v, json_type_null))
                                continue;
                        if ((k = get_string(v, key, &s, ret_error)) < 0)
                                return k;
                        if (!(*dst = strdup(s)))
                                return -ENOMEM;
                } else if (streq(key, "gpu")) {
                        if (json_object_is_type(v, json_type_null))
                                continue;
                        if ((k = get_string(v, key, &s, ret_error)) < 0)
                                return k;
                        if (gpu_address_normalize(s, r->gpu) < 0)
                                return reason_set(ret_error, -EINVAL, "\"gpu\" is not a GPU address: \"%s\"",
                                                  s);
                } else if (streq(key, "persistent") || streq(key, "autostart")) {
                        if (!json_object_is_type(v, json_type_boolean))
                                return reason_set(ret_error, -EINVAL, "\"%s\" must be true or false", key);
                        *(streq(key, "persistent") ? &r->persistent : &r->autostart) =
                                json_object_get_boolean(v);
                } else if (streq(key, "attrs")) {
                        if ((k = record_attrs_from_json(v, &r->attrs, &r->n_attrs, ret_error)) < 0)
                                return k;
                } else if (streq(key, "quota")) {
                        if ((k = quota_from_json(v, r, ret_error)) < 0)
                                return k;
                } else
                        return reason_set(ret_error, -EINVAL, "unknown key \"%s\"", key);
        }
        if (!have_version)
                return reason_set(ret_error, -EINVAL, "missing \"version\"");
        if (!have_uuid)
                return reason_set(ret_error, -EINVAL, "missing \"uuid\"");
        if (!have_backend)
                return reason_set(ret_error, -EINVAL, "missing \"backend\"");
        if (!have_type)
                return reason_set(ret_error, -EINVAL, "missing \"type\"");
        k = record_check(r, &problem);
        if (k < 0)
                return k;
        if (problem) {
                *ret_error = TAKE_PTR(problem);
                return -EINVAL;
        }
        *ret = TAKE_PTR(r);
        return 0;
}
