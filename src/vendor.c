/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of vendor.h: the NVIDIA, GVT-g and generic rule tables. */
#include <inttypes.h>

#include "placement.h"
#include "strutil.h"
#include "type.h"
#include "vendor-gvtg.h"
#include "vendor-nvidia.h"
#include "vendor.h"

/* ---- shared helpers for explanations ---- */

/* "instance U" or "instances U1, U2 and N more" for the instances of u whose
 * type is in group g (g NULL: every instance). */
static void append_instances(struct strbuf *out, const struct placement_unit *u,
                             const struct vgpu_type_group *g) {
        size_t n = 0, shown = 0;

        for (size_t i = 0; i < u->n_instances; i++)
                if (!g || (u->instances[i]->type && u->instances[i]->type->group == g))
                        n++;
        strbuf_append(out, n == 1 ? "instance " : "instances ");
        for (size_t i = 0; i < u->n_instances && shown < 2; i++) {
                const struct vgpu_instance *in = u->instances[i];
                if (g && !(in->type && in->type->group == g))
                        continue;
                strbuf_appendf(out, "%s%s", shown > 0 ? (n == 2 ? " and " : ", ") : "", in->uuid);
                shown++;
        }
        if (n > shown)
                strbuf_appendf(out, " and %zu more", n - shown);
}

static const char *instance_type_name(const struct vgpu_instance *in) {
        return in->type ? vgpu_type_display_name(in->type) : in->type_id;
}

static size_t count_instances_of(const struct placement_unit *u, const struct vgpu_type_group *g) {
        size_t n = 0;
        for (size_t i = 0; i < u->n_instances; i++)
                if (u->instances[i]->type && u->instances[i]->type->group == g)
                        n++;
        return n;
}

/* The first instance on u whose type is not in g. */
static const struct vgpu_instance *first_other(const struct placement_unit *u,
                                               const struct vgpu_type_group *g) {
        for (size_t i = 0; i < u->n_instances; i++)
                if (!u->instances[i]->type || u->instances[i]->type->group != g)
                        return u->instances[i];
        return NULL;
}

static const struct vgpu_type *member_on_unit(const struct placement_unit *u,
                                              const struct vgpu_type_group *g) {
        for (size_t i = 0; i < g->n_types; i++)
                for (size_t j = 0; j < u->n_parents; j++)
                        if (g->types[i]->parent == u->parents[j])
                                return g->types[i];
        return NULL;
}

/* Does some type on u that no instance uses still report room? Then the
 * driver lets types be mixed (NVIDIA heterogeneous mode). */
static bool unit_offers_unused_types(const struct placement_unit *u, const struct vgpu_type_group *g) {
        for (size_t j = 0; j < u->n_parents; j++)
                for (size_t k = 0; k < u->parents[j]->n_types; k++) {
                        const struct vgpu_type *t = u->parents[j]->types[k];
                        if (t->group == g || t->available == 0)
                                continue;
                        bool used = false;
                        for (size_t i = 0; i < u->n_instances && !used; i++)
                                used = u->instances[i]->type && u->instances[i]->type->group == t->group;
                        if (!used)
                                return true;
                }
        return false;
}

static void explain_full(const struct placement_unit *u, const struct vgpu_type_group *g,
                         const struct vgpu_type *t, struct strbuf *out) {
        size_t n = count_instances_of(u, g);

        if (t->max_instances > 0 && n >= t->max_instances)
                strbuf_appendf(out, "all %u %s instances it allows are in use (", t->max_instances,
                               vgpu_type_display_name(t));
        else
                strbuf_appendf(out, "the driver reports no room for another %s (%zu in use: ",
                               vgpu_type_display_name(t), n);
        append_instances(out, u, g);
        strbuf_append(out, ")");
}

/* The instance on parent p, if any. */
static const struct vgpu_instance *instance_on(const struct placement_unit *u, const struct vgpu_parent *p) {
        for (size_t i = 0; i < u->n_instances; i++)
                if (u->instances[i]->parent == p)
                        return u->instances[i];
        return NULL;
}

