/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of placement.c: pack vs spread, vendor refusals (one type per GPU, heterogeneous mode, GVT-g
 * pool), GPU filter, VF parents. */
#include "unit.h"

#include "alias.h"
#include "host.h"
#include "placement.h"
#include "sysfs-fixture.h"

#define T4A  "0000:3b:00.0"
#define T4B  "0000:af:00.0"
#define IGPU "0000:00:02.0"
#define U(n) "11111111-2222-4333-8444-5555555555" #n

static struct vgpu_host *load_all(struct fixture *f, const char *const *gpus, size_t n_gpus,
                                  const char *const *uuids, size_t n_uuids) {
        struct vgpu_host *h;
        assert_int_equal(host_new(f->root, &h), 0);
        for (size_t i = 0; i < n_gpus; i++) {
                assert_true(host_refresh_gpu(h, gpus[i]) >= 0);
                assert_true(host_refresh_parent(h, gpus[i]) >= 0);
        }
        for (size_t i = 0; i < n_uuids; i++)
                assert_true(host_refresh_instance(h, uuids[i]) >= 0);
        return h;
}

static struct vgpu_type_group *group(struct vgpu_host *h, const char *name) {
        struct vgpu_type_group *g;
        assert_int_equal(type_resolve(h, name, &g, NULL), 0);
        return g;
}

static void add_t4(struct fixture *f, const char *bdf, int group_no, unsigned avail_1b, unsigned avail_2b,
                   unsigned avail_2q) {
        fixture_add_pci(f, bdf, 0x10de, 0x1eb8, 0x030200, "nvidia", group_no);
        fixture_add_parent(f, bdf);
        fixture_add_nvidia_type(f, bdf, 222, "GRID T4-1B", 1024, 16, avail_1b);
        fixture_add_nvidia_type(f, bdf, 223, "GRID T4-2B", 2048, 8, avail_2b);
        fixture_add_nvidia_type(f, bdf, 231, "GRID T4-2Q", 2048, 8, avail_2q);
}

static void test_pack_and_spread(void **state) {
        const char *gpus[] = {T4A, T4B}, *uuids[] = {U(01)};
        struct placement_result res;
        struct fixture f;

        /* A hosts one T4-2Q (7 left); B is empty (8 left) */
        fixture_init(&f);
        add_t4(&f, T4A, 10, 0, 0, 7);
        add_t4(&f, T4B, 11, 16, 8, 8);
        fixture_add_mdev(&f, T4A, U(01), "nvidia-231", 100);
        _cleanup_(host_freep) struct vgpu_host *h = load_all(&f, gpus, 2, uuids, 1);
        struct vgpu_type_group *g = group(h, "grid-2q");

        assert_int_equal(placement_choose(h, g, NULL, PLACEMENT_PACK, &res, NULL), 0);
        assert_string_equal(res.type->parent->name, T4A);
        assert_string_equal(res.type->id, "nvidia-231");
        placement_result_done(&res);

        assert_int_equal(placement_choose(h, g, NULL, PLACEMENT_SPREAD, &res, NULL), 0);
        assert_string_equal(res.type->parent->name, T4B);
        /* every candidate is listed, in policy order, with where it would go */
        assert_int_equal(res.n_candidates, 2);
        assert_string_equal(res.candidates[0].unit, T4B);
        assert_string_equal(res.candidates[1].unit, T4A);
        assert_ptr_equal(res.candidates[1].type->parent, host_find_parent(h, T4A));
        assert_null(res.candidates[1].reason);
        placement_result_done(&res);

        /* a type nobody hosts yet: pack still prefers a used GPU only if it has room (A has none for 1B) */
        assert_int_equal(placement_choose(h, group(h, "grid-1b"), NULL, PLACEMENT_PACK, &res, NULL), 0);
        assert_string_equal(res.type->parent->name, T4B);
        placement_result_done(&res);

        /* the caller names the GPU */
        assert_int_equal(placement_choose(h, g, "af:00.0", PLACEMENT_PACK, &res, NULL), 0);
        assert_string_equal(res.type->parent->name, T4B);
        placement_result_done(&res);
        fixture_done(&f);
}

