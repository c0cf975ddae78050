/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An RPC instance on its engine: its listening socket, at most one client
 * connection at a time, its device model and its place in the scheduler.
 * A client that disconnects takes its session with it (DMA mappings,
 * interrupts, VRAM); the socket stays, so the same or another client can
 * connect again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "engine-internal.h"
#include "log.h"
#include "macro.h"

static void on_unmask(struct watch *w, uint32_t events);

static int fill_sockaddr(struct sockaddr_un *sa, const char *path) {
        *sa = (struct sockaddr_un){.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sa->sun_path))
                return -ENAMETOOLONG;
        strcpy(sa->sun_path, path);
        return 0;
}

/* Is something serving on the socket file at path? */
static bool socket_alive(const char *path) {
        struct sockaddr_un sa;
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0 || fill_sockaddr(&sa, path) < 0)
                return false;
        return connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0 || errno == EAGAIN;
}

/*
 * Bind under a temporary name, give it its mode and owner, listen, then
 * rename it into place: the socket never appears with the wrong permissions.
 */
static int make_listener(const struct engine_instance_params *p, int *ret) {
        _cleanup_free_ char *tmp = NULL;
        struct sockaddr_un sa;
        struct stat st;
        int r;

        if (asprintf(&tmp, "%s~", p->socket_path) < 0)
                return -ENOMEM;
        r = fill_sockaddr(&sa, tmp);
        if (r < 0)
                return r;
        if (lstat(p->socket_path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode))
                        return -EEXIST; /* never replace anything but a stale socket */
                if (socket_alive(p->socket_path))
                        return -EADDRINUSE;
        }

        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        (void) unlink(tmp);
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        if (chmod(tmp, p->socket_mode ? p->socket_mode : 0600) < 0 ||
            ((p->socket_uid != (uid_t) -1 || p->socket_gid != (gid_t) -1) &&
             lchown(tmp, p->socket_uid, p->socket_gid) < 0) ||
            listen(fd, 8) < 0 || rename(tmp, p->socket_path) < 0) {
                r = -errno;
                (void) unlink(tmp);
                return r;
        }
        *ret = TAKE_FD(fd);
        return 0;
}

int instance_attach(struct instance *inst, int fd) {
        char name[64];
        int r;

        if (inst->conn)
                return -EBUSY;
        snprintf(name, sizeof(name), "vgpud-vram-%s", inst->uuid);
        r = device_connect(&inst->dev, name);
        if (r < 0)
                return r;
        r = conn_new(inst, fd, &inst->conn);
        if (r < 0) {
                device_disconnect(&inst->dev);
                return r;
        }
        inst->connections++;
        inst->se.active = true;
        log_info("%s: client connected", inst->uuid);
        instance_publish(inst);
        return 0;
}

static void on_accept(struct watch *w, uint32_t events) {
        struct instance *inst =
                (struct instance *) ((uint8_t *) w - offsetof(struct instance, listen_watch));

        for (;;) {
                _cleanup_close_ int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) {
                        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                                log_warning_errno(errno, "%s: accept failed: %m", inst->uuid);
                        return;
                }
                int r = instance_attach(inst, fd);
                if (r == -EBUSY)
                        /* One client per device: a second one is turned away at once. */
                        log_info("%s: refusing a second client while one is connected", inst->uuid);
                else if (r < 0)
                        log_error_errno(r, "%s: cannot serve a client: %m", inst->uuid);
                else
                        TAKE_FD(fd);
        }
}

int instance_new(struct engine *e, const struct engine_instance_params *p, unsigned slot,
                 struct instance **ret) {
        _cleanup_close_ int fd = -1;
        struct instance *inst;
        int r;

        r = make_listener(p, &fd);
        if (r < 0)
                return r;
        inst = calloc(1, sizeof(*inst));
        if (!inst)
                return -ENOMEM;
        inst->socket_path = strdup(p->socket_path);
        if (!inst->socket_path) {
                free(inst);
                return -ENOMEM;
        }
        inst->engine = e;
        inst->slot = slot;
        strcpy(inst->uuid, p->uuid);
        inst->se.share = p->share;
        inst->se.weight = p->weight ? p->weight : 1;
        const struct pci_identity id = {
                .vendor = p->vendor_id,
                .device = p->device_id,
                .subsys_vendor = p->subsystem_vendor_id,
                .subsys = p->subsystem_id,
                .class_code = p->class_code,
        };
        device_init(&inst->dev, p->vram_size, p->vendor_id ? &id : NULL, &e->sensitive, &backend_cpu,
                    e->params.max_dma_maps, e->params.max_dma_bytes);
        inst->dev.vram_no_mmap = p->vram_no_mmap;
        inst->listen_watch = (struct watch){.fd = fd, .handler = on_accept};
        inst->unmask_watch = (struct watch){.fd = -1, .handler = on_unmask};
        r = engine_watch_add(e, &inst->listen_watch, EPOLLIN);
        if (r < 0) {
                (void) unlink(p->socket_path);
                device_done(&inst->dev);
                free(inst->socket_path);
                free(inst);
                return r;
        }
        TAKE_FD(fd);
        inst->published_state = ENGINE_INSTANCE_DISCONNECTED;
        *ret = inst;
        return 0;
}

