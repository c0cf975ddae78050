/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `vgpuctl monitor`: a live view of the host, like top. It reads everything
 * once (GetManagedObjects) and then follows vgpud's signals (watch.h): any
 * InterfacesAdded/Removed or PropertiesChanged marks the view stale, and one
 * re-read a moment later (coalescing bursts) brings it up to date, so an
 * idle host costs nothing. The redraw timer (--interval) only turns counter
 * deltas into rates (commands/s, engine busy). A daemon restart is followed
 * through NameOwnerChanged: "vgpud is not running" meanwhile, a fresh read
 * when it is back.
 *
 * On a terminal the view uses the alternate screen with the cursor hidden,
 * and restores both (and the terminal modes) on q, SIGINT, SIGTERM and
 * errors, and around SIGTSTP (Ctrl-Z) so the shell gets a sane terminal.
 * `--once` prints one frame without escape codes when stdout is not a
 * terminal; `--json` prints one JSON document.
 */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>

#include "bus-names.h"
#include "objects.h"
#include "output.h"
#include "table.h"
#include "terminal.h"
#include "watch.h"

#define REFRESH_DELAY_USEC (100 * 1000ULL) /* coalesce a burst of signals into one re-read */

/* Counter values at the last rate tick, per instance, and the rates they gave. */
typedef struct Rate {
        char *uuid;
        uint64_t commands, busy_ns;
        bool have_commands, have_busy;
        double commands_per_sec, busy_percent; /* NAN: not known yet */
} Rate;

typedef struct Monitor {
        Cli *cli;
        sd_bus *bus;
        sd_event *event;
        Watch watch;
        Terminal term;
        bool tty;
        uint64_t interval_usec;

        Objects objects;
        char *status; /* Manager.Status */
        char *version;
        bool running;
        bool stale;
        char *error; /* the last read's failure, shown in the header */

        Rate *rates;
        size_t n_rates;
        uint64_t last_tick_usec;

        sd_event_source *refresh_timer;
        sd_event_source *tick_timer;
} Monitor;

static void rates_free(Rate *r, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(r[i].uuid);
        free(r);
}

static void monitor_done(Monitor *m) {
        terminal_leave(&m->term);
        watch_done(&m->watch);
        objects_done(&m->objects);
        free(m->status);
        free(m->version);
        free(m->error);
        rates_free(m->rates, m->n_rates);
        sd_event_source_unref(m->refresh_timer);
        sd_event_source_unref(m->tick_timer);
}

static const Rate *rate_for(const Monitor *m, const char *uuid) {
        for (size_t i = 0; i < m->n_rates; i++)
                if (streq_ptr(m->rates[i].uuid, uuid))
                        return &m->rates[i];
        return NULL;
}

/* Turn the counters' change since the last tick into rates; keep the new values for the next. */
static void rates_tick(Monitor *m, uint64_t now) {
        double dt = m->last_tick_usec ? (double) (now - m->last_tick_usec) / 1e6 : 0;
        Rate *n = calloc(m->objects.n_instances + 1, sizeof(Rate));
        if (!n)
                return;
        for (size_t i = 0; i < m->objects.n_instances; i++) {
                const InstanceInfo *in = &m->objects.instances[i];
                const Rate *old = rate_for(m, in->uuid);
                Rate *r = &n[i];
                r->uuid = strdup(strempty(in->uuid));
                r->commands_per_sec = r->busy_percent = NAN;
                r->have_commands = instance_counter(in, "commands", &r->commands);
                r->have_busy = instance_counter(in, "busy_ns", &r->busy_ns);
                if (old && dt > 0 && r->have_commands && old->have_commands && r->commands >= old->commands)
                        r->commands_per_sec = (double) (r->commands - old->commands) / dt;
                if (old && dt > 0 && r->have_busy && old->have_busy && r->busy_ns >= old->busy_ns)
                        r->busy_percent = (double) (r->busy_ns - old->busy_ns) / (dt * 1e9) * 100.0;
        }
        rates_free(m->rates, m->n_rates);
        m->rates = n;
        m->n_rates = m->objects.n_instances;
        m->last_tick_usec = now;
}

