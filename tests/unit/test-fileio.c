/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of fileio.c: attribute reads, one-write stores, atomic replacement. */
#include <fcntl.h>
#include <sys/stat.h>

#include "unit.h"

#include "fileio.h"

static char tmpdir[] = "/tmp/test-fileio-XXXXXX";

static int setup(void **state) {
        return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
}

static char *path_in_tmp(const char *name) {
        char *p;
        assert_true(asprintf(&p, "%s/%s", tmpdir, name) > 0);
        return p;
}

static void test_read_attr_strips_one_newline(void **state) {
        _cleanup_free_ char *p = path_in_tmp("attr"), *v = NULL;
        assert_int_equal(write_attr(p, "x"), -ENOENT); /* no O_CREAT: sysfs files exist or not */
        int fd = open(p, O_CREAT | O_WRONLY, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "vfio-pci\n\n", 10), 10);
        close(fd);
        assert_int_equal(read_attr(p, &v), 0);
        assert_string_equal(v, "vfio-pci\n");
}

static void test_read_attr_u64(void **state) {
        _cleanup_free_ char *p = path_in_tmp("num");
        unsigned long long v;
        int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
        assert_true(fd >= 0);
        close(fd);

        assert_int_equal(write_attr(p, "16\n"), 0);
        assert_int_equal(read_attr_u64(p, 10, &v), 0);
        assert_int_equal(v, 16);

        assert_int_equal(truncate(p, 0), 0);
        assert_int_equal(write_attr(p, "0x10de\n"), 0);
        assert_int_equal(read_attr_u64(p, 0, &v), 0);
        assert_int_equal(v, 0x10de);
        assert_int_equal(read_attr_u64(p, 10, &v), -EINVAL);

        assert_int_equal(truncate(p, 0), 0);
        assert_int_equal(write_attr(p, "-1\n"), 0);
        assert_int_equal(read_attr_u64(p, 10, &v), -EINVAL);
}

static void test_read_attr_missing(void **state) {
        _cleanup_free_ char *p = path_in_tmp("nope");
        char *v = NULL;
        assert_int_equal(read_attr(p, &v), -ENOENT);
        assert_null(v);
}

static void test_write_file_atomic_replaces(void **state) {
        _cleanup_free_ char *p = path_in_tmp("state.json"), *v = NULL;
        size_t len;
        struct stat st;

        assert_int_equal(write_file_atomic(p, "{\"a\":1}", 7, 0600), 0);
        assert_int_equal(write_file_atomic(p, "{\"b\":2}\n", 8, 0640), 0);
        assert_int_equal(read_full_file(p, 1024, &v, &len), 0);
        assert_int_equal(len, 8);
        assert_string_equal(v, "{\"b\":2}\n");
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);
}

static void test_write_file_atomic_no_dir(void **state) {
        _cleanup_free_ char *p = path_in_tmp("missing/dir/file");
        assert_int_equal(write_file_atomic(p, "x", 1, 0600), -ENOENT);
}

static void test_write_file_replace(void **state) {
        _cleanup_free_ char *p = path_in_tmp("runtime.json"), *v = NULL, *tmp = NULL;
        struct stat st;

        assert_int_equal(write_file_replace(p, "old", 3, 0600), 0);
        assert_int_equal(write_file_replace(p, "new\n", 4, 0644), 0);
        assert_int_equal(read_full_file(p, 1024, &v, NULL), 0);
        assert_string_equal(v, "new\n");
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);
        /* replaced by a rename: no temporary file stays behind */
        assert_true(asprintf(&tmp, "%s.tmp.%d", p, (int) getpid()) > 0);
        assert_int_equal(access(tmp, F_OK), -1);
}

static void test_read_full_file_limit(void **state) {
        _cleanup_free_ char *p = path_in_tmp("big"), *v = NULL;
        char buf[100];
        memset(buf, 'a', sizeof(buf));
        assert_int_equal(write_file_atomic(p, buf, sizeof(buf), 0600), 0);
        assert_int_equal(read_full_file(p, 50, &v, NULL), -EFBIG);
        assert_int_equal(read_full_file(p, 100, &v, NULL), 0);
        assert_int_equal(strlen(v), 100);
}

static void test_mkdir_p(void **state) {
        _cleanup_free_ char *p = path_in_tmp("a/b/c");
        struct stat st;
        assert_int_equal(mkdir_p(p, 0755), 0);
        assert_int_equal(mkdir_p(p, 0755), 0);
        assert_int_equal(stat(p, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_read_attr_strips_one_newline),
                cmocka_unit_test(test_read_attr_u64),
                cmocka_unit_test(test_read_attr_missing),
                cmocka_unit_test(test_write_file_atomic_replaces),
                cmocka_unit_test(test_write_file_atomic_no_dir),
                cmocka_unit_test(test_write_file_replace),
                cmocka_unit_test(test_read_full_file_limit),
                cmocka_unit_test(test_mkdir_p),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
