/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of sched.h: the scheduling model (settings, admission, what the GPU shows, the engine
 * hook). Its D-Bus methods and properties are in bus-sched.c; sched-internal.h is what they share. */
#include <math.h>

#include "auth.h"
#include "backend.h"
#include "bus-error.h"
#include "bus-names.h"
#include "bus-options.h"
#include "config-file.h"
#include "gpu.h"
#include "hashmap.h"
#include "host.h"
#include "instance.h"
#include "lifecycle.h"
#include "log.h"
#include "manager.h"
#include "operation.h"
#include "sched-internal.h"
#include "sched-store.h"
#include "sched.h"
#include "vendor.h"

void gpu_sched_free(GpuSched *s) {
        if (!s)
                return;
        quota_rendering_done(&s->rendering);
        for (size_t i = 0; i < _SHOWN_MAX; i++)
                free(s->shown[i]);
        free(s->pushed);
        free(s);
}

/* ---- vendors and quotas ----------------------------------------------------------------------------------
 */

enum sched_vendor sched_vendor_of_type(const struct vgpu_type *t) {
        if (!t)
                return SCHED_VENDOR_GENERIC;
        /* The backend's say first (rpc, nvidia-vfio, AMD's VFs), then the type's vendor rules. */
        const struct backend_ops *b = backend_get(t->backend);
        enum sched_vendor v = b && b->sched_vendor ? b->sched_vendor(t) : _SCHED_VENDOR_INVALID;
        if (v >= 0)
                return v;
        if (t->vendor && streq(t->vendor->name, "nvidia"))
                return SCHED_VENDOR_NVIDIA;
        if (t->vendor && streq(t->vendor->name, "gvtg"))
                return SCHED_VENDOR_GVTG;
        return SCHED_VENDOR_GENERIC;
}

static enum sched_vendor gpu_vendor(GpuObject *g) {
        struct vgpu_parent *parents[GPU_PARENTS_MAX];
        size_t n = gpu_object_parents(g, parents, ELEMENTSOF(parents));

        for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < parents[i]->n_types; k++) {
                        enum sched_vendor v = sched_vendor_of_type(parents[i]->types[k]);
                        if (v != SCHED_VENDOR_GENERIC)
                                return v;
                }
        if (!g->gpu)
                return SCHED_VENDOR_GENERIC;
        if (g->gpu->vendor_id == 0x10de && g->gpu->nvidia_vfio)
                return SCHED_VENDOR_NVIDIA;
        for (char **vf = g->gpu->sriov.vfs; vf && *vf; vf++) {
                const struct vgpu_gpu *d = host_find_gpu(g->manager->host, *vf);
                if (d && d->nvidia_vfio)
                        return SCHED_VENDOR_NVIDIA;
        }
        if (g->gpu->vendor_id == 0x1002 && g->gpu->sriov.capable)
                return SCHED_VENDOR_AMD;
        return SCHED_VENDOR_GENERIC;
}

struct sched_quota instance_quota(const Instance *i) {
        struct sched_quota q = {};

        if (i->record && i->record->quota.share > 0)
                q.share = (unsigned) i->record->quota.share;
        if (i->record && i->record->quota.weight > 0)
                q.weight = (unsigned) i->record->quota.weight;
        return q;
}

static void quota_type_from(const struct vgpu_type *t, struct quota_type *ret) {
        *ret = (struct quota_type){
                .id = t->id,
                .name = t->name,
                .framebuffer_mib = t->framebuffer_mb,
                .max_instances = t->max_instances,
                .weight = t->weight,
                .mig = t->mig,
        };
}

/* The library's type of an instance: the live one's, else its definition's on its parent. */
const struct vgpu_type *instance_vgpu_type(const Instance *i) {
        if (i->live)
                return i->live->type;
        const char *parent = instance_parent(i), *id = instance_type_id(i);
        struct vgpu_parent *p = parent ? host_find_parent(i->manager->host, parent) : NULL;
        return p && id ? parent_find_type(p, id) : NULL;
}

int instance_share(const Instance *i) {
        return (int) instance_quota(i).share;
}

int instance_weight(const Instance *i) {
        struct sched_quota q = instance_quota(i);
        const struct vgpu_type *t;

        if (q.weight > 0 || q.share > 0)
                return (int) q.weight;
        /* Where the vendor fixes the weight by type (GVT-g), that is the weight it has. */
        t = instance_vgpu_type(i);
        if (!t)
                return 0;
        struct quota_type qt;
        struct quota_gpu g = {.vendor = sched_vendor_of_type(t)};
        quota_type_from(t, &qt);
        quota_default_quota(&g, &qt, &q);
        return (int) q.weight;
}

