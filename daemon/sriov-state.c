/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of sriov-state.h. */
#include <time.h>

#include "auth.h"
#include "bus-error.h"
#include "bus-names.h"
#include "config-file.h"
#include "device-binding.h"
#include "gpu.h"
#include "hashmap.h"
#include "host.h"
#include "instance.h"
#include "log.h"
#include "manager.h"
#include "parse-util.h"
#include "pci.h"
#include "sriov-config.h"
#include "sriov-state.h"
#include "sriov.h"
#include "strutil.h"

#define VF_WAIT_USEC (10 * USEC_PER_SEC) /* VFs that take longer than this to appear are an error */
#define VF_POLL_USEC (20 * USEC_PER_MSEC)

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static void state_free(SriovState *s) {
        if (!s)
                return;
        sriov_config_free(s->config);
        free(s->status);
        sd_event_source_disable_unref(s->retry_timer);
        sd_event_source_disable_unref(s->wait_timer);
        sd_bus_message_unref(s->call);
        free(s);
}

static SriovState *state_get(Manager *m, const char *address, bool create) {
        SriovState *s;

        if (!m->sriov && !(m->sriov = strmap_new()))
                return NULL;
        s = strmap_get(m->sriov, address);
        if (s || !create)
                return s;
        s = calloc(1, sizeof(*s));
        if (!s)
                return NULL;
        s->manager = m;
        if (pci_bdf_normalize(address, s->address) < 0 || strmap_put(m->sriov, s->address, s) < 0) {
                free(s);
                return NULL;
        }
        return s;
}

void manager_sriov_free(Manager *m) {
        size_t i = 0;
        const char *k;
        void *v;

        while (m->sriov && strmap_iterate(m->sriov, &i, &k, &v))
                state_free(v);
        strmap_free(m->sriov);
        m->sriov = NULL;
}

static void emit_changed(SriovState *s) {
        Manager *m = s->manager;
        GpuObject *g = manager_find_gpu(m, s->address);

        if (m->bus && g && g->published)
                (void) sd_bus_emit_properties_changed(m->bus, g->path, VGPUD_GPU_IFACE, "SriovStatus",
                                                      "SriovConfiguredVfs", NULL);
}

static void set_status(SriovState *s, const char *fmt, ...) _printf_(2, 3);
static void set_status(SriovState *s, const char *fmt, ...) {
        _cleanup_free_ char *t = NULL;
        va_list ap;

        va_start(ap, fmt);
        int r = vasprintf(&t, fmt, ap);
        va_end(ap);
        if (r < 0 || streq_ptr(t, s->status))
                return;
        free(s->status);
        s->status = TAKE_PTR(t);
        emit_changed(s);
}

unsigned sriov_configured_vfs(Manager *m, const char *address) {
        SriovState *s = m->sriov ? strmap_get(m->sriov, address) : NULL;
        return s && s->config ? s->config->num_vfs : 0;
}

const char *sriov_status(Manager *m, const char *address) {
        SriovState *s = m->sriov ? strmap_get(m->sriov, address) : NULL;
        return s ? strempty(s->status) : "";
}

/* Are the PF's num VFs all in the model? */
static bool vfs_present(Manager *m, const char *address, unsigned num) {
        struct vgpu_gpu *g = host_find_gpu(m->host, address);
        unsigned n = 0;

        if (!g || g->sriov.num_vfs != num)
                return false;
        for (char **vf = g->sriov.vfs; vf && *vf; vf++) {
                if (!host_find_gpu(m->host, *vf))
                        return false;
                n++;
        }
        return n == num;
}

