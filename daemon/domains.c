/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Implementation of domains.h: the hook's two calls as jobs over several
 * instances (start them all or none; stop what was started), the
 * assignments file, and what libvirt's domain list says.
 */
#include <stdarg.h>

#include "assignment.h"
#include "auth.h"
#include "backend.h"
#include "bus-error.h"
#include "bus-options.h"
#include "config-file.h"
#include "domains.h"
#include "fileio.h"
#include "hashmap.h"
#include "host.h"
#include "instance.h"
#include "libvirt-xml.h"
#include "lifecycle.h"
#include "log.h"
#include "manager.h"
#include "operation.h"
#include "pci.h"
#include "strutil.h"

/* ---- references
 * -------------------------------------------------------------------------------------------- */

/* The UUID in "<socket_dir>/<uuid>.sock", or NULL when the path is not one of vgpud's sockets. */
static bool rpc_socket_uuid(Manager *m, const char *path, char uuid[static UUID_STRING_MAX]) {
        const char *dir = m->config->rpc.socket_dir, *rest;
        size_t n = dir ? strlen(dir) : 0;

        if (!dir || strncmp(path, dir, n) != 0 || path[n] != '/')
                return false;
        rest = path + n + 1;
        if (strlen(rest) != 36 + STRLEN(".sock") || !endswith(rest, ".sock"))
                return false;
        char u[37];
        memcpy(u, rest, 36);
        u[36] = 0;
        return uuid_normalize(u, uuid) >= 0;
}

Instance *manager_find_reference(Manager *m, enum vgpu_device_kind kind, const char *device,
                                 bool *ret_ours) {
        char key[PCI_BDF_MAX > UUID_STRING_MAX ? PCI_BDF_MAX : UUID_STRING_MAX];
        size_t it = 0;
        const char *k;
        void *v;

        if (ret_ours)
                *ret_ours = false;
        switch (kind) {
        case VGPU_DEVICE_MDEV:
                /* An mdev UUID is a vGPU by nature: vgpud answers for it, known or not. */
                if (ret_ours)
                        *ret_ours = true;
                return manager_find_instance(m, device);
        case VGPU_DEVICE_PCI:
                /* A VF of a vf or nvidia-vfio instance (its parent); any other PCI device is not vgpud's. */
                if (pci_bdf_normalize(device, key) < 0)
                        return NULL;
                while (strmap_iterate(m->instances, &it, &k, &v)) {
                        Instance *i = v;
                        if (backend_device_kind(instance_backend(i)) == VGPU_DEVICE_PCI &&
                            instance_parent(i) && streq(instance_parent(i), key)) {
                                if (ret_ours)
                                        *ret_ours = true;
                                return i;
                        }
                }
                return NULL;
        case VGPU_DEVICE_VFIO_USER:
                if (!rpc_socket_uuid(m, device, key))
                        return NULL;
                if (ret_ours)
                        *ret_ours = true;
                return manager_find_instance(m, key);
        default:
                return NULL;
        }
}

/* What the hook hands over is the reference alone: its kind follows from its form. */
static int reference_kind(const char *device, enum vgpu_device_kind *ret) {
        char bdf[PCI_BDF_MAX];

        if (uuid_is_valid(device))
                *ret = VGPU_DEVICE_MDEV;
        else if (device[0] == '/')
                *ret = VGPU_DEVICE_VFIO_USER;
        else if (pci_bdf_normalize(device, bdf) >= 0)
                *ret = VGPU_DEVICE_PCI;
        else
                return -EINVAL;
        return 0;
}

/* ---- the assignments file
 * ----------------------------------------------------------------------------------- */

typedef void (*saved_t)(Manager *m, int r, const struct vgpu_error *err, void *userdata);

typedef struct SaveJob {
        Manager *m;
        char *path;
        char *text;
        saved_t done;
        void *userdata;
        struct vgpu_error error;
} SaveJob;

static int save_run(void *userdata) {
        SaveJob *j = userdata;
        int r = write_file_atomic(j->path, j->text, strlen(j->text), 0644);
        if (r < 0)
                return vgpu_error_set(&j->error, r, j->path,
                                      "Cannot write which domains hold which instances.");
        return 0;
}

static void save_done(int r, void *userdata) {
        SaveJob *j = userdata;

        if (r < 0 && r != -ECANCELED) {
                _cleanup_free_ char *s = vgpu_error_to_string(&j->error);
                log_error("%s", strna(s));
        }
        if (j->done)
                j->done(j->m, r, &j->error, j->userdata);
        vgpu_error_clear(&j->error);
        free(j->path);
        free(j->text);
        free(j);
}

