/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of quota.c and the vendor schedulers: every rule, every refusal,
 * the RmPVMRL values of NVIDIA's guide, entitlement arithmetic, persistence. */
#include "unit.h"

#include <json-c/json.h>

#include "quota.h"

/* Assert that r is `error` and that the reason mentions `needle`. */
#define assert_refused(r, reason, error, needle)                                                            \
        do {                                                                                                \
                assert_int_equal((r), (error));                                                             \
                assert_non_null(reason);                                                                    \
                if (!strstr((reason), (needle)))                                                            \
                        fail_msg("reason \"%s\" does not mention \"%s\"", (reason), (needle));              \
                free(reason);                                                                               \
                (reason) = NULL;                                                                            \
        } while (0)

static const struct quota_type t4_2q = {
        .id = "nvidia-231", .name = "GRID T4-2Q", .framebuffer_mib = 2048, .max_instances = 8};
static const struct quota_type t4_2b = {
        .id = "nvidia-223", .name = "GRID T4-2B", .framebuffer_mib = 2048, .max_instances = 8};
static const struct quota_type t4_4q = {
        .id = "nvidia-232", .name = "GRID T4-4Q", .framebuffer_mib = 4096, .max_instances = 4};
static const struct quota_type t4_1b = {
        .id = "nvidia-222", .name = "GRID T4-1B", .framebuffer_mib = 1024, .max_instances = 16};
static const struct quota_type a100_mig = {.id = "nvidia-700",
                                           .name = "GRID A100-1-5C",
                                           .framebuffer_mib = 5120,
                                           .max_instances = 7,
                                           .mig = true};
static const struct quota_type gvt_v5_4 = {.id = "i915-GVTg_V5_4", .weight = 4};
static const struct quota_type gvt_v5_1 = {.id = "i915-GVTg_V5_1"}; /* weight from the name */
static const struct quota_type rpc_type = {
        .id = "vgpud-rpc-256", .framebuffer_mib = 256, .max_instances = 16};

#define U1 "11111111-1111-4111-8111-111111111111"
#define U2 "22222222-2222-4222-8222-222222222222"
#define U3 "33333333-3333-4333-8333-333333333333"

static void test_names(void **state) {
        assert_string_equal(sched_policy_to_string(SCHED_POLICY_BEST_EFFORT), "best-effort");
        assert_string_equal(sched_policy_to_string(SCHED_POLICY_WEIGHTED), "weighted");
        assert_null(sched_policy_to_string(_SCHED_POLICY_MAX));
        assert_null(sched_policy_to_string(-1));
        for (int p = 0; p < _SCHED_POLICY_MAX; p++)
                assert_int_equal(sched_policy_from_string(sched_policy_to_string(p)), p);
        assert_int_equal(sched_policy_from_string("fixed"), -EINVAL);
        assert_int_equal(sched_policy_from_string("Best-Effort"), -EINVAL);
        assert_int_equal(sched_policy_from_string(NULL), -EINVAL);

        for (int v = 0; v < _SCHED_VENDOR_MAX; v++)
                assert_int_equal(sched_vendor_from_string(sched_vendor_to_string(v)), v);
        assert_int_equal(sched_vendor_from_string("intel"), -EINVAL);
        assert_null(sched_vendor_to_string(_SCHED_VENDOR_MAX));
}

static uint32_t pvmrl(enum sched_policy p, unsigned slice, unsigned avg, unsigned freq) {
        struct sched_settings s = {
                .policy = p, .time_slice_ms = slice, .averaging_factor = avg, .frequency_hz = freq};
        uint32_t v = 0xdeadbeef;
        assert_int_equal(nvidia_rmpvmrl_value(&s, &v, NULL), 0);
        return v;
}

