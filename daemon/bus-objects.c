/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of bus-objects.h. */
#include "bus-objects.h"
#include "bus-error.h"
#include "manager.h"
#include "strutil.h"

static const BusObjectInterface *const interfaces[] = {
        &bus_gpu_interface,
        &bus_type_interface,
        &bus_instance_interface,
};

/* The a{sv} of one interface of one object, as Properties.GetAll gives it. */
static int append_properties(sd_bus *bus, sd_bus_message *reply, const char *path,
                             const BusObjectInterface *iface, void *object, sd_bus_error *error) {
        int r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        for (const sd_bus_vtable *v = iface->vtable; v->type != _SD_BUS_VTABLE_END; v++) {
                if (v->type != _SD_BUS_VTABLE_PROPERTY && v->type != _SD_BUS_VTABLE_WRITABLE_PROPERTY)
                        continue;
                if (v->flags & (SD_BUS_VTABLE_HIDDEN | SD_BUS_VTABLE_PROPERTY_EXPLICIT))
                        continue;
                /* vgpud's properties all have getters (no offset-only ones). */
                if (!v->x.property.get)
                        return -EOPNOTSUPP;
                r = sd_bus_message_open_container(reply, 'e', "sv");
                if (r >= 0)
                        r = sd_bus_message_append_basic(reply, 's', v->x.property.member);
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'v', v->x.property.signature);
                if (r >= 0)
                        r = v->x.property.get(bus, path, iface->name, v->x.property.member, reply,
                                              (uint8_t *) object + v->x.property.offset, error);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

/* Every object of one interface: o -> {interface: a{sv}}. */
static int append_interface(sd_bus *bus, sd_bus_message *reply, Manager *m, const BusObjectInterface *iface,
                            sd_bus_error *error) {
        _cleanup_strv_free_ char **nodes = NULL;
        int r;

        r = iface->enumerate(bus, iface->prefix, m, &nodes, error);
        if (r < 0)
                return r;
        for (char **node = nodes; node && *node; node++) {
                void *object = NULL;
                r = iface->find(bus, *node, iface->name, m, &object, error);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue; /* another interface's object in the same subtree */
                r = sd_bus_message_open_container(reply, 'e', "oa{sa{sv}}");
                if (r >= 0)
                        r = sd_bus_message_append_basic(reply, 'o', *node);
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'a', "{sa{sv}}");
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'e', "sa{sv}");
                if (r >= 0)
                        r = sd_bus_message_append_basic(reply, 's', iface->name);
                if (r >= 0)
                        r = append_properties(bus, reply, *node, iface, object, error);
                for (int k = 0; r >= 0 && k < 3; k++)
                        r = sd_bus_message_close_container(reply);
                if (r < 0)
                        return r;
        }
        return 0;
}

int bus_manager_get_objects(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_strv_free_ char **want = NULL;
        sd_bus *bus = sd_bus_message_get_bus(call);
        Manager *m = userdata;
        int r;

        r = sd_bus_message_read_strv(call, &want);
        if (r < 0)
                return r;
        for (char **name = want; name && *name; name++) {
                bool known = false;
                for (size_t i = 0; i < ELEMENTSOF(interfaces) && !known; i++)
                        known = streq(*name, interfaces[i]->name);
                if (!known)
                        return bus_error_setf(error, -EINVAL, SUBJECT_ARGUMENT,
                                              "Unknown interface '%s': give %s, %s or %s (none: all three)",
                                              *name, bus_gpu_interface.name, bus_type_interface.name,
                                              bus_instance_interface.name);
        }
        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{oa{sa{sv}}}");
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(interfaces); i++)
                if (!want || !want[0] || strv_contains(want, interfaces[i]->name))
                        r = append_interface(bus, reply, m, interfaces[i], error);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}
