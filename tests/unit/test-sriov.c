/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the pure parts of SR-IOV and VFIO binding: VF addresses (sriov.c), the derived UUIDs
 * of unclaimed vGPUs (uuid.c), and the state files: SR-IOV configuration, binding notes and
 * driverctl overrides (sriov-config.c, binding.c, driverctl.c, devfile.c). */
#include <sys/stat.h>

#include "unit.h"

#include "binding.h"
#include "driverctl.h"
#include "fileio.h"
#include "sriov-config.h"
#include "sriov.h"
#include "strutil.h"
#include "sysfs-fixture.h"
#include "uuid.h"
#include "vfio.h"

static char tmpdir[64];

static int setup(void **state) {
        strcpy(tmpdir, "/tmp/test-sriov-XXXXXX");
        return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
}

static void test_vf_address(void **state) {
        char out[PCI_BDF_MAX];

        /* a PF at 3b:00.0 with offset 4, stride 1: VF 0 is 3b:00.4, VF 4 crosses into slot 1 */
        assert_int_equal(sriov_vf_address("0000:3b:00.0", 4, 1, 0, out), 0);
        assert_string_equal(out, "0000:3b:00.4");
        assert_int_equal(sriov_vf_address("3b:00.0", 4, 1, 4, out), 0);
        assert_string_equal(out, "0000:3b:01.0");
        /* the address crosses into the next bus */
        assert_int_equal(sriov_vf_address("0000:3b:1f.0", 8, 1, 0, out), 0);
        assert_string_equal(out, "0000:3c:00.0");
        assert_int_equal(sriov_vf_address("0000:ff:1f.0", 8, 1, 0, out), -ERANGE);
        assert_int_equal(sriov_vf_address("nonsense", 1, 1, 0, out), -EINVAL);

        /* and back */
        assert_int_equal(sriov_vf_index("0000:3b:00.0", 4, 1, 16, "0000:3b:01.0"), 4);
        assert_int_equal(sriov_vf_index("0000:3b:00.0", 4, 2, 16, "0000:3b:00.6"), 1);
        assert_int_equal(sriov_vf_index("0000:3b:00.0", 4, 2, 16, "0000:3b:00.5"), -ENOENT); /* off stride */
        assert_int_equal(sriov_vf_index("0000:3b:00.0", 4, 1, 2, "0000:3b:00.6"), -ENOENT);  /* past total */
        assert_int_equal(sriov_vf_index("0000:3b:00.0", 4, 1, 16, "0000:3b:00.0"), -ENOENT); /* the PF */
        assert_int_equal(sriov_vf_index("0000:3b:00.0", 4, 1, 16, "0001:3b:00.4"),
                         -ENOENT); /* other domain */
        assert_int_equal(sriov_vf_index("0000:3b:00.0", 4, 1, 16, "zz"), -EINVAL);
        for (unsigned i = 0; i < 16; i++) {
                assert_int_equal(sriov_vf_address("0000:ca:00.0", 4, 1, i, out), 0);
                assert_int_equal(sriov_vf_index("0000:ca:00.0", 4, 1, 16, out), (int) i);
        }
}

static void test_uuid_derive(void **state) {
        char a[UUID_STRING_MAX], b[UUID_STRING_MAX], c[UUID_STRING_MAX];

        uuid_derive("nvidia-vfio:0000:ca:00.4", a);
        uuid_derive("nvidia-vfio:0000:ca:00.4", b);
        uuid_derive("nvidia-vfio:0000:ca:00.5", c);
        assert_true(uuid_is_valid(a));
        assert_string_equal(a, b);
        assert_string_not_equal(a, c);
        assert_int_equal(a[14], '8'); /* version 8 */
        assert_true(strchr("89ab", a[19]) != NULL);
}