static void test_rmpvmrl_reference_examples(void **state) {
        char buf[11];

        /* sysfs-abi.md "Scheduling knobs" and NVIDIA's guide, exactly. */
        assert_string_equal(nvidia_rmpvmrl_format(pvmrl(SCHED_POLICY_EQUAL_SHARE, 0, 0, 0), buf), "0x01");
        assert_string_equal(nvidia_rmpvmrl_format(pvmrl(SCHED_POLICY_FIXED_SHARE, 0, 0, 0), buf), "0x11");
        assert_string_equal(nvidia_rmpvmrl_format(pvmrl(SCHED_POLICY_EQUAL_SHARE, 3, 0, 0), buf),
                            "0x00030001");
        assert_string_equal(nvidia_rmpvmrl_format(pvmrl(SCHED_POLICY_FIXED_SHARE, 24, 0, 0), buf),
                            "0x00180011");
        assert_string_equal(nvidia_rmpvmrl_format(pvmrl(SCHED_POLICY_BEST_EFFORT, 0, 0, 0), buf), "0x00");
        /* vGPU 15+ strict round robin: averaging factor 60, frequency 960 Hz. */
        assert_string_equal(nvidia_rmpvmrl_format(pvmrl(SCHED_POLICY_EQUAL_SHARE, 0, 60, 960), buf),
                            "0x3c3c0001");
        assert_string_equal(nvidia_rmpvmrl_format(pvmrl(SCHED_POLICY_FIXED_SHARE, 0, 60, 960), buf),
                            "0x3c3c0011");
        assert_int_equal(pvmrl(SCHED_POLICY_EQUAL_SHARE, 30, 0, 0), 0x001e0001);
        assert_int_equal(pvmrl(SCHED_POLICY_FIXED_SHARE, 1, 0, 0), 0x00010011);
        assert_int_equal(pvmrl(SCHED_POLICY_EQUAL_SHARE, 0, 0, 63), 0x0003f001);
        assert_int_equal(pvmrl(SCHED_POLICY_EQUAL_SHARE, 0, 33, 0), 0x21000001);
}

static void test_rmpvmrl_refusals(void **state) {
        struct sched_settings s;
        char *reason = NULL;
        uint32_t v;

        s = (struct sched_settings){.policy = SCHED_POLICY_BEST_EFFORT, .time_slice_ms = 3};
        assert_refused(nvidia_rmpvmrl_value(&s, &v, &reason), reason, -EOPNOTSUPP, "best-effort");
        s = (struct sched_settings){.policy = SCHED_POLICY_WEIGHTED};
        assert_refused(nvidia_rmpvmrl_value(&s, &v, &reason), reason, -EOPNOTSUPP, "weighted");
        s = (struct sched_settings){.policy = SCHED_POLICY_EQUAL_SHARE, .time_slice_ms = 31};
        assert_refused(nvidia_rmpvmrl_value(&s, &v, &reason), reason, -EINVAL, "1 to 30 ms");
        s = (struct sched_settings){
                .policy = SCHED_POLICY_EQUAL_SHARE, .time_slice_ms = 3, .frequency_hz = 480};
        assert_refused(nvidia_rmpvmrl_value(&s, &v, &reason), reason, -EINVAL, "not both");
        s = (struct sched_settings){.policy = SCHED_POLICY_FIXED_SHARE, .frequency_hz = 62};
        assert_refused(nvidia_rmpvmrl_value(&s, &v, &reason), reason, -EINVAL, "63 to 960 Hz");
        s = (struct sched_settings){.policy = SCHED_POLICY_FIXED_SHARE, .frequency_hz = 961};
        assert_refused(nvidia_rmpvmrl_value(&s, &v, &reason), reason, -EINVAL, "63 to 960 Hz");
        s = (struct sched_settings){.policy = SCHED_POLICY_FIXED_SHARE, .averaging_factor = 61};
        assert_refused(nvidia_rmpvmrl_value(&s, &v, &reason), reason, -EINVAL, "1 to 60");
        /* No reason asked for: still the errno. */
        assert_int_equal(nvidia_rmpvmrl_value(&s, &v, NULL), -EINVAL);
}

static void test_modprobe_line(void **state) {
        const struct nvidia_rmpvmrl_device one[] = {{"0000:86:00.0", 0x11}};
        const struct nvidia_rmpvmrl_device two[] = {{"0000:3b:00.0", 0x00030001},
                                                    {"0000:af:00.0", 0x00180011}};
        const struct nvidia_rmpvmrl_device bad[] = {{"0000:3b:00.0\";x", 0x11}};
        const struct nvidia_rmpvmrl_device nofn[] = {{"3b:00.0", 0x11}};
        char *line = NULL;

        assert_int_equal(nvidia_modprobe_line(one, 1, &line), 0);
        assert_string_equal(
                line, "options nvidia NVreg_RegistryDwordsPerDevice=\"pci=0000:86:00.0;RmPVMRL=0x11\"");
        free(line);
        assert_int_equal(nvidia_modprobe_line(two, 2, &line), 0);
        assert_string_equal(
                line, "options nvidia NVreg_RegistryDwordsPerDevice=\"pci=0000:3b:00.0;RmPVMRL=0x00030001;"
                      "pci=0000:af:00.0;RmPVMRL=0x00180011\"");
        free(line);
        line = NULL;
        assert_int_equal(nvidia_modprobe_line(bad, 1, &line), -EINVAL);
        assert_int_equal(nvidia_modprobe_line(nofn, 1, &line), -EINVAL);
        assert_int_equal(nvidia_modprobe_line(one, 0, &line), -EINVAL);
        assert_null(line);
}

