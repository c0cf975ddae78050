/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * org.vgpud1.Instance on /org/vgpud1/instance/<hex>: a fallback vtable over
 * the instance objects (instance.h), found by path, listed by one node
 * enumerator so that GetManagedObjects returns every instance in one reply.
 */
#include "auth.h"
#include "backend.h"
#include "bus-names.h"
#include "bus-objects.h"
#include "config-file.h"
#include "gpu.h"
#include "hashmap.h"
#include "instance.h"
#include "lifecycle.h"
#include "manager.h"
#include "rpc.h"
#include "sched.h"

#define INSTANCE_PROPERTY_GETTER(name)                                                                      \
        static int name(sd_bus *bus, const char *path, const char *interface, const char *property,         \
                        sd_bus_message *reply, void *userdata, sd_bus_error *error)

INSTANCE_PROPERTY_GETTER(instance_get_uuid) {
        Instance *i = userdata;
        return sd_bus_message_append(reply, "s", i->uuid);
}

INSTANCE_PROPERTY_GETTER(instance_get_gpu) {
        Instance *i = userdata;
        const char *address = instance_gpu_address(i);
        GpuObject *g = address ? manager_find_gpu(i->manager, address) : NULL;
        /* "/" when the instance's parent is not a GPU vgpud knows (a sample driver such as mtty). */
        return sd_bus_message_append(reply, "o", g ? g->path : "/");
}

INSTANCE_PROPERTY_GETTER(instance_get_gpu_address) {
        Instance *i = userdata;
        return sd_bus_message_append(reply, "s", strempty(instance_gpu_address(i)));
}

INSTANCE_PROPERTY_GETTER(instance_get_parent) {
        Instance *i = userdata;
        return sd_bus_message_append(reply, "s", strempty(instance_parent(i)));
}

INSTANCE_PROPERTY_GETTER(instance_get_type) {
        Instance *i = userdata;
        return sd_bus_message_append(reply, "s", strempty(instance_type_id(i)));
}

INSTANCE_PROPERTY_GETTER(instance_get_type_name) {
        Instance *i = userdata;
        const char *name = NULL;

        if (i->live && i->live->type)
                name = vgpu_type_display_name(i->live->type);
        else {
                /* Not on the host: the name the type has on its GPU, if that GPU offers it now. */
                const char *address = instance_gpu_address(i), *id = instance_type_id(i);
                GpuObject *g = address ? manager_find_gpu(i->manager, address) : NULL;
                struct vgpu_type *m = NULL;
                if (g && id && gpu_object_type_members(g, id, &m, 1) > 0)
                        name = vgpu_type_display_name(m);
                else if (i->record && i->record->type_name)
                        name = i->record->type_name;
                else
                        name = id;
        }
        return sd_bus_message_append(reply, "s", strempty(name));
}

INSTANCE_PROPERTY_GETTER(instance_get_backend) {
        Instance *i = userdata;
        return sd_bus_message_append(reply, "s", strempty(backend_kind_to_string(instance_backend(i))));
}

static bool instance_is_rpc(const Instance *i) {
        return (i->live || i->record) && backend_device_kind(instance_backend(i)) == VGPU_DEVICE_VFIO_USER;
}

INSTANCE_PROPERTY_GETTER(instance_get_device) {
        Instance *i = userdata;
        _cleanup_free_ char *socket =
                i->live && instance_is_rpc(i) ? rpc_socket_path(i->manager, i->uuid) : NULL;
        /* What libvirt names, only while the device exists: for mdev the UUID, for vf / nvidia-vfio the
         * PCI function, for rpc the socket. */
        return sd_bus_message_append(reply, "s", socket ?: !i->live ? "" : i->live->device ?: i->uuid);
}

