/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bus-regroup: a D-Bus client whose groups change after it connected, for
 * authz.bats. Its /proc/self/status then no longer tells the groups the bus
 * recorded for the connection, as /proc/<pid> of a reused pid would not:
 * vgpud must judge the call by the connection's credentials.
 *
 *   bus-regroup GIDS TYPE UUID
 *
 * Connects to the bus of DBUS_SYSTEM_BUS_ADDRESS, sets its supplementary
 * groups to GIDS (comma-separated, or "none"; needs CAP_SETGID), then calls
 * Manager.CreateInstance(TYPE, "", UUID, {}). Prints "ok" or the error's name
 * and message; exits 0 when the call succeeded, 1 when it was refused, 2 on a
 * usage or setup error.
 */
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "bus-names.h"
#include "macro.h"

static int parse_gids(const char *s, gid_t *gids, size_t max, size_t *ret_n) {
        size_t n = 0;

        if (streq(s, "none")) {
                *ret_n = 0;
                return 0;
        }
        for (const char *p = s; *p;) {
                char *end;
                unsigned long v = strtoul(p, &end, 10);

                if (end == p || (*end && *end != ',') || n == max)
                        return -EINVAL;
                gids[n++] = (gid_t) v;
                p = *end ? end + 1 : end;
        }
        *ret_n = n;
        return 0;
}

int main(int argc, char *argv[]) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        gid_t gids[32];
        const char *unique;
        size_t n;
        int r;

        if (argc != 4 || parse_gids(argv[1], gids, ELEMENTSOF(gids), &n) < 0) {
                fprintf(stderr, "usage: bus-regroup GIDS|none TYPE UUID\n");
                return 2;
        }
        r = sd_bus_open_system(&bus);
        if (r >= 0)
                /* connected and said Hello: the bus took our groups */
                r = sd_bus_get_unique_name(bus, &unique);
        if (r < 0) {
                fprintf(stderr, "bus-regroup: cannot connect to the bus: %s\n", strerror(-r));
                return 2;
        }
        if (setgroups(n, gids) < 0) {
                perror("bus-regroup: setgroups");
                return 2;
        }
        r = sd_bus_call_method(bus, VGPUD_BUS_NAME, VGPUD_ROOT_PATH, VGPUD_MANAGER_IFACE, "CreateInstance",
                               &error, NULL, "sssa{sv}", argv[2], "", argv[3], 0);
        if (r < 0) {
                printf("%s: %s\n", strna(error.name), strna(error.message));
                return 1;
        }
        printf("ok\n");
        return 0;
}
