/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt's list of running domains, read on a thread of its own every
 * [libvirt] refresh_interval: which vGPUs each one uses (its live XML, read
 * with domain-xml.c). The main loop never calls libvirt — a libvirtd that is
 * slow, hung, or running this very domain's hook (which waits for vgpud)
 * must not stop vgpud from answering. The thread hands each result over
 * through an eventfd; the main thread applies it (domains.c). When libvirt
 * cannot be reached, the last list that was read stays in force: a VM does
 * not let go of a vGPU because libvirtd restarts.
 *
 * Each round opens a read-only connection and closes it again, so that a
 * restarted libvirtd, or a test driver file that changed, is seen as is.
 */
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <time.h>

#include "config-file.h"
#include "domains.h"
#include "log.h"
#include "manager.h"

typedef struct LibvirtWatch {
        Manager *m; /* main thread only */
        sd_event_source *source;
        int efd;
        pthread_t thread;
        bool started;

        /* set at creation, read by the thread */
        char *uri;
        uint64_t interval_usec;

        pthread_mutex_t lock;
        pthread_cond_t cond;
        /* under lock */
        bool stop;
        bool have_result;
        bool reachable;
        char *error;
        struct libvirt_reference *refs;
        size_t n_refs;
        bool was_reachable; /* main thread: to log transitions only */
} LibvirtWatch;

static void refs_free(struct libvirt_reference *refs, size_t n) {
        for (size_t k = 0; k < n; k++) {
                free(refs[k].domain);
                free(refs[k].device);
        }
        free(refs);
}

/* libvirt prints every error to stderr unless told otherwise; vgpud logs what matters itself. */
static void quiet_libvirt_errors(void *userdata, virErrorPtr error) {
}

/* One round: connect, list the running domains, read which vGPUs each references. */
static int read_domains(const char *uri, struct libvirt_reference **ret, size_t *ret_n, char **ret_error) {
        struct libvirt_reference *refs = NULL;
        virDomainPtr *doms = NULL;
        size_t n = 0;
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
        for (int d = 0; d < n_doms; d++) {
                _cleanup_free_ char *xml = virDomainGetXMLDesc(doms[d], 0), *why = NULL;
                _cleanup_(domain_vgpus_freep) struct domain_vgpus *v = NULL;
                const char *name = virDomainGetName(doms[d]);

                /* A domain that went away in between, or XML vgpud cannot read, says nothing. */
                if (r < 0 || !xml || !name || domain_xml_parse_vgpus(xml, strlen(xml), &v, &why) < 0)
                        continue;
                struct libvirt_reference *nr = realloc(refs, (n + v->n_vgpus) * sizeof(*nr));
                if (!nr) {
                        r = -ENOMEM;
                        continue;
                }
                refs = nr;
                for (size_t k = 0; k < v->n_vgpus; k++) {
                        refs[n] = (struct libvirt_reference){
                                .domain = strdup(name),
                                .kind = v->vgpus[k].kind,
                                .device = strdup(v->vgpus[k].device),
                        };
                        n++;
                        if (!refs[n - 1].domain || !refs[n - 1].device)
                                r = -ENOMEM;
                }
        }
        for (int d = 0; d < n_doms; d++)
                virDomainFree(doms[d]);
        free(doms);
        virConnectClose(conn);
        if (r < 0) {
                refs_free(refs, n);
                return r;
        }
        *ret = refs;
        *ret_n = n;
        return 0;
}

static void *watch_thread(void *userdata) {
        LibvirtWatch *w = userdata;

        pthread_mutex_lock(&w->lock);
        while (!w->stop) {
                struct libvirt_reference *refs = NULL;
                char *error = NULL;
                size_t n = 0;

                pthread_mutex_unlock(&w->lock);
                int r = read_domains(w->uri, &refs, &n, &error);
                pthread_mutex_lock(&w->lock);

                refs_free(w->refs, w->n_refs);
                free(w->error);
                w->refs = refs;
                w->n_refs = n;
                w->error = error;
                w->reachable = r >= 0;
                w->have_result = true;
                uint64_t one = 1;
                (void) !write(w->efd, &one, sizeof(one));

                struct timespec until;
                clock_gettime(CLOCK_MONOTONIC, &until);
                uint64_t ns = (uint64_t) until.tv_nsec + (w->interval_usec % 1000000) * 1000;
                until.tv_sec += (time_t) (w->interval_usec / 1000000 + ns / 1000000000);
                until.tv_nsec = (long) (ns % 1000000000);
                while (!w->stop && pthread_cond_timedwait(&w->cond, &w->lock, &until) == 0)
                        ;
        }
        pthread_mutex_unlock(&w->lock);
        return NULL;
}