static void test_sriov_config(void **state) {
        _cleanup_(sriov_config_freep) struct vgpu_sriov_config *c = calloc(1, sizeof(*c)), *back = NULL;
        _cleanup_free_ char *json = NULL, *why = NULL;
        struct vgpu_sriov_config **all = NULL;
        struct vgpu_error_list problems = {};
        struct vgpu_error e = {};
        size_t n = 0;

        assert_non_null(c);
        strcpy(c->device, "0000:ca:00.0");
        c->num_vfs = 4;
        c->autoprobe = true;
        c->driver = strdup("nvidia");
        assert_int_equal(sriov_config_to_json(c, &json), 0);
        assert_int_equal(sriov_config_from_json(json, strlen(json), &back, &why), 0);
        assert_string_equal(back->device, c->device);
        assert_int_equal(back->num_vfs, 4);
        assert_true(back->autoprobe);
        assert_string_equal(back->driver, "nvidia");

        /* bad documents are refused with a reason, never half-read */
        static const char *const bad[] = {
                "",
                "[]",
                "{\"version\": 1, \"device\": \"0000:ca:00.0\"}",
                "{\"version\": 2, \"device\": \"0000:ca:00.0\", \"num_vfs\": 1}",
                "{\"version\": 1, \"device\": \"not-an-address\", \"num_vfs\": 1}",
                "{\"version\": 1, \"device\": \"0000:ca:00.0\", \"num_vfs\": -1}",
                "{\"version\": 1, \"device\": \"0000:ca:00.0\", \"num_vfs\": \"4\"}",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(sriov_config_freep) struct vgpu_sriov_config *x = NULL;
                _cleanup_free_ char *reason = NULL;
                assert_int_equal(sriov_config_from_json(bad[i], strlen(bad[i]), &x, &reason), -EINVAL);
                assert_null(x);
                assert_non_null(reason);
        }

        /* saved and listed back; junk next to it is reported and skipped */
        assert_int_equal(sriov_config_save(tmpdir, c, &e), 0);
        strcpy(c->device, "0000:3b:00.0");
        c->num_vfs = 16;
        assert_int_equal(sriov_config_save(tmpdir, c, &e), 0);
        _cleanup_free_ char *junk = NULL, *corrupt = NULL;
        assert_true(asprintf(&junk, "%s/sriov/README", tmpdir) > 0);
        assert_int_equal(write_file_atomic(junk, "x", 1, 0644), 0);
        assert_true(asprintf(&corrupt, "%s/sriov/0000:01:00.0.json", tmpdir) > 0);
        assert_int_equal(write_file_atomic(corrupt, "{", 1, 0644), 0);
        assert_int_equal(sriov_config_load_all(tmpdir, &all, &n, &problems), 0);
        assert_int_equal(n, 2);
        assert_string_equal(all[0]->device, "0000:3b:00.0");
        assert_int_equal(all[0]->num_vfs, 16);
        assert_string_equal(all[1]->device, "0000:ca:00.0");
        assert_int_equal(problems.n, 2);
        sriov_configs_free(all, n);
        vgpu_error_list_clear(&problems);

        assert_int_equal(sriov_config_delete(tmpdir, "0000:3b:00.0", &e), 0);
        assert_int_equal(sriov_config_delete(tmpdir, "0000:3b:00.0", &e), -ENOENT);
        vgpu_error_clear(&e);
}

static void test_binding(void **state) {
        _cleanup_(binding_freep) struct vgpu_binding *b = NULL, *back = NULL, *loaded = NULL;
        _cleanup_free_ char *json = NULL, *why = NULL;
        struct vgpu_binding **all = NULL;
        struct vgpu_error_list problems = {};
        struct vgpu_error e = {};
        size_t n = 0;

        assert_int_equal(binding_new("bogus", &b), -EINVAL);
        assert_int_equal(binding_new("65:00.1", &b), 0);
        assert_string_equal(b->device, "0000:65:00.1");
        b->original_driver = strdup("snd_hda_intel");
        b->persistent = true;
        strcpy(b->bound_with, "0000:65:00.0");
        assert_int_equal(binding_to_json(b, &json), 0);
        assert_int_equal(binding_from_json(json, strlen(json), &back, &why), 0);
        assert_string_equal(back->device, "0000:65:00.1");
        assert_string_equal(back->original_driver, "snd_hda_intel");
        assert_null(back->original_override); /* unset stays unset, not "(null)" */
        assert_true(back->persistent);
        assert_string_equal(back->instance, "");
        assert_string_equal(back->bound_with, "0000:65:00.0");

        static const char *const bad[] = {
                "{}",
                "{\"version\": 1}",
                "{\"version\": 1, \"device\": \"0000:65:00.1\", \"original_driver\": 5}",
                "{\"version\": 1, \"device\": \"0000:65:00.1\", \"persistent\": \"yes\"}",
                "{\"version\": 1, \"device\": \"0000:65:00.1\", \"instance\": \"not-a-uuid\"}",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(binding_freep) struct vgpu_binding *x = NULL;
                _cleanup_free_ char *reason = NULL;
                assert_int_equal(binding_from_json(bad[i], strlen(bad[i]), &x, &reason), -EINVAL);
                assert_non_null(reason);
        }

        assert_int_equal(binding_load(tmpdir, "0000:65:00.1", &loaded, &e), -ENOENT);
        assert_int_equal(binding_save(tmpdir, b, &e), 0);
        assert_int_equal(binding_load(tmpdir, "65:00.1", &loaded, &e), 0);
        assert_string_equal(loaded->original_driver, "snd_hda_intel");
        assert_int_equal(binding_load_all(tmpdir, &all, &n, &problems), 0);
        assert_int_equal(n, 1);
        assert_int_equal(problems.n, 0);
        bindings_free(all, n);
        assert_int_equal(binding_delete(tmpdir, "0000:65:00.1", &e), 0);
        assert_int_equal(binding_delete(tmpdir, "0000:65:00.1", &e), -ENOENT);
        vgpu_error_clear(&e);
}

