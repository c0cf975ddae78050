/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of fileio.h. */
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <sys/stat.h>

#include "fileio.h"

/* sysfs attributes are at most one page. */
#define ATTR_MAX 4096

/* Read up to max bytes; one byte of headroom tells "exactly max" from "more than max". */
static int read_fd_whole(int fd, size_t max, char **ret, size_t *ret_len) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;

        for (;;) {
                if (len + 1 >= cap) {
                        if (cap >= max + 2)
                                return -EFBIG;
                        size_t ncap = MIN(cap ? cap * 2 : 512, max + 2);
                        char *n = realloc(buf, ncap);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                        cap = ncap;
                }
                ssize_t k = read(fd, buf + len, cap - 1 - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len > max)
                        return -EFBIG;
        }
        buf[len] = 0;
        if (ret_len)
                *ret_len = len;
        *ret = TAKE_PTR(buf);
        return 0;
}

int read_attr_fd(int fd, char **ret) {
        char buf[ATTR_MAX + 1];
        ssize_t k;
        char *s;

        /* One read from offset 0: sysfs produces an attribute whole (at most a page) at the first read,
         * so a read that is not full is all there is, and the read that would only find the end is
         * saved (on every attribute of every refresh: half the system calls of reading
         * availability). From offset 0, a descriptor kept open reads the current value again. */
        do
                k = pread(fd, buf, sizeof(buf), 0);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return negative_errno();
        if ((size_t) k > ATTR_MAX)
                return -EFBIG;
        if (k > 0 && buf[k - 1] == '\n')
                k--;
        s = strndup(buf, (size_t) k);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int read_attr_at(int dirfd, const char *name, char **ret) {
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);

        if (fd < 0)
                return negative_errno();
        return read_attr_fd(fd, ret);
}

int read_attr(const char *path, char **ret) {
        return read_attr_at(AT_FDCWD, path, ret);
}

int read_attr_u64(const char *path, int base, unsigned long long *ret) {
        _cleanup_free_ char *s = NULL;
        char *end;
        int r;

        r = read_attr(path, &s);
        if (r < 0)
                return r;
        if (isempty(s) || *s == '-')
                return -EINVAL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, base);
        if (errno != 0)
                return negative_errno();
        if (*end)
                return -EINVAL;
        *ret = v;
        return 0;
}

int write_attr(const char *path, const char *value) {
        return write_attr_at(AT_FDCWD, path, value);
}

int write_attr_at(int dirfd, const char *name, const char *value) {
        _cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        size_t len = strlen(value);

        if (fd < 0)
                return negative_errno();
        ssize_t k = write(fd, value, len);
        if (k < 0)
                return negative_errno();
        if ((size_t) k != len)
                return -EIO;
        return 0;
}

int read_full_file(const char *path, size_t max, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

        if (fd < 0)
                return negative_errno();
        return read_fd_whole(fd, max, ret, ret_len);
}

static int fsync_directory_of(const char *path) {
        _cleanup_free_ char *copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        _cleanup_close_ int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return negative_errno();
        if (fsync(dfd) < 0)
                return negative_errno();
        return 0;
}

static int write_all(int fd, const void *data, size_t len) {
        const uint8_t *p = data;

        while (len > 0) {
                ssize_t k = write(fd, p, len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                p += k;
                len -= (size_t) k;
        }
        return 0;
}

static int write_file_rename(const char *path, const void *data, size_t len, mode_t mode, bool sync) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        if (asprintf(&tmp, "%s.tmp.%d", path, (int) getpid()) < 0)
                return -ENOMEM;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return negative_errno();

        r = write_all(fd, data, len);
        if (r >= 0 && (fchmod(fd, mode) < 0 || (sync && fsync(fd) < 0)))
                r = negative_errno();
        if (r >= 0 && rename(tmp, path) < 0)
                r = negative_errno();
        if (r < 0) {
                (void) unlink(tmp);
                return r;
        }
        /* The rename is durable only once the directory entry is on disk. */
        return sync ? fsync_directory_of(path) : 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode) {
        return write_file_rename(path, data, len, mode, true);
}

int write_file_replace(const char *path, const void *data, size_t len, mode_t mode) {
        return write_file_rename(path, data, len, mode, false);
}

int mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = 0;
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return negative_errno();
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return negative_errno();
        return 0;
}
