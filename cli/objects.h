/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgpuctl's mirror of the daemon's objects, read with one
 * ObjectManager.GetManagedObjects call (docs/dbus-api.md): GPUs, types and
 * instances as plain structs. Properties are read through one descriptor
 * table per interface; properties this client does not know are skipped, so
 * a newer daemon with more properties still works with an older vgpuctl.
 */
#pragma once

#include <stdint.h>
#include <systemd/sd-bus.h>

#include "macro.h"

typedef struct StringPair {
        char *key;
        char *value;
} StringPair;

typedef struct Counter {
        char *name;
        uint64_t value;
} Counter;

typedef struct GpuInfo {
        char *path;
        char *id, *address, *vendor, *name, *driver, *hosted_type;
        uint16_t vendor_id, device_id;
        int32_t iommu_group;
        bool present;
        uint32_t sriov_total_vfs, sriov_num_vfs, sriov_configured_vfs;
        char *sriov_status;
        char **backends;
        char *scheduler_policy; /* NULL: not offered by this vgpud */
        char **types;           /* object paths */
        char **instances;       /* object paths */
} GpuInfo;

typedef struct TypeInfo {
        char *path;
        char *id, *gpu, *gpu_address, *backend, *name, *description, *max_resolution, *series, *device_api;
        char *unavailable_reason;
        char **aliases, **parents;
        uint64_t framebuffer_mib;
        uint32_t heads, max_instances, available;
} TypeInfo;

typedef struct InstanceInfo {
        char *path;
        char *uuid, *gpu, *gpu_address, *parent, *type, *type_name, *backend, *device, *state, *origin;
        char *start_status;
        char *owner, *owner_source; /* the libvirt domain that holds it ("" none); "hook" or "libvirt" */
        uint32_t share, weight;
        double configured_share, measured_share; /* percent; -1: n/a */
        int32_t iommu_group;
        bool persistent, autostart;
        StringPair *attributes;
        size_t n_attributes;
        /* Counters (engine): read by name when the daemon has them; none otherwise. */
        Counter *counters;
        size_t n_counters;
} InstanceInfo;

/* No IOMMU group, shares n/a (-1), everything else empty. */
void instance_info_init(InstanceInfo *i);
/* A counter by name, or false. */
bool instance_counter(const InstanceInfo *i, const char *name, uint64_t *ret);

typedef struct Objects {
        GpuInfo *gpus;
        size_t n_gpus;
        TypeInfo *types;
        size_t n_types;
        InstanceInfo *instances;
        size_t n_instances;
} Objects;

/* Parse a GetManagedObjects reply (a{oa{sa{sv}}}). Sorted: GPUs by address, types by GPU then
 * framebuffer then id, instances by GPU then UUID. */
int objects_parse(sd_bus_message *reply, Objects *ret);
/* Call GetManagedObjects on vgpud and parse it. */
int objects_fetch(sd_bus *bus, sd_bus_error *error, Objects *ret);
/* The objects of one interface only (VGPUD_GPU_IFACE, ...): Manager.GetObjects, so that a listing of the
 * GPUs does not carry every type and instance; GetManagedObjects from a vgpud without it. */
int objects_fetch_of(sd_bus *bus, const char *interface, sd_bus_error *error, Objects *ret);
void objects_done(Objects *o);

/* One instance's properties (Properties.GetAll on its object). */
int instance_fetch(sd_bus *bus, const char *path, sd_bus_error *error, InstanceInfo *ret);
void instance_info_done(InstanceInfo *i);

const GpuInfo *objects_gpu_by_path(const Objects *o, const char *path);
const InstanceInfo *objects_instance_by_uuid(const Objects *o, const char *uuid);
size_t strv_count(char *const *v);