static int config_copy(const struct vgpu_sriov_config *c, struct vgpu_sriov_config **ret) {
        _cleanup_(sriov_config_freep) struct vgpu_sriov_config *n = NULL;

        *ret = NULL;
        if (!c)
                return 0;
        n = calloc(1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        *n = *c;
        n->driver = NULL;
        if (c->driver && !(n->driver = strdup(c->driver)))
                return -ENOMEM;
        *ret = TAKE_PTR(n);
        return 0;
}

/* ---- the change itself, on a worker thread ---- */

typedef struct SriovJob {
        SriovState *state; /* main thread only */
        char *sysfs_root;
        char address[PCI_BDF_MAX];
        unsigned num_vfs;
        int autoprobe;
        bool restore; /* a restoration (no caller), not a SetSriov call */
        char *state_dir, *driverctl_dir;
        struct vgpu_sriov_config *save; /* write this configuration (before the change) */
        struct vgpu_sriov_config *old;  /* the configuration save replaces, NULL if none */
        bool forget;                    /* delete the configuration after the change */
        char **bound;                   /* VFs bound to vfio-pci for their persistent bindings */
        struct vgpu_error error;
} SriovJob;

static void job_free(SriovJob *j) {
        if (!j)
                return;
        free(j->sysfs_root);
        free(j->state_dir);
        free(j->driverctl_dir);
        sriov_config_free(j->save);
        sriov_config_free(j->old);
        strv_free(j->bound);
        vgpu_error_clear(&j->error);
        free(j);
}

/* VFs a change brought (back), also the old ones enabled again after a failure: the persistent bindings
 * of those addresses apply to them again. */
static void apply_bindings(SriovJob *j) {
        struct vgpu_error err = {};
        int r;

        r = bindings_apply_to_vfs(j->sysfs_root, j->state_dir, j->driverctl_dir, j->address, &j->bound,
                                  &err);
        if (r < 0) {
                _cleanup_free_ char *msg = vgpu_error_to_string(&err);
                log_warning_errno(r, "Cannot apply a persistent binding on the VFs of %s: %s", j->address,
                                  strna(msg));
        }
        vgpu_error_clear(&err);
}

/* The record never lags the host where that would leave VFs nothing keeps: a count is written before the
 * VFs are enabled (a crash in between leaves a wish the next start carries out), and forgotten after they
 * are gone (a crash in between leaves the old wish, which the next start restores). */
static int job_run(void *userdata) {
        SriovJob *j = userdata;
        int r;

        if (j->save) {
                r = sriov_config_save(j->state_dir, j->save, &j->error);
                if (r < 0)
                        return r;
        }
        r = sriov_set_num_vfs(j->sysfs_root, j->address, j->num_vfs, j->autoprobe, &j->error);
        if (r != 0)
                apply_bindings(j);
        if (r < 0) {
                /* The old VFs are back (sriov_set_num_vfs restores them): so is the old wish. */
                struct vgpu_error ignored = {};
                int k = !j->save ? 0
                        : j->old ? sriov_config_save(j->state_dir, j->old, &ignored)
                                 : sriov_config_delete(j->state_dir, j->address, &ignored);
                if (k < 0 && k != -ENOENT)
                        log_warning_errno(k, "Cannot put back the SR-IOV configuration of %s: %m",
                                          j->address);
                vgpu_error_clear(&ignored);
                return r;
        }
        if (j->forget) {
                r = sriov_config_delete(j->state_dir, j->address, &j->error);
                return r == -ENOENT ? 0 : r;
        }
        return 0;
}

static void schedule_retry(SriovState *s, int error, const char *why);

static void finish(SriovState *s, int r, const char *message) {
        Manager *m = s->manager;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = TAKE_PTR(s->call);
        void (*done)(Manager * m, const char *address, int r, const char *message) = s->done;

        s->wait_timer = sd_event_source_disable_unref(s->wait_timer);
        s->busy = false;
        s->done = NULL;
        if (done) {
                /* Apply's change: its result goes to apply, which undoes or goes on; no retry here. */
                if (r >= 0) {
                        set_status(s, "%s", s->config && s->config->num_vfs == s->want_vfs ? "ok" : "");
                        log_info("SR-IOV on %s: %u VF(s).", s->address, s->want_vfs);
                        manager_sync_now(m);
                } else
                        log_warning("SR-IOV on %s: %s", s->address, strna(message));
                done(m, s->address, r, message);
                return;
        }
        if (r >= 0) {
                s->attempts = 0;
                s->delay_usec = 0;
                set_status(s, "%s", s->config && s->config->num_vfs == s->want_vfs ? "ok" : "");
                log_info("SR-IOV on %s: %u VF(s).", s->address, s->want_vfs);
                manager_sync_now(m);
                manager_autostart_kick(m); /* instances on those VFs can start now */
                if (call)
                        (void) sd_bus_reply_method_return(call, NULL);
                return;
        }
        log_warning("SR-IOV on %s: %s", s->address, strna(message));
        if (call) {
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
                bus_error_setf(&e, r, SUBJECT_HOST, "%s", strna(message));
                (void) sd_bus_reply_method_error(call, &e);
                if (s->config)
                        set_status(s, "failed: %s", strna(message));
                return;
        }
        schedule_retry(s, r, message);
}

static int on_wait(sd_event_source *src, uint64_t usec, void *userdata) {
        SriovState *s = userdata;
        Manager *m = s->manager;

        if (vfs_present(m, s->address, s->want_vfs)) {
                finish(s, 0, NULL);
                return 0;
        }
        if (now_usec() >= s->deadline_usec) {
                _cleanup_free_ char *msg = NULL;
                (void) asprintf(&msg, "%s: %u VF(s) enabled, but they did not appear within %u s",
                                s->address, s->want_vfs, (unsigned) (VF_WAIT_USEC / USEC_PER_SEC));
                finish(s, -ETIMEDOUT, msg);
                return 0;
        }
        (void) sd_event_source_set_time_relative(src, VF_POLL_USEC);
        (void) sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
        return 0;
}

static void job_done(int r, void *userdata) {
        SriovJob *j = userdata;
        SriovState *s = j->state;
        Manager *m = s->manager;

        for (char **vf = j->bound; vf && *vf; vf++) {
                log_info("Bound %s to vfio-pci (persistent).", *vf);
                (void) host_refresh_gpu(m->host, *vf);
        }
        if (r < 0) {
                _cleanup_free_ char *msg = NULL;
                char ename[16];
                if (j->error.path)
                        (void) asprintf(&msg, "%s %s: %s (%s)", strempty(j->error.message), j->error.path,
                                        strerror(-r), errno_name(r, ename));
                else
                        (void) asprintf(&msg, "%s (%s)", j->error.message ?: strerror(-r),
                                        errno_name(r, ename));
                (void) host_refresh_gpu(m->host, s->address); /* what the failure left */
                finish(s, r, msg);
                job_free(j);
                return;
        }
        if (j->save) {
                sriov_config_free(s->config);
                s->config = TAKE_PTR(j->save);
        } else if (j->forget) {
                sriov_config_free(s->config);
                s->config = NULL;
        }
        s->want_vfs = j->num_vfs;
        job_free(j);
        /* sysfs has the count now; the VFs reach the model through the udev monitor */
        (void) host_refresh_gpu(m->host, s->address);
        s->deadline_usec = now_usec() + VF_WAIT_USEC;
        /* 1 ms accuracy: at sd-event's default (250 ms) each 20 ms poll could wait a quarter second in a
         * quiet loop (tests/bench/vgpud-sriov.sh: disable took 33 ms, 14 ms with this). */
        r = sd_event_add_time_relative(m->event, &s->wait_timer, CLOCK_MONOTONIC, 0, USEC_PER_MSEC, on_wait,
                                       s);
        if (r < 0)
                finish(s, r, "cannot arm a timer");
}

static int submit(SriovState *s, unsigned num_vfs, int autoprobe, bool restore, bool persist) {
        Manager *m = s->manager;
        SriovJob *j = calloc(1, sizeof(*j));
        int r;

        if (!j)
                return -ENOMEM;
        j->state = s;
        memcpy(j->address, s->address, sizeof(j->address));
        j->num_vfs = num_vfs;
        j->autoprobe = autoprobe;
        j->restore = restore;
        j->sysfs_root = strdup(m->host->sysfs_root);
        j->state_dir = strdup(m->config->state_dir);
        j->driverctl_dir = strdup(m->config->driverctl_dir);
        if (!j->sysfs_root || !j->state_dir || !j->driverctl_dir) {
                job_free(j);
                return -ENOMEM;
        }
        if (persist && num_vfs > 0) {
                struct vgpu_gpu *g = host_find_gpu(m->host, s->address);
                j->save = calloc(1, sizeof(*j->save));
                if (!j->save) {
                        job_free(j);
                        return -ENOMEM;
                }
                memcpy(j->save->device, s->address, sizeof(j->save->device));
                j->save->num_vfs = num_vfs;
                j->save->autoprobe = autoprobe != 0;
                if (g && g->driver && !(j->save->driver = strdup(g->driver))) {
                        job_free(j);
                        return -ENOMEM;
                }
                r = config_copy(s->config, &j->old);
                if (r < 0) {
                        job_free(j);
                        return r;
                }
        } else if (persist)
                j->forget = true;
        r = hostops_submit(m->hostops, s->address, job_run, job_done, j);
        if (r < 0) {
                job_free(j);
                return r;
        }
        s->busy = true;
        return 0;
}

/* ---- restoration ---- */

static int autoprobe_for(const struct vgpu_gpu *g, const struct vgpu_sriov_config *c) {
        return c ? c->autoprobe : sriov_autoprobe_default(g);
}

/* Start restoring s->config when the PF can take it: 1 when submitted or nothing to do, 0 when it
 * waits (status says for what). */
static int try_restore(SriovState *s) {
        Manager *m = s->manager;
        struct vgpu_gpu *g = host_find_gpu(m->host, s->address);
        const struct vgpu_sriov_config *c = s->config;

        if (!c || s->busy)
                return 1;
        if (!g) {
                set_status(s, "waiting for GPU %s", s->address);
                return 0;
        }
        if (!g->driver) {
                set_status(s, "waiting for driver %s", c->driver ?: "of the GPU");
                return 0;
        }
        if (g->sriov.num_vfs == c->num_vfs && vfs_present(m, s->address, c->num_vfs)) {
                s->want_vfs = c->num_vfs;
                set_status(s, "ok");
                return 1;
        }
        set_status(s, "restoring %u VF(s)", c->num_vfs);
        int r = submit(s, c->num_vfs, autoprobe_for(g, c), true, false);
        if (r < 0) {
                set_status(s, "failed: %s", strerror(-r));
                return 0;
        }
        return 1;
}

static int on_retry(sd_event_source *src, uint64_t usec, void *userdata) {
        SriovState *s = userdata;

        s->retry_timer = sd_event_source_disable_unref(s->retry_timer);
        s->attempts++;
        if (try_restore(s) == 0)
                schedule_retry(s, -ENODEV, NULL);
        return 0;
}

static void schedule_retry(SriovState *s, int error, const char *why) {
        Manager *m = s->manager;
        const struct vgpu_config *c = m->config;
        uint64_t delay = s->delay_usec ?: c->autostart_initial_delay_usec;
        _cleanup_free_ char *waiting =
                s->status && startswith(s->status, "waiting") ? strdup(s->status) : NULL;

        s->delay_usec = MIN(delay * c->autostart_backoff_milli / 1000, c->autostart_max_delay_usec);
        s->delay_usec = MAX(s->delay_usec, c->autostart_initial_delay_usec);
        s->retry_timer = sd_event_source_disable_unref(s->retry_timer);
        if (sd_event_add_time_relative(m->event, &s->retry_timer, CLOCK_MONOTONIC, delay, 0, on_retry, s) <
            0) {
                set_status(s, "failed: cannot arm a timer");
                return;
        }
        unsigned secs = (unsigned) ((delay + 999999) / 1000000);
        /* the PF's driver that cannot enable VFs (ENOENT) is the usual reason: a driver loading late */
        if (waiting)
                set_status(s, "%s (retry %u in %u s)", waiting, s->attempts + 1, secs);
        else
                set_status(s, "%s (retry %u in %u s)", why ?: strerror(-error), s->attempts + 1, secs);
}

void manager_sriov_kick(Manager *m) {
        size_t i = 0;
        const char *k;
        void *v;

        while (m->sriov && strmap_iterate(m->sriov, &i, &k, &v)) {
                SriovState *s = v;
                if (s->retry_timer) {
                        struct vgpu_gpu *g = host_find_gpu(m->host, s->address);
                        if (g && g->driver)
                                (void) sd_event_source_set_time_relative(s->retry_timer, 0);
                }
        }
}

/* At start-up, before the records and autostart: synchronously, so that what follows finds the VFs. */
static void restore_now(SriovState *s) {
        Manager *m = s->manager;
        struct vgpu_gpu *g = host_find_gpu(m->host, s->address);
        _cleanup_(vgpu_error_clearp) struct vgpu_error err = {};
        const struct vgpu_sriov_config *c = s->config;
        int r;

        if (!g || !g->driver) {
                (void) try_restore(s); /* sets the status */
                schedule_retry(s, -ENODEV, NULL);
                return;
        }
        if (g->sriov.num_vfs == c->num_vfs) {
                s->want_vfs = c->num_vfs;
                set_status(s, "ok");
                return;
        }
        r = sriov_set_num_vfs(m->host->sysfs_root, s->address, c->num_vfs, autoprobe_for(g, c), &err);
        if (r < 0) {
                _cleanup_free_ char *msg = vgpu_error_to_string(&err);
                log_warning_errno(r, "Cannot restore %u VF(s) on %s: %s", c->num_vfs, s->address,
                                  strna(msg));
                (void) manager_add_finding(m, "warning", "sriov", s->address, "Cannot restore %u VF(s): %s",
                                           c->num_vfs, strna(msg));
                schedule_retry(s, r, msg);
                return;
        }
        /* The VFs appear as the kernel adds them; wait for them in sysfs, then read them in (the monitor's
         * events for them come later and change nothing). */
        uint64_t deadline = now_usec() + VF_WAIT_USEC;
        for (;;) {
                _cleanup_(gpu_freep) struct vgpu_gpu *fresh = NULL;
                if (pci_read_gpu(m->host->sysfs_root, s->address, &fresh) >= 0 && fresh &&
                    strv_length(fresh->sriov.vfs) == c->num_vfs) {
                        break;
                }
                if (now_usec() >= deadline) {
                        (void) manager_add_finding(m, "warning", "sriov", s->address,
                                                   "%u VF(s) enabled, but they did not appear within %u s",
                                                   c->num_vfs, (unsigned) (VF_WAIT_USEC / USEC_PER_SEC));
                        break;
                }
                (void) usleep(VF_POLL_USEC);
        }
        /* A rescan: the VFs that went (a change goes through 0) and came, and the mdev parents they are. */
        struct vgpu_error_list problems = {};
        r = host_scan(m->host, m->udev, &problems);
        vgpu_error_list_clear(&problems);
        if (r < 0)
                log_warning_errno(r, "Cannot rescan the host after restoring the VFs of %s: %m", s->address);
        s->want_vfs = c->num_vfs;
        set_status(s, vfs_present(m, s->address, c->num_vfs) ? "ok" : "VFs missing");
        log_info("Restored %u VF(s) on %s.", c->num_vfs, s->address);
}

int manager_sriov_start(Manager *m) {
        struct vgpu_error_list problems = {};
        struct vgpu_sriov_config **configs = NULL;
        size_t n = 0;
        int r;

        r = sriov_config_load_all(m->config->state_dir, &configs, &n, &problems);
        for (size_t i = 0; i < problems.n; i++) {
                _cleanup_free_ char *s = vgpu_error_to_string(&problems.items[i]);
                (void) manager_add_finding(m, "error", "corrupt-record", strempty(problems.items[i].path),
                                           "%s", strna(s));
        }
        vgpu_error_list_clear(&problems);
        if (r < 0)
                return log_error_errno(r, "Failed to read the SR-IOV configuration in %s: %m",
                                       m->config->state_dir);
        for (size_t i = 0; i < n; i++) {
                SriovState *s = state_get(m, configs[i]->device, true);
                if (!s) {
                        sriov_configs_free(configs, n);
                        return log_oom();
                }
                s->config = TAKE_PTR(configs[i]);
                restore_now(s);
        }
        free(configs);
        return 0;
}

/* ---- Gpu.SetSriov ---- */

/* A live instance on one of the PF's VFs: a count change would pull it away. */
static Instance *instance_on_vfs(Manager *m, const struct vgpu_gpu *pf) {
        size_t it = 0;
        const char *k;
        void *v;

        while (strmap_iterate(m->instances, &it, &k, &v)) {
                Instance *i = v;
                const struct vgpu_gpu *g = i->live ? i->live->gpu : NULL;
                struct vgpu_parent *p = i->live && i->live->parent_name
                                                ? host_find_parent(m->host, i->live->parent_name)
                                                : NULL;
                const struct vgpu_gpu *d = p ? p->device : NULL;
                if ((d && streq(d->physfn, pf->bdf)) || (g && streq(g->physfn, pf->bdf)))
                        return i;
        }
        return NULL;
}

int sriov_set(GpuObject *obj, sd_bus_message *call, unsigned num_vfs, bool persistent, sd_bus_error *e) {
        Manager *m = obj->manager;
        struct vgpu_gpu *g = obj->gpu;
        SriovState *s;
        int r;

        if (!g)
                return bus_error_setf(e, -ENODEV, SUBJECT_GPU, "GPU %s is not present", obj->address);
        if (!g->sriov.capable || g->sriov.total_vfs == 0)
                return bus_error_setf(e, -EOPNOTSUPP, SUBJECT_ARGUMENT, "GPU %s has no SR-IOV",
                                      obj->address);
        if (num_vfs > g->sriov.total_vfs)
                return bus_error_setf(e, -ERANGE, SUBJECT_ARGUMENT,
                                      "GPU %s supports at most %u VFs (sriov_totalvfs); %u asked",
                                      obj->address, g->sriov.total_vfs, num_vfs);
        s = state_get(m, obj->address, true);
        if (!s)
                return -ENOMEM;
        if (s->busy)
                return bus_error_setf(e, -EALREADY, SUBJECT_ARGUMENT,
                                      "An SR-IOV change on %s is in progress; try again when it is done",
                                      obj->address);
        if (num_vfs != g->sriov.num_vfs) {
                Instance *i = instance_on_vfs(m, g);
                if (i)
                        return bus_error_setf(e, -EBUSY, SUBJECT_ARGUMENT,
                                              "Instance %s lives on a VF of %s (%s); changing the number of "
                                              "VFs would remove it: destroy it first",
                                              i->uuid, obj->address, strna(instance_parent(i)));
        }
        s->retry_timer = sd_event_source_disable_unref(s->retry_timer);
        s->attempts = 0;
        s->delay_usec = 0;
        r = submit(s, num_vfs, sriov_autoprobe_default(g), false, persistent);
        if (r < 0)
                return bus_error_setf(e, r, SUBJECT_ARGUMENT, "Cannot queue the change: %s", strerror(-r));
        s->call = sd_bus_message_ref(call);
        return 1;
}

int sriov_change(GpuObject *obj, unsigned num_vfs,
                 void (*done)(Manager *m, const char *address, int r, const char *message),
                 char **ret_error) {
        Manager *m = obj->manager;
        struct vgpu_gpu *g = obj->gpu;
        SriovState *s;
        int r;

        if (!g)
                return asprintf(ret_error, "GPU %s is not present", obj->address) < 0 ? -ENOMEM : -ENODEV;
        if (!g->sriov.capable || g->sriov.total_vfs == 0)
                return asprintf(ret_error, "GPU %s has no SR-IOV", obj->address) < 0 ? -ENOMEM : -EOPNOTSUPP;
        if (num_vfs > g->sriov.total_vfs)
                return asprintf(ret_error, "GPU %s supports at most %u VFs (sriov_totalvfs); %u asked",
                                obj->address, g->sriov.total_vfs, num_vfs) < 0
                               ? -ENOMEM
                               : -ERANGE;
        s = state_get(m, obj->address, true);
        if (!s)
                return -ENOMEM;
        if (s->busy)
                return asprintf(ret_error, "an SR-IOV change on %s is in progress", obj->address) < 0
                               ? -ENOMEM
                               : -EALREADY;
        if (num_vfs != g->sriov.num_vfs) {
                Instance *i = instance_on_vfs(m, g);
                if (i)
                        return asprintf(ret_error, "instance %s lives on a VF of %s (%s)", i->uuid,
                                        obj->address, strna(instance_parent(i))) < 0
                                       ? -ENOMEM
                                       : -EBUSY;
        }
        s->retry_timer = sd_event_source_disable_unref(s->retry_timer);
        s->attempts = 0;
        s->delay_usec = 0;
        r = submit(s, num_vfs, sriov_autoprobe_default(g), false, true);
        if (r < 0)
                return r;
        s->done = done;
        return 1;
}
