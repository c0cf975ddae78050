/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A desired state of the host's vGPUs, as `vgpuctl apply` reads it from YAML
 * (vgpud-apply(5)): NVIDIA vgpu-device-manager's configuration file read as
 * it is (`version: v1`, `vgpu-configs:` with named lists of entries, each
 * `devices` + `vgpu-devices: {TYPE: COUNT}`, optionally `device-filter`),
 * and vgpud's superset of it (devices by PCI address or GPU id, `model`,
 * `sriov-vfs`, `persistent`, `autostart`, `quota`). Pure: bytes in, a tree
 * or one message `file:line:column: what is wrong` out. The daemon resolves
 * the selections against the host (daemon/apply.c); nothing here knows it.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/* Limits that keep a hostile file from costing more than a real one ever would. */
#define DESIRED_STATE_MAX_BYTES (1U << 20)
#define DESIRED_STATE_MAX_NODES 100000U
#define DESIRED_STATE_MAX_COUNT 4096U /* instances of one type on one GPU */

struct desired_pos {
        unsigned line, column; /* 1-based, as editors count */
};

struct desired_type {
        struct desired_pos pos;
        char *name; /* as written: "A16-2Q", "nvidia-687", "grid-2q" */
        unsigned count;
};

/* One selected device as written: an index (NVIDIA's form), or a PCI address / GPU id (vgpud's). */
struct desired_device {
        struct desired_pos pos;
        bool is_index;
        unsigned index;
        char *name; /* address or id when !is_index */
};

struct desired_entry {
        struct desired_pos pos;
        bool all_devices; /* devices: all */
        struct desired_device *devices;
        size_t n_devices;
        char **device_filter; /* NVIDIA device ids, "0x25B610DE" (device << 16 | vendor) */
        char *model;          /* vgpud: a substring of the GPU's name, case-insensitive */
        struct desired_type *types;
        size_t n_types;
        int sriov_vfs;             /* vgpud: -1 when not given */
        int persistent, autostart; /* vgpud: -1 when not given (the daemon's default: yes) */
        unsigned share, weight;    /* vgpud quota of every instance the entry makes: 0 when not given */
};

struct desired_config {
        struct desired_pos pos;
        char *name;
        struct desired_entry *entries;
        size_t n_entries;
};

struct desired_state {
        char *source; /* the file name the positions refer to */
        struct desired_config *configs;
        size_t n_configs;
        bool uses_vgpud_keys; /* any key beyond NVIDIA's format */
};

/* Parse size bytes of YAML read from source (a name for messages). On error returns -EINVAL (or -ENOMEM,
 * -E2BIG) and sets *ret_error to "source:line:column: what is wrong". */
int desired_state_parse(const char *source, const char *data, size_t size, struct desired_state **ret,
                        char **ret_error);
void desired_state_free(struct desired_state *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct desired_state *, desired_state_free)

/* The configuration called name; NULL name: the only one, else the one called "default". -ENOENT with
 * *ret_error listing the names there are. */
int desired_state_select(const struct desired_state *s, const char *name, const struct desired_config **ret,
                         char **ret_error);

/* Parse NVIDIA's device id "0xDDDDVVVV" (device << 16 | vendor; "0x" optional, hex). */
int desired_device_id_parse(const char *s, uint16_t *ret_vendor, uint16_t *ret_device);
