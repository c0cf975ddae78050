/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of daemon/engine/scheduler.c on a simulated clock: each policy's
 * shares over many periods, caps versus work conservation, debt carried from
 * overshooting turns, admission of fixed shares, and the entitlement figures.
 */

#include "unit.h"

#include "macro.h"
#include "scheduler.h"

#define MS SCHED_NSEC_PER_MSEC

/*
 * Run the scheduler for `span` ns of simulated time with entities that are
 * runnable while busy[i]; each turn overshoots by `overshoot` ns, as a
 * command boundary would. Returns the time each one ran in ran[].
 */
static uint64_t simulate(struct sched *s, struct sched_entity **e, size_t n, const bool *busy, uint64_t span,
                         uint64_t overshoot, uint64_t *ran) {
        uint64_t now = 1000 * MS, end = now + span, idle = 0;
        for (size_t i = 0; i < n; i++) {
                ran[i] = 0;
                e[i]->runnable = busy[i];
                e[i]->active = true;
        }
        while (now < end) {
                uint64_t run_ns, wait_ns;
                struct sched_entity *x = sched_pick(s, now, &run_ns, &wait_ns);
                if (!x) {
                        assert_true(wait_ns > 0 && wait_ns != UINT64_MAX);
                        idle += wait_ns;
                        now += wait_ns;
                        continue;
                }
                assert_true(run_ns > 0 && run_ns <= s->slice_ns);
                uint64_t t = run_ns + overshoot;
                sched_charge(s, x, t);
                for (size_t i = 0; i < n; i++)
                        if (e[i] == x)
                                ran[i] += t;
                now += t;
        }
        return idle;
}

static void test_fixed_share_70_30(void **state) {
        struct sched s;
        struct sched_entity a = {.share = 70}, b = {.share = 30};
        struct sched_entity *e[] = {&a, &b};
        bool busy[] = {true, true};
        uint64_t ran[2];

        sched_init(&s, SCHED_FIXED_SHARE, 2 * MS);
        assert_int_equal(sched_add(&s, &a), 0);
        assert_int_equal(sched_add(&s, &b), 0);
        simulate(&s, e, 2, busy, 10000 * MS, 37000, ran);
        double share = (double) ran[0] / (double) (ran[0] + ran[1]);
        assert_true(share > 0.695 && share < 0.705);
        assert_int_equal(sched_entitlement_ppm(&s, &a), 700000);
        assert_int_equal(sched_entitlement_ppm(&s, &b), 300000);
        sched_done(&s);
}

/* A cap is a cap: alone on the engine, a 30 % instance still gets 30 % and the engine idles. */
static void test_fixed_share_is_a_cap(void **state) {
        struct sched s;
        struct sched_entity a = {.share = 70}, b = {.share = 30};
        struct sched_entity *e[] = {&a, &b};
        bool busy[] = {false, true};
        uint64_t ran[2];

        sched_init(&s, SCHED_FIXED_SHARE, 1 * MS);
        sched_add(&s, &a);
        sched_add(&s, &b);
        uint64_t idle = simulate(&s, e, 2, busy, 5000 * MS, 0, ran);
        assert_int_equal(ran[0], 0);
        assert_true(ran[1] >= 1490 * MS && ran[1] <= 1510 * MS);
        assert_true(idle >= 3490 * MS);
        sched_done(&s);
}

/* Instances without a share split what nobody reserved. */
static void test_fixed_share_unreserved(void **state) {
        struct sched s;
        struct sched_entity a = {.share = 40}, b = {}, c = {};
        struct sched_entity *e[] = {&a, &b, &c};
        bool busy[] = {true, true, true};
        uint64_t ran[3];

        sched_init(&s, SCHED_FIXED_SHARE, 2 * MS);
        sched_add(&s, &a);
        sched_add(&s, &b);
        sched_add(&s, &c);
        simulate(&s, e, 3, busy, 3000 * MS, 0, ran);
        assert_int_equal(sched_entitlement_ppm(&s, &b), 300000);
        for (int i = 1; i < 3; i++)
                assert_true(ran[i] >= 890 * MS && ran[i] <= 910 * MS);
        assert_true(ran[0] >= 1190 * MS && ran[0] <= 1210 * MS);
        sched_done(&s);
}

static void test_equal_share(void **state) {
        struct sched s;
        struct sched_entity a = {}, b = {}, c = {};
        struct sched_entity *e[] = {&a, &b, &c};
        bool busy[] = {true, true, true};
        uint64_t ran[3];

        sched_init(&s, SCHED_EQUAL_SHARE, 2 * MS);
        sched_add(&s, &a);
        sched_add(&s, &b);
        sched_add(&s, &c);
        simulate(&s, e, 3, busy, 3000 * MS, 11000, ran);
        for (int i = 0; i < 3; i++)
                assert_true(ran[i] >= 990 * MS && ran[i] <= 1010 * MS);
        assert_int_equal(sched_entitlement_ppm(&s, &a), 333333);
        /* A disconnected instance no longer counts. */
        c.active = false;
        assert_int_equal(sched_entitlement_ppm(&s, &a), 500000);
        assert_int_equal(sched_entitlement_ppm(&s, &c), 0);
        sched_done(&s);
}

