/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of planner.h. */
#include <stdarg.h>

#include "alias.h"
#include "host.h"
#include "pci.h"
#include "planner.h"
#include "record.h"
#include "strutil.h"

void plan_done(struct plan *p) {
        free(p->reason);
        p->reason = NULL;
}

/* A refusal: r with a sentence about subject. */
_printf_(4, 5) static int refuse(struct plan *p, int r, enum plan_subject subject, const char *fmt, ...) {
        va_list ap;
        char *s;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        free(p->reason);
        p->reason = s;
        p->subject = subject;
        return r;
}

/* Does the name (normalized) name this type: one of its aliases, or its board-less candidate? */
static bool type_answers_to(const struct vgpu_type *t, const char *normalized) {
        return strv_contains(t->aliases, normalized) || streq_ptr(t->boardless_alias, normalized);
}

static bool on_gpu(const struct vgpu_type *t, const char *gpu) {
        return t->parent->gpu && streq(t->parent->gpu->bdf, gpu);
}

/* An ambiguous name narrowed to one GPU the caller knows: the one group among the candidates that the
 * GPU offers, or NULL. */
static struct vgpu_type_group *resolve_on_gpu(const struct vgpu_host *h, const char *name, const char *gpu) {
        _cleanup_free_ char *a = alias_normalize(name);
        struct vgpu_type_group *found = NULL;

        if (!a)
                return NULL;
        for (size_t i = 0; i < h->n_groups; i++) {
                struct vgpu_type_group *g = h->groups[i];
                for (size_t k = 0; k < g->n_types; k++)
                        if (on_gpu(g->types[k], gpu) && type_answers_to(g->types[k], a)) {
                                if (found && found != g)
                                        return NULL; /* still ambiguous on that GPU */
                                found = g;
                                break;
                        }
        }
        return found;
}

/* A type name (any alias) to its group; the library's message lists the candidates or the types there
 * are. With a GPU the caller knows, a name that is ambiguous on the host may still be unique there. */
static int resolve(const struct plan_env *env, const struct plan_request *req, struct plan *p) {
        _cleanup_(vgpu_error_clearp) struct vgpu_error err = {};
        int r = type_resolve(env->host, req->type, &p->group, &err);

        if (r == -ENOTUNIQ && req->gpu_known && !isempty(req->gpu)) {
                p->group = resolve_on_gpu(env->host, req->type, req->gpu);
                if (p->group)
                        return 0;
        }
        if (r == -ENOENT)
                return refuse(p, r, PLAN_SUBJECT_TYPE, "%s",
                              err.message ?: "No such vGPU type on this host.");
        if (r == -ENOTUNIQ)
                return refuse(p, r, PLAN_SUBJECT_TYPE, "%s", err.message ?: "The type name is ambiguous.");
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return refuse(p, r, PLAN_SUBJECT_ARGUMENT, "Invalid type name '%s': %s", req->type,
                              err.message ?: strerror(-r));
        return 0;
}

/* The member of g on this GPU (or parent), whether or not it has room: where a definition goes. */
static const struct vgpu_type *member_on(const struct vgpu_type_group *g, const char *gpu, bool gpu_known) {
        for (size_t i = 0; i < g->n_types; i++) {
                const struct vgpu_type *t = g->types[i];
                if (streq(t->parent->name, gpu) || (gpu_known && on_gpu(t, gpu)))
                        return t;
        }
        return NULL;
}

static int placement_refusal(struct plan *p, int r, const char *type, const char *gpu,
                             const struct vgpu_error *err) {
        if (r == -ENOSPC)
                return refuse(p, r, PLAN_SUBJECT_ARGUMENT, "%s",
                              err->message ?: "No GPU can host another instance of this type now.");
        if (r == -ENODEV)
                return refuse(p, r, PLAN_SUBJECT_GPU, "No GPU '%s' on this host", strempty(gpu));
        if (r == -ENOENT && gpu)
                return refuse(p, r, PLAN_SUBJECT_TYPE,
                              "GPU %s does not offer %s ('vgpuctl types --gpu %s' lists what it offers)",
                              gpu, type, gpu);
        if (r == -ENOMEM)
                return r;
        return refuse(p, r, PLAN_SUBJECT_ARGUMENT, "Cannot place %s: %s", type,
                      err->message ?: strerror(-r));
}