/* Write what is in memory now; done (may be NULL) is told when it is on disk. The writes queue behind
 * each other on one key, so the last one written is the last state. */
static int save_assignments(Manager *m, saved_t done, void *userdata) {
        _cleanup_free_ struct assignment *v = NULL;
        size_t n = 0, it = 0;
        const char *k;
        void *val;
        SaveJob *j;
        int r;

        v = calloc(strmap_size(m->instances) + 1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        while (strmap_iterate(m->instances, &it, &k, &val)) {
                Instance *i = val;
                if (!i->owner)
                        continue;
                memcpy(v[n].uuid, i->uuid, sizeof(v[n].uuid));
                v[n].domain = i->owner; /* borrowed: serialized right away */
                v[n].started = i->owner_started;
                n++;
        }
        j = calloc(1, sizeof(*j));
        if (!j)
                return -ENOMEM;
        *j = (SaveJob){.m = m, .done = done, .userdata = userdata};
        j->path = strdup(m->assignments_path);
        r = j->path ? assignments_to_json(v, n, &j->text) : -ENOMEM;
        if (r >= 0)
                m->n_assignments_saved = n;
        if (r < 0) {
                free(j->path);
                free(j);
                return r;
        }
        r = hostops_submit(m->hostops, "vgpud:assignments", save_run, save_done, j);
        if (r < 0) {
                free(j->path);
                free(j->text);
                free(j);
        }
        return r;
}

static void set_owner(Instance *i, const char *domain, bool started) {
        if (!domain) {
                free(i->owner);
                i->owner = NULL;
                i->owner_started = false;
        } else if (!streq_ptr(i->owner, domain)) {
                free(i->owner);
                i->owner = strdup(domain);
                i->owner_started = started;
        } else
                i->owner_started = i->owner_started || started;
        instance_emit_changes(i);
}

int manager_load_assignments(Manager *m) {
        _cleanup_(vgpu_error_clearp) struct vgpu_error err = {};
        struct assignment *v = NULL;
        size_t n = 0;
        bool dropped = false;
        int r;

        if (asprintf(&m->assignments_path, "%s/" ASSIGNMENTS_FILE, m->runtime_dir) < 0)
                return -ENOMEM;
        r = assignments_load(m->assignments_path, &v, &n, &err);
        if (r == -ENOENT)
                return 0;
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                _cleanup_free_ char *s = vgpu_error_to_string(&err);
                (void) manager_add_finding(m, "error", "corrupt-record", m->assignments_path, "%s",
                                           strna(s));
                return 0; /* left on disk for the administrator; libvirt's list still tells owners */
        }
        for (size_t k = 0; k < n; k++) {
                Instance *i = manager_find_instance(m, v[k].uuid);
                if (!i || !i->live) {
                        log_info(
                                "Instance %s is no longer on the host; domain %s does not hold it any more.",
                                v[k].uuid, v[k].domain);
                        dropped = true;
                        continue;
                }
                free(i->owner);
                i->owner = TAKE_PTR(v[k].domain);
                i->owner_started = v[k].started;
                m->n_assignments_saved++;
                /* No bus yet: this only sets what later changes are compared with. */
                instance_emit_changes(i);
        }
        assignments_free(v, n);
        if (dropped)
                (void) save_assignments(m, NULL, NULL);
        return 0;
}

void manager_check_assignments(Manager *m) {
        size_t it = 0, n_owned = 0;
        const char *k;
        void *v;
        bool changed = false;

        if (!m->assignments_path)
                return;
        while (strmap_iterate(m->instances, &it, &k, &v)) {
                Instance *i = v;
                if (i->owner)
                        n_owned++;
                if (!i->owner || i->live || i->pending > 0)
                        continue;
                log_info("Instance %s left the host; domain %s does not hold it any more.", i->uuid,
                         i->owner);
                set_owner(i, NULL, false);
                changed = true;
        }
        /* An instance destroyed (forced) while assigned is gone from the map altogether. */
        if (changed || n_owned != m->n_assignments_saved)
                (void) save_assignments(m, NULL, NULL);
}

/* ---- the hook's calls
 * ---------------------------------------------------------------------------------------- */

typedef enum ItemAction {
        ITEM_SKIP,  /* not vgpud's */
        ITEM_KEEP,  /* acquire: already on the host; release: only forget the owner */
        ITEM_START, /* acquire: start it */
        ITEM_STOP,  /* release: stop it */
} ItemAction;

typedef struct DomainItem {
        char *device; /* the reference as given (acquire) or the UUID (release) */
        char uuid[UUID_STRING_MAX];
        ItemAction action;
        bool succeeded; /* its start or stop */
        char *failure;  /* why its stop failed (release) */
} DomainItem;

