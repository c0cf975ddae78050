/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of src/vfio-user/json.c and caps.c: the VERSION capabilities, strict and bounded. */

#include "unit.h"

#include <stdlib.h>

#include "macro.h"
#include "vfio-user/caps.h"
#include "vfio-user/json.h"

static int parse(const char *s, struct json_value **v) {
        return json_parse(s, strlen(s), v);
}

static void test_json_values(void **state) {
        _cleanup_(json_freep) struct json_value *v = NULL;

        assert_int_equal(
                parse(" {\"a\": [1, 2.5, -3, true, false, null, \"x\\u00e9\\ud83d\\ude00\\n\"], \"b\": {}} ",
                      &v),
                0);
        const struct json_value *a = json_get(v, "a");
        assert_non_null(a);
        assert_int_equal(a->type, JSON_ARRAY);
        assert_int_equal(a->n, 7);
        assert_true(a->items[0]->is_uint);
        assert_int_equal(a->items[0]->uint, 1);
        assert_false(a->items[1]->is_uint); /* a fraction has no integer value */
        assert_false(a->items[2]->is_uint); /* neither has a negative number */
        assert_true(a->items[3]->boolean);
        assert_int_equal(a->items[5]->type, JSON_NULL);
        assert_string_equal(a->items[6]->string, "x\xc3\xa9\xf0\x9f\x98\x80\n");
        assert_int_equal(json_get(v, "b")->type, JSON_OBJECT);
        assert_null(json_get(v, "c"));
        assert_null(json_get(a, "a")); /* not an object */
        json_free(TAKE_PTR(v));

        assert_int_equal(parse("18446744073709551615", &v), 0);
        assert_true(v->is_uint);
        assert_int_equal(v->uint, UINT64_MAX);
        json_free(TAKE_PTR(v));
        assert_int_equal(parse("18446744073709551616", &v), 0); /* valid JSON, too big for a capability */
        assert_false(v->is_uint);
        json_free(TAKE_PTR(v));
        assert_int_equal(parse("1e3", &v), 0);
        assert_false(v->is_uint);
}

static void test_json_refusals(void **state) {
        static const char *const bad[] = {
                "",           "{",           "}",           "[1,]",
                "{\"a\":1,}", "{\"a\" 1}",   "{a:1}",       "01",
                "1.",         "-",           "1e",          "+1",
                "tru",        "nul",         "\"abc",       "\"\\x\"",
                "\"\\u12\"",  "\"\\ud800\"", "\"\\udc00\"", "\"\\u0000\"",
                "\"a\tb\"",   "{} {}",       "[1] x",       "{\"a\":1,\"a\":2}",
                "\"\\",       "\"\\u",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct json_value *v = NULL;
                int r = parse(bad[i], &v);
                if (r != -EINVAL)
                        fail_msg("\"%s\" gave %d", bad[i], r);
                assert_null(v);
        }
}

static void test_json_limits(void **state) {
        char deep[64];
        struct json_value *v = NULL;

        memset(deep, '[', 17);
        memset(deep + 17, ']', 17);
        assert_int_equal(json_parse(deep, 34, &v), -E2BIG); /* 17 levels */
        assert_int_equal(json_parse(deep + 1, 32, &v), 0);  /* 16 are fine */
        json_free(TAKE_PTR(v));

        _cleanup_free_ char *big = malloc(JSON_MAX_INPUT + 1);
        memset(big, ' ', JSON_MAX_INPUT + 1);
        big[0] = '1';
        assert_int_equal(json_parse(big, JSON_MAX_INPUT + 1, &v), -E2BIG);
        assert_int_equal(json_parse(big, JSON_MAX_INPUT, &v), 0);
        json_free(TAKE_PTR(v));

        /* Too many members: refused before the duplicate check could get slow. */
        _cleanup_free_ char *many = malloc(20000);
        size_t n = 0;
        n += (size_t) sprintf(many + n, "{");
        for (unsigned i = 0; i <= JSON_MAX_MEMBERS; i++)
                n += (size_t) sprintf(many + n, "%s\"k%u\":%u", i ? "," : "", i, i);
        n += (size_t) sprintf(many + n, "}");
        assert_int_equal(json_parse(many, n, &v), -E2BIG);

        n = (size_t) sprintf(many, "[");
        for (unsigned i = 0; i <= JSON_MAX_ITEMS; i++)
                n += (size_t) sprintf(many + n, "%s1", i ? "," : "");
        n += (size_t) sprintf(many + n, "]");
        assert_int_equal(json_parse(many, n, &v), -E2BIG);
}

