/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgpud-libvirt-watch: libvirt's list of running domains, read for vgpud by a
 * process of its own (vgpud spawns it, daemon/libvirt-watch.c). Every
 * INTERVAL it opens a read-only connection to URI, lists the running domains,
 * reads which vGPUs each one's live XML references (domain-xml.c) and writes
 * one line of JSON to stdout (libvirt-watch.h). Each round opens a connection
 * and closes it again, so that a restarted libvirtd, or a test driver file
 * that changed, is seen as is.
 *
 * Why a process: libvirt's client library maps some 45 shared libraries
 * (gnutls, libnl, ICU, ...) that vgpud, a root daemon that also parses guest
 * traffic, has no use for beyond this list; here they run as an unprivileged
 * user (--user, [libvirt] watch_user) with no capabilities left.
 *
 * It never outlives vgpud: stdin is a pipe whose other end vgpud holds, and
 * its end (EOF) or a failed write to stdout ends the helper; so does vgpud's
 * death while a call into libvirt hangs (PR_SET_PDEATHSIG).
 *
 * Usage (internal; vgpud runs it): vgpud-libvirt-watch [--user USER] URI INTERVAL_USEC
 */
#include <errno.h>
#include <grp.h>
#include <json-c/json.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "domain-xml.h"
#include "libvirt-watch.h"
#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put)

/* libvirt prints every error to stderr unless told otherwise; the error goes to vgpud in the line instead.
 */
static void quiet_libvirt_errors(void *userdata, virErrorPtr error) {
}

static int add_ref(json_object *refs, const char *domain, const struct domain_vgpu *v) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();

        if (!o || json_object_object_add(o, "domain", json_object_new_string(domain)) < 0 ||
            json_object_object_add(o, "kind", json_object_new_string(vgpu_device_kind_to_string(v->kind))) <
                    0 ||
            json_object_object_add(o, "device", json_object_new_string(v->device)) < 0 ||
            json_object_array_add(refs, o) < 0)
                return -ENOMEM;
        TAKE_PTR(o);
        return 0;
}

/* One round: connect, list the running domains, add which vGPUs each references to refs. */
static int read_domains(const char *uri, json_object *refs, char **ret_error) {
        virDomainPtr *doms = NULL;
        int n_doms, r = 0;

        virConnectPtr conn = virConnectOpenReadOnly(uri);
        if (!conn) {
                if (asprintf(ret_error, "cannot connect to %s: %s", uri, strna(virGetLastErrorMessage())) <
                    0)
                        *ret_error = NULL;
                return -ECONNREFUSED;
        }
        n_doms = virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
        if (n_doms < 0) {
                if (asprintf(ret_error, "cannot list the domains of %s: %s", uri,
                             strna(virGetLastErrorMessage())) < 0)
                        *ret_error = NULL;
                virConnectClose(conn);
                return -EIO;
        }
        for (int d = 0; d < n_doms && r >= 0; d++) {
                _cleanup_free_ char *xml = virDomainGetXMLDesc(doms[d], 0), *why = NULL;
                _cleanup_(domain_vgpus_freep) struct domain_vgpus *v = NULL;
                const char *name = virDomainGetName(doms[d]);

                /* A domain that went away in between, or XML that cannot be read, says nothing. */
                if (!xml || !name || domain_xml_parse_vgpus(xml, strlen(xml), &v, &why) < 0)
                        continue;
                for (size_t k = 0; k < v->n_vgpus && r >= 0; k++)
                        r = add_ref(refs, name, &v->vgpus[k]);
        }
        for (int d = 0; d < n_doms; d++)
                virDomainFree(doms[d]);
        free(doms);
        virConnectClose(conn);
        return r;
}

/* The line for this round: the list, or why there is none. NULL when out of memory. */
static char *round_line(const char *uri, const char *setup_error) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object(),
                                                *refs = json_object_new_array();
        _cleanup_free_ char *error = NULL;
        int r;

        if (!o || !refs)
                return NULL;
        if (setup_error)
                r = -EPERM;
        else
                r = read_domains(uri, refs, &error);
        if (r >= 0) {
                if (json_object_object_add(o, "reachable", json_object_new_boolean(true)) < 0 ||
                    json_object_object_add(o, "refs", TAKE_PTR(refs)) < 0)
                        return NULL;
                const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                                          JSON_C_TO_STRING_NOSLASHESCAPE);
                if (s && strlen(s) <= LIBVIRT_WATCH_LINE_MAX)
                        return strdup(s);
                /* Too long for vgpud to take: say so rather than send what it must refuse. */
                json_object_put(o);
                o = json_object_new_object();
                if (!o)
                        return NULL;
                free(error);
                if (asprintf(&error, "the running domains of %s reference more devices than fit in %u bytes",
                             uri, LIBVIRT_WATCH_LINE_MAX) < 0)
                        error = NULL;
        }
        if (json_object_object_add(o, "reachable", json_object_new_boolean(false)) < 0 ||
            json_object_object_add(o, "error",
                                   json_object_new_string(setup_error ?: error ?: "out of memory")) < 0)
                return NULL;
        const char *s =
                json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        return s ? strdup(s) : NULL;
}

