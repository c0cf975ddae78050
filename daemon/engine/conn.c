/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One client connection of an instance: non-blocking receive of whole
 * messages (transport.h), dispatch to the vfio-user handlers, and the reply
 * path. Every resource a client can make the engine hold is bounded here: a
 * message is at most one header, one region-access header and
 * max_data_xfer_size bytes; at most max_msg_fds descriptors ride on it (the
 * rest are closed on arrival); at most a fixed number of messages are handled
 * per wake-up so one busy client cannot monopolise the thread; and at most one
 * reply waits for a client that is not reading: while it waits, nothing more
 * is read from that client, and if it waits longer than the stall timeout the
 * client is disconnected.
 *
 * The receiver reads ahead (transport.h): one recvmsg() may bring several
 * messages, which epoll cannot see once they are in our buffer. Whenever the
 * connection stops with a whole message buffered and could take it (the
 * per-wake-up limit reached, a reply sent at last, the end of a pause), it
 * counts itself in the engine's n_ready, and the engine's loop serves it
 * without waiting for the socket (engine.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "engine-internal.h"
#include "log.h"
#include "macro.h"
#include "vfio-user/codec.h"

#define MESSAGES_PER_WAKEUP 32u

struct outbuf {
        struct outbuf *next;
        size_t len, sent;
        int fd; /* still to be sent with the first byte, or -1 */
        uint8_t data[];
};

struct conn {
        struct instance *inst;
        struct watch watch;
        struct vfu_rx rx;
        bool negotiated;
        struct vfu_caps client;
        struct outbuf *out, **out_tail; /* replies and our own DMA requests, in order */
        uint64_t out_since;             /* when out last made progress */
        uint32_t events;
        bool paused; /* not read until the instance's MMIO window ends (engine.c) */
        bool ready;  /* counted in the engine's n_ready: a whole message buffered and nothing stops it */
};

void *reply_alloc(struct reply *r, size_t len) {
        if (len > sizeof(r->inline_buf)) {
                r->data = calloc(1, len);
                if (!r->data)
                        return NULL;
        } else {
                r->data = r->inline_buf;
                memset(r->data, 0, len);
        }
        r->len = len;
        return r->data;
}

static void reply_release(struct reply *r) {
        if (r->data && r->data != r->inline_buf)
                free(r->data);
        r->data = NULL;
}

static const struct dma_io_ops conn_dma_io_ops;

bool conn_negotiated(const struct conn *c) {
        return c->negotiated;
}

void conn_set_negotiated(struct conn *c, const struct vfu_caps *client) {
        c->negotiated = true;
        c->client = *client;
        /* From now on guest memory without a usable fd is reached through this client. */
        dma_io_attach(&c->inst->dev.io, &conn_dma_io_ops, c,
                      (uint32_t) MIN(client->max_data_xfer_size, 1u << 20));
}

const struct vfu_caps *conn_client_caps(const struct conn *c) {
        return &c->client;
}

bool conn_has_output(const struct conn *c) {
        return c->out != NULL;
}

bool conn_stalled(const struct conn *c, uint64_t now) {
        uint64_t limit = (uint64_t) c->inst->engine->params.stall_timeout_ms * 1000000ull;
        return c->out && now - c->out_since > limit;
}

static int set_events(struct conn *c, uint32_t events) {
        if (events == c->events)
                return 0;
        int r = engine_watch_mod(c->inst->engine, &c->watch, events);
        if (r >= 0)
                c->events = events;
        return r;
}

static bool may_read(const struct conn *c) {
        return !c->out && !c->paused;
}

/* Keep the engine's count of connections to serve without waiting for their socket. */
static void update_ready(struct conn *c) {
        bool ready = may_read(c) && vfu_rx_ready(&c->rx);
        if (ready != c->ready) {
                c->ready = ready;
                if (ready)
                        c->inst->engine->n_ready++;
                else
                        c->inst->engine->n_ready--;
        }
}

bool conn_ready(const struct conn *c) {
        return c->ready;
}

/* Read while nothing is pending and not paused; write while something is pending. */
static int update_events(struct conn *c) {
        update_ready(c);
        return set_events(c, c->out ? EPOLLOUT : c->paused ? 0 : EPOLLIN);
}

int conn_set_paused(struct conn *c, bool paused) {
        if (c->paused == paused)
                return 0;
        c->paused = paused;
        int r = update_events(c);
        return r < 0 ? r : 1;
}

/* Push pending output; -errno when the connection is broken. */
static int flush(struct conn *c) {
        struct outbuf *o;
        while ((o = c->out)) {
                struct iovec iov = {o->data + o->sent, o->len - o->sent};
                ssize_t n = vfu_send_iov(c->watch.fd, &iov, 1, o->fd >= 0 ? &o->fd : NULL, o->fd >= 0);
                if (n == -EAGAIN)
                        return 0;
                if (n < 0)
                        return (int) n;
                if (n > 0) {
                        if (o->fd >= 0) {
                                close(o->fd);
                                o->fd = -1;
                        }
                        o->sent += (size_t) n;
                        c->out_since = now_ns();
                }
                if (o->sent < o->len)
                        return 0;
                c->out = o->next;
                if (!c->out)
                        c->out_tail = &c->out;
                free(o);
        }
        return update_events(c);
}

/*
 * Send a message now if nothing is queued and the socket takes it; otherwise queue the rest. While
 * output is queued nothing more is read from the client.
 */
static int send_message(struct conn *c, const struct vfu_hdr *h, const void *payload, size_t plen, int fd) {
        uint8_t hbuf[VFU_HDR_SIZE];
        struct iovec iov[2] = {{hbuf, VFU_HDR_SIZE}, {(void *) payload, plen}};
        ssize_t n = 0;

        vfu_hdr_encode(hbuf, h);
        if (!c->out) {
                n = vfu_send_iov(c->watch.fd, iov, plen ? 2 : 1, fd >= 0 ? &fd : NULL, fd >= 0);
                if (n == -EAGAIN)
                        n = 0;
                if (n < 0)
                        return (int) n;
        }
        size_t total = VFU_HDR_SIZE + plen;
        if ((size_t) n == total)
                return 0;

        struct outbuf *o = malloc(sizeof(*o) + total - (size_t) n);
        if (!o)
                return -ENOMEM;
        o->next = NULL;
        o->len = total - (size_t) n;
        o->sent = 0;
        o->fd = -1;
        if (n == 0 && fd >= 0) {
                o->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3); /* the fd may change before we can send */
                if (o->fd < 0) {
                        free(o);
                        return -errno;
                }
        }
        size_t skip = (size_t) n;
        for (unsigned i = 0, at = 0; i < 2; i++) {
                size_t l = iov[i].iov_len;
                if (skip >= l) {
                        skip -= l;
                        continue;
                }
                memcpy(o->data + at, (uint8_t *) iov[i].iov_base + skip, l - skip);
                at += (unsigned) (l - skip);
                skip = 0;
        }
        if (!c->out)
                c->out_since = now_ns();
        *c->out_tail = o;
        c->out_tail = &o->next;
        return update_events(c);
}

