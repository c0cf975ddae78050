/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * When the bus objects follow the host model. The instance objects follow it once the current event is
 * done (a burst of uevents, one sync). The GPU and type objects (every type's numbers, a dozen
 * PropertiesChanged after a create on a T4) follow the instances, and while operations are still in
 * flight they wait for them, at most a delay: syncing them after each of 64 pipelined destroys was most
 * of the main thread's time. A call that reads them first flushes what is pending.
 *
 * The instances always go first (whether an absent GPU's object stays depends on them), and the rest is
 * never synced past an instance sync that is due: a reader would see the numbers of a device it is not
 * shown.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "macro.h"

typedef struct BusSync BusSync;

typedef struct BusSyncOps {
        void (*instances)(void *userdata); /* sync the instance objects */
        void (*rest)(void *userdata);      /* the GPU and type objects, and what follows them */
        bool (*busy)(void *userdata);      /* operations are in flight: the rest may wait for them */
} BusSyncOps;

int bus_sync_new(sd_event *event, const BusSyncOps *ops, void *userdata, uint64_t rest_delay_usec,
                 BusSync **ret);
BusSync *bus_sync_free(BusSync *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(BusSync *, bus_sync_free)

/* Sync everything once the current event is done (coalesced). */
int bus_sync_schedule(BusSync *s);
/* Forget what is pending (at start-up the objects exist before the bus does). */
void bus_sync_cancel(BusSync *s);
/* The instances, then the rest, now. */
void bus_sync_now(BusSync *s);
/* After a batch of operations: the rest now if none is in flight any more, else once they are all done or
 * the delay later, whichever comes first. */
void bus_sync_rest_soon(BusSync *s);
/* Before a call that reads the objects: whatever is pending, now. */
void bus_sync_flush(BusSync *s);
