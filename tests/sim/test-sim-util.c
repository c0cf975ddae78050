/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of vgpu-sim's kernel parsing rules (kstrto*, sysfs_streq, errno
 * names, PCI addresses) and of profile validation, on files written here.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "profile.h"
#include "sim-util.h"

static void test_kstrtoull(void **state) {
        unsigned long long v;
        assert_int_equal(kstrtoull("42\n", 3, 0, &v), 0);
        assert_int_equal(v, 42);
        assert_int_equal(kstrtoull("0x1f", 4, 0, &v), 0);
        assert_int_equal(v, 31);
        assert_int_equal(kstrtoull("010", 3, 0, &v), 0);
        assert_int_equal(v, 8);
        assert_int_equal(kstrtoull("08", 2, 0, &v), -EINVAL);
        assert_int_equal(kstrtoull("", 0, 0, &v), -EINVAL);
        assert_int_equal(kstrtoull("\n", 1, 0, &v), -EINVAL);
        assert_int_equal(kstrtoull("1 ", 2, 0, &v), -EINVAL);
        assert_int_equal(kstrtoull("1\n\n", 3, 0, &v), -EINVAL);
        assert_int_equal(kstrtoull("-1", 2, 0, &v), -EINVAL);
        assert_int_equal(kstrtoull("99999999999999999999", 20, 10, &v), -ERANGE);
        /* an embedded NUL ends the string, as in the kernel's copy */
        assert_int_equal(kstrtoull("7\0garbage", 9, 10, &v), 0);
        assert_int_equal(v, 7);
}

static void test_kstrtou16_int_bool(void **state) {
        uint16_t u;
        int i;
        bool b;
        assert_int_equal(kstrtou16("65535", 5, 0, &u), 0);
        assert_int_equal(u, 65535);
        assert_int_equal(kstrtou16("65536", 5, 0, &u), -ERANGE);
        assert_int_equal(kstrtou16("x", 1, 0, &u), -EINVAL);
        assert_int_equal(kstrtoint("-5\n", 3, 10, &i), 0);
        assert_int_equal(i, -5);
        assert_int_equal(kstrtoint("2147483648", 10, 10, &i), -ERANGE);
        assert_int_equal(kstrtoint("0x10", 4, 10, &i), -EINVAL);
        assert_int_equal(kstrtobool("on", 2, &b), 0);
        assert_true(b);
        assert_int_equal(kstrtobool("N\n", 2, &b), 0);
        assert_false(b);
        assert_int_equal(kstrtobool("maybe", 5, &b), -EINVAL);
        assert_int_equal(kstrtobool("", 0, &b), -EINVAL);
}

static void test_sysfs_streq(void **state) {
        assert_true(sysfs_streq("0000:3b:00.0\n", "0000:3b:00.0"));
        assert_true(sysfs_streq("a", "a\n"));
        assert_false(sysfs_streq("a\n\n", "a"));
        assert_false(sysfs_streq("ab", "a"));
        assert_true(sysfs_streq("", ""));
}

static void test_errno_names(void **state) {
        assert_int_equal(errno_from_name("EBUSY"), EBUSY);
        assert_int_equal(errno_from_name("enospc"), ENOSPC);
        assert_int_equal(errno_from_name("5"), 5);
        assert_int_equal(errno_from_name("0"), -EINVAL);
        assert_int_equal(errno_from_name("EWHATEVER"), -EINVAL);
        assert_string_equal(errno_to_name(EEXIST), "EEXIST");
}

static void test_pci_address(void **state) {
        unsigned d, b, df;
        assert_int_equal(pci_address_parse("0000:3b:00.0", &d, &b, &df), 0);
        assert_int_equal(b, 0x3b);
        assert_int_equal(pci_address_parse("0001:ff:1f.7", &d, &b, &df), 0);
        assert_int_equal(d, 1);
        assert_int_equal(df, 0xff);
        assert_int_equal(pci_address_parse("0000:3B:00.0", &d, &b, &df), -EINVAL);
        assert_int_equal(pci_address_parse("0000:3b:20.0", &d, &b, &df), -EINVAL);
        assert_int_equal(pci_address_parse("0000:3b:00.8", &d, &b, &df), -EINVAL);
        assert_int_equal(pci_address_parse("3b:00.0", &d, &b, &df), -EINVAL);
        assert_int_equal(pci_address_parse("0000:3b:00.0 ", &d, &b, &df), -EINVAL);
}

