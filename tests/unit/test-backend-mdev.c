/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of backend-mdev.c and vfio.c on a sysfs-shaped tree. The tree
 * has no kernel behind it, so these check what the backend writes where and
 * in which order, its validation and its error reports; create/destroy
 * against kernel semantics run on vgpu-sim (tests/integration/lib-host.bats).
 * The in-use check runs for real: this process holds a node open and
 * /proc must show it.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "unit.h"

#include "backend.h"
#include "fileio.h"
#include "strutil.h"
#include "sysfs-fixture.h"
#include "vfio.h"

#define P  "0000:3b:00.0"
#define U1 "0b3c1a4e-1111-4222-8333-444455556666"

static char *path_of(struct fixture *f, const char *rel) {
        char *p;
        assert_true(asprintf(&p, "%s/%s", f->root, rel) > 0);
        return p;
}

static char *read_back(const char *path) {
        char *s = NULL;
        assert_int_equal(read_full_file(path, 4096, &s, NULL), 0);
        return s;
}

static void setup_t4(struct fixture *f) {
        fixture_init(f);
        fixture_add_pci(f, P, 0x10de, 0x1eb8, 0x030200, "nvidia", 10);
        fixture_add_parent(f, P);
        fixture_add_nvidia_type(f, P, 231, "GRID T4-2Q", 2048, 8, 8);
}

static void test_registry(void **state) {
        assert_ptr_equal(backend_get(VGPU_BACKEND_MDEV), &backend_mdev);
        assert_ptr_equal(backend_get(VGPU_BACKEND_VF), &backend_vf);
        assert_ptr_equal(backend_get(VGPU_BACKEND_NVIDIA_VFIO), &backend_nvidia_vfio);
        /* rpc is registered like the others; its operations are vgpud's engine's, absent from this program
         */
        assert_ptr_equal(backend_get(VGPU_BACKEND_RPC), &backend_rpc);
        assert_null(backend_rpc.create);
        assert_int_equal(backend_rpc.device_kind, VGPU_DEVICE_VFIO_USER);
        /* every kind has its table, in kind order, each declaring what a VM is given */
        const struct backend_ops *b;
        int k = 0, n = 0;
        while ((b = backend_next(&k))) {
                assert_int_equal(b->kind, n++);
                assert_ptr_equal(backend_get(b->kind), b);
                assert_non_null(vgpu_device_kind_to_string(b->device_kind));
                /* a PCI function's backend says what a function offers and when it is an instance */
                assert_true(b->device_kind != VGPU_DEVICE_PCI ||
                            (b->function_offers && b->function_is_instance && b->function_type_id));
        }
        assert_int_equal(n, _VGPU_BACKEND_MAX);
        assert_int_equal(backend_device_kind(VGPU_BACKEND_VF), VGPU_DEVICE_PCI);
        assert_int_equal(backend_device_kind(_VGPU_BACKEND_INVALID), _VGPU_DEVICE_KIND_INVALID);
        assert_null(backend_get(_VGPU_BACKEND_MAX));
        assert_null(backend_get(_VGPU_BACKEND_INVALID));
        assert_string_equal(backend_kind_to_string(VGPU_BACKEND_NVIDIA_VFIO), "nvidia-vfio");
        assert_int_equal(backend_kind_from_string("rpc"), VGPU_BACKEND_RPC);
        assert_int_equal(backend_kind_from_string("RPC"), -EINVAL);
        assert_int_equal(backend_kind_from_string(NULL), -EINVAL);
}

