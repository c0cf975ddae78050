/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host model: every GPU, parent (mdev parents, and VFs passed through
 * whole or with NVIDIA vendor VFIO), type and live instance on this machine, kept in memory so that readers
 * (vgpuctl list, D-Bus properties) never rescan sysfs. A full scan (host_scan) enumerates with libudev;
 * after that the daemon keeps the model current by handing each uevent to host_handle_uevent(), or by
 * calling the refresh functions itself after an operation it performed. Lookups by BDF, parent name, UUID,
 * group key and type alias are hash lookups.
 *
 * Every change is announced through the event callback, so the daemon can
 * add, update and drop its D-Bus objects: ADDED after an object is in the
 * model, CHANGED after its fields changed, REMOVED while it is still valid
 * and just before it is freed.
 *
 * Single-threaded: the host belongs to the thread that owns the event loop.
 */
#pragma once

#include "error.h"
#include "model.h"

struct strmap;
struct alias_slot;
struct udev;
struct udev_device;
struct udev_hwdb;

enum host_event {
        HOST_EVENT_ADDED,
        HOST_EVENT_CHANGED,
        HOST_EVENT_REMOVED,
};

enum host_object {
        HOST_OBJECT_GPU,        /* struct vgpu_gpu */
        HOST_OBJECT_PARENT,     /* struct vgpu_parent */
        HOST_OBJECT_TYPE,       /* struct vgpu_type (one parent's) */
        HOST_OBJECT_TYPE_GROUP, /* struct vgpu_type_group */
        HOST_OBJECT_INSTANCE,   /* struct vgpu_instance */
};

struct vgpu_host;
typedef void (*host_event_fn)(struct vgpu_host *h, enum host_event ev, enum host_object kind, void *object,
                              void *userdata);
typedef void (*host_parent_fn)(struct vgpu_host *h, struct vgpu_parent *parent, void *userdata);
struct mdev_available;

struct vgpu_host {
        char *sysfs_root;  /* SYSFS_ROOT unless a test says otherwise */
        char *binding_dir; /* host_set_binding_dir(); NULL: none */

        /* sorted: GPUs by BDF, parents by name, instances by UUID, groups by key */
        struct vgpu_gpu **gpus;
        size_t n_gpus;
        struct vgpu_parent **parents;
        size_t n_parents;
        struct vgpu_instance **instances;
        size_t n_instances;
        struct vgpu_type_group **groups;
        size_t n_groups;

        /* private */
        struct strmap *gpu_by_bdf, *parent_by_name, *instance_by_uuid, *group_by_key, *alias_index;
        struct strmap *instance_by_device;              /* vf/nvidia-vfio instances by PCI function */
        struct strmap *claim_by_uuid, *claim_by_device; /* host_claim_device() */
        struct strmap *vfio_type_names;                 /* NVIDIA vendor-VFIO type names per GPU */
        struct alias_slot *alias_slots;
        host_event_fn on_event;
        void *userdata;
        struct udev *udev; /* for the hardware database; made on first use */
        struct udev_hwdb *hwdb;
        bool links_dirty;
        host_parent_fn on_availability_stale; /* host_set_availability_handler() */
        void *availability_userdata;
        /* Bumped whenever a parent's types are read whole (with their availability): a caller that read
         * availability elsewhere and finds it changed since knows its numbers may be older than the
         * model's. */
        unsigned long types_generation;
        /* The availability attributes kept open for re-reading (attr-cache.h), shared with the threads
         * that refresh availability (mdev_read_availability()). */
        struct attr_cache *avail_cache;
        /* PCI functions managed besides display and accelerator classes (vendor << 16 | device) */
        uint32_t *pci_ids;
        size_t n_pci_ids;
        char **unsettled; /* host_unsettled() */
};

/* Which PCI functions are GPUs: display-class (0x03) and processing-accelerator (0x12) functions, the
 * vendor:device pairs given here (ids as pci_id_parse() makes them), and the VFs of any of them. Takes
 * effect for what is read from then on: call it before host_scan(). */
int host_set_pci_ids(struct vgpu_host *h, const uint32_t *ids, size_t n);