/* Resolve, then place: a create on the member with room, a definition on the GPU it names (if any). */
static int place_new(const struct plan_env *env, const struct plan_request *req, struct plan *p,
                     const struct vgpu_type **ret_target) {
        _cleanup_(vgpu_error_clearp) struct vgpu_error err = {};
        _cleanup_(placement_result_done) struct placement_result placed = {};
        const char *gpu = isempty(req->gpu) ? NULL : req->gpu;
        int r;

        r = resolve(env, req, p);
        if (r < 0)
                return r;
        if (gpu && !req->gpu_known && !host_find_parent(env->host, gpu))
                return refuse(p, -ENODEV, PLAN_SUBJECT_GPU,
                              "No GPU '%s' on this host ('vgpuctl gpus' lists them)", gpu);
        *ret_target = NULL;
        if (req->action == PLAN_DEFINE) {
                /* A definition may name a full GPU: it is started later. Without a GPU it is placed at
                 * start. */
                if (gpu && !(*ret_target = member_on(p->group, gpu, req->gpu_known)))
                        return placement_refusal(p, -ENOENT, req->type, gpu, &err);
                return 0;
        }
        r = placement_choose(env->host, p->group, gpu, req->placement, &placed, &err);
        if (r < 0)
                return placement_refusal(p, r, req->type, gpu, &err);
        *ret_target = placed.type;
        return 0;
}

/* Where a definition goes when it starts: its parent, or placement on its GPU (or anywhere). */
static int place_start(const struct plan_env *env, const struct plan_request *req, struct plan *p,
                       const struct vgpu_type **ret_target) {
        _cleanup_(vgpu_error_clearp) struct vgpu_error err = {};
        _cleanup_(placement_result_done) struct placement_result placed = {};
        const struct vgpu_record *rec = req->record;
        int r;

        if (!isempty(rec->parent)) {
                struct vgpu_parent *parent = host_find_parent(env->host, rec->parent);
                if (!parent)
                        return refuse(p, -ENODEV, PLAN_SUBJECT_GPU, "parent %s is not present", rec->parent);
                if (!(*ret_target = parent_find_type(parent, rec->type_id)))
                        return refuse(p, -ENOENT, PLAN_SUBJECT_GPU, "parent %s does not offer %s",
                                      rec->parent, rec->type_id);
                p->group = (*ret_target)->group;
                return 0;
        }
        r = type_resolve(env->host, rec->type_id, &p->group, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return refuse(p, -ENODEV, PLAN_SUBJECT_GPU, "no GPU offers %s", rec->type_id);
        r = placement_choose(env->host, p->group, rec->gpu[0] ? rec->gpu : NULL, req->start_placement,
                             &placed, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return refuse(p, r, r == -ENODEV || r == -ENOENT ? PLAN_SUBJECT_GPU : PLAN_SUBJECT_ARGUMENT,
                              "%s", err.message ?: strerror(-r));
        *ret_target = placed.type;
        return 0;
}

/* The decision into p; on failure p->subject and p->reason say why. */
static int decide(const struct plan_env *env, const struct plan_request *req, struct plan *p) {
        const struct vgpu_type *target = NULL, *t;
        int r;

        /* Resolve and place. */
        r = req->action == PLAN_START ? place_start(env, req, p, &target) : place_new(env, req, p, &target);
        if (r < 0)
                return r;
        /* Placement sees what exists; creates in flight on that GPU may take the room it saw. */
        if (req->action == PLAN_CREATE && env->create_fits && !env->create_fits(env->userdata, target)) {
                p->wait = true;
                return 0;
        }

        /* Admit: a create competes now, a start with what is on its GPU, a definition only against the
         * vendor's rules on its quota (it competes once it starts). */
        t = target ?: vgpu_type_group_first(p->group);
        if (env->admit && t) {
                _cleanup_free_ char *why = NULL;
                r = env->admit(env->userdata, req->action, t, req->uuid, &req->quota, &why);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return refuse(p, r, PLAN_SUBJECT_ARGUMENT, "%s", why ?: strerror(-r));
        }

        /* The steps: the type's backend, its create on the parent now unless this is a definition. */
        p->type = t;
        p->parent = target ? target->parent->name : NULL;
        p->gpu = target && target->parent->gpu ? target->parent->gpu->bdf : NULL;
        p->backend = t ? backend_get(t->backend) : NULL;
        p->host_step = req->action != PLAN_DEFINE;
        if (!p->backend)
                return refuse(p, -EOPNOTSUPP, PLAN_SUBJECT_TYPE, "No backend provides type %s here.",
                              t ? t->id : req->type);
        return 0;
}

int plan_instance(const struct plan_env *env, const struct plan_request *req, struct plan *ret) {
        struct plan p = {};
        int r;

        if (!env || !env->host || !req || req->action < 0 || req->action >= _PLAN_ACTION_MAX ||
            (req->action == PLAN_START ? !req->record || isempty(req->record->type_id) : isempty(req->type)))
                return -EINVAL;
        r = decide(env, req, &p);
        if (r < 0) {
                /* only the reason is kept: the rest points into the model */
                *ret = (struct plan){.subject = p.subject, .reason = p.reason};
                return r;
        }
        *ret = p;
        return 0;
}
