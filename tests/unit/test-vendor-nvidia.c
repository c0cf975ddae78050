/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of vendor-nvidia.c: the type name grammar, description and creatable_vgpu_types parsers. */
#include "unit.h"

#include "vendor-nvidia.h"

static void test_name_time_sliced(void **state) {
        struct nvidia_type_name n;

        assert_int_equal(nvidia_parse_name("GRID T4-2Q", &n), 0);
        assert_string_equal(n.prefix, "GRID");
        assert_string_equal(n.board, "T4");
        assert_int_equal(n.framebuffer_mb, 2048);
        assert_int_equal(n.series, 'Q');
        assert_false(n.mig);
        assert_false(n.media_extensions);

        assert_int_equal(nvidia_parse_name("NVIDIA A2-2Q\n", &n), 0);
        assert_string_equal(n.prefix, "NVIDIA");
        assert_string_equal(n.board, "A2");

        assert_int_equal(nvidia_parse_name("T4-16Q", &n), 0);
        assert_string_equal(n.prefix, "");
        assert_int_equal(n.framebuffer_mb, 16384);

        /* size 0 means 512 MB */
        assert_int_equal(nvidia_parse_name("GRID M60-0B", &n), 0);
        assert_int_equal(n.framebuffer_mb, 512);
        assert_int_equal(n.series, 'B');

        assert_int_equal(nvidia_parse_name("GRID T4-1A", &n), 0);
        assert_int_equal(n.series, 'A');
        assert_int_equal(nvidia_parse_name("NVIDIA L40S-48C", &n), 0);
        assert_string_equal(n.board, "L40S");
        assert_int_equal(n.series, 'C');

        /* a series variant, as in the T4's "2B4" */
        assert_int_equal(nvidia_parse_name("GRID T4-2B4", &n), 0);
        assert_int_equal(n.series, 'B');
        assert_int_equal(n.series_variant, 4);
        assert_int_equal(n.framebuffer_mb, 2048);
        assert_int_equal(nvidia_parse_name("GRID T4-2Q", &n), 0);
        assert_int_equal(n.series_variant, 0);

        /* a board name with a dash */
        assert_int_equal(nvidia_parse_name("NVIDIA RTX6000-Ada-4Q", &n), 0);
        assert_string_equal(n.board, "RTX6000-Ada");
        assert_false(n.mig);
}

static void test_name_mig(void **state) {
        struct nvidia_type_name n;

        assert_int_equal(nvidia_parse_name("GRID A100-4-20C", &n), 0);
        assert_true(n.mig);
        assert_int_equal(n.gpu_instance_slices, 4);
        assert_int_equal(n.framebuffer_mb, 20 * 1024);
        assert_string_equal(n.board, "A100");

        assert_int_equal(nvidia_parse_name("NVIDIA A100-1-5CME", &n), 0);
        assert_true(n.mig);
        assert_true(n.media_extensions);
        assert_int_equal(n.gpu_instance_slices, 1);
}

static void test_name_hostile(void **state) {
        static const char *const bad[] = {
                "",
                "GRID",
                "GRID ",
                "-2Q",
                "T4-",
                "T4-Q",
                "T4-2X",
                "T4-2QQ",
                "T4-2B0",      /* a variant does not start with 0 */
                "T4-2B123",    /* nor has three digits */
                "A100-4-20C4", /* no variants on MIG types */
                "T4-2QME",     /* ME only on MIG types */
                "A100-0-5C",   /* zero slices */
                "T4--2Q",
                "T 4-2Q",
                "GRID T4-2Q junk",
                " GRID T4-2Q",
                "grid t4-2q-",
                "\xff\xfe-2Q",
                "T4-2q", /* series letters are upper case */
                "A-B-C-D",
                "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-2Q", /* board too long */
        };
        struct nvidia_type_name n = {.board = "untouched"};

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                int r = nvidia_parse_name(bad[i], &n);
                if (r >= 0)
                        fail_msg("accepted \"%s\"", bad[i]);
                assert_int_equal(r, -EINVAL);
        }
        assert_int_equal(nvidia_parse_name("T4-99999999999Q", &n), -ERANGE);
        assert_int_equal(nvidia_parse_name("T4-2000000Q", &n), -ERANGE);
        assert_string_equal(n.board, "untouched");
}

