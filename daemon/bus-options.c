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

int bus_read_options(sd_bus_message *m, const BusOption *known, size_t n, bus_option_read_t read,
                     void *userdata, sd_bus_error *e) {
        const char *key;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                size_t k;

                r = sd_bus_message_read_basic(m, 's', &key);
                if (r < 0)
                        return r;
                for (k = 0; k < n && !streq(known[k].key, key); k++)
                        ;
                if (k == n) {
                        _cleanup_free_ char *list = known_list(known, n);
                        return bus_error_setf(e, -EINVAL, SUBJECT_ARGUMENT,
                                              "Unknown option '%s' (this method knows %s)", key,
                                              strna(list));
                }
                if (sd_bus_message_verify_type(m, 'v', known[k].signature) <= 0)
                        return bus_error_setf(e, -EINVAL, SUBJECT_ARGUMENT, "Option '%s' must be of type %s",
                                              key, known[k].signature);
                r = sd_bus_message_enter_container(m, 'v', known[k].signature);
                if (r < 0)
                        return r;
                r = read(m, k, userdata, e);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m); /* the variant */
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m); /* the entry */
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
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
