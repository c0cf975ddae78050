/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of instance.h: the instance objects and their sync with the model. */
#include <systemd/sd-bus.h>

#include "backend.h"
#include "bus-names.h"
#include "gpu.h"
#include "hashmap.h"
#include "host.h"
#include "instance.h"
#include "log.h"
#include "manager.h"
#include "sched.h"
#include "uuid.h"

static const char *const origin_names[_ORIGIN_MAX] = {
        [ORIGIN_VGPUD] = "vgpud",
        [ORIGIN_MDEVCTL] = "mdevctl",
        [ORIGIN_EXTERNAL] = "external",
};

const char *instance_origin_to_string(InstanceOrigin o) {
        return o >= 0 && o < _ORIGIN_MAX ? origin_names[o] : NULL;
}

const char *instance_owner(const Instance *i) {
        return i->owner ?: i->libvirt_owner;
}

const char *instance_state(const Instance *i) {
        if (i->live)
                return instance_owner(i) ? "assigned" : "created";
        if (i->failed)
                return "failed";
        return "defined";
}

const char *instance_gpu_address(const Instance *i) {
        if (i->live && i->live->gpu)
                return i->live->gpu->bdf;
        if (i->record && i->record->gpu[0])
                return i->record->gpu;
        return NULL;
}

const char *instance_parent(const Instance *i) {
        if (i->live)
                return i->live->parent_name;
        return i->record ? i->record->parent : NULL;
}

const char *instance_type_id(const Instance *i) {
        if (i->live)
                return i->live->type_id;
        return i->record ? i->record->type_id : NULL;
}

enum vgpu_backend_kind instance_backend(const Instance *i) {
        if (i->live)
                return i->live->backend;
        return i->record ? i->record->backend : VGPU_BACKEND_MDEV;
}

int instance_path_from_uuid(const char *uuid, char **ret) {
        char hex[33], *p;
        size_t n = 0;

        for (const char *c = uuid; *c && n < 32; c++)
                if (*c != '-')
                        hex[n++] = *c;
        hex[n] = 0;
        if (n != 32)
                return -EINVAL;
        if (asprintf(&p, VGPUD_INSTANCE_PREFIX "/%s", hex) < 0)
                return -ENOMEM;
        *ret = p;
        return 0;
}

bool instance_persistent(const Instance *i) {
        return i->record && i->record->persistent;
}

bool instance_autostart(const Instance *i) {
        return i->record && i->record->persistent && i->record->autostart;
}

void instance_object_free(Instance *i) {
        if (!i)
                return;
        sd_event_source_disable_unref(i->retry_timer);
        record_free(i->record);
        free(i->path);
        free(i->start_status);
        free(i->last_start_status);
        free(i->owner);
        free(i->libvirt_owner);
        free(i->last_owner);
        free(i);
}

Instance *manager_find_instance(Manager *m, const char *uuid) {
        char norm[UUID_STRING_MAX];

        if (uuid_normalize(uuid, norm) < 0)
                return NULL;
        return strmap_get(m->instances, norm);
}

Instance *manager_find_instance_by_path(Manager *m, const char *path) {
        return strmap_get(m->instance_paths, path);
}

int manager_add_instance(Manager *m, const char *uuid, Instance **ret) {
        char norm[UUID_STRING_MAX];
        Instance *i;
        int r;

        r = uuid_normalize(uuid, norm);
        if (r < 0)
                return r;
        i = strmap_get(m->instances, norm);
        if (i) {
                *ret = i;
                return 0;
        }
        i = calloc(1, sizeof(*i));
        if (!i)
                return -ENOMEM;
        i->manager = m;
        i->origin = ORIGIN_EXTERNAL;
        i->configured_share = -1;
        memcpy(i->uuid, norm, sizeof(norm));
        r = instance_path_from_uuid(i->uuid, &i->path);
        if (r >= 0 && !(i->start_status = strdup("")))
                r = -ENOMEM;
        if (r < 0) {
                instance_object_free(i);
                return r;
        }
        r = strmap_put(m->instances, i->uuid, i);
        if (r < 0) {
                instance_object_free(i);
                return r;
        }
        r = strmap_put(m->instance_paths, i->path, i);
        if (r < 0) {
                strmap_remove(m->instances, i->uuid);
                instance_object_free(i);
                return r;
        }
        *ret = i;
        return 0;
}

void manager_drop_instance(Manager *m, Instance *i) {
        if (i->published)
                manager_mark_gpu_dirty(m, instance_gpu_address(i)); /* its Instances list changes */
        if (i->published && m->bus)
                (void) sd_bus_emit_object_removed(m->bus, i->path);
        strmap_remove(m->instance_paths, i->path);
        strmap_remove(m->instances, i->uuid);
        instance_object_free(i);
}