double instance_measured_share(const Instance *i) {
        if (!i->usage_valid || !i->live)
                return -1;
        return quota_measured_share(sched_vendor_of_type(i->live->type), i->usage_busy_ns,
                                    i->usage_elapsed_ns);
}

const char *instance_measured_share_string(const Instance *i, char buf[static 16]) {
        return quota_format_share(instance_measured_share(i), buf);
}

void instance_report_usage(Instance *i, uint64_t busy_ns, uint64_t elapsed_ns) {
        i->usage_valid = elapsed_ns > 0;
        i->usage_busy_ns = busy_ns;
        i->usage_elapsed_ns = elapsed_ns;
}

/* ---- the GPU as quota.h sees it
 * ---------------------------------------------------------------------------- */

void sched_view_done(SchedView *v) {
        free(v->inst);
        free(v->types);
        free(v->objs);
        *v = (SchedView){};
}

static void view_add(SchedView *v, Instance *i, const struct vgpu_type *t) {
        size_t k = v->n;

        if (k >= v->cap)
                return;
        for (size_t j = 0; j < k; j++)
                if (v->objs[j] == i)
                        return; /* a start in flight of an instance counted already */
        quota_type_from(t, &v->types[k]);
        v->objs[k] = i;
        struct sched_quota q = i->has_pending_quota ? i->pending_quota : instance_quota(i);
        if (q.share == 0 && q.weight == 0)
                quota_default_quota(&v->gpu, &v->types[k], &q);
        v->inst[k] = (struct quota_instance){.uuid = i->uuid, .type = &v->types[k], .quota = q};
        v->n++;
}

/* The instances that compete for g's engines: those on the host, and the creates and starts in flight
 * there (they are not on the host yet, but will be). */
int sched_view_build(Manager *m, GpuObject *g, enum sched_vendor vendor, SchedView *v) {
        size_t it = 0, n_creates = 0;
        const char *key;
        void *val;

        for (Operation *op = m->creates; op; op = op->next_create)
                n_creates++;
        *v = (SchedView){.gpu = {.address = g->address, .vendor = vendor}};
        v->cap = strmap_size(m->instances) + n_creates;
        v->inst = calloc(v->cap ?: 1, sizeof(*v->inst));
        v->types = calloc(v->cap ?: 1, sizeof(*v->types));
        v->objs = calloc(v->cap ?: 1, sizeof(*v->objs));
        if (!v->inst || !v->types || !v->objs) {
                sched_view_done(v);
                return -ENOMEM;
        }
        while (strmap_iterate(m->instances, &it, &key, &val)) {
                Instance *i = val;
                if (i->live && i->live->type && streq_ptr(instance_gpu_address(i), g->address))
                        view_add(v, i, i->live->type);
        }
        for (Operation *op = m->creates; op; op = op->next_create) {
                struct vgpu_parent *p = op->parent ? host_find_parent(m->host, op->parent) : NULL;
                const struct vgpu_type *t = p && op->type_id ? parent_find_type(p, op->type_id) : NULL;
                Instance *i = op->instance;
                if (!t || !i || i->live || !p->gpu || !streq(p->gpu->bdf, g->address))
                        continue;
                /* A create's record is installed when it completes: until then its quota is the plan's. */
                if (!i->record && !i->has_pending_quota && op->new_record) {
                        struct sched_quota q = {};
                        if (op->new_record->quota.share > 0)
                                q.share = (unsigned) op->new_record->quota.share;
                        if (op->new_record->quota.weight > 0)
                                q.weight = (unsigned) op->new_record->quota.weight;
                        size_t k = v->n;
                        view_add(v, i, t);
                        if (v->n > k && (q.share || q.weight))
                                v->inst[k].quota = q;
                } else
                        view_add(v, i, t);
        }
        v->gpu.instances = v->inst;
        v->gpu.n_instances = v->n;
        return 0;
}

/* ---- the settings in effect
 * -------------------------------------------------------------------------------- */

GpuSched *gpu_sched(GpuObject *g) {
        if (!g->sched)
                g->sched = calloc(1, sizeof(GpuSched));
        return g->sched;
}

/* Runtime settings (vgpuctl policy), over the config's [gpu ADDRESS], over the vendor's defaults; each
 * only if the vendor's rules accept it with the instances the GPU has now (else a finding says why). */
