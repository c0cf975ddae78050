/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The instance lifecycle as the D-Bus methods drive it: create, define,
 * start, stop, destroy, undefine, autostart on/off. Each is authorized first
 * (lifecycle_create() does it itself; the Instance methods' handlers in
 * bus-instance.c before they call in here), reads and checks its arguments,
 * decides on the main thread (a create, define or start with the planner,
 * planner.h; where the record lives), then hands an operation (operation.h)
 * to the workers and answers when it is done. Each returns < 0 with the
 * error set when it fails before anything was queued, >= 0 when the reply
 * has been or will be sent.
 */
#pragma once

#include <systemd/sd-bus.h>

#include "instance.h"
#include "operation.h"
#include "planner.h"
#include "record.h"

typedef struct Manager Manager;

/* Manager.CreateInstance and Manager.DefineInstance (which one: the call's member). */
int lifecycle_create(Manager *m, sd_bus_message *call, sd_bus_error *e);

int lifecycle_start(Instance *i, sd_bus_message *call, sd_bus_error *e);
int lifecycle_stop(Instance *i, sd_bus_message *call, bool force, sd_bus_error *e);
int lifecycle_destroy(Instance *i, sd_bus_message *call, bool force, sd_bus_error *e);
int lifecycle_define(Instance *i, sd_bus_message *call, sd_bus_error *e);
int lifecycle_undefine(Instance *i, sd_bus_message *call, sd_bus_error *e);
int lifecycle_set_autostart(Instance *i, sd_bus_message *call, bool enable, sd_bus_error *e);

/* For the rest of vgpud (the domains' hook calls, SetQuota): the same steps as the methods, with done
 * (and op->userdata) told the result on the main thread after the model was refreshed.
 * - a record-only change of i to new, answering call;
 * - start a defined instance (its parent chosen and admission checked first: -ENODEV, -ENOENT, -ENOSPC,
 *   -EDQUOT... with *ret_error saying why); -EALREADY while another operation on i is in flight;
 * - stop i (keeping a persistent definition), with or without the in-use check. */
int lifecycle_record_change(Instance *i, sd_bus_message *call, const struct vgpu_record *new,
                            operation_done_t done, sd_bus_error *e);
int lifecycle_queue_start(Instance *i, operation_done_t done, void *userdata, char **ret_error);
int lifecycle_queue_stop(Instance *i, bool check_in_use, operation_done_t done, void *userdata);

/* For Manager.Apply (apply.c), without a caller; done gets the result on the main thread:
 * - a new instance with exactly this record (uuid, backend, type, parent, attributes, persistence,
 *   quota), made on rec->parent when make_device, only recorded otherwise (-EEXIST: the UUID is taken);
 * - destroy i: the device (with or without the in-use check) and its definition. */
int lifecycle_queue_create_record(Manager *m, const struct vgpu_record *rec, bool make_device,
                                  operation_done_t done, void *userdata);
int lifecycle_queue_destroy(Instance *i, bool check_in_use, operation_done_t done, void *userdata);

/* Start a defined instance without a caller (autostart); done gets the result. */
typedef void (*lifecycle_done_t)(Manager *m, const char *uuid, int r, const char *error_message);
int lifecycle_autostart(Instance *i, lifecycle_done_t done);

/* The planner's questions to vgpud (planner.h), as the D-Bus methods answer them: admission against the
 * quotas (sched.h) and the creates in flight (operation.h). */
typedef struct PlanContext {
        Manager *manager;
        Instance *instance; /* a start's */
} PlanContext;
struct plan_env plan_env_for(PlanContext *c);
