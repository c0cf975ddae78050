/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parser for the `description` of Intel GVT-g mdev types
 * ("low_gm_size: 128MB\nhigh_gm_size: 512MB\nfence: 4\nresolution: 1920x1200\nweight: 4\n").
 * Input from outside the process: malformed text is -EINVAL/-ERANGE, never a crash.
 */
#pragma once

#include <stdint.h>

#include "macro.h"

enum {
        GVTG_DESC_LOW_GM = 1 << 0,
        GVTG_DESC_HIGH_GM = 1 << 1,
        GVTG_DESC_FENCE = 1 << 2,
        GVTG_DESC_RESOLUTION = 1 << 3,
        GVTG_DESC_WEIGHT = 1 << 4,
};

struct gvtg_description {
        unsigned present; /* GVTG_DESC_* bits of the fields found */
        uint64_t low_gm_mb, high_gm_mb;
        unsigned fence;
        unsigned width, height;
        unsigned weight;
};

/* "key: value" lines (", " also separates, as mdevctl prints them); unknown
 * keys are skipped, at least one known key must be present. */
int gvtg_parse_description(const char *s, struct gvtg_description *ret);