static void test_nvidia_defaults(void **state) {
        const struct quota_instance dense[] = {{U1, &t4_1b, {}}};
        const struct quota_instance sparse[] = {{U1, &t4_2q, {}}};
        struct quota_gpu g = {.address = "0000:3b:00.0", .vendor = SCHED_VENDOR_NVIDIA};
        struct sched_settings s;

        quota_default_settings(&g, &s);
        assert_int_equal(s.policy, SCHED_POLICY_BEST_EFFORT);
        assert_int_equal(s.time_slice_ms, 0);
        assert_int_equal(quota_time_slice_ms(&g, &s), 0); /* depends on the type: none yet */
        g.instances = sparse, g.n_instances = 1;
        assert_int_equal(quota_time_slice_ms(&g, &s), 2); /* <= 8 vGPUs per GPU */
        g.instances = dense;
        assert_int_equal(quota_time_slice_ms(&g, &s), 1); /* 16 vGPUs per GPU */
        s.time_slice_ms = 7;
        assert_int_equal(quota_time_slice_ms(&g, &s), 7);
}

static void test_nvidia_admission(void **state) {
        const struct quota_instance same_fb[] = {{U1, &t4_2q, {}}, {U2, &t4_2b, {}}};
        const struct quota_instance mig[] = {{U1, &a100_mig, {}}};
        struct quota_gpu g = {.address = "0000:3b:00.0",
                              .vendor = SCHED_VENDOR_NVIDIA,
                              .instances = same_fb,
                              .n_instances = 2};
        struct sched_settings fixed = {.policy = SCHED_POLICY_FIXED_SHARE};
        struct sched_settings s;
        struct quota_instance change;
        char *reason = NULL;

        /* Fixed share with the same framebuffer size everywhere: fine. */
        assert_int_equal(quota_admit(&g, &fixed, NULL, &reason), 0);
        assert_null(reason);
        change = (struct quota_instance){U3, &t4_2q, {}};
        assert_int_equal(quota_admit(&g, &fixed, &change, &reason), 0);

        /* A 4 GiB vGPU next to 2 GiB ones: refused under fixed-share, fine otherwise. */
        change = (struct quota_instance){U3, &t4_4q, {}};
        assert_refused(quota_admit(&g, &fixed, &change, &reason), reason, -EDQUOT, "same framebuffer size");
        assert_int_equal(quota_admit(&g, &fixed, &change, NULL), -EDQUOT);
        s = (struct sched_settings){.policy = SCHED_POLICY_EQUAL_SHARE};
        assert_int_equal(quota_admit(&g, &s, &change, NULL), 0);
        s = (struct sched_settings){.policy = SCHED_POLICY_BEST_EFFORT};
        assert_int_equal(quota_admit(&g, &s, &change, NULL), 0);

        /* No per-instance share, except the one the driver gives anyway. */
        change = (struct quota_instance){U3, &t4_2q, {.share = 30}};
        assert_refused(quota_admit(&g, &fixed, &change, &reason), reason, -EDQUOT, "1/8 (12.5 %)");
        change = (struct quota_instance){U3, &t4_4q, {.share = 25}};
        s = (struct sched_settings){.policy = SCHED_POLICY_EQUAL_SHARE};
        assert_int_equal(quota_admit(&g, &s, &change, NULL), 0);
        change = (struct quota_instance){U3, &t4_2q, {.weight = 2}};
        assert_refused(quota_admit(&g, &fixed, &change, &reason), reason, -EOPNOTSUPP, "no weights");

        /* Policies it does not have, and settings that do not fit them. */
        s = (struct sched_settings){.policy = SCHED_POLICY_WEIGHTED};
        assert_refused(quota_admit(&g, &s, NULL, &reason), reason, -EOPNOTSUPP,
                       "best-effort, equal-share, fixed-share");
        s = (struct sched_settings){.policy = SCHED_POLICY_BEST_EFFORT, .time_slice_ms = 4};
        assert_refused(quota_admit(&g, &s, NULL, &reason), reason, -EOPNOTSUPP, "best-effort");
        s = (struct sched_settings){.policy = SCHED_POLICY_EQUAL_SHARE, .time_slice_ms = 31};
        assert_refused(quota_admit(&g, &s, NULL, &reason), reason, -EINVAL, "1 to 30 ms");
        s = (struct sched_settings){.policy = SCHED_POLICY_EQUAL_SHARE, .time_slice_ms = 30};
        assert_int_equal(quota_admit(&g, &s, NULL, NULL), 0);

        /* MIG-backed vGPUs are not time-sliced. */
        g.instances = mig, g.n_instances = 1;
        s = (struct sched_settings){.policy = SCHED_POLICY_EQUAL_SHARE};
        assert_refused(quota_admit(&g, &s, NULL, &reason), reason, -EOPNOTSUPP, "MIG-backed");
        s = (struct sched_settings){.policy = SCHED_POLICY_BEST_EFFORT};
        assert_int_equal(quota_admit(&g, &s, NULL, NULL), 0);
}

