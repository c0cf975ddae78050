/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Manager.Apply: a desired state for the host's vGPUs as one transaction. The
 * caller (vgpuctl apply) sends the entries of the configuration it read
 * (desired-state.h); here they are resolved against the host (which GPUs each
 * entry selects, which type each name means there), compared with what exists
 * (every instance that already fits is kept), and turned into one plan:
 * destroys, SR-IOV changes, definitions, starts, creates, in that order. A dry
 * run answers the plan. Otherwise the steps run one after another through the
 * lifecycle's operations (lifecycle.h, sriov-state.h); the first failure
 * undoes the steps done so far in reverse and the call fails naming the step.
 * Why one step at a time: each create's placement must see the host as the
 * step before left it, and an undo must know exactly what was done. Only one
 * apply runs at a time (Manager.apply): a second is refused, not queued,
 * because it was planned against a host that the first is changing.
 */
#include <systemd/sd-id128.h>

#include "alias.h"
#include "apply.h"
#include "auth.h"
#include "availability.h"
#include "bus-error.h"
#include "bus-options.h"
#include "config-file.h"
#include "gpu.h"
#include "hashmap.h"
#include "host.h"
#include "instance.h"
#include "lifecycle.h"
#include "log.h"
#include "manager.h"
#include "placement.h"
#include "planner.h"
#include "sched.h"
#include "sriov-state.h"
#include "strutil.h"

typedef enum StepKind {
        STEP_KEEP,
        STEP_DESTROY,
        STEP_SRIOV,
        STEP_DEFINE,
        STEP_START,
        STEP_CREATE,
        _STEP_MAX,
} StepKind;

static const char *const step_names[_STEP_MAX] = {
        [STEP_KEEP] = "keep",     [STEP_DESTROY] = "destroy", [STEP_SRIOV] = "sriov",
        [STEP_DEFINE] = "define", [STEP_START] = "start",     [STEP_CREATE] = "create",
};

typedef struct Step {
        StepKind kind;
        char gpu[PCI_BDF_MAX];
        char uuid[UUID_STRING_MAX]; /* the instance; a create's is chosen when it runs */
        char *type;                 /* create: the name as written; others: the instance's type id */
        char *where;                /* create: file:line:column of the type in the file */
        bool persistent, autostart; /* create, define */
        struct sched_quota quota;   /* create */
        bool force;                 /* destroy: without the in-use check (--force) */
        char *owner;                /* destroy: the domain that holds it */
        struct vgpu_record *saved;  /* destroy: what to make again; define: the old record (NULL: none) */
        bool was_live;              /* destroy */
        unsigned num_vfs, old_vfs;  /* sriov */
        bool done;                  /* carried out: undone by a rollback */
} Step;

struct ApplyTx {
        Manager *manager;
        sd_bus_message *call;
        Step *steps;
        size_t n_steps;
        size_t current; /* the step in flight */
        bool rolling_back;
        bool abandoned; /* vgpud is stopping: no further step */
        /* the failure */
        size_t failed;
        int error;
        char *error_name, *error_message;
        struct strbuf undo_errors;
        unsigned undone;
};

static void step_done(Step *s) {
        free(s->type);
        free(s->where);
        free(s->owner);
        record_free(s->saved);
}

static ApplyTx *apply_free(ApplyTx *tx) {
        if (!tx)
                return NULL;
        for (size_t i = 0; i < tx->n_steps; i++)
                step_done(&tx->steps[i]);
        free(tx->steps);
        sd_bus_message_unref(tx->call);
        free(tx->error_name);
        free(tx->error_message);
        strbuf_done(&tx->undo_errors);
        free(tx);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(ApplyTx *, apply_free)

static Step *add_step(ApplyTx *tx, StepKind kind, const char *gpu) {
        Step *v = realloc(tx->steps, (tx->n_steps + 1) * sizeof(*v));
        if (!v)
                return NULL;
        tx->steps = v;
        Step *s = &v[tx->n_steps++];
        *s = (Step){.kind = kind};
        snprintf(s->gpu, sizeof(s->gpu), "%s", strempty(gpu));
        return s;
}

/* One line for the reply, the log and the error: what the step does. */
static char *step_describe(const Step *s) {
        char *d = NULL;
        int r = -1;

        switch (s->kind) {
        case STEP_KEEP:
                r = asprintf(&d, "keep %s (%s)", s->uuid, s->type);
                break;
        case STEP_DESTROY:
                r = asprintf(&d, "destroy %s (%s)%s%s%s", s->uuid, s->type, s->owner ? ", assigned to " : "",
                             strempty(s->owner), s->owner ? ", forced" : "");
                break;
        case STEP_SRIOV:
                r = asprintf(&d, "set SR-IOV VFs of %s from %u to %u", s->gpu, s->old_vfs, s->num_vfs);
                break;
        case STEP_DEFINE:
                r = asprintf(&d, "make %s %s%s", s->uuid, s->persistent ? "persistent" : "transient",
                             s->autostart ? " with autostart" : "");
                break;
        case STEP_START:
                r = asprintf(&d, "start %s (%s)", s->uuid, s->type);
                break;
        case STEP_CREATE:
                r = asprintf(&d, "create %s on %s%s%s%s", s->type, s->gpu,
                             s->persistent ? " (persistent" : " (transient",
                             s->autostart ? ", autostart)" : ")", s->uuid[0] ? "" : "");
                break;
        default:
                break;
        }
        return r < 0 ? NULL : d;
}

/* ---- the request -------------------------------------------------------------------------------------- */

typedef struct Request {
        bool dry_run, force;
} Request;

enum { OPT_DRY_RUN, OPT_FORCE };
static const BusOption apply_options[] = {[OPT_DRY_RUN] = {"dry_run", "b"}, [OPT_FORCE] = {"force", "b"}};

static int read_apply_option(sd_bus_message *m, size_t k, void *userdata, sd_bus_error *e) {
        Request *q = userdata;
        int b, r = sd_bus_message_read_basic(m, 'b', &b);
        if (r < 0)
                return r;
        if (k == OPT_DRY_RUN)
                q->dry_run = b;
        else
                q->force = b;
        return 0;
}

typedef struct EntryType {
        char *where, *name;
        uint32_t count;
} EntryType;

typedef struct Entry {
        char *where;
        char **devices; /* "all", indices as decimal, addresses or GPU ids */
        char **filters; /* "device-id:0xDDDDVVVV", "model:NAME" */
        EntryType *types;
        size_t n_types;
        int sriov_vfs; /* -1: not given */
        bool persistent, autostart;
        bool persistent_given, autostart_given;
        struct sched_quota quota;
} Entry;

static void entries_free(Entry *v, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(v[i].where);
                strv_free(v[i].devices);
                strv_free(v[i].filters);
                for (size_t k = 0; k < v[i].n_types; k++) {
                        free(v[i].types[k].where);
                        free(v[i].types[k].name);
                }
                free(v[i].types);
        }
        free(v);
}

