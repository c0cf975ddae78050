/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of bus-options.h. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#include "bus-error.h"
#include "bus-options.h"
#include "macro.h"

/* "a, b and c", or "none": for the refusal. */
static char *known_list(const BusOption *known, size_t n) {
        char *s = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&s, &size);

        if (!f)
                return NULL;
        if (n == 0)
                fputs("none", f);
        for (size_t k = 0; k < n; k++)
                fprintf(f, "%s%s", k == 0 ? "" : k + 1 == n ? " and " : ", ", known[k].key);
        if (fclose(f) != 0) {
                free(s);
                return NULL;
        }
        return s;
}

struct visit {
        bus_option_read_t read;
        void *userdata;
        sd_bus_error *error;
};

static int visit_option(sd_bus_message *m, size_t k, void *userdata) {
        struct visit *v = userdata;
        return v->read(m, k, v->userdata, v->error);
}

int bus_read_options(sd_bus_message *m, const BusOption *known, size_t n, bus_option_read_t read,
                     void *userdata, sd_bus_error *e) {
        struct visit v = {read, userdata, e};
        BusDictProblem p;
        int r;

        r = bus_dict_walk(m, known, n, BUS_DICT_STRICT, visit_option, &v, &p, NULL);
        if (p.kind == BUS_DICT_UNKNOWN_KEY) {
                _cleanup_free_ char *list = known_list(known, n);
                return bus_error_setf(e, -EINVAL, SUBJECT_ARGUMENT,
                                      "Unknown option '%s' (this method knows %s)", p.key, strna(list));
        }
        if (p.kind == BUS_DICT_WRONG_TYPE)
                return bus_error_setf(e, -EINVAL, SUBJECT_ARGUMENT, "Option '%s' must be of type %s", p.key,
                                      known[p.index].signature);
        return r;
}

static int read_bool(sd_bus_message *m, size_t k, void *userdata, sd_bus_error *e) {
        bool *values = userdata;
        int b, r;

        r = sd_bus_message_read_basic(m, 'b', &b);
        if (r < 0)
                return r;
        values[k] = b;
        return 0;
}

int bus_read_bool_options(sd_bus_message *m, const char *const *known, bool *values, sd_bus_error *e) {
        BusOption options[8];
        size_t n = 0;

        for (; known && known[n]; n++) {
                assert(n < ELEMENTSOF(options));
                options[n] = (BusOption){known[n], "b"};
        }
        return bus_read_options(m, options, n, read_bool, values, e);
}
