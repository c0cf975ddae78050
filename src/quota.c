/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Implementation of quota.h: the rules every vendor shares (names, ranges,
 * fixed shares never above 100 %, entitlement arithmetic, persistence), with
 * the vendor's own rules asked from its ops table (vendor-sched.h).
 */
#include <assert.h>
#include <ctype.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>

#include "quota.h"
#include "string-table.h"
#include "vendor-sched.h"

/* Shares are sums of fractions such as 1/3: compare with a tolerance. */
#define SHARE_EPSILON 1e-9

/* How many instances a refusal names before it says "and N more". */
#define REASON_MAX_NAMED 4

static const char *const policy_names[_SCHED_POLICY_MAX] = {
        [SCHED_POLICY_BEST_EFFORT] = "best-effort",
        [SCHED_POLICY_EQUAL_SHARE] = "equal-share",
        [SCHED_POLICY_FIXED_SHARE] = "fixed-share",
        [SCHED_POLICY_WEIGHTED] = "weighted",
};

static const char *const vendor_names[_SCHED_VENDOR_MAX] = {
        [SCHED_VENDOR_GENERIC] = "generic", [SCHED_VENDOR_NVIDIA] = "nvidia", [SCHED_VENDOR_GVTG] = "gvtg",
        [SCHED_VENDOR_AMD] = "amd",         [SCHED_VENDOR_RPC] = "rpc",
};

DEFINE_STRING_TABLE(sched_policy, enum sched_policy, policy_names, _SCHED_POLICY_MAX, _SCHED_POLICY_INVALID)
DEFINE_STRING_TABLE(sched_vendor, enum sched_vendor, vendor_names, _SCHED_VENDOR_MAX, _SCHED_VENDOR_INVALID)

const struct sched_vendor_ops *vendor_sched_get(enum sched_vendor v) {
        static const struct sched_vendor_ops *const table[_SCHED_VENDOR_MAX] = {
                [SCHED_VENDOR_GENERIC] = &vendor_sched_generic, [SCHED_VENDOR_NVIDIA] = &vendor_sched_nvidia,
                [SCHED_VENDOR_GVTG] = &vendor_sched_gvtg,       [SCHED_VENDOR_AMD] = &vendor_sched_amd,
                [SCHED_VENDOR_RPC] = &vendor_sched_rpc,
        };
        if (v < 0 || v >= _SCHED_VENDOR_MAX)
                return NULL;
        return table[v];
}

int quota_appendf(char **s, const char *fmt, ...) {
        _cleanup_free_ char *piece = NULL;
        va_list ap;
        char *n;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&piece, fmt, ap);
        va_end(ap);
        if (k < 0) {
                piece = NULL;
                return -ENOMEM;
        }
        if (!*s) {
                *s = TAKE_PTR(piece);
                return 0;
        }
        if (asprintf(&n, "%s%s", *s, piece) < 0)
                return -ENOMEM;
        free(*s);
        *s = n;
        return 0;
}

const char *quota_type_label(const struct quota_type *t) {
        if (!t)
                return "unknown type";
        if (!isempty(t->name))
                return t->name;
        if (!isempty(t->id))
                return t->id;
        return "unknown type";
}

static const struct sched_vendor_ops *gpu_ops(const struct quota_gpu *g) {
        return g ? vendor_sched_get(g->vendor) : NULL;
}

static const char *gpu_label(const struct quota_gpu *g) {
        return isempty(g->address) ? "(unnamed GPU)" : g->address;
}

void quota_default_settings(const struct quota_gpu *g, struct sched_settings *ret) {
        const struct sched_vendor_ops *ops = gpu_ops(g) ?: &vendor_sched_generic;

        /* The slice stays 0 ("the vendor's default") so that it follows the
         * GPU's instances (NVIDIA's default depends on them). */
        *ret = (struct sched_settings){.policy = ops->default_policy};
}