static void test_one_type_per_gpu_refusal(void **state) {
        const char *gpus[] = {T4A, T4B};
        const char *uuids[] = {U(01), U(11), U(12), U(13), U(14), U(15), U(16), U(17), U(18)};
        struct placement_result res;
        struct vgpu_error e = {};
        struct fixture f;

        /* A hosts a T4-1B: every other type shows 0. B is full of T4-2Q. */
        fixture_init(&f);
        add_t4(&f, T4A, 10, 15, 0, 0);
        add_t4(&f, T4B, 11, 0, 0, 0);
        fixture_add_mdev(&f, T4A, U(01), "nvidia-222", 100);
        for (int i = 1; i < 9; i++)
                fixture_add_mdev(&f, T4B, uuids[i], "nvidia-231", 100 + i);
        _cleanup_(host_freep) struct vgpu_host *h = load_all(&f, gpus, 2, uuids, 9);

        assert_int_equal(placement_choose(h, group(h, "grid-2q"), NULL, PLACEMENT_PACK, &res, &e), -ENOSPC);
        assert_null(res.type);
        assert_null(res.candidates[0].type);
        assert_null(res.candidates[1].type);
        assert_int_equal(res.n_candidates, 2);
        /* B hosts the type, so pack lists it first */
        assert_string_equal(res.candidates[0].unit, T4B);
        assert_string_equal(res.candidates[0].reason,
                            "all 8 GRID T4-2Q instances it allows are in use (instances " U(11) ", " U(
                                    12) " and 6 more)");
        assert_string_equal(res.candidates[1].unit, T4A);
        assert_string_equal(res.candidates[1].reason,
                            "hosts GRID T4-1B (instance " U(01) "); this driver allows one type per GPU");
        assert_int_equal(e.error, ENOSPC);
        assert_non_null(strstr(e.message, "No GPU can host another GRID T4-2Q now:"));
        assert_non_null(strstr(e.message, "GPU " T4A " hosts GRID T4-1B (instance " U(
                                                  01) "); this driver allows one type per GPU"));
        placement_result_done(&res);
        vgpu_error_clear(&e);

        /* the same question for one named GPU */
        assert_int_equal(placement_choose(h, group(h, "grid-2q"), T4A, PLACEMENT_SPREAD, &res, &e), -ENOSPC);
        assert_int_equal(res.n_candidates, 1);
        assert_string_equal(res.candidates[0].unit, T4A);
        placement_result_done(&res);
        vgpu_error_clear(&e);

        /* the reason a type object shows while it has no room on a GPU */
        _cleanup_free_ char *why = NULL, *none = NULL;
        assert_int_equal(placement_unavailable_reason(h, group(h, "grid-2q"), T4A, &why), 0);
        assert_string_equal(why,
                            "hosts GRID T4-1B (instance " U(01) "); this driver allows one type per GPU");
        assert_int_equal(placement_unavailable_reason(h, group(h, "grid-1b"), T4A, &none), 0);
        assert_null(none);

        /* T4-1B still fits on A */
        assert_int_equal(placement_choose(h, group(h, "grid-1b"), NULL, PLACEMENT_SPREAD, &res, &e), 0);
        assert_string_equal(res.type->parent->name, T4A);
        placement_result_done(&res);
        fixture_done(&f);
}

static void test_heterogeneous(void **state) {
        const char *gpus[] = {T4A}, *uuids[] = {U(01)};
        struct placement_result res;
        struct vgpu_error e = {};
        struct fixture f;

        /* a driver in heterogeneous mode: with a 2 GB type hosted, other 2 GB types stay creatable */
        fixture_init(&f);
        add_t4(&f, T4A, 10, 0, 6, 7);
        fixture_add_mdev(&f, T4A, U(01), "nvidia-231", 100);
        _cleanup_(host_freep) struct vgpu_host *h = load_all(&f, gpus, 1, uuids, 1);

        assert_int_equal(placement_choose(h, group(h, "grid-2b"), NULL, PLACEMENT_PACK, &res, &e), 0);
        assert_string_equal(res.type->id, "nvidia-223");
        placement_result_done(&res);

        assert_int_equal(placement_choose(h, group(h, "grid-1b"), NULL, PLACEMENT_PACK, &res, &e), -ENOSPC);
        assert_string_equal(
                res.candidates[0].reason,
                "hosts GRID T4-2Q (instance " U(
                        01) "); this driver mixes types on one GPU only when "
                            "their framebuffer sizes are equal (2048 MB hosted, GRID T4-1B has 1024 MB)");
        placement_result_done(&res);
        vgpu_error_clear(&e);
        fixture_done(&f);
}

