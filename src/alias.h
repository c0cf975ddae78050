/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Type groups and alias resolution. Types offered by several parents are
 * grouped by identity (backend and vendor name, or raw id); each group
 * answers to its raw id, its normalized vendor name ("grid-t4-2q"), its
 * board-qualified short name ("t4-2q") and, only while no other group on the
 * host could mean the same, its board-less name ("grid-2q"; "nvidia-2q" for
 * a name with the NVIDIA prefix). Any alias that two groups share resolves to
 * neither: the error lists both. Resolution is case-insensitive and
 * punctuation-insensitive ("GRID T4-2Q", "grid_t4_2q").
 */
#pragma once

#include "error.h"
#include "model.h"

struct vgpu_host;

struct alias_changes {
        struct vgpu_type_group **added, **changed, **removed; /* removed: detached, not yet freed */
        size_t n_added, n_changed, n_removed;
};

/* Regroup every type of h, recompute aliases, availability sums and the
 * alias index. Groups that lost all members are detached and returned in
 * ret->removed for the caller to announce and free. */
int alias_rebuild(struct vgpu_host *h, struct alias_changes *ret);
void alias_changes_done(struct alias_changes *c);
void alias_index_free(struct vgpu_host *h);

void type_group_free(struct vgpu_type_group *g);

/* Resolve a user's type name to a group. -EINVAL: empty or no letters/digits;
 * -ENOENT: no such type (err lists the types there are); -ENOTUNIQ: several
 * types answer to it (err lists them). */
int type_resolve(const struct vgpu_host *h, const char *name, struct vgpu_type_group **ret,
                 struct vgpu_error *err);

/* Sum of available_instances over the group's members. */
unsigned type_group_available(const struct vgpu_type_group *g);
