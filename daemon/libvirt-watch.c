/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt's list of running domains, as the helper vgpud-libvirt-watch reads
 * it every [libvirt] refresh_interval (libvirt-watch.h says why it is another
 * process and what it writes). vgpud spawns it, reads its lines from a pipe
 * on the event loop (never blocking: a slow or hung libvirtd, or one running
 * this very domain's hook, which waits for vgpud, must not stop vgpud from
 * answering) and hands each list to domains.c. When libvirt cannot be
 * reached, or the helper died and is being restarted, the last list read
 * stays in force: a VM does not let go of a vGPU because libvirtd restarts.
 *
 * A helper that dies is restarted after a backoff (1 s, doubling up to the
 * refresh interval, back to 1 s once it delivers a list); one that writes
 * something vgpud cannot read is killed and restarted the same way.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include "config-file.h"
#include "libvirt-watch.h"
#include "log.h"
#include "manager.h"
#include "parse-util.h"

#define BACKOFF_MIN_USEC USEC_PER_SEC

typedef struct LibvirtWatch {
        Manager *m;
        char *path;
        char *uri;
        char *user;
        uint64_t interval_usec;

        pid_t pid;   /* 0: none running */
        int out_fd;  /* the helper's stdout, non-blocking */
        int in_fd;   /* the helper's stdin: closing it tells the helper to go */
        bool killed; /* by vgpud, which said why already */
        sd_event_source *io, *child, *restart;
        char *buf; /* a line being read */
        size_t len, allocated;
        uint64_t backoff_usec;
        bool was_reachable; /* to log transitions only */
} LibvirtWatch;

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put)
DEFINE_TRIVIAL_CLEANUP_FUNC(json_tokener *, json_tokener_free)

void libvirt_references_free(struct libvirt_reference *refs, size_t n) {
        for (size_t k = 0; k < n; k++) {
                free(refs[k].domain);
                free(refs[k].device);
        }
        free(refs);
}

static int kind_from_string(const char *s, enum vgpu_device_kind *ret) {
        for (int k = 0; k < _VGPU_DEVICE_KIND_MAX; k++)
                if (streq_ptr(vgpu_device_kind_to_string(k), s)) {
                        *ret = k;
                        return 0;
                }
        return -EINVAL;
}

