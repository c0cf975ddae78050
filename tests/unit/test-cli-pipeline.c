/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of cli/pipeline.c against a real sd-bus peer: a server thread on the other end of a
 * socketpair that holds the calls it receives and answers them in reverse order, either when the window
 * is full or when no more calls come. It records how many calls it ever held at once, so the tests see
 * the window kept (never more in flight, and really that many: not one call at a time), replies matched
 * to their calls whatever their order, errors per call, the stop after a failure, and a connection that
 * dies with calls in flight.
 */
#include "unit.h"

#include <pthread.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>

#include "pipeline.h"

#define IFACE      "org.example.Pipeline"
#define ERROR_NOPE "org.example.Error.Nope"
#define HELD_MAX   256

typedef struct Server {
        int fd;
        size_t window;      /* answer as soon as this many are held */
        size_t expected;    /* ... or when this many have arrived in all */
        unsigned fail_mod;  /* calls whose argument % fail_mod == fail_mod - 1 fail (0: none) */
        size_t close_after; /* close the connection, answering nothing, once this many arrived (0: never) */
        /* Results. */
        size_t received, max_held, stalls;
} Server;

static void answer(sd_bus_message **held, size_t *n_held, const Server *s) {
        /* In reverse: the replies come in another order than the calls went out. */
        while (*n_held > 0) {
                sd_bus_message *m = held[--*n_held];
                uint32_t i;
                assert_true(sd_bus_message_read(m, "u", &i) > 0);
                if (s->fail_mod && i % s->fail_mod == s->fail_mod - 1)
                        assert_true(sd_bus_reply_method_errorf(m, ERROR_NOPE, "no %u", i) >= 0);
                else
                        assert_true(sd_bus_reply_method_return(m, "u", i * 2) >= 0);
                sd_bus_message_unref(m);
        }
}

static void *server_main(void *userdata) {
        Server *s = userdata;
        sd_bus_message *held[HELD_MAX];
        size_t n_held = 0;
        sd_bus *bus = NULL;
        sd_id128_t id;

        assert_int_equal(sd_id128_randomize(&id), 0);
        assert_int_equal(sd_bus_new(&bus), 0);
        assert_int_equal(sd_bus_set_fd(bus, s->fd, s->fd), 0);
        assert_int_equal(sd_bus_set_server(bus, 1, id), 0);
        assert_true(sd_bus_start(bus) >= 0);
        for (;;) {
                sd_bus_message *m = NULL;
                int r = sd_bus_process(bus, &m);
                if (r < 0)
                        break; /* the client went away */
                if (m && sd_bus_message_is_method_call(m, IFACE, "Call")) {
                        assert_true(n_held < HELD_MAX);
                        held[n_held++] = m;
                        s->received++;
                        s->max_held = MAX(s->max_held, n_held);
                        if (s->close_after && s->received == s->close_after) {
                                for (size_t i = 0; i < n_held; i++)
                                        sd_bus_message_unref(held[i]);
                                sd_bus_flush_close_unref(bus);
                                return NULL;
                        }
                        continue;
                }
                sd_bus_message_unref(m);
                if (r > 0)
                        continue;
                if (n_held > 0 && (n_held >= s->window || s->received == s->expected)) {
                        answer(held, &n_held, s);
                        continue;
                }
                r = sd_bus_wait(bus, n_held > 0 ? 200 * 1000 : UINT64_MAX);
                if (r < 0)
                        break;
                if (r == 0 && n_held > 0) {
                        /* Nothing more came though the window is not full: the client waits for us. */
                        s->stalls++;
                        answer(held, &n_held, s);
                }
        }
        for (size_t i = 0; i < n_held; i++)
                sd_bus_message_unref(held[i]);
        sd_bus_flush_close_unref(bus);
        return NULL;
}

typedef struct Fixture {
        Server server;
        pthread_t thread;
        sd_bus *bus;
        PipelineBatch b;
} Fixture;

static void fixture_start(Fixture *f, size_t n) {
        int fds[2];

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        f->server.fd = fds[1];
        assert_int_equal(pthread_create(&f->thread, NULL, server_main, &f->server), 0);
        assert_int_equal(sd_bus_new(&f->bus), 0);
        assert_int_equal(sd_bus_set_fd(f->bus, fds[0], fds[0]), 0);
        assert_true(sd_bus_start(f->bus) >= 0);
        assert_int_equal(pipeline_batch_init(&f->b, n), 0);
        for (size_t i = 0; i < n; i++) {
                sd_bus_message **m = &f->b.calls[i].request;
                assert_int_equal(sd_bus_message_new_method_call(f->bus, m, NULL, "/test", IFACE, "Call"), 0);
                assert_true(sd_bus_message_append(*m, "u", (uint32_t) i) >= 0);
        }
}

/* Close the client's end (the server thread sees the connection go and ends) and free everything. */
static void fixture_stop(Fixture *f) {
        pipeline_batch_done(&f->b);
        f->bus = sd_bus_flush_close_unref(f->bus);
        assert_int_equal(pthread_join(f->thread, NULL), 0);
}