static void explain_generic_zero(const struct placement_unit *u, struct strbuf *out) {
        if (u->n_instances == 0)
                strbuf_append(out, "the driver reports 0 available instances and no vGPU exists on it");
        else {
                strbuf_appendf(out, "the driver reports 0 available instances (%zu vGPU%s on it: ",
                               u->n_instances, u->n_instances == 1 ? "" : "s");
                append_instances(out, u, NULL);
                strbuf_append(out, ")");
        }
}

/* Count the parents of u for which which() names something, and list the first two names (and how many
 * more) into names. */
static size_t count_named(const struct placement_unit *u, const char *(*which)(const struct vgpu_parent *p),
                          struct strbuf *names) {
        size_t n = 0;
        for (size_t j = 0; j < u->n_parents; j++) {
                const char *name = which(u->parents[j]);
                if (!name)
                        continue;
                if (n < 2)
                        strbuf_appendf(names, "%s%s", n ? ", " : "", name);
                n++;
        }
        if (n > 2)
                strbuf_appendf(names, " and %zu more", n - 2);
        return n;
}

/* Reserved: a VF that a definition keeps for itself while it is not started (its VM names the
 * VF's address); named by the definition. */
static const char *reserved_for(const struct vgpu_parent *p) {
        return p->reserved_by[0] && p->n_instances == 0 ? p->reserved_by : NULL;
}

/* Held: bound to vfio-pci on request (vgpuctl bind, driverctl), taken only by a create that names it. */
static const char *held_name(const struct vgpu_parent *p) {
        return p->held ? p->name : NULL;
}

/* ---- NVIDIA ---- */

static bool nvidia_claims(const char *type_id) {
        return startswith(type_id, "nvidia-");
}

static int nvidia_parse_name_into(struct vgpu_type *t) {
        _cleanup_free_ char *size_series = NULL, *board_alias = NULL, *boardless = NULL;
        struct nvidia_type_name n;
        int r;

        r = nvidia_parse_name(t->name, &n);
        if (r < 0)
                return r;
        t->board = strdup(n.board);
        if (!t->board)
                return -ENOMEM;
        if (n.series_variant)
                snprintf(t->series, sizeof(t->series), "%c%u", n.series, n.series_variant);
        else
                snprintf(t->series, sizeof(t->series), "%c", n.series);
        t->mig = n.mig;
        t->framebuffer_mb = n.framebuffer_mb;

        /* The size and series exactly as the name writes them: "2Q", "4-20C", "1-5CME". The
         * board-less alias keeps the name's prefix ("grid-2q" for GRID T4-2Q, "nvidia-2q" for
         * NVIDIA A16-2Q), so a T4 and an A16 on one host do not take it from each other. */
        const char *tail = t->name + strlen(t->name);
        while (tail > t->name && tail[-1] != '-')
                tail--;
        if (n.mig) {
                tail--;
                while (tail > t->name && tail[-1] != '-')
                        tail--;
        }
        int tl = (int) strcspn(tail, " \t\r\n");
        if (asprintf(&size_series, "%.*s", tl, tail) < 0 ||
            asprintf(&board_alias, "%s-%s", n.board, size_series) < 0 ||
            asprintf(&boardless, "%s-%s", n.prefix[0] ? n.prefix : "grid", size_series) < 0)
                return -ENOMEM;
        r = type_add_alias(t, board_alias);
        if (r < 0)
                return r;
        t->boardless_alias = alias_normalize(boardless);
        return t->boardless_alias ? 0 : -ENOMEM;
}

static int nvidia_parse_description_into(struct vgpu_type *t) {
        struct nvidia_description d;
        int r;

        r = nvidia_parse_description(t->description, &d);
        if (r < 0)
                return r;
        t->heads = d.num_heads;
        t->max_width = d.max_width;
        t->max_height = d.max_height;
        t->max_instances = d.max_instance;
        if (d.present & NVIDIA_DESC_FRAMEBUFFER)
                t->framebuffer_mb = d.framebuffer_mb;
        return 0;
}