/* Where vgpud notes the functions it bound to vfio-pci for whole-VF instances (backend_ctx.binding_dir):
 * a claimed function is that instance only while its note says so (backend-vf.c). NULL: none, the
 * function's driver alone decides. Call it before host_scan(). */
int host_set_binding_dir(struct vgpu_host *h, const char *dir);

/* An empty model over the given sysfs root (NULL: SYSFS_ROOT). */
int host_new(const char *sysfs_root, struct vgpu_host **ret);
void host_free(struct vgpu_host *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct vgpu_host *, host_free);

void host_set_event_handler(struct vgpu_host *h, host_event_fn fn, void *userdata);

/* By default an instance that appears, changes or goes makes the model re-read at once the
 * available_instances of every type on its physical GPU (one-type rule, shared pools). With a handler
 * set, the model reads nothing: it calls fn once per affected parent (after the change is announced)
 * and the caller reads the numbers when it likes (mdev_read_availability(), e.g. on a worker thread)
 * and hands them back with host_apply_availability(). Until then the parent's types keep their old
 * numbers: the caller must not place instances on them. */
void host_set_availability_handler(struct vgpu_host *h, host_parent_fn fn, void *userdata);
/* Set the availability of parent's types to numbers read elsewhere; entries with an error, and types or
 * a parent the model does not know (any more), are skipped. 1 if anything changed. */
int host_apply_availability(struct vgpu_host *h, const char *parent, const struct mdev_available *v,
                            size_t n);

/* Enumerate the host (PCI functions with libudev — udev may be NULL: one is
 * made —, mdev parents and devices from class/mdev_bus and bus/mdev/devices)
 * and add what is found: PCI display functions, mdev parents and their
 * types, mdev instances. A rescan also drops what is gone. Problems with single devices (a type directory
 * that vanished mid-scan, an unparsable attribute) are collected in problems, if given, and do not stop the
 * scan. */
int host_scan(struct vgpu_host *h, struct udev *udev, struct vgpu_error_list *problems);

/* Read sysfs again for one object; add, update or remove it to match.
 * Each returns 1 if the model changed, 0 if not, -errno on failure (the
 * model is unchanged then, except that a vanished object is removed). */
int host_refresh_gpu(struct vgpu_host *h, const char *bdf);
int host_refresh_parent(struct vgpu_host *h, const char *name);
int host_refresh_instance(struct vgpu_host *h, const char *uuid);
/* The mdevs that were there but not finished when last read (mdev_read_instance()'s -EAGAIN): the model
 * keeps each as it was (absent, or as read before) and lists it here, NULL-terminated (or NULL). No uevent
 * says when one is done; host_settle() reads them again: 1 if the model changed, or the first error (each
 * device that cannot be read is logged with its error and left out). */
char *const *host_unsettled(const struct vgpu_host *h);
int host_settle(struct vgpu_host *h);
/* Like host_refresh_instance() with an instance already read (mdev_read_instance(), e.g. on the worker
 * thread that created it): add it, or update the model's copy. Takes ownership of in, also on failure. */
int host_adopt_instance(struct vgpu_host *h, struct vgpu_instance *in);
/* Re-read available_instances of every type on the physical GPU (or lone
 * parent) that parent belongs to: a create or destroy changes the counts of
 * other types too (NVIDIA one-type rule, GVT-g shared pool). */
int host_refresh_availability(struct vgpu_host *h, struct vgpu_parent *parent);
/* Forget an object that is gone (a remove uevent). */
int host_remove_gpu(struct vgpu_host *h, const char *bdf);
int host_remove_parent(struct vgpu_host *h, const char *name);
int host_remove_instance(struct vgpu_host *h, const char *uuid);

/* A uevent, reduced to what the model needs. */
struct host_uevent {
        const char *action;     /* "add", "remove", "change", "bind", "unbind", "move" */
        const char *subsystem;  /* "pci", "mdev", "mdev_bus", ... */
        const char *sysname;    /* last component of the device path: BDF or UUID */
        const char *mdev_state; /* MDEV_STATE property, or NULL */
        const char *parent;     /* the component before sysname in the device path, or NULL */
};
/* Apply one uevent; events for devices the model does not track are ignored (0). */
int host_handle_uevent(struct vgpu_host *h, const struct host_uevent *ev);
int host_handle_udev_device(struct vgpu_host *h, struct udev_device *d);

