/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One reader of D-Bus a{sv} dictionaries for vgpud and vgpuctl: a table of
 * the keys expected, the signature each value must have inside its variant
 * and how to read it (the a{sv} counterpart of json-codec.h). It is linked
 * into both programs (not into libvgpu, which has no sd-bus).
 *
 * What the table does not expect is met one of two ways:
 *   - BUS_DICT_STRICT, for a method's options: an unknown key or a value of
 *     the wrong type stops the walk before anything is done, and the problem
 *     says which (daemon/bus-options.h turns it into InvalidArgs);
 *   - otherwise, for properties and for replies of other programs (the bus's
 *     credentials, a newer vgpud's properties): the entry is skipped, so a
 *     peer with more keys, or another type for one, still works.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

typedef struct BusDictField BusDictField;

/* Read the value (all of it) with m inside the variant of f; obj is the struct being filled. */
typedef int (*bus_dict_read_t)(sd_bus_message *m, const BusDictField *f, void *obj);

struct BusDictField {
        const char *key;
        const char *signature; /* of the value inside the variant */
        bus_dict_read_t read;  /* bus_dict_read(): one of the readers below, or the caller's */
        size_t offset;         /* of the member in obj */
        size_t count_offset;   /* readers that fill a vector: its size_t count */
};

typedef enum BusDictFlags {
        BUS_DICT_STRICT = 1 << 0, /* unknown key or wrong type: -EINVAL with the problem, not skipped */
} BusDictFlags;

typedef enum BusDictProblemKind {
        BUS_DICT_OK,
        BUS_DICT_UNKNOWN_KEY,
        BUS_DICT_WRONG_TYPE,
} BusDictProblemKind;

typedef struct BusDictProblem {
        BusDictProblemKind kind;
        const char *key; /* in the message: valid as long as it is */
        size_t index;    /* WRONG_TYPE: the field whose signature the value lacks */
} BusDictProblem;

/* Called with m inside the variant of fields[index]; reads the value (all of it). */
typedef int (*bus_dict_visit_t)(sd_bus_message *m, size_t index, void *userdata);

/* Walk the a{sv} at m (n fields, at most 64, their keys distinct). For each entry whose key is in fields and
 * whose value has its signature, call visit. ret_seen (optional): bit i set when fields[i] was read.
 * ret_problem (optional) is set with -EINVAL in strict mode; any other error is visit's or the message's. */
int bus_dict_walk(sd_bus_message *m, const BusDictField *fields, size_t n, BusDictFlags flags,
                  bus_dict_visit_t visit, void *userdata, BusDictProblem *ret_problem, uint64_t *ret_seen);

/* The declarative form: fields[i].read(m, &fields[i], obj) for each entry. */
int bus_dict_read(sd_bus_message *m, const BusDictField *fields, size_t n, BusDictFlags flags, void *obj,
                  BusDictProblem *ret_problem, uint64_t *ret_seen);

/* Readers for fields. */
int bus_dict_read_string(sd_bus_message *m, const BusDictField *f,
                         void *obj);                                         /* s, o, g: char *, replaced */
int bus_dict_read_bool(sd_bus_message *m, const BusDictField *f, void *obj); /* b: bool */
/* y q u i n x t d h: the value as D-Bus has it (uint8_t, uint16_t, uint32_t, int32_t, ...), into a member of
 * that type */
int bus_dict_read_basic(sd_bus_message *m, const BusDictField *f, void *obj);
int bus_dict_read_strv(sd_bus_message *m, const BusDictField *f, void *obj); /* as, ao: char **, replaced */
/* au: uint32_t * (malloc'ed, replaced) and its count at count_offset */
int bus_dict_read_u32_array(sd_bus_message *m, const BusDictField *f, void *obj);
