/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of auth.h. */
#include <assert.h>
#include <grp.h>
#include <pwd.h>
#include <stddef.h>

#include "auth.h"
#include "bus-dict.h"
#include "bus-error.h"
#include "log.h"

bool auth_caller_allowed(const Caller *c, gid_t admin_gid, char *const *admin_members,
                         const char *user_name) {
        if (c->euid == 0)
                return true;
        if (admin_gid == (gid_t) -1)
                return false;
        if (c->egid == admin_gid)
                return true;
        for (size_t i = 0; i < c->n_groups; i++)
                if (c->groups[i] == admin_gid)
                        return true;
        /* The group file's member list counts too: the bus may know only the uid. */
        if (user_name && admin_members)
                for (char *const *m = admin_members; *m; m++)
                        if (streq(*m, user_name))
                                return true;
        return false;
}

const CachedCaller *auth_cache_lookup(const AuthCache *cache, sd_id128_t bus_id, const char *sender) {
        if (isempty(sender))
                return NULL;
        for (size_t i = 0; i < AUTH_CACHE_SIZE; i++) {
                const CachedCaller *c = &cache->slots[i];
                if (c->sender[0] && sd_id128_equal(c->bus_id, bus_id) && streq(c->sender, sender))
                        return c;
        }
        return NULL;
}

void auth_cache_store(AuthCache *cache, sd_id128_t bus_id, const char *sender, uid_t euid,
                      const gid_t *groups, size_t n_groups) {
        if (isempty(sender) || strlen(sender) >= sizeof(cache->slots[0].sender) ||
            n_groups > AUTH_CACHE_GROUPS)
                return;
        CachedCaller *c = &cache->slots[cache->next];
        cache->next = (cache->next + 1) % AUTH_CACHE_SIZE;
        *c = (CachedCaller){.bus_id = bus_id, .euid = euid, .n_groups = n_groups};
        if (n_groups > 0) /* a caller in no group at all comes with groups NULL */
                memcpy(c->groups, groups, n_groups * sizeof(gid_t));
        snprintf(c->sender, sizeof(c->sender), "%s", sender);
}

/* The sender's uid and groups (its gid among them) as the bus recorded them when it connected (dbus-daemon
 * >= 1.12 reads SO_PEERGROUPS on Linux): org.freedesktop.DBus.GetConnectionCredentials. Bound to the
 * connection, unlike /proc/<pid>/status, which a process that took over a reused pid could answer for.
 * -ENODATA when the bus reports no groups (an older bus). *ret_groups is malloc'ed. */
struct bus_credentials {
        uint32_t uid;
        uint32_t *groups;
        size_t n_groups;
};

/* What of GetConnectionCredentials' answer this needs; the rest (ProcessID, security labels...) is skipped.
 */
static const BusDictField credential_fields[] = {
        {"UnixUserID", "u", bus_dict_read_basic, offsetof(struct bus_credentials, uid)},
        {"UnixGroupIDs", "au", bus_dict_read_u32_array, offsetof(struct bus_credentials, groups),
         offsetof(struct bus_credentials, n_groups)},
};

/* The sender's uid and groups (its gid among them) as the bus recorded them when it connected (dbus-daemon
 * >= 1.12 reads SO_PEERGROUPS on Linux): org.freedesktop.DBus.GetConnectionCredentials. Bound to the
 * connection, unlike /proc/<pid>/status, which a process that took over a reused pid could answer for.
 * -ENODATA when the bus reports no groups (an older bus). *ret_groups is malloc'ed. */
static int bus_sender_groups(sd_bus_message *m, uid_t *ret_uid, gid_t **ret_groups, size_t *ret_n) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        struct bus_credentials c = {};
        uint64_t seen = 0;
        int r;

        static_assert(sizeof(gid_t) == sizeof(uint32_t), "D-Bus carries group IDs as u");
        r = sd_bus_call_method(sd_bus_message_get_bus(m), "org.freedesktop.DBus", "/org/freedesktop/DBus",
                               "org.freedesktop.DBus", "GetConnectionCredentials", &error, &reply, "s",
                               sd_bus_message_get_sender(m));
        if (r >= 0)
                r = bus_dict_read(reply, credential_fields, ELEMENTSOF(credential_fields), 0, &c, NULL,
                                  &seen);
        if (r >= 0 && seen != 3) /* both */
                r = -ENODATA;
        if (r < 0) {
                free(c.groups);
                return r;
        }
        *ret_uid = (uid_t) c.uid;
        *ret_groups = (gid_t *) c.groups;
        *ret_n = c.n_groups;
        return 0;
}

