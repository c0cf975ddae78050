/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of planner.c: the create, define and start decision over a host model read from a sysfs
 * fixture, without a bus: resolution, placement, waiting for creates in flight, admission, the backend
 * chosen, and every refusal with its subject and sentence. */
#include "unit.h"

#include "host.h"
#include "planner.h"
#include "record.h"
#include "sysfs-fixture.h"

#define T4A "0000:3b:00.0"
#define T4B "0000:af:00.0"
#define U1  "11111111-2222-4333-8444-555555555501"
#define U2  "11111111-2222-4333-8444-555555555502"

/* What the planner asked the caller, and what the caller answers. */
struct asked {
        int admitted, fits_asked;
        enum plan_action action;
        const struct vgpu_type *type;
        char uuid[UUID_STRING_MAX];
        struct sched_quota quota;
        unsigned max_share; /* refuse a share above this (0: admit all) */
        bool full;          /* creates in flight take the room */
};

static int admit(void *userdata, enum plan_action action, const struct vgpu_type *t, const char *uuid,
                 const struct sched_quota *q, char **ret_reason) {
        struct asked *a = userdata;
        a->admitted++;
        a->action = action;
        a->type = t;
        snprintf(a->uuid, sizeof(a->uuid), "%s", uuid);
        a->quota = *q;
        if (a->max_share && q->share > a->max_share)
                return reason_set(ret_reason, -EDQUOT, "A share of %u %% is more than %u %%.", q->share,
                                  a->max_share);
        return 0;
}

static bool create_fits(void *userdata, const struct vgpu_type *t) {
        struct asked *a = userdata;
        a->fits_asked++;
        return !a->full;
}

static void add_t4(struct fixture *f, const char *bdf, int group_no, unsigned avail_2q) {
        fixture_add_pci(f, bdf, 0x10de, 0x1eb8, 0x030200, "nvidia", group_no);
        fixture_add_parent(f, bdf);
        fixture_add_nvidia_type(f, bdf, 222, "GRID T4-1B", 1024, 16, 16);
        fixture_add_nvidia_type(f, bdf, 231, "GRID T4-2Q", 2048, 8, avail_2q);
}

/* Two T4s: A hosts one T4-2Q (7 left), B has room for 8 but none for the T4-2Q when full is asked. */
static struct vgpu_host *two_t4s(struct fixture *f, unsigned b_avail_2q) {
        struct vgpu_host *h;

        fixture_init(f);
        add_t4(f, T4A, 10, 7);
        add_t4(f, T4B, 11, b_avail_2q);
        fixture_add_mdev(f, T4A, U2, "nvidia-231", 100);
        assert_int_equal(host_new(f->root, &h), 0);
        for (size_t i = 0; i < 2; i++) {
                const char *gpu = i == 0 ? T4A : T4B;
                assert_true(host_refresh_gpu(h, gpu) >= 0);
                assert_true(host_refresh_parent(h, gpu) >= 0);
        }
        assert_true(host_refresh_instance(h, U2) >= 0);
        return h;
}

static struct plan_env env_of(struct vgpu_host *h, struct asked *a) {
        return (struct plan_env){.host = h, .admit = admit, .create_fits = create_fits, .userdata = a};
}

