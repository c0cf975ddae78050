/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Manager.Apply (apply.c): a desired state of the host's vGPUs, planned once
 * against the host, carried out as one transaction that is undone as a whole
 * when a step fails. One at a time: Manager.apply is the one in flight.
 */
#pragma once

#include <systemd/sd-bus.h>

typedef struct Manager Manager;
typedef struct ApplyTx ApplyTx;

int bus_manager_apply(sd_bus_message *call, void *userdata, sd_bus_error *e);
/* vgpud is stopping: the apply in flight takes no further step (its operations are cancelled). */
void manager_apply_abandon(Manager *m);
void manager_apply_free(Manager *m);
