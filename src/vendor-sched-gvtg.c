/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Intel GVT-g scheduler (i915 gvt/sched_policy.c): one policy, weighted.
 * A 1 ms timer; every 100 ms each vGPU gets a budget of
 * 100 ms x weight / total weight of the active vGPUs, with credit and debt
 * carried over 10 stages. The weight is fixed by the type (gvt/vgpu.c:
 * GVTg_Vx_8 = 2, _4 = 4, _2 = 8, _1 = 16; the same table serves Broadwell's
 * V4 and later V5 types) and nothing in sysfs changes it: vgpud can only
 * report it, and refuses any other weight, share or policy.
 */
#include "vendor-sched.h"

#define GVTG_TIMER_MS          1u
#define GVTG_BALANCE_PERIOD_MS 100u
#define GVTG_WEIGHT_MAX        16u

/* The type suffix after "GVTg_V<gen>_": how many vGPUs of the type fit, and the weight i915 gives it. */
static const struct {
        const char *suffix;
        unsigned weight;
} gvtg_weights[] = {
        {"8", 2},
        {"4", 4},
        {"2", 8},
        {"1", 16},
};

unsigned gvtg_type_weight(const struct quota_type *t) {
        const char *p;

        if (!t)
                return 0;
        if (t->weight > 0)
                return t->weight;
        /* "i915-GVTg_V5_4": the description had no weight; the name still tells. */
        p = t->id ? strstr(t->id, "GVTg_V") : NULL;
        if (!p)
                return 0;
        p += STRLEN("GVTg_V");
        if (*p < '0' || *p > '9')
                return 0;
        while (*p >= '0' && *p <= '9')
                p++;
        if (*p++ != '_')
                return 0;
        for (size_t k = 0; k < ELEMENTSOF(gvtg_weights); k++)
                if (streq(p, gvtg_weights[k].suffix))
                        return gvtg_weights[k].weight;
        return 0;
}

static unsigned gvtg_default_slice_ms(const struct quota_gpu *g, enum sched_policy p) {
        return GVTG_TIMER_MS;
}

static int gvtg_check_quota(const struct quota_gpu *g, const struct sched_settings *s,
                            const struct quota_instance *i, char **ret_reason) {
        unsigned w = gvtg_type_weight(i->type);

        if (i->quota.share > 0)
                return quota_refuse(ret_reason, -EOPNOTSUPP,
                                    "Intel GVT-g schedules by weight, never by share; instance %s on GPU %s "
                                    "cannot have a share.",
                                    strna(i->uuid), strna(g->address));
        if (i->quota.weight == 0 || i->quota.weight == w)
                return 0;
        if (w == 0)
                return quota_refuse(ret_reason, -EDQUOT,
                                    "Intel GVT-g fixes the weight by type, and the weight of %s is unknown; "
                                    "instance %s cannot have a weight of %u.",
                                    quota_type_label(i->type), strna(i->uuid), i->quota.weight);
        return quota_refuse(ret_reason, -EDQUOT,
                            "Intel GVT-g fixes the weight by type: %s has weight %u, so instance %s cannot "
                            "have weight %u. Choose another type for another weight.",
                            quota_type_label(i->type), w, strna(i->uuid), i->quota.weight);
}

static int gvtg_render(const struct quota_gpu *g, const struct sched_settings *s,
                       struct quota_rendering *ret) {
        unsigned total = 0;
        bool unknown = false;
        int r;

        r = quota_appendf(
                &ret->note,
                "Intel GVT-g has no scheduler setting: the weight of each vGPU is fixed by its type.\n"
                "Every %u ms each active vGPU gets %u ms x weight / total weight (1 ms timer).\n",
                GVTG_BALANCE_PERIOD_MS, GVTG_BALANCE_PERIOD_MS);
        if (r < 0)
                return r;
        for (size_t k = 0; k < g->n_instances; k++) {
                unsigned w = g->instances[k].quota.weight ?: gvtg_type_weight(g->instances[k].type);
                if (w == 0)
                        unknown = true;
                total += w;
        }
        for (size_t k = 0; k < g->n_instances; k++) {
                const struct quota_instance *i = &g->instances[k];
                unsigned w = i->quota.weight ?: gvtg_type_weight(i->type);

                if (w == 0 || unknown)
                        r = quota_appendf(&ret->note, "  %s (%s): weight %s, budget n/a\n", strna(i->uuid),
                                          quota_type_label(i->type), w ? "known" : "unknown");
                else
                        r = quota_appendf(&ret->note,
                                          "  %s (%s): weight %u, budget %.1f ms of %u ms (%.1f %%)\n",
                                          strna(i->uuid), quota_type_label(i->type), w,
                                          (double) GVTG_BALANCE_PERIOD_MS * w / total,
                                          GVTG_BALANCE_PERIOD_MS, 100.0 * w / total);
                if (r < 0)
                        return r;
        }
        return 0;
}

const struct sched_vendor_ops vendor_sched_gvtg = {
        .vendor = SCHED_VENDOR_GVTG,
        .scheduler = "the Intel GVT-g scheduler",
        .policies = SCHED_POLICY_BIT(SCHED_POLICY_WEIGHTED),
        .default_policy = SCHED_POLICY_WEIGHTED,
        .slice_min_ms = 0,
        .slice_max_ms = 0, /* the 1 ms timer is fixed in i915 */
        .default_slice_ms = gvtg_default_slice_ms,
        .instance_share = false,
        .instance_weight = true,
        .weight_max = GVTG_WEIGHT_MAX,
        .default_weight = gvtg_type_weight,
        .check_quota = gvtg_check_quota,
        .render = gvtg_render,
};
