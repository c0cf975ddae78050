/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of daemon/auth.c: who may change the host (the decision; the bus side is in auth.bats). */

#include "unit.h"

#include "auth.h"

static void test_root(void **state) {
        Caller c = {.euid = 0, .egid = 0};
        assert_true(auth_caller_allowed(&c, (gid_t) -1, NULL, "root"));
        assert_true(auth_caller_allowed(&c, 1000, NULL, "root"));
}

static void test_supplementary_group(void **state) {
        const gid_t groups[] = {24, 1000, 1234};
        Caller c = {.euid = 1000, .egid = 1000, .groups = groups, .n_groups = ELEMENTSOF(groups)};
        assert_true(auth_caller_allowed(&c, 1234, NULL, "alice"));
        assert_false(auth_caller_allowed(&c, 999, NULL, "alice"));
}

static void test_primary_group(void **state) {
        Caller c = {.euid = 1000, .egid = 555};
        assert_true(auth_caller_allowed(&c, 555, NULL, "alice"));
}

static void test_member_list(void **state) {
        char bob[] = "bob", alice[] = "alice";
        char *members[] = {bob, alice, NULL};
        Caller c = {.euid = 1000, .egid = 1000};
        assert_true(auth_caller_allowed(&c, 4242, members, "alice"));
        assert_false(auth_caller_allowed(&c, 4242, members, "mallory"));
        assert_false(auth_caller_allowed(&c, 4242, members, NULL));
}

static void test_no_group(void **state) {
        /* The configured group does not exist: only root. */
        const gid_t groups[] = {(gid_t) -1};
        Caller c = {.euid = 1000, .egid = (gid_t) -1, .groups = groups, .n_groups = 1};
        assert_false(auth_caller_allowed(&c, (gid_t) -1, NULL, "alice"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_root),          cmocka_unit_test(test_supplementary_group),
                cmocka_unit_test(test_primary_group), cmocka_unit_test(test_member_list),
                cmocka_unit_test(test_no_group),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