static void set_error(Monitor *m, const char *fmt, ...) _printf_(2, 3);
static void set_error(Monitor *m, const char *fmt, ...) {
        va_list ap;
        free(m->error);
        m->error = NULL;
        if (!fmt)
                return;
        va_start(ap, fmt);
        if (vasprintf(&m->error, fmt, ap) < 0)
                m->error = NULL;
        va_end(ap);
}

/* Read everything again. */
static int monitor_fetch(Monitor *m) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        Objects o = {};
        int r;

        m->stale = false;
        r = objects_fetch(m->bus, &error, &o);
        if (r < 0) {
                objects_done(&m->objects);
                /* Between our NameOwnerChanged and the next, a failed read means it is gone. */
                m->running = !sd_bus_error_has_names(&error, "org.freedesktop.DBus.Error.ServiceUnknown",
                                                     "org.freedesktop.DBus.Error.NameHasNoOwner");
                if (m->running)
                        set_error(m, "cannot read vgpud's objects: %s",
                                  sd_bus_error_is_set(&error) ? error.message : strerror(-r));
                return 0;
        }
        m->running = true;
        set_error(m, NULL);
        objects_done(&m->objects);
        m->objects = o;
        free(m->status);
        m->status = NULL;
        (void) sd_bus_get_property_string(m->bus, VGPUD_BUS_NAME, VGPUD_ROOT_PATH, VGPUD_MANAGER_IFACE,
                                          "Status", NULL, &m->status);
        free(m->version);
        m->version = NULL;
        (void) sd_bus_get_property_string(m->bus, VGPUD_BUS_NAME, VGPUD_ROOT_PATH, VGPUD_MANAGER_IFACE,
                                          "Version", NULL, &m->version);
        return 0;
}

static void fmt_percent(char *buf, size_t size, double v) {
        if (isnan(v))
                snprintf(buf, size, "-");
        else
                snprintf(buf, size, "%.0f%%", v);
}

/* Configured: a weight as "wN", a share (fixed or the equal share it works out to) in percent. */
static const char *share_text(const InstanceInfo *in, char *buf, size_t size) {
        if (in->weight > 0)
                snprintf(buf, size, "w%u", in->weight);
        else if (in->configured_share >= 0)
                snprintf(buf, size, "%.0f%%", in->configured_share);
        else
                snprintf(buf, size, "-");
        return buf;
}

/* Measured share of the engine, percent; "n/a" where the backend cannot measure (or vgpud does not say). */
static const char *measured_text(const InstanceInfo *in, char *buf, size_t size) {
        if (in->measured_share >= 0)
                snprintf(buf, size, "%.0f%%", in->measured_share);
        else
                snprintf(buf, size, "n/a");
        return buf;
}

/* Available instances of the GPU's types, summed (what it can still take of any one type at most). */
static unsigned gpu_available(const Objects *o, const GpuInfo *g) {
        unsigned best = 0;
        for (size_t i = 0; i < o->n_types; i++)
                if (streq_ptr(o->types[i].gpu, g->path))
                        best = MAX(best, o->types[i].available);
        return best;
}

