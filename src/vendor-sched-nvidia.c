/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The NVIDIA vGPU scheduler (time-sliced vGPUs on mdev and on vendor-specific
 * VFIO): best-effort (the default), equal-share and fixed-share, set per GPU
 * with the RmPVMRL registry dword passed through the nvidia module option
 * NVreg_RegistryDwordsPerDevice, read by the driver when it loads.
 *
 * Facts, from NVIDIA's Virtual GPU Software User Guide ("Changing Scheduling
 * Behavior for Time-Sliced vGPUs", "RmPVMRL Registry Key"):
 *   - RmPVMRL 0x00 best effort; 0x01 equal share and 0x11 fixed share with
 *     the default time slice; 0x00TT0001 / 0x00TT0011 the same with a time
 *     slice of TT ms, TT in 0x01..0x1E (1-30 ms; 00 = default; larger values
 *     are capped at 30 ms by the driver).
 *   - Default slice: 2 ms when the vGPU type allows at most 8 vGPUs per GPU,
 *     1 ms above.
 *   - Fixed share gives each vGPU 1/max_instance of the GPU and is not
 *     supported with time-sliced vGPUs of different framebuffer sizes on one
 *     GPU. Equal/fixed share disable the frame-rate limiter.
 *   - vGPU 15 and later add a strict round-robin mode with an averaging
 *     factor AA (0x01..0x3C, 0 = default 33) and a scheduling frequency FFF
 *     (0x3F..0x3C0 Hz, 0 = default 480 Hz up to 8 vGPUs, 960 Hz above); the
 *     guide's examples 0x3c3c0001 and 0x3c3c0011 put AA in bits 31-24 and FFF
 *     in bits 23-12 above the policy bits.
 *   - Policies apply only to time-sliced vGPUs (not MIG-backed ones), only on
 *     architectures after Maxwell, and take effect when the module loads.
 * Not confirmed (the guide's own table was not available, and its vGPU 15+
 * examples disagree on the low bits of the "without strict round robin"
 * form: 0x00030003 for equal share, 0x00180011 for fixed share): which bit a
 * vGPU 15+ driver uses to tell the TT form from the AA/FFF form. vgpud
 * writes the documented 0x00TT00p1 form for a time slice and the AA/FFF form
 * only when a frequency or averaging factor is set; docs/scheduling.md says so.
 */
#include <inttypes.h>

#include "pci.h"
#include "vendor-sched.h"

#define PVMRL_BEST_EFFORT 0x00u
#define PVMRL_EQUAL_SHARE 0x01u
#define PVMRL_FIXED_SHARE 0x11u
#define PVMRL_TT_SHIFT    16
#define PVMRL_AA_SHIFT    24
#define PVMRL_FFF_SHIFT   12

#define NVIDIA_SLICE_MAX_MS    30u
#define NVIDIA_AVERAGING_MAX   60u
#define NVIDIA_FREQUENCY_MIN   63u
#define NVIDIA_FREQUENCY_MAX   960u
#define NVIDIA_DENSE_INSTANCES 8u /* above this many vGPUs per GPU the defaults are 1 ms / 960 Hz */

/* The largest max_instances among the GPU's instances' types; 0 if unknown or none. */
static unsigned max_density(const struct quota_gpu *g) {
        unsigned m = 0;

        for (size_t k = 0; k < g->n_instances; k++) {
                const struct quota_type *t = g->instances[k].type;
                if (t)
                        m = MAX(m, t->max_instances);
        }
        return m;
}

static unsigned nvidia_default_slice_ms(const struct quota_gpu *g, enum sched_policy p) {
        unsigned density = max_density(g);

        if (density == 0)
                return 0;
        return density <= NVIDIA_DENSE_INSTANCES ? 2 : 1;
}

static double nvidia_fixed_share(const struct quota_instance *i) {
        if (!i->type || i->type->max_instances == 0)
                return -1;
        return 100.0 / (double) i->type->max_instances;
}

