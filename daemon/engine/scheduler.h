/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The scheduler of one software GPU: which instance runs next and for how
 * long. Pure arithmetic over time values the caller passes in, so that the
 * rules can be unit-tested without a clock.
 *
 * Time is cut into periods (100 ms). At the start of each period every
 * instance gets a budget: its fixed share (fixed-share; instances without a
 * share split what no one reserved), 1/N of the period among connected
 * instances (equal-share), or a part proportional to its weight (weighted).
 * Runnable instances with budget left take turns of at most one time slice,
 * switching only at command boundaries; the overshoot of a turn is carried as
 * debt into the next period, unused budget is not banked. fixed-share and
 * equal-share are caps: an instance out of budget waits for the next period
 * even if the engine is idle, which is what makes their performance
 * predictable. weighted is work-conserving: when every runnable instance is
 * out of budget a new period starts at once. best-effort is plain round robin
 * with one slice per turn.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCHED_NSEC_PER_MSEC 1000000ull
#define SCHED_PERIOD_NS     (100ull * SCHED_NSEC_PER_MSEC)

enum sched_policy {
        SCHED_BEST_EFFORT,
        SCHED_EQUAL_SHARE,
        SCHED_FIXED_SHARE,
        SCHED_WEIGHTED,
        _SCHED_POLICY_MAX,
};

struct sched_entity {
        unsigned share;  /* percent of the engine, fixed-share; 0 = a part of what nobody reserved */
        unsigned weight; /* weighted, >= 1 */
        bool active;     /* a client is connected: counts for equal-share and weighted */
        bool runnable;   /* has work queued */
        int64_t budget;  /* ns left in this period; negative is debt */
        uint64_t turn;   /* when it last got a turn: round robin takes the oldest */
};

struct sched {
        enum sched_policy policy;
        uint64_t slice_ns;
        uint64_t period_ns;
        uint64_t period_start;
        bool period_valid;
        struct sched_entity **e;
        size_t n, allocated;
        uint64_t turns;
};

void sched_init(struct sched *s, enum sched_policy policy, uint64_t slice_ns);
void sched_done(struct sched *s);
int sched_add(struct sched *s, struct sched_entity *e);
void sched_remove(struct sched *s, struct sched_entity *e);

/* Budgets restart with the next pick. */
void sched_set_policy(struct sched *s, enum sched_policy policy, uint64_t slice_ns);
/* Admission: -ENOSPC if the fixed shares of all entities would pass 100 %; -EINVAL for > 100 or weight 0. */
int sched_set_quota(struct sched *s, struct sched_entity *e, unsigned share, unsigned weight);
/* Would giving a new entity this share keep the total <= 100 %? */
int sched_check_new_share(const struct sched *s, unsigned share);

/*
 * The entity to run now and for how long (*run_ns), or NULL. With NULL,
 * *wait_ns is when a budget refills and someone could run (UINT64_MAX: no
 * one is runnable at all).
 */
struct sched_entity *sched_pick(struct sched *s, uint64_t now, uint64_t *run_ns, uint64_t *wait_ns);
/* Account ran_ns of execution to e. */
void sched_charge(struct sched *s, struct sched_entity *e, uint64_t ran_ns);

/* The part of each period e is entitled to, in parts per million (0 for best-effort). */
uint32_t sched_entitlement_ppm(const struct sched *s, const struct sched_entity *e);

const char *sched_policy_name(enum sched_policy p);
int sched_policy_parse(const char *s); /* policy or -EINVAL */
/* The default slice for n instances, as NVIDIA does it: 2 ms up to 8, 1 ms above. */
uint64_t sched_default_slice_ns(size_t n);