enum { SET_SRIOV_VFS, SET_PERSISTENT, SET_AUTOSTART, SET_SHARE, SET_WEIGHT };
static const BusOption entry_settings[] = {
        [SET_SRIOV_VFS] = {"sriov_vfs", "u"}, [SET_PERSISTENT] = {"persistent", "b"},
        [SET_AUTOSTART] = {"autostart", "b"}, [SET_SHARE] = {"share", "u"},
        [SET_WEIGHT] = {"weight", "u"},
};

static int read_entry_setting(sd_bus_message *m, size_t k, void *userdata, sd_bus_error *e) {
        Entry *en = userdata;
        uint32_t u;
        int b, r;

        if (k == SET_PERSISTENT || k == SET_AUTOSTART) {
                r = sd_bus_message_read_basic(m, 'b', &b);
                if (r < 0)
                        return r;
                if (k == SET_PERSISTENT) {
                        en->persistent = b;
                        en->persistent_given = true;
                } else {
                        en->autostart = b;
                        en->autostart_given = true;
                }
                return 0;
        }
        r = sd_bus_message_read_basic(m, 'u', &u);
        if (r < 0)
                return r;
        if (k == SET_SRIOV_VFS) {
                if (u > 256)
                        return bus_error_setf(e, -EINVAL, SUBJECT_ARGUMENT,
                                              "%s: sriov-vfs %u is out of range", en->where, u);
                en->sriov_vfs = (int) u;
        } else if (k == SET_SHARE) {
                if (u == 0 || u > 100)
                        return bus_error_setf(e, -EINVAL, SUBJECT_ARGUMENT,
                                              "%s: a share is 1 to 100 (percent), not %u", en->where, u);
                en->quota.share = u;
        } else {
                if (u == 0)
                        return bus_error_setf(e, -EINVAL, SUBJECT_ARGUMENT, "%s: a weight is at least 1",
                                              en->where);
                en->quota.weight = u;
        }
        return 0;
}

