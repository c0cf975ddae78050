/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of daemon/hostop.c: operations on one GPU never overlap and keep
 * their order, operations on different GPUs do run side by side, completions
 * run on the loop's thread, and shutdown cancels what never ran.
 */

#include "unit.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <time.h>

#include "hostop.h"

typedef struct Shared {
        atomic_int running_a; /* jobs of key "a" running now */
        atomic_int overlap;   /* times two "a" jobs ran at once */
        atomic_bool waiting;  /* a run_wait job has started */
        int order[16];        /* completion order of "a" jobs */
        int n_done;
        pthread_t main_thread;
        bool done_off_main;
        sem_t sem;
        sd_event *event;
        int expected;
        int batches[16]; /* n_done as each batch_done saw it */
        int n_batches;
} Shared;

typedef struct Job {
        Shared *s;
        int index;
        int result;
        bool done;
} Job;

static int run_serial(void *userdata) {
        Job *j = userdata;
        if (atomic_fetch_add(&j->s->running_a, 1) != 0)
                atomic_fetch_add(&j->s->overlap, 1);
        usleep(2000);
        atomic_fetch_sub(&j->s->running_a, 1);
        return j->index;
}

static void on_done(int result, void *userdata) {
        Job *j = userdata;
        Shared *s = j->s;
        if (!pthread_equal(pthread_self(), s->main_thread))
                s->done_off_main = true;
        j->result = result;
        j->done = true;
        s->order[s->n_done++] = j->index;
        if (s->n_done == s->expected)
                sd_event_exit(s->event, 0);
}

static void on_batch(void *userdata) {
        Shared *s = userdata;
        if (!pthread_equal(pthread_self(), s->main_thread))
                s->done_off_main = true;
        if (s->n_batches < (int) ELEMENTSOF(s->batches))
                s->batches[s->n_batches++] = s->n_done;
}

/* Every batch follows at least one completion, and the last follows all of them. */
static void assert_batches(const Shared *s) {
        assert_true(s->n_batches >= 1);
        for (int i = 0; i < s->n_batches; i++)
                assert_true(s->batches[i] > (i > 0 ? s->batches[i - 1] : 0));
        assert_int_equal(s->batches[s->n_batches - 1], s->expected);
}

static void shared_init(Shared *s, int expected) {
        memset(s, 0, sizeof(*s));
        s->main_thread = pthread_self();
        s->expected = expected;
        assert_int_equal(sd_event_new(&s->event), 0);
        assert_int_equal(sem_init(&s->sem, 0, 0), 0);
}

static void shared_done(Shared *s) {
        sem_destroy(&s->sem);
        sd_event_unref(s->event);
}

static void test_same_key_serial_and_ordered(void **state) {
        Shared s;
        Job jobs[8];
        HostOps *h;

        shared_init(&s, ELEMENTSOF(jobs));
        assert_int_equal(hostops_new(s.event, 4, &h), 0);
        hostops_set_batch_done(h, on_batch, &s);
        for (size_t i = 0; i < ELEMENTSOF(jobs); i++) {
                jobs[i] = (Job){.s = &s, .index = (int) i};
                assert_int_equal(hostops_submit(h, "a", run_serial, on_done, &jobs[i]), 0);
        }
        assert_int_equal(hostops_pending(h, "a"), ELEMENTSOF(jobs));
        assert_int_equal(hostops_pending(h, "b"), 0);
        assert_int_equal(sd_event_loop(s.event), 0);

        assert_int_equal(atomic_load(&s.overlap), 0);
        assert_false(s.done_off_main);
        for (size_t i = 0; i < ELEMENTSOF(jobs); i++) {
                assert_int_equal(s.order[i], (int) i);
                assert_int_equal(jobs[i].result, (int) i);
        }
        assert_int_equal(hostops_pending(h, NULL), 0);
        assert_batches(&s);
        hostops_free(h);
        shared_done(&s);
}

/* "a" waits for "b": it can only finish if "b" runs while "a" is still running. */
static int run_wait(void *userdata) {
        Job *j = userdata;
        struct timespec ts;
        atomic_store(&j->s->waiting, true);
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 10;
        return sem_timedwait(&j->s->sem, &ts) == 0 ? 0 : -errno;
}

static int run_post(void *userdata) {
        Job *j = userdata;
        return sem_post(&j->s->sem) == 0 ? 0 : -errno;
}

static void test_different_keys_concurrent(void **state) {
        Shared s;
        HostOps *h;

        shared_init(&s, 2);
        Job a = {.s = &s, .index = 0}, b = {.s = &s, .index = 1};
        assert_int_equal(hostops_new(s.event, 2, &h), 0);
        assert_int_equal(hostops_submit(h, "0000:3b:00.0", run_wait, on_done, &a), 0);
        assert_int_equal(hostops_submit(h, "0000:af:00.0", run_post, on_done, &b), 0);
        assert_int_equal(sd_event_loop(s.event), 0);
        assert_int_equal(a.result, 0);
        assert_int_equal(b.result, 0);
        hostops_free(h);
        shared_done(&s);
}

static void *post_later(void *userdata) {
        Shared *s = userdata;
        usleep(200000);
        sem_post(&s->sem);
        return NULL;
}

static void test_free_cancels_queued(void **state) {
        Shared s;
        HostOps *h;
        pthread_t poster;

        shared_init(&s, 3);
        Job blocker = {.s = &s, .index = 0}, q1 = {.s = &s, .index = 1}, q2 = {.s = &s, .index = 2};
        assert_int_equal(hostops_new(s.event, 1, &h), 0);
        hostops_set_batch_done(h, on_batch, &s);
        /* The blocker runs until the poster thread lets it go; q1 and q2 queue behind it on the same key. */
        assert_int_equal(hostops_submit(h, "k", run_wait, on_done, &blocker), 0);
        assert_int_equal(hostops_submit(h, "k", run_serial, on_done, &q1), 0);
        assert_int_equal(hostops_submit(h, "k", run_serial, on_done, &q2), 0);
        while (!atomic_load(&s.waiting))
                usleep(1000);
        assert_int_equal(pthread_create(&poster, NULL, post_later, &s), 0);
        /* Shutdown begins while the blocker runs: it finishes, the queued ones never start. */
        hostops_free(h);
        pthread_join(poster, NULL);

        assert_true(blocker.done && q1.done && q2.done);
        assert_int_equal(blocker.result, 0);
        assert_int_equal(q1.result, -ECANCELED);
        assert_int_equal(q2.result, -ECANCELED);
        assert_int_equal(s.order[0], 0); /* the finished one completes first */
        assert_false(s.done_off_main);
        assert_batches(&s);
        shared_done(&s);
}

static void test_submit_args(void **state) {
        sd_event *e;
        HostOps *h;
        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(hostops_new(e, 0, &h), -EINVAL);
        sd_event_unref(e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_same_key_serial_and_ordered),
                cmocka_unit_test(test_different_keys_concurrent),
                cmocka_unit_test(test_free_cancels_queued),
                cmocka_unit_test(test_submit_args),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
