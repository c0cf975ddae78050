/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of json-codec.h. */
#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>

#include "error.h"
#include "json-codec.h"
#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_object *, json_object_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_tokener *, json_tokener_free);

#define NAME_BUF_MAX 128 /* NAME fields hold UUIDs and PCI addresses */
#define ECHO_MAX     128 /* a refused value longer than this is not repeated in the message */

int json_parse_document(const char *text, size_t len, struct json_object **ret, char **ret_error) {
        _cleanup_(json_tokener_freep) struct json_tokener *tok = json_tokener_new_ex(16);
        struct json_object *o;
        size_t end;

        *ret_error = NULL;
        if (!tok)
                return -ENOMEM;
        if (len > INT32_MAX || memchr(text, 0, len))
                return reason_set(ret_error, -EINVAL, "not JSON: contains a NUL byte or is too large");
        o = json_tokener_parse_ex(tok, text, (int) len);
        enum json_tokener_error e = json_tokener_get_error(tok);
        if (!o && e == json_tokener_continue)
                return reason_set(ret_error, -EINVAL, "truncated or not JSON: unexpected end of data");
        if (!o)
                return reason_set(ret_error, -EINVAL, "not JSON: %s at offset %zu",
                                  json_tokener_error_desc(e), json_tokener_get_parse_end(tok));
        end = json_tokener_get_parse_end(tok);
        for (; end < len; end++)
                if (!isspace((unsigned char) text[end])) {
                        json_object_put(o);
                        return reason_set(ret_error, -EINVAL,
                                          "not JSON: unexpected data after the document at offset %zu", end);
                }
        *ret = o;
        return 0;
}

/* ---- messages ---- */

/* ': "value"' after a refusal, when the value is short plain text that is safe to show; "" otherwise. */
static const char *echo(const char *s, char buf[static ECHO_MAX + 5]) {
        size_t n = 0;

        buf[0] = 0;
        if (!s)
                return buf;
        for (; s[n]; n++)
                if (n >= ECHO_MAX || s[n] < ' ' || s[n] > '~' || s[n] == '"' || s[n] == '\\')
                        return buf;
        snprintf(buf, ECHO_MAX + 5, ": \"%s\"", s);
        return buf;
}

static int refuse_value(char **ret, const char *path, const JsonField *f, const char *value) {
        char buf[ECHO_MAX + 5];
        return reason_set(ret, -EINVAL, "%s\"%s\" %s%s", path, f->name, f->invalid ?: "is not valid",
                          echo(value, buf));
}

static int refuse_type(char **ret, const char *path, const JsonField *f, const char *what) {
        bool or_null = (f->flags & JSON_NULLABLE) && !(f->flags & JSON_REQUIRED);
        return reason_set(ret, -EINVAL, "%s\"%s\" must be %s%s", path, f->name, what,
                          or_null ? " or null" : "");
}

static int refuse_range(char **ret, const char *path, const JsonField *f, int64_t v) {
        return reason_set(ret, -EINVAL, "%s\"%s\" must be %" PRId64 "..%" PRId64 ", not %" PRId64, path,
                          f->name, f->min, f->max, v);
}

int json_codec_get_string(struct json_object *v, const char *key, const char **ret, char **ret_error) {
        if (!json_object_is_type(v, json_type_string))
                return reason_set(ret_error, -EINVAL, "%s must be a string", key);
        *ret = json_object_get_string(v);
        if (strlen(*ret) != (size_t) json_object_get_string_len(v))
                return reason_set(ret_error, -EINVAL, "%s contains a NUL character", key);
        return 0;
}

/* The path of a member inside f: "<path>\"<name>\"" and a suffix ("." or "[3]."). */
static char *member_path(const char *path, const JsonField *f, const char *suffix) {
        char *p;
        return asprintf(&p, "%s\"%s\"%s", path, f->name, suffix) < 0 ? NULL : p;
}

