/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of cli/output.c's atomic file replacement and cli/bus-json.c's D-Bus-to-JSON walk. */

#include "unit.h"

#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "bus-json.h"
#include "fileio.h"
#include "output.h"

static size_t count_entries(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;
        assert_non_null(d);
        while ((de = readdir(d)))
                n += de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."));
        closedir(d);
        return n;
}

static void test_write_atomic(void **state) {
        char dir[] = "/tmp/test-cli-output.XXXXXX";
        _cleanup_free_ char *path = NULL, *text = NULL;
        struct stat st;

        assert_non_null(mkdtemp(dir));
        assert_true(asprintf(&path, "%s/vgpu.prom", dir) > 0);

        /* new file, then a replacement: the content is the last one, mode 0644, no temp left */
        assert_int_equal(output_write_atomic(path, "a 1\n", 4), 0);
        assert_int_equal(output_write_atomic(path, "b 2\n# EOF\n", 10), 0);
        assert_int_equal(read_full_file(path, 1024, &text, NULL), 0);
        assert_string_equal(text, "b 2\n# EOF\n");
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);
        assert_int_equal(count_entries(dir), 1);

        /* a directory that does not exist: the errno, nothing made */
        _cleanup_free_ char *bad = NULL;
        assert_true(asprintf(&bad, "%s/missing/vgpu.prom", dir) > 0);
        assert_int_equal(output_write_atomic(bad, "x", 1), -ENOENT);
        assert_int_equal(count_entries(dir), 1);

        assert_int_equal(unlink(path), 0);
        assert_int_equal(rmdir(dir), 0);
}

/* A message with the types vgpud's signals carry, read back as JSON. */
static void test_bus_json(void **state) {
        sd_bus *bus;
        sd_bus_message *m;
        int fds[2];

        /* A started bus (one end of a socketpair, never authenticated) builds messages. */
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        assert_int_equal(sd_bus_new(&bus), 0);
        assert_int_equal(sd_bus_set_fd(bus, fds[0], fds[0]), 0);
        assert_true(sd_bus_start(bus) >= 0);
        assert_int_equal(sd_bus_message_new_signal(bus, &m, "/org/vgpud1/instance/x",
                                                   "org.freedesktop.DBus.Properties", "PropertiesChanged"),
                         0);
        assert_true(sd_bus_message_append(m, "s", "org.vgpud1.Instance") >= 0);
        assert_true(sd_bus_message_append(m, "a{sv}", 6, "State", "s", "created", "IommuGroup", "i", -1,
                                          "Persistent", "b", 1, "Counters", "a{st}", 2, "busy_ns",
                                          UINT64_C(18446744073709551615), "commands", UINT64_C(7),
                                          "Attributes", "a(ss)", 1, "frl", "0", "MeasuredShare", "d",
                                          0.25) >= 0);
        assert_true(sd_bus_message_append(m, "as", 1, "Owner") >= 0);
        assert_int_equal(sd_bus_message_seal(m, 1, 0), 0);
        assert_int_equal(sd_bus_message_rewind(m, true), 1);

        json_object *iface, *props, *inval;
        assert_int_equal(bus_message_read_json(m, &iface), 0);
        assert_int_equal(bus_message_read_json(m, &props), 0);
        assert_int_equal(bus_message_read_json(m, &inval), 0);
        /* and nothing more */
        json_object *none = NULL;
        assert_int_equal(bus_message_read_json(m, &none), -ENXIO);

        assert_string_equal(json_object_get_string(iface), "org.vgpud1.Instance");
        assert_string_equal(json_object_to_json_string_ext(props, JSON_C_TO_STRING_PLAIN),
                            "{\"State\":\"created\",\"IommuGroup\":-1,\"Persistent\":true,"
                            "\"Counters\":{\"busy_ns\":18446744073709551615,\"commands\":7},"
                            "\"Attributes\":[[\"frl\",\"0\"]],\"MeasuredShare\":0.25}");
        assert_string_equal(json_object_to_json_string_ext(inval, JSON_C_TO_STRING_PLAIN), "[\"Owner\"]");
        json_object_put(iface);
        json_object_put(props);
        json_object_put(inval);
        sd_bus_message_unref(m);
        /* Nothing was sent: a flush would wait out the never-finished authentication (90 s). */
        sd_bus_close_unref(bus);
        close(fds[1]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_write_atomic),
                cmocka_unit_test(test_bus_json),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