static void test_create_resolves_places_admits(void **state) {
        struct fixture f;
        _cleanup_(host_freep) struct vgpu_host *h = two_t4s(&f, 8);
        struct asked a = {};
        struct plan_env env = env_of(h, &a);
        struct plan p;

        struct plan_request req = {.action = PLAN_CREATE,
                                   .uuid = U1,
                                   .type = "grid-2q",
                                   .placement = PLACEMENT_PACK,
                                   .quota = {.share = 25}};
        assert_int_equal(plan_instance(&env, &req, &p), 0);
        assert_false(p.wait);
        assert_true(p.host_step);
        assert_string_equal(p.parent, T4A); /* pack: next to the T4-2Q there */
        assert_string_equal(p.gpu, T4A);
        assert_string_equal(p.type->id, "nvidia-231");
        assert_ptr_equal(p.backend, &backend_mdev);
        assert_null(p.reason);
        /* admission was asked once, about the member placement chose, with the request's quota */
        assert_int_equal(a.admitted, 1);
        assert_int_equal(a.fits_asked, 1);
        assert_int_equal(a.action, PLAN_CREATE);
        assert_ptr_equal(a.type, p.type);
        assert_string_equal(a.uuid, U1);
        assert_int_equal(a.quota.share, 25);
        plan_done(&p);

        req.placement = PLACEMENT_SPREAD;
        assert_int_equal(plan_instance(&env, &req, &p), 0);
        assert_string_equal(p.parent, T4B);
        plan_done(&p);

        /* the caller names the GPU */
        req.placement = PLACEMENT_PACK;
        req.gpu = T4B;
        req.gpu_known = true;
        assert_int_equal(plan_instance(&env, &req, &p), 0);
        assert_string_equal(p.parent, T4B);
        plan_done(&p);
        fixture_done(&f);
}

static void test_create_waits_for_creates_in_flight(void **state) {
        struct fixture f;
        _cleanup_(host_freep) struct vgpu_host *h = two_t4s(&f, 8);
        struct asked a = {.full = true};
        struct plan_env env = env_of(h, &a);
        struct plan p;

        struct plan_request req = {.action = PLAN_CREATE, .uuid = U1, .type = "grid-2q"};
        assert_int_equal(plan_instance(&env, &req, &p), 0);
        assert_true(p.wait);
        assert_null(p.parent);
        assert_int_equal(a.admitted, 0); /* nothing decided: not admitted either */
        plan_done(&p);
        fixture_done(&f);
}

static void test_refusals_say_what_and_why(void **state) {
        struct fixture f;
        _cleanup_(host_freep) struct vgpu_host *h = two_t4s(&f, 0);
        struct asked a = {.max_share = 50};
        struct plan_env env = env_of(h, &a);
        struct plan p;

        struct plan_request req = {.action = PLAN_CREATE, .uuid = U1, .type = "grid-99z"};
        assert_int_equal(plan_instance(&env, &req, &p), -ENOENT);
        assert_int_equal(p.subject, PLAN_SUBJECT_TYPE);
        assert_non_null(p.reason);
        plan_done(&p);

        req.type = "grid-2q";
        req.gpu = "0000:99:00.0";
        assert_int_equal(plan_instance(&env, &req, &p), -ENODEV);
        assert_int_equal(p.subject, PLAN_SUBJECT_GPU);
        assert_string_equal(p.reason, "No GPU '0000:99:00.0' on this host ('vgpuctl gpus' lists them)");
        plan_done(&p);

        /* B has no room for a T4-2Q and A takes another: A, and a share above the rule is refused */
        req.gpu = T4B;
        req.gpu_known = true;
        assert_int_equal(plan_instance(&env, &req, &p), -ENOSPC);
        assert_int_equal(p.subject, PLAN_SUBJECT_ARGUMENT);
        assert_non_null(p.reason);
        plan_done(&p);

        req.gpu = NULL;
        req.quota.share = 75;
        assert_int_equal(plan_instance(&env, &req, &p), -EDQUOT);
        assert_int_equal(p.subject, PLAN_SUBJECT_ARGUMENT);
        assert_string_equal(p.reason, "A share of 75 % is more than 50 %.");
        assert_null(p.parent); /* nothing of the model is handed out with a refusal */
        plan_done(&p);

        /* a definition on a GPU that does not offer the type */
        fixture_add_pci(&f, "0000:00:02.0", 0x8086, 0x3e92, 0x030000, "i915", 1);
        assert_true(host_refresh_gpu(h, "0000:00:02.0") >= 0);
        req = (struct plan_request){.action = PLAN_DEFINE,
                                    .uuid = U1,
                                    .type = "grid-2q",
                                    .gpu = "0000:00:02.0",
                                    .gpu_known = true};
        assert_int_equal(plan_instance(&env, &req, &p), -ENOENT);
        assert_int_equal(p.subject, PLAN_SUBJECT_TYPE);
        assert_string_equal(p.reason, "GPU 0000:00:02.0 does not offer grid-2q ('vgpuctl types --gpu "
                                      "0000:00:02.0' lists what it offers)");
        plan_done(&p);

        struct plan_request bad = {.action = PLAN_START};
        assert_int_equal(plan_instance(&env, &bad, &p), -EINVAL);
        fixture_done(&f);
}