/* One frame, as text (colour only on a terminal). */
static int monitor_render(Monitor *m, FILE *f, bool color) {
        time_t now = time(NULL);
        struct tm tm;
        char clock[16];
        int r;

        localtime_r(&now, &tm);
        strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
        if (!m->running) {
                fprintf(f,
                        "vgpuctl monitor  %s\n\nvgpud is not running; waiting for it to start (q quits).\n",
                        clock);
                return 0;
        }
        size_t n_created = 0;
        for (size_t i = 0; i < m->objects.n_instances; i++)
                n_created += !streq_ptr(m->objects.instances[i].state, "defined");
        fprintf(f, "vgpud %s  %s  %zu GPU%s, %zu instance%s (%zu on the host)  %s\n", strna(m->version),
                strna(m->status), m->objects.n_gpus, m->objects.n_gpus == 1 ? "" : "s",
                m->objects.n_instances, m->objects.n_instances == 1 ? "" : "s", n_created, clock);
        if (m->error)
                fprintf(f, "%s\n", m->error);
        fputc('\n', f);

        _cleanup_(table_freep) Table *gt =
                table_new("GPU", "NAME", "DRIVER", "HOSTED", "INSTANCES", "AVAILABLE", "POLICY", NULL);
        if (!gt)
                return -ENOMEM;
        table_set_right_aligned(gt, 4);
        table_set_right_aligned(gt, 5);
        for (size_t i = 0; i < m->objects.n_gpus; i++) {
                const GpuInfo *g = &m->objects.gpus[i];
                char n[16], a[16];
                snprintf(n, sizeof(n), "%zu", strv_count(g->instances));
                snprintf(a, sizeof(a), "%u", gpu_available(&m->objects, g));
                r = table_add_row(gt, g->address, g->name, g->present ? g->driver : "(absent)",
                                  isempty(g->hosted_type) ? "-" : g->hosted_type, n, a,
                                  isempty(g->scheduler_policy) ? "-" : g->scheduler_policy);
                if (r < 0)
                        return r;
        }
        r = table_print(gt, f, color);
        if (r < 0)
                return r;
        fputc('\n', f);

        if (m->objects.n_instances == 0) {
                fprintf(f, "No vGPU instances.\n");
                return 0;
        }
        _cleanup_(table_freep) Table *it = table_new("UUID", "GPU", "TYPE", "BACKEND", "STATE", "OWNER",
                                                     "SHARE", "MEASURED", "BUSY", "CMD/S", "ERRORS", NULL);
        if (!it)
                return -ENOMEM;
        for (size_t c = 6; c <= 10; c++)
                table_set_right_aligned(it, c);
        table_set_color(it, 4, color_for_state);
        for (size_t i = 0; i < m->objects.n_instances; i++) {
                const InstanceInfo *in = &m->objects.instances[i];
                const Rate *rt = rate_for(m, in->uuid);
                char share[24], measured[16], busy[16], cps[24], errors[24];
                uint64_t v;
                fmt_percent(busy, sizeof(busy), rt ? rt->busy_percent : NAN);
                if (rt && !isnan(rt->commands_per_sec))
                        snprintf(cps, sizeof(cps), "%.0f", rt->commands_per_sec);
                else
                        snprintf(cps, sizeof(cps), "-");
                /* Errors: commands the engine refused plus malformed vfio-user messages. */
                uint64_t pe;
                bool have_v = instance_counter(in, "violations", &v),
                     have_pe = instance_counter(in, "protocol_errors", &pe);
                if (have_v || have_pe)
                        snprintf(errors, sizeof(errors), "%" PRIu64, (have_v ? v : 0) + (have_pe ? pe : 0));
                else
                        snprintf(errors, sizeof(errors), "-");
                r = table_add_row(it, in->uuid, isempty(in->gpu_address) ? "-" : in->gpu_address,
                                  isempty(in->type_name) ? in->type : in->type_name, in->backend, in->state,
                                  isempty(in->owner) ? "-" : in->owner, share_text(in, share, sizeof(share)),
                                  measured_text(in, measured, sizeof(measured)), busy, cps, errors);
                if (r < 0)
                        return r;
        }
        return table_print(it, f, color);
}

/* Copy one line to out, cut at cols visible characters (escape sequences pass, UTF-8 counts once). */
static void put_line_cut(FILE *out, const char *line, size_t len, unsigned cols) {
        unsigned visible = 0;
        bool cut = false;
        for (size_t i = 0; i < len; i++) {
                unsigned char ch = (unsigned char) line[i];
                if (ch == '\033') {
                        size_t j = i + 1;
                        if (j < len && line[j] == '[')
                                for (j++; j < len && !(line[j] >= '@' && line[j] <= '~'); j++)
                                        ;
                        fwrite(line + i, 1, MIN(j + 1, len) - i, out);
                        i = j;
                        continue;
                }
                if ((ch & 0xc0) != 0x80) {
                        if (visible == cols) {
                                cut = true;
                                break;
                        }
                        visible++;
                }
                fputc(ch, out);
        }
        if (cut)
                fputs("\033[0m", out);
}

