/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of daemon/availability.c over a sysfs-shaped tree, with the real
 * host-operation workers and event loop: the model's numbers stay as they
 * were until the refresh read on the GPU's worker is applied, requests made
 * while a refresh waits are served by it (a create right after a destroy on
 * the same GPU sees the numbers after both), a parent read whole meanwhile
 * makes the refresh read again, and a flush gives current numbers at once.
 */
#include "unit.h"

#include <semaphore.h>

#include "availability.h"
#include "host.h"
#include "mdev.h"
#include "sysfs-fixture.h"

#define T4A "0000:3b:00.0"
#define T4B "0000:af:00.0"
#define U1  "5b6f2a60-3a2c-4b79-9d55-3f1f1a4c1d01"
#define U2  "5b6f2a60-3a2c-4b79-9d55-3f1f1a4c1d02"
#define U3  "5b6f2a60-3a2c-4b79-9d55-3f1f1a4c1d03"

typedef struct World {
        struct fixture f;
        struct vgpu_host *h;
        sd_event *event;
        HostOps *ops;
        Refresher *r;
        unsigned idle_calls;
        unsigned stale_calls;
        sem_t gate;
} World;

static void on_stale(struct vgpu_host *h, struct vgpu_parent *p, void *userdata) {
        World *w = userdata;
        w->stale_calls++;
        refresher_request(w->r, p);
}

static void on_idle(void *userdata) {
        World *w = userdata;
        w->idle_calls++;
        sd_event_exit(w->event, 0);
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), -ETIMEDOUT);
}

/* Two T4s; U1 (GRID T4-2Q) on the first. */
static void world_init(World *w) {
        memset(w, 0, sizeof(*w));
        fixture_init(&w->f);
        const char *gpus[] = {T4A, T4B};
        for (int i = 0; i < 2; i++) {
                fixture_add_pci(&w->f, gpus[i], 0x10de, 0x1eb8, 0x030200, "nvidia", 10 + i);
                fixture_add_parent(&w->f, gpus[i]);
                fixture_add_nvidia_type(&w->f, gpus[i], 222, "GRID T4-1B", 1024, 16, i == 0 ? 0 : 16);
                fixture_add_nvidia_type(&w->f, gpus[i], 231, "GRID T4-2Q", 2048, 8, i == 0 ? 7 : 8);
        }
        fixture_add_mdev(&w->f, T4A, U1, "nvidia-231", 100);
        assert_int_equal(host_new(w->f.root, &w->h), 0);
        assert_true(host_refresh_gpu(w->h, T4A) >= 0);
        assert_true(host_refresh_gpu(w->h, T4B) >= 0);
        assert_true(host_refresh_parent(w->h, T4A) >= 0);
        assert_true(host_refresh_parent(w->h, T4B) >= 0);
        assert_true(host_refresh_instance(w->h, U1) >= 0);
        assert_int_equal(sd_event_new(&w->event), 0);
        assert_int_equal(hostops_new(w->event, 2, &w->ops), 0);
        assert_int_equal(refresher_new(w->ops, w->h, on_idle, w, &w->r), 0);
        host_set_availability_handler(w->h, on_stale, w);
        assert_int_equal(sem_init(&w->gate, 0, 0), 0);
}

static void world_done(World *w) {
        refresher_shutdown(w->r);
        w->ops = hostops_free(w->ops);
        w->r = refresher_free(w->r);
        sd_event_unref(w->event);
        host_free(w->h);
        sem_destroy(&w->gate);
        fixture_done(&w->f);
}

/* Run the loop until the refresher is idle (or fail after 10 s). */
static void run_until_idle(World *w) {
        _cleanup_(sd_event_source_unrefp) sd_event_source *t = NULL;
        assert_int_equal(sd_event_add_time_relative(w->event, &t, CLOCK_MONOTONIC, 10 * 1000000ULL, 0,
                                                    on_timeout, NULL),
                         0);
        assert_int_equal(sd_event_loop(w->event), 0);
        assert_false(refresher_pending(w->r));
}

/* A job on the GPU's worker that waits for the test: what is queued behind it has not started. */
static int run_gate(void *userdata) {
        World *w = userdata;
        sem_wait(&w->gate);
        return 0;
}

static void gate_done(int result, void *userdata) {
}

static void close_gate_on(World *w, const char *parent) {
        assert_int_equal(hostops_submit(w->ops, refresher_key(host_find_parent(w->h, parent)), run_gate,
                                        gate_done, w),
                         0);
}

static unsigned available(World *w, const char *parent, const char *type) {
        return parent_find_type(host_find_parent(w->h, parent), type)->available;
}

static void test_refresh_off_the_caller(void **state) {
        World w;

        world_init(&w);
        assert_string_equal(refresher_key(host_find_parent(w.h, T4A)), T4A);

        fixture_add_mdev(&w.f, T4A, U2, "nvidia-231", 101);
        fixture_set_available(&w.f, T4A, "nvidia-231", 6);
        assert_true(host_refresh_instance(w.h, U2) >= 0);
        assert_int_equal(w.stale_calls, 1);
        /* the instance is in; the numbers are not read here, and are marked as being re-read */
        assert_non_null(host_find_instance(w.h, U2));
        assert_int_equal(available(&w, T4A, "nvidia-231"), 7);
        assert_true(refresher_pending(w.r));

        run_until_idle(&w);
        assert_int_equal(available(&w, T4A, "nvidia-231"), 6);
        assert_int_equal(available(&w, T4B, "nvidia-231"), 8); /* the other GPU was not touched */
        assert_int_equal(refresher_runs(w.r), 1);
        assert_int_equal(w.idle_calls, 1);
        world_done(&w);
}

