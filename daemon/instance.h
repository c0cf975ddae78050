/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's instance objects (/org/vgpud1/instance/<hex>): one per UUID
 * that exists on the host, is defined persistently (vgpud's records or
 * mdevctl's), or that vgpud created in this boot (the runtime directory). An
 * instance joins the library's live device (if any) with its definition (if
 * any) and what vgpud knows about it: where it came from, the status of its
 * autostart, and whether an operation on it is in flight.
 */
#pragma once

#include <systemd/sd-event.h>

#include "macro.h"
#include "model.h"
#include "quota.h"
#include "record.h"

typedef struct Manager Manager;

typedef enum InstanceOrigin {
        ORIGIN_VGPUD,    /* created or defined through vgpud */
        ORIGIN_MDEVCTL,  /* a definition in the mdevctl directory */
        ORIGIN_EXTERNAL, /* found on the host, made by someone else */
        _ORIGIN_MAX,
} InstanceOrigin;

typedef struct Instance {
        Manager *manager;
        char uuid[UUID_STRING_MAX];
        char *path;

        struct vgpu_instance *live; /* on the host now, or NULL */
        /* The definition: persistent (vgpud's state dir or mdevctl's), or transient (created by vgpud in
         * this boot, kept in the runtime dir). NULL for an instance someone else made. */
        struct vgpu_record *record;
        InstanceOrigin origin;
        char *start_status; /* "" or e.g. "waiting for parent 0000:3b:00.0, retry 3 in 8 s" */
        bool failed;        /* autostart gave up */
        unsigned pending;   /* operations in flight */

        /* autostart retries (autostart.c) */
        sd_event_source *retry_timer;
        unsigned attempts;
        uint64_t first_attempt_usec; /* CLOCK_MONOTONIC */
        uint64_t delay_usec;         /* the next wait */
        int last_error;
        bool parent_was_present; /* at the last look: a start follows its appearance */

        /* Which libvirt domain holds it (domains.c): the one the hook acquired it for, and whether vgpud
         * started it then (release stops it again); and the one libvirt's domain list shows it in. */
        char *owner;
        bool owner_started;
        char *libvirt_owner;

        /* Scheduling (sched.c): the share the GPU's policy entitles it to, -1 when none (cached at the
         * GPU's sync); the quota a SetQuota in flight will record (has_pending_quota). */
        double configured_share;
        bool has_pending_quota;
        struct sched_quota pending_quota;
        /* Busy time from the mediation engine (instance_report_usage()); none for vendor backends. */
        bool usage_valid;
        uint64_t usage_busy_ns, usage_elapsed_ns;

        /* what was last announced */
        const char *last_state;
        bool last_persistent, last_autostart;
        char *last_start_status;
        char *last_owner;
        bool last_owner_hook;
        int last_share, last_weight;
        double last_configured_share, last_measured_share;
        bool published;
} Instance;

const char *instance_origin_to_string(InstanceOrigin o);
/* "defined", "created", "assigned" (created and held by a libvirt domain), "failed". */
const char *instance_state(const Instance *i);
/* The GPU address the instance belongs to, or NULL when unknown. */
const char *instance_gpu_address(const Instance *i);
const char *instance_parent(const Instance *i);
const char *instance_type_id(const Instance *i);
/* The backend that provides it: the live device's, else its definition's (mdev for neither). */
enum vgpu_backend_kind instance_backend(const Instance *i);

/* "/org/vgpud1/instance/" + the UUID's 32 hex digits. */
int instance_path_from_uuid(const char *uuid, char **ret);

Instance *manager_find_instance(Manager *m, const char *uuid);
Instance *manager_find_instance_by_path(Manager *m, const char *path);
/* Get or make the instance object for a (normalized) UUID; not yet published. */
int manager_add_instance(Manager *m, const char *uuid, Instance **ret);
/* Unpublish and free. */
void manager_drop_instance(Manager *m, Instance *i);

/* Bring the instance objects in line with the model's live devices; emit the differences. */
int manager_sync_instances(Manager *m);
/* A live device the model is about to free. */
void manager_instance_removed(Manager *m, struct vgpu_instance *live);
/* Announce changed properties of one instance (and publish it if new and complete: a device or a
 * definition, not only an operation in flight). */
void instance_emit_changes(Instance *i);
/* The same, with properties only the caller knows changed (NULL-terminated, at most 4) in the same
 * signal: the RPC engine's statistics travel with MeasuredShare, one signal per tick. */
void instance_emit_changes_with(Instance *i, const char *const *extra);

/* The domain that holds it: the hook's, else the one libvirt's domain list shows; NULL if none. */
const char *instance_owner(const Instance *i);

bool instance_persistent(const Instance *i);
bool instance_autostart(const Instance *i);
void instance_object_free(Instance *i);
