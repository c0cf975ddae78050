/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of bus-sync.h: a deferred event source for "after this event", a timer for the rest. */
#include <errno.h>
#include <stdlib.h>

#include "bus-sync.h"
#include "log.h"

struct BusSync {
        sd_event *event;
        const BusSyncOps *ops;
        void *userdata;
        uint64_t rest_delay_usec;
        sd_event_source *deferred;   /* a sync of everything, once the current event is done */
        sd_event_source *rest_timer; /* the rest, behind operations in flight */
};

int bus_sync_new(sd_event *event, const BusSyncOps *ops, void *userdata, uint64_t rest_delay_usec,
                 BusSync **ret) {
        BusSync *s = calloc(1, sizeof(*s));

        if (!s)
                return -ENOMEM;
        s->event = sd_event_ref(event);
        s->ops = ops;
        s->userdata = userdata;
        s->rest_delay_usec = rest_delay_usec;
        *ret = s;
        return 0;
}

void bus_sync_cancel(BusSync *s) {
        s->deferred = sd_event_source_disable_unref(s->deferred);
        s->rest_timer = sd_event_source_disable_unref(s->rest_timer);
}

BusSync *bus_sync_free(BusSync *s) {
        if (!s)
                return NULL;
        bus_sync_cancel(s);
        sd_event_unref(s->event);
        free(s);
        return NULL;
}

static void rest_now(BusSync *s) {
        s->rest_timer = sd_event_source_disable_unref(s->rest_timer);
        s->ops->rest(s->userdata);
}

void bus_sync_now(BusSync *s) {
        s->deferred = sd_event_source_disable_unref(s->deferred);
        s->ops->instances(s->userdata);
        rest_now(s);
}

void bus_sync_flush(BusSync *s) {
        if (s->deferred)
                bus_sync_now(s);
        else if (s->rest_timer)
                rest_now(s);
}

static int on_rest_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        bus_sync_flush(userdata);
        return 0;
}

void bus_sync_rest_soon(BusSync *s) {
        if (s->deferred)
                return; /* the deferred sync does the instances first, then this */
        if (!s->ops->busy(s->userdata))
                rest_now(s);
        /* 1 ms accuracy: sd-event's default (250 ms) would hold the objects back far longer than the delay.
         */
        else if (!s->rest_timer &&
                 sd_event_add_time_relative(s->event, &s->rest_timer, CLOCK_MONOTONIC, s->rest_delay_usec,
                                            1000, on_rest_timer, s) < 0)
                rest_now(s);
}

static int on_deferred(sd_event_source *source, void *userdata) {
        BusSync *s = userdata;

        s->deferred = sd_event_source_disable_unref(s->deferred);
        s->ops->instances(s->userdata);
        bus_sync_rest_soon(s);
        return 0;
}

int bus_sync_schedule(BusSync *s) {
        if (s->deferred)
                return 0;
        int r = sd_event_add_defer(s->event, &s->deferred, on_deferred, s);
        if (r < 0)
                return log_error_errno(r, "Failed to schedule a sync of the bus objects: %m");
        (void) sd_event_source_set_description(s->deferred, "bus-sync");
        return 0;
}
