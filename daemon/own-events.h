/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The uevents of vgpud's own operations. A create or destroy through vgpud
 * makes the kernel announce the mdev ("add", "remove"), but the operation's
 * completion already puts what it did into the model (the device as the
 * worker read it back, availability refreshed off the reply path), so
 * applying those uevents as news would only read the device, and every
 * type's availability on its GPU, once more. An operation registers the event
 * it will cause before its host step; the udev monitor consumes the matching
 * event instead of applying it, whether it arrives before or after the
 * completion.
 *
 * Any other event for that device is applied as usual, and if an operation is
 * in flight on it, marks the operation disturbed: its completion then reads
 * the device again on the main thread rather than trusting what the worker
 * read, since someone else touched it meanwhile. Consuming is only ever a
 * saving: an expectation that is dropped (its event lost, too many waiting)
 * lets the event be applied as news, which is correct, just slower.
 */
#pragma once

#include "macro.h"

typedef struct OwnEvents OwnEvents;

int own_events_new(OwnEvents **ret);
OwnEvents *own_events_free(OwnEvents *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(OwnEvents *, own_events_free)

/* Before the host step of an operation on mdev uuid: it will cause the uevent action ("add", "remove").
 * Replaces an older expectation for the same device. */
int own_events_expect(OwnEvents *e, const char *uuid, const char *action);

/* A uevent for mdev uuid arrived. true: it is the expected one and is now accounted for (do not apply
 * it). false: apply it; an operation in flight on uuid is marked disturbed. */
bool own_events_consume(OwnEvents *e, const char *uuid, const char *action);

/* The operation on uuid completed; changed says whether its host step did what it expected (so its event
 * may still come). Returns true if another event for the device arrived while it was in flight. */
bool own_events_settle(OwnEvents *e, const char *uuid, bool changed);

/* Expectations held (in flight, or settled and waiting for a late event). */
size_t own_events_size(OwnEvents *e);
