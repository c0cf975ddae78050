/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The mediation engine's API for vgpud: one `struct engine` per software GPU
 * (an RPC parent), each running its own thread with its own event loop that
 * serves the vfio-user sockets of its instances, schedules them and executes
 * their commands. Every function here is thread-safe and meant for the
 * daemon's main thread: calls that change the engine are carried out on the
 * engine thread and return its result; statistics are read from a snapshot
 * the engine thread publishes, without waiting for it.
 *
 * Errors are -errno: -EINVAL bad parameter, -EEXIST duplicate uuid, -ENOENT
 * unknown uuid, -ENOSPC no room (instance limit, fixed shares past 100 %),
 * -EADDRINUSE a live socket already at the path, or what the system said.
 * docs/engine.md describes the device, the limits and the threading.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct engine;

enum engine_policy {
        ENGINE_POLICY_BEST_EFFORT,
        ENGINE_POLICY_EQUAL_SHARE,
        ENGINE_POLICY_FIXED_SHARE,
        ENGINE_POLICY_WEIGHTED,
};

struct engine_params {
        const char *name;          /* for logs and the thread name, e.g. "rpc0" */
        enum engine_policy policy; /* default best-effort */
        uint32_t slice_us;         /* 0: 2 ms up to 8 instances, 1 ms above */
        const char *sensitive;     /* sensitive-instruction list, NULL for the default */
        unsigned max_instances;    /* 0: 64 */
        unsigned max_dma_maps;     /* per connection; 0: 512 (advertised as max_dma_maps) */
        uint64_t max_dma_bytes;    /* per connection; 0: 1 TiB */
        unsigned max_msg_fds;      /* per message; 0: 8 (advertised as max_msg_fds) */
        unsigned stall_timeout_ms; /* a client that leaves a reply unread this long is dropped; 0: 5000 */
};

struct engine_instance_params {
        const char *uuid;        /* canonical lower-case UUID */
        uint64_t vram_size;      /* power of two, 1 MiB .. 16 GiB */
        unsigned share;          /* percent, fixed-share; 0 = a part of the unreserved rest */
        unsigned weight;         /* weighted; 0 = 1 */
        const char *socket_path; /* created by the engine; an existing socket file there is replaced */
        mode_t socket_mode;      /* 0: 0600 */
        uid_t socket_uid;        /* (uid_t) -1: unchanged */
        gid_t socket_gid;        /* (gid_t) -1: unchanged */
        /* PCI identity the guest sees, used when vendor_id is not 0; otherwise the default
         * (1af4:10f0, subsystem 1af4:0001, class 0x038000, docs/engine.md) */
        uint16_t vendor_id, device_id, subsystem_vendor_id, subsystem_id;
        uint32_t class_code;
        /* BAR2 (VRAM) reached by messages only, not offered for mmap. QEMU posts BAR writes
         * (REGION_WRITE with NO_REPLY, and REGION_WRITE_MULTI) only while no region is mmap-able. */
        bool vram_no_mmap;
};

enum engine_instance_state {
        ENGINE_INSTANCE_DISCONNECTED, /* no client */
        ENGINE_INSTANCE_IDLE,         /* client connected, nothing queued */
        ENGINE_INSTANCE_BUSY,         /* commands queued or running */
        ENGINE_INSTANCE_FAILSAFE,     /* stopped after a violation until the guest resets it */
};

struct engine_instance_stats {
        enum engine_instance_state state;
        bool connected;
        uint64_t busy_ns;         /* engine time spent on this instance: its commands and messages */
        uint64_t commands;        /* commands completed */
        uint64_t bytes;           /* bytes copied, filled or blitted */
        uint64_t fences;          /* fences completed */
        uint64_t violations;      /* times the instance entered failsafe */
        uint64_t connections;     /* clients accepted so far */
        uint64_t protocol_errors; /* malformed or refused vfio-user messages */
        uint64_t mmio_throttled; /* 100 ms windows in which its messages took its whole part of the engine */
        uint32_t error_status;   /* RPCGPU_ERR_* of the current failsafe, 0 otherwise */
        uint32_t share_ppm;      /* measured share of the engine over the last full second */
        uint32_t entitled_ppm;   /* what the policy grants it now (0 for best-effort) */
        unsigned dma_maps;       /* current DMA mappings */
        unsigned dma_remote_maps; /* of which reached through DMA_READ/DMA_WRITE messages */
        uint64_t dma_messages;    /* DMA_READ/DMA_WRITE requests sent to clients */
        uint64_t dma_refused;     /* DMA_MAP requests refused (the log says why) */
        uint64_t posted_writes;   /* REGION_WRITE messages the client sent without waiting (NO_REPLY) */
        uint64_t write_multi;     /* REGION_WRITE_MULTI messages (posted writes the client coalesced) */
};

int engine_new(const struct engine_params *params, struct engine **ret);
/* Stops the thread, disconnects every client, removes every socket. */
void engine_free(struct engine *e);

int engine_add_instance(struct engine *e, const struct engine_instance_params *params);
/* Disconnects its client, removes its socket. */
int engine_remove_instance(struct engine *e, const char *uuid);
int engine_set_policy(struct engine *e, enum engine_policy policy, uint32_t slice_us);
int engine_set_quota(struct engine *e, const char *uuid, unsigned share, unsigned weight);
int engine_get_stats(struct engine *e, const char *uuid, struct engine_instance_stats *ret);

/*
 * Readable when an instance's state or connection changed (not on every
 * counter tick); read 8 bytes to clear, then look at the stats. For the
 * daemon's PropertiesChanged signals.
 */
int engine_event_fd(struct engine *e);

const char *engine_policy_to_string(enum engine_policy p);
int engine_policy_from_string(const char *s, enum engine_policy *ret);
const char *engine_instance_state_to_string(enum engine_instance_state s);
