/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sysfs attributes kept open to be read again: sysfs makes an attribute's
 * value anew at every read at offset 0, so a pread() of an open attribute is
 * the whole cost of re-reading it, where opening it again is a walk of its
 * path (on FUSE, as under vgpu-sim, a round trip per component), an open and
 * a close. For what is re-read after every operation: the availability of a
 * GPU's types. Bounded (every entry is a descriptor); safe to share between
 * threads.
 */
#pragma once

#include <stddef.h>

#include "macro.h"

struct attr_cache;

/* max: how many attributes are kept open at most (when full, all are closed and it starts over). */
int attr_cache_new(size_t max, struct attr_cache **ret);
struct attr_cache *attr_cache_free(struct attr_cache *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct attr_cache *, attr_cache_free);

/* The attribute kept under key, read again (newline stripped): 0, -ENOENT if it is not kept, or the
 * read's error, after which it is not kept any more (the device went away, or its descriptor went stale:
 * open it again to tell). */
int attr_cache_read(struct attr_cache *c, const char *key, char **ret);
/* Open dirfd/name, read it and keep it under key (if the cache has room or can make it). c may be NULL:
 * read_attr_at() then. */
int attr_cache_open_read(struct attr_cache *c, const char *key, int dirfd, const char *name, char **ret);
/* A descriptor of the directory at path (O_PATH), kept under key: a new descriptor of the kept one (the
 * caller closes it), or path opened now and kept. c may be NULL: path opened now. A kept directory of a
 * device that went away (and came back) finds nothing any more: forget it and ask again. */
int attr_cache_dir(struct attr_cache *c, const char *key, const char *path);
/* Close and forget what is kept under key. */
void attr_cache_forget(struct attr_cache *c, const char *key);
/* Close and forget every attribute kept under "<prefix>/...", e.g. a device's that is going away. */
void attr_cache_forget_under(struct attr_cache *c, const char *prefix);