static const char *string_member(json_object *o, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static int bad_line(char **ret_error, const char *why) {
        *ret_error = strdup(why);
        return -EBADMSG;
}

int libvirt_watch_parse_line(const char *line, size_t len, bool *ret_reachable,
                             struct libvirt_reference **ret_refs, size_t *ret_n, char **ret_error) {
        _cleanup_(json_tokener_freep) json_tokener *tok = NULL;
        _cleanup_(json_object_putp) json_object *o = NULL;
        json_object *reachable, *refs;
        struct libvirt_reference *r = NULL;
        size_t n = 0;

        *ret_error = NULL;
        if (len > LIBVIRT_WATCH_LINE_MAX)
                return bad_line(ret_error, "the line is too long");
        if (memchr(line, 0, len))
                return bad_line(ret_error, "the line holds a NUL byte");
        tok = json_tokener_new();
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        o = json_tokener_parse_ex(tok, line, (int) len);
        if (!o || json_tokener_get_error(tok) != json_tokener_success ||
            json_tokener_get_parse_end(tok) != len)
                return bad_line(ret_error, "the line is not one JSON value");
        if (!json_object_is_type(o, json_type_object) ||
            !json_object_object_get_ex(o, "reachable", &reachable) ||
            !json_object_is_type(reachable, json_type_boolean))
                return bad_line(ret_error, "the line is not an object with a boolean \"reachable\"");
        if (!json_object_get_boolean(reachable)) {
                const char *e = string_member(o, "error");
                if (!e)
                        return bad_line(ret_error,
                                        "an unreachable libvirt comes without an \"error\" string");
                *ret_error = strdup(e);
                if (!*ret_error)
                        return -ENOMEM;
                /* libvirt's messages may span lines (libxml2 shows where); a log line is one line */
                for (char *c = *ret_error; *c; c++)
                        if ((unsigned char) *c < ' ' || *c == 0x7f)
                                *c = ' ';
                *ret_reachable = false;
                *ret_refs = NULL;
                *ret_n = 0;
                return 0;
        }
        if (!json_object_object_get_ex(o, "refs", &refs) || !json_object_is_type(refs, json_type_array))
                return bad_line(ret_error, "a reachable libvirt comes without a \"refs\" array");
        size_t total = json_object_array_length(refs);
        if (total > 0) {
                r = calloc(total, sizeof(*r));
                if (!r)
                        return -ENOMEM;
        }
        for (; n < total; n++) {
                json_object *e = json_object_array_get_idx(refs, n);
                const char *domain =
                        json_object_is_type(e, json_type_object) ? string_member(e, "domain") : NULL;
                const char *kind = domain ? string_member(e, "kind") : NULL;
                const char *device = kind ? string_member(e, "device") : NULL;
                if (!device || isempty(domain) || isempty(device) ||
                    kind_from_string(kind, &r[n].kind) < 0) {
                        libvirt_references_free(r, n);
                        return bad_line(ret_error,
                                        "a reference is not {\"domain\", \"kind\", \"device\"} strings "
                                        "with a known kind");
                }
                r[n].domain = strdup(domain);
                r[n].device = strdup(device);
                if (!r[n].domain || !r[n].device) {
                        libvirt_references_free(r, n + 1);
                        return -ENOMEM;
                }
        }
        *ret_reachable = true;
        *ret_refs = r;
        *ret_n = n;
        return 0;
}

/* Stop reading from the helper (it is dead, or about to be). */
static void close_pipes(LibvirtWatch *w) {
        w->io = sd_event_source_disable_unref(w->io);
        if (w->out_fd >= 0)
                close(w->out_fd);
        if (w->in_fd >= 0)
                close(w->in_fd);
        w->out_fd = w->in_fd = -1;
        free(w->buf);
        w->buf = NULL;
        w->len = w->allocated = 0;
}

/* Kill the helper for a reason logged already; on_helper_exit() restarts it. */
static void kill_helper(LibvirtWatch *w) {
        w->killed = true;
        (void) kill(w->pid, SIGKILL);
        close_pipes(w);
}

static int spawn_helper(LibvirtWatch *w);

static void apply_line(LibvirtWatch *w, const char *line, size_t len) {
        struct libvirt_reference *refs = NULL;
        _cleanup_free_ char *error = NULL;
        size_t n = 0;
        bool reachable;

        if (libvirt_watch_parse_line(line, len, &reachable, &refs, &n, &error) < 0) {
                log_warning("libvirt: the domain reader (%s, pid %d) wrote a line vgpud cannot read: %s; "
                            "restarting it.",
                            w->path, (int) w->pid, error ?: "out of memory");
                kill_helper(w);
                return;
        }
        w->backoff_usec = BACKOFF_MIN_USEC;
        if (!reachable) {
                if (w->was_reachable)
                        log_warning("libvirt: %s; keeping the domains last seen.", error);
                else
                        log_debug("libvirt: %s", error);
                w->was_reachable = false;
                return;
        }
        if (!w->was_reachable)
                log_info("libvirt: reading the running domains of %s.", w->uri);
        w->was_reachable = true;
        manager_apply_libvirt_references(w->m, refs, n);
        libvirt_references_free(refs, n);
}

/* Room to read into: grown as lines get longer, up to the longest line and one byte more. */
static int grow_buffer(LibvirtWatch *w) {
        size_t want = MIN(MAX(w->allocated * 2, (size_t) 16384), (size_t) LIBVIRT_WATCH_LINE_MAX + 1);

        if (w->allocated - w->len >= 4096 || want <= w->allocated)
                return 0;
        char *b = realloc(w->buf, want);
        if (!b)
                return -ENOMEM;
        w->buf = b;
        w->allocated = want;
        return 0;
}

static int on_output(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        LibvirtWatch *w = userdata;

        for (;;) {
                if (w->len > LIBVIRT_WATCH_LINE_MAX) {
                        log_warning(
                                "libvirt: the domain reader (%s, pid %d) wrote a line longer than %u bytes; "
                                "restarting it.",
                                w->path, (int) w->pid, LIBVIRT_WATCH_LINE_MAX);
                        kill_helper(w);
                        return 0;
                }
                if (grow_buffer(w) < 0) {
                        log_oom();
                        kill_helper(w);
                        return 0;
                }
                ssize_t k = read(fd, w->buf + w->len, w->allocated - w->len);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0 && errno == EAGAIN)
                        return 0;
                if (k < 0)
                        log_warning_errno(
                                errno, "libvirt: reading from the domain reader failed: %m; restarting it.");
                if (k < 0) {
                        kill_helper(w);
                        return 0;
                }
                if (k == 0) {
                        /* It is exiting (on_helper_exit() says how), or it closed its output and is of no
                         * use any more. */
                        (void) kill(w->pid, SIGKILL);
                        close_pipes(w);
                        return 0;
                }
                size_t start = 0, scanned = w->len;
                w->len += (size_t) k;
                for (char *nl; (nl = memchr(w->buf + scanned, '\n', w->len - scanned));) {
                        size_t end = (size_t) (nl - w->buf);
                        apply_line(w, w->buf + start, end - start);
                        if (w->killed)
                                return 0;
                        start = scanned = end + 1;
                }
                memmove(w->buf, w->buf + start, w->len - start);
                w->len -= start;
        }
}

