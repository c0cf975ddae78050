/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one place where a negative errno becomes a named D-Bus error. The same
 * errno means different things depending on what it is about (ENOENT is "no
 * such GPU" for a lookup but an I/O failure when a sysfs write returns it), so
 * every conversion names its subject. Host-operation failures always carry
 * the sysfs path and the errno's name and text, so an administrator can act
 * on them without reading the daemon's log.
 */
#pragma once

#include <systemd/sd-bus.h>

#include "macro.h"

typedef enum ErrorSubject {
        SUBJECT_ARGUMENT, /* the caller's input */
        SUBJECT_GPU,      /* a GPU lookup */
        SUBJECT_TYPE,     /* a type lookup or resolution */
        SUBJECT_INSTANCE, /* an instance lookup or its state */
        SUBJECT_HOST,     /* an operation on a sysfs file */
        _SUBJECT_MAX,
} ErrorSubject;

/* The D-Bus error name for -errno (or errno) about subject; NULL when the
 * errno has no vgpud name there (sd-bus's generic mapping is used then). */
const char *bus_error_name_for(int error, ErrorSubject subject);

/* The longest message an error carries, in bytes: longer ones end in "…" (they echo the caller's input). */
#define BUS_ERROR_MESSAGE_MAX 1024

/* Set the named error for r (negative errno) about subject with a formatted
 * message. Returns r, so a handler can `return bus_error_setf(...)`. */
int bus_error_setf(sd_bus_error *e, int r, ErrorSubject subject, const char *fmt, ...) _printf_(4, 5);

/* A failed host operation: "<op> <path>: <strerror> (<ENAME>)", named by
 * errno (EEXIST: InstanceExists, EBUSY/EAGAIN: InUse, else IOError). */
int bus_error_set_host(sd_bus_error *e, int r, const char *op, const char *path);

/* "ENOSPC" for ENOSPC; "E<number>" for an errno without a name. */
const char *errno_name(int error, char buf[static 16]);