static int send_reply(struct conn *c, const struct vfu_hdr *req, int error, const struct reply *r) {
        struct vfu_hdr h = {
                .msg_id = req->msg_id,
                .command = req->command,
                .size = VFU_HDR_SIZE + (error ? 0 : (uint32_t) r->len),
                .flags = VFU_TYPE_REPLY | (error ? VFU_FLAG_ERROR : 0),
                .error = (uint32_t) error,
        };
        return send_message(c, &h, error ? NULL : r->data, error ? 0 : r->len, error ? -1 : r->fd);
}

/* A request of ours (DMA_READ/DMA_WRITE) to the client (dma-io.h's send). */
static int send_request(void *ctx, uint16_t id, uint16_t command, const void *payload, size_t len) {
        struct conn *c = ctx;
        struct vfu_hdr h = {.msg_id = id,
                            .command = command,
                            .size = (uint32_t) (VFU_HDR_SIZE + len),
                            .flags = VFU_TYPE_COMMAND};
        return send_message(c, &h, payload, len, -1);
}

static const struct dma_io_ops conn_dma_io_ops = {.send = send_request};

/* One complete message in c->rx: validate the envelope, dispatch, answer. */
static int handle_message(struct conn *c) {
        struct instance *inst = c->inst;
        const struct vfu_hdr *h = &c->rx.hdr;
        struct reply r = {.fd = -1};
        struct conn_msg m = {
                .hdr = h,
                .payload = vfu_rx_payload(&c->rx),
                .len = vfu_rx_payload_len(&c->rx),
                .fds = c->rx.fds,
                .nfds = c->rx.nfds,
        };
        int err;

        err = vfu_hdr_check(h, UINT32_MAX);
        if (err == 0 && vfu_hdr_is_reply(h)) {
                /* Only our DMA_READ/DMA_WRITE are ever answered; anything else is unsolicited. */
                int known = m.nfds ? -EPROTO
                                   : dma_io_reply(&inst->dev.io, h->msg_id, h->command, h->flags, h->error,
                                                  m.payload, m.len);
                if (known < 0) {
                        inst->protocol_errors++;
                        log_debug("%s: unsolicited reply (id %u, command %u) dropped", inst->uuid, h->msg_id,
                                  h->command);
                }
                vfu_close_fds(c->rx.fds, c->rx.nfds);
                instance_update_runnable(inst);
                instance_publish(inst);
                return 0;
        }
        if (err == 0 && (h->flags & VFU_FLAG_ERROR))
                err = -EINVAL;
        if (err == 0 && c->rx.fds_dropped)
                err = -EINVAL; /* more descriptors than max_msg_fds */
        if (err == 0 && h->command == VFU_CMD_REGION_WRITE && (h->flags & VFU_FLAG_NO_REPLY))
                inst->posted_writes++;
        else if (err == 0 && h->command == VFU_CMD_REGION_WRITE_MULTI)
                inst->write_multi++;
        if (err == 0)
                err = server_handle(c, inst, &m, &r);
        if (err < 0) {
                inst->protocol_errors++;
                log_debug("%s: %s (id %u) refused: %s", inst->uuid, strna(vfu_command_name(h->command)),
                          h->msg_id, strerror(-err));
        }
        instance_update_runnable(inst);
        /* Before the reply: whoever reads the counters after the reply must see this message's effect, */
        instance_publish(inst);
        /* and the descriptors the handlers did not keep are already closed. */
        vfu_close_fds(c->rx.fds, c->rx.nfds);

        int s = 0;
        if (!(h->flags & VFU_FLAG_NO_REPLY))
                s = send_reply(c, h, err < 0 ? -err : 0, &r);
        reply_release(&r);
        return s;
}

