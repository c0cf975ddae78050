/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of alias.h. */
#include "alias.h"
#include "hashmap.h"
#include "host.h"
#include "strutil.h"
#include "type.h"

/* One alias and every group that answers to it. */
struct alias_slot {
        char *alias;
        struct vgpu_type_group **groups;
        size_t n;
        struct alias_slot *next; /* all slots, for freeing */
};

void alias_index_free(struct vgpu_host *h) {
        struct alias_slot *s = h->alias_slots;

        while (s) {
                struct alias_slot *next = s->next;
                free(s->alias);
                free(s->groups);
                free(s);
                s = next;
        }
        h->alias_slots = NULL;
        strmap_clear(h->alias_index);
}

static int index_add(struct vgpu_host *h, const char *alias, struct vgpu_type_group *g) {
        struct alias_slot *s = strmap_get(h->alias_index, alias);

        if (!s) {
                s = calloc(1, sizeof(*s));
                if (!s)
                        return -ENOMEM;
                s->alias = strdup(alias);
                if (!s->alias || strmap_put(h->alias_index, s->alias, s) < 0) {
                        free(s->alias);
                        free(s);
                        return -ENOMEM;
                }
                s->next = h->alias_slots;
                h->alias_slots = s;
        }
        for (size_t i = 0; i < s->n; i++)
                if (s->groups[i] == g)
                        return 0;
        struct vgpu_type_group **n = realloc(s->groups, (s->n + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        s->groups = n;
        s->groups[s->n++] = g;
        return 0;
}

void type_group_free(struct vgpu_type_group *g) {
        if (!g)
                return;
        free(g->key);
        free(g->types);
        strv_free(g->aliases);
        free(g);
}

unsigned type_group_available(const struct vgpu_type_group *g) {
        unsigned sum = 0;
        for (size_t i = 0; i < g->n_types; i++)
                sum += g->types[i]->available;
        return sum;
}

void alias_changes_done(struct alias_changes *c) {
        free(c->added);
        free(c->changed);
        free(c->removed);
        *c = (struct alias_changes){};
}

static int cmp_group(const void *a, const void *b) {
        return strcmp((*(struct vgpu_type_group *const *) a)->key,
                      (*(struct vgpu_type_group *const *) b)->key);
}

static bool same_members(struct vgpu_type **a, size_t na, struct vgpu_type **b, size_t nb) {
        return na == nb && (na == 0 || memcmp(a, b, na * sizeof(*a)) == 0);
}

static bool same_strv(char **a, char **b) {
        size_t n = strv_length(a);
        if (n != strv_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return true;
}

/* Per group, the members being collected during a rebuild. */
struct pending {
        struct vgpu_type_group *g;
        struct vgpu_type **types;
        size_t n;
        bool is_new;
        char **aliases;
};

/* Everything a rebuild allocates before it commits; freed by scope. */
struct rebuild {
        struct pending *p;
        size_t np;
        struct vgpu_type_group **groups;
        struct strmap *by_key;
};

static void rebuild_done(struct rebuild *b) {
        for (size_t k = 0; k < b->np; k++) {
                free(b->p[k].types);
                strv_free(b->p[k].aliases);
                if (b->p[k].is_new)
                        type_group_free(b->p[k].g);
        }
        free(b->p);
        free(b->groups);
        strmap_free(b->by_key);
}

static struct pending *pending_for(struct vgpu_host *h, struct rebuild *b, const struct vgpu_type *t) {
        _cleanup_free_ char *key = type_group_key(t);
        struct pending *n;

        if (!key)
                return NULL;
        for (size_t k = 0; k < b->np; k++)
                if (streq(b->p[k].g->key, key))
                        return &b->p[k];
        n = realloc(b->p, (b->np + 1) * sizeof(*n));
        if (!n)
                return NULL;
        b->p = n;
        n = &b->p[b->np];
        *n = (struct pending){.g = strmap_get(h->group_by_key, key)};
        if (!n->g) {
                n->g = calloc(1, sizeof(struct vgpu_type_group));
                if (!n->g)
                        return NULL;
                n->g->key = TAKE_PTR(key);
                n->g->backend = t->backend;
                n->is_new = true;
        }
        b->np++;
        return n;
}

/* Members per key (old groups are found by key and keep their identity),
 * then the alias index over every member's aliases and board-less candidates. */
static int collect(struct vgpu_host *h, struct rebuild *b) {
        int r;

        for (size_t i = 0; i < h->n_parents; i++)
                for (size_t j = 0; j < h->parents[i]->n_types; j++) {
                        struct vgpu_type *t = h->parents[i]->types[j];
                        struct pending *slot = pending_for(h, b, t);
                        if (!slot)
                                return -ENOMEM;
                        struct vgpu_type **nt = realloc(slot->types, (slot->n + 1) * sizeof(*nt));
                        if (!nt)
                                return -ENOMEM;
                        slot->types = nt;
                        slot->types[slot->n++] = t;
                }

        alias_index_free(h);
        for (size_t k = 0; k < b->np; k++)
                for (size_t i = 0; i < b->p[k].n; i++) {
                        struct vgpu_type *t = b->p[k].types[i];
                        for (char **a = t->aliases; a && *a; a++)
                                if ((r = index_add(h, *a, b->p[k].g)) < 0)
                                        return r;
                        if (t->boardless_alias && (r = index_add(h, t->boardless_alias, b->p[k].g)) < 0)
                                return r;
                }
        return 0;
}

/* Aliases that resolve to the group alone, in the order the members list them. */
static int unique_aliases(const struct vgpu_host *h, struct pending *pg) {
        _cleanup_strv_free_ char **v = calloc(1, sizeof(char *));
        int r;

        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < pg->n; i++) {
                const struct vgpu_type *t = pg->types[i];
                for (char **a = t->aliases; a && *a; a++) {
                        const struct alias_slot *s = strmap_get(h->alias_index, *a);
                        if (s && s->n == 1 && (r = strv_extend_unique(&v, *a)) < 0)
                                return r;
                }
                if (t->boardless_alias) {
                        const struct alias_slot *s = strmap_get(h->alias_index, t->boardless_alias);
                        if (s && s->n == 1 && (r = strv_extend_unique(&v, t->boardless_alias)) < 0)
                                return r;
                }
        }
        pg->aliases = TAKE_PTR(v);
        return 0;
}

int alias_rebuild(struct vgpu_host *h, struct alias_changes *c) {
        _cleanup_(rebuild_done) struct rebuild b = {};
        int r;

        *c = (struct alias_changes){};
        r = collect(h, &b);
        if (r < 0)
                return r;

        /* everything that can fail, before anything is committed */
        b.groups = calloc(b.np + 1, sizeof(*b.groups));
        b.by_key = strmap_new();
        c->added = calloc(b.np + 1, sizeof(*c->added));
        c->changed = calloc(b.np + 1, sizeof(*c->changed));
        c->removed = calloc(h->n_groups + 1, sizeof(*c->removed));
        if (!b.groups || !b.by_key || !c->added || !c->changed || !c->removed) {
                alias_changes_done(c);
                return -ENOMEM;
        }
        for (size_t k = 0; k < b.np; k++)
                if ((r = unique_aliases(h, &b.p[k])) < 0 ||
                    (r = strmap_put(b.by_key, b.p[k].g->key, b.p[k].g)) < 0) {
                        alias_changes_done(c);
                        return r;
                }

        /* groups that lost every member */
        for (size_t i = 0; i < h->n_groups; i++)
                if (strmap_get(b.by_key, h->groups[i]->key) != h->groups[i])
                        c->removed[c->n_removed++] = h->groups[i];

        /* commit: members, aliases, sums; note what changed */
        for (size_t k = 0; k < b.np; k++) {
                struct pending *pg = &b.p[k];
                struct vgpu_type_group *g = pg->g;
                unsigned avail = 0;

                for (size_t i = 0; i < pg->n; i++)
                        avail += pg->types[i]->available;
                bool changed = !same_members(g->types, g->n_types, pg->types, pg->n) ||
                               !same_strv(g->aliases, pg->aliases) || g->available != avail;

                free(g->types);
                g->types = TAKE_PTR(pg->types);
                g->n_types = pg->n;
                strv_free(g->aliases);
                g->aliases = TAKE_PTR(pg->aliases);
                g->available = avail;
                for (size_t i = 0; i < g->n_types; i++)
                        g->types[i]->group = g;
                b.groups[k] = g;

                if (pg->is_new)
                        c->added[c->n_added++] = g;
                else if (changed)
                        c->changed[c->n_changed++] = g;
                pg->is_new = false; /* owned by the host now */
        }
        qsort(b.groups, b.np, sizeof(*b.groups), cmp_group);
        free(h->groups);
        h->groups = TAKE_PTR(b.groups);
        h->n_groups = b.np;
        strmap_free(h->group_by_key);
        h->group_by_key = TAKE_PTR(b.by_key);
        return 0;
}

static void append_group_list(struct strbuf *b, struct vgpu_type_group *const *g, size_t n, size_t max) {
        for (size_t i = 0; i < n && i < max; i++) {
                const struct vgpu_type *t = vgpu_type_group_first(g[i]);
                strbuf_appendf(b, "%s%s", i > 0 ? ", " : "", vgpu_type_display_name(t));
                if (t->name)
                        strbuf_appendf(b, " (%s)", t->id);
        }
        if (n > max)
                strbuf_appendf(b, " and %zu more", n - max);
}

int type_resolve(const struct vgpu_host *h, const char *name, struct vgpu_type_group **ret,
                 struct vgpu_error *err) {
        _cleanup_free_ char *a = NULL, *list = NULL;
        const struct alias_slot *s;
        struct strbuf b = {};

        if (isempty(name))
                return vgpu_error_set(err, EINVAL, NULL, "Empty type name.");
        a = alias_normalize(name);
        if (!a)
                return -ENOMEM;
        if (isempty(a))
                return vgpu_error_set(err, EINVAL, NULL, "\"%s\" is not a type name.", name);

        s = strmap_get(h->alias_index, a);
        if (s && s->n == 1) {
                *ret = s->groups[0];
                return 0;
        }
        if (s && s->n > 1) {
                /* in key order, so the message is the same whatever order the types were found in */
                _cleanup_free_ struct vgpu_type_group **sorted = malloc(s->n * sizeof(*sorted));
                if (!sorted)
                        return -ENOMEM;
                memcpy(sorted, s->groups, s->n * sizeof(*sorted));
                qsort(sorted, s->n, sizeof(*sorted), cmp_group);
                append_group_list(&b, sorted, s->n, SIZE_MAX);
                list = strbuf_steal(&b);
                return vgpu_error_set(
                        err, ENOTUNIQ, NULL,
                        "Type \"%s\" is ambiguous on this host: it could be %s. Use one of these names.",
                        name, strna(list));
        }
        if (h->n_groups == 0)
                return vgpu_error_set(err, ENOENT, NULL, "No type \"%s\": this host offers no vGPU types.",
                                      name);
        append_group_list(&b, h->groups, h->n_groups, 12);
        list = strbuf_steal(&b);
        return vgpu_error_set(err, ENOENT, NULL, "No type \"%s\" on this host. Types offered: %s.", name,
                              strna(list));
}
