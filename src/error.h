/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The detail that travels with a negative errno when the number alone would
 * not tell an administrator what went wrong: the file involved (a sysfs
 * attribute, a record) and a sentence. Functions still return -errno; a
 * struct vgpu_error, when the caller passes one, says which path and why, so
 * that the edge (a D-Bus error, a CLI message) can print both without
 * guessing. A list of them reports problems found while loading many files
 * (one corrupt record must not hide the others).
 */
#pragma once

#include "macro.h"

struct vgpu_error {
        int error;     /* positive errno, 0 when unset */
        char *path;    /* file involved, or NULL */
        char *message; /* complete sentence, or NULL */
};

/* Fill e (if non-NULL, replacing earlier content) and return -abs(error). */
int vgpu_error_set(struct vgpu_error *e, int error, const char *path, const char *fmt, ...) _printf_(4, 5);
void vgpu_error_clear(struct vgpu_error *e);
static inline void vgpu_error_clearp(struct vgpu_error *e) {
        vgpu_error_clear(e);
}
/* "message (path: strerror)" or the parts that are set; never NULL unless out of memory. */
char *vgpu_error_to_string(const struct vgpu_error *e);

/*
 * The lighter form for parsers and rule checks that only need a sentence: replace *ret_reason (when
 * ret_reason is non-NULL) with the formatted text and return error, or -ENOMEM if the text cannot be
 * built. *ret_reason must be NULL or a string this function may free.
 */
int reason_set(char **ret_reason, int error, const char *fmt, ...) _printf_(3, 4);

struct vgpu_error_list {
        struct vgpu_error *items;
        size_t n;
};

/* Append a problem (l may be NULL: nothing is kept); returns -abs(error) so callers can propagate or ignore
 * it. */
int vgpu_error_list_add(struct vgpu_error_list *l, int error, const char *path, const char *fmt, ...)
        _printf_(4, 5);
/* Move e into the list (e is cleared). */
int vgpu_error_list_take(struct vgpu_error_list *l, struct vgpu_error *e);
void vgpu_error_list_clear(struct vgpu_error_list *l);
