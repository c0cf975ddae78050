/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Enum <-> name tables. Every enum that has a name on the bus, in a record or
 * in the config (backend kinds, policies, ...) defines its table once with
 * DEFINE_STRING_TABLE, so the two directions can never disagree and an
 * out-of-range value is NULL rather than a read past the table.
 */
#pragma once

#include <stddef.h>
#include <string.h>
#include <sys/types.h>

/* Index of s in table[0..n), or -1 (also for NULL s and holes in the table). */
static inline ssize_t string_table_find(const char *const *table, size_t n, const char *s) {
        if (!s)
                return -1;
        for (size_t i = 0; i < n; i++)
                if (table[i] && strcmp(table[i], s) == 0)
                        return (ssize_t) i;
        return -1;
}

/* Defines name##_to_string(type) and name##_from_string(const char *) over table[max]. */
#define DEFINE_STRING_TABLE(name, type, table, max, invalid)                                                \
        const char *name##_to_string(type v) {                                                              \
                return (long) v >= 0 && (long) v < (long) (max) ? (table)[v] : NULL;                        \
        }                                                                                                   \
        type name##_from_string(const char *s) {                                                            \
                ssize_t i_ = string_table_find((table), (max), s);                                          \
                return i_ < 0 ? (invalid) : (type) i_;                                                      \
        }
