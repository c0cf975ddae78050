/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgpu-sim's object model: the simulated host's PCI functions, drivers, IOMMU
 * groups and mediated devices, built from a profile and kept in one structure
 * under one mutex. Every FUSE operation takes the mutex, resolves its path in
 * the tree (node.h) and calls the show/store of the owning object, so each
 * write is a synchronous store() as in the kernel. Only injected latency is
 * spent outside the mutex, so reads proceed while a slow write is in flight.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "node.h"
#include "profile.h"

struct sim;
struct pci_dev;
struct mdev_parent;

/* A PCI driver's behaviour: the kernel's struct pci_driver, as an ops table per driver kind. */
struct pci_driver_ops {
        /* Static id table match (driver_override and dynamic ids are handled by the bus). */
        bool (*match)(const struct pci_dev *dev);
        /* Claim the device; return 0, or -errno to refuse it (the bind fails with that errno). */
        int (*probe)(struct sim *sim, struct pci_dev *dev);
        void (*remove)(struct sim *sim, struct pci_dev *dev);
        /* Enable (n > 0) or disable (n == 0) VFs; NULL: the driver has no sriov_configure. */
        int (*sriov_configure)(struct sim *sim, struct pci_dev *dev, unsigned n);
        /* probe() enables the device (pci_enable_device); vfio-pci only does when a user opens it. */
        bool enables;
};

struct pci_dynid {
        uint32_t vendor, device, subvendor, subdevice, class, class_mask;
        struct pci_dynid *next;
};

struct pci_driver {
        char *name;   /* "vfio-pci" */
        char *module; /* "vfio_pci" */
        const struct pci_driver_ops *ops;
        struct pci_dynid *dynids;
        struct node *dir;
        struct pci_driver *next;
};

struct iommu_group {
        unsigned id;
        unsigned members;
        struct node *dir, *devices;
};

/* Per physical GPU vGPU accounting: NVIDIA's type narrowing, GVT-g's resource pool. */
struct gpu_state {
        const struct vgpu_type *current; /* type of the vGPUs that exist (NVIDIA), NULL when none */
        unsigned created;                /* vGPUs on this GPU */
        unsigned low_free_mb, high_free_mb, fence_free; /* GVT-g */
};

struct pci_dev {
        char name[16]; /* "0000:3b:00.0" */
        unsigned domain, bus, devfn;
        uint16_t vendor, device, subvendor, subdevice;
        uint32_t class;
        uint8_t revision;
        const struct dev_spec *spec; /* a VF points at its PF's spec */
        struct node *dir;
        struct pci_driver *driver;
        char *driver_override;
        struct iommu_group *group;
        /* SR-IOV */
        struct pci_dev *physfn;
        unsigned vf_index;
        struct pci_dev **vfs;
        unsigned numvfs;
        bool autoprobe;
        /* vGPU state */
        struct mdev_parent *parent;      /* registered mdev parent, if the bound driver made one */
        struct gpu_state gpu;            /* PF (physical GPU) only */
        const struct vgpu_type *vf_vgpu; /* NVIDIA vendor-specific VFIO: the VF's current type */
        bool open;                       /* the VFIO device is open (a VM holds it) */
        unsigned char config[4096];
        size_t config_size;
        struct pci_dev *next, *prev;
};

struct mdev_type;
struct mdev {
        char name[37]; /* lower-case UUID */
        struct mdev_type *type;
        struct iommu_group *group;
        struct node *dir;
        bool open;
        bool bound;      /* bound to the mdev driver (DRIVER= in its uevent) */
        bool active;     /* created to the end (its type linked): only then can it be removed */
        uint64_t serial; /* tells it from a later mdev of the same name (sim->mdev_serial) */
        struct mdev *next, *prev;
};

/*
 * Behaviour of a vendor's mdev parent: how many fit, and what a create/remove costs. A driver
 * without available/create leaves the count to the mdev core (the kernel's mdev_driver without
 * get_available): the parent's max_instances for all its types together, EUSERS when none is left.
 */
