/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The record store: one JSON file per instance, <state_dir>/instances/<uuid>.json
 * (format in record.h), replaced atomically (fileio.h) so that a crash leaves
 * the old or the new record, never a torn one. Loading checks each file on
 * its own: a corrupt one, a leftover temporary file of an interrupted write,
 * a stray file — each is reported with its path and the others still load.
 */
#pragma once

#include "error.h"
#include "record.h"

#define STORE_INSTANCES_DIR "instances"
#define STORE_RECORD_MAX    (64 * 1024) /* far above any real record; bounds what a corrupt file costs */

struct vgpu_store {
        char *dir;      /* <state_dir>/instances */
        bool volatile_; /* in a memory file system: records replaced atomically, not synced */
};

/* Open (and create, mode 0755) the store below state_dir. */
int store_open(const char *state_dir, struct vgpu_store **ret);
/* The same for a directory that does not outlive the boot (vgpud's runtime directory, on /run): a sync
 * there writes nothing, and three syncs were half the system calls of a create. */
int store_open_volatile(const char *runtime_dir, struct vgpu_store **ret);
void store_free(struct vgpu_store *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct vgpu_store *, store_free);

/* <dir>/<uuid>.json; NULL on OOM or an invalid UUID. */
char *store_record_path(const struct vgpu_store *s, const char *uuid);

/* Validate and write r atomically; -EINVAL (err says why) for an invalid record. */
int store_save(struct vgpu_store *s, const struct vgpu_record *r, struct vgpu_error *err);
/* Remove a record; -ENOENT when there is none. */
int store_delete(struct vgpu_store *s, const char *uuid, struct vgpu_error *err);
/* Load one record; -ENOENT when there is none, -EINVAL (err: path and why) when it is corrupt. */
int store_load_one(struct vgpu_store *s, const char *uuid, struct vgpu_record **ret, struct vgpu_error *err);

/* Load every record, sorted by UUID. Files that cannot be used are reported
 * in problems (path, errno, sentence) and skipped: a corrupt record stays on
 * disk untouched for the administrator; a temporary file left by an
 * interrupted write is removed (its content was never committed). */
int store_load(struct vgpu_store *s, struct vgpu_record ***ret, size_t *ret_n,
               struct vgpu_error_list *problems);
