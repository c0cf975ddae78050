/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What vgpud's mediation engine reports about an RPC instance (its socket,
 * state, measured share and counters: the RPC properties of
 * org.vgpud1.Instance), read with one Get per property, for `vgpuctl show`
 * and `vgpuctl probe`.
 */
#pragma once

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "output.h"

typedef struct EngineCounter {
        char *name;
        uint64_t value;
} EngineCounter;

typedef struct EngineInfo {
        char *socket_path;
        char *state;           /* disconnected | idle | busy | failsafe; "" while not created */
        double measured_share; /* 0..1, -1: nothing measured */
        EngineCounter *counters;
        size_t n_counters;
} EngineInfo;

int engine_info_fetch(sd_bus *bus, const char *path, sd_bus_error *error, EngineInfo *ret);
void engine_info_done(EngineInfo *e);
/* The counter named name, or 0. */
uint64_t engine_info_counter(const EngineInfo *e, const char *name);
/* The "Engine" lines of `vgpuctl show`; the "engine" object of its JSON. */
void engine_info_print(const EngineInfo *e);
json_object *engine_info_json(const EngineInfo *e);
