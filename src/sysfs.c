/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of sysfs.h. */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>

#include "sysfs.h"

char *sysfs_path(const char *root, const char *fmt, ...) {
        _cleanup_free_ char *rel = NULL;
        char *p;
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&rel, fmt, ap);
        va_end(ap);
        if (k < 0)
                return NULL;
        if (asprintf(&p, "%s/%s", root, rel) < 0)
                return NULL;
        return p;
}

bool sysfs_name_is_valid(const char *s) {
        size_t n;

        if (isempty(s) || streq(s, ".") || streq(s, ".."))
                return false;
        n = strlen(s);
        if (n > 255)
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] == '/' || s[i] <= ' ' || s[i] > '~')
                        return false;
        return true;
}

int sysfs_read_link_name_at(int dirfd, const char *name, char **ret) {
        char buf[PATH_MAX];
        ssize_t k = readlinkat(dirfd, name, buf, sizeof(buf) - 1);

        if (k < 0)
                return negative_errno();
        buf[k] = 0;
        const char *slash = strrchr(buf, '/');
        const char *base = slash ? slash + 1 : buf;
        if (!sysfs_name_is_valid(base))
                return -EINVAL;
        char *s = strdup(base);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}
