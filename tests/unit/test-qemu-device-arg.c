/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of qemu-device-arg.c: the vfio-user -device JSON, and reading
 * -device arguments in both forms, malformed ones included. */
#include "unit.h"

#include "qemu-device-arg.h"

static void test_build(void **state) {
        char *s = NULL;

        assert_int_equal(qemu_device_arg_vfio_user("/run/vgpud/rpc/a.sock", "vgpud-1", &s), 0);
        assert_string_equal(
                s, "{\"driver\":\"vfio-user-pci\",\"id\":\"vgpud-1\",\"socket\":{\"path\":\"/run/vgpud/rpc/"
                   "a.sock\",\"type\":\"unix\"}}");
        free(s);
        assert_int_equal(qemu_device_arg_vfio_user("/tmp/a \"b\"\\c,d.sock", NULL, &s), 0);
        assert_string_equal(
                s, "{\"driver\":\"vfio-user-pci\",\"socket\":{\"path\":\"/tmp/a \\\"b\\\"\\\\c,d.sock\","
                   "\"type\":\"unix\"}}");
        free(s);
        s = NULL;
        assert_int_equal(qemu_device_arg_vfio_user("", NULL, &s), -EINVAL);
        assert_int_equal(qemu_device_arg_vfio_user(NULL, NULL, &s), -EINVAL);
        assert_null(s);
}

static void test_round_trip(void **state) {
        static const char *const paths[] = {"/run/x.sock", "/tmp/a \"b\"\\c,d.sock", "/tmp/ünïcödé/{}.sock"};
        for (size_t k = 0; k < ELEMENTSOF(paths); k++) {
                struct qemu_device_arg a = {};
                _cleanup_free_ char *s = NULL;
                assert_int_equal(qemu_device_arg_vfio_user(paths[k], "dev0", &s), 0);
                assert_int_equal(qemu_device_arg_parse(s, &a), 0);
                assert_string_equal(a.driver, VFIO_USER_PCI_DRIVER);
                assert_string_equal(a.socket_path, paths[k]);
                assert_string_equal(a.socket_type, "unix");
                assert_string_equal(a.id, "dev0");
                qemu_device_arg_done(&a);
        }
}

static void test_parse_json(void **state) {
        struct qemu_device_arg a = {};

        assert_int_equal(
                qemu_device_arg_parse("  {\"driver\": \"vfio-user-pci\", \"socket\": {\"type\": \"unix\", "
                                      "\"path\": \"/s\"}, \"x-extra\": [1, 2]}\n",
                                      &a),
                0);
        assert_string_equal(a.driver, "vfio-user-pci");
        assert_string_equal(a.socket_path, "/s");
        assert_null(a.id);
        qemu_device_arg_done(&a);
        assert_int_equal(qemu_device_arg_parse("{\"driver\":\"virtio-net-pci\",\"netdev\":\"n0\"}", &a), 0);
        assert_string_equal(a.driver, "virtio-net-pci");
        assert_null(a.socket_path);
        qemu_device_arg_done(&a);

        static const char *const bad[] = {
                "{",
                "{}",
                "{\"driver\":5}",
                "{\"driver\":\"vfio-user-pci\"} trailing",
                "{\"driver\":\"vfio-user-pci\",\"socket\":\"/s\"}",
                "{\"driver\":\"vfio-user-pci\",\"socket\":{\"path\":7}}",
                "{\"driver\":\"vfio-user-pci\",\"id\":null}",
                "{\"driver\":\"x\",\"a\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}", /* deeper than 8 */
                "{\"driver\":\"vfio-user-pci\"}{}",
        };
        for (size_t k = 0; k < ELEMENTSOF(bad); k++) {
                a = (struct qemu_device_arg){};
                if (qemu_device_arg_parse(bad[k], &a) != -EINVAL)
                        fail_msg("accepted %s", bad[k]);
                assert_null(a.driver);
        }
        assert_int_equal(qemu_device_arg_parse(NULL, &a), -EINVAL);
}

static void test_parse_keyval(void **state) {
        struct qemu_device_arg a = {};

        assert_int_equal(
                qemu_device_arg_parse("vfio-user-pci,socket.path=/a,,b.sock,socket.type=unix,x-on", &a), 0);
        assert_string_equal(a.driver, "vfio-user-pci");
        assert_string_equal(a.socket_path, "/a,b.sock");
        assert_string_equal(a.socket_type, "unix");
        qemu_device_arg_done(&a);

        assert_int_equal(qemu_device_arg_parse("driver=vfio-user-pci,id=d1,socket.path=/s,", &a), 0);
        assert_string_equal(a.driver, "vfio-user-pci");
        assert_string_equal(a.id, "d1");
        assert_string_equal(a.socket_path, "/s");
        qemu_device_arg_done(&a);

        assert_int_equal(qemu_device_arg_parse("e1000,netdev=n0,mac=52:54:00:00:00:01", &a), 0);
        assert_string_equal(a.driver, "e1000");
        qemu_device_arg_done(&a);

        assert_int_equal(qemu_device_arg_parse("vfio-user-pci,socket.path=", &a), 0);
        assert_string_equal(a.socket_path, "");
        qemu_device_arg_done(&a);

        static const char *const bad[] = {
                "",
                ",",
                "=x",
                "socket.path=/s",                              /* no driver */
                "vfio-user-pci,socket.path=/a,socket.path=/b", /* twice */
                "vfio-user-pci,driver=x",
                ",,,",
        };
        for (size_t k = 0; k < ELEMENTSOF(bad); k++)
                if (qemu_device_arg_parse(bad[k], &a) != -EINVAL)
                        fail_msg("accepted \"%s\"", bad[k]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_build),
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_parse_json),
                cmocka_unit_test(test_parse_keyval),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
