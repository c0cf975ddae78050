/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bus-dict.h, the a{sv} reader of vgpud and vgpuctl: every reader, the lenient form (unknown keys and
 * other types skipped), the strict one (the problem named), errors from a reader, the message left after
 * the dictionary; and daemon/bus-options.c's words for a refusal on top of it. */
#include "unit.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bus-dict.h"
#include "bus-options.h"
#include "macro.h"

typedef struct Sample {
        char *name, *path;
        bool flag;
        uint16_t q;
        uint32_t u;
        int32_t i;
        uint64_t t;
        double d;
        char **names, **paths;
        uint32_t *ids;
        size_t n_ids;
} Sample;

static void sample_done(Sample *s) {
        free(s->name);
        free(s->path);
        strv_freep(&s->names);
        strv_freep(&s->paths);
        free(s->ids);
        *s = (Sample){};
}

#define F(k, sig, read, member)                                                                             \
        { k, sig, read, offsetof(Sample, member) }

static const BusDictField sample_fields[] = {
        F("Name", "s", bus_dict_read_string, name),
        F("Path", "o", bus_dict_read_string, path),
        F("Flag", "b", bus_dict_read_bool, flag),
        F("Q", "q", bus_dict_read_basic, q),
        F("U", "u", bus_dict_read_basic, u),
        F("I", "i", bus_dict_read_basic, i),
        F("T", "t", bus_dict_read_basic, t),
        F("D", "d", bus_dict_read_basic, d),
        F("Names", "as", bus_dict_read_strv, names),
        F("Paths", "ao", bus_dict_read_strv, paths),
        {"Ids", "au", bus_dict_read_u32_array, offsetof(Sample, ids), offsetof(Sample, n_ids)},
};

static sd_bus *bus;

static int setup(void **state) {
        /* A bus that has started (on one end of a socketpair, never authenticated) builds messages. */
        int fds[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        assert_int_equal(sd_bus_new(&bus), 0);
        assert_int_equal(sd_bus_set_fd(bus, fds[0], fds[0]), 0);
        assert_true(sd_bus_start(bus) >= 0);
        return 0;
}

static int teardown(void **state) {
        sd_bus_flush_close_unref(bus);
        return 0;
}

static sd_bus_message *new_message(void) {
        sd_bus_message *m;
        assert_int_equal(sd_bus_message_new_method_call(bus, &m, "org.vgpud1", "/org/vgpud1",
                                                        "org.vgpud1.Manager", "Test"),
                         0);
        return m;
}

/* Seal m and go back to its start, to read what was appended. */
static void seal(sd_bus_message *m) {
        assert_int_equal(sd_bus_message_seal(m, 1, 0), 0);
        assert_int_equal(sd_bus_message_rewind(m, true), 1);
}

static void test_every_reader(void **state) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = new_message();
        static const uint32_t ids[] = {4, 27, 1000};
        Sample s = {};
        uint64_t seen = 0;
        const char *after;

        assert_true(sd_bus_message_open_container(m, 'a', "{sv}") >= 0);
        assert_true(sd_bus_message_append(m, "{sv}", "Name", "s", "gpu0") >= 0);
        assert_true(sd_bus_message_append(m, "{sv}", "Path", "o", "/org/vgpud1/gpu/0") >= 0);
        assert_true(sd_bus_message_append(m, "{sv}", "Flag", "b", 1) >= 0);
        assert_true(sd_bus_message_append(m, "{sv}", "Q", "q", (uint16_t) 0x10de) >= 0);
        assert_true(sd_bus_message_append(m, "{sv}", "U", "u", (uint32_t) 4000000000u) >= 0);
        assert_true(sd_bus_message_append(m, "{sv}", "I", "i", (int32_t) -7) >= 0);
        assert_true(sd_bus_message_append(m, "{sv}", "T", "t", UINT64_C(1) << 40) >= 0);
        assert_true(sd_bus_message_append(m, "{sv}", "D", "d", 12.5) >= 0);
        assert_true(sd_bus_message_append(m, "{sv}", "Names", "as", 2, "mdev", "vf") >= 0);
        assert_true(sd_bus_message_append(m, "{sv}", "Paths", "ao", 1, "/org/vgpud1/type/1") >= 0);
        assert_true(sd_bus_message_open_container(m, 'e', "sv") >= 0);
        assert_true(sd_bus_message_append(m, "s", "Ids") >= 0);
        assert_true(sd_bus_message_open_container(m, 'v', "au") >= 0);
        assert_true(sd_bus_message_append_array(m, 'u', ids, sizeof(ids)) >= 0);
        assert_true(sd_bus_message_close_container(m) >= 0);
        assert_true(sd_bus_message_close_container(m) >= 0);
        assert_true(sd_bus_message_close_container(m) >= 0);
        assert_true(sd_bus_message_append(m, "s", "after") >= 0);
        seal(m);

        assert_int_equal(bus_dict_read(m, sample_fields, ELEMENTSOF(sample_fields), 0, &s, NULL, &seen), 0);
        assert_int_equal(seen, (UINT64_C(1) << ELEMENTSOF(sample_fields)) - 1);
        assert_string_equal(s.name, "gpu0");
        assert_string_equal(s.path, "/org/vgpud1/gpu/0");
        assert_true(s.flag);
        assert_int_equal(s.q, 0x10de);
        assert_int_equal(s.u, 4000000000u);
        assert_int_equal(s.i, -7);
        assert_true(s.t == UINT64_C(1) << 40);
        assert_true(s.d == 12.5);
        assert_string_equal(s.names[0], "mdev");
        assert_string_equal(s.names[1], "vf");
        assert_null(s.names[2]);
        assert_string_equal(s.paths[0], "/org/vgpud1/type/1");
        assert_null(s.paths[1]);
        assert_int_equal(s.n_ids, 3);
        assert_int_equal(s.ids[2], 1000);
        /* the message is left after the dictionary */
        assert_int_equal(sd_bus_message_read(m, "s", &after), 1);
        assert_string_equal(after, "after");
        sample_done(&s);
}