static int read_strv(sd_bus_message *m, char ***ret) {
        const char *s;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "s");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read_basic(m, 's', &s)) > 0) {
                r = strv_extend(ret, s);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

#define APPLY_MAX_ENTRIES 1024U
#define APPLY_MAX_TYPES   256U

static int read_entries(sd_bus_message *m, Entry **ret, size_t *ret_n, sd_bus_error *e) {
        Entry *v = NULL;
        size_t n = 0;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(sasasa(ssu)a{sv})");
        if (r < 0)
                goto fail;
        while ((r = sd_bus_message_enter_container(m, 'r', "sasasa(ssu)a{sv}")) > 0) {
                const char *where;
                if (n >= APPLY_MAX_ENTRIES) {
                        r = bus_error_setf(e, -E2BIG, SUBJECT_ARGUMENT, "More than %u entries",
                                           APPLY_MAX_ENTRIES);
                        goto fail;
                }
                Entry *nv = realloc(v, (n + 1) * sizeof(*v));
                if (!nv) {
                        r = -ENOMEM;
                        goto fail;
                }
                v = nv;
                Entry *en = &v[n++];
                *en = (Entry){.sriov_vfs = -1, .persistent = true, .autostart = true};
                r = sd_bus_message_read_basic(m, 's', &where);
                if (r < 0)
                        goto fail;
                en->where = strdup(isempty(where) ? "entry" : where);
                if (!en->where) {
                        r = -ENOMEM;
                        goto fail;
                }
                r = read_strv(m, &en->devices);
                if (r >= 0)
                        r = read_strv(m, &en->filters);
                if (r < 0)
                        goto fail;
                r = sd_bus_message_enter_container(m, 'a', "(ssu)");
                if (r < 0)
                        goto fail;
                const char *tw, *name;
                uint32_t count;
                while ((r = sd_bus_message_read(m, "(ssu)", &tw, &name, &count)) > 0) {
                        if (en->n_types >= APPLY_MAX_TYPES || count > 4096) {
                                r = bus_error_setf(e, -E2BIG, SUBJECT_ARGUMENT, "%s: too many vGPUs", tw);
                                goto fail;
                        }
                        EntryType *tv = realloc(en->types, (en->n_types + 1) * sizeof(*tv));
                        if (!tv) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        en->types = tv;
                        tv[en->n_types] =
                                (EntryType){strdup(isempty(tw) ? en->where : tw), strdup(name), count};
                        if (!tv[en->n_types].where || !tv[en->n_types].name) {
                                free(tv[en->n_types].where);
                                free(tv[en->n_types].name);
                                r = -ENOMEM;
                                goto fail;
                        }
                        en->n_types++;
                }
                if (r < 0)
                        goto fail;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        goto fail;
                r = bus_read_options(m, entry_settings, ELEMENTSOF(entry_settings), read_entry_setting, en,
                                     e);
                if (r < 0)
                        goto fail;
                if (en->quota.share > 0 && en->quota.weight > 0) {
                        r = bus_error_setf(e, -EINVAL, SUBJECT_ARGUMENT,
                                           "%s: give a share or a weight, not both", en->where);
                        goto fail;
                }
                /* Both default to yes; transient instances have no autostart. */
                if (en->persistent_given && !en->persistent && !en->autostart_given)
                        en->autostart = false;
                if (en->autostart && !en->persistent) {
                        r = bus_error_setf(e, -EINVAL, SUBJECT_ARGUMENT,
                                           "%s: autostart needs persistent instances", en->where);
                        goto fail;
                }
                if (strv_length(en->devices) == 0) {
                        r = bus_error_setf(e, -EINVAL, SUBJECT_ARGUMENT, "%s: the entry selects no devices",
                                           en->where);
                        goto fail;
                }
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        goto fail;
        }
        if (r < 0)
                goto fail;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                goto fail;
        *ret = v;
        *ret_n = n;
        return 0;
fail:
        entries_free(v, n);
        return r;
}

/* ---- resolving against the host ----------------------------------------------------------------------- */

static int gpu_compare(const void *a, const void *b) {
        const GpuObject *x = *(GpuObject *const *) a, *y = *(GpuObject *const *) b;
        return strcmp(x->address, y->address);
}

/* The present GPUs in address order: what an index counts. */
static int present_gpus(Manager *m, GpuObject ***ret, size_t *ret_n) {
        size_t it = 0, n = 0;
        const char *k;
        void *v;
        GpuObject **list = calloc(strmap_size(m->gpus) + 1, sizeof(*list));

        if (!list)
                return -ENOMEM;
        while (strmap_iterate(m->gpus, &it, &k, &v)) {
                GpuObject *g = v;
                if (g->gpu)
                        list[n++] = g;
        }
        qsort(list, n, sizeof(*list), gpu_compare);
        *ret = list;
        *ret_n = n;
        return 0;
}

/* The type called name on this GPU (any alias), or NULL. */
static const struct vgpu_type *type_on_gpu(Manager *m, const char *name, const GpuObject *g) {
        _cleanup_(vgpu_error_clearp) struct vgpu_error err = {};
        _cleanup_free_ char *a = alias_normalize(name);
        struct vgpu_type_group *group = NULL;
        int r;

        if (!a)
                return NULL;
        r = type_resolve(m->host, name, &group, &err);
        for (size_t i = 0; i < m->host->n_groups; i++) {
                struct vgpu_type_group *cand = m->host->groups[i];
                if (r >= 0 && cand != group)
                        continue;
                for (size_t k = 0; k < cand->n_types; k++) {
                        const struct vgpu_type *t = cand->types[k];
                        if (!t->parent->gpu || !streq(t->parent->gpu->bdf, g->address))
                                continue;
                        /* a name ambiguous on the host may still be unique on this GPU */
                        if (r >= 0 || strv_contains(t->aliases, a) || streq_ptr(t->boardless_alias, a))
                                return t;
                }
        }
        return NULL;
}

static bool entry_has_types(const Entry *en) {
        for (size_t k = 0; k < en->n_types; k++)
                if (en->types[k].count > 0)
                        return true;
        return false;
}

static bool gpu_matches_filters(const Entry *en, const GpuObject *g, sd_bus_error *e, int *r) {
        for (char **f = en->filters; f && *f; f++) {
                if (startswith(*f, "model:")) {
                        if (!g->name || !strcasestr(g->name, *f + 6))
                                return false;
                } else if (startswith(*f, "device-id:")) {
                        unsigned long v;
                        char *end;
                        const char *s = *f + 10;
                        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
                                s += 2;
                        errno = 0;
                        v = strtoul(s, &end, 16);
                        if (errno || *end || end == s || v > 0xffffffffUL) {
                                *r = bus_error_setf(e, -EINVAL, SUBJECT_ARGUMENT,
                                                    "%s: invalid device-filter '%s'", en->where, *f + 10);
                                return false;
                        }
                        if ((v >> 16) != g->device_id || (v & 0xffff) != g->vendor_id)
                                return false;
                } else {
                        *r = bus_error_setf(e, -EINVAL, SUBJECT_ARGUMENT, "%s: unknown filter '%s'",
                                            en->where, *f);
                        return false;
                }
        }
        return true;
}

/* Which of the present GPUs the entry selects (sel[i]). devices: all with types selects the GPUs that offer
 * one of them (a configuration for A16 leaves the host's T4 alone), as an explicit list never would. */
static int entry_select(Manager *m, const Entry *en, GpuObject **gpus, size_t n, bool *sel,
                        sd_bus_error *e) {
        bool all = strv_contains(en->devices, "all");
        int r = 0;

        if (all && strv_length(en->devices) > 1)
                return bus_error_setf(e, -EINVAL, SUBJECT_ARGUMENT, "%s: 'all' and a list of devices",
                                      en->where);
        for (size_t i = 0; i < n; i++)
                sel[i] = all;
        if (!all)
                for (char **d = en->devices; d && *d; d++) {
                        char *end;
                        unsigned long idx;
                        errno = 0;
                        idx = strtoul(*d, &end, 10);
                        if (**d && !*end && !errno) {
                                if (idx >= n)
                                        return bus_error_setf(
                                                e, -ENODEV, SUBJECT_GPU,
                                                "%s: no GPU with index %lu: this host has %zu (0 to %zu, in "
                                                "PCI address order, as 'vgpuctl gpus' lists them)",
                                                en->where, idx, n, n ? n - 1 : 0);
                                sel[idx] = true;
                                continue;
                        }
                        GpuObject *g = manager_find_gpu(m, *d);
                        size_t k;
                        for (k = 0; k < n && gpus[k] != g; k++)
                                ;
                        if (!g || k == n)
                                return bus_error_setf(
                                        e, -ENODEV, SUBJECT_GPU,
                                        "%s: no GPU '%s' on this host ('vgpuctl gpus' lists them)",
                                        en->where, *d);
                        sel[k] = true;
                }
        for (size_t i = 0; i < n; i++) {
                if (!sel[i])
                        continue;
                sel[i] = gpu_matches_filters(en, gpus[i], e, &r);
                if (r < 0)
                        return r;
                if (sel[i] && all && entry_has_types(en) && en->sriov_vfs < 0) {
                        bool offers = false;
                        for (size_t k = 0; k < en->n_types && !offers; k++)
                                offers = type_on_gpu(m, en->types[k].name, gpus[i]) != NULL;
                        sel[i] = offers;
                }
                if (sel[i] && all && en->sriov_vfs >= 0)
                        sel[i] = gpus[i]->gpu->sriov.capable;
        }
        return 0;
}

/* ---- the plan ----------------------------------------------------------------------------------------- */

typedef struct Want {
        const EntryType *et;
        const char *type_id; /* on this GPU; NULL until its VFs exist (SR-IOV change first) */
        unsigned left;
} Want;

static int existing_compare(const void *a, const void *b) {
        const Instance *x = *(Instance *const *) a, *y = *(Instance *const *) b;
        /* Kept first: what a domain holds, then what is on the host, then by UUID (a stable plan). */
        int ox = instance_owner(x) != NULL, oy = instance_owner(y) != NULL;
        if (ox != oy)
                return oy - ox;
        if (!!x->live != !!y->live)
                return !!y->live - !!x->live;
        return strcmp(x->uuid, y->uuid);
}

static bool quota_fits(const Instance *i, const Entry *en) {
        struct sched_quota q = instance_quota(i);
        if (en->quota.share == 0 && en->quota.weight == 0)
                return true;
        return q.share == en->quota.share && q.weight == en->quota.weight;
}

/* What the plan calls an instance's type: its vendor name ("NVIDIA A16-4Q") where there is one. */
static const char *type_label(const Instance *i) {
        if (i->live && i->live->type && i->live->type->name)
                return i->live->type->name;
        if (i->record && i->record->type_name)
                return i->record->type_name;
        return strna(instance_type_id(i));
}

static int plan_destroy(ApplyTx *tx, Instance *i, const Request *q, struct strbuf *held) {
        Step *s = add_step(tx, STEP_DESTROY, instance_gpu_address(i));
        int r;

        if (!s)
                return -ENOMEM;
        memcpy(s->uuid, i->uuid, sizeof(s->uuid));
        s->type = strdup(type_label(i));
        if (!s->type)
                return -ENOMEM;
        if (instance_owner(i) && i->live) {
                if (!q->force)
                        strbuf_appendf(held, "%s%s (%s, domain %s)", held->len ? "; " : "", i->uuid, s->type,
                                       instance_owner(i));
                s->force = true;
                s->owner = strdup(instance_owner(i));
                if (!s->owner)
                        return -ENOMEM;
        }
        /* What a rollback makes again: its record, or for a device made outside vgpud a transient one. */
        s->was_live = i->live != NULL;
        if (i->record)
                r = record_copy(i->record, &s->saved);
        else if (i->live && i->live->type_id)
                r = record_new(i->uuid, i->live->backend, i->live->type_id, &s->saved);
        else
                r = 0;
        if (r < 0)
                return r;
        if (s->saved && i->live) {
                if (i->live->parent_name) {
                        free(s->saved->parent);
                        if (!(s->saved->parent = strdup(i->live->parent_name)))
                                return -ENOMEM;
                }
                if (!s->saved->gpu[0] && i->live->gpu)
                        snprintf(s->saved->gpu, sizeof(s->saved->gpu), "%s", i->live->gpu->bdf);
        }
        return 0;
}

/* Plan one GPU: keep what fits, destroy the rest, SR-IOV, create what is missing. The destroys and SR-IOV
 * changes go to pre (they run before any create), the rest to tx in order. */
static int plan_gpu(Manager *m, ApplyTx *tx, ApplyTx *pre, const Entry *en, GpuObject *g, const Request *q,
                    struct strbuf *held, sd_bus_error *e) {
        _cleanup_free_ Want *want = calloc(en->n_types + 1, sizeof(Want));
        _cleanup_free_ Instance **have = NULL;
        size_t n_have = 0, it = 0;
        const char *k;
        void *v;
        int r;

        if (!want)
                return -ENOMEM;
        bool sriov_change = en->sriov_vfs >= 0 && (unsigned) en->sriov_vfs != g->gpu->sriov.num_vfs;
        if (en->sriov_vfs >= 0 &&
            (!g->gpu->sriov.capable || (unsigned) en->sriov_vfs > g->gpu->sriov.total_vfs))
                return bus_error_setf(e, g->gpu->sriov.capable ? -ERANGE : -EOPNOTSUPP, SUBJECT_ARGUMENT,
                                      "%s: GPU %s %s", en->where, g->address,
                                      g->gpu->sriov.capable ? "has fewer VFs than sriov-vfs asks"
                                                            : "has no SR-IOV");
        have = calloc(strmap_size(m->instances) + 1, sizeof(*have));
        if (!have)
                return -ENOMEM;
        while (strmap_iterate(m->instances, &it, &k, &v)) {
                Instance *i = v;
                if (!i->published || !streq_ptr(instance_gpu_address(i), g->address))
                        continue;
                if (!i->live && !instance_persistent(i))
                        continue;
                if (i->pending > 0)
                        return bus_error_setf(
                                e, -EALREADY, SUBJECT_INSTANCE,
                                "Another operation on instance %s is in progress; apply again when "
                                "it is done",
                                i->uuid);
                have[n_have++] = i;
        }
        qsort(have, n_have, sizeof(*have), existing_compare);

        for (size_t t = 0; t < en->n_types; t++) {
                const EntryType *et = &en->types[t];
                for (size_t o = 0; o < t; o++)
                        if (want[o].type_id && type_on_gpu(m, et->name, g) &&
                            streq(want[o].type_id, type_on_gpu(m, et->name, g)->id))
                                return bus_error_setf(e, -EINVAL, SUBJECT_ARGUMENT,
                                                      "%s: %s is the same type as %s in this entry",
                                                      et->where, et->name, want[o].et->name);
                const struct vgpu_type *ty = type_on_gpu(m, et->name, g);
                want[t] = (Want){.et = et, .type_id = ty ? ty->id : NULL, .left = et->count};
                /* With a change of the VF count the types appear with the VFs, and vendor-specific VFIO
                 * offers a GPU's other types only once the vGPUs there are gone: then checked when created.
                 */
                if (!ty && !sriov_change && n_have == 0 && et->count > 0)
                        return bus_error_setf(
                                e, -ENOENT, SUBJECT_TYPE,
                                "%s: GPU %s does not offer %s ('vgpuctl types --gpu %s' lists what "
                                "it offers)",
                                et->where, g->address, et->name, g->address);
        }

        for (size_t h = 0; h < n_have; h++) {
                Instance *i = have[h];
                const char *tid = instance_type_id(i);
                Want *w = NULL;
                for (size_t t = 0; t < en->n_types && !sriov_change; t++)
                        if (want[t].left > 0 && want[t].type_id && streq_ptr(want[t].type_id, tid)) {
                                w = &want[t];
                                break;
                        }
                /* A definition that is not on the host fits only as a definition (persistent). */
                if (w && (!quota_fits(i, en) || (!i->live && !en->persistent)))
                        w = NULL;
                if (!w) {
                        r = plan_destroy(pre, i, q, held);
                        if (r < 0)
                                return r;
                        continue;
                }
                w->left--;
                Step *s = add_step(tx, STEP_KEEP, g->address);
                if (!s || !(s->type = strdup(type_label(i))))
                        return -ENOMEM;
                memcpy(s->uuid, i->uuid, sizeof(s->uuid));
                if (!i->record || instance_persistent(i) != en->persistent ||
                    instance_autostart(i) != en->autostart) {
                        s = add_step(tx, STEP_DEFINE, g->address);
                        if (!s || !(s->type = strdup(type_label(i))))
                                return -ENOMEM;
                        memcpy(s->uuid, i->uuid, sizeof(s->uuid));
                        s->persistent = en->persistent;
                        s->autostart = en->autostart;
                        if (i->record && record_copy(i->record, &s->saved) < 0)
                                return -ENOMEM;
                }
                if (!i->live) {
                        s = add_step(tx, STEP_START, g->address);
                        if (!s || !(s->type = strdup(type_label(i))))
                                return -ENOMEM;
                        memcpy(s->uuid, i->uuid, sizeof(s->uuid));
                }
        }
        if (sriov_change) {
                Step *s = add_step(pre, STEP_SRIOV, g->address);
                if (!s)
                        return -ENOMEM;
                s->num_vfs = (unsigned) en->sriov_vfs;
                s->old_vfs = g->gpu->sriov.num_vfs;
        }
        for (size_t t = 0; t < en->n_types; t++)
                for (unsigned c = 0; c < want[t].left; c++) {
                        Step *s = add_step(tx, STEP_CREATE, g->address);
                        if (!s || !(s->type = strdup(want[t].et->name)) ||
                            !(s->where = strdup(want[t].et->where)))
                                return -ENOMEM;
                        s->persistent = en->persistent;
                        s->autostart = en->autostart;
                        s->quota = en->quota;
                }
        return 0;
}

/* The steps of pre, then those of tx: pre's move to the front. */
static int prepend_steps(ApplyTx *tx, ApplyTx *pre) {
        Step *v = calloc(tx->n_steps + pre->n_steps + 1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        if (pre->n_steps > 0)
                memcpy(v, pre->steps, pre->n_steps * sizeof(*v));
        if (tx->n_steps > 0)
                memcpy(v + pre->n_steps, tx->steps, tx->n_steps * sizeof(*v));
        free(tx->steps);
        free(pre->steps);
        tx->steps = v;
        tx->n_steps += pre->n_steps;
        pre->steps = NULL;
        pre->n_steps = 0;
        return 0;
}

static int make_plan(Manager *m, ApplyTx *tx, const Entry *entries, size_t n_entries, const Request *q,
                     sd_bus_error *e) {
        _cleanup_free_ GpuObject **gpus = NULL;
        _cleanup_free_ bool *sel = NULL;
        _cleanup_free_ const Entry **owner = NULL;
        _cleanup_(apply_freep) ApplyTx *pre = calloc(1, sizeof(ApplyTx));
        _cleanup_(strbuf_done) struct strbuf held = {};
        size_t n = 0;
        int r;

        if (!pre)
                return -ENOMEM;
        r = present_gpus(m, &gpus, &n);
        if (r < 0)
                return r;
        sel = calloc(n + 1, sizeof(*sel));
        owner = calloc(n + 1, sizeof(*owner));
        if (!sel || !owner)
                return -ENOMEM;
        for (size_t x = 0; x < n_entries; x++) {
                const Entry *en = &entries[x];
                bool any = false;
                r = entry_select(m, en, gpus, n, sel, e);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < n; i++) {
                        if (!sel[i])
                                continue;
                        any = true;
                        if (owner[i])
                                return bus_error_setf(
                                        e, -EINVAL, SUBJECT_ARGUMENT,
                                        "%s: GPU %s is also selected by the entry at %s; an entry "
                                        "must say everything about the GPUs it selects",
                                        en->where, gpus[i]->address, owner[i]->where);
                        owner[i] = en;
                }
                if (!any)
                        return bus_error_setf(e, -ENODEV, SUBJECT_GPU,
                                              "%s: this entry selects no GPU on this host%s", en->where,
                                              entry_has_types(en) ? " (none offers its types)" : "");
        }
        for (size_t i = 0; i < n; i++) {
                if (!owner[i])
                        continue;
                r = plan_gpu(m, tx, pre, owner[i], gpus[i], q, &held, e);
                if (r < 0)
                        return r;
        }
        if (held.oom)
                return -ENOMEM;
        if (held.len > 0)
                return bus_error_setf(
                        e, -EBUSY, SUBJECT_INSTANCE,
                        "The desired state has no place for instances that running domains hold: "
                        "%s. Shut those domains down, change the file, or apply with --force",
                        held.s);
        return prepend_steps(tx, pre);
}

/* ---- carrying it out ---------------------------------------------------------------------------------- */

static void run_next(ApplyTx *tx);

static bool changes_anything(const ApplyTx *tx) {
        for (size_t i = 0; i < tx->n_steps; i++)
                if (tx->steps[i].kind != STEP_KEEP)
                        return true;
        return false;
}

static int reply_plan(ApplyTx *tx, sd_bus_message *call) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(call, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "b", changes_anything(tx));
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(ssss)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < tx->n_steps; i++) {
                const Step *s = &tx->steps[i];
                _cleanup_free_ char *d = step_describe(s);
                if (!d)
                        return -ENOMEM;
                r = sd_bus_message_append(reply, "(ssss)", step_names[s->kind], s->gpu, s->uuid, d);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static void finish(ApplyTx *tx) {
        Manager *m = tx->manager;
        _cleanup_(apply_freep) ApplyTx *owned = tx;

        m->apply = NULL;
        if (tx->error >= 0) {
                log_info("Apply: done, %zu step(s).", tx->n_steps);
                if (tx->call && reply_plan(tx, tx->call) < 0)
                        (void) sd_bus_reply_method_errno(tx->call, ENOMEM, NULL);
                return;
        }
        _cleanup_free_ char *what = step_describe(&tx->steps[tx->failed]);
        _cleanup_free_ char *undo = strbuf_steal(&tx->undo_errors);
        _cleanup_free_ char *msg = NULL;
        size_t n_changes = 0, nth = 0;
        for (size_t i = 0; i < tx->n_steps; i++)
                if (tx->steps[i].kind != STEP_KEEP) {
                        n_changes++;
                        if (i <= tx->failed)
                                nth = n_changes;
                }
        if (isempty(undo))
                (void) asprintf(
                        &msg,
                        "Step %zu of %zu failed (%s): %s. Rolled back: %u step(s) undone, the host is as "
                        "it was.",
                        nth, n_changes, strna(what), strna(tx->error_message), tx->undone);
        else
                (void) asprintf(
                        &msg,
                        "Step %zu of %zu failed (%s): %s. The rollback is incomplete (%u step(s) undone): "
                        "%s",
                        nth, n_changes, strna(what), strna(tx->error_message), tx->undone, undo);
        log_warning("Apply: %s", strna(msg));
        if (tx->call) {
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
                if (tx->error_name)
                        (void) sd_bus_error_set(&e, tx->error_name, msg ?: "Apply failed");
                else
                        (void) bus_error_setf(&e, tx->error, SUBJECT_HOST, "%s", msg ?: "Apply failed");
                (void) sd_bus_reply_method_error(tx->call, &e);
        }
}

static void step_failed(ApplyTx *tx, int r, const char *name, const char *message) {
        tx->failed = tx->current;
        tx->steps[tx->current].done = false;
        tx->error = r;
        tx->error_name = name ? strdup(name) : NULL;
        tx->error_message = strdup(message ?: strerror(-r));
        tx->rolling_back = true;
        /* undo from the step before the failed one */
        run_next(tx);
}

static void undo_failed(ApplyTx *tx, const char *message) {
        _cleanup_free_ char *what = step_describe(&tx->steps[tx->current]);
        strbuf_appendf(&tx->undo_errors, "%sundoing '%s' failed: %s", tx->undo_errors.len ? "; " : "",
                       strna(what), strna(message));
}

/* The result of the step in flight (or of its undo). */
static void step_result(ApplyTx *tx, int r, const char *name, const char *message) {
        Step *s = &tx->steps[tx->current];

        if (tx->abandoned)
                return;
        if (!tx->rolling_back) {
                if (r < 0)
                        return step_failed(tx, r, name, message);
                s->done = true;
                tx->current++;
        } else {
                if (r < 0)
                        undo_failed(tx, message);
                else
                        tx->undone++;
                s->done = false;
        }
        run_next(tx);
}

static void on_operation_done(Operation *op, int r) {
        ApplyTx *tx = op->manager->apply;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

        if (!tx)
                return;
        if (r < 0)
                operation_error(op, r, &e);
        step_result(tx, r, e.name, e.message);
}

static void on_sriov_done(Manager *m, const char *address, int r, const char *message) {
        if (m->apply)
                step_result(m->apply, r, r < 0 ? bus_error_name_for(r, SUBJECT_HOST) : NULL, message);
}

/* A create step: planned now, on the host as the steps before left it (the create planner, planner.h),
 * with the name as the file wrote it, on the step's GPU. */
static int start_create(ApplyTx *tx, Step *s, char **ret_error) {
        Manager *m = tx->manager;
        _cleanup_(plan_done) struct plan plan = {};
        _cleanup_(record_freep) struct vgpu_record *rec = NULL;
        sd_id128_t id;
        int r;

        /* Placement reads the numbers the step before changed: fresh ones. */
        if (refresher_pending(m->refresher))
                refresher_flush(m->refresher);
        r = sd_id128_randomize(&id);
        if (r < 0)
                return r;
        snprintf(s->uuid, sizeof(s->uuid), SD_ID128_UUID_FORMAT_STR, SD_ID128_FORMAT_VAL(id));
        GpuObject *g = manager_find_gpu(m, s->gpu);
        const struct vgpu_type *t = g && g->gpu ? type_on_gpu(m, s->type, g) : NULL;
        /* The planner's questions answered as for CreateInstance (lifecycle.h). */
        PlanContext pc = {.manager = m};
        struct plan_env env = plan_env_for(&pc);
        struct plan_request req = {
                .action = PLAN_CREATE,
                .uuid = s->uuid,
                /* a name ambiguous on the host but unique on this GPU: its raw id there */
                .type = t ? t->id : s->type,
                .gpu = s->gpu,
                .gpu_known = true,
                .placement = m->config->placement_policy,
                .quota = s->quota,
        };
        r = plan_instance(&env, &req, &plan);
        if (r < 0) {
                if (plan.reason)
                        *ret_error = TAKE_PTR(plan.reason);
                else
                        (void) asprintf(ret_error, "%s: cannot place %s on %s", strna(s->where), s->type,
                                        s->gpu);
                return r;
        }
        if (plan.wait)
                /* Creates of another client in flight on this GPU may take the room: not this apply's to
                 * wait for. */
                return asprintf(ret_error, "creates of another client are in flight on %s", s->gpu) < 0
                               ? -ENOMEM
                               : -EBUSY;
        r = record_new(s->uuid, plan.type->backend, plan.type->id, &rec);
        if (r < 0)
                return r;
        rec->persistent = s->persistent;
        rec->autostart = s->autostart;
        rec->origin = RECORD_ORIGIN_VGPUD;
        if (s->quota.share > 0)
                rec->quota.share = (int) s->quota.share;
        if (s->quota.weight > 0)
                rec->quota.weight = (int) s->quota.weight;
        if ((plan.type->name && !(rec->type_name = strdup(plan.type->name))) ||
            !(rec->parent = strdup(plan.parent)))
                return -ENOMEM;
        snprintf(rec->gpu, sizeof(rec->gpu), "%s", plan.gpu ?: s->gpu);
        return lifecycle_queue_create_record(m, rec, plan.host_step, on_operation_done, tx);
}

static int start_define(ApplyTx *tx, Step *s, const struct vgpu_record *to, char **ret_error) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        Instance *i = manager_find_instance(tx->manager, s->uuid);
        int r;

        if (!i)
                return asprintf(ret_error, "instance %s is gone", s->uuid) < 0 ? -ENOMEM : -ENOENT;
        if (i->pending > 0)
                return asprintf(ret_error, "another operation on %s is in progress", s->uuid) < 0
                               ? -ENOMEM
                               : -EALREADY;
        r = lifecycle_record_change(i, NULL, to, on_operation_done, &e);
        if (r < 0 && e.message)
                *ret_error = strdup(e.message);
        return r;
}

