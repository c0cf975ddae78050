/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of bus-error.h: one table from (errno, subject) to error names. */
#include <stdarg.h>

#include "bus-error.h"
#include "bus-names.h"

struct error_map {
        int error;
        ErrorSubject subject; /* _SUBJECT_MAX: any subject but SUBJECT_HOST */
        const char *name;
};

#define ANY _SUBJECT_MAX

/* First match wins; rows for a specific subject come before the "any" rows. */
static const struct error_map error_map[] = {
        /* A sysfs write: the kernel's errno tells what happened to the device. */
        {EEXIST, SUBJECT_HOST, VGPUD_ERROR_INSTANCE_EXISTS},
        {EBUSY, SUBJECT_HOST, VGPUD_ERROR_IN_USE},
        {EAGAIN, SUBJECT_HOST, VGPUD_ERROR_IN_USE},
        {EACCES, SUBJECT_HOST, VGPUD_ERROR_IO},
        {EPERM, SUBJECT_HOST, VGPUD_ERROR_IO},

        /* Lookups: "not there" depends on what was looked for. */
        {ENOENT, SUBJECT_GPU, VGPUD_ERROR_NO_SUCH_GPU},
        {ENODEV, SUBJECT_GPU, VGPUD_ERROR_NO_SUCH_GPU},
        {ENXIO, SUBJECT_GPU, VGPUD_ERROR_NO_SUCH_GPU},
        {ENOENT, SUBJECT_TYPE, VGPUD_ERROR_NO_SUCH_TYPE},
        {ENXIO, SUBJECT_TYPE, VGPUD_ERROR_NO_SUCH_TYPE},
        {ENOENT, SUBJECT_INSTANCE, VGPUD_ERROR_NO_SUCH_INSTANCE},
        {ENXIO, SUBJECT_INSTANCE, VGPUD_ERROR_NO_SUCH_INSTANCE},
        {ENOENT, SUBJECT_ARGUMENT, DBUS_ERROR_INVALID_ARGS},

        {EINVAL, ANY, DBUS_ERROR_INVALID_ARGS},
        {ERANGE, ANY, DBUS_ERROR_INVALID_ARGS},
        {EBADMSG, ANY, DBUS_ERROR_INVALID_ARGS},
        {EACCES, ANY, DBUS_ERROR_ACCESS_DENIED},
        {EPERM, ANY, DBUS_ERROR_ACCESS_DENIED},
        {ENOTUNIQ, ANY, VGPUD_ERROR_AMBIGUOUS_TYPE},
        {EEXIST, ANY, VGPUD_ERROR_INSTANCE_EXISTS},
        {ENOSPC, ANY, VGPUD_ERROR_NO_CAPACITY},
        {EBUSY, ANY, VGPUD_ERROR_IN_USE},
        {EALREADY, ANY, VGPUD_ERROR_BUSY},
        {EINPROGRESS, ANY, VGPUD_ERROR_BUSY},
        {EDQUOT, ANY, VGPUD_ERROR_ADMISSION_DENIED},
        {EOPNOTSUPP, ANY, VGPUD_ERROR_NOT_SUPPORTED},
        {EIO, ANY, VGPUD_ERROR_IO},
};

const char *bus_error_name_for(int error, ErrorSubject subject) {
        if (error < 0)
                error = -error;
        for (size_t i = 0; i < ELEMENTSOF(error_map); i++) {
                const struct error_map *m = &error_map[i];
                if (m->error != error)
                        continue;
                if (m->subject == subject || (m->subject == ANY && subject != SUBJECT_HOST))
                        return m->name;
        }
        /* Whatever a sysfs write returns is an I/O failure of that write. */
        return subject == SUBJECT_HOST ? VGPUD_ERROR_IO : NULL;
}

const char *errno_name(int error, char buf[static 16]) {
        if (error < 0)
                error = -error;
        const char *n = strerrorname_np(error);
        if (n)
                return n;
        snprintf(buf, 16, "E%d", error);
        return buf;
}

/* Messages echo what the caller sent (a type name, an address): a caller that sends megabytes gets the
 * start of it back, not all of it, and the journal does not take it either. Cut at a character boundary
 * (the bus only carries valid UTF-8). */
static void clip_message(char *msg) {
        static const char ellipsis[] = "…";
        size_t n = strlen(msg), cut = BUS_ERROR_MESSAGE_MAX - (sizeof(ellipsis) - 1);

        if (n <= BUS_ERROR_MESSAGE_MAX)
                return;
        while (cut > 0 && ((unsigned char) msg[cut] & 0xC0) == 0x80)
                cut--;
        memcpy(msg + cut, ellipsis, sizeof(ellipsis));
}

static int bus_error_setv(sd_bus_error *e, int r, ErrorSubject subject, const char *fmt, va_list ap) {
        _cleanup_free_ char *msg = NULL;

        if (r >= 0)
                r = -EIO; /* a caller bug must still fail the call, never succeed it */
        if (vasprintf(&msg, fmt, ap) < 0)
                return sd_bus_error_set_errno(e, -ENOMEM);
        clip_message(msg);

        const char *name = bus_error_name_for(r, subject);
        if (!name)
                /* sd-bus's own errno mapping (e.g. ENOMEM: NoMemory) keeps the message. */
                return sd_bus_error_set_errnof(e, -r, "%s", msg);
        sd_bus_error_set(e, name, msg);
        return r;
}

int bus_error_setf(sd_bus_error *e, int r, ErrorSubject subject, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        r = bus_error_setv(e, r, subject, fmt, ap);
        va_end(ap);
        return r;
}

int bus_error_set_host(sd_bus_error *e, int r, const char *op, const char *path) {
        char buf[16];

        if (r >= 0)
                r = -EIO;
        return bus_error_setf(e, r, SUBJECT_HOST, "%s %s: %s (%s)", op, path, strerror(-r),
                              errno_name(r, buf));
}