static void test_nvidia_fixed_shares_never_pass_100(void **state) {
        struct quota_instance full[8];
        struct quota_gpu g = {.address = "0000:3b:00.0",
                              .vendor = SCHED_VENDOR_NVIDIA,
                              .instances = full,
                              .n_instances = 8};
        struct sched_settings fixed = {.policy = SCHED_POLICY_FIXED_SHARE};
        struct quota_instance ninth = {U3, &t4_2q, {}};
        char *reason = NULL;
        double share;

        for (size_t k = 0; k < 8; k++)
                full[k] = (struct quota_instance){k == 0 ? U1 : U2, &t4_2q, {}};
        assert_int_equal(quota_admit(&g, &fixed, NULL, NULL), 0); /* 8 x 12.5 % = 100 % */
        assert_refused(quota_admit(&g, &fixed, &ninth, &reason), reason, -EDQUOT, "112.5 %");
        assert_int_equal(quota_configured_share(&g, &fixed, U1, &share), 0);
        assert_float_equal(share, 12.5, 1e-9);
}

static void test_nvidia_render(void **state) {
        const struct quota_instance inst[] = {{U1, &t4_2q, {}}};
        struct quota_gpu g = {.address = "0000:3b:00.0",
                              .vendor = SCHED_VENDOR_NVIDIA,
                              .instances = inst,
                              .n_instances = 1};
        struct sched_settings s = {.policy = SCHED_POLICY_EQUAL_SHARE, .time_slice_ms = 3};
        struct quota_rendering r = {};
        char *reason = NULL;

        assert_int_equal(quota_render(&g, &s, &r, &reason), 0);
        assert_string_equal(r.setting, "0x00030001");
        assert_string_equal(
                r.config_line,
                "options nvidia NVreg_RegistryDwordsPerDevice=\"pci=0000:3b:00.0;RmPVMRL=0x00030001\"");
        assert_non_null(strstr(r.note, "no VM running"));
        assert_non_null(strstr(r.note, "reloaded"));
        assert_non_null(strstr(r.note, "/etc/modprobe.d/"));
        quota_rendering_done(&r);

        s = (struct sched_settings){.policy = SCHED_POLICY_FIXED_SHARE};
        assert_int_equal(quota_render(&g, &s, &r, NULL), 0);
        assert_string_equal(r.setting, "0x11");
        assert_non_null(strstr(r.note, "fixed share 12.5 %"));
        assert_non_null(strstr(r.note, "2 ms"));
        quota_rendering_done(&r);

        /* What cannot be rendered says why, and leaves nothing behind. */
        s = (struct sched_settings){.policy = SCHED_POLICY_WEIGHTED};
        assert_refused(quota_render(&g, &s, &r, &reason), reason, -EOPNOTSUPP, "weighted");
        assert_null(r.setting);
        quota_rendering_done(&r);
}

