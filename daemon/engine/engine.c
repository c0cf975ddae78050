/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine of one software GPU: its thread and event loop, the requests the
 * daemon's thread sends it, and the statistics it publishes back.
 *
 * The loop alternates between I/O and execution: it polls every socket
 * (without waiting if some instance has work), handles what arrived, then
 * lets the scheduler pick one instance and runs it for at most one slice.
 * A turn also ends early, at the next chunk boundary, when a message is
 * waiting: MMIO round trips wait at most one chunk of execution, not a
 * slice, so a guest can keep its ring fed while others run. Turns are
 * charged by the time they took, so ending them early costs no instance its
 * share. A client that floods messages is served a bounded number per
 * wake-up.
 *
 * Messages a connection has read ahead (conn.c) do not wake epoll: while any
 * connection could take one, the loop polls without waiting and serves those
 * connections after the sockets' events, and a turn of execution ends early
 * for them as for a socket with data.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "engine-internal.h"
#include "guard.h"
#include "log.h"
#include "macro.h"

#define DEFAULT_MAX_INSTANCES    64u
#define DEFAULT_MAX_DMA_MAPS     512u
#define DEFAULT_MAX_DMA_BYTES    (1ull << 40)
#define DEFAULT_MAX_MSG_FDS      8u
#define DEFAULT_STALL_TIMEOUT_MS 5000u
#define SHARE_WINDOW_NS          1000000000ull
#define MMIO_WINDOW_NS           (100ull * 1000000ull)
#define HOUSEKEEPING_NS          (50ull * 1000000ull)
/* Messages that may be answered between two turns of execution when others keep coming (engine_thread). */
#define MESSAGES_BETWEEN_TURNS 32u

enum request_type {
        REQ_ADD,
        REQ_REMOVE,
        REQ_POLICY,
        REQ_QUOTA,
        REQ_STOP,
};

struct request {
        enum request_type type;
        const struct engine_instance_params *add;
        const char *uuid;
        enum engine_policy policy;
        uint32_t slice_us;
        unsigned share, weight;
        int result;
        bool done;
        struct request *next;
};

static const char *const policy_names[] = {
        [ENGINE_POLICY_BEST_EFFORT] = "best-effort",
        [ENGINE_POLICY_EQUAL_SHARE] = "equal-share",
        [ENGINE_POLICY_FIXED_SHARE] = "fixed-share",
        [ENGINE_POLICY_WEIGHTED] = "weighted",
};

const char *engine_policy_to_string(enum engine_policy p) {
        return (unsigned) p < ELEMENTSOF(policy_names) ? policy_names[p] : NULL;
}

int engine_policy_from_string(const char *s, enum engine_policy *ret) {
        for (unsigned i = 0; i < ELEMENTSOF(policy_names); i++)
                if (s && streq(s, policy_names[i])) {
                        *ret = (enum engine_policy) i;
                        return 0;
                }
        return -EINVAL;
}

const char *engine_instance_state_to_string(enum engine_instance_state s) {
        static const char *const names[] = {
                [ENGINE_INSTANCE_DISCONNECTED] = "disconnected",
                [ENGINE_INSTANCE_IDLE] = "idle",
                [ENGINE_INSTANCE_BUSY] = "busy",
                [ENGINE_INSTANCE_FAILSAFE] = "failsafe",
        };
        return (unsigned) s < ELEMENTSOF(names) ? names[s] : NULL;
}

static enum sched_policy to_sched(enum engine_policy p) {
        switch (p) {
        case ENGINE_POLICY_EQUAL_SHARE:
                return SCHED_EQUAL_SHARE;
        case ENGINE_POLICY_FIXED_SHARE:
                return SCHED_FIXED_SHARE;
        case ENGINE_POLICY_WEIGHTED:
                return SCHED_WEIGHTED;
        default:
                return SCHED_BEST_EFFORT;
        }
}

