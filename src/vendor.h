/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Vendor rules, one ops table per vendor: which types a vendor's driver owns,
 * how its name/description strings become the fields of a vgpu_type (and
 * which aliases they give), and how to explain, in words an administrator can
 * act on, why a GPU cannot take another instance of a type (NVIDIA's one type
 * per GPU, GVT-g's shared pool, ...). The parsers themselves are in
 * vendor-nvidia.c and vendor-gvtg.c.
 */
#pragma once

#include "model.h"
#include "strutil.h"

struct placement_unit;

struct vendor_ops {
        const char *name; /* "nvidia", "gvtg", "vf", "generic" */
        /* Does this vendor's driver own the type id? */
        bool (*claims)(const char *type_id);
        /* Fill the parsed fields and the vendor's aliases of t from t->name and
         * t->description. -EINVAL when they do not parse: the caller keeps the
         * type with unknown fields and records why. */
        int (*parse)(struct vgpu_type *t);
        /* Append one clause saying why unit u cannot host another instance of
         * group g (every member on u reports 0 available). */
        void (*explain_unavailable)(const struct placement_unit *u, const struct vgpu_type_group *g,
                                    struct strbuf *out);
};

extern const struct vendor_ops vendor_nvidia;
extern const struct vendor_ops vendor_gvtg;
extern const struct vendor_ops vendor_generic;
/* Whole VFs passed through (the vf backend sets it on its types). */
extern const struct vendor_ops vendor_vf;

/* The vendor that claims type_id; vendor_generic when none does. */
const struct vendor_ops *vendor_for_type(const char *type_id);
