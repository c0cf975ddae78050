/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernfs-like tree behind vgpu-sim's FUSE mount: creation, lookup by
 * path through per-directory hash tables, removal, and the relative symlink
 * targets sysfs shows.
 */
#include "node.h"

#include "sim-util.h"

static size_t name_hash(const char *s) {
        size_t h = 1469598103934665603ULL; /* FNV-1a */
        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 1099511628211ULL;
        return h;
}

static void dir_rehash(struct node *dir, size_t n_buckets) {
        struct node **b = xmalloc0(n_buckets * sizeof(*b));
        for (struct node *c = dir->first_child; c; c = c->next_sibling) {
                size_t i = name_hash(c->name) & (n_buckets - 1);
                c->hash_next = b[i];
                b[i] = c;
        }
        free(dir->buckets);
        dir->buckets = b;
        dir->n_buckets = n_buckets;
}

struct node *node_child(struct node *dir, const char *name) {
        if (!dir || dir->kind != NODE_DIR || !dir->buckets)
                return NULL;
        for (struct node *c = dir->buckets[name_hash(name) & (dir->n_buckets - 1)]; c; c = c->hash_next)
                if (streq(c->name, name))
                        return c;
        return NULL;
}

static struct node *node_new(struct node *parent, const char *name, enum node_kind kind, mode_t mode) {
        /* Re-creating a name replaces it: callers rebuild directories (hot-plug, reboot). */
        if (parent)
                node_remove_child(parent, name);
        struct node *n = xmalloc0(sizeof(*n));
        n->name = xstrdup(name);
        n->kind = kind;
        n->mode = mode;
        n->size = kind == NODE_ATTR ? 4096 : 0;
        if (!parent)
                return n;
        n->parent = parent;
        n->prev_sibling = parent->last_child;
        if (parent->last_child)
                parent->last_child->next_sibling = n;
        else
                parent->first_child = n;
        parent->last_child = n;
        parent->n_children++;
        if (parent->n_children > parent->n_buckets * 2 || !parent->buckets)
                dir_rehash(parent, parent->n_buckets ? parent->n_buckets * 4 : 8);
        else {
                size_t i = name_hash(name) & (parent->n_buckets - 1);
                n->hash_next = parent->buckets[i];
                parent->buckets[i] = n;
        }
        return n;
}

struct node *node_new_root(void) {
        return node_new(NULL, "", NODE_DIR, 0755);
}

struct node *node_dir(struct node *parent, const char *name) {
        struct node *n = node_child(parent, name);
        if (n && n->kind == NODE_DIR)
                return n;
        return node_new(parent, name, NODE_DIR, 0755);
}

struct node *node_dir_p(struct node *parent, const char *path) {
        _cleanup_free_ char *copy = xstrdup(path);
        char *save = NULL;
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save))
                parent = node_dir(parent, c);
        return parent;
}

struct node *node_attr(struct node *parent, const char *name, mode_t mode, const struct attr_ops *ops,
                       void *obj, long arg) {
        struct node *n = node_new(parent, name, NODE_ATTR, mode);
        n->ops = ops;
        n->obj = obj;
        n->arg = arg;
        return n;
}

struct node *node_const(struct node *parent, const char *name, const char *fmt, ...) {
        struct node *n = node_new(parent, name, NODE_ATTR, 0444);
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&n->value, fmt, ap) < 0)
                abort();
        va_end(ap);
        return n;
}

struct node *node_link(struct node *parent, const char *name, const char *target) {
        struct node *n = node_new(parent, name, NODE_LINK, 0777);
        n->target = xstrdup(target);
        return n;
}

static void node_free(struct node *n) {
        while (n->first_child) {
                struct node *c = n->first_child;
                n->first_child = c->next_sibling;
                node_free(c);
        }
        free(n->buckets);
        free(n->name);
        free(n->target);
        free(n->value);
        free(n);
}

void node_remove(struct node *n) {
        if (!n)
                return;
        struct node *p = n->parent;
        if (p) {
                struct node **pp = &p->buckets[name_hash(n->name) & (p->n_buckets - 1)];
                while (*pp != n)
                        pp = &(*pp)->hash_next;
                *pp = n->hash_next;
                if (n->prev_sibling)
                        n->prev_sibling->next_sibling = n->next_sibling;
                else
                        p->first_child = n->next_sibling;
                if (n->next_sibling)
                        n->next_sibling->prev_sibling = n->prev_sibling;
                else
                        p->last_child = n->prev_sibling;
                p->n_children--;
        }
        node_free(n);
}

void node_remove_child(struct node *parent, const char *name) {
        node_remove(node_child(parent, name));
}

/*
 * Walk path one component at a time through the hash tables. With follow,
 * "." and ".." are understood and symlinks are resolved in any component,
 * bounded like the kernel's 40 nested links; without, names are taken as
 * they come (FUSE hands over paths the kernel has already resolved).
 */
static struct node *walk(struct node *root, struct node *start, const char *path, bool follow,
                         unsigned depth) {
        struct node *n = *path == '/' ? root : start;
        const char *p = path;
        char name[256];
        if (depth > 40)
                return NULL;
        while (n) {
                while (*p == '/')
                        p++;
                if (!*p)
                        return n;
                size_t len = strcspn(p, "/");
                if (len >= sizeof(name))
                        return NULL;
                memcpy(name, p, len);
                name[len] = '\0';
                p += len;
                if (follow && streq(name, "."))
                        continue;
                if (follow && streq(name, "..")) {
                        n = n->parent ?: n;
                        continue;
                }
                struct node *c = node_child(n, name);
                if (follow && c && c->kind == NODE_LINK)
                        c = walk(root, n, c->target, true, depth + 1);
                n = c;
        }
        return NULL;
}

struct node *node_lookup(struct node *root, const char *path) {
        return walk(root, root, path, false, 0);
}

struct node *node_resolve(struct node *root, const char *path) {
        return walk(root, root, path, true, 0);
}

char *node_path(const struct node *n) {
        size_t len = 0;
        for (const struct node *i = n; i->parent; i = i->parent)
                len += strlen(i->name) + 1;
        char *s = xmalloc0(len + 2);
        if (len == 0) {
                s[0] = '/';
                return s;
        }
        size_t pos = len;
        for (const struct node *i = n; i->parent; i = i->parent) {
                size_t l = strlen(i->name);
                pos -= l;
                memcpy(s + pos, i->name, l);
                s[--pos] = '/';
        }
        return s;
}

char *node_link_relative(const struct node *link) {
        _cleanup_free_ char *dir = node_path(link->parent);
        const char *t = link->target;
        /* Common leading components of the link's directory and the target. */
        size_t i = 0, common = 0;
        while (dir[i] && t[i] && dir[i] == t[i]) {
                if (dir[i] == '/')
                        common = i;
                i++;
        }
        if (dir[i] == '\0' && (t[i] == '/' || t[i] == '\0'))
                common = i;
        else if (streq(dir, "/"))
                common = 0;
        size_t ups = 0;
        for (const char *d = dir + common; !streq(dir, "/") && *d; d++)
                if (*d == '/')
                        ups++;
        const char *rest = t + common;
        while (*rest == '/')
                rest++;
        char *s = xmalloc0(ups * 3 + strlen(rest) + 2);
        char *w = s;
        for (size_t u = 0; u < ups; u++) {
                memcpy(w, "../", 3);
                w += 3;
        }
        strcpy(w, rest);
        if (*s == '\0')
                strcpy(s, ".");
        else if (w > s && *rest == '\0')
                w[-1] = '\0';
        return s;
}
