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

/* Write data to path atomically, for collectors that read the directory at any moment: a hidden
 * temporary file in the same directory (".NAME.XXXXXX", which node_exporter's textfile collector and
 * NFD both skip), fsync, mode 0644, rename over path. Returns 0 or -errno. */
int output_write_atomic(const char *path, const char *data, size_t len);

/* Print data on stdout, or replace path with it (output_write_atomic); reports errors, returns an exit
 * code. */
int output_emit(Cli *c, const char *path, const char *data, size_t len);