static void *member(void *obj, size_t offset) {
        return (char *) obj + offset;
}

static const void *cmember(const void *obj, size_t offset) {
        return (const char *) obj + offset;
}

/* ---- reading ---- */

static int read_string(struct json_object *v, const char *path, const JsonField *f, const char **ret,
                       char **ret_error) {
        if (!json_object_is_type(v, json_type_string))
                return refuse_type(ret_error, path, f, "a string");
        *ret = json_object_get_string(v);
        if (strlen(*ret) != (size_t) json_object_get_string_len(v))
                return reason_set(ret_error, -EINVAL, "%s\"%s\" contains a NUL character", path, f->name);
        return 0;
}

static int read_integer(struct json_object *v, const char *path, const JsonField *f, int64_t *ret,
                        char **ret_error) {
        int64_t x;

        if (!json_object_is_type(v, json_type_int))
                return refuse_type(ret_error, path, f, "an integer");
        errno = 0;
        x = json_object_get_int64(v);
        /* json-c clamps what int64 cannot hold, and says so in errno */
        if (errno != 0) /* clamped: the number in the message would not be the file's */
                return reason_set(ret_error, -EINVAL, "%s\"%s\" must be %" PRId64 "..%" PRId64, path,
                                  f->name, f->min, f->max);
        if (x < f->min || x > f->max)
                return refuse_range(ret_error, path, f, x);
        *ret = x;
        return 0;
}

