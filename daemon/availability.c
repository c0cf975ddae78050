/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Implementation of availability.h. A refresh is planned on the main thread
 * (which parents, which type ids: plain strings copied out of the model),
 * read on a worker (mdev_read_availability(), relative to each parent's types
 * directory) and applied on the main thread (host_apply_availability()).
 */
#include <stdatomic.h>

#include "availability.h"
#include "backend.h"
#include "hashmap.h"
#include "host.h"
#include "log.h"
#include "mdev.h"

typedef struct ParentPlan {
        char *name;
        char **ids;
        struct mdev_available *v; /* v[k].type_id is ids[k] */
        size_t n;
        int error; /* of the read as a whole: -ENODEV when the parent went away */
} ParentPlan;

typedef struct Refresh {
        Refresher *owner;
        char *key;
        char *sysfs_root;
        struct attr_cache *cache; /* the host's, shared (it locks) */
        atomic_bool started;
        bool again;   /* requested after it started: one more when it is done */
        bool flushed; /* read by refresher_flush() before a worker took it: the worker skips it */
        unsigned long generation;
        ParentPlan *parents;
        size_t n_parents;
} Refresh;

struct Refresher {
        HostOps *ops;
        struct vgpu_host *h;
        struct strmap *by_key; /* GPU key -> its outstanding Refresh */
        refresher_idle_t on_idle;
        void *userdata;
        unsigned long runs;
        bool stopping; /* refresher_shutdown(): apply what comes back, queue nothing new */
};

const char *refresher_key(const struct vgpu_parent *p) {
        return p->gpu ? p->gpu->bdf : p->name;
}

static void refresh_free(Refresh *q) {
        if (!q)
                return;
        for (size_t i = 0; i < q->n_parents; i++) {
                free(q->parents[i].name);
                strv_freep(&q->parents[i].ids);
                free(q->parents[i].v);
        }
        free(q->parents);
        free(q->key);
        free(q->sysfs_root);
        free(q);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Refresh *, refresh_free)

static bool same_gpu(const struct vgpu_parent *a, const struct vgpu_parent *b) {
        return a == b || (b->gpu && a->gpu == b->gpu);
}

static int plan_parent(ParentPlan *pp, const struct vgpu_parent *p) {
        pp->name = strdup(p->name);
        pp->ids = calloc(p->n_types + 1, sizeof(char *));
        pp->v = calloc(p->n_types + 1, sizeof(struct mdev_available));
        if (!pp->name || !pp->ids || !pp->v)
                return -ENOMEM;
        for (size_t k = 0; k < p->n_types; k++) {
                if (backend_device_kind(p->types[k]->backend) != VGPU_DEVICE_MDEV) /* not mdev numbers */
                        continue;
                pp->ids[pp->n] = strdup(p->types[k]->id);
                if (!pp->ids[pp->n])
                        return -ENOMEM;
                pp->v[pp->n].type_id = pp->ids[pp->n];
                pp->n++;
        }
        return 0;
}

/* On a worker: only the plan's own strings and sysfs. */
static int refresh_run(void *userdata) {
        Refresh *q = userdata;
        bool expected = false;

        /* Taken by refresher_flush() first: the main thread has read these numbers, after the changes
         * that asked for them. */
        if (!atomic_compare_exchange_strong(&q->started, &expected, true))
                return 0;
        for (size_t i = 0; i < q->n_parents; i++) {
                ParentPlan *pp = &q->parents[i];
                pp->error = mdev_read_availability(q->sysfs_root, q->cache, pp->name, pp->v, pp->n);
        }
        return 0;
}

static int refresh_submit(Refresher *r, const struct vgpu_parent *p);

static void refresh_done(int result, void *userdata) {
        _cleanup_(refresh_freep) Refresh *q = userdata;
        Refresher *r = q->owner;
        struct vgpu_host *h = r->h;

        if (strmap_get(r->by_key, q->key) == q)
                strmap_remove(r->by_key, q->key);
        if (result == -ECANCELED)
                return; /* shutting down */

        if (q->flushed)
                ; /* nothing was read: refresher_flush() applied the numbers */
        else if (h->types_generation != q->generation)
                /* The model read some parent's types whole meanwhile: its numbers may be newer than ours. */
                q->again = true;
        else {
                for (size_t i = 0; i < q->n_parents; i++)
                        if (q->parents[i].error >= 0)
                                (void) host_apply_availability(h, q->parents[i].name, q->parents[i].v,
                                                               q->parents[i].n);
                r->runs++;
        }
        if (q->again && !r->stopping)
                for (size_t i = 0; i < q->n_parents; i++) {
                        struct vgpu_parent *p = host_find_parent(h, q->parents[i].name);
                        if (p) {
                                (void) refresh_submit(r, p);
                                break;
                        }
                }
        if (strmap_size(r->by_key) == 0 && r->on_idle && !r->stopping)
                r->on_idle(r->userdata);
}

