/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A record: the definition of one vGPU instance that vgpud keeps (or reads
 * from mdevctl) — what to create, where, with which attributes, whether it
 * comes back after a reboot — as opposed to the live instance in the host
 * model. Records are JSON, one human-editable file per instance (store.h);
 * this file has the structure, its validation and its JSON form:
 *
 *   {
 *     "version": 1,
 *     "uuid": "3c8b…",                  the instance (and mdev) UUID
 *     "backend": "mdev",                mdev | vf | nvidia-vfio | rpc
 *     "type": "nvidia-231",             raw type id
 *     "type_name": "GRID T4-2Q",        vendor name when defined (optional)
 *     "parent": "0000:3b:00.0",         where it is created (optional: placed at start)
 *     "gpu": "0000:3b:00.0",            the physical GPU (optional)
 *     "persistent": true,
 *     "autostart": false,
 *     "attrs": [ { "name": "value" } ], vendor attributes, written in order
 *     "owner_domain": "vm1",            libvirt domain holding it (optional)
 *     "quota": { "share": 25 }          or { "weight": 4 } (optional)
 *   }
 *
 * Unknown keys and wrong types are errors that name the key: a typo in a
 * hand-edited file must not silently change what vgpud does.
 */
#pragma once

#include <stddef.h>

#include "attr.h"
#include "backend-kind.h"
#include "json-codec.h"
#include "model.h"

#define RECORD_VERSION 1

enum record_origin {
        RECORD_ORIGIN_VGPUD,   /* vgpud's state directory */
        RECORD_ORIGIN_MDEVCTL, /* /etc/mdevctl.d */
};

struct vgpu_record {
        char uuid[UUID_STRING_MAX];
        enum vgpu_backend_kind backend;
        char *type_id;
        char *type_name;
        char *parent;
        char gpu[PCI_BDF_MAX]; /* "" when unknown */
        bool persistent;
        bool autostart;
        struct vgpu_attr *attrs;
        size_t n_attrs;
        char *owner_domain;
        struct {
                int share;  /* percent of engine time, 1..100; -1 unset */
                int weight; /* relative weight, >= 1; -1 unset */
        } quota;
        enum record_origin origin; /* not stored: where it was read from */
};

int record_new(const char *uuid, enum vgpu_backend_kind backend, const char *type_id,
               struct vgpu_record **ret);
void record_free(struct vgpu_record *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct vgpu_record *, record_free);
int record_copy(const struct vgpu_record *r, struct vgpu_record **ret);
void records_free(struct vgpu_record **v, size_t n);

/* A sentence on what is wrong with r, or NULL when it is valid (or on OOM: *ret untouched, -ENOMEM). */
int record_check(const struct vgpu_record *r, char **ret_problem);

/* Pretty JSON text (ends with a newline). */
int record_to_json(const struct vgpu_record *r, char **ret);
/* Parse and validate. -EINVAL with *ret_error a sentence naming the key or
 * what is malformed ("truncated or not JSON: unexpected end of data"). */
int record_from_json(const char *text, size_t len, struct vgpu_record **ret, char **ret_error);

/* The "attrs" field of a record's table and of mdevctl's (json-codec.h CUSTOM): [{"name": "value"}, ...] in
 * order, at f->offset (struct vgpu_attr *) with its count at f->count_offset. */
int record_attrs_read(struct json_object *a, void *obj, const JsonField *f, const char *key,
                      char **ret_error);
int record_attrs_write(const void *obj, const JsonField *f, struct json_object **ret);
int record_attrs_check(const void *obj, const JsonField *f, const char *key, char **ret_problem);
#define RECORD_ATTRS_FIELD(fl)                                                                              \
        {                                                                                                   \
                .name = "attrs", .type = JSON_FIELD_CUSTOM, .flags = (fl),                                  \
                .offset = offsetof(struct vgpu_record, attrs),                                              \
                .count_offset = offsetof(struct vgpu_record, n_attrs), .read = record_attrs_read,           \
                .write = record_attrs_write, .check = record_attrs_check                                    \
        }
