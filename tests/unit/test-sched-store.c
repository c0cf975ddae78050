/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of sched-store.c (run-time scheduler settings per GPU) and assignment.c (which domain
 * holds which instance): round trips on disk, and every refusal of a corrupt file. */
#include "unit.h"

#include "assignment.h"
#include "fileio.h"
#include "sched-store.h"

#define U1 "0b3c1a4e-1111-4222-8333-444455556666"
#define U2 "0b3c1a4e-1111-4222-8333-444455557777"

static char tmpdir[64];

static int setup(void **state) {
        strcpy(tmpdir, "/tmp/test-sched-store-XXXXXX");
        return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
}

static void test_store_round_trip(void **state) {
        _cleanup_(sched_store_freep) struct sched_store *s = NULL;
        struct vgpu_error err = {};
        struct vgpu_error_list problems = {};
        struct sched_store_entry *v = NULL;
        size_t n = 0;

        assert_int_equal(sched_store_open(tmpdir, &s), 0);
        struct sched_settings a = {.policy = SCHED_POLICY_FIXED_SHARE, .time_slice_ms = 24};
        struct sched_settings b = {
                .policy = SCHED_POLICY_EQUAL_SHARE, .averaging_factor = 60, .frequency_hz = 960};
        /* addresses are normalized: "d8:00.0" is 0000:d8:00.0 */
        assert_int_equal(sched_store_save(s, "d8:00.0", &b, &err), 0);
        assert_int_equal(sched_store_save(s, "0000:3b:00.0", &a, &err), 0);
        assert_int_equal(sched_store_load(s, &v, &n, &problems), 0);
        assert_int_equal(n, 2);
        assert_int_equal(problems.n, 0);
        assert_string_equal(v[0].address, "0000:3b:00.0");
        assert_int_equal(v[0].settings.policy, SCHED_POLICY_FIXED_SHARE);
        assert_int_equal(v[0].settings.time_slice_ms, 24);
        assert_string_equal(v[1].address, "0000:d8:00.0");
        assert_int_equal(v[1].settings.frequency_hz, 960);
        assert_int_equal(v[1].settings.averaging_factor, 60);
        free(v);

        assert_int_equal(sched_store_delete(s, "0000:d8:00.0", &err), 0);
        assert_int_equal(sched_store_delete(s, "0000:d8:00.0", &err), -ENOENT);
        vgpu_error_clear(&err);
        assert_int_equal(sched_store_load(s, &v, &n, &problems), 0);
        assert_int_equal(n, 1);
        free(v);
}

static void test_store_refusals(void **state) {
        static const char *const bad[] = {
                "",
                "[]",
                "{\"version\": 2, \"gpu\": \"0000:3b:00.0\", \"scheduler\": {\"policy\": \"best-effort\"}}",
                "{\"version\": 1, \"gpu\": \"nonsense\", \"scheduler\": {\"policy\": \"best-effort\"}}",
                "{\"version\": 1, \"gpu\": \"0000:3b:00.0\", \"scheduler\": {\"policy\": \"bogus\"}}",
                "{\"version\": 1, \"gpu\": \"0000:3b:00.0\", \"scheduler\": {\"policy\": \"best-effort\"}, "
                "\"x\": 1}",
                "{\"version\": 1, \"gpu\": \"0000:3b:00.0\"}",
                "{\"version\": 1, \"gpu\": \"0000:3b:00.0\", \"scheduler\": {\"policy\": \"equal-share\", "
                "\"time_slice_ms\": 100000}}",
                "{\"version\": 1, \"gpu\": \"0000:3b:00.0\", \"scheduler\": {\"policy\": \"equal-share\"",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct sched_store_entry e;
                _cleanup_free_ char *why = NULL;
                assert_int_equal(sched_store_parse(bad[i], strlen(bad[i]), &e, &why), -EINVAL);
                assert_non_null(why);
        }

        /* a corrupt file on disk is reported and skipped; the good ones still load */
        _cleanup_(sched_store_freep) struct sched_store *s = NULL;
        _cleanup_free_ char *path = NULL;
        struct vgpu_error err = {};
        struct vgpu_error_list problems = {};
        struct sched_store_entry *v = NULL;
        size_t n = 0;
        struct sched_settings a = {.policy = SCHED_POLICY_EQUAL_SHARE};
        assert_int_equal(sched_store_open(tmpdir, &s), 0);
        assert_int_equal(sched_store_save(s, "0000:3b:00.0", &a, &err), 0);
        assert_true(asprintf(&path, "%s/gpus/0000:d8:00.0.json", tmpdir) > 0);
        assert_int_equal(write_file_atomic(path, bad[4], strlen(bad[4]), 0644), 0);
        assert_int_equal(sched_store_load(s, &v, &n, &problems), 0);
        assert_int_equal(n, 1);
        assert_int_equal(problems.n, 1);
        assert_non_null(strstr(problems.items[0].path, "0000:d8:00.0.json"));
        vgpu_error_list_clear(&problems);
        free(v);
}

