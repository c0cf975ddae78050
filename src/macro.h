/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small language helpers shared by every part of vgpud: scope-based cleanup,
 * array sizes, and the negative-errno conventions. Functions in this project
 * return >= 0 on success and -errno on failure; the errno is turned into words
 * once, at the edge (a D-Bus error, a CLI message, a log line).
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f)         __attribute__((cleanup(f)))
#define _unused_             __attribute__((unused))
#define _printf_(a, b)       __attribute__((format(printf, a, b)))
#define _noreturn_           __attribute__((noreturn))
#define _warn_unused_result_ __attribute__((warn_unused_result))
#define _likely_(x)          __builtin_expect(!!(x), 1)
#define _unlikely_(x)        __builtin_expect(!!(x), 0)

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
#define STRLEN(s)     (sizeof(s) - 1)

#define streq(a, b)     (strcmp((a), (b)) == 0)
#define strcaseeq(a, b) (strcasecmp((a), (b)) == 0)
#define isempty(s)      (!(s) || !*(s))
#define strna(s)        ((s) ?: "n/a")
#define strempty(s)     ((s) ?: "")

/* Equal strings, or both NULL. */
static inline bool streq_ptr(const char *a, const char *b) {
        return a == b || (a && b && streq(a, b));
}

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Return a negative errno from the current errno, never 0 (callers rely on r < 0). */
static inline int negative_errno(void) {
        return errno > 0 ? -errno : -EIO;
}

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Free a NULL-terminated vector of strings. */
static inline void strv_freep(char ***v) {
        if (!*v)
                return;
        for (char **i = *v; *i; i++)
                free(*i);
        free(*v);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)

/* Hand ownership out of a _cleanup_ variable: return TAKE_PTR(p). */
#define TAKE_PTR(p)                                                                                         \
        ({                                                                                                  \
                __typeof__(p) _tmp_ = (p);                                                                  \
                (p) = NULL;                                                                                 \
                _tmp_;                                                                                      \
        })
#define TAKE_FD(fd)                                                                                         \
        ({                                                                                                  \
                int _tmp_ = (fd);                                                                           \
                (fd) = -1;                                                                                  \
                _tmp_;                                                                                      \
        })

/* Define a pointer-cleanup helper for a library type: DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev *,
 * udev_unref). */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                             \
        static inline void func##p(type *p) {                                                               \
                if (*p)                                                                                     \
                        func(*p);                                                                           \
        }
