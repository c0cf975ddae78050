/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small, strict JSON reader for the one JSON document vfio-user carries:
 * the capabilities object of a VERSION message. libc only (the engine must not
 * pull json-c into its thread), bounded in depth and size, and strict where a
 * lax parser would let two readers disagree: duplicate keys, trailing bytes,
 * bad escapes, NUL inside strings and over-long numbers are all errors.
 * Non-negative integers are kept exactly as uint64; any other number is
 * accepted syntactically but has no integer value.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH   16
#define JSON_MAX_INPUT   (64u * 1024u)
#define JSON_MAX_MEMBERS 256u  /* per object */
#define JSON_MAX_ITEMS   1024u /* per array */

enum json_type {
        JSON_NULL,
        JSON_BOOL,
        JSON_NUMBER,
        JSON_STRING,
        JSON_ARRAY,
        JSON_OBJECT,
};

struct json_value;

struct json_member {
        char *key;
        struct json_value *value;
};

struct json_value {
        enum json_type type;
        bool boolean;
        bool is_uint; /* JSON_NUMBER that is a non-negative integer fitting uint64 */
        uint64_t uint;
        char *string; /* JSON_STRING, NUL-terminated, no embedded NUL */
        size_t n;     /* members or items */
        struct json_member *members;
        struct json_value **items;
};

/* Parse exactly len bytes (no NUL needed). -EINVAL on any syntax error, -E2BIG when too large or deep. */
int json_parse(const char *text, size_t len, struct json_value **ret);
void json_free(struct json_value *v);
static inline void json_freep(struct json_value **v) {
        json_free(*v);
}

/* The member of an object with that key, or NULL (also when v is not an object). */
const struct json_value *json_get(const struct json_value *v, const char *key);
