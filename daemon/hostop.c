/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Implementation of hostop.h. One queue under one mutex: a worker takes the
 * oldest queued job whose key is not running, so per-key order is FIFO and
 * one slow GPU holds up only its own jobs. Finished jobs go to a done list
 * and an eventfd wakes the main loop, which runs the completions there.
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>

#include "hostop.h"
#include "log.h"

typedef enum JobState {
        JOB_QUEUED,
        JOB_RUNNING,
        JOB_DONE,
} JobState;

typedef struct Job Job;
struct Job {
        Job *next;
        char *key;
        hostop_run_t run;
        hostop_done_t done;
        void *userdata;
        JobState state;
        int result;
};

struct HostOps {
        pthread_mutex_t lock;
        pthread_cond_t wake;
        Job *jobs; /* queued and running, oldest first */
        Job *done_head, **done_tail;
        bool stopping;
        pthread_t *threads;
        unsigned n_threads;
        int efd;
        sd_event_source *source;
        hostop_batch_done_t batch_done;
        void *batch_userdata;
};

static void job_free(Job *j) {
        if (!j)
                return;
        free(j->key);
        free(j);
}

static bool key_running(HostOps *h, const char *key) {
        for (Job *j = h->jobs; j; j = j->next)
                if (j->state == JOB_RUNNING && streq(j->key, key))
                        return true;
        return false;
}

/* The oldest queued job whose key is idle and that no older queued job of the same key precedes. */
static Job *next_runnable(HostOps *h) {
        for (Job *j = h->jobs; j; j = j->next) {
                if (j->state != JOB_QUEUED || key_running(h, j->key))
                        continue;
                bool older_queued = false;
                for (Job *o = h->jobs; o != j; o = o->next)
                        if (o->state == JOB_QUEUED && streq(o->key, j->key)) {
                                older_queued = true;
                                break;
                        }
                if (!older_queued)
                        return j;
        }
        return NULL;
}

/* More than one runnable job? The worker that finished one takes the next itself: another is woken only
 * for a second (waking every idle worker for each job costs each a switch and the lock, on the cores the
 * main loop needs for the reply). */
static bool second_runnable(HostOps *h) {
        Job *first = next_runnable(h);
        if (!first)
                return false;
        first->state = JOB_RUNNING; /* as if taken, to look past it and its key */
        bool more = next_runnable(h) != NULL;
        first->state = JOB_QUEUED;
        return more;
}

static void unlink_job(HostOps *h, Job *job) {
        for (Job **p = &h->jobs; *p; p = &(*p)->next)
                if (*p == job) {
                        *p = job->next;
                        job->next = NULL;
                        return;
                }
}

static void push_done(HostOps *h, Job *job) {
        job->state = JOB_DONE;
        job->next = NULL;
        *h->done_tail = job;
        h->done_tail = &job->next;
}

