/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of operation.h. */
#include "operation.h"
#include "availability.h"
#include "bus-error.h"
#include "config-file.h"
#include "host.h"
#include "log.h"
#include "manager.h"
#include "mdev.h"
#include "mdevctl.h"
#include "own-events.h"
#include "rpc.h"
#include "store.h"

int operation_new(Manager *m, Instance *i, enum vgpu_backend_kind backend, sd_bus_message *call,
                  operation_done_t done, Operation **ret) {
        Operation *op = calloc(1, sizeof(*op));

        if (!op)
                return -ENOMEM;
        op->manager = m;
        op->instance = i;
        op->call = call ? sd_bus_message_ref(call) : NULL;
        op->done = done;
        op->ctx = BACKEND_CTX_DEFAULT;
        op->ctx.sysfs_root = m->host->sysfs_root;
        op->ctx.cache = m->host->avail_cache;
        /* vf: the drivers the functions had before an instance bound them, for this boot */
        op->ctx.binding_dir = m->runtime_dir;
        op->ctx.rpc = m->rpc; /* rpc: vgpud's engines */
        op->backend = backend_get(backend);
        memcpy(op->uuid, i->uuid, sizeof(op->uuid));
        i->pending++;
        *ret = op;
        return 0;
}

void operation_free(Operation *op) {
        if (!op)
                return;
        if (op->instance && op->instance->pending > 0)
                op->instance->pending--;
        sd_bus_message_unref(op->call);
        free(op->parent);
        free(op->type_id);
        attrs_free(op->attrs, op->n_attrs);
        record_free(op->save_state);
        record_free(op->save_mdevctl);
        free(op->delete_mdevctl_parent);
        if (op->intent != op->save_runtime)
                record_free(op->intent);
        record_free(op->save_runtime);
        record_free(op->new_record);
        instance_free(op->created);
        vgpu_error_clear(&op->error);
        free(op);
}

/* What the backend's destroy and in-use check take: the instance's UUID (mdev, rpc), or the PCI function
 * (the parent) of a vf / nvidia-vfio instance. */
static const char *host_device(const Operation *op) {
        return op->backend->device_kind == VGPU_DEVICE_PCI ? op->parent : op->uuid;
}

static int run_host_step(Operation *op) {
        int r;

        if (op->device == DEVICE_KEEP)
                return 0;
        if (!op->backend)
                return vgpu_error_set(&op->error, EOPNOTSUPP, NULL, "This backend is not available.");
        if (!host_device(op))
                return vgpu_error_set(&op->error, EINVAL, NULL, "Instance %s has no device.", op->uuid);
        if (op->check_in_use && op->device == DEVICE_DESTROY) {
                pid_t pid;
                r = op->backend->in_use(&op->ctx, host_device(op), &pid, &op->error);
                if (r > 0)
                        return -EBUSY; /* the backend's error names the process */
                if (r < 0)
                        return r;
                vgpu_error_clear(&op->error);
        }
        if (op->device == DEVICE_CREATE) {
                _cleanup_free_ char *device = NULL;
                struct backend_create req = {
                        .parent = op->parent,
                        .type_id = op->type_id,
                        .uuid = op->uuid,
                        .attrs = op->attrs,
                        .n_attrs = op->n_attrs,
                        .ret_instance = &op->created,
                };
                r = op->backend->create(&op->ctx, &req, &device, &op->error);
                if (r < 0)
                        return r;
                op->host_changed = true;
                /* Read back here, not on the main thread: the reply then waits for nothing but this
                 * worker. Not there any more (removed at once by someone else): the completion looks. */
                if (!op->created && op->backend->read_instance)
                        (void) op->backend->read_instance(&op->ctx, op->uuid, &op->created);
                return r;
        }
        op->ctx.parent = op->parent;
        r = op->backend->destroy(&op->ctx, host_device(op), &op->error);
        if (r == -ENODEV) {
                /* Already gone (removed behind our back): the goal is reached. */
                vgpu_error_clear(&op->error);
                return 0;
        }
        if (r >= 0)
                op->host_changed = true;
        return r;
}

