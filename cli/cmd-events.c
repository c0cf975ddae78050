/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `vgpuctl events`: every change vgpud announces, one JSON object per line,
 * flushed at once so that a pipe (`| jq`, a log shipper) sees each change as
 * it happens. Objects: {"time", "event": added|removed|changed|
 * vgpud-started|vgpud-stopped, and first "subscribed" with "running"), "path", "interface"/"interfaces",
 * "properties", "invalidated"}. Runs until SIGINT/SIGTERM or a closed stdout.
 */
#include <getopt.h>
#include <signal.h>
#include <systemd/sd-event.h>
#include <time.h>

#include "bus-json.h"
#include "output.h"
#include "watch.h"

static json_object *event_new(WatchEvent ev, const char *path) {
        struct timespec ts;
        struct tm tm;
        char when[64];

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        size_t n = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(when + n, sizeof(when) - n, ".%06ldZ", ts.tv_nsec / 1000);

        json_object *j = json_object_new_object();
        if (!j)
                return NULL;
        json_object_object_add(j, "time", json_object_new_string(when));
        json_object_object_add(j, "event", json_object_new_string(watch_event_to_string(ev)));
        if (path)
                json_object_object_add(j, "path", json_object_new_string(path));
        return j;
}

/* Fill j from the signal's body; the layouts are in watch.h. */
static int event_fill(json_object *j, WatchEvent ev, sd_bus_message *m) {
        json_object *v = NULL;
        const char *s;
        int r;

        switch (ev) {
        case WATCH_ADDED:
        case WATCH_REMOVED:
                r = sd_bus_message_read_basic(m, 'o', &s);
                if (r < 0)
                        return r;
                r = bus_message_read_json(m, &v); /* a{sa{sv}} (object) or as (array) */
                if (r < 0)
                        return r;
                json_object_object_add(j, "interfaces", v);
                return 0;
        case WATCH_CHANGED:
                r = sd_bus_message_read_basic(m, 's', &s);
                if (r < 0)
                        return r;
                json_object_object_add(j, "interface", json_object_new_string(s));
                r = bus_message_read_json(m, &v);
                if (r < 0)
                        return r;
                json_object_object_add(j, "properties", v);
                r = bus_message_read_json(m, &v);
                if (r < 0)
                        return r;
                json_object_object_add(j, "invalidated", v);
                return 0;
        default:
                return 0;
        }
}

static int on_event(Watch *w, WatchEvent ev, const char *path, sd_bus_message *m, void *userdata) {
        sd_event *e = userdata;
        _cleanup_(json_object_putp) json_object *j = event_new(ev, path);
        int r;

        if (!j)
                return sd_event_exit(e, EXIT_FAILED);
        if (m) {
                r = event_fill(j, ev, m);
                if (r < 0) {
                        /* A malformed signal is reported and skipped, the stream goes on. */
                        json_object_object_add(j, "error", json_object_new_string(strerror(-r)));
                }
        }
        const char *s =
                json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s || puts(s) < 0 || fflush(stdout) != 0)
                return sd_event_exit(e, EXIT_OK); /* the reader went away (EPIPE): done */
        return 0;
}

static int on_stdout_gone(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), EXIT_OK);
}

int cmd_events(Cli *c, int argc, char *argv[]) {
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"json", no_argument, NULL, 'J'},
                {},
        };
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        Watch w = {};
        sd_bus *bus;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        return command_help("events");
                case 'J':
                        break; /* the output is JSON anyway */
                default:
                        return cli_usage_error(c, "events", "unknown option");
                }
        if (optind < argc)
                return cli_usage_error(c, "events", "unexpected argument '%s'", argv[optind]);

        r = cli_system_bus(c, &bus);
        if (r != EXIT_OK)
                return r;
        r = sd_event_default(&e);
        if (r < 0)
                return cli_report_error(c, "cannot make an event loop", NULL, r);
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);
        if (sd_event_add_signal(e, NULL, SIGINT, NULL, NULL) < 0 ||
            sd_event_add_signal(e, NULL, SIGTERM, NULL, NULL) < 0)
                return cli_report_error(c, "cannot watch signals", NULL, -errno);
        /* A pipe whose reader left reports EPOLLERR: end then, not at the next change. (Files and
         * terminals cannot be polled; EPERM just means there is nothing to watch.) */
        r = sd_event_add_io(e, NULL, STDOUT_FILENO, 0, on_stdout_gone, NULL);
        if (r < 0 && r != -EPERM)
                return cli_report_error(c, "cannot watch stdout", NULL, r);
        r = sd_bus_attach_event(bus, e, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return cli_report_error(c, "cannot attach to the bus", NULL, r);
        r = watch_start(&w, bus, on_event, e);
        if (r < 0) {
                watch_done(&w);
                return cli_report_error(c, "cannot subscribe to vgpud's signals", NULL, r);
        }
        /* The first line says that the stream starts, and whether vgpud runs. */
        {
                _cleanup_(json_object_putp) json_object *j = event_new(WATCH_STARTED, NULL);
                if (!j)
                        return cli_report_error(c, "out of memory", NULL, -ENOMEM);
                json_object_object_add(j, "event", json_object_new_string("subscribed"));
                json_object_object_add(j, "running", json_object_new_boolean(w.owner != NULL));
                puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
                fflush(stdout);
        }
        r = sd_event_loop(e);
        watch_done(&w);
        sd_bus_detach_event(bus);
        return r < 0 ? cli_report_error(c, "event loop failed", NULL, r) : r;
}
