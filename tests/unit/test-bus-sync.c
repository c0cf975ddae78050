/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of daemon/bus-sync.c on a real sd-event loop: syncs coalesce, the instances always go before
 * the rest, the rest waits behind operations in flight for at most the delay, and a reader's flush never
 * drops an instance sync that is due (a uevent's device went missing from `vgpuctl list` for good when
 * a reader arrived while the rest was waiting: seen on the real kernel under load).
 */

#include "unit.h"

#include <string.h>
#include <time.h>

#include "bus-sync.h"

#define DELAY_USEC 5000u

typedef struct Fixture {
        sd_event *event;
        BusSync *sync;
        bool busy;
        char calls[64]; /* "I" for an instance sync, "R" for the rest, in order */
} Fixture;

static void record(Fixture *f, char c) {
        size_t n = strlen(f->calls);
        assert_true(n + 1 < sizeof(f->calls));
        f->calls[n] = c;
}

static void on_instances(void *userdata) {
        record(userdata, 'I');
}

static void on_rest(void *userdata) {
        record(userdata, 'R');
}

static bool on_busy(void *userdata) {
        return ((Fixture *) userdata)->busy;
}

static const BusSyncOps ops = {.instances = on_instances, .rest = on_rest, .busy = on_busy};

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));
        assert_non_null(f);
        assert_int_equal(sd_event_new(&f->event), 0);
        assert_int_equal(bus_sync_new(f->event, &ops, f, DELAY_USEC, &f->sync), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;
        bus_sync_free(f->sync);
        sd_event_unref(f->event);
        free(f);
        return 0;
}

/* Dispatch what is ready now, one source at a time, as the daemon's loop does. */
static void run_ready(Fixture *f) {
        while (sd_event_run(f->event, 0) > 0)
                ;
}

/* Run the loop for usec of wall time (the rest timer fires within it). */
static void run_for(Fixture *f, uint64_t usec) {
        uint64_t start, now;
        assert_true(sd_event_now(f->event, CLOCK_MONOTONIC, &start) >= 0);
        do {
                assert_true(sd_event_run(f->event, usec) >= 0);
                assert_true(sd_event_now(f->event, CLOCK_MONOTONIC, &now) >= 0);
        } while (now - start < usec);
}

static void test_schedule_coalesces(void **state) {
        Fixture *f = *state;
        for (int k = 0; k < 3; k++)
                assert_int_equal(bus_sync_schedule(f->sync), 0);
        assert_string_equal(f->calls, ""); /* not before the current event is done */
        run_ready(f);
        assert_string_equal(f->calls, "IR");
}

static void test_rest_waits_behind_operations(void **state) {
        Fixture *f = *state;
        f->busy = true;
        assert_int_equal(bus_sync_schedule(f->sync), 0);
        run_ready(f);
        assert_string_equal(f->calls, "I");
        /* the operations finish: the last batch syncs the rest at once, the timer goes with it */
        f->busy = false;
        bus_sync_rest_soon(f->sync);
        assert_string_equal(f->calls, "IR");
        run_for(f, 4 * DELAY_USEC);
        assert_string_equal(f->calls, "IR");
}

static void test_rest_waits_at_most_the_delay(void **state) {
        Fixture *f = *state;
        f->busy = true;
        bus_sync_rest_soon(f->sync);
        bus_sync_rest_soon(f->sync);
        assert_string_equal(f->calls, "");
        run_for(f, 4 * DELAY_USEC);
        assert_string_equal(f->calls, "R");
}

/* The defect: a uevent scheduled an instance sync while the rest waited behind an operation; a reader's
 * call came first in the same loop iteration, and its flush synced the rest and dropped the instance
 * sync. The new device stayed off the bus until the next event. */
static void test_flush_keeps_a_due_instance_sync(void **state) {
        Fixture *f = *state;
        f->busy = true;
        assert_int_equal(bus_sync_schedule(f->sync), 0);
        run_ready(f);
        assert_string_equal(f->calls, "I");              /* the rest waits */
        assert_int_equal(bus_sync_schedule(f->sync), 0); /* a uevent */
        bus_sync_flush(f->sync);                         /* a reader, before the deferred sync ran */
        assert_string_equal(f->calls, "IIR");
        run_for(f, 4 * DELAY_USEC);
        assert_string_equal(f->calls, "IIR"); /* nothing left pending, nothing done twice */
}

/* After a batch, with a uevent's sync already due: the rest does not overtake the instances. */
static void test_rest_soon_after_a_due_instance_sync(void **state) {
        Fixture *f = *state;
        assert_int_equal(bus_sync_schedule(f->sync), 0);
        bus_sync_rest_soon(f->sync);
        assert_string_equal(f->calls, "");
        run_ready(f);
        assert_string_equal(f->calls, "IR");
}

static void test_flush_with_nothing_pending(void **state) {
        Fixture *f = *state;
        bus_sync_flush(f->sync);
        assert_string_equal(f->calls, "");
        bus_sync_now(f->sync);
        assert_string_equal(f->calls, "IR");
}

static void test_cancel(void **state) {
        Fixture *f = *state;
        f->busy = true;
        assert_int_equal(bus_sync_schedule(f->sync), 0);
        bus_sync_rest_soon(f->sync);
        bus_sync_cancel(f->sync);
        run_for(f, 4 * DELAY_USEC);
        assert_string_equal(f->calls, "");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_schedule_coalesces, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rest_waits_behind_operations, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rest_waits_at_most_the_delay, setup, teardown),
                cmocka_unit_test_setup_teardown(test_flush_keeps_a_due_instance_sync, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rest_soon_after_a_due_instance_sync, setup, teardown),
                cmocka_unit_test_setup_teardown(test_flush_with_nothing_pending, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
