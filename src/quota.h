/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Scheduling policies and per-instance quotas of a physical GPU: what an
 * administrator may ask for (a policy, a time slice, a share or a weight per
 * instance), whether the GPU's scheduler can grant it (admission control with
 * a reason in words), what each instance is entitled to (configured share, to
 * be reported next to the measured one), how a vendor's knob spells it (the
 * NVIDIA RmPVMRL value and modprobe.d line, GVT-g's weights), and how it is
 * persisted (json-c objects the store embeds).
 *
 * The module knows nothing of the host model: the caller describes the GPU
 * with the plain structs below (a few lines from the model), so the same
 * rules serve the daemon, the CLI's explanations and the tests. The rules of
 * each vendor are one ops table in vendor-sched-<vendor>.c (vendor-sched.h);
 * the facts they encode, and what could not be confirmed, are in
 * docs/scheduling.md.
 *
 * Errors: -EINVAL a malformed value (share 150 %, weight 0, unknown policy),
 * -EOPNOTSUPP the vendor's scheduler has no such knob (equal-share on GVT-g),
 * -EDQUOT admission refused (fixed shares over 100 %, a vendor rule), each
 * with a sentence in *ret_reason that names the GPU and what to do instead.
 */
#pragma once

#include <stdint.h>

#include "macro.h"

struct json_object;

enum sched_policy {
        SCHED_POLICY_BEST_EFFORT, /* work-conserving round robin, no guarantee */
        SCHED_POLICY_EQUAL_SHARE, /* every running instance the same slice of time */
        SCHED_POLICY_FIXED_SHARE, /* every instance a fixed share, idle or not */
        SCHED_POLICY_WEIGHTED,    /* time proportional to each instance's weight */
        _SCHED_POLICY_MAX,
        _SCHED_POLICY_INVALID = -EINVAL,
};

/* "best-effort", "equal-share", "fixed-share", "weighted"; NULL if out of range. */
const char *sched_policy_to_string(enum sched_policy p);
/* -EINVAL for anything else. */
enum sched_policy sched_policy_from_string(const char *s);

/* Whose scheduler shares the GPU's engines: decides the defaults, the rules and the rendering. */
enum sched_vendor {
        SCHED_VENDOR_GENERIC, /* a driver whose scheduler vgpud knows nothing about */
        SCHED_VENDOR_NVIDIA,  /* NVIDIA vGPU manager (mdev and vendor-specific VFIO) */
        SCHED_VENDOR_GVTG,    /* Intel GVT-g (i915) */
        SCHED_VENDOR_AMD,     /* AMD MxGPU (GIM), SR-IOV VFs */
        SCHED_VENDOR_RPC,     /* vgpud's own mediation engine (RPC-mode instances) */
        _SCHED_VENDOR_MAX,
        _SCHED_VENDOR_INVALID = -EINVAL,
};

/* "generic", "nvidia", "gvtg", "amd", "rpc"; NULL if out of range. */
const char *sched_vendor_to_string(enum sched_vendor v);
enum sched_vendor sched_vendor_from_string(const char *s);

/* A GPU's scheduler settings, as configured and persisted. 0 means "the vendor's default". */
struct sched_settings {
        enum sched_policy policy;
        unsigned time_slice_ms;    /* 0: the vendor's default */
        unsigned averaging_factor; /* NVIDIA strict round robin (vGPU 15+): 0 unset, 1..60 */
        unsigned frequency_hz;     /* NVIDIA strict round robin (vGPU 15+): 0 unset, 63..960 */
};

/* An instance's quota, as configured and persisted (at most one of the two is set). */
struct sched_quota {
        unsigned share;  /* percent of engine time under fixed-share, 1..100; 0 unset */
        unsigned weight; /* relative weight under weighted; 0 unset */
};

/* What the rules need to know of a vGPU type. */
struct quota_type {
        const char *id;           /* raw type id: "nvidia-231", "i915-GVTg_V5_4" */
        const char *name;         /* vendor name ("GRID T4-2Q"), NULL if none */
        uint64_t framebuffer_mib; /* 0: unknown */
        unsigned max_instances;   /* per physical GPU; 0: unknown */
        unsigned weight;          /* GVT-g weight from the type's description; 0: unknown */
        bool mig;                 /* NVIDIA MIG-backed: own engines, not time-sliced */
};

/* An instance that exists on the GPU (created or assigned: it competes for time). */
struct quota_instance {
        const char *uuid;
        const struct quota_type *type;
        struct sched_quota quota;
};

/* The GPU as the rules see it. */
struct quota_gpu {
        const char *address; /* "0000:3b:00.0", or "rpc0" for a software GPU */
        enum sched_vendor vendor;
        const struct quota_instance *instances;
        size_t n_instances;
};