static void test_gvtg(void **state) {
        const struct quota_type v5_8 = {.id = "i915-GVTg_V5_8"}, v5_2 = {.id = "i915-GVTg_V5_2"},
                                v4_4 = {.id = "i915-GVTg_V4_4"}, odd = {.id = "i915-GVTg_V5_3"},
                                junk = {.id = "i915-GVTg_Vx_4"};
        const struct quota_instance inst[] = {{U1, &gvt_v5_4, {}}, {U2, &gvt_v5_1, {}}};
        struct quota_gpu g = {
                .address = "0000:00:02.0", .vendor = SCHED_VENDOR_GVTG, .instances = inst, .n_instances = 2};
        struct sched_settings s;
        struct quota_instance change;
        struct quota_rendering r = {};
        struct sched_quota q;
        char *reason = NULL;
        double share;

        assert_int_equal(gvtg_type_weight(&v5_8), 2);
        assert_int_equal(gvtg_type_weight(&gvt_v5_4), 4);
        assert_int_equal(gvtg_type_weight(&v5_2), 8);
        assert_int_equal(gvtg_type_weight(&gvt_v5_1), 16);
        assert_int_equal(gvtg_type_weight(&v4_4), 4);
        assert_int_equal(gvtg_type_weight(&odd), 0);
        assert_int_equal(gvtg_type_weight(&junk), 0);
        assert_int_equal(gvtg_type_weight(NULL), 0);

        quota_default_settings(&g, &s);
        assert_int_equal(s.policy, SCHED_POLICY_WEIGHTED);
        assert_int_equal(quota_time_slice_ms(&g, &s), 1);
        quota_default_quota(&g, &gvt_v5_1, &q);
        assert_int_equal(q.weight, 16);
        assert_int_equal(q.share, 0);

        assert_int_equal(quota_admit(&g, &s, NULL, NULL), 0);
        /* Budget = 100 ms x weight / total: 4 and 16 of 20. */
        assert_int_equal(quota_configured_share(&g, &s, U1, &share), 0);
        assert_float_equal(share, 20.0, 1e-9);
        assert_int_equal(quota_configured_share(&g, &s, U2, &share), 0);
        assert_float_equal(share, 80.0, 1e-9);
        assert_int_equal(quota_configured_share(&g, &s, U3, &share), -ENOENT);

        change = (struct quota_instance){U3, &gvt_v5_4, {.weight = 4}};
        assert_int_equal(quota_admit(&g, &s, &change, NULL), 0);
        change = (struct quota_instance){U3, &gvt_v5_4, {.weight = 8}};
        assert_refused(quota_admit(&g, &s, &change, &reason), reason, -EDQUOT, "has weight 4");
        change = (struct quota_instance){U3, &gvt_v5_4, {.weight = 17}};
        assert_refused(quota_admit(&g, &s, &change, &reason), reason, -EINVAL, "1 to 16");
        change = (struct quota_instance){U3, &gvt_v5_4, {.share = 10}};
        assert_refused(quota_admit(&g, &s, &change, &reason), reason, -EOPNOTSUPP, "never by share");
        change = (struct quota_instance){U3, &odd, {.weight = 3}};
        assert_refused(quota_admit(&g, &s, &change, &reason), reason, -EDQUOT, "unknown");

        s = (struct sched_settings){.policy = SCHED_POLICY_EQUAL_SHARE};
        assert_refused(quota_admit(&g, &s, NULL, &reason), reason, -EOPNOTSUPP, "offers weighted");
        s = (struct sched_settings){.policy = SCHED_POLICY_WEIGHTED, .time_slice_ms = 1};
        assert_int_equal(quota_admit(&g, &s, NULL, NULL), 0);
        s.time_slice_ms = 2;
        assert_refused(quota_admit(&g, &s, NULL, &reason), reason, -EOPNOTSUPP, "fixed at 1 ms");
        s = (struct sched_settings){.policy = SCHED_POLICY_WEIGHTED, .frequency_hz = 480};
        assert_refused(quota_admit(&g, &s, NULL, &reason), reason, -EOPNOTSUPP, "NVIDIA");

        s = (struct sched_settings){.policy = SCHED_POLICY_WEIGHTED};
        assert_int_equal(quota_render(&g, &s, &r, NULL), 0);
        assert_null(r.setting);
        assert_null(r.config_line);
        assert_non_null(strstr(r.note, U1 " (i915-GVTg_V5_4): weight 4, budget 20.0 ms of 100 ms (20.0 %)"));
        assert_non_null(
                strstr(r.note, U2 " (i915-GVTg_V5_1): weight 16, budget 80.0 ms of 100 ms (80.0 %)"));
        quota_rendering_done(&r);
}

