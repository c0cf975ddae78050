/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of qemu-device-arg.h. */
#include <json-c/json.h>

#include "qemu-device-arg.h"

/* {"driver":...,"socket":{...}} nests two deep; a little room, no more. */
#define ARG_JSON_MAX_DEPTH 8

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_object *, json_object_put)

static int json_add_string(struct json_object *o, const char *key, const char *value) {
        struct json_object *s = json_object_new_string(value);

        if (!s || json_object_object_add(o, key, s) < 0) {
                json_object_put(s);
                return -ENOMEM;
        }
        return 0;
}

int qemu_device_arg_vfio_user(const char *socket_path, const char *id, char **ret) {
        _cleanup_(json_object_putp) struct json_object *o = NULL, *sock = NULL;
        const char *text;
        char *s;
        int r;

        if (isempty(socket_path))
                return -EINVAL;
        o = json_object_new_object();
        sock = json_object_new_object();
        if (!o || !sock)
                return -ENOMEM;
        if ((r = json_add_string(o, "driver", VFIO_USER_PCI_DRIVER)) < 0 ||
            (id && (r = json_add_string(o, "id", id)) < 0) ||
            (r = json_add_string(sock, "path", socket_path)) < 0 ||
            (r = json_add_string(sock, "type", "unix")) < 0)
                return r;
        if (json_object_object_add(o, "socket", sock) < 0)
                return -ENOMEM;
        sock = NULL; /* o owns it now */
        /* Plain (no spaces) and no "\/": QEMU's parser takes both, people read the latter badly. */
        text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        s = text ? strdup(text) : NULL;
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

void qemu_device_arg_done(struct qemu_device_arg *a) {
        if (!a)
                return;
        free(a->driver);
        free(a->id);
        free(a->socket_path);
        free(a->socket_type);
        *a = (struct qemu_device_arg){};
}

/* Copy the string member key of o into *ret (absent: untouched). -EINVAL if it is not a string. */
static int json_take_string(struct json_object *o, const char *key, char **ret) {
        struct json_object *v;

        if (!json_object_object_get_ex(o, key, &v))
                return 0;
        if (!json_object_is_type(v, json_type_string))
                return -EINVAL;
        free(*ret);
        *ret = strdup(json_object_get_string(v));
        return *ret ? 0 : -ENOMEM;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_tokener *, json_tokener_free)

static int parse_json(const char *arg, struct qemu_device_arg *a) {
        _cleanup_(json_tokener_freep) struct json_tokener *tok = NULL;
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        struct json_object *sock;
        size_t len = strlen(arg), end;
        int r;

        if (len > INT32_MAX)
                return -EINVAL;
        tok = json_tokener_new_ex(ARG_JSON_MAX_DEPTH);
        if (!tok)
                return -ENOMEM;
        o = json_tokener_parse_ex(tok, arg, (int) len);
        if (json_tokener_get_error(tok) != json_tokener_success || !json_object_is_type(o, json_type_object))
                return -EINVAL;
        /* Nothing but blanks may follow the object. */
        end = json_tokener_get_parse_end(tok);
        for (size_t k = end; k < len; k++)
                if (!strchr(" \t\r\n", arg[k]))
                        return -EINVAL;

        r = json_take_string(o, "driver", &a->driver);
        if (r >= 0)
                r = json_take_string(o, "id", &a->id);
        if (r >= 0 && json_object_object_get_ex(o, "socket", &sock)) {
                if (!json_object_is_type(sock, json_type_object))
                        return -EINVAL;
                r = json_take_string(sock, "path", &a->socket_path);
                if (r >= 0)
                        r = json_take_string(sock, "type", &a->socket_type);
        }
        return r;
}

/* One "key=value" element of the key=value form, starting at *p; advances
 * *p past the separating comma. A bare element (no '=') has *ret_value NULL. */
static int keyval_next(const char **p, char **ret_key, char **ret_value) {
        _cleanup_free_ char *key = NULL, *value = NULL;
        const char *s = *p, *k = s;
        size_t n = 0;

        while (*s && *s != '=' && *s != ',')
                s++;
        key = strndup(k, (size_t) (s - k));
        if (!key)
                return -ENOMEM;
        if (*s == '=') {
                s++;
                /* At most as long as the rest of the argument. */
                value = malloc(strlen(s) + 1);
                if (!value)
                        return -ENOMEM;
                for (;;) {
                        if (*s == ',' && s[1] == ',') { /* an escaped comma */
                                value[n++] = ',';
                                s += 2;
                        } else if (*s == ',' || *s == 0)
                                break;
                        else
                                value[n++] = *s++;
                }
                value[n] = 0;
        }
        if (*s == ',')
                s++;
        *p = s;
        *ret_key = TAKE_PTR(key);
        *ret_value = TAKE_PTR(value);
        return 0;
}

static int parse_keyval(const char *arg, struct qemu_device_arg *a) {
        bool first = true;
        const char *p = arg;

        while (*p) {
                _cleanup_free_ char *key = NULL, *value = NULL;
                char **slot = NULL;
                int r;

                r = keyval_next(&p, &key, &value);
                if (r < 0)
                        return r;
                if (!value) {
                        if (!first)
                                continue; /* a bare flag ("x-foo" = on): nothing vgpud reads */
                        /* "vfio-user-pci,...": the first bare element names the driver. */
                        value = TAKE_PTR(key);
                        key = strdup("driver");
                        if (!key)
                                return -ENOMEM;
                }
                first = false;
                if (isempty(key))
                        return -EINVAL;
                if (streq(key, "driver"))
                        slot = &a->driver;
                else if (streq(key, "id"))
                        slot = &a->id;
                else if (streq(key, "socket.path"))
                        slot = &a->socket_path;
                else if (streq(key, "socket.type"))
                        slot = &a->socket_type;
                else
                        continue;
                if (*slot) /* QEMU refuses a key given twice; so do we */
                        return -EINVAL;
                *slot = TAKE_PTR(value);
        }
        return 0;
}

int qemu_device_arg_parse(const char *arg, struct qemu_device_arg *ret) {
        struct qemu_device_arg a = {};
        const char *p = arg;
        int r;

        if (!arg)
                return -EINVAL;
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
                p++;
        r = *p == '{' ? parse_json(p, &a) : parse_keyval(arg, &a);
        if (r >= 0 && isempty(a.driver))
                r = -EINVAL;
        if (r < 0) {
                qemu_device_arg_done(&a);
                return r;
        }
        *ret = a;
        return 0;
}
