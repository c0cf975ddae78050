/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Following vgpud's changes as they happen, for `vgpuctl events` and
 * `vgpuctl monitor`: the ObjectManager's InterfacesAdded/InterfacesRemoved
 * and PropertiesChanged below /org/vgpud1, and the bus's NameOwnerChanged
 * for org.vgpud1 so that a restarted daemon is noticed (its objects must be
 * read again: what the old one announced is void). Signals whose sender is
 * not the current owner of org.vgpud1 are dropped — anyone may emit a
 * signal with vgpud's path, only vgpud owns its name.
 */
#pragma once

#include <systemd/sd-bus.h>

#include "macro.h"

typedef enum WatchEvent {
        WATCH_ADDED,   /* InterfacesAdded: m at (o a{sa{sv}}) */
        WATCH_REMOVED, /* InterfacesRemoved: m at (o as) */
        WATCH_CHANGED, /* PropertiesChanged: m at (s a{sv} as); path is the object */
        WATCH_STARTED, /* vgpud took its name; m is NULL */
        WATCH_STOPPED, /* vgpud lost it (exited or crashed); m is NULL */
} WatchEvent;

typedef struct Watch Watch;
typedef int (*watch_fn)(Watch *w, WatchEvent ev, const char *path, sd_bus_message *m, void *userdata);

struct Watch {
        sd_bus *bus;
        char *owner; /* vgpud's unique name, NULL while it is not running */
        sd_bus_slot *slots[3];
        watch_fn fn;
        void *userdata;
};

/* Subscribe (the matches are in place when this returns), then learn vgpud's current owner; fn is
 * called from the bus's dispatch. No WATCH_STARTED for a vgpud that already runs: see w->owner. */
int watch_start(Watch *w, sd_bus *bus, watch_fn fn, void *userdata);
void watch_done(Watch *w);
const char *watch_event_to_string(WatchEvent ev);
