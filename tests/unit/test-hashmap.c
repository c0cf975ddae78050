/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of hashmap.c, checked against a plain array under random insert/remove. */
#include "unit.h"

#include "hashmap.h"

static void test_basic(void **state) {
        _cleanup_(strmap_freep) struct strmap *m = strmap_new();
        int a = 1, b = 2;

        assert_null(strmap_get(m, "x"));
        assert_int_equal(strmap_put(m, "x", &a), 0);
        assert_int_equal(strmap_put(m, "x", &b), -EEXIST);
        assert_ptr_equal(strmap_get(m, "x"), &a);
        assert_int_equal(strmap_replace(m, "x", &b), 0);
        assert_ptr_equal(strmap_get(m, "x"), &b);
        assert_int_equal(strmap_size(m), 1);
        assert_ptr_equal(strmap_remove(m, "x"), &b);
        assert_null(strmap_remove(m, "x"));
        assert_int_equal(strmap_size(m), 0);
}

static void test_random_against_array(void **state) {
        _cleanup_(strmap_freep) struct strmap *m = strmap_new();
        enum { N = 3000 };
        static char keys[N][16];
        static bool present[N];
        unsigned x = 99;

        for (int i = 0; i < N; i++)
                snprintf(keys[i], sizeof(keys[i]), "k%d", i);
        for (int round = 0; round < 200000; round++) {
                x ^= x << 13, x ^= x >> 17, x ^= x << 5;
                int i = (int) (x % N);
                if ((x >> 16) & 1) {
                        int r = strmap_put(m, keys[i], keys[i]);
                        assert_int_equal(r, present[i] ? -EEXIST : 0);
                        present[i] = true;
                } else {
                        void *v = strmap_remove(m, keys[i]);
                        assert_ptr_equal(v, present[i] ? keys[i] : NULL);
                        present[i] = false;
                }
        }
        size_t n = 0;
        for (int i = 0; i < N; i++) {
                assert_ptr_equal(strmap_get(m, keys[i]), present[i] ? keys[i] : NULL);
                n += present[i];
        }
        assert_int_equal(strmap_size(m), n);

        size_t it = 0, seen = 0;
        const char *k;
        void *v;
        while (strmap_iterate(m, &it, &k, &v)) {
                assert_ptr_equal(k, v);
                seen++;
        }
        assert_int_equal(seen, n);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_basic),
                cmocka_unit_test(test_random_against_array),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