static int write_all(const char *s, size_t len) {
        while (len > 0) {
                ssize_t k = write(STDOUT_FILENO, s, len);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                s += k;
                len -= (size_t) k;
        }
        return 0;
}

/* Wait for usec, or until stdin ends (vgpud closed its end or died): > 0 when it did. */
static int wait_or_eof(uint64_t usec) {
        struct timespec now, until;

        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += (time_t) (usec / 1000000);
        until.tv_nsec += (long) (usec % 1000000) * 1000;
        if (until.tv_nsec >= 1000000000) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000;
        }
        for (;;) {
                clock_gettime(CLOCK_MONOTONIC, &now);
                int64_t ms = ((int64_t) until.tv_sec - now.tv_sec) * 1000 +
                             (until.tv_nsec - now.tv_nsec) / 1000000;
                if (ms <= 0)
                        return 0;
                struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
                int r = poll(&p, 1, (int) MIN(ms, (int64_t) 60000));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -errno;
                if (r == 0)
                        continue;
                if (p.revents & (POLLHUP | POLLERR | POLLNVAL))
                        return 1;
                char buf[256];
                ssize_t k =
                        read(STDIN_FILENO, buf, sizeof(buf)); /* vgpud writes nothing; anything is ignored */
                if (k == 0 || (k < 0 && errno != EINTR && errno != EAGAIN))
                        return 1;
        }
}

/* Become user (no supplementary groups, no capabilities left). On failure *ret_error says why. */
static int drop_privileges(const char *user, char **ret_error) {
        struct passwd *pw;

        errno = 0;
        pw = getpwnam(user);
        if (!pw) {
                int e = errno ?: ENOENT;
                if (asprintf(ret_error, "cannot run as user '%s' ([libvirt] watch_user): %s", user,
                             e == ENOENT ? "no such user" : strerror(e)) < 0)
                        *ret_error = NULL;
                return -e;
        }
        if (setgroups(1, &pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
                int e = errno;
                if (asprintf(ret_error, "cannot run as user '%s' ([libvirt] watch_user): %s", user,
                             strerror(e)) < 0)
                        *ret_error = NULL;
                return -e;
        }
        if (pw->pw_uid != 0 && setuid(0) == 0) {
                if (asprintf(ret_error, "running as user '%s' could still become root again", user) < 0)
                        *ret_error = NULL;
                return -EPERM;
        }
        /* libvirt's client reads its configuration from the user's directories, not root's. */
        (void) setenv("HOME", pw->pw_dir, 1);
        (void) unsetenv("XDG_CONFIG_HOME");
        (void) unsetenv("XDG_CACHE_HOME");
        (void) unsetenv("XDG_RUNTIME_DIR");
        return 0;
}

static int parse_interval(const char *s, uint64_t *ret) {
        char *end;

        errno = 0;
        unsigned long long u = strtoull(s, &end, 10);
        if (errno || end == s || *end || u == 0 || s[0] == '-')
                return -EINVAL;
        *ret = u;
        return 0;
}

int main(int argc, char **argv) {
        _cleanup_free_ char *setup_error = NULL;
        const char *user = NULL;
        uint64_t interval;
        pid_t parent = getppid();
        int a = 1;

        if (argc > a + 1 && streq(argv[a], "--user")) {
                user = argv[a + 1];
                a += 2;
        }
        if (argc != a + 2 || parse_interval(argv[a + 1], &interval) < 0) {
                fprintf(stderr,
                        "Usage: %s [--user USER] URI INTERVAL_USEC\n"
                        "(run by vgpud: one line of JSON per round on stdout, until stdin ends)\n",
                        program_invocation_short_name);
                return 2;
        }
        const char *uri = argv[a];

        /* Nothing of vgpud's but the two pipes, whatever it left open by mistake: this process talks to
         * libvirt as another user. */
        (void) close_range(3, ~0u, 0);
        /* A closed stdout is an error from write(), not a signal. */
        signal(SIGPIPE, SIG_IGN);
        if (!isempty(user) && geteuid() == 0)
                (void) drop_privileges(user, &setup_error);
        (void) prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        /* After the drop, which clears it. A call into a hung libvirtd must not keep this process alive. */
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (getppid() != parent)
                return 0;

        virSetErrorFunc(NULL, quiet_libvirt_errors);
        xmlInitParser();
        for (;;) {
                _cleanup_free_ char *line = round_line(uri, setup_error);
                if (!line) {
                        fprintf(stderr, "%s: out of memory\n", program_invocation_short_name);
                        return 1;
                }
                size_t len = strlen(line);
                line[len] = '\n'; /* in place of the NUL: the line is written by length */
                if (write_all(line, len + 1) < 0)
                        break; /* vgpud is gone */
                if (wait_or_eof(interval) != 0)
                        break;
        }
        xmlCleanupParser();
        return 0;
}
