/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Vendor attributes of an instance: an ordered list of (name, value) written
 * into the device's sysfs directory right after it is created (mdevctl's
 * semantics; order matters to some drivers). Names are relative paths inside
 * the device directory and are checked before they go near a path.
 */
#pragma once

#include "macro.h"

struct vgpu_attr {
        char *name;
        char *value;
};

/* Relative path of one or more components of [A-Za-z0-9_.-], none "." or "..", at most 255 bytes. */
bool attr_name_is_valid(const char *name);

/* Append a copy of (name, value) to the list. */
int attrs_add(struct vgpu_attr **attrs, size_t *n, const char *name, const char *value);
int attrs_copy(const struct vgpu_attr *src, size_t n, struct vgpu_attr **ret);
void attrs_free(struct vgpu_attr *attrs, size_t n);
bool attrs_equal(const struct vgpu_attr *a, size_t na, const struct vgpu_attr *b, size_t nb);

/* "name=value" (split at the first '='), as a command line gives it. */
int attr_parse_assignment(const char *s, struct vgpu_attr *ret);
