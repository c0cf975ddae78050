/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parsers for what the NVIDIA vGPU driver writes into sysfs: the type `name`
 * ("GRID T4-2Q", "NVIDIA A100-4-20C"), the type `description`
 * ("num_heads=4, frl_config=60, framebuffer=2048M, max_resolution=7680x4320,
 * max_instance=12") and the vendor-specific VFIO `creatable_vgpu_types` table.
 * These strings come from outside the process (and are fuzzed): any malformed
 * input is -EINVAL (or -ERANGE for numbers too big), never a crash, and the
 * output is untouched on failure.
 */
#pragma once

#include <stdint.h>

#include "macro.h"

#define NVIDIA_BOARD_MAX     32
#define NVIDIA_VFIO_NAME_MAX 64

/* Time-sliced "[GRID |NVIDIA ]<board>-<GB><series>[<variant>]" or
 * MIG-backed "[GRID |NVIDIA ]<board>-<G>-<GB><series>[ME]". The variant is
 * a number some drivers append to the series letter: "GRID T4-2B4" (a
 * B-series type with four heads). */
struct nvidia_type_name {
        char prefix[8];               /* "GRID", "NVIDIA" or "" */
        char board[NVIDIA_BOARD_MAX]; /* "T4", "A100", "RTX6000-Ada" */
        bool mig;                     /* MIG-backed (has a GPU-instance part) */
        unsigned gpu_instance_slices; /* MIG: the <G> part; 0 when time-sliced */
        uint64_t framebuffer_mb;      /* <GB> in MiB; "0" means 512 MiB */
        char series;                  /* 'A', 'B', 'C' or 'Q' */
        unsigned series_variant;      /* the 4 of "2B4"; 0 when there is none */
        bool media_extensions;        /* MIG "ME" suffix */
};

int nvidia_parse_name(const char *s, struct nvidia_type_name *ret);

/* What each series letter means, e.g. "virtual workstation" for 'Q'; NULL if unknown. */
const char *nvidia_series_to_string(char series);

enum {
        NVIDIA_DESC_NUM_HEADS = 1 << 0,
        NVIDIA_DESC_FRL_CONFIG = 1 << 1,
        NVIDIA_DESC_FRAMEBUFFER = 1 << 2,
        NVIDIA_DESC_MAX_RESOLUTION = 1 << 3,
        NVIDIA_DESC_MAX_INSTANCE = 1 << 4,
};

struct nvidia_description {
        unsigned present; /* NVIDIA_DESC_* bits of the fields found */
        unsigned num_heads;
        unsigned frl_config;
        uint64_t framebuffer_mb;
        unsigned max_width, max_height;
        unsigned max_instance;
};

/* Comma-separated key=value pairs; keys this parser does not know are skipped
 * (newer drivers add some), but every pair must be well-formed and at least
 * one known key must be present. */
int nvidia_parse_description(const char *s, struct nvidia_description *ret);

struct nvidia_vfio_type {
        unsigned id; /* never 0: 0 means "no vGPU" in current_vgpu_type */
        char name[NVIDIA_VFIO_NAME_MAX];
};

/* The creatable_vgpu_types table: a header line "ID    : vGPU Name" and one
 * "%-5d : %s" line per type. A header alone is an empty (full) list. */
int nvidia_parse_creatable_types(const char *text, struct nvidia_vfio_type **ret, size_t *ret_n);

/* current_vgpu_type: "%d\n", 0 = none. */
int nvidia_parse_current_type(const char *text, unsigned *ret);
