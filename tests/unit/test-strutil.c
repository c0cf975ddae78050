/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of strutil.c: string vectors, alias normalization, the string buffer. */
#include "unit.h"

#include "strutil.h"

static void test_alias_normalize(void **state) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                {"GRID T4-2Q", "grid-t4-2q"},
                {"grid_t4 2q", "grid-t4-2q"},
                {"  --GRID   T4--2Q-- ", "grid-t4-2q"},
                {"i915-GVTg_V5_4", "i915-gvtg-v5-4"},
                {"", ""},
                {"---", ""},
                {"\xff\xfe"
                 "A",
                 "a"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *s = alias_normalize(cases[i].in);
                assert_string_equal(s, cases[i].out);
                free(s);
        }
}

static void test_escape(void **state) {
        char *s = str_escape("a\x01"
                             "b\\c\xff\n");
        assert_string_equal(s, "a\\x01b\\x5cc\\xff\\x0a");
        free(s);
}

static void test_strv(void **state) {
        _cleanup_strv_free_ char **v = NULL;
        assert_int_equal(strv_length(v), 0);
        assert_int_equal(strv_extend(&v, "a"), 0);
        assert_int_equal(strv_extend_unique(&v, "a"), 0);
        assert_int_equal(strv_extend_unique(&v, "b"), 0);
        assert_int_equal(strv_length(v), 2);
        assert_true(strv_contains(v, "b"));
        assert_false(strv_contains(v, "c"));
        char **c = strv_copy(v);
        assert_int_equal(strv_length(c), 2);
        assert_string_equal(c[1], "b");
        strv_free(c);
        assert_int_equal(strv_extend(&v, "a"), 0);
        strv_remove(v, "a"); /* every copy */
        assert_int_equal(strv_length(v), 1);
        assert_string_equal(v[0], "b");
        strv_remove(v, "c");
        assert_int_equal(strv_length(v), 1);
        strv_remove(v, "b");
        assert_int_equal(strv_length(v), 0);
        strv_remove(NULL, "b");
}

static void test_strbuf(void **state) {
        struct strbuf b = {};
        char *s;

        s = strbuf_steal(&b);
        assert_string_equal(s, "");
        free(s);
        for (int i = 0; i < 1000; i++)
                strbuf_appendf(&b, "%d,", i);
        strbuf_append(&b, "end");
        s = strbuf_steal(&b);
        assert_true(startswith(s, "0,1,2,"));
        assert_true(endswith(s, "999,end"));
        free(s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_alias_normalize),
                cmocka_unit_test(test_escape),
                cmocka_unit_test(test_strv),
                cmocka_unit_test(test_strbuf),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