static void on_unmask(struct watch *w, uint32_t events) {
        struct instance *inst =
                (struct instance *) ((uint8_t *) w - offsetof(struct instance, unmask_watch));
        uint64_t v;
        /* The guest acknowledged the interrupt (EOI): INTx may fire again. */
        if (read(w->fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
                log_debug("%s: reading the INTx unmask eventfd: %m", inst->uuid);
        irq_intx_unmask(&inst->dev.irq);
        instance_publish(inst);
}

void instance_unwatch_unmask(struct instance *inst) {
        if (inst->unmask_watch.fd >= 0)
                engine_watch_del(inst->engine, &inst->unmask_watch);
        inst->unmask_watch = (struct watch){.fd = -1, .handler = on_unmask};
}

void instance_watch_unmask(struct instance *inst) {
        instance_unwatch_unmask(inst);
        int fd = inst->dev.irq.intx_unmask_fd;
        if (fd < 0)
                return;
        inst->unmask_watch.fd = fd;
        int r = engine_watch_add(inst->engine, &inst->unmask_watch, EPOLLIN);
        if (r < 0) {
                log_warning_errno(
                        r,
                        "%s: cannot watch the INTx unmask eventfd (%m); INTx is unmasked by messages only",
                        inst->uuid);
                inst->unmask_watch.fd = -1;
        }
}

void instance_disconnect(struct instance *inst) {
        if (!inst->conn)
                return;
        instance_unwatch_unmask(inst);
        conn_free(inst->conn);
        inst->conn = NULL;
        /* The host keeps counting across clients; the next guest starts from zero (device_connect). */
        inst->stats_base.commands += inst->dev.stats.commands;
        inst->stats_base.bytes += inst->dev.stats.bytes;
        inst->stats_base.busy_ns += inst->dev.stats.busy_ns;
        inst->stats_base.fences += inst->dev.stats.fences;
        inst->stats_base.violations += inst->dev.stats.violations;
        inst->dma_messages += inst->dev.io.read_msgs + inst->dev.io.write_msgs;
        inst->dev.io.read_msgs = inst->dev.io.write_msgs = 0;
        memset(&inst->dev.stats, 0, sizeof(inst->dev.stats));
        device_disconnect(&inst->dev);
        inst->se.active = false;
        inst->se.runnable = false;
        log_info("%s: client disconnected", inst->uuid);
        instance_publish(inst);
}

void einstance_free(struct instance *inst) {
        if (!inst)
                return;
        instance_disconnect(inst);
        engine_watch_del(inst->engine, &inst->listen_watch);
        close(inst->listen_watch.fd);
        (void) unlink(inst->socket_path);
        device_done(&inst->dev);
        free(inst->socket_path);
        free(inst);
}

void instance_charge_messages(struct instance *inst, uint64_t ns) {
        struct engine *e = inst->engine;

        inst->dev.stats.busy_ns += ns;
        sched_charge(&e->sched, &inst->se, ns);
        inst->msg_ns += ns;
        if (inst->conn && inst->msg_ns > engine_mmio_limit_ns(e, inst) &&
            conn_set_paused(inst->conn, true) > 0)
                inst->mmio_throttled++;
}

void instance_update_runnable(struct instance *inst) {
        inst->se.runnable = inst->conn && device_runnable(&inst->dev);
}

static enum engine_instance_state state_of(const struct instance *inst) {
        if (!inst->conn)
                return ENGINE_INSTANCE_DISCONNECTED;
        if (inst->dev.failsafe)
                return ENGINE_INSTANCE_FAILSAFE;
        return device_busy(&inst->dev) ? ENGINE_INSTANCE_BUSY : ENGINE_INSTANCE_IDLE;
}

void instance_publish(struct instance *inst) {
        struct engine *e = inst->engine;
        const struct device_stats *cur = &inst->dev.stats, *base = &inst->stats_base;
        const struct device_stats sum = {
                .commands = base->commands + cur->commands,
                .bytes = base->bytes + cur->bytes,
                .busy_ns = base->busy_ns + cur->busy_ns,
                .fences = base->fences + cur->fences,
                .violations = base->violations + cur->violations,
        };
        const struct device_stats *ds = &sum;
        enum engine_instance_state state = state_of(inst);
        struct engine_instance_stats s = {
                .state = state,
                .connected = inst->conn != NULL,
                .busy_ns = ds->busy_ns,
                .commands = ds->commands,
                .bytes = ds->bytes,
                .fences = ds->fences,
                .violations = ds->violations,
                .connections = inst->connections,
                .protocol_errors = inst->protocol_errors,
                .mmio_throttled = inst->mmio_throttled,
                .error_status = inst->dev.failsafe ? inst->dev.error_status : 0,
                .share_ppm = inst->share_ppm,
                .entitled_ppm = sched_entitlement_ppm(&e->sched, &inst->se),
                .dma_maps = (unsigned) inst->dev.dma.n,
                .dma_remote_maps = inst->dev.dma.remote,
                .dma_messages = inst->dma_messages + inst->dev.io.read_msgs + inst->dev.io.write_msgs,
                .dma_refused = inst->dma_refused,
                .posted_writes = inst->posted_writes,
                .write_multi = inst->write_multi,
        };

        pthread_mutex_lock(&e->stats_lock);
        e->published[inst->slot].stats = s;
        pthread_mutex_unlock(&e->stats_lock);

        /* The daemon hears about state changes, not every counter tick. */
        if (state != inst->published_state || s.connected != inst->published_connected) {
                inst->published_state = state;
                inst->published_connected = s.connected;
                engine_notify(e);
        }
}
