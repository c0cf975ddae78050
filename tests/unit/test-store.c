/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of record.c and store.c: JSON round trip, validation, torn writes, corrupt files. */
#include <fcntl.h>
#include <sys/stat.h>

#include "unit.h"

#include "fileio.h"
#include "store.h"

#define U1 "0b3c1a4e-1111-4222-8333-444455556666"
#define U2 "0b3c1a4e-1111-4222-8333-444455557777"
#define U3 "0b3c1a4e-1111-4222-8333-444455558888"

static char tmpdir[64];

static int setup(void **state) {
        strcpy(tmpdir, "/tmp/test-store-XXXXXX");
        return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
}

static struct vgpu_record *sample(const char *uuid) {
        struct vgpu_record *r;
        assert_int_equal(record_new(uuid, VGPU_BACKEND_MDEV, "nvidia-231", &r), 0);
        r->type_name = strdup("GRID T4-2Q");
        r->parent = strdup("0000:3b:00.0");
        strcpy(r->gpu, "0000:3b:00.0");
        r->persistent = true;
        r->autostart = true;
        assert_int_equal(attrs_add(&r->attrs, &r->n_attrs, "nvidia/frame_rate_limiter", "0"), 0);
        assert_int_equal(attrs_add(&r->attrs, &r->n_attrs, "b", "second \"quoted\" / value"), 0);
        r->owner_domain = strdup("vm1");
        r->quota.share = 25;
        return r;
}

static void assert_records_equal(const struct vgpu_record *a, const struct vgpu_record *b) {
        assert_string_equal(a->uuid, b->uuid);
        assert_int_equal(a->backend, b->backend);
        assert_string_equal(a->type_id, b->type_id);
        assert_true(streq_ptr(a->type_name, b->type_name));
        assert_true(streq_ptr(a->parent, b->parent));
        assert_string_equal(a->gpu, b->gpu);
        assert_int_equal(a->persistent, b->persistent);
        assert_int_equal(a->autostart, b->autostart);
        assert_true(attrs_equal(a->attrs, a->n_attrs, b->attrs, b->n_attrs));
        assert_true(streq_ptr(a->owner_domain, b->owner_domain));
        assert_int_equal(a->quota.share, b->quota.share);
        assert_int_equal(a->quota.weight, b->quota.weight);
}

static void test_json_round_trip(void **state) {
        _cleanup_(record_freep) struct vgpu_record *r = sample(U1), *back = NULL, *minimal = NULL,
                                                   *back2 = NULL;
        _cleanup_free_ char *text = NULL, *why = NULL, *text2 = NULL;

        assert_int_equal(record_to_json(r, &text), 0);
        assert_non_null(strstr(text, "\"type\": \"nvidia-231\""));
        assert_non_null(strstr(text, "\"nvidia/frame_rate_limiter\": \"0\"")); /* no escaped slashes */
        assert_int_equal(record_from_json(text, strlen(text), &back, &why), 0);
        assert_records_equal(r, back);
        assert_int_equal(back->attrs[0].name[0], 'n'); /* order kept */

        assert_int_equal(record_new(U2, VGPU_BACKEND_RPC, "rpc-1g", &minimal), 0);
        minimal->quota.weight = 3;
        assert_int_equal(record_to_json(minimal, &text2), 0);
        assert_int_equal(record_from_json(text2, strlen(text2), &back2, &why), 0);
        assert_records_equal(minimal, back2);
        assert_null(back2->parent);
}

