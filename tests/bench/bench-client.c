/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Benchmark client: how many creates and destroys vgpud completes per second
 * when a client keeps many calls in flight (the D-Bus API allows it; vgpud
 * runs operations on different GPUs side by side). Keeps up to 64
 * CreateInstance calls in flight (dbus-daemon's default limit of pending
 * replies per connection is 128) until N are done, then the same with
 * Instance.Destroy.
 *     bench-client N TYPE   (prints two lines: create and destroy, ops and ms)
 */
#include <systemd/sd-bus.h>
#include <time.h>

#include "bus-names.h"
#include "macro.h"

typedef struct State {
        size_t pending, failed;
        char **paths;
        size_t n_paths;
} State;

static uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static int on_created(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        State *s = userdata;
        const char *uuid, *path;

        s->pending--;
        if (sd_bus_message_is_method_error(m, NULL)) {
                if (s->failed++ == 0)
                        fprintf(stderr, "create failed: %s\n", sd_bus_message_get_error(m)->message);
                return 0;
        }
        if (sd_bus_message_read(m, "so", &uuid, &path) > 0)
                s->paths[s->n_paths++] = strdup(path);
        return 0;
}

static int on_destroyed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        State *s = userdata;

        s->pending--;
        if (sd_bus_message_is_method_error(m, NULL) && s->failed++ == 0)
                fprintf(stderr, "destroy failed: %s\n", sd_bus_message_get_error(m)->message);
        return 0;
}

#define WINDOW 64

/* Process replies until at most max calls are pending. */
static int wait_until(sd_bus *bus, State *s, size_t max) {
        while (s->pending > max) {
                int r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return r;
                if (r == 0 && (r = sd_bus_wait(bus, UINT64_MAX)) < 0)
                        return r;
        }
        return 0;
}

int main(int argc, char *argv[]) {
        sd_bus *bus = NULL;
        State s = {};
        int r;

        if (argc != 3) {
                fprintf(stderr, "usage: bench-client N TYPE\n");
                return 2;
        }
        size_t n = strtoul(argv[1], NULL, 10);
        s.paths = calloc(n ?: 1, sizeof(char *));
        r = sd_bus_open_system(&bus);
        if (r < 0 || !s.paths) {
                fprintf(stderr, "cannot connect: %s\n", strerror(-r));
                return 1;
        }
        (void) sd_bus_set_method_call_timeout(bus, 600 * 1000000ULL);

        uint64_t t0 = now_ms();
        for (size_t i = 0; i < n; i++) {
                if ((r = wait_until(bus, &s, WINDOW - 1)) < 0)
                        return fprintf(stderr, "bus: %s\n", strerror(-r)), 1;
                r = sd_bus_call_method_async(bus, NULL, VGPUD_BUS_NAME, VGPUD_ROOT_PATH, VGPUD_MANAGER_IFACE,
                                             "CreateInstance", on_created, &s, "sssa{sv}", argv[2], "", "",
                                             1, "placement", "s", "spread");
                if (r < 0)
                        return fprintf(stderr, "send: %s\n", strerror(-r)), 1;
                s.pending++;
        }
        r = wait_until(bus, &s, 0);
        uint64_t t1 = now_ms();
        for (size_t i = 0; i < s.n_paths; i++) {
                if ((r = wait_until(bus, &s, WINDOW - 1)) < 0)
                        return fprintf(stderr, "bus: %s\n", strerror(-r)), 1;
                r = sd_bus_call_method_async(bus, NULL, VGPUD_BUS_NAME, s.paths[i], VGPUD_INSTANCE_IFACE,
                                             "Destroy", on_destroyed, &s, "b", 0);
                if (r < 0)
                        return fprintf(stderr, "send: %s\n", strerror(-r)), 1;
                s.pending++;
        }
        r = wait_until(bus, &s, 0);
        uint64_t t2 = now_ms();
        printf("create %zu %llu\ndestroy %zu %llu\nfailed %zu\n", s.n_paths, (unsigned long long) (t1 - t0),
               s.n_paths, (unsigned long long) (t2 - t1), s.failed);
        for (size_t i = 0; i < s.n_paths; i++)
                free(s.paths[i]);
        free(s.paths);
        sd_bus_flush_close_unref(bus);
        return r < 0 || s.failed ? 1 : 0;
}
