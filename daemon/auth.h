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
#include <systemd/sd-id128.h>

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

/* What the bus said about recent senders, by bus id and unique name. dbus-daemon never hands out a unique
 * name twice, and the uid and groups it reports for one were fixed when that connection was made: the
 * answer stays true for the connection's life. Why: asking is a round trip to the bus that blocks the loop,
 * and `vgpuctl destroy UUID...` makes hundreds of calls from one connection. Small (the last
 * AUTH_CACHE_SIZE senders), and only what the bus reported, never groups read from /proc. */
#define AUTH_CACHE_SIZE   16
#define AUTH_CACHE_GROUPS 64

typedef struct CachedCaller {
        sd_id128_t bus_id;
        char sender[64]; /* "" when the slot is free */
        uid_t euid;
        gid_t groups[AUTH_CACHE_GROUPS];
        size_t n_groups;
} CachedCaller;

typedef struct AuthCache {
        CachedCaller slots[AUTH_CACHE_SIZE];
        size_t next; /* the slot the next store takes (oldest first) */
} AuthCache;

/* The cached caller, its groups pointing into the cache; NULL when not cached. */
const CachedCaller *auth_cache_lookup(const AuthCache *cache, sd_id128_t bus_id, const char *sender);
/* Remember a sender (not when its name or groups do not fit: it is then asked for each time). */
void auth_cache_store(AuthCache *cache, sd_id128_t bus_id, const char *sender, uid_t euid,
                      const gid_t *groups, size_t n_groups);

/* Authorize the sender of m; 0 when allowed, else AccessDenied in e and -EACCES. */
int bus_authorize(sd_bus_message *m, const char *admin_group, sd_bus_error *e);
