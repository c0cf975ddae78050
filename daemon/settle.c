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
#include "strutil.h"

#define SETTLE_FIRST_USEC (10 * USEC_PER_MSEC)
#define SETTLE_MAX_USEC   USEC_PER_SEC
/* Longer than a create or remove ever takes: say which devices are stuck, once. */
#define SETTLE_WARN_USEC (10 * USEC_PER_SEC)

static int on_settle_timer(sd_event_source *s, uint64_t usec, void *userdata);

static void arm(Manager *m, uint64_t delay) {
        int r;

        m->settle_delay = delay;
        if (m->settle_timer)
                r = sd_event_source_set_time_relative(m->settle_timer, delay)
                            ?: sd_event_source_set_enabled(m->settle_timer, SD_EVENT_ONESHOT);
        else
                r = sd_event_add_time_relative(m->event, &m->settle_timer, CLOCK_MONOTONIC, delay, 0,
                                               on_settle_timer, m);
        if (r < 0)
                log_warning_errno(r, "Failed to arm the timer that reads unfinished mdevs again: %m");
}

void manager_settle_soon(Manager *m) {
        size_t n = strv_length(host_unsettled(m->host));

        if (n == 0)
                return;
        int enabled = SD_EVENT_OFF;
        if (m->settle_timer)
                (void) sd_event_source_get_enabled(m->settle_timer, &enabled);
        if (enabled == SD_EVENT_OFF) {
                (void) sd_event_now(m->event, CLOCK_MONOTONIC, &m->settle_since);
                m->settle_warned = false;
                arm(m, SETTLE_FIRST_USEC);
        } else if (n > m->settle_count)
                arm(m, SETTLE_FIRST_USEC); /* a new one: look soon, not at the long interval */
        m->settle_count = n;
}

static int on_settle_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        int r = host_settle(m->host);

        if (r < 0)
                log_warning_errno(r, "Failed to read an unfinished mdev again: %m");
        if (r != 0)
                manager_schedule_sync(m);
        char *const *left = host_unsettled(m->host);
        m->settle_count = strv_length(left);
        if (m->settle_count == 0)
                return 0;
        if (!m->settle_warned && usec - m->settle_since >= SETTLE_WARN_USEC) {
                struct strbuf b = {};
                for (char *const *u = left; *u; u++)
                        strbuf_appendf(&b, "%s%s", u == left ? "" : ", ", *u);
                _cleanup_free_ char *list = strbuf_steal(&b);
                log_warning("The kernel announced mdev %s but has not finished it (no mdev_type link) "
                            "in %llu s; vgpud keeps looking.",
                            strna(list), (unsigned long long) (SETTLE_WARN_USEC / USEC_PER_SEC));
                m->settle_warned = true;
        }
        arm(m, MIN(m->settle_delay * 2, SETTLE_MAX_USEC));
        return 0;
}

void manager_settle_stop(Manager *m) {
        m->settle_timer = sd_event_source_disable_unref(m->settle_timer);
}
