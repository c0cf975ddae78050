/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Implementation of manager.h: start-up order (loop, workers, bus objects,
 * name, READY), the signal handlers that end the loop, and the status line.
 */
#include <signal.h>
#include <stdarg.h>
#include <systemd/sd-daemon.h>

#include "bus-names.h"
#include "log.h"
#include "manager.h"

void settings_done(Settings *s) {
        free(s->admin_group);
        free(s->default_placement);
        free(s->state_dir);
        free(s->runtime_dir);
        *s = (Settings){};
}

static int settings_copy(Settings *dst, const Settings *src) {
        *dst = (Settings){.worker_threads = src->worker_threads ?: 4};
        dst->admin_group = strdup(strempty(src->admin_group));
        dst->default_placement = strdup(src->default_placement ?: "pack");
        dst->state_dir = strdup(src->state_dir ?: "/var/lib/vgpud");
        dst->runtime_dir = strdup(src->runtime_dir ?: "/run/vgpud");
        if (!dst->admin_group || !dst->default_placement || !dst->state_dir || !dst->runtime_dir) {
                settings_done(dst);
                return -ENOMEM;
        }
        return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        log_info("Received %s, shutting down.", strsignal((int) si->ssi_signo));
        manager_set_status(m, "Shutting down");
        (void) sd_notify(false, "STOPPING=1");
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

int manager_new(const Settings *settings, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        sigset_t mask;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        r = settings_copy(&m->settings, settings);
        if (r < 0)
                return r;

        r = sd_event_default(&m->event);
        if (r < 0)
                return r;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        /* Blocked before any worker thread exists, so the threads inherit the mask and the signalfd gets
         * them. */
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return negative_errno();
        r = sd_event_add_signal(m->event, NULL, SIGTERM, on_signal, m);
        if (r < 0)
                return r;
        r = sd_event_add_signal(m->event, NULL, SIGINT, on_signal, m);
        if (r < 0)
                return r;
        (void) sd_event_set_watchdog(m->event, true);

        r = hostops_new(m->event, m->settings.worker_threads, &m->hostops);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        /* Workers first: their cancelled completions may still reply on the bus. */
        hostops_free(m->hostops);
        if (m->bus) {
                sd_bus_flush(m->bus);
                sd_bus_flush_close_unref(m->bus);
        }
        sd_event_unref(m->event);
        manager_clear_findings(m);
        free(m->status);
        settings_done(&m->settings);
        free(m);
        return NULL;
}

int manager_start(Manager *m) {
        int r;

        r = sd_bus_open_system(&m->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");

        r = bus_manager_register(m);
        if (r < 0)
                return log_error_errno(r, "Failed to publish the bus objects: %m");

        /* Objects first, name last: a client that sees the name finds everything in place. */
        r = sd_bus_request_name(m->bus, VGPUD_BUS_NAME, 0);
        if (r == -EEXIST)
                return log_error_errno(r, "Another vgpud already owns %s on this bus.", VGPUD_BUS_NAME);
        if (r < 0)
                return log_error_errno(r, "Failed to acquire the bus name %s: %m", VGPUD_BUS_NAME);

        manager_set_status(m, "Ready");
        (void) sd_notify(false, "READY=1");
        log_info("vgpud " PACKAGE_VERSION " ready on %s.", VGPUD_BUS_NAME);
        return 0;
}

int manager_run(Manager *m) {
        return sd_event_loop(m->event);
}

void manager_set_status(Manager *m, const char *fmt, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;

        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0) {
                log_oom();
                return;
        }
        if (streq_ptr(s, m->status))
                return;
        free(m->status);
        m->status = TAKE_PTR(s);
        (void) sd_notifyf(false, "STATUS=%s", m->status);
        if (m->bus)
                (void) sd_bus_emit_properties_changed(m->bus, VGPUD_ROOT_PATH, VGPUD_MANAGER_IFACE, "Status",
                                                      NULL);
}

static void finding_done(Finding *f) {
        free(f->severity);
        free(f->kind);
        free(f->object);
        free(f->message);
}

int manager_add_finding(Manager *m, const char *severity, const char *kind, const char *object,
                        const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        int r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;

        Finding *n = realloc(m->findings, (m->n_findings + 1) * sizeof(Finding));
        if (!n)
                return -ENOMEM;
        m->findings = n;
        Finding *f = &m->findings[m->n_findings];
        *f = (Finding){
                .severity = strdup(severity),
                .kind = strdup(kind),
                .object = strdup(object),
                .message = TAKE_PTR(msg),
        };
        if (!f->severity || !f->kind || !f->object) {
                finding_done(f);
                return -ENOMEM;
        }
        m->n_findings++;
        log_full_errno(streq(severity, "error")     ? LOG_ERR
                       : streq(severity, "warning") ? LOG_WARNING
                                                    : LOG_INFO,
                       0, "%s %s: %s", kind, object, f->message);
        if (m->bus)
                (void) sd_bus_emit_properties_changed(m->bus, VGPUD_ROOT_PATH, VGPUD_MANAGER_IFACE,
                                                      "Findings", NULL);
        return 0;
}

void manager_clear_findings(Manager *m) {
        for (size_t i = 0; i < m->n_findings; i++)
                finding_done(&m->findings[i]);
        free(m->findings);
        m->findings = NULL;
        m->n_findings = 0;
}
