/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* json-codec.h: every field type, the shared checks (version, unknown key, required, types, validators,
 * ranges), nesting and arrays with the key path in messages, checks across fields, writing in table order,
 * and json_codec_check() on a struct in memory. */
#include "unit.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-codec.h"
#include "macro.h"
#include "pci.h"
#include "strutil.h"
#include "sysfs.h"
#include "uuid.h"

#define U1 "0b3c1a4e-1111-4222-8333-444455556666"

enum colour { COLOUR_RED, COLOUR_GREEN, _COLOUR_MAX };
static const char *const colours[] = {"red", "green"};

static int colour_from_string(const char *s) {
        for (int i = 0; i < _COLOUR_MAX; i++)
                if (streq(colours[i], s))
                        return i;
        return -EINVAL;
}

static const char *colour_to_string(int c) {
        return c >= 0 && c < _COLOUR_MAX ? colours[c] : NULL;
}

struct item {
        char id[UUID_STRING_MAX];
        char *label;
        bool on;
};

struct pair {
        int low, high; /* -1: unset */
};

struct thing {
        char *name;             /* required, a sysfs name */
        char *note;             /* null: none, written as null */
        char *nick;             /* null or absent: none, not written */
        char addr[PCI_BDF_MAX]; /* "" unset */
        bool on;
        int level;      /* -5..5, -100 unset */
        unsigned count; /* 0..10 */
        int colour;
        struct pair pair;
        struct item *items;
        size_t n_items;
        unsigned hex; /* custom: "0x1f" */
};

static void item_init(void *obj) {
        ((struct item *) obj)->on = true; /* a default the file may override */
}

static const JsonField item_fields[] = {
        {.name = "id",
         .type = JSON_FIELD_NAME,
         .flags = JSON_REQUIRED,
         .offset = offsetof(struct item, id),
         .normalize = uuid_normalize,
         .size = UUID_STRING_MAX,
         .invalid = "is not a UUID"},
        {.name = "label", .type = JSON_FIELD_STRING, .offset = offsetof(struct item, label)},
        {.name = "on", .type = JSON_FIELD_BOOL, .offset = offsetof(struct item, on)},
};

static const JsonCodec item_codec = {
        .fields = item_fields, .n_fields = ELEMENTSOF(item_fields), .init = item_init};

static int pair_check(const void *obj, char **ret_problem) {
        const struct pair *p = obj;
        if (p->low != -1 && p->high != -1 && p->low > p->high)
                return asprintf(ret_problem, "\"pair\" is upside down") < 0 ? -ENOMEM : 0;
        return 0;
}

static const JsonField pair_fields[] = {
        {.name = "low",
         .type = JSON_FIELD_INT,
         .flags = JSON_OMIT_UNSET,
         .offset = offsetof(struct pair, low),
         .min = 0,
         .max = 99,
         .unset = -1},
        {.name = "high",
         .type = JSON_FIELD_INT,
         .flags = JSON_OMIT_UNSET,
         .offset = offsetof(struct pair, high),
         .min = 0,
         .max = 99,
         .unset = -1},
};

static const JsonCodec pair_codec = {
        .fields = pair_fields, .n_fields = ELEMENTSOF(pair_fields), .check = pair_check};

static int hex_read(struct json_object *v, void *obj, const JsonField *f, const char *key,
                    char **ret_error) {
        const char *s;
        char *end;
        int r = json_codec_get_string(v, key, &s, ret_error);
        if (r < 0)
                return r;
        unsigned long x = strtoul(s, &end, 16);
        if (!startswith(s, "0x") || *end || x > 0xffff) {
                free(*ret_error);
                return asprintf(ret_error, "%s must be 0x0..0xffff", key) < 0 ? -ENOMEM : -EINVAL;
        }
        ((struct thing *) obj)->hex = (unsigned) x;
        return 0;
}

static int hex_write(const void *obj, const JsonField *f, struct json_object **ret) {
        unsigned x = ((const struct thing *) obj)->hex;
        char buf[16];
        if (x == 0) {
                *ret = NULL; /* omitted */
                return 0;
        }
        snprintf(buf, sizeof(buf), "0x%x", x);
        *ret = json_object_new_string(buf);
        return *ret ? 0 : -ENOMEM;
}