/* Where an RPC instance listens (also while it is only defined: where it will), "" for other backends. */
INSTANCE_PROPERTY_GETTER(instance_get_socket_path) {
        Instance *i = userdata;
        _cleanup_free_ char *socket = instance_is_rpc(i) ? rpc_socket_path(i->manager, i->uuid) : NULL;
        return sd_bus_message_append(reply, "s", strempty(socket));
}

INSTANCE_PROPERTY_GETTER(instance_get_engine_state) {
        Instance *i = userdata;
        return sd_bus_message_append(reply, "s", rpc_engine_state(i->manager, i));
}

INSTANCE_PROPERTY_GETTER(instance_get_counters) {
        Instance *i = userdata;
        return rpc_append_counters(i->manager, i, reply);
}

INSTANCE_PROPERTY_GETTER(instance_get_iommu_group) {
        Instance *i = userdata;
        return sd_bus_message_append(reply, "i", (int32_t) (i->live ? i->live->iommu_group : -1));
}

INSTANCE_PROPERTY_GETTER(instance_get_state) {
        Instance *i = userdata;
        return sd_bus_message_append(reply, "s", instance_state(i));
}

INSTANCE_PROPERTY_GETTER(instance_get_persistent) {
        Instance *i = userdata;
        return sd_bus_message_append(reply, "b", instance_persistent(i));
}

INSTANCE_PROPERTY_GETTER(instance_get_autostart) {
        Instance *i = userdata;
        return sd_bus_message_append(reply, "b", instance_autostart(i));
}