static void test_amd(void **state) {
        struct quota_gpu g = {.address = "0000:65:00.0", .vendor = SCHED_VENDOR_AMD};
        const struct quota_type vf = {.id = "amd-vf"};
        struct quota_instance change = {U1, &vf, {.share = 50}};
        struct quota_rendering r = {};
        struct sched_settings s;
        char *reason = NULL;
        double share;

        quota_default_settings(&g, &s);
        assert_int_equal(s.policy, SCHED_POLICY_BEST_EFFORT);
        assert_int_equal(quota_time_slice_ms(&g, &s), 6);
        assert_int_equal(quota_render(&g, &s, &r, NULL), 0);
        assert_string_equal(r.setting, "sched_interval=6 sched_option=0");
        quota_rendering_done(&r);

        s = (struct sched_settings){.policy = SCHED_POLICY_EQUAL_SHARE, .time_slice_ms = 10};
        assert_int_equal(quota_render(&g, &s, &r, NULL), 0);
        assert_string_equal(r.setting, "sched_interval=10 sched_option=1");
        quota_rendering_done(&r);

        assert_refused(quota_admit(&g, &s, &change, &reason), reason, -EOPNOTSUPP, "no per-instance share");
        change.quota = (struct sched_quota){};
        assert_int_equal(quota_admit(&g, &s, &change, NULL), 0);
        g.instances = &change, g.n_instances = 1;
        assert_int_equal(quota_configured_share(&g, &s, U1, &share), 0);
        assert_float_equal(share, 100.0, 1e-9);

        s = (struct sched_settings){.policy = SCHED_POLICY_FIXED_SHARE};
        assert_refused(quota_admit(&g, &s, NULL, &reason), reason, -EOPNOTSUPP,
                       "fixed-share is not available");
        s = (struct sched_settings){.policy = SCHED_POLICY_BEST_EFFORT, .time_slice_ms = 101};
        assert_refused(quota_admit(&g, &s, NULL, &reason), reason, -EINVAL, "1 to 100 ms");
}

static void test_rpc_fixed_shares(void **state) {
        struct quota_instance inst[] = {{U1, &rpc_type, {.share = 60}}, {U2, &rpc_type, {}}};
        struct quota_gpu g = {
                .address = "rpc0", .vendor = SCHED_VENDOR_RPC, .instances = inst, .n_instances = 2};
        struct sched_settings fixed = {.policy = SCHED_POLICY_FIXED_SHARE};
        struct quota_instance change;
        char *reason = NULL;
        double share;

        assert_int_equal(quota_admit(&g, &fixed, NULL, NULL), 0);
        assert_int_equal(quota_configured_share(&g, &fixed, U1, &share), 0);
        assert_float_equal(share, 60.0, 1e-9);
        assert_int_equal(quota_configured_share(&g, &fixed, U2, &share), 0); /* what the others leave */
        assert_float_equal(share, 40.0, 1e-9);

        /* A new instance asking for 50 % where 60 % are taken. */
        change = (struct quota_instance){U3, &rpc_type, {.share = 50}};
        assert_refused(quota_admit(&g, &fixed, &change, &reason), reason, -EDQUOT, "110.0 %");
        /* 40 % fits, but leaves nothing for U2, which has no share. */
        change = (struct quota_instance){U3, &rpc_type, {.share = 40}};
        assert_refused(quota_admit(&g, &fixed, &change, &reason), reason, -EDQUOT, U2);
        change = (struct quota_instance){U3, &rpc_type, {.share = 30}};
        assert_int_equal(quota_admit(&g, &fixed, &change, NULL), 0);
        /* A quota change of an existing instance replaces its old share. */
        change = (struct quota_instance){U1, &rpc_type, {.share = 90}};
        assert_int_equal(quota_admit(&g, &fixed, &change, NULL), 0);
        change = (struct quota_instance){U1, &rpc_type, {.share = 100}};
        assert_refused(quota_admit(&g, &fixed, &change, &reason), reason, -EDQUOT, "nothing");

        /* Switching policy checks the shares already recorded. */
        inst[1].quota.share = 50;
        assert_refused(quota_admit(&g, &fixed, NULL, &reason), reason, -EDQUOT, "before switching");
        struct sched_settings weighted = {.policy = SCHED_POLICY_WEIGHTED};
        assert_int_equal(quota_admit(&g, &weighted, NULL, NULL), 0); /* inactive shares are not checked */

        /* Malformed quotas. */
        change = (struct quota_instance){U3, &rpc_type, {.share = 150}};
        assert_refused(quota_admit(&g, &weighted, &change, &reason), reason, -EINVAL, "1 to 100 %");
        change = (struct quota_instance){U3, &rpc_type, {.share = 10, .weight = 10}};
        assert_refused(quota_admit(&g, &weighted, &change, &reason), reason, -EINVAL, "both");
        change = (struct quota_instance){U3, &rpc_type, {.weight = 101}};
        assert_refused(quota_admit(&g, &weighted, &change, &reason), reason, -EINVAL, "1 to 100");
        change = (struct quota_instance){NULL, &rpc_type, {}};
        assert_refused(quota_admit(&g, &weighted, &change, &reason), reason, -EINVAL, "UUID");
}

