/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Implementation of rpc.h: the software GPUs (one engine each), their place
 * in the host model and on the bus, the rpc backend's operations, and the
 * statistics that cross from the engine threads to the main loop.
 */
#include <grp.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "bus-names.h"
#include "config-file.h"
#include "fileio.h"
#include "hashmap.h"
#include "host.h"
#include "instance.h"
#include "log.h"
#include "manager.h"
#include "operation.h"
#include "parse-util.h"
#include "rpc.h"
#include "sched.h"
#include "strutil.h"

#define RPC_SOCKET_MODE   0660
#define RPC_EMIT_INTERVAL USEC_PER_SEC /* PropertiesChanged of one instance's statistics: at most 1 Hz */

typedef struct RpcGpu {
        struct Rpc *rpc;
        unsigned index;
        char address[PCI_BDF_MAX];
        struct engine *engine;
        sd_event_source *event_source;
} RpcGpu;

/* What was last announced of an instance, to emit changes only, and not more often than once a second. */
typedef struct RpcSeen {
        char uuid[UUID_STRING_MAX]; /* the key */
        struct engine_instance_stats stats;
        uint64_t last_emit_usec;
        bool announced;
} RpcSeen;

struct Rpc {
        Manager *manager;
        const struct vgpu_rpc_config *config;
        RpcGpu *gpus;
        size_t n_gpus;
        gid_t socket_gid;
        enum engine_policy policy;
        sd_event_source *tick;
        struct strmap *seen; /* uuid -> RpcSeen */
};

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static RpcGpu *rpc_find_gpu(const Rpc *rpc, const char *address) {
        for (size_t k = 0; rpc && address && k < rpc->n_gpus; k++)
                if (streq(rpc->gpus[k].address, address))
                        return &rpc->gpus[k];
        return NULL;
}

static const struct vgpu_rpc_type *rpc_find_type(const Rpc *rpc, const char *id) {
        for (size_t k = 0; id && k < rpc->config->n_types; k++)
                if (streq(rpc->config->types[k].id, id))
                        return &rpc->config->types[k];
        return NULL;
}

static int socket_path_for(const Rpc *rpc, const char *uuid, char **ret) {
        return asprintf(ret, "%s/%s.sock", rpc->config->socket_dir, uuid) < 0 ? -ENOMEM : 0;
}

/* The engine that serves uuid, or NULL. Thread-safe: the GPU table does not change after start-up. */
static RpcGpu *rpc_gpu_of(const Rpc *rpc, const char *uuid, struct engine_instance_stats *ret_stats) {
        struct engine_instance_stats st;

        for (size_t k = 0; rpc && k < rpc->n_gpus; k++)
                if (engine_get_stats(rpc->gpus[k].engine, uuid, &st) >= 0) {
                        if (ret_stats)
                                *ret_stats = st;
                        return &rpc->gpus[k];
                }
        return NULL;
}

/* ---- the backend (worker threads) --------------------------------------------------------------------- */