static void test_description(void **state) {
        struct nvidia_description d;

        assert_int_equal(nvidia_parse_description("num_heads=4, frl_config=60, framebuffer=2048M, "
                                                  "max_resolution=7680x4320, max_instance=12\n",
                                                  &d),
                         0);
        assert_int_equal(d.num_heads, 4);
        assert_int_equal(d.frl_config, 60);
        assert_int_equal(d.framebuffer_mb, 2048);
        assert_int_equal(d.max_width, 7680);
        assert_int_equal(d.max_height, 4320);
        assert_int_equal(d.max_instance, 12);
        assert_int_equal(d.present, NVIDIA_DESC_NUM_HEADS | NVIDIA_DESC_FRL_CONFIG |
                                            NVIDIA_DESC_FRAMEBUFFER | NVIDIA_DESC_MAX_RESOLUTION |
                                            NVIDIA_DESC_MAX_INSTANCE);

        /* another order, a key from a newer driver, G units, no blanks */
        assert_int_equal(nvidia_parse_description("max_instance=1,framebuffer=16G,encoder_capacity=100", &d),
                         0);
        assert_int_equal(d.framebuffer_mb, 16384);
        assert_int_equal(d.max_instance, 1);
        assert_int_equal(d.present, NVIDIA_DESC_FRAMEBUFFER | NVIDIA_DESC_MAX_INSTANCE);
}

static void test_description_hostile(void **state) {
        static const char *const bad[] = {
                "",
                "\n",
                "hello",
                "num_heads=",
                "=4",
                "num_heads=4,",
                "num_heads=4,,frl_config=1",
                "num_heads=-1",
                "num_heads=4, num_heads=4",
                "framebuffer=2048",
                "framebuffer=2048K",
                "framebuffer=M",
                "max_resolution=7680",
                "max_resolution=x4320",
                "max_resolution=7680x",
                "max_resolution=7680x43x20",
                "num heads=4",
                "encoder_capacity=100", /* nothing we know */
                "num_heads=4 frl_config=60",
        };
        struct nvidia_description d = {.num_heads = 77};

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                int r = nvidia_parse_description(bad[i], &d);
                if (r >= 0)
                        fail_msg("accepted \"%s\"", bad[i]);
        }
        assert_int_equal(nvidia_parse_description("max_instance=99999999999", &d), -ERANGE);
        assert_int_equal(d.num_heads, 77);
}

