/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of log.c: level parsing and the errno-returning contract. */

#include "unit.h"

#include "log.h"

static void test_parse_level(void **state) {
        assert_int_equal(log_parse_level("debug"), LOG_DEBUG);
        assert_int_equal(log_parse_level("WARNING"), LOG_WARNING);
        assert_int_equal(log_parse_level("error"), LOG_ERR);
        assert_int_equal(log_parse_level("3"), LOG_ERR);
        assert_int_equal(log_parse_level("8"), -EINVAL);
        assert_int_equal(log_parse_level(""), -EINVAL);
        assert_int_equal(log_parse_level("loud"), -EINVAL);
}

static void test_errno_contract(void **state) {
        log_set_max_level(LOG_EMERG); /* keep the test output clean */
        errno = 42;
        assert_int_equal(log_error_errno(EBUSY, "x: %m"), -EBUSY);
        assert_int_equal(log_error_errno(-ENOSPC, "x: %m"), -ENOSPC);
        assert_int_equal(errno, 42); /* logging never clobbers errno */
        assert_int_equal(log_info("hello"), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_level),
                cmocka_unit_test(test_errno_contract),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