/* The record a kept instance gets: its own (or what it is now, when made outside vgpud) with the
 * persistence asked for. */
static int define_record(ApplyTx *tx, const Step *s, struct vgpu_record **ret) {
        Instance *i = manager_find_instance(tx->manager, s->uuid);
        _cleanup_(record_freep) struct vgpu_record *new = NULL;
        int r;

        if (!i)
                return -ENOENT;
        if (i->record)
                r = record_copy(i->record, &new);
        else if (i->live && i->live->type_id) {
                r = record_new(i->uuid, i->live->backend, i->live->type_id, &new);
                if (r >= 0 && i->live->parent_name && !(new->parent = strdup(i->live->parent_name)))
                        r = -ENOMEM;
                if (r >= 0 && i->live->type && i->live->type->name &&
                    !(new->type_name = strdup(i->live->type->name)))
                        r = -ENOMEM;
                if (r >= 0 && i->live->gpu)
                        snprintf(new->gpu, sizeof(new->gpu), "%s", i->live->gpu->bdf);
        } else
                return -ENOENT;
        if (r < 0)
                return r;
        new->persistent = s->persistent;
        new->autostart = s->autostart;
        new->origin = RECORD_ORIGIN_VGPUD;
        *ret = TAKE_PTR(new);
        return 0;
}