static void test_json_hostile(void **state) {
        static const struct {
                const char *json, *why;
        } cases[] = {
                {"", "truncated"},
                {"{\"version\": 1, \"uuid\": \"" U1 "\"", "truncated"},
                {"[]", "must be a JSON object"},
                {"nonsense", "not JSON"},
                {"{} {}", "after the document"},
                {"{\"uuid\": \"" U1 "\", \"backend\": \"mdev\", \"type\": \"x\"}", "missing \"version\""},
                {"{\"version\": 2, \"uuid\": \"" U1 "\", \"backend\": \"mdev\", \"type\": \"x\"}",
                 "\"version\" must be 1"},
                {"{\"version\": 1, \"backend\": \"mdev\", \"type\": \"x\"}", "missing \"uuid\""},
                {"{\"version\": 1, \"uuid\": \"nope\", \"backend\": \"mdev\", \"type\": \"x\"}",
                 "not a UUID"},
                {"{\"version\": 1, \"uuid\": 5, \"backend\": \"mdev\", \"type\": \"x\"}",
                 "\"uuid\" must be a string"},
                {"{\"version\": 1, \"uuid\": \"" U1 "\", \"backend\": \"usb\", \"type\": \"x\"}",
                 "\"backend\" must be"},
                {"{\"version\": 1, \"uuid\": \"" U1 "\", \"backend\": \"mdev\"}", "missing \"type\""},
                {"{\"version\": 1, \"uuid\": \"" U1 "\", \"backend\": \"mdev\", \"type\": \"../x\"}",
                 "\"type\" is not"},
                {"{\"version\": 1, \"uuid\": \"" U1
                 "\", \"backend\": \"mdev\", \"type\": \"x\", \"autostrat\": true}",
                 "unknown key \"autostrat\""},
                {"{\"version\": 1, \"uuid\": \"" U1
                 "\", \"backend\": \"mdev\", \"type\": \"x\", \"autostart\": 1}",
                 "\"autostart\" must be true or false"},
                {"{\"version\": 1, \"uuid\": \"" U1
                 "\", \"backend\": \"mdev\", \"type\": \"x\", \"autostart\": true}",
                 "\"autostart\" needs \"persistent\""},
                {"{\"version\": 1, \"uuid\": \"" U1
                 "\", \"backend\": \"mdev\", \"type\": \"x\", \"gpu\": \"3b:00\"}",
                 "\"gpu\" is not a GPU address"},
                {"{\"version\": 1, \"uuid\": \"" U1
                 "\", \"backend\": \"mdev\", \"type\": \"x\", \"parent\": \"a/b\"}",
                 "\"parent\" is not a valid device name"},
                {"{\"version\": 1, \"uuid\": \"" U1
                 "\", \"backend\": \"mdev\", \"type\": \"x\", \"attrs\": {}}",
                 "\"attrs\" must be an array"},
                {"{\"version\": 1, \"uuid\": \"" U1
                 "\", \"backend\": \"mdev\", \"type\": \"x\", \"attrs\": [{\"a\": \"1\", \"b\": \"2\"}]}",
                 "exactly one name"},
                {"{\"version\": 1, \"uuid\": \"" U1
                 "\", \"backend\": \"mdev\", \"type\": \"x\", \"attrs\": [{\"a\": 1}]}",
                 "\"a\" must be a string"},
                {"{\"version\": 1, \"uuid\": \"" U1
                 "\", \"backend\": \"mdev\", \"type\": \"x\", \"attrs\": [{\"../remove\": \"1\"}]}",
                 "is not a path inside the device"},
                {"{\"version\": 1, \"uuid\": \"" U1
                 "\", \"backend\": \"mdev\", \"type\": \"x\", \"quota\": {\"share\": 101}}",
                 "\"share\" must be 1..100"},
                {"{\"version\": 1, \"uuid\": \"" U1
                 "\", \"backend\": \"mdev\", \"type\": \"x\", \"quota\": {\"share\": 10, \"weight\": 2}}",
                 "both a share and a weight"},
                {"{\"version\": 1, \"uuid\": \"" U1
                 "\", \"backend\": \"mdev\", \"type\": \"x\", \"quota\": {\"shares\": 10}}",
                 "unknown key \"quota\".\"shares\""},
                {"{\"version\": 1, \"uuid\": \"" U1
                 "\", \"backend\": \"mdev\", \"type\": \"x\", \"owner_domain\": \"\"}",
                 "\"owner_domain\" must be"},
                {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]"
                 "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
                 "not JSON"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct vgpu_record *r = NULL;
                char *why = NULL;
                int k = record_from_json(cases[i].json, strlen(cases[i].json), &r, &why);
                if (k != -EINVAL || !why || !strstr(why, cases[i].why))
                        fail_msg("case %zu: r=%d why=\"%s\", wanted \"%s\"", i, k, strna(why), cases[i].why);
                assert_null(r);
                free(why);
        }
        /* embedded NUL */
        struct vgpu_record *r = NULL;
        char *why = NULL;
        assert_int_equal(record_from_json("{\"a\"\0}", 6, &r, &why), -EINVAL);
        free(why);
}