static void test_creatable_types(void **state) {
        struct nvidia_vfio_type *v = NULL;
        size_t n = 99;

        assert_int_equal(nvidia_parse_creatable_types("ID    : vGPU Name\n"
                                                      "1148  : NVIDIA L40S-2Q\n"
                                                      "1155  : NVIDIA L40S-48Q\n",
                                                      &v, &n),
                         0);
        assert_int_equal(n, 2);
        assert_int_equal(v[0].id, 1148);
        assert_string_equal(v[0].name, "NVIDIA L40S-2Q");
        assert_int_equal(v[1].id, 1155);
        assert_string_equal(v[1].name, "NVIDIA L40S-48Q");
        free(v);

        /* a full GPU lists only the header */
        v = (void *) 1;
        assert_int_equal(nvidia_parse_creatable_types("ID    : vGPU Name\n", &v, &n), 0);
        assert_int_equal(n, 0);
        assert_null(v);

        /* blank lines and CRLF are tolerated */
        assert_int_equal(nvidia_parse_creatable_types("\nID : vGPU Name\r\n\n1 : A\r\n", &v, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(v[0].name, "A");
        free(v);
}

static void test_creatable_types_hostile(void **state) {
        static const char *const bad[] = {
                "",
                "1148  : NVIDIA L40S-2Q\n", /* no header */
                "ID    : Name\n1 : x\n",    /* wrong header */
                "ID    : vGPU Name\njunk\n",
                "ID    : vGPU Name\n0     : NVIDIA L40S-2Q\n", /* 0 means none */
                "ID    : vGPU Name\n1 : a\n1 : b\n",           /* duplicate id */
                "ID    : vGPU Name\n1148  :\n",
                "ID    : vGPU Name\n1148  :    \n",
                "ID    : vGPU Name\nx148  : NVIDIA L40S-2Q\n",
                "ID    : vGPU Name\n1148 NVIDIA L40S-2Q\n",
                "ID    : vGPU Name\n-1    : NVIDIA L40S-2Q\n",
                "ID    : vGPU Name\n 1 : x\n",
                "ID    : vGPU Name\n1 : \x01\n",
                "ID    : vGPU Name\n1 : "
                "0123456789012345678901234567890123456789012345678901234567890123456789\n",
        };
        struct nvidia_vfio_type *v = NULL;
        size_t n = 7;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                int r = nvidia_parse_creatable_types(bad[i], &v, &n);
                if (r >= 0)
                        fail_msg("accepted \"%s\"", bad[i]);
        }
        assert_int_equal(nvidia_parse_creatable_types("ID : vGPU Name\n99999999999 : x\n", &v, &n), -ERANGE);
        assert_null(v);
        assert_int_equal(n, 7);
}

static void test_current_type(void **state) {
        unsigned t = 5;
        assert_int_equal(nvidia_parse_current_type("0\n", &t), 0);
        assert_int_equal(t, 0);
        assert_int_equal(nvidia_parse_current_type("1148\n", &t), 0);
        assert_int_equal(t, 1148);
        assert_int_equal(nvidia_parse_current_type("", &t), -EINVAL);
        assert_int_equal(nvidia_parse_current_type("-1", &t), -EINVAL);
        assert_int_equal(nvidia_parse_current_type("12a", &t), -EINVAL);
}

/* Random bytes and mutations of good input: every call ends with 0 or an error, never a crash (ASan
 * watches). */
static void test_random_input(void **state) {
        static const char *const seeds[] = {
                "GRID T4-2Q",
                "NVIDIA A100-4-20CME",
                "num_heads=4, frl_config=60, framebuffer=2048M, max_resolution=7680x4320, max_instance=12",
                "ID    : vGPU Name\n1148  : NVIDIA L40S-2Q\n",
        };
        const char alphabet[] = "GRIDNV -0123456789ABCQMExG=,:\n_abcdefghijklmnopqrstuvwxyz\xff";
        unsigned x = 12345;
        char buf[160];

        for (int round = 0; round < 20000; round++) {
                const char *seed = seeds[round % ELEMENTSOF(seeds)];
                size_t len = strlen(seed);
                memcpy(buf, seed, len + 1);
                for (int k = 0; k < 1 + round % 4; k++) {
                        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
                        size_t pos = x % (len + 1);
                        char c = alphabet[(x >> 8) % (sizeof(alphabet) - 1)];
                        if ((x >> 20) % 3 == 0 && len + 1 < sizeof(buf)) { /* insert */
                                memmove(buf + pos + 1, buf + pos, len - pos + 1);
                                buf[pos] = c;
                                len++;
                        } else if ((x >> 20) % 3 == 1 && pos < len) { /* delete */
                                memmove(buf + pos, buf + pos + 1, len - pos);
                                len--;
                        } else if (pos < len)
                                buf[pos] = c;
                }
                struct nvidia_type_name n;
                struct nvidia_description d;
                struct nvidia_vfio_type *v = NULL;
                size_t nv;
                int r = nvidia_parse_name(buf, &n);
                assert_true(r == 0 || r == -EINVAL || r == -ERANGE);
                r = nvidia_parse_description(buf, &d);
                assert_true(r == 0 || r == -EINVAL || r == -ERANGE);
                r = nvidia_parse_creatable_types(buf, &v, &nv);
                assert_true(r == 0 || r == -EINVAL || r == -ERANGE);
                free(v);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_name_time_sliced),
                cmocka_unit_test(test_name_mig),
                cmocka_unit_test(test_name_hostile),
                cmocka_unit_test(test_description),
                cmocka_unit_test(test_description_hostile),
                cmocka_unit_test(test_creatable_types),
                cmocka_unit_test(test_creatable_types_hostile),
                cmocka_unit_test(test_current_type),
                cmocka_unit_test(test_random_input),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
