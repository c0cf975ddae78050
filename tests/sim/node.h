/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The in-memory tree that vgpu-sim serves over FUSE, shaped like kernfs:
 * directories, attributes (show/store callbacks on an owner object, or a
 * constant text), binary attributes (read/write at an offset) and symlinks
 * whose targets are kept as absolute paths inside /sys and handed out
 * relative, as sysfs does. Children are found through a per-directory hash
 * table so that a directory of a thousand mdevs costs the same as one of ten.
 * Nothing here locks: the caller holds the simulator's one mutex.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct sim;
struct node;

/* Behaviour of an attribute: text attributes have show/store, binary ones read/write. */
struct attr_ops {
        /* Fill buf (size bytes); return the length or -errno. */
        int (*show)(struct sim *sim, struct node *n, char *buf, size_t size);
        /* One write() is one store(): buf is NUL-terminated after len; return 0 or -errno. */
        int (*store)(struct sim *sim, struct node *n, const char *buf, size_t len);
        ssize_t (*read)(struct sim *sim, struct node *n, char *buf, size_t size, off_t off);
        ssize_t (*write)(struct sim *sim, struct node *n, const char *buf, size_t size, off_t off);
};

enum node_kind {
        NODE_DIR,
        NODE_ATTR,
        NODE_LINK,
};

struct node {
        char *name;
        enum node_kind kind;
        mode_t mode; /* permission bits only */
        struct node *parent;
        /* directory: children in creation order plus a hash table for lookup */
        struct node *first_child, *last_child;
        struct node *prev_sibling, *next_sibling;
        struct node **buckets;
        size_t n_buckets, n_children;
        struct node *hash_next;
        /* link: absolute target inside the tree ("/devices/pci0000:3b/...") */
        char *target;
        /* attribute */
        const struct attr_ops *ops;
        char *value; /* constant text attribute when ops is NULL */
        size_t size; /* st_size */
        void *obj;   /* owner object (a PCI device, an mdev type...) */
        long arg;    /* a selector for attributes that share ops */
};

struct node *node_new_root(void);
struct node *node_dir(struct node *parent, const char *name);
/* mkdir -p of a relative path below parent; returns the last directory. */
struct node *node_dir_p(struct node *parent, const char *path);
struct node *node_attr(struct node *parent, const char *name, mode_t mode, const struct attr_ops *ops,
                       void *obj, long arg);
struct node *node_const(struct node *parent, const char *name, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
struct node *node_link(struct node *parent, const char *name, const char *target);
/* Remove a node and everything below it. NULL is fine. */
void node_remove(struct node *n);
/* Remove a named child if present. */
void node_remove_child(struct node *parent, const char *name);

struct node *node_child(struct node *dir, const char *name);
/* Resolve an absolute path ("/bus/pci/devices"); symlinks are not followed. */
struct node *node_lookup(struct node *root, const char *path);
/* Resolve a path following symlinks in any component (for lookups by the simulator itself). */
struct node *node_resolve(struct node *root, const char *path);
/* Absolute path of a node inside the tree ("/devices/..."); caller frees. */
char *node_path(const struct node *n);
/* Target of a link relative to the link's directory ("../../devices/..."); caller frees. */
char *node_link_relative(const struct node *link);
