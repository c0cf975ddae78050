/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgpu-sim's helpers: allocation that aborts on failure, and the kernel's
 * parsing rules for what userspace writes into sysfs attributes.
 */
#include "sim-util.h"

#include <ctype.h>
#include <limits.h>

void *xmalloc0(size_t size) {
        void *p = calloc(1, size ? size : 1);
        if (!p)
                abort();
        return p;
}

char *xstrdup(const char *s) {
        char *p = strdup(s);
        if (!p)
                abort();
        return p;
}

char *xasprintf(const char *fmt, ...) {
        va_list ap;
        char *s;
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                abort();
        return s;
}

bool sysfs_streq(const char *a, const char *b) {
        while (*a && *a == *b) {
                a++;
                b++;
        }
        if (*a == *b)
                return true;
        if (*a == '\n' && a[1] == '\0' && *b == '\0')
                return true;
        if (*b == '\n' && b[1] == '\0' && *a == '\0')
                return true;
        return false;
}

int kstrtoull(const char *s, size_t len, unsigned base, unsigned long long *ret) {
        /* The kernel parses a NUL-terminated copy; an embedded NUL ends the string. */
        size_t n = strnlen(s, len);
        if (n > 0 && s[n - 1] == '\n')
                n--;
        if (n > 0 && s[0] == '+') {
                s++;
                n--;
        }
        if (base == 0) {
                if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && n > 2 &&
                    isxdigit((unsigned char) s[2])) {
                        base = 16;
                        s += 2;
                        n -= 2;
                } else if (n >= 1 && s[0] == '0') {
                        base = 8;
                } else
                        base = 10;
        } else if (base == 16 && n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
                s += 2;
                n -= 2;
        }
        if (n == 0)
                return -EINVAL;
        unsigned long long v = 0;
        for (size_t i = 0; i < n; i++) {
                int c = (unsigned char) s[i], d;
                if (c >= '0' && c <= '9')
                        d = c - '0';
                else if (c >= 'a' && c <= 'f')
                        d = c - 'a' + 10;
                else if (c >= 'A' && c <= 'F')
                        d = c - 'A' + 10;
                else
                        return -EINVAL;
                if ((unsigned) d >= base)
                        return -EINVAL;
                if (v > (ULLONG_MAX - (unsigned) d) / base)
                        return -ERANGE;
                v = v * base + (unsigned) d;
        }
        *ret = v;
        return 0;
}

int kstrtou16(const char *s, size_t len, unsigned base, uint16_t *ret) {
        unsigned long long v;
        int r = kstrtoull(s, len, base, &v);
        if (r < 0)
                return r;
        if (v > UINT16_MAX)
                return -ERANGE;
        *ret = (uint16_t) v;
        return 0;
}

int kstrtoint(const char *s, size_t len, unsigned base, int *ret) {
        size_t n = strnlen(s, len);
        bool neg = n > 0 && s[0] == '-';
        unsigned long long v;
        int r = kstrtoull(s + neg, n - neg, base, &v);
        if (r < 0)
                return r;
        if (neg ? v > (unsigned long long) INT_MAX + 1 : v > INT_MAX)
                return -ERANGE;
        *ret = neg ? (int) -(long long) v : (int) v;
        return 0;
}

int kstrtobool(const char *s, size_t len, bool *ret) {
        if (len == 0 || !s[0])
                return -EINVAL;
        switch (s[0]) {
        case 'y':
        case 'Y':
        case '1':
                *ret = true;
                return 0;
        case 'n':
        case 'N':
        case '0':
                *ret = false;
                return 0;
        case 'o':
        case 'O':
                if (len > 1 && (s[1] == 'n' || s[1] == 'N')) {
                        *ret = true;
                        return 0;
                }
                if (len > 1 && (s[1] == 'f' || s[1] == 'F')) {
                        *ret = false;
                        return 0;
                }
                return -EINVAL;
        default:
                return -EINVAL;
        }
}

static const struct {
        const char *name;
        int value;
} errno_names[] = {
        {"EPERM", EPERM},         {"ENOENT", ENOENT}, {"EIO", EIO},
        {"ENXIO", ENXIO},         {"E2BIG", E2BIG},   {"ENOMEM", ENOMEM},
        {"EACCES", EACCES},       {"EFAULT", EFAULT}, {"EBUSY", EBUSY},
        {"EEXIST", EEXIST},       {"ENODEV", ENODEV}, {"EINVAL", EINVAL},
        {"ENOSPC", ENOSPC},       {"ERANGE", ERANGE}, {"EAGAIN", EAGAIN},
        {"ENOTSUP", ENOTSUP},     {"EINTR", EINTR},   {"EFBIG", EFBIG},
        {"ETIMEDOUT", ETIMEDOUT}, {"ENOTTY", ENOTTY}, {"EOPNOTSUPP", EOPNOTSUPP},
        {"EUSERS", EUSERS},
};

int errno_from_name(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(errno_names); i++)
                if (strcasecmp(s, errno_names[i].name) == 0)
                        return errno_names[i].value;
        unsigned long long v;
        if (kstrtoull(s, strlen(s), 10, &v) < 0 || v == 0 || v > 4095)
                return -EINVAL;
        return (int) v;
}

const char *errno_to_name(int e) {
        for (size_t i = 0; i < ELEMENTSOF(errno_names); i++)
                if (errno_names[i].value == e)
                        return errno_names[i].name;
        return NULL;
}
