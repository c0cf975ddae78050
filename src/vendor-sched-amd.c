/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The AMD MxGPU scheduler (the GIM host driver), which time-slices the GPU
 * between its SR-IOV VFs: `sched_interval` (ms, default 6) and `sched_option`
 * (0: round robin among the VFs that have work, 1: equal slices for every
 * VF, idle or not). vgpud maps them to its policies as best-effort
 * (option 0: idle VFs give their time away) and equal-share (option 1).
 * There is no per-VF share or weight.
 *
 * Not confirmed here: GIM's default sched_option (0 is assumed, it is the
 * first one documented), the range sched_interval accepts (vgpud allows
 * 1-100 ms) and where a given GIM release reads the two values from (module
 * parameters or its configuration file), so vgpud renders the values and
 * leaves the file alone.
 */
#include "vendor-sched.h"

#define AMD_DEFAULT_INTERVAL_MS 6u
#define AMD_INTERVAL_MAX_MS     100u

static unsigned amd_default_slice_ms(const struct quota_gpu *g, enum sched_policy p) {
        return AMD_DEFAULT_INTERVAL_MS;
}

static int amd_render(const struct quota_gpu *g, const struct sched_settings *s,
                      struct quota_rendering *ret) {
        unsigned option = s->policy == SCHED_POLICY_EQUAL_SHARE ? 1 : 0;
        unsigned interval = s->time_slice_ms ?: AMD_DEFAULT_INTERVAL_MS;
        int r;

        if (asprintf(&ret->setting, "sched_interval=%u sched_option=%u", interval, option) < 0) {
                ret->setting = NULL;
                return -ENOMEM;
        }
        r = quota_appendf(&ret->note,
                          "AMD MxGPU (GIM): sched_interval=%u ms, sched_option=%u (%s).\n"
                          "Set them in the GIM host driver's configuration for GPU %s; they apply when GIM "
                          "initializes the GPU, with no VF in use.\n",
                          interval, option,
                          option ? "equal slices for every VF, idle or not" : "round robin among busy VFs",
                          strna(g->address));
        return r;
}

const struct sched_vendor_ops vendor_sched_amd = {
        .vendor = SCHED_VENDOR_AMD,
        .scheduler = "the AMD MxGPU (GIM) scheduler",
        .policies = SCHED_POLICY_BIT(SCHED_POLICY_BEST_EFFORT) | SCHED_POLICY_BIT(SCHED_POLICY_EQUAL_SHARE),
        .default_policy = SCHED_POLICY_BEST_EFFORT,
        .slice_min_ms = 1,
        .slice_max_ms = AMD_INTERVAL_MAX_MS,
        .default_slice_ms = amd_default_slice_ms,
        .instance_share = false,
        .instance_weight = false,
        .render = amd_render,
};