static int on_result(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        LibvirtWatch *w = userdata;
        struct libvirt_reference *refs = NULL;
        _cleanup_free_ char *error = NULL;
        size_t n = 0;
        uint64_t count;
        bool have, reachable;

        (void) !read(fd, &count, sizeof(count));
        pthread_mutex_lock(&w->lock);
        have = w->have_result;
        reachable = w->reachable;
        w->have_result = false;
        if (reachable) {
                refs = w->refs;
                n = w->n_refs;
                w->refs = NULL;
                w->n_refs = 0;
        }
        error = w->error;
        w->error = NULL;
        pthread_mutex_unlock(&w->lock);

        if (!have)
                return 0;
        if (!reachable) {
                if (w->was_reachable)
                        log_warning("libvirt: %s; keeping the domains last seen.", strna(error));
                else
                        log_debug("libvirt: %s", strna(error));
                w->was_reachable = false;
                return 0;
        }
        if (!w->was_reachable)
                log_info("libvirt: reading the running domains of %s.", w->uri);
        w->was_reachable = true;
        manager_apply_libvirt_references(w->m, refs, n);
        refs_free(refs, n);
        return 0;
}

static void watch_free(LibvirtWatch *w) {
        if (!w)
                return;
        sd_event_source_disable_unref(w->source);
        if (w->efd >= 0)
                close(w->efd);
        refs_free(w->refs, w->n_refs);
        free(w->error);
        free(w->uri);
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->lock);
        free(w);
}

int manager_start_libvirt_watch(Manager *m) {
        const struct vgpu_config *c = m->config;
        pthread_condattr_t ca;
        LibvirtWatch *w;
        int r;

        if (c->libvirt_refresh_usec == 0 || isempty(c->libvirt_uri))
                return 0;
        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->m = m;
        w->efd = -1;
        w->interval_usec = c->libvirt_refresh_usec;
        w->was_reachable = true; /* the first failure is worth a warning */
        pthread_mutex_init(&w->lock, NULL);
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&w->cond, &ca);
        pthread_condattr_destroy(&ca);
        w->uri = strdup(c->libvirt_uri);
        w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (!w->uri || w->efd < 0) {
                r = w->uri ? -errno : -ENOMEM;
                watch_free(w);
                return r;
        }
        r = sd_event_add_io(m->event, &w->source, w->efd, EPOLLIN, on_result, w);
        if (r < 0) {
                watch_free(w);
                return r;
        }
        /* Before the thread exists: libvirt's error handler and libxml2's set-up are global. */
        virSetErrorFunc(NULL, quiet_libvirt_errors);
        xmlInitParser();
        r = -pthread_create(&w->thread, NULL, watch_thread, w);
        if (r < 0) {
                watch_free(w);
                return r;
        }
        w->started = true;
        m->libvirt_watch = w;
        return 0;
}

void manager_stop_libvirt_watch(Manager *m) {
        LibvirtWatch *w = m->libvirt_watch;
        struct timespec until;

        if (!w)
                return;
        m->libvirt_watch = NULL;
        pthread_mutex_lock(&w->lock);
        w->stop = true;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
        /* A call into a hung libvirtd may not return soon; vgpud does not wait for it beyond a moment. */
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 5;
        if (pthread_timedjoin_np(w->thread, NULL, &until) != 0) {
                log_warning("libvirt: the domain list is still being read; leaving it behind.");
                sd_event_source_disable_unref(w->source);
                w->source = NULL;
                (void) pthread_detach(w->thread);
                return; /* w stays allocated: the thread still uses it */
        }
        watch_free(w);
}