int engine_watch_add(struct engine *e, struct watch *w, uint32_t events) {
        struct epoll_event ev = {.events = events, .data.ptr = w};
        return epoll_ctl(e->epoll_fd, EPOLL_CTL_ADD, w->fd, &ev) < 0 ? -errno : 0;
}

int engine_watch_mod(struct engine *e, struct watch *w, uint32_t events) {
        struct epoll_event ev = {.events = events, .data.ptr = w};
        return epoll_ctl(e->epoll_fd, EPOLL_CTL_MOD, w->fd, &ev) < 0 ? -errno : 0;
}

void engine_watch_del(struct engine *e, struct watch *w) {
        (void) epoll_ctl(e->epoll_fd, EPOLL_CTL_DEL, w->fd, NULL);
}

void engine_notify(struct engine *e) {
        uint64_t one = 1;
        (void) !write(e->event_fd, &one, sizeof(one));
}

/*
 * Messages are not scheduled like commands: they are answered as they come, which keeps MMIO
 * fast. What bounds them is this: in every 100 ms window an instance's messages may take the
 * part of the engine its policy grants it (best-effort: an equal part among connected
 * instances); past that, its client is not read until the window ends.
 */
uint64_t engine_mmio_limit_ns(const struct engine *e, const struct instance *inst) {
        uint64_t ppm = sched_entitlement_ppm(&e->sched, &inst->se);
        if (ppm == 0) {
                size_t connected = 0;
                for (size_t i = 0; i < e->n_instances; i++)
                        connected += e->instances[i]->conn != NULL;
                ppm = 1000000u / MAX(connected, (size_t) 1);
        }
        return MMIO_WINDOW_NS * ppm / 1000000u;
}

static uint64_t slice_ns(const struct engine *e) {
        return e->slice_us ? (uint64_t) e->slice_us * 1000u : sched_default_slice_ns(e->n_instances);
}

static struct instance *find_instance(struct engine *e, const char *uuid, size_t *index) {
        if (!uuid)
                return NULL;
        for (size_t i = 0; i < e->n_instances; i++)
                if (streq(e->instances[i]->uuid, uuid)) {
                        if (index)
                                *index = i;
                        return e->instances[i];
                }
        return NULL;
}

static bool uuid_valid(const char *s) {
        if (!s || strlen(s) != UUID_STRING_LEN)
                return false;
        for (unsigned i = 0; i < UUID_STRING_LEN; i++) {
                bool dash = i == 8 || i == 13 || i == 18 || i == 23;
                if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        }
        return true;
}

static int do_add(struct engine *e, const struct engine_instance_params *p, struct instance **ret) {
        struct instance *inst;
        unsigned slot;
        int r;

        if (!uuid_valid(p->uuid) || !p->socket_path || p->share > 100)
                return -EINVAL;
        if (p->vram_size < RPCGPU_VRAM_MIN || p->vram_size > RPCGPU_VRAM_MAX ||
            (p->vram_size & (p->vram_size - 1)))
                return -EINVAL;
        if (find_instance(e, p->uuid, NULL))
                return -EEXIST;
        if (e->n_instances >= e->params.max_instances)
                return -ENOSPC;
        r = sched_check_new_share(&e->sched, p->share);
        if (r < 0)
                return r;
        for (slot = 0; slot < e->params.max_instances && e->published[slot].used; slot++)
                ;

        r = instance_new(e, p, slot, &inst);
        if (r < 0)
                return r;
        r = sched_add(&e->sched, &inst->se);
        if (r < 0) {
                einstance_free(inst);
                return r;
        }
        e->instances[e->n_instances++] = inst;

        pthread_mutex_lock(&e->stats_lock);
        e->published[slot].used = true;
        strcpy(e->published[slot].uuid, inst->uuid);
        pthread_mutex_unlock(&e->stats_lock);

        sched_set_policy(&e->sched, e->sched.policy, slice_ns(e));
        inst->window_busy = inst->stats_base.busy_ns + inst->dev.stats.busy_ns;
        instance_publish(inst);
        log_info("%s: RPC instance on %s, VRAM %llu MiB, socket %s", inst->uuid, e->name,
                 (unsigned long long) (p->vram_size >> 20), p->socket_path);
        if (ret)
                *ret = inst;
        return 0;
}

