/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of placement.h. */
#include "placement.h"
#include "host.h"
#include "pci.h"
#include "string-table.h"
#include "strutil.h"
#include "vendor.h"

static const char *const policy_names[_PLACEMENT_POLICY_MAX] = {
        [PLACEMENT_PACK] = "pack",
        [PLACEMENT_SPREAD] = "spread",
};

DEFINE_STRING_TABLE(placement_policy, enum placement_policy, policy_names, _PLACEMENT_POLICY_MAX,
                    _PLACEMENT_POLICY_INVALID)

/* A unit plus what the ordering needs. */
struct candidate {
        struct placement_unit u;
        struct vgpu_type *fit; /* first member on the unit with room, NULL if none */
        size_t members;        /* members of the group on the unit */
        size_t hosting;        /* instances of the group on the unit */
        unsigned available;    /* sum of the members' availability */
};

static void candidate_done(struct candidate *c) {
        free(c->u.parents);
        free(c->u.instances);
}

struct candidates {
        struct candidate *v;
        size_t n;
};

static void candidates_done(struct candidates *cs) {
        for (size_t i = 0; i < cs->n; i++)
                candidate_done(&cs->v[i]);
        free(cs->v);
}

static const char *unit_name_of(const struct vgpu_parent *p) {
        return p->gpu ? p->gpu->bdf : p->name;
}

static bool parent_on_unit(const struct vgpu_parent *p, const struct placement_unit *u) {
        return u->gpu ? p->gpu == u->gpu : streq(p->name, u->name);
}

static int fill_unit(const struct vgpu_host *h, struct candidate *c, const struct vgpu_type_group *g) {
        for (size_t i = 0; i < h->n_parents; i++) {
                struct vgpu_parent *p = h->parents[i];
                if (!parent_on_unit(p, &c->u))
                        continue;
                struct vgpu_parent **n = realloc(c->u.parents, (c->u.n_parents + 1) * sizeof(*n));
                if (!n)
                        return -ENOMEM;
                c->u.parents = n;
                c->u.parents[c->u.n_parents++] = p;
        }
        for (size_t i = 0; i < h->n_instances; i++) {
                struct vgpu_instance *in = h->instances[i];
                if (!in->parent || !parent_on_unit(in->parent, &c->u))
                        continue;
                struct vgpu_instance **n = realloc(c->u.instances, (c->u.n_instances + 1) * sizeof(*n));
                if (!n)
                        return -ENOMEM;
                c->u.instances = n;
                c->u.instances[c->u.n_instances++] = in;
                if (in->type && in->type->group == g)
                        c->hosting++;
        }
        return 0;
}

/* One candidate per unit on which g has a member; with want (a unit's name, or a parent's, normalized), only
 * the units restrict_to() can keep. Why: the reason a type has no room on one GPU is asked for every type of
 * every GPU an operation touched, and filling every unit (all parents, all instances) for each was most of
 * a destroy's time on a host of 64 GPUs. */
static int collect(const struct vgpu_host *h, const struct vgpu_type_group *g, const char *want,
                   struct candidates *cs) {
        const struct vgpu_parent *named = want ? host_find_parent(h, want) : NULL;
        const char *named_unit = named ? unit_name_of(named) : NULL;
        int r;

        for (size_t i = 0; i < g->n_types; i++) {
                struct vgpu_type *t = g->types[i];
                const char *name;
                struct candidate *c = NULL;

                if (!t->parent)
                        continue;
                name = unit_name_of(t->parent);
                if (want && !streq(name, want) && !streq_ptr(name, named_unit))
                        continue;
                for (size_t k = 0; k < cs->n && !c; k++)
                        if (streq(cs->v[k].u.name, name))
                                c = &cs->v[k];
                if (!c) {
                        struct candidate *n = realloc(cs->v, (cs->n + 1) * sizeof(*n));
                        if (!n)
                                return -ENOMEM;
                        cs->v = n;
                        c = &cs->v[cs->n++];
                        *c = (struct candidate){.u.name = name, .u.gpu = t->parent->gpu};
                        r = fill_unit(h, c, g);
                        if (r < 0)
                                return r;
                }
                c->members++;
                /* Held by its administrator: only for a create that names it (restrict_to). */
                if (t->parent->held && !streq_ptr(want, t->parent->name))
                        continue;
                c->available += t->available;
                /* members are ordered by parent name: the first with room is the lowest VF */
                if (!c->fit && t->available > 0)
                        c->fit = t;
        }
        return 0;
}

static int cmp_pack(const void *a, const void *b) {
        const struct candidate *x = a, *y = b;
        if (x->hosting != y->hosting)
                return x->hosting > y->hosting ? -1 : 1; /* already hosting the type: fill it */
        if (x->u.n_instances != y->u.n_instances)
                return x->u.n_instances > y->u.n_instances ? -1 : 1;
        if (x->available != y->available)
                return x->available < y->available ? -1 : 1; /* the fuller one */
        return strcmp(x->u.name, y->u.name);
}

static int cmp_spread(const void *a, const void *b) {
        const struct candidate *x = a, *y = b;
        if (x->u.n_instances != y->u.n_instances)
                return x->u.n_instances < y->u.n_instances ? -1 : 1;
        if (x->available != y->available)
                return x->available > y->available ? -1 : 1;
        return strcmp(x->u.name, y->u.name);
}

