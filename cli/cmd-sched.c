/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `vgpuctl policy GPU [show|set|reset]` and `vgpuctl quota UUID [...]`: the
 * scheduling of a physical GPU and the share or weight of one instance
 * (docs/scheduling.md). What the vendor's driver needs (NVIDIA's RmPVMRL and
 * its modprobe.d line, GVT-g's weights) is rendered by vgpud; this file only
 * prints it, so that the CLI and the D-Bus properties never disagree.
 */
#include <getopt.h>
#include <stddef.h>

#include "bus-dict.h"
#include "bus-names.h"
#include "objects.h"
#include "output.h"
#include "parse-util.h"
#include "quota.h"
#include "strutil.h"
#include "table.h"

static int get_string(sd_bus *bus, const char *path, const char *property, sd_bus_error *error, char **ret) {
        return sd_bus_get_property_string(bus, VGPUD_BUS_NAME, path, VGPUD_GPU_IFACE, property, error, ret);
}

typedef struct SchedShown {
        char *policy, *setting, *config_line, *note, *vendor, *source;
        uint32_t slice_ms, configured_slice_ms, averaging_factor, frequency_hz;
} SchedShown;

static void sched_shown_done(SchedShown *s) {
        free(s->policy);
        free(s->setting);
        free(s->config_line);
        free(s->note);
        free(s->vendor);
        free(s->source);
}

/* SchedulerParams: what this vgpuctl shows of it; a newer vgpud's other keys are skipped. */
static const BusDictField params_fields[] = {
        {"vendor", "s", bus_dict_read_string, offsetof(SchedShown, vendor)},
        {"source", "s", bus_dict_read_string, offsetof(SchedShown, source)},
        {"configured_time_slice_ms", "u", bus_dict_read_basic, offsetof(SchedShown, configured_slice_ms)},
        {"averaging_factor", "u", bus_dict_read_basic, offsetof(SchedShown, averaging_factor)},
        {"frequency_hz", "u", bus_dict_read_basic, offsetof(SchedShown, frequency_hz)},
};

static int read_params(sd_bus *bus, const char *path, sd_bus_error *error, SchedShown *s) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_get_property(bus, VGPUD_BUS_NAME, path, VGPUD_GPU_IFACE, "SchedulerParams", error, &reply,
                                "a{sv}");
        if (r < 0)
                return r;
        return bus_dict_read(reply, params_fields, ELEMENTSOF(params_fields), 0, s, NULL, NULL);
}

static int fetch_shown(sd_bus *bus, const char *path, sd_bus_error *error, SchedShown *s) {
        int r;

        r = get_string(bus, path, "SchedulerPolicy", error, &s->policy);
        if (r >= 0)
                r = get_string(bus, path, "VendorSchedulerSetting", error, &s->setting);
        if (r >= 0)
                r = get_string(bus, path, "VendorSchedulerConfig", error, &s->config_line);
        if (r >= 0)
                r = get_string(bus, path, "SchedulerNote", error, &s->note);
        if (r >= 0)
                r = sd_bus_get_property_trivial(bus, VGPUD_BUS_NAME, path, VGPUD_GPU_IFACE, "TimeSliceMs",
                                                error, 'u', &s->slice_ms);
        if (r >= 0)
                r = read_params(bus, path, error, s);
        return r;
}

static const char *quota_text(const InstanceInfo *in, char buf[static 32]) {
        if (in->share > 0)
                snprintf(buf, 32, "share %u %%", in->share);
        else if (in->weight > 0)
                snprintf(buf, 32, "weight %u", in->weight);
        else
                snprintf(buf, 32, "-");
        return buf;
}