int engine_add_instance_here(struct engine *e, const struct engine_instance_params *p,
                             struct instance **ret) {
        if (e->thread_started)
                return -EBUSY; /* the engine thread owns the instances */
        return do_add(e, p, ret);
}

static int do_remove(struct engine *e, const char *uuid) {
        size_t i;
        struct instance *inst = find_instance(e, uuid, &i);
        if (!inst)
                return -ENOENT;
        sched_remove(&e->sched, &inst->se);
        e->instances[i] = e->instances[--e->n_instances];
        pthread_mutex_lock(&e->stats_lock);
        e->published[inst->slot] = (struct published){};
        pthread_mutex_unlock(&e->stats_lock);
        einstance_free(inst);
        sched_set_policy(&e->sched, e->sched.policy, slice_ns(e));
        engine_notify(e);
        return 0;
}

static int do_request(struct engine *e, struct request *q) {
        struct instance *inst;
        int r;

        switch (q->type) {
        case REQ_ADD:
                return do_add(e, q->add, NULL);
        case REQ_REMOVE:
                return do_remove(e, q->uuid);
        case REQ_POLICY:
                if ((unsigned) q->policy >= ELEMENTSOF(policy_names) || q->slice_us > 1000000)
                        return -EINVAL;
                e->slice_us = q->slice_us;
                sched_set_policy(&e->sched, to_sched(q->policy), slice_ns(e));
                for (size_t i = 0; i < e->n_instances; i++)
                        instance_publish(e->instances[i]);
                return 0;
        case REQ_QUOTA:
                inst = find_instance(e, q->uuid, NULL);
                if (!inst)
                        return -ENOENT;
                r = sched_set_quota(&e->sched, &inst->se, q->share, q->weight ? q->weight : 1);
                if (r >= 0)
                        for (size_t i = 0; i < e->n_instances; i++)
                                instance_publish(e->instances[i]);
                return r;
        case REQ_STOP:
                e->stopping = true;
                return 0;
        }
        return -EINVAL;
}

static void on_control(struct watch *w, uint32_t events) {
        struct engine *e = (struct engine *) ((uint8_t *) w - offsetof(struct engine, control));
        uint64_t v;
        (void) !read(w->fd, &v, sizeof(v));

        pthread_mutex_lock(&e->lock);
        struct request *q = e->requests;
        e->requests = NULL;
        pthread_mutex_unlock(&e->lock);

        /* Requests were pushed in front: handle them oldest first. */
        struct request *rev = NULL;
        while (q) {
                struct request *next = q->next;
                q->next = rev;
                rev = q;
                q = next;
        }
        while (rev) {
                /* The request lives on the caller's stack: once done is set it may vanish. */
                struct request *next = rev->next;
                int r = do_request(e, rev);
                pthread_mutex_lock(&e->lock);
                rev->result = r;
                rev->done = true;
                pthread_cond_broadcast(&e->cond);
                pthread_mutex_unlock(&e->lock);
                rev = next;
        }
}

static int call(struct engine *e, struct request *q) {
        uint64_t one = 1;

        pthread_mutex_lock(&e->lock);
        q->next = e->requests;
        e->requests = q;
        pthread_mutex_unlock(&e->lock);
        if (write(e->control.fd, &one, sizeof(one)) < 0)
                return -errno;
        pthread_mutex_lock(&e->lock);
        while (!q->done)
                pthread_cond_wait(&e->cond, &e->lock);
        pthread_mutex_unlock(&e->lock);
        return q->result;
}

