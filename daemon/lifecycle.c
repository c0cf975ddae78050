/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of lifecycle.h. */
#include <systemd/sd-id128.h>

#include "alias.h"
#include "auth.h"
#include "availability.h"
#include "backend.h"
#include "bus-error.h"
#include "bus-names.h"
#include "bus-options.h"
#include "config-file.h"
#include "gpu.h"
#include "host.h"
#include "lifecycle.h"
#include "log.h"
#include "manager.h"
#include "operation.h"
#include "placement.h"
#include "planner.h"
#include "sched.h"
#include "strutil.h"

/* ---- arguments ---------------------------------------------------------------------------------------- */

typedef struct CreateOptions {
        bool persistent;
        bool autostart;
        struct vgpu_attr *attrs;
        size_t n_attrs;
        enum placement_policy placement;
        struct sched_quota quota; /* share or weight (sched.h) */
} CreateOptions;

static void create_options_done(CreateOptions *o) {
        attrs_free(o->attrs, o->n_attrs);
        *o = (CreateOptions){};
}

static int read_option_attrs(sd_bus_message *m, CreateOptions *o, sd_bus_error *e) {
        const char *name, *value;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(ss)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "(ss)", &name, &value)) > 0) {
                if (!attr_name_is_valid(name))
                        return bus_error_setf(e, -EINVAL, SUBJECT_ARGUMENT,
                                              "Invalid attribute name '%s': a file name below the device "
                                              "([A-Za-z0-9_.-], not '.' or '..')",
                                              name);
                r = attrs_add(&o->attrs, &o->n_attrs, name, value);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

enum { OPT_PERSISTENT, OPT_AUTOSTART, OPT_ATTRS, OPT_PLACEMENT, OPT_SHARE, OPT_WEIGHT };
static const BusOption create_options[] = {
        [OPT_PERSISTENT] = {"persistent", "b"}, [OPT_AUTOSTART] = {"autostart", "b"},
        [OPT_ATTRS] = {"attrs", "a(ss)"},       [OPT_PLACEMENT] = {"placement", "s"},
        [OPT_SHARE] = {"share", "u"},           [OPT_WEIGHT] = {"weight", "u"},
};

static int read_create_option(sd_bus_message *msg, size_t k, void *userdata, sd_bus_error *e) {
        CreateOptions *o = userdata;
        const char *p;
        uint32_t u;
        int b, r;

        switch (k) {
        case OPT_PERSISTENT:
        case OPT_AUTOSTART:
                r = sd_bus_message_read_basic(msg, 'b', &b);
                if (r < 0)
                        return r;
                if (k == OPT_PERSISTENT)
                        o->persistent = b;
                else
                        o->autostart = b;
                return 0;
        case OPT_ATTRS:
                return read_option_attrs(msg, o, e);
        case OPT_PLACEMENT:
                r = sd_bus_message_read_basic(msg, 's', &p);
                if (r < 0)
                        return r;
                o->placement = placement_policy_from_string(p);
                if (o->placement < 0)
                        return bus_error_setf(e, -EINVAL, SUBJECT_ARGUMENT,
                                              "Invalid placement '%s': use pack or spread", p);
                return 0;
        default:
                r = sd_bus_message_read_basic(msg, 'u', &u);
                if (r < 0)
                        return r;
                if (u == 0 || (k == OPT_SHARE && u > 100))
                        return bus_error_setf(
                                e, -EINVAL, SUBJECT_ARGUMENT,
                                "Invalid %s %u: a share is 1 to 100 (percent), a weight at least 1",
                                create_options[k].key, u);
                if (k == OPT_SHARE)
                        o->quota.share = u;
                else
                        o->quota.weight = u;
                return 0;
        }
}

/* The a{sv} of CreateInstance/DefineInstance. */
static int read_create_options(Manager *m, sd_bus_message *msg, bool define, CreateOptions *o,
                               sd_bus_error *e) {
        int r;

        o->placement = m->config->placement_policy;
        r = bus_read_options(msg, create_options, ELEMENTSOF(create_options), read_create_option, o, e);
        if (r < 0)
                return r;
        /* autostart implies persistent; a definition is persistent by nature. */
        if (o->autostart || define)
                o->persistent = true;
        if (o->quota.share > 0 && o->quota.weight > 0)
                return bus_error_setf(
                        e, -EINVAL, SUBJECT_ARGUMENT,
                        "Give a share or a weight, not both: a share counts under fixed-share, a "
                        "weight under weighted");
        return 0;
}

/* "" -> a new random (version 4) UUID; anything else must be a UUID. */
static int read_uuid(const char *s, char out[static UUID_STRING_MAX], sd_bus_error *e) {
        if (isempty(s)) {
                sd_id128_t id;
                int r = sd_id128_randomize(&id);
                if (r < 0)
                        return bus_error_setf(e, r, SUBJECT_ARGUMENT, "Cannot generate a UUID: %s",
                                              strerror(-r));
                snprintf(out, UUID_STRING_MAX, SD_ID128_UUID_FORMAT_STR, SD_ID128_FORMAT_VAL(id));
                return 0;
        }
        if (uuid_normalize(s, out) < 0)
                return bus_error_setf(e, -EINVAL, SUBJECT_ARGUMENT,
                                      "Invalid UUID '%s': expected 8-4-4-4-12 hexadecimal digits", s);
        return 0;
}

/* ---- where records live ------------------------------------------------------------------------------- */

typedef enum RecordHome {
        HOME_NONE,
        HOME_STATE,   /* vgpud's state directory */
        HOME_RUNTIME, /* the runtime directory: transient, this boot */
        HOME_MDEVCTL, /* mdevctl's directory (its own definitions) */
} RecordHome;

static RecordHome record_home(const struct vgpu_record *r) {
        if (!r)
                return HOME_NONE;
        if (!r->persistent)
                return HOME_RUNTIME;
        return r->origin == RECORD_ORIGIN_MDEVCTL ? HOME_MDEVCTL : HOME_STATE;
}

/* vgpud's persistent mdev definitions are mirrored into mdevctl's directory when configured. */
static bool mirrored_to_mdevctl(Manager *m, const struct vgpu_record *r) {
        return r && m->config->mdevctl_write && record_home(r) == HOME_STATE &&
               backend_device_kind(r->backend) == VGPU_DEVICE_MDEV && !isempty(r->parent);
}

/* Plan the record steps that take old (the instance's record) to new (NULL: no definition). */
static int plan_records(Operation *op, const struct vgpu_record *old, const struct vgpu_record *new) {
        Manager *m = op->manager;
        RecordHome from = record_home(old), to = record_home(new);
        int r;

        if (from == HOME_STATE && to != HOME_STATE)
                op->delete_state = true;
        if (from == HOME_RUNTIME && to != HOME_RUNTIME)
                op->delete_runtime = true;
        /* mdevctl's file: its own definition moving away, or our mirror that is no longer wanted or moved.
         */
        if ((from == HOME_MDEVCTL && to != HOME_MDEVCTL) ||
            (mirrored_to_mdevctl(m, old) &&
             /* mirrored_to_mdevctl() is false for NULL, so old and new are set where they are read */
             /* cppcheck-suppress nullPointer */
             (!mirrored_to_mdevctl(m, new) || !streq(old->parent, new->parent)))) {
                op->delete_mdevctl_parent = strdup(old->parent);
                if (!op->delete_mdevctl_parent)
                        return -ENOMEM;
                op->mirror_first = mirrored_to_mdevctl(m, old) && to != HOME_STATE;
        }

        if (to != HOME_NONE) {
                struct vgpu_record **slot = to == HOME_STATE     ? &op->save_state
                                            : to == HOME_RUNTIME ? &op->save_runtime
                                                                 : &op->save_mdevctl;
                r = record_copy(new, slot);
                if (r < 0)
                        return r;
                if (mirrored_to_mdevctl(m, new)) {
                        r = record_copy(new, &op->save_mdevctl);
                        if (r < 0)
                                return r;
                }
        }
        op->replace_record = true;
        if (new) {
                r = record_copy(new, &op->new_record);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- replies ------------------------------------------------------------------------------------------ */

static void reply_error(Operation *op, int r) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

        operation_error(op, r, &e);
        log_info("%s %s failed: %s", strna(sd_bus_message_get_member(op->call)), op->uuid, e.message);
        if (op->call)
                (void) sd_bus_reply_method_error(op->call, &e);
}

static void reply_empty(Operation *op, int r) {
        if (r < 0)
                return reply_error(op, r);
        (void) sd_bus_reply_method_return(op->call, NULL);
}

static void reply_uuid_path(Operation *op, int r) {
        _cleanup_free_ char *path = NULL;

        if (r == -ENOSPC && op->host_failed && op->device == DEVICE_CREATE) {
                /* The driver had no room after all (another create took it first): a capacity refusal. */
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
                char ename[16];
                if (op->error.message)
                        bus_error_setf(&e, r, SUBJECT_ARGUMENT, "No room left for %s on %s: %s", op->type_id,
                                       strna(op->parent), op->error.message);
                else
                        bus_error_setf(&e, r, SUBJECT_ARGUMENT, "No room left for %s on %s: %s: %s (%s)",
                                       op->type_id, strna(op->parent), strna(op->error.path),
                                       strerror(ENOSPC), errno_name(r, ename));
                (void) sd_bus_reply_method_error(op->call, &e);
                return;
        }
        if (r < 0)
                return reply_error(op, r);
        if (instance_path_from_uuid(op->uuid, &path) < 0)
                return reply_error(op, -ENOMEM);
        if (op->device == DEVICE_CREATE)
                log_info("Created %s (%s on %s).", op->uuid, op->type_id, op->parent);
        else
                log_info("Defined %s (%s%s%s).", op->uuid, op->type_id,
                         op->parent ? " on " : ", placed at start", strempty(op->parent));
        (void) sd_bus_reply_method_return(op->call, "so", op->uuid, path);
}

/* ---- create and define -------------------------------------------------------------------------------- */

static int plan_admit(void *userdata, enum plan_action action, const struct vgpu_type *t, const char *uuid,
                      const struct sched_quota *q, char **ret_reason) {
        PlanContext *c = userdata;

        switch (action) {
        case PLAN_CREATE:
                return sched_admit_create(c->manager, t, uuid, q, ret_reason);
        case PLAN_DEFINE:
                return sched_check_definition(c->manager, t, uuid, q, ret_reason);
        default:
                return sched_admit_start(c->instance, t->parent->name, ret_reason);
        }
}

static bool plan_create_fits(void *userdata, const struct vgpu_type *t) {
        PlanContext *c = userdata;
        return operation_create_fits(c->manager, t);
}

struct plan_env plan_env_for(PlanContext *c) {
        return (struct plan_env){
                .host = c->manager->host,
                .admit = plan_admit,
                .create_fits = plan_create_fits,
                .userdata = c,
        };
}

/* A refusal of the planner as a named D-Bus error. */
static int plan_error(int r, const struct plan *p, sd_bus_error *e) {
        static const ErrorSubject subjects[] = {
                [PLAN_SUBJECT_ARGUMENT] = SUBJECT_ARGUMENT,
                [PLAN_SUBJECT_TYPE] = SUBJECT_TYPE,
                [PLAN_SUBJECT_GPU] = SUBJECT_GPU,
        };
        if (!p->reason)
                return r; /* -ENOMEM: no sentence to build */
        return bus_error_setf(e, r, subjects[p->subject], "%s", p->reason);
}

static int defer_create(Manager *m, sd_bus_message *call) {
        sd_bus_message **v =
                realloc(m->deferred_creates, (m->n_deferred_creates + 1) * sizeof(sd_bus_message *));
        if (!v)
                return -ENOMEM;
        m->deferred_creates = v;
        m->deferred_creates[m->n_deferred_creates++] = sd_bus_message_ref(call);
        return 1; /* answered when it runs again */
}

/* The record of a planned new instance: what the options and the plan say. */
static int record_for(const char *uuid, const CreateOptions *o, const struct plan *p,
                      struct vgpu_record **ret) {
        _cleanup_(record_freep) struct vgpu_record *rec = NULL;
        int r;

        r = record_new(uuid, p->type->backend, p->type->id, &rec);
        if (r < 0)
                return r;
        rec->persistent = o->persistent;
        rec->autostart = o->autostart;
        rec->origin = RECORD_ORIGIN_VGPUD;
        if (o->quota.share > 0)
                rec->quota.share = (int) o->quota.share;
        if (o->quota.weight > 0)
                rec->quota.weight = (int) o->quota.weight;
        if (p->type->name && !(rec->type_name = strdup(p->type->name)))
                return -ENOMEM;
        if (p->parent && !(rec->parent = strdup(p->parent)))
                return -ENOMEM;
        if (p->gpu)
                snprintf(rec->gpu, sizeof(rec->gpu), "%s", p->gpu);
        if (o->n_attrs > 0) {
                r = attrs_copy(o->attrs, o->n_attrs, &rec->attrs);
                if (r < 0)
                        return r;
                rec->n_attrs = o->n_attrs;
        }
        *ret = TAKE_PTR(rec);
        return 0;
}

/* The operation's steps for a new instance: the backend's create (host_step), then rec written. */
static int fill_new(Operation *op, bool host_step, const struct vgpu_record *rec) {
        op->device = host_step ? DEVICE_CREATE : DEVICE_KEEP;
        if (!(op->type_id = strdup(rec->type_id)) || (rec->parent && !(op->parent = strdup(rec->parent))))
                return -ENOMEM;
        if (host_step) {
                if (attrs_copy(rec->attrs, rec->n_attrs, &op->attrs) < 0)
                        return -ENOMEM;
                op->n_attrs = rec->n_attrs;
        }
        return plan_records(op, NULL, rec);
}

/* A new instance object and its operation, queued; the reply follows when it is done. */
static int submit_new(Manager *m, sd_bus_message *call, const struct plan *p, const struct vgpu_record *rec,
                      sd_bus_error *e) {
        Operation *op;
        Instance *i;
        int r;

        r = manager_add_instance(m, rec->uuid, &i);
        if (r < 0)
                return r;
        i->origin = ORIGIN_VGPUD;
        r = operation_new(m, i, p->backend->kind, call, reply_uuid_path, &op);
        if (r >= 0) {
                r = fill_new(op, p->host_step, rec);
                if (r < 0)
                        operation_free(op);
                else if ((r = operation_submit(op)) < 0) /* op is freed */
                        r = bus_error_setf(e, r, SUBJECT_ARGUMENT, "Cannot queue the operation: %s",
                                           strerror(-r));
        }
        if (r < 0)
                manager_drop_instance(m, i);
        return r < 0 ? r : 1;
}

/* Parse, plan, submit: CreateInstance and DefineInstance once authorized, and again for a create that
 * waited (manager_retry_deferred_creates). The reply follows when the operation is done. */
static int create(Manager *m, sd_bus_message *call, sd_bus_error *e) {
        _cleanup_(create_options_done) CreateOptions o = {};
        _cleanup_(plan_done) struct plan plan = {};
        _cleanup_(record_freep) struct vgpu_record *rec = NULL;
        const char *type, *gpu, *uuid_arg;
        bool define = streq_ptr(sd_bus_message_get_member(call), "DefineInstance");
        char uuid[UUID_STRING_MAX];
        int r;

        /* parse */
        r = sd_bus_message_read(call, "sss", &type, &gpu, &uuid_arg);
        if (r < 0)
                return r;
        r = read_create_options(m, call, define, &o, e);
        if (r < 0)
                return r;
        r = read_uuid(uuid_arg, uuid, e);
        if (r < 0)
                return r;
        /* Placement and admission never act on numbers older than the host: while the availability of some
         * GPU is being re-read after an operation, wait for it (before anything costly is done twice).
         * When nothing else is being created, read the numbers now on this thread instead, as a start does:
         * a single create (one vgpuctl per call) then waits neither for the refresh queued behind the
         * GPU's other operations nor for its completion's turn on the loop. A batch (creates in flight or
         * waiting) waits together, and the worker reads the numbers once for all of them. */
        if (!define && refresher_pending(m->refresher)) {
                if (m->creates || m->n_deferred_creates > 0 || m->n_retrying_creates > 1)
                        return defer_create(m, call);
                refresher_flush(m->refresher);
        }
        if (manager_find_instance(m, uuid))
                return bus_error_setf(e, -EEXIST, SUBJECT_ARGUMENT, "UUID %s is already used by an instance",
                                      uuid);
        /* A GPU named by its id (pci_…, rpcN): the planner speaks addresses. */
        GpuObject *named = !isempty(gpu) ? manager_find_gpu(m, gpu) : NULL;

        /* plan */
        PlanContext c = {.manager = m};
        struct plan_env env = plan_env_for(&c);
        struct plan_request req = {
                .action = define ? PLAN_DEFINE : PLAN_CREATE,
                .uuid = uuid,
                .type = type,
                .gpu = named ? named->address : gpu,
                .gpu_known = named,
                .placement = o.placement,
                .quota = o.quota,
        };
        r = plan_instance(&env, &req, &plan);
        if (r < 0)
                return plan_error(r, &plan, e);
        if (plan.wait)
                return defer_create(m, call); /* after the creates in flight on that GPU */

        /* submit */
        r = record_for(uuid, &o, &plan, &rec);
        if (r < 0)
                return r;
        return submit_new(m, call, &plan, rec, e);
}

int lifecycle_create(Manager *m, sd_bus_message *call, sd_bus_error *e) {
        /* Authorization first and once: an outsider learns nothing about the arguments it sent, and a
         * create that waits is not asked again. */
        int r = bus_authorize(call, m->config->admin_group, e);
        return r < 0 ? r : create(m, call, e);
}

void manager_retry_deferred_creates(Manager *m) {
        size_t n = m->n_deferred_creates;
        _cleanup_free_ sd_bus_message **calls = TAKE_PTR(m->deferred_creates);

        m->n_deferred_creates = 0;
        m->n_retrying_creates = n; /* a batch: create() lets them wait together again */
        for (size_t k = 0; k < n; k++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = calls[k];
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
                int r = sd_bus_message_rewind(call, true);
                if (r >= 0)
                        r = create(m, call, &e);
                if (r < 0) {
                        if (!sd_bus_error_is_set(&e))
                                sd_bus_error_set_errno(&e, r);
                        (void) sd_bus_reply_method_error(call, &e);
                }
        }
        m->n_retrying_creates = 0;
}

/* ---- operations on one instance ----------------------------------------------------------------------- */

static int check_idle(Instance *i, sd_bus_error *e) {
        if (i->pending > 0)
                return bus_error_setf(
                        e, -EALREADY, SUBJECT_INSTANCE,
                        "Another operation on instance %s is in progress; try again when it is done",
                        i->uuid);
        return 0;
}

/* Plan the start of a defined instance (planner.h) and queue it. */
static int queue_start(Instance *i, sd_bus_message *call, operation_done_t done, void *userdata,
                       char **ret_error) {
        Manager *m = i->manager;
        _cleanup_(plan_done) struct plan plan = {};
        Operation *op;
        int r;

        /* A start answers now: placement reads the numbers still being re-read itself. */
        if (isempty(i->record->parent) && refresher_pending(m->refresher))
                refresher_flush(m->refresher);
        PlanContext c = {.manager = m, .instance = i};
        struct plan_env env = plan_env_for(&c);
        struct plan_request req = {
                .action = PLAN_START,
                .uuid = i->uuid,
                .record = i->record,
                .start_placement = m->config->placement_policy,
        };
        r = plan_instance(&env, &req, &plan);
        if (r < 0) {
                *ret_error = TAKE_PTR(plan.reason);
                return r;
        }
        r = operation_new(m, i, plan.backend->kind, call, done, &op);
        if (r < 0)
                return r;
        op->userdata = userdata;
        op->device = DEVICE_CREATE;
        op->parent = strdup(plan.parent);
        op->type_id = strdup(i->record->type_id);
        if (!op->parent || !op->type_id ||
            attrs_copy(i->record->attrs, i->record->n_attrs, &op->attrs) < 0) {
                operation_free(op);
                return -ENOMEM;
        }
        op->n_attrs = i->record->n_attrs;
        return operation_submit(op);
}

static void reply_started(Operation *op, int r) {
        if (r >= 0)
                log_info("Started %s on %s.", op->uuid, strna(op->parent));
        reply_empty(op, r);
}

int lifecycle_start(Instance *i, sd_bus_message *call, sd_bus_error *e) {
        _cleanup_free_ char *why = NULL;
        int r;

        r = check_idle(i, e); /* the method authorized first (bus-instance.c) */
        if (r < 0)
                return r;
        if (i->live)
                return sd_bus_reply_method_return(call, NULL); /* already there: starting is idempotent */
        if (!i->record)
                return bus_error_setf(e, -ENOENT, SUBJECT_INSTANCE, "Instance %s has no definition to start",
                                      i->uuid);
        i->failed = false;
        r = queue_start(i, call, reply_started, NULL, &why);
        if (r == -ENODEV || r == -ENOENT)
                return bus_error_setf(e, r, SUBJECT_GPU, "Cannot start %s: %s", i->uuid, strna(why));
        if (r == -ENOSPC)
                return bus_error_setf(e, r, SUBJECT_ARGUMENT, "Cannot start %s: %s", i->uuid, strna(why));
        if (r < 0)
                return bus_error_setf(e, r, SUBJECT_ARGUMENT, "Cannot start %s: %s", i->uuid,
                                      why ?: strerror(-r));
        return 1;
}

/* Stop (keep_definition) or destroy. */
static int stop_or_destroy(Instance *i, sd_bus_message *call, bool force, bool destroy, sd_bus_error *e) {
        Operation *op;
        int r;

        r = check_idle(i, e); /* the method authorized first (bus-instance.c) */
        if (r < 0)
                return r;
        if (!i->live && !destroy)
                return sd_bus_reply_method_return(call, NULL); /* not on the host: stopping is idempotent */
        if (i->live && instance_owner(i) && !force)
                return bus_error_setf(e, -EBUSY, SUBJECT_INSTANCE,
                                      "Instance %s is assigned to domain %s; shut the domain down first, or "
                                      "force it ('vgpuctl %s --force %s')",
                                      i->uuid, instance_owner(i), destroy ? "destroy" : "stop", i->uuid);
        r = operation_new(i->manager, i, instance_backend(i), call, reply_empty, &op);
        if (r < 0)
                return r;
        if (i->live) {
                op->device = DEVICE_DESTROY;
                op->check_in_use = !force;
                if (i->live->parent_name && !(op->parent = strdup(i->live->parent_name))) {
                        operation_free(op);
                        return -ENOMEM;
                }
        }
        /* Destroy forgets the definition; stop forgets only a transient one (it exists only while created).
         */
        if (destroy || !instance_persistent(i))
                r = plan_records(op, i->record, NULL);
        if (r < 0) {
                operation_free(op);
                return r;
        }
        /* A persistent vf / nvidia-vfio instance placed at start: its placement goes with the device. */
        if (i->live && instance_persistent(i) && op->backend && op->backend->device_kind == VGPU_DEVICE_PCI)
                op->delete_runtime = true;
        r = operation_submit(op);
        return r < 0 ? bus_error_setf(e, r, SUBJECT_ARGUMENT, "Cannot queue the operation: %s", strerror(-r))
                     : 1;
}

int lifecycle_stop(Instance *i, sd_bus_message *call, bool force, sd_bus_error *e) {
        return stop_or_destroy(i, call, force, false, e);
}

int lifecycle_destroy(Instance *i, sd_bus_message *call, bool force, sd_bus_error *e) {
        return stop_or_destroy(i, call, force, true, e);
}

/* Queue a record-only change from i->record to new. */
static int queue_record_change(Instance *i, sd_bus_message *call, const struct vgpu_record *new,
                               sd_bus_error *e) {
        return lifecycle_record_change(i, call, new, reply_empty, e);
}

int lifecycle_record_change(Instance *i, sd_bus_message *call, const struct vgpu_record *new,
                            operation_done_t done, sd_bus_error *e) {
        Operation *op;
        int r;

        r = operation_new(i->manager, i, instance_backend(i), call, done, &op);
        if (r < 0)
                return r;
        r = plan_records(op, i->record, new);
        if (r < 0) {
                operation_free(op);
                return r;
        }
        r = operation_submit(op);
        return r < 0 ? bus_error_setf(e, r, SUBJECT_ARGUMENT, "Cannot queue the operation: %s", strerror(-r))
                     : 1;
}

int lifecycle_define(Instance *i, sd_bus_message *call, sd_bus_error *e) {
        _cleanup_(record_freep) struct vgpu_record *new = NULL;
        int r;

        r = check_idle(i, e); /* the method authorized first (bus-instance.c) */
        if (r < 0)
                return r;
        if (instance_persistent(i))
                return sd_bus_reply_method_return(call, NULL); /* already defined */
        if (i->record)
                r = record_copy(i->record, &new);
        else {
                /* Made by someone else: its definition is what it is now. */
                const struct vgpu_instance *live = i->live;
                if (!live || !live->type_id)
                        return bus_error_setf(e, -ENODEV, SUBJECT_INSTANCE,
                                              "Instance %s is not on the host; nothing to define", i->uuid);
                r = record_new(i->uuid, live->backend, live->type_id, &new);
                if (r >= 0 && live->parent_name && !(new->parent = strdup(live->parent_name)))
                        r = -ENOMEM;
                if (r >= 0 && live->type && live->type->name && !(new->type_name = strdup(live->type->name)))
                        r = -ENOMEM;
                if (r >= 0 && live->gpu)
                        snprintf(new->gpu, sizeof(new->gpu), "%s", live->gpu->bdf);
        }
        if (r < 0)
                return r;
        new->persistent = true;
        new->origin = RECORD_ORIGIN_VGPUD;
        return queue_record_change(i, call, new, e);
}

int lifecycle_undefine(Instance *i, sd_bus_message *call, sd_bus_error *e) {
        _cleanup_(record_freep) struct vgpu_record *new = NULL;
        int r;

        r = check_idle(i, e); /* the method authorized first (bus-instance.c) */
        if (r < 0)
                return r;
        if (!instance_persistent(i))
                return bus_error_setf(e, -ENOENT, SUBJECT_INSTANCE,
                                      "Instance %s has no persistent definition", i->uuid);
        if (i->live) {
                /* It stays on the host as a transient instance of this boot, on the function (vf,
                 * nvidia-vfio) where it was placed at start if its definition names none. */
                r = record_copy(i->record, &new);
                if (r < 0)
                        return r;
                if (isempty(new->parent) && i->live->parent_name) {
                        free(new->parent);
                        if (!(new->parent = strdup(i->live->parent_name)))
                                return -ENOMEM;
                }
                if (!new->gpu[0] && i->live->gpu)
                        snprintf(new->gpu, sizeof(new->gpu), "%s", i->live->gpu->bdf);
                new->persistent = false;
                new->autostart = false;
                new->origin = RECORD_ORIGIN_VGPUD;
        }
        return queue_record_change(i, call, new, e);
}

int lifecycle_set_autostart(Instance *i, sd_bus_message *call, bool enable, sd_bus_error *e) {
        _cleanup_(record_freep) struct vgpu_record *new = NULL;
        int r;

        r = check_idle(i, e); /* the method authorized first (bus-instance.c) */
        if (r < 0)
                return r;
        if (!instance_persistent(i))
                return bus_error_setf(e, -EINVAL, SUBJECT_ARGUMENT,
                                      "Instance %s is not persistent: define it first ('vgpuctl define %s')",
                                      i->uuid, i->uuid);
        if (i->record->autostart == enable)
                return sd_bus_reply_method_return(call, NULL);
        r = record_copy(i->record, &new);
        if (r < 0)
                return r;
        new->autostart = enable;
        return queue_record_change(i, call, new, e);
}

/* ---- autostart ---------------------------------------------------------------------------------------- */

static void autostart_done(Operation *op, int r) {
        lifecycle_done_t done = (lifecycle_done_t) op->userdata;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

        if (r < 0)
                operation_error(op, r, &e);
        done(op->manager, op->uuid, r, e.message);
}

int lifecycle_autostart(Instance *i, lifecycle_done_t done) {
        _cleanup_free_ char *why = NULL;
        int r;

        if (i->pending > 0)
                return -EALREADY;
        r = queue_start(i, NULL, autostart_done, (void *) done, &why);
        if (r < 0)
                done(i->manager, i->uuid, r, why);
        return r;
}

/* ---- for the rest of vgpud ---------------------------------------------------------------------------- */

int lifecycle_queue_start(Instance *i, operation_done_t done, void *userdata, char **ret_error) {
        if (i->pending > 0)
                return -EALREADY;
        if (!i->record)
                return -ENOENT;
        return queue_start(i, NULL, done, userdata, ret_error);
}

/* An operation that removes i's device when it has one (stop, destroy); the caller adds the records. */
static int new_removal(Instance *i, bool check_in_use, operation_done_t done, void *userdata,
                       Operation **ret) {
        Operation *op;
        int r;

        if (i->pending > 0)
                return -EALREADY;
        r = operation_new(i->manager, i, instance_backend(i), NULL, done, &op);
        if (r < 0)
                return r;
        op->userdata = userdata;
        if (i->live) {
                op->device = DEVICE_DESTROY;
                op->check_in_use = check_in_use;
                if (i->live->parent_name && !(op->parent = strdup(i->live->parent_name))) {
                        operation_free(op);
                        return -ENOMEM;
                }
        }
        *ret = op;
        return 0;
}

int lifecycle_queue_stop(Instance *i, bool check_in_use, operation_done_t done, void *userdata) {
        Operation *op;
        int r;

        r = new_removal(i, check_in_use, done, userdata, &op);
        if (r < 0)
                return r;
        /* A transient instance exists only while created: stopping it forgets it. */
        if (!instance_persistent(i)) {
                r = plan_records(op, i->record, NULL);
                if (r < 0) {
                        operation_free(op);
                        return r;
                }
        }
        return operation_submit(op);
}

/* ---- for Manager.Apply (apply.c): the same steps with a record chosen by the caller --------------------
 */

int lifecycle_queue_create_record(Manager *m, const struct vgpu_record *rec, bool make_device,
                                  operation_done_t done, void *userdata) {
        Operation *op;
        Instance *i;
        int r;

        if (manager_find_instance(m, rec->uuid))
                return -EEXIST;
        if (make_device && isempty(rec->parent))
                return -EINVAL;
        r = manager_add_instance(m, rec->uuid, &i);
        if (r < 0)
                return r;
        i->origin = ORIGIN_VGPUD;
        r = operation_new(m, i, rec->backend, NULL, done, &op);
        if (r >= 0) {
                op->userdata = userdata;
                r = fill_new(op, make_device, rec);
                if (r < 0)
                        operation_free(op);
                else
                        r = operation_submit(op); /* frees op on failure */
        }
        if (r < 0)
                manager_drop_instance(m, i);
        return r;
}

int lifecycle_queue_destroy(Instance *i, bool check_in_use, operation_done_t done, void *userdata) {
        Operation *op;
        int r;

        r = new_removal(i, check_in_use, done, userdata, &op);
        if (r < 0)
                return r;
        r = plan_records(op, i->record, NULL);
        if (r < 0) {
                operation_free(op);
                return r;
        }
        if (i->live && instance_persistent(i) && op->backend && op->backend->device_kind == VGPU_DEVICE_PCI)
                op->delete_runtime = true;
        return operation_submit(op);
}