static int hex_check(const void *obj, const JsonField *f, const char *key, char **ret_problem) {
        if (((const struct thing *) obj)->hex > 0xffff)
                return asprintf(ret_problem, "%s must be 0x0..0xffff", key) < 0 ? -ENOMEM : 0;
        return 0;
}

static int thing_check(const void *obj, char **ret_problem) {
        const struct thing *t = obj;
        if (t->count > 0 && !t->on)
                return asprintf(ret_problem, "\"count\" needs \"on\"") < 0 ? -ENOMEM : 0;
        return 0;
}

#define T(member) .offset = offsetof(struct thing, member)

static const JsonField thing_fields[] = {
        {.name = "name",
         .type = JSON_FIELD_STRING,
         .flags = JSON_REQUIRED,
         T(name),
         .valid = sysfs_name_is_valid,
         .invalid = "is not a device name"},
        {.name = "note", .type = JSON_FIELD_STRING, .flags = JSON_NULLABLE | JSON_WRITE_NULL, T(note)},
        {.name = "nick", .type = JSON_FIELD_STRING, .flags = JSON_NULLABLE | JSON_OMIT_UNSET, T(nick)},
        {.name = "addr",
         .type = JSON_FIELD_NAME,
         .flags = JSON_OMIT_UNSET,
         T(addr),
         .normalize = pci_bdf_normalize,
         .size = PCI_BDF_MAX,
         .invalid = "is not a PCI address"},
        {.name = "on", .type = JSON_FIELD_BOOL, T(on)},
        {.name = "level",
         .type = JSON_FIELD_INT,
         .flags = JSON_OMIT_UNSET,
         T(level),
         .min = -5,
         .max = 5,
         .unset = -100},
        {.name = "count", .type = JSON_FIELD_UINT, T(count), .min = 0, .max = 10},
        {.name = "colour",
         .type = JSON_FIELD_ENUM,
         T(colour),
         .from_string = colour_from_string,
         .to_string = colour_to_string,
         .invalid = "must be red or green"},
        {.name = "pair", .type = JSON_FIELD_OBJECT, .flags = JSON_OMIT_UNSET, T(pair), .codec = &pair_codec},
        {.name = "items",
         .type = JSON_FIELD_ARRAY,
         T(items),
         .count_offset = offsetof(struct thing, n_items),
         .elem_size = sizeof(struct item),
         .codec = &item_codec},
        {.name = "hex", .type = JSON_FIELD_CUSTOM, .read = hex_read, .write = hex_write, .check = hex_check},
};

static const JsonCodec thing_codec = {
        .version = 3, .fields = thing_fields, .n_fields = ELEMENTSOF(thing_fields), .check = thing_check};

static void thing_init(struct thing *t) {
        *t = (struct thing){.level = -100, .pair = {-1, -1}};
}

static void thing_done(struct thing *t) {
        free(t->name);
        free(t->note);
        free(t->nick);
        for (size_t i = 0; i < t->n_items; i++)
                free(t->items[i].label);
        free(t->items);
        thing_init(t);
}

/* Parse text into a fresh thing: 0, or -EINVAL with the message in *why (the caller frees it). */
static int parse(const char *text, struct thing *t, char **why) {
        thing_init(t);
        *why = NULL;
        return json_codec_parse(&thing_codec, text, strlen(text), t, why);
}