int nvidia_rmpvmrl_value(const struct sched_settings *s, uint32_t *ret, char **ret_reason) {
        uint32_t v;

        switch (s->policy) {
        case SCHED_POLICY_BEST_EFFORT:
                if (s->time_slice_ms > 0 || s->averaging_factor > 0 || s->frequency_hz > 0)
                        return quota_refuse(
                                ret_reason, -EOPNOTSUPP,
                                "The NVIDIA best-effort scheduler takes no time slice, averaging "
                                "factor or frequency; RmPVMRL sets them only for equal-share and "
                                "fixed-share.");
                *ret = PVMRL_BEST_EFFORT;
                return 0;
        case SCHED_POLICY_EQUAL_SHARE:
                v = PVMRL_EQUAL_SHARE;
                break;
        case SCHED_POLICY_FIXED_SHARE:
                v = PVMRL_FIXED_SHARE;
                break;
        default:
                return quota_refuse(
                        ret_reason, -EOPNOTSUPP,
                        "The NVIDIA vGPU scheduler offers best-effort, equal-share and fixed-share; "
                        "%s has no RmPVMRL value.",
                        strna(sched_policy_to_string(s->policy)));
        }

        if (s->time_slice_ms > 0 && (s->averaging_factor > 0 || s->frequency_hz > 0))
                return quota_refuse(
                        ret_reason, -EINVAL,
                        "RmPVMRL takes either a time slice or a scheduling frequency and averaging "
                        "factor (strict round robin), not both: the frequency already sets the "
                        "slice (1/frequency).");
        if (s->time_slice_ms > NVIDIA_SLICE_MAX_MS)
                return quota_refuse(ret_reason, -EINVAL,
                                    "A time slice of %u ms is out of range for the NVIDIA vGPU scheduler: "
                                    "it takes 1 to %u ms.",
                                    s->time_slice_ms, NVIDIA_SLICE_MAX_MS);
        if (s->averaging_factor > NVIDIA_AVERAGING_MAX)
                return quota_refuse(ret_reason, -EINVAL,
                                    "An averaging factor of %u is out of range: NVIDIA takes 1 to %u.",
                                    s->averaging_factor, NVIDIA_AVERAGING_MAX);
        if (s->frequency_hz > 0 &&
            (s->frequency_hz < NVIDIA_FREQUENCY_MIN || s->frequency_hz > NVIDIA_FREQUENCY_MAX))
                return quota_refuse(
                        ret_reason, -EINVAL,
                        "A scheduling frequency of %u Hz is out of range: NVIDIA takes %u to %u Hz.",
                        s->frequency_hz, NVIDIA_FREQUENCY_MIN, NVIDIA_FREQUENCY_MAX);

        if (s->time_slice_ms > 0)
                v |= (uint32_t) s->time_slice_ms << PVMRL_TT_SHIFT;
        else
                v |= (uint32_t) s->averaging_factor << PVMRL_AA_SHIFT | (uint32_t) s->frequency_hz
                                                                                << PVMRL_FFF_SHIFT;
        *ret = v;
        return 0;
}

const char *nvidia_rmpvmrl_format(uint32_t v, char buf[static 11]) {
        /* NVIDIA's guide writes short values with two digits (0x01, 0x11)
         * and the others with all eight (0x00030001). */
        snprintf(buf, 11, v <= 0xff ? "0x%02" PRIx32 : "0x%08" PRIx32, v);
        return buf;
}

int nvidia_modprobe_line(const struct nvidia_rmpvmrl_device *devs, size_t n, char **ret) {
        _cleanup_free_ char *line = NULL;
        char buf[11];
        int r;

        if (n == 0)
                return -EINVAL;
        r = quota_appendf(&line, "options nvidia NVreg_RegistryDwordsPerDevice=\"");
        if (r < 0)
                return r;
        for (size_t k = 0; k < n; k++) {
                /* The address goes inside a quoted module option: only a
                 * well-formed PCI address may, nothing that could close the quote. */
                if (pci_address_parse(devs[k].address, NULL, NULL, NULL, NULL) < 0)
                        return -EINVAL;
                r = quota_appendf(&line, "%spci=%s;RmPVMRL=%s", k > 0 ? ";" : "", devs[k].address,
                                  nvidia_rmpvmrl_format(devs[k].value, buf));
                if (r < 0)
                        return r;
        }
        r = quota_appendf(&line, "\"");
        if (r < 0)
                return r;
        *ret = TAKE_PTR(line);
        return 0;
}

