/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The create, define and start decision as one function: resolve the type name, place the instance,
 * admit it against the quotas, and say what the backend is to do. It reads the host model it is given
 * (host.h) and asks its caller what the model cannot say (admission against the instances and changes
 * in flight, room taken by creates not yet done); it writes nothing, touches no sysfs and no bus. vgpud's
 * D-Bus handlers plan with it before they queue anything (daemon/lifecycle.c); a declarative apply can
 * plan a whole state with it; tests/unit/test-planner.c runs it on a model read from a fixture.
 *
 * A refusal says which argument it is about (plan.subject) and why (plan.reason, a sentence), so that
 * the edge turns it into a named error once.
 */
#pragma once

#include "backend.h"
#include "placement.h"
#include "quota.h"

struct vgpu_host;
struct vgpu_record;
struct vgpu_type_group;

enum plan_action {
        PLAN_CREATE, /* a new instance, made now */
        PLAN_DEFINE, /* a new definition: placed now when it names a GPU, else when it starts */
        PLAN_START,  /* a definition made an instance */
        _PLAN_ACTION_MAX,
};

struct plan_request {
        enum plan_action action;
        const char *uuid;
        /* create, define: */
        const char *type;                /* any name of the type (alias.h) */
        const char *gpu;                 /* a GPU's address or a parent's name; NULL or "": anywhere */
        bool gpu_known;                  /* the caller knows gpu (vgpud keeps GPUs definitions name) */
        enum placement_policy placement; /* for a create */
        struct sched_quota quota;
        /* start: */
        const struct vgpu_record *record;      /* the definition */
        enum placement_policy start_placement; /* for a definition that names no parent */
};

/* What the planner cannot see in the model: the caller's answers. */
struct plan_env {
        const struct vgpu_host *host;
        /* Admission of the instance as type t with quota q (start: the definition's own quota). A create
         * competes with what is on t's GPU and in flight; a definition only against the vendor's rules.
         * -errno with a sentence in *ret_reason. NULL: everything is admitted. */
        int (*admit)(void *userdata, enum plan_action action, const struct vgpu_type *t, const char *uuid,
                     const struct sched_quota *q, char **ret_reason);
        /* Would a create of t still fit once the creates in flight on its GPU are done? NULL: yes. */
        bool (*create_fits)(void *userdata, const struct vgpu_type *t);
        void *userdata;
};

/* The argument a refusal is about. */
enum plan_subject {
        PLAN_SUBJECT_ARGUMENT,
        PLAN_SUBJECT_TYPE,
        PLAN_SUBJECT_GPU,
};

struct plan {
        /* The type's group, and its member that was chosen: where the instance goes. A definition
         * without a GPU has no member yet; type is then the group's first (its backend and id). */
        struct vgpu_type_group *group;
        const struct vgpu_type *type;
        /* The parent to create on (create, start, a define naming a GPU); NULL for a definition placed at
         * start. Points into the model: valid until the model changes. */
        const char *parent;
        const char *gpu; /* parent's physical GPU, NULL if it has none */
        /* Whose operations carry it out. */
        const struct backend_ops *backend;
        /* The backend's create runs on parent now (create, start). */
        bool host_step;
        /* Nothing decided: creates in flight on the chosen GPU may take the room placement saw. Plan
         * again once they are done. */
        bool wait;

        /* On failure: */
        enum plan_subject subject;
        char *reason; /* a sentence, or NULL (-ENOMEM) */
};
void plan_done(struct plan *p);

/* Plan req over env. 0 with *ret filled (ret->wait: plan again later), or -errno with ret->subject and
 * ret->reason saying why: -ENOENT, -ENOTUNIQ (the type), -ENODEV (the GPU or parent), -ENOSPC (no
 * room), the admission's errno, -ENOMEM. */
int plan_instance(const struct plan_env *env, const struct plan_request *req, struct plan *ret);