int rpc_engine_create(const struct backend_ctx *ctx, const struct backend_create *req, char **ret_device,
                      struct vgpu_error *err) {
        const Rpc *rpc = ctx->rpc;
        _cleanup_free_ char *path = NULL;
        const struct vgpu_rpc_type *t;
        RpcGpu *g;
        int r;

        if (!rpc)
                return vgpu_error_set(err, EOPNOTSUPP, NULL,
                                      "RPC mode is not enabled ([rpc] enabled = yes).");
        g = rpc_find_gpu(rpc, req->parent);
        if (!g)
                return vgpu_error_set(err, ENODEV, NULL, "%s is not a software GPU of vgpud.", req->parent);
        t = rpc_find_type(rpc, req->type_id);
        if (!t)
                return vgpu_error_set(err, ENOENT, NULL, "The configuration has no RPC type %s.",
                                      req->type_id);
        if (req->n_attrs > 0)
                return vgpu_error_set(err, EINVAL, NULL, "RPC instances take no attributes.");
        r = socket_path_for(rpc, req->uuid, &path);
        if (r < 0)
                return r;

        struct engine_instance_params p = {
                .uuid = req->uuid,
                .vram_size = t->vram_bytes,
                .share = t->share,
                .weight = t->weight,
                .socket_path = path,
                .socket_mode = RPC_SOCKET_MODE,
                .socket_uid = (uid_t) -1,
                .socket_gid = rpc->socket_gid,
                .vendor_id = (uint16_t) t->vendor_id,
                .device_id = (uint16_t) t->device_id,
                .subsystem_vendor_id = (uint16_t) t->subsystem_vendor_id,
                .subsystem_id = (uint16_t) t->subsystem_id,
                .class_code = t->class_code,
                .vram_no_mmap = !t->vram_mmap,
        };
        r = engine_add_instance(g->engine, &p);
        if (r == -ENOSPC)
                return vgpu_error_set(
                        err, ENOSPC, NULL,
                        "Software GPU rpc%u has no room for another %s (instances or fixed shares "
                        "past 100%%).",
                        g->index, t->id);
        if (r == -EADDRINUSE)
                return vgpu_error_set(err, EADDRINUSE, path, "A live socket is already at");
        if (r == -EEXIST)
                return vgpu_error_set(err, EEXIST, path, "Something that is not a socket is at");
        if (r < 0)
                return vgpu_error_set(err, -r, path, "Cannot create the vfio-user socket");
        *ret_device = TAKE_PTR(path);
        return 0;
}

int rpc_engine_destroy(const struct backend_ctx *ctx, const char *device, struct vgpu_error *err) {
        RpcGpu *g = rpc_gpu_of(ctx->rpc, device, NULL);
        int r;

        if (!g)
                return -ENODEV;
        r = engine_remove_instance(g->engine, device);
        if (r == -ENOENT)
                return -ENODEV;
        if (r < 0)
                return vgpu_error_set(err, -r, NULL, "The engine of rpc%u cannot remove %s.", g->index,
                                      device);
        return 0;
}

int rpc_engine_in_use(const struct backend_ctx *ctx, const char *device, pid_t *ret_pid,
                      struct vgpu_error *err) {
        struct engine_instance_stats st;
        _cleanup_free_ char *path = NULL;

        if (!rpc_gpu_of(ctx->rpc, device, &st))
                return 0;
        if (!st.connected)
                return 0;
        /* The engine does not keep its client's pid: name the socket instead. */
        *ret_pid = 0;
        if (socket_path_for(ctx->rpc, device, &path) < 0)
                return -ENOMEM;
        vgpu_error_set(err, EBUSY, path, "A vfio-user client (a VM, or 'vgpuctl probe') is connected to");
        return 1;
}

/* ---- the model (main thread) -------------------------------------------------------------------------- */

/* What each type on a software GPU can still take: its own limit, the fixed shares left, the engine's limit.
 */
static void rpc_update_availability(Rpc *rpc, RpcGpu *g) {
        struct vgpu_host *h = rpc->manager->host;
        struct vgpu_parent *p = host_find_parent(h, g->address);
        unsigned total = 0, shares = 0;

        if (!p)
                return;
        for (size_t k = 0; k < h->n_instances; k++) {
                const struct vgpu_instance *in = h->instances[k];
                if (!streq_ptr(in->parent_name, g->address))
                        continue;
                const struct vgpu_rpc_type *t = rpc_find_type(rpc, in->type_id);
                total++;
                shares += t ? t->share : 0;
        }
        for (size_t j = 0; j < p->n_types; j++) {
                struct vgpu_type *vt = p->types[j];
                const struct vgpu_rpc_type *t = rpc_find_type(rpc, vt->id);
                unsigned same = 0, avail;
                if (!t)
                        continue;
                for (size_t k = 0; k < h->n_instances; k++)
                        if (streq_ptr(h->instances[k]->parent_name, g->address) &&
                            streq_ptr(h->instances[k]->type_id, vt->id))
                                same++;
                avail = t->max_instances > same ? t->max_instances - same : 0;
                if (t->share > 0)
                        avail = MIN(avail, shares < 100 ? (100 - shares) / t->share : 0u);
                avail = MIN(avail, total < 64 ? 64 - total : 0u); /* the engine's max_instances */
                (void) host_set_type_available(h, vt, avail);
        }
}