static int policy_show(Cli *c, sd_bus *bus, const char *gpu, const char *path) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sched_shown_done) SchedShown s = {};
        _cleanup_(objects_done) Objects o = {};
        int r;

        r = fetch_shown(bus, path, &error, &s);
        if (r >= 0)
                r = objects_fetch(bus, &error, &o);
        if (r < 0)
                return cli_report_error(c, gpu, &error, r);

        if (c->json) {
                _cleanup_(json_object_putp) json_object *j = json_object_new_object();
                json_object *a = json_object_new_array();
                json_object_object_add(j, "gpu", json_string(gpu));
                json_object_object_add(j, "vendor", json_string(s.vendor));
                json_object_object_add(j, "policy", json_string(s.policy));
                json_object_object_add(j, "source", json_string(s.source));
                json_object_object_add(j, "time_slice_ms", json_object_new_int64(s.slice_ms));
                json_object_object_add(j, "configured_time_slice_ms",
                                       json_object_new_int64(s.configured_slice_ms));
                if (s.averaging_factor > 0)
                        json_object_object_add(j, "averaging_factor",
                                               json_object_new_int64(s.averaging_factor));
                if (s.frequency_hz > 0)
                        json_object_object_add(j, "frequency_hz", json_object_new_int64(s.frequency_hz));
                json_object_object_add(j, "vendor_setting", json_string(s.setting));
                json_object_object_add(j, "vendor_config", json_string(s.config_line));
                json_object_object_add(j, "note", json_string(s.note));
                for (size_t k = 0; k < o.n_instances; k++) {
                        const InstanceInfo *in = &o.instances[k];
                        if (!streq_ptr(in->gpu, path) || streq_ptr(in->state, "defined"))
                                continue;
                        json_object *i = json_object_new_object();
                        json_object_object_add(i, "uuid", json_string(in->uuid));
                        json_object_object_add(i, "type", json_string(in->type));
                        json_object_object_add(i, "share", json_object_new_int64(in->share));
                        json_object_object_add(i, "weight", json_object_new_int64(in->weight));
                        json_object_object_add(i, "configured_share",
                                               in->configured_share >= 0
                                                       ? json_object_new_double(in->configured_share)
                                                       : NULL);
                        json_object_object_add(
                                i, "measured_share",
                                in->measured_share >= 0 ? json_object_new_double(in->measured_share) : NULL);
                        json_object_array_add(a, i);
                }
                json_object_object_add(j, "instances", a);
                return json_print(j);
        }

        printf("GPU:         %s\n", gpu);
        printf("Scheduler:   %s\n", strempty(s.vendor));
        printf("Policy:      %s (%s)\n", strempty(s.policy),
               streq_ptr(s.source, "runtime")  ? "set with vgpuctl policy"
               : streq_ptr(s.source, "config") ? "from vgpud.conf"
                                               : "the vendor's default");
        if (s.slice_ms > 0)
                printf("Time slice:  %u ms%s\n", s.slice_ms, s.configured_slice_ms ? "" : " (default)");
        else
                printf("Time slice:  -\n");
        if (s.averaging_factor > 0)
                printf("Averaging:   %u\n", s.averaging_factor);
        if (s.frequency_hz > 0)
                printf("Frequency:   %u Hz\n", s.frequency_hz);
        if (!isempty(s.setting))
                printf("Vendor:      %s\n", s.setting);
        if (!isempty(s.note))
                printf("\n%s%s", s.note, endswith(s.note, "\n") ? "" : "\n");

        _cleanup_(table_freep) Table *t = table_new("UUID", "TYPE", "QUOTA", "CONFIGURED", "MEASURED", NULL);
        if (!t)
                return EXIT_FAILED;
        for (size_t k = 0; k < o.n_instances; k++) {
                const InstanceInfo *in = &o.instances[k];
                char q[32], conf[16], meas[16];
                if (!streq_ptr(in->gpu, path) || streq_ptr(in->state, "defined"))
                        continue;
                r = table_add_row(t, in->uuid, in->type, quota_text(in, q),
                                  quota_format_share(in->configured_share, conf),
                                  quota_format_share(in->measured_share, meas));
                if (r < 0)
                        return cli_report_error(c, "out of memory", NULL, r);
        }
        if (table_rows(t) > 0) {
                printf("\n");
                return table_print(t, stdout, c->color) < 0 ? EXIT_FAILED : EXIT_OK;
        }
        return EXIT_OK;
}

static int parse_u32_arg(Cli *c, const char *cmd, const char *what, const char *s, uint32_t *ret) {
        unsigned u;
        if (safe_atou(s, &u) < 0)
                return cli_usage_error(c, cmd, "invalid %s '%s': expected a whole number", what, s);
        *ret = u;
        return EXIT_OK;
}