static void test_create_writes(void **state) {
        struct fixture f;
        struct vgpu_attr *attrs = NULL;
        size_t n_attrs = 0;
        struct backend_ctx ctx;
        struct vgpu_error e = {};
        char *device = NULL;

        setup_t4(&f);
        ctx = (struct backend_ctx){f.root, "/dev/vfio", "/proc"};
        /* the kernel would make the device when create is written; the fixture makes it beforehand */
        fixture_add_mdev(&f, P, U1, "nvidia-231", 100);
        _cleanup_free_ char *nv = path_of(&f, "devices/pci0000:00/" P "/" U1 "/nvidia");
        assert_int_equal(mkdir(nv, 0755), 0);
        _cleanup_free_ char *a = path_of(&f, "devices/pci0000:00/" P "/" U1 "/a");
        _cleanup_free_ char *b = path_of(&f, "devices/pci0000:00/" P "/" U1 "/nvidia/b");
        assert_int_equal(write_file_atomic(a, "", 0, 0644), 0);
        assert_int_equal(write_file_atomic(b, "", 0, 0644), 0);

        assert_int_equal(attrs_add(&attrs, &n_attrs, "a", "1"), 0);
        assert_int_equal(attrs_add(&attrs, &n_attrs, "nvidia/b", "two"), 0);
        struct backend_create req = {P, "nvidia-231", "0B3C1A4E-1111-4222-8333-444455556666", attrs,
                                     n_attrs};
        assert_int_equal(backend_mdev.create(&ctx, &req, &device, &e), 0);
        assert_string_equal(device, U1); /* normalized */
        free(device);
        attrs_free(attrs, n_attrs);

        _cleanup_free_ char *create =
                path_of(&f, "devices/pci0000:00/" P "/mdev_supported_types/nvidia-231/create");
        _cleanup_free_ char *c = read_back(create), *av = read_back(a), *bv = read_back(b);
        assert_string_equal(c, U1); /* 36 bytes, one write, no newline */
        assert_string_equal(av, "1");
        assert_string_equal(bv, "two");
        _cleanup_free_ char *made = path_of(&f, "bus/mdev/devices/" U1);
        assert_int_equal(access(made, F_OK), 0);
        assert_int_equal(backend_mdev.device_kind, VGPU_DEVICE_MDEV); /* what a VM is given */

        /* destroy writes "1" to remove */
        assert_int_equal(backend_mdev.destroy(&ctx, U1, &e), 0);
        _cleanup_free_ char *rm = path_of(&f, "devices/pci0000:00/" P "/" U1 "/remove");
        _cleanup_free_ char *rv = read_back(rm);
        assert_string_equal(rv, "1");
        vgpu_error_clear(&e);
        fixture_done(&f);
}

static void test_create_rolls_back_on_attr_failure(void **state) {
        struct fixture f;
        struct vgpu_attr *attrs = NULL;
        size_t n_attrs = 0;
        struct backend_ctx ctx;
        struct vgpu_error e = {};
        char *device = NULL;

        setup_t4(&f);
        ctx = (struct backend_ctx){f.root, "/dev/vfio", "/proc"};
        fixture_add_mdev(&f, P, U1, "nvidia-231", 100);
        _cleanup_free_ char *a = path_of(&f, "devices/pci0000:00/" P "/" U1 "/a");
        _cleanup_free_ char *broken = path_of(&f, "devices/pci0000:00/" P "/" U1 "/broken");
        _cleanup_free_ char *never = path_of(&f, "devices/pci0000:00/" P "/" U1 "/never");
        assert_int_equal(write_file_atomic(a, "", 0, 0644), 0);
        assert_int_equal(mkdir(broken, 0755), 0); /* writing it fails with EISDIR */
        assert_int_equal(write_file_atomic(never, "", 0, 0644), 0);

        assert_int_equal(attrs_add(&attrs, &n_attrs, "a", "1"), 0);
        assert_int_equal(attrs_add(&attrs, &n_attrs, "broken", "x"), 0);
        assert_int_equal(attrs_add(&attrs, &n_attrs, "never", "y"), 0);
        struct backend_create req = {P, "nvidia-231", U1, attrs, n_attrs};
        assert_int_equal(backend_mdev.create(&ctx, &req, &device, &e), -EISDIR);
        assert_null(device);
        assert_int_equal(e.error, EISDIR);
        _cleanup_free_ char *written = path_of(&f, "bus/mdev/devices/" U1 "/broken");
        assert_string_equal(e.path, written); /* the path the backend wrote, through the bus link */
        assert_non_null(strstr(e.message, "Cannot set attribute broken of mdev " U1));
        assert_non_null(strstr(e.message, "removed again"));
        attrs_free(attrs, n_attrs);

        /* in order: a was written, never was not, and the device was removed */
        _cleanup_free_ char *av = read_back(a), *nv = read_back(never);
        assert_string_equal(av, "1");
        assert_string_equal(nv, "");
        _cleanup_free_ char *rm = path_of(&f, "devices/pci0000:00/" P "/" U1 "/remove");
        _cleanup_free_ char *rv = read_back(rm);
        assert_string_equal(rv, "1");
        vgpu_error_clear(&e);
        fixture_done(&f);
}

