/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of device-binding.h. */
#include "device-binding.h"
#include "auth.h"
#include "backend.h"
#include "binding.h"
#include "bus-error.h"
#include "bus-options.h"
#include "config-file.h"
#include "driverctl.h"
#include "hashmap.h"
#include "host.h"
#include "instance.h"
#include "log.h"
#include "manager.h"
#include "pci.h"
#include "strutil.h"
#include "sysfs.h"
#include "vfio.h"

/* ---- the work, on a worker thread ---- */

typedef struct BindJob {
        Manager *manager;
        sd_bus_message *call;
        bool bind; /* else unbind */
        bool persistent;
        char device[PCI_BDF_MAX];
        char **members; /* bind: the other members of the group to bind as well */
        char *sysfs_root, *state_dir, *runtime_dir, *driverctl_dir, *dev_vfio_dir, *proc_root;
        struct vgpu_error error;
        bool changed;
} BindJob;

static void job_free(BindJob *j) {
        if (!j)
                return;
        sd_bus_message_unref(j->call);
        strv_free(j->members);
        free(j->sysfs_root);
        free(j->state_dir);
        free(j->runtime_dir);
        free(j->driverctl_dir);
        free(j->dev_vfio_dir);
        free(j->proc_root);
        vgpu_error_clear(&j->error);
        free(j);
}

