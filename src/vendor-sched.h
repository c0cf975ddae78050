/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The scheduler of each vendor as one ops table: which policies it offers,
 * its time-slice range and default, whether an instance may carry its own
 * share or weight, what a fixed share is there, its own admission rules, and
 * how its knob is spelled. quota.c applies the rules that hold for every
 * vendor (ranges, fixed shares never above 100 %) and asks the table for the
 * rest, so a vendor's facts live in one file (vendor-sched-<vendor>.c).
 * Internal to quota.c and those files.
 */
#pragma once

#include "error.h"

#include "quota.h"

#define SCHED_POLICY_BIT(p) (1u << (p))

struct sched_vendor_ops {
        enum sched_vendor vendor;
        const char *scheduler; /* for reasons: "the NVIDIA vGPU scheduler" */
        unsigned policies;     /* SCHED_POLICY_BIT()s offered */
        enum sched_policy default_policy;

        /* Range of a configured time slice; both 0: the vendor fixes it. */
        unsigned slice_min_ms, slice_max_ms;
        /* The default slice for g, 0 if it depends on instances g has not got. */
        unsigned (*default_slice_ms)(const struct quota_gpu *g, enum sched_policy p);

        /* May an instance carry its own share / weight? (see check_quota) */
        bool instance_share, instance_weight;
        unsigned weight_max;

        /* The weight an instance of t has when none is configured; 0 unknown. */
        unsigned (*default_weight)(const struct quota_type *t);
        /* The share instance i holds under fixed-share, in percent; < 0 when it
         * reserves none (it gets an equal part of what the others leave). */
        double (*fixed_share)(const struct quota_instance *i);

        /* Vendor rules on the settings alone (after the generic checks). */
        int (*check_settings)(const struct quota_gpu *g, const struct sched_settings *s, char **ret_reason);
        /* Vendor rules on one instance's quota. */
        int (*check_quota)(const struct quota_gpu *g, const struct sched_settings *s,
                           const struct quota_instance *i, char **ret_reason);
        /* Vendor rules on the whole set of instances under s. */
        int (*check_instances)(const struct quota_gpu *g, const struct sched_settings *s,
                               const struct quota_instance *const *v, size_t n, char **ret_reason);

        /* Fill ret (already zeroed); s has passed the checks. */
        int (*render)(const struct quota_gpu *g, const struct sched_settings *s,
                      struct quota_rendering *ret);
};

extern const struct sched_vendor_ops vendor_sched_generic;
extern const struct sched_vendor_ops vendor_sched_nvidia;
extern const struct sched_vendor_ops vendor_sched_gvtg;
extern const struct sched_vendor_ops vendor_sched_amd;
extern const struct sched_vendor_ops vendor_sched_rpc;

/* NULL if v is out of range. */
const struct sched_vendor_ops *vendor_sched_get(enum sched_vendor v);

/* Set *ret_reason (if ret_reason) to the formatted sentence and return error: reason_set() (error.h)
 * under the name the rule checks read best with. */
#define quota_refuse(ret_reason, error, ...) reason_set(ret_reason, error, __VA_ARGS__)

/* A type for sentences: its vendor name, else its raw id, else "unknown type". */
const char *quota_type_label(const struct quota_type *t);

/* asprintf that appends to *s (NULL: start); -ENOMEM on failure (s untouched). */
int quota_appendf(char **s, const char *fmt, ...) _printf_(2, 3);
