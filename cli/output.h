/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small helpers shared by the commands' output: JSON printing (json-c), the
 * colours of states, and the per-command option parsing boilerplate.
 */
#pragma once

#include <json-c/json.h>

#include "cli.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put)

/* Print a JSON value and a newline on stdout; consumes nothing. Returns an exit code. */
int json_print(json_object *j);
/* json_object_new_string(s ?: ""): D-Bus strings are never NULL but a struct field may be. */
json_object *json_string(const char *s);
json_object *json_strv(char *const *v);

const char *color_for_state(const char *state);
const char *color_for_available(const char *available);
