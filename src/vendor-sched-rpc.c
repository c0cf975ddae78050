/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgpud's own scheduler, in the mediation engine that serves RPC-mode
 * instances: every policy, enforced at command boundaries, with busy time
 * measured per instance (so "measured" shares are real numbers here).
 *
 * Defaults, chosen for the engine and documented in docs/scheduling.md:
 * best-effort with a 2 ms slice (NVIDIA's default for small counts: long
 * enough that a switch per slice costs little next to a 64 MiB copy, short
 * enough for a 60 Hz guest), slices of 1-100 ms; under fixed-share an
 * instance may reserve 1-100 % and those without a share split what is left;
 * under weighted, weights are 1-100 with 10 for an instance that has none,
 * so that one can be made ten times lighter or heavier than the rest.
 */
#include "vendor-sched.h"

#define RPC_DEFAULT_SLICE_MS 2u
#define RPC_SLICE_MAX_MS     100u
#define RPC_WEIGHT_MAX       100u
#define RPC_DEFAULT_WEIGHT   10u

static unsigned rpc_default_slice_ms(const struct quota_gpu *g, enum sched_policy p) {
        return RPC_DEFAULT_SLICE_MS;
}

static unsigned rpc_default_weight(const struct quota_type *t) {
        return RPC_DEFAULT_WEIGHT;
}

static double rpc_fixed_share(const struct quota_instance *i) {
        return i->quota.share > 0 ? (double) i->quota.share : -1;
}

static int rpc_render(const struct quota_gpu *g, const struct sched_settings *s,
                      struct quota_rendering *ret) {
        int r;

        r = quota_appendf(&ret->note, "vgpud's engine schedules software GPU %s: %s, time slice %u ms.\n",
                          strna(g->address), sched_policy_to_string(s->policy), quota_time_slice_ms(g, s));
        if (r < 0)
                return r;
        for (size_t k = 0; k < g->n_instances && s->policy != SCHED_POLICY_BEST_EFFORT; k++) {
                char share[16];
                double f;

                r = quota_configured_share(g, s, g->instances[k].uuid, &f);
                if (r < 0)
                        return r;
                r = quota_appendf(&ret->note, "  %s: configured share %s\n", strna(g->instances[k].uuid),
                                  quota_format_share(f, share));
                if (r < 0)
                        return r;
        }
        return 0;
}

const struct sched_vendor_ops vendor_sched_rpc = {
        .vendor = SCHED_VENDOR_RPC,
        .scheduler = "vgpud's engine",
        .policies = SCHED_POLICY_BIT(SCHED_POLICY_BEST_EFFORT) | SCHED_POLICY_BIT(SCHED_POLICY_EQUAL_SHARE) |
                    SCHED_POLICY_BIT(SCHED_POLICY_FIXED_SHARE) | SCHED_POLICY_BIT(SCHED_POLICY_WEIGHTED),
        .default_policy = SCHED_POLICY_BEST_EFFORT,
        .slice_min_ms = 1,
        .slice_max_ms = RPC_SLICE_MAX_MS,
        .default_slice_ms = rpc_default_slice_ms,
        .instance_share = true,
        .instance_weight = true,
        .weight_max = RPC_WEIGHT_MAX,
        .default_weight = rpc_default_weight,
        .fixed_share = rpc_fixed_share,
        .render = rpc_render,
};