static void test_weighted(void **state) {
        struct sched s;
        struct sched_entity a = {.weight = 3}, b = {.weight = 1};
        struct sched_entity *e[] = {&a, &b};
        bool busy[] = {true, true}, alone[] = {false, true};
        uint64_t ran[2];

        sched_init(&s, SCHED_WEIGHTED, 1 * MS);
        sched_add(&s, &a);
        sched_add(&s, &b);
        simulate(&s, e, 2, busy, 4000 * MS, 5000, ran);
        double share = (double) ran[0] / (double) (ran[0] + ran[1]);
        assert_true(share > 0.74 && share < 0.76);
        /* Work-conserving: alone, the light one gets the whole engine. */
        uint64_t idle = simulate(&s, e, 2, alone, 1000 * MS, 0, ran);
        assert_int_equal(idle, 0);
        assert_true(ran[1] >= 999 * MS);
        sched_done(&s);
}

static void test_best_effort_round_robin(void **state) {
        struct sched s;
        struct sched_entity a = {}, b = {}, c = {};
        uint64_t run, wait;

        sched_init(&s, SCHED_BEST_EFFORT, 2 * MS);
        sched_add(&s, &a);
        sched_add(&s, &b);
        sched_add(&s, &c);
        assert_null(sched_pick(&s, 0, &run, &wait));
        assert_int_equal(wait, UINT64_MAX); /* nobody runnable: nothing to wait for */
        a.runnable = b.runnable = c.runnable = true;
        struct sched_entity *first = sched_pick(&s, 0, &run, &wait);
        struct sched_entity *second = sched_pick(&s, 0, &run, &wait);
        struct sched_entity *third = sched_pick(&s, 0, &run, &wait);
        assert_int_equal(run, 2 * MS);
        assert_true(first != second && second != third && first != third);
        assert_ptr_equal(sched_pick(&s, 0, &run, &wait), first);
        b.runnable = false;
        for (int i = 0; i < 6; i++)
                assert_ptr_not_equal(sched_pick(&s, 0, &run, &wait), &b);
        assert_int_equal(sched_entitlement_ppm(&s, &a), 0);
        sched_done(&s);
}

/* A turn that overshoots is paid back in the next period. */
static void test_debt_is_carried(void **state) {
        struct sched s;
        struct sched_entity a = {.share = 50}, b = {.share = 50};
        uint64_t run, wait;

        sched_init(&s, SCHED_FIXED_SHARE, 2 * MS);
        sched_add(&s, &a);
        sched_add(&s, &b);
        a.runnable = true;
        assert_ptr_equal(sched_pick(&s, 0, &run, &wait), &a);
        sched_charge(&s, &a, 80 * MS); /* one enormous turn: 30 ms over its 50 */
        assert_null(sched_pick(&s, 1 * MS, &run, &wait));
        assert_int_equal(wait, 99 * MS);
        /* Next period: 50 ms minus 30 ms of debt. */
        assert_ptr_equal(sched_pick(&s, 100 * MS, &run, &wait), &a);
        assert_int_equal(a.budget, 20 * MS);
        sched_charge(&s, &a, 20 * MS);
        assert_null(sched_pick(&s, 120 * MS, &run, &wait));
        /* Debt is bounded by one period: no instance starves forever. */
        assert_ptr_equal(sched_pick(&s, 200 * MS, &run, &wait), &a);
        sched_charge(&s, &a, 10000 * MS);
        assert_null(sched_pick(&s, 300 * MS, &run, &wait));
        assert_true(a.budget >= -(int64_t) (100 * MS));
        sched_done(&s);
}

static void test_admission(void **state) {
        struct sched s;
        struct sched_entity a = {.share = 60}, b = {};

        sched_init(&s, SCHED_FIXED_SHARE, 2 * MS);
        sched_add(&s, &a);
        sched_add(&s, &b);
        assert_int_equal(sched_check_new_share(&s, 40), 0);
        assert_int_equal(sched_check_new_share(&s, 41), -ENOSPC);
        assert_int_equal(sched_check_new_share(&s, 101), -EINVAL);
        assert_int_equal(sched_set_quota(&s, &b, 41, 1), -ENOSPC);
        assert_int_equal(b.share, 0);
        assert_int_equal(sched_set_quota(&s, &b, 40, 2), 0);
        assert_int_equal(sched_set_quota(&s, &a, 60, 0), -EINVAL);
        assert_int_equal(sched_set_quota(&s, &a, 61, 1), -ENOSPC);
        assert_int_equal(sched_set_quota(&s, &a, 10, 1), 0);
        sched_remove(&s, &a);
        assert_int_equal(sched_check_new_share(&s, 60), 0);
        sched_done(&s);
}

static void test_names_and_defaults(void **state) {
        for (int p = 0; p < _SCHED_POLICY_MAX; p++)
                assert_int_equal(sched_policy_parse(sched_policy_name(p)), p);
        assert_int_equal(sched_policy_parse("fair"), -EINVAL);
        assert_int_equal(sched_policy_parse(NULL), -EINVAL);
        assert_null(sched_policy_name(_SCHED_POLICY_MAX));
        assert_int_equal(sched_default_slice_ns(1), 2 * MS);
        assert_int_equal(sched_default_slice_ns(8), 2 * MS);
        assert_int_equal(sched_default_slice_ns(9), 1 * MS);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fixed_share_70_30),
                cmocka_unit_test(test_fixed_share_is_a_cap),
                cmocka_unit_test(test_fixed_share_unreserved),
                cmocka_unit_test(test_equal_share),
                cmocka_unit_test(test_weighted),
                cmocka_unit_test(test_best_effort_round_robin),
                cmocka_unit_test(test_debt_is_carried),
                cmocka_unit_test(test_admission),
                cmocka_unit_test(test_names_and_defaults),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