static void test_rpc_weighted_equal_best_effort(void **state) {
        const struct quota_instance inst[] = {{U1, &rpc_type, {}}, {U2, &rpc_type, {.weight = 30}}};
        struct quota_gpu g = {
                .address = "rpc0", .vendor = SCHED_VENDOR_RPC, .instances = inst, .n_instances = 2};
        struct sched_settings s;
        struct quota_rendering r = {};
        struct sched_quota q;
        double share;

        quota_default_settings(&g, &s);
        assert_int_equal(s.policy, SCHED_POLICY_BEST_EFFORT);
        assert_int_equal(quota_time_slice_ms(&g, &s), 2);
        assert_int_equal(quota_configured_share(&g, &s, U1, &share), 0);
        assert_true(share < 0); /* best effort guarantees nothing */
        quota_default_quota(&g, &rpc_type, &q);
        assert_int_equal(q.weight, 0); /* unset: follows the default weight */

        s = (struct sched_settings){.policy = SCHED_POLICY_WEIGHTED, .time_slice_ms = 5};
        assert_int_equal(quota_admit(&g, &s, NULL, NULL), 0);
        assert_int_equal(quota_configured_share(&g, &s, U1, &share), 0); /* default weight 10 of 40 */
        assert_float_equal(share, 25.0, 1e-9);
        assert_int_equal(quota_configured_share(&g, &s, U2, &share), 0);
        assert_float_equal(share, 75.0, 1e-9);
        assert_int_equal(quota_render(&g, &s, &r, NULL), 0);
        assert_non_null(strstr(r.note, U2 ": configured share 75.0 %"));
        assert_null(r.setting);
        quota_rendering_done(&r);

        s = (struct sched_settings){.policy = SCHED_POLICY_EQUAL_SHARE};
        assert_int_equal(quota_configured_share(&g, &s, U2, &share), 0);
        assert_float_equal(share, 50.0, 1e-9);
        s.time_slice_ms = 101;
        assert_int_equal(quota_admit(&g, &s, NULL, NULL), -EINVAL);
}

static void test_generic(void **state) {
        struct quota_gpu g = {.address = "0000:17:00.0", .vendor = SCHED_VENDOR_GENERIC};
        struct sched_settings s;
        struct quota_rendering r = {};
        char *reason = NULL;

        quota_default_settings(&g, &s);
        assert_int_equal(s.policy, SCHED_POLICY_BEST_EFFORT);
        assert_int_equal(quota_time_slice_ms(&g, &s), 0);
        assert_int_equal(quota_admit(&g, &s, NULL, NULL), 0);
        s.time_slice_ms = 5;
        assert_refused(quota_admit(&g, &s, NULL, &reason), reason, -EOPNOTSUPP, "cannot be set");
        s = (struct sched_settings){.policy = SCHED_POLICY_FIXED_SHARE};
        assert_refused(quota_admit(&g, &s, NULL, &reason), reason, -EOPNOTSUPP, "0000:17:00.0");
        s = (struct sched_settings){.policy = SCHED_POLICY_BEST_EFFORT};
        assert_int_equal(quota_render(&g, &s, &r, NULL), 0);
        assert_null(r.setting);
        assert_non_null(r.note);
        quota_rendering_done(&r);

        /* Garbage in the inputs. */
        g.vendor = 99;
        assert_refused(quota_admit(&g, &s, NULL, &reason), reason, -EINVAL, "vendor");
        g.vendor = SCHED_VENDOR_RPC;
        s.policy = 7;
        assert_refused(quota_admit(&g, &s, NULL, &reason), reason, -EINVAL, "policy");
}

static void test_measured(void **state) {
        char buf[16];

        assert_float_equal(quota_measured_share(SCHED_VENDOR_RPC, 5000000, 10000000), 50.0, 1e-9);
        assert_float_equal(quota_measured_share(SCHED_VENDOR_RPC, 20, 10), 100.0, 1e-9);
        assert_true(quota_measured_share(SCHED_VENDOR_RPC, 1, 0) < 0);
        /* A vendor's scheduler does not tell: never a number. */
        assert_true(quota_measured_share(SCHED_VENDOR_NVIDIA, 5000000, 10000000) < 0);
        assert_true(quota_measured_share(SCHED_VENDOR_GVTG, 5000000, 10000000) < 0);
        assert_string_equal(quota_format_share(-1, buf), "n/a");
        assert_string_equal(quota_format_share(12.5, buf), "12.5 %");
        assert_string_equal(quota_format_share(100.0 / 3, buf), "33.3 %");
}

