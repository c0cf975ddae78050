/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who may change the host: uid 0 and members of the configured admin group.
 * Checked on every mutating call from the sender's credentials as the bus and
 * the kernel report them (uid, and the groups dbus-daemon took from the socket
 * when the caller connected), never from anything the caller says about
 * itself nor from /proc of a pid that may have been reused. A refusal names the group, so the
 * administrator knows what to change.
 */
#pragma once

#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "macro.h"

typedef struct Caller {
        uid_t euid;
        gid_t egid; /* (gid_t) -1 when unknown */
        const gid_t *groups;
        size_t n_groups;
} Caller;

/* The decision alone: root, or a member of the group with gid admin_gid (by
 * gid, or by name in the group's member list when the sender's supplementary
 * groups could not be read). admin_gid (gid_t) -1 means the group does not exist. */
bool auth_caller_allowed(const Caller *c, gid_t admin_gid, char *const *admin_members,
                         const char *user_name);

/* Authorize the sender of m; 0 when allowed, else AccessDenied in e and -EACCES. */
int bus_authorize(sd_bus_message *m, const char *admin_group, sd_bus_error *e);
