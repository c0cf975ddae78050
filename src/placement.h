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
};

struct placement_refusal {
        char *unit;   /* GPU BDF or parent name */
        char *reason; /* "hosts GRID T4-1B (instance ...); this driver allows one type per GPU" */
};

struct placement_result {
        struct vgpu_type *type;             /* on success: the member to create (type->parent is where) */
        struct placement_refusal *refusals; /* on -ENOSPC: one per candidate unit */
        size_t n_refusals;
};

/* Choose a parent for a new instance of g. gpu, when non-NULL, restricts the
 * choice to that GPU (a BDF, with or without the domain; or a parent name).
 * Returns 0 with ret->type set; -ENOSPC when no candidate has room (ret
 * holds the refusals, err the whole explanation in one message); -ENODEV
 * when gpu names nothing on this host; -ENOENT when it does not offer g. */
int placement_choose(const struct vgpu_host *h, const struct vgpu_type_group *g, const char *gpu,
                     enum placement_policy policy, struct placement_result *ret, struct vgpu_error *err);
void placement_result_done(struct placement_result *r);