static int refresh_submit(Refresher *r, const struct vgpu_parent *p) {
        _cleanup_(refresh_freep) Refresh *q = calloc(1, sizeof(Refresh));
        struct vgpu_host *h = r->h;
        size_t n = 0;
        int k;

        if (!q)
                return log_oom();
        q->owner = r;
        q->key = strdup(refresher_key(p));
        q->sysfs_root = strdup(h->sysfs_root);
        q->cache = h->avail_cache;
        q->generation = h->types_generation;
        atomic_init(&q->started, false);
        for (size_t i = 0; i < h->n_parents; i++)
                n += same_gpu(h->parents[i], p);
        q->parents = calloc(n + 1, sizeof(ParentPlan));
        if (!q->key || !q->sysfs_root || !q->parents)
                return log_oom();
        for (size_t i = 0; i < h->n_parents; i++)
                if (same_gpu(h->parents[i], p)) {
                        k = plan_parent(&q->parents[q->n_parents++], h->parents[i]);
                        if (k < 0)
                                return log_oom();
                }

        k = strmap_put(r->by_key, q->key, q);
        if (k < 0)
                return log_error_errno(k, "Failed to track the availability refresh of %s: %m", q->key);
        k = hostops_submit(r->ops, q->key, refresh_run, refresh_done, q);
        if (k < 0) {
                strmap_remove(r->by_key, q->key);
                return log_error_errno(k, "Failed to queue the availability refresh of %s: %m", q->key);
        }
        TAKE_PTR(q);
        return 0;
}

void refresher_request(Refresher *r, struct vgpu_parent *p) {
        Refresh *q = strmap_get(r->by_key, refresher_key(p));

        if (r->stopping)
                return;
        if (q) {
                /* Not started: it will read after this change. Started: it may have read before it. */
                if (atomic_load(&q->started))
                        q->again = true;
                return;
        }
        (void) refresh_submit(r, p);
}

bool refresher_pending(Refresher *r) {
        size_t i = 0;
        const char *k;
        void *v;

        /* One that refresher_flush() read, with no change since, is only waiting for its turn to end. */
        while (strmap_iterate(r->by_key, &i, &k, &v)) {
                Refresh *q = v;
                if (!q->flushed || q->again)
                        return true;
        }
        return false;
}

void refresher_flush(Refresher *r) {
        _cleanup_strv_free_ char **names = NULL;
        size_t i = 0, n = 0;
        const char *k;
        void *v;

        /* Names first: reading applies numbers, and the announcements may touch the map. */
        names = calloc(strmap_size(r->by_key) + 1, sizeof(char *));
        if (!names)
                return;
        while (strmap_iterate(r->by_key, &i, &k, &v)) {
                Refresh *q = v;
                bool expected = false;
                if (q->flushed && !q->again)
                        continue; /* read here already, nothing changed since */
                /* Not taken by a worker yet: it is read here, now, after every change that asked for it,
                 * and the worker skips it (the numbers are not read twice). Taken: it still completes,
                 * and a change it may have missed has set again. */
                if (q->flushed || atomic_compare_exchange_strong(&q->started, &expected, true)) {
                        q->flushed = true;
                        q->again = false;
                }
                if (q->n_parents > 0 && !(names[n++] = strdup(q->parents[0].name)))
                        return;
        }
        for (size_t j = 0; j < n; j++) {
                struct vgpu_parent *p = host_find_parent(r->h, names[j]);
                if (p)
                        (void) host_refresh_availability(r->h, p);
        }
}

unsigned long refresher_runs(Refresher *r) {
        return r->runs;
}

int refresher_new(HostOps *ops, struct vgpu_host *h, refresher_idle_t on_idle, void *userdata,
                  Refresher **ret) {
        Refresher *r = calloc(1, sizeof(*r));

        if (!r)
                return -ENOMEM;
        r->by_key = strmap_new();
        if (!r->by_key) {
                free(r);
                return -ENOMEM;
        }
        r->ops = ops;
        r->h = h;
        r->on_idle = on_idle;
        r->userdata = userdata;
        *ret = r;
        return 0;
}

void refresher_shutdown(Refresher *r) {
        r->stopping = true;
}

Refresher *refresher_free(Refresher *r) {
        if (!r)
                return NULL;
        /* hostops_free() has completed or cancelled every refresh: nothing is outstanding any more. */
        strmap_free(r->by_key);
        free(r);
        return NULL;
}
