/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Manager owns everything vgpud has: the event loop, the bus connection,
 * the host-operation workers, the settings, and the daemon's view of the
 * host. There are no globals; every callback gets the Manager (or an object
 * it owns) as userdata. Everything here is touched on the main thread only.
 */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "hostop.h"
#include "macro.h"

typedef struct Finding {
        char *severity; /* info | warning | error */
        char *kind;     /* orphan | missing | parent-missing | corrupt-record | autostart-failed | ... */
        char *object;   /* a UUID or an address */
        char *message;
} Finding;

struct strmap;
struct vgpu_config;
struct vgpu_store;
struct udev;
struct udev_monitor;
struct vgpu_host;
struct sched_settings;
struct quota_instance;

/* How long the GPU and type objects may lag behind operations still in flight. */
#define MANAGER_REST_DELAY_USEC 20000u

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        /* the private socket's listener and connections (private-bus.c) */
        char *private_path;
        sd_event_source *private_source;
        sd_bus **private_buses;
        size_t n_private_buses;
        HostOps *hostops;
        struct vgpu_config *config;
        char *runtime_dir;                /* what vgpud made in this boot: its transient instances */
        struct vgpu_store *store;         /* persistent records (config->state_dir) */
        struct vgpu_store *runtime_store; /* transient records (runtime_dir) */

        /* the library's model of the host, kept current by the udev monitor */
        struct vgpu_host *host;
        struct udev *udev;
        struct udev_monitor *monitor;
        sd_event_source *monitor_source;
        struct BusSync *sync; /* when the bus objects follow the model */
        /* mdevs the kernel has not finished, read again (settle.c) */
        sd_event_source *settle_timer;
        uint64_t settle_delay;
        struct Settling *settling;
        size_t n_settling;
        bool sync_all_gpus; /* the next sync looks at every GPU, not only the dirty ones */

        struct Operation *creates;         /* creates in flight (operation.c) */
        struct Operation *finished;        /* completed, replied to after this batch's sync (operation.c) */
        struct Operation **finished_tail;  /* where the next completed one goes, when finished is set */
        sd_bus_message **deferred_creates; /* CreateInstance calls waiting for those, or for fresh numbers */
        /* availability re-read off the reply path (availability.h), and the uevents of vgpud's own
         * operations (own-events.h) */
        struct Refresher *refresher;
        struct OwnEvents *own_events;
        size_t n_deferred_creates;
        size_t n_retrying_creates; /* while manager_retry_deferred_creates() runs them again */

        /* the bus objects */
        struct strmap *gpus;           /* address -> GpuObject */
        struct strmap *gpu_paths;      /* path -> GpuObject */
        struct strmap *type_paths;     /* path -> TypeObject */
        struct strmap *instances;      /* uuid -> Instance */
        struct strmap *instance_paths; /* path -> Instance */

        struct Rpc *rpc;      /* RPC mode's software GPUs (rpc.h), NULL when off */
        struct strmap *sriov; /* address -> SriovState (sriov-state.h) */
        /* scheduling (sched.c): the run-time settings per GPU, address -> struct sched_store_entry */
        struct sched_store *sched_store;
        struct strmap *sched_runtime;
        void (*sched_engine_push)(void *userdata, const char *gpu_address,
                                  const struct sched_settings *settings,
                                  const struct quota_instance *instances, size_t n_instances);
        void *sched_engine_userdata;

        /* libvirt domains (domains.c, libvirt-watch.c) */
        char *assignments_path;             /* <runtime_dir>/domains.json */
        size_t n_assignments_saved;         /* owners in the last file written */
        struct LibvirtWatch *libvirt_watch; /* reads libvirt's domain list on its own thread */

        struct ApplyTx *apply; /* the Manager.Apply in flight (apply.h), NULL if none */
        char *status;          /* what sd_notify STATUS and Manager.Status say */
        Finding *findings;
        size_t n_findings;
} Manager;

/* Takes ownership of config. */
int manager_new(struct vgpu_config *config, const char *runtime_dir, Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free)

/* Connect to the bus, publish the objects, take the name, tell systemd we are ready. */
int manager_start(Manager *m);
/* Run the loop until SIGTERM/SIGINT; returns the loop's exit code. */
int manager_run(Manager *m);

/* One line of status for sd_notify and Manager.Status (emits PropertiesChanged). */
void manager_set_status(Manager *m, const char *fmt, ...) _printf_(2, 3);
int manager_add_finding(Manager *m, const char *severity, const char *kind, const char *object,
                        const char *fmt, ...) _printf_(5, 6);
void manager_clear_findings(Manager *m);

/* Run again the CreateInstance calls that waited for creates in flight or for availability refreshes
 * (lifecycle.c). */
void manager_retry_deferred_creates(Manager *m);

/* The bus objects follow the model (bus-sync.h): once the current event is done (coalesced), or now (the
 * instance objects, then the rest). */
void manager_schedule_sync(Manager *m);
void manager_sync_now(Manager *m);
/* The halves, for operations (operations_finish): the instance objects before the replies (their
 * InterfacesAdded/Removed precede the answer); the GPU and type objects after them, at once if nothing
 * else is in flight, else behind the rest of the operations, at most MANAGER_REST_DELAY_USEC. */
void manager_sync_instances_now(Manager *m);
void manager_sync_rest_soon(Manager *m);

/* Read again, on a timer, the mdevs the kernel announced but has not finished (settle.c); called whenever
 * the model may have listed new ones. */
void manager_settle_soon(Manager *m);
void manager_settle_stop(Manager *m);

/* Start-up reconciliation (reconcile.c): load vgpud's, this boot's and mdevctl's records, join them with
 * the host, report what does not match. */
int manager_load_records(Manager *m);

/* Autostart (autostart.c): start what should run and is not there; retry with backoff. */
void manager_autostart_all(Manager *m);
/* The host changed: retry at once the instances that wait for a parent that is now there. */
void manager_autostart_kick(Manager *m);
void manager_update_status(Manager *m);

/* Manager.Diagnose (diagnose.c): check the host, reply with the findings. */
int manager_diagnose(Manager *m, sd_bus_message *call, sd_bus_error *error);

/* The udev monitor (udev-monitor.c). */
int manager_start_udev_monitor(Manager *m);
void manager_stop_udev_monitor(Manager *m);

/* The bus objects (bus-*.c). */
int bus_manager_register(Manager *m, sd_bus *bus);
int bus_gpu_register(Manager *m, sd_bus *bus);
int bus_instance_register(Manager *m, sd_bus *bus);
/* All of them on a connection: the system bus, or one of the private socket's. */
int manager_register_objects(Manager *m, sd_bus *bus);

/* The private socket (private-bus.c): <runtime_dir>/private, root's connections without dbus-daemon. */
int manager_start_private(Manager *m);
void manager_stop_private(Manager *m);
