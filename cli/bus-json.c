/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of bus-json.h: a recursive walk over the message's signature. */
#include "bus-json.h"
#include "macro.h"
#include "output.h"

static int read_basic_json(sd_bus_message *m, char type, json_object **ret) {
        union {
                uint8_t y;
                int b;
                int16_t n;
                uint16_t q;
                int32_t i;
                uint32_t u;
                int64_t x;
                uint64_t t;
                double d;
                const char *s;
                int h;
        } v;
        int r = sd_bus_message_read_basic(m, type, &v);
        if (r < 0)
                return r;
        switch (type) {
        case 'y':
                *ret = json_object_new_int(v.y);
                break;
        case 'b':
                *ret = json_object_new_boolean(v.b);
                break;
        case 'n':
                *ret = json_object_new_int(v.n);
                break;
        case 'q':
                *ret = json_object_new_int(v.q);
                break;
        case 'i':
                *ret = json_object_new_int(v.i);
                break;
        case 'u':
                *ret = json_object_new_int64(v.u);
                break;
        case 'x':
                *ret = json_object_new_int64(v.x);
                break;
        case 't':
                *ret = v.t > INT64_MAX ? json_object_new_uint64(v.t) : json_object_new_int64((int64_t) v.t);
                break;
        case 'd':
                *ret = json_object_new_double(v.d);
                break;
        case 'h':
                *ret = json_object_new_int(v.h);
                break;
        case 's':
        case 'o':
        case 'g':
                *ret = json_string(v.s);
                break;
        default:
                return -EINVAL;
        }
        return *ret ? 0 : -ENOMEM;
}

int bus_message_read_json(sd_bus_message *m, json_object **ret) {
        const char *contents;
        char type;
        int r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENXIO; /* at the end of the container */

        if (type != SD_BUS_TYPE_ARRAY && type != SD_BUS_TYPE_STRUCT && type != SD_BUS_TYPE_VARIANT)
                return read_basic_json(m, type, ret);

        r = sd_bus_message_enter_container(m, type, contents);
        if (r < 0)
                return r;
        _cleanup_(json_object_putp) json_object *j = NULL;
        if (type == SD_BUS_TYPE_VARIANT) {
                r = bus_message_read_json(m, &j);
                if (r < 0)
                        return r;
        } else if (type == SD_BUS_TYPE_ARRAY && contents[0] == '{' &&
                   (contents[1] == 's' || contents[1] == 'o')) {
                /* a{s...}: an object */
                /* "{sv}" -> "sv" */
                _cleanup_free_ char *entry = strndup(contents + 1, strlen(contents) - 2);
                j = json_object_new_object();
                if (!j || !entry)
                        return -ENOMEM;
                while ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, entry)) > 0) {
                        const char *key;
                        json_object *v = NULL;
                        r = sd_bus_message_read_basic(m, contents[1], &key);
                        if (r < 0)
                                return r;
                        r = bus_message_read_json(m, &v);
                        if (r < 0)
                                return r;
                        json_object_object_add(j, key, v);
                        r = sd_bus_message_exit_container(m);
                        if (r < 0)
                                return r;
                }
                if (r < 0)
                        return r;
        } else {
                /* arrays, structs and other dictionaries: a JSON array (a dict entry is [key, value]) */
                j = json_object_new_array();
                if (!j)
                        return -ENOMEM;
                for (;;) {
                        char t;
                        const char *c;
                        r = sd_bus_message_peek_type(m, &t, &c);
                        if (r < 0)
                                return r;
                        if (r == 0)
                                break;
                        json_object *v = NULL;
                        if (t == SD_BUS_TYPE_DICT_ENTRY) {
                                r = sd_bus_message_enter_container(m, t, c);
                                if (r < 0)
                                        return r;
                                v = json_object_new_array();
                                if (!v)
                                        return -ENOMEM;
                                for (int k = 0; k < 2; k++) {
                                        json_object *e = NULL;
                                        r = bus_message_read_json(m, &e);
                                        if (r < 0) {
                                                json_object_put(v);
                                                return r;
                                        }
                                        json_object_array_add(v, e);
                                }
                                r = sd_bus_message_exit_container(m);
                        } else
                                r = bus_message_read_json(m, &v);
                        if (r < 0) {
                                json_object_put(v);
                                return r;
                        }
                        json_object_array_add(j, v);
                }
        }
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(j);
        return 0;
}

int bus_message_read_properties_json(sd_bus_message *m, json_object **ret) {
        return bus_message_read_json(m, ret);
}
