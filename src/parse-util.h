/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Strict parsers for the scalar values found in sysfs attributes, vendor
 * strings and vgpud.conf: decimal integers (no sign, no blanks, no junk, no
 * overflow), byte sizes with binary suffixes, durations and booleans. Each
 * returns 0 or -EINVAL (malformed) / -ERANGE (too big) and leaves *ret alone
 * on failure.
 */
#pragma once

#include <stdint.h>

#include "macro.h"

int safe_atou64(const char *s, uint64_t *ret);
int safe_atou(const char *s, unsigned *ret);
/* Parse exactly n bytes of s as a decimal number. */
int safe_atou_n(const char *s, size_t n, unsigned *ret);

/* "512", "512K", "64M", "2G", "1T" (binary multiples, optional trailing "B" or
 * "iB": "64MiB"), into bytes. */
int parse_size(const char *s, uint64_t *ret);

/* "250ms", "2s", "1.5s", "5min", "1h", "0"; a bare number means seconds. Into µs. */
int parse_duration(const char *s, uint64_t *ret_usec);

/* A decimal number with up to three fractional digits ("2", "1.5"), times 1000. */
int parse_decimal_milli(const char *s, uint64_t *ret);

/* yes/no, true/false, on/off, 1/0 (case-insensitive). Returns 0/1 or -EINVAL. */
int parse_boolean(const char *s);

#define USEC_PER_MSEC UINT64_C(1000)
#define USEC_PER_SEC  UINT64_C(1000000)