/* Instances of the vf and nvidia-vfio backends are PCI functions, which carry no UUID: vgpud keeps
 * a function for an instance (the instance's definition names it, because the VM's configuration
 * names its address) and tells the model. A claimed function is reserved: its types show no room
 * for anyone else. Once the function is in the state the backend makes (vf: bound to vfio-pci;
 * nvidia-vfio: current_vgpu_type = type_id) the model shows it as the instance uuid. A vGPU on a VF
 * that nobody claimed is an instance too, named by uuid_derive("nvidia-vfio:<bdf>").
 * Claims are not in sysfs: the daemon makes them again from its records after a restart.
 * Returns 1 if the model changed, 0 if not; -EBUSY when another UUID claims the device. */
int host_claim_device(struct vgpu_host *h, const char *uuid, enum vgpu_backend_kind backend,
                      const char *device, const char *type_id);
/* Drop uuid's claim (0 when it had none). */
int host_release_device(struct vgpu_host *h, const char *uuid);
/* The function uuid claims, or NULL. */
const char *host_claimed_device(const struct vgpu_host *h, const char *uuid);

/* Lookups; names are normalized first (BDF without domain, upper-case UUID). */
struct vgpu_gpu *host_find_gpu(const struct vgpu_host *h, const char *bdf);
struct vgpu_parent *host_find_parent(const struct vgpu_host *h, const char *name);
struct vgpu_instance *host_find_instance(const struct vgpu_host *h, const char *uuid);
struct vgpu_type_group *host_find_group(const struct vgpu_host *h, const char *key);
/* The type with this raw id on this parent. */
struct vgpu_type *parent_find_type(const struct vgpu_parent *p, const char *type_id);

/* One type on one physical GPU, merged over the GPU's parents (itself and
 * its VFs): what the D-Bus API shows as /org/vgpud1/gpu/<id>/type/<id>. */
struct vgpu_gpu_type {
        const char *id; /* raw type id */
        struct vgpu_type_group *group;
        struct vgpu_type **members; /* one per parent, in parent order */
        size_t n_members;
        unsigned available; /* sum over the members */
};
/* The types of a physical GPU (or of a lone parent when gpu is NULL and
 * parent is given), sorted by id. Computed from the model; free with gpu_types_free(). */
int host_gpu_types(const struct vgpu_host *h, const struct vgpu_gpu *gpu, const struct vgpu_parent *parent,
                   struct vgpu_gpu_type **ret, size_t *ret_n);
void gpu_types_free(struct vgpu_gpu_type *v, size_t n);

/* Physical GPUs (not VFs), in BDF order: for (size_t i = 0; (g = host_next_physical_gpu(h, &i));) ... */
struct vgpu_gpu *host_next_physical_gpu(const struct vgpu_host *h, size_t *i);

/*
 * vgpud's software GPUs (the mediation engine's RPC parents) have no sysfs:
 * the daemon puts them into the model, each a GPU and a parent of the same
 * synthetic address in PCI domain ffff (which vgpud reserves; "ffff:01:00.0"
 * is software GPU 1), and their instances (backend rpc). Scans and refreshes
 * never read them back from sysfs nor drop them; host_remove_instance()
 * removes an RPC instance.
 */
#define HOST_SOFTWARE_DOMAIN "ffff"
bool host_is_software_address(const char *bdf);

struct host_software_type {
        const char *id, *name, *description;
        uint64_t framebuffer_mb;
        unsigned max_instances;
        unsigned available;
};
int host_add_software_gpu(struct vgpu_host *h, const char *bdf, const char *model_name,
                          const struct host_software_type *types, size_t n_types);
/* Add an RPC instance on a software parent (0 if it is there already). */
int host_set_software_instance(struct vgpu_host *h, const char *uuid, const char *parent,
                               const char *type_id);
/* Availability of a software type, which only the daemon knows. */
int host_set_type_available(struct vgpu_host *h, struct vgpu_type *t, unsigned available);