static void conn_close(struct conn *c) {
        instance_disconnect(c->inst); /* frees c */
}

static int receive(struct conn *c) {
        struct instance *inst = c->inst;
        int r;

        for (unsigned i = 0; i < MESSAGES_PER_WAKEUP && !c->out; i++) {
                r = vfu_rx_step(&c->rx, c->watch.fd);
                if (r == -EAGAIN)
                        return 0;
                if (r == 1) {
                        inst->engine->messages++;
                        r = handle_message(c);
                        vfu_rx_reset(&c->rx);
                        if (r < 0) {
                                log_debug("%s: reply failed: %s", inst->uuid, strerror(-r));
                                return r;
                        }
                        continue;
                }
                if (r == -E2BIG) {
                        /* Too large to take: say so, then drop the client; the stream can't be
                         * resynchronised cheaply. */
                        struct reply none = {.fd = -1};
                        struct vfu_hdr h = c->rx.hdr;
                        inst->protocol_errors++;
                        log_debug("%s: message of %u bytes refused, disconnecting", inst->uuid, h.size);
                        if (!(h.flags & VFU_FLAG_NO_REPLY))
                                (void) send_reply(c, &h, E2BIG, &none);
                } else if (r == -EBADMSG) {
                        inst->protocol_errors++;
                        log_debug("%s: unframeable message header, disconnecting", inst->uuid);
                } else if (r == -ECONNRESET) {
                        inst->protocol_errors++;
                        log_debug("%s: client disconnected in the middle of a message", inst->uuid);
                } else if (r < 0)
                        log_debug("%s: receive failed: %s", inst->uuid, strerror(-r));
                return r < 0 ? r : -ECONNRESET;
        }
        return 0;
}

