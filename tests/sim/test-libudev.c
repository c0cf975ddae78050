/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A tiny libudev client, as vgpud will be one: proves inside vgpu-sim that
 * udev_enumerate finds the simulated devices, initialized (udev's database),
 * with their properties and attributes, and that a "udev" monitor with a subsystem filter (a BPF
 * filter on the MurmurHash2 of the subsystem) receives the simulator's events.
 *   test-libudev enumerate SUBSYSTEM
 *   test-libudev monitor SUBSYSTEM COUNT   (prints "ready", then COUNT events)
 */
#include <libudev.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int enumerate(struct udev *udev, const char *subsystem) {
        struct udev_enumerate *e = udev_enumerate_new(udev);
        /* Only what udev has processed, as a careful daemon enumerates. */
        if (!e || udev_enumerate_add_match_subsystem(e, subsystem) < 0 ||
            udev_enumerate_add_match_is_initialized(e) < 0 || udev_enumerate_scan_devices(e) < 0) {
                fprintf(stderr, "enumerate failed\n");
                udev_enumerate_unref(e);
                return 1;
        }
        struct udev_list_entry *entry;
        udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(e)) {
                struct udev_device *d = udev_device_new_from_syspath(udev, udev_list_entry_get_name(entry));
                if (!d) {
                        fprintf(stderr, "cannot open %s\n", udev_list_entry_get_name(entry));
                        udev_enumerate_unref(e);
                        return 1;
                }
                const char *driver = udev_device_get_driver(d);
                const char *vendor = udev_device_get_sysattr_value(d, "vendor");
                /* An mdev's type is its mdev_type link (the kernel's uevent carries no MDEV_TYPE). */
                char link[4096], target[4096];
                const char *type = NULL;
                snprintf(link, sizeof(link), "%s/mdev_type", udev_device_get_syspath(d));
                ssize_t n = readlink(link, target, sizeof(target) - 1);
                if (n > 0) {
                        target[n] = '\0';
                        type = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
                }
                printf("%s driver=%s vendor=%s mdev_type=%s initialized=%d\n", udev_device_get_sysname(d),
                       driver ? driver : "-", vendor ? vendor : "-", type ? type : "-",
                       udev_device_get_is_initialized(d));
                udev_device_unref(d);
        }
        udev_enumerate_unref(e);
        return 0;
}

static int monitor(struct udev *udev, const char *subsystem, int count) {
        struct udev_monitor *m = udev_monitor_new_from_netlink(udev, "udev");
        if (!m || udev_monitor_filter_add_match_subsystem_devtype(m, subsystem, NULL) < 0 ||
            udev_monitor_enable_receiving(m) < 0) {
                fprintf(stderr, "monitor setup failed\n");
                udev_monitor_unref(m);
                return 1;
        }
        printf("ready\n");
        fflush(stdout);
        struct pollfd p = {.fd = udev_monitor_get_fd(m), .events = POLLIN};
        while (count > 0) {
                if (poll(&p, 1, 5000) <= 0) {
                        fprintf(stderr, "timeout waiting for events\n");
                        udev_monitor_unref(m);
                        return 1;
                }
                struct udev_device *d = udev_monitor_receive_device(m);
                if (!d)
                        continue;
                const char *state = udev_device_get_property_value(d, "MDEV_STATE");
                printf("%s %s %s%s%s\n", udev_device_get_action(d), udev_device_get_devpath(d),
                       udev_device_get_subsystem(d), state ? " MDEV_STATE=" : "", state ? state : "");
                fflush(stdout);
                udev_device_unref(d);
                count--;
        }
        udev_monitor_unref(m);
        return 0;
}

int main(int argc, char **argv) {
        struct udev *udev = udev_new();
        int r = 2;
        if (!udev)
                return 1;
        if (argc == 3 && strcmp(argv[1], "enumerate") == 0)
                r = enumerate(udev, argv[2]);
        else if (argc == 4 && strcmp(argv[1], "monitor") == 0)
                r = monitor(udev, argv[2], atoi(argv[3]));
        else
                fprintf(stderr, "usage: test-libudev enumerate SUBSYSTEM | monitor SUBSYSTEM COUNT\n");
        udev_unref(udev);
        return r;
}
