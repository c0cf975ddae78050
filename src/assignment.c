/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of assignment.h. */
#include <json-c/json.h>
#include <stdarg.h>

#include "assignment.h"
#include "error.h"
#include "fileio.h"
#include "libvirt-xml.h"
#include "record.h"
#include "strutil.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_object *, json_object_put);

bool domain_name_is_valid(const char *name) {
        return !isempty(name) && !strchr(name, '/') && libvirt_xml_text_is_valid(name, DOMAIN_NAME_MAX);
}

void assignments_free(struct assignment *v, size_t n) {
        for (size_t i = 0; v && i < n; i++)
                free(v[i].domain);
        free(v);
}

int assignments_to_json(const struct assignment *v, size_t n, char **ret) {
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
        struct json_object *a = json_object_new_array();

        if (!o || !a || json_object_object_add(o, "version", json_object_new_int(ASSIGNMENTS_VERSION)) < 0 ||
            json_object_object_add(o, "assignments", a) < 0) {
                if (!json_object_object_get_ex(o, "assignments", NULL))
                        json_object_put(a);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                struct json_object *e = json_object_new_object();
                if (!e || json_object_array_add(a, e) < 0) {
                        json_object_put(e);
                        return -ENOMEM;
                }
                if (json_object_object_add(e, "uuid", json_object_new_string(v[i].uuid)) < 0 ||
                    json_object_object_add(e, "domain", json_object_new_string(v[i].domain)) < 0 ||
                    json_object_object_add(e, "started", json_object_new_boolean(v[i].started)) < 0)
                        return -ENOMEM;
        }
        const char *text =
                json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);
        if (!text || asprintf(ret, "%s\n", text) < 0)
                return -ENOMEM;
        return 0;
}

static int entry_from_json(struct json_object *e, size_t index, struct assignment *ret, char **ret_error) {
        bool have_uuid = false;

        if (!json_object_is_type(e, json_type_object))
                return reason_set(ret_error, -EINVAL, "assignment %zu is not an object", index);
        json_object_object_foreach(e, key, v) {
                if (streq(key, "uuid")) {
                        if (!json_object_is_type(v, json_type_string) ||
                            uuid_normalize(json_object_get_string(v), ret->uuid) < 0)
                                return reason_set(ret_error, -EINVAL,
                                                  "assignment %zu: \"uuid\" must be a UUID", index);
                        have_uuid = true;
                } else if (streq(key, "domain")) {
                        const char *d =
                                json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
                        if (!domain_name_is_valid(d))
                                return reason_set(
                                        ret_error, -EINVAL,
                                        "assignment %zu: \"domain\" must be a domain name (printable, "
                                        "no '/')",
                                        index);
                        free(ret->domain);
                        ret->domain = strdup(d);
                        if (!ret->domain)
                                return -ENOMEM;
                } else if (streq(key, "started")) {
                        if (!json_object_is_type(v, json_type_boolean))
                                return reason_set(ret_error, -EINVAL,
                                                  "assignment %zu: \"started\" must be true or false",
                                                  index);
                        ret->started = json_object_get_boolean(v);
                } else
                        return reason_set(ret_error, -EINVAL, "assignment %zu: unknown key \"%s\"", index,
                                          key);
        }
        if (!have_uuid)
                return reason_set(ret_error, -EINVAL, "assignment %zu has no \"uuid\"", index);
        if (!ret->domain)
                return reason_set(ret_error, -EINVAL, "assignment %zu has no \"domain\"", index);
        return 0;
}

int assignments_from_json(const char *text, size_t len, struct assignment **ret, size_t *ret_n,
                          char **ret_error) {
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        struct json_object *a = NULL;
        struct assignment *v = NULL;
        size_t n = 0;
        bool have_version = false;
        int r;

        r = json_parse_document(text, len, &o, ret_error);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object))
                return reason_set(ret_error, -EINVAL, "the file must hold a JSON object");
        json_object_object_foreach(o, key, val) {
                if (streq(key, "version")) {
                        if (!json_object_is_type(val, json_type_int) ||
                            json_object_get_int64(val) != ASSIGNMENTS_VERSION)
                                return reason_set(ret_error, -EINVAL, "\"version\" must be %d",
                                                  ASSIGNMENTS_VERSION);
                        have_version = true;
                } else if (streq(key, "assignments")) {
                        if (!json_object_is_type(val, json_type_array))
                                return reason_set(ret_error, -EINVAL, "\"assignments\" must be an array");
                        a = val;
                } else
                        return reason_set(ret_error, -EINVAL, "unknown key \"%s\"", key);
        }
        if (!have_version)
                return reason_set(ret_error, -EINVAL, "\"version\" is missing");

        size_t total = a ? json_object_array_length(a) : 0;
        v = calloc(total ?: 1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < total; i++) {
                r = entry_from_json(json_object_array_get_idx(a, i), i, &v[n], ret_error);
                if (r < 0) {
                        free(v[n].domain);
                        assignments_free(v, n);
                        return r;
                }
                for (size_t k = 0; k < n; k++)
                        if (streq(v[k].uuid, v[n].uuid)) {
                                char uuid[UUID_STRING_MAX];
                                memcpy(uuid, v[n].uuid,
                                       sizeof(uuid)); /* v goes before the message is made */
                                free(v[n].domain);
                                assignments_free(v, n);
                                return reason_set(ret_error, -EINVAL, "instance %s is assigned twice", uuid);
                        }
                n++;
        }
        *ret = v;
        *ret_n = n;
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
