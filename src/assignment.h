/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which libvirt domain holds which vGPU instance, as the libvirt hook told
 * vgpud (Manager.AcquireForDomain at `prepare begin`), and whether vgpud
 * started the instance for that domain, so that `release end` stops exactly
 * what was started and nothing else. Kept as one JSON file in the runtime
 * directory (/run/vgpud/domains.json), replaced atomically: it survives a
 * restart of vgpud and goes with a reboot, when no VM can hold anything.
 *
 *   { "version": 1,
 *     "assignments": [ { "uuid": "c2177883-…", "domain": "vm1", "started": true } ] }
 *
 * Loading refuses unknown keys, wrong types, a UUID given twice and domain
 * names libvirt would not accept, with a sentence naming what is wrong.
 */
#pragma once

#include "error.h"
#include "uuid.h"

#define ASSIGNMENTS_FILE    "domains.json"
#define ASSIGNMENTS_VERSION 1
#define ASSIGNMENTS_MAX     (4 * 1024 * 1024)
#define DOMAIN_NAME_MAX     1024

struct assignment {
        char uuid[UUID_STRING_MAX];
        char *domain;
        bool started; /* vgpud started it at the domain's prepare: release stops it */
};

/* A name libvirt accepts for a domain and vgpud can show: 1..1024 bytes of printable UTF-8, no '/'. */
bool domain_name_is_valid(const char *name);

int assignments_to_json(const struct assignment *v, size_t n, char **ret);
int assignments_from_json(const char *text, size_t len, struct assignment **ret, size_t *ret_n,
                          char **ret_error);

/* Write path atomically. */
int assignments_save(const char *path, const struct assignment *v, size_t n, struct vgpu_error *err);
/* -ENOENT when there is no file; -EINVAL (err says why, with the path) when it is corrupt. */
int assignments_load(const char *path, struct assignment **ret, size_t *ret_n, struct vgpu_error *err);

void assignments_free(struct assignment *v, size_t n);