static int nvidia_parse(struct vgpu_type *t) {
        int r, result = 0;

        /* name and description are parsed independently: one odd string must not hide the other's fields */
        if (t->description) {
                r = nvidia_parse_description_into(t);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        if (asprintf(&t->parse_error,
                                     "description of %s does not follow the NVIDIA format "
                                     "(num_heads=, frl_config=, framebuffer=, max_resolution=, "
                                     "max_instance=)",
                                     t->id) < 0)
                                return -ENOMEM;
                        result = r;
                }
        }
        if (t->name) {
                uint64_t fb = t->framebuffer_mb;
                r = nvidia_parse_name_into(t);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        free(t->parse_error);
                        if (asprintf(&t->parse_error,
                                     "name \"%s\" of %s does not follow the NVIDIA grammar "
                                     "[GRID |NVIDIA ]<board>-[<G>-]<GB><A|B|C|Q>",
                                     t->name, t->id) < 0)
                                return -ENOMEM;
                        result = r;
                } else if (fb)
                        t->framebuffer_mb = fb; /* the description is exact where the name rounds */
        }
        return result;
}

static void nvidia_explain(const struct placement_unit *u, const struct vgpu_type_group *g,
                           struct strbuf *out) {
        const struct vgpu_type *t = member_on_unit(u, g) ?: vgpu_type_group_first(g);
        const struct vgpu_instance *other = first_other(u, g);

        /* a VF parent the caller named: it holds one vGPU at most */
        if (u->named && u->named->device && vgpu_gpu_is_vf(u->named->device)) {
                const struct vgpu_instance *in = instance_on(u, u->named);
                if (in) {
                        strbuf_appendf(out, "VF %s already hosts %s (instance %s); a VF holds one vGPU",
                                       u->named->name, instance_type_name(in), in->uuid);
                        return;
                }
        }

        if (other) {
                const struct vgpu_type *ot = other->type;
                strbuf_appendf(out, "hosts %s (", instance_type_name(other));
                if (ot)
                        append_instances(out, u, ot->group);
                else
                        strbuf_appendf(out, "instance %s", other->uuid);
                strbuf_append(out, ")");
                if (unit_offers_unused_types(u, g)) {
                        /* heterogeneous mode: types with the hosted framebuffer size still fit */
                        if (ot && ot->framebuffer_mb && t->framebuffer_mb &&
                            ot->framebuffer_mb != t->framebuffer_mb)
                                strbuf_appendf(
                                        out,
                                        "; this driver mixes types on one GPU only when their framebuffer "
                                        "sizes are equal (%" PRIu64 " MB hosted, %s has %" PRIu64 " MB)",
                                        ot->framebuffer_mb, vgpu_type_display_name(t), t->framebuffer_mb);
                        else
                                strbuf_append(out, "; no framebuffer left for another vGPU");
                } else
                        strbuf_append(out, "; this driver allows one type per GPU");
                return;
        }
        if (u->n_instances > 0) {
                explain_full(u, g, t, out);
                return;
        }
        struct strbuf names = {};
        size_t reserved = count_named(u, reserved_for, &names);
        _cleanup_free_ char *list = strbuf_steal(&names);
        if (reserved > 0)
                strbuf_appendf(out,
                               "%zu of its %zu VFs %s reserved by definitions that are not started (%s)",
                               reserved, u->n_parents, reserved == 1 ? "is" : "are", strna(list));
        else if (u->gpu && u->gpu->sriov.num_vfs > 0 && u->n_parents > 1)
                strbuf_appendf(out, "none of its %zu VF parents reports room for %s", u->n_parents,
                               vgpu_type_display_name(t));
        else
                explain_generic_zero(u, out);
}

const struct vendor_ops vendor_nvidia = {
        .name = "nvidia",
        .claims = nvidia_claims,
        .parse = nvidia_parse,
        .explain_unavailable = nvidia_explain,
};

/* ---- Intel GVT-g ---- */

static bool gvtg_claims(const char *type_id) {
        return startswith(type_id, "i915-GVTg");
}

static int gvtg_parse(struct vgpu_type *t) {
        struct gvtg_description d;
        int r;

        /* the kernel's type names ("GVTg_V5_4") are also worth an alias without the driver prefix */
        if (startswith(t->id, "i915-")) {
                r = type_add_alias(t, t->id + 5);
                if (r < 0)
                        return r;
        }
        if (!t->description)
                return 0;
        r = gvtg_parse_description(t->description, &d);
        if (r < 0) {
                if (asprintf(&t->parse_error, "description of %s does not follow the GVT-g format", t->id) <
                    0)
                        return -ENOMEM;
                return r;
        }
        t->framebuffer_mb = d.low_gm_mb + d.high_gm_mb;
        t->max_width = d.width;
        t->max_height = d.height;
        t->weight = d.weight;
        t->heads = 1;
        return 0;
}