struct mdev_parent_ops {
        const char *driver; /* the parent's driver */
        unsigned (*available)(struct sim *sim, struct mdev_type *t);
        int (*create)(struct sim *sim, struct mdev_type *t);   /* reserve; -errno refuses */
        void (*destroy)(struct sim *sim, struct mdev_type *t); /* release */
        int (*remove_check)(struct sim *sim, struct mdev *m);  /* -EBUSY while in use */
        /* NULL, or returning -ENOENT for a type: no description file (mtty has none). */
        int (*description)(const struct vgpu_type *t, char *buf, size_t size);
};

struct mdev_type {
        struct mdev_parent *parent;
        const struct vgpu_type *type;
        struct node *dir, *devices;
};

struct mdev_parent {
        struct pci_dev *dev;     /* NULL for a virtual parent */
        struct node *dir;        /* the parent device's directory */
        char name[64];           /* its name in /sys/class/mdev_bus */
        const char *mdev_driver; /* the mdev bus driver its devices bind to ("vfio_mdev", "mtty") */
        unsigned max_instances;  /* core-counted parents */
        void *driver_data;       /* the vendor's own state (a virtual parent's pool) */
        struct pci_dev *gpu;     /* the physical GPU whose resources the types share */
        const struct mdev_parent_ops *ops;
        struct mdev_type *types;
        size_t n_types;
        unsigned n_created; /* mdevs on this parent */
};

/* Fault injection on writes: fail the next count writes with an errno, or delay them. */
struct fault {
        char *path; /* "/bus/pci/drivers/vfio-pci/bind" inside the tree, or "*" */
        int error;  /* errno to fail with, 0 for latency only */
        unsigned count;
        unsigned latency_ms;
        struct fault *next;
};

/* A virtual (non-PCI) device that is an mdev parent: /sys/devices/virtual/<name>/<name>. */
struct virt_dev {
        const struct parent_spec *spec;
        struct node *dir;
        struct mdev_parent *parent;
        unsigned pool_free; /* driver-counted: units left */
        struct virt_dev *next;
};

struct sim {
        pthread_mutex_t lock;
        pthread_cond_t changed; /* broadcast when a device is released or the model is rebuilt */
        struct profile *profile;
        char *profile_dir;
        struct node *root;
        struct pci_dev *devs, *devs_tail;
        struct mdev *mdevs;
        unsigned n_mdevs;
        struct virt_dev *virts;
        struct pci_driver *drivers;
        struct iommu_group **groups; /* indexed by id */
        unsigned n_groups;
        bool *unplugged; /* per profile function: taken out with ctl unplug (rescan does not find it) */
        bool *reserved;  /* group ids the profile gives to its functions */
        unsigned n_reserved;
        unsigned group_hint; /* no free id below this */
        struct fault *faults;
        /* ctl mdev-settle: how long a new mdev stays announced and bound but without its type links, the
         * window Linux's mdev_device_create() leaves between device_add() and mdev_create_sysfs_files() */
        unsigned mdev_settle_ms;
        uint64_t mdev_serial;
        uint64_t generation; /* bumped by every rebuild (reboot, profile load) */
        uint64_t seqnum;
        int uevent_fd;
        char *udev_db;          /* udev's database directory (/run/udev/data), NULL outside a namespace */
        bool quiet;             /* no uevents while powering on */
        bool caller_privileged; /* the current FUSE request comes from uid 0 (set under the lock) */
        char host_cpu[3][64];   /* /sys/devices/system/cpu/{online,possible,present} of the real host */
};

/* sim.c: life of the whole model */
int sim_new(const char *profile_dir, const char *profile_name, struct sim **ret);
void sim_free(struct sim *sim);
/* Rebuild from a profile (NULL: the current one): the host's power-on state. */
int sim_power_on(struct sim *sim, const char *profile_name);
/* Plug one function of the profile in (power-on or hot re-add): add, bind, enable its VFs. */
int sim_plug(struct sim *sim, const struct dev_spec *spec);

/* pci.c */
struct pci_dev *pci_dev_add(struct sim *sim, const struct dev_spec *spec, const char *name,
                            struct pci_dev *physfn, unsigned vf_index);
