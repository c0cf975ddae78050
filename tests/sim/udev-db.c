/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * udev's database, the other half of playing udevd: udevd writes
 * /run/udev/data/+<subsystem>:<sysname> for every device it has processed,
 * and libudev reports a device "initialized" (udev_device_get_is_initialized,
 * udev_enumerate_add_match_is_initialized, USEC_INITIALIZED) only when that
 * file exists. vgpu-sim writes it when a device appears (and for every device
 * at power-on, as the boot-time coldplug would) and removes it with the device.
 */
#include <fcntl.h>
#include <time.h>

#include "sim-util.h"
#include "sim.h"

static char *db_path(struct sim *sim, struct node *dir) {
        struct node *sub = node_child(dir, "subsystem");
        if (!sim->udev_db || !sub || !sub->target || !strrchr(sub->target, '/'))
                return NULL;
        return xasprintf("%s/+%s:%s", sim->udev_db, strrchr(sub->target, '/') + 1, dir->name);
}

static unsigned long long now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (unsigned long long) ts.tv_sec * 1000000ULL + (unsigned long long) ts.tv_nsec / 1000;
}

unsigned long long udev_db_update(struct sim *sim, struct node *dir, const char *action) {
        _cleanup_free_ char *path = db_path(sim, dir);
        if (!path)
                return now_usec();
        if (streq(action, "remove")) {
                (void) unlink(path);
                return now_usec();
        }
        /* The time of first processing stays, as udevd keeps it across change events. */
        char buf[64] = "";
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
                ssize_t n = read(fd, buf, sizeof(buf) - 1);
                unsigned long long usec;
                if (n > 0 && (buf[n] = '\0', sscanf(buf, "I:%llu", &usec) == 1))
                        return usec;
        }
        unsigned long long usec = now_usec();
        _cleanup_close_ int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (out >= 0) {
                int len = snprintf(buf, sizeof(buf), "I:%llu\nV:1\n", usec);
                if (write(out, buf, (size_t) len) != len)
                        (void) unlink(path);
        }
        return usec;
}

void udev_db_coldplug(struct sim *sim) {
        for (struct pci_dev *d = sim->devs; d; d = d->next)
                (void) udev_db_update(sim, d->dir, "add");
        for (struct mdev *m = sim->mdevs; m; m = m->next)
                (void) udev_db_update(sim, m->dir, "add");
}
