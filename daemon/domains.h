/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which libvirt domain holds which instance. Two sources:
 *  - the libvirt hook (qemu.d/vgpud), through Manager.AcquireForDomain at
 *    `prepare begin` (start every vGPU the domain references, then record
 *    the domain as their owner) and Manager.ReleaseDomain at `release end`
 *    (stop what was started for it, forget the owner). These assignments
 *    are kept in the runtime directory (assignment.h) and survive a restart
 *    of vgpud; an assignment of an instance that is no longer on the host is
 *    void (the VM cannot be holding it) and is dropped.
 *  - libvirt's list of running domains (libvirt-watch.c), read on another
 *    thread so that vgpud never waits for libvirt: it shows the domains the
 *    hook did not tell about (VMs started before vgpud, or without the hook).
 * An instance with an owner is "assigned"; Stop and Destroy refuse it
 * unless forced.
 */
#pragma once

#include <systemd/sd-bus.h>

#include "domain-xml.h"

typedef struct Manager Manager;
typedef struct Instance Instance;

/* At start-up, once the instance objects exist: read the assignments file, drop what is void. */
int manager_load_assignments(Manager *m);
/* After a sync: forget the owner of instances that left the host (and save). */
void manager_check_assignments(Manager *m);

/* The instance a domain's reference names, if vgpud manages it. *ret_ours (may be NULL) says whether
 * the reference is vgpud's to answer for even without an instance (an mdev UUID, a socket in vgpud's
 * socket directory) as opposed to another program's device (a NIC's VF, another vfio-user server). */
Instance *manager_find_reference(Manager *m, enum vgpu_device_kind kind, const char *device, bool *ret_ours);

/* What libvirt's domain list shows, from libvirt-watch.c (main thread): refs[k] is used by domains[k]. */
struct libvirt_reference {
        char *domain;
        enum vgpu_device_kind kind;
        char *device;
};
void manager_apply_libvirt_references(Manager *m, const struct libvirt_reference *refs, size_t n);

/* Manager.AcquireForDomain and Manager.ReleaseDomain. */
int bus_manager_acquire_for_domain(sd_bus_message *call, void *userdata, sd_bus_error *error);
int bus_manager_release_domain(sd_bus_message *call, void *userdata, sd_bus_error *error);

/* The libvirt watcher (libvirt-watch.c): start when [libvirt] refresh_interval is set; stop at exit. */
int manager_start_libvirt_watch(Manager *m);
void manager_stop_libvirt_watch(Manager *m);