/* Root, or a member of admin_group; else AccessDenied naming the group. */
static int decide(sd_bus_message *m, const Caller *c, const char *admin_group, sd_bus_error *e) {
        if (c->euid == 0)
                return 0;

        struct group *g = isempty(admin_group) ? NULL : getgrnam(admin_group);
        struct passwd *pw = getpwuid(c->euid);
        if (auth_caller_allowed(c, g ? g->gr_gid : (gid_t) -1, g ? g->gr_mem : NULL,
                                pw ? pw->pw_name : NULL))
                return 0;

        log_info("Refused %s.%s from uid %u: not root and not in group '%s'",
                 sd_bus_message_get_interface(m), sd_bus_message_get_member(m), (unsigned) c->euid,
                 strempty(admin_group));
        if (isempty(admin_group))
                return bus_error_setf(e, -EACCES, SUBJECT_ARGUMENT,
                                      "Changing vGPUs requires root (no admin_group is configured)");
        return bus_error_setf(e, -EACCES, SUBJECT_ARGUMENT,
                              "Changing vGPUs requires root or membership in group '%s'%s", admin_group,
                              g ? "" : " (which does not exist on this host)");
}

static AuthCache auth_cache; /* the main loop's: bus calls are dispatched there only */

int bus_authorize(sd_bus_message *m, const char *admin_group, sd_bus_error *e) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        _cleanup_free_ gid_t *bus_groups = NULL;
        Caller c = {.egid = (gid_t) -1};
        const gid_t *gids = NULL;
        const char *sender = sd_bus_message_get_sender(m);
        const CachedCaller *cached = NULL;
        size_t n_bus_groups = 0;
        sd_id128_t bus_id = SD_ID128_NULL;
        int r;

        /* Cached per bus and sender; vgpud's private socket has no sender name, so no cache there. */
        if (sd_bus_get_bus_id(sd_bus_message_get_bus(m), &bus_id) >= 0)
                cached = auth_cache_lookup(&auth_cache, bus_id, sender);
        if (cached) {
                c.euid = cached->euid;
                c.groups = cached->groups;
                c.n_groups = cached->n_groups;
                return decide(m, &c, admin_group, e);
        }

        /* The uid alone first: dbus-daemon knows it (one call to the bus), and root needs nothing more. */
        r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID, &creds);
        if (r >= 0 && sd_bus_creds_get_euid(creds, &c.euid) >= 0 && c.euid == 0) {
                if (!sd_id128_is_null(bus_id))
                        auth_cache_store(&auth_cache, bus_id, sender, 0, NULL, 0);
                return 0;
        }
        creds = sd_bus_creds_unref(creds);

        r = bus_sender_groups(m, &c.euid, &bus_groups, &n_bus_groups);
        if (r >= 0) {
                c.groups = bus_groups;
                c.n_groups = n_bus_groups;
                if (!sd_id128_is_null(bus_id))
                        auth_cache_store(&auth_cache, bus_id, sender, c.euid, bus_groups, n_bus_groups);
        } else if (r != -ENODATA) {
                /* e.g. the caller disconnected: nobody to act for, and its pid may already be another's */
                return bus_error_setf(e, -EACCES, SUBJECT_ARGUMENT,
                                      "Cannot determine the caller's credentials: %s", strerror(-r));
        } else {
                /* An older bus without UnixGroupIDs: AUGMENT reads the groups from /proc for the sender's
                 * pid. */
                log_debug("The bus reports no groups for %s (%s); reading them from /proc",
                          strna(sd_bus_message_get_sender(m)), strerror(-r));
                r = sd_bus_query_sender_creds(m,
                                              SD_BUS_CREDS_EUID | SD_BUS_CREDS_EGID |
                                                      SD_BUS_CREDS_SUPPLEMENTARY_GIDS | SD_BUS_CREDS_AUGMENT,
                                              &creds);
                if (r < 0)
                        return bus_error_setf(e, -EACCES, SUBJECT_ARGUMENT,
                                              "Cannot determine the caller's credentials: %s", strerror(-r));
                r = sd_bus_creds_get_euid(creds, &c.euid);
                if (r < 0)
                        return bus_error_setf(e, -EACCES, SUBJECT_ARGUMENT,
                                              "Cannot determine the caller's user id: %s", strerror(-r));
                if (sd_bus_creds_get_egid(creds, &c.egid) < 0)
                        c.egid = (gid_t) -1;
                r = sd_bus_creds_get_supplementary_gids(creds, &gids);
                if (r >= 0) {
                        c.groups = gids;
                        c.n_groups = (size_t) r;
                }
        }
        return decide(m, &c, admin_group, e);
}