int conn_receive(struct conn *c) {
        int r = receive(c);
        if (r >= 0)
                update_ready(c);
        return r;
}

void conn_handle_events(struct conn *c, uint32_t events) {
        struct instance *inst = c->inst;
        int r;

        if (events & (EPOLLHUP | EPOLLERR))
                vfu_rx_hangup(&c->rx);
        else if (events & EPOLLIN)
                vfu_rx_readable(&c->rx); /* the socket has something again */

        if (events & EPOLLOUT) {
                r = flush(c);
                if (r < 0) {
                        log_debug("%s: send failed: %s", inst->uuid, strerror(-r));
                        conn_close(c);
                        return;
                }
        }
        if ((c->out || c->paused) && (events & (EPOLLHUP | EPOLLERR))) {
                conn_close(c); /* nobody left to read the pending reply, or gone while paused */
                return;
        }
        if (may_read(c) && ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || vfu_rx_ready(&c->rx)) &&
            conn_receive(c) < 0) {
                conn_close(c);
                return;
        }
        instance_publish(inst);
}

static void serve(struct conn *c, uint32_t events) {
        struct instance *inst = c->inst;
        uint64_t t0 = now_ns();

        conn_handle_events(c, events); /* may free c */
        /* Answering a guest's messages is engine time spent on it, like running its commands. */
        instance_charge_messages(inst, now_ns() - t0);
}

static void on_io(struct watch *w, uint32_t events) {
        serve((struct conn *) ((uint8_t *) w - offsetof(struct conn, watch)), events);
}

void conn_serve_buffered(struct conn *c) {
        serve(c, 0);
}

int conn_new(struct instance *inst, int fd, struct conn **ret) {
        struct engine *e = inst->engine;
        struct conn *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->inst = inst;
        c->watch = (struct watch){.fd = fd, .handler = on_io};
        vfu_caps_init_defaults(&c->client);
        c->out_tail = &c->out;
        /* The largest message: a region write of max_data_xfer_size bytes. */
        vfu_rx_init(&c->rx, VFU_HDR_SIZE + VFU_REGION_RW_SIZE + (uint32_t) e->server_caps.max_data_xfer_size,
                    (unsigned) e->server_caps.max_msg_fds, true);
        int r = engine_watch_add(e, &c->watch, EPOLLIN);
        if (r < 0) {
                free(c);
                return r;
        }
        c->events = EPOLLIN;
        *ret = c;
        return 0;
}

void conn_free(struct conn *c) {
        if (!c)
                return;
        dma_io_attach(&c->inst->dev.io, NULL, NULL, 0);
        engine_watch_del(c->inst->engine, &c->watch);
        if (c->ready)
                c->inst->engine->n_ready--;
        vfu_rx_done(&c->rx);
        while (c->out) {
                struct outbuf *o = c->out;
                c->out = o->next;
                if (o->fd >= 0)
                        close(o->fd);
                free(o);
        }
        close(c->watch.fd);
        free(c);
}