static void test_read_every_type(void **state) {
        struct thing t;
        char *why = NULL;

        assert_int_equal(
                parse("{\"version\": 3, \"name\": \"gpu0\", \"note\": \"n\", \"nick\": null, "
                      "\"addr\": \"3b:00.1\", \"on\": true, \"level\": -5, \"count\": 10, "
                      "\"colour\": \"green\", \"pair\": {\"low\": 1, \"high\": 2}, "
                      "\"items\": [{\"id\": \"0B3C1A4E-1111-4222-8333-444455556666\", \"label\": \"x\"}, "
                      "{\"id\": \"" U1 "\", \"on\": false}], \"hex\": \"0x1f\"}",
                      &t, &why),
                0);
        assert_null(why);
        assert_string_equal(t.name, "gpu0");
        assert_string_equal(t.note, "n");
        assert_null(t.nick);                         /* null: absent */
        assert_string_equal(t.addr, "0000:3b:00.1"); /* normalized */
        assert_true(t.on);
        assert_int_equal(t.level, -5);
        assert_int_equal(t.count, 10);
        assert_int_equal(t.colour, COLOUR_GREEN);
        assert_int_equal(t.pair.low, 1);
        assert_int_equal(t.pair.high, 2);
        assert_int_equal(t.n_items, 2);
        assert_string_equal(t.items[0].id, U1); /* normalized */
        assert_string_equal(t.items[0].label, "x");
        assert_true(t.items[0].on); /* the element's default */
        assert_false(t.items[1].on);
        assert_null(t.items[1].label);
        assert_int_equal(t.hex, 0x1f);
        thing_done(&t);

        /* only what is required; defaults stay */
        assert_int_equal(parse("{\"version\": 3, \"name\": \"g\"}", &t, &why), 0);
        assert_int_equal(t.level, -100);
        assert_int_equal(t.pair.low, -1);
        assert_null(t.items);
        assert_int_equal(t.n_items, 0);
        thing_done(&t);

        /* an empty array is a vector of nothing */
        assert_int_equal(parse("{\"version\": 3, \"name\": \"g\", \"items\": []}", &t, &why), 0);
        assert_non_null(t.items);
        assert_int_equal(t.n_items, 0);
        thing_done(&t);
}

static void test_refusals(void **state) {
        static const struct {
                const char *json, *why;
        } cases[] = {
                /* the document */
                {"", "truncated or not JSON: unexpected end of data"},
                {"[1]", "the document must be a JSON object"},
                {"{} x", "not JSON: unexpected data after the document at offset 3"},
                {"[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]", "not JSON"},
                /* version */
                {"{\"name\": \"g\"}", "missing \"version\""},
                {"{\"version\": 2, \"name\": \"g\"}", "\"version\" must be 3"},
                {"{\"version\": \"3\", \"name\": \"g\"}", "\"version\" must be 3"},
                /* unknown keys, required keys */
                {"{\"version\": 3, \"name\": \"g\", \"nmae\": 1}", "unknown key \"nmae\""},
                {"{\"version\": 3}", "missing \"name\""},
                {"{\"version\": 3, \"name\": null}", "\"name\" must be a string"},
                /* types */
                {"{\"version\": 3, \"name\": 5}", "\"name\" must be a string"},
                {"{\"version\": 3, \"name\": \"g\", \"note\": 5}", "\"note\" must be a string or null"},
                {"{\"version\": 3, \"name\": \"g\", \"on\": 1}", "\"on\" must be true or false"},
                {"{\"version\": 3, \"name\": \"g\", \"level\": 1.5}", "\"level\" must be an integer"},
                {"{\"version\": 3, \"name\": \"g\", \"level\": \"1\"}", "\"level\" must be an integer"},
                {"{\"version\": 3, \"name\": \"g\", \"pair\": []}", "\"pair\" must be an object"},
                {"{\"version\": 3, \"name\": \"g\", \"items\": {}}", "\"items\" must be an array"},
                {"{\"version\": 3, \"name\": \"g\", \"addr\": null}", "\"addr\" must be a string"},
                {"{\"version\": 3, \"name\": \"g\\u0000x\"}", "\"name\" contains a NUL character"},
                /* validators, with the value when it is short plain text */
                {"{\"version\": 3, \"name\": \"a/b\"}", "\"name\" is not a device name: \"a/b\""},
                {"{\"version\": 3, \"name\": \"\\u0001\"}", "\"name\" is not a device name"},
                {"{\"version\": 3, \"name\": \"g\", \"addr\": \"zz\"}",
                 "\"addr\" is not a PCI address: \"zz\""},
                {"{\"version\": 3, \"name\": \"g\", \"colour\": \"blue\"}",
                 "\"colour\" must be red or green: \"blue\""},
                /* ranges */
                {"{\"version\": 3, \"name\": \"g\", \"level\": 6}", "\"level\" must be -5..5, not 6"},
                {"{\"version\": 3, \"name\": \"g\", \"level\": -6}", "\"level\" must be -5..5, not -6"},
                {"{\"version\": 3, \"name\": \"g\", \"count\": -1}", "\"count\" must be 0..10, not -1"},
                {"{\"version\": 3, \"name\": \"g\", \"count\": 99999999999999999999}",
                 "\"count\" must be 0..10"},
                /* nesting: the key's full path */
                {"{\"version\": 3, \"name\": \"g\", \"pair\": {\"lo\": 1}}", "unknown key \"pair\".\"lo\""},
                {"{\"version\": 3, \"name\": \"g\", \"pair\": {\"low\": 100}}",
                 "\"pair\".\"low\" must be 0..99, not 100"},
                {"{\"version\": 3, \"name\": \"g\", \"pair\": {\"low\": 5, \"high\": 4}}",
                 "\"pair\" is upside down"},
                {"{\"version\": 3, \"name\": \"g\", \"items\": [{\"id\": \"" U1 "\"}, 5]}",
                 "\"items\"[1] must be an object"},
                {"{\"version\": 3, \"name\": \"g\", \"items\": [{\"id\": \"" U1 "\"}, {}]}",
                 "missing \"items\"[1].\"id\""},
                {"{\"version\": 3, \"name\": \"g\", \"items\": [{\"id\": \"x\"}]}",
                 "\"items\"[0].\"id\" is not a UUID: \"x\""},
                {"{\"version\": 3, \"name\": \"g\", \"items\": [{\"id\": \"" U1 "\", \"version\": 1}]}",
                 "unknown key \"items\"[0].\"version\""}, /* a table without a version has no such key */
                /* custom, and the rules across fields */
                {"{\"version\": 3, \"name\": \"g\", \"hex\": \"1f\"}", "\"hex\" must be 0x0..0xffff"},
                {"{\"version\": 3, \"name\": \"g\", \"hex\": 5}", "\"hex\" must be a string"},
                {"{\"version\": 3, \"name\": \"g\", \"count\": 1}", "\"count\" needs \"on\""},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct thing t;
                char *why = NULL;
                int r = parse(cases[i].json, &t, &why);
                if (r != -EINVAL || !why || !startswith(why, cases[i].why))
                        fail_msg("case %zu: r=%d why=\"%s\", wanted \"%s\"", i, r, strna(why), cases[i].why);
                free(why);
                thing_done(&t); /* what a failed read left is the caller's to free (ASan checks it) */
        }
}