/* Measured shares over one-second windows; clients that left a reply unread too long. */
static void housekeeping(struct engine *e, uint64_t now) {
        for (size_t i = 0; i < e->n_instances; i++) {
                struct instance *inst = e->instances[i];
                if (inst->conn && conn_stalled(inst->conn, now)) {
                        log_warning("%s: client has not read its reply for %u ms, disconnecting", inst->uuid,
                                    e->params.stall_timeout_ms);
                        inst->protocol_errors++;
                        instance_disconnect(inst);
                }
        }
        if (now - e->mmio_window_start >= MMIO_WINDOW_NS) {
                for (size_t i = 0; i < e->n_instances; i++) {
                        struct instance *inst = e->instances[i];
                        inst->msg_ns = 0;
                        if (inst->conn)
                                (void) conn_set_paused(inst->conn, false);
                }
                e->mmio_window_start = now;
        }
        if (now - e->window_start >= SHARE_WINDOW_NS) {
                uint64_t span = now - e->window_start;
                for (size_t i = 0; i < e->n_instances; i++) {
                        struct instance *inst = e->instances[i];
                        uint64_t busy =
                                inst->stats_base.busy_ns + inst->dev.stats.busy_ns - inst->window_busy;
                        inst->share_ppm = (uint32_t) MIN(busy * 1000000u / span, 1000000u);
                        inst->window_busy = inst->stats_base.busy_ns + inst->dev.stats.busy_ns;
                        instance_publish(inst);
                }
                e->window_start = now;
        }
}

static bool anyone_connected(const struct engine *e) {
        for (size_t i = 0; i < e->n_instances; i++)
                if (e->instances[i]->conn)
                        return true;
        return false;
}

/* Is any socket of this engine (or the control queue) ready, or a message read ahead? */
static bool io_pending(void *userdata) {
        struct engine *e = userdata;
        struct epoll_event ev;
        return e->n_ready > 0 || epoll_wait(e->epoll_fd, &ev, 1, 0) > 0;
}

/* Connections with whole messages in their buffers, which no socket event will announce. */
static void serve_buffered(struct engine *e) {
        for (size_t i = 0; i < e->n_instances && e->n_ready > 0; i++) {
                struct conn *c = e->instances[i]->conn;
                if (c && conn_ready(c))
                        conn_serve_buffered(c); /* may disconnect: instances stay */
        }
}

/*
 * Wait for events with nanosecond timeouts (the scheduler's periods need better than
 * milliseconds); without epoll_pwait2 (Linux < 5.11, valgrind) round up to milliseconds.
 */
static int wait_events(struct engine *e, struct epoll_event *evs, int max, uint64_t timeout_ns) {
        if (!e->no_epoll_pwait2) {
                struct timespec ts = {.tv_sec = (time_t) (timeout_ns / 1000000000ull),
                                      .tv_nsec = (long) (timeout_ns % 1000000000ull)};
                int n = epoll_pwait2(e->epoll_fd, evs, max, timeout_ns == UINT64_MAX ? NULL : &ts, NULL);
                if (n >= 0 || errno != ENOSYS)
                        return n;
                e->no_epoll_pwait2 = true;
        }
        int ms = timeout_ns == UINT64_MAX ? -1
                                          : (int) MIN((timeout_ns + 999999) / 1000000, (uint64_t) INT32_MAX);
        return epoll_wait(e->epoll_fd, evs, max, ms);
}

