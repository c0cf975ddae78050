/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of own-events.h: one expectation per device, in a map by UUID. */
#include "own-events.h"
#include "hashmap.h"
#include "uuid.h"

/* Settled expectations waiting for a late event, at most: beyond that they are dropped (see the header:
 * that costs a re-read, never correctness). */
#define WAITING_MAX 1024

typedef struct Expectation {
        char uuid[UUID_STRING_MAX];
        char action[8];
        bool in_flight; /* the operation has not completed */
        bool seen;      /* its event arrived and was consumed */
        bool disturbed; /* another event for the device arrived while in flight */
} Expectation;

struct OwnEvents {
        struct strmap *by_uuid;
        size_t waiting; /* settled, event not seen yet */
};

int own_events_new(OwnEvents **ret) {
        OwnEvents *e = calloc(1, sizeof(*e));

        if (!e)
                return -ENOMEM;
        e->by_uuid = strmap_new();
        if (!e->by_uuid) {
                free(e);
                return -ENOMEM;
        }
        *ret = e;
        return 0;
}

static void drop(OwnEvents *e, Expectation *x) {
        if (!x->in_flight && e->waiting > 0)
                e->waiting--;
        strmap_remove(e->by_uuid, x->uuid);
        free(x);
}

static void drop_waiting(OwnEvents *e) {
        _cleanup_free_ Expectation **v = calloc(e->waiting + 1, sizeof(Expectation *));
        size_t i = 0, n = 0;
        const char *k;
        void *x;

        if (!v)
                return; /* they stay: only a saving is lost */
        /* Collect first: removing from the map while iterating moves its entries. */
        while (n < e->waiting && strmap_iterate(e->by_uuid, &i, &k, &x))
                if (!((Expectation *) x)->in_flight)
                        v[n++] = x;
        for (size_t j = 0; j < n; j++)
                drop(e, v[j]);
}

OwnEvents *own_events_free(OwnEvents *e) {
        size_t i = 0;
        const char *k;
        void *v;

        if (!e)
                return NULL;
        while (strmap_iterate(e->by_uuid, &i, &k, &v))
                free(v);
        strmap_free(e->by_uuid);
        free(e);
        return NULL;
}

int own_events_expect(OwnEvents *e, const char *uuid, const char *action) {
        char u[UUID_STRING_MAX];
        Expectation *x;
        int r;

        if (uuid_normalize(uuid, u) < 0 || strlen(action) >= sizeof(x->action))
                return -EINVAL;
        x = strmap_get(e->by_uuid, u);
        if (x)
                drop(e, x);
        x = calloc(1, sizeof(*x));
        if (!x)
                return -ENOMEM;
        memcpy(x->uuid, u, sizeof(u));
        strcpy(x->action, action);
        x->in_flight = true;
        r = strmap_put(e->by_uuid, x->uuid, x);
        if (r < 0)
                free(x);
        return r;
}

bool own_events_consume(OwnEvents *e, const char *uuid, const char *action) {
        char u[UUID_STRING_MAX];
        Expectation *x;

        if (!uuid || !action || uuid_normalize(uuid, u) < 0)
                return false;
        x = strmap_get(e->by_uuid, u);
        if (!x)
                return false;
        if (streq(action, x->action) && !x->seen) {
                x->seen = true;
                if (!x->in_flight)
                        drop(e, x);
                return true;
        }
        /* Someone else acted on the device. In flight: the completion must look again. Settled: the device
         * has moved on; the expected event (if it ever comes) is no longer worth waiting for. */
        if (x->in_flight)
                x->disturbed = true;
        else
                drop(e, x);
        return false;
}

bool own_events_settle(OwnEvents *e, const char *uuid, bool changed) {
        char u[UUID_STRING_MAX];
        Expectation *x;

        if (uuid_normalize(uuid, u) < 0)
                return false;
        x = strmap_get(e->by_uuid, u);
        if (!x || !x->in_flight)
                return false;
        bool disturbed = x->disturbed;
        if (!changed || x->seen) {
                drop(e, x);
                return disturbed;
        }
        x->in_flight = false;
        x->disturbed = false;
        if (++e->waiting > WAITING_MAX)
                drop_waiting(e);
        return disturbed;
}

size_t own_events_size(OwnEvents *e) {
        return strmap_size(e->by_uuid);
}