char *rpc_unavailable_reason(Manager *m, const struct vgpu_type *t) {
        const struct vgpu_rpc_type *c = m->rpc ? rpc_find_type(m->rpc, t->id) : NULL;
        RpcGpu *g = m->rpc && t->parent ? rpc_find_gpu(m->rpc, t->parent->name) : NULL;
        struct vgpu_host *h = m->host;
        unsigned same = 0, total = 0, shares = 0;
        char *s = NULL;

        if (t->available > 0 || !c || !g)
                return strdup("");
        for (size_t k = 0; k < h->n_instances; k++) {
                const struct vgpu_instance *in = h->instances[k];
                if (!streq_ptr(in->parent_name, g->address))
                        continue;
                const struct vgpu_rpc_type *it = rpc_find_type(m->rpc, in->type_id);
                total++;
                shares += it ? it->share : 0;
                same += streq_ptr(in->type_id, t->id);
        }
        if (same >= c->max_instances)
                (void) asprintf(&s, "rpc%u hosts %u instance(s) of %s, its max_instances", g->index, same,
                                t->id);
        else if (c->share > 0 && shares + c->share > 100)
                (void) asprintf(&s,
                                "rpc%u: fixed shares of %u%% are reserved, another %u%% would pass 100%%",
                                g->index, shares, c->share);
        else
                (void) asprintf(&s, "rpc%u serves %u instances, the most one engine serves", g->index,
                                total);
        return s;
}

int rpc_refresh_after_operation(Manager *m, Operation *op) {
        Rpc *rpc = m->rpc;
        RpcGpu *g;
        int r;

        if (op->backend != &backend_rpc)
                return 0;
        g = rpc_find_gpu(rpc, op->parent);
        if (g && rpc_gpu_of(rpc, op->uuid, NULL) == g)
                r = host_set_software_instance(m->host, op->uuid, g->address, op->type_id);
        else
                r = host_remove_instance(m->host, op->uuid);
        if (r < 0)
                log_warning_errno(r, "Failed to update the model for %s: %m", op->uuid);
        if (g)
                rpc_update_availability(rpc, g);
        return 1;
}

const char *rpc_gpu_address(Manager *m, const char *id) {
        unsigned n;
        char tail;

        if (!m->rpc || sscanf(id, "rpc%u%c", &n, &tail) != 1 || n >= m->rpc->n_gpus)
                return NULL;
        return m->rpc->gpus[n].address;
}

char *rpc_socket_path(Manager *m, const char *uuid) {
        char *p = NULL;
        if (m->rpc)
                (void) socket_path_for(m->rpc, uuid, &p);
        return p;
}

/* ---- statistics (main thread) ------------------------------------------------------------------------- */

static bool instance_is_rpc(const Instance *i) {
        return i->live && backend_device_kind(i->live->backend) == VGPU_DEVICE_VFIO_USER;
}

int rpc_instance_stats(Manager *m, const char *uuid, struct engine_instance_stats *ret) {
        Instance *i = manager_find_instance(m, uuid);
        RpcGpu *g;

        if (!i || !instance_is_rpc(i))
                return -ENODEV;
        g = rpc_find_gpu(m->rpc, i->live->parent_name);
        if (!g)
                return -ENODEV;
        return engine_get_stats(g->engine, i->uuid, ret);
}

int rpc_apply_policy(Manager *m, const char *address, enum sched_policy policy, uint32_t slice_us) {
        RpcGpu *g = rpc_find_gpu(m->rpc, address);
        enum engine_policy p;

        if (!g)
                return -ENODEV;
        if (engine_policy_from_string(sched_policy_to_string(policy), &p) < 0)
                return -EINVAL;
        return engine_set_policy(g->engine, p, slice_us);
}

int rpc_apply_quota(Manager *m, const char *uuid, unsigned share, unsigned weight) {
        Instance *i = manager_find_instance(m, uuid);
        RpcGpu *g = i && instance_is_rpc(i) ? rpc_find_gpu(m->rpc, i->live->parent_name) : NULL;

        if (!g)
                return -ENODEV;
        return engine_set_quota(g->engine, i->uuid, share, weight);
}

