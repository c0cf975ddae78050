/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of sched.h. */
#include <math.h>

#include "auth.h"
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
#include "sched-store.h"
#include "sched.h"
#include "vendor.h"

/* The Gpu properties this file serves, in announcement order. */
enum {
        SHOWN_POLICY,
        SHOWN_SLICE,
        SHOWN_PARAMS,
        SHOWN_SETTING,
        SHOWN_CONFIG,
        SHOWN_NOTE,
        _SHOWN_MAX,
};

static const char *const shown_names[_SHOWN_MAX] = {
        [SHOWN_POLICY] = "SchedulerPolicy",       [SHOWN_SLICE] = "TimeSliceMs",
        [SHOWN_PARAMS] = "SchedulerParams",       [SHOWN_SETTING] = "VendorSchedulerSetting",
        [SHOWN_CONFIG] = "VendorSchedulerConfig", [SHOWN_NOTE] = "SchedulerNote",
};

struct GpuSched {
        bool resolved; /* settings worked out for the GPU present (its vendor known) */
        enum sched_vendor vendor;
        struct sched_settings settings; /* in effect */
        const char *source;             /* "default", "config" or "runtime" */

        bool saving; /* a SetSchedulerPolicy or ResetSchedulerPolicy is in flight */
        struct sched_settings pending;

        /* What the properties show, cached at the GPU's sync; shown[] is what was last announced. */
        unsigned slice_ms;
        struct quota_rendering rendering;
        char *shown[_SHOWN_MAX];