static void gvtg_explain(const struct placement_unit *u, const struct vgpu_type_group *g,
                         struct strbuf *out) {
        const struct vgpu_type *t = member_on_unit(u, g) ?: vgpu_type_group_first(g);

        if (u->n_instances == 0) {
                explain_generic_zero(u, out);
                return;
        }
        strbuf_appendf(out, "the shared GVT-g graphics memory pool is used up by %zu vGPU%s (",
                       u->n_instances, u->n_instances == 1 ? "" : "s");
        append_instances(out, u, NULL);
        strbuf_append(out, ")");
        if (t->framebuffer_mb)
                strbuf_appendf(out, "; %s needs %" PRIu64 " MB", vgpu_type_display_name(t),
                               t->framebuffer_mb);
}

const struct vendor_ops vendor_gvtg = {
        .name = "gvtg",
        .claims = gvtg_claims,
        .parse = gvtg_parse,
        .explain_unavailable = gvtg_explain,
};

/* ---- any other mdev driver ---- */

static bool generic_claims(const char *type_id) {
        return true;
}

static int generic_parse(struct vgpu_type *t) {
        return 0;
}

static void generic_explain(const struct placement_unit *u, const struct vgpu_type_group *g,
                            struct strbuf *out) {
        explain_generic_zero(u, out);
}

const struct vendor_ops vendor_generic = {
        .name = "generic",
        .claims = generic_claims,
        .parse = generic_parse,
        .explain_unavailable = generic_explain,
};

/* ---- whole VFs passed through (the vf backend) ---- */

static bool vf_claims(const char *type_id) {
        return startswith(type_id, "vf-");
}

static int vf_parse(struct vgpu_type *t) {
        /* "vf" names the host's whole-VF type as long as there is only one kind */
        t->boardless_alias = strdup("vf");
        return t->boardless_alias ? 0 : -ENOMEM;
}

static void vf_explain(const struct placement_unit *u, const struct vgpu_type_group *g, struct strbuf *out) {
        struct strbuf names = {}, held_names = {};
        size_t members = 0, used = 0, reserved, held;

        for (size_t i = 0; i < g->n_types; i++)
                for (size_t j = 0; j < u->n_parents; j++)
                        if (g->types[i]->parent == u->parents[j]) {
                                members++;
                                used += u->parents[j]->n_instances > 0;
                        }
        reserved = count_named(u, reserved_for, &names);
        held = count_named(u, held_name, &held_names);
        _cleanup_free_ char *list = strbuf_steal(&names), *held_list = strbuf_steal(&held_names);
        if (held > 0 && used + reserved < members && used + reserved + held >= members)
                strbuf_appendf(
                        out,
                        "no VF is free: %zu in use, %zu reserved by definitions, %zu bound to vfio-pci "
                        "on request (%s), which only a create that names one with --gpu takes",
                        used, reserved, held, strna(held_list));
        else if (used > 0 && used + reserved >= members) {
                strbuf_appendf(out,
                               "all %zu of its VFs are passed through or reserved (%zu in use: ", members,
                               used);
                append_instances(out, u, NULL);
                strbuf_append(out, ")");
                if (reserved > 0)
                        strbuf_appendf(out, "; %zu reserved by definitions that are not started (%s)",
                                       reserved, strna(list));
        } else if (reserved > 0 && reserved >= members)
                strbuf_appendf(out,
                               "all %zu of its VFs are reserved by definitions that are not started (%s)",
                               members, strna(list));
        else
                explain_generic_zero(u, out);
}

const struct vendor_ops vendor_vf = {
        .name = "vf",
        .claims = vf_claims,
        .parse = vf_parse,
        .explain_unavailable = vf_explain,
};

const struct vendor_ops *vendor_for_type(const char *type_id) {
        static const struct vendor_ops *const table[] = {&vendor_nvidia, &vendor_gvtg};

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (table[i]->claims(type_id))
                        return table[i];
        return &vendor_generic;
}