static int monitor_draw(Monitor *m) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        int r;

        if (!f)
                return -ENOMEM;
        r = monitor_render(m, f, m->cli->color && m->tty);
        if (fclose(f) != 0 || r < 0)
                return r < 0 ? r : -ENOMEM;

        if (!m->tty)
                return fwrite(buf, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 : -EIO;

        /* In place: home, each line cleared to its end, the rest of the screen cleared. */
        unsigned rows, cols;
        terminal_size(&m->term, &rows, &cols);
        _cleanup_free_ char *frame = NULL;
        size_t frame_len = 0;
        FILE *out = open_memstream(&frame, &frame_len);
        if (!out)
                return -ENOMEM;
        fputs("\033[H", out);
        unsigned row = 0;
        for (char *p = buf; p < buf + len && row < rows; row++) {
                char *nl = memchr(p, '\n', (size_t) (buf + len - p));
                size_t l = nl ? (size_t) (nl - p) : (size_t) (buf + len - p);
                put_line_cut(out, p, l, cols);
                fputs("\033[K", out);
                if (row + 1 < rows)
                        fputs("\r\n", out);
                p += l + 1;
        }
        fputs("\033[J", out);
        if (fclose(out) != 0)
                return -ENOMEM;
        return fwrite(frame, 1, frame_len, stdout) == frame_len && fflush(stdout) == 0 ? 0 : -EIO;
}

static int on_refresh(sd_event_source *s, uint64_t usec, void *userdata) {
        Monitor *m = userdata;
        int r = monitor_fetch(m);
        if (r >= 0)
                r = monitor_draw(m);
        return r < 0 ? sd_event_exit(m->event, EXIT_FAILED) : 0;
}

static void schedule_refresh(Monitor *m) {
        uint64_t now;
        m->stale = true;
        sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        int enabled = SD_EVENT_OFF;
        (void) sd_event_source_get_enabled(m->refresh_timer, &enabled);
        if (enabled != SD_EVENT_OFF)
                return; /* one is pending: it reads whatever has changed by then */
        (void) sd_event_source_set_time(m->refresh_timer, now + REFRESH_DELAY_USEC);
        (void) sd_event_source_set_enabled(m->refresh_timer, SD_EVENT_ONESHOT);
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        Monitor *m = userdata;
        rates_tick(m, usec);
        (void) sd_event_source_set_time(s, usec + m->interval_usec);
        return monitor_draw(m) < 0 ? sd_event_exit(m->event, EXIT_FAILED) : 0;
}

static int on_watch(Watch *w, WatchEvent ev, const char *path, sd_bus_message *msg, void *userdata) {
        Monitor *m = userdata;
        if (ev == WATCH_STOPPED) {
                m->running = false;
                objects_done(&m->objects);
                return monitor_draw(m) < 0 ? sd_event_exit(m->event, EXIT_FAILED) : 0;
        }
        schedule_refresh(m);
        return 0;
}

static int on_key(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Monitor *m = userdata;
        char key[16];
        ssize_t n = read(fd, key, sizeof(key));
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                return sd_event_source_set_enabled(
                        s, SD_EVENT_OFF); /* stdin closed: keys are over, not the view */
        for (ssize_t i = 0; i < n; i++)
                if (key[i] == 'q' || key[i] == 'Q')
                        return sd_event_exit(m->event, EXIT_OK);
                else if (key[i] == '\f' || key[i] == 'r') /* Ctrl-L, r: read and draw again */
                        schedule_refresh(m);
        return 0;
}

static int on_quit(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Monitor *m = userdata;
        return sd_event_exit(m->event, EXIT_OK);
}

