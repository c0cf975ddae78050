/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of error.c: the detail behind a -errno, and lists of problems. */
#include "unit.h"

#include "error.h"

static void test_to_string(void **state) {
        struct vgpu_error e = {};
        char *s;

        assert_int_equal(vgpu_error_set(&e, -ENOSPC, "/sys/x/create", "Cannot create mdev %s.", "u"),
                         -ENOSPC);
        assert_int_equal(e.error, ENOSPC);
        s = vgpu_error_to_string(&e);
        assert_string_equal(s, "Cannot create mdev u. (/sys/x/create: No space left on device)");
        free(s);

        /* the path once, when the message has it already */
        vgpu_error_set(&e, EINVAL, "a.conf", "a.conf:3: bad");
        s = vgpu_error_to_string(&e);
        assert_string_equal(s, "a.conf:3: bad (Invalid argument)");
        free(s);

        vgpu_error_set(&e, 0, NULL, "Just words.");
        s = vgpu_error_to_string(&e);
        assert_string_equal(s, "Just words.");
        free(s);

        vgpu_error_set(&e, ENOENT, "/p", NULL);
        s = vgpu_error_to_string(&e);
        assert_string_equal(s, "/p: No such file or directory");
        free(s);
        vgpu_error_clear(&e);
        assert_null(e.path);

        /* no error struct: the errno still comes back */
        assert_int_equal(vgpu_error_set(NULL, EBUSY, NULL, "x"), -EBUSY);
}

static void test_list(void **state) {
        struct vgpu_error_list l = {};
        struct vgpu_error e = {};

        assert_int_equal(vgpu_error_list_add(&l, EINVAL, "/a", "bad %d", 1), -EINVAL);
        vgpu_error_set(&e, EIO, "/b", "worse");
        assert_int_equal(vgpu_error_list_take(&l, &e), 0);
        assert_null(e.message);
        assert_int_equal(l.n, 2);
        assert_string_equal(l.items[0].message, "bad 1");
        assert_string_equal(l.items[1].path, "/b");
        vgpu_error_list_clear(&l);
        assert_int_equal(l.n, 0);
        /* a NULL list is allowed: callers that do not care pass none */
        assert_int_equal(vgpu_error_list_add(NULL, ENOENT, NULL, "ignored"), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_to_string),
                cmocka_unit_test(test_list),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
