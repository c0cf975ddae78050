/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The per-GPU scheduler (see sched.h for the policies). */
#include <errno.h>
#include <stdlib.h>

#include "macro.h"
#include "scheduler.h"

static const char *const policy_names[_SCHED_POLICY_MAX] = {
        [SCHED_BEST_EFFORT] = "best-effort",
        [SCHED_EQUAL_SHARE] = "equal-share",
        [SCHED_FIXED_SHARE] = "fixed-share",
        [SCHED_WEIGHTED] = "weighted",
};

const char *sched_policy_name(enum sched_policy p) {
        return p < _SCHED_POLICY_MAX ? policy_names[p] : NULL;
}

int sched_policy_parse(const char *s) {
        for (int i = 0; i < _SCHED_POLICY_MAX; i++)
                if (s && streq(s, policy_names[i]))
                        return i;
        return -EINVAL;
}

uint64_t sched_default_slice_ns(size_t n) {
        return (n <= 8 ? 2 : 1) * SCHED_NSEC_PER_MSEC;
}

void sched_init(struct sched *s, enum sched_policy policy, uint64_t slice_ns) {
        *s = (struct sched){.policy = policy, .slice_ns = slice_ns, .period_ns = SCHED_PERIOD_NS};
}

void sched_done(struct sched *s) {
        free(s->e);
        s->e = NULL;
        s->n = s->allocated = 0;
}

int sched_add(struct sched *s, struct sched_entity *e) {
        if (s->n == s->allocated) {
                size_t na = s->allocated ? s->allocated * 2 : 8;
                struct sched_entity **v = reallocarray(s->e, na, sizeof(*v));
                if (!v)
                        return -ENOMEM;
                s->e = v;
                s->allocated = na;
        }
        if (e->weight == 0)
                e->weight = 1;
        e->budget = 0;
        e->turn = 0;
        s->e[s->n++] = e;
        return 0;
}

void sched_remove(struct sched *s, struct sched_entity *e) {
        for (size_t i = 0; i < s->n; i++)
                if (s->e[i] == e) {
                        s->e[i] = s->e[--s->n];
                        return;
                }
}

void sched_set_policy(struct sched *s, enum sched_policy policy, uint64_t slice_ns) {
        s->policy = policy;
        s->slice_ns = slice_ns;
        s->period_valid = false;
        for (size_t i = 0; i < s->n; i++)
                s->e[i]->budget = 0;
}

static unsigned reserved_share(const struct sched *s, const struct sched_entity *except) {
        unsigned sum = 0;
        for (size_t i = 0; i < s->n; i++)
                if (s->e[i] != except)
                        sum += s->e[i]->share;
        return sum;
}

int sched_check_new_share(const struct sched *s, unsigned share) {
        if (share > 100)
                return -EINVAL;
        return reserved_share(s, NULL) + share > 100 ? -ENOSPC : 0;
}

int sched_set_quota(struct sched *s, struct sched_entity *e, unsigned share, unsigned weight) {
        if (share > 100 || weight == 0)
                return -EINVAL;
        if (reserved_share(s, e) + share > 100)
                return -ENOSPC;
        e->share = share;
        e->weight = weight;
        return 0;
}

uint32_t sched_entitlement_ppm(const struct sched *s, const struct sched_entity *e) {
        size_t active = 0, unreserved = 0;
        uint64_t weights = 0;
        unsigned reserved = 0;

        for (size_t i = 0; i < s->n; i++) {
                const struct sched_entity *x = s->e[i];
                reserved += x->share;
                if (!x->active)
                        continue;
                active++;
                weights += x->weight;
                if (x->share == 0)
                        unreserved++;
        }

        switch (s->policy) {
        case SCHED_FIXED_SHARE:
                if (e->share > 0)
                        return e->share * 10000u;
                if (!e->active || unreserved == 0 || reserved >= 100)
                        return 0;
                return (uint32_t) ((100u - reserved) * 10000u / unreserved);
        case SCHED_EQUAL_SHARE:
                return e->active && active ? (uint32_t) (1000000u / active) : 0;
        case SCHED_WEIGHTED:
                return e->active && weights ? (uint32_t) (1000000ull * e->weight / weights) : 0;
        default:
                return 0;
        }
}

/* New period: debt is carried (bounded by one period), unused budget is not. */
static void refill(struct sched *s, uint64_t now) {
        s->period_start = now;
        s->period_valid = true;
        for (size_t i = 0; i < s->n; i++) {
                struct sched_entity *e = s->e[i];
                int64_t carry = MIN(e->budget, 0);
                carry = MAX(carry, -(int64_t) s->period_ns);
                e->budget = carry + (int64_t) (s->period_ns * sched_entitlement_ppm(s, e) / 1000000u);
        }
}

static struct sched_entity *oldest_eligible(struct sched *s, bool need_budget) {
        struct sched_entity *best = NULL;
        for (size_t i = 0; i < s->n; i++) {
                struct sched_entity *e = s->e[i];
                if (!e->runnable || (need_budget && e->budget <= 0))
                        continue;
                if (!best || e->turn < best->turn)
                        best = e;
        }
        return best;
}

struct sched_entity *sched_pick(struct sched *s, uint64_t now, uint64_t *run_ns, uint64_t *wait_ns) {
        struct sched_entity *e;
        bool any_runnable = false;

        for (size_t i = 0; i < s->n; i++)
                any_runnable = any_runnable || s->e[i]->runnable;
        *wait_ns = UINT64_MAX;
        *run_ns = 0;
        if (!any_runnable)
                return NULL;

        if (s->policy == SCHED_BEST_EFFORT) {
                e = oldest_eligible(s, false);
                e->turn = ++s->turns;
                *run_ns = s->slice_ns;
                return e;
        }

        if (!s->period_valid || now - s->period_start >= s->period_ns)
                refill(s, now);
        e = oldest_eligible(s, true);
        if (!e && s->policy == SCHED_WEIGHTED) {
                refill(s, now); /* work-conserving: nobody with budget wants to run */
                e = oldest_eligible(s, true);
        }
        if (!e) {
                *wait_ns = s->period_start + s->period_ns - now;
                return NULL;
        }
        e->turn = ++s->turns;
        *run_ns = MIN(s->slice_ns, (uint64_t) e->budget);
        return e;
}

void sched_charge(struct sched *s, struct sched_entity *e, uint64_t ran_ns) {
        if (s->policy != SCHED_BEST_EFFORT)
                e->budget -= (int64_t) MIN(ran_ns, (uint64_t) INT64_MAX / 2);
}
