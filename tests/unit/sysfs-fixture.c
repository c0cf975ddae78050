/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of sysfs-fixture.h. Any failure aborts the test: a fixture that is not what it says is
 * useless. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include "fileio.h"
#include "sysfs-fixture.h"

static char *pathf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *pathf(const char *fmt, ...) {
        va_list ap;
        char *p;
        va_start(ap, fmt);
        assert_true(vasprintf(&p, fmt, ap) > 0);
        va_end(ap);
        return p;
}

static void mkdirs(const char *p) {
        assert_int_equal(mkdir_p(p, 0755), 0);
}

static void put(const char *path, const char *value) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, value, strlen(value)), (ssize_t) strlen(value));
        close(fd);
}

static void link_to(const char *target, const char *linkpath) {
        (void) unlink(linkpath);
        assert_int_equal(symlink(target, linkpath), 0);
}

static char *dev_dir(struct fixture *f, const char *bdf) {
        return pathf("%s/devices/pci0000:00/%s", f->root, bdf);
}

void fixture_init(struct fixture *f) {
        snprintf(f->root, sizeof(f->root), "/tmp/vgpu-fixture-XXXXXX");
        assert_non_null(mkdtemp(f->root));
        const char *dirs[] = {"devices/pci0000:00", "bus/pci/devices",  "bus/pci/drivers",
                              "class/mdev_bus",     "bus/mdev/devices", "kernel/iommu_groups"};
        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
                char *p = pathf("%s/%s", f->root, dirs[i]);
                mkdirs(p);
                free(p);
        }
}

void fixture_done(struct fixture *f) {
        char *cmd = pathf("rm -rf '%s'", f->root);
        assert_int_equal(system(cmd), 0);
        free(cmd);
}

void fixture_write(struct fixture *f, const char *bdf, const char *name, const char *value) {
        char *p = pathf("%s/devices/pci0000:00/%s/%s", f->root, bdf, name);
        put(p, value);
        free(p);
}

void fixture_add_pci(struct fixture *f, const char *bdf, unsigned vendor, unsigned device,
                     unsigned class_code, const char *driver, int iommu_group) {
        char *d = dev_dir(f, bdf), buf[64];
        mkdirs(d);
        snprintf(buf, sizeof(buf), "0x%04x\n", vendor);
        fixture_write(f, bdf, "vendor", buf);
        snprintf(buf, sizeof(buf), "0x%04x\n", device);
        fixture_write(f, bdf, "device", buf);
        snprintf(buf, sizeof(buf), "0x%06x\n", class_code);
        fixture_write(f, bdf, "class", buf);
        fixture_write(f, bdf, "subsystem_vendor", "0x10de\n");
        fixture_write(f, bdf, "subsystem_device", "0x12a2\n");
        fixture_write(f, bdf, "numa_node", "-1\n");

        char *l = pathf("%s/bus/pci/devices/%s", f->root, bdf),
             *t = pathf("../../../devices/pci0000:00/%s", bdf);
        link_to(t, l);
        free(l);
        free(t);
        if (driver) {
                char *drv = pathf("%s/bus/pci/drivers/%s", f->root, driver);
                mkdirs(drv);
                l = pathf("%s/driver", d);
                t = pathf("../../../bus/pci/drivers/%s", driver);
                link_to(t, l);
                free(drv);
                free(l);
                free(t);
        }
        if (iommu_group >= 0) {
                char *g = pathf("%s/kernel/iommu_groups/%d/devices", f->root, iommu_group);
                mkdirs(g);
                l = pathf("%s/iommu_group", d);
                t = pathf("../../../kernel/iommu_groups/%d", iommu_group);
                link_to(t, l);
                free(g);
                free(l);
                free(t);
        }
        free(d);
}

void fixture_set_sriov(struct fixture *f, const char *pf, unsigned total, unsigned num) {
        char buf[32];
        snprintf(buf, sizeof(buf), "%u\n", total);
        fixture_write(f, pf, "sriov_totalvfs", buf);
        snprintf(buf, sizeof(buf), "%u\n", num);
        fixture_write(f, pf, "sriov_numvfs", buf);
        fixture_write(f, pf, "sriov_offset", "4\n");
        fixture_write(f, pf, "sriov_stride", "1\n");
        fixture_write(f, pf, "sriov_vf_device", "25b6\n");
        fixture_write(f, pf, "sriov_drivers_autoprobe", "1\n");
}

void fixture_add_vf(struct fixture *f, const char *pf, const char *vf, unsigned index) {
        char *pd = dev_dir(f, pf), *vd = dev_dir(f, vf);
        char *l = pathf("%s/virtfn%u", pd, index), *t = pathf("../%s", vf);
        link_to(t, l);
        free(l);
        free(t);
        l = pathf("%s/physfn", vd);
        t = pathf("../%s", pf);
        link_to(t, l);
        free(l);
        free(t);
        free(pd);
        free(vd);
}