static void write_raw(const char *path, const char *data, size_t len) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, len), (ssize_t) len);
        close(fd);
}

static void test_store_round_trip_and_delete(void **state) {
        _cleanup_(store_freep) struct vgpu_store *s = NULL;
        _cleanup_(record_freep) struct vgpu_record *a = sample(U1), *b = sample(U2), *one = NULL;
        struct vgpu_error_list problems = {};
        struct vgpu_error e = {};
        struct vgpu_record **v;
        size_t n;

        assert_int_equal(store_open(tmpdir, &s), 0);
        b->autostart = false;
        assert_int_equal(store_save(s, b, &e), 0);
        assert_int_equal(store_save(s, a, &e), 0);
        a->autostart = false; /* overwrite */
        assert_int_equal(store_save(s, a, &e), 0);

        assert_int_equal(store_load(s, &v, &n, &problems), 0);
        assert_int_equal(problems.n, 0);
        assert_int_equal(n, 2);
        assert_records_equal(v[0], a); /* sorted */
        assert_records_equal(v[1], b);
        records_free(v, n);

        assert_int_equal(store_load_one(s, "0B3C1A4E-1111-4222-8333-444455556666", &one, &e), 0);
        assert_records_equal(one, a);
        assert_int_equal(store_delete(s, U1, &e), 0);
        assert_int_equal(store_delete(s, U1, &e), -ENOENT);
        assert_non_null(e.path);
        assert_int_equal(store_load_one(s, U1, &one, &e), -ENOENT);

        /* an invalid record is refused and nothing is written */
        a->autostart = true;
        a->persistent = false;
        assert_int_equal(store_save(s, a, &e), -EINVAL);
        assert_non_null(strstr(e.message, "autostart"));
        _cleanup_free_ char *p = store_record_path(s, U1);
        assert_int_equal(access(p, F_OK), -1);

        assert_int_equal(store_delete(s, U2, &e), 0);
        vgpu_error_clear(&e);
}