typedef struct DomainJob {
        Manager *m;
        sd_bus_message *call;
        char *domain;
        bool release;
        DomainItem *items;
        size_t n_items;
        unsigned outstanding;
        bool rolling_back;
        sd_bus_error error; /* the first failure (acquire) */
} DomainJob;

static void domain_job_free(DomainJob *j) {
        if (!j)
                return;
        for (size_t k = 0; k < j->n_items; k++) {
                free(j->items[k].device);
                free(j->items[k].failure);
        }
        free(j->items);
        sd_bus_error_free(&j->error);
        sd_bus_message_unref(j->call);
        free(j->domain);
        free(j);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(DomainJob *, domain_job_free);

static DomainItem *job_item(DomainJob *j, const char *uuid) {
        for (size_t k = 0; k < j->n_items; k++)
                if (streq(j->items[k].uuid, uuid))
                        return &j->items[k];
        return NULL;
}

static void job_fail(DomainJob *j, int r, const char *fmt, ...) _printf_(3, 4);
static void job_fail(DomainJob *j, int r, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        if (sd_bus_error_is_set(&j->error))
                return; /* the first failure is the one the hook reports */
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        bus_error_setf(&j->error, r, SUBJECT_INSTANCE, "%s", msg ?: "out of memory");
}

static void job_reply_error(DomainJob *j) {
        log_info("%s for domain %s failed: %s", j->release ? "ReleaseDomain" : "AcquireForDomain", j->domain,
                 j->error.message);
        (void) sd_bus_reply_method_error(j->call, &j->error);
        domain_job_free(j);
}

static void job_saved(Manager *m, int r, const struct vgpu_error *err, void *userdata) {
        DomainJob *j = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

        if (r < 0) {
                char ename[16];
                bus_error_setf(&j->error, r, SUBJECT_HOST, "%s %s: %s (%s)", strempty(err->message),
                               strempty(err->path), strerror(-r), errno_name(r, ename));
                return job_reply_error(j);
        }
        r = sd_bus_message_new_method_return(j->call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ss)");
        for (size_t k = 0; r >= 0 && k < j->n_items; k++) {
                const DomainItem *it = &j->items[k];
                _cleanup_free_ char *what = NULL;
                switch (it->action) {
                case ITEM_SKIP:
                        what = strdup("not managed by vgpud");
                        break;
                case ITEM_KEEP:
                        what = strdup(j->release ? "released" : "already on the host");
                        break;
                case ITEM_START:
                        what = strdup("started");
                        break;
                case ITEM_STOP:
                        if (it->succeeded)
                                what = strdup("stopped");
                        else if (asprintf(&what, "released, left on the host: %s", strna(it->failure)) < 0)
                                what = NULL;
                        break;
                }
                r = what ? sd_bus_message_append(reply, "(ss)", j->release ? it->uuid : it->device, what)
                         : -ENOMEM;
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        if (r < 0)
                log_error_errno(r, "Failed to answer the hook for domain %s: %m", j->domain);
        log_info("Domain %s %s %zu vGPU(s).", j->domain, j->release ? "released" : "acquired", j->n_items);
        domain_job_free(j);
}

static void domain_job_rolled_back(Operation *op, int r);

/* Every start or stop has come back. */
static void job_complete(DomainJob *j) {
        Manager *m = j->m;
        int r;

        if (j->outstanding > 0)
                return;
        if (!j->release && sd_bus_error_is_set(&j->error)) {
                if (!j->rolling_back) {
                        /* Nothing may stay changed: stop what this call started. */
                        j->rolling_back = true;
                        for (size_t k = 0; k < j->n_items; k++) {
                                DomainItem *it = &j->items[k];
                                Instance *i = it->action == ITEM_START && it->succeeded
                                                      ? manager_find_instance(m, it->uuid)
                                                      : NULL;
                                if (!i)
                                        continue;
                                r = lifecycle_queue_stop(i, false, domain_job_rolled_back, j);
                                if (r < 0)
                                        log_error_errno(r,
                                                        "Failed to stop %s again after a failed acquire: %m",
                                                        it->uuid);
                                else
                                        j->outstanding++;
                        }
                        if (j->outstanding > 0)
                                return;
                }
                return job_reply_error(j);
        }

        /* Success (or a release, which always completes): record the owners, then answer once on disk. */
        for (size_t k = 0; k < j->n_items; k++) {
                DomainItem *it = &j->items[k];
                Instance *i = it->action != ITEM_SKIP ? manager_find_instance(m, it->uuid) : NULL;
                if (!i)
                        continue;
                if (j->release) {
                        if (streq_ptr(i->owner, j->domain))
                                set_owner(i, NULL, false);
                } else
                        set_owner(i, j->domain, it->action == ITEM_START);
        }
        r = save_assignments(m, job_saved, j);
        if (r < 0) {
                bus_error_setf(&j->error, r, SUBJECT_ARGUMENT, "Cannot record the owners: %s", strerror(-r));
                job_reply_error(j);
        }
}

static void domain_job_rolled_back(Operation *op, int r) {
        DomainJob *j = op->userdata;

        if (r < 0)
                log_error("Failed to stop %s again after a failed acquire for domain %s.", op->uuid,
                          j->domain);
        j->outstanding--;
        job_complete(j);
}

static void item_done(Operation *op, int r) {
        DomainJob *j = op->userdata;
        DomainItem *it = job_item(j, op->uuid);

        if (it && r >= 0)
                it->succeeded = true;
        else if (it) {
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
                operation_error(op, r, &e);
                if (j->release)
                        it->failure = strdup(strna(e.message));
                else
                        job_fail(j, r, "vGPU %s cannot start for domain %s: %s", op->uuid, j->domain,
                                 strna(e.message));
        }
        j->outstanding--;
        job_complete(j);
}

/* Read "s domain", check it and the (empty) options. */
static int read_domain_and_options(sd_bus_message *call, bool with_devices, const char **ret_domain,
                                   char ***ret_devices, sd_bus_error *error) {
        _cleanup_strv_free_ char **devices = NULL;
        const char *domain;
        int r;

        r = sd_bus_message_read(call, "s", &domain);
        if (r < 0)
                return r;
        if (with_devices) {
                r = sd_bus_message_read_strv(call, &devices);
                if (r < 0)
                        return r;
        }
        r = bus_read_options(call, NULL, 0, NULL, NULL, error);
        if (r < 0)
                return r;
        if (!domain_name_is_valid(domain))
                return bus_error_setf(
                        error, -EINVAL, SUBJECT_ARGUMENT,
                        "Invalid domain name: a libvirt domain name is 1 to %d bytes of printable "
                        "text without '/'",
                        DOMAIN_NAME_MAX);
        *ret_domain = domain;
        if (ret_devices)
                *ret_devices = TAKE_PTR(devices);
        return 0;
}

static int job_new(Manager *m, sd_bus_message *call, const char *domain, bool release, size_t n,
                   DomainJob **ret) {
        DomainJob *j = calloc(1, sizeof(*j));

        if (!j)
                return -ENOMEM;
        j->m = m;
        j->call = sd_bus_message_ref(call);
        j->release = release;
        j->domain = strdup(domain);
        j->items = calloc(n ?: 1, sizeof(DomainItem));
        if (!j->domain || !j->items) {
                domain_job_free(j);
                return -ENOMEM;
        }
        *ret = j;
        return 0;
}

int bus_manager_acquire_for_domain(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(domain_job_freep) DomainJob *j = NULL;
        _cleanup_strv_free_ char **devices = NULL;
        const char *domain;
        int r;

        /* Authorization first: an outsider learns nothing about the arguments it sent. */
        r = bus_authorize(call, m->config->admin_group, error);
        if (r < 0)
                return r;
        r = read_domain_and_options(call, true, &domain, &devices, error);
        if (r < 0)
                return r;
        size_t n = strv_length(devices);
        if (n > DOMAIN_VGPUS_MAX)
                return bus_error_setf(error, -E2BIG, SUBJECT_ARGUMENT,
                                      "Domain %s references %zu devices; at most %u are accepted", domain, n,
                                      DOMAIN_VGPUS_MAX);
        r = job_new(m, call, domain, false, n, &j);
        if (r < 0)
                return r;

        /* Every reference is checked before anything starts: a refusal changes nothing. */
        for (size_t k = 0; k < n; k++) {
                enum vgpu_device_kind kind;
                bool ours;
                const char *dev = devices[k];

                if (!libvirt_xml_text_is_valid(dev, 4096) || reference_kind(dev, &kind) < 0)
                        return bus_error_setf(
                                error, -EINVAL, SUBJECT_ARGUMENT,
                                "Invalid device reference %zu: expected an mdev UUID, a PCI address "
                                "or a socket path",
                                k + 1);
                Instance *i = manager_find_reference(m, kind, dev, &ours);
                if (!i && ours)
                        return bus_error_setf(
                                error, -ENOENT, SUBJECT_INSTANCE,
                                "vGPU %s (used by domain %s) is not defined on this host; define it "
                                "with 'vgpuctl define --type TYPE --uuid UUID'",
                                dev, domain);
                if (i && job_item(j, i->uuid))
                        continue; /* referenced twice */
                DomainItem *it = &j->items[j->n_items++];
                it->device = strdup(dev);
                if (!it->device)
                        return -ENOMEM;
                if (!i) {
                        it->action = ITEM_SKIP;
                        continue;
                }
                memcpy(it->uuid, i->uuid, sizeof(it->uuid));
                const char *owner = instance_owner(i);
                if (owner && !streq(owner, domain))
                        return bus_error_setf(
                                error, -EBUSY, SUBJECT_INSTANCE,
                                "vGPU %s is assigned to domain %s; domain %s cannot use it too", i->uuid,
                                owner, domain);
                if (i->pending > 0)
                        return bus_error_setf(
                                error, -EALREADY, SUBJECT_INSTANCE,
                                "Another operation on vGPU %s is in progress; try again when it is "
                                "done",
                                i->uuid);
                if (!i->live && !i->record)
                        return bus_error_setf(error, -ENOENT, SUBJECT_INSTANCE,
                                              "vGPU %s has no definition to start", i->uuid);
                it->action = i->live ? ITEM_KEEP : ITEM_START;
        }

        /* Start what is not on the host; each start passes admission with the ones before it in flight. */
        for (size_t k = 0; k < j->n_items; k++) {
                DomainItem *it = &j->items[k];
                _cleanup_free_ char *why = NULL;
                if (it->action != ITEM_START)
                        continue;
                Instance *i = manager_find_instance(m, it->uuid);
                r = i ? lifecycle_queue_start(i, item_done, j, &why) : -ENOENT;
                if (r < 0) {
                        job_fail(j, r, "vGPU %s cannot start for domain %s: %s", it->uuid, domain,
                                 why ?: strerror(-r));
                        break;
                }
                j->outstanding++;
        }
        job_complete(TAKE_PTR(j));
        return 1;
}

int bus_manager_release_domain(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(domain_job_freep) DomainJob *j = NULL;
        const char *domain;
        size_t it = 0;
        const char *k;
        void *v;
        int r;

        r = bus_authorize(call, m->config->admin_group, error);
        if (r < 0)
                return r;
        r = read_domain_and_options(call, false, &domain, NULL, error);
        if (r < 0)
                return r;
        r = job_new(m, call, domain, true, strmap_size(m->instances), &j);
        if (r < 0)
                return r;
        while (strmap_iterate(m->instances, &it, &k, &v)) {
                Instance *i = v;
                if (!streq_ptr(i->owner, domain))
                        continue;
                DomainItem *item = &j->items[j->n_items++];
                memcpy(item->uuid, i->uuid, sizeof(item->uuid));
                item->action = i->owner_started && i->live ? ITEM_STOP : ITEM_KEEP;
        }
        for (size_t n = 0; n < j->n_items; n++) {
                DomainItem *item = &j->items[n];
                if (item->action != ITEM_STOP)
                        continue;
                Instance *i = manager_find_instance(m, item->uuid);
                /* The domain is gone; a process that still holds the device keeps it on the host. */
                r = i ? lifecycle_queue_stop(i, true, item_done, j) : -ENOENT;
                if (r < 0) {
                        item->failure = strdup(r == -EALREADY ? "another operation on it is in progress"
                                                              : strerror(-r));
                        continue;
                }
                j->outstanding++;
        }
        job_complete(TAKE_PTR(j));
        return 1;
}

/* ---- libvirt's domain list
 * --------------------------------------------------------------------------------- */

void manager_apply_libvirt_references(Manager *m, const struct libvirt_reference *refs, size_t n) {
        _cleanup_(strmap_freep) struct strmap *owners = strmap_new(); /* uuid -> domain (borrowed) */
        size_t it = 0;
        const char *k;
        void *v;

        if (!owners)
                return;
        for (size_t r = 0; r < n; r++) {
                Instance *i = manager_find_reference(m, refs[r].kind, refs[r].device, NULL);
                if (i)
                        (void) strmap_put(owners, i->uuid, refs[r].domain); /* the first domain wins */
        }
        while (strmap_iterate(m->instances, &it, &k, &v)) {
                Instance *i = v;
                const char *domain = strmap_get(owners, i->uuid);
                if (streq_ptr(domain, i->libvirt_owner))
                        continue;
                free(i->libvirt_owner);
                i->libvirt_owner = domain ? strdup(domain) : NULL;
                if (domain)
                        log_info("libvirt: domain %s uses %s.", domain, i->uuid);
                instance_emit_changes(i);
        }
}