void fixture_remove_pci(struct fixture *f, const char *bdf) {
        char *cmd = pathf("rm -rf '%s/devices/pci0000:00/%s' '%s/bus/pci/devices/%s'", f->root, bdf, f->root,
                          bdf);
        assert_int_equal(system(cmd), 0);
        free(cmd);
}

void fixture_add_parent(struct fixture *f, const char *bdf) {
        char *d = dev_dir(f, bdf), *types = pathf("%s/mdev_supported_types", d);
        char *l = pathf("%s/class/mdev_bus/%s", f->root, bdf),
             *t = pathf("../../devices/pci0000:00/%s", bdf);
        mkdirs(types);
        link_to(t, l);
        free(d);
        free(types);
        free(l);
        free(t);
}

void fixture_unregister_parent(struct fixture *f, const char *bdf) {
        char *cmd = pathf("rm -rf '%s/devices/pci0000:00/%s/mdev_supported_types' '%s/class/mdev_bus/%s'",
                          f->root, bdf, f->root, bdf);
        assert_int_equal(system(cmd), 0);
        free(cmd);
}

void fixture_add_type(struct fixture *f, const char *parent, const char *id, const char *name,
                      const char *desc, unsigned available) {
        char *d = pathf("%s/devices/pci0000:00/%s/mdev_supported_types/%s", f->root, parent, id), *p,
             buf[32];
        mkdirs(d);
        p = pathf("%s/devices", d);
        mkdirs(p);
        free(p);
        p = pathf("%s/device_api", d);
        put(p, "vfio-pci\n");
        free(p);
        p = pathf("%s/create", d);
        put(p, "");
        free(p);
        snprintf(buf, sizeof(buf), "%u\n", available);
        p = pathf("%s/available_instances", d);
        put(p, buf);
        free(p);
        if (name) {
                p = pathf("%s/name", d);
                char *v = pathf("%s\n", name);
                put(p, v);
                free(v);
                free(p);
        }
        if (desc) {
                p = pathf("%s/description", d);
                put(p, desc);
                free(p);
        }
        free(d);
}

void fixture_set_available(struct fixture *f, const char *parent, const char *id, unsigned available) {
        char *p = pathf("%s/devices/pci0000:00/%s/mdev_supported_types/%s/available_instances", f->root,
                        parent, id);
        char buf[32];
        snprintf(buf, sizeof(buf), "%u\n", available);
        put(p, buf);
        free(p);
}

void fixture_add_nvidia_type(struct fixture *f, const char *parent, unsigned id, const char *name,
                             unsigned fb_mb, unsigned max_instance, unsigned available) {
        char tid[32], desc[256];
        snprintf(tid, sizeof(tid), "nvidia-%u", id);
        snprintf(desc, sizeof(desc),
                 "num_heads=4, frl_config=60, framebuffer=%uM, max_resolution=5120x2880, max_instance=%u\n",
                 fb_mb, max_instance);
        fixture_add_type(f, parent, tid, name, desc, available);
}

void fixture_add_mdev(struct fixture *f, const char *parent, const char *uuid, const char *type_id,
                      int group) {
        char *d = pathf("%s/devices/pci0000:00/%s/%s", f->root, parent, uuid), *l, *t;
        mkdirs(d);
        l = pathf("%s/mdev_type", d);
        t = pathf("../mdev_supported_types/%s", type_id);
        link_to(t, l);
        free(l);
        free(t);
        l = pathf("%s/remove", d);
        put(l, "");
        free(l);
        if (group >= 0) {
                char *g = pathf("%s/kernel/iommu_groups/%d/devices", f->root, group);
                mkdirs(g);
                free(g);
                l = pathf("%s/iommu_group", d);
                t = pathf("../../../../kernel/iommu_groups/%d", group);
                link_to(t, l);
                free(l);
                free(t);
        }
        l = pathf("%s/bus/mdev/devices/%s", f->root, uuid);
        t = pathf("../../../devices/pci0000:00/%s/%s", parent, uuid);
        link_to(t, l);
        free(l);
        free(t);
        free(d);
}

void fixture_remove_mdev(struct fixture *f, const char *parent, const char *uuid) {
        char *cmd = pathf("rm -rf '%s/devices/pci0000:00/%s/%s' '%s/bus/mdev/devices/%s'", f->root, parent,
                          uuid, f->root, uuid);
        assert_int_equal(system(cmd), 0);
        free(cmd);
}