void gpu_sched_resolve(GpuObject *g, GpuSched *s) {
        Manager *m = g->manager;
        _cleanup_(sched_view_done) SchedView v = {};
        const struct vgpu_gpu_config *conf = config_find_gpu(m->config, g->address);
        const struct sched_store_entry *saved =
                m->sched_runtime ? strmap_get(m->sched_runtime, g->address) : NULL;
        struct sched_settings candidate;

        s->vendor = gpu_vendor(g);
        if (sched_view_build(m, g, s->vendor, &v) < 0)
                return;
        quota_default_settings(&v.gpu, &s->settings);
        s->source = "default";
        if (s->vendor == SCHED_VENDOR_RPC && m->config->rpc.enabled) {
                /* [rpc] policy and time_slice are the software GPUs' defaults: the engines start with them
                 */
                enum sched_policy p = sched_policy_from_string(m->config->rpc.policy);
                if (p >= 0)
                        s->settings.policy = p;
                if (m->config->rpc.time_slice_usec > 0)
                        s->settings.time_slice_ms = (unsigned) (m->config->rpc.time_slice_usec / 1000);
                s->source = "config";
        }
        if (conf) {
                _cleanup_free_ char *why = NULL;
                candidate = s->settings;
                gpu_config_apply(conf, &candidate);
                int r = quota_admit(&v.gpu, &candidate, NULL, &why);
                if (r >= 0) {
                        s->settings = candidate;
                        s->source = "config";
                } else
                        (void) manager_add_finding(m, "error", "scheduler", g->address,
                                                   "[gpu %s] in %s cannot be used: %s The vendor's defaults "
                                                   "apply.",
                                                   g->address, strna(m->config->path), why ?: strerror(-r));
        }
        if (saved) {
                _cleanup_free_ char *why = NULL;
                int r = quota_admit(&v.gpu, &saved->settings, NULL, &why);
                if (r >= 0) {
                        s->settings = saved->settings;
                        s->source = "runtime";
                } else
                        (void) manager_add_finding(
                                m, "error", "scheduler", g->address,
                                "The scheduler settings saved for GPU %s cannot be used: %s "
                                "'vgpuctl policy %s reset' forgets them.",
                                g->address, why ?: strerror(-r), g->address);
        }
        s->resolved = true;
}

/* The settings a check must satisfy: in effect, and those of a policy change in flight. */
static int admit_both(GpuObject *g, GpuSched *s, const struct quota_gpu *qg,
                      const struct quota_instance *change, char **ret_reason) {
        int r = quota_admit(qg, &s->settings, change, ret_reason);
        if (r >= 0 && s->saving)
                r = quota_admit(qg, &s->pending, change, ret_reason);
        return r;
}

/* The GPU object of a type's physical GPU, with its settings worked out. */
static GpuObject *gpu_for_type(Manager *m, const struct vgpu_type *t, GpuSched **ret) {
        GpuObject *g = t && t->parent && t->parent->gpu ? manager_find_gpu(m, t->parent->gpu->bdf) : NULL;
        GpuSched *s = g ? gpu_sched(g) : NULL;

        if (s && !s->resolved && g->gpu)
                gpu_sched_resolve(g, s);
        *ret = s && s->resolved ? s : NULL;
        return *ret ? g : NULL;
}

/* Admit instance (uuid, t, q) joining or changing on t's GPU. */
int admit_instance(Manager *m, const struct vgpu_type *t, const char *uuid, const struct sched_quota *q,
                   char **ret_reason) {
        _cleanup_(sched_view_done) SchedView v = {};
        struct quota_type qt;
        GpuSched *s;
        GpuObject *g = gpu_for_type(m, t, &s);
        int r;

        quota_type_from(t, &qt);
        if (!g) {
                /* A parent that is no GPU vgpud knows (a sample driver): only the instance's own quota. */
                struct quota_gpu alone = {.address = t->parent ? t->parent->name : NULL,
                                          .vendor = sched_vendor_of_type(t)};
                struct sched_settings d;
                struct quota_instance change = {.uuid = uuid, .type = &qt, .quota = *q};
                quota_default_settings(&alone, &d);
                return quota_admit(&alone, &d, &change, ret_reason);
        }
        r = sched_view_build(m, g, s->vendor, &v);
        if (r < 0)
                return r;
        struct quota_instance change = {.uuid = uuid, .type = &qt, .quota = *q};
        if (change.quota.share == 0 && change.quota.weight == 0)
                quota_default_quota(&v.gpu, &qt, &change.quota);
        return admit_both(g, s, &v.gpu, &change, ret_reason);
}

int sched_admit_create(Manager *m, const struct vgpu_type *t, const char *uuid, const struct sched_quota *q,
                       char **ret_reason) {
        return admit_instance(m, t, uuid, q, ret_reason);
}