static int start_step(ApplyTx *tx, Step *s, char **ret_error) {
        Manager *m = tx->manager;
        Instance *i;
        int r;

        switch (s->kind) {
        case STEP_CREATE:
                return start_create(tx, s, ret_error);
        case STEP_DESTROY:
                i = manager_find_instance(m, s->uuid);
                if (!i)
                        return asprintf(ret_error, "instance %s is gone", s->uuid) < 0 ? -ENOMEM : -ENOENT;
                return lifecycle_queue_destroy(i, !s->force, on_operation_done, tx);
        case STEP_SRIOV: {
                GpuObject *g = manager_find_gpu(m, s->gpu);
                if (!g)
                        return -ENODEV;
                return sriov_change(g, s->num_vfs, on_sriov_done, ret_error);
        }
        case STEP_DEFINE: {
                _cleanup_(record_freep) struct vgpu_record *new = NULL;
                r = define_record(tx, s, &new);
                if (r < 0)
                        return r;
                return start_define(tx, s, new, ret_error);
        }
        case STEP_START:
                i = manager_find_instance(m, s->uuid);
                if (!i)
                        return -ENOENT;
                return lifecycle_queue_start(i, on_operation_done, NULL, ret_error);
        default:
                return -EINVAL;
        }
}

static int undo_queue(ApplyTx *tx, Step *s, char **ret_error) {
        Manager *m = tx->manager;
        Instance *i;

        switch (s->kind) {
        case STEP_CREATE:
                i = manager_find_instance(m, s->uuid);
                if (!i)
                        return 0; /* already gone */
                return lifecycle_queue_destroy(i, true, on_operation_done, tx);
        case STEP_DESTROY:
                if (!s->saved)
                        return -ENODATA;
                return lifecycle_queue_create_record(m, s->saved, s->was_live, on_operation_done, tx);
        case STEP_SRIOV: {
                GpuObject *g = manager_find_gpu(m, s->gpu);
                if (!g)
                        return -ENODEV;
                return sriov_change(g, s->old_vfs, on_sriov_done, ret_error);
        }
        case STEP_DEFINE:
                return start_define(tx, s, s->saved, ret_error);
        case STEP_START:
                i = manager_find_instance(m, s->uuid);
                if (!i)
                        return 0;
                return lifecycle_queue_stop(i, true, on_operation_done, NULL);
        default:
                return 0;
        }
}