static void test_create_refusals(void **state) {
        struct fixture f;
        struct backend_ctx ctx;
        struct vgpu_error e = {};
        char *device = NULL;

        setup_t4(&f);
        ctx = (struct backend_ctx){f.root, "/dev/vfio", "/proc"};
        struct vgpu_attr *bad_attr = NULL;
        size_t n_bad = 0;
        assert_int_equal(attrs_add(&bad_attr, &n_bad, "../../../remove", "1"), 0);
        static const struct {
                struct backend_create req;
                int r;
                const char *msg;
        } cases[] = {
                {{"../x", "nvidia-231", U1, NULL, 0}, -EINVAL, "Invalid parent device name"},
                {{P, "nvidia-231/../..", U1, NULL, 0}, -EINVAL, "Invalid type id"},
                {{P, "nvidia-231", "not-a-uuid", NULL, 0}, -EINVAL, "Invalid UUID"},
                {{"0000:99:00.0", "nvidia-231", U1, NULL, 0}, -ENODEV, "is not a registered mdev parent"},
                {{P, "nvidia-999", U1, NULL, 0}, -ENOENT, "does not offer type nvidia-999"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                assert_int_equal(backend_mdev.create(&ctx, &cases[i].req, &device, &e), cases[i].r);
                if (!strstr(e.message, cases[i].msg))
                        fail_msg("case %zu: \"%s\"", i, e.message);
        }
        struct backend_create req = {P, "nvidia-231", U1, bad_attr, n_bad};
        assert_int_equal(backend_mdev.create(&ctx, &req, &device, &e), -EINVAL);
        assert_non_null(strstr(e.message, "Invalid attribute name"));
        attrs_free(bad_attr, n_bad);

        /* the kernel's refusal comes back with the path and a hint: here create is a directory */
        _cleanup_free_ char *create =
                path_of(&f, "devices/pci0000:00/" P "/mdev_supported_types/nvidia-231/create");
        assert_int_equal(unlink(create), 0);
        assert_int_equal(mkdir(create, 0755), 0);
        struct backend_create ok = {P, "nvidia-231", U1, NULL, 0};
        assert_int_equal(backend_mdev.create(&ctx, &ok, &device, &e), -EISDIR);
        _cleanup_free_ char *written =
                path_of(&f, "class/mdev_bus/" P "/mdev_supported_types/nvidia-231/create");
        assert_string_equal(e.path, written);
        assert_null(device);

        assert_int_equal(backend_mdev.destroy(&ctx, U1, &e), -ENODEV);
        assert_non_null(strstr(e.message, "No mdev " U1));
        assert_int_equal(backend_mdev.destroy(&ctx, "x", &e), -EINVAL);
        _cleanup_free_ char *gone = path_of(&f, "bus/mdev/devices/" U1);
        assert_int_equal(access(gone, F_OK), -1);
        assert_int_equal(errno, ENOENT);
        vgpu_error_clear(&e);
        fixture_done(&f);
}

static void test_in_use(void **state) {
        struct fixture f;
        struct vgpu_error e = {};
        pid_t pid = 0;

        setup_t4(&f);
        fixture_add_mdev(&f, P, U1, "nvidia-231", 100);
        /* stand-ins for /dev/vfio: the group node and the iommufd cdev */
        _cleanup_free_ char *devdir = path_of(&f, "dev-vfio");
        _cleanup_free_ char *cdevs = path_of(&f, "dev-vfio/devices");
        _cleanup_free_ char *group_node = path_of(&f, "dev-vfio/100");
        _cleanup_free_ char *cdev_node = path_of(&f, "dev-vfio/devices/vfio7");
        _cleanup_free_ char *vfio_dev = path_of(&f, "devices/pci0000:00/" P "/" U1 "/vfio-dev/vfio7");
        assert_int_equal(mkdir_p(cdevs, 0755), 0);
        assert_int_equal(mkdir_p(vfio_dev, 0755), 0);
        assert_int_equal(write_file_atomic(group_node, "", 0, 0644), 0);
        assert_int_equal(write_file_atomic(cdev_node, "", 0, 0644), 0);
        struct backend_ctx ctx = {f.root, devdir, "/proc"};

        _cleanup_strv_free_ char **nodes = NULL;
        _cleanup_free_ char *dev = path_of(&f, "bus/mdev/devices/" U1);
        assert_int_equal(vfio_device_nodes(dev, devdir, &nodes), 0);
        assert_int_equal(strv_length(nodes), 2);
        assert_string_equal(nodes[0], group_node);
        assert_string_equal(nodes[1], cdev_node);
        /* no VFIO on the host: no node anyone could hold */
        _cleanup_strv_free_ char **none = NULL;
        _cleanup_free_ char *no_vfio = path_of(&f, "no-dev-vfio");
        assert_int_equal(vfio_device_nodes(dev, no_vfio, &none), 0);
        assert_int_equal(strv_length(none), 0);

        assert_int_equal(backend_mdev.in_use(&ctx, U1, &pid, &e), 0);

        int fd = open(group_node, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(backend_mdev.in_use(&ctx, U1, &pid, &e), 1);
        assert_int_equal(pid, getpid());
        assert_int_equal(e.error, EBUSY);
        assert_non_null(strstr(e.message, "in use by process"));
        close(fd);

        fd = open(cdev_node, O_RDONLY | O_CLOEXEC);
        assert_int_equal(backend_mdev.in_use(&ctx, U1, &pid, &e), 1);
        close(fd);
        assert_int_equal(backend_mdev.in_use(&ctx, U1, &pid, &e), 0);

        /* a device that is gone */
        fixture_remove_mdev(&f, P, U1);
        assert_int_equal(backend_mdev.in_use(&ctx, U1, &pid, &e), -ENODEV);
        vgpu_error_clear(&e);
        fixture_done(&f);
}

static void test_attr_names(void **state) {
        static const char *const good[] = {"a", "nvidia/vm_name", "x.y-z_1", "a/b/c"};
        static const char *const bad[] = {"",       "/a",    "a/",  "a//b", ".", "..",
                                          "a/../b", "a/./b", "a b", "a\nb", "ü"};
        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                assert_true(attr_name_is_valid(good[i]));
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (attr_name_is_valid(bad[i]))
                        fail_msg("accepted \"%s\"", bad[i]);

        struct vgpu_attr a;
        assert_int_equal(attr_parse_assignment("nvidia/x=a=b", &a), 0);
        assert_string_equal(a.name, "nvidia/x");
        assert_string_equal(a.value, "a=b");
        free(a.name);
        free(a.value);
        assert_int_equal(attr_parse_assignment("=x", &a), -EINVAL);
        assert_int_equal(attr_parse_assignment("x", &a), -EINVAL);
        assert_int_equal(attr_parse_assignment("../x=1", &a), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_registry),
                cmocka_unit_test(test_create_writes),
                cmocka_unit_test(test_create_rolls_back_on_attr_failure),
                cmocka_unit_test(test_create_refusals),
                cmocka_unit_test(test_in_use),
                cmocka_unit_test(test_attr_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
