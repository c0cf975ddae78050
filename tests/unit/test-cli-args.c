/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of cli/args.c and cli/errors.c: --attr, on|off, the options a{sv}, exit codes and hints. */

#include "unit.h"

#include <sys/socket.h>

#include "args.h"
#include "bus-names.h"
#include "cli.h"

static void test_attr_parse(void **state) {
        char *k, *v;

        assert_int_equal(attr_parse("frame_rate_limiter=0", &k, &v), 0);
        assert_string_equal(k, "frame_rate_limiter");
        assert_string_equal(v, "0");
        free(k);
        free(v);

        /* The value may be empty or hold '='. */
        assert_int_equal(attr_parse("x=", &k, &v), 0);
        assert_string_equal(v, "");
        free(k);
        free(v);
        assert_int_equal(attr_parse("x=a=b", &k, &v), 0);
        assert_string_equal(k, "x");
        assert_string_equal(v, "a=b");
        free(k);
        free(v);

        assert_int_equal(attr_parse("novalue", &k, &v), -EINVAL);
        assert_int_equal(attr_parse("=v", &k, &v), -EINVAL);
        /* A name is a file below the device, never a path out of it. */
        assert_int_equal(attr_parse("../remove=1", &k, &v), -EINVAL);
        assert_int_equal(attr_parse("a/b=1", &k, &v), -EINVAL);
        assert_int_equal(attr_parse("..=1", &k, &v), -EINVAL);
}

static void test_attr_list_order(void **state) {
        AttrList l = {};
        assert_int_equal(attr_list_add(&l, "b=2"), 0);
        assert_int_equal(attr_list_add(&l, "a=1"), 0);
        assert_int_equal(attr_list_add(&l, "bad"), -EINVAL);
        assert_int_equal(l.n, 2);
        assert_string_equal(l.keys[0], "b");
        assert_string_equal(l.keys[1], "a");
        attr_list_done(&l);
        assert_int_equal(l.n, 0);
}

static void test_on_off(void **state) {
        assert_int_equal(parse_on_off("on"), 1);
        assert_int_equal(parse_on_off("YES"), 1);
        assert_int_equal(parse_on_off("off"), 0);
        assert_int_equal(parse_on_off("0"), 0);
        assert_int_equal(parse_on_off("maybe"), -EINVAL);
        assert_int_equal(parse_on_off(""), -EINVAL);
}

static void test_options_message(void **state) {
        sd_bus *bus;
        sd_bus_message *m;
        CreateOptions o = {.persistent = true, .placement = "spread"};
        const char *key, *k, *v;

        assert_int_equal(attr_list_add(&o.attrs, "x=1"), 0);
        assert_int_equal(attr_list_add(&o.attrs, "y=2"), 0);
        /* A bus that has started (on one end of a socketpair, never authenticated) builds messages. */
        int fds[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        assert_int_equal(sd_bus_new(&bus), 0);
        assert_int_equal(sd_bus_set_fd(bus, fds[0], fds[0]), 0);
        assert_true(sd_bus_start(bus) >= 0);
        assert_int_equal(sd_bus_message_new_method_call(bus, &m, "org.vgpud1", "/org/vgpud1",
                                                        "org.vgpud1.Manager", "CreateInstance"),
                         0);
        assert_int_equal(create_options_append(m, &o), 0);
        assert_int_equal(sd_bus_message_seal(m, 1, 0), 0);
        assert_int_equal(sd_bus_message_rewind(m, true), 1);

        assert_true(sd_bus_message_enter_container(m, 'a', "{sv}") > 0);
        int seen = 0;
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                assert_true(sd_bus_message_read(m, "s", &key) > 0);
                if (streq(key, "persistent")) {
                        int b;
                        assert_true(sd_bus_message_read(m, "v", "b", &b) > 0);
                        assert_true(b);
                        seen |= 1;
                } else if (streq(key, "placement")) {
                        const char *p;
                        assert_true(sd_bus_message_read(m, "v", "s", &p) > 0);
                        assert_string_equal(p, "spread");
                        seen |= 2;
                } else if (streq(key, "attrs")) {
                        assert_true(sd_bus_message_enter_container(m, 'v', "a(ss)") > 0);
                        assert_true(sd_bus_message_enter_container(m, 'a', "(ss)") > 0);
                        assert_true(sd_bus_message_read(m, "(ss)", &k, &v) > 0);
                        assert_string_equal(k, "x");
                        assert_true(sd_bus_message_read(m, "(ss)", &k, &v) > 0);
                        assert_string_equal(k, "y");
                        assert_string_equal(v, "2");
                        assert_true(sd_bus_message_exit_container(m) >= 0);
                        assert_true(sd_bus_message_exit_container(m) >= 0);
                        seen |= 4;
                } else
                        fail_msg("unexpected option %s", key); /* autostart was not asked for */
                assert_true(sd_bus_message_exit_container(m) >= 0);
        }
        assert_int_equal(seen, 7);
        sd_bus_message_unref(m);
        sd_bus_close_unref(bus);
        close(fds[1]);
        create_options_done(&o);
}

static void test_exit_codes(void **state) {
        assert_int_equal(cli_exit_code_for(DBUS_ERROR_INVALID_ARGS), EXIT_USAGE);
        assert_int_equal(cli_exit_code_for(DBUS_ERROR_ACCESS_DENIED), EXIT_DENIED);
        assert_int_equal(cli_exit_code_for(VGPUD_ERROR_NO_SUCH_INSTANCE), EXIT_NOT_FOUND);
        assert_int_equal(cli_exit_code_for(VGPUD_ERROR_NO_SUCH_TYPE), EXIT_NOT_FOUND);
        assert_int_equal(cli_exit_code_for(VGPUD_ERROR_NO_CAPACITY), EXIT_REFUSED);
        assert_int_equal(cli_exit_code_for(VGPUD_ERROR_IN_USE), EXIT_REFUSED);
        assert_int_equal(cli_exit_code_for(VGPUD_ERROR_IO), EXIT_FAILED);
        assert_int_equal(cli_exit_code_for("org.freedesktop.DBus.Error.ServiceUnknown"), EXIT_UNREACHABLE);
        assert_int_equal(cli_exit_code_for("com.example.Unknown"), EXIT_FAILED);
        assert_int_equal(cli_exit_code_for(NULL), EXIT_FAILED);
        assert_non_null(strstr(cli_hint_for(VGPUD_ERROR_NO_CAPACITY), "vgpuctl types"));
        assert_non_null(strstr(cli_hint_for(VGPUD_ERROR_NO_SUCH_TYPE), "vgpuctl types"));
        assert_null(cli_hint_for("com.example.Unknown"));
}

static void test_command_table(void **state) {
        static const char *const names[] = {"gpus",    "types",    "list",  "show", "create",   "define",
                                            "destroy", "undefine", "start", "stop", "autostart"};
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                const Command *c = command_find(names[i]);
                assert_non_null(c);
                assert_non_null(c->run);
                assert_true(strncmp(c->synopsis, names[i], strlen(names[i])) == 0);
        }
        assert_null(command_find("frobnicate"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_attr_parse), cmocka_unit_test(test_attr_list_order),
                cmocka_unit_test(test_on_off),     cmocka_unit_test(test_options_message),
                cmocka_unit_test(test_exit_codes), cmocka_unit_test(test_command_table),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
