/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of alias.c: type groups and name resolution, including ambiguity on a two-board host. */
#include "unit.h"

#include "alias.h"
#include "host.h"
#include "strutil.h"
#include "sysfs-fixture.h"

#define T4A  "0000:3b:00.0"
#define T4B  "0000:af:00.0"
#define A2   "0000:5e:00.0"
#define M60  "0000:86:00.0"
#define IGPU "0000:00:02.0"

static struct vgpu_host *load(struct fixture *f, const char *const *parents, size_t n) {
        struct vgpu_host *h;
        assert_int_equal(host_new(f->root, &h), 0);
        for (size_t i = 0; i < n; i++) {
                assert_true(host_refresh_gpu(h, parents[i]) >= 0);
                assert_true(host_refresh_parent(h, parents[i]) >= 0);
        }
        return h;
}

static void add_t4(struct fixture *f, const char *bdf) {
        fixture_add_pci(f, bdf, 0x10de, 0x1eb8, 0x030200, "nvidia", 10);
        fixture_add_parent(f, bdf);
        fixture_add_nvidia_type(f, bdf, 222, "GRID T4-1B", 1024, 16, 16);
        fixture_add_nvidia_type(f, bdf, 231, "GRID T4-2Q", 2048, 8, 8);
}

static void add_a2(struct fixture *f, const char *bdf) {
        fixture_add_pci(f, bdf, 0x10de, 0x25b6, 0x030200, "nvidia", 11);
        fixture_add_parent(f, bdf);
        fixture_add_nvidia_type(f, bdf, 745, "NVIDIA A2-2Q", 2048, 8, 8);
        fixture_add_nvidia_type(f, bdf, 750, "NVIDIA A2-4-4C", 4096, 4, 4); /* MIG-style name */
}

static void add_m60(struct fixture *f, const char *bdf) {
        fixture_add_pci(f, bdf, 0x10de, 0x13f2, 0x030000, "nvidia", 12);
        fixture_add_parent(f, bdf);
        fixture_add_nvidia_type(f, bdf, 18, "GRID M60-2Q", 2048, 4, 4);
        fixture_add_nvidia_type(f, bdf, 11, "GRID M60-0B", 512, 16, 16);
}

static void assert_resolves(struct vgpu_host *h, const char *name, const char *key) {
        struct vgpu_type_group *g = NULL;
        struct vgpu_error e = {};
        int r = type_resolve(h, name, &g, &e);
        if (r < 0)
                fail_msg("\"%s\" did not resolve: %s", name, strna(e.message));
        assert_string_equal(g->key, key);
        vgpu_error_clear(&e);
}

static void test_one_board(void **state) {
        const char *parents[] = {T4A, T4B};
        struct fixture f;

        fixture_init(&f);
        add_t4(&f, T4A);
        add_t4(&f, T4B);
        _cleanup_(host_freep) struct vgpu_host *h = load(&f, parents, 2);

        const char *names[] = {"nvidia-231", "NVIDIA-231", "GRID T4-2Q", "grid-t4-2q", "Grid_T4_2Q",
                               "grid t4 2q", "t4-2q",      "T4-2Q",      "grid-2q",    "GRID-2Q"};
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                assert_resolves(h, names[i], "mdev:GRID T4-2Q");
        assert_resolves(h, "grid-1b", "mdev:GRID T4-1B");

        struct vgpu_type_group *g = host_find_group(h, "mdev:GRID T4-2Q");
        assert_int_equal(g->n_types, 2);
        assert_true(strv_contains(g->aliases, "nvidia-231"));
        assert_true(strv_contains(g->aliases, "grid-t4-2q"));
        assert_true(strv_contains(g->aliases, "t4-2q"));
        assert_true(strv_contains(g->aliases, "grid-2q")); /* unambiguous here */
        fixture_done(&f);
}

static void test_two_boards_ambiguity(void **state) {
        const char *parents[] = {T4A, M60};
        struct vgpu_type_group *g = NULL;
        struct vgpu_error e = {};
        struct fixture f;

        /* two GRID boards that both offer a 2Q type */
        fixture_init(&f);
        add_t4(&f, T4A);
        add_m60(&f, M60);
        _cleanup_(host_freep) struct vgpu_host *h = load(&f, parents, 2);

        assert_int_equal(type_resolve(h, "grid-2q", &g, &e), -ENOTUNIQ);
        assert_int_equal(e.error, ENOTUNIQ);
        assert_string_equal(e.message, "Type \"grid-2q\" is ambiguous on this host: it could be GRID M60-2Q "
                                       "(nvidia-18), GRID T4-2Q (nvidia-231). Use one of these names.");
        assert_null(g);
        vgpu_error_clear(&e);

        /* the board-qualified names still work, and the board-less one is not offered */
        assert_resolves(h, "t4-2q", "mdev:GRID T4-2Q");
        assert_resolves(h, "m60-2q", "mdev:GRID M60-2Q");
        assert_resolves(h, "GRID M60-2Q", "mdev:GRID M60-2Q");
        assert_resolves(h, "grid-0b", "mdev:GRID M60-0B"); /* only one board has it: unambiguous */
        assert_resolves(h, "grid-1b", "mdev:GRID T4-1B");
        assert_false(strv_contains(host_find_group(h, "mdev:GRID T4-2Q")->aliases, "grid-2q"));
        assert_false(strv_contains(host_find_group(h, "mdev:GRID M60-2Q")->aliases, "grid-2q"));

        /* the M60 goes away: grid-2q becomes unambiguous again */
        fixture_unregister_parent(&f, M60);
        assert_int_equal(host_remove_parent(h, M60), 1);
        assert_resolves(h, "grid-2q", "mdev:GRID T4-2Q");
        assert_true(strv_contains(host_find_group(h, "mdev:GRID T4-2Q")->aliases, "grid-2q"));
        assert_null(host_find_group(h, "mdev:GRID M60-2Q"));
        fixture_done(&f);
}

