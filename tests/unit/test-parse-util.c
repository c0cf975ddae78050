/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of parse-util.c: strict numbers, sizes, durations, booleans. */
#include "unit.h"

#include "parse-util.h"

static void test_atou(void **state) {
        unsigned u = 7;
        uint64_t v;

        assert_int_equal(safe_atou("0", &u), 0);
        assert_int_equal(u, 0);
        assert_int_equal(safe_atou("4294967295", &u), 0);
        assert_int_equal(u, 4294967295u);
        assert_int_equal(safe_atou("4294967296", &u), -ERANGE);
        assert_int_equal(safe_atou("", &u), -EINVAL);
        assert_int_equal(safe_atou(" 1", &u), -EINVAL);
        assert_int_equal(safe_atou("1 ", &u), -EINVAL);
        assert_int_equal(safe_atou("-1", &u), -EINVAL);
        assert_int_equal(safe_atou("+1", &u), -EINVAL);
        assert_int_equal(safe_atou("0x10", &u), -EINVAL);
        assert_int_equal(safe_atou64("18446744073709551615", &v), 0);
        assert_int_equal(v, UINT64_MAX);
        assert_int_equal(safe_atou64("18446744073709551616", &v), -ERANGE);
        assert_int_equal(safe_atou_n("12ab", 2, &u), 0);
        assert_int_equal(u, 12);
        assert_int_equal(safe_atou_n("12ab", 0, &u), -EINVAL);
}

static void test_size(void **state) {
        uint64_t v;

        assert_int_equal(parse_size("512", &v), 0);
        assert_int_equal(v, 512);
        assert_int_equal(parse_size("64M", &v), 0);
        assert_int_equal(v, 64ull << 20);
        assert_int_equal(parse_size("64MiB", &v), 0);
        assert_int_equal(v, 64ull << 20);
        assert_int_equal(parse_size("2G", &v), 0);
        assert_int_equal(v, 2ull << 30);
        assert_int_equal(parse_size("1.5K", &v), 0);
        assert_int_equal(v, 1536);
        assert_int_equal(parse_size("1T", &v), 0);
        assert_int_equal(v, 1ull << 40);
        assert_int_equal(parse_size("1.5", &v), -EINVAL);
        assert_int_equal(parse_size("M", &v), -EINVAL);
        assert_int_equal(parse_size("2X", &v), -EINVAL);
        assert_int_equal(parse_size("", &v), -EINVAL);
        assert_int_equal(parse_size("99999999999999999T", &v), -ERANGE);
}

static void test_duration(void **state) {
        uint64_t v;

        assert_int_equal(parse_duration("2", &v), 0);
        assert_int_equal(v, 2 * USEC_PER_SEC);
        assert_int_equal(parse_duration("250ms", &v), 0);
        assert_int_equal(v, 250 * USEC_PER_MSEC);
        assert_int_equal(parse_duration("1.5s", &v), 0);
        assert_int_equal(v, 1500 * USEC_PER_MSEC);
        assert_int_equal(parse_duration("5min", &v), 0);
        assert_int_equal(v, 300 * USEC_PER_SEC);
        assert_int_equal(parse_duration("1h", &v), 0);
        assert_int_equal(v, 3600 * USEC_PER_SEC);
        assert_int_equal(parse_duration("7us", &v), 0);
        assert_int_equal(v, 7);
        assert_int_equal(parse_duration("0", &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(parse_duration("1 s", &v), -EINVAL);
        assert_int_equal(parse_duration("s", &v), -EINVAL);
        assert_int_equal(parse_duration("1.s", &v), -EINVAL);
        assert_int_equal(parse_duration("-1s", &v), -EINVAL);
        assert_int_equal(parse_duration("1d", &v), -EINVAL);
}

static void test_boolean_decimal(void **state) {
        uint64_t v;

        assert_int_equal(parse_boolean("yes"), 1);
        assert_int_equal(parse_boolean("On"), 1);
        assert_int_equal(parse_boolean("0"), 0);
        assert_int_equal(parse_boolean("FALSE"), 0);
        assert_int_equal(parse_boolean("maybe"), -EINVAL);
        assert_int_equal(parse_boolean(""), -EINVAL);
        assert_int_equal(parse_decimal_milli("2", &v), 0);
        assert_int_equal(v, 2000);
        assert_int_equal(parse_decimal_milli("1.25", &v), 0);
        assert_int_equal(v, 1250);
        assert_int_equal(parse_decimal_milli("1.2x", &v), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_atou),
                cmocka_unit_test(test_size),
                cmocka_unit_test(test_duration),
                cmocka_unit_test(test_boolean_decimal),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