static void test_long_values_are_not_repeated(void **state) {
        char text[512], *why = NULL;
        struct thing t;

        snprintf(text, sizeof(text), "{\"version\": 3, \"name\": \"g\", \"addr\": \"%0200d\"}", 7);
        assert_int_equal(parse(text, &t, &why), -EINVAL);
        assert_string_equal(why, "\"addr\" is not a PCI address");
        free(why);
        thing_done(&t);
}

static void test_ignore_unknown(void **state) {
        static const JsonCodec lenient = {
                .ignore_unknown = true, .fields = item_fields, .n_fields = ELEMENTSOF(item_fields)};
        static const char text[] = "{\"id\": \"" U1 "\", \"future\": {\"x\": 1}, \"version\": 9}";
        struct item it = {};
        char *why = NULL;

        assert_int_equal(json_codec_parse(&lenient, text, strlen(text), &it, &why), 0);
        assert_string_equal(it.id, U1);
        assert_int_equal(json_codec_parse(&item_codec, text, strlen(text), &it, &why), -EINVAL);
        assert_string_equal(why, "unknown key \"future\"");
        free(why);
}

static void test_write(void **state) {
        struct item items[2] = {{.id = U1, .label = (char *) "x", .on = true}, {.id = U1, .on = false}};
        struct thing t;
        _cleanup_free_ char *text = NULL, *bare = NULL, *again = NULL;
        char *why = NULL;

        thing_init(&t);
        t.name = (char *) "gpu0";
        strcpy(t.addr, "0000:3b:00.1");
        t.on = true;
        t.count = 2;
        t.colour = COLOUR_GREEN;
        t.pair.high = 7;
        t.hex = 0x1f;
        /* items[1] has no label, a required-to-write string: refused rather than written wrong */
        t.items = items;
        t.n_items = 2;
        assert_int_equal(json_codec_format(&thing_codec, &t, true, &text), -EINVAL);
        items[1].label = (char *) "y";
        assert_int_equal(json_codec_format(&thing_codec, &t, true, &text), 0);
        assert_string_equal(text, "{\n"
                                  "  \"version\": 3,\n"
                                  "  \"name\": \"gpu0\",\n"
                                  "  \"note\": null,\n"
                                  "  \"addr\": \"0000:3b:00.1\",\n"
                                  "  \"on\": true,\n"
                                  "  \"count\": 2,\n"
                                  "  \"colour\": \"green\",\n"
                                  "  \"pair\": {\n"
                                  "    \"high\": 7\n"
                                  "  },\n"
                                  "  \"items\": [\n"
                                  "    {\n"
                                  "      \"id\": \"" U1 "\",\n"
                                  "      \"label\": \"x\",\n"
                                  "      \"on\": true\n"
                                  "    },\n"
                                  "    {\n"
                                  "      \"id\": \"" U1 "\",\n"
                                  "      \"label\": \"y\",\n"
                                  "      \"on\": false\n"
                                  "    }\n"
                                  "  ],\n"
                                  "  \"hex\": \"0x1f\"\n"
                                  "}\n");

        /* what is written reads back to the same */
        struct thing back;
        assert_int_equal(parse(text, &back, &why), 0);
        assert_int_equal(json_codec_format(&thing_codec, &back, true, &again), 0);
        assert_string_equal(again, text);
        thing_done(&back);

        /* unset members are left out; an enum value with no name is refused */
        t.items = NULL;
        t.n_items = 0;
        t.pair.high = -1;
        t.addr[0] = 0;
        t.hex = 0;
        assert_int_equal(json_codec_format(&thing_codec, &t, false, &bare), 0);
        assert_null(strstr(bare, "pair"));
        assert_null(strstr(bare, "addr"));
        assert_null(strstr(bare, "hex"));
        assert_non_null(
                strstr(bare, "\"items\": [\n  ]")); /* json-c's empty array, as record.c always wrote it */
        assert_int_not_equal(bare[strlen(bare) - 1], '\n');
        t.colour = 7;
        free(bare);
        bare = NULL;
        assert_int_equal(json_codec_format(&thing_codec, &t, false, &bare), -EINVAL);
}

