/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Implementation of manager.h: start-up order (loop, workers, bus objects,
 * name, READY), the signal handlers that end the loop, and the status line.
 */
#include <libudev.h>
#include <signal.h>
#include <stdarg.h>
#include <systemd/sd-daemon.h>

#include "apply.h"
#include "availability.h"
#include "bus-names.h"
#include "bus-sync.h"
#include "config-file.h"
#include "device-binding.h"
#include "domains.h"
#include "gpu.h"
#include "hashmap.h"
#include "host.h"
#include "instance.h"
#include "log.h"
#include "manager.h"
#include "operation.h"
#include "own-events.h"
#include "rpc.h"
#include "sched.h"
#include "sriov-state.h"
#include "store.h"
#include "strutil.h"

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        log_info("Received %s, shutting down.", strsignal((int) si->ssi_signo));
        manager_set_status(m, "Shutting down");
        (void) sd_notify(false, "STOPPING=1");
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

/* Called by the library inside its updates: only forget pointers to what is about to be freed, and
 * sync the bus objects once the update is complete. */
static void on_host_event(struct vgpu_host *h, enum host_event ev, enum host_object kind, void *object,
                          void *userdata) {
        Manager *m = userdata;

        if (ev == HOST_EVENT_REMOVED) {
                if (kind == HOST_OBJECT_GPU)
                        manager_gpu_removed(m, object);
                else if (kind == HOST_OBJECT_INSTANCE)
                        manager_instance_removed(m, object);
        }
        /* Which GPU object it concerns: only that one is synced. */
        switch (kind) {
        case HOST_OBJECT_GPU: {
                const struct vgpu_gpu *g = object;
                if (ev != HOST_EVENT_REMOVED && g->driver)
                        manager_sriov_kick(m); /* a restoration may be waiting for this driver */
                manager_mark_gpu_dirty(m, vgpu_gpu_is_vf(g) ? g->physfn : g->bdf);
                if (ev != HOST_EVENT_CHANGED)
                        manager_mark_all_gpus_dirty(m); /* a GPU came or went */
                break;
        }
        case HOST_OBJECT_PARENT: {
                const struct vgpu_parent *p = object;
                manager_mark_gpu_dirty(m, p->gpu ? p->gpu->bdf : NULL);
                break;
        }
        case HOST_OBJECT_TYPE: {
                const struct vgpu_type *t = object;
                manager_mark_gpu_dirty(m, t->parent && t->parent->gpu ? t->parent->gpu->bdf : NULL);
                break;
        }
        case HOST_OBJECT_INSTANCE: {
                const struct vgpu_instance *i = object;
                manager_mark_gpu_dirty(m, i->gpu ? i->gpu->bdf : NULL);
                break;
        }
        case HOST_OBJECT_TYPE_GROUP:
                break; /* aliases: read on demand, not announced */
        }
        manager_schedule_sync(m);
}

void manager_sync_instances_now(Manager *m) {
        int r = manager_sync_instances(m);
        if (r < 0)
                log_warning_errno(r, "Failed to sync the instance objects: %m");
        /* whatever changed the model may have found an mdev unfinished */
        manager_settle_soon(m);
}

static void sync_instances(void *userdata) {
        manager_sync_instances_now(userdata);
}

static void sync_rest(void *userdata) {
        Manager *m = userdata;
        int r = manager_sync_gpus(m);
        if (r < 0)
                log_warning_errno(r, "Failed to sync the GPU objects: %m");
        manager_check_assignments(m);
        manager_autostart_kick(m);
}

static bool operations_in_flight(void *userdata) {
        Manager *m = userdata;
        return hostops_pending(m->hostops, NULL) > 0;
}

static const BusSyncOps manager_sync_ops = {
        .instances = sync_instances,
        .rest = sync_rest,
        .busy = operations_in_flight,
};

void manager_sync_rest_soon(Manager *m) {
        bus_sync_rest_soon(m->sync);
}

void manager_sync_now(Manager *m) {
        bus_sync_now(m->sync);
}

void manager_schedule_sync(Manager *m) {
        if (m->sync)
                (void) bus_sync_schedule(m->sync);
}