static void test_store_torn_and_corrupt(void **state) {
        _cleanup_(store_freep) struct vgpu_store *s = NULL;
        _cleanup_(record_freep) struct vgpu_record *good = sample(U1), *victim = sample(U2), *third = NULL;
        _cleanup_free_ char *text = NULL, *victim_path = NULL, *tmp = NULL, *stray = NULL, *big = NULL,
                            *mismatch = NULL;
        struct vgpu_error_list problems = {};
        struct vgpu_error e = {};
        struct vgpu_record **v;
        size_t n;

        assert_int_equal(store_open(tmpdir, &s), 0);
        assert_int_equal(store_save(s, good, &e), 0);

        /* a torn write of another record: half the text made it to disk */
        assert_int_equal(record_to_json(victim, &text), 0);
        victim_path = store_record_path(s, U2);
        write_raw(victim_path, text, strlen(text) / 2);
        /* a temporary file left by an interrupted atomic write of the good one */
        assert_true(asprintf(&tmp, "%s/%s.json.tmp.4242", s->dir, U1) > 0);
        write_raw(tmp, "{\"version\":", 11);
        /* a stray file, a huge file, a record in the wrong file */
        assert_true(asprintf(&stray, "%s/README", s->dir) > 0);
        write_raw(stray, "hello", 5);
        assert_true(asprintf(&big, "%s/%s.json", s->dir, "0b3c1a4e-1111-4222-8333-4444555599aa") > 0);
        char *huge = malloc(STORE_RECORD_MAX + 10);
        memset(huge, ' ', STORE_RECORD_MAX + 10);
        write_raw(big, huge, STORE_RECORD_MAX + 10);
        free(huge);
        assert_true(asprintf(&mismatch, "%s/%s.json", s->dir, U3) > 0);
        _cleanup_free_ char *good_text = NULL;
        assert_int_equal(record_to_json(good, &good_text), 0);
        write_raw(mismatch, good_text, strlen(good_text));

        assert_int_equal(store_load(s, &v, &n, &problems), 0);
        /* the good record loads; every other file is reported with its path */
        assert_int_equal(n, 1);
        assert_string_equal(v[0]->uuid, U1);
        records_free(v, n);
        assert_int_equal(problems.n, 5);
        bool saw_torn = false, saw_tmp = false, saw_stray = false, saw_big = false, saw_mismatch = false;
        for (size_t i = 0; i < problems.n; i++) {
                const struct vgpu_error *p = &problems.items[i];
                assert_non_null(p->path);
                assert_non_null(p->message);
                if (streq(p->path, victim_path)) {
                        saw_torn = true;
                        assert_non_null(strstr(p->message, "Corrupt record"));
                        assert_non_null(strstr(p->message, "truncated"));
                } else if (streq(p->path, tmp)) {
                        saw_tmp = true;
                        assert_non_null(strstr(p->message, "interrupted write"));
                } else if (streq(p->path, stray))
                        saw_stray = true;
                else if (streq(p->path, big)) {
                        saw_big = true;
                        assert_int_equal(p->error, EFBIG);
                } else if (streq(p->path, mismatch)) {
                        saw_mismatch = true;
                        assert_non_null(strstr(p->message, "names " U1));
                }
        }
        assert_true(saw_torn && saw_tmp && saw_stray && saw_big && saw_mismatch);
        vgpu_error_list_clear(&problems);

        /* the corrupt record is left for the administrator; the temporary file is gone */
        assert_int_equal(access(victim_path, F_OK), 0);
        assert_int_equal(access(tmp, F_OK), -1);
        assert_int_equal(store_load_one(s, U2, &third, &e), -EINVAL);
        assert_string_equal(e.path, victim_path);
        vgpu_error_clear(&e);

        /* rewriting the torn record repairs it */
        assert_int_equal(store_save(s, victim, &e), 0);
        assert_int_equal(store_load(s, &v, &n, &problems), 0);
        assert_int_equal(n, 2);
        records_free(v, n);
        vgpu_error_list_clear(&problems);
}

/* The runtime directory's store: the same records, written without syncs. */
static void test_store_volatile(void **state) {
        _cleanup_(store_freep) struct vgpu_store *s = NULL;
        _cleanup_(record_freep) struct vgpu_record *a = sample(U1), *one = NULL;
        struct vgpu_error e = {};

        assert_int_equal(store_open_volatile(tmpdir, &s), 0);
        assert_true(s->volatile_);
        a->persistent = false;
        a->autostart = false;
        assert_int_equal(store_save(s, a, &e), 0);
        assert_int_equal(store_load_one(s, U1, &one, &e), 0);
        assert_records_equal(one, a);
        assert_int_equal(store_delete(s, U1, &e), 0);
        vgpu_error_clear(&e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_json_round_trip),
                cmocka_unit_test(test_json_hostile),
                cmocka_unit_test_setup_teardown(test_store_round_trip_and_delete, setup, teardown),
                cmocka_unit_test_setup_teardown(test_store_torn_and_corrupt, setup, teardown),
                cmocka_unit_test_setup_teardown(test_store_volatile, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