static void *worker_main(void *arg) {
        HostOps *h = arg;

        pthread_mutex_lock(&h->lock);
        for (;;) {
                Job *job = NULL;
                while (!h->stopping && !(job = next_runnable(h)))
                        pthread_cond_wait(&h->wake, &h->lock);
                if (h->stopping)
                        break;

                job->state = JOB_RUNNING;
                pthread_mutex_unlock(&h->lock);
                int r = job->run(job->userdata);
                pthread_mutex_lock(&h->lock);

                job->result = r;
                unlink_job(h, job);
                push_done(h, job);
                uint64_t one = 1;
                if (write(h->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
                        log_error_errno(errno, "Failed to signal a finished host operation: %m");
                /* A job of the same key may have become runnable: this worker takes one, another worker
                 * a second. */
                if (second_runnable(h))
                        pthread_cond_signal(&h->wake);
        }
        pthread_mutex_unlock(&h->lock);
        return NULL;
}

static Job *take_done(HostOps *h) {
        pthread_mutex_lock(&h->lock);
        Job *list = h->done_head;
        h->done_head = NULL;
        h->done_tail = &h->done_head;
        pthread_mutex_unlock(&h->lock);
        return list;
}

static void run_completions(HostOps *h, Job *list) {
        if (!list)
                return;
        while (list) {
                Job *j = list;
                list = j->next;
                j->done(j->result, j->userdata);
                job_free(j);
        }
        if (h->batch_done)
                h->batch_done(h->batch_userdata);
}

void hostops_set_batch_done(HostOps *h, hostop_batch_done_t batch_done, void *userdata) {
        h->batch_done = batch_done;
        h->batch_userdata = userdata;
}

static int on_efd(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        HostOps *h = userdata;
        uint64_t n;

        if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
                return log_error_errno(errno, "Failed to read the host-operation eventfd: %m");
        run_completions(h, take_done(h));
        return 0;
}

int hostops_new(sd_event *event, unsigned n_threads, HostOps **ret) {
        _cleanup_(hostops_freep) HostOps *h = NULL;
        int r;

        if (n_threads == 0)
                return -EINVAL;
        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        pthread_mutex_init(&h->lock, NULL);
        pthread_cond_init(&h->wake, NULL);
        h->done_tail = &h->done_head;
        h->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (h->efd < 0)
                return negative_errno();
        r = sd_event_add_io(event, &h->source, h->efd, EPOLLIN, on_efd, h);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(h->source, "hostops");

        h->threads = calloc(n_threads, sizeof(pthread_t));
        if (!h->threads)
                return -ENOMEM;
        for (; h->n_threads < n_threads; h->n_threads++) {
                r = -pthread_create(&h->threads[h->n_threads], NULL, worker_main, h);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(h);
        return 0;
}

HostOps *hostops_free(HostOps *h) {
        if (!h)
                return NULL;

        pthread_mutex_lock(&h->lock);
        h->stopping = true;
        pthread_cond_broadcast(&h->wake);
        pthread_mutex_unlock(&h->lock);
        for (unsigned i = 0; i < h->n_threads; i++)
                pthread_join(h->threads[i], NULL);

        /* Threads are gone: finished jobs complete, queued ones are cancelled, in order. */
        run_completions(h, take_done(h));
        /* (A done function may queue more: those are cancelled in the next round.) */
        while (h->jobs) {
                Job *cancelled = TAKE_PTR(h->jobs);
                for (Job *j = cancelled; j; j = j->next)
                        j->result = -ECANCELED;
                run_completions(h, cancelled);
        }

        sd_event_source_disable_unref(h->source);
        if (h->efd >= 0)
                close(h->efd);
        free(h->threads);
        pthread_cond_destroy(&h->wake);
        pthread_mutex_destroy(&h->lock);
        free(h);
        return NULL;
}

int hostops_submit(HostOps *h, const char *key, hostop_run_t run, hostop_done_t done, void *userdata) {
        Job *job = calloc(1, sizeof(*job));

        if (!job)
                return -ENOMEM;
        job->key = strdup(key);
        if (!job->key) {
                free(job);
                return -ENOMEM;
        }
        job->run = run;
        job->done = done;
        job->userdata = userdata;

        pthread_mutex_lock(&h->lock);
        if (h->stopping) {
                pthread_mutex_unlock(&h->lock);
                job_free(job);
                return -ESHUTDOWN;
        }
        Job **p = &h->jobs;
        while (*p)
                p = &(*p)->next;
        *p = job;
        /* One job, one worker (if its key is busy, the worker that finishes that key's job takes it). */
        pthread_cond_signal(&h->wake);
        pthread_mutex_unlock(&h->lock);
        return 0;
}

size_t hostops_pending(HostOps *h, const char *key) {
        size_t n = 0;

        pthread_mutex_lock(&h->lock);
        for (Job *j = h->jobs; j; j = j->next)
                if (!key || streq(j->key, key))
                        n++;
        for (Job *j = h->done_head; j; j = j->next)
                if (!key || streq(j->key, key))
                        n++;
        pthread_mutex_unlock(&h->lock);
        return n;
}