static void test_empty_values_and_dict(void **state) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = new_message();
        Sample s = {};
        uint64_t seen = 1;

        assert_true(sd_bus_message_append(m, "a{sv}", 2, "Names", "as", 0, "Ids", "au", 0) >= 0);
        assert_true(sd_bus_message_append(m, "a{sv}", 0) >= 0);
        seal(m);
        assert_int_equal(bus_dict_read(m, sample_fields, ELEMENTSOF(sample_fields), 0, &s, NULL, &seen), 0);
        assert_non_null(s.names);
        assert_null(s.names[0]);
        assert_non_null(s.ids);
        assert_int_equal(s.n_ids, 0);
        assert_int_equal(bus_dict_read(m, sample_fields, ELEMENTSOF(sample_fields), 0, &s, NULL, &seen), 0);
        assert_int_equal(seen, 0);
        sample_done(&s);
}

static void test_lenient_skips(void **state) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = new_message();
        BusDictProblem p = {.kind = BUS_DICT_WRONG_TYPE};
        Sample s = {};
        uint64_t seen = 0;

        /* a newer peer: a key this reader does not know (with a nested value) and another type for "U" */
        assert_true(sd_bus_message_append(m, "a{sv}", 4, "Future", "a{sv}", 1, "x", "u", 1, "U", "s", "many",
                                          "Name", "s", "gpu1", "Flag", "b", 0) >= 0);
        seal(m);
        assert_int_equal(bus_dict_read(m, sample_fields, ELEMENTSOF(sample_fields), 0, &s, &p, &seen), 0);
        assert_int_equal(p.kind, BUS_DICT_OK);
        assert_string_equal(s.name, "gpu1");
        assert_int_equal(s.u, 0);
        assert_int_equal(seen, (1 << 0) | (1 << 2)); /* Name, Flag */
        sample_done(&s);
}

static void test_strict_names_the_problem(void **state) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = new_message(), *m2 = new_message();
        BusDictProblem p;
        Sample s = {};

        assert_true(sd_bus_message_append(m, "a{sv}", 2, "Name", "s", "g", "Future", "u", 1) >= 0);
        seal(m);
        assert_int_equal(
                bus_dict_read(m, sample_fields, ELEMENTSOF(sample_fields), BUS_DICT_STRICT, &s, &p, NULL),
                -EINVAL);
        assert_int_equal(p.kind, BUS_DICT_UNKNOWN_KEY);
        assert_string_equal(p.key, "Future");
        sample_done(&s);

        assert_true(sd_bus_message_append(m2, "a{sv}", 1, "U", "s", "many") >= 0);
        seal(m2);
        assert_int_equal(
                bus_dict_read(m2, sample_fields, ELEMENTSOF(sample_fields), BUS_DICT_STRICT, &s, &p, NULL),
                -EINVAL);
        assert_int_equal(p.kind, BUS_DICT_WRONG_TYPE);
        assert_string_equal(p.key, "U");
        assert_int_equal(p.index, 4);
        assert_int_equal(s.u, 0);
}

