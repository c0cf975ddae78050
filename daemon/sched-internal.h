/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The scheduling model's insides (sched.c) that its D-Bus side (bus-sched.c) reads. Not for elsewhere. */
#pragma once

#include "gpu.h"
#include "instance.h"
#include "quota.h"
#include "sched.h"

/* The Gpu properties this file serves, in announcement order. */
enum {
        SHOWN_POLICY,
        SHOWN_SLICE,
        SHOWN_PARAMS,
        SHOWN_SETTING,
        SHOWN_CONFIG,
        SHOWN_NOTE,
        _SHOWN_MAX,
};

static const char *const shown_names[_SHOWN_MAX] = {
        [SHOWN_POLICY] = "SchedulerPolicy",       [SHOWN_SLICE] = "TimeSliceMs",
        [SHOWN_PARAMS] = "SchedulerParams",       [SHOWN_SETTING] = "VendorSchedulerSetting",
        [SHOWN_CONFIG] = "VendorSchedulerConfig", [SHOWN_NOTE] = "SchedulerNote",
};

struct GpuSched {
        bool resolved; /* settings worked out for the GPU present (its vendor known) */
        enum sched_vendor vendor;
        struct sched_settings settings; /* in effect */
        const char *source;             /* "default", "config" or "runtime" */

        bool saving; /* a SetSchedulerPolicy or ResetSchedulerPolicy is in flight */
        struct sched_settings pending;

        /* What the properties show, cached at the GPU's sync; shown[] is what was last announced. */
        unsigned slice_ms;
        struct quota_rendering rendering;
        char *shown[_SHOWN_MAX];

        char *pushed; /* what the engine hook was last given (software GPUs only) */
};

typedef struct SchedView {
        struct quota_gpu gpu;
        struct quota_instance *inst;
        struct quota_type *types;
        Instance **objs; /* parallel to inst */
        size_t n, cap;
} SchedView;
void sched_view_done(SchedView *v);
/* The GPU as quota.h sees it: its instances (and the creates and quota changes in flight) for vendor. */
int sched_view_build(Manager *m, GpuObject *g, enum sched_vendor vendor, SchedView *v);

/* The GPU's scheduling state, made on first use (NULL without memory). */
GpuSched *gpu_sched(GpuObject *g);
/* Work out the settings in effect for a present GPU (s->resolved says whether it could). */
void gpu_sched_resolve(GpuObject *g, GpuSched *s);
/* Without a present GPU (vendor unknown): what was set for it, shown as is. */
void settings_unresolved(Manager *m, GpuObject *g, struct sched_settings *ret, const char **ret_source);
/* Admit instance (uuid, t, q) joining or changing on t's GPU. */
int admit_instance(Manager *m, const struct vgpu_type *t, const char *uuid, const struct sched_quota *q,
                   char **ret_reason);
/* The library's type of an instance: the live one's, else its definition's on its parent. */
const struct vgpu_type *instance_vgpu_type(const Instance *i);
