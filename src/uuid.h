/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UUIDs as the kernel names mdevs: 36 characters, lower-case hex, dashes at
 * 8-4-4-4-12. Input from users may be upper-case; the kernel accepts that and
 * prints lower case, so we normalize before comparing or writing.
 */
#pragma once

#include "macro.h"

#define UUID_STRING_MAX 37

bool uuid_is_valid(const char *s);
/* Validate and lower-case into out; -EINVAL if s is not a UUID. */
int uuid_normalize(const char *s, char out[static UUID_STRING_MAX]);
/* A UUID that depends only on name (version 8): the same name gives the same UUID on every run.
 * Names things the host has no UUID for, e.g. a vGPU made outside vgpud on a VF. */
void uuid_derive(const char *name, char out[static UUID_STRING_MAX]);
/* A random (version 4) UUID from getrandom(). */
int uuid_generate_random(char out[static UUID_STRING_MAX]);
