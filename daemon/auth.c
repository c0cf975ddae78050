/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of auth.h. */
#include <grp.h>
#include <pwd.h>

#include "auth.h"
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

int bus_authorize(sd_bus_message *m, const char *admin_group, sd_bus_error *e) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        Caller c = {.egid = (gid_t) -1};
        const gid_t *gids = NULL;
        int r;

        /* The uid alone first: dbus-daemon knows it (one call to the bus), and root needs nothing more. The
         * groups would be read from /proc for the sender's pid (AUGMENT), a few milliseconds per call. */
        r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID, &creds);
        if (r >= 0 && sd_bus_creds_get_euid(creds, &c.euid) >= 0 && c.euid == 0)
                return 0;
        creds = sd_bus_creds_unref(creds);

        /* AUGMENT: dbus-daemon reports the uid; the groups come from /proc for the sender's pid. */
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
        if (c.euid == 0)
                return 0;

        struct group *g = isempty(admin_group) ? NULL : getgrnam(admin_group);
        struct passwd *pw = getpwuid(c.euid);
        if (auth_caller_allowed(&c, g ? g->gr_gid : (gid_t) -1, g ? g->gr_mem : NULL,
                                pw ? pw->pw_name : NULL))
                return 0;

        log_info("Refused %s.%s from uid %u: not root and not in group '%s'",
                 sd_bus_message_get_interface(m), sd_bus_message_get_member(m), (unsigned) c.euid,
                 strempty(admin_group));
        if (isempty(admin_group))
                return bus_error_setf(e, -EACCES, SUBJECT_ARGUMENT,
                                      "Changing vGPUs requires root (no admin_group is configured)");
        return bus_error_setf(e, -EACCES, SUBJECT_ARGUMENT,
                              "Changing vGPUs requires root or membership in group '%s'%s", admin_group,
                              g ? "" : " (which does not exist on this host)");
}