static int nvidia_check_settings(const struct quota_gpu *g, const struct sched_settings *s,
                                 char **ret_reason) {
        uint32_t v;

        return nvidia_rmpvmrl_value(s, &v, ret_reason);
}

static int nvidia_check_quota(const struct quota_gpu *g, const struct sched_settings *s,
                              const struct quota_instance *i, char **ret_reason) {
        const struct quota_type *t = i->type;
        const char *uuid = strna(i->uuid);

        if (i->quota.weight > 0)
                return quota_refuse(ret_reason, -EOPNOTSUPP,
                                    "The NVIDIA vGPU scheduler has no weights (it offers best-effort, "
                                    "equal-share and fixed-share); instance %s cannot have one.",
                                    uuid);
        if (i->quota.share == 0)
                return 0;
        /* A share that repeats the driver's own 1/max_instance is harmless. */
        if (t && t->max_instances > 0 && 100 % t->max_instances == 0 &&
            i->quota.share == 100 / t->max_instances)
                return 0;
        if (t && t->max_instances > 0)
                return quota_refuse(
                        ret_reason, -EDQUOT,
                        "The NVIDIA vGPU scheduler gives every %s vGPU a fixed share of 1/%u "
                        "(%.1f %%) of GPU %s; instance %s cannot have a share of %u %% of its own.",
                        quota_type_label(t), t->max_instances, 100.0 / t->max_instances, strna(g->address),
                        uuid, i->quota.share);
        return quota_refuse(ret_reason, -EDQUOT,
                            "The NVIDIA vGPU scheduler sets each vGPU's fixed share to 1/max_instance; "
                            "instance %s cannot have a share of its own.",
                            uuid);
}

static int nvidia_check_instances(const struct quota_gpu *g, const struct sched_settings *s,
                                  const struct quota_instance *const *v, size_t n, char **ret_reason) {
        const struct quota_instance *first = NULL;

        if (s->policy != SCHED_POLICY_BEST_EFFORT)
                for (size_t k = 0; k < n; k++)
                        if (v[k]->type && v[k]->type->mig)
                                return quota_refuse(
                                        ret_reason, -EOPNOTSUPP,
                                        "Instance %s (%s) is MIG-backed: it has engines of its own, and the "
                                        "time-slice policies (%s) of GPU %s do not apply to MIG-backed "
                                        "vGPUs.",
                                        strna(v[k]->uuid), quota_type_label(v[k]->type),
                                        sched_policy_to_string(s->policy), strna(g->address));

        if (s->policy != SCHED_POLICY_FIXED_SHARE)
                return 0;
        for (size_t k = 0; k < n; k++) {
                const struct quota_type *t = v[k]->type;
                if (!t || t->framebuffer_mib == 0)
                        continue;
                if (!first) {
                        first = v[k];
                        continue;
                }
                if (t->framebuffer_mib != first->type->framebuffer_mib)
                        return quota_refuse(
                                ret_reason, -EDQUOT,
                                "The NVIDIA vGPU scheduler offers fixed-share only when every vGPU on a GPU "
                                "has the same framebuffer size; on GPU %s, %s (%s, %" PRIu64 " MiB) and %s "
                                "(%s, %" PRIu64 " MiB) differ. Use best-effort or equal-share.",
                                strna(g->address), strna(first->uuid), quota_type_label(first->type),
                                first->type->framebuffer_mib, strna(v[k]->uuid), quota_type_label(t),
                                t->framebuffer_mib);
        }
        return 0;
}

