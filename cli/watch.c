/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of watch.h. */
#include "watch.h"
#include "bus-names.h"

static const char *const event_names[] = {
        [WATCH_ADDED] = "added",           [WATCH_REMOVED] = "removed",       [WATCH_CHANGED] = "changed",
        [WATCH_STARTED] = "vgpud-started", [WATCH_STOPPED] = "vgpud-stopped",
};

const char *watch_event_to_string(WatchEvent ev) {
        return ev < ELEMENTSOF(event_names) ? event_names[ev] : NULL;
}

static bool from_vgpud(Watch *w, sd_bus_message *m) {
        return w->owner && streq_ptr(sd_bus_message_get_sender(m), w->owner);
}

static int on_object_manager(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Watch *w = userdata;
        const char *path;

        if (!from_vgpud(w, m))
                return 0;
        bool added = sd_bus_message_is_signal(m, "org.freedesktop.DBus.ObjectManager", "InterfacesAdded");
        if (!added &&
            !sd_bus_message_is_signal(m, "org.freedesktop.DBus.ObjectManager", "InterfacesRemoved"))
                return 0;
        /* Peek at the object path, then hand the message over from its start. */
        if (sd_bus_message_read_basic(m, 'o', &path) < 0)
                return 0;
        _cleanup_free_ char *p = strdup(path);
        if (!p || sd_bus_message_rewind(m, true) < 0)
                return 0;
        return w->fn(w, added ? WATCH_ADDED : WATCH_REMOVED, p, m, w->userdata);
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Watch *w = userdata;
        if (!from_vgpud(w, m))
                return 0;
        return w->fn(w, WATCH_CHANGED, sd_bus_message_get_path(m), m, w->userdata);
}

static int set_owner(Watch *w, const char *owner) {
        char *o = isempty(owner) ? NULL : strdup(owner);
        if (!isempty(owner) && !o)
                return -ENOMEM;
        free(w->owner);
        w->owner = o;
        return 0;
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Watch *w = userdata;
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || !streq(name, VGPUD_BUS_NAME))
                return 0;
        if (set_owner(w, new_owner) < 0)
                return 0;
        /* A handover (old and new both set) is a stop followed by a start. */
        if (!isempty(old_owner)) {
                int r = w->fn(w, WATCH_STOPPED, NULL, NULL, w->userdata);
                if (r < 0)
                        return r;
        }
        if (!isempty(new_owner))
                return w->fn(w, WATCH_STARTED, NULL, NULL, w->userdata);
        return 0;
}

int watch_start(Watch *w, sd_bus *bus, watch_fn fn, void *userdata) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        *w = (Watch){.bus = sd_bus_ref(bus), .fn = fn, .userdata = userdata};
        r = sd_bus_add_match(
                bus, &w->slots[0],
                "type='signal',interface='org.freedesktop.DBus.ObjectManager',path='" VGPUD_ROOT_PATH "'",
                on_object_manager, w);
        if (r < 0)
                return r;
        r = sd_bus_add_match(
                bus, &w->slots[1],
                "type='signal',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',"
                "path_namespace='" VGPUD_ROOT_PATH "'",
                on_properties_changed, w);
        if (r < 0)
                return r;
        r = sd_bus_add_match(
                bus, &w->slots[2],
                "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='" VGPUD_BUS_NAME "'",
                on_name_owner_changed, w);
        if (r < 0)
                return r;
        /* Only now, with the matches in place, ask who owns the name: no start can slip between. */
        r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "GetNameOwner", &error, &reply, "s", VGPUD_BUS_NAME);
        if (r < 0)
                return sd_bus_error_has_name(&error, "org.freedesktop.DBus.Error.NameHasNoOwner") ? 0 : r;
        const char *owner;
        r = sd_bus_message_read(reply, "s", &owner);
        if (r < 0)
                return r;
        return set_owner(w, owner);
}

void watch_done(Watch *w) {
        for (size_t i = 0; i < ELEMENTSOF(w->slots); i++)
                w->slots[i] = sd_bus_slot_unref(w->slots[i]);
        w->bus = sd_bus_unref(w->bus);
        free(w->owner);
        w->owner = NULL;
}
