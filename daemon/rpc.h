/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * RPC mode in vgpud: the software GPUs of the [rpc] configuration, each a
 * mediation engine (daemon/engine/engine.h) with its own thread, shown in the
 * host model and on the bus like a GPU (id rpcN, synthetic address
 * ffff:NN:00.0, host.h), and their instances, created and destroyed through
 * the rpc backend (backend_rpc) by the ordinary operations. The engines'
 * statistics cross to the main thread as snapshots: an engine's event fd
 * (state and connection changes) and a 1 s timer (counters) are watched on
 * the sd-event loop and turned into PropertiesChanged, at most once a second
 * per instance. Everything here runs on the main thread except the backend
 * ops, which only call the thread-safe engine API.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "engine/engine.h"
#include "quota.h"

#include <systemd/sd-bus.h>

typedef struct Manager Manager;
typedef struct Instance Instance;
typedef struct Operation Operation;
typedef struct Rpc Rpc;

/* Start the software GPUs of the configuration (none unless [rpc] enabled) and put them into the host
 * model. Call after the host scan, before the records are loaded. */
int manager_start_rpc(Manager *m);
/* Stop every engine (clients disconnected, sockets removed) and forget the model's software GPUs' state. */
void manager_stop_rpc(Manager *m);

/* The rpc backend's operations (rpc_engine_create, _destroy, _in_use: backend.h, src/backend-rpc.c) are
 * defined in rpc.c, through the engines of ctx->rpc. */
/* After an operation's host step on a software GPU: bring the model in line with the engine (the
 * instance, the types' availability). 1 if op was an rpc operation, 0 if not. */
int rpc_refresh_after_operation(Manager *m, Operation *op);

/* The address of "rpcN", or NULL. */
const char *rpc_gpu_address(Manager *m, const char *id);

/* Why a software GPU's type has no room (a sentence), "" when it has; NULL only without memory. */
char *rpc_unavailable_reason(Manager *m, const struct vgpu_type *t);

/* An RPC instance's socket, or NULL (not rpc, RPC mode off). */
char *rpc_socket_path(Manager *m, const char *uuid);

/* The engine's statistics of an RPC instance that exists (-ENODEV: not an RPC instance or not created).
 * The measured share reaches the scheduler (sched.c) through instance_report_usage(). */
int rpc_instance_stats(Manager *m, const char *uuid, struct engine_instance_stats *ret);
/*
 * Apply the daemon's scheduling settings to the engines (sched.c pushes them through the hook
 * manager_start_rpc() registers): a software
 * GPU's policy and slice (0: the engine's default), an instance's share (%)
 * and weight. -ENODEV when the address or UUID is not an RPC one, -ENOSPC when
 * the engine refuses the shares, -EINVAL a bad value.
 */
int rpc_apply_policy(Manager *m, const char *address, enum sched_policy policy, uint32_t slice_us);
int rpc_apply_quota(Manager *m, const char *uuid, unsigned share, unsigned weight);

/* The bus side (bus-instance.c): properties and their change signals. */
int rpc_append_counters(Manager *m, const Instance *i, sd_bus_message *reply);
const char *rpc_engine_state(Manager *m, const Instance *i);