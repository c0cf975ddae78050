/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The instance lifecycle as the D-Bus methods drive it: create, define,
 * start, stop, destroy, undefine, autostart on/off. Each reads and checks
 * its arguments, authorizes, decides on the main thread (type resolution,
 * placement, where the record lives), then hands an operation (operation.h)
 * to the workers and answers when it is done. Each returns < 0 with the
 * error set when it fails before anything was queued, >= 0 when the reply
 * has been or will be sent.
 */
#pragma once

#include <systemd/sd-bus.h>

#include "instance.h"
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

/* Start a defined instance without a caller (autostart); done gets the result. */
typedef void (*lifecycle_done_t)(Manager *m, const char *uuid, int r, const char *error_message);
int lifecycle_autostart(Instance *i, lifecycle_done_t done);