/* An instance on a function bound on request: its note goes back to the runtime binding's, or goes. */
static void test_binding_on_request(void **state) {
        static const char *const uuid = "5a8e2d6c-1b7f-4c3e-9d2a-6f4b8c1e7a90";
        _cleanup_(binding_freep) struct vgpu_binding *b = NULL, *back = NULL, *loaded = NULL;
        _cleanup_(binding_freep) struct vgpu_binding *only = NULL;
        _cleanup_free_ char *json = NULL, *why = NULL;
        struct vgpu_error e = {};

        assert_int_equal(binding_new("0000:65:00.2", &b), 0);
        b->original_driver = strdup("snd_hda_intel");
        strcpy(b->instance, uuid);
        b->on_request = true;
        assert_int_equal(binding_to_json(b, &json), 0);
        assert_int_equal(binding_from_json(json, strlen(json), &back, &why), 0);
        assert_true(back->on_request);
        assert_string_equal(back->instance, uuid);

        /* a runtime binding's note: it is that again */
        assert_int_equal(binding_save(tmpdir, b, &e), 0);
        assert_int_equal(binding_drop_instance(tmpdir, b, &e), 0);
        assert_int_equal(binding_load(tmpdir, "0000:65:00.2", &loaded, &e), 0);
        assert_string_equal(loaded->instance, "");
        assert_false(loaded->on_request);
        assert_string_equal(loaded->original_driver, "snd_hda_intel");
        assert_int_equal(binding_delete(tmpdir, "0000:65:00.2", &e), 0);

        /* on vfio-pci with no note of ours before the instance: the note goes */
        assert_int_equal(binding_new("0000:65:00.3", &only), 0);
        only->original_driver = strdup("vfio-pci");
        strcpy(only->instance, uuid);
        only->on_request = true;
        assert_int_equal(binding_save(tmpdir, only, &e), 0);
        assert_int_equal(binding_drop_instance(tmpdir, only, &e), 0);
        binding_free(TAKE_PTR(loaded));
        assert_int_equal(binding_load(tmpdir, "0000:65:00.3", &loaded, &e), -ENOENT);
        assert_int_equal(binding_drop_instance(tmpdir, only, &e), 0); /* gone already: fine */
        vgpu_error_clear(&e);
}

static void test_driverctl(void **state) {
        _cleanup_free_ char *dir = NULL, *path = NULL, *text = NULL, *drv = NULL, *drv2 = NULL;
        struct vgpu_error e = {};
        size_t len;

        assert_true(asprintf(&dir, "%s/driverctl.d", tmpdir) > 0);
        assert_int_equal(driverctl_read(dir, "0000:65:00.0", &drv, &e), -ENOENT);
        assert_int_equal(driverctl_save(dir, "65:00.0", "vfio-pci", &e), 0);
        /* driverctl's own format: pci-<full address>, the driver name and a newline */
        assert_true(asprintf(&path, "%s/pci-0000:65:00.0", dir) > 0);
        assert_int_equal(read_full_file(path, 1024, &text, &len), 0);
        assert_string_equal(text, "vfio-pci\n");
        assert_int_equal(driverctl_read(dir, "0000:65:00.0", &drv, &e), 0);
        assert_string_equal(drv, "vfio-pci");

        /* what driverctl itself would write for another device is read the same way */
        assert_int_equal(write_file_atomic(path, "pci-stub\n", 9, 0644), 0);
        assert_int_equal(driverctl_read(dir, "0000:65:00.0", &drv2, &e), 0);
        assert_string_equal(drv2, "pci-stub");
        assert_int_equal(write_file_atomic(path, "a/b\n", 4, 0644), 0);
        _cleanup_free_ char *drv3 = NULL;
        assert_int_equal(driverctl_read(dir, "0000:65:00.0", &drv3, &e), -EINVAL);
        vgpu_error_clear(&e);
        assert_int_equal(driverctl_save(dir, "0000:65:00.0", "../evil", &e), -EINVAL);
        vgpu_error_clear(&e);
        assert_int_equal(driverctl_delete(dir, "0000:65:00.0", &e), 0);
        assert_int_equal(driverctl_delete(dir, "0000:65:00.0", &e), -ENOENT);
}

