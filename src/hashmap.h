/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A string-keyed hash map (open addressing, linear probing, backward-shift
 * deletion) for the host model's lookups by BDF, UUID and type alias. Keys are
 * borrowed: the caller keeps each key alive while it is in the map (usually
 * the key is a field of the value). Iteration order is unspecified.
 */
#pragma once

#include "macro.h"

struct strmap;

struct strmap *strmap_new(void);
void strmap_free(struct strmap *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct strmap *, strmap_free);

/* -EEXIST if the key is present, -ENOMEM, or 0. */
int strmap_put(struct strmap *m, const char *key, void *value);
/* Insert or overwrite. */
int strmap_replace(struct strmap *m, const char *key, void *value);
void *strmap_get(const struct strmap *m, const char *key);
/* Remove and return the value (NULL if absent). */
void *strmap_remove(struct strmap *m, const char *key);
size_t strmap_size(const struct strmap *m);
void strmap_clear(struct strmap *m);

/* Iterate: size_t i = 0; const char *k; void *v; while (strmap_iterate(m, &i, &k, &v)) ... */
bool strmap_iterate(const struct strmap *m, size_t *i, const char **ret_key, void **ret_value);
