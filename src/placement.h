/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Placement: where a new instance of a type goes when the caller names no
 * GPU (or names one and wants to know why not). Pure logic over the host
 * model, no I/O: the live available_instances of each parent is the driver's
 * word on what fits (it already applies NVIDIA's one-type-per-GPU rule, the
 * heterogeneous mode where enabled, GVT-g's shared pool, one vGPU per VF);
 * placement orders the candidates by policy and, when nothing fits, asks the
 * vendor rules to explain per candidate GPU why not.
 *
 * The unit of placement is a physical GPU with every parent on it (the GPU
 * itself and the parents of its VFs); a parent that is not a PCI GPU (mtty)
 * is a unit of its own.
 */
#pragma once

#include "error.h"
#include "model.h"

struct vgpu_host;

enum placement_policy {
        PLACEMENT_PACK,   /* fill GPUs already hosting the type first */
        PLACEMENT_SPREAD, /* least-loaded (fewest instances) first */
        _PLACEMENT_POLICY_MAX,
        _PLACEMENT_POLICY_INVALID = -EINVAL,
};

const char *placement_policy_to_string(enum placement_policy p);
enum placement_policy placement_policy_from_string(const char *s);

struct placement_unit {
        const char *name;             /* GPU BDF, or the parent's name */
        struct vgpu_gpu *gpu;         /* NULL for a parent that is not a PCI GPU */
        struct vgpu_parent **parents; /* every parent on the unit */
        size_t n_parents;
        struct vgpu_instance **instances; /* every live instance on the unit */
        size_t n_instances;
        struct vgpu_parent *named; /* the one parent the caller asked for (a VF), or NULL */
};

/* One candidate unit, as ExplainPlacement shows it. */
struct placement_candidate {
        char *unit;             /* GPU BDF, or the parent's name */
        struct vgpu_gpu *gpu;   /* NULL for a parent that is not a PCI GPU */
        struct vgpu_type *type; /* the member that would be used (type->parent: where), NULL when no room */
        char *reason; /* when type is NULL: why ("hosts GRID T4-1B (instance ...); this driver ...") */
};

struct placement_result {
        struct vgpu_type *type;                 /* the choice: the first candidate with room, or NULL */
        struct placement_candidate *candidates; /* every candidate unit, in policy order */
        size_t n_candidates;
};

/* Place a new instance of g. gpu, when non-NULL, restricts the choice to
 * that GPU (a BDF, with or without the domain) or to one parent (a VF's
 * BDF, a non-PCI parent's name). ret lists every candidate in the order the
 * policy tries them, each with its chosen parent or the reason it has no
 * room, so one call serves both create and ExplainPlacement. Returns 0 with
 * ret->type set; -ENOSPC when no candidate has room (err: one message with
 * a line per candidate, "No GPU can host another X now:\n  GPU <bdf> <reason>");
 * -ENODEV when gpu names nothing on this host; -ENOENT when it does not offer g.
 * ret is filled (and must be released) whenever the return is 0 or -ENOSPC. */
int placement_choose(const struct vgpu_host *h, const struct vgpu_type_group *g, const char *gpu,
                     enum placement_policy policy, struct placement_result *ret, struct vgpu_error *err);
void placement_result_done(struct placement_result *r);

/* Why gpu (a BDF or parent name) cannot take another instance of g now:
 * *ret is a sentence, or NULL when it can. For a type's UnavailableReason. */
int placement_unavailable_reason(const struct vgpu_host *h, const struct vgpu_type_group *g, const char *gpu,
                                 char **ret);