void pci_dev_remove(struct sim *sim, struct pci_dev *dev);
struct pci_dev *pci_dev_find(struct sim *sim, const char *name); /* sysfs_streq on names */
char *pci_dev_uevent_env(struct pci_dev *dev);
/* Mirror VF enable and NumVFs into the PF's SR-IOV capability. */
void pci_config_set_numvfs(struct pci_dev *pf, unsigned n);

/* driver.c */
void pci_drivers_register(struct sim *sim);
struct pci_driver *pci_driver_find(struct sim *sim, const char *name);
bool pci_driver_matches(const struct pci_driver *drv, const struct pci_dev *dev);
int pci_dev_bind(struct sim *sim, struct pci_dev *dev, struct pci_driver *drv);
void pci_dev_unbind(struct sim *sim, struct pci_dev *dev);
/* device_attach(): the first matching driver that accepts the device, or none. */
void pci_dev_attach(struct sim *sim, struct pci_dev *dev);
void pci_drivers_free(struct sim *sim);
bool pci_dev_can_probe(const struct pci_dev *dev);

/* iommu.c */
struct iommu_group *iommu_group_get(struct sim *sim, int id); /* -1: lowest free id */
void iommu_group_add(struct sim *sim, struct iommu_group *g, struct node *dev_dir, const char *name);
void iommu_group_del(struct sim *sim, struct iommu_group *g, struct node *dev_dir, const char *name);

/* sriov.c */
void sriov_init(struct sim *sim, struct pci_dev *pf);
int sriov_enable(struct sim *sim, struct pci_dev *pf, unsigned n);
void sriov_disable(struct sim *sim, struct pci_dev *pf);

/* mdev.c */
int mdev_parent_register(struct sim *sim, struct pci_dev *dev, struct pci_dev *gpu,
                         const struct mdev_parent_ops *ops, const struct type_catalog *types);
void mdev_parent_unregister(struct sim *sim, struct pci_dev *dev);
/* A virtual device and its mdev parent (sim.c at power-on); unregistered and freed with the model. */
void virt_parents_add(struct sim *sim);
void virt_parents_remove(struct sim *sim);
int mdev_remove(struct sim *sim, struct mdev *m);
struct mdev *mdev_find(struct sim *sim, const char *uuid);

/* vendor-nvidia.c, vendor-gvtg.c */
extern const struct mdev_parent_ops nvidia_mdev_ops;
extern const struct mdev_parent_ops gvtg_mdev_ops;
extern const struct mdev_parent_ops sample_mdev_ops;      /* mtty, mbochs: the driver counts */
extern const struct mdev_parent_ops sample_core_mdev_ops; /* mdpy: the mdev core counts */
void nvidia_vfio_register(struct sim *sim, struct pci_dev *vf);
void nvidia_vfio_unregister(struct sim *sim, struct pci_dev *vf);
int nvidia_sriov_release_check(struct sim *sim, struct pci_dev *pf);

/* uevent.c */
int uevent_open(struct sim *sim);
/* Send ACTION for the device directory dir, with its uevent keys and extra "KEY=VALUE\n" lines. */
void uevent_send(struct sim *sim, struct node *dir, const char *action, const char *extra);
/* The store() of a uevent file: "add|change|... [UUID [KEY=VALUE...]]". */
int uevent_synth(struct sim *sim, struct node *dir, const char *buf, size_t len);

/* udev-db.c: returns the device's USEC_INITIALIZED */
unsigned long long udev_db_update(struct sim *sim, struct node *dir, const char *action);
void udev_db_coldplug(struct sim *sim);

/* control.c: /sys/kernel/debug/vgpu-sim */
void control_init(struct sim *sim);
/* Consult the fault table for a write to path: fill latency, return -errno to fail now. */
int fault_check(struct sim *sim, const char *path, unsigned *latency_ms);
void faults_clear(struct sim *sim);

/* Paths inside the tree: "/devices/pci0000:3b/0000:3b:00.0" */
char *pci_dev_path(const struct pci_dev *dev);
