/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * org.vgpud1.Manager on /org/vgpud1, and the ObjectManager there that lets a
 * client mirror the whole host with one GetManagedObjects call.
 */
#include "alias.h"
#include "apply.h"
#include "auth.h"
#include "backend.h"
#include "bus-error.h"
#include "bus-names.h"
#include "bus-objects.h"
#include "bus-options.h"
#include "config-file.h"
#include "device-binding.h"
#include "domains.h"
#include "gpu.h"
#include "host.h"
#include "instance.h"
#include "lifecycle.h"
#include "manager.h"
#include "placement.h"
#include "uuid.h"

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
}

static int property_get_backends(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        /* The backends this build drives: the registry's. */
        const struct backend_ops *b;
        int r = sd_bus_message_open_container(reply, 'a', "s");
        for (int k = 0; r >= 0 && (b = backend_next(&k));)
                r = sd_bus_message_append(reply, "s", backend_kind_to_string(b->kind));
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int property_get_findings(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(ssss)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->n_findings; i++) {
                const Finding *f = &m->findings[i];
                r = sd_bus_message_append(reply, "(ssss)", f->severity, f->kind, f->object, f->message);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int property_get_status(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "s", strempty(m->status));
}

static int property_get_placement(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "s",
                                     strempty(placement_policy_to_string(m->config->placement_policy)));
}

static int property_get_admin_group(sd_bus *bus, const char *path, const char *interface,
                                    const char *property, sd_bus_message *reply, void *userdata,
                                    sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "s", strempty(m->config->admin_group));
}

static int method_create_instance(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        return lifecycle_create(userdata, call, error);
}

static int method_get_instance(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *uuid;
        int r;

        r = sd_bus_message_read(call, "s", &uuid);
        if (r < 0)
                return r;
        if (!uuid_is_valid(uuid))
                return bus_error_setf(error, -EINVAL, SUBJECT_ARGUMENT,
                                      "Invalid UUID '%s': expected 8-4-4-4-12 hexadecimal digits", uuid);
        Instance *i = manager_find_instance(m, uuid);
        if (!i || !i->published)
                return bus_error_setf(error, -ENOENT, SUBJECT_INSTANCE, "No instance %s", uuid);
        return sd_bus_reply_method_return(call, "o", i->path);
}

static int method_get_gpu(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *s;
        int r;

        r = sd_bus_message_read(call, "s", &s);
        if (r < 0)
                return r;
        GpuObject *g = manager_find_gpu(m, s);
        if (!g)
                return bus_error_setf(error, -ENOENT, SUBJECT_GPU, "No GPU '%s' on this host", s);
        return sd_bus_reply_method_return(call, "o", g->path);
}

