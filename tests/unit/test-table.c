/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of cli/table.c: alignment, UTF-8 widths, colour only when asked, no trailing blanks. */

#include "unit.h"

#include "table.h"

static char *render(Table *t, bool color) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        assert_int_equal(table_print(t, f, color), 0);
        fclose(f);
        return buf;
}

static void test_alignment(void **state) {
        Table *t = table_new("UUID", "TYPE", "AVAIL", NULL);
        assert_non_null(t);
        table_set_right_aligned(t, 2);
        assert_int_equal(table_add_row(t, "a", "nvidia-231", "8", NULL), 0);
        assert_int_equal(table_add_row(t, "bbbbbb", "x", "16", NULL), 0);
        assert_int_equal(table_rows(t), 2);
        char *out = render(t, false);
        assert_string_equal(out, "UUID    TYPE        AVAIL\n"
                                 "a       nvidia-231      8\n"
                                 "bbbbbb  x              16\n");
        free(out);
        table_free(t);
}

static void test_null_cells_and_last_column(void **state) {
        Table *t = table_new("A", "NOTE", NULL);
        assert_int_equal(table_add_row(t, NULL, "long note here"), 0);
        assert_int_equal(table_add_row(t, "x", ""), 0);
        char *out = render(t, false);
        /* NULL prints as "-"; the last column is never padded. */
        assert_string_equal(out, "A  NOTE\n-  long note here\nx  \n");
        free(out);
        table_free(t);
}

static void test_utf8_width(void **state) {
        assert_int_equal(utf8_width("abc"), 3);
        assert_int_equal(utf8_width("Grüße"), 5);
        Table *t = table_new("N", "X", NULL);
        assert_int_equal(table_add_row(t, "é", "1"), 0);
        assert_int_equal(table_add_row(t, "ab", "2"), 0);
        char *out = render(t, false);
        assert_string_equal(out, "N   X\né   1\nab  2\n");
        free(out);
        table_free(t);
}

static const char *red_if_zero(const char *v) {
        return streq(v, "0") ? "\033[31m" : NULL;
}

static void test_color(void **state) {
        Table *t = table_new("K", "V", NULL);
        table_set_color(t, 1, red_if_zero);
        assert_int_equal(table_add_row(t, "a", "0"), 0);
        assert_int_equal(table_add_row(t, "b", "1"), 0);

        char *plain = render(t, false);
        assert_null(strchr(plain, '\033'));
        free(plain);

        char *colored = render(t, true);
        assert_non_null(strstr(colored, "\033[1mK\033[0m"));
        assert_non_null(strstr(colored, "\033[31m0\033[0m"));
        assert_null(strstr(colored, "\033[31m1"));
        free(colored);
        table_free(t);
}

static void test_many_rows(void **state) {
        Table *t = table_new("I", NULL);
        char buf[16];
        for (int i = 0; i < 1000; i++) {
                snprintf(buf, sizeof(buf), "%d", i);
                assert_int_equal(table_add_row(t, buf), 0);
        }
        assert_int_equal(table_rows(t), 1000);
        char *out = render(t, false);
        assert_non_null(strstr(out, "\n999\n"));
        free(out);
        table_free(t);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_alignment),  cmocka_unit_test(test_null_cells_and_last_column),
                cmocka_unit_test(test_utf8_width), cmocka_unit_test(test_color),
                cmocka_unit_test(test_many_rows),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