/* The settings a GPU starts with (vgpud.conf may override them). */
void quota_default_settings(const struct quota_gpu *g, struct sched_settings *ret);

/* The quota a new instance of type t gets when none is asked for (GVT-g: the type's weight). */
void quota_default_quota(const struct quota_gpu *g, const struct quota_type *t, struct sched_quota *ret);

/* The time slice in effect: the configured one, else the vendor's default for
 * this GPU. 0 when the default depends on instances the GPU does not have yet
 * (NVIDIA: 2 ms with types of <= 8 instances per GPU, 1 ms above). */
unsigned quota_time_slice_ms(const struct quota_gpu *g, const struct sched_settings *s);

/*
 * Admission control. Would g, scheduled by s, be acceptable with `change`
 * applied? `change` (may be NULL) is an instance that starts (a UUID not in
 * g->instances) or changes its quota (a UUID that is); NULL checks a policy
 * change. Returns 0, or -EINVAL/-EOPNOTSUPP/-EDQUOT with *ret_reason (may be
 * NULL) set to a sentence, or -ENOMEM.
 */
int quota_admit(const struct quota_gpu *g, const struct sched_settings *s,
                const struct quota_instance *change, char **ret_reason);

/* The share of engine time instance `uuid` is entitled to under s, in percent,
 * for "configured vs measured" reports: -1 when the policy guarantees none
 * (best-effort) or the vendor's numbers are unknown. -ENOENT if no such instance. */
int quota_configured_share(const struct quota_gpu *g, const struct sched_settings *s, const char *uuid,
                           double *ret);

/* The measured share: busy time over wall time, in percent, for vendors whose
 * busy time vgpud can observe (its own engine); -1 for every other vendor,
 * never an invented number. */
double quota_measured_share(enum sched_vendor v, uint64_t busy_ns, uint64_t elapsed_ns);

/* "25.0 %" or "n/a" (for a negative share). */
const char *quota_format_share(double share, char buf[static 16]);

/* How the vendor's own knob spells the settings. */
struct quota_rendering {
        char *setting; /* the knob's value, e.g. "0x00030001" (D-Bus VendorSchedulerSetting); NULL if none */
        char *config_line; /* a line for a configuration file, e.g. the modprobe.d options line; NULL if none
                            */
        char *note; /* lines for `vgpuctl policy show`: where it goes, when it takes effect, per-instance
                       figures */
};

/* -EINVAL with *ret_reason if s cannot be rendered for g (quota_admit() explains why). */
int quota_render(const struct quota_gpu *g, const struct sched_settings *s, struct quota_rendering *ret,
                 char **ret_reason);
void quota_rendering_done(struct quota_rendering *r);

/*
 * Persistence. Settings: {"policy": "fixed-share", "time_slice_ms": 24,
 * "averaging_factor": 33, "frequency_hz": 480}; zero fields are omitted.
 * Quota: {"share": 25} or {"weight": 4} or {}. Loading checks types, ranges
 * and unknown keys and says what is wrong (-EINVAL + *ret_error); the
 * vendor's rules are applied later by quota_admit(), when the GPU is known.
 */
int sched_settings_to_json(const struct sched_settings *s, struct json_object **ret);
int sched_settings_from_json(struct json_object *o, struct sched_settings *ret, char **ret_error);
int sched_quota_to_json(const struct sched_quota *q, struct json_object **ret);
int sched_quota_from_json(struct json_object *o, struct sched_quota *ret, char **ret_error);

/* NVIDIA: the RmPVMRL registry dword for s (docs/scheduling.md has the format). */
int nvidia_rmpvmrl_value(const struct sched_settings *s, uint32_t *ret, char **ret_reason);
/* "0x00", "0x11", "0x00030001": two hex digits up to 0xff, eight above, as NVIDIA writes them. */
const char *nvidia_rmpvmrl_format(uint32_t v, char buf[static 11]);

struct nvidia_rmpvmrl_device {
        const char *address; /* PCI address with domain, "0000:3b:00.0" */
        uint32_t value;
};
/* One modprobe.d line for every GPU: `options nvidia
 * NVreg_RegistryDwordsPerDevice="pci=0000:3b:00.0;RmPVMRL=0x11;pci=..."`.
 * One line, because a second line for the same parameter replaces the first.
 * -EINVAL for an address that is not a full PCI address, or n == 0. */
int nvidia_modprobe_line(const struct nvidia_rmpvmrl_device *devs, size_t n, char **ret);

/* GVT-g: the weight i915 gives type t (from its description, else from the
 * known V5_x types); 0 if unknown. */
unsigned gvtg_type_weight(const struct quota_type *t);
