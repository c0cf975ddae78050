/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The scheduler settings an administrator set at run time for a physical
 * GPU (`vgpuctl policy GPU set ...`), kept so that they survive restarts and
 * reboots: one JSON file per GPU, <state_dir>/gpus/<address>.json, replaced
 * atomically like the instance records (store.h):
 *
 *   { "version": 1, "gpu": "0000:3b:00.0",
 *     "scheduler": { "policy": "fixed-share", "time_slice_ms": 24 } }
 *
 * The "scheduler" object is quota.h's persistence form. A file wins over the
 * [gpu ADDRESS] section of vgpud.conf, which wins over the vendor's
 * defaults; removing the file (`vgpuctl policy GPU reset`) returns to them.
 * Loading checks each file on its own and reports the ones it cannot use.
 */
#pragma once

#include "error.h"
#include "model.h"
#include "quota.h"

#define SCHED_STORE_DIR     "gpus"
#define SCHED_STORE_VERSION 1
#define SCHED_STORE_MAX     (16 * 1024)

struct sched_store {
        char *dir; /* <state_dir>/gpus */
};

struct sched_store_entry {
        char address[PCI_BDF_MAX];
        struct sched_settings settings;
};

/* Open (and create, mode 0755) the store below state_dir. */
int sched_store_open(const char *state_dir, struct sched_store **ret);
void sched_store_free(struct sched_store *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct sched_store *, sched_store_free);

/* The JSON text of one GPU's file, and back (-EINVAL with *ret_error naming the key). */
int sched_store_format(const char *address, const struct sched_settings *settings, char **ret);
int sched_store_parse(const char *text, size_t len, struct sched_store_entry *ret, char **ret_error);

/* Write atomically; remove (-ENOENT when there is none). */
int sched_store_save(struct sched_store *s, const char *address, const struct sched_settings *settings,
                     struct vgpu_error *err);
int sched_store_delete(struct sched_store *s, const char *address, struct vgpu_error *err);

/* Every file, sorted by address; unusable ones are reported in problems and skipped (left on disk). */
int sched_store_load(struct sched_store *s, struct sched_store_entry **ret, size_t *ret_n,
                     struct vgpu_error_list *problems);