static int run_record_steps(Operation *op) {
        Manager *m = op->manager;
        const char *mdevctl_dir = m->config->mdevctl_dir;
        int r;

        if (op->mirror_first && op->delete_mdevctl_parent) {
                r = mdevctl_delete(mdevctl_dir, op->delete_mdevctl_parent, op->uuid, &op->error);
                if (r < 0 && r != -ENOENT)
                        return r;
        }
        if (op->save_state) {
                r = store_save(m->store, op->save_state, &op->error);
                if (r < 0)
                        return r;
        }
        if (op->delete_state) {
                r = store_delete(m->store, op->uuid, &op->error);
                if (r < 0 && r != -ENOENT)
                        return r;
        }
        if (op->save_mdevctl) {
                r = mdevctl_save(mdevctl_dir, op->save_mdevctl, &op->error);
                if (r < 0)
                        return r;
        }
        if (op->delete_mdevctl_parent && !op->mirror_first) {
                r = mdevctl_delete(mdevctl_dir, op->delete_mdevctl_parent, op->uuid, &op->error);
                if (r < 0 && r != -ENOENT)
                        return r;
        }
        if (op->save_runtime && op->save_runtime != op->intent) {
                r = store_save(m->runtime_store, op->save_runtime, &op->error);
                if (r < 0)
                        return r;
        }
        if (op->delete_runtime) {
                r = store_delete(m->runtime_store, op->uuid, &op->error);
                if (r < 0 && r != -ENOENT)
                        return r;
        }
        vgpu_error_clear(&op->error);
        return 0;
}

/* Forget a create's journal entry (the create failed, or a persistent record now holds the instance). A
 * failure is only logged: the next start-up forgets an entry whose device is gone, and a persistent record
 * wins over it. */
static void drop_intent(Operation *op) {
        struct vgpu_error ignored = {};

        if (!op->intent || op->intent == op->save_runtime)
                return;
        int k = store_delete(op->manager->runtime_store, op->uuid, &ignored);
        if (k < 0 && k != -ENOENT)
                log_warning_errno(k, "Failed to remove the journal entry of %s: %m", op->uuid);
        vgpu_error_clear(&ignored);
}

/* On a worker thread: only op's own data, the stores (one file per UUID) and sysfs. */
static int operation_run(void *userdata) {
        Operation *op = userdata;
        int r;

        if (op->intent) {
                r = store_save(op->manager->runtime_store, op->intent, &op->error);
                if (r < 0)
                        return r; /* nothing was touched on the host */
        }
        r = run_host_step(op);
        if (r < 0) {
                op->host_failed = true;
                if (op->intent) {
                        /* Also the transient one: the device does not exist, so neither does the instance.
                         */
                        struct vgpu_error ignored = {};
                        (void) store_delete(op->manager->runtime_store, op->uuid, &ignored);
                        vgpu_error_clear(&ignored);
                }
                return r;
        }
        r = run_record_steps(op);
        if (r >= 0 && !op->intent_is_placement)
                drop_intent(op);
        if (r < 0 && op->device == DEVICE_CREATE) {
                op->host_changed = false; /* added and removed: its events are news to the model */
                /* Not durable, so not done: take the device away again. */
                struct vgpu_error ignored = {};
                int k = op->backend->destroy(&op->ctx, host_device(op), &ignored);
                if (k < 0)
                        log_error_errno(k,
                                        "Failed to remove %s %s after its record could not be written: %m",
                                        backend_kind_to_string(op->backend->kind), host_device(op));
                else if (op->intent)
                        (void) store_delete(op->manager->runtime_store, op->uuid, &ignored);
                vgpu_error_clear(&ignored);
        }
        return r;
}

/* The start of a persistent vf / nvidia-vfio instance placed at start: where it goes (see
 * Operation.intent_is_placement). */
static int plan_placement(Operation *op) {
        const struct vgpu_record *rec = op->instance->record;
        const struct vgpu_parent *p;
        int r;

        if (!op->backend || op->backend->device_kind != VGPU_DEVICE_PCI || !rec || !isempty(rec->parent) ||
            !op->parent)
                return 0;
        r = record_copy(rec, &op->intent);
        if (r < 0)
                return r;
        free(op->intent->parent);
        op->intent->parent = strdup(op->parent);
        if (!op->intent->parent)
                return -ENOMEM;
        p = host_find_parent(op->manager->host, op->parent);
        if (p && p->gpu)
                snprintf(op->intent->gpu, sizeof(op->intent->gpu), "%s", p->gpu->bdf);
        op->intent_is_placement = true;
        return 0;
}

