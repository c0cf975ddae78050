/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of what vgpud takes from its libvirt domain reader
 * (libvirt_watch_parse_line(), daemon/libvirt-watch.c): the two forms are
 * read, anything else from that process is refused with a reason, and
 * nothing leaks on the way out.
 */
#include "unit.h"

#include <stdlib.h>

#include "libvirt-watch.h"

#define U1 "5b6f2a60-3a2c-4b79-9d55-3f1f1a4c1d01"

static int parse(const char *line, bool *reachable, struct libvirt_reference **refs, size_t *n,
                 char **error) {
        *refs = NULL;
        *n = 0;
        *error = NULL;
        return libvirt_watch_parse_line(line, strlen(line), reachable, refs, n, error);
}

static void test_reachable(void **state) {
        struct libvirt_reference *refs;
        char *error;
        bool reachable = false;
        size_t n;

        assert_int_equal(
                parse("{\"reachable\": true, \"refs\": [{\"domain\": \"vm1\", \"kind\": \"mdev\", "
                      "\"device\": "
                      "\"" U1 "\"}, {\"domain\": \"vm2\", \"kind\": \"pci\", \"device\": \"0000:3b:00.4\"}, "
                      "{\"domain\": \"vm2\", \"kind\": \"vfio-user\", \"device\": "
                      "\"/run/vgpud/rpc/x.sock\"}]}",
                      &reachable, &refs, &n, &error),
                0);
        assert_true(reachable);
        assert_null(error);
        assert_int_equal(n, 3);
        assert_string_equal(refs[0].domain, "vm1");
        assert_int_equal(refs[0].kind, VGPU_DEVICE_MDEV);
        assert_string_equal(refs[0].device, U1);
        assert_int_equal(refs[1].kind, VGPU_DEVICE_PCI);
        assert_int_equal(refs[2].kind, VGPU_DEVICE_VFIO_USER);
        assert_string_equal(refs[2].device, "/run/vgpud/rpc/x.sock");
        libvirt_references_free(refs, n);

        /* no running domain is a list too: it releases every owner libvirt had */
        assert_int_equal(parse("{\"reachable\":true,\"refs\":[]}", &reachable, &refs, &n, &error), 0);
        assert_true(reachable);
        assert_int_equal(n, 0);
        libvirt_references_free(refs, n);
}

static void test_unreachable(void **state) {
        struct libvirt_reference *refs;
        char *error;
        bool reachable = true;
        size_t n;

        assert_int_equal(parse("{\"reachable\": false, \"error\": \"cannot connect:\\nline two\"}",
                               &reachable, &refs, &n, &error),
                         0);
        assert_false(reachable);
        assert_null(refs);
        /* one log line, whatever libvirt's message holds */
        assert_string_equal(error, "cannot connect: line two");
        free(error);
}

static void test_refused(void **state) {
        static const char *const bad[] = {
                "",
                "not json {",
                "[]",
                "{\"reachable\": true}",
                "{\"reachable\": \"yes\", \"refs\": []}",
                "{\"reachable\": false}",
                "{\"reachable\": false, \"error\": 5}",
                "{\"reachable\": true, \"refs\": {}}",
                "{\"reachable\": true, \"refs\": [5]}",
                "{\"reachable\": true, \"refs\": [{\"domain\": \"vm\", \"kind\": \"floppy\", \"device\": "
                "\"x\"}]}",
                "{\"reachable\": true, \"refs\": [{\"domain\": \"\", \"kind\": \"mdev\", \"device\": "
                "\"x\"}]}",
                "{\"reachable\": true, \"refs\": [{\"domain\": \"vm\", \"kind\": \"mdev\", \"device\": "
                "\"\"}]}",
                "{\"reachable\": true, \"refs\": [{\"domain\": \"vm\", \"kind\": \"mdev\", \"device\": "
                "\"a\"}, "
                "{\"domain\": \"vm\", \"kind\": \"mdev\"}]}",
                "{\"reachable\": true, \"refs\": []} {}",
                "{\"reachable\": true, \"refs\": [], }",
                "{\"reachable\": true, \"refs\": [{\"domain\": \"\xff\xfe\", \"kind\": \"mdev\", "
                "\"device\": \"x\"}]}",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct libvirt_reference *refs;
                char *error;
                bool reachable;
                size_t n;

                assert_int_equal(parse(bad[i], &reachable, &refs, &n, &error), -EBADMSG);
                assert_non_null(error);
                free(error);
        }

        /* a NUL inside the line, and a line over the limit */
        struct libvirt_reference *refs;
        char *error;
        bool reachable;
        size_t n;
        assert_int_equal(
                libvirt_watch_parse_line("{\"reachable\"\0: true}", 20, &reachable, &refs, &n, &error),
                -EBADMSG);
        free(error);
        char *big = malloc(LIBVIRT_WATCH_LINE_MAX + 2);
        assert_non_null(big);
        memset(big, ' ', LIBVIRT_WATCH_LINE_MAX + 1);
        big[LIBVIRT_WATCH_LINE_MAX + 1] = 0;
        assert_int_equal(parse(big, &reachable, &refs, &n, &error), -EBADMSG);
        free(error);
        free(big);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_reachable),
                cmocka_unit_test(test_unreachable),
                cmocka_unit_test(test_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