/* 1: queued, its completion goes on; 0: nothing to undo; < 0: cannot. */
static int undo_step(ApplyTx *tx, Step *s, char **ret_error) {
        if ((s->kind == STEP_CREATE || s->kind == STEP_START) &&
            !manager_find_instance(tx->manager, s->uuid))
                return 0; /* already gone */
        int r = undo_queue(tx, s, ret_error);
        return r < 0 ? r : 1;
}

static void run_next(ApplyTx *tx) {
        for (;;) {
                _cleanup_free_ char *why = NULL;
                int r;

                if (tx->abandoned)
                        return;
                if (!tx->rolling_back) {
                        while (tx->current < tx->n_steps && tx->steps[tx->current].kind == STEP_KEEP)
                                tx->current++;
                        if (tx->current >= tx->n_steps)
                                return finish(tx);
                        Step *s = &tx->steps[tx->current];
                        _cleanup_free_ char *d = step_describe(s);
                        log_info("Apply: %s", strna(d));
                        r = start_step(tx, s, &why);
                        if (r >= 0)
                                return; /* its completion goes on */
                        tx->failed = tx->current;
                        tx->error = r;
                        tx->error_name = bus_error_name_for(r, SUBJECT_ARGUMENT)
                                                 ? strdup(bus_error_name_for(r, SUBJECT_ARGUMENT))
                                                 : NULL;
                        tx->error_message = strdup(why ?: strerror(-r));
                        tx->rolling_back = true;
                        continue;
                }
                /* Undo what was done, last first: tx->current walks down from the failed step. */
                while (tx->current > 0 && !tx->steps[tx->current - 1].done)
                        tx->current--;
                if (tx->current == 0)
                        return finish(tx);
                tx->current--;
                Step *s = &tx->steps[tx->current];
                _cleanup_free_ char *d = step_describe(s);
                log_info("Apply: undoing: %s", strna(d));
                r = undo_step(tx, s, &why);
                if (r > 0)
                        return; /* queued: its completion goes on */
                if (r < 0)
                        undo_failed(tx, why ?: strerror(-r));
                else
                        tx->undone++;
                s->done = false;
        }
}

