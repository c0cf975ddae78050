/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mdevs the kernel announced before it finished them (host_unsettled()): Linux sends an mdev's "add" and
 * binds its driver before it links the device's type, and sends nothing when it does, so an "add" read at
 * once can find the device without a type (under load, or behind a slow probe: seen on Debian 12's kernel
 * with mtty). They are read again on a timer, soon at first and then less often, until the kernel has
 * finished or removed them, which it always does: a create that fails halfway takes the device away.
 */
#include "host.h"
#include "log.h"
#include "manager.h"
#include "parse-util.h"
#include "uuid.h"

#define SETTLE_FIRST_USEC (10 * USEC_PER_MSEC)
#define SETTLE_MAX_USEC   USEC_PER_SEC
/* Longer than a create or remove ever takes: say which device is stuck, once. */
#define SETTLE_WARN_USEC (10 * USEC_PER_SEC)

struct Settling {
        char uuid[UUID_STRING_MAX];
        uint64_t since; /* CLOCK_MONOTONIC, when it was first found unfinished */
        bool warned;
};

static int on_settle_timer(sd_event_source *s, uint64_t usec, void *userdata);

static void arm(Manager *m, uint64_t delay) {
        int r;

        m->settle_delay = delay;
        /* 1 ms accuracy: sd-event's default (250 ms) would make the first look the slowest. */
        if (m->settle_timer)
                r = sd_event_source_set_time_relative(m->settle_timer, delay)
                            ?: sd_event_source_set_enabled(m->settle_timer, SD_EVENT_ONESHOT);
        else
                r = sd_event_add_time_relative(m->event, &m->settle_timer, CLOCK_MONOTONIC, delay,
                                               USEC_PER_MSEC, on_settle_timer, m);
        if (r < 0)
                log_warning_errno(r, "Failed to arm the timer that reads unfinished mdevs again: %m");
}

/* Follow the model's list: keep what is still listed (with when it was first seen), add what is new.
 * Returns whether something was new. */
static bool track(Manager *m, char *const *left, uint64_t now) {
        size_t n = 0, k = 0;
        bool added = false;

        for (char *const *u = left; u && *u; u++)
                n++;
        struct Settling *v = calloc(n ?: 1, sizeof(*v));
        if (!v)
                return false; /* the old list stays: only the warnings' times suffer */
        for (char *const *u = left; u && *u; u++, k++) {
                struct Settling *old = NULL;
                for (size_t j = 0; j < m->n_settling && !old; j++)
                        if (streq(m->settling[j].uuid, *u))
                                old = &m->settling[j];
                if (old)
                        v[k] = *old;
                else {
                        snprintf(v[k].uuid, sizeof(v[k].uuid), "%s", *u);
                        v[k].since = now;
                        added = true;
                }
        }
        free(m->settling);
        m->settling = v;
        m->n_settling = n;
        return added;
}

void manager_settle_soon(Manager *m) {
        char *const *left = host_unsettled(m->host);
        uint64_t now;
        int enabled = SD_EVENT_OFF;

        if (!left || !*left)
                return;
        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        bool added = track(m, left, now);
        if (m->settle_timer)
                (void) sd_event_source_get_enabled(m->settle_timer, &enabled);
        if (enabled == SD_EVENT_OFF || added)
                arm(m, SETTLE_FIRST_USEC); /* a new one: look soon, not at the long interval */
}

static int on_settle_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        /* A device that cannot be read is logged, with its UUID, by host_settle() */
        if (host_settle(m->host) != 0)
                manager_schedule_sync(m);
        char *const *left = host_unsettled(m->host);
        (void) track(m, left, usec);
        if (m->n_settling == 0)
                return 0;
        for (size_t j = 0; j < m->n_settling; j++) {
                struct Settling *x = &m->settling[j];
                if (x->warned || usec - x->since < SETTLE_WARN_USEC)
                        continue;
                log_warning("The kernel announced mdev %s %llu s ago and has not finished it (no mdev_type "
                            "link); vgpud keeps looking.",
                            x->uuid, (unsigned long long) ((usec - x->since) / USEC_PER_SEC));
                x->warned = true;
        }
        arm(m, MIN(m->settle_delay * 2, SETTLE_MAX_USEC));
        return 0;
}

void manager_settle_stop(Manager *m) {
        m->settle_timer = sd_event_source_disable_unref(m->settle_timer);
        free(m->settling);
        m->settling = NULL;
        m->n_settling = 0;
}