static void test_gvtg_pool(void **state) {
        const char *gpus[] = {IGPU}, *uuids[] = {U(01), U(02)};
        struct placement_result res;
        struct vgpu_error e = {};
        struct fixture f;

        fixture_init(&f);
        fixture_add_pci(&f, IGPU, 0x8086, 0x3e92, 0x030000, "i915", 1);
        fixture_add_parent(&f, IGPU);
        fixture_add_type(
                &f, IGPU, "i915-GVTg_V5_1", "GVTg_V5_1",
                "low_gm_size: 512MB\nhigh_gm_size: 2048MB\nfence: 4\nresolution: 1920x1200\nweight: 16\n",
                0);
        fixture_add_type(
                &f, IGPU, "i915-GVTg_V5_4", "GVTg_V5_4",
                "low_gm_size: 128MB\nhigh_gm_size: 512MB\nfence: 4\nresolution: 1920x1200\nweight: 4\n", 1);
        fixture_add_type(
                &f, IGPU, "i915-GVTg_V5_8", "GVTg_V5_8",
                "low_gm_size: 64MB\nhigh_gm_size: 384MB\nfence: 4\nresolution: 1024x768\nweight: 2\n", 2);
        fixture_add_mdev(&f, IGPU, U(01), "i915-GVTg_V5_4", 50);
        fixture_add_mdev(&f, IGPU, U(02), "i915-GVTg_V5_8", 51);
        _cleanup_(host_freep) struct vgpu_host *h = load_all(&f, gpus, 1, uuids, 2);

        /* mixed types share the pool: another V5_8 fits */
        assert_int_equal(placement_choose(h, group(h, "gvtg_v5_8"), NULL, PLACEMENT_PACK, &res, &e), 0);
        assert_string_equal(res.type->id, "i915-GVTg_V5_8");
        placement_result_done(&res);

        assert_int_equal(placement_choose(h, group(h, "GVTg_V5_1"), NULL, PLACEMENT_PACK, &res, &e),
                         -ENOSPC);
        assert_string_equal(res.candidates[0].reason,
                            "the shared GVT-g graphics memory pool is used up by 2 vGPUs (instances " U(
                                    01) " and " U(02) "); GVTg_V5_1 needs 2560 MB");
        placement_result_done(&res);
        vgpu_error_clear(&e);
        fixture_done(&f);
}

#define A16A "0000:41:00.0"
#define A16B "0000:c1:00.0"

static void add_a16(struct fixture *f, const char *pf, int bus, unsigned avail0, unsigned avail1) {
        char vf0[16], vf1[16];
        snprintf(vf0, sizeof(vf0), "0000:%02x:00.4", bus);
        snprintf(vf1, sizeof(vf1), "0000:%02x:00.5", bus);
        fixture_add_pci(f, pf, 0x10de, 0x25b6, 0x030200, "nvidia", bus);
        fixture_set_sriov(f, pf, 16, 2);
        fixture_add_pci(f, vf0, 0x10de, 0x25b6, 0x030200, "nvidia", bus + 1);
        fixture_add_pci(f, vf1, 0x10de, 0x25b6, 0x030200, "nvidia", bus + 2);
        fixture_add_vf(f, pf, vf0, 0);
        fixture_add_vf(f, pf, vf1, 1);
        fixture_add_parent(f, vf0);
        fixture_add_parent(f, vf1);
        fixture_add_nvidia_type(f, vf0, 700, "NVIDIA A16-4Q", 4096, 4, avail0);
        fixture_add_nvidia_type(f, vf1, 700, "NVIDIA A16-4Q", 4096, 4, avail1);
}