static void test_window_kept_and_replies_matched(void **state) {
        Fixture f = {.server = {.window = 16, .expected = 300}};

        fixture_start(&f, 300);
        assert_int_equal(pipeline_run(f.bus, &f.b, 16, 0), 0);
        for (size_t i = 0; i < f.b.n; i++) {
                uint32_t v;
                assert_int_equal(f.b.calls[i].state, PIPELINE_CALL_DONE);
                assert_int_equal(f.b.calls[i].r, 0);
                assert_true(sd_bus_message_read(f.b.calls[i].reply, "u", &v) > 0);
                assert_int_equal(v, 2 * i); /* its own reply, though they came in reverse */
        }
        assert_int_equal(pipeline_first_failure(&f.b), 300);
        fixture_stop(&f);
        assert_int_equal(f.server.received, 300);
        /* Never more than the window in flight, and the whole window in use (not one call at a time). */
        assert_int_equal(f.server.max_held, 16);
        assert_int_equal(f.server.stalls, 0);
}

static void test_window_of_one_is_serial(void **state) {
        Fixture f = {.server = {.window = 16, .expected = 5}};

        fixture_start(&f, 5);
        assert_int_equal(pipeline_run(f.bus, &f.b, 1, 0), 0);
        fixture_stop(&f);
        assert_int_equal(f.server.max_held, 1);
        assert_int_equal(f.server.received, 5);
        assert_int_equal(pipeline_run(NULL, &f.b, 0, 0), -EINVAL);
}

static void test_every_failure_is_kept(void **state) {
        Fixture f = {.server = {.window = 8, .expected = 100, .fail_mod = 7}};

        fixture_start(&f, 100);
        /* One call could not even be built: it is not sent and counts as failed. */
        f.b.calls[50].request = sd_bus_message_unref(f.b.calls[50].request);
        pipeline_call_fail(&f.b.calls[50], -ENOMEM);
        f.server.expected = 99;
        assert_int_equal(pipeline_run(f.bus, &f.b, 8, 0), 100 / 7 + 1);
        for (size_t i = 0; i < f.b.n; i++) {
                const PipelineCall *c = &f.b.calls[i];
                assert_int_equal(c->state, PIPELINE_CALL_DONE);
                if (i == 50) {
                        assert_int_equal(c->r, -ENOMEM);
                        assert_true(sd_bus_error_is_set(&c->error));
                } else if (i % 7 == 6) {
                        char msg[32];
                        snprintf(msg, sizeof(msg), "no %zu", i);
                        assert_true(c->r < 0);
                        assert_null(c->reply);
                        assert_string_equal(c->error.name, ERROR_NOPE);
                        assert_string_equal(c->error.message, msg);
                } else {
                        assert_int_equal(c->r, 0);
                        assert_non_null(c->reply);
                }
        }
        assert_int_equal(pipeline_first_failure(&f.b), 6);
        fixture_stop(&f);
        assert_int_equal(f.server.received, 99);
        assert_int_equal(f.server.max_held, 8);
}

static void test_stop_on_failure(void **state) {
        Fixture f = {.server = {.window = 8, .expected = 200, .fail_mod = 21}};
        size_t sent = 0, unsent = 0;

        fixture_start(&f, 200);
        /* Call 20 fails; what was in flight then is still awaited, nothing more is sent. */
        assert_true(pipeline_run(f.bus, &f.b, 8, PIPELINE_STOP_ON_FAILURE) >= 1);
        for (size_t i = 0; i < f.b.n; i++) {
                if (f.b.calls[i].state == PIPELINE_CALL_UNSENT) {
                        assert_null(f.b.calls[i].reply);
                        unsent++;
                        continue;
                }
                assert_int_equal(f.b.calls[i].state, PIPELINE_CALL_DONE);
                assert_int_equal(unsent, 0); /* the calls sent are the first ones */
                sent++;
        }
        assert_int_equal(pipeline_first_failure(&f.b), 20);
        assert_true(sent > 20);
        assert_true(sent <= 21 + 8);
        assert_int_equal(sent + unsent, 200);
        fixture_stop(&f);
        assert_int_equal(f.server.received, sent);
}

static void test_connection_lost(void **state) {
        Fixture f = {.server = {.window = 64, .expected = 100, .close_after = 10}};

        fixture_start(&f, 100);
        /* The peer goes away holding 10 calls: every call fails, none is left pending or unsent. */
        assert_int_equal(pipeline_run(f.bus, &f.b, 10, 0), 100);
        for (size_t i = 0; i < f.b.n; i++) {
                assert_int_equal(f.b.calls[i].state, PIPELINE_CALL_DONE);
                assert_true(f.b.calls[i].r < 0);
                assert_true(sd_bus_error_is_set(&f.b.calls[i].error));
        }
        fixture_stop(&f);
        assert_int_equal(f.server.received, 10);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_window_kept_and_replies_matched),
                cmocka_unit_test(test_window_of_one_is_serial),
                cmocka_unit_test(test_every_failure_is_kept),
                cmocka_unit_test(test_stop_on_failure),
                cmocka_unit_test(test_connection_lost),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
