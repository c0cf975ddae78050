/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SR-IOV in the daemon: Gpu.SetSriov, the VF count persisted per GPU
 * (sriov-config.h) and its restoration. At start-up the configured counts
 * are restored before the records are joined with the host and before
 * autostart, so that the instances that live on VFs find them. A PF whose
 * driver is not there yet (a module that loads late) is retried with
 * backoff, the status visible as Gpu.SriovStatus; when it succeeds later,
 * autostart is kicked. A change waits for the VFs to show up in the model
 * (the udev monitor puts them there) before it is answered, with a timeout.
 * A count is kept before the VFs are enabled and forgotten after they are
 * gone, so that a crash in between never leaves VFs that nothing keeps.
 */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "model.h"

typedef struct Manager Manager;
typedef struct GpuObject GpuObject;
struct vgpu_sriov_config;

typedef struct SriovState {
        Manager *manager;
        char address[PCI_BDF_MAX];
        struct vgpu_sriov_config *config; /* the persisted wish, NULL if none */
        char *status;                     /* Gpu.SriovStatus */
        bool busy;                        /* a change is in flight */

        /* restoration retries while the PF or its driver is absent */
        sd_event_source *retry_timer;
        unsigned attempts;
        uint64_t delay_usec;

        /* a change waiting for its VFs in the model */
        sd_bus_message *call;
        unsigned want_vfs;
        uint64_t deadline_usec;
        sd_event_source *wait_timer;
        /* a change asked by vgpud itself (apply.c) instead of a caller: told the result on the main loop */
        void (*done)(Manager *m, const char *address, int r, const char *message);
} SriovState;

/* Load the configurations and restore them (blocking: before the bus and the records). */
int manager_sriov_start(Manager *m);
void manager_sriov_free(Manager *m);
/* The host changed (a driver bound): retry waiting restorations at once. */
void manager_sriov_kick(Manager *m);

/* Gpu.SetSriov, once its handler authorized call. */
int sriov_set(GpuObject *g, sd_bus_message *call, unsigned num_vfs, bool persistent, sd_bus_error *e);

/* The same change without a caller (Manager.Apply, authorized already): the checks of SetSriov, with the
 * refusal in *ret_error; done is called on the main loop when the VFs are there (or it failed). */
int sriov_change(GpuObject *g, unsigned num_vfs,
                 void (*done)(Manager *m, const char *address, int r, const char *message),
                 char **ret_error);

/* For the Gpu properties: the configured count (0: none) and the status ("" if nothing to say). */
unsigned sriov_configured_vfs(Manager *m, const char *address);
const char *sriov_status(Manager *m, const char *address);