/* Bind one function, its note first (a crash in between still knows what to give it back to). */
static int bind_one(BindJob *j, const char *bdf, const char *with) {
        _cleanup_(binding_freep) struct vgpu_binding *note = NULL;
        _cleanup_free_ char *driver = NULL, *override = NULL;
        const char *dir = j->persistent ? j->state_dir : j->runtime_dir;
        int r;

        r = pci_read_binding(j->sysfs_root, bdf, &driver, &override);
        if (r == -ENODEV)
                return vgpu_error_set(&j->error, ENODEV, NULL, "No PCI device %s on this host.", bdf);
        if (r < 0)
                return vgpu_error_set(&j->error, r, NULL, "Cannot read the driver of %s.", bdf);
        if (!streq_ptr(driver, VFIO_PCI_DRIVER)) {
                r = binding_new(bdf, &note);
                if (r < 0)
                        return r;
                note->original_driver = TAKE_PTR(driver);
                note->original_override = TAKE_PTR(override);
                note->persistent = j->persistent;
                if (with)
                        snprintf(note->bound_with, sizeof(note->bound_with), "%s", with);
                r = binding_save(dir, note, &j->error);
                if (r < 0)
                        return r;
                r = vfio_bind(j->sysfs_root, bdf, &j->error);
                if (r < 0) {
                        (void) binding_delete(dir, bdf, NULL);
                        return r;
                }
                j->changed = true;
        } else if (j->persistent) {
                /* already on vfio-pci (driverctl, an earlier bind): make the note persistent */
                struct vgpu_error ignored = {};
                if (binding_load(j->runtime_dir, bdf, &note, &ignored) >= 0) {
                        note->persistent = true;
                        r = binding_save(j->state_dir, note, &j->error);
                        if (r < 0)
                                return r;
                        (void) binding_delete(j->runtime_dir, bdf, NULL);
                }
                vgpu_error_clear(&ignored);
        }
        if (j->persistent) {
                r = driverctl_save(j->driverctl_dir, bdf, VFIO_PCI_DRIVER, &j->error);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int unbind_one(BindJob *j, const char *bdf) {
        _cleanup_(binding_freep) struct vgpu_binding *note = NULL;
        _cleanup_free_ char *driver = NULL, *dev = NULL, *node = NULL, *dc = NULL;
        const char *dir = NULL;
        pid_t pid;
        int r;

        r = pci_read_binding(j->sysfs_root, bdf, &driver, NULL);
        if (r == -ENODEV)
                return vgpu_error_set(&j->error, ENODEV, NULL, "No PCI device %s on this host.", bdf);
        if (r < 0)
                return vgpu_error_set(&j->error, r, NULL, "Cannot read the driver of %s.", bdf);
        if (!streq_ptr(driver, VFIO_PCI_DRIVER))
                return vgpu_error_set(&j->error, EINVAL, NULL,
                                      "%s is not bound to vfio-pci (its driver: %s).", bdf,
                                      driver ?: "none");
        /* vfio-pci's unbind waits for the VM to let go: refuse instead of blocking. */
        dev = sysfs_path(j->sysfs_root, SYSFS_PCI_DEVICES "/%s", bdf);
        if (!dev)
                return -ENOMEM;
        r = vfio_device_holder(dev, j->dev_vfio_dir, j->proc_root, &pid, &node);
        if (r > 0) {
                _cleanup_free_ char *comm = NULL;
                (void) proc_comm(j->proc_root, pid, &comm);
                return vgpu_error_set(&j->error, EBUSY, node, "%s is in use by process %d (%s).", bdf,
                                      (int) pid, strna(comm));
        }
        if (binding_load(j->state_dir, bdf, &note, &j->error) >= 0)
                dir = j->state_dir;
        else if (vgpu_error_clear(&j->error), binding_load(j->runtime_dir, bdf, &note, &j->error) >= 0)
                dir = j->runtime_dir;
        vgpu_error_clear(&j->error);
        /* Without a note (bound by driverctl or by hand), the kernel's probe decides where it goes. */
        r = vfio_unbind(j->sysfs_root, bdf, note ? note->original_driver : NULL,
                        note ? note->original_override : NULL, &j->error);
        if (r < 0)
                return r;
        j->changed = true;
        /* driverctl's override before vgpud's note: a crash in between leaves the note, and the next start
         * binds the function again and writes the override back (manager_bindings_start), the old state
         * whole; the other order would leave an override that vgpud no longer knows it made. */
        if (driverctl_read(j->driverctl_dir, bdf, &dc, NULL) >= 0 && streq(dc, VFIO_PCI_DRIVER)) {
                r = driverctl_delete(j->driverctl_dir, bdf, &j->error);
                if (r < 0 && r != -ENOENT)
                        return r;
        }
        if (dir)
                (void) binding_delete(dir, bdf, NULL);
        return 0;
}

static int job_run(void *userdata) {
        BindJob *j = userdata;
        int r;

        if (!j->bind)
                return unbind_one(j, j->device);
        r = vfio_group_check_viable(j->sysfs_root, j->device, j->members, &j->error);
        if (r < 0)
                return r;
        for (char **m = j->members; m && *m; m++) {
                r = bind_one(j, *m, j->device);
                if (r < 0)
                        return r;
        }
        return bind_one(j, j->device, NULL);
}

static void job_done(int r, void *userdata) {
        BindJob *j = userdata;
        Manager *m = j->manager;

        (void) host_refresh_gpu(m->host, j->device);
        for (char **d = j->members; d && *d; d++)
                (void) host_refresh_gpu(m->host, *d);
        manager_sync_now(m);
        if (r < 0) {
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
                char ename[16];
                if (r == -ENODEV)
                        bus_error_setf(&e, r, SUBJECT_GPU, "%s", strna(j->error.message));
                else if (j->error.path)
                        bus_error_setf(&e, r, SUBJECT_HOST, "%s %s: %s (%s)", strempty(j->error.message),
                                       j->error.path, strerror(-r), errno_name(r, ename));
                else
                        bus_error_setf(&e, r, SUBJECT_HOST, "%s (%s)", j->error.message ?: strerror(-r),
                                       errno_name(r, ename));
                log_info("%s %s failed: %s", j->bind ? "Binding" : "Unbinding", j->device, e.message);
                if (j->call)
                        (void) sd_bus_reply_method_error(j->call, &e);
        } else {
                if (j->changed)
                        log_info("%s %s %s vfio-pci.", j->bind ? "Bound" : "Unbound", j->device,
                                 j->bind ? "to" : "from");
                if (j->call)
                        (void) sd_bus_reply_method_return(j->call, NULL);
        }
        job_free(j);
}

static int job_new(Manager *m, const char *device, bool bind, bool persistent, BindJob **ret) {
        BindJob *j = calloc(1, sizeof(*j));

        if (!j)
                return -ENOMEM;
        j->manager = m;
        j->bind = bind;
        j->persistent = persistent;
        memcpy(j->device, device, PCI_BDF_MAX);
        j->sysfs_root = strdup(m->host->sysfs_root);
        j->state_dir = strdup(m->config->state_dir);
        j->runtime_dir = strdup(m->runtime_dir);
        j->driverctl_dir = strdup(m->config->driverctl_dir);
        j->dev_vfio_dir = strdup(DEV_VFIO_DIR);
        j->proc_root = strdup(PROC_ROOT);
        if (!j->sysfs_root || !j->state_dir || !j->runtime_dir || !j->driverctl_dir || !j->dev_vfio_dir ||
            !j->proc_root) {
                job_free(j);
                return -ENOMEM;
        }
        *ret = j;
        return 0;
}

/* The instance that uses the function (a vf or nvidia-vfio instance, or an mdev on it), or NULL. */
static Instance *instance_using(Manager *m, const char *bdf) {
        size_t it = 0;
        const char *k;
        void *v;

        while (strmap_iterate(m->instances, &it, &k, &v)) {
                Instance *i = v;
                if (i->live && (streq_ptr(i->live->device, bdf) || streq_ptr(i->live->parent_name, bdf)))
                        return i;
        }
        return NULL;
}

static int bind_or_unbind(sd_bus_message *call, Manager *m, bool bind, sd_bus_error *e) {
        static const char *const bind_options[] = {"persistent", "group", NULL};
        static const char *const unbind_options[] = {NULL};
        bool values[2] = {};
        char bdf[PCI_BDF_MAX];
        const char *address;
        BindJob *j;
        int r;

        /* Authorization first: an outsider learns nothing about the arguments it sent. */
        r = bus_authorize(call, m->config->admin_group, e);
        if (r < 0)
                return r;
        r = sd_bus_message_read(call, "s", &address);
        if (r < 0)
                return r;
        r = bus_read_bool_options(call, bind ? bind_options : unbind_options, values, e);
        if (r < 0)
                return r;
        if (pci_bdf_normalize(address, bdf) < 0)
                return bus_error_setf(e, -EINVAL, SUBJECT_ARGUMENT, "Invalid PCI address '%s'", address);
        struct vgpu_gpu *g = host_find_gpu(m->host, bdf);
        Instance *user = instance_using(m, bdf);
        if (user)
                return bus_error_setf(e, -EBUSY, SUBJECT_ARGUMENT,
                                      "%s is used by instance %s; destroy it first (vgpuctl destroy %s)",
                                      bdf, user->uuid, user->uuid);
        if (g && g->parent && backend_device_kind(g->parent->backend) == VGPU_DEVICE_MDEV)
                return bus_error_setf(
                        e, -EBUSY, SUBJECT_ARGUMENT,
                        "%s is an mdev parent (its driver makes vGPUs on it); passing it through "
                        "whole would take it from that driver",
                        bdf);
        r = job_new(m, bdf, bind, values[0], &j);
        if (r < 0)
                return r;
        if (bind && values[1]) {
                int group;
                _cleanup_strv_free_ char **members = NULL;
                r = vfio_group_members(m->host->sysfs_root, bdf, &group, &members);
                if (r < 0 && r != -ENOENT) {
                        job_free(j);
                        return bus_error_setf(e, r, SUBJECT_HOST, "Cannot read the IOMMU group of %s: %s",
                                              bdf, strerror(-r));
                }
                for (char **d = members; d && *d; d++) {
                        if (streq(*d, bdf) || pci_is_bridge(m->host->sysfs_root, *d))
                                continue;
                        if (strv_extend(&j->members, *d) < 0) {
                                job_free(j);
                                return -ENOMEM;
                        }
                }
        }
        j->call = sd_bus_message_ref(call);
        /* with the other operations on its physical GPU */
        const char *key = g && g->physfn[0] ? g->physfn : bdf;
        r = hostops_submit(m->hostops, key, job_run, job_done, j);
        if (r < 0) {
                job_free(j);
                return bus_error_setf(e, r, SUBJECT_ARGUMENT, "Cannot queue the operation: %s",
                                      strerror(-r));
        }
        return 1;
}

int method_bind_device(sd_bus_message *call, void *userdata, sd_bus_error *e) {
        return bind_or_unbind(call, userdata, true, e);
}

int method_unbind_device(sd_bus_message *call, void *userdata, sd_bus_error *e) {
        return bind_or_unbind(call, userdata, false, e);
}

int bindings_apply_to_vfs(const char *sysfs_root, const char *state_dir, const char *driverctl_dir,
                          const char *pf, char ***bound, struct vgpu_error *err) {
        _cleanup_(gpu_freep) struct vgpu_gpu *g = NULL;
        int ret = 0, r;

        r = pci_read_gpu(sysfs_root, pf, &g);
        if (r < 0)
                return vgpu_error_set(err, r, NULL, "Cannot read PCI device %s.", pf);
        for (char **vf = g ? g->sriov.vfs : NULL; vf && *vf; vf++) {
                _cleanup_(binding_freep) struct vgpu_binding *note = NULL;
                _cleanup_free_ char *dc = NULL, *driver = NULL;
                struct vgpu_error ignored = {};

                bool wanted = binding_load(state_dir, *vf, &note, &ignored) >= 0 && note->persistent;
                vgpu_error_clear(&ignored);
                if (!wanted)
                        wanted = driverctl_read(driverctl_dir, *vf, &dc, NULL) >= 0 &&
                                 streq(dc, VFIO_PCI_DRIVER);
                if (!wanted || pci_read_binding(sysfs_root, *vf, &driver, NULL) < 0 ||
                    streq_ptr(driver, VFIO_PCI_DRIVER))
                        continue;
                r = vfio_bind(sysfs_root, *vf, ret < 0 ? &ignored : err);
                vgpu_error_clear(&ignored);
                if (r < 0) {
                        if (ret >= 0)
                                ret = r;
                        continue;
                }
                if (bound && strv_extend(bound, *vf) < 0)
                        return -ENOMEM;
        }
        return ret;
}

/* ---- start-up ---- */

static void apply_persistent(Manager *m, const char *bdf, const char *why) {
        _cleanup_(vgpu_error_clearp) struct vgpu_error err = {};
        _cleanup_free_ char *driver = NULL;

        if (pci_read_binding(m->host->sysfs_root, bdf, &driver, NULL) < 0)
                return; /* not here (yet): applied when vgpud next starts, or by driverctl's rule */
        if (streq_ptr(driver, VFIO_PCI_DRIVER))
                return;
        int r = vfio_bind(m->host->sysfs_root, bdf, &err);
        if (r < 0) {
                _cleanup_free_ char *msg = vgpu_error_to_string(&err);
                (void) manager_add_finding(m, "warning", "binding", bdf,
                                           "Cannot apply the %s binding to vfio-pci: %s", why, strna(msg));
                return;
        }
        log_info("Bound %s to vfio-pci (%s).", bdf, why);
        (void) host_refresh_gpu(m->host, bdf);
}

/* A persistent binding is also driverctl's override (bind_one writes the note, binds, then the override):
 * one whose override a crash cut short gets it now. An override for another driver is the admin's. */
static void complete_override(Manager *m, const char *bdf) {
        _cleanup_(vgpu_error_clearp) struct vgpu_error err = {};
        _cleanup_free_ char *driver = NULL;
        int r;

        r = driverctl_read(m->config->driverctl_dir, bdf, &driver, NULL);
        if (r != -ENOENT)
                return;
        r = driverctl_save(m->config->driverctl_dir, bdf, VFIO_PCI_DRIVER, &err);
        if (r < 0) {
                _cleanup_free_ char *msg = vgpu_error_to_string(&err);
                (void) manager_add_finding(
                        m, "warning", "binding", bdf,
                        "Cannot write driverctl's override for the persistent binding: %s", strna(msg));
                return;
        }
        log_info("Wrote driverctl's override for the persistent binding of %s.", bdf);
}

int manager_bindings_start(Manager *m) {
        struct vgpu_error_list problems = {};
        struct vgpu_binding **notes = NULL;
        _cleanup_strv_free_ char **overrides = NULL;
        size_t n = 0;
        int r;

        r = binding_load_all(m->config->state_dir, &notes, &n, &problems);
        for (size_t i = 0; i < problems.n; i++) {
                _cleanup_free_ char *s = vgpu_error_to_string(&problems.items[i]);
                (void) manager_add_finding(m, "error", "corrupt-record", strempty(problems.items[i].path),
                                           "%s", strna(s));
        }
        vgpu_error_list_clear(&problems);
        if (r < 0)
                return log_error_errno(r, "Failed to read the bindings in %s: %m", m->config->state_dir);
        for (size_t i = 0; i < n; i++) {
                apply_persistent(m, notes[i]->device, "persistent");
                complete_override(m, notes[i]->device);
        }
        bindings_free(notes, n);

        /* driverctl's vfio-pci overrides: what its udev rule does on a host that runs it */
        r = driverctl_list(m->config->driverctl_dir, &overrides);
        if (r < 0 && r != -ENOENT)
                log_warning_errno(r, "Cannot read %s: %m", m->config->driverctl_dir);
        for (char **d = overrides; d && *d; d++) {
                _cleanup_free_ char *driver = NULL;
                if (driverctl_read(m->config->driverctl_dir, *d, &driver, NULL) >= 0 &&
                    streq(driver, VFIO_PCI_DRIVER))
                        apply_persistent(m, *d, "driverctl");
        }
        return 0;
}

void manager_bindings_reconcile(Manager *m) {
        struct vgpu_error_list problems = {};
        struct vgpu_binding **notes = NULL;
        size_t n = 0;
        int r;

        r = binding_load_all(m->runtime_dir, &notes, &n, &problems);
        for (size_t i = 0; i < problems.n; i++) {
                _cleanup_free_ char *s = vgpu_error_to_string(&problems.items[i]);
                (void) manager_add_finding(m, "error", "corrupt-record", strempty(problems.items[i].path),
                                           "%s", strna(s));
        }
        vgpu_error_list_clear(&problems);
        if (r < 0) {
                log_warning_errno(r, "Failed to read the bindings in %s: %m", m->runtime_dir);
                return;
        }
        for (size_t k = 0; k < n; k++) {
                const struct vgpu_binding *note = notes[k];
                _cleanup_(vgpu_error_clearp) struct vgpu_error err = {};
                _cleanup_free_ char *driver = NULL;

                if (!note->instance[0] || instance_using(m, note->device))
                        continue;
                if (note->on_request) {
                        /* On vfio-pci on request before the instance: the binding stays as it was. */
                        log_info("Dropped %s from the binding note of %s, which it no longer uses.",
                                 note->instance, note->device);
                        if (binding_drop_instance(m->runtime_dir, notes[k], &err) < 0) {
                                _cleanup_free_ char *msg = vgpu_error_to_string(&err);
                                (void) manager_add_finding(m, "warning", "binding", note->device,
                                                           "Cannot update the binding note of %s: %s",
                                                           note->device, strna(msg));
                        }
                        (void) host_refresh_gpu(m->host, note->device);
                        continue;
                }
                /* Noted, but the instance is not on the function: its create stopped before vfio-pci took it
                 * (a driver_override may be left), or its destroy after it left vfio-pci. Give the function
                 * back as the note says, unless it is on vfio-pci now (a persistent binding holds it). */
                r = pci_read_binding(m->host->sysfs_root, note->device, &driver, NULL);
                if (r >= 0 && !streq_ptr(driver, VFIO_PCI_DRIVER)) {
                        r = vfio_unbind(m->host->sysfs_root, note->device, note->original_driver,
                                        note->original_override, &err);
                        if (r < 0 && r != -ENODEV) {
                                _cleanup_free_ char *msg = vgpu_error_to_string(&err);
                                (void) manager_add_finding(m, "warning", "binding", note->device,
                                                           "Cannot give %s back after an interrupted %s: %s",
                                                           note->device, note->instance, strna(msg));
                                continue;
                        }
                }
                log_info("Dropped the binding note of %s for %s, which is not on it (cut short by a crash).",
                         note->device, note->instance);
                (void) binding_delete(m->runtime_dir, note->device, NULL);
                (void) host_refresh_gpu(m->host, note->device);
        }
        bindings_free(notes, n);
}
