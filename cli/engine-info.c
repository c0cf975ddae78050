/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of engine-info.h. */
#include <inttypes.h>
#include <stdio.h>

#include "bus-names.h"
#include "engine-info.h"
#include "macro.h"
#include "strutil.h"

static int get_string(sd_bus *bus, const char *path, const char *name, sd_bus_error *error, char **ret) {
        return sd_bus_get_property_string(bus, VGPUD_BUS_NAME, path, VGPUD_INSTANCE_IFACE, name, error, ret);
}

static int read_counters(sd_bus_message *m, EngineInfo *e) {
        const char *k;
        uint64_t v;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{st}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "{st}", &k, &v)) > 0) {
                EngineCounter *n = realloc(e->counters, (e->n_counters + 1) * sizeof(*n));
                if (!n)
                        return -ENOMEM;
                e->counters = n;
                n[e->n_counters].name = strdup(k);
                n[e->n_counters].value = v;
                if (!n[e->n_counters++].name)
                        return -ENOMEM;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

int engine_info_fetch(sd_bus *bus, const char *path, sd_bus_error *error, EngineInfo *ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        *ret = (EngineInfo){.measured_share = -1};
        if ((r = get_string(bus, path, "SocketPath", error, &ret->socket_path)) < 0 ||
            (r = get_string(bus, path, "EngineState", error, &ret->state)) < 0)
                return r;
        r = sd_bus_get_property_trivial(bus, VGPUD_BUS_NAME, path, VGPUD_INSTANCE_IFACE, "MeasuredShare",
                                        error, 'd', &ret->measured_share);
        if (r < 0)
                return r;
        r = sd_bus_get_property(bus, VGPUD_BUS_NAME, path, VGPUD_INSTANCE_IFACE, "Counters", error, &reply,
                                "a{st}");
        if (r < 0)
                return r;
        return read_counters(reply, ret);
}

void engine_info_done(EngineInfo *e) {
        free(e->socket_path);
        free(e->state);
        for (size_t k = 0; k < e->n_counters; k++)
                free(e->counters[k].name);
        free(e->counters);
        *e = (EngineInfo){.measured_share = -1};
}

uint64_t engine_info_counter(const EngineInfo *e, const char *name) {
        for (size_t k = 0; k < e->n_counters; k++)
                if (streq(e->counters[k].name, name))
                        return e->counters[k].value;
        return 0;
}

void engine_info_print(const EngineInfo *e) {
        printf("Socket:      %s\n", isempty(e->socket_path) ? "-" : e->socket_path);
        printf("Engine:      %s\n", isempty(e->state) ? "- (not created)" : e->state);
        if (isempty(e->state))
                return;
        if (e->measured_share >= 0)
                printf("Measured:    %.1f%% of the engine (last full second)\n", e->measured_share);
        else
                printf("Measured:    n/a\n");
        printf("Counters:    busy %.3f s, %" PRIu64 " commands, %" PRIu64 " bytes, %" PRIu64
               " fences, %" PRIu64 " violations\n",
               engine_info_counter(e, "busy_ns") / 1e9, engine_info_counter(e, "commands"),
               engine_info_counter(e, "bytes"), engine_info_counter(e, "fences"),
               engine_info_counter(e, "violations"));
        printf("             %" PRIu64 " connections, %" PRIu64 " protocol errors, %" PRIu64
               " MMIO-throttled windows, %" PRIu64 " DMA mappings\n",
               engine_info_counter(e, "connections"), engine_info_counter(e, "protocol_errors"),
               engine_info_counter(e, "mmio_throttled"), engine_info_counter(e, "dma_maps"));
        if (engine_info_counter(e, "dma_remote_maps") || engine_info_counter(e, "dma_refused"))
                printf("DMA:         %" PRIu64 " mappings reached through DMA_READ/DMA_WRITE (%" PRIu64
                       " messages), %" PRIu64 " DMA_MAP refused%s\n",
                       engine_info_counter(e, "dma_remote_maps"), engine_info_counter(e, "dma_messages"),
                       engine_info_counter(e, "dma_refused"),
                       engine_info_counter(e, "dma_refused") ? " (vgpud's log says why)" : "");
        if (engine_info_counter(e, "posted_writes") || engine_info_counter(e, "write_multi"))
                printf("MMIO:        %" PRIu64 " posted writes, %" PRIu64 " REGION_WRITE_MULTI messages\n",
                       engine_info_counter(e, "posted_writes"), engine_info_counter(e, "write_multi"));
        if (engine_info_counter(e, "error_status"))
                printf("Error:       %" PRIu64
                       " (docs/engine.md \"Failure semantics\"; the guest ends it with a "
                       "reset)\n",
                       engine_info_counter(e, "error_status"));
}

json_object *engine_info_json(const EngineInfo *e) {
        json_object *j = json_object_new_object(), *c = json_object_new_object();

        json_object_object_add(j, "socket", json_string(e->socket_path));
        json_object_object_add(j, "state", json_string(e->state));
        json_object_object_add(j, "measured_share",
                               e->measured_share >= 0 ? json_object_new_double(e->measured_share) : NULL);
        for (size_t k = 0; k < e->n_counters; k++)
                json_object_object_add(c, e->counters[k].name, json_object_new_uint64(e->counters[k].value));
        json_object_object_add(j, "counters", c);
        return j;
}