/* A GRID board and an NVIDIA-prefixed one: each keeps its own board-less alias. */
static void test_grid_and_nvidia_prefixes(void **state) {
        const char *parents[] = {T4A, A2};
        struct fixture f;

        fixture_init(&f);
        add_t4(&f, T4A);
        add_a2(&f, A2);
        _cleanup_(host_freep) struct vgpu_host *h = load(&f, parents, 2);

        assert_resolves(h, "grid-2q", "mdev:GRID T4-2Q");
        assert_resolves(h, "nvidia-2q", "mdev:NVIDIA A2-2Q");
        assert_resolves(h, "a2-2q", "mdev:NVIDIA A2-2Q");
        assert_resolves(h, "NVIDIA A2-2Q", "mdev:NVIDIA A2-2Q");
        assert_resolves(h, "a2-4-4c", "mdev:NVIDIA A2-4-4C");
        assert_resolves(h, "nvidia-4-4c", "mdev:NVIDIA A2-4-4C");
        assert_resolves(h, "nvidia-745", "mdev:NVIDIA A2-2Q"); /* raw ids are not confused with aliases */
        fixture_done(&f);
}

static void test_unknown_and_invalid(void **state) {
        const char *parents[] = {T4A};
        struct vgpu_type_group *g = NULL;
        struct vgpu_error e = {};
        struct fixture f;

        fixture_init(&f);
        add_t4(&f, T4A);
        _cleanup_(host_freep) struct vgpu_host *h = load(&f, parents, 1);

        assert_int_equal(type_resolve(h, "grid-99q", &g, &e), -ENOENT);
        assert_non_null(strstr(e.message, "No type \"grid-99q\""));
        assert_non_null(strstr(e.message, "GRID T4-2Q"));
        assert_int_equal(type_resolve(h, "", &g, &e), -EINVAL);
        assert_int_equal(type_resolve(h, NULL, &g, &e), -EINVAL);
        assert_int_equal(type_resolve(h, "---", &g, &e), -EINVAL);
        assert_int_equal(type_resolve(h, "\xff\xfe", &g, &e), -EINVAL);
        assert_null(g);
        vgpu_error_clear(&e);

        /* an empty host says so */
        _cleanup_(host_freep) struct vgpu_host *empty = NULL;
        assert_int_equal(host_new(f.root, &empty), 0);
        assert_int_equal(type_resolve(empty, "grid-2q", &g, &e), -ENOENT);
        assert_non_null(strstr(e.message, "offers no vGPU types"));
        vgpu_error_clear(&e);
        fixture_done(&f);
}

static void test_gvtg(void **state) {
        const char *parents[] = {IGPU};
        struct fixture f;

        fixture_init(&f);
        fixture_add_pci(&f, IGPU, 0x8086, 0x3e92, 0x030000, "i915", 1);
        fixture_add_parent(&f, IGPU);
        fixture_add_type(
                &f, IGPU, "i915-GVTg_V5_4", "GVTg_V5_4",
                "low_gm_size: 128MB\nhigh_gm_size: 512MB\nfence: 4\nresolution: 1920x1200\nweight: 4\n", 3);
        fixture_add_type(
                &f, IGPU, "i915-GVTg_V5_8", "GVTg_V5_8",
                "low_gm_size: 64MB\nhigh_gm_size: 384MB\nfence: 4\nresolution: 1024x768\nweight: 2\n", 7);
        _cleanup_(host_freep) struct vgpu_host *h = load(&f, parents, 1);

        assert_resolves(h, "i915-GVTg_V5_4", "mdev:GVTg_V5_4");
        assert_resolves(h, "GVTg_V5_4", "mdev:GVTg_V5_4");
        assert_resolves(h, "gvtg-v5-8", "mdev:GVTg_V5_8");
        const struct vgpu_type *t = vgpu_type_group_first(host_find_group(h, "mdev:GVTg_V5_4"));
        assert_int_equal(t->framebuffer_mb, 640);
        assert_int_equal(t->weight, 4);
        assert_int_equal(t->max_width, 1920);
        assert_null(t->parse_error);
        fixture_done(&f);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_one_board),
                cmocka_unit_test(test_two_boards_ambiguity),
                cmocka_unit_test(test_grid_and_nvidia_prefixes),
                cmocka_unit_test(test_unknown_and_invalid),
                cmocka_unit_test(test_gvtg),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
