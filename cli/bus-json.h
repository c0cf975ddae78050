/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * D-Bus values as JSON, for `vgpuctl events`: any complete type a message
 * holds, read at the message's current position. Dictionaries with string
 * keys become objects, other dictionaries arrays of [key, value], structs
 * arrays, variants their content; 64-bit integers stay exact (json-c int64,
 * or uint64 above INT64_MAX). Unknown properties of a newer vgpud come out
 * too: nothing here knows vgpud's property names.
 */
#pragma once

#include <json-c/json.h>
#include <systemd/sd-bus.h>

/* Read one complete value (whose signature starts at the current position) into *ret. */
int bus_message_read_json(sd_bus_message *m, json_object **ret);

/* Read an a{sv} into a JSON object. */
int bus_message_read_properties_json(sd_bus_message *m, json_object **ret);