const char *rpc_engine_state(Manager *m, const Instance *i) {
        struct engine_instance_stats st;

        if (rpc_instance_stats(m, i->uuid, &st) < 0)
                return "";
        return engine_instance_state_to_string(st.state);
}

int rpc_append_counters(Manager *m, const Instance *i, sd_bus_message *reply) {
        struct engine_instance_stats st;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "{st}");
        if (r < 0)
                return r;
        if (rpc_instance_stats(m, i->uuid, &st) >= 0) {
                const struct {
                        const char *name;
                        uint64_t value;
                } c[] = {
                        {"busy_ns", st.busy_ns},
                        {"commands", st.commands},
                        {"bytes", st.bytes},
                        {"fences", st.fences},
                        {"violations", st.violations},
                        {"connections", st.connections},
                        {"protocol_errors", st.protocol_errors},
                        {"mmio_throttled", st.mmio_throttled},
                        {"error_status", st.error_status},
                        {"dma_maps", st.dma_maps},
                        {"dma_remote_maps", st.dma_remote_maps},
                        {"dma_messages", st.dma_messages},
                        {"dma_refused", st.dma_refused},
                        {"posted_writes", st.posted_writes},
                        {"write_multi", st.write_multi},
                };
                for (size_t k = 0; r >= 0 && k < ELEMENTSOF(c); k++)
                        r = sd_bus_message_append(reply, "{st}", c[k].name, c[k].value);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static bool counters_differ(const struct engine_instance_stats *a, const struct engine_instance_stats *b) {
        return a->busy_ns != b->busy_ns || a->commands != b->commands || a->bytes != b->bytes ||
               a->fences != b->fences || a->violations != b->violations ||
               a->connections != b->connections || a->protocol_errors != b->protocol_errors ||
               a->mmio_throttled != b->mmio_throttled || a->error_status != b->error_status ||
               a->dma_maps != b->dma_maps || a->dma_remote_maps != b->dma_remote_maps ||
               a->dma_messages != b->dma_messages || a->dma_refused != b->dma_refused ||
               a->posted_writes != b->posted_writes || a->write_multi != b->write_multi;
}

/* Announce what changed of i's statistics, unless it was announced less than a second ago (the next tick
 * does it then). */
static void rpc_check_instance(Rpc *rpc, Instance *i, uint64_t now) {
        Manager *m = rpc->manager;
        struct engine_instance_stats st;
        const char *names[4];
        size_t n = 0;
        RpcSeen *seen;

        if (rpc_instance_stats(m, i->uuid, &st) < 0 || !i->published)
                return;
        seen = strmap_get(rpc->seen, i->uuid);
        if (!seen) {
                seen = calloc(1, sizeof(*seen));
                if (seen)
                        snprintf(seen->uuid, sizeof(seen->uuid), "%s", i->uuid);
                if (!seen || strmap_put(rpc->seen, seen->uuid, seen) < 0) {
                        free(seen);
                        return;
                }
                seen->stats = st; /* what a reader gets now; nothing to announce yet */
                seen->announced = true;
                return;
        }
        if (now < seen->last_emit_usec + RPC_EMIT_INTERVAL)
                return;
        if (st.state != seen->stats.state)
                names[n++] = "EngineState";
        if (counters_differ(&st, &seen->stats))
                names[n++] = "Counters";
        /* MeasuredShare is the scheduler's property (sched.c), in percent; it goes out in the same
         * signal as the statistics, when it moved */
        if (st.share_ppm != seen->stats.share_ppm)
                instance_report_usage(i, (uint64_t) st.share_ppm * 1000u, 1000000000u);
        names[n] = NULL;
        seen->stats = st;
        seen->last_emit_usec = now;
        instance_emit_changes_with(i, names);
}

static void rpc_check_all(Rpc *rpc, const RpcGpu *only) {
        Manager *m = rpc->manager;
        uint64_t now = now_usec();
        size_t it = 0;
        const char *k;
        void *v;

        while (strmap_iterate(m->instances, &it, &k, &v)) {
                Instance *i = v;
                if (!instance_is_rpc(i) || (only && !streq_ptr(i->live->parent_name, only->address)))
                        continue;
                rpc_check_instance(rpc, i, now);
        }
}

static int on_engine_event(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        RpcGpu *g = userdata;
        uint64_t x;

        /* A state or connection changed: read the counter down and look (rate-limited per instance). */
        if (read(fd, &x, sizeof(x)) < 0 && errno != EAGAIN)
                log_warning_errno(-errno, "Failed to read the event fd of rpc%u: %m", g->index);
        rpc_check_all(g->rpc, g);
        return 0;
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        Rpc *rpc = userdata;
        Manager *m = rpc->manager;
        size_t it = 0;
        const char *k;
        void *v;

        rpc_check_all(rpc, NULL);
        /* Forget what was announced for instances that are gone. */
        while (strmap_iterate(rpc->seen, &it, &k, &v)) {
                Instance *i = manager_find_instance(m, k);
                if (i && instance_is_rpc(i))
                        continue;
                free(strmap_remove(rpc->seen, k));
                it = 0;
        }
        (void) sd_event_source_set_time(s, usec + RPC_EMIT_INTERVAL);
        return 0;
}

/* ---- start and stop ----------------------------------------------------------------------------------- */

static int rpc_start_gpu(Rpc *rpc, RpcGpu *g) {
        Manager *m = rpc->manager;
        const struct vgpu_rpc_config *c = rpc->config;
        _cleanup_free_ struct host_software_type *types = calloc(c->n_types + 1, sizeof(*types));
        _cleanup_free_ char **descriptions = calloc(c->n_types + 1, sizeof(char *));
        char name[16], model[64];
        int r;

        if (!types || !descriptions)
                return -ENOMEM;
        snprintf(name, sizeof(name), "rpc%u", g->index);
        struct engine_params p = {
                .name = name,
                .policy = rpc->policy,
                .slice_us = (uint32_t) c->time_slice_usec,
        };
        r = engine_new(&p, &g->engine);
        if (r < 0)
                return log_error_errno(r, "Failed to start the engine of software GPU %s: %m", name);
        r = sd_event_add_io(m->event, &g->event_source, engine_event_fd(g->engine), EPOLLIN, on_engine_event,
                            g);
        if (r < 0)
                return r;

        for (size_t k = 0; k < c->n_types; k++) {
                const struct vgpu_rpc_type *t = &c->types[k];
                char share[32] = "a best-effort share";
                if (t->share)
                        snprintf(share, sizeof(share), "%u%% of the engine", t->share);
                if (asprintf(&descriptions[k], "RPC-mode vGPU over vfio-user: %" PRIu64 " MiB VRAM, %s",
                             t->vram_bytes >> 20, share) < 0) {
                        descriptions[k] = NULL;
                        r = -ENOMEM;
                        break;
                }
                types[k] = (struct host_software_type){
                        .id = t->id,
                        .name = t->name,
                        .description = descriptions[k],
                        .framebuffer_mb = t->vram_bytes >> 20,
                        .max_instances = t->max_instances,
                        .available = t->max_instances,
                };
        }
        if (r >= 0) {
                snprintf(model, sizeof(model), "vgpud software GPU %u", g->index);
                r = host_add_software_gpu(m->host, g->address, model, types, c->n_types);
        }
        for (size_t k = 0; k < c->n_types; k++)
                free(descriptions[k]);
        if (r < 0)
                return log_error_errno(r, "Failed to add software GPU %s to the model: %m", name);
        rpc_update_availability(rpc, g);
        return 0;
}

/* sched.c's engine hook: a software GPU's settings and its instances' quotas, whenever they change. An
 * instance without a quota of its own runs with its type's ([rpc-type] share and weight). */
static void rpc_engine_push(void *userdata, const char *gpu_address, const struct sched_settings *settings,
                            const struct quota_instance *instances, size_t n_instances) {
        Manager *m = userdata;
        int r;

        r = rpc_apply_policy(m, gpu_address, settings->policy, settings->time_slice_ms * 1000u);
        if (r < 0 && r != -ENODEV)
                log_warning_errno(r, "Failed to give the engine of %s policy %s: %m", gpu_address,
                                  strna(sched_policy_to_string(settings->policy)));
        for (size_t k = 0; k < n_instances; k++) {
                const struct quota_instance *q = &instances[k];
                const struct vgpu_rpc_type *t = rpc_find_type(m->rpc, q->type ? q->type->id : NULL);
                unsigned share = q->quota.share ?: t ? t->share : 0;
                unsigned weight = q->quota.weight ?: t ? t->weight : 0;
                r = rpc_apply_quota(m, q->uuid, share, weight);
                if (r < 0 && r != -ENODEV)
                        log_warning_errno(
                                r, "Failed to give %s a share of %u%% and weight %u in the engine: %m",
                                q->uuid, share, weight);
        }
}

int manager_start_rpc(Manager *m) {
        const struct vgpu_rpc_config *c = &m->config->rpc;
        Rpc *rpc;
        int r;

        if (!c->enabled)
                return 0;
        rpc = calloc(1, sizeof(*rpc));
        if (!rpc)
                return -ENOMEM;
        m->rpc = rpc;
        rpc->manager = m;
        rpc->config = c;
        rpc->socket_gid = (gid_t) -1;
        if (engine_policy_from_string(c->policy, &rpc->policy) < 0)
                return log_error_errno(-EINVAL, "[rpc] policy %s is not one the engine knows", c->policy);
        if (!isempty(c->socket_group)) {
                struct group *gr = getgrnam(c->socket_group);
                if (gr)
                        rpc->socket_gid = gr->gr_gid;
                else if (streq(c->socket_group, RPC_SOCKET_GROUP_DEFAULT))
                        /* the default on a host without libvirt's QEMU group: QEMU running as root
                         * (or in vgpud's group) still reaches the sockets */
                        log_info("[rpc] socket_group: no group %s on this host, the sockets stay in "
                                 "vgpud's own group (set socket_group to the group QEMU runs as).",
                                 c->socket_group);
                else
                        return log_error_errno(-ENOENT,
                                               "[rpc] socket_group %s does not exist: create it or set "
                                               "socket_group to the group QEMU runs as",
                                               c->socket_group);
        }
        r = mkdir_p(c->socket_dir, 0755);
        if (r < 0)
                return log_error_errno(r, "Failed to create the socket directory %s: %m", c->socket_dir);
        rpc->seen = strmap_new();
        rpc->gpus = calloc(c->gpus, sizeof(*rpc->gpus));
        if (!rpc->seen || !rpc->gpus)
                return -ENOMEM;
        for (unsigned k = 0; k < c->gpus; k++) {
                RpcGpu *g = &rpc->gpus[rpc->n_gpus++];
                g->rpc = rpc;
                g->index = k;
                snprintf(g->address, sizeof(g->address), HOST_SOFTWARE_DOMAIN ":%02x:00.0", k & 0xffu);
                r = rpc_start_gpu(rpc, g);
                if (r < 0)
                        return r;
        }
        r = sd_event_add_time_relative(m->event, &rpc->tick, CLOCK_MONOTONIC, RPC_EMIT_INTERVAL, 0, on_tick,
                                       rpc);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(rpc->tick, SD_EVENT_ON);
        sched_set_engine_push(m, rpc_engine_push, m);
        log_info("RPC mode: %zu software GPU(s), %zu type(s), sockets in %s, policy %s.", rpc->n_gpus,
                 c->n_types, c->socket_dir, c->policy);
        return 0;
}

void manager_stop_rpc(Manager *m) {
        Rpc *rpc = m->rpc;
        size_t it = 0;
        const char *k;
        void *v;

        if (!rpc)
                return;
        for (size_t n = 0; n < rpc->n_gpus; n++) {
                rpc->gpus[n].event_source = sd_event_source_disable_unref(rpc->gpus[n].event_source);
                if (rpc->gpus[n].engine)
                        engine_free(rpc->gpus[n].engine);
        }
        free(rpc->gpus);
        rpc->tick = sd_event_source_disable_unref(rpc->tick);
        while (rpc->seen && strmap_iterate(rpc->seen, &it, &k, &v))
                free(v);
        strmap_free(rpc->seen);
        free(rpc);
        m->rpc = NULL;
}