INSTANCE_PROPERTY_GETTER(instance_get_attributes) {
        Instance *i = userdata;
        int r = sd_bus_message_open_container(reply, 'a', "(ss)");
        for (size_t k = 0; r >= 0 && i->record && k < i->record->n_attrs; k++)
                r = sd_bus_message_append(reply, "(ss)", i->record->attrs[k].name,
                                          i->record->attrs[k].value);
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

INSTANCE_PROPERTY_GETTER(instance_get_origin) {
        Instance *i = userdata;
        return sd_bus_message_append(reply, "s", instance_origin_to_string(i->origin));
}

INSTANCE_PROPERTY_GETTER(instance_get_start_status) {
        Instance *i = userdata;
        return sd_bus_message_append(reply, "s", strempty(i->start_status));
}

INSTANCE_PROPERTY_GETTER(instance_get_owner) {
        Instance *i = userdata;
        return sd_bus_message_append(reply, "s", strempty(instance_owner(i)));
}

INSTANCE_PROPERTY_GETTER(instance_get_owner_source) {
        Instance *i = userdata;
        return sd_bus_message_append(reply, "s", i->owner ? "hook" : i->libvirt_owner ? "libvirt" : "");
}

/* Every method here changes the instance: authorization first, before its arguments are read, so that
 * an outsider learns nothing about them. */
static int authorize(sd_bus_message *call, Instance *i, sd_bus_error *error) {
        return bus_authorize(call, i->manager->config->admin_group, error);
}

static int method_start(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        int r = authorize(call, userdata, error);
        return r < 0 ? r : lifecycle_start(userdata, call, error);
}

static int method_stop_or_destroy(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        int force, r;

        r = authorize(call, userdata, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(call, "b", &force);
        if (r < 0)
                return r;
        if (streq(sd_bus_message_get_member(call), "Destroy"))
                return lifecycle_destroy(userdata, call, force, error);
        return lifecycle_stop(userdata, call, force, error);
}

static int method_define(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        int r = authorize(call, userdata, error);
        return r < 0 ? r : lifecycle_define(userdata, call, error);
}

static int method_undefine(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        int r = authorize(call, userdata, error);
        return r < 0 ? r : lifecycle_undefine(userdata, call, error);
}

static int method_set_autostart(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        int enable, r;

        r = authorize(call, userdata, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(call, "b", &enable);
        if (r < 0)
                return r;
        return lifecycle_set_autostart(userdata, call, enable, error);
}

static const sd_bus_vtable instance_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Uuid", "s", instance_get_uuid, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Gpu", "o", instance_get_gpu, 0, 0),
        SD_BUS_PROPERTY("GpuAddress", "s", instance_get_gpu_address, 0, 0),
        SD_BUS_PROPERTY("Parent", "s", instance_get_parent, 0, 0),
        SD_BUS_PROPERTY("Type", "s", instance_get_type, 0, 0),
        SD_BUS_PROPERTY("TypeName", "s", instance_get_type_name, 0, 0),
        SD_BUS_PROPERTY("Backend", "s", instance_get_backend, 0, 0),
        SD_BUS_PROPERTY("Device", "s", instance_get_device, 0, 0),
        SD_BUS_PROPERTY("IommuGroup", "i", instance_get_iommu_group, 0, 0),
        SD_BUS_PROPERTY("State", "s", instance_get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Persistent", "b", instance_get_persistent, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Autostart", "b", instance_get_autostart, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Attributes", "a(ss)", instance_get_attributes, 0, 0),
        SD_BUS_PROPERTY("Origin", "s", instance_get_origin, 0, 0),
        SD_BUS_PROPERTY("StartStatus", "s", instance_get_start_status, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        /* RPC mode (rpc.c): at most one change signal a second per instance */
        SD_BUS_PROPERTY("SocketPath", "s", instance_get_socket_path, 0, 0),
        SD_BUS_PROPERTY("EngineState", "s", instance_get_engine_state, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Counters", "a{st}", instance_get_counters, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        /* libvirt ownership (domains.c) and scheduling (sched.c) */
        SD_BUS_PROPERTY("Owner", "s", instance_get_owner, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("OwnerSource", "s", instance_get_owner_source, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Share", "u", bus_instance_get_sched_property, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Weight", "u", bus_instance_get_sched_property, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ConfiguredShare", "d", bus_instance_get_sched_property, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("MeasuredShare", "d", bus_instance_get_sched_property, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD("Start", "", "", method_start, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Stop", SD_BUS_ARGS("b", force), SD_BUS_NO_RESULT, method_stop_or_destroy,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Destroy", SD_BUS_ARGS("b", force), SD_BUS_NO_RESULT, method_stop_or_destroy,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Define", "", "", method_define, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Undefine", "", "", method_undefine, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetAutostart", SD_BUS_ARGS("b", enable), SD_BUS_NO_RESULT,
                                method_set_autostart, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetQuota", SD_BUS_ARGS("a{sv}", quota), SD_BUS_NO_RESULT,
                                bus_instance_set_quota, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

static int instance_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                         sd_bus_error *error) {
        Instance *i = manager_find_instance_by_path(userdata, path);
        if (!i || !i->published)
                return 0;
        *found = i;
        return 1;
}

static int instance_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes,
                              sd_bus_error *error) {
        Manager *m = userdata;
        size_t n = strmap_size(m->instance_paths), k = 0, it = 0;
        const char *key;
        void *v;

        _cleanup_strv_free_ char **l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        while (strmap_iterate(m->instance_paths, &it, &key, &v) && k < n)
                if (((Instance *) v)->published && !(l[k++] = strdup(key)))
                        return -ENOMEM;
        *nodes = TAKE_PTR(l);
        return 0;
}

const BusObjectInterface bus_instance_interface = {
        VGPUD_INSTANCE_IFACE, VGPUD_INSTANCE_PREFIX, instance_vtable, instance_find, instance_enumerate,
};

int bus_instance_register(Manager *m, sd_bus *bus) {
        int r;

        r = sd_bus_add_fallback_vtable(bus, NULL, VGPUD_INSTANCE_PREFIX, VGPUD_INSTANCE_IFACE,
                                       instance_vtable, instance_find, m);
        if (r < 0)
                return r;
        return sd_bus_add_node_enumerator(bus, NULL, VGPUD_INSTANCE_PREFIX, instance_enumerate, m);
}