static int on_restart(sd_event_source *s, uint64_t usec, void *userdata) {
        LibvirtWatch *w = userdata;

        w->restart = sd_event_source_disable_unref(w->restart);
        if (spawn_helper(w) < 0) {
                /* spawn_helper() said why; try again later as if it had died */
                uint64_t delay = w->backoff_usec;
                w->backoff_usec = MIN(w->backoff_usec * 2, MAX(w->interval_usec, BACKOFF_MIN_USEC));
                (void) sd_event_add_time_relative(w->m->event, &w->restart, CLOCK_MONOTONIC, delay, 0,
                                                  on_restart, w);
        }
        return 0;
}

static int on_helper_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        LibvirtWatch *w = userdata;

        /* What it wrote before it went still counts. */
        if (w->io && !w->killed)
                (void) on_output(w->io, w->out_fd, EPOLLIN, w);
        close_pipes(w);
        uint64_t delay = w->backoff_usec;
        w->child = sd_event_source_disable_unref(w->child);
        if (!w->killed) {
                if (si->si_code == CLD_EXITED)
                        log_warning("libvirt: the domain reader (%s, pid %d) exited with status %d; "
                                    "restarting it "
                                    "in %" PRIu64 " ms; the domains last seen stay in force.",
                                    w->path, (int) si->si_pid, si->si_status, delay / 1000);
                else
                        log_warning("libvirt: the domain reader (%s, pid %d) was killed by signal %s; "
                                    "restarting it "
                                    "in %" PRIu64 " ms; the domains last seen stay in force.",
                                    w->path, (int) si->si_pid, strna(sigabbrev_np(si->si_status)),
                                    delay / 1000);
        } else
                log_debug("libvirt: the domain reader (pid %d) is gone; restarting it in %" PRIu64 " ms.",
                          (int) si->si_pid, delay / 1000);
        w->pid = 0;
        w->killed = false;
        w->backoff_usec = MIN(w->backoff_usec * 2, MAX(w->interval_usec, BACKOFF_MIN_USEC));
        int r = sd_event_add_time_relative(w->m->event, &w->restart, CLOCK_MONOTONIC, delay, 0, on_restart,
                                           w);
        if (r < 0)
                log_error_errno(r, "libvirt: cannot schedule the restart of the domain reader: %m");
        return 0;
}