/* Every type the name matches, per GPU: (raw id, type object, GPU address). */
static int method_resolve_type(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(vgpu_error_clearp) struct vgpu_error err = {};
        Manager *m = userdata;
        struct vgpu_type_group *g;
        const char *name, *gpu;
        GpuObject *only = NULL;
        int r;

        r = sd_bus_message_read(call, "ss", &name, &gpu);
        if (r < 0)
                return r;
        if (!isempty(gpu) && !(only = manager_find_gpu(m, gpu)))
                return bus_error_setf(error, -ENOENT, SUBJECT_GPU, "No GPU '%s' on this host", gpu);
        r = type_resolve(m->host, name, &g, &err);
        if (r == -ENOTUNIQ)
                return bus_error_setf(error, r, SUBJECT_TYPE, "'%s' is ambiguous on this host: %s", name,
                                      strempty(err.message));
        if (r < 0)
                return bus_error_setf(error, r == -EINVAL ? -EINVAL : -ENOENT, SUBJECT_TYPE,
                                      "No vGPU type '%s' on this host. %s", name, strempty(err.message));

        r = sd_bus_message_new_method_return(call, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(sos)");
        if (r < 0)
                return r;
        /* Members are per parent; a GPU with several parents (VFs) shows the type once. */
        const char *last = NULL;
        for (size_t i = 0; i < g->n_types; i++) {
                const struct vgpu_type *t = g->types[i];
                const char *address = t->parent->gpu ? t->parent->gpu->bdf : NULL;
                GpuObject *obj = address ? manager_find_gpu(m, address) : NULL;
                TypeObject *to = obj ? gpu_object_find_type(obj, t->id) : NULL;
                if (!to || (only && obj != only) || streq_ptr(last, to->path))
                        continue;
                last = to->path;
                r = sd_bus_message_append(reply, "(sos)", t->id, to->path, obj->address);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static const BusOption explain_options[] = {{"placement", "s"}};

static int read_placement_option(sd_bus_message *m, size_t k, void *userdata, sd_bus_error *e) {
        enum placement_policy *policy = userdata;
        const char *p;
        int r = sd_bus_message_read_basic(m, 's', &p);
        if (r < 0)
                return r;
        *policy = placement_policy_from_string(p);
        if (*policy < 0)
                return bus_error_setf(e, -EINVAL, SUBJECT_ARGUMENT,
                                      "Invalid placement '%s': use pack or spread", p);
        return 0;
}

/* Per candidate GPU: can it host the type now, and if not, why. Nothing changes. */
static int method_explain_placement(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(vgpu_error_clearp) struct vgpu_error err = {};
        _cleanup_(placement_result_done) struct placement_result placed = {};
        Manager *m = userdata;
        enum placement_policy policy = m->config->placement_policy;
        struct vgpu_type_group *g;
        const char *name, *gpu;
        int r;

        r = sd_bus_message_read(call, "ss", &name, &gpu);
        if (r < 0)
                return r;
        r = bus_read_options(call, explain_options, ELEMENTSOF(explain_options), read_placement_option,
                             &policy, error);
        if (r < 0)
                return r;

        r = type_resolve(m->host, name, &g, &err);
        if (r < 0)
                return bus_error_setf(error, r == -ENOTUNIQ ? r : -ENOENT, SUBJECT_TYPE, "%s",
                                      strempty(err.message));
        r = placement_choose(m->host, g, isempty(gpu) ? NULL : gpu, policy, &placed, &err);
        if (r == -ENODEV)
                return bus_error_setf(error, r, SUBJECT_GPU, "No GPU '%s' on this host", gpu);
        if (r < 0 && r != -ENOSPC && r != -ENOENT)
                return bus_error_setf(error, r, SUBJECT_ARGUMENT, "%s", err.message ?: strerror(-r));

        r = sd_bus_message_new_method_return(call, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(ssbs)");
        if (r < 0)
                return r;
        /* Every candidate in the order the policy tries them: where it would go, or why it cannot. */
        for (size_t i = 0; i < placed.n_candidates; i++) {
                const struct placement_candidate *c = &placed.candidates[i];
                _cleanup_free_ char *why = NULL;
                if (c->type && c->type == placed.type)
                        r = asprintf(&why, "chosen by the %s policy (%u available on %s)",
                                     placement_policy_to_string(policy), c->type->available,
                                     c->type->parent->name);
                else if (c->type)
                        r = asprintf(&why, "can host it (%u available on %s)", c->type->available,
                                     c->type->parent->name);
                else
                        r = asprintf(&why, "%s", strempty(c->reason));
                if (r < 0)
                        return -ENOMEM;
                r = sd_bus_message_append(reply, "(ssbs)", c->unit, c->type ? c->type->parent->name : "",
                                          c->type != NULL, why);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_diagnose(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        return manager_diagnose(userdata, call, error);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Backends", "as", property_get_backends, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("DefaultPlacement", "s", property_get_placement, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("AdminGroup", "s", property_get_admin_group, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Status", "s", property_get_status, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Findings", "a(ssss)", property_get_findings, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS(
                "CreateInstance", SD_BUS_ARGS("s", type, "s", gpu, "s", uuid, "a{sv}", options),
                SD_BUS_RESULT("s", uuid, "o", instance), method_create_instance, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS(
                "DefineInstance", SD_BUS_ARGS("s", type, "s", gpu, "s", uuid, "a{sv}", options),
                SD_BUS_RESULT("s", uuid, "o", instance), method_create_instance, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetInstance", SD_BUS_ARGS("s", uuid), SD_BUS_RESULT("o", instance),
                                method_get_instance, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetGpu", SD_BUS_ARGS("s", address_or_id), SD_BUS_RESULT("o", gpu),
                                method_get_gpu, SD_BUS_VTABLE_UNPRIVILEGED),
        /* GetManagedObjects for some interfaces only (bus-objects.h) */
        SD_BUS_METHOD_WITH_ARGS("GetObjects", SD_BUS_ARGS("as", interfaces),
                                SD_BUS_RESULT("a{oa{sa{sv}}}", objects), bus_manager_get_objects,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ResolveType", SD_BUS_ARGS("s", name, "s", gpu),
                                SD_BUS_RESULT("a(sos)", types), method_resolve_type,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ExplainPlacement", SD_BUS_ARGS("s", type, "s", gpu, "a{sv}", options),
                                SD_BUS_RESULT("a(ssbs)", candidates), method_explain_placement,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Diagnose", SD_BUS_ARGS("a{sv}", options),
                                SD_BUS_RESULT("a(sssss)", findings), method_diagnose,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("BindDevice", SD_BUS_ARGS("s", address, "a{sv}", options), SD_BUS_NO_RESULT,
                                method_bind_device, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("UnbindDevice", SD_BUS_ARGS("s", address, "a{sv}", options),
                                SD_BUS_NO_RESULT, method_unbind_device, SD_BUS_VTABLE_UNPRIVILEGED),
        /* the libvirt hook (domains.c) */
        SD_BUS_METHOD_WITH_ARGS(
                "AcquireForDomain", SD_BUS_ARGS("s", domain, "as", devices, "a{sv}", options),
                SD_BUS_RESULT("a(ss)", results), bus_manager_acquire_for_domain, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ReleaseDomain", SD_BUS_ARGS("s", domain, "a{sv}", options),
                                SD_BUS_RESULT("a(ss)", results), bus_manager_release_domain,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        /* a desired state as one transaction (apply.c) */
        SD_BUS_METHOD_WITH_ARGS("Apply", SD_BUS_ARGS("a(sasasa(ssu)a{sv})", entries, "a{sv}", options),
                                SD_BUS_RESULT("b", changed, "a(ssss)", steps), bus_manager_apply,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int bus_manager_register(Manager *m, sd_bus *bus) {
        int r;

        r = sd_bus_add_object_manager(bus, NULL, VGPUD_ROOT_PATH);
        if (r < 0)
                return r;
        return sd_bus_add_object_vtable(bus, NULL, VGPUD_ROOT_PATH, VGPUD_MANAGER_IFACE, manager_vtable, m);
}
