/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Start-up reconciliation: join what vgpud remembers (its persistent records,
 * the transient instances it made in this boot and the functions where it
 * placed persistent whole-VF instances, mdevctl's definitions) with what the
 * host shows, and report the differences as findings instead of "fixing"
 * them: an mdev nobody defined is an orphan to look at, not to remove; a
 * definition whose GPU is gone waits for it. The only things cleaned up are
 * vgpud's own memory of a transient instance (or a placement) that no longer
 * exists and a create's journal entry that a persistent record has superseded.
 */
#include "backend.h"
#include "config-file.h"
#include "gpu.h"
#include "hashmap.h"
#include "host.h"
#include "instance.h"
#include "log.h"
#include "manager.h"
#include "mdevctl.h"
#include "store.h"

static void report_problems(Manager *m, struct vgpu_error_list *problems, const char *kind) {
        for (size_t i = 0; i < problems->n; i++) {
                const struct vgpu_error *p = &problems->items[i];
                _cleanup_free_ char *s = vgpu_error_to_string(p);
                (void) manager_add_finding(m, "error", kind, strempty(p->path), "%s", strna(s));
        }
}

/* Attach rec to its instance (made if needed); takes rec. Returns the instance or NULL. */
static Instance *adopt_record(Manager *m, struct vgpu_record *rec, InstanceOrigin origin) {
        Instance *i;
        int r;

        r = manager_add_instance(m, rec->uuid, &i);
        if (r < 0) {
                log_error_errno(r, "Failed to add instance %s: %m", rec->uuid);
                record_free(rec);
                return NULL;
        }
        record_free(i->record);
        i->record = rec;
        i->origin = origin;
        /* A function defined for a vf / nvidia-vfio instance is kept for it (and shown as it once in the
         * backend's state). */
        if (rec->persistent && backend_device_kind(rec->backend) == VGPU_DEVICE_PCI &&
            !isempty(rec->parent)) {
                r = host_claim_device(m->host, rec->uuid, rec->backend, rec->parent, rec->type_id);
                if (r == -EBUSY)
                        (void) manager_add_finding(
                                m, "warning", "conflict", rec->uuid,
                                "%s is also defined on %s, which another definition keeps", rec->uuid,
                                rec->parent);
        }
        /* A definition whose GPU is not here keeps a GPU object (Present=false) to hang from. */
        if (rec->gpu[0] && !host_find_gpu(m->host, rec->gpu))
                (void) manager_ensure_gpu(m, rec->gpu, NULL);
        return i;
}

static int load_state(Manager *m) {
        struct vgpu_error_list problems = {};
        struct vgpu_record **recs = NULL;
        size_t n = 0;
        int r;

        r = store_load(m->store, &recs, &n, &problems);
        report_problems(m, &problems, "corrupt-record");
        vgpu_error_list_clear(&problems);
        if (r < 0)
                return log_error_errno(r, "Failed to read the records in %s: %m", m->config->state_dir);
        for (size_t k = 0; k < n; k++) {
                recs[k]->persistent = true; /* what the state directory holds is persistent by definition */
                adopt_record(m, TAKE_PTR(recs[k]), ORIGIN_VGPUD);
        }
        free(recs);
        return 0;
}

/* Is rec (from the runtime store) where i, defined without a function, was placed at start? */
static bool is_placement_of(const Instance *i, const struct vgpu_record *rec) {
        return backend_device_kind(rec->backend) == VGPU_DEVICE_PCI && !isempty(rec->parent) &&
               rec->backend == i->record->backend && isempty(i->record->parent) &&
               streq_ptr(rec->type_id, i->record->type_id);
}

/* This boot's transient instances (and placements, operation.h): still there, they are vgpud's again;
 * gone, they are forgotten. */
static int load_runtime(Manager *m) {
        struct vgpu_error_list problems = {};
        struct vgpu_record **recs = NULL;
        size_t n = 0;
        int r;

        r = store_load(m->runtime_store, &recs, &n, &problems);
        report_problems(m, &problems, "corrupt-record");
        vgpu_error_list_clear(&problems);
        if (r < 0)
                return log_error_errno(r, "Failed to read the records in %s: %m", m->runtime_dir);
        for (size_t k = 0; k < n; k++) {
                _cleanup_(record_freep) struct vgpu_record *rec = TAKE_PTR(recs[k]);
                Instance *i = manager_find_instance(m, rec->uuid);
                if (i && instance_persistent(i) && rec->persistent && is_placement_of(i, rec)) {
                        /* Where a persistent vf / nvidia-vfio instance was placed at start (operation.h):
                         * kept while it is there. */
                        (void) host_claim_device(m->host, rec->uuid, rec->backend, rec->parent,
                                                 rec->type_id);
                        if (host_find_instance(m->host, rec->uuid))
                                continue;
                        (void) host_release_device(m->host, rec->uuid);
                }
                if ((i && instance_persistent(i)) || rec->persistent) {
                        /* A persistent record wins; the runtime one is stale (a create's journal entry
                         * whose removal a crash cut short, a placement whose device or definition is gone):
                         * drop it. */
                        _cleanup_(vgpu_error_clearp) struct vgpu_error err = {};
                        (void) store_delete(m->runtime_store, rec->uuid, &err);
                        continue;
                }
                /* a vf / nvidia-vfio instance is on the host as a function the model shows once claimed */
                if (backend_device_kind(rec->backend) == VGPU_DEVICE_PCI && !isempty(rec->parent))
                        (void) host_claim_device(m->host, rec->uuid, rec->backend, rec->parent,
                                                 rec->type_id);
                if (!host_find_instance(m->host, rec->uuid)) {
                        (void) host_release_device(m->host, rec->uuid);
                        _cleanup_(vgpu_error_clearp) struct vgpu_error err = {};
                        log_info("Transient instance %s is no longer on the host; forgetting it.",
                                 rec->uuid);
                        (void) store_delete(m->runtime_store, rec->uuid, &err);
                        continue;
                }
                rec->persistent = false;
                rec->autostart = false;
                adopt_record(m, TAKE_PTR(rec), ORIGIN_VGPUD);
        }
        free(recs);
        return 0;
}

static int load_mdevctl(Manager *m) {
        struct vgpu_error_list problems = {};
        struct vgpu_record **recs = NULL;
        size_t n = 0;
        int r;

        if (!m->config->mdevctl_read)
                return 0;
        r = mdevctl_load(m->config->mdevctl_dir, &recs, &n, &problems);
        report_problems(m, &problems, "corrupt-record");
        vgpu_error_list_clear(&problems);
        if (r < 0)
                return log_error_errno(r, "Failed to read mdevctl's definitions in %s: %m",
                                       m->config->mdevctl_dir);
        for (size_t k = 0; k < n; k++) {
                _cleanup_(record_freep) struct vgpu_record *rec = TAKE_PTR(recs[k]);
                Instance *i = manager_find_instance(m, rec->uuid);
                if (i && instance_persistent(i)) {
                        /* Our own mirror, or a clash: vgpud's record decides; say so when they differ. */
                        if (!streq_ptr(i->record->type_id, rec->type_id) ||
                            !streq_ptr(i->record->parent, rec->parent))
                                (void) manager_add_finding(
                                        m, "warning", "conflict", rec->uuid,
                                        "mdevctl defines %s as %s on %s, vgpud as %s on %s; "
                                        "vgpud's definition is used",
                                        rec->uuid, rec->type_id, strna(rec->parent), i->record->type_id,
                                        strna(i->record->parent));
                        continue;
                }
                if (rec->gpu[0] == 0 && rec->parent) {
                        /* mdevctl knows parents only; the GPU is the parent's physical GPU when present. */
                        struct vgpu_parent *p = host_find_parent(m->host, rec->parent);
                        snprintf(rec->gpu, sizeof(rec->gpu), "%s",
                                 p && p->gpu                ? p->gpu->bdf
                                 : strchr(rec->parent, ':') ? rec->parent
                                                            : "");
                }
                adopt_record(m, TAKE_PTR(rec), ORIGIN_MDEVCTL);
        }
        free(recs);
        return 0;
}

/* vgpud's persistent mdev definitions have their mdevctl mirrors (write_definitions): one that a crash
 * cut short between the record and the mirror gets it now. */
static void complete_mirrors(Manager *m) {
        size_t it = 0;
        const char *key;
        void *v;

        if (!m->config->mdevctl_write)
                return;
        while (strmap_iterate(m->instances, &it, &key, &v)) {
                Instance *i = v;
                const struct vgpu_record *rec = i->record;
                if (!rec || !rec->persistent || rec->origin != RECORD_ORIGIN_VGPUD ||
                    backend_device_kind(rec->backend) != VGPU_DEVICE_MDEV || isempty(rec->parent))
                        continue;
                _cleanup_free_ char *path =
                        mdevctl_definition_path(m->config->mdevctl_dir, rec->parent, i->uuid);
                if (!path || access(path, F_OK) >= 0 || errno != ENOENT)
                        continue;
                _cleanup_(vgpu_error_clearp) struct vgpu_error err = {};
                if (mdevctl_save(m->config->mdevctl_dir, rec, &err) < 0) {
                        _cleanup_free_ char *msg = vgpu_error_to_string(&err);
                        (void) manager_add_finding(m, "warning", "conflict", i->uuid,
                                                   "Cannot write the mdevctl definition of %s: %s", i->uuid,
                                                   strna(msg));
                        continue;
                }
                log_info("Wrote the mdevctl definition of %s again.", i->uuid);
        }
}

/* What does not match, as findings: orphans, definitions whose parent is gone. */
static void report_differences(Manager *m) {
        struct vgpu_host *h = m->host;

        for (size_t k = 0; k < h->n_instances; k++) {
                const struct vgpu_instance *live = h->instances[k];
                Instance *i = manager_find_instance(m, live->uuid);
                if (i && i->record)
                        continue;
                (void) manager_add_finding(
                        m, "info", "orphan", live->uuid,
                        "mdev %s (%s on %s) exists but nothing defines it: made outside vgpud "
                        "and mdevctl; 'vgpuctl define %s' keeps it, 'vgpuctl destroy %s' removes it",
                        live->uuid, strna(live->type_id), strna(live->parent_name), live->uuid, live->uuid);
        }

        size_t it = 0;
        const char *key;
        void *v;
        while (strmap_iterate(m->instances, &it, &key, &v)) {
                Instance *i = v;
                /* The host, not i->live: the instance objects are joined with the host after this. */
                if (!i->record || host_find_instance(h, i->uuid) || !i->record->persistent)
                        continue;
                const char *parent = i->record->parent;
                if (parent && !host_find_parent(h, parent))
                        (void) manager_add_finding(
                                m, i->record->autostart ? "warning" : "info", "parent-missing", i->uuid,
                                "%s is defined on %s, which is not present%s", i->uuid, parent,
                                i->record->autostart ? "; it starts when it appears" : "");
                else if (!i->record->autostart)
                        (void) manager_add_finding(
                                m, "info", "missing", i->uuid,
                                "%s is defined but not created (start it with 'vgpuctl start %s')", i->uuid,
                                i->uuid);
        }
}

int manager_load_records(Manager *m) {
        int r;

        r = load_state(m);
        if (r < 0)
                return r;
        r = load_runtime(m);
        if (r < 0)
                return r;
        r = load_mdevctl(m);
        if (r < 0)
                return r;
        complete_mirrors(m);
        report_differences(m);
        return 0;
}
