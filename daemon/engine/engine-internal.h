/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the engine's files share inside the engine thread: the engine, its
 * instances, their client connections and the event-loop plumbing. Nothing
 * here is touched by another thread except the request queue and the
 * published statistics, both under their own mutexes (engine.c).
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "device.h"
#include "engine.h"
#include "scheduler.h"
#include "sensitive.h"
#include "vfio-user/caps.h"
#include "vfio-user/transport.h"

#define UUID_STRING_LEN 36

/* Something in the epoll set: the fd and what to do when it is ready. */
struct watch {
        int fd;
        void (*handler)(struct watch *w, uint32_t events);
};

struct conn;
struct request;

struct instance {
        struct engine *engine;
        char uuid[UUID_STRING_LEN + 1];
        char *socket_path;
        struct watch listen_watch;
        struct watch unmask_watch; /* the client's INTx unmask eventfd, fd -1 when none is watched */
        struct conn *conn;
        struct device dev;
        struct sched_entity se;
        unsigned slot; /* index into engine->published */
        uint64_t connections;
        uint64_t protocol_errors;
        uint64_t window_busy;           /* busy_ns at the start of the current share window */
        uint64_t msg_ns;                /* engine time spent on its messages in the current MMIO window */
        uint64_t mmio_throttled;        /* windows in which its client was paused for taking too much */
        uint64_t dma_refused;           /* DMA_MAP requests refused */
        uint64_t dma_messages;          /* DMA_READ/DMA_WRITE sent, all connections */
        uint64_t posted_writes;         /* REGION_WRITE with NO_REPLY */
        uint64_t write_multi;           /* REGION_WRITE_MULTI */
        struct device_stats stats_base; /* what earlier connections' devices counted (the host's view) */
        uint32_t share_ppm;
        enum engine_instance_state published_state;
        bool published_connected;
};

struct published {
        bool used;
        char uuid[UUID_STRING_LEN + 1];
        struct engine_instance_stats stats;
};

struct engine {
        char *name;
        struct engine_params params; /* string members point at copies below or NULL */
        uint32_t slice_us;           /* as configured; 0 = automatic */
        struct sensitive_policy sensitive;
        struct vfu_caps server_caps; /* what VERSION replies offer */

        pthread_t thread;
        bool thread_started;
        int epoll_fd;
        bool no_epoll_pwait2; /* the kernel (or valgrind) lacks it: millisecond timeouts */
        struct watch control;
        int event_fd; /* for the daemon */

        pthread_mutex_t lock; /* requests */
        pthread_cond_t cond;
        struct request *requests;
        bool stopping;

        struct instance **instances;
        size_t n_instances;
        size_t n_ready;    /* connections with a whole message read ahead that may take it (conn.c) */
        uint64_t messages; /* messages handled, all connections */
        struct sched sched;
        uint64_t window_start;
        uint64_t mmio_window_start;

        pthread_mutex_t stats_lock;
        struct published *published; /* max_instances slots */
};

/* instance.c */
int instance_new(struct engine *e, const struct engine_instance_params *p, unsigned slot,
                 struct instance **ret);
/* Serve a connected client socket (takes fd; -EBUSY if one is already served). */
int instance_attach(struct instance *inst, int fd);
void einstance_free(struct instance *inst);
/* The client went away (or is being thrown out): release its session. */
void instance_disconnect(struct instance *inst);
/* Copy counters and state into the published snapshot; signal the daemon if the state changed. */
void instance_publish(struct instance *inst);
/* Stop watching the client's INTx unmask eventfd (before SET_IRQS or a disconnect may close it)... */
void instance_unwatch_unmask(struct instance *inst);
/* ...and watch the one the device has now, if any. */
void instance_watch_unmask(struct instance *inst);
/* After anything that may have queued or ended work. */
void instance_update_runnable(struct instance *inst);
/*
 * Charge engine time spent handling the instance's messages: to its busy time, its scheduling
 * budget and its MMIO window; a client past its part of the window is not read until it ends.
 */
void instance_charge_messages(struct instance *inst, uint64_t ns);

/* conn.c */
int conn_new(struct instance *inst, int fd, struct conn **ret);
/* Read and handle up to a fixed number of messages; < 0 when the client must be disconnected. */
int conn_receive(struct conn *c);
/*
 * What the event loop does when the socket is ready (EPOLLIN/OUT/HUP), or with 0 for messages
 * already buffered: may disconnect, freeing c.
 */
void conn_handle_events(struct conn *c, uint32_t events);
/* A whole message is buffered (read ahead) and nothing stops the connection from taking it. */
bool conn_ready(const struct conn *c);
/* conn_handle_events(c, 0) charged to the instance as a wake-up by the socket is: may free c. */
void conn_serve_buffered(struct conn *c);
/* Stop (or resume) reading the client's messages; a disconnect is still noticed. 1 if it changed. */
int conn_set_paused(struct conn *c, bool paused);
void conn_free(struct conn *c);
/* Pending output has not moved for longer than the stall timeout. */
bool conn_stalled(const struct conn *c, uint64_t now);
bool conn_has_output(const struct conn *c);

/* Replies under construction: handlers fill the payload and may attach one fd. */
struct reply {
        uint8_t *data; /* inline_buf or heap */
        size_t len;
        int fd; /* not owned; sent with the reply */
        uint8_t inline_buf[128];
};
/* A payload buffer of len bytes (zeroed); NULL on out of memory. */
void *reply_alloc(struct reply *r, size_t len);

/* vfio-server.c: handle the complete message in c's receiver. */
struct conn_msg {
        const struct vfu_hdr *hdr;
        const uint8_t *payload;
        size_t len;
        int *fds;
        unsigned nfds;
};
int server_handle(struct conn *c, struct instance *inst, const struct conn_msg *m, struct reply *r);
/* Connection state the handlers need (conn.c owns it). */
bool conn_negotiated(const struct conn *c);
void conn_set_negotiated(struct conn *c, const struct vfu_caps *client);
const struct vfu_caps *conn_client_caps(const struct conn *c);

/* engine.c */
/* How much of an MMIO window the instance's messages may take before it is paused. */
uint64_t engine_mmio_limit_ns(const struct engine *e, const struct instance *inst);
/*
 * An engine without its thread, for a caller that drives it itself (the fuzz
 * harness): the same state, the same handlers, no event loop. Instances are
 * added on the calling thread with engine_add_instance_here().
 */
int engine_create(const struct engine_params *params, bool start_thread, struct engine **ret);
int engine_add_instance_here(struct engine *e, const struct engine_instance_params *p,
                             struct instance **ret);
int engine_watch_add(struct engine *e, struct watch *w, uint32_t events);
int engine_watch_mod(struct engine *e, struct watch *w, uint32_t events);
void engine_watch_del(struct engine *e, struct watch *w);
void engine_notify(struct engine *e);