static void test_settings_json(void **state) {
        struct sched_settings s = {.policy = SCHED_POLICY_FIXED_SHARE, .time_slice_ms = 24}, back;
        struct json_object *o = NULL;
        char *error = NULL;

        assert_int_equal(sched_settings_to_json(&s, &o), 0);
        assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
                            "{\"policy\":\"fixed-share\",\"time_slice_ms\":24}");
        assert_int_equal(sched_settings_from_json(o, &back, &error), 0);
        assert_memory_equal(&s, &back, sizeof(s));
        json_object_put(o);

        s = (struct sched_settings){
                .policy = SCHED_POLICY_EQUAL_SHARE, .averaging_factor = 60, .frequency_hz = 960};
        assert_int_equal(sched_settings_to_json(&s, &o), 0);
        assert_int_equal(sched_settings_from_json(o, &back, NULL), 0);
        assert_memory_equal(&s, &back, sizeof(s));
        json_object_put(o);

        s.policy = 9;
        assert_int_equal(sched_settings_to_json(&s, &o), -EINVAL);

        static const struct {
                const char *json, *needle;
        } bad[] = {
                {"[]", "object"},
                {"{}", "lack"},
                {"{\"policy\":3}", "string"},
                {"{\"policy\":\"round-robin\"}", "round-robin"},
                {"{\"policy\":\"weighted\",\"time_slice_ms\":0}", "time_slice_ms"},
                {"{\"policy\":\"weighted\",\"time_slice_ms\":\"5\"}", "whole number"},
                {"{\"policy\":\"weighted\",\"time_slice_ms\":5.5}", "whole number"},
                {"{\"policy\":\"weighted\",\"time_slice_ms\":99999999999999}", "1 to 1000"},
                {"{\"policy\":\"weighted\",\"frequency_hz\":-5}", "frequency_hz"},
                {"{\"policy\":\"weighted\",\"slice\":5}", "Unknown key \"slice\""},
        };
        for (size_t k = 0; k < ELEMENTSOF(bad); k++) {
                struct sched_settings untouched = {.policy = SCHED_POLICY_WEIGHTED, .time_slice_ms = 77};
                o = json_tokener_parse(bad[k].json);
                assert_non_null(o);
                assert_refused(sched_settings_from_json(o, &untouched, &error), error, -EINVAL,
                               bad[k].needle);
                assert_int_equal(untouched.time_slice_ms, 77);
                json_object_put(o);
        }
}

static void test_quota_json(void **state) {
        struct sched_quota q = {.share = 25}, back;
        struct json_object *o = NULL;
        char *error = NULL;

        assert_int_equal(sched_quota_to_json(&q, &o), 0);
        assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), "{\"share\":25}");
        assert_int_equal(sched_quota_from_json(o, &back, NULL), 0);
        assert_int_equal(back.share, 25);
        assert_int_equal(back.weight, 0);
        json_object_put(o);

        q = (struct sched_quota){.weight = 4};
        assert_int_equal(sched_quota_to_json(&q, &o), 0);
        assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), "{\"weight\":4}");
        json_object_put(o);
        q = (struct sched_quota){};
        assert_int_equal(sched_quota_to_json(&q, &o), 0);
        assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), "{}");
        assert_int_equal(sched_quota_from_json(o, &back, NULL), 0);
        json_object_put(o);
        q = (struct sched_quota){.share = 1, .weight = 1};
        assert_int_equal(sched_quota_to_json(&q, &o), -EINVAL);

        static const struct {
                const char *json, *needle;
        } bad[] = {
                {"5", "object"},
                {"{\"share\":101}", "1 to 100"},
                {"{\"share\":0}", "1 to 100"},
                {"{\"weight\":true}", "whole number"},
                {"{\"share\":10,\"weight\":2}", "not both"},
                {"{\"shares\":10}", "Unknown key"},
        };
        for (size_t k = 0; k < ELEMENTSOF(bad); k++) {
                o = json_tokener_parse(bad[k].json);
                assert_non_null(o);
                assert_refused(sched_quota_from_json(o, &back, &error), error, -EINVAL, bad[k].needle);
                json_object_put(o);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_rmpvmrl_reference_examples),
                cmocka_unit_test(test_rmpvmrl_refusals),
                cmocka_unit_test(test_modprobe_line),
                cmocka_unit_test(test_nvidia_defaults),
                cmocka_unit_test(test_nvidia_admission),
                cmocka_unit_test(test_nvidia_fixed_shares_never_pass_100),
                cmocka_unit_test(test_nvidia_render),
                cmocka_unit_test(test_gvtg),
                cmocka_unit_test(test_amd),
                cmocka_unit_test(test_rpc_fixed_shares),
                cmocka_unit_test(test_rpc_weighted_equal_best_effort),
                cmocka_unit_test(test_generic),
                cmocka_unit_test(test_measured),
                cmocka_unit_test(test_settings_json),
                cmocka_unit_test(test_quota_json),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
