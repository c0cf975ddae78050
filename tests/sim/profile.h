/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hardware profiles: the power-on state of a simulated host, read from JSON
 * data files (profiles/<name>.json) and the vGPU type catalogs they name
 * (profiles/types/<catalog>.json). A profile lists PCI functions with their
 * IDs, the driver bound at power-on, IOMMU group, SR-IOV capability and the
 * vGPU flavour of the GPU; docs/vgpu-sim.md describes the format.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vgpu_type {
        char *id;         /* mdev type directory name ("nvidia-222"); decimal id for vendor VFIO */
        unsigned number;  /* vendor-specific VFIO type id (1148) */
        char *name;       /* "GRID T4-1B" */
        char *device_api; /* "vfio-pci" */
        /* NVIDIA */
        unsigned fb_mb, heads, frl, max_instance;
        char *max_resolution;
        /* Intel GVT-g */
        unsigned low_gm_mb, high_gm_mb, fence, weight;
        char *resolution;
        /* The kernel's sample drivers: the description (NULL: the type has no description file)
         * and what one instance takes from its parent's pool (mtty: ports, mbochs: MiB). */
        char *description;
        unsigned cost;
};

struct type_catalog {
        char *name;   /* file name without .json */
        char *vendor; /* "nvidia", "gvtg", "sample" */
        struct vgpu_type *types;
        size_t n_types;
};

enum vgpu_kind {
        VGPU_NONE,
        VGPU_NVIDIA_MDEV,       /* mdev parent on the GPU (Turing and older) */
        VGPU_NVIDIA_MDEV_SRIOV, /* SR-IOV GPU, one mdev parent per VF (Ampere, older drivers) */
        VGPU_NVIDIA_VFIO,       /* vendor-specific VFIO: nvidia/current_vgpu_type per VF */
        VGPU_GVTG,              /* Intel GVT-g shared pool */
};

struct dev_spec {
        char address[16];
        uint16_t vendor, device, subvendor, subdevice;
        uint32_t class;
        uint8_t revision;
        char *driver;      /* bound at power-on, NULL for none */
        char *label;       /* comment shown in docs and ctl list */
        int iommu_group;   /* -1: allocate */
        int numa_node;     /* -1: no NUMA node (a VM, a one-node host's firmware) */
        char upstream[16]; /* the bridge the function sits behind ("" for the root bus) */
        bool sriov;
        unsigned totalvfs, numvfs, offset, stride;
        uint16_t vf_device;
        enum vgpu_kind kind;
        const struct type_catalog *types;
        unsigned fb_mb;
        bool heterogeneous;
        unsigned pool_low_mb, pool_high_mb, pool_fence;
};

/*
 * An mdev parent that is no PCI function: a virtual device under /sys/devices/virtual/<name>/<name>
 * registered with the mdev core by a driver of that name, as the kernel's samples mtty, mdpy and
 * mbochs are. Either the driver keeps the count (a pool its types draw from; no room: ENOSPC) or
 * it leaves it to the mdev core (max_instances for the whole parent; no room: EUSERS).
 */
struct parent_spec {
        char *name; /* device, class and mdev driver name ("mtty") */
        const struct type_catalog *types;
        bool core_counted;
        unsigned max_instances; /* core-counted */
        unsigned pool;          /* driver-counted: units the types' costs draw from */
};

struct profile {
        char *name;
        char *description;
        char *path;
        bool no_iommu;      /* "iommu": false — a host with the IOMMU off: PCI functions get no groups */
        char *iommu_domain; /* the groups' default domain type: "DMA" (default), "DMA-FQ", "identity" */
        char **drivers;     /* loaded driver names */
        size_t n_drivers;
        struct dev_spec *devs;
        size_t n_devs;
        struct parent_spec *parents;
        size_t n_parents;
        struct type_catalog **catalogs;
        size_t n_catalogs;
};

/*
 * Load a profile by name (looked up in dir) or by path (contains '/' or ends
 * in .json). On failure returns -errno and, for bad content, a message in
 * *error (caller frees).
 */
int profile_load(const char *dir, const char *name, struct profile **ret, char **error);
void profile_free(struct profile *p);
const struct dev_spec *profile_find_dev(const struct profile *p, const char *address);
const struct vgpu_type *catalog_find_number(const struct type_catalog *c, unsigned number);
/* Parse "dddd:bb:dd.f"; returns -EINVAL when malformed. */
int pci_address_parse(const char *s, unsigned *domain, unsigned *bus, unsigned *devfn);