/* Keep only the candidate that the caller's gpu names (a unit, or one parent of it). */
static int restrict_to(const struct vgpu_host *h, const struct vgpu_type_group *g, struct candidates *cs,
                       const char *gpu, const char *want, struct vgpu_error *err) {
        const char *tname = vgpu_type_display_name(vgpu_type_group_first(g));

        for (size_t i = 0; i < cs->n; i++) {
                struct candidate *c = &cs->v[i];
                bool match = streq(c->u.name, want);
                struct vgpu_type *only = NULL;

                for (size_t j = 0; j < c->u.n_parents && !match; j++)
                        if (streq(c->u.parents[j]->name, want)) {
                                match = true;
                                only = parent_find_type(c->u.parents[j], vgpu_type_group_first(g)->id);
                        }
                if (!match)
                        continue;
                if (only) { /* a parent was named: nothing else on the unit may be used */
                        c->fit = only->available > 0 && only->group == g ? only : NULL;
                        c->u.named = only->parent;
                }
                struct candidate keep = *c;
                for (size_t k = 0; k < cs->n; k++)
                        if (k != i)
                                candidate_done(&cs->v[k]);
                cs->v[0] = keep;
                cs->n = 1;
                return 0;
        }
        if (!host_find_gpu(h, want) && !host_find_parent(h, want))
                return vgpu_error_set(err, ENODEV, NULL, "No GPU %s on this host.", gpu);
        return vgpu_error_set(err, ENOENT, NULL, "GPU %s does not offer %s.", gpu, tname);
}

void placement_result_done(struct placement_result *r) {
        for (size_t i = 0; i < r->n_candidates; i++) {
                free(r->candidates[i].unit);
                free(r->candidates[i].reason);
        }
        free(r->candidates);
        *r = (struct placement_result){};
}

/* Every candidate, in order, with its choice or its reason. */
static int describe(const struct vgpu_type_group *g, struct candidates *cs, struct placement_result *ret) {
        const struct vgpu_type *first = vgpu_type_group_first(g);

        ret->candidates = calloc(cs->n + 1, sizeof(*ret->candidates));
        if (!ret->candidates)
                return -ENOMEM;
        for (size_t i = 0; i < cs->n; i++) {
                struct placement_candidate *pc = &ret->candidates[ret->n_candidates++];
                pc->gpu = cs->v[i].u.gpu;
                pc->type = cs->v[i].fit;
                pc->unit = strdup(cs->v[i].u.name);
                if (!pc->unit)
                        return -ENOMEM;
                if (!pc->type) {
                        struct strbuf b = {};
                        first->vendor->explain_unavailable(&cs->v[i].u, g, &b);
                        pc->reason = strbuf_steal(&b);
                        if (!pc->reason)
                                return -ENOMEM;
                } else if (!ret->type)
                        ret->type = pc->type;
        }
        return 0;
}

static int refusal_message(const struct vgpu_type_group *g, const struct placement_result *res,
                           struct vgpu_error *err) {
        _cleanup_free_ char *text = NULL;
        struct strbuf all = {};

        strbuf_appendf(&all,
                       "No GPU can host another %s now:", vgpu_type_display_name(vgpu_type_group_first(g)));
        for (size_t i = 0; i < res->n_candidates; i++)
                strbuf_appendf(&all, "\n  %s %s %s", res->candidates[i].gpu ? "GPU" : "parent",
                               res->candidates[i].unit, res->candidates[i].reason);
        text = strbuf_steal(&all);
        if (!text)
                return -ENOMEM;
        return vgpu_error_set(err, ENOSPC, NULL, "%s", text);
}

int placement_choose(const struct vgpu_host *h, const struct vgpu_type_group *g, const char *gpu,
                     enum placement_policy policy, struct placement_result *ret, struct vgpu_error *err) {
        _cleanup_(candidates_done) struct candidates cs = {};
        char bdf[PCI_BDF_MAX];
        const char *want = gpu && pci_bdf_normalize(gpu, bdf) >= 0 ? bdf : gpu;
        int r;

        *ret = (struct placement_result){};
        if (!g || g->n_types == 0)
                return vgpu_error_set(err, ENOENT, NULL, "No such type on this host.");
        if (policy < 0 || policy >= _PLACEMENT_POLICY_MAX)
                return vgpu_error_set(err, EINVAL, NULL, "Unknown placement policy.");

        r = collect(h, g, want, &cs);
        if (r < 0)
                return r;
        if (gpu) {
                r = restrict_to(h, g, &cs, gpu, want, err);
                if (r < 0)
                        return r;
        }
        if (cs.n > 0)
                qsort(cs.v, cs.n, sizeof(*cs.v), policy == PLACEMENT_PACK ? cmp_pack : cmp_spread);
        r = describe(g, &cs, ret);
        if (r < 0) {
                placement_result_done(ret);
                return r;
        }
        if (ret->type)
                return 0;
        r = refusal_message(g, ret, err);
        if (r == -ENOMEM)
                placement_result_done(ret);
        return r;
}

int placement_unavailable_reason(const struct vgpu_host *h, const struct vgpu_type_group *g, const char *gpu,
                                 char **ret) {
        struct placement_result res;
        int r;

        r = placement_choose(h, g, gpu, PLACEMENT_PACK, &res, NULL);
        if (r < 0 && r != -ENOSPC)
                return r;
        *ret = NULL;
        if (!res.type && res.n_candidates > 0)
                *ret = TAKE_PTR(res.candidates[0].reason);
        placement_result_done(&res);
        return 0;
}