/* Journal a create of an instance that no persistent record holds yet (see Operation.intent). */
static int plan_intent(Operation *op) {
        Instance *i = op->instance;

        if (op->device != DEVICE_CREATE)
                return 0;
        if (i && instance_persistent(i))
                return plan_placement(op);
        if (op->save_runtime) {
                op->intent = op->save_runtime; /* written first, not again in the record steps */
                return 0;
        }
        const struct vgpu_record *r = op->save_state ?: op->new_record;
        if (!r)
                return 0;
        int k = record_copy(r, &op->intent);
        if (k < 0)
                return k;
        op->intent->persistent = false;
        op->intent->autostart = false;
        op->intent->origin = RECORD_ORIGIN_VGPUD;
        return 0;
}

static void creates_remove(Manager *m, Operation *op) {
        for (Operation **p = &m->creates; *p; p = &(*p)->next_create)
                if (*p == op) {
                        *p = op->next_create;
                        return;
                }
}

bool operation_create_fits(Manager *m, const struct vgpu_type *t) {
        const struct vgpu_gpu *gpu = t->parent->gpu;
        unsigned same = 0;

        for (Operation *op = m->creates; op; op = op->next_create) {
                struct vgpu_parent *p = host_find_parent(m->host, op->parent);
                bool on_gpu = streq(op->parent, t->parent->name) || (gpu && p && p->gpu == gpu);
                if (!on_gpu)
                        continue;
                /* Another type in flight on the GPU may take it (one type per GPU, shared pools): wait. */
                if (!streq(op->type_id, t->id) || !streq(op->parent, t->parent->name))
                        return false;
                same++;
        }
        return t->available > same;
}

/* A vf / nvidia-vfio instance is a PCI function that the model knows as the instance only through vgpud's
 * claim (host_claim_device): claimed when created, kept while the instance is on the host or defined on
 * that function (a reservation), released otherwise. */
static void update_claim(Operation *op, int r) {
        Manager *m = op->manager;
        Instance *i = op->instance;
        const struct vgpu_record *rec = i->record;
        const char *device = NULL, *type_id = NULL;

        if (!op->backend || op->backend->device_kind != VGPU_DEVICE_PCI)
                return;
        if (op->device == DEVICE_CREATE && r >= 0) {
                device = op->parent;
                type_id = op->type_id;
        } else if (i->live && !(op->device == DEVICE_DESTROY && r >= 0))
                return; /* still on the host: its claim stays */
        else if (rec && rec->persistent && rec->backend == op->backend->kind && !isempty(rec->parent)) {
                device = rec->parent;
                type_id = rec->type_id;
        }
        /* The function's own state (driver, current vGPU type) is read again around the claim's change, so
         * that the model never pairs a new claim with the function's old state or the reverse. */
        int k;
        if (device) {
                k = host_claim_device(m->host, op->uuid, op->backend->kind, device, type_id);
                (void) host_refresh_gpu(m->host, device);
        } else {
                _cleanup_free_ char *old = strdup(strempty(host_claimed_device(m->host, op->uuid)));
                if (old && *old)
                        (void) host_refresh_gpu(m->host, old);
                k = host_release_device(m->host, op->uuid);
        }
        if (k < 0)
                log_warning_errno(k, "Failed to update what the model keeps %s for: %m", op->uuid);
}

