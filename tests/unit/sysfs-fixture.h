/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Builds a small directory tree in the shape of sysfs (devices, bus/pci,
 * class/mdev_bus, bus/mdev/devices, kernel/iommu_groups) for the unit tests
 * of the readers and the host model. It is not the simulated host: it has no
 * kernel behaviour (writing `create` makes nothing appear); tests that need
 * that run on vgpu-sim. It only lays out files and links the way the kernel
 * does, so the readers can be checked layer by layer.
 */
#pragma once

#include <limits.h>

struct fixture {
        char root[PATH_MAX];
};

void fixture_init(struct fixture *f);
void fixture_done(struct fixture *f);

/* A PCI function under devices/pci0000:00 with the usual attributes. class e.g. 0x030200. */
void fixture_add_pci(struct fixture *f, const char *bdf, unsigned vendor, unsigned device,
                     unsigned class_code, const char *driver, int iommu_group);
/* Make vf a VF of pf (virtfn<index>/physfn links) and give pf its SR-IOV attributes. */
void fixture_add_vf(struct fixture *f, const char *pf, const char *vf, unsigned index);
void fixture_set_sriov(struct fixture *f, const char *pf, unsigned total, unsigned num);
/* Write an attribute file of a device: <devices>/<bdf>/<name>. */
void fixture_write(struct fixture *f, const char *bdf, const char *name, const char *value);
void fixture_remove_pci(struct fixture *f, const char *bdf);

/* Register bdf as an mdev parent and add types to it. */
void fixture_add_parent(struct fixture *f, const char *bdf);
void fixture_unregister_parent(struct fixture *f, const char *bdf);
void fixture_add_type(struct fixture *f, const char *parent, const char *id, const char *name,
                      const char *desc, unsigned available);
void fixture_set_available(struct fixture *f, const char *parent, const char *id, unsigned available);
/* An mdev as the kernel lays it out after a create (device dir, links). */
void fixture_add_mdev(struct fixture *f, const char *parent, const char *uuid, const char *type_id,
                      int group);
void fixture_remove_mdev(struct fixture *f, const char *parent, const char *uuid);

/* A T4-like type with the NVIDIA strings; fb in GB ("0" = 512M). */
void fixture_add_nvidia_type(struct fixture *f, const char *parent, unsigned id, const char *name,
                             unsigned fb_mb, unsigned max_instance, unsigned available);
