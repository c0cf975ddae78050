/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * org.vgpud1.Gpu on /org/vgpud1/gpu/<id> and org.vgpud1.Type on
 * /org/vgpud1/gpu/<id>/type/<enc>: fallback vtables over the GPU and type
 * objects (gpu.h), found by path, listed by one node enumerator. Every value
 * is read from memory; nothing here touches sysfs.
 */
#include "auth.h"
#include "backend.h"
#include "bus-error.h"
#include "bus-names.h"
#include "bus-objects.h"
#include "bus-options.h"
#include "config-file.h"
#include "device-binding.h"
#include "gpu.h"
#include "hashmap.h"
#include "host.h"
#include "instance.h"
#include "manager.h"
#include "sched.h"
#include "sriov-state.h"

#define GPU_PROPERTY_GETTER(name)                                                                           \
        static int name(sd_bus *bus, const char *path, const char *interface, const char *property,         \
                        sd_bus_message *reply, void *userdata, sd_bus_error *error)

GPU_PROPERTY_GETTER(gpu_get_id) {
        GpuObject *g = userdata;
        return sd_bus_message_append(reply, "s", g->id);
}

GPU_PROPERTY_GETTER(gpu_get_address) {
        GpuObject *g = userdata;
        return sd_bus_message_append(reply, "s", g->address);
}

GPU_PROPERTY_GETTER(gpu_get_ids) {
        GpuObject *g = userdata;
        uint16_t v = streq(property, "VendorId")            ? g->vendor_id
                     : streq(property, "DeviceId")          ? g->device_id
                     : streq(property, "SubsystemVendorId") ? g->subsystem_vendor_id
                                                            : g->subsystem_device_id;
        return sd_bus_message_append(reply, "q", v);
}

GPU_PROPERTY_GETTER(gpu_get_vendor) {
        GpuObject *g = userdata;
        return sd_bus_message_append(reply, "s", strempty(g->vendor));
}

GPU_PROPERTY_GETTER(gpu_get_name) {
        GpuObject *g = userdata;
        return sd_bus_message_append(reply, "s", strempty(g->name));
}

GPU_PROPERTY_GETTER(gpu_get_driver) {
        GpuObject *g = userdata;
        return sd_bus_message_append(reply, "s", g->gpu ? strempty(g->gpu->driver) : "");
}

GPU_PROPERTY_GETTER(gpu_get_iommu_group) {
        GpuObject *g = userdata;
        return sd_bus_message_append(reply, "i", (int32_t) (g->gpu ? g->gpu->iommu_group : -1));
}

GPU_PROPERTY_GETTER(gpu_get_present) {
        GpuObject *g = userdata;
        return sd_bus_message_append(reply, "b", g->gpu != NULL);
}

