/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * File I/O with the semantics vgpud needs: sysfs attributes are read whole and
 * written with exactly one write() (the kernel's store() sees one buffer and
 * its errno is the answer), and state files are replaced atomically (temp
 * file, fsync, rename, fsync of the directory) so a crash leaves either the
 * old or the new content, never a torn one.
 */
#pragma once

#include <sys/types.h>

#include "macro.h"

/* Read a small file (sysfs attribute) whole; strips one trailing newline. */
int read_attr(const char *path, char **ret);
/* Same, relative to a directory fd. */
int read_attr_at(int dirfd, const char *name, char **ret);
/* The same from a descriptor, read from offset 0 (one kept open reads the current value). */
int read_attr_fd(int fd, char **ret);
/* Parse an attribute as an unsigned integer (base 10, or 0x-prefixed hex with base 0). */
int read_attr_u64(const char *path, int base, unsigned long long *ret);

/* One write() of value (no newline added); returns 0 or the -errno of the write. */
int write_attr(const char *path, const char *value);
/* Same, relative to a directory fd. */
int write_attr_at(int dirfd, const char *name, const char *value);

/* Read a regular file of at most max bytes whole, NUL-terminated. */
int read_full_file(const char *path, size_t max, char **ret, size_t *ret_len);

/* Replace path atomically with data, durably (the file and its directory entry synced). Creates no
 * directories. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* The same without the syncs: for a file in a memory file system (the runtime directory, /run), where a
 * sync writes nothing and costs three system calls; a crash of the writer still leaves the old file or
 * the new one, never a torn one. */
int write_file_replace(const char *path, const void *data, size_t len, mode_t mode);

/* mkdir -p with mode for each created component. */
int mkdir_p(const char *path, mode_t mode);
