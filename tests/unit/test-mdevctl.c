/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of mdevctl.c: mdevctl 1.2.0's definition files, both directions, and the directory layout. */
#include <sys/stat.h>

#include "unit.h"

#include "fileio.h"
#include "mdevctl.h"

#define P  "0000:3b:00.0"
#define U1 "0b3c1a4e-1111-4222-8333-444455556666"
#define U2 "0b3c1a4e-1111-4222-8333-444455557777"

/* Byte for byte what `mdevctl define -u U1 -p P -t nvidia-231` + `modify --addattr=foo --value=bar --auto`
 * wrote with mdevctl 1.2.0 (Debian 12): pretty, two-space indent, no trailing newline. */
static const char mdevctl_120[] = "{\n"
                                  "  \"mdev_type\": \"nvidia-231\",\n"
                                  "  \"start\": \"auto\",\n"
                                  "  \"attrs\": [\n"
                                  "    {\n"
                                  "      \"foo\": \"bar\"\n"
                                  "    }\n"
                                  "  ]\n"
                                  "}";

static char tmpdir[64];

static int setup(void **state) {
        strcpy(tmpdir, "/tmp/test-mdevctl-XXXXXX");
        return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
}

static void test_parse_mdevctl_120(void **state) {
        _cleanup_(record_freep) struct vgpu_record *r = NULL;
        _cleanup_free_ char *why = NULL;

        assert_int_equal(mdevctl_parse(mdevctl_120, strlen(mdevctl_120), P, U1, &r, &why), 0);
        assert_string_equal(r->uuid, U1);
        assert_string_equal(r->parent, P);
        assert_string_equal(r->type_id, "nvidia-231");
        assert_int_equal(r->backend, VGPU_BACKEND_MDEV);
        assert_true(r->persistent);
        assert_true(r->autostart);
        assert_int_equal(r->origin, RECORD_ORIGIN_MDEVCTL);
        assert_int_equal(r->n_attrs, 1);
        assert_string_equal(r->attrs[0].name, "foo");
        assert_string_equal(r->attrs[0].value, "bar");
}

static void test_parse_tolerated(void **state) {
        static const char *const ok[] = {
                "{\"mdev_type\":\"i915-GVTg_V5_4\",\"start\":\"manual\"}",                /* no attrs */
                "{\"mdev_type\":\"i915-GVTg_V5_4\",\"start\":\"manual\",\"attrs\":null}", /* null attrs */
                "{\"mdev_type\":\"i915-GVTg_V5_4\",\"start\":\"manual\",\"attrs\":[]}\n",
                "{\"start\":\"manual\",\"mdev_type\":\"i915-GVTg_V5_4\",\"comment\":\"x\"}", /* order, extra
                                                                                                key */
        };
        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                struct vgpu_record *r = NULL;
                char *why = NULL;
                int k = mdevctl_parse(ok[i], strlen(ok[i]), P, U1, &r, &why);
                if (k < 0)
                        fail_msg("case %zu refused: %s", i, strna(why));
                assert_false(r->autostart);
                assert_int_equal(r->n_attrs, 0);
                record_free(r);
        }
}

static void test_parse_hostile(void **state) {
        static const struct {
                const char *json, *why;
        } bad[] = {
                {"", "truncated"},
                {"{\"mdev_type\":\"x\",", "truncated"},
                {"\"x\"", "must be a JSON object"},
                {"{\"start\":\"auto\"}", "missing \"mdev_type\""},
                {"{\"mdev_type\":null,\"start\":\"auto\"}", "missing \"mdev_type\""},
                {"{\"mdev_type\":5,\"start\":\"auto\"}", "\"mdev_type\" must be a string"},
                {"{\"mdev_type\":\"../../x\",\"start\":\"auto\"}", "not a valid type id"},
                {"{\"mdev_type\":\"x\"}", "missing \"start\""},
                {"{\"mdev_type\":\"x\",\"start\":true}", "\"start\" must be"},
                {"{\"mdev_type\":\"x\",\"start\":\"sometimes\"}", "\"start\" must be"},
                {"{\"mdev_type\":\"x\",\"start\":\"auto\",\"attrs\":{}}", "\"attrs\" must be an array"},
                {"{\"mdev_type\":\"x\",\"start\":\"auto\",\"attrs\":[\"a\"]}", "exactly one name"},
                {"{\"mdev_type\":\"x\",\"start\":\"auto\",\"attrs\":[{\"a\":1}]}", "must be a string"},
                {"{\"mdev_type\":\"x\",\"start\":\"auto\",\"attrs\":[{\"/etc/passwd\":\"1\"}]}",
                 "not a path inside"},
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct vgpu_record *r = NULL;
                char *why = NULL;
                int k = mdevctl_parse(bad[i].json, strlen(bad[i].json), P, U1, &r, &why);
                if (k != -EINVAL || !why || !strstr(why, bad[i].why))
                        fail_msg("case %zu: r=%d why=\"%s\", wanted \"%s\"", i, k, strna(why), bad[i].why);
                assert_null(r);
                free(why);
        }
        struct vgpu_record *r = NULL;
        char *why = NULL;
        assert_int_equal(mdevctl_parse(mdevctl_120, strlen(mdevctl_120), "..", U1, &r, &why), -EINVAL);
        free(why);
        assert_int_equal(mdevctl_parse(mdevctl_120, strlen(mdevctl_120), P, "x", &r, &why), -EINVAL);
        free(why);
}