static void test_define(void **state) {
        struct fixture f;
        _cleanup_(host_freep) struct vgpu_host *h = two_t4s(&f, 0);
        struct asked a = {};
        struct plan_env env = env_of(h, &a);
        struct plan p;

        /* without a GPU: placed when it starts, even though no GPU has room now */
        struct plan_request req = {
                .action = PLAN_DEFINE, .uuid = U1, .type = "T4-2Q", .quota = {.weight = 3}};
        assert_int_equal(plan_instance(&env, &req, &p), 0);
        assert_false(p.host_step);
        assert_null(p.parent);
        assert_string_equal(p.type->id, "nvidia-231"); /* the group's identity */
        assert_ptr_equal(p.backend, &backend_mdev);
        assert_int_equal(a.action, PLAN_DEFINE);
        assert_int_equal(a.quota.weight, 3);
        assert_int_equal(a.fits_asked, 0);
        plan_done(&p);

        /* on a full GPU: its member, room or not */
        req.gpu = T4B;
        req.gpu_known = true;
        assert_int_equal(plan_instance(&env, &req, &p), 0);
        assert_string_equal(p.parent, T4B);
        assert_false(p.host_step);
        plan_done(&p);
        fixture_done(&f);
}

static void test_start(void **state) {
        struct fixture f;
        _cleanup_(host_freep) struct vgpu_host *h = two_t4s(&f, 8);
        _cleanup_(record_freep) struct vgpu_record *rec = NULL;
        struct asked a = {};
        struct plan_env env = env_of(h, &a);
        struct plan p;

        assert_int_equal(record_new(U1, VGPU_BACKEND_MDEV, "nvidia-231", &rec), 0);
        struct plan_request req = {
                .action = PLAN_START, .uuid = U1, .record = rec, .start_placement = PLACEMENT_SPREAD};
        /* no parent: placed by the start policy */
        assert_int_equal(plan_instance(&env, &req, &p), 0);
        assert_string_equal(p.parent, T4B);
        assert_true(p.host_step);
        assert_int_equal(a.action, PLAN_START);
        assert_string_equal(a.type->parent->name, T4B);
        plan_done(&p);

        /* its parent */
        assert_non_null(rec->parent = strdup(T4A));
        assert_int_equal(plan_instance(&env, &req, &p), 0);
        assert_string_equal(p.parent, T4A);
        plan_done(&p);

        /* a parent that is gone, a type it does not offer, a type nobody offers */
        free(rec->parent);
        assert_non_null(rec->parent = strdup("0000:99:00.0"));
        assert_int_equal(plan_instance(&env, &req, &p), -ENODEV);
        assert_int_equal(p.subject, PLAN_SUBJECT_GPU);
        assert_string_equal(p.reason, "parent 0000:99:00.0 is not present");
        plan_done(&p);

        free(rec->parent);
        assert_non_null(rec->parent = strdup(T4A));
        free(rec->type_id);
        assert_non_null(rec->type_id = strdup("nvidia-999"));
        assert_int_equal(plan_instance(&env, &req, &p), -ENOENT);
        assert_string_equal(p.reason, "parent " T4A " does not offer nvidia-999");
        plan_done(&p);

        free(rec->parent);
        rec->parent = NULL;
        assert_int_equal(plan_instance(&env, &req, &p), -ENODEV);
        assert_string_equal(p.reason, "no GPU offers nvidia-999");
        plan_done(&p);
        fixture_done(&f);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_create_resolves_places_admits),
                cmocka_unit_test(test_create_waits_for_creates_in_flight),
                cmocka_unit_test(test_refusals_say_what_and_why),
                cmocka_unit_test(test_define),
                cmocka_unit_test(test_start),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