void quota_default_quota(const struct quota_gpu *g, const struct quota_type *t, struct sched_quota *ret) {
        const struct sched_vendor_ops *ops = gpu_ops(g);

        *ret = (struct sched_quota){};
        /* Only vendors that fix the weight by type record it: elsewhere an
         * unset weight means "the default" and follows later changes of it. */
        if (ops && ops->default_weight && !ops->instance_share && ops->instance_weight && t)
                ret->weight = ops->default_weight(t);
}

unsigned quota_time_slice_ms(const struct quota_gpu *g, const struct sched_settings *s) {
        const struct sched_vendor_ops *ops = gpu_ops(g);

        if (!ops || !s)
                return 0;
        if (s->time_slice_ms > 0)
                return s->time_slice_ms;
        return ops->default_slice_ms ? ops->default_slice_ms(g, s->policy) : 0;
}

static int policies_list(unsigned bits, char **ret) {
        _cleanup_free_ char *s = NULL;
        int r;

        for (int p = 0; p < _SCHED_POLICY_MAX; p++) {
                if (!(bits & SCHED_POLICY_BIT(p)))
                        continue;
                r = quota_appendf(&s, "%s%s", s ? ", " : "", policy_names[p]);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

static int check_settings(const struct quota_gpu *g, const struct sched_vendor_ops *ops,
                          const struct sched_settings *s, char **ret_reason) {
        const char *policy = sched_policy_to_string(s->policy);

        if (!policy)
                return quota_refuse(ret_reason, -EINVAL, "Unknown scheduling policy %d.", (int) s->policy);

        if (!(ops->policies & SCHED_POLICY_BIT(s->policy))) {
                _cleanup_free_ char *offered = NULL;
                if (policies_list(ops->policies, &offered) < 0)
                        return -ENOMEM;
                return quota_refuse(ret_reason, -EOPNOTSUPP,
                                    "GPU %s is scheduled by %s, which offers %s; %s is not available there.",
                                    gpu_label(g), ops->scheduler, offered, policy);
        }

        if (s->time_slice_ms > 0) {
                if (ops->slice_max_ms == 0) {
                        unsigned fixed = ops->default_slice_ms ? ops->default_slice_ms(g, s->policy) : 0;
                        if (fixed == 0)
                                return quota_refuse(ret_reason, -EOPNOTSUPP,
                                                    "The time slice of %s on GPU %s cannot be set.",
                                                    ops->scheduler, gpu_label(g));
                        if (s->time_slice_ms != fixed)
                                return quota_refuse(ret_reason, -EOPNOTSUPP,
                                                    "The time slice of %s is fixed at %u ms; GPU %s cannot "
                                                    "use %u ms.",
                                                    ops->scheduler, fixed, gpu_label(g), s->time_slice_ms);
                } else if (s->time_slice_ms < ops->slice_min_ms || s->time_slice_ms > ops->slice_max_ms)
                        return quota_refuse(
                                ret_reason, -EINVAL,
                                "A time slice of %u ms is out of range for %s: it takes %u to %u ms.",
                                s->time_slice_ms, ops->scheduler, ops->slice_min_ms, ops->slice_max_ms);
        }

        /* The strict round-robin parameters are NVIDIA's; its table checks their ranges. */
        if ((s->averaging_factor > 0 || s->frequency_hz > 0) && ops->vendor != SCHED_VENDOR_NVIDIA)
                return quota_refuse(
                        ret_reason, -EOPNOTSUPP,
                        "An averaging factor and a scheduling frequency are settings of the NVIDIA "
                        "vGPU scheduler; GPU %s is scheduled by %s.",
                        gpu_label(g), ops->scheduler);

        return ops->check_settings ? ops->check_settings(g, s, ret_reason) : 0;
}

static int check_quota(const struct quota_gpu *g, const struct sched_vendor_ops *ops,
                       const struct sched_settings *s, const struct quota_instance *i, char **ret_reason) {
        const struct sched_quota *q = &i->quota;
        const char *uuid = strna(i->uuid);

        if (q->share > 0 && q->weight > 0)
                return quota_refuse(
                        ret_reason, -EINVAL,
                        "Instance %s has both a share (%u %%) and a weight (%u); it takes one of them: "
                        "a share under fixed-share, a weight under weighted.",
                        uuid, q->share, q->weight);
        if (q->share > 100)
                return quota_refuse(
                        ret_reason, -EINVAL,
                        "A share of %u %% is out of range for instance %s: a share is 1 to 100 %%.",
                        q->share, uuid);
        if (q->weight > 0 && ops->weight_max > 0 && q->weight > ops->weight_max)
                return quota_refuse(
                        ret_reason, -EINVAL,
                        "A weight of %u is out of range for instance %s: %s takes weights 1 to %u.",
                        q->weight, uuid, ops->scheduler, ops->weight_max);

        if (ops->check_quota)
                return ops->check_quota(g, s, i, ret_reason);

        if (q->share > 0 && !ops->instance_share)
                return quota_refuse(ret_reason, -EOPNOTSUPP,
                                    "%s on GPU %s has no per-instance share; instance %s cannot have one.",
                                    ops->scheduler, gpu_label(g), uuid);
        if (q->weight > 0 && !ops->instance_weight)
                return quota_refuse(ret_reason, -EOPNOTSUPP,
                                    "%s on GPU %s has no per-instance weight; instance %s cannot have one.",
                                    ops->scheduler, gpu_label(g), uuid);
        return 0;
}

/* The instances as they would be with `change` applied, as pointers into g and change. */
static int instances_after(const struct quota_gpu *g, const struct quota_instance *change,
                           const struct quota_instance ***ret, size_t *ret_n) {
        _cleanup_free_ const struct quota_instance **v = NULL;
        bool replaced = false;
        size_t n = 0;

        v = calloc(g->n_instances + 1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        for (size_t k = 0; k < g->n_instances; k++) {
                const struct quota_instance *i = &g->instances[k];
                if (change && !replaced && streq_ptr(i->uuid, change->uuid)) {
                        v[n++] = change;
                        replaced = true;
                } else
                        v[n++] = i;
        }
        if (change && !replaced)
                v[n++] = change;
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

/* Sum of the fixed shares under fixed-share, and how many instances hold none. */
static void fixed_share_sum(const struct sched_vendor_ops *ops, const struct quota_instance *const *v,
                            size_t n, double *ret_sum, size_t *ret_unreserved) {
        double sum = 0;
        size_t unreserved = 0;

        for (size_t k = 0; k < n; k++) {
                double f = ops->fixed_share ? ops->fixed_share(v[k]) : -1;
                if (f >= 0)
                        sum += f;
                else
                        unreserved++;
        }
        *ret_sum = sum;
        *ret_unreserved = unreserved;
}

static int check_fixed_shares(const struct quota_gpu *g, const struct sched_vendor_ops *ops,
                              const struct quota_instance *const *v, size_t n,
                              const struct quota_instance *change, char **ret_reason) {
        _cleanup_free_ char *names = NULL;
        size_t unreserved, named = 0;
        double sum;

        fixed_share_sum(ops, v, n, &sum, &unreserved);
        if (sum > 100 + SHARE_EPSILON) {
                if (change) {
                        double mine = ops->fixed_share ? ops->fixed_share(change) : -1;
                        return quota_refuse(
                                ret_reason, -EDQUOT,
                                "Fixed shares on GPU %s would add up to %.1f %% with instance %s "
                                "(%.1f %%), more than 100 %%; lower other shares or place it on "
                                "another GPU.",
                                gpu_label(g), sum, strna(change->uuid), MAX(mine, 0.0));
                }
                return quota_refuse(
                        ret_reason, -EDQUOT,
                        "The fixed shares of the %zu instances on GPU %s add up to %.1f %%, more "
                        "than 100 %%; lower some shares before switching to fixed-share.",
                        n, gpu_label(g), sum);
        }

        /* Instances without a share of their own get an equal part of what
         * is left: something must be left (only where such instances exist). */
        if (unreserved == 0 || !ops->instance_share || sum < 100 - SHARE_EPSILON)
                return 0;
        for (size_t k = 0; k < n; k++) {
                if ((ops->fixed_share ? ops->fixed_share(v[k]) : -1) >= 0)
                        continue;
                if (named < REASON_MAX_NAMED) {
                        if (quota_appendf(&names, "%s%s", names ? ", " : "", strna(v[k]->uuid)) < 0)
                                return -ENOMEM;
                        named++;
                }
        }
        if (unreserved > named && quota_appendf(&names, " and %zu more", unreserved - named) < 0)
                return -ENOMEM;
        return quota_refuse(ret_reason, -EDQUOT,
                            "Fixed shares on GPU %s would take all of its time, leaving nothing for the "
                            "instances without a share (%s); give them a share or lower the others.",
                            gpu_label(g), names);
}

int quota_admit(const struct quota_gpu *g, const struct sched_settings *s,
                const struct quota_instance *change, char **ret_reason) {
        const struct sched_vendor_ops *ops = gpu_ops(g);
        _cleanup_free_ const struct quota_instance **v = NULL;
        size_t n;
        int r;

        if (!ops)
                return quota_refuse(ret_reason, -EINVAL, "Unknown scheduler vendor %d.",
                                    g ? (int) g->vendor : -1);
        if (!s || (g->n_instances > 0 && !g->instances))
                return -EINVAL;
        if (change && isempty(change->uuid))
                return quota_refuse(ret_reason, -EINVAL, "An instance without a UUID cannot be admitted.");

        r = check_settings(g, ops, s, ret_reason);
        if (r < 0)
                return r;

        r = instances_after(g, change, &v, &n);
        if (r < 0)
                return r;

        /* The changed instance first, so that a refusal names what was asked for. */
        if (change) {
                r = check_quota(g, ops, s, change, ret_reason);
                if (r < 0)
                        return r;
        }
        for (size_t k = 0; k < n; k++) {
                if (v[k] == change)
                        continue;
                r = check_quota(g, ops, s, v[k], ret_reason);
                if (r < 0)
                        return r;
        }

        if (s->policy == SCHED_POLICY_FIXED_SHARE) {
                r = check_fixed_shares(g, ops, v, n, change, ret_reason);
                if (r < 0)
                        return r;
        }

        return ops->check_instances ? ops->check_instances(g, s, v, n, ret_reason) : 0;
}

static unsigned instance_weight(const struct sched_vendor_ops *ops, const struct quota_instance *i) {
        if (i->quota.weight > 0)
                return i->quota.weight;
        return ops->default_weight && i->type ? ops->default_weight(i->type) : 0;
}

int quota_configured_share(const struct quota_gpu *g, const struct sched_settings *s, const char *uuid,
                           double *ret) {
        const struct sched_vendor_ops *ops = gpu_ops(g);
        const struct quota_instance *me = NULL;

        if (!ops || !s || !uuid)
                return -EINVAL;
        for (size_t k = 0; k < g->n_instances; k++)
                if (streq_ptr(g->instances[k].uuid, uuid)) {
                        me = &g->instances[k];
                        break;
                }
        if (!me)
                return -ENOENT;

        switch (s->policy) {
        case SCHED_POLICY_EQUAL_SHARE:
                *ret = 100.0 / (double) g->n_instances;
                return 0;

        case SCHED_POLICY_FIXED_SHARE: {
                double mine = ops->fixed_share ? ops->fixed_share(me) : -1, sum = 0;
                size_t unreserved = 0;

                if (mine >= 0 || !ops->instance_share) {
                        *ret = mine;
                        return 0;
                }
                for (size_t k = 0; k < g->n_instances; k++) {
                        double f = ops->fixed_share ? ops->fixed_share(&g->instances[k]) : -1;
                        if (f >= 0)
                                sum += f;
                        else
                                unreserved++;
                }
                *ret = MAX(0.0, 100.0 - sum) / (double) unreserved;
                return 0;
        }

        case SCHED_POLICY_WEIGHTED: {
                unsigned mine = instance_weight(ops, me);
                double total = 0;

                for (size_t k = 0; k < g->n_instances; k++) {
                        unsigned w = instance_weight(ops, &g->instances[k]);
                        if (w == 0) { /* one unknown weight makes every share unknown */
                                *ret = -1;
                                return 0;
                        }
                        total += w;
                }
                *ret = mine == 0 ? -1 : 100.0 * mine / total;
                return 0;
        }

        case SCHED_POLICY_BEST_EFFORT:
        default:
                *ret = -1;
                return 0;
        }
}

double quota_measured_share(enum sched_vendor v, uint64_t busy_ns, uint64_t elapsed_ns) {
        /* Only vgpud's own engine reports busy time; a vendor's scheduler does
         * not tell us, and a guess would be worse than "n/a". */
        if (v != SCHED_VENDOR_RPC || elapsed_ns == 0)
                return -1;
        return MIN(100.0, 100.0 * (double) busy_ns / (double) elapsed_ns);
}

const char *quota_format_share(double share, char buf[static 16]) {
        if (share < 0 || isnan(share))
                snprintf(buf, 16, "n/a");
        else
                snprintf(buf, 16, "%.1f %%", MIN(share, 100.0));
        return buf;
}

int quota_render(const struct quota_gpu *g, const struct sched_settings *s, struct quota_rendering *ret,
                 char **ret_reason) {
        const struct sched_vendor_ops *ops = gpu_ops(g);
        struct quota_rendering r = {};
        int k;

        if (!ops)
                return quota_refuse(ret_reason, -EINVAL, "Unknown scheduler vendor %d.",
                                    g ? (int) g->vendor : -1);
        if (!s)
                return -EINVAL;
        k = check_settings(g, ops, s, ret_reason);
        if (k < 0)
                return k;
        k = ops->render(g, s, &r);
        if (k < 0) {
                quota_rendering_done(&r);
                return k;
        }
        *ret = r;
        return 0;
}

void quota_rendering_done(struct quota_rendering *r) {
        if (!r)
                return;
        free(r->setting);
        free(r->config_line);
        free(r->note);
        *r = (struct quota_rendering){};
}

/* --- persistence --- */

/* The broadest ranges any vendor accepts: a stored value outside them was never valid. */
#define STORED_SLICE_MAX_MS  1000
#define STORED_AVERAGING_MAX 255
#define STORED_FREQUENCY_MAX 100000
#define STORED_WEIGHT_MAX    1000

static int json_add_uint(struct json_object *o, const char *key, unsigned v) {
        struct json_object *n;

        if (v == 0)
                return 0;
        n = json_object_new_int64(v);
        if (!n || json_object_object_add(o, key, n) < 0) {
                json_object_put(n);
                return -ENOMEM;
        }
        return 0;
}

int sched_settings_to_json(const struct sched_settings *s, struct json_object **ret) {
        const char *policy = sched_policy_to_string(s->policy);
        struct json_object *o, *p;
        int r;

        if (!policy)
                return -EINVAL;
        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        p = json_object_new_string(policy);
        if (!p || json_object_object_add(o, "policy", p) < 0) {
                json_object_put(p);
                json_object_put(o);
                return -ENOMEM;
        }
        if ((r = json_add_uint(o, "time_slice_ms", s->time_slice_ms)) < 0 ||
            (r = json_add_uint(o, "averaging_factor", s->averaging_factor)) < 0 ||
            (r = json_add_uint(o, "frequency_hz", s->frequency_hz)) < 0) {
                json_object_put(o);
                return r;
        }
        *ret = o;
        return 0;
}

static int json_get_uint(struct json_object *v, const char *key, unsigned min, unsigned max, unsigned *ret,
                         char **ret_error) {
        int64_t x;

        if (!json_object_is_type(v, json_type_int))
                return quota_refuse(ret_error, -EINVAL, "\"%s\" must be a whole number.", key);
        errno = 0;
        x = json_object_get_int64(v);
        if (errno != 0 || x < (int64_t) min || x > (int64_t) max)
                return quota_refuse(ret_error, -EINVAL, "\"%s\" must be %u to %u.", key, min, max);
        *ret = (unsigned) x;
        return 0;
}

int sched_settings_from_json(struct json_object *o, struct sched_settings *ret, char **ret_error) {
        struct sched_settings s = {.policy = _SCHED_POLICY_INVALID};
        int r;

        if (!json_object_is_type(o, json_type_object))
                return quota_refuse(ret_error, -EINVAL, "Scheduler settings must be a JSON object.");

        json_object_object_foreach(o, key, v) {
                r = 0;
                if (streq(key, "policy")) {
                        if (!json_object_is_type(v, json_type_string))
                                return quota_refuse(ret_error, -EINVAL, "\"policy\" must be a string.");
                        s.policy = sched_policy_from_string(json_object_get_string(v));
                        if (s.policy < 0)
                                return quota_refuse(
                                        ret_error, -EINVAL,
                                        "Unknown policy \"%s\": expected best-effort, equal-share, "
                                        "fixed-share or weighted.",
                                        json_object_get_string(v));
                } else if (streq(key, "time_slice_ms"))
                        r = json_get_uint(v, key, 1, STORED_SLICE_MAX_MS, &s.time_slice_ms, ret_error);
                else if (streq(key, "averaging_factor"))
                        r = json_get_uint(v, key, 1, STORED_AVERAGING_MAX, &s.averaging_factor, ret_error);
                else if (streq(key, "frequency_hz"))
                        r = json_get_uint(v, key, 1, STORED_FREQUENCY_MAX, &s.frequency_hz, ret_error);
                else
                        return quota_refuse(ret_error, -EINVAL, "Unknown key \"%s\" in scheduler settings.",
                                            key);
                if (r < 0)
                        return r;
        }
        if (s.policy < 0)
                return quota_refuse(ret_error, -EINVAL, "Scheduler settings lack \"policy\".");
        *ret = s;
        return 0;
}

int sched_quota_to_json(const struct sched_quota *q, struct json_object **ret) {
        struct json_object *o;
        int r;

        if (q->share > 0 && q->weight > 0)
                return -EINVAL;
        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        if ((r = json_add_uint(o, "share", q->share)) < 0 ||
            (r = json_add_uint(o, "weight", q->weight)) < 0) {
                json_object_put(o);
                return r;
        }
        *ret = o;
        return 0;
}

int sched_quota_from_json(struct json_object *o, struct sched_quota *ret, char **ret_error) {
        struct sched_quota q = {};
        int r;

        if (!json_object_is_type(o, json_type_object))
                return quota_refuse(ret_error, -EINVAL, "A quota must be a JSON object.");
        json_object_object_foreach(o, key, v) {
                if (streq(key, "share"))
                        r = json_get_uint(v, key, 1, 100, &q.share, ret_error);
                else if (streq(key, "weight"))
                        r = json_get_uint(v, key, 1, STORED_WEIGHT_MAX, &q.weight, ret_error);
                else
                        return quota_refuse(ret_error, -EINVAL, "Unknown key \"%s\" in a quota.", key);
                if (r < 0)
                        return r;
        }
        if (q.share > 0 && q.weight > 0)
                return quota_refuse(ret_error, -EINVAL, "A quota has a share or a weight, not both.");
        *ret = q;
        return 0;
}