static int on_stop(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Monitor *m = userdata;
        /* Give the shell its terminal back, stop, and take it again when continued. */
        terminal_leave(&m->term);
        (void) raise(SIGSTOP);
        if (terminal_enter(&m->term, STDOUT_FILENO) < 0)
                return sd_event_exit(m->event, EXIT_FAILED);
        return monitor_draw(m) < 0 ? sd_event_exit(m->event, EXIT_FAILED) : 0;
}

static int on_winch(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Monitor *m = userdata;
        return monitor_draw(m) < 0 ? sd_event_exit(m->event, EXIT_FAILED) : 0;
}

static json_object *monitor_json(const Monitor *m) {
        json_object *j = json_object_new_object(), *gpus = json_object_new_array(),
                    *insts = json_object_new_array();
        json_object_object_add(j, "running", json_object_new_boolean(m->running));
        json_object_object_add(j, "version", json_string(m->version));
        json_object_object_add(j, "status", json_string(m->status));
        for (size_t i = 0; i < m->objects.n_gpus; i++) {
                const GpuInfo *g = &m->objects.gpus[i];
                json_object *o = json_object_new_object();
                json_object_object_add(o, "address", json_string(g->address));
                json_object_object_add(o, "name", json_string(g->name));
                json_object_object_add(o, "driver", json_string(g->driver));
                json_object_object_add(o, "present", json_object_new_boolean(g->present));
                json_object_object_add(o, "hosted_type", json_string(g->hosted_type));
                json_object_object_add(o, "instances", json_object_new_int((int) strv_count(g->instances)));
                json_object_object_add(o, "available", json_object_new_int64(gpu_available(&m->objects, g)));
                json_object_object_add(o, "scheduler_policy",
                                       g->scheduler_policy ? json_string(g->scheduler_policy) : NULL);
                json_object_array_add(gpus, o);
        }
        for (size_t i = 0; i < m->objects.n_instances; i++) {
                const InstanceInfo *in = &m->objects.instances[i];
                json_object *o = json_object_new_object(), *counters = json_object_new_object();
                json_object_object_add(o, "uuid", json_string(in->uuid));
                json_object_object_add(o, "gpu", json_string(in->gpu_address));
                json_object_object_add(o, "type", json_string(in->type));
                json_object_object_add(o, "type_name", json_string(in->type_name));
                json_object_object_add(o, "backend", json_string(in->backend));
                json_object_object_add(o, "state", json_string(in->state));
                /* null: this vgpud does not have the property (yet) */
                json_object_object_add(o, "owner", in->owner ? json_string(in->owner) : NULL);
                json_object_object_add(o, "share", in->share > 0 ? json_object_new_int64(in->share) : NULL);
                json_object_object_add(o, "weight",
                                       in->weight > 0 ? json_object_new_int64(in->weight) : NULL);
                json_object_object_add(
                        o, "configured_share",
                        in->configured_share >= 0 ? json_object_new_double(in->configured_share) : NULL);
                json_object_object_add(o, "measured_share",
                                       in->measured_share >= 0 ? json_object_new_double(in->measured_share)
                                                               : NULL);
                for (size_t k = 0; k < in->n_counters; k++)
                        json_object_object_add(counters, in->counters[k].name,
                                               json_object_new_int64((int64_t) in->counters[k].value));
                json_object_object_add(o, "counters", counters);
                json_object_array_add(insts, o);
        }
        json_object_object_add(j, "gpus", gpus);
        json_object_object_add(j, "instances", insts);
        return j;
}

static int parse_interval(const char *s, uint64_t *ret) {
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || end == s || *end || !(v >= 0.1 && v <= 3600))
                return -EINVAL;
        *ret = (uint64_t) (v * 1e6);
        return 0;
}

