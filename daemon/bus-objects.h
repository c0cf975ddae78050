/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Manager.GetObjects: the answer of GetManagedObjects cut down to the interfaces a client asks for. Why:
 * `vgpuctl gpus` needs the 64 GPU objects of a large host, not the 1,088 type objects and the 1,000
 * instances that come with them in GetManagedObjects, and every listing grew with the number of
 * instances (docs/performance.md). The properties are written by each interface's own vtable getters,
 * so that both calls always say the same.
 */
#pragma once

#include <systemd/sd-bus.h>

/* One interface of vgpud's object tree, as bus-gpu.c and bus-instance.c register it. */
typedef struct BusObjectInterface {
        const char *name;   /* org.vgpud1.Gpu, ... */
        const char *prefix; /* the subtree its objects live in */
        const sd_bus_vtable *vtable;
        sd_bus_object_find_t find;
        sd_bus_node_enumerator_t enumerate;
} BusObjectInterface;

extern const BusObjectInterface bus_gpu_interface, bus_type_interface, bus_instance_interface;

/* Manager.GetObjects(as interfaces) -> a{oa{sa{sv}}} (userdata: the Manager). */
int bus_manager_get_objects(sd_bus_message *call, void *userdata, sd_bus_error *error);