static void test_create_right_after_destroy(void **state) {
        World w;

        world_init(&w);
        close_gate_on(&w, T4A);

        /* destroy U1: 8 free */
        fixture_remove_mdev(&w.f, T4A, U1);
        fixture_set_available(&w.f, T4A, "nvidia-231", 8);
        fixture_set_available(&w.f, T4A, "nvidia-222", 16);
        assert_true(host_refresh_instance(w.h, U1) >= 0);
        assert_null(host_find_instance(w.h, U1));
        /* and at once a create of the other type on the same GPU: the one-type rule closes GRID T4-2Q */
        fixture_add_mdev(&w.f, T4A, U3, "nvidia-222", 103);
        fixture_set_available(&w.f, T4A, "nvidia-231", 0);
        fixture_set_available(&w.f, T4A, "nvidia-222", 15);
        assert_true(host_refresh_instance(w.h, U3) >= 0);
        assert_int_equal(w.stale_calls, 2);
        assert_true(refresher_pending(w.r));

        /* one refresh serves both: it had not started, so it reads after both changes */
        sem_post(&w.gate);
        run_until_idle(&w);
        assert_int_equal(refresher_runs(w.r), 1);
        assert_int_equal(available(&w, T4A, "nvidia-231"), 0);
        assert_int_equal(available(&w, T4A, "nvidia-222"), 15);
        assert_int_equal(host_find_group(w.h, "mdev:GRID T4-1B")->available, 31);
        world_done(&w);
}

static void test_parent_read_whole_meanwhile(void **state) {
        World w;

        world_init(&w);
        close_gate_on(&w, T4A);
        fixture_add_mdev(&w.f, T4A, U2, "nvidia-231", 101);
        fixture_set_available(&w.f, T4A, "nvidia-231", 6);
        assert_true(host_refresh_instance(w.h, U2) >= 0);
        /* the parent is read whole (a re-registration): the refresh planned before may be the older */
        fixture_set_available(&w.f, T4A, "nvidia-231", 5);
        assert_true(host_refresh_parent(w.h, T4A) >= 0);
        assert_int_equal(available(&w, T4A, "nvidia-231"), 5);

        sem_post(&w.gate);
        run_until_idle(&w);
        /* dropped once, read again, applied once */
        assert_int_equal(refresher_runs(w.r), 1);
        assert_int_equal(available(&w, T4A, "nvidia-231"), 5);
        world_done(&w);
}

static void test_flush(void **state) {
        World w;

        world_init(&w);
        close_gate_on(&w, T4A);
        fixture_add_mdev(&w.f, T4A, U2, "nvidia-231", 101);
        fixture_set_available(&w.f, T4A, "nvidia-231", 6);
        assert_true(host_refresh_instance(w.h, U2) >= 0);
        assert_int_equal(available(&w, T4A, "nvidia-231"), 7);

        /* a reader that cannot wait reads now, after the change: nothing is stale any more, and the
         * queued refresh, which no worker had taken, is not read a second time */
        refresher_flush(w.r);
        assert_int_equal(available(&w, T4A, "nvidia-231"), 6);
        assert_false(refresher_pending(w.r));
        /* a change after the flush: stale again, and read once more after the queued one */
        fixture_add_mdev(&w.f, T4A, U3, "nvidia-231", 102);
        fixture_set_available(&w.f, T4A, "nvidia-231", 5);
        assert_true(host_refresh_instance(w.h, U3) >= 0);
        assert_true(refresher_pending(w.r));
        sem_post(&w.gate);
        run_until_idle(&w);
        assert_int_equal(available(&w, T4A, "nvidia-231"), 5);
        assert_int_equal(refresher_runs(w.r), 1);
        world_done(&w);
}

static void test_gone_parent(void **state) {
        World w;

        world_init(&w);
        close_gate_on(&w, T4B);
        fixture_add_mdev(&w.f, T4B, U2, "nvidia-231", 101);
        assert_true(host_refresh_instance(w.h, U2) >= 0);
        /* the parent goes before the refresh runs: nothing is applied, nothing breaks */
        fixture_unregister_parent(&w.f, T4B);
        sem_post(&w.gate);
        run_until_idle(&w);
        assert_int_equal(available(&w, T4A, "nvidia-231"), 7);
        world_done(&w);
}

static void test_shutdown_cancels(void **state) {
        World w;

        world_init(&w);
        close_gate_on(&w, T4A);
        fixture_add_mdev(&w.f, T4A, U2, "nvidia-231", 101);
        assert_true(host_refresh_instance(w.h, U2) >= 0);
        assert_true(refresher_pending(w.r));
        sem_post(&w.gate);
        /* world_done() shuts down with the refresh queued or running: it completes or is cancelled */
        world_done(&w);
        assert_int_equal(w.idle_calls, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_refresh_off_the_caller),
                cmocka_unit_test(test_create_right_after_destroy),
                cmocka_unit_test(test_parent_read_whole_meanwhile),
                cmocka_unit_test(test_flush),
                cmocka_unit_test(test_gone_parent),
                cmocka_unit_test(test_shutdown_cancels),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
