/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Autostart: every persistent instance marked autostart that is not on the
 * host is started at start-up, and again whenever it is missing and its GPU
 * can take it. While its parent is absent (the vendor driver not loaded yet,
 * the GPU not plugged) it is retried with exponential backoff, and a uevent
 * that brings the parent retries it at once; the status says what it waits
 * for (Instance.StartStatus, e.g. "waiting for parent 0000:3b:00.0, retry 3
 * in 8 s"). After the configured give-up time it is marked failed and
 * reported as a finding.
 */
#include <time.h>

#include "config-file.h"
#include "hashmap.h"
#include "host.h"
#include "instance.h"
#include "lifecycle.h"
#include "log.h"
#include "manager.h"

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

static void set_status(Instance *i, const char *fmt, ...) _printf_(2, 3);
static void set_status(Instance *i, const char *fmt, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;

        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return;
        free(i->start_status);
        i->start_status = TAKE_PTR(s);
        instance_emit_changes(i);
}

static bool wants_start(const Instance *i) {
        return instance_autostart(i) && !i->live && !i->failed;
}

static void try_start(Instance *i);

/* Is what the instance needs to start there: its parent, or its GPU, or any parent at all? */
static bool start_possible(Manager *m, const Instance *i) {
        const struct vgpu_record *rec = i->record;

        if (rec->parent)
                return host_find_parent(m->host, rec->parent) != NULL;
        if (rec->gpu[0])
                return host_find_gpu(m->host, rec->gpu) != NULL;
        return m->host->n_parents > 0;
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        Instance *i = userdata;

        i->retry_timer = sd_event_source_disable_unref(i->retry_timer);
        if (wants_start(i))
                try_start(i);
        return 0;
}

static void schedule_retry(Instance *i, const char *why) {
        Manager *m = i->manager;
        const struct vgpu_config *c = m->config;
        uint64_t now = now_usec();

        if (c->autostart_give_up_usec > 0 && now - i->first_attempt_usec >= c->autostart_give_up_usec) {
                i->failed = true;
                set_status(i, "gave up after %u attempts: %s", i->attempts, strna(why));
                (void) manager_add_finding(m, "error", "autostart-failed", i->uuid,
                                           "autostart of %s gave up after %u attempts: %s", i->uuid,
                                           i->attempts, strna(why));
                manager_update_status(m);
                return;
        }

        uint64_t delay = i->delay_usec ?: c->autostart_initial_delay_usec;
        i->delay_usec = MIN(delay * c->autostart_backoff_milli / 1000, c->autostart_max_delay_usec);
        i->delay_usec = MAX(i->delay_usec, c->autostart_initial_delay_usec);
        i->retry_timer = sd_event_source_disable_unref(i->retry_timer);
        int r = sd_event_add_time_relative(m->event, &i->retry_timer, CLOCK_MONOTONIC, delay, 0, on_retry,
                                           i);
        if (r < 0) {
                log_error_errno(r, "Failed to schedule the next autostart of %s: %m", i->uuid);
                return;
        }
        unsigned secs = (unsigned) ((delay + 999999) / 1000000);
        set_status(i, "waiting: %s; retry %u in %u s", strna(why), i->attempts + 1, secs);
        manager_update_status(m);
}

static void on_started(Manager *m, const char *uuid, int r, const char *message) {
        Instance *i = manager_find_instance(m, uuid);

        if (!i)
                return;
        i->last_error = r < 0 ? r : 0;
        if (r >= 0) {
                log_info("Autostarted %s after %u attempt(s).", uuid, i->attempts);
                i->attempts = 0;
                i->delay_usec = 0;
                set_status(i, "%s", "");
                manager_update_status(m);
                return;
        }
        log_info("Autostart of %s failed (attempt %u): %s", uuid, i->attempts, strna(message));
        if (!wants_start(i))
                return;
        schedule_retry(i, message ?: strerror(-r));
}

static void try_start(Instance *i) {
        if (i->pending > 0)
                return;
        if (i->attempts++ == 0)
                i->first_attempt_usec = now_usec();
        /* The result comes to on_started, synchronously when nothing could be queued. */
        (void) lifecycle_autostart(i, on_started);
}

void manager_autostart_all(Manager *m) {
        size_t it = 0, n = 0;
        const char *k;
        void *v;

        /* Collect first: a start may add or drop objects. */
        _cleanup_free_ char **uuids = calloc(strmap_size(m->instances) + 1, sizeof(char *));
        if (!uuids)
                return;
        while (strmap_iterate(m->instances, &it, &k, &v)) {
                Instance *i = v;
                if (instance_autostart(i))
                        i->parent_was_present = start_possible(m, i);
                if (wants_start(i) && !i->retry_timer && i->pending == 0)
                        uuids[n++] = i->uuid;
        }
        for (size_t j = 0; j < n; j++) {
                Instance *i = manager_find_instance(m, uuids[j]);
                if (i && wants_start(i))
                        try_start(i);
        }
        manager_update_status(m);
}

void manager_autostart_kick(Manager *m) {
        size_t it = 0, n = 0;
        const char *k;
        void *v;

        _cleanup_free_ char **due = calloc(strmap_size(m->instances) + 1, sizeof(char *));
        if (!due)
                return;
        while (strmap_iterate(m->instances, &it, &k, &v)) {
                Instance *i = v;
                if (!instance_autostart(i))
                        continue;
                bool ready = start_possible(m, i), appeared = ready && !i->parent_was_present;
                i->parent_was_present = ready;
                if (!wants_start(i) || i->pending > 0 || !ready)
                        continue;
                /* Only when its parent appears (hot-plug, driver loaded), or it was waiting for it: an
                 * instance someone stopped on purpose stays stopped, and a uevent storm is no start storm.
                 */
                if (i->retry_timer)
                        (void) sd_event_source_set_time_relative(i->retry_timer, 0);
                else if (appeared)
                        due[n++] = i->uuid;
        }
        for (size_t j = 0; j < n; j++) {
                Instance *i = manager_find_instance(m, due[j]);
                if (i && wants_start(i))
                        try_start(i);
        }
}

void manager_update_status(Manager *m) {
        size_t it = 0, waiting = 0, failed = 0;
        const char *k;
        void *v;

        while (strmap_iterate(m->instances, &it, &k, &v)) {
                Instance *i = v;
                if (i->failed)
                        failed++;
                else if (wants_start(i))
                        waiting++;
        }
        if (waiting == 0 && failed == 0)
                manager_set_status(m, "Ready");
        else
                manager_set_status(m, "Ready; autostart: %zu waiting, %zu failed", waiting, failed);
}