/* ---- Manager.Apply ------------------------------------------------------------------------------------ */

int bus_manager_apply(sd_bus_message *call, void *userdata, sd_bus_error *e) {
        Manager *m = userdata;
        _cleanup_(apply_freep) ApplyTx *tx = NULL;
        Entry *entries = NULL;
        size_t n_entries = 0;
        Request q = {};
        int r;

        /* The options first (a dry run changes nothing: anyone may ask what an apply would do, as
         * ExplainPlacement), then authorization, and only then the entries: an outsider learns nothing about
         * what it sent. */
        r = sd_bus_message_skip(call, "a(sasasa(ssu)a{sv})");
        if (r < 0)
                return r;
        _cleanup_(sd_bus_error_free) sd_bus_error options_error = SD_BUS_ERROR_NULL;
        int ro = bus_read_options(call, apply_options, ELEMENTSOF(apply_options), read_apply_option, &q,
                                  &options_error);
        if (ro < 0 || !q.dry_run) {
                r = bus_authorize(call, m->config->admin_group, e);
                if (r < 0)
                        return r;
        }
        if (ro < 0) {
                (void) sd_bus_error_copy(e, &options_error);
                return ro;
        }
        r = sd_bus_message_rewind(call, true);
        if (r < 0)
                return r;
        r = read_entries(call, &entries, &n_entries, e);
        if (r < 0)
                return r;
        if (n_entries == 0) {
                r = bus_error_setf(e, -EINVAL, SUBJECT_ARGUMENT, "The desired state has no entries");
                goto out;
        }
        if (m->apply && !q.dry_run) {
                r = bus_error_setf(
                        e, -EALREADY, SUBJECT_ARGUMENT,
                        "Another apply is in progress; this one was planned against a host that one "
                        "is changing: apply again when it is done");
                goto out;
        }
        tx = calloc(1, sizeof(*tx));
        if (!tx) {
                r = -ENOMEM;
                goto out;
        }
        tx->manager = m;
        /* The plan reads availability: the numbers of the host as it is now. */
        if (refresher_pending(m->refresher))
                refresher_flush(m->refresher);
        r = make_plan(m, tx, entries, n_entries, &q, e);
        if (r < 0)
                goto out;
        if (q.dry_run || !changes_anything(tx)) {
                r = reply_plan(tx, call);
                if (r >= 0)
                        r = 1;
                goto out;
        }
        tx->call = sd_bus_message_ref(call);
        tx->error = 0;
        m->apply = TAKE_PTR(tx);
        run_next(m->apply);
        r = 1;
out:
        entries_free(entries, n_entries);
        return r;
}

void manager_apply_abandon(Manager *m) {
        if (m->apply)
                m->apply->abandoned = true;
}

void manager_apply_free(Manager *m) {
        m->apply = apply_free(m->apply);
}