static int nvidia_render(const struct quota_gpu *g, const struct sched_settings *s,
                         struct quota_rendering *ret) {
        struct nvidia_rmpvmrl_device dev = {.address = g->address};
        char buf[11];
        unsigned slice;
        int r;

        r = nvidia_rmpvmrl_value(s, &dev.value, NULL);
        if (r < 0)
                return r;
        ret->setting = strdup(nvidia_rmpvmrl_format(dev.value, buf));
        if (!ret->setting)
                return -ENOMEM;
        r = nvidia_modprobe_line(&dev, 1, &ret->config_line);
        if (r < 0)
                return r;

        r = quota_appendf(&ret->note, "RmPVMRL=%s: %s", ret->setting, sched_policy_to_string(s->policy));
        if (r < 0)
                return r;
        slice = quota_time_slice_ms(g, s);
        if (s->policy == SCHED_POLICY_BEST_EFFORT)
                r = quota_appendf(&ret->note, " (the driver's default)\n");
        else if (s->frequency_hz > 0 || s->averaging_factor > 0) {
                r = quota_appendf(&ret->note, ", strict round robin");
                if (r >= 0 && s->frequency_hz > 0)
                        r = quota_appendf(&ret->note, ", frequency %u Hz (slice %.3f ms)", s->frequency_hz,
                                          1000.0 / s->frequency_hz);
                if (r >= 0 && s->averaging_factor > 0)
                        r = quota_appendf(&ret->note, ", averaging factor %u", s->averaging_factor);
                if (r >= 0)
                        r = quota_appendf(&ret->note, " (vGPU 15 or later)\n");
        } else if (s->time_slice_ms > 0)
                r = quota_appendf(&ret->note, ", time slice %u ms\n", s->time_slice_ms);
        else if (slice > 0)
                r = quota_appendf(&ret->note, ", default time slice (%u ms for this GPU's vGPU types)\n",
                                  slice);
        else
                r = quota_appendf(
                        &ret->note,
                        ", default time slice (2 ms for types of up to 8 vGPUs per GPU, 1 ms above)\n");
        if (r < 0)
                return r;

        r = quota_appendf(
                &ret->note,
                "Put this line in a file under /etc/modprobe.d/ (NVIDIA's guide uses nvidia.conf):\n"
                "  %s\n"
                "Every GPU with its own RmPVMRL goes into that one line (pci=...;RmPVMRL=...;pci=...): "
                "a second NVreg_RegistryDwordsPerDevice line replaces the first.\n"
                "It takes effect when the nvidia module is reloaded (or the host reboots) with no VM "
                "running on the GPU.\n",
                ret->config_line);
        if (r < 0)
                return r;
        if (s->policy != SCHED_POLICY_BEST_EFFORT) {
                r = quota_appendf(&ret->note,
                                  "Equal-share and fixed-share disable the vGPU frame-rate limiter "
                                  "(FRL); they exist on GPUs newer than Maxwell only.\n");
                if (r < 0)
                        return r;
        }
        if (s->policy == SCHED_POLICY_FIXED_SHARE)
                for (size_t k = 0; k < g->n_instances; k++) {
                        double f = nvidia_fixed_share(&g->instances[k]);
                        char share[16];
                        r = quota_appendf(
                                &ret->note, "  %s (%s): fixed share %s\n", strna(g->instances[k].uuid),
                                quota_type_label(g->instances[k].type), quota_format_share(f, share));
                        if (r < 0)
                                return r;
                }
        return 0;
}

const struct sched_vendor_ops vendor_sched_nvidia = {
        .vendor = SCHED_VENDOR_NVIDIA,
        .scheduler = "the NVIDIA vGPU scheduler",
        .policies = SCHED_POLICY_BIT(SCHED_POLICY_BEST_EFFORT) | SCHED_POLICY_BIT(SCHED_POLICY_EQUAL_SHARE) |
                    SCHED_POLICY_BIT(SCHED_POLICY_FIXED_SHARE),
        .default_policy = SCHED_POLICY_BEST_EFFORT,
        .slice_min_ms = 1,
        .slice_max_ms = NVIDIA_SLICE_MAX_MS,
        .default_slice_ms = nvidia_default_slice_ms,
        .instance_share = false,
        .instance_weight = false,
        .fixed_share = nvidia_fixed_share,
        .check_settings = nvidia_check_settings,
        .check_quota = nvidia_check_quota,
        .check_instances = nvidia_check_instances,
        .render = nvidia_render,
};