static char dir[] = "/tmp/test-sim-util.XXXXXX";

static void write_profile(const char *name, const char *content) {
        char path[256];
        snprintf(path, sizeof(path), "%s/%s.json", dir, name);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

static int load(const char *name, char **error) {
        struct profile *p = NULL;
        *error = NULL;
        int r = profile_load(dir, name, &p, error);
        profile_free(p);
        return r;
}

static void test_profile_validation(void **state) {
        char *error;
        char types[300];
        snprintf(types, sizeof(types), "%s/types", dir);
        assert_int_equal(mkdir(types, 0755), 0);
        FILE *f;
        snprintf(types, sizeof(types), "%s/types/cat.json", dir);
        f = fopen(types, "w");
        fputs("{\"vendor\":\"nvidia\",\"types\":[{\"id\":\"nvidia-1\",\"name\":\"GRID "
              "X-1Q\",\"framebuffer_mb\":1024,"
              "\"max_instance\":4}]}",
              f);
        fclose(f);

        write_profile(
                "good",
                "{\"name\":\"good\",\"drivers\":[\"nvidia\"],\"devices\":[{\"address\":\"0000:3b:00.0\","
                "\"vendor\":\"0x10de\",\"device\":\"0x1eb8\",\"class\":\"0x030200\",\"driver\":\"nvidia\","
                "\"count\":3,\"iommu_group\":5,\"vgpu\":{\"kind\":\"nvidia-mdev\",\"types\":\"cat\","
                "\"framebuffer_mb\":4096}}]}");
        struct profile *p = NULL;
        assert_int_equal(profile_load(dir, "good", &p, &error), 0);
        assert_int_equal(p->n_devs, 3);
        assert_string_equal(p->devs[2].address, "0000:3d:00.0");
        assert_int_equal(p->devs[2].iommu_group, 7);
        assert_int_equal(p->devs[0].types->n_types, 1);
        assert_int_equal(p->devs[0].subvendor, 0x10de); /* defaults to the vendor */
        profile_free(p);

        write_profile(
                "dup",
                "{\"name\":\"d\",\"drivers\":[],\"devices\":[{\"address\":\"0000:3b:00.0\",\"vendor\":1,"
                "\"device\":1,\"class\":1},{\"address\":\"0000:3b:00.0\",\"vendor\":1,\"device\":1,"
                "\"class\":1}]}");
        assert_int_equal(load("dup", &error), -EINVAL);
        assert_non_null(strstr(error, "listed twice"));
        free(error);

        write_profile(
                "sriovkind",
                "{\"name\":\"s\",\"drivers\":[],\"devices\":[{\"address\":\"0000:3b:00.0\",\"vendor\":1,"
                "\"device\":1,\"class\":1,\"vgpu\":{\"kind\":\"nvidia-vfio\",\"types\":\"cat\"}}]}");
        assert_int_equal(load("sriovkind", &error), -EINVAL);
        assert_non_null(strstr(error, "needs an \"sriov\" section"));
        free(error);

        write_profile(
                "overflow",
                "{\"name\":\"o\",\"drivers\":[],\"devices\":[{\"address\":\"0000:ff:00.0\",\"vendor\":1,"
                "\"device\":1,\"class\":1,\"sriov\":{\"totalvfs\":256,\"offset\":1,\"stride\":1}}]}");
        assert_int_equal(load("overflow", &error), -EINVAL);
        assert_non_null(strstr(error, "past bus ff"));
        free(error);

        write_profile(
                "vfclash",
                "{\"name\":\"v\",\"drivers\":[],\"devices\":[{\"address\":\"0000:3b:00.0\",\"vendor\":1,"
                "\"device\":1,\"class\":1,\"sriov\":{\"totalvfs\":8,\"offset\":4,\"stride\":1}},"
                "{\"address\":\"0000:3b:01.2\",\"vendor\":1,\"device\":1,\"class\":1}]}");
        assert_int_equal(load("vfclash", &error), -EINVAL);
        assert_non_null(strstr(error, "where a VF of 0000:3b:00.0 would be"));
        free(error);

        /* Virtual mdev parents (the kernel's samples): a sample catalog, counted by the core or the
         * driver; a catalog of another vendor, a bad counting rule or a missing count are refused. */
        snprintf(types, sizeof(types), "%s/types/samples.json", dir);
        f = fopen(types, "w");
        fputs("{\"vendor\":\"sample\",\"types\":[{\"id\":\"s-1\",\"name\":\"One\"},"
              "{\"id\":\"s-2\",\"name\":\"Two\",\"description\":\"two ports\",\"cost\":2}]}",
              f);
        fclose(f);
        write_profile("virt",
                      "{\"name\":\"v\",\"drivers\":[],\"devices\":[],\"iommu_domain\":\"identity\","
                      "\"mdev_parents\":[{\"name\":\"mtty\",\"types\":\"samples\",\"counting\":\"driver\","
                      "\"pool\":24},{\"name\":\"mdpy\",\"types\":\"samples\",\"counting\":\"core\","
                      "\"max_instances\":4}]}");
        assert_int_equal(profile_load(dir, "virt", &p, &error), 0);
        assert_int_equal(p->n_parents, 2);
        assert_false(p->parents[0].core_counted);
        assert_int_equal(p->parents[0].pool, 24);
        assert_true(p->parents[1].core_counted);
        assert_int_equal(p->parents[1].max_instances, 4);
        assert_int_equal(p->parents[0].types->types[0].cost, 1);
        assert_null(p->parents[0].types->types[0].description);
        assert_int_equal(p->parents[0].types->types[1].cost, 2);
        assert_string_equal(p->parents[0].types->types[1].description, "two ports");
        assert_string_equal(p->iommu_domain, "identity");
        profile_free(p);
        write_profile("virtvendor",
                      "{\"name\":\"v\",\"drivers\":[],\"devices\":[],\"mdev_parents\":[{"
                      "\"name\":\"x\",\"types\":\"cat\",\"counting\":\"core\",\"max_instances\":1}]}");
        assert_int_equal(load("virtvendor", &error), -EINVAL);
        assert_non_null(strstr(error, "not a virtual parent"));
        free(error);
        write_profile("virtcount", "{\"name\":\"v\",\"drivers\":[],\"devices\":[],\"mdev_parents\":[{"
                                   "\"name\":\"x\",\"types\":\"samples\",\"counting\":\"both\"}]}");
        assert_int_equal(load("virtcount", &error), -EINVAL);
        assert_non_null(strstr(error, "\"counting\" must be"));
        free(error);
        write_profile("virtmax", "{\"name\":\"v\",\"drivers\":[],\"devices\":[],\"mdev_parents\":[{"
                                 "\"name\":\"x\",\"types\":\"samples\",\"counting\":\"core\"}]}");
        assert_int_equal(load("virtmax", &error), -EINVAL);
        assert_non_null(strstr(error, "missing \"max_instances\""));
        free(error);

        write_profile("notobj", "[1,2]");
        assert_int_equal(load("notobj", &error), -EINVAL);
        free(error);

        assert_int_equal(load("missing", &error), -ENOENT);
        free(error);
}

int main(void) {
        assert_non_null(mkdtemp(dir));
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kstrtoull),   cmocka_unit_test(test_kstrtou16_int_bool),
                cmocka_unit_test(test_sysfs_streq), cmocka_unit_test(test_errno_names),
                cmocka_unit_test(test_pci_address), cmocka_unit_test(test_profile_validation),
        };
        int r = cmocka_run_group_tests(tests, NULL, NULL);
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
                r = 1;
        return r;
}