static void test_format(void **state) {
        _cleanup_(record_freep) struct vgpu_record *r = NULL, *back = NULL;
        _cleanup_free_ char *text = NULL, *why = NULL;

        assert_int_equal(record_new(U1, VGPU_BACKEND_MDEV, "nvidia-231", &r), 0);
        r->parent = strdup(P);
        r->persistent = r->autostart = true;
        assert_int_equal(attrs_add(&r->attrs, &r->n_attrs, "foo", "bar"), 0);
        assert_int_equal(attrs_add(&r->attrs, &r->n_attrs, "nvidia/x", "a b"), 0);
        assert_int_equal(mdevctl_format(r, &text), 0);

        /* mdevctl's key order */
        char *a = strstr(text, "\"mdev_type\""), *b = strstr(text, "\"start\""),
             *c = strstr(text, "\"attrs\"");
        assert_true(a && b && c && a < b && b < c);
        assert_non_null(strstr(text, "\"start\": \"auto\""));
        assert_non_null(strstr(text, "\"nvidia/x\": \"a b\""));

        assert_int_equal(mdevctl_parse(text, strlen(text), P, U1, &back, &why), 0);
        assert_true(attrs_equal(r->attrs, r->n_attrs, back->attrs, back->n_attrs));
        assert_true(back->autostart);

        /* only mdev records */
        r->backend = VGPU_BACKEND_VF;
        free(text);
        text = NULL;
        assert_int_equal(mdevctl_format(r, &text), -EINVAL);
}

static void write_file(const char *path, const char *text) {
        assert_int_equal(write_file_atomic(path, text, strlen(text), 0644), 0);
}

static void test_directory(void **state) {
        _cleanup_(record_freep) struct vgpu_record *r = NULL;
        struct vgpu_error_list problems = {};
        struct vgpu_error e = {};
        struct vgpu_record **v;
        size_t n;
        char path[512];

        /* a missing directory is an empty list (mdevctl issue #56) */
        snprintf(path, sizeof(path), "%s/none", tmpdir);
        assert_int_equal(mdevctl_load(path, &v, &n, &problems), 0);
        assert_int_equal(n, 0);

        /* what mdevctl leaves there: scripts.d, definitions; plus junk */
        snprintf(path, sizeof(path), "%s/scripts.d/callouts", tmpdir);
        assert_int_equal(mkdir_p(path, 0755), 0);
        snprintf(path, sizeof(path), "%s/%s", tmpdir, P);
        assert_int_equal(mkdir_p(path, 0755), 0);
        snprintf(path, sizeof(path), "%s/%s/%s", tmpdir, P, U1);
        write_file(path, mdevctl_120);
        snprintf(path, sizeof(path), "%s/%s/%s", tmpdir, P, U2);
        write_file(path, "{\"mdev_type\": 7}");
        snprintf(path, sizeof(path), "%s/%s/notes.txt", tmpdir, P);
        write_file(path, "not a definition");
        snprintf(path, sizeof(path), "%s/stray-file", tmpdir);
        write_file(path, "x");

        assert_int_equal(mdevctl_load(tmpdir, &v, &n, &problems), 0);
        assert_int_equal(n, 1);
        assert_string_equal(v[0]->uuid, U1);
        assert_string_equal(v[0]->parent, P);
        records_free(v, n);
        assert_int_equal(problems.n, 1);
        snprintf(path, sizeof(path), "%s/%s/%s", tmpdir, P, U2);
        assert_string_equal(problems.items[0].path, path);
        assert_non_null(strstr(problems.items[0].message, "\"mdev_type\" must be a string"));
        vgpu_error_list_clear(&problems);

        /* write one for another parent, read it back, delete it: the parent dir goes with it */
        assert_int_equal(record_new(U2, VGPU_BACKEND_MDEV, "i915-GVTg_V5_4", &r), 0);
        r->parent = strdup("0000:00:02.0");
        r->persistent = true;
        assert_int_equal(mdevctl_save(tmpdir, r, &e), 0);
        assert_int_equal(mdevctl_load(tmpdir, &v, &n, &problems), 0);
        assert_int_equal(n, 2);
        assert_string_equal(v[1]->uuid, U2);
        assert_false(v[1]->autostart);
        records_free(v, n);
        vgpu_error_list_clear(&problems);
        assert_int_equal(mdevctl_delete(tmpdir, "0000:00:02.0", U2, &e), 0);
        snprintf(path, sizeof(path), "%s/0000:00:02.0", tmpdir);
        assert_int_equal(access(path, F_OK), -1);
        assert_int_equal(mdevctl_delete(tmpdir, "0000:00:02.0", U2, &e), -ENOENT);

        /* what may not go there */
        r->persistent = false;
        assert_int_equal(mdevctl_save(tmpdir, r, &e), -EINVAL);
        r->persistent = true;
        free(r->parent);
        r->parent = NULL;
        assert_int_equal(mdevctl_save(tmpdir, r, &e), -EINVAL);
        assert_int_equal(mdevctl_delete(tmpdir, "../etc", U2, &e), -EINVAL);
        vgpu_error_clear(&e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_mdevctl_120),
                cmocka_unit_test(test_parse_tolerated),
                cmocka_unit_test(test_parse_hostile),
                cmocka_unit_test(test_format),
                cmocka_unit_test_setup_teardown(test_directory, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