int cmd_policy(Cli *c, int argc, char *argv[]) {
        enum { ARG_AVERAGING = 0x100, ARG_FREQUENCY };
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"json", no_argument, NULL, 'J'},
                {"slice", required_argument, NULL, 's'},
                {"averaging-factor", required_argument, NULL, ARG_AVERAGING},
                {"frequency", required_argument, NULL, ARG_FREQUENCY},
                {},
        };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_free_ char *path = NULL;
        uint32_t slice = 0, averaging = 0, frequency = 0;
        bool have_extra = false;
        sd_bus *bus;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "hs:", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        return command_help("policy");
                case 'J':
                        c->json = true;
                        break;
                case 's': {
                        /* "3" or "3ms": milliseconds either way */
                        char buf[32];
                        snprintf(buf, sizeof(buf), "%s", optarg);
                        if (endswith(buf, "ms"))
                                buf[strlen(buf) - 2] = 0;
                        r = parse_u32_arg(c, "policy", "--slice", buf, &slice);
                        if (r != EXIT_OK)
                                return r;
                        if (slice == 0)
                                return cli_usage_error(
                                        c, "policy",
                                        "--slice 0 means nothing; leave it out for the default");
                        have_extra = true;
                        break;
                }
                case ARG_AVERAGING:
                        r = parse_u32_arg(c, "policy", "--averaging-factor", optarg, &averaging);
                        if (r != EXIT_OK)
                                return r;
                        have_extra = true;
                        break;
                case ARG_FREQUENCY:
                        r = parse_u32_arg(c, "policy", "--frequency", optarg, &frequency);
                        if (r != EXIT_OK)
                                return r;
                        have_extra = true;
                        break;
                default:
                        return cli_usage_error(c, "policy", "unknown option");
                }
        if (optind >= argc)
                return cli_usage_error(c, "policy", "expected a GPU");
        const char *gpu = argv[optind], *verb = optind + 1 < argc ? argv[optind + 1] : "show";
        /* "vgpuctl policy show GPU" reads as naturally as "vgpuctl policy GPU show" */
        if (streq(gpu, "show") && optind + 1 < argc) {
                gpu = argv[optind + 1];
                verb = "show";
                if (optind + 2 < argc)
                        return cli_usage_error(c, "policy", "unexpected argument '%s'", argv[optind + 2]);
        } else if (streq(verb, "show") || streq(verb, "reset")) {
                if (optind + 2 < argc)
                        return cli_usage_error(c, "policy", "unexpected argument '%s'", argv[optind + 2]);
        } else if (streq(verb, "set")) {
                if (optind + 2 >= argc)
                        return cli_usage_error(
                                c, "policy",
                                "expected a policy: best-effort, equal-share, fixed-share or weighted");
                if (optind + 3 < argc)
                        return cli_usage_error(c, "policy", "unexpected argument '%s'", argv[optind + 3]);
                if (sched_policy_from_string(argv[optind + 2]) < 0)
                        return cli_usage_error(
                                c, "policy",
                                "invalid policy '%s': use best-effort, equal-share, fixed-share or "
                                "weighted",
                                argv[optind + 2]);
        } else
                return cli_usage_error(c, "policy", "unknown action '%s': use show, set or reset", verb);
        if (have_extra && !streq(verb, "set"))
                return cli_usage_error(c, "policy",
                                       "--slice, --averaging-factor and --frequency go with set");

        r = cli_bus(c, &bus);
        if (r != EXIT_OK)
                return r;
        r = cli_get_gpu(c, gpu, &path);
        if (r != EXIT_OK)
                return r;
        if (streq(verb, "show"))
                return policy_show(c, bus, gpu, path);

        if (streq(verb, "reset"))
                r = sd_bus_call_method(bus, VGPUD_BUS_NAME, path, VGPUD_GPU_IFACE, "ResetSchedulerPolicy",
                                       &error, NULL, "");
        else {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                r = sd_bus_message_new_method_call(bus, &m, VGPUD_BUS_NAME, path, VGPUD_GPU_IFACE,
                                                   "SetSchedulerPolicy");
                if (r >= 0)
                        r = sd_bus_message_append(m, "su", argv[optind + 2], slice);
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'a', "{sv}");
                if (r >= 0 && averaging > 0)
                        r = sd_bus_message_append(m, "{sv}", "averaging_factor", "u", averaging);
                if (r >= 0 && frequency > 0)
                        r = sd_bus_message_append(m, "{sv}", "frequency_hz", "u", frequency);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r < 0)
                        return cli_report_error(c, "cannot build the request", NULL, r);
                r = sd_bus_call(bus, m, 0, &error, &reply);
        }
        if (r < 0)
                return cli_report_error(c, gpu, &error, r);
        /* What changed, and what the vendor needs now (the modprobe line for NVIDIA). */
        return policy_show(c, bus, gpu, path);
}

