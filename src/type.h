/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One parent's vGPU type: construction from what the driver reports (id,
 * name, description, device_api, available_instances), the vendor fields and
 * host-independent aliases derived from it, and the identity that groups the
 * same type across parents.
 */
#pragma once

#include "model.h"

int type_new(const char *id, enum vgpu_backend_kind backend, struct vgpu_type **ret);
void type_free(struct vgpu_type *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct vgpu_type *, type_free);

/* Set the reported strings (NULL = the driver has none) and derive vendor,
 * parsed fields and aliases. A name/description the vendor rules cannot
 * parse leaves the parsed fields unknown and sets t->parse_error; that is
 * not a failure (the type stays usable by its raw id). -ENOMEM only. */
int type_set_info(struct vgpu_type *t, const char *name, const char *description, const char *device_api);

/* Same id, backend, strings and availability? (what a refresh compares) */
bool type_equal(const struct vgpu_type *a, const struct vgpu_type *b);

/* Identity of the user-facing type: "<backend>:<name or id>". */
char *type_group_key(const struct vgpu_type *t);

/* Add a normalized alias (dropped if empty or already present). */
int type_add_alias(struct vgpu_type *t, const char *raw);
