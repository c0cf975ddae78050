/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The objects of the host model, as the daemon keeps them in memory and
 * exposes them over D-Bus: GPUs (PCI display functions, physical and
 * virtual), mdev parents, the types each parent offers, type groups (one
 * user-facing type, e.g. "GRID T4-2Q", across every parent that offers it)
 * and live instances. All of them are owned by a struct vgpu_host (host.h)
 * and are read-only outside the library; pointers stay valid until the host
 * announces the object's removal (HOST_EVENT_REMOVED) or is freed. Stable
 * identities: a GPU by its BDF, a parent by its device name, a type by
 * (parent, id), a group by its key, an instance by its UUID.
 *
 * Numbers that a driver did not report are 0 ("unknown"), strings NULL.
 */
#pragma once

#include <stdint.h>

#include "backend-kind.h"
#include "uuid.h"

#define PCI_BDF_MAX 16 /* "dddd:bb:ss.f" + NUL, with room */

struct vendor_ops;
struct vgpu_parent;
struct vgpu_type_group;

/* A PCI display-class function (class 0x03xxxx): a physical GPU, or a VF of one. */
struct vgpu_gpu {
        char bdf[PCI_BDF_MAX]; /* "0000:3b:00.0" */
        uint16_t vendor_id, device_id;
        uint16_t subsystem_vendor_id, subsystem_device_id;
        uint32_t class_code; /* 0x030000 VGA, 0x030200 3D controller, ... */
        char *vendor_name;   /* from the hardware database: "NVIDIA Corporation"; NULL if unknown */
        char *model_name;    /* "TU104GL [Tesla T4]"; NULL if unknown */
        char *driver;        /* bound driver ("nvidia", "i915", "vfio-pci"), NULL if none */
        int iommu_group;     /* -1 without an IOMMU group */
        int numa_node;       /* -1 when unknown */

        struct {
                bool capable;       /* has sriov_totalvfs */
                unsigned total_vfs; /* sriov_totalvfs */
                unsigned num_vfs;   /* sriov_numvfs */
                unsigned offset, stride;
                uint16_t vf_device_id;  /* sriov_vf_device */
                bool drivers_autoprobe; /* sriov_drivers_autoprobe */
                char **vfs;             /* BDFs from the virtfn<N> links, in N order */
        } sriov;

        char physfn[PCI_BDF_MAX]; /* the PF's BDF when this is a VF, "" otherwise */

        /* Not a PCI function: an mdev parent that is a platform or virtual device (the kernel's sample
         * drivers mbochs, mdpy, mtty; s390's vfio-ccw). bdf holds its device name; it comes and goes
         * with the parent's registration. */
        bool virtual_device;

        /* NVIDIA vendor-specific VFIO, when <dev>/nvidia/ exists (a VF of an Ada+ GPU) */
        bool nvidia_vfio;
        unsigned nvidia_current_type; /* nvidia/current_vgpu_type, 0 = none */

        /* links kept by the host */
        struct vgpu_gpu *pf;        /* the physical function when this is a VF and it is known */
        struct vgpu_parent *parent; /* this function as an mdev parent, if registered */
        unsigned n_instances;       /* live instances on this function (and, for a PF, its VFs) */
};

static inline bool vgpu_gpu_is_vf(const struct vgpu_gpu *g) {
        return g->physfn[0] != 0;
}

/* A type offered by one parent (an mdev type directory; later also VF,
 * vendor-VFIO and RPC types). */
struct vgpu_type {
        char *id; /* raw id: "nvidia-231", "i915-GVTg_V5_4" */
        enum vgpu_backend_kind backend;
        struct vgpu_parent *parent;

        /* as the driver reports them */
        char *name;         /* vendor name ("GRID T4-2Q"), NULL if the driver has none */
        char *description;  /* raw description, NULL if none */
        char *device_api;   /* "vfio-pci" */
        unsigned available; /* available_instances, live */

        /* parsed by the vendor rules (vendor.h); 0/NULL = unknown */
        const struct vendor_ops *vendor;
        char *parse_error; /* why name/description could not be parsed, NULL if fine */
        uint64_t framebuffer_mb;
        unsigned heads;
        unsigned max_width, max_height;
        unsigned max_instances;
        char *board;     /* NVIDIA board ("T4") */
        char series[12]; /* NVIDIA series as the name writes it ("Q", "B4"), "" otherwise */
        bool mig;        /* NVIDIA MIG-backed */
        unsigned weight; /* GVT-g scheduling weight */

        /* normalized aliases that do not depend on the other types of the host */
        char **aliases;
        /* the board-less alias ("grid-2q"), usable only when no other group claims it */
        char *boardless_alias;

        struct vgpu_type_group *group;
};

/* One user-facing type: every parent's vgpu_type with the same identity
 * (backend and vendor name, or raw id when there is no name). */
struct vgpu_type_group {
        char *key; /* "mdev:GRID T4-2Q", stable for the group's life */
        enum vgpu_backend_kind backend;
        struct vgpu_type **types; /* members, ordered by parent name */
        size_t n_types;
        char **aliases;     /* normalized aliases that resolve to this group on this host */
        unsigned available; /* sum over members */
};

/* The first member's view: the id, name and parsed fields are the same for all members. */
static inline const struct vgpu_type *vgpu_type_group_first(const struct vgpu_type_group *g) {
        return g->types[0];
}

/* Where instances are made: an mdev parent (an entry of /sys/class/mdev_bus), or a PCI function
 * that is an instance itself: a VF passed through whole (vf), a VF with NVIDIA vendor-specific
 * VFIO (nvidia-vfio). One name space: a function that registers as an mdev parent is one. */
struct vgpu_parent {
        char *name; /* device name, a BDF for PCI parents */
        enum vgpu_backend_kind backend;
        struct vgpu_type **types; /* ordered by id */
        size_t n_types;
        /* vf, nvidia-vfio: the instance (UUID) this function is kept for (host_claim_device), "" if none */
        char reserved_by[UUID_STRING_MAX];
        /* vf: bound to vfio-pci on request and kept for no instance (backend function_held): placement
         * takes it only for a create that names it */
        bool held;

        /* links kept by the host */
        struct vgpu_gpu *device; /* this parent as a PCI display function, NULL if it is none */
        struct vgpu_gpu *gpu;    /* the physical GPU it belongs to: device, or device's PF */
        unsigned n_instances;
};

/* A vGPU instance that exists on the host now: for mdev /sys/bus/mdev/devices/<uuid>; for vf a
 * function bound to vfio-pci that vgpud keeps for the UUID; for nvidia-vfio a VF with a vGPU type
 * (named by the UUID vgpud keeps it for, or by one derived from its address when vgpud did not
 * make it: uuid_derive()). */
struct vgpu_instance {
        char uuid[UUID_STRING_MAX];
        enum vgpu_backend_kind backend;
        char *device;      /* vf, nvidia-vfio: the PCI function (also the parent); NULL for mdev */
        char *parent_name; /* parent device name */
        char *type_id;     /* raw type id */
        int iommu_group;   /* -1 if none */
        char *driver;      /* bound driver ("vfio_mdev"), NULL if none */

        /* links kept by the host; NULL while the parent or type is not known */
        struct vgpu_parent *parent;
        struct vgpu_type *type;
        struct vgpu_gpu *gpu; /* physical GPU */
};

const char *vgpu_type_display_name(const struct vgpu_type *t);
