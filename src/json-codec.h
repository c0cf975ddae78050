/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The codec of vgpud's JSON state files (records, binding notes, SR-IOV
 * configurations, scheduler settings, domain assignments) and of mdevctl's
 * definitions: a file's object is read, checked and written from one table
 * of fields (name, type, flags, validator), as systemd's sd_json_dispatch and
 * mdevctl's serde derive do, so that the rules every file shares exist once:
 *
 *   - a "version" key, required and equal to the table's (when it has one);
 *   - a key the table does not know is refused, naming it ("unknown key
 *     \"quota\".\"shares\""): a typo in a hand-edited file must not silently
 *     change what vgpud does (mdevctl's files ignore them, as mdevctl does);
 *   - a value of the wrong type, or one its validator refuses, is refused
 *     with its key's full path ("\"assignments\"[2].\"uuid\" is not a UUID");
 *   - a required key that is absent is "missing", naming it;
 *   - rules across fields (a table's check) run last.
 *
 * Writing follows the table's order, so a file's layout is the table's.
 * json_codec_check() applies the same rules to a struct in memory, so what
 * is saved passes what is loaded.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;
typedef struct JsonField JsonField;
typedef struct JsonCodec JsonCodec;

typedef enum JsonFieldType {
        JSON_FIELD_STRING, /* char *, malloc'ed; .valid (optional) accepts it */
        JSON_FIELD_NAME, /* char[.size] holding what .normalize makes of the text (a UUID, a PCI address) */
        JSON_FIELD_BOOL, /* bool */
        JSON_FIELD_INT,  /* int within .min ... .max; .unset stands for "not given" (JSON_OMIT_UNSET) */
        JSON_FIELD_UINT, /* unsigned, the same way */
        JSON_FIELD_ENUM, /* int, by name: .from_string / .to_string */
        JSON_FIELD_OBJECT, /* a struct member, read with .codec */
        JSON_FIELD_ARRAY,  /* objects read with .codec into a vector: pointer at .offset, count at
                              .count_offset */
        JSON_FIELD_CUSTOM, /* .read / .write / .check do it all */
} JsonFieldType;

enum {
        JSON_REQUIRED = 1 << 0,   /* absent (or null when nullable): "missing <key>" */
        JSON_NULLABLE = 1 << 1,   /* null reads as absent */
        JSON_OMIT_UNSET = 1 << 2, /* not written when NULL, "", .unset, or an object with no key */
        JSON_WRITE_NULL = 1 << 3, /* a NULL string is written as null */
};

struct JsonField {
        const char *name;
        JsonFieldType type;
        unsigned flags;
        size_t offset;                /* of the member in the struct the table reads */
        const char *invalid;          /* what a refused value is, after the key: "is not a UUID" */
        bool (*valid)(const char *s); /* STRING */
        int (*normalize)(const char *s, char *ret); /* NAME: < 0 refuses; ret has .size bytes */
        size_t size;                                /* NAME */
        int64_t min, max, unset;                    /* INT, UINT */
        int (*from_string)(const char *s);          /* ENUM: < 0 refuses */
        const char *(*to_string)(int v);            /* ENUM: NULL for a value out of range */
        const JsonCodec *codec;                     /* OBJECT, ARRAY */
        size_t count_offset, elem_size;             /* ARRAY: a size_t count; one element's size */
        /* CUSTOM. key is the field's full path for messages ("\"attrs\""); obj the whole struct. */
        int (*read)(struct json_object *v, void *obj, const JsonField *f, const char *key, char **ret_error);
        int (*write)(const void *obj, const JsonField *f, struct json_object **ret); /* *ret NULL: omitted */
        int (*check)(const void *obj, const JsonField *f, const char *key, char **ret_problem);
};

struct JsonCodec {
        int version;         /* > 0: "version" is required, must be this, and is written first */
        bool ignore_unknown; /* keys not in the table are ignored rather than refused */
        const JsonField *fields;
        size_t n_fields;         /* at most 63 */
        void (*init)(void *obj); /* ARRAY elements: defaults before reading (NULL: zeroes) */
        /* Rules across fields, after them: a sentence in *ret_problem, NULL when none (-ENOMEM only). */
        int (*check)(const void *obj, char **ret_problem);
};

/* Table entries, one line each (T: the struct the table reads, m: its member). */
#define JSON_STRING(key, T, m, fl, valid_, invalid_)                                                        \
        {                                                                                                   \
                .name = key, .type = JSON_FIELD_STRING, .flags = (fl), .offset = offsetof(T, m),            \
                .valid = (valid_), .invalid = (invalid_)                                                    \
        }
#define JSON_NAME(key, T, m, fl, normalize_, invalid_)                                                      \
        {                                                                                                   \
                .name = key, .type = JSON_FIELD_NAME, .flags = (fl), .offset = offsetof(T, m),              \
                .normalize = (normalize_), .size = sizeof(((T *) NULL)->m), .invalid = (invalid_)           \
        }
#define JSON_BOOL(key, T, m)                                                                                \
        { .name = key, .type = JSON_FIELD_BOOL, .offset = offsetof(T, m) }
#define JSON_INT(key, T, m, fl, min_, max_, unset_)                                                         \
        {                                                                                                   \
                .name = key, .type = JSON_FIELD_INT, .flags = (fl), .offset = offsetof(T, m),               \
                .min = (min_), .max = (max_), .unset = (unset_)                                             \
        }
#define JSON_UINT(key, T, m, fl, min_, max_, unset_)                                                        \
        {                                                                                                   \
                .name = key, .type = JSON_FIELD_UINT, .flags = (fl), .offset = offsetof(T, m),              \
                .min = (min_), .max = (max_), .unset = (unset_)                                             \
        }
#define JSON_ENUM(key, T, m, fl, from_, to_, invalid_)                                                      \
        {                                                                                                   \
                .name = key, .type = JSON_FIELD_ENUM, .flags = (fl), .offset = offsetof(T, m),              \
                .from_string = (from_), .to_string = (to_), .invalid = (invalid_)                           \
        }
#define JSON_OBJECT(key, T, m, fl, codec_)                                                                  \
        {                                                                                                   \
                .name = key, .type = JSON_FIELD_OBJECT, .flags = (fl), .offset = offsetof(T, m),            \
                .codec = (codec_)                                                                           \
        }
#define JSON_ARRAY(key, T, m, count, fl, codec_)                                                            \
        {                                                                                                   \
                .name = key, .type = JSON_FIELD_ARRAY, .flags = (fl), .offset = offsetof(T, m),             \
                .count_offset = offsetof(T, count), .elem_size = sizeof(*((T *) NULL)->m),                  \
                .codec = (codec_)                                                                           \
        }
#define JSON_CUSTOM(key, fl, read_, write_, check_)                                                         \
        {                                                                                                   \
                .name = key, .type = JSON_FIELD_CUSTOM, .flags = (fl), .read = (read_), .write = (write_),  \
                .check = (check_)                                                                           \
        }

/* Parse a whole JSON document (all of text, nesting depth at most 16). -EINVAL with *ret_error a sentence
 * ("truncated or not JSON: unexpected end of data"). */
int json_parse_document(const char *text, size_t len, struct json_object **ret, char **ret_error);

/* Parse text, one JSON object, into obj: obj holds its defaults (the caller set them) and is the caller's
 * to free also on failure. -EINVAL with *ret_error naming the key and what is wrong. */
int json_codec_parse(const JsonCodec *c, const char *text, size_t len, void *obj, char **ret_error);
/* The same from a parsed value; path prefixes the keys in messages ("" at the top, "\"quota\"." inside). */
int json_codec_read(const JsonCodec *c, struct json_object *o, const char *path, void *obj,
                    char **ret_error);

/* What is wrong with obj by the table's rules (required, validators, ranges, then c->check): a sentence in
 * *ret_problem, or NULL. Only -ENOMEM fails. */
int json_codec_check(const JsonCodec *c, const void *obj, char **ret_problem);

/* obj as a JSON object, keys in the table's order. -EINVAL for a value the table cannot name. */
int json_codec_write(const JsonCodec *c, const void *obj, struct json_object **ret);
/* obj as pretty-printed text, slashes unescaped, ending with a newline when newline. */
int json_codec_format(const JsonCodec *c, const void *obj, bool newline, char **ret);

/* For CUSTOM readers: a string without NUL bytes, else -EINVAL naming key. */
int json_codec_get_string(struct json_object *v, const char *key, const char **ret, char **ret_error);
