/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of vendor-gvtg.c: the GVT-g type description. */
#include "unit.h"

#include "vendor-gvtg.h"

static void test_kernel_format(void **state) {
        struct gvtg_description d;

        assert_int_equal(gvtg_parse_description("low_gm_size: 128MB\nhigh_gm_size: 512MB\nfence: 4\n"
                                                "resolution: 1920x1200\nweight: 4\n",
                                                &d),
                         0);
        assert_int_equal(d.low_gm_mb, 128);
        assert_int_equal(d.high_gm_mb, 512);
        assert_int_equal(d.fence, 4);
        assert_int_equal(d.width, 1920);
        assert_int_equal(d.height, 1200);
        assert_int_equal(d.weight, 4);
        assert_int_equal(d.present, GVTG_DESC_LOW_GM | GVTG_DESC_HIGH_GM | GVTG_DESC_FENCE |
                                            GVTG_DESC_RESOLUTION | GVTG_DESC_WEIGHT);
}

static void test_mdevctl_format_and_extras(void **state) {
        struct gvtg_description d;

        /* mdevctl joins the lines with ", " */
        assert_int_equal(gvtg_parse_description("low_gm_size: 64MB, high_gm_size: 384MB, fence: 4, "
                                                "resolution: 1024x768, weight: 2",
                                                &d),
                         0);
        assert_int_equal(d.low_gm_mb, 64);
        assert_int_equal(d.weight, 2);

        /* a key we do not know, M without B, CRLF */
        assert_int_equal(gvtg_parse_description("low_gm_size: 512M\r\nnew_key: 7\r\n", &d), 0);
        assert_int_equal(d.low_gm_mb, 512);
        assert_int_equal(d.present, GVTG_DESC_LOW_GM);
}

static void test_hostile(void **state) {
        static const char *const bad[] = {
                "",
                "\n\n",
                "weight",
                "weight:",
                ": 4",
                "weight: four",
                "weight: -4",
                "low_gm_size: 128",
                "low_gm_size: 128GB",
                "low_gm_size: MB",
                "resolution: 1920",
                "resolution: x",
                "weight: 4\nweight: 4",
                "Weight: 4",
                "new_key: 7",
                "we ight: 4",
        };
        struct gvtg_description d = {.weight = 99};

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                int r = gvtg_parse_description(bad[i], &d);
                if (r >= 0)
                        fail_msg("accepted \"%s\"", bad[i]);
        }
        assert_int_equal(gvtg_parse_description("fence: 99999999999", &d), -ERANGE);
        assert_int_equal(d.weight, 99);
}

static void test_random_input(void **state) {
        const char *seed =
                "low_gm_size: 128MB\nhigh_gm_size: 512MB\nfence: 4\nresolution: 1920x1200\nweight: 4\n";
        const char alphabet[] = "lowgmsize_: 0123456789MBx\n,\xff";
        unsigned x = 777;
        char buf[160];

        for (int round = 0; round < 20000; round++) {
                size_t len = strlen(seed);
                memcpy(buf, seed, len + 1);
                for (int k = 0; k < 1 + round % 5; k++) {
                        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
                        size_t pos = x % len;
                        buf[pos] = alphabet[(x >> 8) % (sizeof(alphabet) - 1)];
                        if ((x >> 24) % 7 == 0)
                                buf[pos] = 0;
                }
                struct gvtg_description d;
                int r = gvtg_parse_description(buf, &d);
                assert_true(r == 0 || r == -EINVAL || r == -ERANGE);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kernel_format),
                cmocka_unit_test(test_mdevctl_format_and_extras),
                cmocka_unit_test(test_hostile),
                cmocka_unit_test(test_random_input),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
