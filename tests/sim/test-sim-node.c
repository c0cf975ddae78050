/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of vgpu-sim's tree: lookup through the hash tables as they
 * grow and shrink, removal, symlink resolution and the relative targets
 * sysfs shows.
 */
#include "unit.h"

#include "node.h"
#include "sim-util.h"

static void test_lookup_and_remove(void **state) {
        struct node *root = node_new_root();
        struct node *devs = node_dir_p(root, "bus/pci/devices");
        assert_ptr_equal(node_lookup(root, "/bus/pci/devices"), devs);
        assert_ptr_equal(node_lookup(root, "/bus//pci/devices/"), devs);
        assert_null(node_lookup(root, "/bus/nope"));
        char name[64];
        for (int i = 0; i < 5000; i++) {
                snprintf(name, sizeof(name), "dev%d", i);
                node_const(devs, name, "%d\n", i);
        }
        assert_int_equal(devs->n_children, 5000);
        for (int i = 0; i < 5000; i += 7) {
                snprintf(name, sizeof(name), "/bus/pci/devices/dev%d", i);
                struct node *n = node_lookup(root, name);
                assert_non_null(n);
                assert_int_equal(atoi(n->value), i);
        }
        for (int i = 0; i < 5000; i += 2) {
                snprintf(name, sizeof(name), "dev%d", i);
                node_remove_child(devs, name);
        }
        assert_int_equal(devs->n_children, 2500);
        assert_null(node_lookup(root, "/bus/pci/devices/dev4"));
        assert_non_null(node_lookup(root, "/bus/pci/devices/dev4999"));
        /* creation order is kept for readdir */
        assert_string_equal(devs->first_child->name, "dev1");
        assert_string_equal(devs->last_child->name, "dev4999");
        /* re-creating a name replaces the old node */
        node_const(devs, "dev1", "new\n");
        assert_string_equal(node_lookup(root, "/bus/pci/devices/dev1")->value, "new\n");
        assert_int_equal(devs->n_children, 2500);
        node_remove(root);
}

static void test_links(void **state) {
        struct node *root = node_new_root();
        struct node *gpu = node_dir_p(root, "devices/pci0000:3b/0000:3b:00.0");
        node_const(gpu, "vendor", "0x10de\n");
        struct node *vf = node_dir_p(root, "devices/pci0000:3b/0000:3b:00.4");
        struct node *l1 = node_link(node_dir_p(root, "bus/pci/devices"), "0000:3b:00.0",
                                    "/devices/pci0000:3b/0000:3b:00.0");
        struct node *l2 = node_link(vf, "physfn", "/devices/pci0000:3b/0000:3b:00.0");
        struct node *l3 = node_link(gpu, "self", "/devices/pci0000:3b/0000:3b:00.0/vendor");
        struct node *l4 = node_link(root, "top", "/devices");
        char *s;
        assert_string_equal(s = node_link_relative(l1), "../../../devices/pci0000:3b/0000:3b:00.0");
        free(s);
        assert_string_equal(s = node_link_relative(l2), "../0000:3b:00.0");
        free(s);
        assert_string_equal(s = node_link_relative(l3), "vendor");
        free(s);
        assert_string_equal(s = node_link_relative(l4), "devices");
        free(s);
        assert_string_equal(s = node_path(gpu), "/devices/pci0000:3b/0000:3b:00.0");
        free(s);
        assert_string_equal(s = node_path(root), "/");
        free(s);
        /* resolution follows links in any component, lookup does not */
        assert_string_equal(node_resolve(root, "/bus/pci/devices/0000:3b:00.0/vendor")->value, "0x10de\n");
        assert_null(node_lookup(root, "/bus/pci/devices/0000:3b:00.0/vendor"));
        assert_ptr_equal(node_resolve(root, "/devices/pci0000:3b/0000:3b:00.4/physfn/../0000:3b:00.4"), vf);
        /* a loop ends, it does not hang */
        node_link(root, "loop", "/loop");
        assert_null(node_resolve(root, "/loop/x"));
        node_remove(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lookup_and_remove),
                cmocka_unit_test(test_links),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
