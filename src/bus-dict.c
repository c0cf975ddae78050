/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of bus-dict.h. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-dict.h"
#include "macro.h"

int bus_dict_walk(sd_bus_message *m, const BusDictField *fields, size_t n, BusDictFlags flags,
                  bus_dict_visit_t visit, void *userdata, BusDictProblem *ret_problem, uint64_t *ret_seen) {
        bool strict = flags & BUS_DICT_STRICT;
        uint64_t seen = 0;
        size_t next = 0;
        const char *key;
        int r;

        assert(n <= 64);
        if (ret_problem)
                *ret_problem = (BusDictProblem){};
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                size_t k;

                r = sd_bus_message_read_basic(m, 's', &key);
                if (r < 0)
                        return r;
                /* Senders list the properties in one order, usually the table's: look from after the
                 * last match first (a listing reads thousands of dictionaries). */
                for (k = 0; k < n && !streq(fields[(next + k) % n].key, key); k++)
                        ;
                if (k < n) {
                        k = (next + k) % n;
                        next = k + 1;
                }
                if (k < n && sd_bus_message_verify_type(m, 'v', fields[k].signature) > 0) {
                        r = sd_bus_message_enter_container(m, 'v', fields[k].signature);
                        if (r < 0)
                                return r;
                        r = visit(m, k, userdata);
                        if (r < 0)
                                return r;
                        r = sd_bus_message_exit_container(m); /* the variant */
                        seen |= UINT64_C(1) << k;
                } else if (strict) {
                        if (ret_problem)
                                *ret_problem = (BusDictProblem){
                                        k < n ? BUS_DICT_WRONG_TYPE : BUS_DICT_UNKNOWN_KEY, key, k};
                        return -EINVAL;
                } else
                        r = sd_bus_message_skip(m, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m); /* the entry */
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        if (ret_seen)
                *ret_seen = seen;
        return 0;
}

struct dispatch {
        const BusDictField *fields;
        void *obj;
};

static int dispatch_one(sd_bus_message *m, size_t k, void *userdata) {
        struct dispatch *d = userdata;
        return d->fields[k].read(m, &d->fields[k], d->obj);
}

int bus_dict_read(sd_bus_message *m, const BusDictField *fields, size_t n, BusDictFlags flags, void *obj,
                  BusDictProblem *ret_problem, uint64_t *ret_seen) {
        struct dispatch d = {fields, obj};
        return bus_dict_walk(m, fields, n, flags, dispatch_one, &d, ret_problem, ret_seen);
}

static void *member(void *obj, size_t offset) {
        return (char *) obj + offset;
}

int bus_dict_read_string(sd_bus_message *m, const BusDictField *f, void *obj) {
        char **dst = member(obj, f->offset), *copy;
        const char *s;
        int r;

        r = sd_bus_message_read_basic(m, f->signature[0], &s);
        if (r < 0)
                return r;
        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        free(*dst);
        *dst = copy;
        return 0;
}

int bus_dict_read_bool(sd_bus_message *m, const BusDictField *f, void *obj) {
        int b, r;

        r = sd_bus_message_read_basic(m, 'b', &b);
        if (r < 0)
                return r;
        *(bool *) member(obj, f->offset) = b;
        return 0;
}

int bus_dict_read_basic(sd_bus_message *m, const BusDictField *f, void *obj) {
        return sd_bus_message_read_basic(m, f->signature[0], member(obj, f->offset));
}

int bus_dict_read_strv(sd_bus_message *m, const BusDictField *f, void *obj) {
        char ***dst = member(obj, f->offset);
        _cleanup_strv_free_ char **v = NULL;
        size_t n = 0;
        const char *s;
        int r;

        /* sd_bus_message_read_strv() takes "as" only: object paths are read one by one */
        r = sd_bus_message_enter_container(m, 'a', f->signature + 1);
        if (r < 0)
                return r;
        v = calloc(1, sizeof(char *));
        if (!v)
                return -ENOMEM;
        while ((r = sd_bus_message_read_basic(m, f->signature[1], &s)) > 0) {
                char **nv = realloc(v, (n + 2) * sizeof(char *));
                if (!nv)
                        return -ENOMEM;
                v = nv;
                v[n + 1] = NULL;
                v[n] = strdup(s);
                if (!v[n++])
                        return -ENOMEM;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        strv_freep(dst);
        *dst = TAKE_PTR(v);
        return 0;
}

int bus_dict_read_u32_array(sd_bus_message *m, const BusDictField *f, void *obj) {
        uint32_t **dst = member(obj, f->offset), *copy;
        size_t *count = member(obj, f->count_offset), size;
        const void *a;
        int r;

        r = sd_bus_message_read_array(m, 'u', &a, &size);
        if (r < 0)
                return r;
        copy = malloc(size ?: 1);
        if (!copy)
                return -ENOMEM;
        if (size > 0) /* a is NULL for an empty array */
                memcpy(copy, a, size);
        free(*dst);
        *dst = copy;
        *count = size / sizeof(uint32_t);
        return 0;
}
