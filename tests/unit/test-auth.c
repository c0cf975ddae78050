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

static void test_cache(void **state) {
        static AuthCache cache;
        const sd_id128_t bus_a =
                SD_ID128_MAKE(01, 02, 03, 04, 05, 06, 07, 08, 09, 0a, 0b, 0c, 0d, 0e, 0f, 10);
        const sd_id128_t bus_b =
                SD_ID128_MAKE(11, 02, 03, 04, 05, 06, 07, 08, 09, 0a, 0b, 0c, 0d, 0e, 0f, 10);
        const gid_t groups[] = {100, 4242};
        gid_t many[AUTH_CACHE_GROUPS + 1] = {};
        char name[32];

        assert_null(auth_cache_lookup(&cache, bus_a, ":1.7"));
        auth_cache_store(&cache, bus_a, ":1.7", 1000, groups, 2);
        const CachedCaller *c = auth_cache_lookup(&cache, bus_a, ":1.7");
        assert_non_null(c);
        assert_int_equal(c->euid, 1000);
        assert_int_equal(c->n_groups, 2);
        assert_int_equal(c->groups[1], 4242);
        /* Another bus (a restarted dbus-daemon) may give the same name to someone else. */
        assert_null(auth_cache_lookup(&cache, bus_b, ":1.7"));
        assert_null(auth_cache_lookup(&cache, bus_a, ":1.70"));
        assert_null(auth_cache_lookup(&cache, bus_a, NULL));
        /* Too many groups to keep: asked for each time, never cut short. */
        auth_cache_store(&cache, bus_a, ":1.8", 1001, many, ELEMENTSOF(many));
        assert_null(auth_cache_lookup(&cache, bus_a, ":1.8"));
        /* The oldest goes first. */
        for (int i = 0; i < AUTH_CACHE_SIZE; i++) {
                snprintf(name, sizeof(name), ":1.%d", 100 + i);
                auth_cache_store(&cache, bus_a, name, 0, NULL, 0);
        }
        assert_null(auth_cache_lookup(&cache, bus_a, ":1.7"));
        assert_non_null(auth_cache_lookup(&cache, bus_a, ":1.100"));
        assert_non_null(auth_cache_lookup(&cache, bus_a, name));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_root),          cmocka_unit_test(test_supplementary_group),
                cmocka_unit_test(test_primary_group), cmocka_unit_test(test_member_list),
                cmocka_unit_test(test_no_group),      cmocka_unit_test(test_cache),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