static int read_array(struct json_object *v, const char *path, const JsonField *f, void *obj,
                      char **ret_error) {
        const JsonCodec *c = f->codec;
        void **vec = member(obj, f->offset);
        size_t *count = member(obj, f->count_offset);
        size_t n;
        int r;

        if (!json_object_is_type(v, json_type_array))
                return refuse_type(ret_error, path, f, "an array");
        if (*vec) /* json-c keeps one value per key: a second array here is the caller's bug */
                return reason_set(ret_error, -EINVAL, "%s\"%s\" is given twice", path, f->name);
        n = json_object_array_length(v);
        *vec = calloc(n ?: 1, f->elem_size);
        if (!*vec)
                return -ENOMEM;
        *count = 0;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *p = NULL;
                char suffix[32];
                void *elem = (char *) *vec + i * f->elem_size;

                if (c->init)
                        c->init(elem);
                *count = i + 1; /* the owner frees what a failed element holds */
                snprintf(suffix, sizeof(suffix), "[%zu].", i);
                p = member_path(path, f, suffix);
                if (!p)
                        return -ENOMEM;
                struct json_object *e = json_object_array_get_idx(v, i);
                if (!json_object_is_type(e, json_type_object)) {
                        p[strlen(p) - 1] = 0; /* no trailing "." */
                        return reason_set(ret_error, -EINVAL, "%s must be an object", p);
                }
                r = json_codec_read(c, e, p, elem, ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int read_field(struct json_object *v, const char *path, const JsonField *f, void *obj,
                      char **ret_error) {
        void *dst = member(obj, f->offset);
        const char *s;
        int64_t x;
        int r;

        switch (f->type) {
        case JSON_FIELD_STRING:
                r = read_string(v, path, f, &s, ret_error);
                if (r < 0)
                        return r;
                if (f->valid && !f->valid(s))
                        return refuse_value(ret_error, path, f, s);
                char *copy = strdup(s);
                if (!copy)
                        return -ENOMEM;
                free(*(char **) dst);
                *(char **) dst = copy;
                return 0;
        case JSON_FIELD_NAME: {
                char n[NAME_BUF_MAX];
                r = read_string(v, path, f, &s, ret_error);
                if (r < 0)
                        return r;
                assert(f->size <= sizeof(n));
                if (f->normalize(s, n) < 0)
                        return refuse_value(ret_error, path, f, s);
                size_t l = strnlen(n, f->size - 1);
                memcpy(dst, n, l);
                ((char *) dst)[l] = 0;
                return 0;
        }
        case JSON_FIELD_BOOL:
                if (!json_object_is_type(v, json_type_boolean))
                        return refuse_type(ret_error, path, f, "true or false");
                *(bool *) dst = json_object_get_boolean(v);
                return 0;
        case JSON_FIELD_INT:
                r = read_integer(v, path, f, &x, ret_error);
                if (r >= 0)
                        *(int *) dst = (int) x;
                return r;
        case JSON_FIELD_UINT:
                r = read_integer(v, path, f, &x, ret_error);
                if (r >= 0)
                        *(unsigned *) dst = (unsigned) x;
                return r;
        case JSON_FIELD_ENUM: {
                r = read_string(v, path, f, &s, ret_error);
                if (r < 0)
                        return r;
                int e = f->from_string(s);
                if (e < 0)
                        return refuse_value(ret_error, path, f, s);
                *(int *) dst = e;
                return 0;
        }
        case JSON_FIELD_OBJECT: {
                _cleanup_free_ char *p = NULL;
                if (!json_object_is_type(v, json_type_object))
                        return refuse_type(ret_error, path, f, "an object");
                p = member_path(path, f, ".");
                if (!p)
                        return -ENOMEM;
                return json_codec_read(f->codec, v, p, dst, ret_error);
        }
        case JSON_FIELD_ARRAY:
                return read_array(v, path, f, obj, ret_error);
        case JSON_FIELD_CUSTOM: {
                _cleanup_free_ char *p = member_path(path, f, "");
                if (!p)
                        return -ENOMEM;
                return f->read(v, obj, f, p, ret_error);
        }
        }
        return -EINVAL;
}

static const JsonField *find_field(const JsonCodec *c, const char *key) {
        for (size_t i = 0; i < c->n_fields; i++)
                if (streq(c->fields[i].name, key))
                        return &c->fields[i];
        return NULL;
}

static int run_check(const JsonCodec *c, const void *obj, char **ret_error) {
        char *problem = NULL;
        int r;

        if (!c->check)
                return 0;
        r = c->check(obj, &problem);
        if (r < 0)
                return r;
        if (problem) {
                free(*ret_error);
                *ret_error = problem;
                return -EINVAL;
        }
        return 0;
}

int json_codec_read(const JsonCodec *c, struct json_object *o, const char *path, void *obj,
                    char **ret_error) {
        uint64_t seen = 0;
        bool have_version = false;
        int r;

        assert(c->n_fields < 64);
        if (!json_object_is_type(o, json_type_object))
                return reason_set(ret_error, -EINVAL, "the document must be a JSON object");
        json_object_object_foreach(o, key, v) {
                if (c->version > 0 && streq(key, "version")) {
                        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) != c->version)
                                return reason_set(ret_error, -EINVAL, "%s\"version\" must be %d", path,
                                                  c->version);
                        have_version = true;
                        continue;
                }
                const JsonField *f = find_field(c, key);
                if (!f) {
                        if (c->ignore_unknown)
                                continue;
                        return reason_set(ret_error, -EINVAL, "unknown key %s\"%s\"", path, key);
                }
                if ((f->flags & JSON_NULLABLE) && json_object_is_type(v, json_type_null))
                        continue;
                r = read_field(v, path, f, obj, ret_error);
                if (r < 0)
                        return r;
                seen |= UINT64_C(1) << (f - c->fields);
        }
        if (c->version > 0 && !have_version)
                return reason_set(ret_error, -EINVAL, "missing %s\"version\"", path);
        for (size_t i = 0; i < c->n_fields; i++)
                if ((c->fields[i].flags & JSON_REQUIRED) && !(seen & (UINT64_C(1) << i)))
                        return reason_set(ret_error, -EINVAL, "missing %s\"%s\"", path, c->fields[i].name);
        return run_check(c, obj, ret_error);
}