static void test_vf_parents(void **state) {
        const char *gpus[] = {A16A, "0000:41:00.4", "0000:41:00.5", A16B, "0000:c1:00.4", "0000:c1:00.5"};
        const char *uuids[] = {U(01)};
        struct placement_result res;
        struct vgpu_error e = {};
        struct fixture f;

        fixture_init(&f);
        add_a16(&f, A16A, 0x41, 0, 1); /* VF0 hosts one */
        add_a16(&f, A16B, 0xc1, 1, 1);
        fixture_add_mdev(&f, "0000:41:00.4", U(01), "nvidia-700", 70);
        _cleanup_(host_freep) struct vgpu_host *h = NULL;
        assert_int_equal(host_new(f.root, &h), 0);
        for (size_t i = 0; i < ELEMENTSOF(gpus); i++) {
                assert_true(host_refresh_gpu(h, gpus[i]) >= 0);
                assert_true(host_refresh_parent(h, gpus[i]) >= 0);
        }
        assert_true(host_refresh_instance(h, uuids[0]) >= 0);
        struct vgpu_type_group *g = group(h, "a16-4q");

        /* the unit is the physical GPU: pack fills the A16 that already hosts one, on its free VF */
        assert_int_equal(placement_choose(h, g, NULL, PLACEMENT_PACK, &res, &e), 0);
        assert_string_equal(res.type->parent->name, "0000:41:00.5");
        placement_result_done(&res);
        assert_int_equal(placement_choose(h, g, NULL, PLACEMENT_SPREAD, &res, &e), 0);
        assert_string_equal(res.type->parent->name, "0000:c1:00.4");
        placement_result_done(&res);

        /* naming a VF means that VF */
        assert_int_equal(placement_choose(h, g, "0000:c1:00.5", PLACEMENT_PACK, &res, &e), 0);
        assert_string_equal(res.type->parent->name, "0000:c1:00.5");
        placement_result_done(&res);
        assert_int_equal(placement_choose(h, g, "0000:41:00.4", PLACEMENT_PACK, &res, &e), -ENOSPC);
        assert_string_equal(
                res.candidates[0].reason,
                "VF 0000:41:00.4 already hosts NVIDIA A16-4Q (instance " U(01) "); a VF holds one vGPU");
        placement_result_done(&res);
        vgpu_error_clear(&e);
        fixture_done(&f);
}

static void test_gpu_filter_errors(void **state) {
        const char *gpus[] = {T4A, IGPU};
        struct placement_result res;
        struct vgpu_error e = {};
        struct fixture f;

        fixture_init(&f);
        add_t4(&f, T4A, 10, 16, 8, 8);
        fixture_add_pci(&f, IGPU, 0x8086, 0x3e92, 0x030000, "i915", 1);
        fixture_add_parent(&f, IGPU);
        fixture_add_type(&f, IGPU, "i915-GVTg_V5_4", "GVTg_V5_4", NULL, 1);
        _cleanup_(host_freep) struct vgpu_host *h = load_all(&f, gpus, 2, NULL, 0);

        assert_int_equal(placement_choose(h, group(h, "grid-2q"), "0000:99:00.0", PLACEMENT_PACK, &res, &e),
                         -ENODEV);
        assert_string_equal(e.message, "No GPU 0000:99:00.0 on this host.");
        assert_int_equal(placement_choose(h, group(h, "grid-2q"), IGPU, PLACEMENT_PACK, &res, &e), -ENOENT);
        assert_string_equal(e.message, "GPU " IGPU " does not offer GRID T4-2Q.");
        assert_int_equal(placement_choose(h, group(h, "grid-2q"), NULL, (enum placement_policy) 7, &res, &e),
                         -EINVAL);
        assert_int_equal(placement_choose(h, NULL, NULL, PLACEMENT_PACK, &res, &e), -ENOENT);
        vgpu_error_clear(&e);

        assert_int_equal(placement_policy_from_string("pack"), PLACEMENT_PACK);
        assert_int_equal(placement_policy_from_string("spread"), PLACEMENT_SPREAD);
        assert_int_equal(placement_policy_from_string("Pack"), -EINVAL);
        assert_int_equal(placement_policy_from_string(NULL), -EINVAL);
        assert_string_equal(placement_policy_to_string(PLACEMENT_SPREAD), "spread");
        fixture_done(&f);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pack_and_spread), cmocka_unit_test(test_one_type_per_gpu_refusal),
                cmocka_unit_test(test_heterogeneous),   cmocka_unit_test(test_gvtg_pool),
                cmocka_unit_test(test_vf_parents),      cmocka_unit_test(test_gpu_filter_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