static void instance_remember_announced(Instance *i) {
        i->last_state = instance_state(i);
        i->last_persistent = instance_persistent(i);
        i->last_autostart = instance_autostart(i);
        free(i->last_start_status);
        i->last_start_status = strdup(strempty(i->start_status));
        free(i->last_owner);
        i->last_owner = instance_owner(i) ? strdup(instance_owner(i)) : NULL;
        i->last_owner_hook = i->owner != NULL;
        i->last_share = instance_share(i);
        i->last_weight = instance_weight(i);
        i->last_configured_share = i->configured_share;
        i->last_measured_share = instance_measured_share(i);
}

void instance_emit_changes(Instance *i) {
        instance_emit_changes_with(i, NULL);
}

void instance_emit_changes_with(Instance *i, const char *const *extra) {
        Manager *m = i->manager;
        const char *names[16];
        size_t k = 0;

        if (!i->published) {
                /* A create in flight has neither device nor definition yet: its Gpu, Parent and Type,
                 * which emit no changes, would be announced blank. It appears once its operation is done
                 * (the sync after it), complete. */
                if (!i->live && !i->record)
                        return;
                i->published = true;
                manager_mark_gpu_dirty(m, instance_gpu_address(i));
                instance_remember_announced(i);
                if (m->bus)
                        (void) sd_bus_emit_object_added(m->bus, i->path);
                return;
        }
        if (!streq_ptr(instance_state(i), i->last_state)) {
                names[k++] = "State";
                manager_mark_gpu_dirty(m, instance_gpu_address(i)); /* HostedType may follow */
        }
        if (instance_persistent(i) != i->last_persistent)
                names[k++] = "Persistent";
        if (instance_autostart(i) != i->last_autostart)
                names[k++] = "Autostart";
        if (!streq_ptr(strempty(i->start_status), i->last_start_status))
                names[k++] = "StartStatus";
        if (!streq_ptr(instance_owner(i), i->last_owner) || (i->owner != NULL) != i->last_owner_hook) {
                names[k++] = "Owner";
                names[k++] = "OwnerSource";
        }
        if (instance_share(i) != i->last_share || instance_weight(i) != i->last_weight) {
                names[k++] = "Share";
                names[k++] = "Weight";
                manager_mark_gpu_dirty(m,
                                       instance_gpu_address(i)); /* the others' configured shares follow */
        }
        if (i->configured_share != i->last_configured_share)
                names[k++] = "ConfiguredShare";
        if (instance_measured_share(i) != i->last_measured_share)
                names[k++] = "MeasuredShare";
        for (; extra && *extra && k < ELEMENTSOF(names) - 1; extra++)
                names[k++] = *extra;
        names[k] = NULL;
        if (k == 0)
                return;
        instance_remember_announced(i);
        if (m->bus)
                (void) sd_bus_emit_properties_changed_strv(m->bus, i->path, VGPUD_INSTANCE_IFACE,
                                                           (char **) names);
}

void manager_instance_removed(Manager *m, struct vgpu_instance *live) {
        Instance *i = strmap_get(m->instances, live->uuid);
        if (i && i->live == live)
                i->live = NULL;
}

int manager_sync_instances(Manager *m) {
        struct vgpu_host *h = m->host;
        size_t it = 0;
        const char *k;
        void *v;
        int r;

        for (size_t j = 0; j < h->n_instances; j++) {
                struct vgpu_instance *live = h->instances[j];
                Instance *i;
                r = manager_add_instance(m, live->uuid, &i);
                if (r < 0)
                        return log_error_errno(r, "Failed to add instance %s: %m", live->uuid);
                i->live = live;
        }

        size_t n = strmap_size(m->instances);
        _cleanup_free_ Instance **all = calloc(n ?: 1, sizeof(Instance *));
        if (!all)
                return -ENOMEM;
        n = 0;
        while (strmap_iterate(m->instances, &it, &k, &v))
                all[n++] = v;

        for (size_t j = 0; j < n; j++) {
                Instance *i = all[j];
                if (i->live && host_find_instance(h, i->uuid) != i->live)
                        i->live = NULL;
                /* Nothing left of it: not on the host, no persistent definition, nothing in flight. */
                if (!i->live && !instance_persistent(i) && i->pending == 0) {
                        manager_drop_instance(m, i);
                        continue;
                }
                instance_emit_changes(i);
        }
        return 0;
}