int sched_admit_start(Instance *i, const char *parent, char **ret_reason) {
        Manager *m = i->manager;
        struct vgpu_parent *p = host_find_parent(m->host, parent);
        const struct vgpu_type *t = p ? parent_find_type(p, instance_type_id(i)) : NULL;
        struct sched_quota q = instance_quota(i);

        if (!t)
                return 0; /* the start itself will say that the type is not there */
        return admit_instance(m, t, i->uuid, &q, ret_reason);
}

int sched_check_definition(Manager *m, const struct vgpu_type *t, const char *uuid,
                           const struct sched_quota *q, char **ret_reason) {
        /* Only the vendor's rules on the quota itself: a definition competes once it starts. */
        struct quota_gpu alone = {.address = t->parent && t->parent->gpu ? t->parent->gpu->bdf : NULL,
                                  .vendor = sched_vendor_of_type(t)};
        struct quota_type qt;
        struct sched_settings d;

        quota_type_from(t, &qt);
        struct quota_instance change = {.uuid = uuid, .type = &qt, .quota = *q};
        quota_default_settings(&alone, &d);
        /* A quota for a policy that is not in effect is kept for when it is: accept it if any policy the
         * vendor offers takes it, and explain a refusal in the words of the default policy. */
        int r = quota_admit(&alone, &d, &change, ret_reason);
        for (int p = 0; p < _SCHED_POLICY_MAX && r < 0 && r != -ENOMEM; p++) {
                d.policy = p;
                if (quota_admit(&alone, &d, &change, NULL) >= 0)
                        r = 0;
        }
        return r;
}

/* ---- what the GPU shows
 * ------------------------------------------------------------------------------------ */

/* Without a present GPU (vendor unknown): what was set for it, shown as is. */
void settings_unresolved(Manager *m, GpuObject *g, struct sched_settings *ret, const char **ret_source) {
        const struct sched_store_entry *saved =
                m->sched_runtime ? strmap_get(m->sched_runtime, g->address) : NULL;
        const struct vgpu_gpu_config *conf = config_find_gpu(m->config, g->address);

        *ret = (struct sched_settings){.policy = SCHED_POLICY_BEST_EFFORT};
        *ret_source = "default";
        if (conf) {
                gpu_config_apply(conf, ret);
                *ret_source = "config";
        }
        if (saved) {
                *ret = saved->settings;
                *ret_source = "runtime";
        }
}

static char *params_key(const GpuSched *s, const struct sched_settings *st, const char *source) {
        char *k;
        if (asprintf(&k, "%s/%s/%u/%u/%u", sched_vendor_to_string(s->vendor), source, st->time_slice_ms,
                     st->averaging_factor, st->frequency_hz) < 0)
                return NULL;
        return k;
}

static char *shown_value(const GpuSched *s, int which, const struct sched_settings *st, const char *source) {
        char *v = NULL;

        switch (which) {
        case SHOWN_POLICY:
                return strdup(strempty(sched_policy_to_string(st->policy)));
        case SHOWN_SLICE:
                return asprintf(&v, "%u", s->slice_ms) < 0 ? NULL : v;
        case SHOWN_PARAMS:
                return params_key(s, st, source);
        case SHOWN_SETTING:
                return strdup(strempty(s->rendering.setting));
        case SHOWN_CONFIG:
                return strdup(strempty(s->rendering.config_line));
        case SHOWN_NOTE:
                return strdup(strempty(s->rendering.note));
        }
        return NULL;
}

/* ---- the engine hook
 * ---------------------------------------------------------------------------------------- */

/* Hand a software GPU's state to the engine hook when it differs from what it was last given. */
static void engine_push(Manager *m, GpuObject *g, GpuSched *s, const struct sched_settings *st,
                        const SchedView *v) {
        _cleanup_free_ char *key = NULL;
        size_t len = 0;
        FILE *f;

        if (!m->sched_engine_push || !s->resolved || s->vendor != SCHED_VENDOR_RPC)
                return;
        f = open_memstream(&key, &len);
        if (!f)
                return;
        fprintf(f, "%d/%u", st->policy, st->time_slice_ms);
        for (size_t k = 0; k < v->n; k++)
                fprintf(f, ";%s=%u/%u", v->inst[k].uuid, v->inst[k].quota.share, v->inst[k].quota.weight);
        if (fclose(f) != 0 || streq_ptr(key, s->pushed))
                return;
        free(s->pushed);
        s->pushed = TAKE_PTR(key);
        m->sched_engine_push(m->sched_engine_userdata, g->address, st, v->inst, v->n);
}