int cmd_monitor(Cli *c, int argc, char *argv[]) {
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"json", no_argument, NULL, 'J'},
                {"once", no_argument, NULL, '1'},
                {"interval", required_argument, NULL, 'i'},
                {},
        };
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(monitor_done) Monitor m = {.cli = c, .interval_usec = 1000000};
        bool once = false;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "hi:", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        return command_help("monitor");
                case 'J':
                        c->json = true;
                        break;
                case '1':
                        once = true;
                        break;
                case 'i':
                        if (parse_interval(optarg, &m.interval_usec) < 0)
                                return cli_usage_error(c, "monitor",
                                                       "--interval takes seconds from 0.1 to 3600, not '%s'",
                                                       optarg);
                        break;
                default:
                        return cli_usage_error(c, "monitor", "unknown option");
                }
        if (optind < argc)
                return cli_usage_error(c, "monitor", "unexpected argument '%s'", argv[optind]);

        r = cli_system_bus(c, &m.bus);
        if (r != EXIT_OK)
                return r;
        m.tty = isatty(STDOUT_FILENO) && isatty(STDIN_FILENO) && !once && !c->json;

        if (!m.tty) {
                /* One frame: --once, --json, or no terminal to refresh in place. */
                r = monitor_fetch(&m);
                if (r >= 0 && m.error)
                        return cli_report_error(c, m.error, NULL, -EIO);
                if (!m.running) {
                        fprintf(stderr,
                                "%s: vgpud is not running. Is it started? Try 'systemctl status vgpud'.\n",
                                c->program);
                        return EXIT_UNREACHABLE;
                }
                if (c->json) {
                        _cleanup_(json_object_putp) json_object *j = monitor_json(&m);
                        return json_print(j);
                }
                return monitor_draw(&m) < 0 ? EXIT_FAILED : EXIT_OK;
        }

        r = sd_event_default(&e);
        if (r < 0)
                return cli_report_error(c, "cannot make an event loop", NULL, r);
        m.event = e;
        sigset_t mask;
        sigemptyset(&mask);
        static const int signals[] = {SIGINT, SIGTERM, SIGTSTP, SIGWINCH, SIGHUP};
        for (size_t i = 0; i < ELEMENTSOF(signals); i++)
                sigaddset(&mask, signals[i]);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        if (sd_event_add_signal(e, NULL, SIGINT, on_quit, &m) < 0 ||
            sd_event_add_signal(e, NULL, SIGTERM, on_quit, &m) < 0 ||
            sd_event_add_signal(e, NULL, SIGHUP, on_quit, &m) < 0 ||
            sd_event_add_signal(e, NULL, SIGTSTP, on_stop, &m) < 0 ||
            sd_event_add_signal(e, NULL, SIGWINCH, on_winch, &m) < 0 ||
            sd_event_add_io(e, NULL, STDIN_FILENO, EPOLLIN, on_key, &m) < 0 ||
            sd_event_add_time(e, &m.refresh_timer, CLOCK_MONOTONIC, 0, 0, on_refresh, &m) < 0 ||
            sd_event_add_time_relative(e, &m.tick_timer, CLOCK_MONOTONIC, m.interval_usec, 0, on_tick, &m) <
                    0)
                return cli_report_error(c, "cannot set up the event loop", NULL, -ENOMEM);
        (void) sd_event_source_set_enabled(m.refresh_timer, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(m.tick_timer, SD_EVENT_ON);
        r = sd_bus_attach_event(m.bus, e, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return cli_report_error(c, "cannot attach to the bus", NULL, r);
        r = watch_start(&m.watch, m.bus, on_watch, &m);
        if (r < 0)
                return cli_report_error(c, "cannot subscribe to vgpud's signals", NULL, r);

        r = terminal_enter(&m.term, STDOUT_FILENO);
        if (r < 0)
                return cli_report_error(c, "cannot set up the terminal", NULL, r);
        if (m.watch.owner)
                r = monitor_fetch(&m);
        if (r >= 0) {
                uint64_t now;
                sd_event_now(e, CLOCK_MONOTONIC, &now);
                rates_tick(&m, now);
                r = monitor_draw(&m);
        }
        if (r >= 0)
                r = sd_event_loop(e);
        terminal_leave(&m.term);
        sd_bus_detach_event(m.bus);
        if (r < 0)
                return cli_report_error(c, "monitor failed", NULL, r);
        return r;
}