static int refuse(sd_bus_message *m, const BusDictField *f, void *obj) {
        return -EBADR;
}

static void test_reader_error_stops(void **state) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = new_message();
        static const BusDictField fields[] = {{"A", "u", bus_dict_read_basic, 0}, {"B", "u", refuse, 0}};
        uint32_t a = 0;

        assert_true(sd_bus_message_append(m, "a{sv}", 2, "B", "u", 1, "A", "u", 2) >= 0);
        seal(m);
        assert_int_equal(bus_dict_read(m, fields, ELEMENTSOF(fields), 0, &a, NULL, NULL), -EBADR);
        assert_int_equal(a, 0); /* nothing after it was read */
}

/* daemon/bus-options.c: the strict walk, said in words. */
static int read_u(sd_bus_message *m, size_t k, void *userdata, sd_bus_error *e) {
        uint32_t *v = userdata;
        return sd_bus_message_read_basic(m, 'u', &v[k]);
}

/* One a{sv} with one entry, key -> value of type sig (a refusal leaves its message mid-way: one each). */
static sd_bus_message *options(const char *key, const char *sig, ...) {
        sd_bus_message *m = new_message();
        va_list ap;

        assert_true(sd_bus_message_open_container(m, 'a', "{sv}") >= 0);
        assert_true(sd_bus_message_open_container(m, 'e', "sv") >= 0);
        assert_true(sd_bus_message_append(m, "s", key) >= 0);
        assert_true(sd_bus_message_open_container(m, 'v', sig) >= 0);
        va_start(ap, sig);
        assert_true(sd_bus_message_appendv(m, sig, ap) >= 0);
        va_end(ap);
        assert_true(sd_bus_message_close_container(m) >= 0);
        assert_true(sd_bus_message_close_container(m) >= 0);
        assert_true(sd_bus_message_close_container(m) >= 0);
        seal(m);
        return m;
}

static void test_bus_options_words(void **state) {
        static const BusOption known[] = {{"share", "u"}, {"weight", "u"}, {"slice", "u"}};
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m1 = options("weight", "u", 4),
                                                        *m2 = options("colour", "s", "red"),
                                                        *m3 = options("share", "s", "25"),
                                                        *m4 = options("group", "b", 1);
        _cleanup_(sd_bus_error_free) sd_bus_error e1 = SD_BUS_ERROR_NULL, e2 = SD_BUS_ERROR_NULL,
                                                  e3 = SD_BUS_ERROR_NULL, e4 = SD_BUS_ERROR_NULL;
        uint32_t v[3] = {};

        assert_int_equal(bus_read_options(m1, known, ELEMENTSOF(known), read_u, v, &e1), 0);
        assert_int_equal(v[1], 4);
        assert_false(sd_bus_error_is_set(&e1));
        assert_int_equal(bus_read_options(m2, known, ELEMENTSOF(known), read_u, v, &e2), -EINVAL);
        assert_string_equal(e2.name, SD_BUS_ERROR_INVALID_ARGS);
        assert_string_equal(e2.message,
                            "Unknown option 'colour' (this method knows share, weight and slice)");
        assert_int_equal(bus_read_options(m3, known, ELEMENTSOF(known), read_u, v, &e3), -EINVAL);
        assert_string_equal(e3.message, "Option 'share' must be of type u");
        assert_int_equal(bus_read_options(m4, NULL, 0, NULL, NULL, &e4), -EINVAL);
        assert_string_equal(e4.message, "Unknown option 'group' (this method knows none)");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_reader),       cmocka_unit_test(test_empty_values_and_dict),
                cmocka_unit_test(test_lenient_skips),      cmocka_unit_test(test_strict_names_the_problem),
                cmocka_unit_test(test_reader_error_stops), cmocka_unit_test(test_bus_options_words),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