/* Put bdf in its IOMMU group's device list, as the kernel does. */
static void group_add(struct fixture *f, int group, const char *bdf) {
        _cleanup_free_ char *link = NULL, *target = NULL;
        assert_true(asprintf(&link, "%s/kernel/iommu_groups/%d/devices/%s", f->root, group, bdf) > 0);
        assert_true(asprintf(&target, "../../../../devices/pci0000:00/%s", bdf) > 0);
        assert_int_equal(symlink(target, link), 0);
}

static void test_group_viability(void **state) {
        struct fixture f;
        struct vgpu_error e = {};
        _cleanup_strv_free_ char **members = NULL;
        _cleanup_free_ char *driver = NULL, *override = NULL;
        int group;

        fixture_init(&f);
        /* a GPU, its HDMI audio on another driver, and a bridge, in one group; a lone VF */
        fixture_add_pci(&f, "0000:65:00.0", 0x10de, 0x2231, 0x030000, "nvidia", 60);
        fixture_add_pci(&f, "0000:65:00.1", 0x10de, 0x1aef, 0x040300, "snd_hda_intel", 60);
        fixture_add_pci(&f, "0000:64:00.0", 0x8086, 0x1234, 0x060400, "pcieport", 60);
        fixture_add_pci(&f, "0000:4d:00.1", 0x8086, 0x56c0, 0x038000, NULL, 61);
        fixture_add_pci(&f, "0000:4d:00.2", 0x8086, 0x56c0, 0x038000, NULL, -1);
        group_add(&f, 60, "0000:65:00.0");
        group_add(&f, 60, "0000:65:00.1");
        group_add(&f, 60, "0000:64:00.0");
        group_add(&f, 61, "0000:4d:00.1");

        assert_int_equal(vfio_group_members(f.root, "0000:65:00.0", &group, &members), 0);
        assert_int_equal(group, 60);
        assert_int_equal(strv_length(members), 3);
        assert_string_equal(members[0], "0000:64:00.0"); /* sorted */

        /* the audio function blocks, and the refusal says which, on what driver, in which group */
        assert_int_equal(vfio_group_check_viable(f.root, "0000:65:00.0", NULL, &e), -EBUSY);
        assert_non_null(strstr(e.message, "0000:65:00.1"));
        assert_non_null(strstr(e.message, "snd_hda_intel"));
        assert_non_null(strstr(e.message, "group 60"));
        vgpu_error_clear(&e);
        /* bound together it is viable; the bridge never blocks */
        char *also[] = {(char *) "0000:65:00.1", NULL};
        assert_int_equal(vfio_group_check_viable(f.root, "0000:65:00.0", also, &e), 0);
        assert_true(pci_is_bridge(f.root, "0000:64:00.0"));
        assert_false(pci_is_bridge(f.root, "0000:65:00.1"));
        /* a function alone in its group, and one without a group (no IOMMU) */
        assert_int_equal(vfio_group_check_viable(f.root, "0000:4d:00.1", NULL, &e), 0);
        assert_int_equal(vfio_group_check_viable(f.root, "0000:4d:00.2", NULL, &e), -ENOENT);
        assert_non_null(strstr(e.message, "IOMMU"));
        vgpu_error_clear(&e);

        /* the binding as sysfs shows it: no driver, override unset ("(null)") */
        fixture_write(&f, "0000:4d:00.1", "driver_override", "(null)\n");
        assert_int_equal(pci_read_binding(f.root, "0000:4d:00.1", &driver, &override), 0);
        assert_null(driver);
        assert_null(override);
        assert_int_equal(pci_read_binding(f.root, "0000:ff:00.0", &driver, &override), -ENODEV);
        fixture_done(&f);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_vf_address),
                cmocka_unit_test(test_uuid_derive),
                cmocka_unit_test_setup_teardown(test_sriov_config, setup, teardown),
                cmocka_unit_test_setup_teardown(test_binding, setup, teardown),
                cmocka_unit_test_setup_teardown(test_binding_on_request, setup, teardown),
                cmocka_unit_test_setup_teardown(test_driverctl, setup, teardown),
                cmocka_unit_test(test_group_viability),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