static int spawn_helper(LibvirtWatch *w) {
        _cleanup_close_ int out_r = -1, out_w = -1, in_r = -1, in_w = -1;
        char interval[32];
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t none, defaults;
        const char *argv[7];
        size_t a = 0;
        pid_t pid;
        int p[2], r;

        if (pipe2(p, O_CLOEXEC) < 0)
                return log_error_errno(errno, "libvirt: cannot make a pipe for the domain reader: %m");
        out_r = p[0], out_w = p[1];
        if (pipe2(p, O_CLOEXEC) < 0)
                return log_error_errno(errno, "libvirt: cannot make a pipe for the domain reader: %m");
        in_r = p[0], in_w = p[1];
        if (fcntl(out_r, F_SETFL, O_NONBLOCK) < 0)
                return log_error_errno(errno, "libvirt: cannot make a pipe for the domain reader: %m");

        snprintf(interval, sizeof(interval), "%" PRIu64, w->interval_usec);
        argv[a++] = w->path;
        if (!isempty(w->user)) {
                argv[a++] = "--user";
                argv[a++] = w->user;
        }
        argv[a++] = w->uri;
        argv[a++] = interval;
        argv[a] = NULL;

        /* vgpud blocks the signals its loop takes by signalfd; the helper starts with none blocked. */
        sigemptyset(&none);
        sigemptyset(&defaults);
        sigaddset(&defaults, SIGTERM);
        sigaddset(&defaults, SIGINT);
        sigaddset(&defaults, SIGCHLD);
        sigaddset(&defaults, SIGPIPE);
        posix_spawn_file_actions_init(&fa);
        posix_spawnattr_init(&attr);
        posix_spawn_file_actions_adddup2(&fa, in_r, STDIN_FILENO);
        posix_spawn_file_actions_adddup2(&fa, out_w, STDOUT_FILENO);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &defaults);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        r = -posix_spawn(&pid, w->path, &fa, &attr, (char *const *) argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        if (r < 0)
                return log_error_errno(r, "libvirt: cannot start the domain reader %s: %m", w->path);

        w->pid = pid;
        r = sd_event_add_child(w->m->event, &w->child, pid, WEXITED, on_helper_exit, w);
        if (r < 0) {
                /* without it vgpud could not tell when to restart it */
                log_error_errno(r, "libvirt: cannot watch the domain reader: %m");
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                w->pid = 0;
                return r;
        }
        r = sd_event_add_io(w->m->event, &w->io, out_r, EPOLLIN, on_output, w);
        if (r < 0) {
                log_error_errno(r, "libvirt: cannot read from the domain reader: %m");
                w->killed = true;
                (void) kill(pid, SIGKILL); /* on_helper_exit() restarts it */
                return 0;
        }
        w->out_fd = TAKE_FD(out_r);
        w->in_fd = TAKE_FD(in_w);
        log_debug("libvirt: started the domain reader %s (pid %d) for %s.", w->path, (int) pid, w->uri);
        return 0;
}

static void watch_free(LibvirtWatch *w) {
        if (!w)
                return;
        w->restart = sd_event_source_disable_unref(w->restart);
        close_pipes(w);
        if (w->pid > 0) {
                /* It holds nothing that needs a goodbye; a call into a hung libvirtd must not delay the
                 * exit. */
                (void) kill(w->pid, SIGKILL);
                (void) waitpid(w->pid, NULL, 0);
        }
        w->child = sd_event_source_disable_unref(w->child);
        free(w->path);
        free(w->uri);
        free(w->user);
        free(w);
}

int manager_start_libvirt_watch(Manager *m) {
        const struct vgpu_config *c = m->config;
        const char *path = getenv("VGPUD_LIBVIRT_WATCH");
        LibvirtWatch *w;
        int r;

        if (c->libvirt_refresh_usec == 0 || isempty(c->libvirt_uri))
                return 0;
        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->m = m;
        w->out_fd = w->in_fd = -1;
        w->interval_usec = c->libvirt_refresh_usec;
        w->backoff_usec = BACKOFF_MIN_USEC;
        w->was_reachable = true; /* the first failure is worth a warning */
        w->path = strdup(isempty(path) ? PKGLIBEXECDIR "/" LIBVIRT_WATCH_PROGRAM : path);
        w->uri = strdup(c->libvirt_uri);
        w->user = strdup(strempty(c->libvirt_watch_user));
        if (!w->path || !w->uri || !w->user) {
                watch_free(w);
                return -ENOMEM;
        }
        m->libvirt_watch = w;
        r = spawn_helper(w);
        if (r < 0) {
                /* a helper that could not start now may later (an upgrade in progress): keep trying */
                r = sd_event_add_time_relative(m->event, &w->restart, CLOCK_MONOTONIC, w->backoff_usec, 0,
                                               on_restart, w);
                if (r < 0) {
                        m->libvirt_watch = NULL;
                        watch_free(w);
                        return r;
                }
        }
        return 0;
}

void manager_stop_libvirt_watch(Manager *m) {
        LibvirtWatch *w = m->libvirt_watch;

        m->libvirt_watch = NULL;
        watch_free(w);
}
