/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small helpers of vgpu-sim's own: scope-based cleanup, string and number
 * parsing with the kernel's rules (kstrto*, sysfs_streq). The simulator shares
 * no code with src/ on purpose: it plays the kernel, written from the ABI, so
 * that a misreading in the product cannot hide behind the same misreading here.
 */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f)   __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_       __attribute__((unused))

#define ELEMENTSOF(a)   (sizeof(a) / sizeof((a)[0]))
#define streq(a, b)     (strcmp((a), (b)) == 0)
#define streq_ptr(a, b) ((a) == (b) || ((a) && (b) && streq((a), (b))))
#define MIN(a, b)       ((a) < (b) ? (a) : (b))

static inline void sim_freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(sim_freep)

static inline void sim_closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(sim_closep)

static inline void sim_fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(sim_fclosep)

#define TAKE_PTR(p)                                                                                         \
        ({                                                                                                  \
                __typeof__(p) _tmp_ = (p);                                                                  \
                (p) = NULL;                                                                                 \
                _tmp_;                                                                                      \
        })

/* Allocation failure in a test simulator is not worth a recovery path: abort loudly. */
void *xmalloc0(size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) _printf_(1, 2);

/* The kernel's sysfs_streq(): equal, ignoring one trailing newline on either side. */
bool sysfs_streq(const char *a, const char *b);

/*
 * The kernel's kstrtoull()/kstrtou16()/kstrtoint() on a store() buffer: base 0
 * accepts 0x/0 prefixes, one trailing newline is allowed, anything else is
 * -EINVAL, overflow of the target type is -ERANGE.
 */
int kstrtoull(const char *s, size_t len, unsigned base, unsigned long long *ret);
int kstrtou16(const char *s, size_t len, unsigned base, uint16_t *ret);
int kstrtoint(const char *s, size_t len, unsigned base, int *ret);
/* kstrtobool(): y/Y/1/on -> true, n/N/0/off -> false, else -EINVAL. */
int kstrtobool(const char *s, size_t len, bool *ret);

/* Name <-> number for errno values ("EBUSY" <-> 16); numbers are accepted too. */
int errno_from_name(const char *s);
const char *errno_to_name(int e);