GPU_PROPERTY_GETTER(gpu_get_backends) {
        GpuObject *g = userdata;
        bool have[_VGPU_BACKEND_MAX] = {};
        int r;

        /* the backends of the parents on this GPU: itself and its VFs */
        for (size_t i = 0; i < g->n_types; i++) {
                struct vgpu_type *m = NULL;
                if (gpu_object_type_members(g, g->types[i]->id, &m, 1) > 0 && m->backend >= 0)
                        have[m->backend] = true;
        }
        r = sd_bus_message_open_container(reply, 'a', "s");
        const struct backend_ops *b;
        for (int k = 0; r >= 0 && (b = backend_next(&k));)
                if (have[b->kind])
                        r = sd_bus_message_append(reply, "s", backend_kind_to_string(b->kind));
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

GPU_PROPERTY_GETTER(gpu_get_hosted_type) {
        GpuObject *g = userdata;
        return sd_bus_message_append(reply, "s", gpu_object_hosted_type(g));
}

GPU_PROPERTY_GETTER(gpu_get_types) {
        GpuObject *g = userdata;
        int r = sd_bus_message_open_container(reply, 'a', "o");
        for (size_t i = 0; r >= 0 && i < g->n_types; i++)
                r = sd_bus_message_append(reply, "o", g->types[i]->path);
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

GPU_PROPERTY_GETTER(gpu_get_instances) {
        GpuObject *g = userdata;
        size_t it = 0;
        const char *k;
        void *v;

        int r = sd_bus_message_open_container(reply, 'a', "o");
        while (r >= 0 && strmap_iterate(g->manager->instances, &it, &k, &v))
                if (streq_ptr(instance_gpu_address(v), g->address))
                        r = sd_bus_message_append(reply, "o", ((Instance *) v)->path);
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

GPU_PROPERTY_GETTER(gpu_get_sriov) {
        GpuObject *g = userdata;
        unsigned v = !g->gpu                            ? 0
                     : streq(property, "SriovTotalVfs") ? g->gpu->sriov.total_vfs
                                                        : g->gpu->sriov.num_vfs;
        return sd_bus_message_append(reply, "u", (uint32_t) v);
}

GPU_PROPERTY_GETTER(gpu_get_sriov_configured) {
        GpuObject *g = userdata;
        return sd_bus_message_append(reply, "u", (uint32_t) sriov_configured_vfs(g->manager, g->address));
}

GPU_PROPERTY_GETTER(gpu_get_sriov_status) {
        GpuObject *g = userdata;
        return sd_bus_message_append(reply, "s", sriov_status(g->manager, g->address));
}

GPU_PROPERTY_GETTER(gpu_get_vfs) {
        GpuObject *g = userdata;
        int r = sd_bus_message_open_container(reply, 'a', "(ssi)");

        for (char **vf = g->gpu ? g->gpu->sriov.vfs : NULL; r >= 0 && vf && *vf; vf++) {
                const struct vgpu_gpu *d = host_find_gpu(g->manager->host, *vf);
                r = sd_bus_message_append(reply, "(ssi)", *vf, d ? strempty(d->driver) : "",
                                          (int32_t) (d ? d->iommu_group : -1));
        }
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int method_set_sriov(sd_bus_message *call, void *userdata, sd_bus_error *e) {
        static const char *const options[] = {"persistent", NULL};
        GpuObject *g = userdata;
        bool values[1] = {true};
        uint32_t n;
        int r;

        /* Authorization first: an outsider learns nothing about the arguments it sent. */
        r = bus_authorize(call, g->manager->config->admin_group, e);
        if (r < 0)
                return r;
        r = sd_bus_message_read(call, "u", &n);
        if (r < 0)
                return r;
        r = bus_read_bool_options(call, options, values, e);
        if (r < 0)
                return r;
        return sriov_set(g, call, n, values[0], e);
}

static const sd_bus_vtable gpu_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Id", "s", gpu_get_id, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Address", "s", gpu_get_address, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("VendorId", "q", gpu_get_ids, 0, 0),
        SD_BUS_PROPERTY("DeviceId", "q", gpu_get_ids, 0, 0),
        SD_BUS_PROPERTY("SubsystemVendorId", "q", gpu_get_ids, 0, 0),
        SD_BUS_PROPERTY("SubsystemDeviceId", "q", gpu_get_ids, 0, 0),
        SD_BUS_PROPERTY("Vendor", "s", gpu_get_vendor, 0, 0),
        SD_BUS_PROPERTY("Name", "s", gpu_get_name, 0, 0),
        SD_BUS_PROPERTY("Driver", "s", gpu_get_driver, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("IommuGroup", "i", gpu_get_iommu_group, 0, 0),
        SD_BUS_PROPERTY("Present", "b", gpu_get_present, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Backends", "as", gpu_get_backends, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("HostedType", "s", gpu_get_hosted_type, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Types", "ao", gpu_get_types, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Instances", "ao", gpu_get_instances, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("SriovTotalVfs", "u", gpu_get_sriov, 0, 0),
        SD_BUS_PROPERTY("SriovNumVfs", "u", gpu_get_sriov, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("SriovConfiguredVfs", "u", gpu_get_sriov_configured, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("SriovStatus", "s", gpu_get_sriov_status, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("VirtualFunctions", "a(ssi)", gpu_get_vfs, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("SetSriov", SD_BUS_ARGS("u", num_vfs, "a{sv}", options), SD_BUS_NO_RESULT,
                                method_set_sriov, SD_BUS_VTABLE_UNPRIVILEGED),
        /* scheduling (sched.c) */
        SD_BUS_PROPERTY("SchedulerPolicy", "s", bus_gpu_get_sched_property, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("TimeSliceMs", "u", bus_gpu_get_sched_property, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("SchedulerParams", "a{sv}", bus_gpu_get_sched_property, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("VendorSchedulerSetting", "s", bus_gpu_get_sched_property, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("VendorSchedulerConfig", "s", bus_gpu_get_sched_property, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("SchedulerNote", "s", bus_gpu_get_sched_property, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("SetSchedulerPolicy",
                                SD_BUS_ARGS("s", policy, "u", time_slice_ms, "a{sv}", options),
                                SD_BUS_NO_RESULT, bus_gpu_set_scheduler_policy, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("ResetSchedulerPolicy", "", "", bus_gpu_reset_scheduler_policy,
                      SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

/* The first library type behind a type object: id, name and parsed fields are the same for all. */
static struct vgpu_type *type_first_member(TypeObject *t) {
        struct vgpu_type *m = NULL;
        return gpu_object_type_members(t->gpu, t->id, &m, 1) > 0 ? m : NULL;
}

GPU_PROPERTY_GETTER(type_get_id) {
        TypeObject *t = userdata;
        return sd_bus_message_append(reply, "s", t->id);
}

GPU_PROPERTY_GETTER(type_get_gpu) {
        TypeObject *t = userdata;
        return sd_bus_message_append(reply, "o", t->gpu->path);
}

GPU_PROPERTY_GETTER(type_get_gpu_address) {
        TypeObject *t = userdata;
        return sd_bus_message_append(reply, "s", t->gpu->address);
}

GPU_PROPERTY_GETTER(type_get_backend) {
        TypeObject *t = userdata;
        struct vgpu_type *m = type_first_member(t);
        return sd_bus_message_append(reply, "s", m ? strempty(backend_kind_to_string(m->backend)) : "mdev");
}

GPU_PROPERTY_GETTER(type_get_string) {
        TypeObject *t = userdata;
        struct vgpu_type *m = type_first_member(t);
        const char *v = NULL;
        char buf[64];

        if (m) {
                if (streq(property, "Name"))
                        v = vgpu_type_display_name(m);
                else if (streq(property, "Description"))
                        v = m->description;
                else if (streq(property, "DeviceApi"))
                        v = m->device_api;
                else if (streq(property, "Series"))
                        v = m->series;
                else if (streq(property, "MaxResolution") && m->max_width > 0) {
                        snprintf(buf, sizeof(buf), "%ux%u", m->max_width, m->max_height);
                        v = buf;
                }
        }
        return sd_bus_message_append(reply, "s", strempty(v));
}

GPU_PROPERTY_GETTER(type_get_framebuffer) {
        TypeObject *t = userdata;
        struct vgpu_type *m = type_first_member(t);
        return sd_bus_message_append(reply, "t", (uint64_t) (m ? m->framebuffer_mb : 0));
}

GPU_PROPERTY_GETTER(type_get_u32) {
        TypeObject *t = userdata;
        struct vgpu_type *m = type_first_member(t);
        uint32_t v = 0;

        if (streq(property, "Available"))
                v = t->available;
        else if (m && streq(property, "Heads"))
                v = m->heads;
        else if (m && streq(property, "MaxInstances"))
                v = m->max_instances;
        return sd_bus_message_append(reply, "u", v);
}

GPU_PROPERTY_GETTER(type_get_unavailable_reason) {
        TypeObject *t = userdata;
        return sd_bus_message_append(reply, "s", strempty(t->unavailable_reason));
}

GPU_PROPERTY_GETTER(type_get_aliases) {
        TypeObject *t = userdata;
        struct vgpu_type *m = type_first_member(t);
        /* The group's aliases are the ones that resolve on this host (the board-less one only when unique).
         */
        char **aliases = !m ? NULL : m->group ? m->group->aliases : m->aliases;
        return sd_bus_message_append_strv(reply, aliases);
}

GPU_PROPERTY_GETTER(type_get_parents) {
        TypeObject *t = userdata;
        struct vgpu_type *members[128];
        size_t n = MIN(gpu_object_type_members(t->gpu, t->id, members, ELEMENTSOF(members)),
                       ELEMENTSOF(members));

        int r = sd_bus_message_open_container(reply, 'a', "s");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(reply, "s", members[i]->parent->name);
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static const sd_bus_vtable type_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Id", "s", type_get_id, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Gpu", "o", type_get_gpu, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("GpuAddress", "s", type_get_gpu_address, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Backend", "s", type_get_backend, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Name", "s", type_get_string, 0, 0),
        SD_BUS_PROPERTY("Aliases", "as", type_get_aliases, 0, 0),
        SD_BUS_PROPERTY("Description", "s", type_get_string, 0, 0),
        SD_BUS_PROPERTY("FramebufferMiB", "t", type_get_framebuffer, 0, 0),
        SD_BUS_PROPERTY("Heads", "u", type_get_u32, 0, 0),
        SD_BUS_PROPERTY("MaxResolution", "s", type_get_string, 0, 0),
        SD_BUS_PROPERTY("MaxInstances", "u", type_get_u32, 0, 0),
        SD_BUS_PROPERTY("Series", "s", type_get_string, 0, 0),
        SD_BUS_PROPERTY("DeviceApi", "s", type_get_string, 0, 0),
        SD_BUS_PROPERTY("Available", "u", type_get_u32, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("UnavailableReason", "s", type_get_unavailable_reason, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Parents", "as", type_get_parents, 0, 0),
        SD_BUS_VTABLE_END,
};

static int gpu_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                    sd_bus_error *error) {
        GpuObject *g = manager_find_gpu_by_path(userdata, path);
        if (!g)
                return 0;
        *found = g;
        return 1;
}

static int type_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                     sd_bus_error *error) {
        TypeObject *t = manager_find_type_by_path(userdata, path);
        if (!t)
                return 0;
        *found = t;
        return 1;
}

static int gpu_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        Manager *m = userdata;
        size_t n = strmap_size(m->gpu_paths) + strmap_size(m->type_paths), k = 0, it = 0;
        const char *key;
        void *v;

        _cleanup_strv_free_ char **l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        while (strmap_iterate(m->gpu_paths, &it, &key, &v) && k < n)
                if (!(l[k++] = strdup(key)))
                        return -ENOMEM;
        it = 0;
        while (strmap_iterate(m->type_paths, &it, &key, &v) && k < n)
                if (!(l[k++] = strdup(key)))
                        return -ENOMEM;
        *nodes = TAKE_PTR(l);
        return 0;
}

const BusObjectInterface bus_gpu_interface = {
        VGPUD_GPU_IFACE, VGPUD_GPU_PREFIX, gpu_vtable, gpu_find, gpu_enumerate,
};
const BusObjectInterface bus_type_interface = {
        VGPUD_TYPE_IFACE, VGPUD_GPU_PREFIX, type_vtable, type_find, gpu_enumerate,
};

int bus_gpu_register(Manager *m, sd_bus *bus) {
        int r;

        r = sd_bus_add_fallback_vtable(bus, NULL, VGPUD_GPU_PREFIX, VGPUD_GPU_IFACE, gpu_vtable, gpu_find,
                                       m);
        if (r < 0)
                return r;
        r = sd_bus_add_fallback_vtable(bus, NULL, VGPUD_GPU_PREFIX, VGPUD_TYPE_IFACE, type_vtable, type_find,
                                       m);
        if (r < 0)
                return r;
        return sd_bus_add_node_enumerator(bus, NULL, VGPUD_GPU_PREFIX, gpu_enumerate, m);
}
