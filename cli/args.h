/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parsing of vgpuctl's argument values that are more than a word: vendor
 * attributes (`--attr name=value`, kept in order), `on|off`, and the options
 * dictionary (a{sv}) that create and define send. Pure functions, unit-tested.
 */
#pragma once

#include <systemd/sd-bus.h>

#include "macro.h"

typedef struct AttrList {
        char **keys;
        char **values;
        size_t n;
} AttrList;

/* "name=value": the name must be non-empty and a plain file name (it is a sysfs attribute
 * below the device); the value may be empty or contain '='. -EINVAL on anything else. */
int attr_parse(const char *s, char **ret_key, char **ret_value);
int attr_list_add(AttrList *l, const char *s);
void attr_list_done(AttrList *l);

/* on/off, yes/no, true/false, 1/0 (case-insensitive): 1 or 0; -EINVAL otherwise. */
int parse_on_off(const char *s);

typedef struct CreateOptions {
        bool persistent;
        bool autostart;
        const char *placement; /* NULL: the daemon's default */
        AttrList attrs;
        unsigned share, weight; /* 0: none */
} CreateOptions;

void create_options_done(CreateOptions *o);

/* Append the a{sv} options of CreateInstance/DefineInstance (docs/dbus-api.md). */
int create_options_append(sd_bus_message *m, const CreateOptions *o);
