/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgpud's configuration, /etc/vgpud/vgpud.conf (ini syntax, read with inih).
 * Every key has a default and is documented in vgpud.conf(5) (man/
 * vgpud.conf.5); the table of keys in config-file.c is the single source the
 * parser, the defaults and the documentation test use. Anything wrong — an
 * unknown section or key, a bad value, a key given twice, a syntax error —
 * stops start-up with "file:line: what is wrong".
 *
 * [rpc] and [rpc-type NAME] sections describe the mediation engine's
 * catalogue (software GPUs and the RPC-mode types they offer); they are
 * parsed here into plain structs the engine consumes.
 */
#pragma once

#include <stdint.h>

#include "error.h"
#include "model.h"
#include "placement.h"
#include "quota.h"

#define CONFIG_FILE "/etc/vgpud/vgpud.conf"

struct vgpu_rpc_type {
        char *id;               /* NAME of [rpc-type NAME]: the raw type id */
        char *name;             /* display name; defaults to the id */
        uint64_t vram_bytes;    /* the instance's VRAM (BAR2) */
        unsigned share;         /* percent of engine time, 1..100; 0 = best effort */
        unsigned max_instances; /* per software GPU */
        unsigned weight;        /* the instances' weight under the weighted policy */
        /* PCI identity of its instances (the engine's defaults: 1af4:10f0, subsystem 1af4:0001, 0x038000) */
        unsigned vendor_id, device_id, subsystem_vendor_id, subsystem_id, class_code;
        bool vram_mmap; /* BAR2 offered for mmap (QEMU then posts no BAR write) */
        unsigned line;  /* where the section starts, for later messages */
};

/* [rpc] socket_group's default: the group libvirt runs QEMU as on Debian and Ubuntu (the user
 * libvirt-qemu is in it). Used when that group exists; without it the sockets stay in vgpud's own
 * group, where any other value must name an existing group. */
#define RPC_SOCKET_GROUP_DEFAULT "libvirt-qemu"

struct vgpu_rpc_config {
        bool enabled;
        char *socket_dir;
        unsigned gpus;            /* number of software GPUs (engines) */
        char *policy;             /* the engines' scheduling policy (quota.h names) */
        uint64_t time_slice_usec; /* 0: the engine's default (2 ms up to 8 instances, 1 ms above) */
        char *socket_group;       /* group of the sockets ("" = vgpud's own; see RPC_SOCKET_GROUP_DEFAULT) */
        struct vgpu_rpc_type *types;
        size_t n_types;
};

/* [gpu ADDRESS]: what an administrator fixed for one physical GPU. Checked against the GPU's vendor
 * only when vgpud knows the GPU (its rules are quota.h's), so a section for an absent GPU is kept. */
struct vgpu_gpu_config {
        char address[PCI_BDF_MAX];   /* normalized, "0000:3b:00.0" */
        enum sched_policy scheduler; /* _SCHED_POLICY_INVALID: the vendor's default */
        uint64_t time_slice_usec;    /* 0: the vendor's default; whole milliseconds */
        unsigned averaging_factor;   /* NVIDIA strict round robin; 0: unset */
        unsigned frequency_hz;       /* NVIDIA strict round robin; 0: unset */
        unsigned line;               /* where the section starts, for later messages */
};

#define PCI_ID_LIST_MAX 64
struct pci_id_list {
        uint32_t *ids; /* vendor << 16 | device (pci_id_parse()) */
        size_t n;
};

struct vgpu_config {
        char *path; /* the file read; NULL for built-in defaults */

        /* [vgpud] */
        char *state_dir;
        char *admin_group;          /* "" = root only */
        int log_level;              /* syslog priority */
        struct pci_id_list pci_ids; /* PCI functions managed as GPUs besides display/accelerator classes */

        /* [placement] */
        enum placement_policy placement_policy;

        /* [mdevctl] */
        char *mdevctl_dir;
        bool mdevctl_read;
        bool mdevctl_write;

        /* [vfio] */
        char *driverctl_dir; /* persistent bindings, in driverctl's format (driverctl.h) */

        /* [autostart] */
        uint64_t autostart_initial_delay_usec;
        uint64_t autostart_max_delay_usec;
        uint64_t autostart_backoff_milli; /* multiplier × 1000 */
        uint64_t autostart_give_up_usec;  /* 0 = never */

        struct vgpu_rpc_config rpc;

        /* [libvirt] */
        char *libvirt_uri;
        uint64_t libvirt_refresh_usec; /* how often the domain list is read; 0 = never */
        char *libvirt_watch_user;      /* the reader runs as this user when vgpud is root; "" = root */

        /* [gpu ADDRESS] sections */
        struct vgpu_gpu_config *gpus;
        size_t n_gpus;
};

/* The [gpu ADDRESS] section of a GPU (address normalized), or NULL. */
const struct vgpu_gpu_config *config_find_gpu(const struct vgpu_config *c, const char *address);
/* Its scheduler settings (policy, slice, ...) over the vendor's defaults in *s. */
void gpu_config_apply(const struct vgpu_gpu_config *g, struct sched_settings *s);

/* Built-in defaults. */
int config_new_defaults(struct vgpu_config **ret);
/* Read path over the defaults. A missing file is -ENOENT (the daemon treats
 * a missing default file as "all defaults"). Any error: -EINVAL (or the
 * errno of the read) with err->message "path:line: what is wrong". */
int config_load(const char *path, struct vgpu_config **ret, struct vgpu_error *err);
/* The same for text in memory; name is what messages call the file. */
int config_parse_string(const char *text, const char *name, struct vgpu_config **ret,
                        struct vgpu_error *err);
void config_free(struct vgpu_config *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct vgpu_config *, config_free);

/* The key table, for documentation and tests. section "rpc-type" stands for [rpc-type NAME], "gpu" for
 * [gpu ADDRESS]. */
struct config_key_info {
        const char *section;
        const char *key;
        const char *default_value; /* as written in the file; NULL when there is none (required) */
};
const struct config_key_info *config_key_info(size_t *ret_n);

/* The effective configuration as a vgpud.conf text (every key, defaults included). */
int config_format(const struct vgpu_config *c, char **ret);
