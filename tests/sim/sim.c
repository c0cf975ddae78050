/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The life of the simulated host: build the tree skeleton and every device of
 * a profile in its power-on state (drivers bound, VFs enabled), hot-plug a
 * function back in, and tear everything down for a reboot or another profile.
 * Power-on is quiet (no uevents), as nobody listens before boot; hot-plug is not.
 */
#include <fcntl.h>

#include "sim-util.h"
#include "sim.h"

static void read_host_file(const char *path, char *out, size_t size) {
        /* The real host's CPU lists, read before /sys is covered, for tools that size thread pools. */
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, out, size - 1) : -1;
        if (fd >= 0)
                close(fd);
        if (n <= 0)
                snprintf(out, size, "0\n");
        else
                out[n] = '\0';
}

int sim_plug(struct sim *sim, const struct dev_spec *spec) {
        struct pci_dev *dev = pci_dev_add(sim, spec, spec->address, NULL, 0);
        struct pci_driver *drv = spec->driver ? pci_driver_find(sim, spec->driver) : NULL;
        if (drv)
                (void) pci_dev_bind(sim, dev, drv);
        else
                pci_dev_attach(sim, dev);
        if (spec->sriov && spec->numvfs > 0) {
                /* The host's boot scripts (nvidia-sriov.service, sriov-manage) enable VFs through the
                 * driver. */
                if (dev->driver && dev->driver->ops->sriov_configure)
                        (void) dev->driver->ops->sriov_configure(sim, dev, spec->numvfs);
        }
        return 0;
}

static void skeleton(struct sim *sim) {
        struct node *r = sim->root;
        struct node *cpu = node_dir_p(r, "devices/system/cpu");
        node_const(cpu, "online", "%s", sim->host_cpu[0]);
        node_const(cpu, "possible", "%s", sim->host_cpu[1]);
        node_const(cpu, "present", "%s", sim->host_cpu[2]);
        struct node *mdev = node_dir_p(r, "bus/mdev");
        node_dir(mdev, "devices");
        node_dir(mdev, "drivers");
        /* The NVIDIA and GVT-g profiles model kernels before 5.16, where vfio_mdev was the one mdev
         * driver; on 6.1 (the kernel-samples profile) each parent's driver is its own. */
        if (sim->profile->n_parents == 0)
                node_dir_p(mdev, "drivers/vfio_mdev");
        node_const(mdev, "drivers_autoprobe", "1\n")->mode = 0644;
        node_attr(mdev, "drivers_probe", 0200, NULL, NULL, 0);
        node_attr(mdev, "uevent", 0200, NULL, NULL, 0);
        node_dir_p(r, "class/mdev_bus");
        node_dir_p(r, "kernel/iommu_groups");
        node_dir_p(r, "module/mdev");
        node_dir_p(r, "module/vfio_mdev");
        node_dir_p(r, "module/vfio");
        node_dir_p(r, "module/vfio_iommu_type1");
        node_dir_p(r, "firmware");
        node_dir_p(r, "fs");
        node_dir_p(r, "block");
        node_dir_p(r, "dev/char");
        node_dir_p(r, "power");
        node_dir_p(r, "hypervisor");
        control_init(sim);
}

static void teardown(struct sim *sim) {
        bool quiet = sim->quiet;
        sim->quiet = true;
        virt_parents_remove(sim);
        while (sim->devs_tail) {
                struct pci_dev *d = sim->devs_tail;
                while (d->physfn)
                        d = d->physfn;
                pci_dev_remove(sim, d);
        }
        pci_drivers_free(sim);
        for (unsigned i = 0; i < sim->n_groups; i++)
                free(sim->groups[i]);
        free(sim->groups);
        sim->groups = NULL;
        sim->n_groups = 0;
        node_remove(sim->root);
        sim->root = NULL;
        sim->quiet = quiet;
}

int sim_power_on(struct sim *sim, const char *profile_name) {
        struct profile *p = NULL;
        if (profile_name) {
                _cleanup_free_ char *error = NULL;
                int r = profile_load(sim->profile_dir, profile_name, &p, &error);
                if (r < 0) {
                        fprintf(stderr, "vgpu-sim: %s\n", error ?: strerror(-r));
                        return r;
                }
        }
        if (sim->root)
                teardown(sim);
        if (p) {
                profile_free(sim->profile);
                sim->profile = p;
        }
        free(sim->unplugged);
        sim->unplugged = xmalloc0(sim->profile->n_devs + 1);
        free(sim->reserved);
        sim->n_reserved = 0;
        for (size_t i = 0; i < sim->profile->n_devs; i++)
                if (sim->profile->devs[i].iommu_group >= 0 &&
                    (unsigned) sim->profile->devs[i].iommu_group + 1 > sim->n_reserved)
                        sim->n_reserved = (unsigned) sim->profile->devs[i].iommu_group + 1;
        sim->reserved = xmalloc0(sim->n_reserved + 1);
        for (size_t i = 0; i < sim->profile->n_devs; i++)
                if (sim->profile->devs[i].iommu_group >= 0)
                        sim->reserved[sim->profile->devs[i].iommu_group] = true;
        sim->group_hint = 0;
        sim->root = node_new_root();
        skeleton(sim);
        pci_drivers_register(sim);
        bool quiet = sim->quiet;
        sim->quiet = true;
        for (size_t i = 0; i < sim->profile->n_devs; i++)
                sim_plug(sim, &sim->profile->devs[i]);
        virt_parents_add(sim);
        sim->quiet = quiet;
        udev_db_coldplug(sim);
        sim->generation++;
        pthread_cond_broadcast(&sim->changed);
        return 0;
}

int sim_new(const char *profile_dir, const char *profile_name, struct sim **ret) {
        struct sim *sim = xmalloc0(sizeof(*sim));
        pthread_mutex_init(&sim->lock, NULL);
        pthread_cond_init(&sim->changed, NULL);
        sim->uevent_fd = -1;
        sim->profile_dir = xstrdup(profile_dir);
        read_host_file("/sys/devices/system/cpu/online", sim->host_cpu[0], sizeof(sim->host_cpu[0]));
        read_host_file("/sys/devices/system/cpu/possible", sim->host_cpu[1], sizeof(sim->host_cpu[1]));
        read_host_file("/sys/devices/system/cpu/present", sim->host_cpu[2], sizeof(sim->host_cpu[2]));
        int r = sim_power_on(sim, profile_name);
        if (r < 0) {
                sim_free(sim);
                return r;
        }
        *ret = sim;
        return 0;
}

void sim_free(struct sim *sim) {
        if (!sim)
                return;
        if (sim->root)
                teardown(sim);
        faults_clear(sim);
        free(sim->reserved);
        free(sim->unplugged);
        profile_free(sim->profile);
        free(sim->profile_dir);
        free(sim->udev_db);
        if (sim->uevent_fd >= 0)
                close(sim->uevent_fd);
        pthread_cond_destroy(&sim->changed);
        pthread_mutex_destroy(&sim->lock);
        free(sim);
}
