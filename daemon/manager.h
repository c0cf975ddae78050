/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Manager owns everything vgpud has: the event loop, the bus connection,
 * the host-operation workers, the settings, and the daemon's view of the
 * host. There are no globals; every callback gets the Manager (or an object
 * it owns) as userdata. Everything here is touched on the main thread only.
 */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "hostop.h"
#include "macro.h"

typedef struct Finding {
        char *severity; /* info | warning | error */
        char *kind;     /* orphan | missing | parent-missing | corrupt-record | autostart-failed | ... */
        char *object;   /* a UUID or an address */
        char *message;
} Finding;

typedef struct Settings {
        char *admin_group;
        char *default_placement; /* pack | spread */
        char *state_dir;         /* persistent records */
        char *runtime_dir;       /* what this boot's vgpud made: transient instances */
        unsigned worker_threads;
} Settings;

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        HostOps *hostops;
        Settings settings;

        char *status; /* what sd_notify STATUS and Manager.Status say */
        Finding *findings;
        size_t n_findings;
} Manager;

int manager_new(const Settings *settings, Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free)

/* Connect to the bus, publish the objects, take the name, tell systemd we are ready. */
int manager_start(Manager *m);
/* Run the loop until SIGTERM/SIGINT; returns the loop's exit code. */
int manager_run(Manager *m);

/* One line of status for sd_notify and Manager.Status (emits PropertiesChanged). */
void manager_set_status(Manager *m, const char *fmt, ...) _printf_(2, 3);
int manager_add_finding(Manager *m, const char *severity, const char *kind, const char *object,
                        const char *fmt, ...) _printf_(5, 6);
void manager_clear_findings(Manager *m);

void settings_done(Settings *s);

/* The bus objects (bus-*.c). */
int bus_manager_register(Manager *m);
