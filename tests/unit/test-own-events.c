/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of daemon/own-events.c: the uevent an operation causes is
 * consumed once, whether it arrives before or after the completion; any other
 * event for the device is applied and marks the operation disturbed; an
 * expectation whose event never comes is dropped, and only a saving is lost.
 */
#include "unit.h"

#include "own-events.h"

#define U1 "5b6f2a60-3a2c-4b79-9d55-3f1f1a4c1d01"
#define U2 "5b6f2a60-3a2c-4b79-9d55-3f1f1a4c1d02"

static void test_event_before_completion(void **state) {
        _cleanup_(own_events_freep) OwnEvents *e = NULL;

        assert_int_equal(own_events_new(&e), 0);
        assert_int_equal(own_events_expect(e, U1, "add"), 0);
        /* the kernel announces the mdev while the operation is still in flight */
        assert_true(own_events_consume(e, U1, "add"));
        assert_false(own_events_settle(e, U1, true));
        assert_int_equal(own_events_size(e), 0);
        /* afterwards the same event is news */
        assert_false(own_events_consume(e, U1, "add"));

        /* a second add while in flight is not the operation's: someone removed and re-made it */
        assert_int_equal(own_events_expect(e, U1, "add"), 0);
        assert_true(own_events_consume(e, U1, "add"));
        assert_false(own_events_consume(e, U1, "add"));
        assert_true(own_events_settle(e, U1, true));
        assert_int_equal(own_events_size(e), 0);
}

static void test_repeat_in_flight_disturbs(void **state) {
        _cleanup_(own_events_freep) OwnEvents *e = NULL;

        assert_int_equal(own_events_new(&e), 0);
        assert_int_equal(own_events_expect(e, U1, "add"), 0);
        assert_true(own_events_consume(e, U1, "add"));
        /* someone removed it at once: applied as news, and the completion must look again */
        assert_false(own_events_consume(e, U1, "remove"));
        assert_true(own_events_settle(e, U1, true));
        assert_int_equal(own_events_size(e), 0);
        /* nothing expected any more: events are news */
        assert_false(own_events_consume(e, U1, "add"));
}

static void test_event_after_completion(void **state) {
        _cleanup_(own_events_freep) OwnEvents *e = NULL;

        assert_int_equal(own_events_new(&e), 0);
        assert_int_equal(own_events_expect(e, "5B6F2A60-3A2C-4B79-9D55-3F1F1A4C1D02", "remove"), 0);
        assert_false(own_events_settle(e, U2, true));
        assert_int_equal(own_events_size(e), 1);           /* waiting for the late event */
        assert_false(own_events_consume(e, U1, "remove")); /* another device */
        assert_true(own_events_consume(e, U2, "remove"));
        assert_int_equal(own_events_size(e), 0);
        assert_false(own_events_consume(e, U2, "remove"));
}

static void test_failed_operation_expects_nothing(void **state) {
        _cleanup_(own_events_freep) OwnEvents *e = NULL;

        assert_int_equal(own_events_new(&e), 0);
        assert_int_equal(own_events_expect(e, U1, "add"), 0);
        /* the host step failed (or was rolled back): no event of its own will come */
        assert_false(own_events_settle(e, U1, false));
        assert_int_equal(own_events_size(e), 0);
        assert_false(own_events_consume(e, U1, "add"));
}

static void test_other_event_after_completion_drops(void **state) {
        _cleanup_(own_events_freep) OwnEvents *e = NULL;

        assert_int_equal(own_events_new(&e), 0);
        assert_int_equal(own_events_expect(e, U1, "add"), 0);
        assert_false(own_events_settle(e, U1, true));
        /* the device moved on before its add came: the add, if late, is news now */
        assert_false(own_events_consume(e, U1, "remove"));
        assert_int_equal(own_events_size(e), 0);
        assert_false(own_events_consume(e, U1, "add"));
}

static void test_bounded_and_hostile(void **state) {
        _cleanup_(own_events_freep) OwnEvents *e = NULL;
        char u[64];

        assert_int_equal(own_events_new(&e), 0);
        assert_int_equal(own_events_expect(e, "not-a-uuid", "add"), -EINVAL);
        assert_int_equal(own_events_expect(e, U1, "a-very-long-action"), -EINVAL);
        assert_false(own_events_consume(e, NULL, "add"));
        assert_false(own_events_consume(e, U1, NULL));
        assert_false(own_events_consume(e, "../../etc", "add"));
        assert_false(own_events_settle(e, "x", true));
        /* settled expectations whose events never come are capped */
        for (unsigned i = 0; i < 3000; i++) {
                snprintf(u, sizeof(u), "5b6f2a60-3a2c-4b79-9d55-%012x", i);
                assert_int_equal(own_events_expect(e, u, "add"), 0);
                assert_false(own_events_settle(e, u, true));
        }
        assert_true(own_events_size(e) <= 1025);
        /* one in flight survives the trimming */
        assert_int_equal(own_events_expect(e, U1, "remove"), 0);
        for (unsigned i = 3000; i < 4100; i++) {
                snprintf(u, sizeof(u), "5b6f2a60-3a2c-4b79-9d55-%012x", i);
                assert_int_equal(own_events_expect(e, u, "add"), 0);
                assert_false(own_events_settle(e, u, true));
        }
        assert_true(own_events_consume(e, U1, "remove"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_event_before_completion),
                cmocka_unit_test(test_repeat_in_flight_disturbs),
                cmocka_unit_test(test_event_after_completion),
                cmocka_unit_test(test_failed_operation_expects_nothing),
                cmocka_unit_test(test_other_event_after_completion_drops),
                cmocka_unit_test(test_bounded_and_hostile),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