int cmd_quota(Cli *c, int argc, char *argv[]) {
        enum { ARG_CLEAR = 0x100 };
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},        {"json", no_argument, NULL, 'J'},
                {"share", required_argument, NULL, 's'}, {"weight", required_argument, NULL, 'w'},
                {"clear", no_argument, NULL, ARG_CLEAR}, {},
        };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(instance_info_done)
                InstanceInfo info = {.iommu_group = -1, .configured_share = -1, .measured_share = -1};
        _cleanup_free_ char *path = NULL;
        uint32_t share = 0, weight = 0;
        bool clear = false;
        sd_bus *bus;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "hs:w:", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        return command_help("quota");
                case 'J':
                        c->json = true;
                        break;
                case 's':
                        r = parse_u32_arg(c, "quota", "--share", optarg, &share);
                        if (r != EXIT_OK)
                                return r;
                        if (share == 0 || share > 100)
                                return cli_usage_error(c, "quota",
                                                       "invalid --share %s: a share is 1 to 100 (percent)",
                                                       optarg);
                        break;
                case 'w':
                        r = parse_u32_arg(c, "quota", "--weight", optarg, &weight);
                        if (r != EXIT_OK)
                                return r;
                        if (weight == 0)
                                return cli_usage_error(c, "quota",
                                                       "invalid --weight 0: a weight is at least 1");
                        break;
                case ARG_CLEAR:
                        clear = true;
                        break;
                default:
                        return cli_usage_error(c, "quota", "unknown option");
                }
        if (argc - optind != 1)
                return cli_usage_error(c, "quota", "expected one UUID");
        if ((share > 0) + (weight > 0) + clear > 1)
                return cli_usage_error(c, "quota", "give one of --share, --weight and --clear");
        const char *uuid = argv[optind];

        r = cli_bus(c, &bus);
        if (r != EXIT_OK)
                return r;
        r = cli_get_instance(c, uuid, &path);
        if (r != EXIT_OK)
                return r;
        if (share > 0 || weight > 0 || clear) {
                r = sd_bus_message_new_method_call(bus, &m, VGPUD_BUS_NAME, path, VGPUD_INSTANCE_IFACE,
                                                   "SetQuota");
                if (r >= 0 && share > 0)
                        r = sd_bus_message_append(m, "a{sv}", 1, "share", "u", share);
                else if (r >= 0 && weight > 0)
                        r = sd_bus_message_append(m, "a{sv}", 1, "weight", "u", weight);
                else if (r >= 0)
                        r = sd_bus_message_append(m, "a{sv}", 0);
                if (r < 0)
                        return cli_report_error(c, "cannot build the request", NULL, r);
                r = sd_bus_call(bus, m, 0, &error, &reply);
                if (r < 0)
                        return cli_report_error(c, uuid, &error, r);
        }

        r = instance_fetch(bus, path, &error, &info);
        if (r < 0)
                return cli_report_error(c, uuid, &error, r);
        if (c->json) {
                _cleanup_(json_object_putp) json_object *j = json_object_new_object();
                json_object_object_add(j, "uuid", json_string(info.uuid));
                json_object_object_add(j, "share", json_object_new_int64(info.share));
                json_object_object_add(j, "weight", json_object_new_int64(info.weight));
                json_object_object_add(
                        j, "configured_share",
                        info.configured_share >= 0 ? json_object_new_double(info.configured_share) : NULL);
                json_object_object_add(j, "measured_share",
                                       info.measured_share >= 0 ? json_object_new_double(info.measured_share)
                                                                : NULL);
                return json_print(j);
        }
        char q[32], conf[16], meas[16];
        printf("UUID:        %s\n", info.uuid);
        printf("Quota:       %s\n", quota_text(&info, q));
        printf("Share:       configured %s, measured %s\n", quota_format_share(info.configured_share, conf),
               quota_format_share(info.measured_share, meas));
        return EXIT_OK;
}
