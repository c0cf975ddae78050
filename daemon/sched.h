/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Scheduling in the daemon: quota.h's rules wired to the GPU and instance
 * objects. Each physical GPU has the settings in effect (the run-time ones
 * from `vgpuctl policy`, kept in <state_dir>/gpus/ (sched-store.h), over the
 * [gpu ADDRESS] section of vgpud.conf, over the vendor's defaults), and each
 * instance the quota of its record (a share or a weight). Admission control
 * runs on the main thread before anything is queued: a create, a start, a
 * quota change and a policy change are checked against the instances that
 * exist on the GPU plus the creates and changes in flight, so that two calls
 * cannot each pass and together break a rule.
 *
 * What the GPU objects show (policy, slice, the vendor's knob and the note
 * `vgpuctl policy show` prints) and what each instance is entitled to
 * (ConfiguredShare) are computed once per sync of a GPU and announced only
 * when they change. MeasuredShare comes from the mediation engine through
 * instance_report_usage(); vendor backends have none, and say so (-1).
 *
 * The engine hook (for the RPC-mode integration, one callback and one
 * function, nothing else to wire):
 *  - sched_set_engine_push(m, cb, userdata): cb is called on the main thread
 *    with the whole scheduling state of one software GPU (vendor "rpc") —
 *    the settings in effect and every instance with its quota — whenever
 *    any of it changes (policy set or reset, a quota changed, an instance
 *    created, started or stopped), and once for each such GPU when it is
 *    set. Vendor GPUs never reach it: their schedulers live in their
 *    drivers (NVIDIA's RmPVMRL, GVT-g's weights).
 *  - instance_report_usage(i, busy_ns, elapsed_ns): the engine reports what
 *    it measured (e.g. share_ppm over one second: busy = ppm * 1000 ns,
 *    elapsed = 1e9 ns); MeasuredShare follows, announced by the caller's next
 *    instance_emit_changes*() (rpc.c: with its statistics). For vendor
 *    backends MeasuredShare stays -1 ("n/a" in vgpuctl): no invented numbers.
 */
#pragma once

#include <systemd/sd-bus.h>

#include "quota.h"

typedef struct Manager Manager;
typedef struct GpuObject GpuObject;
typedef struct Instance Instance;
struct vgpu_type;

typedef struct GpuSched GpuSched;
void gpu_sched_free(GpuSched *s);

/* At start-up: open the store, load the run-time settings (unusable files become findings). */
int manager_load_sched(Manager *m);
void manager_free_sched(Manager *m);

/* At each sync of a GPU object: work out its settings (once it is present) and the entitlement of
 * each of its instances; append to names (may be NULL: only remember, announce nothing) the Gpu
 * properties that changed. names must have room for 6 more. */
void gpu_sched_sync(GpuObject *g, const char **names, size_t *n_names);

/* The vendor whose scheduler shares the engines of the type's GPU. */
enum sched_vendor sched_vendor_of_type(const struct vgpu_type *t);

/* The instance's recorded quota as quota.h takes it (0 = unset). */
struct sched_quota instance_quota(const Instance *i);
/* Share (percent) and weight as the bus shows them: the record's, else the vendor's fixed
 * default (GVT-g: the type's weight); 0 when none. */
int instance_share(const Instance *i);
int instance_weight(const Instance *i);
/* Busy over wall time from the engine's last report, in percent; -1 when there is none. */
double instance_measured_share(const Instance *i);

/* The hook for the mediation engine: it reports an instance's busy time over a window of elapsed
 * time (both ns); MeasuredShare follows, announced by the caller's next instance_emit_changes*() (one
 * signal with the engine's statistics). Vendor backends never call it. */
void instance_report_usage(Instance *i, uint64_t busy_ns, uint64_t elapsed_ns);

/* The engine hook (see the header): the state of one software GPU, pushed when it changes. */
typedef void (*sched_engine_push_t)(void *userdata, const char *gpu_address,
                                    const struct sched_settings *settings,
                                    const struct quota_instance *instances, size_t n_instances);
void sched_set_engine_push(Manager *m, sched_engine_push_t push, void *userdata);

/* MeasuredShare as vgpuctl prints it: "n/a" for vendor backends and before the engine reported. */
const char *instance_measured_share_string(const Instance *i, char buf[static 16]);

/* Admission (-EINVAL/-EOPNOTSUPP/-EDQUOT with a sentence in *ret_reason, or -ENOMEM):
 *  - a new instance of type t (on t's parent) with quota q;
 *  - a defined instance i starting on parent;
 *  - a definition's quota, checked against the vendor's rules only (it competes when it starts). */
int sched_admit_create(Manager *m, const struct vgpu_type *t, const char *uuid, const struct sched_quota *q,
                       char **ret_reason);
int sched_admit_start(Instance *i, const char *parent, char **ret_reason);
int sched_check_definition(Manager *m, const struct vgpu_type *t, const char *uuid,
                           const struct sched_quota *q, char **ret_reason);

/* D-Bus: org.vgpud1.Gpu's scheduling properties and methods, org.vgpud1.Instance's. */
int bus_gpu_get_sched_property(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error);
int bus_gpu_set_scheduler_policy(sd_bus_message *call, void *userdata, sd_bus_error *error);
int bus_gpu_reset_scheduler_policy(sd_bus_message *call, void *userdata, sd_bus_error *error);
int bus_instance_get_sched_property(sd_bus *bus, const char *path, const char *interface,
                                    const char *property, sd_bus_message *reply, void *userdata,
                                    sd_bus_error *error);
int bus_instance_set_quota(sd_bus_message *call, void *userdata, sd_bus_error *error);