int json_codec_parse(const JsonCodec *c, const char *text, size_t len, void *obj, char **ret_error) {
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        int r;

        r = json_parse_document(text, len, &o, ret_error);
        if (r < 0)
                return r;
        return json_codec_read(c, o, "", obj, ret_error);
}

/* ---- checking what is in memory ---- */

static int check_codec(const JsonCodec *c, const void *obj, const char *path, char **ret_problem);

/* An INT or UINT member's value. */
static int64_t number(const JsonField *f, const void *src) {
        return f->type == JSON_FIELD_INT ? (int64_t) * (const int *) src
                                         : (int64_t) * (const unsigned *) src;
}

static bool is_unset(const JsonField *f, int64_t v) {
        return (f->flags & JSON_OMIT_UNSET) && v == f->unset;
}

static int check_field(const JsonField *f, const void *obj, const char *path, char **ret_problem) {
        const void *src = cmember(obj, f->offset);
        int64_t x;

        switch (f->type) {
        case JSON_FIELD_STRING: {
                const char *s = *(char *const *) src;
                if (!s)
                        return (f->flags & JSON_REQUIRED)
                                       ? reason_set(ret_problem, -EINVAL, "missing %s\"%s\"", path, f->name)
                                       : 0;
                return f->valid && !f->valid(s) ? refuse_value(ret_problem, path, f, s) : 0;
        }
        case JSON_FIELD_NAME: {
                const char *s = src;
                char n[NAME_BUF_MAX];
                if (!memchr(s, 0, f->size))
                        return refuse_value(ret_problem, path, f, NULL);
                if (!*s && (f->flags & JSON_REQUIRED))
                        return reason_set(ret_problem, -EINVAL, "missing %s\"%s\"", path, f->name);
                if (!*s && (f->flags & (JSON_OMIT_UNSET | JSON_NULLABLE)))
                        return 0;
                return f->normalize(s, n) < 0 || !streq(n, s) ? refuse_value(ret_problem, path, f, s) : 0;
        }
        case JSON_FIELD_BOOL:
                return 0;
        case JSON_FIELD_INT:
        case JSON_FIELD_UINT:
                x = number(f, src);
                if (is_unset(f, x) || (x >= f->min && x <= f->max))
                        return 0;
                return refuse_range(ret_problem, path, f, x);
        case JSON_FIELD_ENUM:
                return f->to_string(*(const int *) src) ? 0 : refuse_value(ret_problem, path, f, NULL);
        case JSON_FIELD_OBJECT: {
                _cleanup_free_ char *p = member_path(path, f, ".");
                return p ? check_codec(f->codec, src, p, ret_problem) : -ENOMEM;
        }
        case JSON_FIELD_ARRAY: {
                const char *vec = *(const void *const *) src;
                size_t n = *(const size_t *) cmember(obj, f->count_offset);
                for (size_t i = 0; i < n; i++) {
                        _cleanup_free_ char *p = NULL;
                        char suffix[32];
                        snprintf(suffix, sizeof(suffix), "[%zu].", i);
                        p = member_path(path, f, suffix);
                        if (!p)
                                return -ENOMEM;
                        int r = check_codec(f->codec, vec + i * f->elem_size, p, ret_problem);
                        if (r < 0)
                                return r;
                }
                return 0;
        }
        case JSON_FIELD_CUSTOM: {
                if (!f->check)
                        return 0;
                _cleanup_free_ char *p = member_path(path, f, "");
                return p ? f->check(obj, f, p, ret_problem) : -ENOMEM;
        }
        }
        return -EINVAL;
}

static int check_codec(const JsonCodec *c, const void *obj, const char *path, char **ret_problem) {
        int r;

        for (size_t i = 0; i < c->n_fields; i++) {
                r = check_field(&c->fields[i], obj, path, ret_problem);
                if (r < 0)
                        return r;
        }
        return run_check(c, obj, ret_problem);
}