static void test_assignments_round_trip(void **state) {
        struct assignment in[] = {
                {.uuid = U1, .domain = (char *) "vm1", .started = true},
                {.uuid = U2, .domain = (char *) "web server \xc3\xa9", .started = false},
        };
        _cleanup_free_ char *path = NULL;
        struct vgpu_error err = {};
        struct assignment *out = NULL;
        size_t n = 0;

        assert_true(asprintf(&path, "%s/" ASSIGNMENTS_FILE, tmpdir) > 0);
        assert_int_equal(assignments_load(path, &out, &n, &err), -ENOENT);
        assert_int_equal(assignments_save(path, in, ELEMENTSOF(in), &err), 0);
        assert_int_equal(assignments_load(path, &out, &n, &err), 0);
        assert_int_equal(n, 2);
        assert_string_equal(out[0].uuid, U1);
        assert_string_equal(out[0].domain, "vm1");
        assert_true(out[0].started);
        assert_string_equal(out[1].domain, "web server \xc3\xa9");
        assert_false(out[1].started);
        assignments_free(out, n);
}

static void test_assignments_refusals(void **state) {
        static const char *const bad[] = {
                "nonsense",
                "{\"version\": 2, \"assignments\": []}",
                "{\"version\": 1, \"assignments\": {}}",
                "{\"version\": 1, \"assignments\": [{\"uuid\": \"x\", \"domain\": \"vm1\"}]}",
                "{\"version\": 1, \"assignments\": [{\"uuid\": \"" U1 "\"}]}",
                "{\"version\": 1, \"assignments\": [{\"uuid\": \"" U1 "\", \"domain\": \"a/b\"}]}",
                "{\"version\": 1, \"assignments\": [{\"uuid\": \"" U1 "\", \"domain\": \"\"}]}",
                "{\"version\": 1, \"assignments\": [{\"uuid\": \"" U1
                "\", \"domain\": \"vm1\", \"started\": 1}]}",
                "{\"version\": 1, \"assignments\": [{\"uuid\": \"" U1
                "\", \"domain\": \"vm1\", \"x\": true}]}",
                "{\"version\": 1, \"assignments\": [{\"uuid\": \"" U1
                "\", \"domain\": \"vm1\"}, {\"uuid\": \"" U1 "\", \"domain\": \"vm2\"}]}",
                "{\"version\": 1, \"assignments\": [], \"extra\": 1}",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct assignment *v = NULL;
                size_t n = 0;
                _cleanup_free_ char *why = NULL;
                int r = assignments_from_json(bad[i], strlen(bad[i]), &v, &n, &why);
                if (r != -EINVAL)
                        fail_msg("accepted #%zu: %s", i, bad[i]);
                assert_non_null(why);
        }
        assert_false(domain_name_is_valid(""));
        assert_false(domain_name_is_valid("a/b"));
        assert_false(domain_name_is_valid("tab\there"));
        assert_true(domain_name_is_valid("vm-1.example"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_store_round_trip, setup, teardown),
                cmocka_unit_test_setup_teardown(test_store_refusals, setup, teardown),
                cmocka_unit_test_setup_teardown(test_assignments_round_trip, setup, teardown),
                cmocka_unit_test(test_assignments_refusals),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
