/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The udev monitor on the main loop: every uevent of a PCI device or an mdev
 * (hot-plug, driver bind/unbind, parent MDEV_STATE=registered/unregistered,
 * mdevs created or removed by anyone) goes to the library's model, and the bus
 * objects are synced once the burst has been read. vgpud listens to udev's
 * group ("udev"), as every udev client does: the device is processed and its
 * database entry current when the event arrives.
 *
 * No subsystem filter: an mdev parent that is no PCI function announces its (un)registration on a
 * subsystem of its own (the kernel's mbochs, mdpy and mtty on theirs, s390's vfio_ccw on css), with
 * MDEV_STATE, and none of those can be named in advance. Events of other devices are dropped by the
 * model at the first look; uevents are rare enough for that.
 */
#include <libudev.h>

#include "host.h"
#include "log.h"
#include "manager.h"
#include "own-events.h"

/* Room for bursts: creating 1,000 mdevs sends thousands of events at once. */
#define MONITOR_BUFFER_SIZE (32 * 1024 * 1024)

static bool is_mdev_driver_event(struct udev_device *d) {
        const char *action = udev_device_get_action(d), *subsystem = udev_device_get_subsystem(d);
        return streq_ptr(subsystem, "mdev") && (streq_ptr(action, "bind") || streq_ptr(action, "unbind"));
}

static int on_uevent(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        struct udev_device *d;

        /* The socket is non-blocking: drain it, then sync once. */
        while ((d = udev_monitor_receive_device(m->monitor))) {
                if (is_mdev_driver_event(d)) {
                        /* vfio_mdev binding to an mdev right after its "add" (and leaving before its
                         * "remove") changes neither the instance nor any capacity; refreshing for it would
                         * re-read every type's availability on the GPU once more per create and destroy. */
                        udev_device_unref(d);
                        continue;
                }
                if (streq_ptr(udev_device_get_subsystem(d), "mdev") &&
                    own_events_consume(m->own_events, udev_device_get_sysname(d),
                                       udev_device_get_action(d))) {
                        /* vgpud's own create or destroy: its completion puts the result into the model. */
                        log_debug("uevent %s %s: vgpud's own", strna(udev_device_get_action(d)),
                                  strna(udev_device_get_sysname(d)));
                        udev_device_unref(d);
                        continue;
                }
                int r = host_handle_udev_device(m->host, d);
                if (r < 0)
                        log_warning_errno(r, "Failed to apply uevent %s for %s: %m",
                                          strna(udev_device_get_action(d)),
                                          strna(udev_device_get_syspath(d)));
                else
                        log_debug("uevent %s %s (%s)", strna(udev_device_get_action(d)),
                                  strna(udev_device_get_sysname(d)), strna(udev_device_get_subsystem(d)));
                udev_device_unref(d);
        }
        manager_schedule_sync(m);
        return 0;
}

int manager_start_udev_monitor(Manager *m) {
        int r;

        m->monitor = udev_monitor_new_from_netlink(m->udev, "udev");
        if (!m->monitor)
                return log_error_errno(errno ?: ENOMEM, "Failed to create the udev monitor: %m");
        r = udev_monitor_set_receive_buffer_size(m->monitor, MONITOR_BUFFER_SIZE);
        if (r < 0)
                log_debug_errno(r, "Could not enlarge the udev monitor's buffer: %m");
        r = udev_monitor_enable_receiving(m->monitor);
        if (r < 0)
                return log_error_errno(r, "Failed to start the udev monitor: %m");
        r = sd_event_add_io(m->event, &m->monitor_source, udev_monitor_get_fd(m->monitor), EPOLLIN,
                            on_uevent, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the udev monitor: %m");
        (void) sd_event_source_set_description(m->monitor_source, "udev-monitor");
        return 0;
}

void manager_stop_udev_monitor(Manager *m) {
        m->monitor_source = sd_event_source_disable_unref(m->monitor_source);
        if (m->monitor)
                udev_monitor_unref(m->monitor);
        m->monitor = NULL;
}
