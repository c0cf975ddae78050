/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One change to an instance as a plan that a worker thread carries out: an
 * optional host step (create or destroy the device, after an in-use check)
 * and then the record steps (write or delete the definition in the state
 * directory, the runtime directory, mdevctl's directory), all with plain
 * data copied out of the model. A create whose records cannot be written is
 * rolled back (the device is removed again), so an acknowledged operation is
 * on disk and a failed one left nothing behind; a create is journaled in the
 * runtime directory before the device is made, so that a crash in between
 * leaves no device vgpud has no record of (tests/chaos/vgpu-chaos). After a
 * create the worker also reads the new device back. The completion runs on the
 * main thread: it puts the device into the model (or reads it again if someone
 * else touched it meanwhile), installs the new record, and answers the D-Bus
 * call that asked for it. The availability of the other types on the GPU is
 * re-read after the reply, off the reply path (availability.h), and the
 * uevents the operation causes are not applied a second time (own-events.h).
 */
#pragma once

#include <systemd/sd-bus.h>

#include "backend.h"
#include "error.h"
#include "instance.h"
#include "record.h"

typedef enum DeviceAction {
        DEVICE_KEEP,
        DEVICE_CREATE,
        DEVICE_DESTROY,
} DeviceAction;

typedef struct Operation Operation;
/* On the main thread, after the model was refreshed; r is the plan's result. */
typedef void (*operation_done_t)(Operation *op, int r);

struct Operation {
        Manager *manager;
        Operation *next_create;   /* Manager.creates: creates in flight, for placement */
        Operation *next_finished; /* Manager.finished: completed, waiting for the batch's sync */
        int result;               /* for done, once finished */
        Instance *instance;       /* its pending count is held while the operation is in flight */
        sd_bus_message *call;
        operation_done_t done;
        void *userdata; /* for done */

        /* the host step */
        DeviceAction device;
        bool check_in_use;
        const struct backend_ops *backend;
        struct backend_ctx ctx;
        char *parent;
        char *type_id;
        char uuid[UUID_STRING_MAX];
        struct vgpu_attr *attrs;
        size_t n_attrs;

        /* the record steps, in this order (but see mirror_first) */
        struct vgpu_record *save_state;
        bool delete_state;
        struct vgpu_record *save_mdevctl;
        char *delete_mdevctl_parent;
        /* The definition leaves the state directory and its mdevctl mirror goes too: the mirror first, so
         * that a crash in between leaves the definition (start-up writes its mirror again), never a mirror
         * that the next start reads as mdevctl's own definition. */
        bool mirror_first;
        struct vgpu_record *save_runtime;
        bool delete_runtime;
        /* A create's journal entry: a transient record written to the runtime store before the device is
         * made, so that a vgpud killed between the sysfs write and the record steps finds the device
         * recorded at its next start (adopted if it exists, forgotten if not) instead of an orphan.
         * Dropped again once a persistent record holds the instance (or the create failed). */
        struct vgpu_record *intent;
        /* The intent is a placement: the start of a persistent vf / nvidia-vfio instance whose definition
         * names no function. The function carries no UUID, so the record (its definition with the function
         * as the parent, still persistent) stays in the runtime store while the instance is on the host:
         * a restart of vgpud finds it there (reconcile.c). */
        bool intent_is_placement;

        /* what the instance's record becomes on success (replace_record) */
        bool replace_record;
        struct vgpu_record *new_record;

        /* results */
        struct vgpu_error error;
        bool host_failed;              /* the error came from the host step */
        bool host_changed;             /* the host step created or removed the device */
        bool expects_event;            /* own_events_expect() was called for it */
        struct vgpu_instance *created; /* the device as the worker read it back after a create */
};

/* A new operation on i (pending is taken) through backend (instance_backend(i), or the type's for a
 * create), answering call (may be NULL: autostart). */
int operation_new(Manager *m, Instance *i, enum vgpu_backend_kind backend, sd_bus_message *call,
                  operation_done_t done, Operation **ret);
/* Queue it behind the other operations on the instance's GPU. On failure the operation is freed. */
int operation_submit(Operation *op);
void operation_free(Operation *op);
/* The host operations' batch_done (hostop.h; userdata: the Manager): sync the bus objects once for the
 * operations that completed in the batch, then reply to each (their done functions). */
void operations_finish(void *userdata);

/* Would a create of t (the member placement chose) still fit once the creates in flight on its GPU are
 * done? Placement sees only what exists; creates in flight are not there yet. */
bool operation_create_fits(Manager *m, const struct vgpu_type *t);

/* The D-Bus error for a failed operation: the host's errno named, the path and the library's sentence. */
int operation_error(Operation *op, int r, sd_bus_error *e);