static void *engine_thread(void *arg) {
        struct engine *e = arg;
        struct epoll_event evs[32];
        uint64_t next_housekeeping = now_ns() + HOUSEKEEPING_NS;
        uint64_t wait_ns = UINT64_MAX;
        bool work = false;
        uint64_t last_turn = 0; /* e->messages when the last turn started */

        e->window_start = e->mmio_window_start = now_ns();
        while (!e->stopping) {
                uint64_t now = now_ns(), messages_before = e->messages;
                uint64_t timeout = work || e->n_ready > 0 ? 0 : wait_ns;
                if (anyone_connected(e))
                        timeout = MIN(timeout, next_housekeeping > now ? next_housekeeping - now : 0);
                int n = wait_events(e, evs, ELEMENTSOF(evs), timeout);
                if (n < 0) {
                        /* Never leave the loop on an error: the daemon's requests would wait for ever. */
                        if (errno != EINTR) {
                                log_error_errno(errno, "%s: epoll failed: %m", e->name);
                                struct timespec pause = {0, 10000000};
                                nanosleep(&pause, NULL);
                        }
                        n = 0;
                }
                for (int i = 0; i < n; i++) {
                        struct watch *w = evs[i].data.ptr;
                        w->handler(w, evs[i].events);
                        /* A handler may have removed instances and their watches: later events of
                         * this batch could name freed watches, so stop here and poll again. */
                        if (w == &e->control)
                                break;
                }
                if (e->stopping)
                        break;
                serve_buffered(e);

                now = now_ns();
                if (now >= next_housekeeping) {
                        housekeeping(e, now);
                        next_housekeeping = now + HOUSEKEEPING_NS;
                }

                /*
                 * A guest in a sequence of register accesses sends its next one as soon as it has the
                 * reply, often before this thread gets here: after answering messages, poll once more
                 * (without waiting) before a turn of execution, which would make the next one wait at
                 * least MIN_TURN_NS; up to as many messages as one wake-up of a connection takes, so
                 * that computing guests still run.
                 */
                if (work && e->messages != messages_before &&
                    e->messages - last_turn < MESSAGES_BETWEEN_TURNS)
                        continue;
                last_turn = e->messages;

                uint64_t run_ns;
                struct sched_entity *se = sched_pick(&e->sched, now, &run_ns, &wait_ns);
                work = se != NULL;
                if (!se)
                        continue;
                struct instance *inst = (struct instance *) ((uint8_t *) se - offsetof(struct instance, se));
                /*
                 * Charged in wall time, as a GPU engine is occupied by a context: charging CPU time
                 * instead would, when the host gives this thread less than a CPU, leave every
                 * instance under its cap and turn 70/30 into 50/50.
                 */
                uint64_t ran = device_exec(&inst->dev, now + run_ns, io_pending, e);
                inst->dev.stats.busy_ns += ran;
                sched_charge(&e->sched, se, ran);
                instance_update_runnable(inst);
                instance_publish(inst);
        }

        while (e->n_instances > 0)
                do_remove(e, e->instances[0]->uuid);
        return NULL;
}

int engine_new(const struct engine_params *params, struct engine **ret) {
        return engine_create(params, true, ret);
}