static void operation_complete(int r, void *userdata) {
        Operation *op = userdata;
        Manager *m = op->manager;
        Instance *i = op->instance;

        if (op->device == DEVICE_CREATE)
                creates_remove(m, op);

        if (r >= 0 && op->replace_record) {
                record_free(i->record);
                i->record = TAKE_PTR(op->new_record);
        }
        update_claim(op, r);
        /* The host changed (or may have): put it into the model now, so that the reply and the signals agree
         * with it. The availability of every type on the GPU (a create changes the other types' counts
         * too: one-type rule, shared pools) is re-read after the reply (the model's availability handler):
         * placement waits for it. The engine's instances are the engine's business (rpc.c). */
        bool disturbed = op->expects_event && own_events_settle(m->own_events, op->uuid, op->host_changed);
        if (op->device != DEVICE_KEEP && rpc_refresh_after_operation(m, op) == 0) {
                if (op->device == DEVICE_CREATE && r >= 0 && op->created && !disturbed)
                        (void) host_adopt_instance(m->host, TAKE_PTR(op->created));
                else
                        (void) host_refresh_instance(m->host, op->uuid);
        }
        if (i->pending > 0)
                i->pending--;
        op->instance = NULL;
        /* Replied to with the rest of the batch, after one sync for all (operations_finish). */
        op->result = r;
        if (!m->finished)
                m->finished_tail = &m->finished;
        *m->finished_tail = op;
        m->finished_tail = &op->next_finished;
}

void operations_finish(void *userdata) {
        Manager *m = userdata;
        Operation *list = TAKE_PTR(m->finished);
        bool any_create = false;

        if (!list)
                return;
        /* The model already holds every operation of the batch: the instance objects and their signals
         * follow it once, then each reply, in completion order, agrees with them. The GPU and type objects
         * follow right after the replies, before anything else is read: the answers do not wait behind
         * their signals in the bus. */
        manager_sync_instances_now(m);
        while (list) {
                Operation *op = list;
                list = op->next_finished;
                any_create = any_create || op->device == DEVICE_CREATE;
                /* The instance may have been dropped by the sync (destroyed, undefined): done() gets the
                 * uuid from op. */
                op->done(op, op->result);
                operation_free(op);
        }
        manager_sync_rest_soon(m);
        /* Creates that waited for these to know where they fit. */
        if (any_create)
                manager_retry_deferred_creates(m);
}

int operation_submit(Operation *op) {
        Instance *i = op->instance;
        const char *key = op->parent ?: instance_gpu_address(i);
        _cleanup_free_ char *own_key = NULL;

        int r = plan_intent(op);
        if (r < 0) {
                operation_free(op);
                return r;
        }

        if (!key) {
                if (asprintf(&own_key, "instance:%s", op->uuid) < 0) {
                        operation_free(op);
                        return -ENOMEM;
                }
                key = own_key;
        }
        /* One key per physical GPU: a parent on a VF queues with its PF. */
        struct vgpu_parent *p = op->parent ? host_find_parent(op->manager->host, op->parent) : NULL;
        if (p && p->gpu)
                key = p->gpu->bdf;

        /* The uevent the host step will cause (an mdev's) is already accounted for by the completion. */
        if (op->device != DEVICE_KEEP && op->backend && op->backend->device_kind == VGPU_DEVICE_MDEV)
                op->expects_event = own_events_expect(op->manager->own_events, op->uuid,
                                                      op->device == DEVICE_CREATE ? "add" : "remove") >= 0;
        r = hostops_submit(op->manager->hostops, key, operation_run, operation_complete, op);
        if (r < 0) {
                if (op->expects_event)
                        (void) own_events_settle(op->manager->own_events, op->uuid, false);
                operation_free(op);
                return r;
        }
        if (op->device == DEVICE_CREATE) {
                op->next_create = op->manager->creates;
                op->manager->creates = op;
        }
        return r;
}

int operation_error(Operation *op, int r, sd_bus_error *e) {
        const struct vgpu_error *err = &op->error;
        char ename[16];

        if (r >= 0)
                r = -EIO;
        if (r == -ECANCELED)
                return bus_error_setf(e, -EIO, SUBJECT_ARGUMENT,
                                      "vgpud is shutting down; nothing was changed");
        /* Record writes are file operations too: every failure here names a path and an errno. */
        ErrorSubject subject = SUBJECT_HOST;
        if (err->path)
                return bus_error_setf(e, r, subject, "%s%s%s: %s (%s)", strempty(err->message),
                                      err->message ? " " : "", err->path, strerror(-r),
                                      errno_name(r, ename));
        if (err->message)
                return bus_error_setf(e, r, subject, "%s (%s)", err->message, errno_name(r, ename));
        return bus_error_setf(e, r, subject, "%s: %s (%s)", op->uuid, strerror(-r), errno_name(r, ename));
}
