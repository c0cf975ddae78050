/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bus-flood: a hostile D-Bus client of vgpud for limits.bats, on the bus of
 * DBUS_SYSTEM_BUS_ADDRESS.
 *
 *   bus-flood calls N INFLIGHT   N calls, INFLIGHT at a time, answered: reads
 *                                (ResolveType, GetGpu, Properties.GetAll) and
 *                                calls that fail (an unknown type, a wrong
 *                                signature, an unknown method, an unknown object)
 *   bus-flood stall N SECONDS    N calls (no big ones) sent and never read, for SECONDS
 *   bus-flood conns N SECONDS    N connections, each with a call in flight that it
 *                                never reads, held for SECONDS, then all dropped
 *
 * Prints what it did on one line ("sent=… answered=… errors=…"); exits 1 only
 * when it could not talk to the bus at all, since refusals are what a flood
 * is meant to get.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "bus-names.h"
#include "macro.h"

typedef struct Flood {
        size_t pending, answered, errors;
} Flood;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Flood *f = userdata;

        f->pending--;
        if (sd_bus_message_is_method_error(m, NULL))
                f->errors++;
        else
                f->answered++;
        return 0;
}

/* Call number i of a flood: mostly reads, every fourth one something vgpud must refuse. */
static int new_call(sd_bus *bus, size_t i, sd_bus_message **ret) {
        static const char *const props_iface = "org.freedesktop.DBus.Properties";
        sd_bus_message *m = NULL;
        int r;

        /* BUS_FLOOD_KIND=K: only calls of kind K (0..7), to tell which one a problem needs. */
        const char *kind = getenv("BUS_FLOOD_KIND");
        if (kind)
                i = strtoul(kind, NULL, 10);
        switch (i % 8) {
        case 0:
        case 4:
                r = sd_bus_message_new_method_call(bus, &m, VGPUD_BUS_NAME, VGPUD_ROOT_PATH,
                                                   VGPUD_MANAGER_IFACE, "ResolveType");
                if (r >= 0)
                        r = sd_bus_message_append(m, "ss", i % 8 ? "no-such-type" : "grid-2q", "");
                break;
        case 1:
                r = sd_bus_message_new_method_call(bus, &m, VGPUD_BUS_NAME, VGPUD_ROOT_PATH,
                                                   VGPUD_MANAGER_IFACE, "GetGpu");
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", "0000:3b:00.0");
                break;
        case 2:
                r = sd_bus_message_new_method_call(bus, &m, VGPUD_BUS_NAME, VGPUD_ROOT_PATH, props_iface,
                                                   "GetAll");
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", VGPUD_MANAGER_IFACE);
                break;
        case 3: /* a wrong signature */
                r = sd_bus_message_new_method_call(bus, &m, VGPUD_BUS_NAME, VGPUD_ROOT_PATH,
                                                   VGPUD_MANAGER_IFACE, "GetGpu");
                if (r >= 0)
                        r = sd_bus_message_append(m, "u", 7u);
                break;
        case 5: /* no such method */
                r = sd_bus_message_new_method_call(bus, &m, VGPUD_BUS_NAME, VGPUD_ROOT_PATH,
                                                   VGPUD_MANAGER_IFACE, "NoSuchMethod");
                break;
        case 6: /* no such object */
                r = sd_bus_message_new_method_call(bus, &m, VGPUD_BUS_NAME, "/org/vgpud1/instance/nope",
                                                   props_iface, "GetAll");
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", "");
                break;
        default: /* a big argument */ {
                static char big[60000];
                if (!big[0])
                        memset(big, 'x', sizeof(big) - 1);
                r = sd_bus_message_new_method_call(bus, &m, VGPUD_BUS_NAME, VGPUD_ROOT_PATH,
                                                   VGPUD_MANAGER_IFACE, "ResolveType");
                if (r >= 0)
                        r = sd_bus_message_append(m, "ss", big, big);
                break;
        }
        }
        if (r < 0) {
                sd_bus_message_unref(m);
                return r;
        }
        *ret = m;
        return 0;
}

static int flood_calls(size_t n, size_t inflight) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        Flood f = {};
        size_t sent = 0;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return fprintf(stderr, "bus-flood: cannot connect: %s\n", strerror(-r)), 1;
        while (sent < n || f.pending > 0) {
                while (sent < n && f.pending < inflight) {
                        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
                        r = new_call(bus, sent, &m);
                        if (r >= 0)
                                r = sd_bus_call_async(bus, NULL, m, on_reply, &f, 0);
                        if (r < 0)
                                return fprintf(stderr, "bus-flood: call: %s\n", strerror(-r)), 1;
                        sent++;
                        f.pending++;
                }
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return fprintf(stderr, "bus-flood: %s\n", strerror(-r)), 1;
                if (r == 0 && sd_bus_wait(bus, 5 * 1000000ULL) < 0)
                        return 1;
        }
        printf("sent=%zu answered=%zu errors=%zu\n", sent, f.answered, f.errors);
        return 0;
}

static int stall(size_t n, unsigned seconds) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        size_t sent = 0;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return fprintf(stderr, "bus-flood: cannot connect: %s\n", strerror(-r)), 1;
        for (size_t i = 0; i < n; i++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
                /* Without the big argument: a flood of those that are never read saturates dbus-daemon
                 * itself (docs/limits.md), which tells nothing about vgpud. */
                uint64_t cookie; /* asking for the cookie asks for a reply, which is never read */
                if (new_call(bus, i % 7, &m) < 0 || sd_bus_send(bus, m, &cookie) < 0)
                        break;
                sent++;
                if (i % 64 == 63)
                        (void) sd_bus_flush(bus); /* writes only: replies pile up unread */
        }
        (void) sd_bus_flush(bus);
        printf("sent=%zu (not reading for %us)\n", sent, seconds);
        fflush(stdout);
        sleep(seconds);
        return 0;
}

static int conns(size_t n, unsigned seconds) {
        sd_bus **buses = calloc(n, sizeof(*buses));
        size_t opened = 0;

        if (!buses)
                return 1;
        for (size_t i = 0; i < n; i++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
                if (sd_bus_open_system(&buses[i]) < 0)
                        break;
                opened++;
                if (new_call(buses[i], i, &m) >= 0)
                        (void) sd_bus_send(buses[i], m, NULL);
                (void) sd_bus_flush(buses[i]);
        }
        printf("connections=%zu (held for %us)\n", opened, seconds);
        fflush(stdout);
        sleep(seconds);
        for (size_t i = 0; i < opened; i++)
                sd_bus_close_unref(buses[i]);
        free(buses);
        return opened > 0 ? 0 : 1;
}

int main(int argc, char **argv) {
        if (argc == 4 && streq(argv[1], "calls"))
                return flood_calls(strtoul(argv[2], NULL, 10), strtoul(argv[3], NULL, 10));
        if (argc == 4 && streq(argv[1], "stall"))
                return stall(strtoul(argv[2], NULL, 10), (unsigned) strtoul(argv[3], NULL, 10));
        if (argc == 4 && streq(argv[1], "conns"))
                return conns(strtoul(argv[2], NULL, 10), (unsigned) strtoul(argv[3], NULL, 10));
        fprintf(stderr, "usage: bus-flood calls N INFLIGHT | stall N SECONDS | conns N SECONDS\n");
        return 2;
}