        char *pushed; /* what the engine hook was last given (software GPUs only) */
};

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
        switch (t->backend) {
        case VGPU_BACKEND_RPC:
                return SCHED_VENDOR_RPC;
        case VGPU_BACKEND_NVIDIA_VFIO:
                return SCHED_VENDOR_NVIDIA;
        default:
                break;
        }
        if (t->vendor && streq(t->vendor->name, "nvidia"))
                return SCHED_VENDOR_NVIDIA;
        if (t->vendor && streq(t->vendor->name, "gvtg"))
                return SCHED_VENDOR_GVTG;
        /* AMD's MxGPU schedules the VFs of its GPUs (GIM). */
        const struct vgpu_gpu *gpu = t->parent ? t->parent->gpu : NULL;
        if (t->backend == VGPU_BACKEND_VF && gpu && gpu->vendor_id == 0x1002)
                return SCHED_VENDOR_AMD;
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
static const struct vgpu_type *instance_vgpu_type(const Instance *i) {
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

typedef struct SchedView {
        struct quota_gpu gpu;
        struct quota_instance *inst;
        struct quota_type *types;
        Instance **objs; /* parallel to inst */
        size_t n, cap;
} SchedView;

static void sched_view_done(SchedView *v) {
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
static int sched_view_build(Manager *m, GpuObject *g, enum sched_vendor vendor, SchedView *v) {
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

static GpuSched *gpu_sched(GpuObject *g) {
        if (!g->sched)
                g->sched = calloc(1, sizeof(GpuSched));
        return g->sched;
}

/* Runtime settings (vgpuctl policy), over the config's [gpu ADDRESS], over the vendor's defaults; each
 * only if the vendor's rules accept it with the instances the GPU has now (else a finding says why). */
static void gpu_sched_resolve(GpuObject *g, GpuSched *s) {
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
static int admit_instance(Manager *m, const struct vgpu_type *t, const char *uuid,
                          const struct sched_quota *q, char **ret_reason) {
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
static void settings_unresolved(Manager *m, GpuObject *g, struct sched_settings *ret,
                                const char **ret_source) {
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

/* ---- D-Bus: Gpu
 * ---------------------------------------------------------------------------------------------- */

int bus_gpu_get_sched_property(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        GpuObject *g = userdata;
        Manager *m = g->manager;
        GpuSched *s = gpu_sched(g);
        struct sched_settings unresolved;
        const char *source = "default";
        int r;

        if (!s)
                return -ENOMEM;
        const struct sched_settings *st = &s->settings;
        if (s->resolved)
                source = s->source;
        else {
                settings_unresolved(m, g, &unresolved, &source);
                st = &unresolved;
        }

        if (streq(property, "SchedulerPolicy"))
                return sd_bus_message_append(reply, "s", strempty(sched_policy_to_string(st->policy)));
        if (streq(property, "TimeSliceMs"))
                return sd_bus_message_append(reply, "u", (uint32_t) s->slice_ms);
        if (streq(property, "VendorSchedulerSetting"))
                return sd_bus_message_append(reply, "s", strempty(s->rendering.setting));
        if (streq(property, "VendorSchedulerConfig"))
                return sd_bus_message_append(reply, "s", strempty(s->rendering.config_line));
        if (streq(property, "SchedulerNote"))
                return sd_bus_message_append(reply, "s", strempty(s->rendering.note));

        /* SchedulerParams: whose scheduler, where the settings come from, and the vendor's extras. */
        r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = sd_bus_message_append(reply, "{sv}", "vendor", "s",
                                          s->resolved ? sched_vendor_to_string(s->vendor) : "unknown");
        if (r >= 0)
                r = sd_bus_message_append(reply, "{sv}", "source", "s", source);
        if (r >= 0)
                r = sd_bus_message_append(reply, "{sv}", "configured_time_slice_ms", "u",
                                          (uint32_t) st->time_slice_ms);
        if (r >= 0 && st->averaging_factor > 0)
                r = sd_bus_message_append(reply, "{sv}", "averaging_factor", "u",
                                          (uint32_t) st->averaging_factor);
        if (r >= 0 && st->frequency_hz > 0)
                r = sd_bus_message_append(reply, "{sv}", "frequency_hz", "u", (uint32_t) st->frequency_hz);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

typedef struct PolicyChange {
        Manager *m;
        sd_bus_message *call;
        char address[PCI_BDF_MAX];
        bool reset;
        struct sched_settings settings;
        struct vgpu_error error;
} PolicyChange;

static void policy_change_free(PolicyChange *c) {
        if (!c)
                return;
        sd_bus_message_unref(c->call);
        vgpu_error_clear(&c->error);
        free(c);
}

/* On a worker: the file, written or removed. */
static int policy_change_run(void *userdata) {
        PolicyChange *c = userdata;
        int r;

        if (!c->reset)
                return sched_store_save(c->m->sched_store, c->address, &c->settings, &c->error);
        r = sched_store_delete(c->m->sched_store, c->address, &c->error);
        if (r == -ENOENT) {
                vgpu_error_clear(&c->error);
                return 0;
        }
        return r;
}

static void policy_change_done(int r, void *userdata) {
        PolicyChange *c = userdata;
        Manager *m = c->m;
        GpuObject *g = manager_find_gpu(m, c->address);
        GpuSched *s = g ? g->sched : NULL;

        if (s)
                s->saving = false;
        if (r >= 0) {
                struct sched_store_entry *e = strmap_remove(m->sched_runtime, c->address);
                free(e);
                if (!c->reset) {
                        e = calloc(1, sizeof(*e));
                        if (e) {
                                snprintf(e->address, sizeof(e->address), "%s", c->address);
                                e->settings = c->settings;
                                if (strmap_put(m->sched_runtime, e->address, e) < 0)
                                        free(e);
                        }
                }
                if (s && c->reset)
                        s->resolved = false; /* back to the config's or the vendor's, worked out again */
                else if (s) {
                        s->settings = c->settings;
                        s->source = "runtime";
                }
                log_info("Scheduler of GPU %s: %s.", c->address,
                         c->reset ? "back to the configured settings"
                                  : strna(sched_policy_to_string(c->settings.policy)));
                if (g)
                        manager_mark_gpu_dirty(m, g->address);
                manager_sync_now(m);
                (void) sd_bus_reply_method_return(c->call, NULL);
        } else {
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
                char ename[16];
                if (r == -ECANCELED)
                        bus_error_setf(&e, -EIO, SUBJECT_ARGUMENT,
                                       "vgpud is shutting down; nothing was changed");
                else
                        bus_error_setf(&e, r, SUBJECT_HOST, "%s %s: %s (%s)", strempty(c->error.message),
                                       strempty(c->error.path), strerror(-r), errno_name(r, ename));
                (void) sd_bus_reply_method_error(c->call, &e);
        }
        policy_change_free(c);
}

static int queue_policy_change(GpuObject *g, sd_bus_message *call, bool reset,
                               const struct sched_settings *st, sd_bus_error *error) {
        Manager *m = g->manager;
        GpuSched *s = g->sched;
        PolicyChange *c = calloc(1, sizeof(*c));
        int r;

        if (!c)
                return -ENOMEM;
        c->m = m;
        c->call = sd_bus_message_ref(call);
        c->reset = reset;
        snprintf(c->address, sizeof(c->address), "%s", g->address);
        if (st)
                c->settings = *st;
        /* Behind the host operations on the GPU: a create queued before it runs under the old policy. */
        r = hostops_submit(m->hostops, g->address, policy_change_run, policy_change_done, c);
        if (r < 0) {
                policy_change_free(c);
                return bus_error_setf(error, r, SUBJECT_ARGUMENT, "Cannot queue the change: %s",
                                      strerror(-r));
        }
        s->saving = true;
        s->pending = st ? *st : s->settings;
        return 1;
}

/* Authorize, and make sure the GPU is here and no other change of its policy is in flight. */
static int begin_policy_change(GpuObject *g, sd_bus_message *call, sd_bus_error *error) {
        Manager *m = g->manager;
        GpuSched *s = gpu_sched(g);
        int r;

        if (!s)
                return -ENOMEM;
        r = bus_authorize(call, m->config->admin_group, error);
        if (r < 0)
                return r;
        if (!g->gpu)
                return bus_error_setf(error, -ENODEV, SUBJECT_GPU,
                                      "GPU %s is not present; its scheduler can be set once it is back",
                                      g->address);
        if (!s->resolved)
                gpu_sched_resolve(g, s);
        if (!s->resolved)
                return -ENOMEM;
        if (s->saving)
                return bus_error_setf(
                        error, -EALREADY, SUBJECT_ARGUMENT,
                        "A change of the scheduler of GPU %s is in progress; try again when it "
                        "is done",
                        g->address);
        return 0;
}

static const BusOption policy_options[] = {{"averaging_factor", "u"}, {"frequency_hz", "u"}};

static int read_policy_option(sd_bus_message *m, size_t k, void *userdata, sd_bus_error *e) {
        struct sched_settings *st = userdata;
        return sd_bus_message_read_basic(m, 'u', k == 0 ? &st->averaging_factor : &st->frequency_hz);
}

static const BusOption quota_options[] = {{"share", "u"}, {"weight", "u"}};

static int read_quota_option(sd_bus_message *m, size_t k, void *userdata, sd_bus_error *e) {
        struct sched_quota *q = userdata;
        unsigned *v = k == 0 ? &q->share : &q->weight;
        int r = sd_bus_message_read_basic(m, 'u', v);
        if (r < 0)
                return r;
        if (*v == 0)
                return bus_error_setf(e, -EINVAL, SUBJECT_ARGUMENT,
                                      "A %s of 0 means nothing; leave it out to clear the quota",
                                      quota_options[k].key);
        return 0;
}

int bus_gpu_set_scheduler_policy(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        GpuObject *g = userdata;
        Manager *m = g->manager;
        _cleanup_(sched_view_done) SchedView v = {};
        _cleanup_free_ char *why = NULL;
        struct sched_settings st = {};
        const char *policy;
        uint32_t slice;
        int r;

        /* Authorization first: an outsider learns nothing about the arguments it sent. */
        r = bus_authorize(call, m->config->admin_group, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(call, "su", &policy, &slice);
        if (r < 0)
                return r;
        st.policy = sched_policy_from_string(policy);
        if (st.policy < 0)
                return bus_error_setf(error, -EINVAL, SUBJECT_ARGUMENT,
                                      "Invalid scheduling policy '%s': use best-effort, equal-share, "
                                      "fixed-share or weighted",
                                      policy);
        st.time_slice_ms = slice;
        r = bus_read_options(call, policy_options, ELEMENTSOF(policy_options), read_policy_option, &st,
                             error);
        if (r < 0)
                return r;

        r = begin_policy_change(g, call, error);
        if (r < 0)
                return r;
        r = sched_view_build(m, g, g->sched->vendor, &v);
        if (r < 0)
                return r;
        r = quota_admit(&v.gpu, &st, NULL, &why);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return bus_error_setf(error, r, SUBJECT_ARGUMENT, "%s", why ?: strerror(-r));
        return queue_policy_change(g, call, false, &st, error);
}

int bus_gpu_reset_scheduler_policy(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        GpuObject *g = userdata;
        int r;

        r = begin_policy_change(g, call, error);
        if (r < 0)
                return r;
        return queue_policy_change(g, call, true, NULL, error);
}

/* ---- D-Bus: Instance
 * --------------------------------------------------------------------------------------- */

int bus_instance_get_sched_property(sd_bus *bus, const char *path, const char *interface,
                                    const char *property, sd_bus_message *reply, void *userdata,
                                    sd_bus_error *error) {
        Instance *i = userdata;

        if (streq(property, "Share"))
                return sd_bus_message_append(reply, "u", (uint32_t) instance_share(i));
        if (streq(property, "Weight"))
                return sd_bus_message_append(reply, "u", (uint32_t) instance_weight(i));
        if (streq(property, "ConfiguredShare"))
                return sd_bus_message_append(reply, "d", i->configured_share);
        return sd_bus_message_append(reply, "d", instance_measured_share(i));
}

static void quota_change_done(Operation *op, int r) {
        Manager *m = op->manager;
        Instance *i = manager_find_instance(m, op->uuid);
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

        if (i) {
                i->has_pending_quota = false;
                /* The record is in place now: announce the new quota (and what follows from it). */
                instance_emit_changes(i);
                manager_sync_now(m);
        }
        if (r >= 0) {
                log_info("Quota of %s changed.", op->uuid);
                (void) sd_bus_reply_method_return(op->call, NULL);
                return;
        }
        operation_error(op, r, &e);
        (void) sd_bus_reply_method_error(op->call, &e);
}

int bus_instance_set_quota(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        Instance *i = userdata;
        Manager *m = i->manager;
        _cleanup_(record_freep) struct vgpu_record *new = NULL;
        _cleanup_free_ char *why = NULL;
        struct sched_quota q = {};
        int r;

        /* Authorization first: an outsider learns nothing about the arguments it sent. */
        r = bus_authorize(call, m->config->admin_group, error);
        if (r < 0)
                return r;
        r = bus_read_options(call, quota_options, ELEMENTSOF(quota_options), read_quota_option, &q, error);
        if (r < 0)
                return r;
        bool have_share = q.share > 0, have_weight = q.weight > 0;
        if (have_share && have_weight)
                return bus_error_setf(
                        error, -EINVAL, SUBJECT_ARGUMENT,
                        "Give a share or a weight, not both: a share counts under fixed-share, a "
                        "weight under weighted");
        if (q.share > 100)
                return bus_error_setf(error, -EINVAL, SUBJECT_ARGUMENT,
                                      "A share of %u %% is out of range: a share is 1 to 100 %%", q.share);

        if (i->pending > 0)
                return bus_error_setf(
                        error, -EALREADY, SUBJECT_INSTANCE,
                        "Another operation on instance %s is in progress; try again when it is "
                        "done",
                        i->uuid);
        if (!i->record)
                return bus_error_setf(
                        error, -EINVAL, SUBJECT_ARGUMENT,
                        "Instance %s was made outside vgpud and has no record to keep a quota in; "
                        "'vgpuctl define %s' adopts it",
                        i->uuid, i->uuid);

        const struct vgpu_type *t = instance_vgpu_type(i);
        if (i->live && t)
                r = admit_instance(m, t, i->uuid, &q, &why);
        else if (t)
                r = sched_check_definition(m, t, i->uuid, &q, &why);
        else
                r = 0; /* neither here nor offered: checked when it starts */
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return bus_error_setf(error, r, SUBJECT_ARGUMENT, "%s", why ?: strerror(-r));

        r = record_copy(i->record, &new);
        if (r < 0)
                return r;
        new->quota.share = q.share > 0 ? (int) q.share : -1;
        new->quota.weight = q.weight > 0 ? (int) q.weight : -1;
        r = lifecycle_record_change(i, call, new, quota_change_done, error);
        if (r >= 0) {
                i->has_pending_quota = true;
                i->pending_quota = q;
        }
        return r;
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