int json_codec_check(const JsonCodec *c, const void *obj, char **ret_problem) {
        char *problem = NULL;
        int r;

        r = check_codec(c, obj, "", &problem);
        if (r == -ENOMEM) {
                free(problem);
                return r;
        }
        *ret_problem = problem; /* NULL when r >= 0 */
        return 0;
}

/* ---- writing ---- */

/* Add v (NULL: JSON null) under key; takes v. */
static int add(struct json_object *o, const char *key, struct json_object *v) {
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int add_new(struct json_object *o, const char *key, struct json_object *v) {
        return v ? add(o, key, v) : -ENOMEM;
}

static int write_field(const JsonField *f, const void *obj, struct json_object *o) {
        const void *src = cmember(obj, f->offset);
        struct json_object *v = NULL;
        int64_t x;
        int r;

        switch (f->type) {
        case JSON_FIELD_STRING: {
                const char *s = *(char *const *) src;
                if (s)
                        return add_new(o, f->name, json_object_new_string(s));
                if (f->flags & JSON_WRITE_NULL)
                        return add(o, f->name, NULL);
                return (f->flags & JSON_OMIT_UNSET) ? 0 : -EINVAL;
        }
        case JSON_FIELD_NAME: {
                const char *s = src;
                if (!*s && (f->flags & JSON_OMIT_UNSET))
                        return 0;
                return add_new(o, f->name, json_object_new_string_len(s, (int) strnlen(s, f->size)));
        }
        case JSON_FIELD_BOOL:
                return add_new(o, f->name, json_object_new_boolean(*(const bool *) src));
        case JSON_FIELD_INT:
        case JSON_FIELD_UINT:
                x = number(f, src);
                if (is_unset(f, x))
                        return 0;
                return add_new(o, f->name, json_object_new_int64(x));
        case JSON_FIELD_ENUM: {
                const char *s = f->to_string(*(const int *) src);
                if (!s)
                        return -EINVAL;
                return add_new(o, f->name, json_object_new_string(s));
        }
        case JSON_FIELD_OBJECT:
                r = json_codec_write(f->codec, src, &v);
                if (r < 0)
                        return r;
                if ((f->flags & JSON_OMIT_UNSET) && json_object_object_length(v) == 0) {
                        json_object_put(v);
                        return 0;
                }
                return add(o, f->name, v);
        case JSON_FIELD_ARRAY: {
                const char *vec = *(const void *const *) src;
                size_t n = *(const size_t *) cmember(obj, f->count_offset);
                _cleanup_(json_object_putp) struct json_object *a = json_object_new_array();
                if (!a)
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++) {
                        r = json_codec_write(f->codec, vec + i * f->elem_size, &v);
                        if (r < 0)
                                return r;
                        if (json_object_array_add(a, v) < 0) {
                                json_object_put(v);
                                return -ENOMEM;
                        }
                }
                return add(o, f->name, TAKE_PTR(a));
        }
        case JSON_FIELD_CUSTOM:
                r = f->write(obj, f, &v);
                if (r < 0 || !v)
                        return r;
                return add(o, f->name, v);
        }
        return -EINVAL;
}

int json_codec_write(const JsonCodec *c, const void *obj, struct json_object **ret) {
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
        int r;

        if (!o)
                return -ENOMEM;
        if (c->version > 0) {
                r = add_new(o, "version", json_object_new_int(c->version));
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < c->n_fields; i++) {
                r = write_field(&c->fields[i], obj, o);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(o);
        return 0;
}

int json_codec_format(const JsonCodec *c, const void *obj, bool newline, char **ret) {
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        int r;

        r = json_codec_write(c, obj, &o);
        if (r < 0)
                return r;
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s || asprintf(ret, "%s%s", s, newline ? "\n" : "") < 0)
                return -ENOMEM;
        return 0;
}