static void test_caps_qemu_proposal(void **state) {
        struct vfu_caps c;
        assert_int_equal(vfu_caps_parse(VFU_QEMU_PROPOSAL, strlen(VFU_QEMU_PROPOSAL), &c), 0);
        assert_int_equal(c.max_msg_fds, 16);
        assert_int_equal(c.max_data_xfer_size, 1048576);
        assert_int_equal(c.pgsizes, 4096);
        assert_int_equal(c.max_dma_maps, 65535);
        assert_true(c.write_multiple);
        assert_true(c.migration);
        assert_int_equal(c.migration_pgsize, 4096);
        assert_int_equal(c.migration_max_bitmap_size, 268435456);
        assert_false(c.twin_socket);
}

static void test_caps_defaults_and_types(void **state) {
        struct vfu_caps c;
        static const char *const bad[] = {
                "[]",
                "{\"capabilities\":1}",
                "{\"capabilities\":{\"max_msg_fds\":\"8\"}}",
                "{\"capabilities\":{\"max_msg_fds\":-1}}",
                "{\"capabilities\":{\"max_data_xfer_size\":1.5}}",
                "{\"capabilities\":{\"max_data_xfer_size\":0}}",
                "{\"capabilities\":{\"pgsizes\":0}}",
                "{\"capabilities\":{\"max_dma_maps\":0}}",
                "{\"capabilities\":{\"write_multiple\":1}}",
                "{\"capabilities\":{\"migration\":true}}",
                "{\"capabilities\":{\"migration\":{\"pgsize\":null}}}",
                "{\"capabilities\":{\"twin_socket\":{\"supported\":\"yes\"}}}",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (vfu_caps_parse(bad[i], strlen(bad[i]), &c) != -EINVAL)
                        fail_msg("accepted %s", bad[i]);

        assert_int_equal(vfu_caps_parse("{}", 2, &c), 0);
        assert_int_equal(c.max_msg_fds, 1);
        assert_int_equal(c.max_data_xfer_size, 1 << 20);
        assert_int_equal(c.max_dma_maps, 65535);
        assert_int_equal(c.pgsizes, 4096);
        assert_false(c.write_multiple);
        const char *fwd =
                "{\"capabilities\":{\"future\":[1,{}],\"twin_socket\":{\"supported\":true}},\"x\":1}";
        assert_int_equal(vfu_caps_parse(fwd, strlen(fwd), &c), 0); /* unknown members are ignored */
        assert_true(c.twin_socket);
}

static void test_caps_format_and_qemu_checks(void **state) {
        struct vfu_caps c = {.max_msg_fds = 8,
                             .max_data_xfer_size = 1 << 20,
                             .pgsizes = 4096,
                             .max_dma_maps = 512,
                             .write_multiple = true},
                        back;
        char buf[256];

        int n = vfu_caps_format(&c, buf, sizeof(buf));
        assert_true(n > 0);
        assert_int_equal(vfu_caps_parse(buf, (size_t) n, &back), 0);
        assert_int_equal(back.max_dma_maps, 512);
        assert_true(back.write_multiple);
        assert_int_equal(vfu_caps_check_server_reply(&back), 0);
        assert_int_equal(vfu_caps_format(&c, buf, 20), -ENOBUFS);

        /* What QEMU 10.1 refuses in a server's reply. */
        struct vfu_caps bad = c;
        bad.max_msg_fds = 17;
        assert_int_equal(vfu_caps_check_server_reply(&bad), -EINVAL);
        bad = c;
        bad.max_data_xfer_size = (64u << 20) + 1;
        assert_int_equal(vfu_caps_check_server_reply(&bad), -EINVAL);
        bad = c;
        bad.pgsizes = 512;
        assert_int_equal(vfu_caps_check_server_reply(&bad), -EINVAL);
        bad = c;
        bad.max_dma_maps = 65536;
        assert_int_equal(vfu_caps_check_server_reply(&bad), -EINVAL);
        bad = c;
        bad.migration = true;
        bad.migration_pgsize = 4096;
        bad.migration_max_bitmap_size = (256u << 20) + 1;
        assert_int_equal(vfu_caps_check_server_reply(&bad), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_json_values),
                cmocka_unit_test(test_json_refusals),
                cmocka_unit_test(test_json_limits),
                cmocka_unit_test(test_caps_qemu_proposal),
                cmocka_unit_test(test_caps_defaults_and_types),
                cmocka_unit_test(test_caps_format_and_qemu_checks),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
