/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The scheduling model (sched.h) on the bus: org.vgpud1.Gpu's scheduler properties and
 * SetSchedulerPolicy/ResetSchedulerPolicy, org.vgpud1.Instance's quota properties and SetQuota. Each
 * method authorizes first, once, then reads and checks its arguments, admits, and queues.
 */
#include "auth.h"
#include "bus-error.h"
#include "bus-names.h"
#include "bus-options.h"
#include "config-file.h"
#include "hashmap.h"
#include "hostop.h"
#include "lifecycle.h"
#include "log.h"
#include "manager.h"
#include "operation.h"
#include "sched-internal.h"
#include "sched-store.h"

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

/* Make sure the GPU is here and no other change of its policy is in flight (the caller authorized). */
static int begin_policy_change(GpuObject *g, sd_bus_message *call, sd_bus_error *error) {
        GpuSched *s = gpu_sched(g);

        if (!s)
                return -ENOMEM;
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

        r = bus_authorize(call, g->manager->config->admin_group, error);
        if (r < 0)
                return r;
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