static void test_check_in_memory(void **state) {
        struct item items[1] = {{.id = U1}};
        struct thing t;
        char *problem = NULL;

        thing_init(&t);
        assert_int_equal(json_codec_check(&thing_codec, &t, &problem), 0);
        assert_string_equal(problem, "missing \"name\"");
        free(problem);

        t.name = (char *) "gpu0";
        t.on = true;
        assert_int_equal(json_codec_check(&thing_codec, &t, &problem), 0);
        assert_null(problem);

        strcpy(t.addr, "3b:00.1"); /* valid, but not as the file holds it */
        assert_int_equal(json_codec_check(&thing_codec, &t, &problem), 0);
        assert_string_equal(problem, "\"addr\" is not a PCI address: \"3b:00.1\"");
        free(problem);
        t.addr[0] = 0;

        t.level = 9;
        assert_int_equal(json_codec_check(&thing_codec, &t, &problem), 0);
        assert_string_equal(problem, "\"level\" must be -5..5, not 9");
        free(problem);
        t.level = -100; /* unset */

        t.pair.low = 3;
        t.pair.high = 2;
        assert_int_equal(json_codec_check(&thing_codec, &t, &problem), 0);
        assert_string_equal(problem, "\"pair\" is upside down");
        free(problem);
        t.pair.low = -1;

        strcpy(items[0].id, "nope");
        t.items = items;
        t.n_items = 1;
        assert_int_equal(json_codec_check(&thing_codec, &t, &problem), 0);
        assert_string_equal(problem, "\"items\"[0].\"id\" is not a UUID: \"nope\"");
        free(problem);
        t.n_items = 0;

        t.hex = 0x10000;
        assert_int_equal(json_codec_check(&thing_codec, &t, &problem), 0);
        assert_string_equal(problem, "\"hex\" must be 0x0..0xffff");
        free(problem);
        t.hex = 0;

        t.on = false;
        t.count = 1;
        assert_int_equal(json_codec_check(&thing_codec, &t, &problem), 0);
        assert_string_equal(problem, "\"count\" needs \"on\"");
        free(problem);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_read_every_type),
                cmocka_unit_test(test_refusals),
                cmocka_unit_test(test_long_values_are_not_repeated),
                cmocka_unit_test(test_ignore_unknown),
                cmocka_unit_test(test_write),
                cmocka_unit_test(test_check_in_memory),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