int engine_create(const struct engine_params *params, bool start_thread, struct engine **ret) {
        struct engine *e;
        int r;

        r = guard_init();
        if (r < 0)
                return r;
        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->epoll_fd = e->control.fd = e->event_fd = -1;
        e->params = *params;
        e->params.name = NULL;
        e->params.sensitive = NULL;
        e->name = strdup(params->name ?: "rpc");
        if (!e->name) {
                free(e);
                return -ENOMEM;
        }
        if (!e->params.max_instances)
                e->params.max_instances = DEFAULT_MAX_INSTANCES;
        if (!e->params.max_dma_maps)
                e->params.max_dma_maps = DEFAULT_MAX_DMA_MAPS;
        if (!e->params.max_dma_bytes)
                e->params.max_dma_bytes = DEFAULT_MAX_DMA_BYTES;
        if (!e->params.max_msg_fds)
                e->params.max_msg_fds = DEFAULT_MAX_MSG_FDS;
        if (!e->params.stall_timeout_ms)
                e->params.stall_timeout_ms = DEFAULT_STALL_TIMEOUT_MS;
        e->slice_us = params->slice_us;

        if (e->params.max_dma_maps > VFU_DEFAULT_MAX_DMA_MAPS || e->params.max_msg_fds > VFU_RX_MAX_FDS ||
            (unsigned) params->policy >= ELEMENTSOF(policy_names) || e->params.max_instances > 4096 ||
            params->slice_us > 1000000 || sensitive_policy_parse(params->sensitive, &e->sensitive) < 0) {
                engine_free(e);
                return -EINVAL;
        }
        e->server_caps = (struct vfu_caps){
                .max_msg_fds = e->params.max_msg_fds,
                .max_data_xfer_size = VFU_DEFAULT_MAX_DATA_XFER_SIZE,
                .max_dma_maps = e->params.max_dma_maps,
                .pgsizes = DMA_PAGE_SIZE,
                .write_multiple = true,
        };
        sched_init(&e->sched, to_sched(params->policy), 0);
        pthread_mutex_init(&e->lock, NULL);
        pthread_cond_init(&e->cond, NULL);
        pthread_mutex_init(&e->stats_lock, NULL);

        e->instances = calloc(e->params.max_instances, sizeof(*e->instances));
        e->published = calloc(e->params.max_instances, sizeof(*e->published));
        e->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        e->control = (struct watch){.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), .handler = on_control};
        e->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (!e->instances || !e->published || e->epoll_fd < 0 || e->control.fd < 0 || e->event_fd < 0) {
                r = errno ? -errno : -ENOMEM;
                engine_free(e);
                return r;
        }
        r = engine_watch_add(e, &e->control, EPOLLIN);
        if (r < 0) {
                engine_free(e);
                return r;
        }

        if (!start_thread) {
                *ret = e;
                return 0;
        }

        /* The engine thread takes no signals: they belong to the daemon's main loop. */
        sigset_t all, old;
        sigfillset(&all);
        sigdelset(&all, SIGBUS);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        r = -pthread_create(&e->thread, NULL, engine_thread, e);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (r < 0) {
                engine_free(e);
                return r;
        }
        e->thread_started = true;
        char tname[16];
        snprintf(tname, sizeof(tname), "eng-%s", e->name);
        (void) pthread_setname_np(e->thread, tname);
        *ret = e;
        return 0;
}

void engine_free(struct engine *e) {
        if (!e)
                return;
        if (e->thread_started) {
                struct request q = {.type = REQ_STOP};
                (void) call(e, &q);
                pthread_join(e->thread, NULL);
        } else
                while (e->n_instances > 0)
                        do_remove(e, e->instances[0]->uuid);
        if (e->epoll_fd >= 0)
                close(e->epoll_fd);
        if (e->control.fd >= 0)
                close(e->control.fd);
        if (e->event_fd >= 0)
                close(e->event_fd);
        sched_done(&e->sched);
        pthread_mutex_destroy(&e->lock);
        pthread_cond_destroy(&e->cond);
        pthread_mutex_destroy(&e->stats_lock);
        free(e->instances);
        free(e->published);
        free(e->name);
        free(e);
}

int engine_add_instance(struct engine *e, const struct engine_instance_params *params) {
        struct request q = {.type = REQ_ADD, .add = params};
        return call(e, &q);
}

int engine_remove_instance(struct engine *e, const char *uuid) {
        struct request q = {.type = REQ_REMOVE, .uuid = uuid};
        return call(e, &q);
}

int engine_set_policy(struct engine *e, enum engine_policy policy, uint32_t slice_us) {
        struct request q = {.type = REQ_POLICY, .policy = policy, .slice_us = slice_us};
        return call(e, &q);
}

int engine_set_quota(struct engine *e, const char *uuid, unsigned share, unsigned weight) {
        struct request q = {.type = REQ_QUOTA, .uuid = uuid, .share = share, .weight = weight};
        return call(e, &q);
}

int engine_get_stats(struct engine *e, const char *uuid, struct engine_instance_stats *ret) {
        int r = -ENOENT;
        pthread_mutex_lock(&e->stats_lock);
        for (unsigned i = 0; i < e->params.max_instances; i++)
                if (e->published[i].used && uuid && streq(e->published[i].uuid, uuid)) {
                        *ret = e->published[i].stats;
                        r = 0;
                        break;
                }
        pthread_mutex_unlock(&e->stats_lock);
        return r;
}

int engine_event_fd(struct engine *e) {
        return e->event_fd;
}