/* The model's availability handler: numbers on p's GPU are stale; read them on that GPU's worker. */
static void on_availability_stale(struct vgpu_host *h, struct vgpu_parent *p, void *userdata) {
        Manager *m = userdata;
        refresher_request(m->refresher, p);
}

/* Every refresh is in: creates that waited for fresh numbers can be placed. */
static void on_refresher_idle(void *userdata) {
        Manager *m = userdata;
        if (m->n_deferred_creates > 0)
                manager_retry_deferred_creates(m);
}

/* Does this call read type availability (type and GPU properties, GetManagedObjects, placement
 * explanations)? Instance objects and the instance calls do not; creates wait instead (lifecycle.c). */
static bool call_reads_availability(sd_bus_message *msg) {
        const char *path = sd_bus_message_get_path(msg), *member = sd_bus_message_get_member(msg);

        if (path && startswith(path, VGPUD_INSTANCE_PREFIX "/"))
                return false;
        return !member || !(streq(member, "CreateInstance") || streq(member, "DefineInstance") ||
                            streq(member, "GetInstance"));
}

/* Before dispatch: a reader never sees numbers older than the host, even while they are being re-read
 * after an operation. Only then does the main thread read sysfs itself. */
static int on_bus_message(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        Manager *m = userdata;

        if (sd_bus_message_is_method_call(msg, NULL, NULL) <= 0 || !call_reads_availability(msg))
                return 0;
        if (refresher_pending(m->refresher)) {
                refresher_flush(m->refresher);
                bus_sync_now(m->sync);
        } else
                bus_sync_flush(m->sync);
        return 0; /* dispatch as usual */
}

int manager_new(struct vgpu_config *config, const char *runtime_dir, Manager **ret) {
        _cleanup_(config_freep) struct vgpu_config *c = config;
        _cleanup_(manager_freep) Manager *m = NULL;
        sigset_t mask;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->config = TAKE_PTR(c);
        m->runtime_dir = strdup(runtime_dir);
        if (!m->runtime_dir)
                return -ENOMEM;

        r = sd_event_default(&m->event);
        if (r < 0)
                return r;
        r = bus_sync_new(m->event, &manager_sync_ops, m, MANAGER_REST_DELAY_USEC, &m->sync);
        if (r < 0)
                return r;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        /* SIGCHLD: the libvirt domain reader is a child process, reaped by an sd-event child source. */
        sigaddset(&mask, SIGCHLD);
        /* Blocked before any worker thread exists, so the threads inherit the mask and the signalfd gets
         * them. */
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return negative_errno();
        r = sd_event_add_signal(m->event, NULL, SIGTERM, on_signal, m);
        if (r < 0)
                return r;
        r = sd_event_add_signal(m->event, NULL, SIGINT, on_signal, m);
        if (r < 0)
                return r;
        (void) sd_event_set_watchdog(m->event, true);

        /* Enough threads for several GPUs at once; one GPU's operations never overlap anyway. */
        r = hostops_new(m->event, 4, &m->hostops);
        if (r < 0)
                return r;
        hostops_set_batch_done(m->hostops, operations_finish, m);

        m->gpus = strmap_new();
        m->gpu_paths = strmap_new();
        m->type_paths = strmap_new();
        m->instances = strmap_new();
        m->instance_paths = strmap_new();
        if (!m->gpus || !m->gpu_paths || !m->type_paths || !m->instances || !m->instance_paths)
                return -ENOMEM;
        m->udev = udev_new();
        if (!m->udev)
                return -ENOMEM;
        r = host_new(NULL, &m->host);
        if (r < 0)
                return r;
        r = host_set_pci_ids(m->host, m->config->pci_ids.ids, m->config->pci_ids.n);
        if (r < 0)
                return r;
        /* the notes of whole-VF instances (operation.c's backend context) */
        r = host_set_binding_dir(m->host, m->runtime_dir);
        if (r < 0)
                return r;
        host_set_event_handler(m->host, on_host_event, m);
        r = refresher_new(m->hostops, m->host, on_refresher_idle, m, &m->refresher);
        if (r < 0)
                return r;
        host_set_availability_handler(m->host, on_availability_stale, m);
        r = own_events_new(&m->own_events);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        /* The libvirt thread hands results to the loop: it goes before anything it could touch. */
        manager_stop_libvirt_watch(m);
        /* Workers first: their cancelled completions may still reply on the bus and touch the objects. */
        if (m->refresher)
                refresher_shutdown(m->refresher);
        manager_apply_abandon(m);
        hostops_free(m->hostops);
        manager_apply_free(m);
        m->refresher = refresher_free(m->refresher);
        m->own_events = own_events_free(m->own_events);
        /* Then the engines (no worker calls them any more): their clients go, their sockets are removed. */
        manager_stop_rpc(m);
        for (size_t k = 0; k < m->n_deferred_creates; k++) {
                (void) sd_bus_reply_method_errorf(m->deferred_creates[k], SD_BUS_ERROR_FAILED,
                                                  "vgpud is shutting down; nothing was created");
                sd_bus_message_unref(m->deferred_creates[k]);
        }
        free(m->deferred_creates);
        manager_stop_udev_monitor(m);
        manager_settle_stop(m);
        m->sync = bus_sync_free(m->sync);
        manager_sriov_free(m);

        size_t it = 0;
        const char *k;
        void *v;
        while (m->instances && strmap_iterate(m->instances, &it, &k, &v))
                instance_object_free(v);
        it = 0;
        while (m->gpus && strmap_iterate(m->gpus, &it, &k, &v))
                gpu_object_free(v);
        strmap_free(m->gpus);
        strmap_free(m->gpu_paths);
        strmap_free(m->type_paths);
        strmap_free(m->instances);
        strmap_free(m->instance_paths);
        host_free(m->host);
        if (m->udev)
                udev_unref(m->udev);
        manager_stop_private(m);
        if (m->bus) {
                sd_bus_flush(m->bus);
                sd_bus_flush_close_unref(m->bus);
        }
        sd_event_unref(m->event);
        manager_clear_findings(m);
        free(m->status);
        store_free(m->store);
        store_free(m->runtime_store);
        manager_free_sched(m);
        free(m->assignments_path);
        free(m->runtime_dir);
        config_free(m->config);
        free(m);
        return NULL;
}

