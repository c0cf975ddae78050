/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The a{sv} "options" argument of vgpud's methods, read one way everywhere: a
 * key the method does not know, or a value of the wrong type, is InvalidArgs
 * naming what the method does know, before anything is done. The walk is
 * bus-dict.h's, in its strict form; this file says the refusal in words.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-bus.h>

#include "bus-dict.h"

/* {key, signature of the value inside the variant}: the a{sv} reader's field (bus-dict.h). */
typedef BusDictField BusOption;

/* Called with m inside the variant of known[k]; reads the value (all of it) and returns >= 0, or fails
 * the call (a negative errno, with e set when the value itself is refused). */
typedef int (*bus_option_read_t)(sd_bus_message *m, size_t k, void *userdata, sd_bus_error *e);

/* Read the options a{sv} at m's position (n known keys; 0: the method takes none). */
int bus_read_options(sd_bus_message *m, const BusOption *known, size_t n, bus_option_read_t read,
                     void *userdata, sd_bus_error *e);

/* The common case: options that are all booleans; values[k] is set for each key given (the others keep
 * what the caller put there). known is NULL-terminated. */
int bus_read_bool_options(sd_bus_message *m, const char *const *known, bool *values, sd_bus_error *e);