void sched_set_engine_push(Manager *m, sched_engine_push_t push, void *userdata) {
        m->sched_engine_push = push;
        m->sched_engine_userdata = userdata;
        /* Give it every software GPU's state now: what it was told before (by anyone) is not known. */
        size_t it = 0;
        const char *k;
        void *v;
        while (strmap_iterate(m->gpus, &it, &k, &v)) {
                GpuObject *g = v;
                if (!g->sched)
                        continue;
                free(g->sched->pushed);
                g->sched->pushed = NULL;
                manager_mark_gpu_dirty(m, g->address);
        }
        manager_sync_now(m);
}

void gpu_sched_sync(GpuObject *g, const char **names, size_t *n_names) {
        Manager *m = g->manager;
        _cleanup_(sched_view_done) SchedView v = {};
        struct sched_settings unresolved;
        const char *source;
        GpuSched *s = gpu_sched(g);

        if (!s)
                return;
        if (!s->resolved && g->gpu)
                gpu_sched_resolve(g, s);
        const struct sched_settings *st = &s->settings;
        source = s->source;
        if (!s->resolved) {
                settings_unresolved(m, g, &unresolved, &source);
                st = &unresolved;
        }

        quota_rendering_done(&s->rendering);
        s->slice_ms = 0;
        if (sched_view_build(m, g, s->vendor, &v) >= 0) {
                _cleanup_free_ char *why = NULL;
                s->slice_ms = quota_time_slice_ms(&v.gpu, st);
                if (s->resolved && quota_render(&v.gpu, st, &s->rendering, &why) < 0 && why)
                        s->rendering.note = TAKE_PTR(why);

                /* What each instance on the GPU is entitled to; the ones not on the host to nothing. */
                size_t it = 0;
                const char *key;
                void *val;
                while (strmap_iterate(m->instances, &it, &key, &val)) {
                        Instance *i = val;
                        if (!streq_ptr(instance_gpu_address(i), g->address))
                                continue;
                        double share = -1;
                        if (i->live && s->resolved &&
                            quota_configured_share(&v.gpu, st, i->uuid, &share) < 0)
                                share = -1;
                        if (share != i->configured_share) {
                                i->configured_share = share;
                                if (i->published)
                                        instance_emit_changes(i);
                        }
                }
        }

        engine_push(m, g, s, st, &v);

        for (int k = 0; k < _SHOWN_MAX; k++) {
                _cleanup_free_ char *now = shown_value(s, k, st, source);
                if (!now || streq_ptr(now, s->shown[k]))
                        continue;
                bool announce = s->shown[k] != NULL;
                free(s->shown[k]);
                s->shown[k] = TAKE_PTR(now);
                if (announce && names)
                        names[(*n_names)++] = shown_names[k];
        }
}

/* ---- start-up
 * ---------------------------------------------------------------------------------------------- */

int manager_load_sched(Manager *m) {
        struct vgpu_error_list problems = {};
        _cleanup_free_ struct sched_store_entry *v = NULL;
        size_t n = 0;
        int r;

        m->sched_runtime = strmap_new();
        if (!m->sched_runtime)
                return -ENOMEM;
        r = sched_store_open(m->config->state_dir, &m->sched_store);
        if (r < 0)
                return log_error_errno(r, "Failed to open the scheduler settings in %s: %m",
                                       m->config->state_dir);
        r = sched_store_load(m->sched_store, &v, &n, &problems);
        for (size_t k = 0; k < problems.n; k++) {
                _cleanup_free_ char *s = vgpu_error_to_string(&problems.items[k]);
                (void) manager_add_finding(m, "error", "corrupt-record", strempty(problems.items[k].path),
                                           "%s", strna(s));
        }
        vgpu_error_list_clear(&problems);
        if (r < 0)
                return log_error_errno(r, "Failed to read the scheduler settings: %m");
        for (size_t k = 0; k < n; k++) {
                struct sched_store_entry *e = malloc(sizeof(*e));
                if (!e)
                        return -ENOMEM;
                *e = v[k];
                r = strmap_put(m->sched_runtime, e->address, e);
                if (r < 0) {
                        free(e);
                        return r;
                }
        }
        return 0;
}

void manager_free_sched(Manager *m) {
        size_t it = 0;
        const char *k;
        void *v;

        while (m->sched_runtime && strmap_iterate(m->sched_runtime, &it, &k, &v))
                free(v);
        strmap_free(m->sched_runtime);
        m->sched_runtime = NULL;
        sched_store_free(m->sched_store);
        m->sched_store = NULL;
}