/* Report what the scan could not read: the rest of the host is still usable. */
static void report_scan_problems(Manager *m, struct vgpu_error_list *problems) {
        for (size_t i = 0; i < problems->n; i++) {
                _cleanup_free_ char *s = vgpu_error_to_string(&problems->items[i]);
                (void) manager_add_finding(m, "warning", "discovery", strempty(problems->items[i].path),
                                           "%s", strna(s));
        }
}

int manager_start(Manager *m) {
        struct vgpu_error_list problems = {};
        int r;

        r = store_open(m->config->state_dir, &m->store);
        if (r < 0)
                return log_error_errno(r, "Failed to open the state directory %s: %m", m->config->state_dir);
        r = store_open_volatile(m->runtime_dir, &m->runtime_store);
        if (r < 0)
                return log_error_errno(r, "Failed to open the runtime directory %s: %m", m->runtime_dir);

        /* Monitor before scan: a device that appears in between is then seen twice, never missed. */
        r = manager_start_udev_monitor(m);
        if (r < 0)
                return r;
        manager_set_status(m, "Discovering the host");
        r = host_scan(m->host, m->udev, &problems);
        report_scan_problems(m, &problems);
        vgpu_error_list_clear(&problems);
        if (r < 0)
                return log_error_errno(r, "Failed to discover the host: %m");
        /* VFs first, then the persistent bindings, then the software GPUs and the scheduling settings,
         * then the records (and autostart) that use them. */
        r = manager_sriov_start(m);
        if (r < 0)
                return r;
        r = manager_bindings_start(m);
        if (r < 0)
                return r;
        r = manager_start_rpc(m);
        if (r < 0)
                return r;
        r = manager_load_sched(m);
        if (r < 0)
                return r;
        r = manager_load_records(m);
        if (r < 0)
                return r;
        /* The objects exist before the bus does: no signals for them, they are simply there. */
        bus_sync_cancel(m->sync);
        manager_mark_all_gpus_dirty(m);
        r = manager_sync_instances(m);
        if (r < 0)
                return r;
        manager_settle_soon(m);
        /* The instances are joined with the host: the binding notes a crash left behind. */
        manager_bindings_reconcile(m);
        r = manager_load_assignments(m);
        if (r < 0)
                return log_error_errno(r, "Failed to read the domains' assignments: %m");
        r = manager_sync_gpus(m);
        if (r < 0)
                return r;
        log_info("Found %zu GPU(s), %zu mdev parent(s), %zu instance(s).", strmap_size(m->gpus),
                 m->host->n_parents, m->host->n_instances);

        r = sd_bus_open_system(&m->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");
        r = manager_register_objects(m, m->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to publish the bus objects: %m");

        /* Objects first, name last: a client that sees the name finds everything in place. */
        r = sd_bus_request_name(m->bus, VGPUD_BUS_NAME, 0);
        if (r == -EEXIST)
                return log_error_errno(r, "Another vgpud already owns %s on this bus.", VGPUD_BUS_NAME);
        if (r < 0)
                return log_error_errno(r, "Failed to acquire the bus name %s: %m", VGPUD_BUS_NAME);
        r = manager_start_private(m);
        if (r < 0) /* root's clients use the bus then */
                log_warning_errno(r, "Failed to listen on %s/private: %m", m->runtime_dir);

        r = manager_start_libvirt_watch(m);
        if (r < 0)
                log_warning_errno(r, "Failed to start reading libvirt's domains: %m");
        manager_autostart_all(m);
        manager_update_status(m);
        (void) sd_notify(false, "READY=1");
        log_info("vgpud " PACKAGE_VERSION " ready on %s.", VGPUD_BUS_NAME);
        return 0;
}

int manager_register_objects(Manager *m, sd_bus *bus) {
        int r = sd_bus_add_filter(bus, NULL, on_bus_message, m);
        if (r >= 0)
                r = bus_manager_register(m, bus);
        if (r >= 0)
                r = bus_gpu_register(m, bus);
        if (r >= 0)
                r = bus_instance_register(m, bus);
        return r;
}

int manager_run(Manager *m) {
        return sd_event_loop(m->event);
}

void manager_set_status(Manager *m, const char *fmt, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;

        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0) {
                log_oom();
                return;
        }
        if (streq_ptr(s, m->status))
                return;
        free(m->status);
        m->status = TAKE_PTR(s);
        (void) sd_notifyf(false, "STATUS=%s", m->status);
        if (m->bus)
                (void) sd_bus_emit_properties_changed(m->bus, VGPUD_ROOT_PATH, VGPUD_MANAGER_IFACE, "Status",
                                                      NULL);
}

static void finding_done(Finding *f) {
        free(f->severity);
        free(f->kind);
        free(f->object);
        free(f->message);
}

int manager_add_finding(Manager *m, const char *severity, const char *kind, const char *object,
                        const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        int r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;

        Finding *n = realloc(m->findings, (m->n_findings + 1) * sizeof(Finding));
        if (!n)
                return -ENOMEM;
        m->findings = n;
        Finding *f = &m->findings[m->n_findings];
        *f = (Finding){
                .severity = strdup(severity),
                .kind = strdup(kind),
                .object = strdup(object),
                .message = TAKE_PTR(msg),
        };
        if (!f->severity || !f->kind || !f->object) {
                finding_done(f);
                return -ENOMEM;
        }
        m->n_findings++;
        log_full_errno(streq(severity, "error")     ? LOG_ERR
                       : streq(severity, "warning") ? LOG_WARNING
                                                    : LOG_INFO,
                       0, "%s %s: %s", kind, object, f->message);
        if (m->bus)
                (void) sd_bus_emit_properties_changed(m->bus, VGPUD_ROOT_PATH, VGPUD_MANAGER_IFACE,
                                                      "Findings", NULL);
        return 0;
}

void manager_clear_findings(Manager *m) {
        for (size_t i = 0; i < m->n_findings; i++)
                finding_done(&m->findings[i]);
        free(m->findings);
        m->findings = NULL;
        m->n_findings = 0;
}
